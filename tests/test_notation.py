"""The engraved score's part names: a reader sees the instrument, or the name a person gave the track;
and its MusicXML, written with less of music21's work for the same bytes and clefs."""

from __future__ import annotations

from fractions import Fraction

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


def _comparable(xml: bytes) -> bytes:
    """MusicXML without what differs between two runs: the date, and music21's random part ids."""
    import re

    xml = re.sub(rb"<encoding-date>.*?</encoding-date>", b"", xml)
    ids: dict[bytes, bytes] = {}
    return re.sub(rb'"P[0-9a-f]{32}"', lambda m: ids.setdefault(m[0], b'"P%d"' % len(ids)), xml)


def test_the_export_writes_what_music21s_full_exporter_writes():
    # musicxml() skips the exporter's copy and second notation pass: the same bytes must come out,
    # here with a piano's two staves, triplets, ties over barlines and 5/4-long rests
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    from sonatina.audio import notation

    score = Score(480)
    piano = Track(name="", program=0)
    treble = [(0, 1, 72), (1, 1 / 3, 74), (4 / 3, 1 / 3, 75), (5 / 3, 1 / 3, 77), (2, 0.25, 79), (3.5, 1.5, 78),
              (5.75, 0.25, 76), (7, 2, 74)]
    bass = [(0, 2, 48), (0, 2, 55), (2.75, 0.25, 43), (4, 4, 50)]  # a 5/4 rest after the sixteenth
    piano.notes.extend(Note(round(t * 480), round(d * 480), p, 80) for t, d, p in treble + bass)
    score.tracks.append(piano)
    ours = notation.musicxml(score)
    assert b"<tuplet " in ours and b'<tie type="start"' in ours and b"<staff>2</staff>" in ours
    assert _comparable(ours) == _comparable(GeneralObjectExporter(notation.to_music21(score)).parse())


@pytest.mark.parametrize("low", [36, 48, 55, 62, 79])
def test_the_clef_is_the_one_music21_finds_for_the_whole_staff(low):
    from music21 import clef, stream

    from sonatina.audio import notation, score_rhythm

    items = score_rhythm.written(score_rhythm.events([(i / 2, 0.5, low + (i * 7) % 13) for i in range(24)]), Fraction(4))
    whole = notation._staff(stream.Part, items, clef.TrebleClef(), [])
    assert type(notation._best_clef(items)) is type(clef.bestClef(whole))
