"""Melody and bass: which notes of a piece carry its tune, and which its bass line.

A track whose name says so (melody, vocal, voice, lead, soprano, ...) is the melody. Otherwise
the melody is the pitched track above the bass register that plays through most of the piece
one note at a time (see the scoring below); a single-track piece
(piano music) falls back to the skyline, the highest note at each onset (Uitdenbogerd & Zobel
1998 found it the best simple melody extractor). Whatever the source, the melody returned is
monophonic: a note is cut where the next one starts.
"""

from __future__ import annotations

import re

import numpy as np
from symusic import Note, Score

MELODY_NAME = re.compile(r"melod|vocal|voice|vox|lead|sing|soprano|tune|theme", re.IGNORECASE)
BASS_REGISTER = 52  # tracks sounding lower than this on average (E3) are bass lines, not melodies
# Scoring unnamed tracks: a melody plays through most of the piece, one note at a time; a higher
# register only breaks near-ties (counter-melodies often sit above the tune). Chosen on POP909
# with its track names hidden: the named MELODY track is found in 0.91 of its 909 songs.
CHORD_PENALTY, PITCH_WEIGHT = 10.0, 0.1


def _onset_chord_share(notes) -> float:
    times = np.array([n.time for n in notes])
    _, counts = np.unique(times, return_counts=True)
    return float((counts > 1).mean()) if len(counts) else 1.0


def _coverage(notes, bar_ticks: int, bars: int) -> float:
    return len({n.time // bar_ticks for n in notes}) / max(1, bars)


def melody_track(score: Score) -> int | None:
    """Index of the track holding the melody, or None when it has to come from a skyline."""
    pitched = [(i, t) for i, t in enumerate(score.tracks) if not t.is_drum and len(t.notes)]
    for i, track in pitched:
        if MELODY_NAME.search(track.name or ""):
            return i
    if len(pitched) < 2:
        return None
    bar_ticks = 4 * score.ticks_per_quarter
    bars = max(n.time for _, t in pitched for n in t.notes) // bar_ticks + 1

    def score_of(track) -> float:
        mean_pitch = float(np.mean([n.pitch for n in track.notes]))
        return (_coverage(track.notes, bar_ticks, bars) - CHORD_PENALTY * _onset_chord_share(track.notes)
                + PITCH_WEIGHT * mean_pitch / 12)

    candidates = [(score_of(t), i) for i, t in pitched if np.mean([n.pitch for n in t.notes]) >= BASS_REGISTER]
    return max(candidates)[1] if candidates else None


def skyline(notes, highest: bool = True) -> list[Note]:
    """One note per onset (the highest, or the lowest), each cut where the next begins."""
    by_onset: dict[int, Note] = {}
    for note in notes:
        kept = by_onset.get(note.time)
        if kept is None or (note.pitch > kept.pitch if highest else note.pitch < kept.pitch):
            by_onset[note.time] = note
    line = [by_onset[t].copy() for t in sorted(by_onset)]
    for current, following in zip(line, line[1:]):
        current.duration = max(1, min(current.duration, following.time - current.time))
    return line


def extract_melody(score: Score, track: int | None = None) -> tuple[list[Note], int | None]:
    """(the melody's notes, the track they came from or None for a skyline of every pitched track)."""
    if track is None:
        track = melody_track(score)
    if track is not None:
        return skyline(score.tracks[track].notes), track
    return skyline([n for t in score.tracks if not t.is_drum for n in t.notes]), None


def extract_bass(score: Score, melody: list[Note], exclude_track: int | None = None) -> list[Note]:
    """The lowest note at each onset of the other pitched notes, where it is the lowest note sounding
    then and below the melody sounding then. Why "sounding": a counter-melody's note struck over a
    held chord is not the bass (POP909's bridge lines became a "bass" up to Bb5 under a silent tune)."""
    by_onset: dict[int, list[Note]] = {}
    for i, t in enumerate(score.tracks):
        if not t.is_drum and i != exclude_track:
            for n in t.notes:
                by_onset.setdefault(n.time, []).append(n)
    tune = sorted(melody, key=lambda n: n.time)
    overlap = score.ticks_per_quarter // 8  # a legato note let go just after the next onset is not held
    line, held, m = [], [], 0  # held: notes struck at earlier onsets, some still sounding
    for time in sorted(by_onset):
        note = min(by_onset[time], key=lambda n: n.pitch)
        held = [h for h in held if h.time + h.duration > time + overlap]
        while m + 1 < len(tune) and tune[m + 1].time <= time:
            m += 1
        sung = tune[m] if tune and tune[m].time <= time < tune[m].time + tune[m].duration else None
        if all(h.pitch >= note.pitch for h in held) and (sung is None or note.pitch < sung.pitch):
            line.append(note)
        held += by_onset[time]
    return skyline(line, highest=False)
