"""Metrics: known answers on hand-built pieces, and agreement with MusPy on the same files."""

from __future__ import annotations

import math

import numpy as np
import pytest
from symusic import Note, Score, Tempo, TimeSignature, Track

from sonatina.analysis import metrics as M

TPQ = 480


def make_score(notes, drums=(), tpq=TPQ, qpm=120.0, metre=None) -> Score:
    """notes: (onset_quarters, duration_quarters, pitch) on one piano track."""
    score = Score(tpq)
    score.tempos.append(Tempo(0, qpm))
    if metre:
        score.time_signatures.append(TimeSignature(0, *metre))
    for is_drum, items in ((False, notes), (True, drums)):
        if not items:
            continue
        track = Track("drums" if is_drum else "piano", 0, is_drum)
        for onset, dur, pitch in items:
            track.notes.append(Note(round(onset * tpq), round(dur * tpq), pitch, 80))
        score.tracks.append(track)
    return score


C_MAJOR_SCALE = [(i, 1, p) for i, p in enumerate([60, 62, 64, 65, 67, 69, 71, 72])]


def test_scale_melody_known_values():
    m = M.piece_metrics(make_score(C_MAJOR_SCALE))
    assert m["pitch_range"] == 12
    assert m["n_pitches_used"] == 8
    assert m["n_pitch_classes_used"] == 7
    assert m["scale_consistency"] == 1.0
    assert m["pitch_entropy"] == pytest.approx(3.0)  # 8 equally likely pitches
    assert m["pitch_class_entropy"] == pytest.approx(-(2 / 8) * math.log2(2 / 8) - 6 * (1 / 8) * math.log2(1 / 8))
    assert m["polyphony"] == 1.0
    assert m["polyphony_rate"] == 0.0
    assert m["mean_pitch_shift"] == pytest.approx((2 + 2 + 1 + 2 + 2 + 2 + 1) / 7)
    # 8 quarter notes at 120 bpm: 4 seconds, a note every half second
    assert m["note_density"] == pytest.approx(2.0)
    assert m["mean_ioi"] == pytest.approx(0.5)


def test_chords_and_rests():
    triad = [(0, 1, 60), (0, 1, 64), (0, 1, 67)]
    # a triad for one beat, a single note for one beat, then silence until a note at beat 6
    score = make_score(triad + [(1, 1, 72), (6, 1, 72)])
    assert M.polyphony(score) == pytest.approx((3 * 24 + 24 + 24) / (3 * 24))
    assert M.polyphony_rate(score) == pytest.approx(24 / (7 * 24))  # only the triad beat
    # beats 0..7 (length 7 quarters -> 8 beats); a note covers onset//beat .. end//beat
    # covered: 0,1,2 (first two notes) and 6,7 -> empty 3,4,5
    assert M.empty_beat_rate(score) == pytest.approx(3 / 8)
    assert M.mean_ioi(score) == pytest.approx((0.5 + 2.5) / 2)  # the chord is one onset
    transitions = M.pitch_class_transitions(score)
    assert transitions[0, 0] == 2 and transitions[4, 0] == 1 and transitions[7, 0] == 1
    assert transitions.sum() == 4


def test_out_of_scale_notes_lower_scale_consistency():
    score = make_score([(i, 1, p) for i, p in enumerate([60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71])])
    assert M.scale_consistency(score) == pytest.approx(7 / 12)
    assert M.pitch_class_entropy(score) == pytest.approx(math.log2(12))


def test_groove_repeating_bars_is_one_and_changing_bars_lower():
    # the last note stops short of the bar line: like MusPy we count length // bar + 1 bars,
    # so a piece ending exactly on a bar line would get a trailing empty bar
    same = make_score([(bar * 4 + beat, 0.5, 60) for bar in range(4) for beat in range(4)])
    assert M.groove_consistency(same) == pytest.approx(1.0)
    full = make_score([(bar * 4 + beat, 1, 60) for bar in range(4) for beat in range(4)])
    assert M.groove_consistency(full) == pytest.approx(1 - 4 / (4 * 4 * M.RESOLUTION))
    varied = make_score([(0, 4, 60), (4, 0.5, 60), (4.5, 0.5, 60), (6, 2, 60), (8, 4, 60)])
    assert M.groove_consistency(varied) < 1.0
    # 3/4: bars are three beats, so a note on every beat repeats exactly bar to bar
    waltz = make_score([(i, 0.5, 60) for i in range(12)], metre=(3, 4))
    assert M.bar_steps(waltz) == 3 * M.RESOLUTION
    assert M.groove_consistency(waltz) == pytest.approx(1.0)


def test_drums_are_ignored_by_pitch_measures():
    with_drums = make_score(C_MAJOR_SCALE, drums=[(i * 0.5, 0.25, 36 + i) for i in range(16)])
    alone = make_score(C_MAJOR_SCALE)
    for name in ("pitch_range", "n_pitches_used", "pitch_entropy", "scale_consistency", "polyphony", "note_density"):
        assert M.METRICS[name](with_drums) == pytest.approx(M.METRICS[name](alone)), name


def test_empty_piece_gives_nan_everywhere():
    empty = Score(TPQ)
    values = M.piece_metrics(empty)
    assert set(values) == set(M.METRICS)
    assert all(math.isnan(v) for v in values.values())
    assert np.isnan(M.pitch_class_histogram(empty)).all()


def test_feature_vectors_are_distributions():
    score = make_score(C_MAJOR_SCALE + [(8, 1.5, 60), (9.5, 1 / 3, 62)])
    pch = M.pitch_class_histogram(score)
    assert pch.shape == (12,) and pch.sum() == pytest.approx(1.0) and pch[0] == pytest.approx(3 / 10)
    nlh = M.note_length_histogram(score)
    classes = list(M.NOTE_LENGTH_CLASSES)
    assert nlh.sum() == pytest.approx(1.0)
    assert nlh[classes.index("quarter")] == pytest.approx(8 / 10)
    assert nlh[classes.index("dotted quarter")] == pytest.approx(1 / 10)
    assert nlh[classes.index("8th triplet")] == pytest.approx(1 / 10)


# ----------------------------------------------------------------------------- MusPy agreement


def random_piece(seed: int) -> Score:
    """Two pitched tracks and a drum track with off-grid timing, overlaps and chords."""
    rng = np.random.default_rng(seed)
    score = Score(TPQ)
    score.tempos.append(Tempo(0, 100.0))
    score.time_signatures.append(TimeSignature(0, *[(4, 4), (3, 4), (6, 8)][seed % 3]))
    for index, (low, high, is_drum) in enumerate([(55, 84, False), (36, 60, False), (35, 50, True)]):
        track = Track(f"t{index}", 0 if not is_drum else 0, is_drum)
        onset = 0
        for _ in range(int(rng.integers(30, 80))):
            onset += int(rng.choice([0, 0, 120, 240, 480, 960, 37, 133]))
            for _ in range(int(rng.integers(1, 4))):
                dur = int(rng.choice([60, 240, 480, 720, 1000, 13]))
                track.notes.append(Note(onset, dur, int(rng.integers(low, high)), 90))
        score.tracks.append(track)
    return score


MUSPY_EQUIVALENTS = {
    "pitch_range": lambda mp, music, bar: mp.pitch_range(music),
    "n_pitches_used": lambda mp, music, bar: mp.n_pitches_used(music),
    "n_pitch_classes_used": lambda mp, music, bar: mp.n_pitch_classes_used(music),
    "pitch_entropy": lambda mp, music, bar: mp.pitch_entropy(music),
    "pitch_class_entropy": lambda mp, music, bar: mp.pitch_class_entropy(music),
    "scale_consistency": lambda mp, music, bar: mp.scale_consistency(music),
    "polyphony": lambda mp, music, bar: mp.polyphony(music),
    "polyphony_rate": lambda mp, music, bar: mp.polyphony_rate(music, threshold=M.POLYPHONY_THRESHOLD),
    "empty_beat_rate": lambda mp, music, bar: mp.empty_beat_rate(music),
    "groove_consistency": lambda mp, music, bar: mp.groove_consistency(music, bar),
}


def assert_agrees_with_muspy(path):
    muspy = pytest.importorskip("muspy")
    ours = M.piece_metrics(Score(str(path)))
    music = muspy.read_midi(str(path))
    music.adjust_resolution(M.RESOLUTION)
    bar = M.bar_steps(Score(str(path)))
    for name, theirs in MUSPY_EQUIVALENTS.items():
        assert ours[name] == pytest.approx(theirs(muspy, music, bar), abs=1e-9), name


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_agrees_with_muspy_on_random_multitrack_files(tmp_path, seed):
    path = tmp_path / f"random{seed}.mid"
    random_piece(seed).dump_midi(str(path))
    assert_agrees_with_muspy(path)


def test_agrees_with_muspy_on_a_bach_chorale(tmp_path):
    music21 = pytest.importorskip("music21")
    path = tmp_path / "bwv66.mid"
    music21.corpus.parse("bach/bwv66.6").write("midi", fp=str(path))
    assert_agrees_with_muspy(path)
