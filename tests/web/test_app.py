"""The application factory: migrations, instance folder, cookies, headers, error pages."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from sqlalchemy import inspect, text

from sonatina.web import create_app
from sonatina.web.extensions import db


def test_factory_migrates_and_keeps_a_secret_key(app_config, instance):
    config = {k: v for k, v in app_config.items()}
    app = create_app(config)
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "songs", "jobs", "api_tokens", "login_attempts", "alembic_version"} <= tables
        with db.engine.connect() as conn:
            assert conn.execute(text("select version_num from alembic_version")).scalar() == "0003"  # the newest migration
    key_file = instance / "secret_key"
    assert len(key_file.read_text().strip()) == 64
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    again = create_app(config)  # a restart reuses the key and finds the schema current
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_session_cookies_are_httponly_and_lax(client, auth):
    response = auth.signup()
    assert response.status_code == 200
    response = auth.logout()
    response = auth.login(remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    remember = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session, remember):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers_and_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing here" in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_oversized_upload_gets_a_friendly_413(app, client, auth):
    auth.signup()
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    big = io.BytesIO(b"\0" * (2 * 1024 * 1024))
    response = auth.post("/studio/generate", {"primer": (big, "huge.mid")}, content_type="multipart/form-data")
    assert response.status_code == 413  # the form again, naming the limit (test_upload_limit.py)
    assert "The primer is larger than 1 MB" in response.get_data(as_text=True)
    assert not [p for p in Path(app.config["FILES_DIR"]).rglob("*") if p.is_file()]


def test_pages_use_only_local_assets(client):
    html = client.get("/signup").get_data(as_text=True)
    assert "http://" not in html.replace("http://localhost", "") and "https://" not in html
    css = client.get("/static/css/studio.css")
    assert css.status_code == 200 and b"--accent" in css.data


PUBLIC = {"/", "/signup", "/login", "/logout", "/api/openapi.json", "/api/docs", "/api/token", "/static/<path:filename>"}


def test_every_private_route_refuses_anonymous_visitors(app, client):
    """Walks the URL map, so a route added later without login_required fails here."""
    from webhelpers import csrf_token

    token = csrf_token(client)
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.rule in PUBLIC:
            continue
        url = rule.rule
        for name, converter in rule._converters.items():
            url = re.sub(rf"<[^>]*{name}>", "1" if "Integer" in type(converter).__name__ else "x", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token})
            if url.startswith("/api/"):
                assert response.status_code == 401, (method, url, response.status_code)
            else:
                assert response.status_code == 302 and response.headers["Location"].startswith("/login"), (method, url)
            checked += 1
    assert checked >= 20


def test_config_reads_the_environment_and_test_config_wins(tmp_path, app_config):
    from datetime import timedelta

    from sonatina.web.config import Config

    config = Config(tmp_path, {"DATABASE_URL": "postgresql://db/x", "SONATINA_REDIS_URL": "redis://r/0",
                               "SONATINA_MODELS": os.pathsep.join(["/runs/a", "/runs/b"]), "SONATINA_SECURE_COOKIES": "1"})
    assert config.DATABASE_URL == "postgresql://db/x" and config.REDIS_URL == "redis://r/0"
    assert config.MODEL_PATHS == ["/runs/a", "/runs/b"]
    assert config.SESSION_COOKIE_SECURE and config.REMEMBER_COOKIE_SECURE
    plain = Config(tmp_path, {})
    assert plain.DATABASE_URL == f"sqlite:///{tmp_path / 'sonatina.db'}" and plain.REDIS_URL is None
    assert not plain.SESSION_COOKIE_SECURE and plain.HUEY_FILE == str(tmp_path / "queue.db")
    assert timedelta(days=1) <= plain.REMEMBER_COOKIE_DURATION <= timedelta(days=30)
    app = create_app({**app_config, "SONGS_PER_PAGE": 3})
    assert app.config["SONGS_PER_PAGE"] == 3 and app.config["MAX_SECONDS"] == 600
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024 and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["FILES_DIR"] == str(Path(app.instance_path) / "files")


def test_the_welcome_page_names_what_the_studio_does(app, client):
    page = client.get("/").get_data(as_text=True)
    assert "Compose something new." in page
    offered = page.split('id="hero-convert"')[1].split("</p>")[0]
    assert "converted into another genre (classical, folk, jazz, pop or rock)" in offered  # convert's own choices
