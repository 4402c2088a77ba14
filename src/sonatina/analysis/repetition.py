"""Does a piece come back to itself? The share of bar-aligned windows whose pitch sequence
recurs later in the same piece, in any key.

A window starts at every bar line and spans `bars` bars; its content is the pitch sequence of
its top line (at each onset the highest pitch that starts there, tracks merged: the tune in
most music, and the only line of a solo), as intervals, so a phrase played again a fifth higher
counts as a recurrence (transposition-invariant). Rhythm, durations, velocities and the
accompaniment under the top line are ignored: a tune repeated over other chords or with a
changed rhythm still recurs. A window recurs when the same run of intervals occurs again after
its last note, wherever it starts: a tune in 6/8 or with a pickup, tokenized into 4/4 bars,
repeats off the bar lines. Windows with fewer than MIN_NOTES notes are left out (two or three
notes match by chance too often to mean a phrase), as are the incomplete ones at the end.

People repeat a lot: Irish folk tunes around 0.6, pop songs 0.1-0.3 over a minute; a model
that meanders scores 0.
"""

from __future__ import annotations

import math

import numpy as np
from symusic import Score

from sonatina.analysis import metrics as M

WINDOW_BARS = (2, 4)  # the window lengths reports show
MIN_NOTES = 4  # a window needs at least this many notes to count


def top_line(score: Score) -> tuple[np.ndarray, np.ndarray]:
    """(onsets in grid steps, pitches) of the highest note starting at each onset, tracks merged."""
    notes = M.note_arrays(score)
    # notes come sorted by onset then pitch, so the last note of each onset is its highest
    last_of_onset = np.append(notes["time"][1:] != notes["time"][:-1], True) if len(notes["time"]) else []
    return notes["time"][last_of_onset], notes["pitch"][last_of_onset]


def recurring_share(score: Score, bars: int) -> float:
    """Share of the piece's `bars`-bar windows whose top-line intervals come back later in the
    piece (NaN for a piece without a countable window)."""
    onsets, pitches = top_line(score)
    if len(onsets) < MIN_NOTES:
        return math.nan
    bar = M.bar_steps(score)
    n_bars = -(-int(M.note_arrays(score)["end"].max()) // bar)
    steps = np.diff(pitches)
    recurring = counted = 0
    for first in range(n_bars - bars + 1):
        lo, hi = np.searchsorted(onsets, [first * bar, (first + bars) * bar])
        if hi - lo < MIN_NOTES:
            continue
        counted += 1
        window = steps[lo:hi - 1]  # the hi - lo notes' intervals
        later = steps[hi:]  # runs that start after the window's last note
        if len(later) >= len(window):
            runs = np.lib.stride_tricks.sliding_window_view(later, len(window))
            recurring += bool((runs == window).all(axis=1).any())
    return recurring / counted if counted else math.nan


def repetition(scores: list[Score]) -> dict[str, float]:
    """Mean recurring share per window length over a set of pieces: {"repetition_2_bars": ...}."""
    out = {}
    for bars in WINDOW_BARS:
        shares = [recurring_share(s, bars) for s in scores]
        shares = [x for x in shares if not math.isnan(x)]
        out[f"repetition_{bars}_bars"] = float(np.mean(shares)) if shares else math.nan
    return out
