"""Edits are sampled under the genre's defaults of a fresh piece (issues 11, 13): a regenerated
pop passage keeps to the piece's key, an extended jazz line to the piece's register."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import make_score

from sonatina import api
from sonatina.compose.regenerate import extend_piece, passage_of_bars, regenerate_passage
from sonatina.compose.sample import SamplingConfig
from sonatina.model.registry import load_model

D_MAJOR = {(2 + pc) % 12 for pc in (0, 2, 4, 5, 7, 9, 11)}


@pytest.fixture(scope="module")
def model():
    return load_model("default")


def _new_pitches(result) -> list[int]:
    return [n.pitch for t in result.score.tracks for n in t.notes if result.passage.holds(n.time)]


def test_a_regenerated_pop_passage_keeps_to_the_key_far_more_often_with_the_bias(model):
    source = make_score(seed=1, bars=12, tonic=62)  # D major, melody and bass
    passage = passage_of_bars(source, 3, 10)
    hot = SamplingConfig(temperature=1.5)  # adventurous enough that the model strays from the key
    shares = {}
    for strength in (None, 0.0):  # the genre's default (pop: 1 nat), and no bias (the code before)
        out = []
        for seed in (1, 2, 3):
            result = regenerate_passage(model, source, passage, genre=model.genres.index("pop"), seed=seed,
                                        candidates=1, sampling=hot, scale_strength=strength)
            assert result.info["key_tonic"] == 2 and result.info["mode"] == "major"
            out += [p % 12 not in D_MAJOR for p in _new_pitches(result)]
        assert len(out) > 100
        shares[strength] = float(np.mean(out))
    assert shares[0.0] > 0.15, "without the bias the hot model strays from the key"
    assert shares[None] < shares[0.0] / 2


def test_the_edit_says_which_defaults_it_was_written_under(model):
    source = make_score(seed=2, bars=8, tonic=62)
    pop = api.regenerate(source, bars="3-4", model=model, genre="pop", seed=1, candidates=2)
    assert pop.settings["scale_strength"] == 1.0 and pop.settings["pitch_range"] is None
    jazz = api.extend(source, seconds=4, model=model, genre="jazz", seed=1, candidates=1)
    pitches = [n.pitch for t in source.tracks for n in t.notes]
    assert jazz.settings["scale_strength"] == 0.0
    assert jazz.settings["pitch_range"] == max(18, max(pitches) - min(pitches))  # the piece's range is wider


def test_an_extended_jazz_line_keeps_to_the_register_of_the_piece(model):
    source = make_score(seed=2, bars=8, tonic=65)
    source.tracks = [source.tracks[0]]  # a single line spanning 21 semitones, wider than jazz's narrowest span
    kept = [n.pitch for n in source.tracks[0].notes]
    low, high = min(kept), max(kept)
    outside = {}
    for pitch_range in (None, 127):  # the genre's window from the piece, and none (the code before)
        out = []
        for seed in (1, 2, 3, 4):
            result = extend_piece(model, source, 32, "end", genre=model.genres.index("jazz"), seed=seed,
                                  pitch_range=pitch_range)
            out += [p < low or p > high for p in _new_pitches(result)]
        outside[pitch_range] = sum(out)
    assert outside[None] == 0, "no new note leaves the register the rest of the piece keeps"
    assert outside[127] > 0, "left free, the model does wander past it"

