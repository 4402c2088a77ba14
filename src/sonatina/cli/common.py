"""What every `sonatina` command shares: JSON output and user-facing errors."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from sonatina.errors import SonatinaError

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object summarising the result on stdout.")


def user_errors(func):
    """Turn SonatinaError (and a path the system refuses) into one sentence on stderr and exit code 2,
    never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SonatinaError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        except OSError as exc:  # a path the system refuses (an --out in a read-only or missing place, a full disk)
            if exc.filename is None:
                raise
            if isinstance(exc, (FileExistsError, NotADirectoryError)):  # folders are made with exist_ok
                path = Path(exc.filename)
                in_the_way = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
                click.echo(f"Error: '{in_the_way}' is a file, not a folder, so nothing can be written inside it.",
                           err=True)
            else:
                click.echo(f"Error: Sonatina could not open '{exc.filename}': {exc.strerror}.", err=True)
            sys.exit(2)

    return wrapper


def emit(result: dict, as_json: bool, human: str) -> None:
    """Print either the JSON summary (machine use) or a short human sentence."""
    if as_json:
        click.echo(json.dumps(result, default=str))
    else:
        click.echo(human)


def _numbered(path: Path, index: int, count: int) -> Path:
    return path if count == 1 else path.with_name(f"{path.stem}-{index}{path.suffix}")


MIDI_OUT_SUFFIXES = (".mid", ".midi")


def request_options(spec):
    """One click option per setting of a RequestSpec: help, default and bounds come from the spec.
    Values arrive as text and spec.validate() judges them, so the CLI says what the web says."""
    def decorate(command):
        for setting in reversed(list(spec)):
            words = setting.help + (f" ({setting.range_text()})" if setting.range_text() else "")
            if setting.default is not None:
                words += f"  [default: {setting.default_text()}]"
            kind = click.Path(dir_okay=False) if setting.kind == "file" else None
            metavar = {"integer": "INTEGER", "number": "NUMBER", "file": "FILE"}.get(setting.kind, "TEXT")
            command = click.option(setting.flag, setting.name, type=kind, metavar=metavar, help=words)(command)
        return command
    return decorate


def output_paths(out: Path, audio: str | None, variations: int, primer: str | None,
                 what: str = "primer") -> list[tuple[Path, Path | None]]:
    """(MIDI path, audio path) per piece, or one sentence when a path would write the wrong kind of
    file or two files (or a file and the primer or source, named by `what`) would share a path."""
    if out.suffix.lower() not in MIDI_OUT_SUFFIXES:
        hint = f"; for audio add --audio {out.suffix.lower()[1:]}, which writes it beside the MIDI" \
            if out.suffix.lower() in (".mp3", ".wav", ".flac") else ""
        raise SonatinaError(f"--out names the MIDI file, so it must end in .mid or .midi, not '{out.name}'{hint}.")
    paths = [(midi, midi.with_suffix(f".{audio}") if audio else None)
             for midi in (_numbered(out, i, variations) for i in range(1, variations + 1))]
    taken = set()
    for path in (p for pair in paths for p in pair if p is not None):
        if primer and path.resolve() == Path(primer).resolve():
            raise SonatinaError(f"Writing '{path}' would overwrite the {what}; choose another --out.")
        if path.resolve() in taken:
            raise SonatinaError(f"Two outputs would share the path '{path}'; choose another --out.")
        taken.add(path.resolve())
    for path in taken:
        _check_writable(path)
    return paths


def _check_writable(path: Path) -> None:
    """Fail before composing, with the OSError user_errors turns into a sentence, where the system
    will not let us write `path` (symusic's own writer said only "RuntimeError: File not found")."""
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    with path.open("ab"):
        pass
    if not existed:
        path.unlink()


def piece_outputs(command):
    """The --audio and --out options of every command that writes pieces."""
    command = click.option("--out", required=True, type=click.Path(dir_okay=False),
                           help="FILE.mid (numbered -1, -2... for variations; audio goes beside it as FILE.mp3 etc.).")(command)
    return click.option("--audio", type=click.Choice(["mp3", "wav", "flac"]),
                        help="Also render audio beside each MIDI.")(command)


def source_piece_options(spec):
    """What every command that turns one SOURCE piece into new pieces takes: SOURCE, the spec's
    options, --audio/--out and --json, with a user's error said in one sentence."""
    def decorate(command):
        for option in (user_errors, json_option, piece_outputs, request_options(spec),
                       click.argument("source", type=click.Path(dir_okay=False))):
            command = option(command)
        return command
    return decorate


def write_pieces(pieces, outputs: list[tuple[Path, Path | None]]) -> list[dict]:
    """Write each piece's MIDI, and its audio where asked; one JSON-ready summary per piece."""
    files = []
    for piece, (midi, sound) in zip(pieces, outputs):
        entry = {"midi": str(piece.write_midi(midi)), "seconds": round(piece.duration_s, 3),
                 "notes": piece.score.note_num(), "tracks": [t.name for t in piece.score.tracks],
                 "seed": piece.seed, "settings": piece.settings}
        if sound:
            from sonatina.audio.synth import render

            entry["audio"] = render(piece.score, sound)["path"]
        files.append(entry)
    return files


def metre_note(settings: dict, what: str = "source") -> str:
    """' The source is in 2/4; ...' when Sonatina's 4/4 regroups the bars of the piece it started
    from (music.metre.source_metre), else ''."""
    from sonatina.music.metre import regrouped_note

    note = regrouped_note(settings.get("source_metre"), what)
    return f" {note}" if note else ""
