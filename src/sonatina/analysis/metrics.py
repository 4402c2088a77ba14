"""Symbolic music metrics: pure functions of one piece.

Every metric is ``f(score: symusic.Score) -> float`` and returns NaN when the piece holds
nothing to measure. Settings are fixed module constants so numbers from different runs
and machines can be compared:

* Time is measured on a grid of ``RESOLUTION`` steps per quarter note: note onsets and
  ends are rescaled and rounded as MusPy's ``music.adjust_resolution(RESOLUTION)`` does.
* The length of a piece is the end of its last note. (MusPy also counts trailing
  controller events such as a sustain-pedal release; that is the one place where our
  empty-beat rate, polyphony rate and groove consistency can differ from MusPy's.)
* A *beat* is a quarter note; a *bar* follows the score's first time signature (4/4 when
  the file has none). Pieces that change metre are measured in their first metre.
* Drum tracks are ignored by every pitch measure and by polyphony; onset and emptiness
  measures (empty beat rate, groove consistency) count drums, as MusPy does.

Where MusPy (Dong et al., "MusPy: A Toolkit for Symbolic Music Generation", ISMIR 2020)
defines a measure, ours returns the same value on the same file at the same resolution;
tests/test_metrics.py checks it. The feature vectors at the end (pitch-class histogram,
transition matrix, note-length histogram) follow MGEval (Yang & Lerch, "On the evaluation
of generative models in music", Neural Computing and Applications, 2018).
"""

from __future__ import annotations

import math

import numpy as np
from symusic import Score

from sonatina.music.pitches import PITCH_CLASS_NAMES  # noqa: F401 (plots label axes with M.PITCH_CLASS_NAMES)

RESOLUTION = 24  # time steps per quarter note (covers 16ths and triplets)
POLYPHONY_THRESHOLD = 1  # polyphony_rate counts steps with MORE than this many pitches sounding
DEFAULT_METRE = (4, 4)  # used when a file has no time signature

# The 24 diatonic scales scale_consistency tries: major and natural minor on each root.
_MAJOR = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], dtype=bool)
_MINOR = np.array([1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0], dtype=bool)
SCALES = np.array([np.roll(_MAJOR, r) for r in range(12)] + [np.roll(_MINOR, r) for r in range(12)])

# MGEval's 12 note-length classes, in quarter notes: full, half, quarter, 8th, 16th, their
# dotted forms, and half/quarter/8th triplets. A note goes to the nearest class in log time.
NOTE_LENGTH_CLASSES = {
    "whole": 4.0, "half": 2.0, "quarter": 1.0, "8th": 0.5, "16th": 0.25,
    "dotted half": 3.0, "dotted quarter": 1.5, "dotted 8th": 0.75, "dotted 16th": 0.375,
    "half triplet": 4 / 3, "quarter triplet": 2 / 3, "8th triplet": 1 / 3,
}  # fmt: skip


# ----------------------------------------------------------------------------- note tables


def in_ticks(score: Score) -> Score:
    """The score with tick times (files read by symusic already are)."""
    return score if str(score.ttype) == "Tick" else score.to("tick")


def note_arrays(score: Score, drums: bool = False) -> dict[str, np.ndarray]:
    """Onset, end and pitch (in grid steps) of every note, from pitched tracks only unless
    ``drums``, plus the index of the track each came from; sorted by onset then pitch.

    Onset and end are each scaled to RESOLUTION steps per quarter and rounded half to even,
    exactly as MusPy's ``adjust_resolution`` does, so both see the same grid."""
    score = in_ticks(score)
    scale = RESOLUTION / score.tpq
    parts = []
    for index, track in enumerate(score.tracks):
        if track.is_drum and not drums:
            continue
        arr = track.notes.numpy()
        if len(arr["time"]):
            time = np.round(arr["time"] * scale).astype(np.int64)
            end = np.round((arr["time"].astype(np.int64) + arr["duration"]) * scale).astype(np.int64)
            parts.append((time, end, arr["pitch"].astype(np.int64), np.full(len(time), index)))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return {"time": empty, "end": empty, "pitch": empty, "track": empty}
    time, end, pitch, track = (np.concatenate(x) for x in zip(*parts))
    order = np.lexsort((pitch, time))
    return {"time": time[order], "end": end[order], "pitch": pitch[order], "track": track[order]}


def piece_length(score: Score) -> int:
    """End of the last note of any track (drums included), in grid steps; 0 if none."""
    notes = note_arrays(score, drums=True)
    return int(notes["end"].max()) if len(notes["end"]) else 0


def bar_steps(score: Score) -> int:
    """Length of one bar in grid steps, from the first time signature (4/4 if none)."""
    sigs = score.time_signatures
    num, den = (sigs[0].numerator, sigs[0].denominator) if len(sigs) else DEFAULT_METRE
    return max(1, round(RESOLUTION * 4 * num / den))


def _pitched(score: Score) -> np.ndarray:
    return note_arrays(score)["pitch"]


def _entropy_bits(counts: np.ndarray) -> float:
    total = counts.sum()
    if total < 1:
        return math.nan
    p = counts[counts > 0] / total
    return float(-(p * np.log2(p)).sum())


# ----------------------------------------------------------------------------- pitch


def pitch_range(score: Score) -> float:
    """Highest minus lowest MIDI pitch, in semitones (MusPy ``pitch_range``).

    MusPy returns 0 for a piece without notes; we return NaN, like every metric here."""
    pitch = _pitched(score)
    return float(pitch.max() - pitch.min()) if len(pitch) else math.nan


def n_pitches_used(score: Score) -> float:
    """Number of distinct MIDI pitches played (MusPy ``n_pitches_used``; MGEval ``total_used_pitch``)."""
    pitch = _pitched(score)
    return float(len(np.unique(pitch))) if len(pitch) else math.nan


def n_pitch_classes_used(score: Score) -> float:
    """Number of distinct pitch classes (C, C#, ... B) played (MusPy ``n_pitch_classes_used``)."""
    pitch = _pitched(score)
    return float(len(np.unique(pitch % 12))) if len(pitch) else math.nan


def pitch_entropy(score: Score) -> float:
    """Shannon entropy, in bits, of the histogram of the 128 MIDI pitches over all notes
    (MusPy ``pitch_entropy``). 0 for a single repeated pitch, at most log2(128) = 7."""
    return _entropy_bits(np.bincount(_pitched(score), minlength=128))


def pitch_class_entropy(score: Score) -> float:
    """Shannon entropy, in bits, of the 12-bin pitch-class histogram (MusPy
    ``pitch_class_entropy``; Wu & Yang 2020). Tonal music sits near 3, at most log2(12) = 3.58."""
    return _entropy_bits(np.bincount(_pitched(score) % 12, minlength=12))


def scale_consistency(score: Score) -> float:
    """Largest share of notes that fall inside one major or natural-minor scale, over all 24
    such scales (MusPy ``scale_consistency``; Mogren 2016). 1.0 means fully diatonic."""
    pitch = _pitched(score)
    if not len(pitch):
        return math.nan
    counts = np.bincount(pitch % 12, minlength=12)
    return float((SCALES @ counts).max() / counts.sum())


def mean_pitch_shift(score: Score) -> float:
    """Mean absolute interval, in semitones, between consecutive notes of each track (notes
    ordered by onset then pitch), averaged over all such pairs (MGEval ``avg_pitch_shift``)."""
    notes = note_arrays(score)
    # note_arrays sorts by onset across tracks; regroup by track keeping that order
    order = np.argsort(notes["track"], kind="stable")
    pitch, track = notes["pitch"][order], notes["track"][order]
    same_track = track[1:] == track[:-1]
    steps = np.abs(np.diff(pitch))[same_track]
    return float(steps.mean()) if len(steps) else math.nan


# ----------------------------------------------------------------------------- texture


def _pianoroll(score: Score) -> np.ndarray:
    """Boolean (steps x 128) roll of pitched notes over the whole piece length (drums count
    for the length, not the roll), as MusPy builds it; a pitch doubled in two tracks counts once."""
    notes = note_arrays(score)
    roll = np.zeros((piece_length(score), 128), dtype=bool)
    for start, end, pitch in zip(notes["time"], notes["end"], notes["pitch"]):
        roll[start:end, pitch] = True
    return roll


def polyphony(score: Score) -> float:
    """Mean number of distinct pitches sounding, over the time steps where at least one sounds
    (MusPy ``polyphony``). 1.0 for a melody, about 3-4 for piano accompaniment."""
    sounding = _pianoroll(score).sum(axis=1)
    busy = np.count_nonzero(sounding)
    return float(sounding.sum() / busy) if busy else math.nan


def polyphony_rate(score: Score) -> float:
    """Share of all time steps (from 0 to the last note end) where more than
    POLYPHONY_THRESHOLD (=1, i.e. two or more) distinct pitches sound (MusPy
    ``polyphony_rate(music, threshold=1)``; MuseGAN's "polyphonicity").

    MusPy's default threshold is 2, which counts three or more pitches despite its docstring
    saying "multiple"; we fix 1 so the name means what it says."""
    roll = _pianoroll(score)
    if not len(roll):
        return math.nan
    return float(np.count_nonzero(roll.sum(axis=1) > POLYPHONY_THRESHOLD) / len(roll))


def empty_beat_rate(score: Score) -> float:
    """Share of beats (quarter notes, from 0 to the last note end) in which no note of any
    track sounds (MusPy ``empty_beat_rate``; Pypianoroll). As in MusPy, a note covers the
    beats from ``onset // beat`` to ``end // beat`` inclusive."""
    notes = note_arrays(score, drums=True)
    length = piece_length(score)
    if length < 1:
        return math.nan
    n_beats = length // RESOLUTION + 1
    cover = np.zeros(n_beats + 1, dtype=np.int64)
    np.add.at(cover, notes["time"] // RESOLUTION, 1)
    np.add.at(cover, notes["end"] // RESOLUTION + 1, -1)
    return float(1 - np.count_nonzero(np.cumsum(cover)[:n_beats]) / n_beats)


def groove_consistency(score: Score) -> float:
    """1 minus the mean Hamming distance between the onset patterns of neighbouring bars,
    divided by the bar length in steps (MusPy ``groove_consistency`` with
    ``measure_resolution = bar_steps(score)``; Wu & Yang 2020). Onsets of all tracks, drums
    included. NaN for pieces shorter than two bars. Near 1 = the rhythm repeats bar to bar.
    As in MusPy the piece has ``length // bar + 1`` bars, so one ending exactly on a bar line
    gets a trailing empty bar."""
    notes = note_arrays(score, drums=True)
    bar = bar_steps(score)
    n_bars = piece_length(score) // bar + 1
    if not len(notes["time"]) or n_bars < 2:
        return math.nan
    grid = np.zeros((n_bars, bar), dtype=bool)
    grid[notes["time"] // bar, notes["time"] % bar] = True
    return float(1 - np.count_nonzero(grid[:-1] != grid[1:]) / (bar * (n_bars - 1)))


# ----------------------------------------------------------------------------- rhythm in seconds


def _onsets_seconds(score: Score) -> tuple[np.ndarray, float]:
    """Sorted onsets (s) of pitched notes and the end (s) of the last pitched note."""
    sec = score.to("second") if str(score.ttype) != "Second" else score
    starts, ends = [], []
    for track in sec.tracks:
        if track.is_drum:
            continue
        arr = track.notes.numpy()
        starts.append(arr["time"])
        ends.append(arr["time"] + arr["duration"])
    if not starts or not sum(len(s) for s in starts):
        return np.zeros(0), 0.0
    return np.sort(np.concatenate(starts)), float(np.concatenate(ends).max())


def note_density(score: Score) -> float:
    """Pitched notes per second, over the span from time 0 to the last note's end (tempo
    map applied). Chord notes each count."""
    onsets, end = _onsets_seconds(score)
    return float(len(onsets) / end) if len(onsets) and end > 0 else math.nan


def mean_ioi(score: Score) -> float:
    """Mean inter-onset interval, in seconds, between successive *distinct* onsets of pitched
    notes (onsets closer than 1 ms merge). MGEval's ``avg_IOI`` also counts the zero gaps inside
    chords, which mixes texture into rhythm; we leave them out. NaN below two onsets."""
    onsets, _ = _onsets_seconds(score)
    distinct = onsets[np.concatenate(([True], np.diff(onsets) > 1e-3))] if len(onsets) else onsets
    return float(np.diff(distinct).mean()) if len(distinct) >= 2 else math.nan


# ----------------------------------------------------------------------------- the table

METRICS = {
    "pitch_range": pitch_range,
    "n_pitches_used": n_pitches_used,
    "n_pitch_classes_used": n_pitch_classes_used,
    "pitch_entropy": pitch_entropy,
    "pitch_class_entropy": pitch_class_entropy,
    "scale_consistency": scale_consistency,
    "mean_pitch_shift": mean_pitch_shift,
    "polyphony": polyphony,
    "polyphony_rate": polyphony_rate,
    "empty_beat_rate": empty_beat_rate,
    "groove_consistency": groove_consistency,
    "note_density": note_density,
    "mean_ioi": mean_ioi,
}

UNITS = {
    "pitch_range": "semitones", "n_pitches_used": "pitches", "n_pitch_classes_used": "classes",
    "pitch_entropy": "bits", "pitch_class_entropy": "bits", "scale_consistency": "share",
    "mean_pitch_shift": "semitones", "polyphony": "pitches", "polyphony_rate": "share",
    "empty_beat_rate": "share", "groove_consistency": "share", "note_density": "notes/s",
    "mean_ioi": "s",
}  # fmt: skip


def piece_metrics(score: Score) -> dict[str, float]:
    """Every metric in METRICS for one piece, in that order."""
    score = in_ticks(score)
    return {name: fn(score) for name, fn in METRICS.items()}


# ----------------------------------------------------------------------------- MGEval feature vectors


def pitch_class_histogram(score: Score) -> np.ndarray:
    """Share of pitched notes in each pitch class C..B (12 values summing to 1; NaN if empty)."""
    counts = np.bincount(_pitched(score) % 12, minlength=12).astype(float)
    return counts / counts.sum() if counts.sum() else np.full(12, math.nan)


def pitch_class_transitions(score: Score) -> np.ndarray:
    """12x12 counts of pitch-class moves inside each track: every pitch class sounding at one
    onset -> every pitch class at the track's next onset (a melody gives one move per note).
    Row = from, column = to. Normalise it yourself if you need shares."""
    notes = note_arrays(score)
    matrix = np.zeros((12, 12))
    for track in np.unique(notes["track"]):
        mine = notes["track"] == track
        _, group = np.unique(notes["time"][mine], return_inverse=True)
        present = np.zeros((group.max() + 1, 12))
        present[group, notes["pitch"][mine] % 12] = 1  # which pitch classes sound at each onset
        matrix += present[:-1].T @ present[1:]
    return matrix


def note_length_histogram(score: Score) -> np.ndarray:
    """Share of pitched notes in each of MGEval's 12 NOTE_LENGTH_CLASSES (nearest in log time)."""
    notes = note_arrays(score)
    dur = (notes["end"] - notes["time"]) / RESOLUTION
    dur = dur[dur > 0]
    if not len(dur):
        return np.full(len(NOTE_LENGTH_CLASSES), math.nan)
    classes = np.log2(np.array(list(NOTE_LENGTH_CLASSES.values())))
    nearest = np.abs(np.log2(dur)[:, None] - classes[None, :]).argmin(axis=1)
    counts = np.bincount(nearest, minlength=len(classes)).astype(float)
    return counts / counts.sum()
