"""Judge a set of generated pieces against human music.

Three questions, each answered with numbers a person can read:

1. **Does it sound like the reference?** (MGEval, Yang & Lerch 2018.) For each feature
   (every metric in ``sonatina.analysis.metrics.METRICS`` plus three histograms), take the distances
   between pieces *inside* the reference set and the distances *between* generated and
   reference pieces. If the generated pieces come from the same distribution, both sets of
   distances look alike. Each set is smoothed with a Gaussian KDE and both are evaluated on
   one common grid (MGEval's code evaluates them on different grids); we report their
   overlap area (0..1, higher = closer) and KL divergence KL(intra-reference || inter) in
   nats (0 = identical, higher = further).
2. **Is the generated set varied?** Distinct n-grams (Li et al. 2016): distinct / total
   n-grams of the pitch sequence and of the interval sequence, pooled over the set.
3. **Does it copy its training data?** Longest span copied note for note, and the share of
   generated 4-bar windows that occur in the training set (definitions at
   ``memorisation``).
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.integrate import trapezoid
from symusic import Score

from sonatina.analysis import metrics as M
from sonatina.errors import BadInputError, EmptyDatasetError

GRID_POINTS = 512  # points of the common grid on which both KDEs are evaluated
MAX_DISTANCES = 10_000  # distances per distribution; more pairs are subsampled (seeded)
KL_FLOOR = 1e-12  # density floor inside the KL logarithm, so empty regions stay finite
DIVERSITY_N = (4, 8)  # n-gram lengths for distinct-n
WINDOW_BARS = 4  # memorisation window length in bars
STEP = M.RESOLUTION // 4  # memorisation time grid: a 16th note
MIN_PIECES = 2  # a set needs two pieces to have distances inside it


def _normalised_transitions(score: Score) -> np.ndarray:
    counts = M.pitch_class_transitions(score).ravel()
    return counts / counts.sum() if counts.sum() else np.full(144, math.nan)


# Features compared: every metric of M.METRICS (a scalar per piece) and these vectors.
# Distance between two pieces = Euclidean (absolute difference for scalars).
VECTOR_FEATURES: dict[str, Callable[[Score], np.ndarray]] = {
    "pitch_class_histogram": M.pitch_class_histogram,
    "pitch_class_transitions": _normalised_transitions,
    "note_length_histogram": M.note_length_histogram,
}
FEATURES = [*M.METRICS, *VECTOR_FEATURES]


# ----------------------------------------------------------------------------- reading sets


@dataclass
class PieceSet:
    """Pieces read from one folder; files that could not be read are listed, not fatal."""

    label: str
    folder: str
    names: list[str] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def load_set(folder: str | Path, label: str, progress: Callable[[float], None] | None = None) -> PieceSet:
    """Read every music file under ``folder`` (recursively)."""
    from sonatina.data.corpus import load_score, music_files

    folder = Path(folder)
    if not folder.is_dir():
        raise BadInputError(f"The {label} folder '{folder}' does not exist or is not a folder.")
    files = music_files(folder)
    pieces = PieceSet(label, str(folder))
    for index, path in enumerate(files):
        try:
            pieces.scores.append(load_score(path))
            pieces.names.append(str(path.relative_to(folder)))
        except BadInputError as exc:
            pieces.skipped.append(f"{path.name}: {exc}")
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


# ----------------------------------------------------------------------------- MGEval comparison


def set_features(scores: list[Score]) -> dict[str, np.ndarray]:
    """Every feature of every piece: name -> array with one row per piece (NaN where undefined)."""
    table = [M.piece_metrics(s) for s in scores]
    out = {name: np.array([[row[name]] for row in table], dtype=float).reshape(len(scores), 1) for name in M.METRICS}
    for name, fn in VECTOR_FEATURES.items():
        out[name] = np.array([fn(s) for s in scores], dtype=float)
    return out


def _defined(rows: np.ndarray) -> np.ndarray:
    """The rows (pieces) where a feature is defined."""
    return rows[~np.isnan(rows).any(axis=1)] if len(rows) else rows


def distances(a: np.ndarray, b: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """Euclidean distances between rows: every pair i<j of ``a`` (intra-set), or every (i, j)
    of ``a`` x ``b`` (inter-set). At most MAX_DISTANCES, drawn at random (seeded) beyond that."""
    if b is None:
        i, j = np.triu_indices(len(a), k=1)
        b = a
    else:
        i, j = (x.ravel() for x in np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij"))
    if len(i) > MAX_DISTANCES:
        keep = np.random.default_rng(seed).choice(len(i), MAX_DISTANCES, replace=False)
        i, j = i[keep], j[keep]
    return np.linalg.norm(a[i] - b[j], axis=1)


def _bandwidth(samples: np.ndarray, span: float) -> float:
    """Scott's rule (as scipy's gaussian_kde), floored at 2% of the pooled span so a constant
    sample (all distances equal) still has a width."""
    scott = samples.std() * len(samples) ** (-1 / 5)
    return max(scott, 0.02 * span, 1e-6)


def kde_on_common_grid(*samples: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """One grid covering every sample plus three bandwidths on each side, and the Gaussian
    kernel density of each sample on it, normalised to integrate to 1 on the grid."""
    pooled = np.concatenate(samples)
    span = float(pooled.max() - pooled.min())
    widths = [_bandwidth(s, span) for s in samples]
    pad = 3 * max(widths)
    grid = np.linspace(pooled.min() - pad, pooled.max() + pad, GRID_POINTS)
    densities = []
    for sample, h in zip(samples, widths):
        density = np.zeros_like(grid)
        for chunk in np.array_split(sample, max(1, len(sample) // 2000)):
            density += np.exp(-0.5 * ((grid[None, :] - chunk[:, None]) / h) ** 2).sum(axis=0)
        densities.append(density / trapezoid(density, grid))
    return grid, densities


def overlap_area(p: np.ndarray, q: np.ndarray, grid: np.ndarray) -> float:
    """Area under min(p, q): 1 for identical densities, 0 for disjoint ones."""
    return float(np.clip(trapezoid(np.minimum(p, q), grid), 0.0, 1.0))


def kl_divergence(p: np.ndarray, q: np.ndarray, grid: np.ndarray) -> float:
    """KL(p || q) in nats, integrated on the grid, densities floored at KL_FLOOR."""
    p, q = np.maximum(p, KL_FLOOR), np.maximum(q, KL_FLOOR)
    return float(max(0.0, trapezoid(p * np.log(p / q), grid)))


def _summary(x: np.ndarray) -> dict[str, float]:
    return {"mean": float(x.mean()), "std": float(x.std())}


def compare_feature(generated: np.ndarray, reference: np.ndarray) -> dict:
    """MGEval numbers for one feature, given one row per piece for each set.

    Returns the summaries of the three distance distributions, the overlap area and KL
    divergence of intra-reference vs inter-set, and the curves (for plotting)."""
    if len(generated) < 1 or len(reference) < MIN_PIECES:
        return {"overlap_area": math.nan, "kl_divergence": math.nan, "curves": None}
    intra_ref = distances(reference)
    intra_gen = distances(generated) if len(generated) >= MIN_PIECES else np.zeros(0)
    inter = distances(generated, reference)
    if len(intra_gen):
        grid, (p_ref, p_inter, p_gen) = kde_on_common_grid(intra_ref, inter, intra_gen)
    else:
        grid, (p_ref, p_inter), p_gen = *kde_on_common_grid(intra_ref, inter), None
    return {
        "intra_reference": _summary(intra_ref),
        "intra_generated": _summary(intra_gen) if len(intra_gen) else None,
        "inter": _summary(inter),
        "overlap_area": overlap_area(p_ref, p_inter, grid),
        "kl_divergence": kl_divergence(p_ref, p_inter, grid),
        "curves": {"grid": grid, "intra_reference": p_ref, "intra_generated": p_gen, "inter": p_inter},
    }


# ----------------------------------------------------------------------------- diversity


def pitch_sequence(score: Score) -> np.ndarray:
    """Pitches of all pitched notes, ordered by onset then pitch (tracks merged)."""
    return M.note_arrays(score)["pitch"]


def distinct_ngrams(scores: list[Score], n: int) -> dict:
    """Distinct-n of the pooled pitch n-grams and interval n-grams of a set (n-grams never
    cross piece boundaries). 1.0 = no n-gram ever repeats; low = the same figures again and
    again. The ratio falls as a set grows, so compare sets of similar size."""
    pitch_rows, interval_rows = [], []
    for score in scores:
        pitch = pitch_sequence(score)
        if len(pitch) >= n:
            pitch_rows.append(sliding_window_view(pitch, n))
        if len(pitch) >= n + 1:
            interval_rows.append(sliding_window_view(np.diff(pitch), n))
    out = {"n": n}
    for key, rows in (("pitch", pitch_rows), ("interval", interval_rows)):
        total = sum(len(r) for r in rows)
        out[f"{key}_ngrams"] = total
        out[f"{key}_distinct"] = len(np.unique(np.concatenate(rows), axis=0)) / total if total else math.nan
    return out


# ----------------------------------------------------------------------------- memorisation

_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplying by it is invertible mod 2^64
_BASE = np.uint64(0xD6E8FEB86659FD93)  # odd polynomial-hash base


def note_codes(score: Score) -> np.ndarray:
    """One integer per pitched note (tracks merged, ordered by onset then pitch): its exact
    MIDI pitch and the gap to the next note's onset on the 16th-note grid. Not transposition
    invariant: a copy in another key is not counted as a copy."""
    notes = M.note_arrays(score)
    onset = np.round(notes["time"] / STEP).astype(np.int64)
    gap = np.append(np.diff(onset), 10**6)  # the last note's gap is a sentinel
    return notes["pitch"] + 128 * gap


def _prefix(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Prefix sums of mixed codes times BASE^k, and BASE^-k, for O(1) window hashes."""
    mixed = (codes.astype(np.uint64) + np.uint64(1)) * _MIX
    inverse = pow(int(_BASE), -1, 2**64)
    with np.errstate(over="ignore"):
        powers = np.cumprod(np.concatenate(([np.uint64(1)], np.full(len(codes) - 1, _BASE))))
        inv_powers = np.cumprod(np.concatenate(([np.uint64(1)], np.full(len(codes) - 1, np.uint64(inverse)))))
        prefix = np.concatenate(([np.uint64(0)], np.cumsum(mixed * powers, dtype=np.uint64)))
    return prefix, inv_powers


def _window_hashes(prefix: np.ndarray, inv_powers: np.ndarray, length: int) -> np.ndarray:
    """Hash of every window of ``length`` codes (wraps mod 2^64 by design)."""
    count = len(prefix) - length
    with np.errstate(over="ignore"):
        return (prefix[length:] - prefix[:count]) * inv_powers[:count]


def longest_copied_spans(generated: list[Score], training: list[Score]) -> list[int]:
    """For each generated piece, the largest L such that some L consecutive notes of it
    (see ``note_codes``) occur as L consecutive notes of one training piece."""
    # Pieces are joined with distinct negative separators, so no window spans two pieces.
    joined = []
    for index, score in enumerate(training):
        joined += [note_codes(score), np.array([-(index + 1)])]
    train = _prefix(np.concatenate(joined) if joined else np.array([-1]))
    codes = [note_codes(s) for s in generated]
    pieces = [_prefix(c) if len(c) else None for c in codes]
    lo = [0] * len(generated)  # longest length known to be copied
    hi = [len(c) for c in codes]  # longest length still possible
    galloping = [True] * len(generated)
    # Copying is monotone (a copied span of L holds copied spans of every shorter length), so
    # each piece gallops 1, 2, 4, ... until a length is not found, then bisects. Pieces probe
    # mostly the same lengths, so the sorted training hashes are computed once per length.
    while any(l < h for l, h in zip(lo, hi)):
        probes: dict[int, list[int]] = {}
        for k in range(len(generated)):
            if lo[k] < hi[k]:
                length = min(max(1, 2 * lo[k]), hi[k]) if galloping[k] else (lo[k] + hi[k] + 1) // 2
                probes.setdefault(length, []).append(k)
        for length, ks in probes.items():
            known = np.unique(_window_hashes(*train, length)) if len(train[0]) > length else np.zeros(0, np.uint64)
            for k in ks:
                mine = _window_hashes(*pieces[k], length)
                at = np.searchsorted(known, mine).clip(max=max(0, len(known) - 1))
                if len(known) and (known[at] == mine).any():
                    lo[k] = length
                else:
                    hi[k], galloping[k] = length - 1, False
    return lo


def bar_windows(score: Score) -> list[int]:
    """Hashes of the piece's 4-bar windows.

    A window starts at every bar line (bars from the first time signature) and spans
    WINDOW_BARS bars; its content is the set of (onset relative to the window start on the
    16th-note grid, exact MIDI pitch) of every pitched note starting inside it, tracks merged,
    durations and velocities ignored. Windows without notes and the incomplete ones at the
    end are left out."""
    notes = M.note_arrays(score)
    bar = M.bar_steps(score)
    if not len(notes["time"]):
        return []
    n_bars = -(-int(notes["end"].max()) // bar)
    hashes = []
    for first in range(0, n_bars - WINDOW_BARS + 1):
        start, stop = first * bar, (first + WINDOW_BARS) * bar
        lo, hi = np.searchsorted(notes["time"], [start, stop])
        if hi > lo:
            pos = np.round((notes["time"][lo:hi] - start) / STEP).astype(np.int64)
            content = np.unique(pos * 128 + notes["pitch"][lo:hi])  # the set of (position, pitch)
            hashes.append(hash((bar, content.tobytes())))
    return hashes


def memorisation(generated: list[Score], training: list[Score]) -> dict:
    """How much of the generated set is copied from the training set.

    * ``longest_copied_notes``: per generated piece, the longest run of consecutive notes
      found note for note in one training piece (same exact pitches, same onset gaps on the
      16th-note grid, in the order onset-then-pitch with tracks merged); also as a share of the
      piece's notes. A model that memorised a piece scores its whole length (share 1.0).
    * ``windows_found_share``: share of all generated 4-bar windows (see ``bar_windows``)
      whose exact content occurs as a bar-aligned 4-bar window of some training piece.
    """
    spans = longest_copied_spans(generated, training)
    train_windows = {h for s in training for h in bar_windows(s)}
    per_piece, found_total, window_total = [], 0, 0
    for score, span in zip(generated, spans):
        windows = bar_windows(score)
        found = sum(h in train_windows for h in windows)
        found_total, window_total = found_total + found, window_total + len(windows)
        n_notes = len(note_codes(score))
        per_piece.append({
            "longest_copied_notes": span,
            "copied_share": span / n_notes if n_notes else math.nan,
            "windows": len(windows),
            "windows_found": found,
        })  # fmt: skip
    return {
        "longest_copied_notes_max": max(spans) if spans else 0,
        "longest_copied_notes_median": float(np.median(spans)) if spans else math.nan,
        "copied_share_max": max((p["copied_share"] for p in per_piece if not math.isnan(p["copied_share"])), default=math.nan),
        "windows": window_total,
        "windows_found": found_total,
        "windows_found_share": found_total / window_total if window_total else math.nan,
        "per_piece": per_piece,
    }


# ----------------------------------------------------------------------------- the whole comparison


def compare_sets(generated: PieceSet, reference: PieceSet, training: PieceSet | None = None) -> dict:
    """Every number of the report, as a JSON-ready dict (KDE curves under the key "_curves")."""
    gen_features, ref_features = set_features(generated.scores), set_features(reference.scores)
    features, curves = {}, {}
    for name in FEATURES:
        result = compare_feature(_defined(gen_features[name]), _defined(ref_features[name]))
        curves[name] = result.pop("curves")
        features[name] = result
    metric_values = {
        label: {name: values[name][:, 0] for name in M.METRICS}
        for label, values in (("generated", gen_features), ("reference", ref_features))
    }
    metrics = {
        name: {label: _summary(v[name][~np.isnan(v[name])]) if (~np.isnan(v[name])).any() else None
               for label, v in metric_values.items()}
        for name in M.METRICS
    }  # fmt: skip
    diversity = {
        label: {f"{key}_distinct_{n}": d[f"{key}_distinct"] for n in DIVERSITY_N
                for d in [distinct_ngrams(pieces.scores, n)] for key in ("pitch", "interval")}
        for label, pieces in (("generated", generated), ("reference", reference))
    }  # fmt: skip
    sets = {p.label: {"folder": p.folder, "pieces": len(p.scores), "skipped": p.skipped}
            for p in (generated, reference, training) if p is not None}  # fmt: skip
    return {
        "sets": sets,
        "features": features,
        "metrics": metrics,
        "diversity": diversity,
        "memorisation": memorisation(generated.scores, training.scores) if training else None,
        "_curves": curves,
        "_metric_values": metric_values,
        "_mean_pitch_classes": {
            label: _defined(values["pitch_class_histogram"]).mean(axis=0)
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


def public(result: dict) -> dict:
    """The result without its plotting arrays, with NaN as None (valid JSON)."""

    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if not str(k).startswith("_")}
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, float) and math.isnan(value):
            return None
        return value

    return clean(result)


# ----------------------------------------------------------------------------- the report


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _fmt(value, digits: int = 3) -> str:
    if _missing(value):
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ms(summary: dict | None) -> str:
    return "n/a" if not summary else f"{summary['mean']:.3f} ± {summary['std']:.3f}"


def report_tables(result: dict) -> list[tuple[str, str, list[str], list[list[str]]]]:
    """(title, explanation, header, rows) for every table of the report."""
    tables = []
    sets = result["sets"]
    scored = {n: f["overlap_area"] for n, f in result["features"].items() if not _missing(f["overlap_area"])}
    lowest = sorted(scored, key=scored.get)[:3]
    summary = [
        ["mean overlap area over features", _fmt(float(np.mean(list(scored.values()))) if scored else math.nan)],
        ["features furthest from the reference", ", ".join(f"{n} ({scored[n]:.2f})" for n in lowest) or "n/a"],
        ["features closest to the reference", ", ".join(f"{n} ({scored[n]:.2f})" for n in sorted(scored, key=scored.get)[-3:][::-1]) or "n/a"],
    ]
    if result["memorisation"]:
        memo = result["memorisation"]
        summary.append(["copying from training", f"{_fmt(memo['windows_found_share'])} of 4-bar windows found; longest "
                        f"copied span {memo['longest_copied_notes_max']} notes"])
    tables.append((
        "Summary", "Overlap area: 1 = generated pieces differ from the reference as much as reference pieces differ "
        "from each other. For scale: two disjoint sets of 50 POP909 songs score 0.85-0.98 per feature (median 0.95).",
        ["measure", "value"], summary,
    ))  # fmt: skip
    tables.append((
        "Sets", "Folders compared; files that could not be read are skipped and listed.",
        ["set", "folder", "pieces", "skipped"],
        [[label, s["folder"], str(s["pieces"]), str(len(s["skipped"]))] for label, s in sets.items()],
    ))  # fmt: skip
    tables.append((
        "Distribution of distances (MGEval)",
        "Per feature: distances between pieces inside the reference set (intra) and between generated "
        "and reference pieces (inter), mean ± standard deviation. Overlap area of the two densities "
        "(1 = generated pieces are as close to the reference as reference pieces are to each other) and "
        "KL(intra-reference || inter) in nats (0 = same).",
        ["feature", "intra reference", "intra generated", "inter", "overlap area", "KL divergence"],
        [[name, _ms(f.get("intra_reference")), _ms(f.get("intra_generated")), _ms(f.get("inter")),
          _fmt(f["overlap_area"]), _fmt(f["kl_divergence"])] for name, f in result["features"].items()],
    ))  # fmt: skip
    tables.append((
        "Metrics per set", "Mean ± standard deviation over pieces (definitions in sonatina.analysis.metrics).",
        ["metric", "unit", "generated", "reference"],
        [[name, M.UNITS[name], _ms(m["generated"]), _ms(m["reference"])] for name, m in result["metrics"].items()],
    ))  # fmt: skip
    div = result["diversity"]
    tables.append((
        "Diversity (distinct n-grams)",
        "Distinct / total n-grams of pitches and of intervals, pooled over each set (higher = more "
        "varied; the ratio falls as a set grows, so weigh it against the set sizes).",
        ["measure", "generated", "reference"],
        [[key.replace("_", " "), _fmt(div["generated"][key]), _fmt(div["reference"][key])] for key in div["generated"]],
    ))  # fmt: skip
    memo = result["memorisation"]
    if memo:
        tables.append((
            "Memorisation against the training set",
            "Longest run of consecutive notes copied note for note (exact pitches, same onset gaps on a "
            "16th-note grid) from one training piece, and the share of generated 4-bar windows whose "
            "exact notes (pitch, position) appear as a bar-aligned 4-bar window in training.",
            ["measure", "value"],
            [["longest copied span, max (notes)", _fmt(memo["longest_copied_notes_max"])],
             ["longest copied span, median (notes)", _fmt(memo["longest_copied_notes_median"], 1)],
             ["largest share of one piece copied", _fmt(memo["copied_share_max"])],
             ["4-bar windows found in training", f"{memo['windows_found']} / {memo['windows']} "
              f"({_fmt(memo['windows_found_share'])})"]],
        ))  # fmt: skip
    return tables


PLOTS = [
    ("distances.png", "Densities of distances, per feature: inside the reference set, inside the generated set, between sets."),
    ("metrics.png", "Metric values per piece, generated vs reference."),
    ("pitch_classes.png", "Mean pitch-class histogram of each set."),
]


def write_report(result: dict, out_dir: str | Path) -> dict[str, str]:
    """Write report.md, report.html (same content), report.json and the PNG plots."""
    from sonatina.analysis import plots

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputError(f"Cannot create the report folder '{out}' ({exc.strerror}).") from None
    plots.distance_densities(result["_curves"], result["features"], out / "distances.png")
    plots.metric_distributions(result["_metric_values"], out / "metrics.png")
    plots.set_pitch_classes(result["_mean_pitch_classes"], out / "pitch_classes.png")
    tables = report_tables(result)
    (out / "report.md").write_text(_markdown(tables))
    (out / "report.html").write_text(_html(tables))
    (out / "report.json").write_text(json.dumps(public(result), indent=2))
    return {"markdown": str(out / "report.md"), "html": str(out / "report.html"), "json": str(out / "report.json")}


_TITLE = "Sonatina comparison report"


def _markdown(tables) -> str:
    lines = [f"# {_TITLE}", ""]
    for title, text, header, rows in tables:
        lines += [f"## {title}", "", text, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        lines.append("")
    lines += ["## Plots", ""]
    for name, caption in PLOTS:
        lines += [f"![{caption}]({name})", "", caption, ""]
    return "\n".join(lines)


def _html(tables) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{_TITLE}</title><style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;"
        "text-align:left}th{background:#f3f3f3}img{max-width:100%}</style></head><body>",
        f"<h1>{_TITLE}</h1>",
    ]
    for title, text, header, rows in tables:
        parts += [f"<h2>{e(title)}</h2><p>{e(text)}</p><table><tr>"]
        parts += [f"<th>{e(h)}</th>" for h in header] + ["</tr>"]
        parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows]
        parts.append("</table>")
    parts.append("<h2>Plots</h2>")
    for name, caption in PLOTS:
        parts.append(f"<figure><img src='{name}' alt='{e(caption)}'><figcaption>{e(caption)}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts)
