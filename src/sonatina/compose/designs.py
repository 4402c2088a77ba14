"""Composing with a seed design (classic, twolayer, bilstm-psdv): the tutorials' loop in NumPy.

Each step reads what came before the next item (batched over the variations: the unidirectional
designs step once per event with their state carried on, bilstm-psdv re-reads its 25-note window),
draws it through the same logits processors as REMI composing (temperature, top-k, top-p),
appends it and slides on. Notes-and-chords events are placed one per half beat; a psdv note is placed
by its step and duration. Length, tempo, key (tonic), instrument, seed and primer work as for
REMI; what a design cannot honour is listed in designs.NOT_HONOURED (and on its model card).
"""

from __future__ import annotations

from types import SimpleNamespace
from pathlib import Path

import numpy as np
from symusic import KeySignature, Score, TimeSignature

from sonatina.compose.pieces import TICKS_PER_QUARTER, Piece, _transpose, from_c, tempo_seeds_and_keys
from sonatina.compose.sample import (MIN_LAST_NOTE_BEATS, SamplingConfig, _softmax, apply_temperature, apply_top_k,
                                     apply_top_p, finish_ending)
from sonatina.data.corpus import load_score
from sonatina.data.events import (GRID, HALF_BEAT, chord_events, events_to_notes, notes_of_score, notes_to_score,
                                  psdv_rows, psdv_to_notes)
from sonatina.data.tokens import prepare_score
from sonatina.errors import SonatinaError, UnknownOptionError
from sonatina.model.designs import HEADS, windows_before
from sonatina.model.registry import LoadedModel
from sonatina.music.instruments import instrument_name, resolve_instrument
from sonatina.music.keys import key_fifths, key_name, parse_key
from sonatina.request import GenerationRequest

SETTINGS = ("seconds", "genre", "tempo", "key", "instrument", "temperature", "top_k", "top_p", "seed", "variations")


def compose_design(model: LoadedModel, *, primer: str | Path | Score | None = None, progress=None,
                   form: str | None = None, repetition: float | None = None, **settings) -> list[Piece]:
    """As compose.pieces.compose, for a seed design (form and repetition are REMI's and ignored)."""
    asked = GenerationRequest.validate({k: settings.get(k) for k in SETTINGS}, only=SETTINGS)
    seconds, variations, key = asked["seconds"], asked["variations"], asked["key"]
    genre = (asked["genre"] or model.default_genre).lower()
    if genre not in model.genres:
        raise UnknownOptionError(f"Model '{model.name}' knows no genre '{genre}'; it knows {', '.join(model.genres)}.")
    stats = model.card.get("genre_stats", {}).get(genre, {})
    program = resolve_instrument(asked["instrument"])
    sampling = SamplingConfig(asked["temperature"], asked["top_k"], asked["top_p"])
    target_key = parse_key(key) if key else None

    primer_info, primer_notes = None, None
    if primer is not None:
        primer_info = prepare_score(primer if isinstance(primer, Score) else load_score(primer))
        primer_notes = notes_of_score(primer_info.score)
        if not len(primer_notes["pitch"]):
            raise SonatinaError("The primer has no notes Sonatina can continue from.")
    tempo, seeds, keys = tempo_seeds_and_keys(asked, primer_info, stats, target_key)
    target_beats = seconds * tempo / 60.0
    last_onset = int((target_beats - MIN_LAST_NOTE_BEATS) * GRID)  # no note starts later (grid steps)
    rngs = [np.random.default_rng(s) for s in seeds]
    if model.vocab is not None:
        bodies = _sample_events(model, primer_notes, last_onset, sampling, rngs, progress)
    else:
        bodies = _sample_notes(model, primer_notes, last_onset, sampling, rngs, progress)

    end_tick = round(target_beats * TICKS_PER_QUARTER)
    pieces = []
    for i, (notes, (tonic, mode)) in enumerate(zip(bodies, keys)):
        score = notes_to_score(notes, tempo, program, TICKS_PER_QUARTER)
        _transpose(score, from_c(tonic, primer_info))
        finish_ending(score, end_tick)
        score.time_signatures = [TimeSignature(0, 4, 4)]
        score.key_signatures = [KeySignature(0, key_fifths(tonic, mode, key), 1 if mode == "minor" else 0)]
        pieces.append(Piece(score, seeds[i], {
            "model": model.name, "design": model.design, "genre": genre, "seconds": seconds, "tempo": round(tempo, 2),
            "key": key_name(tonic, mode, key), "instrument": program, "instrument_name": instrument_name(program),
            "temperature": sampling.temperature, "top_k": sampling.top_k, "top_p": sampling.top_p,
            "seed": seeds[i], "variation": i + 1, "variations": variations, "form": "none",
            "primer": None if primer is None else (getattr(primer, "name", None) or str(primer)),
            **({"source_metre": primer_info.metre} if primer_info else {})}))
    if progress:
        progress(1.0)
    return pieces


def _draw(logits: np.ndarray, sampling: SamplingConfig, rngs, banned=()) -> np.ndarray:
    """One draw per row from logits [B, V] through temperature, top-k and top-p."""
    scores = logits.astype(np.float64)
    if banned:
        scores[:, list(banned)] = -np.inf
    scores = apply_top_p(apply_top_k(apply_temperature(scores, sampling.temperature), sampling.top_k), sampling.top_p)
    probs = _softmax(scores)
    return np.array([rng.choice(probs.shape[1], p=p) for rng, p in zip(rngs, probs)], dtype=np.int64)


def _primer_list(primer_notes) -> list[tuple[int, int, int, int]]:
    if primer_notes is None:
        return []
    return [tuple(int(v) for v in row) for row in zip(primer_notes["onset"], primer_notes["duration"],
                                                       primer_notes["pitch"], primer_notes["velocity"])]


def _sample_events(model, primer_notes, last_onset, sampling, rngs, progress) -> list[list]:
    """Notes and chords: events one per half beat after the primer (or from the start)."""
    vocab, network = model.vocab, model.stepper
    B = len(rngs)
    prefix = np.zeros(0, dtype=np.int64)
    first = 0
    if primer_notes is not None:
        ids = vocab.encode(chord_events(SimpleNamespace(**primer_notes)))
        prefix = ids[ids > 1]  # events this model never saw cannot enter its window
        first = (int(primer_notes["onset"].max()) // HALF_BEAT + 1) * HALF_BEAT
    count = max(0, (last_onset - first) // HALF_BEAT + 1)
    state = network.initial_state(B)
    for token in [0] * network.config.window + list(prefix):  # a window of padding, as training's first
        logits, state = network.step(np.full(B, token), state)
    drawn = np.zeros((B, count), dtype=np.int64)
    for k in range(count):
        drawn[:, k] = _draw(logits["event"], sampling, rngs, banned=(0, 1))
        logits, state = network.step(drawn[:, k], state)
        if progress and k % 16 == 0:
            progress(k / max(count, 1))
    return [_primer_list(primer_notes) + events_to_notes(vocab, row, first) for row in drawn]


def _sample_notes(model, primer_notes, last_onset, sampling, rngs, progress) -> list[list]:
    """Pitch, step, duration, velocity: notes placed by their steps until the length is reached."""
    network = model.stepper
    B = len(rngs)
    prefix = psdv_rows(SimpleNamespace(**primer_notes)) if primer_notes is not None else np.zeros((0, 4), np.int64)
    onset = np.full(B, int(primer_notes["onset"].max()) if primer_notes is not None else 0)
    rows = [list(prefix) for _ in range(B)]
    new = [[] for _ in range(B)]
    done = np.zeros(B, dtype=bool)
    max_notes = max(64, (last_onset + GRID) * 4)  # far above any real density; guards an endless loop
    for k in range(max_notes):
        windows = np.stack([windows_before(np.array(r, dtype=np.int64).reshape(-1, 4), [len(r)],
                                           network.config.window)[0] for r in rows])
        logits = network.logits(windows)
        parts = [_draw(logits[name], sampling, rngs) for name in HEADS]
        for b in np.flatnonzero(~done):
            note = np.array([p[b] for p in parts], dtype=np.int64)
            if not rows[b] and not new[b]:
                note[1] = 0  # a piece starts at its first note
            if onset[b] + note[1] > last_onset:
                done[b] = True
                continue
            onset[b] += note[1]
            rows[b].append(note)
            new[b].append(note)
        if done.all():
            break
        if progress and k % 16 == 0:
            progress(float(onset.min()) / max(last_onset, 1))
    start = int(primer_notes["onset"].max()) if primer_notes is not None else 0
    return [_primer_list(primer_notes) + psdv_to_notes(np.array(n, dtype=np.int64).reshape(-1, 4), start) for n in new]
