"""Does a generated set sound like the reference? MGEval's distance distributions.

Method (Yang & Lerch 2018, "On the evaluation of generative models in music"): for each
feature, take the distances between pieces *inside* the reference set and the distances
*between* generated and reference pieces. If the generated pieces come from the same
distribution, both sets of distances look alike. Each set is smoothed with a Gaussian KDE and
both are evaluated on one common grid (MGEval's code evaluates them on different grids); we
report their overlap area (0..1, higher = closer) and KL divergence KL(intra-reference || inter)
in nats (0 = identical, higher = further).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
from scipy.integrate import trapezoid
from symusic import Score

from sonatina.analysis import metrics as M

GRID_POINTS = 512  # points of the common grid on which both KDEs are evaluated
MAX_DISTANCES = 10_000  # distances per distribution; more pairs are subsampled (seeded)
KL_FLOOR = 1e-12  # density floor inside the KL logarithm, so empty regions stay finite
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


def set_features(scores: list[Score]) -> dict[str, np.ndarray]:
    """Every feature of every piece: name -> array with one row per piece (NaN where undefined)."""
    table = [M.piece_metrics(s) for s in scores]
    out = {name: np.array([[row[name]] for row in table], dtype=float).reshape(len(scores), 1) for name in M.METRICS}
    for name, fn in VECTOR_FEATURES.items():
        out[name] = np.array([fn(s) for s in scores], dtype=float)
    return out


def defined(rows: np.ndarray) -> np.ndarray:
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


def summary(x: np.ndarray) -> dict[str, float]:
    """Mean and standard deviation, as the report prints them."""
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
        "intra_reference": summary(intra_ref),
        "intra_generated": summary(intra_gen) if len(intra_gen) else None,
        "inter": summary(inter),
        "overlap_area": overlap_area(p_ref, p_inter, grid),
        "kl_divergence": kl_divergence(p_ref, p_inter, grid),
        "curves": {"grid": grid, "intra_reference": p_ref, "intra_generated": p_gen, "inter": p_inter},
    }
