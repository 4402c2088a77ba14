"""Chorale voices held without a gap (issue 11): the rule, and what a composed chorale gets."""

from __future__ import annotations

import numpy as np
from symusic import Note, Score, Track

from sonatina import api
from sonatina.analysis import metrics as M
from sonatina.compose.legato import held_voices, hold_voices


def chorale_with_gaps() -> Score:
    score = Score(480)
    track = Track("choir", 0)
    # beat 1: a chord whose notes stop half-way; beat 2: one voice alone; beat 3: a chord whose
    # upper notes stop early while its bass holds; beat 4: the bass again, and a short soprano
    for time, duration, pitch in [(0, 240, 48), (0, 240, 55), (0, 480, 64), (0, 240, 72),
                                  (480, 240, 60), (960, 960, 43), (960, 120, 67), (1440, 120, 67)]:
        track.notes.append(Note(time, duration, pitch, 80))
    score.tracks.append(track)
    return score


def sounding(score: Score, tick: int) -> list[int]:
    return [n.pitch for n in score.tracks[0].notes if n.time <= tick < n.time + n.duration]


def test_every_moment_keeps_two_voices_and_nothing_else_moves():
    score = chorale_with_gaps()
    before = {(n.time, n.pitch): n.duration for n in score.tracks[0].notes}
    assert len(sounding(score, 300)) == 1 and len(sounding(score, 720)) == 0  # the gaps the rule closes
    hold_voices(score, 2)
    after = {(n.time, n.pitch): n.duration for n in score.tracks[0].notes}
    assert after.keys() == before.keys()  # onsets and pitches kept
    assert all(after[k] >= before[k] for k in before)  # notes are only ever held longer
    assert all(len(sounding(score, t)) >= 2 for t in range(0, 1440, 10))
    assert all(len(set(sounding(score, t))) == len(sounding(score, t)) for t in range(0, 1920, 10))  # no pitch twice
    assert after[(0, 48)] == 960 - 0 and after[(480, 60)] == 480  # the voices sounding last are held
    assert after[(0, 55)] == 240 and after[(0, 72)] == 240  # and no more than two
    # beat 3's soprano ends early, but it is sung again on beat 4: it is not held into that note
    assert after[(960, 67)] == 480


def test_no_voices_asked_changes_nothing():
    score = chorale_with_gaps()
    before = [(n.time, n.duration, n.pitch) for n in score.tracks[0].notes]
    hold_voices(score, held_voices("jazz"))
    assert [(n.time, n.duration, n.pitch) for n in score.tracks[0].notes] == before


def test_composed_chorales_never_thin_to_one_voice_once_the_choir_has_entered():
    pieces = api.compose(seconds=30, genre="chorale", seed=11, variations=4)
    for piece in pieces:
        roll = M._pianoroll(piece.score).sum(axis=1)
        entered = int(np.argmax(roll >= 2))
        assert (roll[entered:] >= 2).all(), piece.seed


def test_a_voice_is_not_held_into_its_own_next_note():
    score = Score(480)
    track = Track("choir", 0)
    # three voices asked: a held bass; a tenor C and an alto G that stop early on beat 1; the C is
    # sung again, short, on beat 2; a chord on beat 3
    for time, duration, pitch in [(0, 960, 48), (0, 240, 60), (0, 240, 67), (480, 120, 60),
                                  (960, 480, 50), (960, 480, 62)]:
        track.notes.append(Note(time, duration, pitch, 80))
    score.tracks.append(track)
    hold_voices(score, 3)
    ends = {(n.time, n.pitch): n.time + n.duration for n in track.notes}
    # the first C reaches its restrike and stops there; the G is held on instead
    assert ends[(0, 60)] == 480 and ends[(480, 60)] == 960 and ends[(0, 67)] == 960


def test_a_primer_continued_as_a_chorale_keeps_its_note_lengths(tmp_path):
    primer = Score(480)
    track = Track("primer", 0)
    # two chords whose notes stop early: the gaps a chorale would have held, but they are the user's
    for time, pitch in [(0, 48), (0, 55), (0, 64), (960, 50), (960, 57), (960, 65)]:
        track.notes.append(Note(time, 240, pitch, 80))
    primer.tracks.append(track)
    path = tmp_path / "primer.mid"
    primer.dump_midi(str(path))
    piece = api.compose(seconds=12, genre="chorale", primer=str(path), seed=3, tempo=120)[0]
    given = {(n.time, n.pitch) for n in track.notes}
    kept = sorted((n.time, n.pitch, n.duration) for t in piece.score.tracks for n in t.notes if (n.time, n.pitch) in given)
    assert [(t, d) for t, _, d in kept] == [(0, 240)] * 3 + [(960, 240)] * 3
    roll = M._pianoroll(piece.score).sum(axis=1)
    assert (roll[len(roll) // 2:] >= 2).all()  # the new music after it is held as any chorale's
