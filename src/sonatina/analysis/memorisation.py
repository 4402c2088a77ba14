"""Does a generated set copy its training data? Two measures, defined at ``memorisation``:
the longest span copied note for note, and the share of 4-bar windows found in training.

Both are transposition-invariant: Sonatina composes with the tonic on C and then moves every
piece to a drawn key, so a copy usually sits in another key than its source. Notes are
compared by interval to the previous note (spans) or by pitch above the window's lowest note
(windows), never by absolute pitch."""

from __future__ import annotations

import math

import numpy as np
from symusic import Score

from sonatina.analysis import metrics as M

WINDOW_BARS = 4  # window length in bars
STEP = M.RESOLUTION // 4  # time grid: a 16th note

_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplying by it is invertible mod 2^64
_BASE = np.uint64(0xD6E8FEB86659FD93)  # odd polynomial-hash base


def note_codes(score: Score) -> np.ndarray:
    """One integer per step between consecutive pitched notes (tracks merged, ordered by onset
    then pitch): the interval from one note to the next and the gap between their onsets on the
    16th-note grid. A run of k codes is k+1 notes; transposing a piece leaves its codes as they are."""
    notes = M.note_arrays(score)
    if len(notes["pitch"]) < 2:
        return np.zeros(0, dtype=np.int64)
    onset = np.round(notes["time"] / STEP).astype(np.int64)
    interval = np.diff(notes["pitch"].astype(np.int64)) + 128  # 1..255
    return interval + 256 * np.diff(onset)


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
    """For each generated piece, the largest L such that some L consecutive notes of it occur,
    with the same intervals and onset gaps (see ``note_codes``), as L consecutive notes of one
    training piece, in any key. One note always "occurs"; a piece without notes scores 0."""
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
    return [(l + 1) if len(M.note_arrays(s)["pitch"]) else 0 for l, s in zip(lo, generated)]


def bar_windows(score: Score) -> list[int]:
    """Hashes of the piece's 4-bar windows.

    A window starts at every bar line (bars from the first time signature) and spans
    WINDOW_BARS bars; its content is the set of (onset relative to the window start on the
    16th-note grid, pitch above the window's lowest pitch) of every pitched note starting inside
    it, tracks merged, durations and velocities ignored: the same window in another key has the
    same hash. Windows without notes and the incomplete ones at the end are left out."""
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
            pitch = notes["pitch"][lo:hi]
            content = np.unique(pos * 128 + pitch - pitch.min())  # the set of (position, relative pitch)
            hashes.append(hash((bar, content.tobytes())))
    return hashes


def memorisation(generated: list[Score], training: list[Score]) -> dict:
    """How much of the generated set is copied from the training set.

    * ``longest_copied_notes``: per generated piece, the longest run of consecutive notes
      found note for note in one training piece, in any key (same intervals, same onset gaps on
      the 16th-note grid, in the order onset-then-pitch with tracks merged); also as a share of
      the piece's notes. A model that memorised a piece scores its whole length (share 1.0).
    * ``windows_found_share``: share of all generated 4-bar windows (see ``bar_windows``)
      whose content, in any key, occurs as a bar-aligned 4-bar window of some training piece.
    """
    spans = longest_copied_spans(generated, training)
    train_windows = {h for s in training for h in bar_windows(s)}
    per_piece, found_total, window_total = [], 0, 0
    for score, span in zip(generated, spans):
        windows = bar_windows(score)
        found = sum(h in train_windows for h in windows)
        found_total, window_total = found_total + found, window_total + len(windows)
        n_notes = len(M.note_arrays(score)["pitch"])
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
