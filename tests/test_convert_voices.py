"""Two-voice conversions (jazz, folk) write their voices side by side and step them together,
yet choose what writing one voice after the other chooses."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import make_score

from sonatina.compose import convert
from sonatina.model.registry import load_model
from sonatina.model.table_stepper import TableStepper

TWO_VOICES = sorted(g for g, frame in convert.ARRANGEMENTS.items() if len(frame.voices) > 1)


@pytest.fixture(scope="module")
def model():
    return load_model("default")


class OneRowAtATime:
    """A TableStepper that reads a primer token by token and steps rows one at a time: the network
    then gives the same bits whichever way the voices are written, so any difference in the notes
    comes from what the voices heard."""

    def __init__(self, table: TableStepper):
        self.table = table

    def initial_state(self, batch):
        return self.table.initial_state(batch)

    def step(self, tokens, genre, mode, state):
        return self.table.step(tokens, genre, mode, state)

    def prime(self, tokens, genre, mode, state=None):
        state = state or self.table.initial_state(1)
        for token in tokens[0]:
            logits, state = self.table.step(np.array([token]), genre, mode, state)
        return logits, state

    def step_rows(self, tokens, genre, mode, state):
        rows = [self.table.step(tokens[r:r + 1], genre[r:r + 1], mode[r:r + 1],
                                [(h[r:r + 1], c[r:r + 1]) for h, c in state]) for r in range(len(tokens))]
        joined = [(np.concatenate([s[layer][0] for _, s in rows]), np.concatenate([s[layer][1] for _, s in rows]))
                  for layer in range(len(state))]
        return np.concatenate([logits for logits, _ in rows]), joined


def notes(score):
    return [[(n.time, n.duration, n.pitch, n.velocity) for n in t.notes] for t in score.tracks]


def test_there_are_two_voice_targets_to_test():
    assert TWO_VOICES  # jazz and folk today: a bass line, then a part that hears it


@pytest.mark.parametrize("genre", TWO_VOICES)
def test_side_by_side_voices_hear_what_one_after_another_hear(model, genre, monkeypatch):
    monkeypatch.setattr(convert, "_table_stepper", lambda stepper: OneRowAtATime(TableStepper(stepper)))
    for seed, source in ((1, make_score(seed=3, bars=8)), (4, make_score(seed=5, bars=6, tonic=57, minor=True))):
        made = {}
        for together in (False, True):
            monkeypatch.setattr(convert, "VOICES_TOGETHER", together)
            made[together] = notes(convert.convert_score(model, None, source, genre, seeds=[seed])[0][0])
        assert made[True] == made[False]
        assert sum(len(part) for part in made[True][2:]) > 0  # the new parts have notes


@pytest.mark.parametrize("genre", TWO_VOICES)
def test_the_same_seed_writes_the_same_file(model, genre, tmp_path):
    files = []
    for name in ("a.mid", "b.mid"):
        score = convert.convert_score(model, None, make_score(seed=2, bars=8), genre, seeds=[7])[0][0]
        score.dump_midi(tmp_path / name)
        files.append((tmp_path / name).read_bytes())
    assert files[0] == files[1]


def test_step_rows_steps_each_row_as_step_does(model):
    table = TableStepper(model.stepper)
    genre, mode = np.array([1, 3]), np.array([0, 1])
    rows, single = table.initial_state(2), [table.initial_state(1), table.initial_state(1)]
    rng = np.random.default_rng(0)
    for _ in range(100):
        tokens = rng.integers(0, model.stepper.config.vocab_size, 2)
        together, rows = table.step_rows(tokens, genre, mode, rows)
        for r in range(2):
            alone, single[r] = table.step(tokens[r:r + 1], genre[r:r + 1], mode[r:r + 1], single[r])
            assert np.abs(together[r] - alone[0]).max() < 1e-3
    assert all(np.abs(rows[layer][0][r] - single[r][layer][0][0]).max() < 1e-4 for r in range(2) for layer in range(2))
