"""The task queue (Huey) that runs generation off the request.

Storage: SQLite in the instance folder by default, Redis when SONATINA_REDIS_URL is set,
in memory and synchronous when HUEY_IMMEDIATE is set (tests). The Huey instance and its
task belong to one app (built in `init_app`), so workers build the app first and no app
is created at import time. `start_background_consumer` runs the consumer's worker
threads inside `sonatina serve`; `sonatina worker` runs a separate consumer process.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone

from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from sonatina.errors import SonatinaError

log = logging.getLogger(__name__)

INTERNAL_ERROR = "Generation failed because of an internal error; please try again."


def new_id() -> str:
    return uuid.uuid4().hex


def make_huey(config):
    if config.get("HUEY_IMMEDIATE"):
        return MemoryHuey("sonatina", immediate=True, results=False)
    if config.get("REDIS_URL"):
        return RedisHuey("sonatina", url=config["REDIS_URL"], results=False)
    return SqliteHuey("sonatina", filename=config["HUEY_FILE"], results=False)


def init_app(app) -> None:
    huey = make_huey(app.config)

    def generate(job_id: str) -> None:
        """Run one generation job and record its outcome on the Job row."""
        from sonatina.web import songs
        from sonatina.web.extensions import db
        from sonatina.web.models import Job

        with app.app_context():
            job = db.session.get(Job, job_id)
            if job is None or job.status != "queued":
                return  # deleted with its owner, or already run
            job.status = "running"
            db.session.commit()
            try:
                songs.run_job(job)
            except SonatinaError as exc:
                _fail(db, job_id, str(exc))
            except Exception:
                log.exception("generation job %s failed", job_id)
                _fail(db, job_id, INTERNAL_ERROR)

    app.extensions["huey"] = huey
    app.extensions["sonatina_generate"] = huey.task(name="generate")(generate)


def _fail(db, job_id: str, message: str) -> None:
    from sonatina.web.models import Job

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
    from sqlalchemy import update

    from sonatina.web.extensions import db
    from sonatina.web.models import Job

    with app.app_context():
        result = db.session.execute(
            update(Job).where(Job.status == "running")
            .values(status="failed", error="The server restarted while composing this; please try again.",
                    finished_at=datetime.now(timezone.utc))
        )
        db.session.commit()
        return result.rowcount


def start_background_consumer(app, workers: int = 1) -> Consumer:
    """Run the queue's worker threads in this process (no signal handlers: the server owns those)."""
    consumer = app.extensions["huey"].create_consumer(workers=workers, worker_type="thread", periodic=False)
    consumer.scheduler.start()
    for _worker, thread in consumer.worker_threads:
        thread.start()
    return consumer


def run_worker(app, workers: int = 1, worker_type: str = "thread") -> None:
    """Run a consumer in the foreground until Ctrl-C (what `sonatina worker` does)."""
    consumer = app.extensions["huey"].create_consumer(workers=workers, worker_type=worker_type, periodic=False)
    consumer.run()
