"""A piece's register and rests (issue 11): the span of pitches a piece keeps to, and jazz's rests."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from sonatina import api
from sonatina.analysis import metrics as M
from sonatina.cli import main
from sonatina.compose.register import RegisterWindow, RestBias, draw_spans
from sonatina.compose.sample import PITCH_SPAN_BY_GENRE, default_pitch_span, default_rest_bias
from sonatina.request import GenerationRequest, SettingError


def span_of(piece) -> int:
    return int(M.pitch_range(piece.score))


def test_only_pitches_that_stretch_the_range_past_the_span_lose_nats():
    pitch_of = np.array([-1, 48, 60, 62, 72, 73, 75, -1])  # two non-pitch tokens around six pitches
    window = RegisterWindow(pitch_of, [12, 12], strength=2.0)
    flat = np.zeros((2, len(pitch_of)))
    assert (window(flat) == 0).all()  # nothing played yet: every pitch is free
    window.advance(0, 2)  # row 0 has played C4 (60); row 1 nothing
    scores = window(flat)
    # C3 is 12 below (fits), E5 / Eb5 would make 13 / 15 semitones: 1 and 3 past the span
    assert scores[0].tolist() == [0, 0, 0, 0, 0, -2, -6, 0]
    assert (scores[1] == 0).all()


def test_a_primer_wider_than_the_span_is_kept_and_not_widened():
    pitch_of = np.array([-1, 40, 50, 60, 70, 80])
    window = RegisterWindow(pitch_of, [12], strength=2.0)
    window.advance(0, 1)
    window.advance(0, 4)  # 40 and 70: already 30 semitones
    scores = window(np.zeros((1, 6)))
    assert scores[0].tolist() == [0, 0, 0, 0, 0, -20]  # inside stays free; 80 stretches it by 10


def test_rests_after_a_note_gain_nats_per_beat_moved(tiny_run):
    vocab = api.load_model(str(tiny_run)).vocab
    bias = RestBias(vocab, 1, 0.5)
    position = {int(vocab.position_of[i]): i for i in np.flatnonzero(vocab.kind == "Position")}
    duration = int(np.flatnonzero(vocab.kind == "Duration")[0])
    pitch = int(vocab.pitch_ids[0])
    ppb = vocab.positions_per_beat
    flat = np.zeros((1, vocab.size))
    bias.advance(0, vocab.bar)
    bias.advance(0, position[ppb])  # beat 2
    assert (bias(flat) == 0).all()  # after an onset, before its note: nothing moves
    for token in (pitch, int(np.flatnonzero(vocab.kind == "Velocity")[0]), duration):
        bias.advance(0, token)
    scores = bias(flat)[0]
    assert scores[position[2 * ppb]] == pytest.approx(0.5)  # one beat later
    assert scores[position[3 * ppb]] == pytest.approx(1.0)
    assert scores[vocab.bar] == pytest.approx(1.5)  # to the bar's end: three beats
    assert scores[position[0]] == 0 and scores[pitch] == 0  # behind it, and a chord note, gain nothing


def test_an_asked_span_holds_where_the_untrained_model_roams(tiny_run):
    free = api.compose(str(tiny_run), seconds=20, seed=4, variations=3, pitch_range=127)
    kept = api.compose(str(tiny_run), seconds=20, seed=4, variations=3, pitch_range=24)
    # an untrained model spreads its odds over every pitch, so a few semitones leak past the span
    assert min(span_of(p) for p in free) > 40, [span_of(p) for p in free]
    assert max(span_of(p) for p in kept) <= 28, [span_of(p) for p in kept]
    assert all(p.settings["pitch_range"] == 24 for p in kept)


def test_shipped_jazz_keeps_to_the_span_drawn_for_each_piece():
    pieces = api.compose("default", genre="jazz", seconds=30, seed=5, variations=4)
    low, high = default_pitch_span("jazz")
    spans = [p.settings["pitch_range"] for p in pieces]
    assert spans == draw_spans([5, 6, 7, 8], (low, high)) and all(low <= s <= high for s in spans)
    assert all(span_of(p) <= p.settings["pitch_range"] + 1 for p in pieces), [(span_of(p), s) for p, s in
                                                                                 zip(pieces, spans)]


def test_jazz_solos_leave_rests(tiny_run):
    """The rest bias thins the untrained model's notes; the shipped jazz gets it by default."""
    from sonatina.compose import sample

    dense = api.compose(str(tiny_run), seconds=20, seed=4, variations=3)
    genre = dense[0].settings["genre"]
    sample.REST_BIAS_BY_GENRE[genre] = 1.5
    try:
        sparse = api.compose(str(tiny_run), seconds=20, seed=4, variations=3)
    finally:
        del sample.REST_BIAS_BY_GENRE[genre]
    notes = [sum(p.score.note_num() for p in pieces) for pieces in (dense, sparse)]
    assert notes[1] < 0.8 * notes[0], notes


def test_genres_without_a_span_or_rest_bias_are_left_alone(tiny_run):
    assert default_pitch_span("a-users-own-genre") is None and default_rest_bias("folk") == 0.0
    assert default_rest_bias("jazz") > 0 and "jazz" in PITCH_SPAN_BY_GENRE
    for genre in ("folk", "classical"):
        assert api.compose("default", genre=genre, seconds=8, seed=2)[0].settings["pitch_range"] is None


def test_bad_ranges_are_one_sentence_everywhere(tiny_run, tmp_path):
    with pytest.raises(SettingError, match="Pitch range must be between 12 and 127, not 5"):
        api.compose(str(tiny_run), seconds=8, pitch_range=5)
    with pytest.raises(SettingError, match="Pitch range must be a whole number"):
        GenerationRequest.validate({"pitch_range": "30.5"})
    result = CliRunner().invoke(main, ["generate", "--model", str(tiny_run), "--pitch-range", "200",
                                       "--out", str(tmp_path / "x.mid")])
    assert result.exit_code == 2 and "Pitch range must be between 12 and 127, not 200" in result.output
    assert "Traceback" not in result.output
    ok = CliRunner().invoke(main, ["generate", "--model", str(tiny_run), "--pitch-range", "30", "--seconds", "8",
                                   "--json", "--out", str(tmp_path / "y.mid")])
    assert ok.exit_code == 0, ok.output
    assert '"pitch_range": 30' in ok.output
