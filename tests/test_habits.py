"""Pitch habits (issue 11): jazz keeps to the pitch classes its last notes used."""

from __future__ import annotations

import numpy as np

from sonatina import api
from sonatina.compose import sample
from sonatina.compose.habits import PitchClassHabit


def test_only_pitch_classes_missing_from_the_last_notes_lose_nats():
    pitch_of = np.array([-1, 60, 62, 72, 74, 61, -1])  # C4 D4 C5 D5 C#4 between two non-pitch tokens
    habit = PitchClassHabit(pitch_of, batch=2, strength=0.5, memory=2)
    flat = np.zeros((2, len(pitch_of)))
    assert (habit(flat) == 0).all()  # nothing played: every class is as new as every other
    habit.advance(0, 1)  # row 0 plays C4: C in any octave is a habit now
    assert habit(flat)[0].tolist() == [0, 0, -0.5, 0, -0.5, -0.5, 0]
    assert (habit(flat)[1] == 0).all()  # row 1 has played nothing
    habit.advance(0, 2)
    habit.advance(0, 5)  # D, then C#: with a memory of two notes C is forgotten
    assert habit(flat)[0].tolist() == [0, -0.5, 0, -0.5, 0, 0, 0]


def fresh_share(pieces, memory: int = 16) -> float:
    """Share of notes (after the first `memory`) whose pitch class none of the previous `memory` used."""
    shares = []
    for piece in pieces:
        classes = [p % 12 for _, p in sorted((n.time, n.pitch) for t in piece.score.tracks for n in t.notes)]
        shares.append(np.mean([classes[i] not in classes[i - memory:i] for i in range(memory, len(classes))]))
    return float(np.mean(shares))


def test_jazz_reaches_for_new_pitch_classes_less_often(monkeypatch):
    # free form on both sides: a form plan's repeated bars would bring pitch classes back by themselves
    kept = api.compose(seconds=30, genre="jazz", seed=5, variations=6, form="none")
    monkeypatch.delitem(sample.PITCH_HABIT_BY_GENRE, "jazz")
    free = api.compose(seconds=30, genre="jazz", seed=5, variations=6, form="none")
    assert fresh_share(kept) < 0.8 * fresh_share(free)  # measured 0.17 against 0.23
