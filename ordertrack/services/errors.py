"""Errors the services raise; entry points turn them into a toast or an HTTP status."""

from datetime import datetime

from ordertrack.db.errors import DatabaseUnavailable
from ordertrack.domain.errors import UserFacingError

__all__ = ["BadInput", "Conflict", "DatabaseUnavailable", "Forbidden", "LoginFailed", "NotFound",
           "ServiceError", "UserFacingError"]


class ServiceError(UserFacingError):
    """An error whose message may be shown to the user as it is."""


class NotFound(ServiceError):
    """The thing does not exist, or the asker may not know that it does."""


class Forbidden(ServiceError):
    """The asker is known but may not do this."""


class Conflict(ServiceError):
    """Someone else changed the thing first."""


class BadInput(ServiceError):
    """An argument is missing or malformed."""


class LoginFailed(ServiceError):
    """Wrong user name or password (one generic message)."""

    def __init__(self, message: str = "Wrong username or password.") -> None:
        super().__init__(message)


class LoginLocked(LoginFailed):
    """Too many recent sign-in attempts: refused without checking the password until ``retry_at``."""

    def __init__(self, message: str, *, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at
