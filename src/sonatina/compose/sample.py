"""Composing: the sampling loop, its logits processors and the REMI grammar it keeps.

The model writes tokens one at a time. Before each draw the logits pass through small
processors (grammar mask, temperature, top-k, top-p); the grammar keeps every piece
well formed (Pitch -> Velocity -> Duration, positions only move forward in a bar, at most
one empty bar in a row, the first note within the first beat, a pitch at most once per onset)
and lets time advance until the requested length. The last notes are then held to the exact end, so the piece lasts what
was asked and ends on a sounding chord instead of being cut.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from sonatina.data.tokens import BEATS_PER_BAR, Vocabulary
from sonatina.errors import SonatinaError
from sonatina.model.native_stepper import fast_stepper
from sonatina.model.stepper import NumpyStepper, one_blas_thread

MIN_LAST_NOTE_BEATS = 0.5  # no note starts closer than this to the end


@dataclass
class SamplingConfig:
    temperature: float = 1.0  # <1 safer and more repetitive, >1 more adventurous
    top_k: int | None = None  # keep only the k most likely tokens
    top_p: float | None = None  # keep the smallest set of tokens whose probability reaches p

    def __post_init__(self):  # the bounds are GenerationRequest's, so every entry point says the same
        from sonatina.request import GenerationRequest

        self.temperature = GenerationRequest["temperature"].check(self.temperature, "text")
        self.top_k = GenerationRequest["top_k"].check(self.top_k, "text")
        self.top_p = GenerationRequest["top_p"].check(self.top_p, "text")


# --- logits processors: [B, V] float arrays in, same shape out; -inf means "never" ---

def apply_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    return logits / temperature


def apply_top_k(logits: np.ndarray, k: int | None) -> np.ndarray:
    if not k or k >= logits.shape[-1]:
        return logits
    kth = np.partition(logits, -k, axis=-1)[:, -k][:, None]
    return np.where(logits < kth, -np.inf, logits)


def apply_top_p(logits: np.ndarray, p: float | None) -> np.ndarray:
    if p is None or p >= 1.0:
        return logits
    order = np.argsort(-logits, axis=-1)
    sorted_logits = np.take_along_axis(logits, order, axis=-1)
    probs = _softmax(sorted_logits)
    # keep a token if the mass before it is still below p (the most likely one always stays)
    drop_sorted = (np.cumsum(probs, axis=-1) - probs) >= p
    drop = np.zeros_like(drop_sorted)
    np.put_along_axis(drop, order, drop_sorted, axis=-1)
    return np.where(drop, -np.inf, logits)


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.subtract(logits, logits.max(axis=-1, keepdims=True))
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


def draw(rng: np.random.Generator, p: np.ndarray) -> int:
    """rng.choice(len(p), p=p), drawn the same way from the same stream (one uniform number
    against the normalised cumulative sum in float64), without its checks of p: those cost
    more than the draw, and p here is always a softmax."""
    cdf = np.asarray(p, dtype=np.float64).cumsum()  # cumsum(p, dtype=float64) adds the same, slower
    cdf /= cdf[-1]
    return bisect_right(cdf, rng.random())  # = cdf.searchsorted(u, side="right"), cheaper for one number


class Grammar:
    """Tracks musical time per sequence and masks tokens that would break REMI's structure."""

    def __init__(self, vocab: Vocabulary, batch: int):
        self.v = vocab
        self.bar = np.full(batch, -1)  # index of the current bar
        self.pos = np.full(batch, -1)  # current position inside it (-1: at the bar line)
        self.prev = np.array(["BOS"] * batch, dtype=object)
        self.notes_in_bar = np.zeros(batch, dtype=int)
        self.empty_bars = np.zeros(batch, dtype=int)
        # Pitch tokens written at each row's current onset: one instrument cannot strike a key twice
        # at once (the model, trained on POP909's merged melody + piano tracks, doubled 2-5 % of notes)
        self.onset_pitches: list[list[int]] = [[] for _ in range(batch)]
        kinds = vocab.kind
        self.by_kind = {k: kinds == k for k in ("Bar", "Position", "Pitch", "Velocity", "Duration")}
        self._masks: dict[tuple, np.ndarray] = {}  # a row's mask by the few facts it depends on

    def beats(self, row: int | slice = slice(None)):
        ppb = self.v.positions_per_beat
        return np.maximum(self.bar[row], 0) * BEATS_PER_BAR + np.maximum(self.pos[row], 0) / ppb

    def time_after(self, row: int, token: int) -> float:
        """Beat at which `token` would put the sequence (time tokens only move forward)."""
        kind = self.v.kind[token]
        if kind == "Bar":
            return (self.bar[row] + 1) * BEATS_PER_BAR
        if kind == "Position":
            return max(self.bar[row], 0) * BEATS_PER_BAR + self.v.position_of[token] / self.v.positions_per_beat
        return float(self.beats(row))

    def mask(self) -> np.ndarray:
        """[B, V] True where a token is allowed next (a new array: callers may change it)."""
        return np.stack([self._row_mask(row) for row in range(len(self.prev))])

    def shared_mask(self) -> np.ndarray:
        """mask(), for callers that only read it: one row is the cached array itself, not a copy."""
        return self._row_mask(0)[None] if len(self.prev) == 1 else self.mask()

    def _row_mask(self, row: int) -> np.ndarray:
        prev = self.prev[row]
        if prev in ("Pitch", "Velocity", "BOS"):
            key = (prev,)
        else:  # what decides the rest: how far the bar has got, a silent opening, an empty bar before
            opening = self.bar[row] == 0 and self.notes_in_bar[row] == 0
            key = (prev == "Bar", int(self.pos[row]), bool(opening),
                   not opening and not (self.notes_in_bar[row] == 0 and self.empty_bars[row] >= 1))
        allowed = self._masks.get(key)
        if allowed is None:
            allowed = self._masks[key] = self._build_mask(key)
        return allowed

    def _build_mask(self, key: tuple) -> np.ndarray:
        if key == ("Pitch",):
            return self.by_kind["Velocity"]
        if key == ("Velocity",):
            return self.by_kind["Duration"]
        if key == ("BOS",):
            return self.by_kind["Bar"]
        after_bar, pos, opening, may_end_bar = key
        allowed = self.by_kind["Position"] & (self.v.position_of > pos)
        if opening:  # a piece starts sounding within its first beat, not after a silence
            allowed &= self.v.position_of < self.v.positions_per_beat
        if not after_bar:
            allowed |= self.by_kind["Pitch"]
        if may_end_bar:  # not in the silent opening, nor a second empty bar in a row
            allowed |= self.by_kind["Bar"]
        return allowed

    def forbid_doubles(self, scores: np.ndarray) -> np.ndarray:
        """`scores` with every pitch already written at a row's current onset at -inf, in place.
        A time token stays allowed whenever a pitch was written, so a row never runs out of tokens."""
        for row, written in enumerate(self.onset_pitches):
            if written:
                scores[row, written] = -np.inf
        return scores

    def advance(self, row: int, token: int) -> None:
        kind = self.v.kind[token]
        if kind in ("Bar", "Position"):  # time moves: a new onset
            self.onset_pitches[row].clear()
        elif kind == "Pitch":
            self.onset_pitches[row].append(token)
        if kind == "Bar":
            self.empty_bars[row] = self.empty_bars[row] + 1 if self.notes_in_bar[row] == 0 and self.bar[row] >= 0 else 0
            self.bar[row] += 1
            self.pos[row] = -1
            self.notes_in_bar[row] = 0
        elif kind == "Position":
            self.pos[row] = self.v.position_of[token]
        elif kind == "Pitch":
            self.notes_in_bar[row] += 1
        self.prev[row] = kind


def sample_tokens(model: NumpyStepper, vocab: Vocabulary, genre: int, modes: list[int], target_beats: float,
                  sampling: SamplingConfig, seeds: list[int], primer_ids: np.ndarray | None = None,
                  progress=None, processors=()) -> list[np.ndarray]:
    """One token sequence per seed, each lasting until `target_beats` (without BOS).

    `processors`: extra logits processors applied after the grammar (e.g. compose.form's
    BarCopier): called with the [B, V] scores, told each token taken by `advance(row, token)`.

    `model` is the NumPy network (a torch MusicLSTM is accepted and copied into one): no torch
    runs here, so concurrent composers share no thread pool and set no global thread count.
    """
    stepper = fast_stepper(model if isinstance(model, NumpyStepper) else NumpyStepper(model.numpy_weights(), model.config))
    B = len(seeds)
    rngs = [np.random.default_rng(s) for s in seeds]
    grammar = Grammar(vocab, B)
    prefix = np.concatenate([[vocab.bos], primer_ids if primer_ids is not None else []]).astype(np.int64)
    for token in prefix[1:]:
        for row in range(B):
            grammar.advance(row, int(token))
            for processor in processors:
                processor.advance(row, int(token))
    if grammar.beats(0) >= target_beats - MIN_LAST_NOTE_BEATS:
        raise SonatinaError("The primer is already as long as the requested piece; ask for more seconds.")
    genres, modes = np.full(B, genre), np.asarray(modes)
    is_time = np.isin(vocab.kind, ("Bar", "Position"))
    with one_blas_thread():
        last, state = stepper.prime(np.tile(prefix, (B, 1)), genres, modes)  # BOS and the primer in one pass
        out = [list(prefix[1:]) for _ in range(B)]
        done = [False] * B
        end_beat = target_beats - MIN_LAST_NOTE_BEATS
        max_steps = int(target_beats * 80) + 64  # far above any real density; guards an endless loop
        for step in range(max_steps):
            scores = grammar.forbid_doubles(np.where(grammar.shared_mask(), last, -np.inf))
            for processor in processors:
                scores = processor(scores)
            if sampling.temperature != 1.0:  # dividing by 1 changes no bit: skipped
                scores = apply_temperature(scores, sampling.temperature)
            probs = _softmax(apply_top_p(apply_top_k(scores, sampling.top_k), sampling.top_p))
            nxt = [vocab.pad] * B
            for row in range(B):
                if done[row]:
                    continue
                token = draw(rngs[row], probs[row])
                if is_time[token] and grammar.time_after(row, token) >= end_beat:
                    done[row] = True  # time has reached the end: this sequence is complete
                    continue
                grammar.advance(row, token)
                for processor in processors:
                    processor.advance(row, token)
                out[row].append(token)
                nxt[row] = token
            if all(done):
                break
            if progress and step % 64 == 0:
                progress(min(1.0, float(grammar.beats().min()) / target_beats))
            last, state = stepper.step(np.array(nxt, dtype=np.int64), genres, modes, state)
    return [np.asarray(seq, dtype=np.int64) for seq in out]


def finish_ending(score, end_tick: int) -> None:
    """Clip notes at the end and hold the final onset's notes up to it, in place."""
    for track in score.tracks:
        if not len(track.notes):
            continue
        last_onset = max(n.time for n in track.notes)
        for n in track.notes:
            if n.time + n.duration > end_tick or n.time == last_onset:
                n.duration = max(1, end_tick - n.time)


# --- scale-aware sampling (tonality) ---

# Pitch classes in key, on the model's tonic C: major, and natural minor with the raised 7th
# (harmonic minor's leading tone, which minor-key melodies and cadences use all the time).
SCALE_PITCH_CLASSES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10, 11)}


# Default strength per genre, chosen on validation-split music (bench/tonality.py, bench/RESULTS.md
# "Tonality"): the weakest that brings pitch classes per 30 s and scale consistency within 10 % of
# people's. Pop at 0 used 9.7 pitch classes against people's 7.9 and at 1 uses 7.9; jazz solos are
# as chromatic as people's at 0 and 13 % too diatonic at 1, so jazz stays free. Classical takes
# 0.5: at 1 its pieces lost the chromatic steps (semitones, the raised fourth) the genre
# classifier hears as classical, and were recognised 75 % on validation seeds (95 % at 0.5, with
# people's scale consistency, 0.92) at the cost of more pitch classes (11.0 -> 11.7 per 30 s;
# people's test pieces 9.6, training pieces 10.3; RESULTS "Chorales held, jazz's pitch habits").
# A genre not named here (a user's own, or one not measured yet) samples without a bias.
SCALE_STRENGTH_BY_GENRE: dict[str, float] = {"pop": 1.0, "folk": 1.0, "classical": 0.5, "chorale": 1.0, "jazz": 0.0}


def default_scale_strength(genre: str) -> float:
    return SCALE_STRENGTH_BY_GENRE.get(genre, 0.0)


# Register and rests per genre (compose/register.py; bench/RESULTS.md "Register and density per genre
# (issue 11)"). A span is the range of semitones, lowest note to highest, each piece draws its own
# from, uniformly: jazz 18-36 has the mean and spread of people's 60 s solos on the training split
# (26.3, sd 5.1; unbiased, the model's mean is 34) and on validation overlapped people's ranges
# better than their 10th-90th percentile, 21-33. The rest bias (nats per beat) was chosen on
# validation solos: 0.8 gives people's 3.9 notes/s and 21 % empty beats (unbiased 5.0 and 10 %).
# Classical is not named: any window (spans 43-72 to 50-80, 0.5-2 nats) brought its range toward
# people's, but its pieces were then heard as pop more often (recognised 75 % -> 62-72 %). A genre
# not named here keeps its whole range and no rest bias. Chorales, whose four voices the model
# spread over 40 semitones where people's keep to 33, draw from 28-36, chosen on validation among
# 26-40, 28-36 and 29-41 (RESULTS "Chorales held, jazz's pitch habits").
PITCH_SPAN_BY_GENRE: dict[str, tuple[int, int]] = {"jazz": (18, 36), "chorale": (28, 36)}
REST_BIAS_BY_GENRE: dict[str, float] = {"jazz": 0.8}


def default_pitch_span(genre: str) -> tuple[int, int] | None:
    return PITCH_SPAN_BY_GENRE.get(genre)


def default_rest_bias(genre: str) -> float:
    return REST_BIAS_BY_GENRE.get(genre, 0.0)


# Pitch habits per genre (compose/habits.py): nats a pitch class loses when the passage's last
# notes have not used it. Jazz 0.5, chosen on validation solos among 0.5-2.5 (1 and more made it
# too diatonic and less often heard as jazz). Classical is not named: at 0.5-1 its pitch classes
# came to people's, but it was heard as classical less often (test, 64 pieces: 86 % -> 77-80 %).
# A genre not named here reaches for any pitch class.
PITCH_HABIT_BY_GENRE: dict[str, float] = {"jazz": 0.5}


def default_pitch_habit(genre: str) -> float:
    return PITCH_HABIT_BY_GENRE.get(genre, 0.0)


class ScaleBias:
    """Logits processor: every pitch outside the row's key loses `strength` nats.

    The model composes with its tonic on C, so the key is C major or C minor whatever key the
    piece is finally moved to. A bias, not a ban: at strength s an out-of-key note the model
    finds as likely as an in-key one becomes e^s times less likely (s = 1: 2.7x, 2: 7.4x,
    3: 20x), so a chromatic passing note the model is sure of still sounds. 0 leaves sampling as
    it was."""

    def __init__(self, pitch_of: np.ndarray, modes: list[str], strength: float):
        in_key = np.array([[p >= 0 and p % 12 in SCALE_PITCH_CLASSES[mode] for p in pitch_of] for mode in modes])
        self.penalty = np.where((pitch_of >= 0) & ~in_key, -float(strength), 0.0)

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return scores + self.penalty

    def advance(self, row: int, token: int) -> None:  # the key does not change as the piece goes on
        pass
