"""The LSTM of lstm.MusicLSTM evaluated in NumPy: what composing runs, with no torch at all.

Composing calls the network thousands of times on a single token; torch's per-call overhead
(and its thread pool) then dominates, measured at 4 ms per step under load against ~0.1 ms
here, and importing torch alone costs ~1.5 s of a CLI run. tests/test_core_library.py checks
this agrees with MusicLSTM.forward.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

from sonatina.model.checkpoint import ModelConfig, damaged, read_checkpoint

State = list[tuple[np.ndarray, np.ndarray]]  # (h, c) per layer, each [B, hidden]
_blas: list[ThreadpoolController] = []


def one_blas_thread():
    """A context in which BLAS runs on one thread, for loops of small products (a step is a
    product of a few rows). On two busy cores OpenBLAS's threads spinning for such products cost
    far more than they give: a four-row step took ~5 ms with them and ~0.2 ms without. It splits
    no sum differently (threads share out rows and columns), so results are the same bits.
    The controller is built once (~0.3 ms); limiting through it costs ~25 us."""
    if not _blas:
        _blas.append(ThreadpoolController())
    return _blas[0].limit(limits=1, user_api="blas")


class NumpyStepper:
    def __init__(self, weights: dict[str, np.ndarray], config: ModelConfig):
        """weights: float32 arrays named as in MusicLSTM.state_dict()."""
        _check_shapes(weights, config)
        w = weights
        self.config = config
        self.embed = w["embed.weight"]
        self.genre_embed, self.mode_embed = w["genre_embed.weight"], w["mode_embed.weight"]
        # transposed once so a step is x @ W; torch's two biases are one sum
        self.layers = [(w[f"lstm.weight_ih_l{i}"].T.copy(), w[f"lstm.weight_hh_l{i}"].T.copy(),
                        w[f"lstm.bias_ih_l{i}"] + w[f"lstm.bias_hh_l{i}"]) for i in range(config.num_layers)]
        self.head_w, self.head_b = w["head.weight"].T.copy(), w["head.bias"]
        self.hidden = config.hidden_size
        self._projected: dict[tuple[int, int, int], np.ndarray] = {}  # see _first_input
        self.fast = None  # the same network's faster stepper, once native_stepper.fast_stepper has made it

    @classmethod
    def from_checkpoint(cls, path: Path) -> tuple["NumpyStepper", dict]:
        """(stepper, card) of a checkpoint folder or file."""
        config, weights, card = read_checkpoint(Path(path))
        try:
            return cls(weights, config), card
        except (KeyError, ValueError) as exc:
            raise damaged(Path(path), exc) from None

    def initial_state(self, batch: int) -> State:
        zeros = np.zeros((batch, self.hidden), dtype=np.float32)
        return [(zeros.copy(), zeros.copy()) for _ in self.layers]

    def step(self, tokens, genre, mode, state: State) -> tuple[np.ndarray, State]:
        """tokens, genre, mode: int arrays [B] -> logits [B, V], new state."""
        w_ih, w_hh, b = self.layers[0]
        if len(tokens) == 1:
            projected = self._first_input(int(tokens[0]), int(genre[0]), int(mode[0]))
        else:
            projected = (self.embed[tokens] + self.genre_embed[genre] + self.mode_embed[mode]) @ w_ih
        h, c = state[0]
        h, c = lstm_cell(projected + h @ w_hh + b, c)
        new_state = [(h, c)]
        x = h
        for (w_ih, w_hh, b), (h, c) in zip(self.layers[1:], state[1:]):
            h, c = lstm_cell(x @ w_ih + h @ w_hh + b, c)
            new_state.append((h, c))
            x = h
        return x @ self.head_w + self.head_b, new_state

    def _first_input(self, token: int, genre: int, mode: int) -> np.ndarray:
        """The first layer's input projection [1, 4H] of one (token, genre, mode), kept once met.

        It is the very product a one-row step computes (same row, same call), so reading it back
        changes no bit of what the step returns; it saves an eighth of the weights a step reads (the
        rest, 3.3 MB for the shipped size, is what a step costs now: bench/RESULTS.md)."""
        key = (token, genre, mode)
        projected = self._projected.get(key)
        if projected is None:
            x = self.embed[[token]] + self.genre_embed[[genre]] + self.mode_embed[[mode]]
            projected = self._projected[key] = x @ self.layers[0][0]
        return projected

    def prime(self, tokens, genre, mode, state: State | None = None) -> tuple[np.ndarray, State]:
        """Read a whole prefix: tokens [B, T] -> logits after its last token [B, V], state.

        Each layer's input projection is one matrix product over all T positions; only the
        recurrence is stepped, so a long primer costs little more than its length in steps.
        """
        tokens = np.asarray(tokens)
        B, T = tokens.shape
        state = state or self.initial_state(B)
        xs = self.embed[tokens] + (self.genre_embed[genre] + self.mode_embed[mode])[:, None, :]
        new_state = []
        for (w_ih, w_hh, b), (h, c) in zip(self.layers, state):
            projected = xs @ w_ih  # [B, T, 4H]
            outputs = np.empty((B, T, self.hidden), dtype=np.float32)
            for t in range(T):
                h, c = lstm_cell(projected[:, t] + h @ w_hh + b, c)
                outputs[:, t] = h
            new_state.append((h, c))
            xs = outputs
        return xs[:, -1] @ self.head_w + self.head_b, new_state


def _check_shapes(w: dict[str, np.ndarray], config: ModelConfig) -> None:
    V, E, H = config.vocab_size, config.embed_dim, config.hidden_size
    expected = {"embed.weight": (V, E), "genre_embed.weight": (config.num_genres, E),
                "mode_embed.weight": (config.num_modes, E), "head.weight": (V, H), "head.bias": (V,)}
    for i in range(config.num_layers):
        expected.update({f"lstm.weight_ih_l{i}": (4 * H, E if i == 0 else H), f"lstm.weight_hh_l{i}": (4 * H, H),
                         f"lstm.bias_ih_l{i}": (4 * H,), f"lstm.bias_hh_l{i}": (4 * H,)})
    for name, shape in expected.items():
        if name not in w:
            raise KeyError(f"no weights '{name}'")
        if w[name].shape != shape:
            raise ValueError(f"weights '{name}' have shape {w[name].shape}, the config says {shape}")


def lstm_cell(gates: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM cell update from its pre-activation gates [..., 4H] (torch's order: input,
    forget, cell, output) and cell state [..., H] -> (h, c).

    sigmoid(x) = (tanh(x / 2) + 1) / 2 is taken over all four gates in one pass (the cell gate's
    share is not used): the same element-wise operations as gate by gate, in about half the
    NumPy calls (for one row, the calls and not the arithmetic are the cost)."""
    H = c.shape[-1]
    s = np.multiply(gates, 0.5)
    np.tanh(s, out=s)
    np.add(s, 1.0, out=s)
    np.multiply(s, 0.5, out=s)
    c = s[..., H:2 * H] * c + s[..., :H] * np.tanh(gates[..., 2 * H:3 * H])
    return s[..., 3 * H:] * np.tanh(c), c
