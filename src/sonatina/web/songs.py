"""What the studio does with music: check generation and conversion settings, run a job
(compose, or convert a piece into another genre), store the songs, render their audio on
demand, and delete them with their files.

Pages and the JSON API both call these functions; the music itself comes from
`sonatina.api.compose`, `sonatina.api.convert` and `sonatina.audio.synth.render`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy import func, or_, select

# the one list of music files Sonatina reads (data/corpus/reading.py), and the sandbox, whose
# WEB_LIMITS are the one place the studio's upload limits live (read at each use, never copied)
from sonatina.data import untrusted
from sonatina.data.corpus.reading import READABLE_SUFFIXES as SCORE_SUFFIXES
from sonatina.errors import BadInputError, SonatinaError
from sonatina.web import families, jobs, storage
from sonatina.web.extensions import db
from sonatina.web.models import Job, Song

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = {".wav", ".mp3", ".flac", ".ogg"}
AUDIO_FORMATS = ("wav", "mp3")


class AudioUnavailable(RuntimeError):
    """Audio rendering is not installed on this server (no audio module or SoundFont)."""


# ---------------------------------------------------------------- choices offered to users

def models() -> list[dict]:
    """Models offered to users: the shipped ones, then the run folders named in MODEL_PATHS.

    Each row is {name, genres, description, bits_per_note}; `model_ref(name)` gives what
    compose() takes (a shipped name or a folder), so server paths never reach a page.
    """
    from sonatina import api

    rows = [{k: m.get(k) for k in ("name", "genres", "description", "bits_per_note")} for m in api.list_models()]
    taken = {m["name"] for m in rows}
    for name, folder in _extra_models().items():
        if name not in taken:
            try:
                loaded = api.load_model(folder)
            except SonatinaError as exc:  # one wrong path must not take every model from every user
                if folder not in _unusable_models:
                    _unusable_models.add(folder)
                    log.warning("SONATINA_MODELS: %s is left out: %s", folder, exc)
                continue
            rows.append({"name": name, "genres": loaded.genres, "description": loaded.card.get("description", ""),
                         "bits_per_note": loaded.card.get("validation", {}).get("bits_per_note")})
    return rows


_unusable_models: set[str] = set()  # MODEL_PATHS entries already logged as unusable (said once per process)


def _extra_models() -> dict[str, str]:
    """MODEL_PATHS (config, or $SONATINA_MODELS separated by os.pathsep) -> {folder name: path}."""
    paths = current_app.config.get("MODEL_PATHS") or []
    return {Path(p).name: str(p) for p in paths}


def model_ref(name: str) -> str:
    return _extra_models().get(name, name)


def transcription_available() -> bool:
    try:
        import sonatina.audio.transcribe  # noqa: F401
    except ImportError:
        return False
    return True


def upload_too_large(what: str) -> str:
    """The sentence for a primer or piece over the request limit: the largest file these forms take
    (a recording's where this server transcribes audio, as their hint says), or the request limit
    if that is lower."""
    from sonatina.web.forms import megabytes

    limits = untrusted.WEB_LIMITS
    largest = limits.audio_bytes if transcription_available() else limits.file_bytes
    return f"The {what} is larger than {megabytes(_within_request(largest))}; please upload a shorter piece."


def _within_request(limit: int) -> int:
    """A file limit as it stands behind the app's request limit (MAX_CONTENT_LENGTH), if lower."""
    return min(limit, current_app.config.get("MAX_CONTENT_LENGTH") or limit)


def upload_rules() -> dict:
    """What the primer and piece fields take, for their pages and the API's description, written
    from the limits the uploads are checked against (data/untrusted.py's WEB_LIMITS, behind the
    request limit) and the suffixes Sonatina reads: {"accept": ".abc,.kar,...", "hint": "MIDI up to
    2 MB, ..."}. A recording only where this server transcribes audio."""
    from sonatina.web.forms import file_size

    limits, audio = untrusted.WEB_LIMITS, transcription_available()
    suffixes = sorted(SCORE_SUFFIXES | (AUDIO_SUFFIXES if audio else set()))
    text_bytes = min(limits.score_bytes, limits.file_bytes)  # MusicXML (unpacked) and Humdrum text
    hint = (f"MIDI up to {file_size(_within_request(limits.file_bytes))}, MusicXML or Humdrum up to "
            f"{file_size(_within_request(text_bytes))} of text, ABC tunes up to "
            f"{file_size(_within_request(min(limits.abc_bytes, limits.file_bytes)))}")
    if audio:
        kinds = sorted(s.lstrip(".").upper() for s in AUDIO_SUFFIXES)
        hint += (f", or a recording ({', '.join(kinds[:-1])} or {kinds[-1]}) up to "
                 f"{file_size(_within_request(limits.audio_bytes))}")
    return {"accept": ",".join(suffixes), "hint": hint + "."}


def key_choices() -> list[str]:
    try:
        from sonatina.music.keys import MODES, PITCH_CLASS_NAMES
    except ImportError:
        return []
    return [f"{pc} {mode}" for mode in MODES for pc in PITCH_CLASS_NAMES]


# ---------------------------------------------------------------- settings

def check_params(raw: dict, source: str = "text") -> dict:
    """Turn what a form ("text") or API client ("json") sent into compose() arguments, or raise
    one clear error. Types and bounds are GenerationRequest's; here only what this server offers."""
    from sonatina.request import GenerationRequest, SettingError

    if isinstance(raw, dict) and "primer" in raw:
        raise SettingError("primer", "Send the primer as a file in multipart form data.")
    params = GenerationRequest.validate(raw, source, only=WEB_SETTINGS)
    known = {m["name"]: m for m in models()}
    model = params["model"]
    if model not in known:
        names = ", ".join(sorted(known)) or "none installed"
        raise SettingError("model", f"Unknown model '{model}'; choose one of: {names}.")
    genres = known[model].get("genres") or []
    if params["genre"] is not None and params["genre"] not in genres:
        offered = ", ".join(genres) or "none (this model has no genres)"
        raise SettingError("genre", f"Model '{model}' has no genre '{params['genre']}'; choose one of: {offered}.")
    return params


WEB_SETTINGS = ("model", "genre", "seconds", "tempo", "key", "instrument", "temperature", "top_k", "top_p", "seed",
                "variations", "scale_strength", "pitch_range", "form")  # the primer comes as an uploaded file, see save_primer


CONVERT_SETTINGS = ("to", "model", "strength", "keep", "melody_track", "tempo", "key", "instrument", "temperature",
                    "top_k", "top_p", "seed", "variations")  # the piece: an uploaded file or a song id


def check_convert_params(raw: dict, source: str = "text") -> dict:
    """Form ("text") or JSON ("json") values -> api.convert() arguments, or one clear error.
    Types, bounds and genres are ConvertRequest's; here only the models this server offers."""
    from sonatina.request import ConvertRequest, SettingError

    params = ConvertRequest.validate(raw, source, only=CONVERT_SETTINGS)
    if params["to"] is None:
        raise SettingError("to", f"Choose a target genre: one of {', '.join(ConvertRequest['to'].choices)}.")
    known = {m["name"] for m in models()}
    if params["model"] not in known:
        raise SettingError("model", f"Unknown model '{params['model']}'; choose one of: "
                                    f"{', '.join(sorted(known)) or 'none installed'}.")
    return params


# ---------------------------------------------------------------- primer uploads

def upload_name(upload) -> str | None:
    """The uploaded file's own name as the user knows it (no folders), to show on the song."""
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return Path(upload.filename).name[-120:] or None


def save_source(upload) -> str:
    """A piece uploaded to be converted, read in the sandbox like a primer (see save_primer)."""
    if upload is None or not getattr(upload, "filename", ""):
        raise BadInputError("Choose a piece to convert: upload a file or pick one of your songs.")
    return save_primer(upload, what="piece")


def check_source(name: str, params: dict, shown: str) -> None:
    """Refuse now, not in the job, a stored source the conversion would refuse: drums only, no
    melody to keep, longer than a movement, no such melody track. (A recording is checked once
    it is transcribed, in the job.)"""
    from symusic import Score

    from sonatina import api
    from sonatina.request import SettingError

    if not name.endswith(".mid"):
        return
    score = Score(str(storage.path(name)))  # stored as the sandbox wrote it: clean MIDI
    track = params.get("melody_track")
    if track is not None and not 0 <= track < len(score.tracks):
        raise SettingError("melody_track", f"There is no track {track} in '{shown}'; it has tracks "
                                           f"0-{len(score.tracks) - 1}.")
    try:
        api.check_convertible(score, track, params.get("keep") or "melody")
    except BadInputError as exc:
        raise BadInputError(str(exc).replace("The piece", f"The piece '{shown}'", 1)) from None


def copy_song_source(song: Song) -> str:
    """The song's MIDI copied as a conversion's source: the original still plays beside the
    conversion after the song itself is deleted."""
    import shutil

    name = storage.new_name("primers", ".mid")
    shutil.copyfile(storage.path(song.midi_file), storage.path(name))
    storage.path(name).chmod(0o600)
    return name


def save_primer(upload, what: str = "primer") -> str | None:
    """Store an uploaded primer, read now in the sandbox (data/untrusted.py) so a job never
    fails on a file that was accepted.

    MIDI/MusicXML/ABC/Humdrum are parsed (and converted) in a child process with the studio's
    limits (8 s, 1.5 GB, 512 kB of notation, .mxl inflating to 4 MB at most) and stored as the
    MIDI that child wrote: the job then reads a clean MIDI and never runs music21. The request
    thread only waits on a socket meanwhile; other requests keep being answered. Audio gets its
    header, length and MP3/WAV frame structure checked in the sandbox (a full decode of 15 MB
    takes ~20 s on two busy cores); the job decodes and transcribes it, in the sandbox as well.
    """
    from sonatina.audio.files import check_audio
    from sonatina.data.untrusted import read_score
    from sonatina.web.forms import file_size

    if upload is None or not getattr(upload, "filename", ""):
        return None
    shown = Path(upload.filename).name[-80:]
    suffix = Path(upload.filename).suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        if not transcription_available():
            raise BadInputError(f"An audio {what} needs transcription, which this server does not have; "
                                "upload a MIDI file instead.")
        limit = untrusted.WEB_LIMITS.audio_bytes
    elif suffix in SCORE_SUFFIXES:
        limit = untrusted.WEB_LIMITS.file_bytes
    else:
        raise BadInputError(f"The {what} must be a MIDI, MusicXML, ABC or Humdrum file (or audio), "
                            f"not '{suffix or 'no extension'}'.")
    data = upload.read(limit + 1)
    if not data:
        raise BadInputError(f"The {what} file is empty.")
    if len(data) > limit:
        raise BadInputError(f"The {what} is larger than {file_size(limit)}; please upload a shorter piece.")
    name = storage.new_name("primers", suffix)
    path = storage.path(name)
    path.write_bytes(data)
    try:
        if suffix in AUDIO_SUFFIXES:
            check_audio(path, name=shown, limits=untrusted.WEB_LIMITS)
            return name
        score = read_score(path, name=shown, limits=untrusted.WEB_LIMITS)
    except BadInputError as exc:
        storage.delete(name)
        kind = "audio" if suffix in AUDIO_SUFFIXES else "music"
        raise BadInputError(f"The {what} '{shown}' could not be read as {kind}: {_reason(str(exc), shown)}") from None
    midi_name = storage.new_name("primers", ".mid")
    score.dump_midi(str(storage.path(midi_name)))
    storage.delete(name)
    return midi_name


def _reason(message: str, shown: str) -> str:
    """The sandbox's sentence about 'name' as a clause: "'a.mid' is empty." -> "it is empty."."""
    clause = message.removeprefix(f"'{shown}' ")
    for lead in ("could not be read: ", "could not be read as music: ", "could not be read as audio: "):
        if clause.startswith(lead):
            return clause[len(lead):]
    return "it " + clause


# ---------------------------------------------------------------- jobs

def new_job(owner_id: int, params: dict, primer_file: str | None = None, kind: str = "generate",
            source_song_id: int | None = None, source_name: str | None = None) -> Job:
    if kind == "generate" and primer_file and primer_file.endswith(".mid"):  # refuse now, not in the job
        from symusic import Score

        from sonatina import api

        api.check_primer(Score(str(storage.path(primer_file))), params["seconds"], params.get("tempo"))
    job = Job(id=jobs.new_id(), owner_id=owner_id, params=params, primer_file=primer_file, kind=kind,
              source_song_id=source_song_id, source_name=source_name)
    db.session.add(job)
    db.session.commit()
    jobs.enqueue_generation(job.id)
    return job


def _jsonable(settings: dict) -> dict:
    return json.loads(json.dumps(settings, default=lambda v: v.item() if hasattr(v, "item") else str(v)))


def _title(settings: dict, index: int, count: int) -> str:
    if settings.get("kind") == "convert":
        genre = str(settings.get("genre") or "new genre").replace("_", " ")
        suffix = f" as {genre}" + (f" ({index + 1} of {count})" if count > 1 else "")
        source = settings.get("source") or "Piece"
        if Path(source).suffix.lower() in SCORE_SUFFIXES | AUDIO_SUFFIXES:  # "my tune.mid" -> "my tune"
            source = Path(source).stem or source
        return source[:120 - len(suffix)] + suffix
    base = (settings.get("genre") or settings.get("model") or "Untitled").replace("_", " ").title()
    title = f"{base} sketch"
    if settings.get("key"):
        title += f" in {settings['key']}"
    if count > 1:
        title += f" ({index + 1} of {count})"
    return title[:120]


def run_job(job: Job) -> list[Song]:
    """Compose (or, for kind "convert", convert) the job's pieces and store them as songs
    (called inside the queue worker)."""
    from sonatina import api

    params = dict(job.params)
    primer = None
    if job.primer_file:
        primer = storage.path(job.primer_file)
        if primer.suffix.lower() in AUDIO_SUFFIXES:
            primer = _transcribe_primer(job)

    last = [0.0]

    def progress(fraction: float) -> None:
        now = time.monotonic()
        if fraction >= 1.0 or now - last[0] > 0.25:  # throttle database writes
            last[0] = now
            job.progress = max(0.0, min(0.99, float(fraction)))
            db.session.commit()

    if job.kind == "convert":
        if primer is None or not primer.exists():
            raise BadInputError("The piece to convert is gone; please upload it again.")
        progress(0.05)  # read and transcribed
        pieces = api.convert(primer, model=model_ref(params.pop("model")), progress=progress, **params)
        source_tag = _sounds_like(primer)
    elif job.kind in EDIT_KINDS:
        pieces = run_edit(job)
    else:
        pieces = api.compose(model_ref(params.pop("model")), primer=primer, progress=progress, **params)
    # Each MIDI is written under a temporary name and moved into place only once the songs
    # are committed: a failed commit leaves no orphan file, a crash only a *.part file that
    # the next start removes, and no song row ever names a half-written file for long.
    songs, written = [], []
    try:
        for index, piece in enumerate(pieces):
            name = storage.new_name("midi", ".mid")
            partial = storage.path(name + jobs.PARTIAL_SUFFIX)
            written.append((partial, storage.path(name)))
            piece.write_midi(partial)
            partial.chmod(0o600)  # users' files: the server's eyes only
            settings = _jsonable(dict(piece.settings))
            settings["model"] = job.params["model"]  # the name users chose, never a server path
            edit = edit_song_fields(job, settings) if job.kind in EDIT_KINDS else None
            if edit:
                settings = edit["settings"]
            elif job.kind == "convert":
                settings.update(kind="convert", source=job.source_name, primer=None,
                                **_instrument_settings(job.params.get("instrument")),
                                **_judged_conversion(piece.score), source_sounds_like=source_tag)
            else:
                settings["primer"] = (job.source_name or "uploaded") if job.primer_file else None  # its file's name
            song = Song(
                owner_id=job.owner_id, job_id=job.id,
                title=edit["title"] if edit else _title(settings, index, len(pieces)),
                model=str(settings.get("model") or job.params.get("model")), genre=settings.get("genre"),
                duration_s=float(piece.duration_s), seed=int(piece.seed), settings=settings,
                midi_file=name, primer_file=job.primer_file,
                source_song_id=None if edit else job.source_song_id,
                source_name=job.source_name if job.kind == "convert" else None,  # "converted from" on the dashboard
                parent_id=edit["parent_id"] if edit else None, version=edit["version"] if edit else 1,
            )
            db.session.add(song)
            songs.append(song)
        job.status, job.progress, job.finished_at = "done", 1.0, datetime.now(timezone.utc)
        db.session.commit()
    except BaseException:
        for partial, _final in written:
            partial.unlink(missing_ok=True)
        raise
    for partial, final in written:
        os.replace(partial, final)
    return songs


def _sounds_like(piece) -> list | None:
    """The genre classifier's three likeliest genres for a piece (a path or a Score) as
    [[genre, probability], ...], likeliest first (a list: JSON objects lose their order);
    None where the classifier cannot say (the song is stored all the same)."""
    from sonatina import api

    try:
        probabilities = api.classify(piece)
    except Exception:  # a tag is a nicety: never fail a finished conversion over it
        log.exception("classifying a conversion failed")
        return None
    return _ranked(probabilities, 3)


def _ranked(probabilities: dict[str, float] | None, top: int | None = None) -> list | None:
    """{genre: probability}, likeliest first, as [[genre, p rounded], ...] (its `top` first ones)."""
    return None if probabilities is None else [[g, round(float(p), 3)] for g, p in list(probabilities.items())[:top]]


def _judged_conversion(score) -> dict:
    """What a conversion sounds like, judged once when it is made (the song page only reads it):
    "sounds_like", the whole-piece classifier's three likeliest genres (as _sounds_like), and
    "parts_sound_like", per new part ("accompaniment", "drums"), every class its judge knows
    with its probability, likeliest first ([[genre, p], ...]; None: the piece has no such part).
    The judges (model.judges) hear the parts the conversion wrote, not the kept melody that
    pulls the whole-piece classifier towards the source's genre. Both None where judging fails."""
    from sonatina import api

    try:
        heard = api.judge(score)
    except Exception:  # a tag is a nicety: never fail a finished conversion over it
        log.exception("judging a conversion failed")
        return {"sounds_like": None, "parts_sound_like": None}
    return {"sounds_like": _ranked(heard["genre"], 3),
            "parts_sound_like": {part: _ranked(heard[part]) for part in ("accompaniment", "drums")}}


def _instrument_settings(program: int | None) -> dict:
    """The melody's instrument as the song page shows it (a conversion's piece settings lack it)."""
    from sonatina.music.instruments import GM_PROGRAM_NAMES

    if program is None:
        return {"instrument": None}
    return {"instrument": program, "instrument_name": GM_PROGRAM_NAMES[program]}


def _transcribe_primer(job: Job) -> Path:
    """Audio primer -> MIDI once; the job (and its songs) then keep the MIDI for 'make again'."""
    from sonatina.audio.transcribe import transcribe

    audio_name = job.primer_file
    midi_name = storage.new_name("primers", ".mid")
    try:
        transcribe(storage.path(audio_name), storage.path(midi_name))
    except SonatinaError as exc:  # its sentence names our stored file; say what the user knows
        storage.delete(midi_name)
        said = str(exc).replace(f"'{Path(audio_name).name}'", "the uploaded recording")
        raise type(exc)(said[:1].upper() + said[1:]) from None  # a sentence, even where the name opened it
    except Exception:
        storage.delete(midi_name)
        raise
    job.primer_file = midi_name
    db.session.commit()
    storage.delete(audio_name)
    return storage.path(midi_name)


def again(song: Song, same_seed: bool) -> Job:
    """A new job with this song's settings: the same seed ("make again") or a fresh one ("vary")."""
    settings = song.settings
    if settings.get("kind") in EDIT_KINDS:
        return edit_again(song, same_seed)
    if song.is_conversion:
        return _convert_again(song, same_seed)
    raw = {k: settings.get(k) for k in ("model", "genre", "seconds", "tempo", "key", "instrument",
                                        "temperature", "top_k", "top_p", "scale_strength", "pitch_range", "form")}
    raw["model"] = raw["model"] or song.model
    raw["seed"] = song.seed if same_seed else None
    primer = song.primer_file if song.primer_file and storage.path(song.primer_file).exists() else None
    return new_job(song.owner_id, check_params(raw), primer, source_name=settings.get("primer") if primer else None)


def _convert_again(song: Song, same_seed: bool) -> Job:
    settings = song.settings
    if not (song.primer_file and storage.path(song.primer_file).exists()):
        raise BadInputError("The original of this conversion is gone, so it cannot be converted again.")
    raw = {k: settings.get(k) for k in ("strength", "keep", "instrument", "temperature", "top_k", "top_p")}
    raw.update(to=settings.get("genre"), model=settings.get("model") or song.model,
               seed=song.seed if same_seed else None)
    return new_job(song.owner_id, check_convert_params(raw, "json"), song.primer_file, kind="convert",
                   source_song_id=song.source_song_id, source_name=song.source_name)


def convert_job(owner_id: int, params: dict, upload=None, song_id: int | None = None) -> Job:
    """Queue a conversion of an uploaded piece or of one of the owner's songs (another user's
    song is not found: NotFound, a 404). Nothing stored stays behind when it is refused."""
    from werkzeug.exceptions import NotFound

    has_upload = upload is not None and getattr(upload, "filename", "")
    if has_upload and song_id is not None:
        raise BadInputError("Convert either an uploaded file or one of your songs, not both.")
    if song_id is not None:
        song = owned_song(owner_id, song_id) if 0 < song_id < 2**63 else None
        if song is None:
            raise NotFound()
        source, source_name, source_song_id = copy_song_source(song), song.title, song.id
    else:
        source = save_source(upload)
        source_name, source_song_id = Path(upload.filename).name[-120:], None
    try:
        check_source(source, params, source_name)
        return new_job(owner_id, params, source, kind="convert", source_song_id=source_song_id,
                       source_name=source_name)
    except SonatinaError:
        storage.delete(source)
        raise


# ---------------------------------------------------------------- songs

def owned_song(user_id: int, song_id: int) -> Song | None:
    """The song only if it belongs to this user: every song lookup goes through here."""
    if not 0 < song_id < 2**63:  # ids are 64-bit: a longer one in a URL overflows the database driver (a 500)
        return None
    return db.session.scalar(select(Song).where(Song.id == song_id, Song.owner_id == user_id))


def owned_job(user_id: int, job_id: str) -> Job | None:
    return db.session.scalar(select(Job).where(Job.id == job_id, Job.owner_id == user_id))


def song_page(user_id: int, page: int, per_page: int) -> tuple[list[Song], int]:
    """Newest first; returns (songs on this page, total songs)."""
    total = db.session.scalar(select(func.count()).select_from(Song).where(Song.owner_id == user_id))
    rows = db.session.scalars(
        select(Song).where(Song.owner_id == user_id)
        .order_by(Song.created_at.desc(), Song.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


TITLE_MAX = 120  # characters of a song title (the column holds 120)


def rename(song: Song, title: str) -> None:
    title = " ".join((title or "").split())
    if not title:
        raise BadInputError("The title cannot be empty.")
    if len(title) > TITLE_MAX:
        raise BadInputError(f"The title is longer than {TITLE_MAX} characters.")
    for version in versions(song):  # the versions are one song: the library lists it under one title
        version.title = title
        drop_scores(version)
    db.session.commit()


def delete_song(song: Song) -> Song | None:
    """Delete one song (one version of it) with its files. Its newer versions stay in the song's
    history (see families.reparent_children); returns the latest version left, or None."""
    left = [v for v in versions(song) if v.id != song.id]
    files = song.files()
    primer = song.primer_file
    families.reparent_children(song)
    db.session.delete(song)
    db.session.commit()
    storage.delete(*files)
    drop_scores(song)
    _drop_primer_if_unused(primer)
    return max(left, key=lambda v: (v.version or 1, v.id)) if left else None


def _drop_primer_if_unused(primer: str | None) -> None:
    if not primer:
        return
    still_used = db.session.scalar(
        select(func.count()).select_from(Song).where(Song.primer_file == primer)
    ) or db.session.scalar(
        select(func.count()).select_from(Job)
        .where(Job.primer_file == primer, or_(Job.status == "queued", Job.status == "running"))
    )
    if not still_used:
        for job in db.session.scalars(select(Job).where(Job.primer_file == primer)):
            job.primer_file = None
        db.session.commit()
        storage.delete(primer)


def delete_user_files(user) -> None:
    """Every file a user owns: song MIDI/audio, primers and the photo (rows go by cascade)."""
    names = [user.photo_file]
    for song in user.songs:
        names += song.files() + [song.primer_file]
        drop_scores(song)
    names += [job.primer_file for job in user.jobs]
    storage.delete(*set(names))


_render_lock = threading.Lock()


def audio_file(song: Song, fmt: str) -> Path:
    """The song's WAV/MP3, rendered from its MIDI on first request and kept."""
    if fmt not in AUDIO_FORMATS:
        raise BadInputError(f"Unknown audio format '{fmt}'; choose wav or mp3.")
    column = f"{fmt}_file"
    with _render_lock:  # one render at a time: two cores, and never twice for one song
        db.session.refresh(song)
        name = getattr(song, column)
        if name and storage.path(name).exists():
            return storage.path(name)
        try:
            from sonatina.audio import synth as audio
        except ImportError as exc:
            raise AudioUnavailable("Audio rendering is not installed on this server.") from exc
        name = storage.new_name("audio", f".{fmt}")
        try:
            audio.render(storage.path(song.midi_file), storage.path(name))
            storage.path(name).chmod(0o600)
        except SonatinaError:
            storage.delete(name)
            raise
        except (FileNotFoundError, OSError) as exc:
            storage.delete(name)
            log.exception("rendering song %s failed", song.id)
            raise AudioUnavailable("Audio could not be rendered on this server (is a SoundFont installed?).") from exc
        setattr(song, column, name)
        db.session.commit()
        return storage.path(name)


# ---------------------------------------------------------------- editing: versions of a song (issue 13)

EDIT_KINDS = ("regenerate", "extend")
EDIT_SETTINGS = {
    "regenerate": ("bars", "seconds", "tracks", "model", "genre", "temperature", "top_k", "top_p", "seed", "candidates"),
    "extend": ("seconds", "at", "tracks", "model", "genre", "temperature", "top_k", "top_p", "seed", "candidates"),
}


def edit_spec(kind: str):
    from sonatina.request import ExtendRequest, RegenerateRequest

    return RegenerateRequest if kind == "regenerate" else ExtendRequest


def check_edit_params(kind: str, raw: dict, source: str = "text") -> dict:
    """What a song page's form ("text") or a JSON client sent for an edit -> job params (JSON-able:
    a passage stays "9-12"), or one clear error. Bounds are the request spec's."""
    from sonatina.request import SettingError

    params = edit_spec(kind).validate(raw, source, only=EDIT_SETTINGS[kind])
    if kind == "regenerate" and (params["bars"] is None) == (params["seconds"] is None):
        raise SettingError("bars", "Choose the passage to write anew: bars (e.g. 9-12) or seconds (e.g. 20-30), one of them.")
    known = {m["name"]: m for m in models()}
    if params["model"] not in known:
        raise SettingError("model", f"Unknown model '{params['model']}'; choose one of: "
                                    f"{', '.join(sorted(known)) or 'none installed'}.")
    genres = known[params["model"]].get("genres") or []
    if params["genre"] is not None and params["genre"] not in genres:
        raise SettingError("genre", f"Model '{params['model']}' has no genre '{params['genre']}'; choose one of: "
                                    f"{', '.join(genres)}.")
    for name in ("bars", "seconds"):
        if isinstance(params.get(name), tuple):
            first, last = params[name]
            params[name] = f"{first:g}-{last:g}"
    return params


def _spans(params: dict) -> dict:
    """The job params' "9-12" texts as the API's (first, last) pairs."""
    out = {}
    for name in ("bars", "seconds"):
        value = params.get(name)
        if isinstance(value, str):
            first, last = (float(x) for x in value.split("-"))
            out[name] = (int(first), int(last)) if name == "bars" else (first, last)
    return out


def edit_job(song: Song, kind: str, params: dict) -> Job:
    """Queue a regeneration or extension of `song`; refused now, not in the job, when the passage
    or the tracks do not fit the piece. The result is a new version; the song itself stays."""
    from symusic import Score

    from sonatina import api

    score = Score(str(storage.path(song.midi_file)))  # our own clean MIDI
    spans = _spans(params) if kind == "regenerate" else {}
    api.check_edit(score, bars=spans.get("bars"), seconds=spans.get("seconds"), tracks=params.get("tracks"))
    return new_job(song.owner_id, params, None, kind=kind, source_song_id=song.id, source_name=song.title)


def run_edit(job: Job) -> list:
    """The job's edit of its song as one piece (called by run_job)."""
    from sonatina import api

    parent = db.session.get(Song, job.source_song_id) if job.source_song_id else None
    if parent is None or not storage.path(parent.midi_file).exists():
        raise BadInputError("The song to edit is gone; nothing was made.")
    params = dict(job.params)
    model = model_ref(params.pop("model"))
    source = storage.path(parent.midi_file)
    if job.kind == "regenerate":
        params.update(_spans(params))
        return [api.regenerate(source, model=model, **params)]
    return [api.extend(source, model=model, **params)]


def edit_song_fields(job: Job, settings: dict) -> dict:
    """Song columns and settings of a new version: the parent's title and playing settings, the
    next version number in its family."""
    parent = db.session.get(Song, job.source_song_id) if job.source_song_id else None
    inherited = {k: v for k, v in ((parent.settings or {}) if parent else {}).items()
                 if k in ("tempo", "key", "instrument", "instrument_name")}
    merged = {**inherited, **settings, "kind": job.kind, "edit": dict(job.params), "primer": None}
    family = versions(parent) if parent else []
    return {"settings": merged, "parent_id": parent.id if parent else None,
            "version": max((s.version or 1 for s in family), default=0) + 1,
            "title": (parent.title if parent else job.source_name or "Edited song")[:120]}


def versions(song: Song) -> list[Song]:
    """Every version in the song's family (its first version and all made from it), oldest first."""
    root = families.root(song)
    family, frontier = [root], [root.id]
    while frontier:
        children = list(db.session.scalars(select(Song).where(Song.parent_id.in_(frontier),
                                                              Song.owner_id == song.owner_id)))
        family += children
        frontier = [c.id for c in children]
    return sorted(family, key=lambda s: (s.version or 1, s.id))


def edit_again(song: Song, same_seed: bool) -> Job:
    """Make again (same seed) or vary an edited version: the same edit of the same parent."""
    parent = db.session.get(Song, song.parent_id) if song.parent_id else None
    if parent is None or song.settings.get("made_from_deleted"):
        raise BadInputError("The version this one was made from is deleted, so the edit cannot be made again.")
    params = dict(song.settings.get("edit") or {})
    params["seed"] = song.seed if same_seed else None
    params["model"] = params.get("model") or song.model
    return edit_job(parent, song.settings["kind"], check_edit_params(song.settings["kind"], params, "json"))


_score_lock = threading.Lock()
_engraving: dict[str, threading.Lock] = {}  # one engraving per score file at a time in this process
ENGRAVED_SUFFIXES = {"svg": ".svg", "musicxml": ".musicxml", "pdf": ".pdf"}


def score_file(song: Song, fmt: str) -> bytes:
    """The song as a score: "svg" (one page, screen width), "musicxml" or "pdf"; engraved once per
    MIDI file and title and kept in the files folder (scores/), so a restart or another server
    process reads it back; the song's rename or deletion removes it (drop_scores). The three share
    one MusicXML, music21's slow half of the work: the PDF after a page view costs only Verovio
    and drawing (bench/RESULTS.md, "Scores")."""
    from sonatina import api

    name = _score_name(song, fmt)
    kept = storage.path(name)
    if kept.exists():
        return kept.read_bytes()
    with _score_lock:
        engraving = _engraving.setdefault(name, threading.Lock())
    with engraving:  # a second request for the same score (the page's SVG and a click on PDF) waits
        try:
            if kept.exists():
                return kept.read_bytes()
            data = _musicxml(song) if fmt == "musicxml" else api.engrave_score(score_file(song, "musicxml"), fmt)
            kept.parent.mkdir(mode=0o700, exist_ok=True)
            written = kept.with_name(f".{kept.name}.{os.getpid()}.{threading.get_ident()}")
            written.write_bytes(data)
            written.replace(kept)  # whole or not at all, for a reader in another process
        finally:
            with _score_lock:
                _engraving.pop(name, None)
    return data


def _score_name(song: Song, fmt: str) -> str:
    """scores/<the MIDI file's name>-<the title's digest>.<format>: a renamed song's score shows
    its new title."""
    title = hashlib.sha1(song.title.encode()).hexdigest()[:12]
    return f"scores/{Path(song.midi_file).stem}-{title}{ENGRAVED_SUFFIXES[fmt]}"


def drop_scores(song: Song) -> None:
    """Delete every score kept for the song's MIDI file (any title, any format)."""
    folder = storage.root() / "scores"
    if song.midi_file and folder.is_dir():
        storage.delete(*(f"scores/{p.name}" for p in folder.glob(f"{Path(song.midi_file).stem}-*")))


def _musicxml(song: Song) -> bytes:
    import tempfile

    from symusic import Score

    from sonatina import api

    score = Score(str(storage.path(song.midi_file)))
    with tempfile.TemporaryDirectory() as folder:
        return api.export_score(score, Path(folder) / "score.musicxml", song.title).read_bytes()


def metre_note(song: Song) -> str | None:
    """The sentence on a converted or continued song whose source (or primer) was not in 4/4, from
    the metre stored with the song when its job ran (settings["source_metre"]); None otherwise."""
    from sonatina.music.metre import regrouped_note

    settings = song.settings or {}
    if settings.get("kind") in EDIT_KINDS:
        return None  # a version: its page is about the edit, the first version's about the source
    return regrouped_note(settings.get("source_metre"), "source" if song.is_conversion else "primer")


def piece_facts(song: Song) -> dict:
    """Bars, seconds and tracks of the song (for the edit form's bounds)."""
    from symusic import Score

    from sonatina import api

    return api.describe_piece(Score(str(storage.path(song.midi_file))))
