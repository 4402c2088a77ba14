"""Judge a set of generated pieces against human music: ``compare_folders`` reads the folders,
asks three questions and writes the report.

1. Does it sound like the reference? MGEval distance distributions (``distributions``).
2. Is the generated set varied, and does each piece come back to its phrases? Distinct n-grams
   (``diversity``) and recurring 2- and 4-bar windows (``repetition``).
3. Does it copy its training data? Copied spans and 4-bar windows (``memorisation``).

The report (Markdown, HTML, JSON, plots) is written by ``report``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from symusic import Score

from sonatina.analysis import metrics as M
from sonatina.analysis.distributions import FEATURES, MIN_PIECES, compare_feature, defined, set_features, summary
from sonatina.analysis.diversity import set_diversity
from sonatina.analysis.memorisation import memorisation
from sonatina.analysis.repetition import repetition
from sonatina.analysis.report import public, write_report
from sonatina.errors import BadInputError, EmptyDatasetError


@dataclass
class PieceSet:
    """Pieces read from one folder; files that could not be read are listed, not fatal."""

    label: str
    folder: str
    names: list[str] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def load_set(folder: str | Path, label: str, progress: Callable[[float], None] | None = None) -> PieceSet:
    """Read every music file under ``folder`` (recursively); every tune of an ABC tune book is a
    piece of its own (named file#N)."""
    from sonatina.data.corpus import music_files
    from sonatina.data.corpus.reading import load_works

    folder = Path(folder)
    if not folder.is_dir():
        raise BadInputError(f"The {label} folder '{folder}' does not exist or is not a folder.")
    files = music_files(folder)
    pieces = PieceSet(label, str(folder))
    for index, path in enumerate(files):
        name = str(path.relative_to(folder))
        try:
            works, failed = load_works(path)
        except BadInputError as exc:
            pieces.skipped.append(f"{path.name}: {exc}")
        else:
            pieces.scores.extend(works.values())
            pieces.names.extend(name + work for work in works)
            pieces.skipped.extend(failed)
        if progress:
            progress((index + 1) / len(files))
    if len(pieces.scores) < MIN_PIECES:
        raise EmptyDatasetError(
            f"The {label} folder '{folder}' holds {len(pieces.scores)} readable music file(s); "
            f"comparison needs at least {MIN_PIECES}."
        )
    return pieces


def tick_at_seconds(score: Score, seconds: float) -> int:
    """The tick reached after ``seconds`` of playing, following the tempo map (120 bpm before
    the first tempo, as MIDI does)."""
    tick, elapsed, qpm = 0, 0.0, 120.0
    for tempo in sorted(score.tempos, key=lambda t: t.time):
        segment = (tempo.time - tick) / score.tpq * 60 / qpm
        if elapsed + segment >= seconds:
            break
        tick, elapsed, qpm = tempo.time, elapsed + segment, tempo.qpm
    return tick + round((seconds - elapsed) * qpm / 60 * score.tpq)


def excerpt(score: Score, seconds: float) -> Score:
    """The notes that start within the first ``seconds`` (they keep their full length)."""
    ticks = M.in_ticks(score)
    return ticks.clip(0, tick_at_seconds(ticks, seconds), clip_end=False)


def compare_sets(generated: PieceSet, reference: PieceSet, training: PieceSet | None = None) -> dict:
    """Every number of the report, as a JSON-ready dict (plotting arrays under keys that start
    with "_", which ``report.public`` leaves out)."""
    gen_features, ref_features = set_features(generated.scores), set_features(reference.scores)
    features, curves = {}, {}
    for name in FEATURES:
        result = compare_feature(defined(gen_features[name]), defined(ref_features[name]))
        curves[name] = result.pop("curves")
        features[name] = result
    metric_values = {
        label: {name: values[name][:, 0] for name in M.METRICS}
        for label, values in (("generated", gen_features), ("reference", ref_features))
    }
    metrics = {
        name: {label: summary(v[name][~np.isnan(v[name])]) if (~np.isnan(v[name])).any() else None
               for label, v in metric_values.items()}
        for name in M.METRICS
    }  # fmt: skip
    sets = {p.label: {"folder": p.folder, "pieces": len(p.scores), "skipped": p.skipped}
            for p in (generated, reference, training) if p is not None}  # fmt: skip
    return {
        "sets": sets,
        "features": features,
        "metrics": metrics,
        "diversity": {"generated": set_diversity(generated.scores) | repetition(generated.scores),
                      "reference": set_diversity(reference.scores) | repetition(reference.scores)},
        "memorisation": memorisation(generated.scores, training.scores) if training else None,
        "_curves": curves,
        "_metric_values": metric_values,
        "_mean_pitch_classes": {
            label: defined(values["pitch_class_histogram"]).mean(axis=0)
            for label, values in (("generated", gen_features), ("reference", ref_features))
        },
    }


def compare_folders(
    generated: str | Path,
    reference: str | Path,
    out_dir: str | Path,
    training: str | Path | None = None,
    progress: Callable[[str, float], None] | None = None,
    excerpt_seconds: float | None = None,
) -> dict:
    """Read the folders, compare, write OUT_DIR/report.md, report.html, report.json and plots.

    ``excerpt_seconds`` compares only the opening seconds of each generated and reference piece
    (not of the training pieces): many features grow with length (range, pitches used), so a
    30-second generated piece should meet 30-second human excerpts, not whole songs."""
    if excerpt_seconds is not None and not excerpt_seconds > 0:
        raise BadInputError(f"The excerpt length must be a positive number of seconds, got {excerpt_seconds}.")
    step = (lambda label: (lambda f: progress(f"reading {label}", f))) if progress else (lambda label: None)
    gen = load_set(generated, "generated", step("generated"))
    ref = load_set(reference, "reference", step("reference"))
    train = load_set(training, "training", step("training")) if training else None
    if excerpt_seconds:
        for pieces in (gen, ref):
            pieces.scores = [excerpt(s, excerpt_seconds) for s in pieces.scores]
    if progress:
        progress("comparing", 0.0)
    result = compare_sets(gen, ref, train)
    paths = write_report(result, out_dir)
    if progress:
        progress("comparing", 1.0)
    return public(result) | {"excerpt_seconds": excerpt_seconds, "report": paths}
