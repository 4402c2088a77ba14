"""Mutated MIDI files (tests/fuzzing.py, seeded and bounded) given to `sonatina export`,
`regenerate` and `extend`: every case ends with exit 0, or exit 2 and one sentence."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fuzzing import cases

from helpers import survived, use_web_read_limits


@pytest.fixture(autouse=True)
def quick_limits(monkeypatch):
    use_web_read_limits(monkeypatch)


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
        outcomes[survived(runner, args, label)] += 1
    assert outcomes[2] > 0 and outcomes[0] > 0
    print(f"{command[0]}: {outcomes[0]} done, {outcomes[2]} refused")
