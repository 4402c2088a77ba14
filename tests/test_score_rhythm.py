"""The engraved score's rhythms are plain: sixteenths, and eighth-note triplets only inside a beat
that holds them (no "12" or "24" tuplets, no tuplet bracket over rests alone), a piece played a
32nd late is written on the beat, and the notes keep their pitches and onsets."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from music21 import converter
from symusic import Note, Score, Track

from sonatina import api
from sonatina.audio import notation, score_rhythm

POP909 = Path("/work/shared/datasets/pop909/001/001.mid")


def tuplets(xml: bytes) -> tuple[set[tuple[int, int]], int, int]:
    """(every tuplet ratio written, brackets drawn, brackets that enclose only rests)."""
    ratios, brackets, rests_only = score_rhythm.tuplets_written(xml)
    return set(ratios), brackets, rests_only


def heard(xml: bytes) -> list[tuple[Fraction, int]]:
    """(onset in quarters, MIDI pitch) of every note the MusicXML starts (tied continuations left out)."""
    parsed = converter.parseData(xml.decode("utf-8"), format="musicxml")
    return sorted((Fraction(n.getOffsetInHierarchy(parsed)).limit_denominator(96), p.midi) for n in parsed.flatten().notes
                  for p in n.pitches if not (n.tie and n.tie.type in ("stop", "continue")))


def pitched(score: Score) -> list[tuple[float, int]]:
    tpq = score.ticks_per_quarter
    return [(n.time / tpq, n.pitch) for t in score.tracks if not t.is_drum for n in t.notes]


def assert_plain(xml: bytes) -> None:
    ratios, _, rests_only = tuplets(xml)
    assert ratios <= {(3, 2)}, f"tuplets other than triplets: {ratios}"
    assert rests_only == 0


def assert_kept(score: Score, xml: bytes) -> None:
    """Every note written where it was played, less the piece's lag and within half a grid step
    (a sixth of a quarter, on the triplet grid), with its pitch; and nothing written that was not played."""
    shift = float(score_rhythm.lag(np.array([t for t, _ in pitched(score)])))
    played = {}
    for time, pitch in pitched(score):
        played.setdefault(pitch, []).append(time - shift)
    written = heard(xml)
    for onset, pitch in written:
        assert min(abs(float(onset) - t) for t in played[pitch]) <= 1 / 6 + 1e-9, (onset, pitch)
    by_pitch = {}
    for onset, pitch in written:
        by_pitch.setdefault(pitch, []).append(float(onset))
    for pitch, times in played.items():
        assert all(min(abs(w - t) for w in by_pitch[pitch]) <= 1 / 6 + 1e-9 for t in times), pitch


def _piece(*notes: tuple[float, float, int]) -> Score:
    score = Score(480)
    track = Track(name="Flute", program=73)
    track.notes.extend(Note(round(t * 480), round(d * 480), p, 80) for t, d, p in notes)
    score.tracks.append(track)
    return score


def test_a_sixteenth_end_before_a_triplet_beat_writes_no_nested_tuplet():
    # a note ending on a sixteenth (2.25), then triplets on the second and third thirds of beat 3:
    # the rest between them, 13/12 of a quarter, was written as a "24" tuplet
    tune = [(0, 1, 72), (1, 1, 74), (2, 0.25, 76), (10 / 3, 1 / 3, 77), (11 / 3, 1 / 3, 76), (4, 2, 74)]
    xml = notation.musicxml(_piece(*tune))
    assert_plain(xml)
    assert tuplets(xml)[1] == 1  # one bracket, over beat 3's triplet rest and two notes
    assert heard(xml) == [(Fraction(t).limit_denominator(12), p) for t, _, p in tune]


def test_a_whole_piece_a_32nd_late_is_written_on_the_beat():
    # the pop genre learned POP909's habit of playing every note after the beat: eighths a 32nd late
    eighths = [(0.5 * i + 0.125, 0.5, 60 + (i * 5) % 12) for i in range(32)]
    score = _piece(*eighths)
    assert score_rhythm.lag(np.array([t for t, _, _ in eighths])) == Fraction(1, 8)
    xml = notation.musicxml(score)
    assert tuplets(xml) == (set(), 0, 0)
    assert heard(xml) == [(Fraction(i, 2), p) for i, (_, _, p) in enumerate(eighths)]
    assert ET.fromstring(xml).findall(".//note/type")[0].text == "eighth"  # no rests, no sixteenths


def test_a_lone_swung_eighth_is_written_straight_and_triplets_need_both_thirds():
    assert score_rhythm.beat_grids(np.array([0, 2 / 3, 1, 4 / 3, 5 / 3])) == {0: 4, 1: 3}
    assert score_rhythm.lag(np.array([0, 1 / 3, 2 / 3, 1, 4 / 3, 5 / 3])) == 0  # triplets are not a lag


def test_short_breaths_are_part_of_the_note_and_nothing_crosses_a_barline():
    items = score_rhythm.written(score_rhythm.events([(0, 0.375, 60), (0.5, 0.5, 62), (3.5, 1, 64)]), Fraction(4))
    assert [(i.onset, i.length, i.pitches, i.tie) for i in items] == [
        (0, Fraction(1, 2), (60,), None), (Fraction(1, 2), Fraction(1, 2), (62,), None), (1, Fraction(5, 2), (), None),
        (Fraction(7, 2), Fraction(1, 2), (64,), "start"), (4, Fraction(1, 2), (64,), "stop"), (Fraction(9, 2), Fraction(7, 2), (), None)]


@pytest.fixture(scope="module")
def model():
    return api.load_model("default")


def test_generated_pieces_in_every_genre_are_plain_and_keep_their_notes(model):
    for index, genre in enumerate(model.genres):
        piece = api.compose(model, seconds=30, genre=genre, seed=index + 1)[0]
        xml = notation.musicxml(piece.score)
        assert_plain(xml)
        assert_kept(piece.score, xml)


def test_a_long_generated_pop_piece_is_plain(model):
    # the piece the reader saw "12" and "24" brackets in (3 minutes of pop, seed 1), its first 40 bars
    genre = "pop" if "pop" in model.genres else model.genres[0]
    score = api.compose(model, seconds=180, genre=genre, seed=1)[0].score
    score = score.clip(0, 160 * score.ticks_per_quarter)
    xml = notation.musicxml(score)
    assert_plain(xml)
    assert_kept(score, xml)


@pytest.mark.skipif(not POP909.is_file(), reason="POP909 is not under /work/shared/datasets")
def test_a_pop909_song_is_plain_and_keeps_its_notes():
    score = Score(str(POP909))
    score = score.clip(0, 96 * score.ticks_per_quarter)
    assert score_rhythm.lag(np.array([t for t, _ in pitched(score)])) == Fraction(1, 12)  # a 12th late throughout
    xml = notation.musicxml(score)
    assert_plain(xml)
    assert_kept(score, xml)


def test_a_long_note_off_the_grid_is_cut_only_where_its_beats_begin_and_end():
    items = score_rhythm.written([score_rhythm.Item(Fraction(1, 3), Fraction(14, 3), (60,))], Fraction(4))
    assert [(i.onset, i.length, i.tie) for i in items if i.pitches] == [
        (Fraction(1, 3), Fraction(2, 3), "start"), (1, 3, "continue"), (4, 1, "stop")]  # a dotted half between


def test_a_bar_longer_than_a_breve_is_written_in_whole_notes():
    # a file's 255/1 metre: one bar of 1020 quarters, whose rest music21 could not write at all
    from symusic import TimeSignature

    score = _piece((0, 1, 72), (1 / 3, 1 / 3, 74), (2 / 3, 1 / 3, 76), (5.5, 1, 77))
    score.time_signatures.append(TimeSignature(0, 255, 1))
    xml = notation.musicxml(score)
    assert_plain(xml)
    assert heard(xml) == [(0, 72), (Fraction(1, 3), 74), (Fraction(2, 3), 76), (Fraction(11, 2), 77)]
