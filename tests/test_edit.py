"""Editing a piece: a passage written anew (the rest kept byte for byte), extending, the score export."""

from __future__ import annotations

import subprocess

import pytest
from helpers import make_score, sonatina_command
from symusic import Score

from sonatina import api
from sonatina.compose.regenerate import bar_ticks, passage_of_bars
from sonatina.errors import SonatinaError
from sonatina.model.registry import load_model


@pytest.fixture(scope="module")
def model():
    return load_model("default")


def _notes(score: Score, keep=lambda tick: True) -> list[list[tuple]]:
    """Per track, every note as (onset, duration, pitch, velocity), for those whose onset `keep`s."""
    return [[(n.time, n.duration, n.pitch, n.velocity) for n in t.notes if keep(n.time)] for t in score.tracks]


def _reread(score: Score, tmp_path, name: str) -> Score:
    path = tmp_path / name
    score.dump_midi(str(path))
    return Score(str(path))


def test_notes_outside_the_passage_are_kept_byte_for_byte(model, tmp_path):
    source = make_score(seed=1, bars=12)
    path = tmp_path / "in.mid"
    source.dump_midi(str(path))
    original = Score(str(path))
    piece = api.regenerate(path, bars="5-8", model=model, seed=7, genre="classical")
    out = _reread(piece.score, tmp_path, "out.mid")
    size = bar_ticks(original)
    outside = lambda tick: not 4 * size <= tick < 8 * size  # noqa: E731
    assert _notes(out, outside) == _notes(original, outside)
    # the MIDI bytes of the bars before the passage are those of the original too: same events
    inside = [n for track in _notes(out, lambda tick: 4 * size <= tick < 8 * size) for n in track]
    assert inside, "the passage has new notes"
    assert inside != [n for track in _notes(original, lambda tick: 4 * size <= tick < 8 * size) for n in track]
    # new notes start in the passage and end by its end
    assert all(4 * size <= t < 8 * size and t + d <= 8 * size for t, d, _, _ in inside)
    assert piece.settings["new_notes"] == len(inside)


def test_the_passage_has_the_requested_length_in_bars_and_in_seconds(model):
    source = make_score(seed=2, bars=10, tempo=120.0)
    passage = passage_of_bars(source, 3, 6)
    assert (passage.start, passage.end) == (2 * 4 * 480, 6 * 4 * 480)
    piece = api.regenerate(source, seconds="4-10", model=model, seed=1)
    # at 120 BPM 4-10 s are beats 8-20: new notes only there, the piece as long as before
    new = {n for t in _notes(piece.score) for n in t} - {n for t in _notes(source) for n in t}
    assert new and all(8 * 480 <= t < 20 * 480 for t, _, _, _ in new)
    assert piece.settings["start_tick"] == 8 * 480 and piece.settings["end_tick"] == 20 * 480
    assert abs(piece.duration_s - source.to("second").end()) < 0.01


def test_same_seed_same_result_and_another_seed_another(model):
    source = make_score(seed=3, bars=8)
    a = api.regenerate(source, bars=(3, 4), model=model, seed=11, candidates=4)
    b = api.regenerate(source, bars=(3, 4), model=model, seed=11, candidates=4)
    c = api.regenerate(source, bars=(3, 4), model=model, seed=12, candidates=4)
    assert _notes(a.score) == _notes(b.score)
    assert _notes(a.score) != _notes(c.score)


def test_only_the_chosen_track_is_rewritten_and_hears_the_kept_one(model):
    source = make_score(seed=4, bars=8)  # tracks "melody" and "bass"
    piece = api.regenerate(source, bars="3-4", tracks="bass", model=model, seed=5)
    assert _notes(piece.score)[0] == _notes(source)[0], "the melody is kept whole, inside the passage too"
    size = bar_ticks(source)
    in_passage = lambda tick: 2 * size <= tick < 4 * size  # noqa: E731
    assert _notes(piece.score, in_passage)[1] != _notes(source, in_passage)[1]
    assert piece.settings["tracks"] == [1]


def test_the_kept_music_after_the_passage_chooses_the_candidate(model):
    source = make_score(seed=5, bars=10)
    piece = api.regenerate(source, bars="4-6", model=model, seed=2, candidates=6)
    scores = piece.settings["continuation_logprob"]
    assert len(scores) == 6 and len(set(scores)) > 1
    assert scores[piece.settings["chosen"]] == max(scores)


def test_extend_at_the_end_and_at_the_start(model):
    source = make_score(seed=6, bars=6, tempo=120.0)  # 12 s
    end = api.extend(source, seconds=8, model=model, seed=1)
    assert _notes(end.score, lambda tick: tick < 24 * 480) == _notes(source)
    assert end.duration_s == pytest.approx(12 + 8, abs=0.6)
    start = api.extend(source, seconds=8, at="start", model=model, seed=1)
    added = 4 * 480 * 4  # 8 s at 120 BPM is 16 beats: 4 bars
    moved = [[(t - added, d, p, v) for t, d, p, v in track] for track in _notes(start.score, lambda tick: tick >= added)]
    assert moved == _notes(source)
    assert any(n for track in _notes(start.score, lambda tick: tick < added) for n in track)


@pytest.mark.parametrize("asked, sentence", [
    ({"bars": "9-12"}, "has 6 bars, so bars 9-12 reach outside it"),
    ({"bars": "1-6"}, "are the whole piece"),
    ({"seconds": "0-40"}, "as long as the piece"),
    ({"seconds": "10-14"}, "reaches outside it"),
    ({"bars": "4-2"}, "ends before it starts"),
    ({}, "Say which passage"),
    ({"bars": "2-3", "tracks": "violin"}, "no track 'violin'"),
    ({"bars": "2-3", "genre": "polka"}, "knows no genre 'polka'"),
])
def test_bad_passages_are_refused_with_one_sentence(model, asked, sentence):
    with pytest.raises(SonatinaError, match=sentence):
        api.regenerate(make_score(seed=7, bars=6, tempo=120.0), model=model, **asked)


def test_a_piece_with_no_notes_is_refused(model):
    empty = make_score(bars=4)
    for track in empty.tracks:
        track.notes.clear()
    with pytest.raises(SonatinaError, match="no pitched notes"):
        api.regenerate(empty, bars="1-2", model=model)
    with pytest.raises(SonatinaError, match="no pitched notes"):
        api.extend(empty, seconds=5, model=model)
    with pytest.raises(SonatinaError, match="no pitched notes"):
        api.export_score(empty, "/tmp/never.musicxml")


def test_musicxml_round_trip_keeps_pitches_and_onsets(tmp_path):
    from music21 import converter

    source = make_score(seed=8, bars=6, tonic=67)  # G major, melody on eighths above middle C, bass on quarters
    path = api.export_score(source, tmp_path / "piece.musicxml", title="Round trip")
    parsed = converter.parse(str(path))
    assert parsed.metadata.bestTitle == "Round trip"
    assert str(parsed.recurse().getElementsByClass("KeySignature").first().asKey()) in ("G major", "e minor")
    assert parsed.recurse().getElementsByClass("TimeSignature").first().ratioString == "4/4"
    # a tune (program 0, above middle C) and a bass line: one staff each
    assert len(parsed.parts) == 2
    heard = sorted((float(n.getOffsetInHierarchy(parsed)), p.midi) for n in parsed.flatten().notes
                   for p in n.pitches if not (n.tie and n.tie.type in ("stop", "continue")))
    written = sorted((n.time / 480, n.pitch) for t in source.tracks for n in t.notes)
    assert heard == written  # eighths and quarters sit on the grid: exact


def test_svg_and_pdf_are_engraved(tmp_path):
    source = make_score(seed=9, bars=4)
    svg = api.export_score(source, tmp_path / "piece.svg")
    assert svg.read_text().lstrip().startswith("<svg") and "<path" in svg.read_text()
    pdf = api.export_score(source, tmp_path / "piece.pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and len(pdf.read_bytes()) > 2000
    assert api.score_svg(source, width=1800).lstrip().startswith("<svg")


def test_cli_regenerate_extend_export_and_bad_input(tmp_path):
    source = tmp_path / "in.mid"
    make_score(seed=10, bars=8).dump_midi(str(source))
    cli = sonatina_command()
    done = subprocess.run(cli + ["regenerate", str(source), "--bars", "3-4", "--seed", "2", "--candidates", "2",
                                 "--out", str(tmp_path / "out.mid")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "bars 3-4" in done.stdout and (tmp_path / "out.mid").exists()
    done = subprocess.run(cli + ["extend", str(source), "--seconds", "4", "--out", str(tmp_path / "longer.mid")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    done = subprocess.run(cli + ["export", str(tmp_path / "out.mid"), "--out", str(tmp_path / "out.musicxml")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and (tmp_path / "out.musicxml").read_bytes().startswith(b"<?xml")
    done = subprocess.run(cli + ["regenerate", str(source), "--bars", "7-12", "--out", str(tmp_path / "x.mid")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.strip() == "Error: The piece has 8 bars, so bars 7-12 reach outside it."


def test_scores_engrave_in_any_thread():
    """Verovio finds its fonts per thread: the studio's worker threads engrave too."""
    import threading

    out = []
    worker = threading.Thread(target=lambda: out.append(api.score_svg(make_score(seed=11, bars=2))))
    worker.start()
    worker.join()
    assert out and out[0].lstrip().startswith("<svg") and "<style" not in out[0]


def test_melody_and_accompaniment_name_the_tune_track_and_the_rest(model):
    source = make_score(seed=12, bars=8)
    source.tracks[0].name, source.tracks[1].name = "Lead", "Low"  # no track is called melody
    piece = api.regenerate(source, bars="3-4", tracks="accompaniment", model=model, seed=2)
    assert piece.settings["tracks"] == [1] and _notes(piece.score)[0] == _notes(source)[0]
    assert api.regenerate(source, bars="3-4", tracks="melody", model=model, seed=2).settings["tracks"] == [0]


def test_a_piano_part_gets_two_staves_joined_by_a_brace(tmp_path):
    from music21 import converter, layout
    from symusic import Note, Score, Track

    score = Score(480)
    piano = Track(name="Piano", program=0)
    for beat in range(16):
        piano.notes.extend(Note(beat * 480, 480, p, 80) for p in (48, 55, 64, 72))
    score.tracks.append(piano)
    parsed = converter.parse(str(api.export_score(score, tmp_path / "piano.musicxml")))
    staves = parsed.parts
    assert len(staves) == 2
    assert [str(s.recurse().getElementsByClass("Clef").first().sign) for s in staves] == ["G", "F"]
    assert sorted(p.midi for p in staves[1].recurse().notes[0].pitches) == [48, 55]
    groups = parsed.recurse().getElementsByClass(layout.StaffGroup)
    assert groups and groups[0].symbol == "brace"


def test_a_passage_under_dense_kept_parts_stacks_no_more_than_people_do(model):
    # kept melody and bass on off-beat sixteenths (a swung conversion's) leave the piano's new notes
    # only a step of time at a time; it once piled 273 notes, 258 of them doubled, on one onset
    from collections import Counter

    from symusic import Note, Track

    tpq = 480
    source = Score(tpq)
    melody, bass, piano = Track("Melody", 66), Track("Bass", 32), Track("Piano", 0)
    for beat in range(16 * 4):
        t = beat * tpq
        melody.notes.append(Note(t + 60, 120, 67 + (beat * 5) % 7, 90))
        melody.notes.append(Note(t + 300, 120, 71 - (beat * 3) % 5, 90))
        bass.notes.append(Note(t + 180, 240, 40 + (beat % 4) * 2, 80))
        piano.notes.extend(Note(t, 420, p, 70) for p in (55, 60, 64))
    source.tracks.extend([melody, bass, piano])
    lo, hi = 4 * 4 * tpq, 8 * 4 * tpq
    counts = []
    for seed in range(6):
        out = api.regenerate(source, bars="5-8", tracks="piano", model=model, seed=seed, genre="pop").score
        new = [(n.time, n.pitch) for n in out.tracks[2].notes if lo <= n.time < hi]
        assert len(new) == len(set(new)), "a pitch written twice at one onset"
        assert max(Counter(t for t, _ in new).values()) <= 12
        counts.append(len(new))
    # a time step barred by the kept notes ahead goes to them instead of to one more pitch here:
    # about 1.6x the replaced part's 48 notes (2x with the odds of the barred steps thrown away)
    assert sum(counts) / len(counts) <= 1.8 * 48, counts


@pytest.mark.parametrize("command", [["extend", "--seconds", "5"], ["regenerate", "--bars", "1-2"]])
def test_editing_drums_alone_is_one_sentence_without_a_traceback(tmp_path, command):
    # the genre classifier's refusal (no pitched notes) was logged with its traceback before the
    # edit's own sentence
    from symusic import Note, Track

    drums = Score(480)
    track = Track(name="Drums", is_drum=True)
    track.notes.extend(Note(beat * 480, 120, 36 if beat % 2 == 0 else 38, 90) for beat in range(16))
    drums.tracks.append(track)
    drums.dump_midi(str(tmp_path / "drums.mid"))
    proc = subprocess.run([*sonatina_command(), command[0], str(tmp_path / "drums.mid"), *command[1:],
                           "--out", str(tmp_path / "out.mid")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and proc.stderr.strip() == "Error: The piece has no pitched notes to work on."
