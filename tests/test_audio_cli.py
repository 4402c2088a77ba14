"""`sonatina render | transcribe | soundfonts` as a user runs them: JSON out, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from helpers import make_score
from sonatina.cli import main
from sonatina.data.corpus import load_score


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


@pytest.fixture(scope="module")
def midi(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "piece.mid"
    make_score(seed=4, bars=4, tempo=120.0).dump_midi(str(path))  # 8 s
    return path


def test_render_then_transcribe_round_trip(midi, tmp_path):
    rendered = run("render", midi, "--out", tmp_path / "piece.mp3", "--json")
    assert rendered.exit_code == 0, rendered.output
    summary = json.loads(rendered.output)
    assert summary["format"] == "mp3" and summary["channels"] == 2 and summary["peak_dbfs"] <= -1.0
    assert 8.0 <= summary["seconds"] <= 11.5
    data, rate = sf.read(summary["path"])
    assert data.shape[1] == 2 and len(data) / rate >= 8.0

    back = run("transcribe", summary["path"], "--out", tmp_path / "back.mid", "--tempo", "120", "--json")
    assert back.exit_code == 0, back.output
    result = json.loads(back.output)
    assert result["notes"] > 20 and load_score(result["path"]).note_num() == result["notes"]


def test_human_output_and_soundfont_listing(midi, tmp_path):
    rendered = run("render", midi, "--out", tmp_path / "piece.wav", "--sample-rate", "22050")
    assert rendered.exit_code == 0 and rendered.output.startswith("Wrote ") and "LUFS" in rendered.output
    assert sf.info(tmp_path / "piece.wav").samplerate == 22050
    listing = run("soundfonts", "--json")
    found = json.loads(listing.output)
    assert found["default"] == found["soundfonts"][0] and found["soundfonts"][-1].endswith("TimGM6mb.sf2")


def bad_inputs(tmp_path) -> dict[str, list[str]]:
    """Each bad input a user might hand over, with the command that gets it."""
    corrupt = tmp_path / "corrupt.mid"
    corrupt.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk\xff\xff\xff\xff\x90\x3c")
    noise = (np.random.default_rng(1).standard_normal((44100 * 3, 2)) * 0.1).astype(np.float32)
    full = tmp_path / "full.mp3"
    from sonatina.audio.files import write_audio

    write_audio(noise, 44100, full)
    truncated = tmp_path / "truncated.mp3"
    truncated.write_bytes(full.read_bytes()[: full.stat().st_size // 2 + 5])
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros((0, 2), np.float32), 44100)
    three_hours = tmp_path / "three_hours.wav"
    sf.write(three_hours, np.zeros(3 * 3600 * 1000, np.float32), 1000, subtype="PCM_U8")
    long_midi = tmp_path / "three_hours.mid"
    score = make_score(seed=0, bars=1)
    score.tracks[0].notes.append(type(score.tracks[0].notes[0])(480 * 2 * 3 * 3600, 480, 60, 80))
    score.dump_midi(str(long_midi))
    out_wav, out_mid = str(tmp_path / "out.wav"), str(tmp_path / "out.mid")
    return {
        "corrupt MIDI": ["render", str(corrupt), "--out", out_wav],
        "three-hour MIDI": ["render", str(long_midi), "--out", out_wav],
        "truncated MP3": ["transcribe", str(truncated), "--out", out_mid],
        "empty WAV": ["transcribe", str(empty), "--out", out_mid],
        "three-hour WAV": ["transcribe", str(three_hours), "--out", out_mid],
        "missing file": ["transcribe", str(tmp_path / "nope.wav"), "--out", out_mid],
        "wrong output type": ["render", str(long_midi), "--out", str(tmp_path / "out.ogg")],
        "missing SoundFont": ["render", str(corrupt), "--out", out_wav, "--soundfont", str(tmp_path / "x.sf2")],
    }


def test_bad_inputs_exit_2_with_one_line_and_no_traceback(tmp_path):
    for what, args in bad_inputs(tmp_path).items():
        result = run(*args, "--json")
        assert result.exit_code == 2, f"{what}: exit {result.exit_code}\n{result.output}"
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), f"{what}: {result.stderr}"
        assert result.stdout == "" and result.exception is None or isinstance(result.exception, SystemExit)


def test_a_real_process_prints_no_traceback(tmp_path):
    """The same through the installed entry point, so stderr and the exit code are the real ones."""
    cases = bad_inputs(tmp_path)
    for what in ("truncated MP3", "three-hour WAV"):
        proc = subprocess.run([sys.executable, "-m", "sonatina", *cases[what]], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 2, f"{what}: exit {proc.returncode}\n{proc.stderr}"
        assert proc.stderr.startswith("Error: ") and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "Traceback" not in proc.stderr


def test_fluidsynth_backend_without_fluidsynth(midi, tmp_path, monkeypatch):
    from sonatina.audio import synth as audio

    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    result = run("render", midi, "--out", tmp_path / "x.wav", "--backend", "fluidsynth")
    assert result.exit_code == 2 and "FluidSynth" in result.output
