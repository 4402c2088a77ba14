"""A piece's register and its rests: two logits processors a genre's defaults may switch on (issue 11).

Left alone, the model's classical piano wanders over 66 semitones in a minute where people's
keeps to about 52, and its jazz solos run over 34 where people's keep to 27, with fewer rests.
`RegisterWindow` keeps each piece within a span of pitches (where that span lies is still the
model's choice: it is set by the notes it has written); `RestBias` favours a later next onset
after each note, so a solo line breathes. Both are biases in nats, like ScaleBias, not bans.
"""

from __future__ import annotations

import numpy as np

from sonatina.data.tokens import BEATS_PER_BAR, Vocabulary

# Nats a pitch loses for each semitone it would widen the piece beyond its span: one semitone
# over is 7x less likely, two 55x, so a piece rarely passes its span by more than a semitone.
REGISTER_STRENGTH = 2.0


def draw_spans(seeds: list[int], typical: tuple[int, int]) -> list[int]:
    """Each variation's span in semitones, drawn from its seed uniformly over the genre's typical
    spans: people's pieces do not all span the same range, and a range feature compares spreads."""
    low, high = typical
    return [int(np.random.default_rng([seed, 13]).integers(low, high + 1)) for seed in seeds]


class RegisterWindow:
    """Logits processor: keep each row's notes within `spans[row]` semitones, lowest to highest.

    A pitch that would stretch the row's range (its lowest to its highest note so far, primer
    included) past the span loses `strength` nats per semitone past it; pitches within the range
    written so far are never touched, so until the range is used up the model goes where it likes.
    `written`, the lowest and highest pitch of music the rows are told nothing of (the kept notes
    after an edited passage), starts every row's range there."""

    def __init__(self, pitch_of: np.ndarray, spans: list[float], strength: float | None = None,
                 written: tuple[int, int] | None = None):
        self.pitch_of = pitch_of
        self.ids = np.flatnonzero(pitch_of >= 0)
        self.pitches = pitch_of[self.ids].astype(float)
        self.spans = np.asarray(spans, dtype=float)
        self.strength = float(REGISTER_STRENGTH if strength is None else strength)
        low, high = written or (np.inf, -np.inf)  # no note yet: every pitch is free
        self.low = np.full(len(spans), float(low))
        self.high = np.full(len(spans), float(high))

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        widest = np.maximum(self.high[:, None], self.pitches) - np.minimum(self.low[:, None], self.pitches)
        allowed = np.maximum(self.spans, self.high - self.low)[:, None]  # a primer wider than the span stays
        past = np.maximum(widest - allowed, 0.0)
        if not past.any():
            return scores
        scores = scores.copy()
        scores[:, self.ids] -= self.strength * past
        return scores

    def advance(self, row: int, token: int) -> None:
        pitch = self.pitch_of[token]
        if pitch >= 0:
            self.low[row] = min(self.low[row], pitch)
            self.high[row] = max(self.high[row], pitch)


class RestBias:
    """Logits processor: right after a note, each way of moving time on (a later Position, or the
    bar line) gains `strength` nats per beat it moves, so the next onset comes later and a line
    leaves rests between its phrases; a chord note at the same onset gains nothing. 0 changes nothing."""

    def __init__(self, vocab: Vocabulary, batch: int, strength: float):
        self.kind, self.strength = vocab.kind, float(strength)
        self.position_of, ppb = vocab.position_of, vocab.positions_per_beat
        self.time_ids = np.flatnonzero(np.isin(vocab.kind, ("Bar", "Position")))
        # beats from the bar's start to where each time token goes (the bar line: the bar's end)
        self.goes_to = np.where(vocab.kind[self.time_ids] == "Bar", BEATS_PER_BAR,
                                vocab.position_of[self.time_ids] / ppb)
        self.ppb = ppb
        self.after_note = np.zeros(batch, dtype=bool)
        self.beat = np.zeros(batch)  # where the row stands within its bar, in beats

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        if self.strength == 0 or not self.after_note.any():
            return scores
        moves = np.maximum(self.goes_to[None, :] - self.beat[:, None], 0.0)
        scores = scores.copy()
        scores[:, self.time_ids] += np.where(self.after_note[:, None], self.strength * moves, 0.0)
        return scores

    def advance(self, row: int, token: int) -> None:
        kind = self.kind[token]
        self.after_note[row] = kind == "Duration"
        if kind == "Bar":
            self.beat[row] = 0.0
        elif kind == "Position":
            self.beat[row] = self.position_of[token] / self.ppb
