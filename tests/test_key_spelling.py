"""A key is reported as the user spelled it: --key "Gb major" is Gb major (six flats), not F# major."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import make_score
from symusic import Score

from sonatina.cli import main
from sonatina.model.registry import shipped_models
from sonatina.music.keys import key_fifths, key_name, parse_key
from sonatina.request import GenerationRequest


@pytest.mark.parametrize("asked,name,fifths", [
    ("Gb major", "Gb major", -6), ("F# major", "F# major", 6), ("gb", "Gb major", -6), ("Eb minor", "Eb minor", -6),
    ("D# minor", "D# minor", 6), ("c sharp m", "C# minor", 4), ("Db", "Db major", -5), ("C#", "C# major", 7),
    ("Bb minor", "Bb minor", -5), ("A", "A major", 3),
    ("G# major", "Ab major", -4), ("Fb major", "E major", 4),  # no key signature spells these: the usual name
])
def test_a_key_keeps_the_tonic_as_spelled_where_a_signature_spells_it(asked, name, fifths):
    tonic, mode = parse_key(asked)
    assert key_name(tonic, mode, spelled=asked) == name and key_fifths(tonic, mode, spelled=asked) == fifths
    assert GenerationRequest.validate({"key": asked}, only=("key",))["key"] == name


def test_without_a_spelling_a_key_is_named_as_its_signature_is_written():
    assert [key_name(pc, "major") for pc in (1, 6, 10)] == ["Db major", "F# major", "Bb major"]
    assert [key_fifths(pc, "major") for pc in (1, 6, 10)] == [-5, 6, -2]
    assert [key_name(pc, "minor") for pc in (1, 3, 8, 10)] == ["C# minor", "D# minor", "G# minor", "Bb minor"]
    assert [key_fifths(pc, "minor") for pc in (1, 3, 8, 10)] == [4, 6, 5, -5]
    assert key_name(6, "minor", spelled="Gb major") == "F# minor"  # no Gb minor signature: the usual spelling


def test_generate_reports_and_writes_the_key_as_asked(tiny_run, tmp_path):
    result = CliRunner().invoke(main, ["generate", "--model", str(tiny_run), "--seconds", "5", "--key", "Gb major",
                                       "--seed", "1", "--out", str(tmp_path / "x.mid")])
    assert result.exit_code == 0, result.output
    assert "Gb major" in result.output and "F#" not in result.output
    assert Score(str(tmp_path / "x.mid")).key_signatures[0].key == -6  # six flats, not six sharps
    as_json = CliRunner().invoke(main, ["generate", "--model", str(tiny_run), "--seconds", "5", "--key", "F# major",
                                        "--seed", "1", "--out", str(tmp_path / "y.mid"), "--json"])
    assert json.loads(as_json.output)["files"][0]["settings"]["key"] == "F# major"
    assert Score(str(tmp_path / "y.mid")).key_signatures[0].key == 6


@pytest.mark.skipif(not shipped_models(), reason="no shipped model in src/sonatina/pretrained")
def test_convert_reports_the_key_as_asked(tmp_path):
    tune = tmp_path / "tune.mid"
    make_score(seed=3, bars=4, tonic=60).dump_midi(tune)  # by hand: a major tune whatever sampling does
    result = CliRunner().invoke(main, ["convert", str(tune), "--to", "pop", "--key", "Gb major", "--seed", "1",
                                       "--out", str(tmp_path / "x.mid")])
    assert result.exit_code == 0, result.output
    assert "in Gb major," in result.output and "--key sets" not in result.output
