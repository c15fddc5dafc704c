"""Runtime settings read from the environment (prefix ``ORDERTRACK_``).

``ORDERTRACK_DATABASE_URL``  SQLAlchemy URL; default: SQLite file ``ordertrack.db`` here.
``ORDERTRACK_SECRET_KEY``    signs links; set it in production (else ``data/secret_key``, which
                             ``make run`` creates once; the server refuses to start without one).
``ORDERTRACK_SESSION_HOURS`` how long a login lasts.
``ORDERTRACK_PUBLIC_URL``    the origin browsers use (CORS for the websocket).
``ORDERTRACK_SCHEDULER``     "on" (default) or "off": run the timer sweep in this process.
``ORDERTRACK_SMTP_HOST/PORT/SECURITY/USER/PASSWORD``, ``ORDERTRACK_MAIL_FROM``,
``ORDERTRACK_SUPPORT_EMAIL``: where the outbox delivers e-mail (no host: into the Maildir
``ORDERTRACK_MAIL_DIR``, for demos and development).
``ORDERTRACK_DB_TIMEOUT_SECONDS``, ``..._DB_STATEMENT_TIMEOUT_MS``, ``..._DB_THREADS``: how long a
user waits for the database at most, PostgreSQL's statement timeout, the blocking-work pool.
``ORDERTRACK_LOGIN_FAILURES_PER_ACCOUNT/_PER_ADDRESS``, ``ORDERTRACK_LOGIN_LOCKOUT_MINUTES``: failed
sign-ins per account name and per client address that lock it until its window ends.
``ORDERTRACK_ATTACHMENTS_DIR``, ``ORDERTRACK_ATTACHMENT_MAX_BYTES``: where uploads are kept, how big.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


KNOWN_WEAK_KEYS = frozenset({"insecure-dev-key-set-ORDERTRACK_SECRET_KEY", "changeme", "secret"})


class InsecureSecretKey(RuntimeError):
    """The server must not run with this secret key (missing, known or too short)."""


def ensure_secret_key_file(path: Path) -> bool:
    """Create ``path`` with a random key (mode 0600) unless it exists; whether it was created."""
    import secrets

    if path.is_file() and path.read_text().strip():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(secrets.token_hex(32) + "\n")
    return True


class Settings(BaseSettings):
    """All knobs of a running ordertrack, with sensible local defaults."""

    model_config = SettingsConfigDict(env_prefix="ORDERTRACK_", extra="ignore")

    database_url: str = f"sqlite:///{ROOT / 'ordertrack.db'}"
    secret_key: str = ""  # empty: read from secret_key_file (``make run`` creates one)
    secret_key_file: str = str(ROOT / "data" / "secret_key")
    session_hours: float = 12.0
    public_url: str = "http://localhost:3000"
    scheduler: str = "on"
    sweep_seconds: float = 1.0
    business_tz: str = "Europe/London"
    business_start_hour: int = 9
    business_end_hour: int = 17
    holiday_country: str = "GB"
    login_failures_per_account: int = Field(default=5, ge=1)  # failed sign-ins that lock an account name
    login_failures_per_address: int = Field(default=20, ge=1)  # ... that lock a client address
    login_lockout_minutes: float = Field(default=15.0, gt=0)  # the counting window, and the longest lock
    order_form_per_hour: int = 20  # new anonymous web orders per client address
    smtp_host: str = ""  # empty: no SMTP server; the outbox writes each message into mail_dir
    smtp_port: int = 25
    smtp_security: str = "none"  # none | starttls | ssl
    smtp_user: str = ""
    smtp_password: str = ""
    mail_from: str = "ordertrack <noreply@ordertrack.example>"
    support_email: str = "support@ordertrack.example"
    escalation_business_hours: float = 2.0
    attachments_dir: str = str(ROOT / "data" / "attachments")
    mail_dir: str = str(ROOT / "data" / "mail")
    attachment_max_bytes: int = 5 * 1024 * 1024
    db_timeout_seconds: float = 4.5  # a user waits at most this long for the database
    db_statement_timeout_ms: int = 4000  # PostgreSQL statement_timeout and lock_timeout
    db_threads: int = 8
    redis_prefix: str = "ordertrack:"  # keys and channels in Redis (rate limits, the change relay)  # blocking work (transactions, password hashing) per worker

    def signing_key(self) -> str:
        """The deployment's secret (signs order-form links, outbox Message-IDs).

        Raises:
            InsecureSecretKey: none is set, or it is a known or short one.
        """
        key = self.secret_key.strip()
        if not key:
            path = Path(self.secret_key_file)
            key = path.read_text().strip() if path.is_file() else ""
        if not key:
            raise InsecureSecretKey(
                "No secret key: set ORDERTRACK_SECRET_KEY (at least 32 random characters, e.g. "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`), or run `make run`, which "
                f"creates {self.secret_key_file} once.")
        if key in KNOWN_WEAK_KEYS or len(key) < 32:
            raise InsecureSecretKey("ORDERTRACK_SECRET_KEY is a development or short key: use at least 32 "
                                    "random characters.")
        return key

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
