"""The user's library: dashboard with song history, song page, rename, delete, downloads."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from sonatina.errors import BadInputError, SonatinaError
from sonatina.web import songs, storage
from sonatina.web.downloads import send_song_file
from sonatina.web.forms import EmptyForm

bp = Blueprint("library", __name__)



class RenameForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(1, songs.TITLE_MAX)])


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("library.dashboard"))
    return render_template("library/welcome.html")


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
    rows, total = songs.song_page(current_user.id, page, per_page)
    pages = max(1, -(-total // per_page))
    return render_template("library/dashboard.html", songs=rows, total=total, page=page, pages=pages)


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
    the original ("A") or the conversion ("B") into the one player: `side` says which."""
    converted = url_for("library.download", song_id=song.id, fmt="midi")
    context = {
        "song": song,
        "midi_url": converted,
        "audio_urls": {fmt: url_for("library.download", song_id=song.id, fmt=fmt) for fmt in ("mp3", "wav")},
        "ab": None,
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
    return render_template("library/song.html", rename_form=RenameForm(title=song.title), empty_form=EmptyForm(),
                           autoplay=request.args.get("autoplay") == "1",
                           **player_context(song, request.args.get("play", "converted")))


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
    title = song.title
    songs.delete_song(song)
    flash(f"'{title}' is deleted.", "info")
    return redirect(url_for("library.dashboard"))


@bp.get("/songs/<int:song_id>/download/<fmt>")
@login_required
def download(song_id: int, fmt: str):
    return send_song_file(_own_song_or_404(song_id), fmt)
