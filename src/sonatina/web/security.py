"""Password hashing (argon2id), logging in under a rate limit, and the Content-Security-Policy.

`authenticate` is the one way to check a login (the form and `/api/token` both use it):

- Every attempt is written to the database *before* the password is checked, and the limit
  is counted after that write is committed. Of N simultaneous attempts the k-th to commit
  sees at least k rows, so no more than the limit are ever checked, on SQLite and
  PostgreSQL alike, without locks.
- Two limits: per (address, account), where the username and the email name one account,
  and per address over all names, so one password tried across many usernames is stopped.
- An unknown name costs one argon2 verification like a known one (a dummy hash), so timing
  does not tell which usernames exist.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import secrets
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select

from sonatina.web.extensions import db
from sonatina.web.models import LoginAttempt, User

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

LOGIN_LIMIT = 5  # attempts per (address, account) ...
LOGIN_WINDOW = timedelta(minutes=1)  # ... within this window
ADDRESS_LIMIT = 20  # attempts per address, whatever the names ...
ADDRESS_WINDOW = timedelta(minutes=10)  # ... within this window
TOO_MANY = "Too many failed logins; wait a minute and try again."


class TooManyLogins(Exception):
    """This address (or this address for this account) tried too often: answer 429."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Same parameters as real hashes, so verifying it costs the same time.
    return _hasher.hash(secrets.token_hex(16))


def find_user(name: str) -> User | None:
    """The account a login name means: its username or its email, in any case."""
    name = name.strip().lower()
    return db.session.scalar(select(User).where(or_(func.lower(User.username) == name, func.lower(User.email) == name)))


def _address(ip: str | None) -> str:
    # An IPv6 host usually holds a whole /64: count the network, or it could rotate addresses.
    try:
        parsed = ipaddress.ip_address(ip or "")
    except ValueError:
        return "-"
    if parsed.version == 6:
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _keys(ip: str | None, user: User | None, name: str) -> tuple[str, str]:
    address = _address(ip)
    account = f"id:{user.id}" if user is not None else f"name:{name.strip().lower()}"
    return f"acct|{address}|{account}"[:200], f"addr|{address}"


def _count(key: str, since: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(LoginAttempt)
                             .where(LoginAttempt.key == key, LoginAttempt.at > since))


def authenticate(ip: str | None, name: str, password: str) -> User | None:
    """The user if `password` is theirs, else None; raises TooManyLogins past either limit."""
    user = find_user(name)
    account_key, address_key = _keys(ip, user, name)
    now = datetime.now(timezone.utc)
    mine = [LoginAttempt(key=account_key, at=now), LoginAttempt(key=address_key, at=now)]
    # Old rows are useless; trimming here keeps the table small without a cron job.
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - 2 * ADDRESS_WINDOW))
    db.session.add_all(mine)
    db.session.commit()  # recorded first, counted second: see the module's docstring
    if _count(account_key, now - LOGIN_WINDOW) > LOGIN_LIMIT or _count(address_key, now - ADDRESS_WINDOW) > ADDRESS_LIMIT:
        raise TooManyLogins(TOO_MANY)
    if not check_password(user.password_hash if user is not None else _dummy_hash(), password) or user is None:
        return None
    # Right password: this account's failures from here are forgiven; the address keeps its
    # other failures, so an attacker's own account cannot wash out a spraying run.
    db.session.execute(delete(LoginAttempt).where(or_(LoginAttempt.key == account_key, LoginAttempt.id == mine[1].id)))
    db.session.commit()
    return user


# ---------------------------------------------------------------- Content-Security-Policy

TEMPLATES = Path(__file__).with_name("templates")
_HANDLER = re.compile(r"""\son[a-z]+="([^"]*)\"""")


@lru_cache(maxsize=1)
def content_security_policy() -> str:
    """Scripts, styles, fonts, images and connections only from this site; no plugins, no
    framing, forms post only here. The player needs two allowances: 'wasm-unsafe-eval' (its
    synthesizer compiles WebAssembly in the AudioWorklet) and the hashes of the few inline
    event handlers in the templates (its "player is not built" message), nothing else inline."""
    hashes = sorted({
        "'sha256-" + base64.b64encode(hashlib.sha256(handler.encode()).digest()).decode() + "'"
        for template in TEMPLATES.rglob("*.html") for handler in _HANDLER.findall(template.read_text())
    })
    scripts = " ".join(["'self'", "'wasm-unsafe-eval'"] + (["'unsafe-hashes'", *hashes] if hashes else []))
    return "; ".join([
        "default-src 'self'", f"script-src {scripts}", "style-src 'self'", "img-src 'self'",
        "media-src 'self' blob:", "connect-src 'self'", "worker-src 'self'", "font-src 'self'",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ])
