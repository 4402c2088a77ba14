"""Alembic environment: run with the connection `Database.upgrade()` hands over."""

from alembic import context
from sqlalchemy import create_engine

from sonatina.web import models  # noqa: F401  (registers the tables on Base.metadata)
from sonatina.web.database import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        # Used only when developers run `alembic` by hand with -x url=...
        url = context.get_x_argument(as_dictionary=True)["url"]
        with create_engine(url).connect() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
            conn.commit()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
