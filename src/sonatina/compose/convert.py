"""Convert a piece into another genre: its tune, length and harmony kept, its playing made anew.

What is kept, exactly: the melody (notes, onsets and pitches, found by music.melody), the
length and the beat grid (written in 4/4: a 2/4 or 6/8 source's bars are regrouped), the key,
and optionally the bass line. What the models make: a new
accompaniment, sampled by the genre-conditioned LSTM under constraints (see `sample_voice`):
the kept notes are forced into its token stream at their times, so it hears the tune and
answers it; new notes stay below the melody; the source's chord tones (music.chords, per
beat) get a bonus that chooses which pitches the new notes take, more for the chord's tones no one
sounds yet (the model still decides how many notes it writes, except where its part would fall
silent under a chord), and a new note is not held into a chord it does not belong to, so the new
part keeps the harmony. Drums come from the groove model
(model.drums) in the genre's style. Rules only set the frame: which instruments a genre uses,
a swing ratio, rock's power-chord voicing, where a bass must sound (jazz's on every beat, folk's
on beats 1 and 3: the notes are the model's), where pop's piano may strike (on eighths, at most 3
notes together), and which model genre writes a target genre's
texture when the model has no such genre (rock's pitched parts are written as pop, then voiced
and orchestrated as rock).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from symusic import KeySignature, Note, Score, Tempo, TimeSignature, Track

from sonatina.compose.sample import (MIN_LAST_NOTE_BEATS, Grammar, SamplingConfig, _softmax, apply_temperature,
                                     apply_top_k, apply_top_p, draw, finish_ending)
from sonatina.data.dataset import mode_index
from sonatina.data.tokens import BEATS_PER_BAR, decode, encode
from sonatina.errors import BadInputError, UnknownOptionError
from sonatina.music.chords import estimate_chords
from sonatina.music.instruments import resolve_instrument
from sonatina.music.keys import estimate_key, key_fifths, key_name, parse_key, shift_to
from sonatina.model.stepper import one_blas_thread
from sonatina.model.native_stepper import fast_stepper
from sonatina.music.melody import extract_bass, extract_melody

TPQ = 480
# Logit bonuses (nats) for the source's chord tones on new notes, and for the chord's root on new
# notes in the bass register on top. Chosen on validation-split pieces (bench/convert.py's pieces,
# 3 per genre x 5 targets): mean harmony kept 0.75 / 0.81 / 0.80 / 0.80 for 3+2 / 4+3 / 5+4 / 6+4;
# the smallest that keeps the harmony leaves the model the most room.
CHORD_BONUS = 4.0
ROOT_BONUS = 3.0
BASS_CEILING = 52  # the bass register ends at E3
MAX_SOURCE_BEATS = 4 * 240  # 240 bars: a 20-minute symphony is refused, not converted for an hour
MIN_MELODY_NOTES = 4
# Whether the chord bonuses may change how many notes are written (chosen on the validation split;
# bench/RESULTS.md, "Convert: thinner parts that follow the harmony"). "silent": a new note is
# written with the model's own odds (the bonuses only choose which pitch), except where none of the
# voice's notes sounds under a source chord: there they lift the odds, so the harmony is played.
# "lift": the bonuses also lift the odds of writing a note, so nearly every position fills up to
# per_onset, 3-5x people's density (as before; voices marked dense are still sampled so).
NOTE_ODDS = "silent"
# A new note is not held past where its pitch class stops being a tone of the source's chord (a
# note foreign to the chord may last an eighth, but not into the next chord), so held notes do not
# smear the next chord. In dense voices only notes in the bass register follow (the chord estimate
# counts the lowest note once more), and they are released after sampling rather than sampled
# shorter: the model, reading its own cut notes, shortened all its notes, and the accompaniment
# judge hears long notes as pop (bench/RESULTS.md, "Convert: harmony kept in every cell").
FOLLOW_HARMONY = True
# Logit bonus (nats) on top of CHORD_BONUS for the source chord's tones that neither the voice nor
# the melody sounds at the moment, so a part fills in the chord rather than doubling its fifth;
# chosen on the validation split (mean harmony kept 0.87 / 0.91 / 0.94 with 0 / 2 / 4).
COMPLETE_BONUS = 4.0


@dataclass(frozen=True)
class Voice:
    """One part the model writes, in its own pass, under the melody and the parts before it."""
    name: str
    instrument: str
    low: int  # lowest pitch it may write, as it sounds (not in the frame moved to C the model writes in)
    high: int  # highest sounding pitch (it also stays below the melody)
    per_onset: int  # new notes it may start at one position
    bass: str | None = None  # instrument for its lowest notes under BASS_CEILING, split off as a bass part
    writes_as: tuple[str, ...] = ()  # model genres that write this part instead of the target genre
    dense: bool = False  # the bonuses lift the odds of notes (NOTE_ODDS "lift"), upper notes held as the model likes
    pulse: float = 0.0  # beats: under a source chord the voice sounds at least every `pulse` beats (0: no rule)
    walking: bool = False  # notes start only on the pulse and where the chord changes, held to the next (legato)
    grid: float = 0.0  # beats: notes start only on this grid and where the chord changes (0: anywhere)


@dataclass(frozen=True)
class Arrangement:
    """The frame a genre sets: who plays, how it swings, which model genre writes the parts."""
    melody: str
    voices: tuple[Voice, ...]
    drums: str | None = None  # a style of the drum model, or None for no drums
    swing: float = 0.5  # where an off-beat eighth falls inside the beat (0.5 straight, 0.62 a jazz swing)
    power_chords: bool = False  # voice each new chord as root, fifth and octave
    writes_as: tuple[str, ...] = ()  # model genres to write with when the model lacks the genre itself


# Genres whose training music is chordal (pop piano, chorales and piano music) write their
# accompaniment in one pass; jazz solos and folk tunes are single lines, so those models write
# a bass line first and then a middle part that hears it. Folk's training music (O'Neill's tunes)
# has no accompaniment at all, so its guitar chords are written in the pop model's texture.
ARRANGEMENTS = {
    # classical piano music under a kept melody came out as pop piano to the accompaniment judge
    # (12 % judged classical); written in the chorales' four-part texture it is heard as classical
    "classical": Arrangement("acoustic grand piano", (Voice("piano", "acoustic grand piano", 28, 84, 4,
                                                           writes_as=("chorale",)),)),
    # pop's piano keeps the dense texture's odds (thinned by the model's own odds, under NOTE_ODDS
    # "silent" and FOLLOW_HARMONY, the accompaniment judge heard it as classical piano in a third of
    # the validation conversions), but strikes its chords only on eighths, at most 3 notes together:
    # people's pop piano plays on such a pulse, and the part is half as dense and as costly
    "pop": Arrangement("electric piano 1", (Voice("piano", "acoustic grand piano", 28, 84, 3,
                                                   bass="electric bass (finger)", dense=True, grid=0.5),), drums="pop"),
    "rock": Arrangement("overdriven guitar", (Voice("guitar", "distortion guitar", 28, 76, 3,
                                                    bass="electric bass (pick)"),),
                        drums="rock", power_chords=True, writes_as=("pop",)),
    # the solo-line models that write jazz's and folk's bass left it silent almost everywhere (their
    # music has no second line), so a pulse sets where it sits, as the drums' grooves do: a walking
    # bass on every beat, a folk guitar's bass on beats 1 and 3; the model chooses the notes
    # (ranges are sounding pitches. The bass walks E1-C3 and the piano comps from A2, the guitar's
    # bass sits C2-C3 under chords from A2: the model writes near the top of a bass range, and a
    # bass up to E3 over a middle part from C3 often lost the lowest note, which names the chord;
    # chosen on the validation split, bench/RESULTS.md "Convert: voice ranges in sounding pitch")
    "jazz": Arrangement("tenor sax", (Voice("bass", "acoustic bass", 28, 48, 1, pulse=1, walking=True),
                                      Voice("piano", "acoustic grand piano", 45, 79, 3, writes_as=("pop",))),
                        drums="jazz", swing=0.62),
    "folk": Arrangement("violin", (Voice("bass", "acoustic guitar (nylon)", 36, 48, 1, pulse=2),
                                   Voice("guitar", "acoustic guitar (nylon)", 45, 76, 3, writes_as=("pop",)))),
}


@dataclass
class SourceFrame:
    """What sampling needs to know about the source, on the tokenizer's position grid, in C."""
    melody_pitch: np.ndarray  # [positions] the melody sounding (or next to sound) at each position
    chord_tones: np.ndarray  # [positions, 12] True for the source's chord tones
    roots: np.ndarray  # [positions] the chord's root pitch class, -1 for no chord
    end: int  # positions in the piece (whole bars)
    shift: int  # semitones that moved the source's tonic to C

    # read by every voice while it is sampled and again by the notes' release after it: made once
    @cached_property
    def tone_runs(self) -> np.ndarray:
        return _chord_tone_runs(self)

    @cached_property
    def until_change(self) -> np.ndarray:
        return _until_change(self)

    def position(self, tick: int, per_tick: float) -> int:
        """The position (inside the piece) a tick falls on."""
        return min(self.end - 1, max(0, int(round(tick * per_tick))))


def _positions(ticks, tpq: int, per_beat: int) -> np.ndarray:
    return np.round(np.asarray(ticks, dtype=float) / tpq * per_beat).astype(int)


def kept_tokens(tokenizer, notes: list[Note], tpq: int, shift: int) -> dict[int, list[int]]:
    """Token ids of the kept notes (moved by `shift`) grouped by the global position they start at."""
    if not notes:
        return {}
    track = Track(name="kept")
    for note in sorted(notes, key=lambda n: (n.time, n.pitch)):
        moved = note.copy()
        moved.pitch = min(108, max(21, note.pitch + shift))  # (np.clip on one int costs 15 us)
        track.notes.append(moved)
    score = Score(tpq)
    score.tracks.append(track)
    kinds = {i: t.partition("_") for t, i in tokenizer.vocab.items()}
    per_beat = max(tokenizer.config.beat_res.values())
    forced: dict[int, list[int]] = {}
    bar, position = -1, 0
    for i in encode(tokenizer, score):
        kind, _, value = kinds[int(i)]
        if kind == "Bar":
            bar, position = bar + 1, 0
        elif kind == "Position":
            position = int(value)
        elif kind in ("Pitch", "Velocity", "Duration"):
            forced.setdefault(bar * BEATS_PER_BAR * per_beat + position, []).append(int(i))
    return forced


def sample_voice(stepper, vocab, pitch_of: np.ndarray, genre: int, mode: int, frame: SourceFrame,
                 forced: dict[int, list[int]], voice: Voice, sampling: SamplingConfig, seed: int) -> np.ndarray:
    """A token sequence that holds every kept note at its position and adds one voice from the model.

    The grammar of sample.sample_tokens applies, plus: time may not pass a position with kept
    notes before they are written (arriving there writes them first); new pitches stay in the
    voice's range and below the melody, at most `per_onset` of them per position; the source's
    chord tones get CHORD_BONUS and, in the bass register, the chord's root ROOT_BONUS more, which
    change only which pitch is written (NOTE_ODDS "silent") unless none of the voice's notes sounds
    under a chord or the voice is dense; chord tones that neither the voice nor the melody sounds get
    COMPLETE_BONUS more; a new note lasts no longer than its pitch class stays a chord tone, or an
    eighth that does not reach the next chord (FOLLOW_HARMONY; a dense voice's bass-register notes
    are released so after sampling, by `_release_low_notes`); a voice with a pulse writes a note on
    each pulse beat under a chord where none of its notes sounds (time may not pass a pulse beat
    before), and a walking voice starts notes only on its pulse and where the chord changes.

    Speed: a step's masks depend on a few small facts (the grammar's state, how far the next
    kept note is, the position in the piece), so each is built once and looked up after; the
    bonuses are tables over the piece's positions and the Pitch tokens, read a row a step; steps
    where no pitch may be written skip them. Every shortcut writes the very same notes as the
    plain computation (bench/convert_speed.py compares the MIDI files; bench/RESULTS.md, "Convert:
    the sampler's own work").
    """
    rng = np.random.default_rng(seed)
    grammar = Grammar(vocab, 1)
    per_bar, eighth = BEATS_PER_BAR * vocab.positions_per_beat, vocab.positions_per_beat // 2
    genres, modes = np.array([genre]), np.array([mode])
    last, state = stepper.prime(np.array([[vocab.bos]]), genres, modes)
    pending, next_kept = sorted(forced), 0
    written: list[int] = []  # pitch tokens of the new notes at the current position
    out: list[int] = []
    end_beat = frame.end / vocab.positions_per_beat - MIN_LAST_NOTE_BEATS
    is_time = np.isin(vocab.kind, ("Bar", "Position"))
    is_position, is_pitch = vocab.kind == "Position", vocab.kind == "Pitch"
    pitch_ids, is_duration = np.flatnonzero(is_pitch), vocab.kind == "Duration"
    # REMI's Pitch tokens are one run of ids: a slice reads and adds to them in place, without the
    # copies fancy indexing makes (an index array does the same where they are not)
    contiguous = np.array_equal(pitch_ids, np.arange(pitch_ids[0], pitch_ids[-1] + 1))
    pitches = slice(int(pitch_ids[0]), int(pitch_ids[-1]) + 1) if contiguous else pitch_ids
    lift = voice.dense or NOTE_ODDS == "lift"
    follow = FOLLOW_HARMONY and not voice.dense  # (a dense voice's low notes are released after sampling)
    runs, changes = (frame.tone_runs, frame.until_change) if follow else (None, None)
    lengths = vocab.length_of
    sounding_until = 0  # position where the voice's notes written so far stop sounding
    step = round(voice.pulse * vocab.positions_per_beat)
    pulses = [p for p in range(0, frame.end, step) if frame.roots[p] >= 0] if step else []  # where it must sound
    next_pulse = 0
    pc_until = np.zeros(12, dtype=np.int64)  # per pitch class, where the voice's notes of it stop sounding
    pitch_pcs = pitch_of[pitch_ids] % 12
    chord_bonus, root_bonus, has_root = _pitch_bonuses(frame, voice, pitch_of[pitch_ids])
    masks: dict[tuple, tuple[np.ndarray, bool]] = {}
    time_masks: dict[tuple, np.ndarray] = {}
    too_long: dict[int, np.ndarray] = {}  # longest length -> the Duration tokens longer than it

    # a walking voice starts notes on its pulse and where the source's chord changes, nowhere else;
    # a voice with a grid on its grid and there
    grid = step if voice.walking else round(voice.grid * vocab.positions_per_beat)
    starts = np.zeros(frame.end + per_bar, dtype=bool)
    if grid:
        starts[:frame.end:grid] = True
        starts[1:frame.end] |= frame.until_change[:frame.end - 1] == 1  # the chord changes after p

    def time_allowed(pos: int, ahead: int | None, bar: int = 0) -> np.ndarray:
        """Time tokens allowed now: time moves forward, and may reach the next kept notes (`ahead`
        positions into the bar) but not pass them; a walking voice's only where it may start a note."""
        key = (pos, ahead, bar if grid else 0)
        if key not in time_masks:
            time_ok = is_time & ~(is_position & (vocab.position_of <= pos))
            if ahead is not None:
                if ahead < per_bar:
                    time_ok[vocab.bar] = False
                time_ok &= ~(is_position & (vocab.position_of > ahead))
            if grid:  # or where kept notes wait
                here = np.append(starts[bar * per_bar:(bar + 1) * per_bar], False)  # [-1]: not a Position
                time_ok &= ~(is_position & ~here[vocab.position_of] & (vocab.position_of != ahead))
            time_masks[key] = time_ok
        return time_masks[key]

    def allowed(pos: int, opening: bool, ahead: int | None, bar: int) -> tuple[np.ndarray, bool]:
        """(0 on the tokens the grammar and the kept notes allow now and -inf on the others,
        whether they allow a pitch): added to the model's finite logits, as np.where(allowed,
        logits, -inf) would give them, in a third of its time."""
        prev = grammar.prev[0]
        if prev in ("Pitch", "Velocity"):  # a Velocity or a Duration comes next wherever time is:
            key = (prev,)  # one mask, not one per position (most of the masks built before)
        else:
            silent = grammar.notes_in_bar[0] == 0
            key = (prev, pos, opening and silent, silent and grammar.empty_bars[0] >= 1, ahead, bar if grid else 0)
        if key not in masks:
            ok = grammar.shared_mask()[0] & (time_allowed(pos, ahead, bar) | ~is_time)  # (a new array: the cached mask stays)
            masks[key] = np.where(ok, np.float32(0), np.float32(-np.inf)), bool(ok[pitches].any())
        return masks[key]

    for _ in range(frame.end * 40 + 64):  # far above any real density; guards an endless loop
        started, pos = int(grammar.bar[0]) >= 0, int(grammar.pos[0])
        bar = int(grammar.bar[0]) if started else 0
        now = bar * per_bar + max(pos, 0)
        if next_kept < len(pending) and grammar.prev[0] == "Position" and now == pending[next_kept]:
            kept = forced[pending[next_kept]]  # arrived at kept notes: they are written first, in one pass
            next_kept += 1
            for token in kept:
                grammar.advance(0, token)
            out += kept
            last, state = stepper.prime(np.array([kept]), genres, modes, state)
            continue
        limit = pending[next_kept] if next_kept < len(pending) else None
        while next_pulse < len(pulses) and pulses[next_pulse] < now:
            next_pulse += 1
        at_pulse = next_pulse < len(pulses) and pulses[next_pulse] == now
        if next_pulse + at_pulse < len(pulses):  # time may not pass the next pulse either
            limit = min(limit if limit is not None else frame.end, pulses[next_pulse + at_pulse])
        # on a pulse with none of the voice's notes sounding, a note is written before time moves on
        must_write = at_pulse and started and grammar.prev[0] in ("Position", "Duration") and not written \
            and now >= sounding_until
        ahead = None if limit is None or not started else min(limit - bar * per_bar, per_bar)
        barred, pitch_ok = allowed(pos, started and bar == 0, ahead, bar)
        here = min(now, frame.end - 1)
        scores = last[0] + barred
        if must_write:
            scores[is_time] = -np.inf
        if runs is not None and grammar.prev[0] == "Velocity" and written:  # the new note's length
            longest = max(int(runs[here, pitch_of[written[-1]] % 12]), min(eighth, int(changes[here])))
            if longest not in too_long:
                too_long[longest] = is_duration & (lengths > longest)
            scores[too_long[longest]] = -np.inf
        # Where no pitch may be written (after a Pitch or a Velocity, or a full onset) every pitch
        # scores -inf, and no bonus moves -inf: the bonuses and both logsumexps are skipped. The
        # bonuses are 0 on every other token, so they are added to the pitches only.
        if pitch_ok and len(written) < voice.per_onset and (not grid or starts[now]):
            scores[written] = -np.inf  # a new note is not doubled at its onset
            # the model's own odds of writing a note, unless the voice is silent under a source chord
            keep_odds = not lift and (now < sounding_until or frame.roots[here] < 0)
            if keep_odds:
                before = _logsumexp(scores[pitches])
            scores[pitches] += chord_bonus[here]
            if has_root[here]:  # (adding zeros changes nothing: skipped)
                scores[pitches] += root_bonus[here]
            if COMPLETE_BONUS and frame.roots[here] >= 0:
                missing = frame.chord_tones[here] & (pc_until <= now)  # chord tones nobody sounds now
                missing[frame.melody_pitch[here] % 12] = False
                scores[pitch_ids[missing[pitch_pcs]]] += COMPLETE_BONUS
            if keep_odds and before > -np.inf:
                after = _logsumexp(scores[pitches])
                if after > -np.inf:  # the allowed pitches share what the model gave all the pitches it allowed
                    scores[pitches] += before - after
        else:
            scores[pitches] = -np.inf
        # if no new note fits here (e.g. a melody below the voice's range), time moves on even
        # where the grammar's taste (no silent opening beat, no two empty bars) would not
        top = scores.max()
        if top == -np.inf:  # nothing finite (no score is +inf or NaN)
            scores = np.where(time_allowed(pos, ahead, bar), last[0], -np.inf)
            top = scores.max()
        if sampling.temperature == 1.0 and sampling.top_k is None and sampling.top_p is None:
            probs = _softmax_row(scores, top)  # the defaults: those processors change no bit
        else:
            scores = scores[None]
            if sampling.temperature != 1.0:  # dividing by 1 changes no bit: skipped
                scores = apply_temperature(scores, sampling.temperature)
            probs = _softmax(apply_top_p(apply_top_k(scores, sampling.top_k), sampling.top_p))[0]
        token = draw(rng, probs)
        if is_time[token] and grammar.time_after(0, token) >= end_beat and next_kept >= len(pending):
            break  # time has reached the end and every kept note is written
        if lengths[token] > 0:
            sounding_until = max(sounding_until, now + lengths[token])
            if written:
                pc = pitch_of[written[-1]] % 12
                pc_until[pc] = max(pc_until[pc], now + lengths[token])
        if is_pitch[token]:
            written.append(token)
        elif is_time[token]:
            written.clear()
        grammar.advance(0, token)
        out.append(token)
        last, state = stepper.step(np.array([token]), genres, modes, state)
    return np.asarray(out, dtype=np.int64)


def _pitch_bonuses(frame: SourceFrame, voice: Voice, pitch: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per position, over the Pitch tokens (whose MIDI pitches are `pitch`): the chord-tone bonus
    (-inf on pitches out of the voice's range or not below the melody), the root bonus in the bass
    register, and whether a position has any root bonus. Built for the whole piece at once, so a
    step only reads its row.

    The tokens are in the frame moved to C (like the chords and the melody here), while a voice's
    range and the bass register are sounding pitches (an instrument's compass): those are compared
    with the pitch the token will sound at once moved back, `pitch - frame.shift`."""
    pcs = pitch % 12
    sounds = pitch - frame.shift
    chord = np.where(frame.chord_tones[:, pcs], np.float32(CHORD_BONUS), np.float32(0))
    chord[(sounds[None] < voice.low) | (sounds[None] > voice.high) | (pitch[None] >= frame.melody_pitch[:, None])] = -np.inf
    # (a position with no chord has root -1, which no pitch class equals)
    root = np.where((sounds[None] < BASS_CEILING) & (pcs[None] == frame.roots[:, None]), np.float32(ROOT_BONUS), np.float32(0))
    return chord, root, root.any(axis=1)


def _chord_tone_runs(frame: SourceFrame) -> np.ndarray:
    """[positions, 12] how many positions from each position a pitch class stays a chord tone (or
    no chord sounds)."""
    fits = frame.chord_tones | (frame.roots < 0)[:, None]
    at = np.arange(frame.end)[:, None]
    # the next position (from each one on) where the pitch class stops fitting, the end if none;
    # one pass over the piece, as the position-by-position loop it replaced cost ms per voice
    stops = np.minimum.accumulate(np.where(fits, frame.end, at)[::-1], axis=0)[::-1]
    runs = np.zeros((frame.end + 1, 12), dtype=np.int64)
    runs[:frame.end] = stops - at
    return runs


def _release_low_notes(notes: list[Note], frame: SourceFrame, per_beat: int) -> list[Note]:
    """Bass-register notes released where their pitch class stops being a chord tone (an eighth
    foreign to the chord, at most, and not into the next chord)."""
    per_tick, eighth = per_beat / TPQ, per_beat // 2
    for n in notes:
        if n.pitch >= BASS_CEILING:
            continue
        p = frame.position(n.time, per_tick)
        longest = max(int(frame.tone_runs[p, (n.pitch + frame.shift) % 12]), min(eighth, int(frame.until_change[p])))
        n.duration = min(n.duration, max(1, round((p + longest) / per_tick) - n.time))
    return notes


def _legato(notes: list[Note], frame: SourceFrame, per_beat: int) -> list[Note]:
    """A walking voice's notes held on to its next onset, as a bass player joins a walking line,
    but no further than their pitch class stays a tone of the source's chord."""
    per_tick = per_beat / TPQ
    notes = sorted(notes, key=lambda n: n.time)
    for n, after in zip(notes, notes[1:]):
        p = frame.position(n.time, per_tick)
        held = round((p + int(frame.tone_runs[p, (n.pitch + frame.shift) % 12])) / per_tick) - n.time
        n.duration = max(n.duration, min(after.time - n.time, held))
    return notes


def _until_change(frame: SourceFrame) -> np.ndarray:
    """[positions] how many positions from each position until the source's chord changes (or the end)."""
    out = np.ones(frame.end + 1, dtype=np.int64)
    if frame.end < 2:
        return out
    same = (frame.roots[:-1] == frame.roots[1:]) & (frame.chord_tones[:-1] == frame.chord_tones[1:]).all(axis=1)
    at = np.arange(frame.end - 1)
    # the last position of each one's chord (the piece's last position if it never changes)
    last = np.minimum.accumulate(np.where(same, frame.end - 1, at)[::-1])[::-1]
    out[:frame.end - 1] = last - at + 1
    return out


def _softmax_row(scores: np.ndarray, top) -> np.ndarray:
    """sample._softmax of one row whose maximum `top` is known, bit for bit (the same subtraction,
    exp and pairwise sum over the row), without the keepdims reductions that cost it more than its
    arithmetic (tests/test_convert_speed.py holds them equal). `scores` is left as it was."""
    z = np.subtract(scores, top)
    np.exp(z, out=z)
    z /= z.sum()
    return z


def _logsumexp(x: np.ndarray) -> float:
    top = x.max()
    return top if top == -np.inf else float(top + np.log(np.exp(x - top).sum()))


def source_frame(tokenizer, score: Score, melody: list[Note], shift: int) -> SourceFrame:
    """The melody's pitch and the source's chords per position, moved to C."""
    per_beat = max(tokenizer.config.beat_res.values())
    tpq = score.ticks_per_quarter
    end = -(-end_of(score) // (BEATS_PER_BAR * tpq)) * BEATS_PER_BAR * per_beat
    melody_pitch = np.full(end, 128)
    starts = _positions([n.time for n in melody], tpq, per_beat)
    for i, note in enumerate(melody):  # the melody sounding at each position, else the one to come
        stop = starts[i + 1] if i + 1 < len(melody) else end
        melody_pitch[max(0, starts[i]):max(0, stop)] = note.pitch + shift
    melody_pitch[:max(0, starts[0])] = melody[0].pitch + shift
    tones, roots = np.zeros((end, 12), dtype=bool), np.full(end, -1)
    for chord in estimate_chords(score):
        a, b = _positions([chord.start, chord.end], tpq, per_beat)
        for pc in chord.pitch_classes:
            tones[a:min(b, end), (pc + shift) % 12] = True
        if chord.root is not None:
            roots[a:min(b, end)] = (chord.root + shift) % 12
    return SourceFrame(melody_pitch, tones, roots, end, shift)


def arrangement_for(genre: str, model_genres: list[str]) -> tuple[Arrangement, str]:
    """(the genre's frame, the model genre that writes its parts)."""
    if genre not in ARRANGEMENTS:
        raise UnknownOptionError(f"Sonatina cannot convert to '{genre}'; choose one of {', '.join(sorted(ARRANGEMENTS))}.")
    frame = ARRANGEMENTS[genre]
    for candidate in (genre, *frame.writes_as):
        if candidate in model_genres:
            return frame, candidate
    raise UnknownOptionError(f"The model knows none of the genres that can write {genre} "
                             f"({', '.join((genre, *frame.writes_as))}); train one with `sonatina train {genre}=FOLDER`.")


def split_source(score: Score, melody_track: int | None, keep_bass: bool):
    """(melody notes, kept bass notes, melody track index) of a source; refuses pieces with no tune."""
    melody_track = _check_track(score, melody_track)
    if not any(len(t.notes) for t in score.tracks if not t.is_drum):
        raise BadInputError("The piece has no pitched notes to convert (is it drums only?).")
    end = max(n.time + n.duration for t in score.tracks for n in t.notes)
    if end / score.ticks_per_quarter > MAX_SOURCE_BEATS:
        raise BadInputError(f"The piece is longer than {MAX_SOURCE_BEATS // BEATS_PER_BAR} bars; "
                            "convert a movement or a section of it.")
    melody, track = extract_melody(score, melody_track)
    if len(melody) < MIN_MELODY_NOTES:
        raise BadInputError("The piece has no melody to keep (fewer than 4 notes in its top line).")
    bass = extract_bass(score, melody, exclude_track=track) if keep_bass else []
    return melody, bass, track


def end_of(score: Score) -> int:
    """Tick where the last pitched note ends."""
    return max((n.time + n.duration for t in score.tracks if not t.is_drum for n in t.notes), default=0)


def _check_track(score: Score, melody_track: int | None) -> int | None:
    if melody_track is not None and not 0 <= melody_track < len(score.tracks):
        raise BadInputError(f"There is no track {melody_track}; the piece has tracks 0-{len(score.tracks) - 1}.")
    if melody_track is not None and score.tracks[melody_track].is_drum:  # its hits would be kept as a tune
        raise BadInputError(f"Track {melody_track} is drums, which cannot be the melody; choose a pitched track.")
    return melody_track


def _part(name: str, instrument: str | int, notes) -> Track:
    track = Track(name=name, program=resolve_instrument(instrument))
    track.notes.extend(sorted(notes, key=lambda n: (n.time, n.pitch)))
    return track


def voice_parts(voice: Voice, notes: list[Note], frame: Arrangement, tpq: int, root_at) -> list[Track]:
    """A voice's new notes as tracks: voiced and swung by the genre, low notes split off as bass."""
    bass: list[Note] = []
    if voice.bass:
        lowest: dict[int, Note] = {}
        for n in notes:
            if n.pitch < BASS_CEILING and (n.time not in lowest or n.pitch < lowest[n.time].pitch):
                lowest[n.time] = n
        chosen = {id(n) for n in lowest.values()}
        bass = [n for n in notes if id(n) in chosen]
        notes = [n for n in notes if id(n) not in chosen]
    if frame.power_chords:
        notes = _power_chords(notes, root_at)
    if frame.swing != 0.5:
        notes, bass = _swing(notes, tpq, frame.swing), _swing(bass, tpq, frame.swing)
    parts = [_part(voice.name.title(), voice.instrument, notes)]
    if bass:
        parts.append(_part("Bass", voice.bass, bass))
    return parts


def _power_chords(notes: list[Note], root_at) -> list[Note]:
    """Each onset's new notes as one power chord (root, fifth, octave) on the source chord's root,
    how rock guitars voice chords; where the source has no chord, on the onset's lowest note."""
    by_onset: dict[int, list[Note]] = {}
    for n in notes:
        by_onset.setdefault(n.time, []).append(n)
    out = []
    for time, group in by_onset.items():
        lowest = min(group, key=lambda n: n.pitch)
        root = root_at(time)
        pitch = lowest.pitch if root < 0 else 40 + (root - 40) % 12  # the root between E2 and D#3
        for interval in (0, 7, 12):
            n = lowest.copy()
            n.pitch = pitch + interval
            out.append(n)
    return out


def _swing(notes: list[Note], tpq: int, ratio: float) -> list[Note]:
    """Off-beat eighths moved to `ratio` of the beat, ending where they did (notes elsewhere stay as they are)."""
    out = []
    for n in notes:
        n = n.copy()
        beat, inside = divmod(n.time, tpq)
        if abs(inside - tpq // 2) <= tpq // 16:
            moved = beat * tpq + round(ratio * tpq)  # its end stays: held on, it would sound into the next beat
            n.duration = max(tpq // 16, n.time + n.duration - moved)
            n.time = moved
        out.append(n)
    return out


def convert_score(model, drum_model, score: Score, genre: str, *, keep_bass: bool = False,
                  melody_track: int | None = None, strength: float = 1.0, tempo: float | None = None,
                  key: str | None = None, melody_instrument: int | None = None,
                  sampling: SamplingConfig | None = None, seeds: list[int] = (0,),
                  progress=None) -> tuple[list[Score], dict]:
    """The source `score` played as `genre`, once per seed; returns (scores, what was done).

    `key` transposes the whole source first (by the smallest move to the new tonic); a key's mode
    is the source's own, since the melody is kept as it is."""
    sampling = sampling or SamplingConfig()
    frame_rules, writer = arrangement_for(genre, model.genres)
    score = score.resample(TPQ)
    pitched = [n for t in score.tracks if not t.is_drum for n in t.notes]
    if not pitched:
        raise BadInputError("The piece has no pitched notes to convert (is it drums only?).")
    tonic, mode = estimate_key(np.array([n.pitch for n in pitched]), np.array([max(1, n.duration) for n in pitched]))
    if key:
        move = (parse_key(key)[0] - tonic) % 12
        move = move - 12 if move > 6 else move
        score = score.shift_pitch(move)
        tonic = (tonic + move) % 12
    melody, bass, track = split_source(score, melody_track, keep_bass)
    frame = source_frame(model.tokenizer, score, melody, shift_to(tonic, 0))
    # the source's own tempo map (rubato and all) unless a tempo is asked for
    tempos = [Tempo(0, qpm=float(tempo))] if tempo else \
        [t.copy() for t in score.tempos if t.time < end_of(score)] or [Tempo(0, qpm=120.0)]
    tempo = float(tempos[0].qpm)
    pitch_of = model.vocab.pitch_of
    bars = frame.end // (BEATS_PER_BAR * model.vocab.positions_per_beat)
    end_tick = end_of(score)  # the converted piece ends where the source does
    per_tick = model.vocab.positions_per_beat / TPQ

    def root_at(tick: int) -> int:  # the source chord's root pitch class at a tick, -1 for none
        root = frame.roots[min(frame.end - 1, int(tick * per_tick))]
        return -1 if root < 0 else (root - frame.shift) % 12

    stepper = fast_stepper(model.stepper)
    # a kept bass is the piece's bass: no voice writes another one under it (a jazz walk or folk's
    # bass over the kept line doubled it), and the parts that split off their low notes keep them
    voices = [v for v in frame_rules.voices if not (bass and v.name == "bass")]
    results = []
    for number, seed in enumerate(seeds):
        unchanged = _kept_accompaniment(score, track, melody, bass, strength, seed)
        kept = melody + bass + unchanged
        parts = []
        for index, voice in enumerate(voices):
            forced = kept_tokens(model.tokenizer, kept, TPQ, frame.shift)
            voice_writer = next((g for g in voice.writes_as if g in model.genres), writer)
            # one BLAS thread: a step is a one-row matrix product, and OpenBLAS's threads spinning
            # for it on two busy cores cost more than they give (as compose/regenerate.py measured)
            with one_blas_thread():
                ids = sample_voice(stepper, model.vocab, pitch_of, model.genres.index(voice_writer), mode_index(mode),
                                   frame, forced, voice, sampling, seed * 31 + index)
            new = _new_notes(model.tokenizer, ids, kept, frame.shift)
            if voice.dense and FOLLOW_HARMONY:
                new = _release_low_notes(new, frame, model.vocab.positions_per_beat)
            if voice.walking:
                new = _legato(new, frame, model.vocab.positions_per_beat)
            kept = kept + new  # the next voice hears this one
            if progress:
                done = number * len(voices) + index + 1
                progress(done / (len(seeds) * len(voices)))
            parts += voice_parts(replace(voice, bass=None) if bass else voice, new, frame_rules, TPQ, root_at)
        out = Score(TPQ)
        out.tempos = tempos
        out.time_signatures = [TimeSignature(0, 4, 4)]
        # the key it is in, as a generated piece writes it (notation programs and DAWs read it)
        out.key_signatures = [KeySignature(0, key_fifths(tonic, mode, key), 1 if mode == "minor" else 0)]
        out.tracks.append(_part("Melody", frame_rules.melody if melody_instrument is None else melody_instrument, melody))
        if bass:  # on the instrument the genre's own bass plays
            out.tracks.append(_part("Bass", _bass_instrument(frame_rules), bass))
        if unchanged:
            out.tracks.append(_part("Kept", "acoustic grand piano", unchanged))
        out.tracks.extend(p for p in parts if len(p.notes))
        if drum_model is not None and frame_rules.drums in drum_model.styles:
            with one_blas_thread():
                out.tracks.append(drum_model.track(frame_rules.drums, bars, TPQ, seed=seed))
        for part in out.tracks:  # nothing starts after the source's end; the last notes are held to it
            sounding = [n for n in part.notes if n.time < end_tick]
            part.notes.clear()
            part.notes.extend(sounding)
        finish_ending(out, end_tick)
        results.append(out)
    info = {"genre": genre, "written_as": writer, "key": key_name(tonic, mode), "melody_track": track,
            "melody_notes": len(melody), "kept_bass_notes": len(bass), "bars": bars, "tempo": round(tempo, 2),
            "drums": frame_rules.drums if drum_model is not None and frame_rules.drums in drum_model.styles else None}
    return results, info


def _bass_instrument(frame: Arrangement) -> str:
    """The instrument a genre's bass part plays: its bass voice's, else the one its low notes split off to."""
    for voice in frame.voices:
        if voice.name == "bass":
            return voice.instrument
        if voice.bass:
            return voice.bass
    return "acoustic grand piano"


def _new_notes(tokenizer, ids: np.ndarray, kept: list[Note], shift: int) -> list[Note]:
    """The notes of a sampled sequence that are not kept ones coming back, moved back from C."""
    made = decode(tokenizer, ids, 120.0, 0)
    kept_at: dict[int, list[int]] = {}  # pitch -> sorted onsets of the kept notes
    for n in sorted(kept, key=lambda n: n.time):
        kept_at.setdefault(n.pitch, []).append(n.time)
    slack = TPQ // 16  # the token grid moves kept onsets by up to half a position
    new = []
    for n in (n for t in made.tracks for n in t.notes):
        n.pitch = min(127, max(0, n.pitch - shift))
        onsets = kept_at.get(n.pitch, [])
        i = bisect_left(onsets, n.time - slack)
        if not (i < len(onsets) and onsets[i] <= n.time + slack):
            new.append(n)
    return new


def _kept_accompaniment(score: Score, melody_track, melody, bass, strength: float, seed: int) -> list[Note]:
    """The source's other notes in the bars that `strength` leaves unchanged (1.0: none kept)."""
    if strength >= 1.0:
        return []
    bar_ticks = BEATS_PER_BAR * score.ticks_per_quarter
    taken = {(n.time, n.pitch) for n in melody + bass}
    others = [n for i, t in enumerate(score.tracks) if not t.is_drum and i != melody_track for n in t.notes
              if (n.time, n.pitch) not in taken]
    bars = max((n.time // bar_ticks for n in others), default=-1) + 1
    rng = np.random.default_rng([seed, 5])
    kept_bars = set(np.flatnonzero(rng.random(bars) >= strength).tolist())
    return [n for n in others if n.time // bar_ticks in kept_bars]


