"""One instrument cannot strike the same key twice at once: composing never writes a pitch twice
at one onset in a track (the model, trained partly on POP909's merged melody and piano tracks,
did so for 2-4 % of its notes)."""

from __future__ import annotations

from sonatina import api
from sonatina.model.registry import load_model


def doubled_notes(score) -> list[tuple[int, int, int]]:
    """(track, onset tick, pitch) of every note that repeats an earlier one's onset and pitch."""
    found = []
    for t, track in enumerate(score.tracks):
        seen = set()
        for note in track.notes:
            key = (note.time, note.pitch)
            if key in seen:
                found.append((t, *key))
            seen.add(key)
    return found


def test_no_pitch_is_written_twice_at_one_onset_in_any_genre():
    model = load_model()
    for genre in model.genres:
        pieces = api.compose(model, seconds=10, genre=genre, seed=3, variations=4)
        for piece in pieces:
            assert piece.score.note_num() > 10
            assert doubled_notes(piece.score) == [], (genre, piece.seed)
