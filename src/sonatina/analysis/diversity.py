"""Is a generated set varied? Distinct n-grams (Li et al. 2016, "A diversity-promoting objective
function for neural conversation models"): distinct / total n-grams of the pitch sequence and
of the interval sequence, pooled over a set."""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from symusic import Score

from sonatina.analysis import metrics as M

DIVERSITY_N = (4, 8)  # n-gram lengths the report shows


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


def set_diversity(scores: list[Score]) -> dict[str, float]:
    """The report's diversity numbers for one set: pitch/interval distinct-n for each n of
    DIVERSITY_N."""
    return {f"{key}_distinct_{n}": d[f"{key}_distinct"]
            for n in DIVERSITY_N for d in [distinct_ngrams(scores, n)] for key in ("pitch", "interval")}  # fmt: skip
