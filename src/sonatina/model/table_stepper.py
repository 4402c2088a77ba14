"""A faster single-token step for the NumPy LSTM, for samplers that step one token at a time.

The first layer's input is embedding(token) + embedding(genre) + embedding(mode), so its input
projection is a sum of three rows of tables computed once (token, genre and mode embeddings
already multiplied by the layer's weights, the bias folded in): a lookup instead of a matrix
product. Deeper layers multiply [input, h] by their two weight matrices stacked, one product
instead of two, and the input, forget and output gates' columns are halved once so all four
gates take a single tanh (sigmoid(x) = (tanh(x / 2) + 1) / 2; halving is exact in floating
point). It computes what NumpyStepper.step computes, up to float32 rounding in sums.
"""

from __future__ import annotations

import numpy as np

from sonatina.model.stepper import NumpyStepper, State


def _halved_sigmoid_columns(w: np.ndarray, hidden: int) -> np.ndarray:
    """Gate columns (torch's order: input, forget, cell, output) with the three sigmoid gates halved."""
    w = w.copy()
    w[..., :2 * hidden] *= 0.5
    w[..., 3 * hidden:] *= 0.5
    return w


class TableStepper:
    def __init__(self, stepper: NumpyStepper):
        self.base, self.hidden = stepper, stepper.hidden
        H = self.hidden
        w_ih, w_hh, b = stepper.layers[0]
        half = lambda w: _halved_sigmoid_columns(w, H).astype(np.float32)  # noqa: E731
        self.token_in = half(stepper.embed @ w_ih)
        self.genre_in = half(stepper.genre_embed @ w_ih + b)
        self.mode_in = half(stepper.mode_embed @ w_ih)
        self.first_hh = half(w_hh)
        self.deeper = [(half(np.vstack([w_ih, w_hh])), half(b)) for w_ih, w_hh, b in stepper.layers[1:]]
        self.head_w, self.head_b = stepper.head_w, stepper.head_b
        self._inputs: dict[tuple[int, int, int], np.ndarray] = {}  # see _first_input

    def initial_state(self, batch: int) -> State:
        return self.base.initial_state(batch)

    def prime(self, tokens, genre, mode, state: State | None = None) -> tuple[np.ndarray, State]:
        return self.base.prime(tokens, genre, mode, state)

    def _cell(self, gates: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        H = self.hidden
        t = np.tanh(gates)
        ifo = np.multiply(t, 0.5, out=gates)  # the sigmoid gates (their pre-activations were halved)
        ifo += 0.5
        c = ifo[..., H:2 * H] * c + ifo[..., :H] * t[..., 2 * H:3 * H]
        return ifo[..., 3 * H:] * np.tanh(c), c

    def _first_input(self, token: int, genre: int, mode: int) -> np.ndarray:
        """token_in + genre_in + mode_in of one row [1, 4H], summed as step sums it, kept once met."""
        key = (token, genre, mode)
        summed = self._inputs.get(key)
        if summed is None:
            summed = self._inputs[key] = self.token_in[[token]] + self.genre_in[[genre]] + self.mode_in[[mode]]
        return summed

    def step(self, tokens, genre, mode, state: State) -> tuple[np.ndarray, State]:
        """tokens, genre, mode: int arrays [B] -> logits [B, V], new state (as NumpyStepper.step)."""
        h, c = state[0]
        if len(tokens) == 1:
            first = self._first_input(int(tokens[0]), int(genre[0]), int(mode[0]))
        else:
            first = self.token_in[tokens] + self.genre_in[genre] + self.mode_in[mode]
        h, c = self._cell(first + h @ self.first_hh, c)
        new_state = [(h, c)]
        x = h
        for (w, b), (h, c) in zip(self.deeper, state[1:]):
            gates = np.concatenate([x, h], axis=-1) @ w
            gates += b
            h, c = self._cell(gates, c)
            new_state.append((h, c))
            x = h
        return x @ self.head_w + self.head_b, new_state
