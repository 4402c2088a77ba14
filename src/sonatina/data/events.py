"""The representations of the seed designs (issue 12), beside REMI's tokens.

Both start from the same prepared score as REMI (pitched tracks merged, tonic moved to C, notes
kept inside the pitch range), so every design learns from the same notes and is scored per the
same note count. Time is measured on a grid of GRID steps per beat, REMI's finest resolution.

- Notes and chords (`classic`, `twolayer`), as the tutorial reads MIDI: the notes starting in
  the same half beat form one event, a single pitch by name ("E4") or, for several pitches, their
  pitch classes joined ("4.7.11", octave dropped as music21's normalOrder drops it). Events keep
  their order only: rests, durations and velocities are not represented, and composing places
  one event per half beat, each a beat long, at a fixed velocity.
- Pitch, step, duration, velocity (`bilstm-psdv`): one row per note; step (beats since the
  previous onset, 0 for a chord's further notes), duration and velocity are quantised into bins
  (see DesignConfig's note in model/designs.py for why bins and not a regression).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

import numpy as np
from symusic import Note, Score, Tempo, Track

from sonatina.data.corpus import PieceRef
from sonatina.data.corpus.cache import cache_dir, file_digest
from sonatina.data.corpus.reading import read_midi
from sonatina.data.dataset import PieceSet, read_pieces
from sonatina.data.tokens import prepare_score
from sonatina.errors import EmptyDatasetError
from sonatina.music.pitches import PITCH_CLASS_NAMES

GRID = 8  # time steps per beat (REMI's finest position resolution here)
HALF_BEAT = GRID // 2
STEP_BINS = 8 * GRID + 1  # steps of 0 .. 8 beats (longer gaps are clipped to 8 beats)
DURATION_BINS = 8 * GRID  # durations of 1/8 .. 8 beats (bin = steps - 1)
VELOCITY_BINS = 16  # as REMI's 16 velocities
PITCHES = 128
EVENT_VELOCITY = 80  # notes-and-chords carry no velocity: every note is written at this one
EVENT_BEATS = 1.0  # ... and lasts a beat (music21's default quarter note, as the tutorial writes)
PAD, UNK = "<pad>", "<unk>"
CACHE_VERSION = "notes-v1"


@dataclass
class NotePiece:
    """One prepared piece as quantised note arrays (time in GRID steps), sorted by onset, pitch."""

    name: str
    genre: str
    split: str
    onset: np.ndarray
    duration: np.ndarray
    pitch: np.ndarray
    velocity: np.ndarray
    mode: str = "major"
    tonic: int = 0
    tempo: float = 120.0

    @property
    def notes(self) -> int:
        return len(self.pitch)


@dataclass
class NoteDataset(PieceSet):
    """The seed designs' notes: NotePieces."""

    def summary(self) -> dict:
        by_split = {s: self.split(s) for s in ("train", "validation", "test")}
        return {"pieces": {s: len(v) for s, v in by_split.items()},
                "notes": {s: int(sum(p.notes for p in v)) for s, v in by_split.items()},
                "genres": {g: sum(p.genre == g for p in self.pieces) for g in self.genres},
                "skipped": len(self.skipped)}


def notes_of_score(score: Score) -> dict[str, np.ndarray]:
    """Quantised note arrays of a prepared (single-track, tonic on C) score."""
    notes = [n for t in score.tracks for n in t.notes]
    tpq = score.ticks_per_quarter
    onset = np.array([round(n.time * GRID / tpq) for n in notes], dtype=np.int64)
    duration = np.array([max(1, round(n.duration * GRID / tpq)) for n in notes], dtype=np.int64)
    pitch = np.array([n.pitch for n in notes], dtype=np.int64)
    velocity = np.array([n.velocity for n in notes], dtype=np.int64)
    order = np.lexsort((pitch, onset))
    return {"onset": onset[order], "duration": duration[order], "pitch": pitch[order], "velocity": velocity[order]}


def _read_notes(midi, cache) -> dict:
    cached = cache / f"{file_digest(midi)}.npz"
    if cached.exists():
        with np.load(cached, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    prepared = prepare_score(read_midi(midi))
    entry = {**notes_of_score(prepared.score), "mode": np.array(prepared.mode), "tonic": np.array(prepared.tonic),
             "tempo": np.array(prepared.tempo)}
    np.savez(cached, **entry)
    return entry


def build_note_dataset(refs: list[PieceRef], progress: bool = True) -> NoteDataset:
    """Read and prepare every piece as notes (cached by content); splits as build_dataset's."""
    cache = cache_dir("notes", CACHE_VERSION)

    def piece(key, genre, split, entry):
        return NotePiece(key, genre, split, entry["onset"], entry["duration"], entry["pitch"], entry["velocity"],
                         str(entry["mode"]), int(entry["tonic"]), float(entry["tempo"]))

    pieces, skipped = read_pieces(refs, lambda midi: _read_notes(midi, cache), piece, progress,
                                  desc="reading notes", verb="read")
    return NoteDataset(pieces, skipped)


def ensure_note_validation(dataset: NoteDataset) -> None:
    """As dataset.ensure_validation: a small collection gets one validation piece."""
    if dataset.split("validation"):
        return
    train = dataset.split("train")
    if len(train) < 2:
        raise EmptyDatasetError("At least two usable pieces are needed: one to learn from, one to validate on.")
    min(train, key=lambda p: hashlib.sha1(p.name.encode()).hexdigest()).split = "validation"


# --- notes and chords --------------------------------------------------------------------------

def pitch_name(pitch: int) -> str:
    return f"{PITCH_CLASS_NAMES[pitch % 12]}{pitch // 12 - 1}"


def chord_events(piece) -> list[str]:
    """The piece's events in order: one per half beat in which notes start."""
    slots = (np.asarray(piece.onset) + HALF_BEAT // 2) // HALF_BEAT  # nearest half beat
    events = []
    for slot in np.unique(slots):
        pitches = sorted(set(int(p) for p in np.asarray(piece.pitch)[slots == slot]))
        events.append(pitch_name(pitches[0]) if len(pitches) == 1
                      else ".".join(str(pc) for pc in sorted({p % 12 for p in pitches})))
    return events


_NAME_PC = {name: pc for pc, name in enumerate(PITCH_CLASS_NAMES)}


def event_pitches(event: str) -> list[int]:
    """MIDI pitches an event sounds: a named pitch as itself, a chord's classes in octave 4."""
    if event in (PAD, UNK):
        return []
    if event[0].isalpha():
        name, octave = event.rstrip("-0123456789"), event[len(event.rstrip("-0123456789")):]
        return [_NAME_PC[name] + 12 * (int(octave) + 1)]
    return [60 + int(pc) for pc in event.split(".")]


class EventVocabulary:
    """The events seen in training (most frequent first), after PAD (0) and UNK (1)."""

    def __init__(self, tokens: list[str]):
        self.tokens = list(tokens)
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.pitches = [event_pitches(t) for t in self.tokens]

    @classmethod
    def build(cls, pieces) -> "EventVocabulary":
        counts = Counter(e for p in pieces for e in chord_events(p))
        return cls([PAD, UNK] + [e for e, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))])

    @property
    def size(self) -> int:
        return len(self.tokens)

    def encode(self, events: list[str]) -> np.ndarray:
        return np.array([self.index.get(e, 1) for e in events], dtype=np.int64)


def events_to_notes(vocab: EventVocabulary, ids, first_onset: int = 0) -> list[tuple[int, int, int, int]]:
    """(onset, duration, pitch, velocity) in GRID steps: one event per half beat, a beat long."""
    notes = []
    for k, i in enumerate(ids):
        for p in vocab.pitches[int(i)]:
            notes.append((first_onset + k * HALF_BEAT, round(EVENT_BEATS * GRID), p, EVENT_VELOCITY))
    return notes


# --- pitch, step, duration, velocity -----------------------------------------------------------

def psdv_rows(piece) -> np.ndarray:
    """[N, 4] int bins (pitch, step, duration, velocity) of a piece's notes."""
    onset = np.asarray(piece.onset)
    step = np.diff(onset, prepend=onset[:1] if len(onset) else onset)
    return np.stack([np.asarray(piece.pitch), np.clip(step, 0, STEP_BINS - 1),
                     np.clip(np.asarray(piece.duration), 1, DURATION_BINS) - 1,
                     np.clip(np.asarray(piece.velocity), 0, 127) * VELOCITY_BINS // 128], axis=1).astype(np.int64)


def psdv_features(rows: np.ndarray) -> np.ndarray:
    """The network's input per note: pitch/128, step and duration in beats, velocity in 0..1, and
    1 for a real note (0 marks the padding before a piece's first note)."""
    rows = np.asarray(rows, dtype=np.float32)
    return np.stack([rows[..., 0] / PITCHES, rows[..., 1] / GRID, (rows[..., 2] + 1) / GRID,
                     (rows[..., 3] + 0.5) / VELOCITY_BINS, np.ones(rows.shape[:-1], np.float32)], axis=-1)


def psdv_to_notes(rows, first_onset: int = 0) -> list[tuple[int, int, int, int]]:
    """(onset, duration, pitch, velocity) in GRID steps from bins, placed by their steps."""
    notes, onset = [], first_onset
    for pitch, step, dur, vel in np.asarray(rows, dtype=np.int64):
        onset += int(step)
        notes.append((onset, int(dur) + 1, int(pitch), int(vel) * 128 // VELOCITY_BINS + 128 // VELOCITY_BINS // 2))
    return notes


def notes_to_score(notes, tempo: float, program: int, tpq: int = 480) -> Score:
    """A one-track Score of (onset, duration, pitch, velocity) grid notes."""
    score = Score(tpq)
    score.tempos = [Tempo(0, qpm=float(tempo))]
    track = Track(name="Sonatina", program=program)
    per = tpq // GRID
    for onset, duration, pitch, velocity in notes:
        if 0 <= pitch < 128:
            track.notes.append(Note(int(onset) * per, max(1, int(duration) * per), int(pitch), int(np.clip(velocity, 1, 127))))
    score.tracks.append(track)
    return score
