"""bokflyt: plan how reserved library items travel between branches, and when they arrive."""

__version__ = "0.1.0"
