"""Fuzzing the CLI's readers: mutated MIDI, MusicXML, ABC, WAV and MP3 files (tests/fuzzing.py,
seeded and bounded) given to `sonatina metrics` / `sonatina plot`. Every case ends with exit 0,
or exit 2 and one sentence: never a traceback, never a dead process. The web upload forms and
the API get the same files in tests/web/test_fuzz_uploads.py; bench/fuzz.py runs thousands."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from fuzzing import cases

from helpers import survived, use_web_read_limits

# (kind, cases, command): 204 cases, ~30 s on two shared cores.
PLAN = [
    ("midi", 120, "metrics"),
    ("musicxml", 20, "metrics"),
    ("mxl", 20, "metrics"),
    ("abc", 20, "metrics"),
    ("wav", 12, "plot"),  # a spectrogram plot costs ~0.7 s; the uploads test sends more audio
    ("mp3", 12, "plot"),
]


@pytest.fixture(autouse=True)
def quick_limits(monkeypatch):
    use_web_read_limits(monkeypatch)


@pytest.mark.parametrize("kind, count, command", PLAN)
def test_cli_readers_survive_mutated_files(kind, count, command, tmp_path):
    runner = CliRunner()
    outcomes = {0: 0, 2: 0}
    slowest = (0.0, "")
    for label, filename, data in cases(kind, count, seed=9):
        path = tmp_path / filename
        path.write_bytes(data)
        args = [command, str(path)] if command == "metrics" else [command, str(path), "--kind", "spectrogram",
                                                                    "--out", str(tmp_path / "plots")]
        start = time.monotonic()
        code = survived(runner, args, label)
        took = time.monotonic() - start
        slowest = max(slowest, (took, label))
        outcomes[code] += 1
        assert took < 12, (label, took)  # 8 s limit plus start-up
    assert outcomes[2] > 0  # the mutations do reach the error paths
    print(f"{kind}: {outcomes[0]} read, {outcomes[2]} refused; slowest {slowest[0]:.2f} s ({slowest[1]})")
