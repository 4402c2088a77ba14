"""JSON API for scripts and the pages' own JavaScript; documented at /api/openapi.json.

Authentication: `Authorization: Bearer <token>` (tokens from the account page or
POST /api/token), or the browser's session cookie plus an `X-CSRFToken` header on
anything that changes data (the blueprint is exempt from form CSRF, not from CSRF).
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timezone

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request, url_for
from flask_login import current_user

from sonatina.errors import BadInputError, SonatinaError
from sonatina.web import families, security, songs, storage
from sonatina.web.api.openapi import MAX_PAGE, MAX_PER_PAGE, TOKEN_NAME_MAX, openapi_document
from sonatina.web.extensions import csrf, db
from sonatina.web.downloads import send_song_file
from sonatina.web.scores import send_score
from sonatina.web.models import ApiToken

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


def _timestamp(moment) -> str | None:
    """ISO 8601 with its offset: SQLite hands datetimes back naive, and they were stored as UTC."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).isoformat()


def _song_json(song, family_id: int | None = None) -> dict:
    data = song.to_dict()
    data["family_id"] = family_id if family_id is not None else families.root_id(song)  # versions share it
    data["created_at"] = _timestamp(song.created_at)
    data["metre_note"] = songs.metre_note(song)  # a source or primer not in 4/4: its bars regrouped
    data["urls"] = {
        "self": url_for("api.get_song", song_id=song.id),
        "page": url_for("library.song", song_id=song.id),
        **{fmt: url_for("api.download", song_id=song.id, fmt=fmt) for fmt in ("midi", "wav", "mp3")},
    }
    return data


def _job_json(job) -> dict:
    return {
        "id": job.id, "status": job.status, "progress": round(job.progress, 3), "error": job.error,
        "kind": job.kind, "source_song_id": job.source_song_id, "source_name": job.source_name,
        "params": job.params, "created_at": _timestamp(job.created_at), "finished_at": _timestamp(job.finished_at),
        "songs": [_song_json(s) for s in job.songs],
        "urls": {"self": url_for("api.get_job", job_id=job.id), "page": url_for("studio.job", job_id=job.id)},
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(songs.models()))


@bp.get("/docs")
def docs():
    return render_template("api/docs.html", spec=openapi_document(songs.models()))


def _json_object(message: str) -> dict:
    """The request body as a JSON object, or one sentence: never a guess from a malformed body."""
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        raise BadInputError(message)
    return data


@bp.post("/token")
def issue_token():
    data = _json_object("Send a JSON object with 'username' and 'password'.")
    name, password, label = data.get("username"), data.get("password"), data.get("name", "script")
    if not (isinstance(name, str) and isinstance(password, str) and name and password):
        raise BadInputError("Send a JSON object with 'username' and 'password'.")
    if not isinstance(label, str) or len(label) > TOKEN_NAME_MAX:
        raise BadInputError(f"The token's 'name' must be text of at most {TOKEN_NAME_MAX} characters.")
    try:
        user = security.authenticate(request.remote_addr, name, password)
    except security.TooManyLogins as exc:
        return jsonify(error=str(exc)), 429
    if user is None:
        return jsonify(error="Wrong username or password."), 401
    row, token = ApiToken.issue(user, label or "script")
    db.session.add(row)
    db.session.commit()
    return jsonify(token=token, name=row.name), 201


@bp.get("/me")
@auth_required
def me():
    user = g.api_user
    song_count, version_count = families.counts(user.id)  # a song's versions are one song, as on the dashboard
    return jsonify(id=user.id, username=user.username, email=user.email, bio=user.bio,
                   songs=song_count, versions=version_count, created_at=_timestamp(user.created_at))


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
        params = songs.check_params(raw, "text")
    else:
        raw = _json_object("Send the settings as a JSON object (or multipart form data with a primer file).")
        params, upload = songs.check_params(raw, "json"), None
    primer = songs.save_primer(upload)
    try:
        job = songs.new_job(g.api_user.id, params, primer, source_name=songs.upload_name(upload) if primer else None)
    except SonatinaError:
        storage.delete(primer)
        raise
    job = songs.owned_job(g.api_user.id, job.id)  # fresh: the queue may already have run it
    return jsonify(_job_json(job)), 202


@bp.post("/convert")
@auth_required
def convert():
    """Convert one of your songs (JSON with `song_id`) or an uploaded piece (multipart `source`)."""
    if request.mimetype == "multipart/form-data":
        raw, upload = request.form.to_dict(), request.files.get("source")
        song_id = raw.pop("song_id", None)
        if song_id is not None and not re.fullmatch(r"[0-9]{1,19}", song_id.strip()):
            raise BadInputError("'song_id' must be the id of one of your songs.")
        song_id = int(song_id) if song_id is not None else None
        params = songs.check_convert_params(raw, "text")
    else:
        raw = dict(_json_object("Send the settings as a JSON object with 'song_id' (or multipart form data with "
                                "a 'source' file)."))
        song_id, upload = raw.pop("song_id", None), None
        if song_id is None:
            raise BadInputError("Say which song to convert with 'song_id' (or upload a 'source' file as multipart).")
        if isinstance(song_id, float) and song_id.is_integer():  # JSON Schema counts 3.0 as the integer 3
            song_id = int(song_id)
        if isinstance(song_id, bool) or not isinstance(song_id, int):
            raise BadInputError("'song_id' must be the id of one of your songs.")
        params = songs.check_convert_params(raw, "json")
    if song_id is None and (upload is None or not upload.filename):
        raise BadInputError("Send a 'source' file to convert, or the 'song_id' of one of your songs.")
    job = songs.convert_job(g.api_user.id, params, upload=upload, song_id=song_id)
    db.session.expire_all()  # fresh: the queue (another session) may already have run it
    return jsonify(_job_json(songs.owned_job(g.api_user.id, job.id))), 202


@bp.get("/jobs/<job_id>")
@auth_required
def get_job(job_id: str):
    job = songs.owned_job(g.api_user.id, job_id)
    if job is None:
        abort(404)
    return jsonify(_job_json(job))


def _query_int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,12}", raw) or not low <= int(raw) <= high:
        raise BadInputError(f"'{name}' must be a whole number from {low} to {high}.")
    return int(raw)


@bp.get("/songs")
@auth_required
def list_songs():
    page = _query_int("page", 1, 1, MAX_PAGE)
    per_page = _query_int("per_page", current_app.config["SONGS_PER_PAGE"], 1, MAX_PER_PAGE)
    rows, total = songs.song_page(g.api_user.id, page, per_page)
    family_of = families.family_ids(g.api_user.id)
    return jsonify(songs=[_song_json(s, family_of.get(s.id)) for s in rows], page=page, per_page=per_page, total=total)


def _own_song(song_id: int):
    song = songs.owned_song(g.api_user.id, song_id) if 0 < song_id < 2**63 else None  # ids are 64-bit
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
    data = _json_object("Send a JSON object with the new 'title'.")
    title = data.get("title")
    if not isinstance(title, str):
        raise BadInputError("Send a JSON object with the new 'title' as text.")
    if len(title) > songs.TITLE_MAX:  # counted as sent, as the schema's maxLength counts it
        raise BadInputError(f"The title is longer than {songs.TITLE_MAX} characters.")
    songs.rename(song, title)
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
    song = _own_song(song_id)
    data = _json_object("Send a JSON object like {\"same_seed\": true}, or no body.") if request.get_data() else {}
    same_seed = data.get("same_seed", True)
    if not isinstance(same_seed, bool) or set(data) - {"same_seed"}:
        raise BadInputError("The body may only hold 'same_seed': true or false.")
    job = songs.again(song, same_seed=same_seed)
    return jsonify(_job_json(songs.owned_job(g.api_user.id, job.id))), 202


@bp.get("/songs/<int:song_id>/download/<fmt>")
@auth_required
def download(song_id: int, fmt: str):
    return send_song_file(_own_song(song_id), fmt)


@bp.post("/songs/<int:song_id>/regenerate")
@auth_required
def regenerate(song_id: int):
    """Write a passage of one of your songs anew (RegenerateRequest as JSON); the result, once the
    job is done, is the song's next version."""
    return _edit(song_id, "regenerate")


@bp.post("/songs/<int:song_id>/extend")
@auth_required
def extend(song_id: int):
    """Add music at the end or start of one of your songs (ExtendRequest as JSON): a new version."""
    return _edit(song_id, "extend")


def _edit(song_id: int, kind: str):
    song = _own_song(song_id)
    raw = dict(_json_object("Send the settings as a JSON object, e.g. {\"bars\": \"9-12\"}." if kind == "regenerate"
                            else "Send the settings as a JSON object, e.g. {\"seconds\": 16}."))
    raw.setdefault("model", song.model if song.model in {m["name"] for m in songs.models()} else None)
    job = songs.edit_job(song, kind, songs.check_edit_params(kind, raw, "json"))
    db.session.expire_all()  # fresh: the queue (another session) may already have run it
    return jsonify(_job_json(songs.owned_job(g.api_user.id, job.id))), 202


@bp.get("/songs/<int:song_id>/versions")
@auth_required
def versions(song_id: int):
    """Every version of the song's family, oldest first."""
    return jsonify(versions=[_song_json(s) for s in songs.versions(_own_song(song_id))])


@bp.get("/songs/<int:song_id>/score/<fmt>")
@auth_required
def score(song_id: int, fmt: str):
    """The song as a score: MusicXML, PDF, or the SVG the song page shows."""
    return send_score(_own_song(song_id), fmt)
