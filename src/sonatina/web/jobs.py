"""The task queue (Huey) that runs generation off the request.

Storage: SQLite in the instance folder by default, Redis when SONATINA_REDIS_URL is set,
in memory and synchronous when HUEY_IMMEDIATE is set (tests). The Huey instance and its
task belong to one app (built in `init_app`, which is handed the function that runs a job,
so this module imports nothing from the service layer), and no app is created at import
time. `start_background_consumer` runs the consumer's worker threads inside
`sonatina serve`; `sonatina worker` runs a separate consumer process.

A job row is the truth, the queue entry only a wake-up call: a worker claims a job by
moving its row from queued to running in one UPDATE, so a job enqueued twice runs once,
and at start every queued row without a queue entry (lost with a crash between the
database commit and the enqueue, or handed out and never claimed) is enqueued again.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer
from sqlalchemy import select, update

from sonatina.errors import SonatinaError
from sonatina.web.extensions import db
from sonatina.web.models import Job

log = logging.getLogger(__name__)

INTERNAL_ERROR = "Generation failed because of an internal error; please try again."
# An idle worker polls the queue at most this far apart (Huey's default grows to 10 s, so
# a job on an idle server waited up to 10 s). A poll is one indexed SQLite/Redis read.
POLL_FIRST_S, POLL_BACKOFF, POLL_MAX_S = 0.05, 1.5, 0.25
PARTIAL_SUFFIX = ".part"  # files being written; see songs.run_job


def new_id() -> str:
    return uuid.uuid4().hex


def make_huey(config):
    if config.get("HUEY_IMMEDIATE"):
        return MemoryHuey("sonatina", immediate=True, results=False)
    if config.get("REDIS_URL"):
        return RedisHuey("sonatina", url=config["REDIS_URL"], results=False)
    return SqliteHuey("sonatina", filename=config["HUEY_FILE"], results=False)


def init_app(app, runner: Callable[[Job], object]) -> None:
    """Build the app's queue and its one task, which hands each claimed job to `runner`."""
    huey = make_huey(app.config)

    def generate(job_id: str) -> None:
        """Run one generation job and record its outcome on the Job row."""
        with app.app_context():
            if not _claim(job_id):
                return  # deleted with its owner, or taken by another worker already
            job = db.session.get(Job, job_id)
            try:
                runner(job)
            except SonatinaError as exc:
                _fail(job_id, str(exc))
            except Exception:
                log.exception("generation job %s failed", job_id)
                _fail(job_id, INTERNAL_ERROR)

    app.extensions["huey"] = huey
    app.extensions["sonatina_generate"] = huey.task(name="generate")(generate)


def _claim(job_id: str) -> bool:
    """queued -> running in one statement: of two workers given the same job, one wins."""
    result = db.session.execute(update(Job).where(Job.id == job_id, Job.status == "queued").values(status="running"))
    db.session.commit()
    return result.rowcount == 1


def _fail(job_id: str, message: str) -> None:
    db.session.rollback()
    job = db.session.get(Job, job_id)
    if job is not None:
        job.status, job.error, job.finished_at = "failed", message, datetime.now(timezone.utc)
        db.session.commit()


def enqueue_generation(job_id: str) -> None:
    from flask import current_app

    task = current_app.extensions["sonatina_generate"]
    current_app.extensions["huey"].enqueue(task.s(job_id, id=job_id))


def fail_interrupted(app) -> int:
    """Jobs left 'running' by a process that stopped mid-job can never finish: say so.

    Only call this where no other worker may be running them (the single-process `serve`).
    """
    with app.app_context():
        result = db.session.execute(
            update(Job).where(Job.status == "running")
            .values(status="failed", error="The server restarted while composing this; please try again.",
                    finished_at=datetime.now(timezone.utc))
        )
        db.session.commit()
        return result.rowcount


def requeue_lost(app) -> int:
    """Enqueue again every queued job that the queue no longer holds; returns how many.

    Safe beside running workers: a job that turns out to be in flight after all is claimed
    once (see `_claim`), and the copy finds it no longer queued.
    """
    huey = app.extensions["huey"]
    with app.app_context():
        waiting = {task.id for task in huey.pending()}
        lost = [job_id for job_id in db.session.scalars(select(Job.id).where(Job.status == "queued"))
                if job_id not in waiting]
        for job_id in lost:
            enqueue_generation(job_id)
    if lost:
        log.info("re-enqueued %d queued job(s) the queue had lost", len(lost))
    return len(lost)


def remove_partial_files(app, older_than: timedelta = timedelta(hours=1)) -> int:
    """Delete files a job was writing when its process died (never moved into place)."""
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for path in Path(app.config["FILES_DIR"]).rglob(f"*{PARTIAL_SUFFIX}"):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _consumer(app, workers: int, worker_type: str) -> Consumer:
    requeue_lost(app)
    remove_partial_files(app)
    return app.extensions["huey"].create_consumer(
        workers=workers, worker_type=worker_type, periodic=False,
        initial_delay=POLL_FIRST_S, backoff=POLL_BACKOFF, max_delay=POLL_MAX_S)


def start_background_consumer(app, workers: int = 1) -> Consumer:
    """Run the queue's worker threads in this process (no signal handlers: the server owns those)."""
    consumer = _consumer(app, workers, "thread")
    consumer.scheduler.start()
    for _worker, thread in consumer.worker_threads:
        thread.start()
    return consumer


def run_worker(app, workers: int = 1, worker_type: str = "thread") -> None:
    """Run a consumer in the foreground until Ctrl-C (what `sonatina worker` does)."""
    _consumer(app, workers, worker_type).run()
