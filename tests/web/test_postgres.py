"""The same studio on PostgreSQL (DATABASE_URL): migrations, accounts, songs, ownership, deletion."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from sonatina.web import create_app
from sonatina.web.extensions import db
from sonatina.web.models import Job, Song
from webhelpers import PASSWORD, AuthActions, generate

pytestmark = pytest.mark.postgres


def test_studio_on_postgresql(app_config, fresh_postgres_url, model_name):
    app = create_app({**app_config, "DATABASE_URL": fresh_postgres_url})
    assert db.engine.dialect.name == "postgresql"
    with app.app_context():
        assert {"users", "songs", "jobs", "api_tokens", "alembic_version"} <= set(inspect(db.engine).get_table_names())
    client = app.test_client()
    auth = AuthActions(client)
    auth.signup("ada")
    response = generate(auth, model_name, seed="4000000000", variations="2")  # a seed beyond 32-bit signed
    assert client.get(response.headers["Location"]).status_code == 200
    page = client.get("/dashboard").get_data(as_text=True)
    assert page.count('data-testid="song-item"') == 2
    song_id = int(page.split('data-song-id="')[1].split('"')[0])
    assert 'data-setting="seed">4000000001<' in client.get(f"/songs/{song_id}").get_data(as_text=True)
    auth.logout()
    auth.signup("bob")
    assert client.get(f"/songs/{song_id}").status_code == 404
    assert auth.post(f"/songs/{song_id}/delete").status_code == 404
    auth.logout()
    auth.login("ada")
    assert auth.post(f"/songs/{song_id}/delete").status_code == 302
    assert client.get(f"/songs/{song_id}").status_code == 404
    assert client.get("/dashboard").get_data(as_text=True).count('data-testid="song-item"') == 1
    # deleting the account takes the songs, jobs and files with it
    assert auth.post("/account/delete", {"password": PASSWORD}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Song)) == 0
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    assert not [p for p in Path(app.config["FILES_DIR"]).rglob("*") if p.is_file()]
    # a restart against the same database finds the schema current
    create_app({**app_config, "DATABASE_URL": fresh_postgres_url})


def test_login_limit_holds_under_a_burst_on_postgresql(app_config, fresh_postgres_url):
    """Record-then-count keeps the limit on PostgreSQL's READ COMMITTED too (see security.py)."""
    from test_security import burst

    from sonatina.web import security

    app = create_app({**app_config, "DATABASE_URL": fresh_postgres_url})
    auth = AuthActions(app.test_client())
    auth.signup("ada")
    auth.logout()
    statuses = burst(app, 30)
    assert statuses.count(401) <= security.LOGIN_LIMIT and set(statuses) <= {401, 429}, statuses
