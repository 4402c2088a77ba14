"""The Python API: what the CLI and the web studio call, and what notebooks and scripts use.

    from sonatina import api
    pieces = api.compose("default", seconds=30, genre="jazz", key="D minor", seed=1)
    pieces[0].write_midi("tune.mid")
    card = api.train(["music21:bach"], out="runs/bach", preset="small", max_minutes=5)
    print(api.evaluate("runs/bach", ["held_out/"])["bits_per_note"])
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from pathlib import Path

from symusic import Score

from sonatina.audio.files import READ_SUFFIXES
from sonatina.compose.convert import TPQ as CONVERT_TPQ
from sonatina.compose.convert import convert_score, split_source
from sonatina.compose.pieces import Piece, check_primer_fits
from sonatina.compose.pieces import compose as _compose
from sonatina.compose.sample import SamplingConfig
from sonatina.data.corpus import collect_sources, load_score
from sonatina.data.dataset import build_dataset, ensure_validation
from sonatina.data.tokens import DEFAULT_SETTINGS
from sonatina.errors import BadInputError, SonatinaError, UnknownOptionError
from sonatina.model.checkpoint import preset as model_preset
from sonatina.model.designs import DESIGN_PRESETS
from sonatina.model.checkpoint import read_checkpoint
from sonatina.music.keys import key_name, parse_key
from sonatina.music.metre import source_metre
from sonatina.model.registry import (LoadedModel, drum_model, genre_classifier, list_models, load_model,
                                     resolve_model_path)
from sonatina.request import ConvertRequest, GenerationRequest

# Training and evaluation import torch (~1.5 s); they are imported where they are called so that
# composing, listing models and `sonatina --help` never load it.

__all__ = ["Piece", "check_convertible", "check_edit", "check_primer", "classify", "compose", "convert", "describe_piece",
           "engrave_score", "evaluate", "export_score", "export_score_files", "extend", "judge", "list_models", "load_model", "regenerate", "score_svg",
           "source_metre", "train"]
log = logging.getLogger(__name__)


def compose(model: str | Path | LoadedModel = "default", **kwargs) -> list[Piece]:
    """Compose pieces; see sonatina.compose.pieces.compose for the keyword arguments. A primer
    not in 4/4 is named in each piece's settings["source_metre"] (the piece is written in 4/4)."""
    loaded = model if isinstance(model, LoadedModel) else load_model(model)
    primer = kwargs.get("primer")
    if isinstance(primer, (str, Path)) and Path(primer).suffix.lower() in READ_SUFFIXES:
        # a recording is transcribed first, as convert, the edits and the studio's primer field do
        kwargs["primer"], _ = _read_piece(primer)
    if loaded.design != "remi":  # a seed design (issue 12) composes with its own loop
        from sonatina.compose.designs import compose_design

        pieces = compose_design(loaded, **kwargs)
    else:
        pieces = _compose(loaded, **kwargs)
    if kwargs.get("primer") is not primer:  # named as given, not as the transcription in memory
        for piece in pieces:
            piece.settings["primer"] = str(primer)
    return pieces


def train(sources: list[str], out: str | Path, *, preset: str = "small", genre: str | None = None,
          genre_folders: bool = False, limit: int | None = None, resume: bool = False, progress: bool = True,
          model_overrides: dict | None = None, description: str = "", command: str | None = None,
          init_from: str | Path | None = None, overwrite: bool = False, **train_options) -> dict:
    """Train a model on SOURCES into folder OUT; returns the best checkpoint's card.

    init_from (a model name or folder) fine-tunes that model: its network size and tokens are
    taken, and preset and size overrides are ignored. A model already in OUT is continued with
    resume=True and replaced only with overwrite=True; otherwise training is refused."""
    from sonatina.model.train import TrainConfig
    from sonatina.model.train import train as _train

    out = Path(out)
    _check_run_folder_free(out, resume=resume, overwrite=overwrite, design=preset in DESIGN_PRESETS)
    if preset in DESIGN_PRESETS:  # a seed design (issue 12): its own data, network and loop
        return _train_design(sources, out, preset, genre=genre, genre_folders=genre_folders, limit=limit,
                             resume=resume, init_from=init_from, progress=progress, overrides=model_overrides,
                             description=description, command=command, **train_options)
    try:
        config = TrainConfig(**train_options)
        start = resolve_model_path(init_from)[1] if init_from else None
        model_config = read_checkpoint(start)[0] if start else model_preset(preset)
        for name, value in ({} if start else model_overrides or {}).items():
            if value is not None:
                setattr(model_config, name, value)
        model_config.__post_init__()
    except (TypeError, ValueError) as exc:
        if isinstance(exc, SonatinaError):
            raise
        raise SonatinaError(str(exc)) from None
    refs = collect_sources(list(sources), genre=genre, genre_folders=genre_folders, limit=limit)
    dataset = build_dataset(refs, DEFAULT_SETTINGS, progress=progress)
    warnings = ensure_validation(dataset)
    for warning in warnings:
        log.warning(warning)
    out.mkdir(parents=True, exist_ok=True)
    dataset.write_split(out / "split.csv")
    if dataset.skipped:
        (out / "skipped.log").write_text("".join(f"{name}\t{why}\n" for name, why in dataset.skipped))
    extra = {"description": description or f"LSTM trained by `sonatina train` on {', '.join(sources)}",
             "data": {"sources": list(sources), "skipped_log": "skipped.log" if dataset.skipped else None,
                      "warnings": warnings},
             "command": command}
    if start:
        extra["fine_tuned_from"] = str(init_from)
    return _train(dataset, out, model_config, config, DEFAULT_SETTINGS, extra, resume=resume, progress=progress,
                  on_epoch_end=_draw_learning_curve, init_from=start)


def _check_run_folder_free(out: Path, *, resume: bool, overwrite: bool, design: bool) -> None:
    """Refuse, before any music is read, to train over a model a user already trained into OUT:
    its weights would be replaced at the first epoch's end."""
    from sonatina.model.checkpoint import WEIGHTS_FILE

    if resume or overwrite or not (out / WEIGHTS_FILE).is_file():
        return
    keep_on = "" if design else "add --resume to continue training it, "  # seed designs cannot resume
    raise SonatinaError(f"'{out}' already holds a trained model; {keep_on}add --overwrite to replace it, "
                        f"or choose another --out.")


def describe_model(name_or_path: str | Path) -> dict:
    """A model's row as `sonatina models` shows it (name, design, genres, description, score)."""
    from sonatina.model.registry import describe

    name, folder = resolve_model_path(name_or_path)
    return describe(folder, name)


def _train_design(sources, out: Path, preset: str, *, resume, init_from, overrides, **options) -> dict:
    from sonatina.model.design_train import train_design_run
    from sonatina.model.designs import DESIGN_BATCH
    from sonatina.model.train import TrainConfig

    if resume or init_from:
        raise SonatinaError(f"--resume and --init-from work with the REMI presets only, not with '{preset}'.")
    run_options = {k: options.pop(k) for k in ("genre", "genre_folders", "limit", "progress", "description", "command")}
    window = options.pop("seq_len", None)
    options["batch_size"] = options.get("batch_size") or DESIGN_BATCH
    try:
        config = TrainConfig(**{k: v for k, v in options.items() if v is not None})
    except (TypeError, ValueError) as exc:
        raise SonatinaError(str(exc)) from None
    sizes = {k: v for k, v in (overrides or {}).items() if k != "embed_dim"}
    return train_design_run(sources, out, preset, config, overrides={**sizes, "window": window},
                            on_epoch_end=_draw_learning_curve, **run_options)


def _draw_learning_curve(run: Path) -> None:
    """After every epoch: the run's learning_curve.png, current while a long training goes on."""
    from sonatina.analysis.plots import learning_curve

    learning_curve(run, run / "learning_curve.png")


def evaluate(model: str | Path | LoadedModel, sources: list[str], genre: str | None = None,
             progress: bool = False) -> dict:
    """Held-out negative log-likelihood of SOURCES under MODEL, in bits per note and per token."""
    from sonatina.model.evaluate import likelihood

    loaded = model if isinstance(model, LoadedModel) else load_model(model)
    if genre is not None and genre not in loaded.genres:
        raise UnknownOptionError(f"Model '{loaded.name}' knows no genre '{genre}'; it knows {', '.join(loaded.genres)}.")
    if loaded.design != "remi":  # seed designs are not conditioned on genre: every piece scores alike
        from sonatina.model.designs import evaluate_design

        return evaluate_design(loaded, sources, progress=progress)
    refs = collect_sources(list(sources))
    dataset = build_dataset(refs, loaded.card.get("tokenizer", DEFAULT_SETTINGS), progress=progress)

    def genre_of(piece):  # --genre, else the piece's own label if the model knows it, else a mixture
        chosen = genre or (piece.genre if piece.genre in loaded.genres else None)
        return None if chosen is None else loaded.genres.index(chosen)

    result = likelihood(loaded.net, dataset.pieces, genre_of, loaded.vocab, progress=progress)
    return {"model": loaded.name, **result.as_dict(), "skipped": len(dataset.skipped),
            "skipped_files": [name for name, _ in dataset.skipped]}


def convert(source: str | Path | Score, to: str | None = None, model: str | Path | LoadedModel = "default",
            progress=None, **settings) -> list[Piece]:
    """SOURCE (a MIDI/MusicXML/ABC file, a recording, or a Score) played as genre TO, once per
    variation; settings as in sonatina.request.ConvertRequest (strength, keep, melody_track,
    tempo, key, instrument, temperature, top_k, top_p, seed, variations). `progress(fraction)` is
    called as the parts are written. The result is in 4/4: settings["source_metre"] names a
    source metre whose bars are regrouped (see source_metre)."""
    asked = ConvertRequest.validate({"to": to, **settings}, only=tuple(s for s in ConvertRequest.settings if s != "model"))
    if asked["to"] is None:
        raise SonatinaError("Say which genre to convert to, e.g. to='jazz' (CLI: --to jazz).")
    loaded = model if isinstance(model, LoadedModel) else load_model(model)
    if loaded.design != "remi":
        raise SonatinaError(f"Converting needs a REMI model; '{loaded.name}' is a {loaded.design} design.")
    score, name = _read_piece(source)
    base_seed = asked["seed"] if asked["seed"] is not None else secrets.randbelow(2**31)
    seeds = [(base_seed + i) % (GenerationRequest["seed"].maximum + 1) for i in range(asked["variations"])]
    scores, info = convert_score(
        loaded, drum_model(), score, asked["to"], keep_bass=asked["keep"] == "melody+bass",
        melody_track=asked["melody_track"], strength=asked["strength"], tempo=asked["tempo"], key=asked["key"],
        melody_instrument=asked["instrument"], sampling=SamplingConfig(asked["temperature"], asked["top_k"], asked["top_p"]),
        seeds=seeds, progress=progress)
    if asked["key"]:  # the tonic as the user spelled it: --key "Gb major" is not reported as F# major
        info = {**info, "key": key_name(*parse_key(info["key"]), spelled=asked["key"])}
    settings_out = {k: asked[k] for k in ("strength", "keep", "temperature", "top_k", "top_p")}
    return [Piece(s, seed, {**info, **settings_out, "model": loaded.name, "source": name, "seed": seed,
                            "variation": i + 1, "variations": len(seeds), "source_metre": source_metre(score)})
            for i, (s, seed) in enumerate(zip(scores, seeds))]


def check_convertible(source: str | Path | Score, melody_track: int | None = None, keep: str = "melody") -> None:
    """Raise the sentence convert() would raise for a piece it cannot convert (drums only, no
    melody to keep, longer than a movement, no such melody track), without converting it."""
    score, _ = _read_piece(source)
    split_source(score.resample(CONVERT_TPQ), melody_track, keep == "melody+bass")


def check_primer(primer: str | Path | Score, seconds: float, tempo: float | None = None) -> None:
    """Raise the sentence compose() would raise for a primer already as long as the piece asked for."""
    score, _ = _read_piece(primer)
    check_primer_fits(score, seconds, tempo)


def classify(source: str | Path | Score) -> dict[str, float]:
    """Which genre SOURCE sounds like: probabilities per genre of the shipped classifier, most likely first."""
    score, _ = _read_piece(source)
    probabilities = genre_classifier().probabilities(score)
    return dict(sorted(probabilities.items(), key=lambda kv: -kv[1]))


def judge(source: str | Path | Score) -> dict[str, dict[str, float] | None]:
    """What SOURCE sounds like, whole and by parts: "genre" (the genre classifier, as classify()),
    "drums" (the drum-style judge) and "accompaniment" (the judge of the parts that are not the
    melody); a part the piece lacks is None, and "genre" is None for drums alone. See
    sonatina.model.judges."""
    from sonatina.model.judges import hear

    score, _ = _read_piece(source)
    parts = hear(score)
    if parts["drums"] is not None and not any(len(t.notes) for t in score.tracks if not t.is_drum):
        return {"genre": None, **parts}
    probabilities = genre_classifier().probabilities(score)  # no notes at all: its sentence says so
    return {"genre": dict(sorted(probabilities.items(), key=lambda kv: -kv[1])), **parts}


def _read_piece(source: str | Path | Score) -> tuple[Score, str]:
    """A user's piece as a Score: music files are read in the sandbox, recordings transcribed first."""
    if isinstance(source, Score):
        return source, "score"
    path = Path(source)
    if path.suffix.lower() in READ_SUFFIXES:
        from sonatina.audio.transcribe import transcribe

        with tempfile.TemporaryDirectory() as folder:
            midi = Path(folder) / "transcribed.mid"
            transcribe(path, midi)
            return load_score(midi), path.name
    return load_score(path), path.name


# ---------------------------------------------------------------- editing a piece (issue 13)

def _edit_model(model, genre: str | None, score: Score):
    """(loaded model, genre index, genre name) for an edit: the genre asked for, else the one the
    genre classifier hears in the piece if the model knows it, else the model's default."""
    loaded = model if isinstance(model, LoadedModel) else load_model(model)
    if getattr(loaded, "design", "remi") != "remi":
        raise SonatinaError(f"Editing a piece needs a REMI model; '{loaded.name}' is a {loaded.design} design.")
    if genre is not None:
        if genre not in loaded.genres:
            raise UnknownOptionError(f"Model '{loaded.name}' knows no genre '{genre}'; it knows {', '.join(loaded.genres)}.")
    else:
        try:
            ranking = genre_classifier().probabilities(score)
            heard = sorted((g for g in ranking if g in loaded.genres), key=lambda g: -ranking[g])
        except BadInputError:  # nothing it can judge (drums alone): the edit itself says what is wrong
            heard = []
        except Exception:  # the classifier is a nicety here: the model's default still works
            log.exception("classifying a piece to edit failed")
            heard = []
        genre = heard[0] if heard else loaded.default_genre
    return loaded, loaded.genres.index(genre), genre


def regenerate(source: str | Path | Score, bars: str | tuple[int, int] | None = None,
               seconds: str | tuple[float, float] | None = None, model: str | Path | LoadedModel = "default",
               **settings) -> Piece:
    """SOURCE with one passage written anew: `bars` (1-based, inclusive: "9-12" or (9, 12)) or
    `seconds` ("20-30" or (20, 30)); every note outside it (and of tracks not chosen) kept exactly.
    Settings as in sonatina.request.RegenerateRequest: tracks ("melody" or "0,2"), genre,
    temperature, top_k, top_p, seed, candidates. See sonatina.compose.regenerate."""
    from sonatina.compose.regenerate import choose_tracks, passage_of_bars, passage_of_seconds, regenerate_passage
    from sonatina.request import RegenerateRequest

    raw = {"bars": _span_text(bars), "seconds": _span_text(seconds), **settings}
    asked = RegenerateRequest.validate(raw, only=tuple(s for s in RegenerateRequest.settings if s != "model"))
    if (asked["bars"] is None) == (asked["seconds"] is None):
        raise SonatinaError("Say which passage to write anew: bars (e.g. 9-12) or seconds (e.g. 20-30), one of them.")
    score, name = _read_piece(source)
    passage = passage_of_bars(score, *asked["bars"]) if asked["bars"] else passage_of_seconds(score, *asked["seconds"])
    tracks = choose_tracks(score, _track_list(asked["tracks"]))
    loaded, genre_index, genre = _edit_model(model, asked["genre"], score)
    seed = asked["seed"] if asked["seed"] is not None else secrets.randbelow(2**31)
    result = regenerate_passage(loaded, score, passage, tracks=tracks, genre=genre_index, seed=seed,
                                sampling=SamplingConfig(asked["temperature"], asked["top_k"], asked["top_p"]),
                                candidates=asked["candidates"])
    where = {"bars": list(asked["bars"])} if asked["bars"] else {"passage_seconds": list(asked["seconds"])}
    return Piece(result.score, seed, {"kind": "regenerate", **where, **_edit_info(asked, loaded, genre, seed, name),
                                      **result.info})


def extend(source: str | Path | Score, seconds: float | None = None, at: str | None = None,
           model: str | Path | LoadedModel = "default", **settings) -> Piece:
    """SOURCE with SECONDS more music at its end (or start, in whole bars), in its style; its own
    notes kept exactly (at the start, moved later by the added time). Settings as in
    sonatina.request.ExtendRequest."""
    from sonatina.compose.regenerate import bar_ticks, choose_tracks, extend_piece
    from sonatina.request import ExtendRequest

    asked = ExtendRequest.validate({"seconds": seconds, "at": at, **settings},
                                   only=tuple(s for s in ExtendRequest.settings if s != "model"))
    score, name = _read_piece(source)
    tracks = choose_tracks(score, _track_list(asked["tracks"]))
    loaded, genre_index, genre = _edit_model(model, asked["genre"], score)
    seed = asked["seed"] if asked["seed"] is not None else secrets.randbelow(2**31)
    tempos = sorted(score.tempos, key=lambda t: t.time)
    qpm = float((tempos[-1] if asked["at"] == "end" else tempos[0]).qpm) if tempos else 120.0
    beats = max(1, round(asked["seconds"] * qpm / 60.0))
    result = extend_piece(loaded, score, beats, asked["at"], tracks=tracks, genre=genre_index, seed=seed,
                          sampling=SamplingConfig(asked["temperature"], asked["top_k"], asked["top_p"]),
                          candidates=asked["candidates"])
    added_bars = (result.passage.end - result.passage.start) / bar_ticks(score)
    return Piece(result.score, seed, {"kind": "extend", "at": asked["at"], "seconds_added": asked["seconds"],
                                      "bars_added": round(added_bars, 2),
                                      **_edit_info(asked, loaded, genre, seed, name), **result.info})


def _span_text(span) -> str | None:
    if span is None or isinstance(span, str):
        return span
    first, last = span
    return f"{first}-{last}"


def _track_list(text: str | None) -> list[str] | None:
    return [part for part in (text or "").split(",") if part.strip()] or None


def _edit_info(asked: dict, loaded: LoadedModel, genre: str, seed: int, source_name: str) -> dict:
    return {"model": loaded.name, "genre": genre, "tracks_asked": asked["tracks"], "temperature": asked["temperature"],
            "top_k": asked["top_k"], "top_p": asked["top_p"], "seed": seed, "candidates_asked": asked["candidates"],
            "source": source_name}


def export_score(source: str | Path | Score, out: str | Path, title: str = "") -> Path:
    """SOURCE's score written to OUT: MusicXML (.musicxml/.xml), SVG pages (.svg) or PDF (.pdf),
    engraved with Verovio; see sonatina.audio.notation for the choices it makes. Returns OUT;
    export_score_files returns every file (an SVG's pages 2, 3... are OUT-2.svg, OUT-3.svg...)."""
    return export_score_files(source, out, title)[0]


def export_score_files(source: str | Path | Score, out: str | Path, title: str = "") -> list[Path]:
    """export_score(), returning every file it wrote: OUT, then an SVG's further pages in order."""
    from sonatina.audio.notation import export_files, format_of

    format_of(out)  # a wrong suffix is refused before the piece is read
    score, name = _read_piece(source)
    return export_files(score, out, title or Path(name).stem)


def score_svg(source: str | Path | Score, title: str = "", width: int = 2400) -> str:
    """SOURCE engraved for a screen: one SVG `width` Verovio units wide (the studio's score view)."""
    from sonatina.audio.notation import svg_pages

    score, name = _read_piece(source)
    return svg_pages(score, title or Path(name).stem, width=width)[0]


def engrave_score(musicxml: bytes, fmt: str, width: int = 2400) -> bytes:
    """A score export_score wrote as MusicXML, engraved again as "pdf" (A4 pages) or "svg" (one page
    `width` Verovio units wide, as score_svg): music21's half of the work is not done twice."""
    from sonatina.audio.notation import engrave

    return engrave(musicxml, fmt, width=width if fmt == "svg" else None)


def describe_piece(source: str | Path | Score) -> dict:
    """What an editor needs to know about SOURCE: its bars, length in seconds, seconds per bar
    (at its first tempo) and tracks."""
    from sonatina.compose.regenerate import bar_count, bar_ticks

    score, _ = _read_piece(source)
    qpm = float(score.tempos[0].qpm) if len(score.tempos) else 120.0
    return {"bars": bar_count(score), "seconds": round(float(score.to("second").end()), 3),
            "seconds_per_bar": round(bar_ticks(score) / score.ticks_per_quarter * 60.0 / qpm, 4),
            "tracks": [{"index": i, "name": t.name, "drums": bool(t.is_drum), "notes": len(t.notes)}
                       for i, t in enumerate(score.tracks)]}


def check_edit(source: str | Path | Score, bars=None, seconds=None, tracks: str | None = None) -> None:
    """Raise the sentence regenerate() would raise for this passage and these tracks (bars outside
    the piece, a passage as long as it, a piece with no notes, no such track), without writing music.
    With neither bars nor seconds it checks what extend() checks: notes and tracks."""
    from sonatina.compose.regenerate import check_has_notes, choose_tracks, passage_of_bars, passage_of_seconds

    score, _ = _read_piece(source)
    check_has_notes(score)
    if bars is not None:
        passage_of_bars(score, *bars)
    elif seconds is not None:
        passage_of_seconds(score, *seconds)
    choose_tracks(score, _track_list(tracks))


def music_font() -> bytes:
    """The SMuFL music font (WOFF2) that score_svg's drawings are meant to be shown with."""
    from sonatina.audio.notation import music_font as _font

    return _font()
