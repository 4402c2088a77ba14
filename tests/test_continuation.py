"""Continuations stay in character: the primer's genre, texture and instrument carry on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from symusic import Note, Score, Tempo, Track

from helpers import make_score
from sonatina import api
from sonatina.analysis.compare import excerpt
from sonatina.cli import main
from sonatina.compose.character import end_at_next_onset, is_monophonic

WJAZZD = Path("/work/shared/datasets/wjazzd")
SOLO = WJAZZD / "BenWebster_WhereOrWhen_FINAL.mid"  # a test-split solo: the model never trained on it
TPQ = 480


def line(program: int, legato: float = 0.0, beats: int = 16) -> Score:
    """A one-voice line of eighth notes; `legato` beats of overlap into the next note."""
    score = Score(TPQ)
    score.tempos.append(Tempo(0, 100.0))
    track = Track("solo", program, False)
    rng = np.random.default_rng(0)
    for i in range(beats * 2):
        track.notes.append(Note(i * TPQ // 2, int(TPQ * (0.5 + legato)), int(60 + rng.integers(0, 12)), 80))
    score.tracks.append(track)
    return score


def simultaneous_onsets(score: Score) -> int:
    onsets = [n.time for t in score.tracks for n in t.notes]
    return len(onsets) - len(set(onsets))


def overlaps(score: Score) -> int:
    notes = sorted((n.time, n.time + n.duration) for t in score.tracks for n in t.notes)
    return sum(b[0] < a[1] for a, b in zip(notes, notes[1:]))


def test_texture_is_read_with_room_for_legato():
    assert is_monophonic(line(0)) and is_monophonic(line(0, legato=0.1))
    assert not is_monophonic(make_score(seed=1))  # melody over a bass: two voices


def test_end_at_next_onset_leaves_one_line():
    score = make_score(seed=3)
    score.tracks = [score.tracks[0]]
    score.tracks[0].notes.append(Note(0, 4 * TPQ, 30, 80))  # a low note under the first one
    end_at_next_onset(score)
    assert simultaneous_onsets(score) == 0 and overlaps(score) == 0
    assert min(n.pitch for n in score.tracks[0].notes) > 30  # the chord kept its top note


def test_a_monophonic_flute_primer_continues_as_one_flute_line(tiny_run, tmp_path):
    line(73).dump_midi(str(tmp_path / "flute.mid"))
    pieces = api.compose(str(tiny_run), seconds=20, primer=tmp_path / "flute.mid", seed=2, variations=2,
                         temperature=1.5)
    for piece in pieces:
        assert [t.program for t in piece.score.tracks] == [73]
        assert simultaneous_onsets(piece.score) == 0 and overlaps(piece.score) == 0
        assert piece.score.note_num() > 32  # the primer's 32 notes and more
        assert piece.settings["inferred_from_primer"]["texture"] == "monophonic"
        assert piece.settings["inferred_from_primer"]["instrument"] == "Flute"


def test_what_the_user_asks_for_wins_and_chords_stay_chords(tiny_run, tmp_path):
    make_score(seed=5, bars=2).dump_midi(str(tmp_path / "duet.mid"))
    piece = api.compose(str(tiny_run), seconds=20, primer=tmp_path / "duet.mid", seed=2, instrument="strings",
                        temperature=1.5)[0]
    assert "texture" not in piece.settings["inferred_from_primer"]
    assert "instrument" not in piece.settings["inferred_from_primer"]
    assert all(t.program == 48 for t in piece.score.tracks)


@pytest.mark.skipif(not SOLO.is_file(), reason="the Weimar Jazz Database is not under /work/shared/datasets")
def test_a_jazz_sax_solo_continues_as_a_jazz_sax_solo(tmp_path):
    primer = excerpt(Score(str(SOLO)), 12.0)
    for track in primer.tracks:
        track.program = 66  # WJazzD files say piano; a user's sax solo says tenor sax
    primer.dump_midi(str(tmp_path / "sax.mid"))
    result = CliRunner().invoke(main, ["generate", "--primer", str(tmp_path / "sax.mid"), "--seconds", "30",
                                       "--seed", "3", "--variations", "2", "--out", str(tmp_path / "more.mid"), "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["inferred_from_primer"]["genre"].startswith("jazz")
    assert answer["inferred_from_primer"]["texture"] == "monophonic"
    for file in answer["files"]:
        assert file["settings"]["genre"] == "jazz"
        score = Score(file["midi"])
        assert [t.program for t in score.tracks] == [66]
        assert simultaneous_onsets(score) == 0 and overlaps(score) == 0
        assert score.note_num() > primer.note_num() + 10  # it went on playing


def test_a_primer_too_long_is_refused_with_its_tempo_as_people_write_it():
    # POP909's files say 90.0002 BPM; the sentence a user reads says 90
    from sonatina.compose.pieces import check_primer_fits
    from sonatina.request import SettingError

    primer = Score(480)
    primer.tempos.append(Tempo(0, qpm=90.0002))
    primer.tracks.append(Track("piano"))
    primer.tracks[0].notes.extend(Note(i * 480, 480, 60, 80) for i in range(60))  # 60 beats: 40 s at 90 BPM
    with pytest.raises(SettingError, match=r"lasts about 4\d s at 90 BPM; ask for more than 4\d seconds"):
        check_primer_fits(primer, 30)


def test_a_primer_in_f_sharp_keeps_its_octave():
    # the tritone: F# went up 6 to C and up 6 again, so the primer came back an octave higher
    from sonatina.music.keys import estimate_key

    primer = Score(480)
    primer.tempos.append(Tempo(0, qpm=100))
    primer.tracks.append(Track("piano"))
    line = [66, 68, 70, 71, 73, 75, 77, 78, 73, 70, 66, 61, 66, 70, 73, 78]  # F# major up and down
    primer.tracks[0].notes.extend(Note(i * 480, 460, p, 80) for i, p in enumerate(line))
    primer.tracks[0].notes.extend(Note(i * 1920, 1900, 54, 70) for i in range(4))  # F#3 under each bar
    assert estimate_key(np.array([n.pitch for n in primer.tracks[0].notes]),
                        np.array([n.duration for n in primer.tracks[0].notes]))[0] == 6
    piece = api.compose("default", primer=primer, seconds=20, seed=3)[0]
    assert piece.settings["key"].startswith("F#")
    ticks = piece.score.ticks_per_quarter / 480
    heard = sorted((round(n.time / ticks), n.pitch) for t in piece.score.tracks for n in t.notes if n.time < 8 * 480 * ticks)
    assert heard == sorted((n.time, n.pitch) for n in primer.tracks[0].notes if n.time < 8 * 480)
