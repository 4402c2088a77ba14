"""How the parts around a tune are played: texture and rhythm features of a piece's accompaniment.

The accompaniment is every pitched note that is not the melody (music.melody finds it: the
track named or judged the melody, else the top line). Its features describe the playing, not
the tune and not the key: register and spread, how many notes start together and how wide
those chords are, note lengths, where onsets fall inside the beat and the bar, how regularly
a bar's rhythm comes back in the next, how busy it is, how often it rests, and how many pitch
classes sound per beat. The key-relative pitch classes are left out on purpose: a conversion
keeps its source's harmony, so they would judge the source, not the playing.
"""

from __future__ import annotations

import numpy as np
from symusic import Note, Score

from sonatina.music.melody import extract_melody

POSITIONS_PER_BEAT = 4
BEATS_PER_BAR = 4
DURATION_EDGES = np.array([0.125, 0.25, 0.5, 1.0, 2.0, 4.0])  # note lengths in beats
MIN_NOTES = 8


def feature_names() -> list[str]:
    names = ["pitch_mean", "pitch_std", "pitch_range", "lowest_mean", "log_notes_per_beat", "notes_per_onset",
             "chord_onsets", "single_onsets", "chord_span", "rest_share", "pcs_per_beat", "bar_repeat",
             "onsets_per_beat", "offgrid_share"]
    names += [f"duration_bin_{i}" for i in range(len(DURATION_EDGES) + 1)]
    names += [f"onset_in_beat_{i}" for i in range(POSITIONS_PER_BEAT)]
    names += [f"onset_on_beat_{i}" for i in range(BEATS_PER_BAR)]
    return names


def accompaniment_notes(score: Score) -> list[Note]:
    """The pitched notes of a score that are not its melody."""
    melody, track = extract_melody(score)
    if track is not None:
        return [n for i, t in enumerate(score.tracks) if not t.is_drum and i != track for n in t.notes]
    top = {(n.time, n.pitch) for n in melody}
    return [n for t in score.tracks if not t.is_drum for n in t.notes if (n.time, n.pitch) not in top]


def note_features(notes: list[Note], tpq: int) -> np.ndarray | None:
    """Feature vector (order: feature_names()) of accompaniment notes, or None for fewer than MIN_NOTES."""
    if len(notes) < MIN_NOTES:
        return None
    time = np.array([n.time for n in notes], dtype=float) / tpq
    dur = np.array([n.duration for n in notes], dtype=float) / tpq
    pitch = np.array([n.pitch for n in notes], dtype=float)
    start = np.floor(time.min() / BEATS_PER_BAR) * BEATS_PER_BAR  # the bar grid of the piece
    time -= start
    span = max(float((time + dur).max()), 1.0)
    grid = np.round(time * POSITIONS_PER_BEAT).astype(int)
    onsets, per_onset = np.unique(grid, return_counts=True)
    order = np.argsort(grid, kind="stable")
    groups = np.split(pitch[order], np.cumsum(per_onset)[:-1])
    lows = np.array([g.min() for g in groups])
    spans = np.array([g.max() - g.min() for g in groups])
    beats = int(np.ceil(span))
    sounding = np.zeros(beats * POSITIONS_PER_BEAT + 1, dtype=bool)
    pcs_per_beat = np.zeros((beats + 1, 12), dtype=bool)
    for t, d, p in zip(time, dur, pitch):
        a = int(round(t * POSITIONS_PER_BEAT))
        sounding[a:max(a + 1, int(round((t + d) * POSITIONS_PER_BEAT)))] = True
        pcs_per_beat[int(t), int(p) % 12] = True
    used_beats = pcs_per_beat.any(axis=1)
    per_bar = BEATS_PER_BAR * POSITIONS_PER_BEAT
    bars = int(onsets.max() // per_bar) + 1
    patterns = np.zeros((bars, per_bar), dtype=bool)
    patterns[onsets // per_bar, onsets % per_bar] = True
    busy = patterns.any(axis=1)
    pairs = [(a, b) for a, b in zip(patterns[:-1], patterns[1:]) if a.any() and b.any()]
    repeat = float(np.mean([(a & b).sum() / (a | b).sum() for a, b in pairs])) if pairs else 0.0
    offgrid = np.abs(time * POSITIONS_PER_BEAT - np.round(time * POSITIONS_PER_BEAT)) > 0.2
    in_beat = onsets % POSITIONS_PER_BEAT
    on_beat = (onsets[in_beat == 0] // POSITIONS_PER_BEAT) % BEATS_PER_BAR
    head = [pitch.mean() / 12.0, pitch.std() / 12.0, (pitch.max() - pitch.min()) / 12.0, lows.mean() / 12.0,
            np.log(len(notes) / span), per_onset.mean(), float(np.mean(per_onset >= 3)), float(np.mean(per_onset == 1)),
            spans.mean() / 12.0, 1.0 - float(sounding[:int(span * POSITIONS_PER_BEAT)].mean()),
            float(pcs_per_beat[used_beats].sum(axis=1).mean()), repeat,
            len(onsets) / max(1.0, busy.sum() * BEATS_PER_BAR), float(offgrid.mean())]
    durations = np.bincount(np.searchsorted(DURATION_EDGES, dur), minlength=len(DURATION_EDGES) + 1) / len(dur)
    return np.concatenate([head, durations,
                           np.bincount(in_beat, minlength=POSITIONS_PER_BEAT) / len(onsets),
                           np.bincount(on_beat, minlength=BEATS_PER_BAR) / max(1, len(on_beat))])


def features(score: Score) -> np.ndarray | None:
    """Accompaniment features of a score, or None when it has (almost) no accompaniment."""
    return note_features(accompaniment_notes(score), score.ticks_per_quarter)
