"""The studio: the generation form, job progress, and 'make again' / 'vary'."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DecimalField, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from sonatina.errors import SonatinaError
from sonatina.web import songs, storage

bp = Blueprint("studio", __name__, url_prefix="/studio")


class GenerateForm(FlaskForm):
    # Choices are filled per request; check_params() is the one place values are judged.
    model = SelectField("Model", validate_choice=False)
    genre = SelectField("Style", validate_choice=False)
    seconds = IntegerField("Length (seconds)", default=30, validators=[Optional()])
    tempo = IntegerField("Tempo (BPM)", validators=[Optional()])
    key = SelectField("Key", validate_choice=False)
    instrument = SelectField("Instrument", validate_choice=False)
    temperature = DecimalField("Temperature", default=1.0, places=2, validators=[Optional()])
    variations = IntegerField("Variations", default=1, validators=[Optional(), NumberRange(1, 8)])
    seed = IntegerField("Seed (optional)", validators=[Optional()])
    top_k = IntegerField("Top-k (optional)", validators=[Optional()])
    top_p = DecimalField("Top-p (optional)", places=2, validators=[Optional()])
    primer = FileField("Primer (optional)")


def _fill_choices(form: GenerateForm, available: list[dict]) -> None:
    from sonatina.music.instruments import GM_PROGRAM_NAMES

    form.model.choices = [(m["name"], m["name"]) for m in available]
    genres = sorted({g for m in available for g in (m.get("genres") or [])})
    form.genre.choices = [("", "Any style")] + [(g, g.replace("_", " ").title()) for g in genres]
    form.key.choices = [("", "Any key")] + [(k, k) for k in songs.key_choices()]
    form.instrument.choices = [("", "Model's choice")] + [(str(i), f"{i}: {n}") for i, n in enumerate(GM_PROGRAM_NAMES)]


@bp.route("/generate", methods=["GET", "POST"])
@login_required
def generate():
    available = songs.models()
    form = GenerateForm()
    _fill_choices(form, available)
    if not form.is_submitted() and form.model.choices:
        names = [c[0] for c in form.model.choices]
        form.model.data = "default" if "default" in names else names[0]
    if form.validate_on_submit():
        primer = None
        try:
            params = songs.check_params({name: field.data for name, field in form._fields.items()})
            primer = songs.save_primer(form.primer.data)
            job = songs.new_job(current_user.id, params, primer)
        except SonatinaError as exc:
            storage.delete(primer)
            flash(str(exc), "error")
            return _form_page(form, available, 400)
        return redirect(url_for("studio.job", job_id=job.id))
    if form.errors:
        flash("Please check the highlighted fields.", "error")
    return _form_page(form, available, 400 if form.is_submitted() else 200)


def _form_page(form, available, status):
    return render_template("studio/generate.html", form=form, models=available,
                           audio_primers=songs.transcription_available(),
                           max_seconds=current_app.config["MAX_SECONDS"]), status


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
