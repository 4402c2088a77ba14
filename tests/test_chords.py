"""Chord recognition: known progressions come back, labels parse, smoothing holds a chord."""

from __future__ import annotations

from symusic import Note, Score, Track

from sonatina.music.chords import estimate_chords, major_or_minor, merge, parse_label

TPQ = 480


def progression(chords: list[tuple[int, ...]], beats_each: int = 4, melody: bool = True) -> Score:
    """Block chords (one per bar) with a bass note an octave down and a passing melody above."""
    score = Score(TPQ)
    harmony, tune = Track(name="PIANO"), Track(name="MELODY")
    for bar, pitches in enumerate(chords):
        start, length = bar * beats_each * TPQ, beats_each * TPQ
        harmony.notes.append(Note(start, length, pitches[0] - 12, 70))
        for p in pitches:
            harmony.notes.append(Note(start, length, p, 60))
        if melody:  # chord tones on the beats, one passing tone off the beat
            for beat in range(beats_each):
                pitch = pitches[beat % len(pitches)] + 12
                tune.notes.append(Note(start + beat * TPQ, TPQ // 2, pitch, 80))
                tune.notes.append(Note(start + beat * TPQ + TPQ // 2, TPQ // 2, pitch + 2, 80))
    score.tracks.extend([harmony, tune])
    return score


def test_a_known_progression_is_recognised_beat_by_beat():
    # C major, A minor, F major, G7 (root position, bass doubled an octave down)
    score = progression([(60, 64, 67), (57, 60, 64), (53, 57, 60), (55, 59, 62, 65)])
    names = [c.name for c in merge(estimate_chords(score))]
    assert names == ["C:maj", "A:min", "F:maj", "G:7"]


def test_beats_without_notes_are_no_chord_and_drums_are_ignored():
    score = progression([(60, 64, 67)], beats_each=2, melody=False)
    drums = Track(name="DRUMS", is_drum=True)
    drums.notes.extend(Note(t * TPQ, TPQ // 4, 38, 100) for t in range(8))
    score.tracks.append(drums)
    chords = estimate_chords(score)
    assert [c.name for c in chords] == ["C:maj", "C:maj"]  # drums past the harmony add no frames
    score.tracks[0].notes.append(Note(6 * TPQ, TPQ, 62, 60))  # one beat of D after two silent ones
    assert [c.root for c in estimate_chords(score)][2:4] == [None, None]


def test_harte_labels_parse_and_reduce():
    assert parse_label("Bb:min7") == (10, "min7")
    assert parse_label("F#:maj7/5") == (6, "maj7")
    assert parse_label("C#:maj") == (1, "maj")
    assert parse_label("N") == (None, "N")
    assert major_or_minor("min7") == "min" and major_or_minor("maj6") == "maj"
    assert major_or_minor("sus4") is None and major_or_minor("hdim7") is None
