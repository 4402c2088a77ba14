"""Where Sonatina keeps converted files and token arrays (content-addressed)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def cache_dir(*parts: str) -> Path:
    """$SONATINA_CACHE (default ~/.cache/sonatina) joined with parts, created on demand."""
    root = Path(os.environ.get("SONATINA_CACHE") or Path.home() / ".cache" / "sonatina")
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_digest(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
