"""Accounts: argon2 password hashes, server-side expiring sessions, sign-in lockout.

Sign-in attempts are counted per account name and per client address in the shared rate
limiter (``ordertrack/services/ratelimit.py``) before any password is checked; a full counter
locks the name or the address until its window ends.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from ordertrack.db.models import User, UserSession
from ordertrack.domain.access import Principal
from ordertrack.domain.ratelimit import minutes_until
from ordertrack.domain.roles import Role
from ordertrack.i18n import ngettext
from ordertrack.services import ratelimit
from ordertrack.services.errors import LoginFailed, LoginLocked
from ordertrack.services.ratelimit import RateLimiter
from ordertrack.settings import Settings

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hashing(_hasher.hash, password)


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def principal_of(user: User) -> Principal:
    """The principal a user row stands for."""
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        reseller_id=user.reseller_id,
        customer_id=user.customer_id,
        language=user.language,
    )


@dataclass(frozen=True)
class LoginLimits:
    """How many failed sign-ins lock an account name or a client address, and for how long."""

    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)


def login_limits(settings: Settings) -> LoginLimits:
    """The limits configured by ``ORDERTRACK_LOGIN_FAILURES_PER_ACCOUNT`` / ``..._PER_ADDRESS`` /
    ``ORDERTRACK_LOGIN_LOCKOUT_MINUTES``.

    Args:
        settings: the running settings.
    """
    return LoginLimits(per_account=settings.login_failures_per_account,
                       per_address=settings.login_failures_per_address,
                       window=timedelta(minutes=settings.login_lockout_minutes))


def locked_message(minutes: int) -> str:
    """"Too many sign-in attempts. Try again in N minutes." in the current language."""
    return ngettext("Too many sign-in attempts. Try again in {n} minute.",
                    "Too many sign-in attempts. Try again in {n} minutes.", minutes).format(n=minutes)


def _locked(retry_at: datetime, now: datetime) -> LoginLocked:
    return LoginLocked(locked_message(minutes_until(retry_at, now)), retry_at=retry_at)


_HASH_THREADS = 2
_hash_pool: ThreadPoolExecutor | None = None
_hash_pool_lock = threading.Lock()


def _lower_priority() -> None:
    """Hashing threads yield the CPU to everything else (on Linux the nice value is per thread,
    and argon2's lane threads inherit it)."""
    with suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, 0, 10)


def _hashing(fn, *args):
    """Run an argon2 call on one of ``_HASH_THREADS`` low-priority threads: a burst of
    sign-ins queues here instead of taking every core from the worker's event loop."""
    global _hash_pool
    if _hash_pool is None:
        with _hash_pool_lock:
            if _hash_pool is None:
                _hash_pool = ThreadPoolExecutor(_HASH_THREADS, thread_name_prefix="ot-hash", initializer=_lower_priority)
    return _hash_pool.submit(fn, *args).result()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hashing(_hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def login(
    session: Session,
    *,
    username: str,
    password: str,
    client_address: str,
    now: datetime,
    session_hours: float,
    limiter: RateLimiter,
    limits: LoginLimits,
) -> tuple[str, Principal]:
    """Check credentials and open a session, unless the account name or the address is locked.

    Every attempt is counted BEFORE the password is checked, once per account name and once
    per client address, in counters every worker shares (``limiter``). When either is full
    the attempt is refused without checking the password, saying when to retry. Unknown
    names are counted, locked and hashed exactly like known ones, so nothing tells them
    apart. A successful sign-in clears the account's counter and gives its address back the
    one attempt it used; attempts refused by the account's lock do not use the address's.

    Args:
        session: the database session; its transaction is committed before the hash is
            checked, so no lock is held while hashing.
        username: as typed; compared stripped and lower-case.
        password: as typed.
        client_address: the client's IP address as Reflex resolved it.
        now: the injected current time.
        session_hours: the new session's lifetime.
        limiter: the shared rate limiter (``ratelimit.shared_limiter()``).
        limits: failures per account and per address per window.

    Returns:
        The session secret for the browser and the principal.

    Raises:
        LoginLocked: too many recent attempts for this name or address; the password was
            not checked. Carries ``retry_at``.
        LoginFailed: one generic message for unknown user, wrong password or inactive account.
    """
    username = (username or "").strip().lower()[:80]
    password = password or ""
    by_address = ratelimit.address_bucket("login", client_address)
    by_account = ratelimit.account_bucket("login", username)
    address = limiter.hit(by_address, limit=limits.per_address, window=limits.window, now=now)
    if not address.allowed:
        raise _locked(address.reset_at, now)
    account = limiter.hit(by_account, limit=limits.per_account, window=limits.window, now=now)
    if not account.allowed:
        limiter.refund(by_address, now=now)  # nothing was checked: the address keeps its attempt
        raise _locked(account.reset_at, now)

    user = session.exec(select(User).where(User.username == username)).first()
    user_id, password_hash, active = (user.id, user.password_hash, user.active) if user else (None, _DUMMY_HASH, False)
    session.commit()  # end the read: no transaction (on SQLite, no write lock) is held while hashing
    ok = _verify(password_hash, password) and user_id is not None and active
    if not ok:
        raise LoginFailed()

    user = session.get(User, user_id)
    if user is None:  # deleted while we hashed
        raise LoginFailed()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hashing(_hasher.hash, password)
    secret = secrets.token_urlsafe(32)
    session.add(user)
    session.add(
        UserSession(
            token_hash=_token_hash(secret),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(hours=session_hours),
        )
    )
    session.commit()
    limiter.reset(by_account)
    limiter.refund(by_address, now=now)
    return secret, principal_of(user)


def resolve(session: Session, *, secret: str, now: datetime) -> Principal | None:
    """The principal of a live session, or None when unknown, expired, revoked or inactive."""
    if not isinstance(secret, str) or not 20 <= len(secret) <= 200:
        return None
    row = session.exec(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _token_hash(secret))
    ).first()
    if row is None:
        return None
    user_session, user = row
    if user_session.revoked or user_session.expires_at <= now or not user.active:
        return None
    return principal_of(user)


def resolve_many(session: Session, *, secret_values: set[str], now: datetime) -> dict[str, Principal]:
    """The principals of the live sessions among ``secret_values`` (one query; the rest are absent)."""
    by_hash = {_token_hash(s): s for s in secret_values if isinstance(s, str) and 20 <= len(s) <= 200}
    if not by_hash:
        return {}
    rows = session.exec(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(col(UserSession.token_hash).in_(list(by_hash)))
    ).all()
    return {
        by_hash[us.token_hash]: principal_of(user)
        for us, user in rows
        if not us.revoked and us.expires_at > now and user.active
    }


def logout(session: Session, *, secret: str) -> None:
    """Revoke the session (idempotent)."""
    if not isinstance(secret, str) or not secret:
        return
    row = session.exec(select(UserSession).where(UserSession.token_hash == _token_hash(secret))).first()
    if row is not None and not row.revoked:
        row.revoked = True
        session.add(row)
        session.commit()


def set_language(session: Session, *, principal: Principal, language: str) -> None:
    """Save a user's language (``en``/``ru``); the caller commits."""
    from ordertrack.i18n import normalize
    from ordertrack.services.errors import BadInput

    code = normalize(language)
    if code is None or principal.user_id is None:
        raise BadInput("Unknown language.")
    user = session.get(User, principal.user_id)
    if user is not None and user.language != code:
        user.language = code
        session.add(user)
