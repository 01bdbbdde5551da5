"""Error types: one per kind of failure, each with a one-line message that says what and where."""

from __future__ import annotations


class BokflytError(Exception):
    """Base class of every error bokflyt reports to a user."""


class DataError(BokflytError):
    """A scenario file is wrong: names the file, row, column, value and the reason."""

    def __init__(
        self,
        file: str,
        reason: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.value = value
        self.reason = reason
        where = file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column}"
        if value is not None:
            where += f", value {value!r}"
        super().__init__(f"{where}: {reason}")


class DataErrors(BokflytError):
    """Several DataErrors found in one pass, so the user can fix them all at once."""

    def __init__(self, errors: list[DataError]) -> None:
        self.errors = errors
        shown = "\n".join(f"  {e}" for e in errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"{len(errors)} problem(s) in the scenario:\n{shown}{more}")


class PlanFileError(BokflytError):
    """A plan folder cannot be read (missing file or column)."""
