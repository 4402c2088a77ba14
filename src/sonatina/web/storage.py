"""Files users make or upload, kept under <instance>/files/<kind>/ with generated names.

The database stores only the relative name ("midi/3f9c...e1.mid"); nothing a user typed
ever becomes part of a path.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app

KINDS = ("midi", "audio", "photos", "primers")


def root() -> Path:
    return Path(current_app.config["FILES_DIR"])


def new_name(kind: str, suffix: str) -> str:
    """A fresh relative name like 'midi/<32 hex>.mid' (the folder is created)."""
    if kind not in KINDS:
        raise ValueError(f"unknown file kind {kind!r}")
    (root() / kind).mkdir(mode=0o700, parents=True, exist_ok=True)  # users' files: the server's eyes only
    return f"{kind}/{secrets.token_hex(16)}{suffix}"


def path(name: str) -> Path:
    """Absolute path of a stored name, refusing anything that would leave the files folder."""
    base = root().resolve()
    full = (base / name).resolve()
    if base not in full.parents:
        raise ValueError(f"stored name {name!r} leaves the files folder")
    return full


def delete(*names: str | None) -> None:
    for name in names:
        if name:
            path(name).unlink(missing_ok=True)
