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


# --- the converter's sampler: its shortcuts compute what the plain steps computed ---

def test_the_one_row_softmax_is_bit_for_bit_the_batched_one():
    from sonatina.compose.convert import _softmax_row
    from sonatina.compose.sample import _softmax

    rng = np.random.default_rng(7)
    for size in (5, 89, 267, 1000):
        for _ in range(200):
            row = (rng.normal(size=size) * rng.uniform(0.1, 20)).astype(np.float32)
            row[rng.random(size) < rng.uniform(0, 0.95)] = -np.inf
            row[rng.integers(size)] = rng.normal()  # at least one finite score, as the sampler ensures
            kept = row.copy()
            assert np.array_equal(_softmax_row(row, row.max()), _softmax(row[None])[0])
            assert np.array_equal(row, kept, equal_nan=True)  # the scores are not changed


def test_the_piece_wide_bonus_tables_hold_each_positions_plain_bonuses():
    """_pitch_bonuses against the bonuses built token by token for one position at a time."""
    from sonatina.compose.convert import (ARRANGEMENTS, BASS_CEILING, CHORD_BONUS, ROOT_BONUS, _pitch_bonuses,
                                          source_frame)
    from sonatina.music.melody import extract_melody
    from test_convert import song

    model = load_model()
    score = song(480)
    frame = source_frame(model.tokenizer, score, extract_melody(score, None)[0], 5)
    pitch_of = model.vocab.pitch_of
    ids = np.flatnonzero(model.vocab.kind == "Pitch")
    for voice in (v for a in ARRANGEMENTS.values() for v in a.voices):
        chord, root, has_root = _pitch_bonuses(frame, voice, pitch_of[ids])
        assert chord.shape == root.shape == (frame.end, len(ids))
        for here in range(frame.end):
            pitch = pitch_of[ids]
            plain = np.where(frame.chord_tones[here][pitch % 12], CHORD_BONUS, 0.0)
            sounds = pitch - frame.shift  # ranges and the bass register are sounding pitches
            plain[(sounds < voice.low) | (sounds > voice.high) | (pitch >= frame.melody_pitch[here])] = -np.inf
            plain_root = np.where((sounds < BASS_CEILING) & (pitch % 12 == frame.roots[here]), ROOT_BONUS, 0.0)
            assert np.array_equal(chord[here], plain) and np.array_equal(root[here], plain_root)
            assert has_root[here] == plain_root.any()
        assert has_root.any() == any(v - frame.shift < BASS_CEILING for v in pitch_of[ids] if voice.low <= v - frame.shift)


def test_the_default_sampling_shortcut_draws_what_the_processors_draw():
    """Sampling at the defaults (a one-row softmax) and through the processors with top-p 1.0
    (which keeps every token) writes the same conversion."""
    from sonatina.compose.convert import convert_score
    from sonatina.compose.sample import SamplingConfig
    from test_convert import song

    model = load_model()
    plain = convert_score(model, None, song(480), "jazz", seeds=[3])[0][0]
    processed = convert_score(model, None, song(480), "jazz", seeds=[3], sampling=SamplingConfig(top_p=1.0))[0][0]
    assert bytes(plain.dumps_midi()) == bytes(processed.dumps_midi())


def test_the_chord_runs_are_the_position_by_position_counts():
    """_chord_tone_runs and _until_change (computed for the whole piece at once) against the
    position-by-position counts they replaced, on random chord maps with gaps."""
    from sonatina.compose.convert import SourceFrame, _chord_tone_runs, _until_change

    rng = np.random.default_rng(3)
    for end in (1, 2, 3, 17, 128):
        for _ in range(20):
            spans = np.sort(rng.choice(np.arange(1, end + 1), size=min(end, rng.integers(1, 6)), replace=False))
            roots, tones = np.full(end, -1), np.zeros((end, 12), dtype=bool)
            for a, b in zip(np.r_[0, spans[:-1]], spans):
                if rng.random() < 0.8:  # some spans have no chord
                    roots[a:b] = rng.integers(12)
                    tones[a:b] = rng.random(12) < 0.3
            frame = SourceFrame(np.full(end, 128), tones, roots, end, 0)
            fits = tones | (roots < 0)[:, None]
            runs = np.zeros((end + 1, 12), dtype=np.int64)
            for p in range(end - 1, -1, -1):
                runs[p] = np.where(fits[p], runs[p + 1] + 1, 0)
            until = np.ones(end + 1, dtype=np.int64)
            for p in range(end - 2, -1, -1):
                same = roots[p] == roots[p + 1] and (tones[p] == tones[p + 1]).all()
                until[p] = until[p + 1] + 1 if same else 1
            assert np.array_equal(_chord_tone_runs(frame), runs)
            assert np.array_equal(_until_change(frame), until)
