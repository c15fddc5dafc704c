"""The base of every error whose message may be shown to the user as it is."""


class UserFacingError(Exception):
    """An error whose ``message`` is written for the user (entry points show it as it is)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)
