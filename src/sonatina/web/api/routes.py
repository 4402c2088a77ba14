"""JSON API for scripts and the pages' own JavaScript; documented at /api/openapi.json.

Authentication: `Authorization: Bearer <token>` (tokens from the account page or
POST /api/token), or the browser's session cookie plus an `X-CSRFToken` header on
anything that changes data (the blueprint is exempt from form CSRF, not from CSRF).
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from sonatina.errors import BadInputError, SonatinaError
from sonatina.web import security, songs, storage
from sonatina.web.api.openapi import openapi_document
from sonatina.web.extensions import csrf, db
from sonatina.web.downloads import send_song_file
from sonatina.web.models import ApiToken, User

bp = Blueprint("api", __name__, url_prefix="/api")


def _unauthorized():
    response = jsonify(error="Authentication required: send 'Authorization: Bearer <token>' or log in.")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="sonatina"'
    return response


def auth_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            row = ApiToken.lookup(db.session, header[7:].strip())
            if row is None:
                return _unauthorized()
            row.last_used_at = datetime.now(timezone.utc)
            db.session.commit()
            g.api_user = row.user
        elif current_user.is_authenticated:
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                csrf.protect()  # a cookie session must prove the request came from our pages
            g.api_user = current_user._get_current_object()
        else:
            return _unauthorized()
        return view(*args, **kwargs)

    return wrapper


def _song_json(song) -> dict:
    data = song.to_dict()
    data["urls"] = {
        "self": url_for("api.get_song", song_id=song.id),
        "page": url_for("library.song", song_id=song.id),
        **{fmt: url_for("api.download", song_id=song.id, fmt=fmt) for fmt in ("midi", "wav", "mp3")},
    }
    return data


def _job_json(job) -> dict:
    return {
        "id": job.id, "status": job.status, "progress": round(job.progress, 3), "error": job.error,
        "params": job.params, "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "songs": [_song_json(s) for s in job.songs],
        "urls": {"self": url_for("api.get_job", job_id=job.id), "page": url_for("studio.job", job_id=job.id)},
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/docs")
def docs():
    return render_template("api/docs.html", spec=openapi_document())


@bp.post("/token")
def issue_token():
    data = request.get_json(silent=True) or {}
    name, password = str(data.get("username") or ""), str(data.get("password") or "")
    if not name or not password:
        raise BadInputError("Send a JSON object with 'username' and 'password'.")
    if security.login_blocked(request.remote_addr, name):
        return jsonify(error="Too many failed logins; wait a minute and try again."), 429
    user = db.session.scalar(select(User).where(or_(func.lower(User.username) == name.lower(),
                                                    func.lower(User.email) == name.lower())))
    if user is None or not security.check_password(user.password_hash, password):
        security.record_failure(request.remote_addr, name)
        return jsonify(error="Wrong username or password."), 401
    security.clear_failures(request.remote_addr, name)
    row, token = ApiToken.issue(user, str(data.get("name") or "script")[:80])
    db.session.add(row)
    db.session.commit()
    return jsonify(token=token, name=row.name), 201


@bp.get("/me")
@auth_required
def me():
    user = g.api_user
    return jsonify(id=user.id, username=user.username, email=user.email, bio=user.bio,
                   songs=len(user.songs), created_at=user.created_at.isoformat())


@bp.get("/models")
@auth_required
def models():
    return jsonify(models=songs.models())


@bp.get("/instruments")
@auth_required
def instruments():
    from sonatina.music.instruments import GM_PROGRAM_NAMES

    return jsonify(instruments=[{"program": i, "name": n} for i, n in enumerate(GM_PROGRAM_NAMES)])


@bp.post("/generate")
@auth_required
def generate():
    if request.mimetype == "multipart/form-data":
        raw, upload = request.form.to_dict(), request.files.get("primer")
    else:
        raw, upload = request.get_json(silent=True), None
        if not isinstance(raw, dict):
            raise BadInputError("Send the settings as a JSON object (or multipart form data with a primer file).")
    params = songs.check_params(raw)
    primer = songs.save_primer(upload)
    try:
        job = songs.new_job(g.api_user.id, params, primer)
    except SonatinaError:
        storage.delete(primer)
        raise
    job = songs.owned_job(g.api_user.id, job.id)  # fresh: the queue may already have run it
    return jsonify(_job_json(job)), 202


@bp.get("/jobs/<job_id>")
@auth_required
def get_job(job_id: str):
    job = songs.owned_job(g.api_user.id, job_id)
    if job is None:
        abort(404)
    return jsonify(_job_json(job))


@bp.get("/songs")
@auth_required
def list_songs():
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = min(100, max(1, int(request.args.get("per_page", current_app.config["SONGS_PER_PAGE"]))))
    except ValueError:
        raise BadInputError("'page' and 'per_page' must be whole numbers.") from None
    rows, total = songs.song_page(g.api_user.id, page, per_page)
    return jsonify(songs=[_song_json(s) for s in rows], page=page, per_page=per_page, total=total)


def _own_song(song_id: int):
    song = songs.owned_song(g.api_user.id, song_id)
    if song is None:
        abort(404)
    return song


@bp.get("/songs/<int:song_id>")
@auth_required
def get_song(song_id: int):
    return jsonify(_song_json(_own_song(song_id)))


@bp.patch("/songs/<int:song_id>")
@auth_required
def update_song(song_id: int):
    song = _own_song(song_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or "title" not in data:
        raise BadInputError("Send a JSON object with the new 'title'.")
    songs.rename(song, str(data["title"]))
    return jsonify(_song_json(song))


@bp.delete("/songs/<int:song_id>")
@auth_required
def delete_song(song_id: int):
    songs.delete_song(_own_song(song_id))
    return "", 204


@bp.post("/songs/<int:song_id>/again")
@auth_required
def again(song_id: int):
    """Re-run a song's settings: {"same_seed": true} makes it again, false varies it."""
    data = request.get_json(silent=True) or {}
    job = songs.again(_own_song(song_id), same_seed=bool(data.get("same_seed", True)))
    return jsonify(_job_json(songs.owned_job(g.api_user.id, job.id))), 202


@bp.get("/songs/<int:song_id>/download/<fmt>")
@auth_required
def download(song_id: int, fmt: str):
    return send_song_file(_own_song(song_id), fmt)
