"""Errors the services raise; entry points turn them into a toast or an HTTP status."""


class ServiceError(Exception):
    """An error whose message may be shown to the user as it is."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


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

    def __init__(self, message: str = "Wrong username or password.", *, delay: float = 0.0) -> None:
        super().__init__(message)
        self.delay = delay


class DatabaseUnavailable(ServiceError):
    """The database refused the connection or did not answer in time; nothing was changed."""

    def __init__(self, message: str = "The database is not answering; nothing was changed. Try again in a moment.") -> None:
        super().__init__(message)
