"""A piece's pitch habits: a logits processor that keeps a passage to the pitch classes it has
been using (issue 11).

People's jazz solos and classical piano dwell on a set of pitch classes for a while: in a minute
of a Weimar solo 11.5 of the 12 are heard, in a minute of GiantMIDI piano 9.6 in the first 30 s,
while the model, note by note, reaches for every one (12.0 and 11.1). A fixed scale is the
wrong cure there (jazz is 13 % too diatonic under one, classical is no longer heard as
classical): the set a passage keeps to is its own, and it moves as the music modulates.
"""

from __future__ import annotations

import numpy as np

# The notes a passage's habits are read from: about four seconds of a solo. Chosen on validation
# solos with 16, 32 and 64 (bench/RESULTS.md "Chorales held, jazz's pitch habits").
HABIT_MEMORY = 16


class PitchClassHabit:
    """Logits processor: a pitch whose pitch class is not among the row's last `memory` notes
    loses `strength` nats. Until a row has played a note nothing is touched (every class is new
    then, and a penalty on all pitches would only move time on)."""

    def __init__(self, pitch_of: np.ndarray, batch: int, strength: float, memory: int | None = None):
        self.pitch_of = pitch_of
        self.ids = np.flatnonzero(pitch_of >= 0)
        self.classes = pitch_of[self.ids] % 12
        self.strength = float(strength)
        self.recent = np.full((batch, memory or HABIT_MEMORY), -1)  # the last `memory` pitch classes, a ring per row
        self.played = np.zeros(batch, dtype=np.int64)

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        if self.strength == 0 or not self.played.any():
            return scores
        used = np.zeros((len(scores), 12), dtype=bool)
        rows, slots = np.nonzero(self.recent >= 0)
        used[rows, self.recent[rows, slots]] = True
        fresh = ~used[:, self.classes] & (self.played > 0)[:, None]
        scores = scores.copy()
        scores[:, self.ids] -= self.strength * fresh
        return scores

    def advance(self, row: int, token: int) -> None:
        pitch = self.pitch_of[token]
        if pitch >= 0:
            self.recent[row, self.played[row] % self.recent.shape[1]] = pitch % 12
            self.played[row] += 1
