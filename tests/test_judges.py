"""Conversion judges: drum-style and accompaniment features, and the shipped judges' verdicts."""

from __future__ import annotations

import numpy as np
from symusic import Note, Score, Track

from sonatina.model import accompaniment, drum_style
from sonatina.model.judges import can_judge, hear, load_judge, verdicts
from sonatina.model.registry import drum_model

TPQ = 480


def drum_score(style: str, bars: int = 8) -> Score:
    """'straight': kick 1 and 3, snare 2 and 4, straight eighth hats; 'swung': ride on every beat
    and a swung eighth (two thirds into the beat) on 2 and 4, hi-hat foot on 2 and 4."""
    score, kit = Score(TPQ), Track(name="kit", is_drum=True)
    for bar in range(bars):
        for beat in range(4):
            t = (bar * 4 + beat) * TPQ
            if style == "straight":
                kit.notes.append(Note(t, 60, 36 if beat % 2 == 0 else 38, 100))
                kit.notes.extend([Note(t, 60, 42, 80), Note(t + TPQ // 2, 60, 42, 70)])
            else:
                kit.notes.append(Note(t, 60, 51, 70))
                if beat % 2:
                    kit.notes.extend([Note(t + 2 * TPQ // 3, 60, 51, 60), Note(t, 60, 44, 50)])
    score.tracks.append(kit)
    return score


def test_drum_features_hear_where_hits_fall_and_how_late_the_swung_eighth_is():
    names = drum_style.feature_names()
    straight, swung = drum_style.features(drum_score("straight")), drum_style.features(drum_score("swung"))
    assert straight.shape == swung.shape == (len(names),)
    value = lambda x, name: x[names.index(name)]  # noqa: E731
    assert value(straight, "kick_at_0") == 1 and value(straight, "snare_at_4") == 1 and value(straight, "kick_at_4") == 0
    assert value(straight, "hi-hat_at_2") == 1 and value(swung, "ride_at_0") == 1 and value(swung, "ride_at_7") == 1
    # the swung eighth lands at 2/3 of the beat: the nearest sixteenth is the fourth, a third of a step early
    assert abs(value(swung, "offset_at_3") + 1 / 3) < 0.02 and value(straight, "offset_at_2") == 0
    assert drum_style.features(Score(TPQ)) is None


def test_accompaniment_features_leave_the_melody_out_and_see_block_chords():
    score = Score(TPQ)
    melody, piano = Track(name="Melody"), Track(name="Piano")
    for beat in range(32):
        melody.notes.append(Note(beat * TPQ, TPQ, 72 + beat % 5, 90))
        for p in (48, 52, 55):
            piano.notes.append(Note(beat * TPQ, TPQ, p, 70))
    score.tracks.extend([melody, piano])
    notes = accompaniment.accompaniment_notes(score)
    assert {n.pitch for n in notes} == {48, 52, 55}
    x = accompaniment.features(score)
    names = accompaniment.feature_names()
    assert x[names.index("notes_per_onset")] == 3 and x[names.index("chord_onsets")] == 1
    assert x[names.index("onset_in_beat_0")] == 1 and x[names.index("bar_repeat")] == 1
    melody_only = Score(TPQ)
    melody_only.tracks.append(melody)
    assert accompaniment.features(melody_only) is None


def test_shipped_drum_judge_hears_the_groove_models_styles():
    grooves = drum_model()
    for style in ("rock", "jazz", "pop"):
        heard = []
        for seed in range(3):
            score = Score(TPQ)
            score.tracks.append(grooves.track(style, 16, TPQ, seed=seed))
            heard.append(next(iter(hear(score)["drums"])))
        assert heard.count(style) >= 2, (style, heard)


def test_judges_say_nothing_where_they_have_no_class_and_no_on_a_missing_part():
    assert load_judge("drums").genres == ["jazz", "other", "pop", "rock"]
    assert sorted(load_judge("accompaniment").genres) == ["chorale", "classical", "pop"]
    assert can_judge("accompaniment", "classical") and not can_judge("accompaniment", "jazz")
    assert not can_judge("drums", "folk") and not can_judge("accompaniment", "folk")
    report = load_judge("drums").report
    assert report["pieces"] > 50 and 0 < report["accuracy"] <= 1 and "validation_accuracy" in report
    # a drum-only piece: the drum judge hears rock drumming, but no pop accompaniment is there
    rock = Score(TPQ)
    rock.tracks.append(drum_model().track("rock", 16, TPQ, seed=0))
    assert verdicts(rock, "folk") == {"drums": None, "accompaniment": None}
    said = verdicts(rock, "pop")
    assert said["accompaniment"] is False and said["drums"] is False
    assert verdicts(rock, "rock") == {"drums": True, "accompaniment": None}
    assert np.isclose(sum(hear(rock)["drums"].values()), 1.0)


def test_classify_names_a_drum_only_files_style_and_refuses_an_empty_one(tmp_path):
    from click.testing import CliRunner

    from sonatina.cli import main as cli

    beat = Score(TPQ)
    beat.tracks.append(drum_model().track("jazz", 16, TPQ, seed=1))
    beat.dump_midi(str(tmp_path / "beat.mid"))
    Score(TPQ).dump_midi(str(tmp_path / "empty.mid"))
    run = CliRunner().invoke(cli, ["classify", str(tmp_path / "beat.mid")])
    assert run.exit_code == 0 and run.output.startswith("beat.mid: no pitched notes; drums: jazz "), run.output
    refused = CliRunner().invoke(cli, ["classify", str(tmp_path / "empty.mid")])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
