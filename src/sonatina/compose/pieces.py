"""From a request (length, genre, tempo, key, instrument, ...) to finished Scores.

This is where user-facing choices are resolved and checked: defaults come from the model's
card (each genre's typical tempo and share of minor keys); the model composes with its tonic
on C, and the result is transposed to the requested (or a seeded random) key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from symusic import KeySignature, Score, TimeSignature

from sonatina.data.corpus import load_score
from sonatina.data.dataset import mode_index
from sonatina.errors import SonatinaError, UnknownOptionError
from sonatina.request import GenerationRequest, SettingError
from sonatina.music.instruments import instrument_name, resolve_instrument
from sonatina.music.keys import key_fifths, key_name, parse_key, shift_to
from sonatina.model.registry import LoadedModel
from sonatina.compose.form import form_processors, structure_defaults
from sonatina.compose.sample import (MIN_LAST_NOTE_BEATS, SamplingConfig, default_pitch_span, default_scale_strength,
                                     finish_ending, sample_tokens)
from sonatina.compose.register import draw_spans
from sonatina.compose.genre_bias import genre_processors
from sonatina.compose.character import OneNoteAtATime, end_at_next_onset, primer_character
from sonatina.compose.legato import hold_voices, held_voices
from sonatina.data.tokens import decode, encode, prepare_score

TICKS_PER_QUARTER = 480
INFERRED_TEMPO = (40, 240)  # a primer's or genre's tempo is eased into this everyday range (not a user limit)


@dataclass
class Piece:
    score: Score
    seed: int
    settings: dict = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return float(self.score.to("second").end())

    def write_midi(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.score.dump_midi(str(path))
        return path


def compose(model: LoadedModel, *, seconds: float | None = None, genre: str | None = None, tempo: float | None = None,
            key: str | None = None, instrument: str | int | None = None, temperature: float | None = None,
            top_k: int | None = None, top_p: float | None = None, seed: int | None = None,
            primer: str | Path | Score | None = None, variations: int | None = None, progress=None,
            form: str | None = None, repetition: float | None = None, scale_strength: float | None = None,
            pitch_range: int | None = None) -> list[Piece]:
    """Compose `variations` pieces; every setting is checked (and defaulted) by GenerationRequest."""
    asked = GenerationRequest.validate(
        {"seconds": seconds, "genre": genre, "tempo": tempo, "key": key, "instrument": instrument,
         "temperature": temperature, "top_k": top_k, "top_p": top_p, "seed": seed, "variations": variations,
         "form": form, "repetition": repetition, "scale_strength": scale_strength, "pitch_range": pitch_range},
        only=("seconds", "genre", "tempo", "key", "instrument", "temperature", "top_k", "top_p", "seed", "variations",
              "form", "repetition", "scale_strength", "pitch_range"))
    seconds, variations, key = asked["seconds"], asked["variations"], asked["key"]
    genre = None if asked["genre"] is None else asked["genre"].lower()
    primer_ids, primer_info, character = None, None, None
    if primer is not None:
        raw_primer = primer if isinstance(primer, Score) else load_score(primer)
        primer_info = prepare_score(raw_primer)
        primer_ids = encode(model.tokenizer, primer_info.score)
        if len(primer_ids) == 0:
            raise SonatinaError("The primer has no notes Sonatina can continue from.")
        character = primer_character(raw_primer, model, primer_info, primer_ids, genre_needed=genre is None)
    inferred = {}  # what the primer decided because the request left it open; shown to the user
    if character is not None and character.genre is not None:
        genre, inferred["genre"] = character.genre, f"{character.genre} ({character.genre_why})"
    genre = model.default_genre if genre is None else genre
    if genre not in model.genres:
        raise UnknownOptionError(f"Model '{model.name}' knows no genre '{genre}'; it knows {', '.join(model.genres)}.")
    stats = model.card.get("genre_stats", {}).get(genre, {})
    program = resolve_instrument(asked["instrument"])
    if asked["instrument"] is None and character is not None:
        program, inferred["instrument"] = character.program, instrument_name(character.program)
    sampling = SamplingConfig(asked["temperature"], asked["top_k"], asked["top_p"])
    target_key = parse_key(key) if key else None

    tempo, seeds, keys = tempo_seeds_and_keys(asked, primer_info, stats, target_key)
    target_beats = seconds * tempo / 60.0
    form, repetition = structure_defaults(genre, asked["form"], asked["repetition"])
    processors, plan = form_processors(model.vocab, len(seeds), target_beats, form, repetition, genre)
    strength = default_scale_strength(genre) if asked["scale_strength"] is None else asked["scale_strength"]
    spans = piece_spans(genre, asked["pitch_range"], seeds)
    processors = [*processors, *genre_processors(model.vocab, genre, [m for _, m in keys], strength, spans)]
    monophonic = character is not None and character.monophonic
    if monophonic:  # a solo line goes on as a solo line: one note at a time
        processors, inferred["texture"] = [*processors, OneNoteAtATime(model.vocab, len(seeds))], "monophonic"
    sequences = sample_tokens(model.stepper, model.vocab, model.genres.index(genre), [mode_index(m) for _, m in keys],
                              target_beats, sampling, seeds, primer_ids, progress, processors)
    end_tick = round(target_beats * TICKS_PER_QUARTER)
    # the primer's last onset as decoded on the piece's own grid: the user's notes keep their lengths
    primer_end = -1 if primer_ids is None else max(
        (n.time for t in decode(model.tokenizer, primer_ids, tempo, program).tracks for n in t.notes), default=-1)
    pieces = []
    for i, (ids, (tonic, mode)) in enumerate(zip(sequences, keys)):
        score = decode(model.tokenizer, ids, tempo, program)
        _transpose(score, from_c(tonic, primer_info))
        if monophonic:
            end_at_next_onset(score)
        else:
            hold_voices(score, held_voices(genre), primer_end)
        finish_ending(score, end_tick)
        score.time_signatures = [TimeSignature(0, 4, 4)]
        score.key_signatures = [KeySignature(0, key_fifths(tonic, mode, key), 1 if mode == "minor" else 0)]
        settings = {
            "model": model.name, "genre": genre, "seconds": seconds, "tempo": round(tempo, 2),
            "key": key_name(tonic, mode, key), "instrument": program, "instrument_name": instrument_name(program),
            "temperature": sampling.temperature, "top_k": sampling.top_k, "top_p": sampling.top_p,
            "seed": seeds[i], "variation": i + 1, "variations": variations,
            "form": plan.letters if plan else "none", "form_section_bars": plan.section_bars if plan else None,
            "repetition": repetition, "scale_strength": strength, "pitch_range": None if spans is None else spans[i],
            "inferred_from_primer": inferred,
            "primer": None if primer is None else (getattr(primer, "name", None) or str(primer)),
            **({"source_metre": primer_info.metre} if primer_info else {}),  # said when its bars are regrouped
        }
        pieces.append(Piece(score, seeds[i], settings))
    if progress:
        progress(1.0)
    return pieces


def piece_spans(genre: str, asked: int | None, seeds: list[int]) -> list[int] | None:
    """Each variation's span of pitches in semitones: the one asked, else drawn from the genre's
    typical spans by the variation's seed; None where neither names one (the whole range is free)."""
    if asked is not None:
        return [asked] * len(seeds)
    typical = default_pitch_span(genre)
    return None if typical is None else draw_spans(seeds, typical)


def tempo_seeds_and_keys(asked: dict, primer_info, stats: dict, target_key) -> tuple[float, list[int], list]:
    """What every way of composing settles before sampling: the tempo (asked, else the primer's, else
    the genre's, eased into INFERRED_TEMPO), checked against the primer's length; one seed per
    variation (from the asked seed, else a random one); and each variation's (tonic, mode)."""
    tempo = asked["tempo"]
    if tempo is None:
        tempo = primer_info.tempo if primer_info else stats.get("tempo", 120.0)
        tempo = float(np.clip(tempo, *INFERRED_TEMPO))
    if primer_info is not None:
        check_primer_fits(primer_info.score, asked["seconds"], tempo)
    base_seed = asked["seed"] if asked["seed"] is not None else secrets.randbelow(2**31)
    seed_room = GenerationRequest["seed"].maximum + 1  # variations' seeds stay valid seeds (to make again)
    seeds = [(base_seed + i) % seed_room for i in range(asked["variations"])]
    keys = [_choose_key(s, target_key, primer_info, stats.get("minor_share", 0.3), stats.get("tonics", {}))
            for s in seeds]
    return tempo, seeds, keys


def check_primer_fits(primer: Score, seconds: float, tempo: float | None = None) -> None:
    """Refuse a primer that already lasts the requested length: there would be nothing to compose.
    `tempo` None means the primer's own (eased into everyday tempi, as compose() does)."""
    if tempo is None:
        tempo = float(np.clip(primer.tempos[0].qpm if len(primer.tempos) else 120.0, *INFERRED_TEMPO))
    last_onset = max((n.time for t in primer.tracks if not t.is_drum for n in t.notes), default=0)
    primer_beats = last_onset / primer.ticks_per_quarter
    if primer_beats >= seconds * tempo / 60.0 - MIN_LAST_NOTE_BEATS:
        needed = (primer_beats + MIN_LAST_NOTE_BEATS) * 60.0 / tempo
        raise SettingError("seconds", f"The primer already lasts about {needed:.0f} s at {round(tempo, 1):g} BPM; ask for "
                                      f"more than {needed:.0f} seconds so there is something to compose.")


def _choose_key(seed: int, target, primer_info, minor_share: float, tonics: dict) -> tuple[int, str]:
    """The requested key; else the primer's; else one drawn from the seed by the genre's habits: the
    mode by its share of minor keys, the tonic as often as the genre's pieces in that mode use it
    (any tonic alike for a model whose card does not record them)."""
    if primer_info is not None:
        mode = primer_info.mode
        return (target[0], mode) if target else (primer_info.tonic, mode)
    if target:
        return target
    rng = np.random.default_rng([seed, 7])
    tonic = int(rng.integers(12))  # drawn first as it always was: a card without tonics keeps a seed's key
    mode = "minor" if rng.random() < minor_share else "major"
    if tonics.get(mode):
        shares = np.asarray(tonics[mode], dtype=float)
        tonic = int(rng.choice(12, p=shares / shares.sum()))
    return tonic, mode


def from_c(tonic: int, primer_info=None) -> int:
    """Semitones that move a piece composed on C to `tonic`. A primer kept in its own key goes back
    by exactly the move that took it to C: shift_to's tritone is +6 both ways, so an F# primer
    moved up to C and then up again to F# came out an octave above itself."""
    if primer_info is not None and primer_info.tonic == tonic:
        return -shift_to(tonic, 0)
    return shift_to(0, tonic)


def _transpose(score: Score, semitones: int) -> None:
    for track in score.tracks:
        for note in track.notes:
            note.pitch = int(np.clip(note.pitch + semitones, 0, 127))
