"""`sonatina regenerate | extend | export`: work on a piece and read it as a score."""

from __future__ import annotations

import time
from pathlib import Path

import click

from sonatina.cli.common import emit, json_option, output_paths, source_piece_options, user_errors, write_pieces
from sonatina.request import ExtendRequest, RegenerateRequest


@click.command()
@source_piece_options(RegenerateRequest)
def regenerate(source, audio, out, as_json, **options):
    """Write one passage of SOURCE anew (--bars 9-12 or --seconds 20-30), keeping every other note
    exactly: the new passage continues what comes before it and is chosen, among --candidates
    samples, for how well it leads into what comes after."""
    from sonatina import api

    piece, files, elapsed = _edit(api.regenerate, RegenerateRequest, source, audio, out, options)
    s = piece.settings
    where = f"bars {s['bars'][0]}-{s['bars'][1]}" if "bars" in s else f"{s['passage_seconds'][0]:g}-{s['passage_seconds'][1]:g} s"
    emit({"files": files, "regenerate_seconds": round(elapsed, 3)}, as_json,
         f"Wrote {Path(files[0]['midi']).name}: {where} of {Path(source).name} written anew as {s['genre']} "
         f"({s['new_notes']} new notes, candidate {s['chosen'] + 1} of {s['candidates']}, seed {piece.seed}); "
         f"everything else kept.")


@click.command()
@source_piece_options(ExtendRequest)
def extend(source, audio, out, as_json, **options):
    """Add --seconds of music at the end (or --at start) of SOURCE in its style, its notes kept."""
    from sonatina import api

    piece, files, elapsed = _edit(api.extend, ExtendRequest, source, audio, out, options)
    s = piece.settings
    emit({"files": files, "extend_seconds": round(elapsed, 3)}, as_json,
         f"Wrote {Path(files[0]['midi']).name}: {Path(source).name} with {s['bars_added']:g} bars added at the "
         f"{s['at']} as {s['genre']} ({s['new_notes']} new notes, seed {piece.seed}); now {piece.duration_s:.1f} s.")


def _edit(edit, spec, source, audio, out, options):
    """SOURCE edited by `edit` (an api function) and written: the piece, its files and the
    seconds the edit took. A bad option is one sentence before anything is read."""
    spec.validate(options)
    outputs = output_paths(Path(out), audio, 1, source, what="source")
    started = time.monotonic()
    piece = edit(source, **options)
    elapsed = time.monotonic() - started
    return piece, write_pieces([piece], outputs), elapsed


@click.command("export")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="FILE.musicxml (or .xml), FILE.svg (pages 2, 3... as FILE-2.svg...) or FILE.pdf.")
@click.option("--title", default="", help="Title printed on the score (default: the file's name).")
@json_option
@user_errors
def export_score(source, out, title, as_json):
    """Write SOURCE (MIDI, MusicXML, ABC) as a score to read: MusicXML, or SVG/PDF engraved by Verovio,
    quantised to sixteenths and triplets, in its key and metre, piano parts on two staves."""
    from sonatina import api

    started = time.monotonic()
    paths = api.export_score_files(source, out, title)
    emit({"file": str(paths[0]), "files": [str(p) for p in paths], "export_seconds": round(time.monotonic() - started, 3)},
         as_json, f"Wrote {_files_said(paths)}.")


def _files_said(paths: list[Path]) -> str:
    """'x.svg', or 'x.svg and 9 more pages: x-2.svg ... x-10.svg': every page a user gets is named."""
    first, more = paths[0], [p.name for p in paths[1:]]
    if not more:
        return str(first)
    listed = f"{more[0]} ... {more[-1]}" if len(more) > 3 else ", ".join(more)
    return f"{first} and {len(more)} more page{'s' if len(more) > 1 else ''}: {listed}"


def register(group: click.Group) -> None:
    group.add_command(regenerate)
    group.add_command(extend)
    group.add_command(export_score)
