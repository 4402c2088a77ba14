"""`sonatina evaluate` without --genre reads each piece once per genre of the model: a terminal
sees a bar that says so and moves, as training's does; a pipe gets no bar."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios

import pytest

from sonatina.model.registry import load_model, shipped_models
from tests.helpers import make_score, sonatina_command

pytestmark = pytest.mark.skipif(not shipped_models(), reason="no shipped model in src/sonatina/pretrained")


def _stderr_on_a_terminal(args: list[str]) -> tuple[int, str]:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # tqdm draws in rows x cols
    proc = subprocess.Popen([*sonatina_command(), *args], stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    return proc.wait(timeout=300), seen.decode(errors="replace")


def test_scoring_under_the_genre_mixture_shows_its_progress(tmp_path):
    piece = tmp_path / "tune.mid"
    make_score(seed=2, bars=8).dump_midi(str(piece))
    code, err = _stderr_on_a_terminal(["evaluate", "--model", "default", str(piece)])
    assert code == 0, err
    genres = len(load_model("default").genres)
    assert f"scoring 1 piece under each of the model's {genres} genres" in err and f"0/{genres}" in err
    piped = subprocess.run([*sonatina_command(), "evaluate", "--model", "default", str(piece)],
                           capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and "scoring" not in piped.stderr and "bits per note" in piped.stdout
