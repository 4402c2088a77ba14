"""`sonatina serve` (the web studio, with an in-process queue worker) and `sonatina worker`."""

from __future__ import annotations

import errno
import logging
import socket
import sys

import click


def _app(instance):
    from sonatina.web import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    return create_app(instance_path=instance)


def _bind_error(host: str, port: int) -> OSError | None:
    """The error binding HOST:PORT gives, or None when it is free. Binds the way waitress does
    (SO_REUSEADDR), so a port left in TIME_WAIT by a stopped server counts as free."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:  # socket.gaierror (unknown host) included
        return exc
    return None


def _listen_problem(host: str, port: int) -> str | None:
    """Why the studio cannot listen on HOST:PORT, in one sentence (None when it can).

    Checked before the app, its database and its worker start, so a taken port is one clear
    line instead of a traceback after "studio on http://..."."""
    exc = _bind_error(host, port)
    if exc is None:
        return None
    if exc.errno == errno.EADDRINUSE:
        spare = next((p for p in range(port + 1, min(port + 100, 65536)) if _bind_error(host, p) is None), port + 55)
        return f"port {port} is in use; try `make run PORT={spare}` (or `sonatina serve --port {spare}`)."
    if isinstance(exc, socket.gaierror):
        return f"cannot listen on '{host}' ({exc.strerror})."
    return f"cannot listen on {host}:{port} ({exc.strerror})."


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
    problem = _listen_problem(host, port)
    if problem:
        click.echo(f"Error: {problem}", err=True)
        sys.exit(2)
    from waitress import create_server

    from sonatina.web import jobs

    app = _app(instance)
    try:  # bind before announcing anything (another server may have taken the port since the check)
        server = create_server(app, host=host, port=port, threads=threads, ident="sonatina")
    except OSError as exc:
        click.echo(f"Error: cannot listen on {host}:{port} ({exc.strerror or exc}).", err=True)
        sys.exit(2)
    consumer = None
    if worker:
        jobs.fail_interrupted(app)
        consumer = jobs.start_background_consumer(app, workers)
    click.echo(f"Sonatina studio on http://{host}:{port}/ (instance folder {app.instance_path}"
               f"{'' if worker else ', jobs run by `sonatina worker`'})")
    try:
        server.run()
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
