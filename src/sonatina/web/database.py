"""SQLAlchemy 2 engine and session bound to a Flask app, with Alembic run at start-up.

Flask-SQLAlchemy is not needed for this: one engine per app, one scoped session per
request (removed at teardown), and `upgrade()` applies the migrations programmatically so
that `sonatina serve` on a fresh instance folder or database needs no separate step.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class Base(DeclarativeBase):
    pass


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the worker thread write job progress while pages read; the busy timeout
    # makes concurrent writers wait instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _scope() -> int:
    # One session per app context (not per thread): a job run synchronously inside a
    # request (tests' immediate mode) gets its own session and cannot close the request's.
    from flask import has_app_context
    from flask.globals import app_ctx

    return id(app_ctx._get_current_object()) if has_app_context() else threading.get_ident()


class Database:
    """Holds the current app's engine and a scoped session (`db.session`)."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._factory = sessionmaker(expire_on_commit=False)
        self.session = scoped_session(self._factory, scopefunc=_scope)

    def init_app(self, app) -> None:
        # One app per process in use; tests build many in a row, so drop the previous pool.
        if self.engine is not None:
            self.session.remove()
            self.engine.dispose()
        self.engine = make_engine(app.config["DATABASE_URL"])
        self._factory.configure(bind=self.engine)
        app.extensions["sonatina_db"] = self

        @app.teardown_appcontext
        def _remove_session(_exc):
            self.session.remove()

    def upgrade(self) -> None:
        """Apply every Alembic migration not yet applied (creates the schema on first start)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
