"""Chords: which chord sounds on each beat of a piece.

Method (template matching with smoothing, after Fujishima 1999 "Realtime chord recognition of
musical sound" and the HMM smoothing of Bello & Pickens 2005): per beat, a duration-weighted
pitch-class profile of every pitched note sounding in it, with the lowest sounding pitch
counted again (BASS_WEIGHT) because the bass usually names the root. Each profile is scored
against binary chord templates (cosine similarity); a Viterbi pass then prefers keeping a chord
over changing it (CHANGE_PENALTY), since harmony moves slower than notes.

Accuracy on POP909's hand-checked `chord_midi.txt` annotations is measured by
`bench/chords.py` and recorded in bench/RESULTS.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from symusic import Score

from sonatina.music.pitches import pitch_class_name

# Intervals above the root; names follow the Harte et al. (2005) chord syntax POP909 uses.
QUALITIES = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10),
    "dim": (0, 3, 6),
    "sus4": (0, 5, 7),
}
# Triads are the commonest chords; a small bonus keeps a triad when a seventh fits no better.
PRIOR = {"maj": 0.02, "min": 0.02}
BASS_WEIGHT = 1.0  # the lowest sounding pitch counts this many beats more
CHANGE_PENALTY = 0.08  # in cosine units: how much better a new chord must fit to change
NO_CHORD_ENERGY = 1e-6  # beats with less sounding duration than this are "N" (no chord)


@dataclass(frozen=True)
class Chord:
    start: int  # tick where the chord starts
    end: int  # tick where it ends
    root: int | None  # pitch class 0-11; None for no chord
    quality: str  # a key of QUALITIES, or "N"

    @property
    def name(self) -> str:
        return "N" if self.root is None else f"{pitch_class_name(self.root)}:{self.quality}"

    @property
    def pitch_classes(self) -> frozenset[int]:
        if self.root is None:
            return frozenset()
        return frozenset((self.root + i) % 12 for i in QUALITIES[self.quality])


def _templates() -> tuple[np.ndarray, list[tuple[int, str]]]:
    rows, labels = [], []
    for quality, intervals in QUALITIES.items():
        for root in range(12):
            row = np.zeros(12)
            row[[(root + i) % 12 for i in intervals]] = 1.0
            rows.append(row / np.linalg.norm(row))
            labels.append((root, quality))
    return np.array(rows), labels


TEMPLATES, LABELS = _templates()
_PRIORS = np.array([PRIOR.get(q, 0.0) for _, q in LABELS])


def beat_profiles(score: Score, step: int | None = None, skip_tracks: tuple[int, ...] = ()) -> np.ndarray:
    """[frames, 12] pitch-class weight per frame of `step` ticks (default: one beat), bass counted again."""
    step = step or score.ticks_per_quarter
    end = max((n.time + n.duration for t in score.tracks if not t.is_drum for n in t.notes), default=0)
    frames = max(1, -(-end // step))
    profile = np.zeros((frames, 12))
    lowest = np.full(frames, 128)
    for index, track in enumerate(score.tracks):
        if track.is_drum or index in skip_tracks:
            continue
        for note in track.notes:
            start, stop = note.time, note.time + max(1, note.duration)
            for frame in range(start // step, min(frames, -(-stop // step))):
                overlap = min(stop, (frame + 1) * step) - max(start, frame * step)
                if overlap > 0:
                    profile[frame, note.pitch % 12] += overlap / step
                    lowest[frame] = min(lowest[frame], note.pitch)
    has_bass = lowest < 128
    profile[np.flatnonzero(has_bass), lowest[has_bass] % 12] += BASS_WEIGHT
    return profile


def estimate_chords(score: Score, step: int | None = None, skip_tracks: tuple[int, ...] = ()) -> list[Chord]:
    """One Chord per frame of `step` ticks (default: one beat), smoothed over time."""
    step = step or score.ticks_per_quarter
    profile = beat_profiles(score, step, skip_tracks)
    norms = np.linalg.norm(profile, axis=1, keepdims=True)
    fit = (profile / np.maximum(norms, 1e-12)) @ TEMPLATES.T + _PRIORS  # [frames, labels]
    path = _viterbi(fit)
    chords = []
    for frame, label in enumerate(path):
        silent = norms[frame, 0] < NO_CHORD_ENERGY
        root, quality = (None, "N") if silent else LABELS[label]
        chords.append(Chord(frame * step, (frame + 1) * step, root, quality))
    return chords


def _viterbi(fit: np.ndarray) -> np.ndarray:
    """Label path maximising total fit minus CHANGE_PENALTY per change of label."""
    frames, n = fit.shape
    score = fit[0].copy()
    back = np.zeros((frames, n), dtype=np.int64)
    for t in range(1, frames):
        best_prev = int(np.argmax(score))
        stay = score
        change = score[best_prev] - CHANGE_PENALTY
        back[t] = np.where(stay >= change, np.arange(n), best_prev)
        score = np.maximum(stay, change) + fit[t]
    path = np.zeros(frames, dtype=np.int64)
    path[-1] = int(np.argmax(score))
    for t in range(frames - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def merge(chords: list[Chord]) -> list[Chord]:
    """Adjacent frames with the same chord joined into one span."""
    merged: list[Chord] = []
    for chord in chords:
        if merged and (merged[-1].root, merged[-1].quality) == (chord.root, chord.quality):
            merged[-1] = Chord(merged[-1].start, chord.end, chord.root, chord.quality)
        else:
            merged.append(chord)
    return merged


def parse_label(label: str) -> tuple[int | None, str]:
    """A Harte-style label ('Bb:min7', 'F#:maj7/5', 'N') -> (root pitch class, 'maj'|'min'|...)."""
    label = label.strip()
    if label in ("N", "X", ""):
        return None, "N"
    root_text, _, quality = label.partition(":")
    letters = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
    if not root_text or root_text[0].upper() not in letters:
        raise ValueError(f"Unknown chord root in '{label}'.")
    pc = letters[root_text[0].upper()]
    for accidental in root_text[1:]:
        pc += 1 if accidental == "#" else -1 if accidental == "b" else 0
    quality = quality.split("/")[0].split("(")[0] or "maj"
    return pc % 12, quality


def major_or_minor(quality: str) -> str | None:
    """The MIREX 'majmin' reduction: maj or min by the third, None for chords with neither."""
    if quality.startswith(("min", "hdim", "dim")):
        return "min" if quality.startswith("min") else None
    if quality.startswith(("maj", "7", "9", "aug")) or quality in ("", "6"):
        return "maj" if not quality.startswith("aug") else None
    return None
