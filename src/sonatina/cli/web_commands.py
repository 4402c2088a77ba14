"""`sonatina serve` (the web studio, with an in-process queue worker) and `sonatina worker`."""

from __future__ import annotations

import logging

import click


def _app(instance):
    from sonatina.web import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    return create_app(instance_path=instance)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--instance", type=click.Path(file_okay=False), default=None,
              help="Instance folder (database, files, secret key). Default: $SONATINA_INSTANCE or ./instance.")
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Run the generation queue's worker inside this process (off when `sonatina worker` runs it).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 16), help="Worker threads for generation jobs.")
@click.option("--threads", default=16, show_default=True, type=click.IntRange(1, 256), help="Threads serving web requests.")
def serve(host, port, instance, worker, workers, threads):
    """Serve the web studio on http://HOST:PORT with the shipped models."""
    from waitress import serve as waitress_serve

    from sonatina.web import jobs

    app = _app(instance)
    consumer = None
    if worker:
        jobs.fail_interrupted(app)
        consumer = jobs.start_background_consumer(app, workers)
    click.echo(f"Sonatina studio on http://{host}:{port}/ (instance folder {app.instance_path}"
               f"{'' if worker else ', jobs run by `sonatina worker`'})")
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="sonatina")
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)


@click.command()
@click.option("--instance", type=click.Path(file_okay=False), default=None,
              help="Instance folder (must match the server's). Default: $SONATINA_INSTANCE or ./instance.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 16), help="Worker threads.")
def worker(instance, workers):
    """Run generation jobs queued by `sonatina serve --no-worker` (SQLite queue or $SONATINA_REDIS_URL)."""
    from sonatina.web import jobs

    app = _app(instance)
    click.echo(f"Sonatina worker for instance folder {app.instance_path} ({workers} thread(s)); Ctrl-C stops it.")
    jobs.run_worker(app, workers)


def register(group: click.Group) -> None:
    group.add_command(serve)
    group.add_command(worker)
