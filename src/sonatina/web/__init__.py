"""The Sonatina web studio: `create_app()` builds the Flask application.

Areas are blueprints (auth, studio, library, api); the database schema is migrated with
Alembic when the app starts; generation runs on a Huey task queue (see jobs.py). Settings
and the environment variables that change them are in config.py.

The instance folder (default ./instance, or $SONATINA_INSTANCE) holds the database, the
secret key, the queue and the users' files; it is private to the server's user (0700, its
files 0600).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, current_app, jsonify, render_template, request
from sqlalchemy.engine import make_url
from werkzeug.exceptions import HTTPException

from sonatina.errors import SonatinaError
from sonatina.web.config import MAX_UPLOAD_MB, Config  # noqa: F401  (MAX_UPLOAD_MB: public name)
from sonatina.web.security import content_security_policy


def _secret_key(instance: Path) -> str:
    """A random key generated on first start and kept in the instance folder (mode 600)."""
    key_file = instance / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def _private_file(path: Path) -> None:
    """Create `path` empty with mode 600 if missing (SQLite then keeps that mode, and gives it
    to its -wal/-shm files), or take group and other access away from an existing one."""
    if path.exists():
        path.chmod(0o600)
    else:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def _lock_down(app: Flask) -> None:
    """Only the server's user may read the instance folder: database, key, queue, uploads."""
    instance, files = Path(app.instance_path), Path(app.config["FILES_DIR"])
    for folder in (instance, files):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        _private_file(Path(url.database))
    if not app.config.get("REDIS_URL") and not app.config.get("HUEY_IMMEDIATE"):
        _private_file(Path(app.config["HUEY_FILE"]))


def create_app(test_config: dict | None = None, instance_path: str | os.PathLike | None = None) -> Flask:
    if instance_path is None and test_config and "INSTANCE_PATH" in test_config:
        instance_path = test_config["INSTANCE_PATH"]
    if instance_path is None:
        instance_path = os.environ.get("SONATINA_INSTANCE") or Path.cwd() / "instance"
    app = Flask(__name__, instance_path=str(Path(instance_path).resolve()))
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    app.config.from_object(Config(instance))
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)
    _lock_down(app)

    from sonatina.web import jobs, songs
    from sonatina.web.extensions import csrf, db, login_manager

    db.init_app(app)
    db.upgrade()
    csrf.init_app(app)
    login_manager.init_app(app)
    jobs.init_app(app, runner=songs.run_job)  # the queue gets its runner: jobs never imports songs

    from sonatina.web.api.routes import bp as api_bp
    from sonatina.web.auth.routes import bp as auth_bp
    from sonatina.web.library.routes import bp as library_bp
    from sonatina.web.studio.routes import bp as studio_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(library_bp)
    app.register_blueprint(studio_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # the API checks CSRF itself for cookie sessions; tokens need none

    _register_error_pages(app)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        if app.config.get("SESSION_COOKIE_SECURE"):  # served over HTTPS: browsers must keep to it
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    return app


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _too_large_form_page():
    """A form page's answer to a request over MAX_CONTENT_LENGTH: its form again, with the sentence
    on its file's limit (see forms.TOO_LARGE_PAGES); None where the endpoint has none, or the 413
    was about something else (Flask's MAX_FORM_MEMORY_SIZE / MAX_FORM_PARTS)."""
    from werkzeug.datastructures import ImmutableMultiDict

    from sonatina.web.forms import TOO_LARGE_PAGES

    page = TOO_LARGE_PAGES.get(request.endpoint)
    length, limit = request.content_length, current_app.config.get("MAX_CONTENT_LENGTH")
    if page is None or (length is not None and limit and length <= limit):
        return None
    # the body is never read: the forms built for the page see nothing submitted and start fresh
    request.form, request.files = ImmutableMultiDict(), ImmutableMultiDict()
    return page()


def _register_error_pages(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    @app.errorhandler(SonatinaError)
    def _user_error(exc):
        if _wants_json():
            return jsonify(error=str(exc)), 400
        return render_template("errors/error.html", code=400, message=str(exc)), 400

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        message = "The form's security token was missing or expired; please reload the page and try again."
        if _wants_json():
            return jsonify(error=message), 400
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(413)
    def _too_large(_exc):
        message = f"That upload is too large; files up to {app.config['MAX_CONTENT_LENGTH'] // (1024 * 1024)} MB are accepted."
        if _wants_json():
            return jsonify(error=message), 413
        page = _too_large_form_page()
        if page is not None:
            return page
        return render_template("errors/error.html", code=413, message=message), 413

    @app.errorhandler(HTTPException)
    def _http_error(exc):
        messages = {404: "There is nothing here (or it is not yours).", 405: "That action is not allowed here."}
        message = messages.get(exc.code, exc.description)
        # a 405 names the methods that are allowed (RFC 9110); the handler must not drop it
        headers = {"Allow": ", ".join(exc.valid_methods)} if getattr(exc, "valid_methods", None) else {}
        if _wants_json():
            return jsonify(error=message), exc.code, headers
        return render_template("errors/error.html", code=exc.code, message=message), exc.code, headers
