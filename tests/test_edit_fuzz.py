"""Mutated MIDI files (tests/fuzzing.py, seeded and bounded) given to `sonatina export`,
`regenerate` and `extend`: every case ends with exit 0, or exit 2 and one sentence."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fuzzing import cases

from sonatina.cli import main
from sonatina.data import untrusted


@pytest.fixture(autouse=True)
def quick_limits(monkeypatch):
    monkeypatch.setattr(untrusted, "CLI_LIMITS", untrusted.WEB_LIMITS)
    monkeypatch.setattr(untrusted.read_score, "__kwdefaults__", {"name": None, "limits": untrusted.WEB_LIMITS})


@pytest.mark.parametrize("command", [
    ["export", "--out", "{out}.musicxml"],
    ["regenerate", "--bars", "1-1", "--candidates", "2", "--seed", "1", "--out", "{out}.mid"],
    ["extend", "--seconds", "2", "--candidates", "2", "--seed", "1", "--out", "{out}.mid"],
])
def test_edit_commands_survive_mutated_midi(command, tmp_path):
    runner = CliRunner()
    outcomes = {0: 0, 2: 0}
    for label, filename, data in cases("midi", 40, seed=13):
        path = tmp_path / filename
        path.write_bytes(data)
        args = [command[0], str(path)] + [a.replace("{out}", str(tmp_path / "out")) for a in command[1:]]
        result = runner.invoke(main, args)
        assert result.exit_code in (0, 2), (label, result.exit_code, result.output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), (label, result.exception)
        if result.exit_code == 2:
            lines = result.output.strip().splitlines()
            assert lines[-1].startswith("Error: ") and "Traceback" not in result.output, (label, result.output)
        outcomes[result.exit_code] += 1
    assert outcomes[2] > 0 and outcomes[0] > 0
    print(f"{command[0]}: {outcomes[0]} done, {outcomes[2]} refused")
