"""Shared fixtures: a tiny corpus of real MIDI files, and a tiny model trained on it in seconds
(helpers.py holds the plain functions tests import)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import make_score


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
