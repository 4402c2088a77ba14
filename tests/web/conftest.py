"""Fixtures for the web studio tests: app, client, runner, auth helper, tiny model, PostgreSQL.

Stable element ids in the studio's templates (for the browser tests and anyone scripting it):
  navigation      #nav-signup #nav-login #nav-dashboard #nav-generate #nav-account (its <img> is
                  the profile photo) #logout-button
  sign up         #signup-form #username #email #password #confirm #photo #signup-submit
  log in          #login-form #username #password #remember #login-submit
  account         #profile-form #profile-photo #profile-submit #password-form #password-submit
                  #token-form #token-submit #new-token #delete-account-form #delete_password
                  #delete-account-submit
  generate        #generate-form #model #genre #instrument #seconds #tempo #key #temperature
                  #variations #seed #top_k #top_p #primer #generate-submit
  job page        #job (data-status) #job-progress #job-status #job-songs
  song page       #song-title #song-length #song-settings #download-midi #download-wav
                  #download-mp3 #player-section (holds player/_player.html) #make-again #vary
                  #rename-form #rename-title #rename-submit #delete-song (opens) #delete-confirm
  dashboard       #profile-card #dashboard-photo #song-list, items li[data-testid=song-item]
                  [data-song-id] with a.quick-play[data-testid=quick-play] (-> song page ?autoplay=1),
                  #pager #no-songs
  messages        li[data-testid=flash], [data-testid=error-message] on error pages
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from helpers import free_port
from sonatina.web import create_app
from webhelpers import AuthActions, generate

@pytest.fixture
def instance(tmp_path) -> Path:
    return tmp_path / "instance"


@pytest.fixture
def app_config(instance, tiny_run) -> dict:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "HUEY_IMMEDIATE": True,  # jobs run inside the request; test_jobs.py runs the real queue
        "MODEL_PATHS": [str(tiny_run)],
        "DATABASE_URL": f"sqlite:///{instance / 'test.db'}",
        "REDIS_URL": None,
    }


@pytest.fixture
def app(app_config):
    return create_app(app_config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def model_name(tiny_run) -> str:
    return Path(tiny_run).name


@pytest.fixture
def make_song(auth, app, model_name):
    """Generate a short song through the form; returns its id."""

    def _make(**fields) -> int:
        response = generate(auth, model_name, **fields)
        assert response.status_code == 302, response.get_data(as_text=True)
        page = auth.client.get(response.headers["Location"])
        assert page.status_code == 302 and "/songs/" in page.headers["Location"]
        return int(page.headers["Location"].rsplit("/", 1)[1])

    return _make


# ---------------------------------------------------------------- PostgreSQL

@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL server (initdb + pg_ctl as the `postgres` user) on a free port."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        pytest.skip("PostgreSQL server binaries are missing (Debian package postgresql; `make sysdeps` installs it)")
    bindir = Path(bins[-1]).parent
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("running as root without `runuser` to start PostgreSQL as the postgres user")
        try:
            import pwd

            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("no `postgres` system user to run the PostgreSQL server as")
        as_postgres = [runuser, "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="sonatina-pg-"))
    data, sockets = base / "data", base / "sock"
    sockets.mkdir()
    if as_postgres:
        for path in (base, sockets):
            os.chown(path, pw.pw_uid, pw.pw_gid)
    port = free_port()
    subprocess.run(as_postgres + [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                                  "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
    subprocess.run(as_postgres + [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-l", str(base / "log"),
                                  "-o", f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off",
                                  "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_postgres + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def fresh_postgres_url(postgres_url):
    """An empty database on the throwaway server for one test."""
    import psycopg

    name = f"sonatina_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield plain.rsplit("/", 1)[0] + f"/{name}"
    from sonatina.web.extensions import db

    if db.engine is not None:
        db.engine.dispose()
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
