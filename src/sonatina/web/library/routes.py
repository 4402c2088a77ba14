"""The user's library: dashboard with song history, song page, rename, delete, downloads."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from sonatina.errors import BadInputError, SonatinaError
from sonatina.request import ConvertRequest
from sonatina.web import families, songs, storage
from sonatina.web.downloads import send_song_file
from sonatina.web.forms import EmptyForm
from sonatina.web.scores import send_score

bp = Blueprint("library", __name__)



class RenameForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(1, songs.TITLE_MAX)])


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("library.dashboard"))
    targets = list(ConvertRequest["to"].choices)
    return render_template("library/welcome.html", convert_targets=", ".join(targets[:-1]) + " or " + targets[-1])


def _page_number() -> int:
    """?page= as a page to show: junk gives the first, a 30-digit number the last one a database
    can reach (an OFFSET must fit in 64 bits), never an overflow."""
    raw = request.args.get("page", "1").strip()
    if not raw.isascii() or not raw.isdigit():
        return 1
    last = 1_000_000
    return max(1, min(int(raw), last)) if len(raw) <= 7 else last


@bp.get("/dashboard")
@login_required
def dashboard():
    per_page = current_app.config["SONGS_PER_PAGE"]
    page = _page_number()
    # one entry per song: its latest version, how many versions it has (the history is on its page)
    rows, total = families.family_page(current_user.id, page, per_page)
    pages = max(1, -(-total // per_page))
    return render_template("library/dashboard.html", families=rows, total=total, page=page, pages=pages)


def _own_song_or_404(song_id: int):
    song = songs.owned_song(current_user.id, song_id)
    if song is None:
        abort(404)
    return song


def _original(song):
    """A conversion's source MIDI (stored with it), or None for other songs or when it is gone."""
    if not (song.is_conversion and song.primer_file):
        return None
    path = storage.path(song.primer_file)
    return path if path.exists() else None


def player_context(song, side: str = "converted") -> dict:
    """What the player partial needs (contract with the front end). A conversion's page loads
    the original ("A") or the conversion ("B") into the one player: `side` says which. A song
    with versions lists them (`versions`); the A/B switch (static/js/ab.js) swaps the player's
    MIDI between the sources it names without reloading the page, in both cases."""
    converted = url_for("library.download", song_id=song.id, fmt="midi")
    family = songs.versions(song)
    facts = _facts(song)  # read once: the edit forms and this version's bar length both need it
    context = {
        "song": song,
        "midi_url": converted,
        "audio_urls": {fmt: url_for("library.download", song_id=song.id, fmt=fmt) for fmt in ("mp3", "wav")},
        "ab": None,
        "versions": family if len(family) > 1 else [],
        "version_urls": {v.id: url_for("library.download", song_id=v.id, fmt="midi") for v in family},
        # the score view and the downloads follow the version the player plays: each version's
        # score, bar length and files
        "version_scores": {v.id: {"src": url_for("library.score", song_id=v.id, fmt="svg"),
                                  "seconds_per_bar": (facts if v.id == song.id else _facts(v))["seconds_per_bar"],
                                  "downloads": _downloads(v)} for v in family} if len(family) > 1 else {},
        "edit": _edit_context(facts),
    }
    original = _original(song)
    if original is not None:
        from sonatina.web.pianoroll import pianoroll_svg

        side = side if side in ("original", "converted") else "converted"
        original_url = url_for("library.original", song_id=song.id)
        context["ab"] = {
            "side": side,
            "original_url": original_url,
            "rolls": [pianoroll_svg(original, f"Piano roll of the original, {song.source_name}", "roll-original"),
                      pianoroll_svg(storage.path(song.midi_file), f"Piano roll of {song.title}", "roll-converted")],
        }
        if side == "original":
            context["midi_url"] = original_url
    return context


@bp.get("/songs/<int:song_id>")
@login_required
def song(song_id: int):
    song = _own_song_or_404(song_id)
    return _song_page(song, side=request.args.get("play", "converted"))


def _facts(song) -> dict:
    """The piece's bars, seconds, tracks and bar length; for an unreadable file, no bars (the
    edit forms then stay closed and that score does not follow the playhead)."""
    try:
        return songs.piece_facts(song)
    except Exception:
        return {"bars": 0, "seconds": song.duration_s, "tracks": [], "seconds_per_bar": 0}


def _downloads(song) -> dict[str, str]:
    """Every download of one song: its files and its engraved score."""
    files = {fmt: url_for("library.download", song_id=song.id, fmt=fmt) for fmt in ("midi", "wav", "mp3")}
    return files | {fmt: url_for("library.score", song_id=song.id, fmt=fmt) for fmt in ("musicxml", "pdf")}


def _edit_context(facts: dict) -> dict:
    """The edit forms' bounds and defaults: the piece's bars and tracks, the spec's limits."""
    from sonatina.request import ExtendRequest, RegenerateRequest

    first = min(5, max(1, facts["bars"] - 1))
    return {"facts": facts, "first": first, "last": min(facts["bars"] - 1, first + 3) if facts["bars"] > 1 else 1,
            "candidates": RegenerateRequest["candidates"], "temperature": RegenerateRequest["temperature"],
            "seconds": ExtendRequest["seconds"], "at": ExtendRequest["at"]}


def _song_page(song, status: int = 200, side: str = "converted"):
    return render_template("library/song.html", rename_form=RenameForm(title=song.title), empty_form=EmptyForm(),
                           autoplay=request.args.get("autoplay") == "1", metre_note=songs.metre_note(song),
                           **player_context(song, side)), status


@bp.post("/songs/<int:song_id>/regenerate")
@login_required
def regenerate(song_id: int):
    """Bars FIRST-LAST of the song written anew, as a job; the result is the song's next version."""
    return _edit(song_id, "regenerate")


@bp.post("/songs/<int:song_id>/extend")
@login_required
def extend(song_id: int):
    return _edit(song_id, "extend")


def _edit(song_id: int, kind: str):
    song = _own_song_or_404(song_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    form = request.form
    raw = {k: form.get(k, "") for k in songs.EDIT_SETTINGS[kind] if k in form}
    if kind == "regenerate" and "bars_first" in form:
        raw["bars"] = f"{form.get('bars_first', '').strip()}-{form.get('bars_last', '').strip()}"
    raw.setdefault("model", song.model if song.model in {m["name"] for m in songs.models()} else "")
    try:
        job = songs.edit_job(song, kind, songs.check_edit_params(kind, raw))
    except SonatinaError as exc:
        flash(str(exc), "error")
        return _song_page(song, 400)
    return redirect(url_for("studio.job", job_id=job.id))


@bp.get("/songs/<int:song_id>/score.<fmt>")
@login_required
def score(song_id: int, fmt: str):
    """The song as a score: MusicXML or PDF to download, the SVG the page shows."""
    return send_score(_own_song_or_404(song_id), fmt)


@bp.get("/score-font.woff2")
@login_required  # only song pages use it
def score_font():
    """The music font the score view's SVG is drawn with (static/css/score.css asks for it)."""
    from flask import Response

    from sonatina import api

    response = Response(api.music_font(), mimetype="font/woff2")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/songs/<int:song_id>/original.mid")
@login_required
def original(song_id: int):
    """The piece a conversion started from, as the MIDI it was converted from."""
    song = _own_song_or_404(song_id)
    path = _original(song)
    if path is None:
        abort(404)
    name = "".join(c if c.isalnum() or c in " -_" else "_" for c in (song.source_name or "original")).strip()
    return send_file(path, mimetype="audio/midi", as_attachment=request.args.get("inline") != "1",
                     download_name=f"{name or 'original'}.mid", max_age=0)


@bp.post("/songs/<int:song_id>/rename")
@login_required
def rename(song_id: int):
    song = _own_song_or_404(song_id)
    form = RenameForm()
    try:
        if not form.validate_on_submit():
            raise BadInputError(f"The title must be 1 to {songs.TITLE_MAX} characters.")
        songs.rename(song, form.title.data)
    except SonatinaError as exc:
        flash(str(exc), "error")
        return render_template("library/song.html", rename_form=form, empty_form=EmptyForm(),
                               autoplay=False, **player_context(song)), 400
    flash("Renamed.", "success")
    return redirect(url_for("library.song", song_id=song.id))


@bp.post("/songs/<int:song_id>/delete")
@login_required
def delete(song_id: int):
    song = _own_song_or_404(song_id)
    title, version = song.title, song.version
    left = songs.delete_song(song)
    if left is None:
        flash(f"'{title}' is deleted.", "info")
        return redirect(url_for("library.dashboard"))
    # one version of several: the song stays, so show its latest version left
    flash(f"Version {version} of '{title}' is deleted; the other versions are kept.", "info")
    return redirect(url_for("library.song", song_id=left.id))


@bp.get("/songs/<int:song_id>/download/<fmt>")
@login_required
def download(song_id: int, fmt: str):
    return send_song_file(_own_song_or_404(song_id), fmt)
