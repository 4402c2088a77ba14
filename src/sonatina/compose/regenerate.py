"""Work on a piece: write a passage anew (the rest kept exactly), or extend it at either end.

How a passage is regenerated. The piece's pitched notes are moved to C (as in training) and
written as REMI tokens grouped by position. The network reads everything before the passage
in one primed pass, then K candidates are sampled side by side under the grammar of
compose.sample plus three time rules: no new note starts before the passage, notes of tracks
that are kept inside the passage (`tracks=`) are forced into the stream at their positions
(so the new part hears them, as in compose.convert), and a candidate ends when its time
reaches the passage's end. Each finished candidate is then asked how likely the model finds
the kept music that follows (the next LOOKAHEAD_BARS bars, teacher-forced from the
candidate's final state): the candidate under which that continuation scores best is kept.
So the passage continues what comes before (it is sampled from it) and leads into what
comes after (it is chosen by it). bench/edit.py measures this against plain continuation.
The candidates are sampled under the genre's defaults of a fresh piece (compose.genre_bias:
scale bias in the piece's own mode, register window, rest bias; see edit_processors), so a
regenerated pop passage keeps to the key and an extended jazz solo to the piece's register.

Only notes of the chosen tracks that start inside the passage are replaced; every other note
is left exactly as it was (same ticks, pitch, velocity, track). New notes go to the chosen
track nearest in register.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from symusic import Note, Score
from threadpoolctl import threadpool_limits

from sonatina.compose.convert import kept_tokens
from sonatina.compose.genre_bias import genre_processors
from sonatina.compose.sample import (MIN_LAST_NOTE_BEATS, Grammar, SamplingConfig, _softmax, apply_temperature,
                                     apply_top_k, apply_top_p, default_pitch_span, default_scale_strength)
from sonatina.data.dataset import mode_index
from sonatina.data.tokens import BEATS_PER_BAR, decode
from sonatina.errors import BadInputError
from sonatina.model.native_stepper import fast_stepper
from sonatina.model.stepper import lstm_cell
from sonatina.music.keys import estimate_key, shift_to

LOOKAHEAD_BARS = 4  # how much of the kept music after a passage judges the candidates
DEFAULT_CANDIDATES = 8
# Most distinct pitches one onset holds in people's music (POP909 and GiantMIDI, all tracks: 12 in
# 85k onsets). When the next kept notes bar the time the model wants, its odds of the one time step
# left are tiny beside a pitch's, and without this cap it stacked hundreds of notes on one onset.
MAX_PITCHES_PER_ONSET = 12


@dataclass
class Passage:
    start: int  # first tick of the passage (in the score's ticks)
    end: int  # tick where it ends (exclusive)

    def holds(self, tick: int) -> bool:
        return self.start <= tick < self.end


# ---------------------------------------------------------------- where the passage is

def bar_ticks(score: Score) -> int:
    """Ticks per bar by the piece's first time signature (4/4 when it has none)."""
    if len(score.time_signatures):
        ts = score.time_signatures[0]
        return max(1, round(score.ticks_per_quarter * 4 * ts.numerator / ts.denominator))
    return score.ticks_per_quarter * BEATS_PER_BAR


def pitched_end(score: Score) -> int:
    """Tick where the last pitched note ends (0 for a piece with none)."""
    return max((n.time + n.duration for t in score.tracks if not t.is_drum for n in t.notes), default=0)


def bar_count(score: Score) -> int:
    return -(-pitched_end(score) // bar_ticks(score))


def passage_of_bars(score: Score, first: int, last: int) -> Passage:
    """Bars `first`..`last` (1-based, inclusive), refused when they reach outside the piece."""
    check_has_notes(score)
    bars = bar_count(score)
    if first < 1 or last < first:
        raise BadInputError(f"Write the bars as FIRST-LAST with 1 <= FIRST <= LAST, e.g. 9-12 (not {first}-{last}).")
    if last > bars:
        raise BadInputError(f"The piece has {bars} bars, so bars {first}-{last} reach outside it.")
    if first == 1 and last == bars:
        raise BadInputError(f"Bars {first}-{last} are the whole piece; keep at least one bar, or generate a new piece.")
    size = bar_ticks(score)
    return Passage((first - 1) * size, last * size)


def passage_of_seconds(score: Score, start_s: float, end_s: float) -> Passage:
    """Seconds `start_s`..`end_s`, snapped to the nearest beats, refused outside the piece."""
    check_has_notes(score)
    length = float(score.to("second").end()) if pitched_end(score) else 0.0
    length = max(length, _seconds_at(score, pitched_end(score)))
    if not 0 <= start_s < end_s:
        raise BadInputError(f"Write the seconds as START-END with 0 <= START < END, e.g. 20-30 (not {start_s:g}-{end_s:g}).")
    if end_s - start_s >= length:
        raise BadInputError(f"The passage ({end_s - start_s:g} s) is as long as the piece ({length:.1f} s) or longer; "
                            "keep some of it, or generate a new piece.")
    if end_s > length + 0.5:
        raise BadInputError(f"The piece lasts {length:.1f} s, so {start_s:g}-{end_s:g} s reaches outside it.")
    tpq = score.ticks_per_quarter
    start = round(_tick_at(score, start_s) / tpq) * tpq
    end = round(_tick_at(score, end_s) / tpq) * tpq
    if end <= start:
        end = start + tpq
    return Passage(start, end)


def _tempo_map(score: Score) -> list[tuple[int, float]]:
    tempos = sorted((int(t.time), float(t.qpm)) for t in score.tempos) or [(0, 120.0)]
    return [(0, tempos[0][1])] + [t for t in tempos if t[0] > 0]


def _seconds_at(score: Score, tick: int) -> float:
    tpq, seconds, previous = score.ticks_per_quarter, 0.0, None
    for time, qpm in _tempo_map(score) + [(10**12, 0.0)]:
        if previous is not None:
            span = min(time, tick) - previous[0]
            if span > 0:
                seconds += span / tpq * 60.0 / previous[1]
        if time >= tick:
            break
        previous = (time, qpm)
    return seconds


def _tick_at(score: Score, seconds: float) -> int:
    tpq, elapsed = score.ticks_per_quarter, 0.0
    tempos = _tempo_map(score)
    for i, (time, qpm) in enumerate(tempos):
        nxt = tempos[i + 1][0] if i + 1 < len(tempos) else None
        span = None if nxt is None else (nxt - time) / tpq * 60.0 / qpm
        if span is None or elapsed + span >= seconds:
            return int(round(time + (seconds - elapsed) * qpm / 60.0 * tpq))
        elapsed += span
    return 0


def check_has_notes(score: Score) -> None:
    if not any(len(t.notes) for t in score.tracks if not t.is_drum):
        raise BadInputError("The piece has no pitched notes to work on.")


def choose_tracks(score: Score, tracks: list[str] | None) -> list[int]:
    """Indices of the tracks to write anew: by number or (case-insensitive) name; default every
    pitched track. Drum tracks are never rewritten (the model writes pitched music)."""
    pitched = [i for i, t in enumerate(score.tracks) if not t.is_drum]
    if not tracks:
        return pitched
    chosen = []
    for want in tracks:
        want = want.strip()
        if want.isdigit() and int(want) < len(score.tracks):
            index = int(want)
        else:
            named = [i for i, t in enumerate(score.tracks) if t.name.strip().lower() == want.lower()]
            if not named and want.lower() in ("melody", "accompaniment"):
                named = _melody_or_rest(score, want.lower(), pitched)
            if not named:
                names = ", ".join(f"{i} '{t.name or 'unnamed'}'" for i, t in enumerate(score.tracks))
                raise BadInputError(f"The piece has no track '{want}'; its tracks are {names}.")
            chosen += [i for i in named[1:] if i not in chosen]
            index = named[0]
        if score.tracks[index].is_drum:
            raise BadInputError(f"Track {index} is drums, which Sonatina cannot rewrite; choose a pitched track.")
        if index not in chosen:
            chosen.append(index)
    return chosen


def _melody_or_rest(score: Score, want: str, pitched: list[int]) -> list[int]:
    """'melody': the track that carries the tune (music.melody); 'accompaniment': every other
    pitched track. Empty when the tune shares its track with the rest (then tracks are named)."""
    from sonatina.music.melody import melody_track

    if len(pitched) == 1 and want == "melody":
        return pitched
    tune = melody_track(score)
    if tune is None or len(pitched) < 2:
        raise BadInputError(f"The piece's melody shares a track with its other notes, so '{want}' cannot be chosen "
                            "alone; name tracks by number instead.")
    return [tune] if want == "melody" else [i for i in pitched if i != tune and len(score.tracks[i].notes)]


# ---------------------------------------------------------------- tokens on the model's grid

class _Grid:
    """The model's REMI vocabulary and position grid, with ticks of one score mapped onto it."""

    def __init__(self, model, tpq: int):
        self.model, self.vocab, self.tokenizer = model, model.vocab, model.tokenizer
        self.per_beat = model.vocab.positions_per_beat
        self.per_bar = BEATS_PER_BAR * self.per_beat
        self.tpq = tpq
        self.position_id = {int(v.split("_")[1]): i for v, i in model.tokenizer.vocab.items() if v.startswith("Position_")}

    def at(self, tick: int) -> int:
        return int(round(tick / self.tpq * self.per_beat))

    def serialize(self, groups: dict[int, list[int]], bar: int, pos: int,
                  until: int | None = None) -> tuple[list[int], int, int]:
        """Tokens that write `groups` (notes' tokens by global position) from time (bar, pos):
        Bar tokens to each group's bar, a Position token, its notes. Returns (tokens, bar, pos)."""
        out: list[int] = []
        for p in sorted(groups):
            if until is not None and p >= until:
                break
            b, q = divmod(p, self.per_bar)
            while bar < b:
                out.append(self.vocab.bar)
                bar, pos = bar + 1, -1
            if q != pos:
                out.append(self.position_id[q])
                pos = q
            out += groups[p]
        return out, bar, pos


def _groups(grid: _Grid, notes: list[Note], shift: int) -> dict[int, list[int]]:
    return kept_tokens(grid.tokenizer, notes, grid.tpq, shift) if notes else {}


# ---------------------------------------------------------------- sampling a passage

@dataclass
class _Candidates:
    tokens: list[list[int]]  # per candidate: what it wrote in the passage's bar onwards (forced notes included)
    forced: list[set[int]]  # per candidate: indices in `tokens` that are forced notes
    logits: np.ndarray  # [K, V] after each candidate's last token
    state: list  # per layer (h, c), [K, H]: each candidate's state at its end
    bars: np.ndarray  # [K] bar each candidate ended in
    positions: np.ndarray  # [K] position it ended at


def _sample_passage(grid: _Grid, prefix: list[int], start: int, end: int, forced: dict[int, list[int]],
                    genre: int, mode: int, sampling: SamplingConfig, seed: int, candidates: int,
                    stop_before: float = 0.0, processors: list = ()) -> _Candidates:
    """K candidates for positions [start, end) after `prefix`, forced notes written at their positions.
    `processors` (the genre's biases, built for K rows) bend each draw and are told every token."""
    vocab, stepper, K = grid.vocab, fast_stepper(grid.model.stepper), candidates
    rngs = [np.random.default_rng([seed, k]) for k in range(K)]
    grammar = Grammar(vocab, K)

    def advance(row: int, token: int) -> None:
        grammar.advance(row, token)
        for processor in processors:
            processor.advance(row, token)

    for token in prefix:
        for row in range(K):
            advance(row, token)
    start_bar, start_q = divmod(start, grid.per_bar)
    bridge = [vocab.bar] * max(0, start_bar - int(grammar.bar[0]))  # time moves to the passage's bar
    for token in bridge:
        for row in range(K):
            advance(row, token)
    genres, modes = np.full(K, genre), np.full(K, mode)
    last, state = stepper.prime(np.array([[vocab.bos] + prefix + bridge]), genres[:1], modes[:1])  # read once
    last, state = np.repeat(last, K, axis=0), [(np.repeat(h, K, axis=0), np.repeat(c, K, axis=0)) for h, c in state]
    pending = sorted(forced)
    next_forced = np.zeros(K, dtype=int)
    queue: list[list[int]] = [[] for _ in range(K)]
    out: list[list[int]] = [[] for _ in range(K)]  # after the bridge: each row starts in the passage's bar
    forced_at: list[set[int]] = [set() for _ in range(K)]
    done = np.zeros(K, dtype=bool)
    end_beat = end / grid.per_beat - stop_before
    kinds = vocab.kind
    is_time = np.isin(kinds, ("Bar", "Position"))
    is_position, is_pitch = kinds == "Position", kinds == "Pitch"
    saved_logits = np.zeros_like(last)
    saved_state = [(h.copy(), c.copy()) for h, c in state]
    for _ in range((end - start) * 40 + 64 * K):  # far above any real density; guards an endless loop
        mask = grammar.mask()
        biased = last
        for processor in processors:  # the raw logits stay in `last`: the judging reads the model's own
            biased = processor(biased)
        nxt = np.full(K, vocab.pad, dtype=np.int64)
        for row in np.flatnonzero(~done):
            bar, pos = int(grammar.bar[row]), int(grammar.pos[row])
            now = bar * grid.per_bar + max(pos, 0)
            if queue[row]:
                token = queue[row].pop(0)
                forced_at[row].add(len(out[row]))
            else:
                allowed = mask[row].copy()
                if now < start or (pos < 0 and bar * grid.per_bar < start):
                    allowed &= ~is_pitch  # nothing new before the passage
                if bar == start_bar:
                    allowed &= ~(is_position & (vocab.position_of < start_q))
                time_ok = is_time.copy()
                if next_forced[row] < len(pending):  # time may reach the next forced notes, not pass them
                    limit = pending[next_forced[row]]
                    if (bar + 1) * grid.per_bar > limit:
                        time_ok[vocab.bar] = False
                    time_ok &= ~(is_position & (bar * grid.per_bar + vocab.position_of > limit))
                allowed &= time_ok | ~is_time
                written = grammar.onset_pitches[row]  # pitch tokens at this row's current position
                if written:  # a pitch once per onset, and no more pitches than people stack
                    allowed[written] = False
                    if len(set(written)) >= MAX_PITCHES_PER_ONSET:  # (kept notes may repeat a pitch)
                        allowed &= ~is_pitch
                if not allowed.any():  # the grammar's taste leaves nothing here: let time move on
                    allowed = time_ok & ~(is_position & (vocab.position_of <= pos))
                    if bar == start_bar:
                        allowed &= ~(is_position & (vocab.position_of < start_q))
                logits = biased[row]
                barred = mask[row] & is_time & ~time_ok  # time steps past the next kept notes
                if barred.any():  # they must be reached first: that step takes the barred steps' odds
                    limit = pending[next_forced[row]]
                    reach = vocab.bar if limit == (bar + 1) * grid.per_bar else grid.position_id.get(limit - bar * grid.per_bar)
                    if reach is not None and allowed[reach]:
                        logits = logits.copy()
                        logits[reach] = np.logaddexp(logits[reach], np.logaddexp.reduce(logits[barred]))
                scores = np.where(allowed, logits, -np.inf)[None]
                scores = apply_top_p(apply_top_k(apply_temperature(scores, sampling.temperature), sampling.top_k),
                                     sampling.top_p)
                token = int(rngs[row].choice(vocab.size, p=_softmax(scores)[0]))
                if is_time[token] and grammar.time_after(row, token) >= end_beat \
                        and next_forced[row] >= len(pending):
                    done[row] = True  # the passage is written: keep this candidate's state for judging
                    saved_logits[row] = last[row]
                    for (h, c), (sh, sc) in zip(state, saved_state):
                        sh[row], sc[row] = h[row], c[row]
                    continue
                if is_position[token] and next_forced[row] < len(pending) \
                        and bar * grid.per_bar + vocab.position_of[token] == pending[next_forced[row]]:
                    queue[row] = list(forced[pending[next_forced[row]]])
                    next_forced[row] += 1
                elif kinds[token] == "Bar" and next_forced[row] < len(pending) \
                        and pending[next_forced[row]] == (bar + 1) * grid.per_bar:
                    pass  # arriving at the bar line: the Position_0 to come writes them
            advance(row, token)
            out[row].append(token)
            nxt[row] = token
        if done.all():
            break
        last, state = stepper.step(nxt, genres, modes, state)
    else:
        raise BadInputError("The passage could not be written within its length; try another seed.")
    return _Candidates(out, forced_at, saved_logits, saved_state, grammar.bar.copy(), grammar.pos.copy())


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=-1, keepdims=True)
    return logits - top - np.log(np.exp(logits - top).sum(axis=-1, keepdims=True))


def continuation_logprob(stepper, logits: np.ndarray, state, sequences: list[list[int]], genre: int,
                         mode: int) -> np.ndarray:
    """Log-likelihood (nats) the model gives each sequence when it follows the state it comes
    from: logits [K, V] predict each sequence's first token, state holds each row's memory."""
    K = len(sequences)
    lengths = np.array([len(s) for s in sequences])
    if lengths.max(initial=0) == 0:
        return np.zeros(K)
    T = int(lengths.max())
    tokens = np.zeros((K, T), dtype=np.int64)
    for k, seq in enumerate(sequences):
        tokens[k, :len(seq)] = seq
    # the network read teacher-forced over all T positions (as stepper.prime, keeping every output)
    xs = stepper.embed[tokens] + (stepper.genre_embed[np.full(K, genre)] + stepper.mode_embed[np.full(K, mode)])[:, None]
    for (w_ih, w_hh, b), (h, c) in zip(stepper.layers, state):
        projected = xs @ w_ih
        outputs = np.empty((K, T, stepper.hidden), dtype=np.float32)
        for t in range(T):
            h, c = lstm_cell(projected[:, t] + h @ w_hh + b, c)
            outputs[:, t] = h
        xs = outputs
    following = xs @ stepper.head_w + stepper.head_b  # [K, T, V]: logits after each token
    all_logits = np.concatenate([logits[:, None], following[:, :-1]], axis=1)
    logp = np.take_along_axis(_log_softmax(all_logits), tokens[..., None], axis=-1)[..., 0]
    return (logp * (np.arange(T)[None] < lengths[:, None])).sum(axis=1)


# ---------------------------------------------------------------- the edit

@dataclass
class EditResult:
    score: Score
    passage: Passage
    info: dict


def regenerate_passage(model, score: Score, passage: Passage, *, tracks: list[int] | None = None,
                       genre: int = 0, sampling: SamplingConfig | None = None, seed: int = 0,
                       candidates: int = DEFAULT_CANDIDATES, lookahead: bool = True,
                       stop_before: float = 0.0, scale_strength: float | None = None,
                       pitch_range: int | None = None) -> EditResult:
    """The piece with the chosen tracks' notes starting in `passage` written anew (see the module
    docstring). `lookahead=False` keeps the first candidate: plain continuation (the benchmark's
    baseline). `scale_strength` and `pitch_range` (None: the genre's, see edit_processors) are
    compose()'s settings of the same names. The input score is not changed."""
    sampling = sampling or SamplingConfig()
    check_has_notes(score)
    tracks = list(range(len(score.tracks))) if tracks is None else tracks
    tracks = [i for i in tracks if not score.tracks[i].is_drum]
    grid = _Grid(model, score.ticks_per_quarter)
    pitched = [(i, n) for i, t in enumerate(score.tracks) if not t.is_drum for n in t.notes]
    tonic, mode = estimate_key(np.array([n.pitch for _, n in pitched]), np.array([max(1, n.duration) for _, n in pitched]))
    shift = shift_to(tonic, 0)
    start, end = grid.at(passage.start), grid.at(passage.end)
    before = [n for _, n in pitched if n.time < passage.start]
    inside_kept = [n for i, n in pitched if passage.holds(n.time) and i not in tracks]
    after = [n for _, n in pitched if n.time >= passage.end]
    prefix, _, _ = grid.serialize(_groups(grid, before, shift), -1, -1, until=start)
    forced = {p: ids for p, ids in _groups(grid, inside_kept, shift).items() if start <= p < end}
    follow = {p: ids for p, ids in _groups(grid, after, shift).items() if p >= end}
    horizon = end + LOOKAHEAD_BARS * grid.per_bar
    rows = candidates if lookahead else 1
    kept_pitches = [n.pitch + shift for n in before + inside_kept + after]
    processors, biases = edit_processors(model, model.genres[genre], mode, rows, kept_pitches, scale_strength,
                                         pitch_range)
    # One BLAS thread: the candidates make each step a small matrix product, and OpenBLAS's
    # threads spinning for it on two busy cores cost 10x (measured 12 s against 1.2 s wall).
    with threadpool_limits(1):
        made = _sample_passage(grid, prefix, start, end, forced, genre, mode_index(mode), sampling, seed,
                               rows, stop_before, processors)
        scores = np.zeros(len(made.tokens))
        if lookahead and follow:
            sequences = [grid.serialize(follow, int(made.bars[k]), int(made.positions[k]), until=horizon)[0]
                         for k in range(len(made.tokens))]
            scores = continuation_logprob(model.stepper, made.logits, made.state, sequences, genre, mode_index(mode))
    best = int(np.argmax(scores))  # ties (and no music after) keep the first candidate
    new = _new_notes(grid, made, best, start, shift, passage)
    out = _replace(score, passage, tracks, new)
    info = {"start_tick": passage.start, "end_tick": passage.end, "tracks": tracks, "candidates": len(made.tokens),
            "chosen": best, "continuation_logprob": [round(float(s), 3) for s in scores], "new_notes": len(new),
            "key_tonic": tonic, "mode": mode, **biases}
    return EditResult(out, passage, info)


def edit_processors(model, genre: str, mode: str, rows: int, kept_pitches: list[int],
                    scale_strength: float | None = None, pitch_range: int | None = None) -> tuple[list, dict]:
    """The genre's processors for an edit's `rows` candidates, as compose() samples a fresh piece
    (compose.genre_bias), and the settings they were built with (for the edit's info).

    The key is the piece's own: the piece is read moved to C, so ScaleBias takes its mode. The
    register window, where the genre has one (or `pitch_range` asks for one), starts from the kept
    notes' range (`kept_pitches`, in the C frame: those before, inside and after the passage), so
    new notes are free within the register the piece keeps and cost REGISTER_STRENGTH nats per
    semitone past it. Its span is the `pitch_range` asked, else the genre's narrowest typical span:
    the piece's own range wins wherever it is wider (RegisterWindow never narrows what is written),
    so the genre's floor only matters for a piece too short to show a register of its own. Drawing
    a span per seed (as a fresh piece does) would let a passage widen a piece already wider than
    the genre's floor by up to the genre's whole spread, out of the register the rest of it keeps."""
    strength = default_scale_strength(genre) if scale_strength is None else scale_strength
    typical = default_pitch_span(genre)
    span = pitch_range if pitch_range is not None else (None if typical is None else typical[0])
    written = (min(kept_pitches), max(kept_pitches)) if kept_pitches else None  # the kept notes after it count too
    processors = genre_processors(model.vocab, genre, [mode] * rows, strength, None if span is None else [span] * rows,
                                  written)
    kept_range = max(kept_pitches) - min(kept_pitches) if kept_pitches else 0
    return processors, {"scale_strength": strength,
                        "pitch_range": None if span is None else max(span, kept_range)}


def _new_notes(grid: _Grid, made: _Candidates, row: int, start: int, shift: int, passage: Passage) -> list[Note]:
    """The chosen candidate's own notes (forced ones left out), back in the score's key and ticks."""
    tokens = made.tokens[row]
    own = [t for i, t in enumerate(tokens) if i not in made.forced[row]]
    start_bar = start // grid.per_bar
    decoded = decode(grid.tokenizer, [grid.vocab.bar] * (start_bar + 1) + own, 120.0, 0)  # 480 ticks per quarter
    scale = grid.tpq / decoded.ticks_per_quarter
    notes = []
    for n in (n for t in decoded.tracks for n in t.notes):
        time = int(round(n.time * scale))
        if not passage.holds(time):
            continue
        duration = max(1, min(int(round(n.duration * scale)), passage.end - time))
        notes.append(Note(time, duration, int(np.clip(n.pitch - shift, 0, 127)), int(n.velocity)))
    return notes


def _replace(score: Score, passage: Passage, tracks: list[int], new: list[Note]) -> Score:
    """A copy of `score` with the chosen tracks' notes starting inside the passage swapped for `new`,
    each new note put in the chosen track nearest to it in register."""
    out = score.copy()
    centres = {}
    for i in tracks:
        pitches = [n.pitch for n in score.tracks[i].notes]
        centres[i] = float(np.mean(pitches)) if pitches else 60.0
    for i in tracks:
        track = out.tracks[i]
        kept = [n for n in track.notes if not passage.holds(n.time)]
        track.notes.clear()
        track.notes.extend(kept)
    if tracks:
        for n in new:
            target = min(tracks, key=lambda i: (abs(centres[i] - n.pitch), i))
            out.tracks[target].notes.append(n)
        for i in tracks:
            out.tracks[i].notes.sort(key=lambda n: n.time)  # stable: kept notes keep their order
    return out


def extend_piece(model, score: Score, beats: int, at: str = "end", *, tracks: list[int] | None = None,
                 genre: int = 0, sampling: SamplingConfig | None = None, seed: int = 0,
                 candidates: int = DEFAULT_CANDIDATES, scale_strength: float | None = None,
                 pitch_range: int | None = None) -> EditResult:
    """`beats` more beats of music at the end (sampled on from the piece) or at the start (whole
    bars, so downbeats stay downbeats; chosen among candidates by how well they lead into the piece,
    whose notes, tempo and signature changes all move later by the added time)."""
    check_has_notes(score)
    tpq = score.ticks_per_quarter
    if at == "end":
        start = -(-pitched_end(score) // tpq) * tpq  # from the next beat
        passage = Passage(start, start + beats * tpq)
        result = regenerate_passage(model, score, passage, tracks=tracks, genre=genre, sampling=sampling, seed=seed,
                                    candidates=1, lookahead=False, stop_before=MIN_LAST_NOTE_BEATS,
                                    scale_strength=scale_strength, pitch_range=pitch_range)
        _hold_last_notes(result.score, passage)
        return result
    if at != "start":
        raise BadInputError(f"Extend at 'start' or 'end', not '{at}'.")
    size = bar_ticks(score)
    added = -(-beats * tpq // size) * size
    moved = score.shift_time(added)
    for events in (moved.tempos, moved.time_signatures, moved.key_signatures):
        for e in events:  # what held at the start holds over the new bars too
            if e.time == added and not any(o.time < added for o in events):
                e.time = 0
    return regenerate_passage(model, moved, Passage(0, added), tracks=tracks, genre=genre, sampling=sampling,
                              seed=seed, candidates=candidates, scale_strength=scale_strength, pitch_range=pitch_range)


def _hold_last_notes(score: Score, passage: Passage) -> None:
    """The extension ends on a sounding chord: its last onset's notes held to its end."""
    new = [n for t in score.tracks if not t.is_drum for n in t.notes if passage.holds(n.time)]
    if not new:
        return
    last = max(n.time for n in new)
    for n in new:
        if n.time == last:
            n.duration = max(1, passage.end - n.time)
