"""What `sonatina convert` tells its user: the files it wrote and the key the piece is in."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from helpers import make_score

from sonatina.cli import main
from sonatina.model.registry import shipped_models

pytestmark = pytest.mark.skipif(not shipped_models(), reason="no shipped model in src/sonatina/pretrained")


@pytest.fixture(scope="module")
def major_tune(tmp_path_factory):
    # written by hand, not composed: a composed tune's estimated mode changes whenever sampling does
    path = tmp_path_factory.mktemp("tune") / "tune.mid"
    make_score(seed=3, bars=4, tonic=60).dump_midi(path)
    return path


def test_a_minor_key_asked_of_a_major_piece_is_explained(major_tune, tmp_path):
    # the melody is kept, so its mode is too: the user who asked for A minor is told why it is A major
    result = CliRunner().invoke(main, ["convert", str(major_tune), "--to", "pop", "--key", "A minor", "--seed", "1",
                                       "--out", str(tmp_path / "x.mid")])
    assert result.exit_code == 0, result.output
    assert "in A major (--key sets the tonic; the mode stays the melody's own)" in result.output
    same = CliRunner().invoke(main, ["convert", str(major_tune), "--to", "pop", "--key", "A major", "--seed", "1",
                                     "--out", str(tmp_path / "y.mid")])
    assert "in A major," in same.output and "--key sets" not in same.output


def test_the_audio_written_is_named(major_tune, tmp_path):
    result = CliRunner().invoke(main, ["convert", str(major_tune), "--to", "pop", "--seed", "1", "--audio", "wav",
                                       "--out", str(tmp_path / "x.mid")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Wrote x.mid and x.wav: tune.mid as pop")
    assert (tmp_path / "x.wav").stat().st_size > 0


@pytest.mark.parametrize("command", [["convert", "--to", "pop"], ["regenerate", "--bars", "2-3"]])
def test_writing_over_the_source_is_refused_naming_it_the_source(major_tune, tmp_path, command):
    copy = tmp_path / "mine.mid"
    copy.write_bytes(major_tune.read_bytes())
    result = CliRunner().invoke(main, [command[0], str(copy), *command[1:], "--out", str(copy)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == f"Error: Writing '{copy}' would overwrite the source; choose another --out."
    assert copy.read_bytes() == major_tune.read_bytes()
