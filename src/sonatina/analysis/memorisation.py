"""Does a generated set copy its training data? Two measures, defined at ``memorisation``:
the longest span copied note for note, and the share of 4-bar windows found in training."""

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
