"""Browser tests: the fixtures live in ``tests/server_fixtures.py`` (shared with tests/security)."""

from tests.server_fixtures import CHROMIUM, CHROMIUM_ARGS, Server, login, set_language

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "Server", "login", "set_language"]
