"""Drum grooves: the grid reads real drum notes, training learns a pattern, tracks are well formed."""

from __future__ import annotations

import numpy as np
import pytest
from symusic import Note, Score, Track

from sonatina.errors import UnknownOptionError
from sonatina.model.drums import (CLASS_PITCH, STEPS_PER_BAR, DrumModel, Performance, grid_of, read_groove,
                                  train)

TPQ = 480


def backbeat(bars: int) -> np.ndarray:
    """Kick on 1 and 3, snare on 2 and 4, closed hi-hat on every eighth."""
    hits = np.zeros((bars * STEPS_PER_BAR, 9))
    for bar in range(bars):
        base = bar * STEPS_PER_BAR
        hits[[base, base + 8], 0] = 1
        hits[[base + 4, base + 12], 1] = 1
        hits[base:base + STEPS_PER_BAR:2, 2] = 1
    return hits


def test_grid_reads_drum_notes_with_their_timing():
    score = Score(TPQ)
    kit = Track(name="kit", is_drum=True)
    kit.notes.extend([Note(0, 60, 36, 100), Note(TPQ + 10, 60, 38, 90), Note(2 * TPQ, 60, 51, 70),
                      Note(2 * TPQ, 60, 60, 70)])  # pitch 60 is no kit piece: ignored
    score.tracks.append(kit)
    hits, velocity, offset = grid_of(score)
    assert hits.shape == (STEPS_PER_BAR, 9)
    assert {(int(t), int(c)) for t, c in zip(*np.nonzero(hits))} == {(0, 0), (4, 1), (8, 8)}
    assert velocity[4, 1] == 90 and offset[4, 1] == pytest.approx(10 / (TPQ / 4))


def test_training_learns_a_backbeat_and_tracks_follow_it(tmp_path):
    performances = [Performance("rock", False, split, backbeat(16), backbeat(16) * 90, np.zeros((256, 9)))
                    for split in ("train", "train", "train", "validation")]
    card = train(performances, tmp_path, hidden=16, minutes=5, epochs=60, lr=3e-2, batch=4, log=lambda _: None)
    assert card["styles"] == ["rock"] and card["validation"]["bits_per_step"] < 1.0  # 9 bits is a coin per class
    model = DrumModel.load(tmp_path)
    made = model.sample_hits("rock", 8, fill_every=0, seed=1)
    assert (made == backbeat(8)).mean() > 0.95  # the pattern it was shown comes back
    track = model.track("rock", bars=4, tpq=TPQ, seed=3, fill_every=0)
    assert track.is_drum and len(track.notes) > 0
    assert {n.pitch for n in track.notes} <= set(CLASS_PITCH)
    assert max(n.time for n in track.notes) < 4 * 4 * TPQ
    with pytest.raises(UnknownOptionError, match="No drum style 'polka'"):
        model.track("polka", bars=1, tpq=TPQ)


def test_a_folder_without_labels_is_refused(tmp_path):
    with pytest.raises(Exception, match="labels.csv"):
        read_groove(tmp_path)
