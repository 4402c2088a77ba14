"""Which style a drum part is played in: groove features over a sixteenth-note grid.

The features say how the drums are played, bar after bar, whatever the tempo: for each drum
family (kick, snare, hi-hat, toms, crash, ride) how often it is hit at each of the sixteen
sixteenth-note positions of a 4/4 bar; how far off the grid hits land at each position inside
the beat (a swung eighth lands late on the third sixteenth, early on the fourth); the
families' loudness and its spread; and how much one bar differs from the next. A softmax
regression (classify.fit) over them is trained on the Groove MIDI Dataset's own train split
(`bench/drum_style.py`); the converter's drum parts are judged with it.
"""

from __future__ import annotations

import numpy as np
from symusic import Score

from sonatina.model.drums import STEPS_PER_BAR, STEPS_PER_BEAT, grid_of

# drum classes of model.drums (kick, snare, closed hat, open hat, 3 toms, crash, ride) -> family
FAMILIES = ("kick", "snare", "hi-hat", "toms", "crash", "ride")
FAMILY_OF = (0, 1, 2, 2, 3, 3, 3, 4, 5)


def feature_names() -> list[str]:
    names = [f"{f}_at_{k}" for f in FAMILIES for k in range(STEPS_PER_BAR)]
    names += [f"offset_at_{k}" for k in range(STEPS_PER_BEAT)]
    names += [f"{f}_velocity" for f in FAMILIES] + [f"{f}_velocity_std" for f in FAMILIES]
    names += ["log_hits_per_bar", "bar_change"]
    return names


def _families(grid: np.ndarray, reduce) -> np.ndarray:
    return np.stack([reduce(grid[:, [c for c, f in enumerate(FAMILY_OF) if f == k]], axis=1)
                     for k in range(len(FAMILIES))], axis=1)


def grid_features(hits: np.ndarray, velocity: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Feature vector (order: feature_names()) of a drum grid from drums.grid_of (whole bars)."""
    bars = max(1, len(hits) // STEPS_PER_BAR)
    hits, velocity, offset = (a[:bars * STEPS_PER_BAR] for a in (hits, velocity, offset))
    family = _families(hits, np.max)  # [steps, families] 0/1
    per_position = family.reshape(bars, STEPS_PER_BAR, len(FAMILIES)).mean(axis=0)  # hit rate per bar position
    inside = np.arange(len(hits)) % STEPS_PER_BEAT
    off = [float((offset[inside == k] * hits[inside == k]).sum() / max(1.0, hits[inside == k].sum()))
           for k in range(STEPS_PER_BEAT)]
    loud, spread = [], []
    for k in range(len(FAMILIES)):
        columns = [c for c, f in enumerate(FAMILY_OF) if f == k]
        v = velocity[:, columns][hits[:, columns] > 0]
        loud.append(v.mean() / 127.0 if len(v) else 0.0)
        spread.append(v.std() / 32.0 if len(v) > 1 else 0.0)
    patterns = family.reshape(bars, -1)
    change = float(np.abs(np.diff(patterns, axis=0)).sum(axis=1).mean() / max(1.0, patterns.sum(axis=1).mean())) \
        if bars > 1 else 0.0
    return np.concatenate([per_position.T.ravel(), off, loud, spread,
                           [np.log1p(hits.sum() / bars), change]])


def features(score: Score) -> np.ndarray | None:
    """Drum-style features of a score's drum tracks, or None when it has no drums."""
    hits, velocity, offset = grid_of(score)
    if not hits.sum():
        return None
    return grid_features(hits, velocity, offset)
