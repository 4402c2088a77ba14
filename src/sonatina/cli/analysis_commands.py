"""`sonatina metrics | plot | compare`: judge pieces and sets of pieces, draw them."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import click

from sonatina.cli.common import emit, json_option, user_errors
from sonatina.errors import BadInputError

PLOT_KINDS = ("pianoroll", "pitch-classes", "transitions", "spectrogram", "curves", "all")
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg")

# Short column headers for the terminal table; the full names are in --json / --csv.
SHORT = {
    "pitch_range": "range", "n_pitches_used": "pitches", "n_pitch_classes_used": "classes",
    "pitch_entropy": "H(pitch)", "pitch_class_entropy": "H(class)", "scale_consistency": "scale",
    "mean_pitch_shift": "shift", "polyphony": "poly", "polyphony_rate": "poly%",
    "empty_beat_rate": "empty", "groove_consistency": "groove", "note_density": "notes/s", "mean_ioi": "ioi(s)",
}  # fmt: skip


def _expand(paths: tuple[str, ...]) -> list[tuple[Path, bool]]:
    """(file, named by the user) pairs: files as given; folders become the music files under them."""
    from sonatina.data.corpus import music_files

    files: list[tuple[Path, bool]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = music_files(path)
            if not found:
                raise BadInputError(f"The folder '{path}' holds no MIDI, MusicXML or ABC files.")
            files += [(f, False) for f in found]
        elif path.exists():
            files.append((path, True))
        else:
            raise BadInputError(f"'{path}' does not exist.")
    return files


def _none_for_nan(row: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


@click.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Also write one row per piece to this CSV file.")
@json_option
@user_errors
def metrics(files, csv_path, as_json):
    """Symbolic metrics of each piece in FILES (files or folders of MIDI/MusicXML/ABC).

    Definitions and fixed settings: python -c "import sonatina.analysis.metrics; help(sonatina.analysis.metrics)"."""
    from sonatina.analysis import metrics as M
    from sonatina.data.corpus import load_score

    rows, skipped = [], []
    for path, named in _expand(files):
        try:
            rows.append({"file": str(path), **M.piece_metrics(load_score(path))})
        except BadInputError as exc:
            if named:  # a file the user named must be readable; one bad file in a folder is skipped
                raise
            skipped.append({"file": str(path), "reason": str(exc)})
            click.echo(f"Skipped: {exc}", err=True)
    if not rows:
        raise BadInputError("None of the given files could be read.")
    if csv_path:
        try:
            with open(csv_path, "w", newline="") as handle:
                writer = csv.DictWriter(handle, ["file", *M.METRICS])
                writer.writeheader()
                writer.writerows(rows)
        except OSError as exc:
            raise BadInputError(f"Cannot write '{csv_path}' ({exc.strerror}).") from None
    if as_json:
        settings = {"resolution_steps_per_quarter": M.RESOLUTION, "polyphony_threshold": M.POLYPHONY_THRESHOLD,
                    "default_metre": "/".join(map(str, M.DEFAULT_METRE))}
        emit({"pieces": [_none_for_nan(r) for r in rows], "skipped": skipped, "units": M.UNITS,
              "settings": settings, "csv": csv_path}, True, "")
        return
    name_width = min(40, max(4, *(len(Path(r["file"]).name) for r in rows)))
    header = f"{'file':<{name_width}}" + "".join(f"{SHORT[m]:>9}" for m in M.METRICS)
    click.echo(header)
    for row in rows:
        name = Path(row["file"]).name[:name_width]
        cells = "".join(f"{'n/a' if math.isnan(row[m]) else format(row[m], '.3g'):>9}" for m in M.METRICS)
        click.echo(f"{name:<{name_width}}{cells}")
    click.echo("columns: " + ", ".join(f"{SHORT[m]} = {m} ({M.UNITS[m]})" for m in M.METRICS))
    if csv_path:
        click.echo(f"Wrote {len(rows)} row(s) to {csv_path}.")


@click.command()
@click.argument("source")
@click.option("--kind", type=click.Choice(PLOT_KINDS), help="What to draw. Default: 'curves' for a training run folder "
              "or CSV, 'spectrogram' for audio, 'all' (every piece plot) for a music file.")
@click.option("--out", "out_dir", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the PNG files (named SOURCE-STEM.KIND.png).")
@click.option("--time-unit", type=click.Choice(["seconds", "bars"]), default="seconds", show_default=True,
              help="Piano-roll time axis.")
@json_option
@user_errors
def plot(source, kind, out_dir, time_unit, as_json):
    """Draw PNG plots of SOURCE: a music file (piano roll, pitch classes, transitions,
    spectrogram), an audio file (spectrogram) or a training run folder (learning curves)."""
    from sonatina.analysis import plots
    from sonatina.data.corpus import load_score

    path = Path(source)
    if not path.exists():
        raise BadInputError(f"'{source}' does not exist.")
    is_run = path.is_dir() or path.suffix.lower() == ".csv"
    is_audio = path.suffix.lower() in AUDIO_SUFFIXES
    kind = kind or ("curves" if is_run else "spectrogram" if is_audio else "all")
    if kind == "curves" and not is_run:
        raise BadInputError("Learning curves need a training run folder or its learning_curve.csv.")
    if is_run and kind != "curves":
        raise BadInputError(f"'{source}' is a training run (folder or CSV); only --kind curves applies to it.")
    if is_audio and kind != "spectrogram":
        raise BadInputError(f"An audio file can only be drawn as a spectrogram, not as '{kind}'.")
    out = Path(out_dir)
    stem = plots.run_name(path) if is_run else path.stem  # runs/a and runs/b must not share a file
    written = []
    if kind == "curves":
        written.append(plots.learning_curve(path, out / f"{stem}.learning_curve.png"))
    else:
        score = None if is_audio else load_score(path)
        wanted = ["pianoroll", "pitch-classes", "transitions", "spectrogram"] if kind == "all" else [kind]
        for name in wanted:
            target = out / f"{stem}.{name}.png"
            if name == "pianoroll":
                written.append(plots.piano_roll(score, target, time_unit=time_unit, title=path.name))
            elif name == "pitch-classes":
                written.append(plots.pitch_class_histogram(score, target, title=f"Pitch classes: {path.name}"))
            elif name == "transitions":
                written.append(plots.transition_heatmap(score, target, title=f"Pitch-class transitions: {path.name}"))
            else:
                written.append(plots.spectrogram(path if is_audio else score, target, title=f"Spectrogram: {path.name}"))
    files = [str(p) for p in written]
    emit({"source": str(path), "kind": kind, "files": files}, as_json,
         f"Wrote {len(files)} plot(s): " + ", ".join(files))


@click.command()
@click.option("--generated", required=True, type=click.Path(), help="Folder of generated pieces.")
@click.option("--reference", required=True, type=click.Path(), help="Folder of human music to compare with (held out).")
@click.option("--training", type=click.Path(), help="Folder of the training music, to measure copying.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Report folder: report.md, report.html, report.json and PNG plots.")
@click.option("--excerpt", "excerpt_seconds", type=float,
              help="Compare only the first SECONDS of each generated and reference piece (fair when lengths differ).")
@json_option
@user_errors
def compare(generated, reference, training, out_dir, excerpt_seconds, as_json):
    """Compare a generated set with human music (MGEval distances), its diversity and
    (with --training) how much it copies; writes a Markdown/HTML report with plots."""
    from tqdm import tqdm

    from sonatina.analysis import compare as C

    bars: dict[str, tqdm] = {}

    def progress(stage: str, fraction: float) -> None:
        bar = bars.get(stage) or bars.setdefault(stage, tqdm(total=100, desc=stage, unit="%", leave=False, disable=None))
        bar.n = round(100 * fraction)
        bar.refresh()

    try:
        result = C.compare_folders(generated, reference, out_dir, training=training, progress=progress,
                                   excerpt_seconds=excerpt_seconds)
    finally:
        for bar in bars.values():
            bar.close()
    features = result["features"]
    oas = [f["overlap_area"] for f in features.values() if f["overlap_area"] is not None]
    worst = min(features, key=lambda n: features[n]["overlap_area"] if features[n]["overlap_area"] is not None else 2)
    human = (f"Compared {result['sets']['generated']['pieces']} generated with {result['sets']['reference']['pieces']} "
             f"reference pieces: mean overlap area {sum(oas) / len(oas):.2f} over {len(oas)} features "
             f"(lowest: {worst} {features[worst]['overlap_area']:.2f})")
    memo = result["memorisation"]
    if memo:
        human += (f"; {memo['windows_found']}/{memo['windows']} generated 4-bar windows found in training, "
                  f"longest copied span {memo['longest_copied_notes_max']} notes")
    emit(result, as_json, human + f". Report: {result['report']['html']}")


def register(group: click.Group) -> None:
    group.add_command(metrics)
    group.add_command(plot)
    group.add_command(compare)
