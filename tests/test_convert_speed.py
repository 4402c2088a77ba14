"""The converter's faster sampling computes what the plain one computes."""

from __future__ import annotations

import numpy as np

from sonatina.model.registry import load_model
from sonatina.model.table_stepper import TableStepper


def primed(genre: int, mode: int):
    """The shipped model's stepper and its TableStepper, and two copies of one primed state."""
    stepper = load_model().stepper
    genre, mode = np.array([genre]), np.array([mode])
    _, state = stepper.prime(np.array([[3, 4, 5]]), genre, mode)
    return stepper, TableStepper(stepper), genre, mode, state, [(h.copy(), c.copy()) for h, c in state]


def test_table_stepper_steps_like_the_numpy_stepper():
    stepper, table, genre, mode, a, b = primed(1, 0)
    for token in np.random.default_rng(0).integers(0, stepper.config.vocab_size, 200):
        plain, a = stepper.step(np.array([token]), genre, mode, a)
        fast, b = table.step(np.array([token]), genre, mode, b)
        assert np.abs(plain - fast).max() < 1e-3
    assert all(np.abs(x[0] - y[0]).max() < 1e-4 for x, y in zip(a, b))


def plain_table_step(table: TableStepper, tokens, genre, mode, state):
    """TableStepper.step without its kept first-layer sums and in-place cell (what it replaced)."""
    H = table.hidden

    def cell(gates, c):
        t = np.tanh(gates)
        ifo = 0.5 * t + 0.5
        c = ifo[..., H:2 * H] * c + ifo[..., :H] * t[..., 2 * H:3 * H]
        return ifo[..., 3 * H:] * np.tanh(c), c

    h, c = state[0]
    h, c = cell(table.token_in[tokens] + table.genre_in[genre] + table.mode_in[mode] + h @ table.first_hh, c)
    new_state, x = [(h, c)], h
    for (w, b), (h, c) in zip(table.deeper, state[1:]):
        h, c = cell(np.concatenate([x, h], axis=-1) @ w + b, c)
        new_state.append((h, c))
        x = h
    return x @ table.head_w + table.head_b, new_state


def test_table_step_is_bit_for_bit_its_plain_form():
    _, table, genre, mode, fast, plain = primed(2, 1)
    for token in np.random.default_rng(4).integers(0, 40, 300):  # few tokens: the kept sums are read back
        a, fast = table.step(np.array([token]), genre, mode, fast)
        b, plain = plain_table_step(table, np.array([token]), genre, mode, plain)
        assert np.array_equal(a, b)
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(fast, plain))
