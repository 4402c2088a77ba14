"""The real task queue: Huey with SQLite storage (default) and Redis, workers in threads."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from helpers import free_port
from sonatina.web import create_app, jobs
from webhelpers import AuthActions, PASSWORD


def wait_for_job(client, headers, url, timeout=60) -> dict:
    deadline = time.monotonic() + timeout
    seen = set()
    while time.monotonic() < deadline:
        job = client.get(url, headers=headers).json
        seen.add(job["status"])
        if job["status"] in ("done", "failed"):
            job["seen"] = seen
            return job
        time.sleep(0.1)
    raise AssertionError(f"job did not finish in {timeout} s (saw {seen})")


def run_one_job(app, model_name) -> dict:
    client = app.test_client()
    AuthActions(client).signup()
    headers = {"Authorization": "Bearer " + client.post("/api/token", json={"username": "ada", "password": PASSWORD}).json["token"]}
    job = client.post("/api/generate", headers=headers, json={"model": model_name, "seconds": 8, "seed": 3}).json
    assert job["status"] == "queued" and job["songs"] == []  # nothing runs until a worker takes it
    consumer = jobs.start_background_consumer(app, workers=1)
    try:
        done = wait_for_job(client, headers, job["urls"]["self"])
    finally:
        consumer.stop(graceful=True)
    assert done["status"] == "done", done["error"]
    assert done["progress"] == 1 and len(done["songs"]) == 1 and done["songs"][0]["seed"] == 3
    midi = client.get(done["songs"][0]["urls"]["midi"], headers=headers)
    assert midi.status_code == 200 and midi.data.startswith(b"MThd")
    return done


def test_sqlite_queue_with_background_worker(app_config, model_name, instance):
    app = create_app({**app_config, "HUEY_IMMEDIATE": False})
    assert type(app.extensions["huey"]).__name__ == "SqliteHuey"
    run_one_job(app, model_name)
    assert (instance / "queue.db").exists()


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is missing (Debian package redis-server; `make sysdeps` installs it)")
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def test_redis_queue_when_configured(app_config, model_name, redis_url):
    app = create_app({**app_config, "HUEY_IMMEDIATE": False, "REDIS_URL": redis_url})
    assert type(app.extensions["huey"]).__name__ == "RedisHuey"
    run_one_job(app, model_name)


def test_jobs_cut_off_by_a_restart_are_marked_failed(app, client, model_name):
    from sonatina.web.extensions import db
    from sonatina.web.models import Job, User

    AuthActions(client).signup()
    with app.app_context():
        owner = db.session.query(User).one()
        db.session.add_all([Job(id="a" * 32, owner_id=owner.id, status="running", params={}),
                            Job(id="b" * 32, owner_id=owner.id, status="done", params={})])
        db.session.commit()
    assert jobs.fail_interrupted(app) == 1
    page = client.get("/studio/jobs/" + "a" * 32).get_data(as_text=True)
    assert "server restarted while composing" in page
