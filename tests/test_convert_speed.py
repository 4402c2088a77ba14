"""The converter's faster sampling computes what the plain one computes."""

from __future__ import annotations

import numpy as np

from sonatina.compose.convert import _draw
from sonatina.model.registry import load_model
from sonatina.model.table_stepper import TableStepper


def test_table_stepper_steps_like_the_numpy_stepper():
    stepper = load_model().stepper
    table = TableStepper(stepper)
    genre, mode = np.array([1]), np.array([0])
    _, a = stepper.prime(np.array([[3, 4, 5]]), genre, mode)
    b = [(h.copy(), c.copy()) for h, c in a]
    for token in np.random.default_rng(0).integers(0, stepper.config.vocab_size, 200):
        plain, a = stepper.step(np.array([token]), genre, mode, a)
        fast, b = table.step(np.array([token]), genre, mode, b)
        assert np.abs(plain - fast).max() < 1e-3
    assert all(np.abs(x[0] - y[0]).max() < 1e-4 for x, y in zip(a, b))


def test_draw_takes_what_rng_choice_takes_from_the_same_stream():
    p = np.random.default_rng(1).random((50, 267)).astype(np.float32) ** 8
    p /= p.sum(axis=1, keepdims=True)
    one, two = np.random.default_rng(7), np.random.default_rng(7)
    assert [int(one.choice(267, p=row)) for row in p] == [_draw(two, row) for row in p]
