"""Fuzzing the CLI's readers: mutated MIDI, MusicXML, ABC, WAV and MP3 files (tests/fuzzing.py,
seeded and bounded) given to `sonatina metrics` / `sonatina plot`. Every case ends with exit 0,
or exit 2 and one sentence: never a traceback, never a dead process. The web upload forms and
the API get the same files in tests/web/test_fuzz_uploads.py; bench/fuzz.py runs thousands."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from fuzzing import cases

from sonatina.cli import main
from sonatina.data import untrusted

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
    """The studio's limits, so a mutated score that would make music21 think for minutes stops at 8 s."""
    monkeypatch.setattr(untrusted, "CLI_LIMITS", untrusted.WEB_LIMITS)
    monkeypatch.setattr(untrusted.read_score, "__kwdefaults__", {"name": None, "limits": untrusted.WEB_LIMITS})


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
        result = runner.invoke(main, args)
        took = time.monotonic() - start
        slowest = max(slowest, (took, label))
        assert result.exit_code in (0, 2), (label, result.exit_code, result.output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), (label, result.exception)
        if result.exit_code == 2:
            lines = result.output.strip().splitlines()
            assert lines[-1].startswith("Error: ") and "Traceback" not in result.output, (label, result.output)
        outcomes[result.exit_code] += 1
        assert took < 12, (label, took)  # 8 s limit plus start-up
    assert outcomes[2] > 0  # the mutations do reach the error paths
    print(f"{kind}: {outcomes[0]} read, {outcomes[2]} refused; slowest {slowest[0]:.2f} s ({slowest[1]})")
