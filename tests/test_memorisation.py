"""`compare --training` finds copies in any key, and reads every tune of an ABC tune book."""

from __future__ import annotations

from pathlib import Path

from symusic import Note

from helpers import make_score
from sonatina.analysis import compare as C
from sonatina.analysis.memorisation import bar_windows, memorisation, note_codes

DATA = Path(__file__).parent / "data"


def transposed(score, semitones: int):
    out = score.copy()
    for track in out.tracks:
        for note in track.notes:
            note.pitch += semitones
    return out


def test_a_transposed_copy_of_a_training_piece_is_caught():
    training = [make_score(seed=s, bars=8) for s in range(5)]
    copy = transposed(training[3], 5)  # the same piece a fourth higher, as a generated piece would be
    memo = memorisation([copy, make_score(seed=99, bars=8)], training)
    notes = sum(len(t.notes) for t in copy.tracks)
    copied, fresh = memo["per_piece"]
    assert copied["longest_copied_notes"] == notes and copied["copied_share"] == 1.0
    assert copied["windows_found"] == copied["windows"] == 8 - 4 + 1
    assert fresh["windows_found"] == 0 and fresh["longest_copied_notes"] < notes / 2


def test_a_transposed_four_bars_inside_new_music_are_found_as_one_window():
    source = make_score(seed=7, bars=8)
    bar = 4 * source.ticks_per_quarter
    piece = make_score(seed=50, bars=8)
    # bars 1-4 of the new piece become bars 3-6 of the source, three semitones down
    borrowed = [Note(n.time - bar, n.duration, n.pitch - 3, n.velocity)
                for t in source.tracks for n in t.notes if 2 * bar <= n.time < 6 * bar]
    for track in piece.tracks:
        track.notes = [n for n in track.notes if not (bar <= n.time < 5 * bar)]
    piece.tracks[0].notes.extend(borrowed)
    memo = memorisation([piece], [source])
    assert memo["windows_found"] == 1
    assert memo["longest_copied_notes_max"] >= len(borrowed)


def test_codes_and_windows_ignore_the_key_but_not_the_tune():
    score = make_score(seed=1)
    assert (note_codes(score) == note_codes(transposed(score, -7))).all()
    assert bar_windows(score) == bar_windows(transposed(score, 11))
    inverted = score.copy()
    for track in inverted.tracks:
        for note in track.notes:
            note.pitch = 120 - note.pitch  # same rhythm, melody upside down: not a copy
    assert not set(bar_windows(score)) & set(bar_windows(inverted))


def test_every_tune_of_an_abc_book_is_a_piece(tmp_path):
    folder = tmp_path / "folk"
    folder.mkdir()
    (folder / "three_tunes.abc").write_bytes((DATA / "three_tunes.abc").read_bytes())
    make_score(seed=2).dump_midi(str(folder / "one.mid"))
    pieces = C.load_set(folder, "training")
    # tune 1 changes metre and back, which music21's MIDI writer refuses unless the reused
    # time signature is copied: all three tunes must arrive
    assert sorted(pieces.names) == ["one.mid", "three_tunes.abc#0", "three_tunes.abc#1", "three_tunes.abc#2"]
    assert pieces.skipped == []
    assert all(s.note_num() > 10 for s in pieces.scores)
