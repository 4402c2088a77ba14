"""Scale-aware sampling: notes outside the key lose a documented number of nats."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from sonatina import api
from sonatina.cli import main
from sonatina.compose.sample import SCALE_PITCH_CLASSES, ScaleBias, default_scale_strength
from sonatina.request import GenerationRequest, SettingError


def out_of_key_share(piece, tonic: int, mode: str) -> float:
    pitches = np.array([n.pitch for t in piece.score.tracks for n in t.notes])
    in_key = np.isin((pitches - tonic) % 12, SCALE_PITCH_CLASSES[mode])
    return float(1 - in_key.mean())


def test_out_of_key_pitches_lose_exactly_the_strength():
    pitch_of = np.array([-1, 60, 61, 62, 63, 71, -1])  # two non-pitch tokens around C, C#, D, Eb, B
    bias = ScaleBias(pitch_of, ["major", "minor"], 2.5)
    scores = bias(np.array([[0.0, 1, 1, 1, 1, 1, -np.inf]] * 2))
    assert scores[0].tolist() == [0, 1, -1.5, 1, -1.5, 1, -np.inf]  # C major: C# and Eb are out
    assert scores[1].tolist() == [0, 1, -1.5, 1, 1, 1, -np.inf]  # C minor keeps Eb and the leading tone B


def test_a_strong_bias_keeps_an_untrained_model_in_key(tiny_run):
    loose = api.compose(str(tiny_run), seconds=20, key="E minor", seed=4, variations=3, scale_strength=0,
                        temperature=1.5)
    tonal = api.compose(str(tiny_run), seconds=20, key="E minor", seed=4, variations=3, scale_strength=8,
                        temperature=1.5)
    loose_share = np.mean([out_of_key_share(p, 4, "minor") for p in loose])
    tonal_share = np.mean([out_of_key_share(p, 4, "minor") for p in tonal])
    assert loose_share > 0.1 and tonal_share < 0.02, (loose_share, tonal_share)
    assert all(p.settings["scale_strength"] == 8 for p in tonal)


def test_the_genre_default_applies_when_no_strength_is_asked(tiny_run):
    piece = api.compose(str(tiny_run), seconds=8, seed=1)[0]
    assert piece.settings["scale_strength"] == default_scale_strength(piece.settings["genre"])
    assert default_scale_strength("a-users-own-genre") == 0.0


def test_vocabulary_pitches_follow_the_tokenizer(tiny_run):
    model = api.load_model(str(tiny_run))
    pitch_of = model.vocab.pitch_of
    assert pitch_of[model.vocab.pitch_ids].min() == 21 and (pitch_of[model.vocab.kind != "Pitch"] == -1).all()


def test_bad_strengths_are_one_sentence_everywhere(tiny_run, tmp_path):
    with pytest.raises(SettingError, match="Scale strength must be between 0 and 10"):
        api.compose(str(tiny_run), seconds=8, scale_strength=11)
    with pytest.raises(SettingError, match="Scale strength must be a number"):
        GenerationRequest.validate({"scale_strength": "lots"})
    result = CliRunner().invoke(main, ["generate", "--model", str(tiny_run), "--scale-strength", "-1",
                                       "--out", str(tmp_path / "x.mid")])
    assert result.exit_code == 2 and "Scale strength must be between 0 and 10" in result.output
    ok = CliRunner().invoke(main, ["generate", "--model", str(tiny_run), "--scale-strength", "3", "--seconds", "8",
                                   "--json", "--out", str(tmp_path / "y.mid")])
    assert ok.exit_code == 0, ok.output
    assert '"scale_strength": 3.0' in ok.output
