"""Sonatina writes 4/4: a source or primer in another metre has its bars regrouped, and the user
is told so in one sentence (a piece in 4/4 or 2/2 keeps its bars and gets no note)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from symusic import Score, TimeSignature

from sonatina import api
from sonatina.cli import main
from sonatina.model.registry import shipped_models
from tests.helpers import make_score


def _in_metre(score: Score, *metres: tuple[int, int]) -> Score:
    score.time_signatures = [TimeSignature(i * 4 * score.ticks_per_quarter, n, d) for i, (n, d) in enumerate(metres)]
    return score


def test_the_metres_that_are_regrouped():
    assert api.source_metre(make_score()) is None  # no time signature: 4/4
    assert api.source_metre(_in_metre(make_score(), (4, 4))) is None
    assert api.source_metre(_in_metre(make_score(), (2, 2))) is None  # a bar of four quarters, as 4/4's
    assert api.source_metre(_in_metre(make_score(), (2, 4))) == "2/4"
    assert api.source_metre(_in_metre(make_score(), (4, 4), (6, 8), (4, 4))) == "4/4 and 6/8"


def test_continuing_a_primer_in_six_eight_says_its_bars_are_regrouped(tiny_run, tmp_path):
    primer = tmp_path / "jig.mid"
    _in_metre(make_score(seed=1, bars=4), (6, 8)).dump_midi(str(primer))
    args = ["generate", "--model", str(tiny_run), "--primer", str(primer), "--seconds", "20", "--seed", "1"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "x.mid")])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("The primer is in 6/8; Sonatina writes 4/4, so its bars are regrouped.")
    as_json = json.loads(CliRunner().invoke(main, [*args, "--out", str(tmp_path / "y.mid"), "--json"]).output)
    assert as_json["files"][0]["settings"]["source_metre"] == "6/8"
    _in_metre(make_score(seed=1, bars=4), (4, 4)).dump_midi(str(primer))
    plain = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "z.mid")])
    assert plain.exit_code == 0 and "regrouped" not in plain.output


@pytest.mark.skipif(not shipped_models(), reason="no shipped model in src/sonatina/pretrained")
def test_converting_a_two_four_song_says_its_bars_are_regrouped(tmp_path):
    song = tmp_path / "song.mid"
    _in_metre(api.compose("default", seconds=8, genre="pop", key="C major", seed=3)[0].score, (2, 4)).dump_midi(str(song))
    result = CliRunner().invoke(main, ["convert", str(song), "--to", "pop", "--seed", "1", "--out", str(tmp_path / "x.mid")])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("The source is in 2/4; Sonatina writes 4/4, so its bars are regrouped.")
