"""Password hashing (argon2id) and the login rate limit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from sonatina.web.extensions import db
from sonatina.web.models import LoginAttempt

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

LOGIN_LIMIT = 5  # failed attempts ...
LOGIN_WINDOW = timedelta(minutes=1)  # ... per (IP, username) within this window


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _key(ip: str | None, username: str) -> str:
    return f"{ip or '-'}|{username.strip().lower()}"[:200]


def login_blocked(ip: str | None, username: str) -> bool:
    since = datetime.now(timezone.utc) - LOGIN_WINDOW
    count = db.session.scalar(
        select(func.count()).select_from(LoginAttempt)
        .where(LoginAttempt.key == _key(ip, username), LoginAttempt.at > since)
    )
    return count >= LOGIN_LIMIT


def record_failure(ip: str | None, username: str) -> None:
    now = datetime.now(timezone.utc)
    # Old rows are useless; trimming here keeps the table small without a cron job.
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - 10 * LOGIN_WINDOW))
    db.session.add(LoginAttempt(key=_key(ip, username), at=now))
    db.session.commit()


def clear_failures(ip: str | None, username: str) -> None:
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.key == _key(ip, username)))
    db.session.commit()
