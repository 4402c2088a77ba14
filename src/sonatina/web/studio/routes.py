"""The studio: the generation and conversion forms, job progress, and 'make again' / 'vary'."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField

from sonatina.errors import SonatinaError
from sonatina.request import ConvertRequest, GenerationRequest, SettingError
from sonatina.web import songs, storage
from sonatina.web.forms import too_large_page

bp = Blueprint("studio", __name__, url_prefix="/studio")

FORM_LABELS = {"AABA": "AABA (song form)", "AABB": "AABB (dance tune)", "ABABCB": "ABABCB (verse and chorus)",
               "none": "Free (nothing planned to return)"}
NUMBER_SETTINGS = ("seconds", "tempo", "temperature", "variations", "seed", "top_k", "top_p", "scale_strength",
                   "pitch_range")


def _choice(name: str) -> SelectField:
    return SelectField(GenerationRequest[name].label, validate_choice=False)


def _number(name: str) -> StringField:
    # Text, not IntegerField/DecimalField: GenerationRequest judges every value, so the form, the CLI
    # and the API refuse the same input with the same sentence.
    setting = GenerationRequest[name]
    return StringField(setting.label, default=setting.default_text(), description=setting.help)


class GenerateForm(FlaskForm):
    # Choices are filled per request; labels, defaults and bounds come from GenerationRequest.
    model = _choice("model")
    genre = _choice("genre")
    seconds = _number("seconds")
    tempo = _number("tempo")
    key = _choice("key")
    instrument = _choice("instrument")
    temperature = _number("temperature")
    variations = _number("variations")
    seed = _number("seed")
    top_k = _number("top_k")
    top_p = _number("top_p")
    scale_strength = _number("scale_strength")
    pitch_range = _number("pitch_range")
    form = _choice("form")
    primer = FileField(GenerationRequest["primer"].label)


def _fill_choices(form: GenerateForm, available: list[dict]) -> None:
    form.model.choices = [(m["name"], m["name"]) for m in available]
    genres = sorted({g for m in available for g in (m.get("genres") or [])})
    # blank: the model's default_genre (the genre it learned most music of), not a draw among them
    form.genre.choices = [("", "The model's main style")] + [(g, g.replace("_", " ").title()) for g in genres]
    form.key.choices = [("", "Any key")] + [(k, k) for k in songs.key_choices()]
    form.instrument.choices = _instrument_choices("Model's choice")
    form.form.choices = [("", "The genre's")] + [(f, FORM_LABELS.get(f, f)) for f in GenerationRequest["form"].examples]


def _instrument_choices(blank: str) -> list[tuple[str, str]]:
    from sonatina.music.instruments import GM_PROGRAM_NAMES

    return [("", blank)] + [(str(i), f"{i}: {n}") for i, n in enumerate(GM_PROGRAM_NAMES)]


def _default_model(form) -> str | None:
    """The shipped `default` when offered, else the first model, preselected on a fresh form."""
    names = [c[0] for c in form.model.choices]
    return "default" if "default" in names else (names[0] if names else None)


@bp.route("/generate", methods=["GET", "POST"])
@login_required
def generate():
    available = songs.models()
    form = _generate_form(available, defaults=request.method != "POST")
    if form.validate_on_submit():
        primer = None
        try:
            params = songs.check_params({name: form[name].data for name in songs.WEB_SETTINGS})
            primer = songs.save_primer(form.primer.data)
            job = songs.new_job(current_user.id, params, primer, source_name=songs.upload_name(form.primer.data) if primer else None)
        except SonatinaError as exc:
            storage.delete(primer)
            _show_refusal(form, exc)
            return _form_page(form, available, 400)
        return redirect(url_for("studio.job", job_id=job.id))
    if form.errors:
        flash("Please check the highlighted fields.", "error")
    return _form_page(form, available, 400 if form.is_submitted() else 200)


@too_large_page("studio.generate")
def _generate_too_large():
    if not current_user.is_authenticated:
        return None
    available = songs.models()
    form = _generate_form(available, defaults=True)
    form.primer.errors = [songs.upload_too_large("primer")]
    return _form_page(form, available, 413)


def _generate_form(available: list[dict], defaults: bool) -> GenerateForm:
    """The generate form with its choices; with `defaults`, the model preselected (a fresh form)."""
    form = GenerateForm()
    _fill_choices(form, available)
    if defaults:
        form.model.data = _default_model(form)
    return form


def _show_refusal(form, exc: SonatinaError) -> None:
    """The sentence on top of the page, and on the field it is about when it names one."""
    flash(str(exc), "error")
    if isinstance(exc, SettingError) and exc.setting in form:
        form[exc.setting].errors = [str(exc)]


def _form_page(form, available, status):
    limits = {name: GenerationRequest[name].input_attrs() for name in NUMBER_SETTINGS}
    return render_template("studio/generate.html", form=form, models=available, spec=GenerationRequest,
                           limits=limits, uploads=songs.upload_rules()), status


def _convert_choice(name: str) -> SelectField:
    return SelectField(ConvertRequest[name].label, validate_choice=False, description=ConvertRequest[name].help)


def _convert_number(name: str) -> StringField:
    setting = ConvertRequest[name]
    return StringField(setting.label, default=setting.default_text(), description=setting.help)


class ConvertForm(FlaskForm):
    # The piece: one of the user's songs, or an uploaded file. Settings come from ConvertRequest.
    song_id = SelectField("One of your songs", validate_choice=False)
    source = FileField("…or upload a piece")
    to = _convert_choice("to")
    model = _convert_choice("model")
    strength = _convert_number("strength")
    keep = _convert_choice("keep")
    melody_track = _convert_number("melody_track")
    instrument = _convert_choice("instrument")
    tempo = _convert_number("tempo")
    key = _convert_choice("key")
    temperature = _convert_number("temperature")
    seed = _convert_number("seed")
    variations = _convert_number("variations")


CONVERT_FORM_SETTINGS = ("to", "model", "strength", "keep", "melody_track", "instrument", "tempo", "key", "temperature",
                         "seed", "variations")
CONVERT_NUMBERS = ("strength", "melody_track", "tempo", "temperature", "seed", "variations")


def _fill_convert_choices(form: ConvertForm, available: list[dict]) -> None:
    own, _total = songs.song_page(current_user.id, 1, 200)
    form.song_id.choices = [("", "Upload a file instead")] + [  # a song's versions share its title: name them
        (str(s.id), s.title + (f" · v{s.version}" if (s.version or 1) > 1 else "")) for s in own]
    form.to.choices = [(g, g.title()) for g in ConvertRequest["to"].choices]
    form.model.choices = [(m["name"], m["name"]) for m in available]
    form.keep.choices = [(k, {"melody": "The melody", "melody+bass": "The melody and the bass"}.get(k, k))
                         for k in ConvertRequest["keep"].choices]
    form.instrument.choices = _instrument_choices("The genre's lead")
    form.key.choices = [("", "The original key")] + [(k, k) for k in songs.key_choices()]


@bp.route("/convert", methods=["GET", "POST"])
@login_required
def convert():
    available = songs.models()
    form = _convert_form(available, defaults=request.method != "POST")
    if not form.is_submitted():
        chosen = request.args.get("song", "")  # "Convert" on a song page preselects it
        if chosen.isdigit():
            form.song_id.data = chosen
    if form.validate_on_submit():
        try:
            params = songs.check_convert_params({name: form[name].data for name in CONVERT_FORM_SETTINGS})
            raw_id = (form.song_id.data or "").strip()
            if raw_id and not raw_id.isdigit():
                raise SettingError("song_id", "Choose one of your songs from the list.")
            job = songs.convert_job(current_user.id, params, upload=form.source.data,
                                    song_id=int(raw_id) if raw_id else None)
        except SonatinaError as exc:
            _show_refusal(form, exc)
            return _convert_page(form, available, 400)
        return redirect(url_for("studio.job", job_id=job.id))
    if form.errors:
        flash("Please check the highlighted fields.", "error")
    return _convert_page(form, available, 400 if form.is_submitted() else 200)


@too_large_page("studio.convert")
def _convert_too_large():
    if not current_user.is_authenticated:
        return None
    available = songs.models()
    form = _convert_form(available, defaults=True)
    form.source.errors = [songs.upload_too_large("piece")]
    return _convert_page(form, available, 413)


def _convert_form(available: list[dict], defaults: bool) -> ConvertForm:
    """The convert form with its choices; with `defaults`, jazz and the model preselected (a fresh form)."""
    form = ConvertForm()
    _fill_convert_choices(form, available)
    if defaults:
        form.to.data, form.model.data = form.to.data or "jazz", _default_model(form)
    return form


def _convert_page(form, available, status):
    limits = {name: ConvertRequest[name].input_attrs() for name in CONVERT_NUMBERS}
    chosen = (form.song_id.data or "").strip()
    tracks = _song_tracks(int(chosen)) if chosen.isdigit() and int(chosen) < 2**63 else None
    return render_template("studio/convert.html", form=form, models=available, limits=limits, tracks=tracks or [],
                           uploads=songs.upload_rules()), status


def _song_tracks(song_id: int) -> list[dict] | None:
    """The tracks of one of the user's songs, numbered as --melody-track counts them (None: no such song)."""
    from symusic import Score

    from sonatina.music.instruments import instrument_name

    song = songs.owned_song(current_user.id, song_id)
    if song is None:
        return None
    score = Score(str(storage.path(song.midi_file)))
    return [{"index": i, "name": t.name or f"Track {i}", "notes": len(t.notes), "drums": t.is_drum,
             "instrument": "drums" if t.is_drum else instrument_name(t.program)} for i, t in enumerate(score.tracks)]


@bp.get("/convert/songs/<int:song_id>/tracks")
@login_required
def convert_tracks(song_id: int):
    """A song's tracks for the convert form's melody-track list (another user's song: 404)."""
    tracks = _song_tracks(song_id) if song_id < 2**63 else None
    if tracks is None:
        abort(404)
    return jsonify({"tracks": tracks})


@bp.get("/jobs/<job_id>")
@login_required
def job(job_id: str):
    job = songs.owned_job(current_user.id, job_id)
    if job is None:
        abort(404)
    if job.status == "done" and len(job.songs) == 1:
        return redirect(url_for("library.song", song_id=job.songs[0].id))
    return render_template("studio/job.html", job=job)


@bp.post("/songs/<int:song_id>/again")
@login_required
def again(song_id: int):
    return _resubmit(song_id, same_seed=True)


@bp.post("/songs/<int:song_id>/vary")
@login_required
def vary(song_id: int):
    return _resubmit(song_id, same_seed=False)


def _resubmit(song_id: int, same_seed: bool):
    song = songs.owned_song(current_user.id, song_id)
    if song is None:
        abort(404)
    job = songs.again(song, same_seed=same_seed)
    return redirect(url_for("studio.job", job_id=job.id))
