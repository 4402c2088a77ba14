"""The studio's settings in one place: `Config(instance)` holds every key the app reads.

The defaults suit one machine; a few come from the environment (no file to edit):

  DATABASE_URL            e.g. postgresql://user@host/db; default SQLite in the instance folder
  SONATINA_REDIS_URL      queue in Redis instead of SQLite (for workers on other machines)
  SONATINA_MODELS         extra trained run folders offered next to the shipped models
                          (separated by os.pathsep)
  SONATINA_SECURE_COOKIES 1 behind HTTPS: cookies only over HTTPS, and an HSTS header

`create_app(test_config)` applies test_config on top, so tests override any key.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

MAX_UPLOAD_MB = 16


class Config:
    """Upper-case attributes become `app.config` keys (Flask's `from_object`)."""

    # Generation
    SONGS_PER_PAGE = 10
    MAX_SECONDS = 600
    MAX_VARIATIONS = 8
    HUEY_IMMEDIATE = False  # True runs jobs inside the request (tests)

    # Requests and cookies
    MAX_CONTENT_LENGTH = MAX_UPLOAD_MB * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # A stolen remember-me cookie is worth two weeks at most (and nothing after logout or a
    # password change, which bump the user's session version that the cookie carries).
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session (forms left open for hours still work)

    def __init__(self, instance: Path, environ: os._Environ | dict | None = None) -> None:
        env = os.environ if environ is None else environ
        secure = env.get("SONATINA_SECURE_COOKIES") == "1"
        self.DATABASE_URL = env.get("DATABASE_URL") or f"sqlite:///{instance / 'sonatina.db'}"
        self.REDIS_URL = env.get("SONATINA_REDIS_URL")
        self.HUEY_FILE = str(instance / "queue.db")
        self.FILES_DIR = str(instance / "files")
        # Behind HTTPS, set SONATINA_SECURE_COOKIES=1 so cookies never travel over plain HTTP.
        self.SESSION_COOKIE_SECURE = secure
        self.REMEMBER_COOKIE_SECURE = secure
        # Trained run folders offered next to the shipped models (e.g. from `sonatina train`).
        self.MODEL_PATHS = [p for p in env.get("SONATINA_MODELS", "").split(os.pathsep) if p]
