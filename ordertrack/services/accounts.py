"""Accounts: argon2 password hashes, server-side expiring sessions, login throttling."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from ordertrack.db.models import User, UserSession
from ordertrack.domain.access import Principal
from ordertrack.domain.roles import Role
from ordertrack.services.errors import LoginFailed

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")
FAILURE_WINDOW = timedelta(minutes=15)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


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
    )


def login_delay(*, failed_logins: int, free_attempts: int, step_seconds: float) -> float:
    """Seconds to wait before answering a login after ``failed_logins`` recent failures.

    Args:
        failed_logins: failures in the current window, including this one.
        free_attempts: failures answered without delay.
        step_seconds: the first delay; it doubles with each failure, up to 30 s.
    """
    if failed_logins <= free_attempts:
        return 0.0
    return min(step_seconds * 2 ** (failed_logins - free_attempts - 1), 30.0)


def login(
    session: Session,
    *,
    username: str,
    password: str,
    now: datetime,
    session_hours: float,
    free_attempts: int = 3,
    step_seconds: float = 1.0,
) -> tuple[str, Principal]:
    """Check credentials and open a session.

    Returns:
        The session secret for the browser and the principal.

    Raises:
        LoginFailed: one generic message for unknown user, wrong password or inactive
            account, with ``delay`` seconds the caller should wait before answering.
    """
    username = (username or "").strip().lower()[:80]
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password or "")  # same cost as a real check
        except VerificationError:
            pass
        raise LoginFailed()
    try:
        ok = _hasher.verify(user.password_hash, password or "") and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        recent = user.last_failed_at is not None and now - user.last_failed_at < FAILURE_WINDOW
        user.failed_logins = (user.failed_logins if recent else 0) + 1
        user.last_failed_at = now
        session.add(user)
        session.commit()
        raise LoginFailed(
            delay=login_delay(
                failed_logins=user.failed_logins, free_attempts=free_attempts, step_seconds=step_seconds
            )
        )
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.last_failed_at = None
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
