"""An --out the system will not write is one sentence with exit 2, before any work, never a traceback."""

from __future__ import annotations

import subprocess

import pytest

from helpers import make_score, sonatina_command


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outs")
    make_score(bars=4).dump_midi(str(folder / "tune.mid"))
    from sonatina.audio import synth

    synth.render(make_score(bars=4), folder / "take.wav")
    return folder


@pytest.mark.parametrize("args", [
    # symusic's writer raised "RuntimeError: File not found"; libsndfile "System error"; pathlib its OSError
    ["generate", "--seconds", "5", "--out", "{f}/tune.mid/new.mid"],
    ["convert", "{f}/tune.mid", "--to", "pop", "--out", "{f}/tune.mid/new.mid"],
    ["regenerate", "{f}/tune.mid", "--bars", "1-2", "--out", "{f}/tune.mid/deeper/new.mid"],
    ["render", "{f}/tune.mid", "--out", "{f}/tune.mid/new.wav"],
    ["export", "{f}/tune.mid", "--out", "{f}/tune.mid/new.pdf"],
    ["transcribe", "{f}/take.wav", "--out", "{f}/tune.mid/new.mid"],
])
def test_an_out_inside_a_file_is_one_sentence(files, args):
    proc = subprocess.run([*sonatina_command(), *(a.format(f=files) for a in args)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == f"Error: '{files / 'tune.mid'}' is a file, not a folder, so nothing can be written inside it."


def test_an_out_the_system_refuses_is_one_sentence(files):
    proc = subprocess.run([*sonatina_command(), "render", str(files / "tune.mid"), "--out", "/proc/new.wav"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and proc.stderr.startswith("Error: Sonatina could not open '/proc/new.wav': ")
    assert len(proc.stderr.strip().splitlines()) == 1
