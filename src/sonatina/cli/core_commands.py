"""`sonatina train | generate | evaluate | models`: thin wrappers over sonatina.api."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import click

from sonatina.cli.common import (emit, json_option, metre_note, output_paths, piece_outputs, request_options,
                                 user_errors, write_pieces)
from sonatina.request import GenerationRequest
from sonatina.model.checkpoint import PRESETS
from sonatina.model.designs import DESIGN_PRESETS


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Run folder: checkpoint, curves, logs.")
@click.option("--preset", default="small", type=click.Choice([*PRESETS, *DESIGN_PRESETS]), show_default=True,
              help="REMI LSTM size (tiny/small/medium/large), or a seed design: classic (notes and chords, LSTM 512x3, "
                   "windows of 100), twolayer (notes and chords, LSTM 256x2), bilstm-psdv (pitch/step/duration/"
                   "velocity, 3-layer bidirectional LSTM, windows of 25). Notes-and-chords designs compose one event "
                   "per half beat at one length and velocity; no seed design is conditioned on genre or mode.")
@click.option("--genre", help="Genre label for sources given without GENRE=SOURCE.")
@click.option("--genre-folders", is_flag=True, help="Folders' first-level subfolders name the genres (data/<genre>/...).")
@click.option("--limit", type=click.IntRange(min=1), help="Use at most N files from each source.")
@click.option("--epochs", type=click.IntRange(min=1),
              help="Most passes over the training music (default: 20; no cap when --max-minutes is given).")
@click.option("--max-minutes", type=click.FloatRange(min=0.01),
              help="Train for this long (or until validation stops improving), keeping the best checkpoint.")
@click.option("--device", default="cpu", show_default=True, help="cpu or cuda.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last epoch.")
@click.option("--overwrite", is_flag=True,
              help="Replace a model already trained in --out (without it, or --resume, training there is refused).")
@click.option("--init-from", metavar="MODEL",
              help="Fine-tune this model (shipped name or run folder): start from its weights and size.")
@click.option("--batch-size", type=click.IntRange(min=1), help="Windows per step (default: 32; 64 for seed designs).")
@click.option("--seq-len", type=click.IntRange(min=8),
              help="Tokens per window (default: 256; a seed design's window: 100 events or 25 notes).")
@click.option("--learning-rate", type=float, default=2e-3, show_default=True)
@click.option("--patience", type=click.IntRange(min=1), default=3, show_default=True, help="Early-stop epochs.")
@click.option("--transpose", type=click.IntRange(0, 12), default=0, show_default=True,
              help="Augment by random transposition up to +-N semitones.")
@click.option("--steps-per-epoch", type=click.IntRange(min=1), help="Override the automatic epoch length.")
@click.option("--embed-dim", type=click.IntRange(min=1), help="Override the preset's embedding width.")
@click.option("--hidden-size", type=click.IntRange(min=1), help="Override the preset's LSTM width.")
@click.option("--layers", "num_layers", type=click.IntRange(min=1), help="Override the preset's LSTM depth.")
@click.option("--dropout", type=click.FloatRange(0, 0.95), help="Override the preset's dropout.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--description", default="", help="One line for the model card.")
@json_option
@user_errors
def train(sources, out, preset, genre, genre_folders, limit, resume, overwrite, init_from, embed_dim, hidden_size, num_layers, dropout,
          description, as_json, **options):
    """Train an LSTM on SOURCES (files, folders, MAESTRO, GENRE=SOURCE, music21:NAME)."""
    from sonatina import api

    started = time.monotonic()
    options = {k: v for k, v in options.items() if v is not None or k not in ("batch_size", "seq_len")}
    card = api.train(list(sources), out, preset=preset, genre=genre, genre_folders=genre_folders, limit=limit,
                     resume=resume, overwrite=overwrite, init_from=init_from, progress=not as_json, description=description,
                     command=shlex.join(["sonatina", *sys.argv[1:]]),
                     model_overrides={"embed_dim": embed_dim, "hidden_size": hidden_size,
                                      "num_layers": num_layers, "dropout": dropout}, **options)
    if not card:  # a non-zero rank under torchrun: rank 0 reports
        return
    val = card["validation"]
    result = {"out": str(Path(out)), "checkpoint": str(Path(out) / "model.safetensors"),
              "bits_per_note": val["bits_per_note"], "bits_per_token": val["bits_per_token"],
              "epochs": card["training"]["epochs"], "minutes": round((time.monotonic() - started) / 60, 2),
              "genres": card["genres"], "data": card["data"], "warnings": card["data"].get("warnings", [])}
    emit(result, as_json, f"Best checkpoint: {out} (validation {val['bits_per_note']:.3f} bits/note after "
                          f"{val['epoch']} epoch(s)); learning curve in {Path(out) / 'learning_curve.png'}."
                          + "".join(f"\nWarning: {w}" for w in result["warnings"]))


def _genre_words(settings: dict) -> str:
    """'pop, ' for the message: without --genre a user was not told which genre the piece is in."""
    return f"{settings['genre']}, " if settings.get("genre") else ""


@click.command()
@request_options(GenerationRequest)
@piece_outputs
@json_option
@user_errors
def generate(out, audio, as_json, **options):
    """Compose new music and write it as standard MIDI."""
    from sonatina import api

    settings = GenerationRequest.validate(options)  # every bound checked before anything is loaded
    outputs = output_paths(Path(out), audio, settings["variations"], settings["primer"])
    started = time.monotonic()
    pieces = api.compose(settings.pop("model"), **settings)
    elapsed = time.monotonic() - started
    files = write_pieces(pieces, outputs)
    described = "; ".join(
        f"{Path(f['midi']).name}{' and ' + Path(f['audio']).name if f.get('audio') else ''} "
        f"({f['seconds']:.1f} s, {_genre_words(f['settings'])}{f['settings']['key']}, {f['settings']['tempo']:g} BPM, "
        f"seed {f['seed']})"
        for f in files)
    folder = Path(files[0]["midi"]).parent
    where = "" if folder.resolve() == Path.cwd().resolve() else f" in {folder}"  # not "in .."
    inferred = pieces[0].settings.get("inferred_from_primer") or {}
    told = f" From the primer: {'; '.join(f'{k} {v}' for k, v in inferred.items())}." if inferred else ""
    emit({"files": files, "compose_seconds": round(elapsed, 3), "inferred_from_primer": inferred}, as_json,
         f"Wrote {described}{where}.{told}{metre_note(pieces[0].settings, 'primer')}")


@click.command()
@click.option("--model", required=True, help="Shipped model name, checkpoint file or run folder.")
@click.option("--genre", help="Condition on this genre (default: a GENRE=SOURCE label, else the model's genre mixture).")
@click.argument("sources", nargs=-1, required=True)
@json_option
@user_errors
def evaluate(model, genre, sources, as_json):
    """Held-out negative log-likelihood of SOURCES under MODEL (bits per note, per token)."""
    from sonatina import api

    result = api.evaluate(model, list(sources), genre=genre, progress=not as_json)
    pitch = f" ({result['bits_per_note_pitch']:.3f} for pitch alone)" if result.get("bits_per_note_pitch") else ""
    emit(result, as_json, f"{result['model']}: {result['bits_per_note']:.3f} bits per note{pitch}, "
                          f"{result['bits_per_token']:.3f} bits per token over {result['pieces']} piece(s)"
                          f" ({result['skipped']} skipped).")


@click.command()
@click.argument("runs", nargs=-1)
@json_option
@user_errors
def models(runs, as_json):
    """List the shipped models (and the checkpoints or run folders RUNS): design, genres, score."""
    from sonatina.api import describe_model, list_models

    rows = list_models() + [describe_model(run) for run in runs]
    lines = [f"{r['name']} ({r.get('design', 'remi')}): genres {', '.join(r['genres'])}; validation "
             f"{r['bits_per_note']:.3f} bits/note. {r['description']}" for r in rows]
    emit({"models": rows}, as_json, "\n".join(lines) or "No shipped models are installed.")


def register(group: click.Group) -> None:
    for command in (train, generate, evaluate, models):
        group.add_command(command)
