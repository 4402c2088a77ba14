"""The real task queue: Huey with SQLite storage (default) and Redis, workers in threads."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

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


def _signed_in(app) -> tuple:
    client = app.test_client()
    AuthActions(client).signup()
    token = client.post("/api/token", json={"username": "ada", "password": PASSWORD}).json["token"]
    return client, {"Authorization": "Bearer " + token}


def test_a_job_the_queue_lost_runs_after_a_restart(app_config, model_name):
    """Handed out by the queue but never marked running (the process died in between): the
    row says queued, the queue holds nothing; the next start enqueues it again."""
    app = create_app({**app_config, "HUEY_IMMEDIATE": False})
    client, headers = _signed_in(app)
    job = client.post("/api/generate", headers=headers, json={"model": model_name, "seconds": 8, "seed": 3}).json
    huey = app.extensions["huey"]
    assert huey.dequeue() is not None and huey.pending_count() == 0  # taken, then the taker died
    restarted = create_app({**app_config, "HUEY_IMMEDIATE": False})
    consumer = jobs.start_background_consumer(restarted, workers=1)
    try:
        done = wait_for_job(client, headers, job["urls"]["self"], timeout=30)
    finally:
        consumer.stop(graceful=True)
    assert done["status"] == "done" and len(done["songs"]) == 1


def test_a_job_enqueued_twice_runs_once(app_config, model_name):
    app = create_app({**app_config, "HUEY_IMMEDIATE": False})
    client, headers = _signed_in(app)
    job = client.post("/api/generate", headers=headers, json={"model": model_name, "seconds": 8, "seed": 3}).json
    with app.app_context():
        jobs.enqueue_generation(job["id"])
    assert jobs.requeue_lost(app) == 0  # it is in the queue (twice): nothing to recover
    consumer = jobs.start_background_consumer(app, workers=2)
    try:
        done = wait_for_job(client, headers, job["urls"]["self"], timeout=30)
        deadline = time.monotonic() + 10
        while app.extensions["huey"].pending_count() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        consumer.stop(graceful=True)
    assert done["status"] == "done" and len(client.get(job["urls"]["self"], headers=headers).json["songs"]) == 1


def test_a_failed_commit_leaves_no_files_behind(app, client, model_name):
    """MIDI files are written as *.part and moved into place only after the songs commit."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from sonatina.web.extensions import db
    from sonatina.web.models import Job, Song

    def refuse_songs(session):
        if any(isinstance(row, Song) for row in session.new):
            raise RuntimeError("disk full")

    auth = AuthActions(client)
    auth.signup()
    event.listen(Session, "before_commit", refuse_songs)
    try:
        response = auth.post("/studio/generate", {"model": model_name, "seconds": "8", "seed": "7", "variations": "2"},
                             content_type="multipart/form-data")
    finally:
        event.remove(Session, "before_commit", refuse_songs)
    assert response.status_code == 302
    with app.app_context():
        job = db.session.query(Job).one()
        assert job.status == "failed" and job.error == jobs.INTERNAL_ERROR
        assert db.session.query(Song).count() == 0
    assert [p for p in Path(app.config["FILES_DIR"]).rglob("*") if p.is_file()] == []


def test_partial_files_of_a_dead_process_are_removed_at_start(app):
    folder = Path(app.config["FILES_DIR"]) / "midi"
    folder.mkdir(parents=True, exist_ok=True)
    old, fresh, kept = folder / "a.mid.part", folder / "b.mid.part", folder / "c.mid"
    for path in (old, fresh, kept):
        path.write_bytes(b"MThd")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert jobs.remove_partial_files(app) == 1
    assert not old.exists() and fresh.exists() and kept.exists()


def test_an_idle_worker_starts_a_job_within_a_fraction_of_a_second(app_config, model_name):
    """Huey's default backoff let an idle worker sleep up to 10 s between polls."""
    app = create_app({**app_config, "HUEY_IMMEDIATE": False})
    client, headers = _signed_in(app)
    consumer = jobs.start_background_consumer(app, workers=1)
    try:
        time.sleep(4)  # idle: Huey's default would poll about every 0.7 s by now, then every 10 s
        assert all(worker.delay <= 0.3 for worker, _thread in consumer.worker_threads)
        job = client.post("/api/generate", headers=headers, json={"model": model_name, "seconds": 8, "seed": 3}).json
        queued_at = time.monotonic()
        while client.get(job["urls"]["self"], headers=headers).json["status"] == "queued":
            assert time.monotonic() - queued_at < 1.0, "an idle worker took over a second to start the job"
            time.sleep(0.01)
        wait_for_job(client, headers, job["urls"]["self"])
    finally:
        consumer.stop(graceful=True)


def test_jobs_get_their_runner_instead_of_importing_the_songs_service():
    """The package-wide cycle check is tests/test_layout.py; this is the edge that used to loop."""
    import ast

    import sonatina.web.jobs

    tree = ast.parse(Path(sonatina.web.jobs.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names} | \
        {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "songs" not in imported and "sonatina.web.songs" not in imported
