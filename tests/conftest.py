"""Shared fixtures: tiny real MIDI built in memory, and a tiny model trained in seconds."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from symusic import Note, Score, Tempo, Track

MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]


def make_score(seed: int = 0, bars: int = 8, tonic: int = 60, minor: bool = False, tempo: float = 100.0,
               tpq: int = 480) -> Score:
    """A two-voice piece: a stepwise melody over a root-fifth bass, in a given key, 4/4."""
    rng = np.random.default_rng(seed)
    scale = MINOR if minor else MAJOR
    score = Score(tpq)
    score.tempos.append(Tempo(0, qpm=tempo))
    melody, bass = Track(name="melody", program=0), Track(name="bass", program=32)
    degree, t = 0, 0
    for _ in range(bars * 4 * 2):  # eighth-note grid
        if rng.random() < 0.8:
            degree = int(np.clip(degree + rng.choice([-2, -1, 1, 2]), -3, 9))
            pitch = tonic + 12 * (degree // 7) + scale[degree % 7]
            melody.notes.append(Note(t, tpq // 2, int(pitch), int(rng.integers(60, 100))))
        t += tpq // 2
    for bar in range(bars):
        root = tonic - 24 + scale[[0, 3, 4, 0][bar % 4]]
        for beat in range(4):
            melody_free = beat % 2 == 0
            bass.notes.append(Note((bar * 4 + beat) * tpq, tpq, int(root + (0 if melody_free else 7)), 70))
    score.tracks.extend([melody, bass])
    return score


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Never touch the user's ~/.cache/sonatina from tests."""
    os.environ["SONATINA_CACHE"] = str(tmp_path_factory.mktemp("sonatina-cache"))


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for i in range(12):
        make_score(seed=i, tonic=[60, 62, 57, 65][i % 4], minor=i % 3 == 0).dump_midi(str(folder / f"piece{i:02d}.mid"))
    return folder


@pytest.fixture(scope="session")
def tiny_run(tiny_corpus, tmp_path_factory) -> Path:
    """A run folder with a tiny model trained for a few seconds on the tiny corpus."""
    from sonatina import api

    out = tmp_path_factory.mktemp("run")
    api.train([str(tiny_corpus)], out, preset="tiny", epochs=2, steps_per_epoch=15, batch_size=8, seq_len=64,
              progress=False)
    return out
