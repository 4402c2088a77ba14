"""The engraved score's part names: a reader sees the instrument, or the name a person gave the track."""

from __future__ import annotations

import pytest
from music21 import converter
from symusic import Note, Score, Track

from sonatina import api
from sonatina.music.instruments import instrument_name


def _part_names(score: Score, tmp_path) -> list[str]:
    parsed = converter.parse(str(api.export_score(score, tmp_path / "piece.musicxml")))
    return [part.partName for part in parsed.parts]


def _tune(name: str, program: int) -> Score:
    score = Score(480)
    track = Track(name=name, program=program)
    track.notes.extend(Note(beat * 480, 480, 60 + beat % 8, 80) for beat in range(8))  # one staff
    score.tracks.append(track)
    return score


def test_a_generated_piece_names_its_part_after_the_instrument(tmp_path):
    piece = api.compose(seconds=6, instrument="tenor sax", seed=3)[0]
    assert {t.program for t in piece.score.tracks} == {66}
    names = _part_names(piece.score, tmp_path)
    assert names and set(names) == {instrument_name(66)} == {"Tenor Sax"}


@pytest.mark.parametrize("given", ["Sonatina", "", "  ", "Track 1", "MIDI 02", "untitled"])
def test_no_name_or_a_placeholder_gives_the_instrument(tmp_path, given):
    assert _part_names(_tune(given, 73), tmp_path) == ["Flute"]


def test_a_name_a_person_gave_is_kept(tmp_path):
    assert _part_names(_tune("Melody", 66), tmp_path) == ["Melody"]
    assert _part_names(_tune("Sonatina theme", 0), tmp_path) == ["Sonatina theme"]
