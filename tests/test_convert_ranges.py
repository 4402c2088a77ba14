"""Convert: every new part sounds inside its voice's range in every key.

The model writes in the frame moved to C, while a voice's range is the instrument's sounding
compass; comparing the two frames let a piece in F# sound up to 6 semitones outside it."""

from __future__ import annotations

import pytest
from symusic import Note, Score, Tempo, Track

from sonatina.compose.convert import ARRANGEMENTS, Voice, convert_score
from sonatina.model.registry import load_model

TPQ = 480
BARS = 8
MAJOR = (0, 2, 4, 5, 7, 9, 11)


def song_in(tonic: int) -> Score:
    """A tune high in the treble over I-vi-IV-V block chords in the major key of `tonic` (0-11)."""
    score = Score(TPQ)
    score.tempos = [Tempo(0, qpm=100.0)]
    tune, piano = Track(name="Melody"), Track(name="Piano")
    top = 72 + tonic  # the tune's tonic, C5-B5: room under it for every voice's top
    line = [0, 2, 4, 2, 3, 2, 1, 0]  # scale degrees
    chords = [(0, 2, 4), (5, 7, 9), (3, 5, 7), (4, 6, 8)]
    for bar in range(BARS):
        for beat in range(4):
            d = line[(bar + beat) % 8]
            tune.notes.append(Note((bar * 4 + beat) * TPQ, TPQ, top + MAJOR[d], 90))
        for d in chords[bar % 4]:
            pitch = 48 + tonic + 12 * (d // 7) + MAJOR[d % 7]
            piano.notes.append(Note(bar * 4 * TPQ, 4 * TPQ, pitch, 60))
    score.tracks.extend([tune, piano])
    return score


@pytest.fixture(scope="module")
def model():
    return load_model("default")


def voice_of(track_name: str, voices: tuple[Voice, ...]) -> Voice:
    """The voice a part of the output comes from (a 'Bass' part split off from a voice's low notes
    belongs to that voice)."""
    for v in voices:
        if v.name.title() == track_name:
            return v
    return next(v for v in voices if v.bass and track_name == "Bass")


# F# (moved up 6 to C), F (down 5): the two ends of the frame's shift; B (up 1)
@pytest.mark.parametrize("tonic", [6, 5, 11])
@pytest.mark.parametrize("genre", sorted(ARRANGEMENTS))
def test_no_new_note_sounds_outside_its_voices_range(model, genre, tonic):
    frame = ARRANGEMENTS[genre]
    outs, _ = convert_score(model, None, song_in(tonic), genre, seeds=[1, 2])
    checked = 0
    for out in outs:
        for track in out.tracks:
            if track.is_drum or track.name == "Melody":
                continue
            voice = voice_of(track.name, frame.voices)
            outside = sorted({n.pitch for n in track.notes if not voice.low <= n.pitch <= voice.high})
            assert not outside, f"{genre} {track.name} in tonic {tonic}: {outside} outside {voice.low}-{voice.high}"
            checked += len(track.notes)
    assert checked >= BARS  # the parts were written

