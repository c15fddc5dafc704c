"""Errors of the database layer that users see."""

from ordertrack.domain.errors import UserFacingError

UNAVAILABLE = "The database is not answering; nothing was changed. Try again in a moment."


class DatabaseUnavailable(UserFacingError):
    """The database refused, timed out or hung: the action was not applied (rolled back)."""

    def __init__(self, message: str = UNAVAILABLE, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason  # what the driver said, for the log ("OperationalError: connection failed")
