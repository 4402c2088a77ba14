"""Melody and bass extraction: named tracks, unnamed tracks, skylines."""

from __future__ import annotations

from symusic import Note, Score, Track

from sonatina.music.melody import extract_bass, extract_melody, melody_track, skyline

TPQ = 480


def four_part(tune_name: str = "", chords_name: str = "") -> Score:
    """A tune (one note per beat), block chords under it, a bass line: 8 bars."""
    score = Score(TPQ)
    tune, chords, bass = Track(name=tune_name), Track(name=chords_name), Track()
    for beat in range(32):
        tune.notes.append(Note(beat * TPQ, TPQ, 72 + (beat * 5) % 7, 90))
        if beat % 4 == 0:
            for p in (60, 64, 67):
                chords.notes.append(Note(beat * TPQ, 4 * TPQ, p, 60))
            bass.notes.append(Note(beat * TPQ, 4 * TPQ, 36 + beat % 5, 70))
    score.tracks.extend([chords, bass, tune])
    return score


def test_the_tune_is_found_without_names_and_by_name():
    assert melody_track(four_part()) == 2
    assert melody_track(four_part(chords_name="Lead vocal")) == 0  # a name wins over any scoring


def test_melody_is_monophonic_and_keeps_onsets_and_pitches():
    score = four_part()
    melody, track = extract_melody(score)
    assert track == 2 and len(melody) == 32
    assert [(n.time, n.pitch) for n in melody] == [(n.time, n.pitch) for n in score.tracks[2].notes]
    bass = extract_bass(score, melody, exclude_track=track)
    assert [n.pitch for n in bass[:3]] == [36, 40, 39]  # the lowest note of each onset


def test_single_track_piano_falls_back_to_the_skyline():
    piano = Track(name="Piano")
    piano.notes.extend([Note(0, 960, 60, 60), Note(0, 480, 76, 80), Note(480, 480, 79, 80), Note(480, 480, 55, 60)])
    score = Score(TPQ)
    score.tracks.append(piano)
    melody, track = extract_melody(score)
    assert track is None and [(n.time, n.pitch, n.duration) for n in melody] == [(0, 76, 480), (480, 79, 480)]
    assert [n.pitch for n in skyline(piano.notes, highest=False)] == [60, 55]


def test_a_counter_line_over_held_chords_is_not_the_bass():
    # POP909-like: a tune that rests, a bridge line struck between the piano's held chords; the
    # bridge's notes were taken as "bass" (up to Bb5) wherever no chord began at the same moment
    score = Score(TPQ)
    tune, bridge, piano = Track(name="Melody"), Track(name="Bridge"), Track(name="Piano")
    tune.notes.append(Note(0, TPQ, 79, 90))  # then silent
    for bar in range(4):
        piano.notes.extend(Note(bar * 4 * TPQ, 4 * TPQ - 10, p, 60) for p in (47, 54, 59))
        bridge.notes.extend(Note(bar * 4 * TPQ + beat * TPQ, TPQ, 80 + beat, 70) for beat in (1, 2, 3))
    score.tracks.extend([tune, bridge, piano])
    melody, track = extract_melody(score)
    assert track == 0
    bass = extract_bass(score, melody, exclude_track=track)
    assert [(n.time, n.pitch) for n in bass] == [(bar * 4 * TPQ, 47) for bar in range(4)]
