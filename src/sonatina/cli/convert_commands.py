"""`sonatina convert | classify`: a piece in another genre, and which genre a piece sounds like."""

from __future__ import annotations

import time
from pathlib import Path

import click

from sonatina.cli.common import (emit, json_option, metre_note, output_paths, source_piece_options, user_errors,
                                 write_pieces)
from sonatina.request import ConvertRequest


@click.command()
@source_piece_options(ConvertRequest)
def convert(source, audio, out, as_json, **options):
    """Play SOURCE (MIDI, MusicXML, ABC or a recording) in another genre: its melody and harmony
    kept, its accompaniment, bass and drums made anew by the models, in 4/4 (other metres' bars
    are regrouped)."""
    from sonatina import api

    settings = ConvertRequest.validate(options)
    outputs = output_paths(Path(out), audio, settings["variations"], source, what="source")
    started = time.monotonic()
    pieces = api.convert(source, **settings)
    elapsed = time.monotonic() - started
    files = write_pieces(pieces, outputs)
    info = pieces[0].settings
    written = f" (its parts written as {info['written_as']})" if info["written_as"] != info["genre"] else ""
    # --key moves the tonic; the kept melody keeps its mode, so "A minor" may come out "A major"
    mode = (" (--key sets the tonic; the mode stays the melody's own)"
            if settings.get("key") and settings["key"] != info["key"] else "")
    names = ", ".join(Path(f["midi"]).name + (" and " + Path(f["audio"]).name if f.get("audio") else "")
                      for f in files)
    emit({"files": files, "convert_seconds": round(elapsed, 3)}, as_json,
         f"Wrote {names}: {Path(source).name} as {info['genre']}{written}, "
         f"{info['bars']} bars in {info['key']}{mode}, melody of {info['melody_notes']} notes kept, "
         f"parts: {', '.join(files[0]['tracks'])}.{metre_note(info)}")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@json_option
@user_errors
def classify(files, as_json):
    """Which genre each piece in FILES sounds like, with the shipped classifier's probabilities, and
    what the conversion judges hear in its drums and its accompaniment (the parts under the tune)."""
    from sonatina import api

    rows = []
    for f in files:
        heard = api.judge(f)
        rows.append({"file": f, "probabilities": heard["genre"] and _rounded(heard["genre"]),
                     "drums": heard["drums"] and _rounded(heard["drums"]),
                     "accompaniment": heard["accompaniment"] and _rounded(heard["accompaniment"])})
    lines = []
    for r in rows:
        said = [_top(r["probabilities"])] if r["probabilities"] else ["no pitched notes"]
        said += [f"{part}: " + _top(r[part], 1) for part in ("drums", "accompaniment") if r[part]]
        lines.append(f"{Path(r['file']).name}: " + "; ".join(said))
    emit({"pieces": rows}, as_json, "\n".join(lines))


def _rounded(probabilities: dict[str, float]) -> dict[str, float]:
    return {g: round(p, 4) for g, p in probabilities.items()}


def _top(probabilities: dict[str, float], count: int = 3) -> str:
    return ", ".join(f"{g} {p:.0%}" for g, p in list(probabilities.items())[:count])


def register(group: click.Group) -> None:
    group.add_command(convert)
    group.add_command(classify)
