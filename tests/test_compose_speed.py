"""Composing's faster sampling draws exactly what the plain loop draws: the same bits, the same tokens.

The references below are the plain computations the fast paths replaced (gate-by-gate sigmoids,
the whole first-layer product every step, a mask built row by row, rng.choice): a speed-up that
changed a single draw would fail here.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info

from sonatina.compose.form import form_processors
from sonatina.compose.sample import Grammar, SamplingConfig, ScaleBias, draw, sample_tokens
from sonatina.model.registry import load_model
from sonatina.model.stepper import lstm_cell, one_blas_thread


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def plain_cell(gates, c):
    H = c.shape[-1]
    i, f = _sigmoid(gates[..., :H]), _sigmoid(gates[..., H:2 * H])
    g, o = np.tanh(gates[..., 2 * H:3 * H]), _sigmoid(gates[..., 3 * H:])
    c = f * c + i * g
    return o * np.tanh(c), c


def plain_step(stepper, tokens, genre, mode, state):
    x = stepper.embed[tokens] + stepper.genre_embed[genre] + stepper.mode_embed[mode]
    new_state = []
    for (w_ih, w_hh, b), (h, c) in zip(stepper.layers, state):
        h, c = plain_cell(x @ w_ih + h @ w_hh + b, c)
        new_state.append((h, c))
        x = h
    return x @ stepper.head_w + stepper.head_b, new_state


def plain_mask(grammar: Grammar) -> np.ndarray:
    v, allowed = grammar.v, np.zeros((len(grammar.prev), grammar.v.size), dtype=bool)
    for row, prev in enumerate(grammar.prev):
        if prev in ("Pitch", "Velocity", "BOS"):
            allowed[row] = grammar.by_kind[{"Pitch": "Velocity", "Velocity": "Duration", "BOS": "Bar"}[prev]]
            continue
        allowed[row] = grammar.by_kind["Position"] & (v.position_of > grammar.pos[row])
        opening = grammar.bar[row] == 0 and grammar.notes_in_bar[row] == 0
        if opening:
            allowed[row] &= v.position_of < v.positions_per_beat
        if prev != "Bar":
            allowed[row] |= grammar.by_kind["Pitch"]
        if not opening and not (grammar.notes_in_bar[row] == 0 and grammar.empty_bars[row] >= 1):
            allowed[row] |= grammar.by_kind["Bar"]
    return allowed


def test_cell_is_bit_for_bit_the_gate_by_gate_one():
    rng = np.random.default_rng(0)
    for shape, dtype in (((1, 1024), np.float32), ((3, 1024), np.float32), ((2, 5, 512), np.float64)):
        gates = (rng.standard_normal(shape) * 4).astype(dtype)
        c = rng.standard_normal(shape[:-1] + (shape[-1] // 4,)).astype(dtype)
        for fast, plain in zip(lstm_cell(gates, c), plain_cell(gates, c)):
            assert np.array_equal(fast, plain)


def test_step_with_the_first_layer_table_is_bit_for_bit_the_plain_step():
    stepper = load_model().stepper
    rng = np.random.default_rng(3)
    for batch in (1, 3):
        genre, mode = np.full(batch, 1), np.full(batch, batch % 2)
        _, fast = stepper.prime(np.array([[3, 4, 5]] * batch), genre, mode)
        plain = [(h.copy(), c.copy()) for h, c in fast]
        for token in rng.integers(0, stepper.config.vocab_size, (300, batch)):  # tokens repeat: the table is read
            a, fast = stepper.step(token, genre, mode, fast)
            b, plain = plain_step(stepper, token, genre, mode, plain)
            assert np.array_equal(a, b)
        assert all(np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1]) for x, y in zip(fast, plain))


def test_draw_takes_what_rng_choice_takes_from_the_same_stream():
    for dtype in (np.float32, np.float64):
        p = (np.random.default_rng(1).random((60, 267)) ** 8).astype(dtype)
        p /= p.sum(axis=1, keepdims=True)
        one, two = np.random.default_rng(7), np.random.default_rng(7)
        assert [int(one.choice(267, p=row)) for row in p] == [draw(two, row) for row in p]


def test_cached_grammar_masks_are_the_rules_masks_on_a_long_walk():
    vocab = load_model().vocab
    grammar, rng = Grammar(vocab, 2), np.random.default_rng(5)
    for _ in range(600):
        expected = plain_mask(grammar)
        got = grammar.mask()
        assert np.array_equal(got, expected)
        got[:] = False  # callers may change what they get; the cache must not see it
        for row in range(2):
            grammar.advance(row, int(rng.choice(np.flatnonzero(expected[row]))))
    assert np.array_equal(grammar.mask(), plain_mask(grammar))


def plain_sample(model, genre, modes, target_beats, sampling, seeds, processors):
    """sample_tokens as it was before it was made faster: rng.choice, masks built every step, no tables."""
    from sonatina.compose.sample import MIN_LAST_NOTE_BEATS, _softmax, apply_temperature, apply_top_k, apply_top_p

    vocab, stepper, B = model.vocab, model.stepper, len(seeds)
    rngs, grammar = [np.random.default_rng(s) for s in seeds], Grammar(vocab, B)
    end_beat = target_beats - MIN_LAST_NOTE_BEATS
    genres, modes = np.full(B, genre), np.asarray(modes)
    last, state = stepper.prime(np.full((B, 1), vocab.bos), genres, modes)
    out, done = [[] for _ in range(B)], np.zeros(B, dtype=bool)
    for _ in range(int(target_beats * 80) + 64):
        scores = np.where(plain_mask(grammar), last, -np.inf)
        for row, seq in enumerate(out):  # a pitch once per onset: none written since the last time token
            since = next((i for i in range(len(seq) - 1, -1, -1) if vocab.kind[seq[i]] in ("Bar", "Position")), -1)
            scores[row, [t for t in seq[since + 1:] if vocab.kind[t] == "Pitch"]] = -np.inf
        for processor in processors:
            scores = processor(scores)
        scores = apply_top_p(apply_top_k(apply_temperature(scores, sampling.temperature), sampling.top_k),
                             sampling.top_p)
        probs = _softmax(scores)
        nxt = np.full(B, vocab.pad, dtype=np.int64)
        for row in np.flatnonzero(~done):
            token = int(rngs[row].choice(vocab.size, p=probs[row]))
            if vocab.kind[token] in ("Bar", "Position") and grammar.time_after(row, token) >= end_beat:
                done[row] = True
                continue
            grammar.advance(row, token)
            for processor in processors:
                processor.advance(row, token)
            out[row].append(token)
            nxt[row] = token
        if done.all():
            break
        last, state = plain_step(stepper, nxt, genres, modes, state)
    return out


def test_sample_tokens_draws_what_the_plain_loop_draws():
    model = load_model()
    genre = model.genres[0]
    cases = [  # (seeds, sampling, form, lookback, scale strength)
        ([11], SamplingConfig(), "AABA", 0.0, 1.0),
        ([12, 13], SamplingConfig(temperature=0.9, top_k=30), None, 2.0, 0.0),
        ([14], SamplingConfig(top_p=0.9), None, 0.0, 2.0),
    ]
    for seeds, sampling, form, lookback, strength in cases:
        runs = []
        for sampler in ("fast", "plain"):
            processors, _ = form_processors(model.vocab, len(seeds), 48.0, form, lookback, genre)
            if strength:
                processors.append(ScaleBias(model.vocab.pitch_of, ["major"] * len(seeds), strength))
            modes = [0] * len(seeds)
            if sampler == "fast":
                runs.append([list(s) for s in sample_tokens(model.stepper, model.vocab, 0, modes, 48.0, sampling,
                                                            seeds, processors=processors)])
            else:
                runs.append(plain_sample(model, 0, modes, 48.0, sampling, seeds, processors))
        assert runs[0] == runs[1]
        assert all(len(seq) > 100 for seq in runs[0])


def test_one_blas_thread_limits_and_restores():
    before = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    with one_blas_thread():
        assert all(pool["num_threads"] == 1 for pool in threadpool_info() if pool["user_api"] == "blas")
    assert [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"] == before
