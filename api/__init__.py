"""The bokflyt service: FastAPI over a SQL database; it translates between HTTP and `logistics`."""
