"""Set comparison: identical sets agree and are fully 'memorised', different styles do not."""

from __future__ import annotations

import json

import numpy as np
import pytest
from symusic import Note, Score, Tempo, Track

from sonatina.analysis import compare as C
from sonatina.analysis.distributions import kde_on_common_grid, kl_divergence, overlap_area
from sonatina.analysis.diversity import distinct_ngrams
from sonatina.analysis.memorisation import memorisation
from sonatina.errors import BadInputError, EmptyDatasetError

TPQ = 96


def piece(seed: int, style: str, bars: int = 12) -> Score:
    """A random piece: 'calm' = diatonic quarter notes in a low register with held triads;
    'busy' = chromatic 16ths in a high register. Same seed + style = same piece."""
    rng = np.random.default_rng(seed)
    score = Score(TPQ)
    score.tempos.append(Tempo(0, 100.0))
    track = Track("piano", 0, False)
    if style == "calm":
        scale = [48, 50, 52, 53, 55, 57, 59, 60, 62, 64]
        for beat in range(bars * 4):
            track.notes.append(Note(beat * TPQ, TPQ, int(rng.choice(scale)), 70))
            if beat % 4 == 0:
                for p in (36, 40, 43):
                    track.notes.append(Note(beat * TPQ, 4 * TPQ, p, 60))
    else:
        for step in range(bars * 16):
            if rng.random() < 0.8:
                track.notes.append(Note(step * TPQ // 4, TPQ // 4, int(rng.integers(70, 96)), 90))
    score.tracks.append(track)
    return score


def pieces(label: str, style: str, seeds) -> C.PieceSet:
    scores = [piece(s, style) for s in seeds]
    return C.PieceSet(label, label, [f"{s}.mid" for s in seeds], scores)


def test_identical_sets_overlap_almost_fully_and_are_fully_memorised():
    calm = pieces("reference", "calm", range(25))
    result = C.compare_sets(calm, calm, calm)
    for name, feature in result["features"].items():
        # inter-set distances = intra-set ones plus the zero self-pairs (1 in 25)
        assert feature["overlap_area"] > 0.9, name
        assert feature["kl_divergence"] < 0.1, name
    memo = result["memorisation"]
    assert memo["windows_found_share"] == 1.0 and memo["windows"] == 25 * (12 - 4 + 1)
    assert memo["copied_share_max"] == 1.0
    assert all(p["copied_share"] == 1.0 for p in memo["per_piece"])


def test_same_style_different_pieces_overlap_well_but_are_not_copies():
    result = C.compare_sets(pieces("generated", "calm", range(25)), pieces("reference", "calm", range(100, 125)),
                            pieces("training", "calm", range(200, 240)))  # fmt: skip
    oas = [f["overlap_area"] for f in result["features"].values() if f["overlap_area"] == f["overlap_area"]]
    assert np.median(oas) > 0.75
    memo = result["memorisation"]
    assert memo["windows_found_share"] == 0.0
    # random diatonic tunes share short runs by chance, never long ones
    assert memo["longest_copied_notes_max"] < 16


def test_different_styles_overlap_little():
    result = C.compare_sets(pieces("generated", "busy", range(20)), pieces("reference", "calm", range(20)))
    feats = result["features"]
    for name in ("pitch_range", "note_density", "polyphony", "pitch_class_histogram", "note_length_histogram"):
        assert feats[name]["overlap_area"] < 0.2, name
        assert feats[name]["kl_divergence"] > 1.0, name
    assert result["memorisation"] is None


def test_planted_copy_is_found_with_its_length():
    training = [piece(1, "calm"), piece(2, "busy")]
    source = training[1].tracks[0].notes
    copied = [n for n in source if 2 * 4 * TPQ <= n.time < 6 * 4 * TPQ]  # bars 3-6 of the busy piece
    generated = piece(50, "calm", bars=4)
    # shift the calm piece's notes after the copy, so the copy sits at the start
    shift = 4 * 4 * TPQ
    tail = [Note(n.time + shift, n.duration, n.pitch, n.velocity) for n in generated.tracks[0].notes]
    generated.tracks[0].notes = [Note(n.time - 2 * 4 * TPQ, n.duration, n.pitch, n.velocity) for n in copied] + tail
    memo = memorisation([generated], training)
    # the copied notes plus possibly a coincidental first note after them
    assert len(copied) <= memo["longest_copied_notes_max"] <= len(copied) + 1
    assert memo["windows_found"] == 1  # exactly the 4-bar window holding the copy


def test_distinct_ngrams_separate_repetitive_from_varied_sets():
    riff = Score(TPQ)
    track = Track("piano", 0, False)
    for i in range(64):
        track.notes.append(Note(i * TPQ, TPQ, [60, 64, 67, 72][i % 4], 80))
    riff.tracks.append(track)
    repetitive = distinct_ngrams([riff, riff.copy()], 4)
    varied = distinct_ngrams([piece(s, "busy") for s in range(3)], 4)
    assert repetitive["pitch_distinct"] == pytest.approx(4 / (2 * 61))
    assert varied["pitch_distinct"] > 0.95 and varied["interval_distinct"] > 0.95


def test_kde_overlap_and_kl_on_known_distributions():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 4000), rng.normal(0, 1, 4000)
    grid, (p, q) = kde_on_common_grid(a, b)
    assert overlap_area(p, q, grid) > 0.95 and kl_divergence(p, q, grid) < 0.01
    far = rng.normal(10, 1, 4000)
    grid, (p, q) = kde_on_common_grid(a, far)
    assert overlap_area(p, q, grid) < 0.01 and kl_divergence(p, q, grid) > 10
    # two unit normals one sigma apart: true overlap 2*Phi(-0.5) = 0.617, KL = 0.5 nats
    grid, (p, q) = kde_on_common_grid(a, rng.normal(1, 1, 4000))
    assert overlap_area(p, q, grid) == pytest.approx(0.617, abs=0.04)
    assert kl_divergence(p, q, grid) == pytest.approx(0.5, abs=0.1)


def test_compare_folders_writes_a_readable_report(tmp_path):
    for label, style, seeds in (("gen", "busy", range(4)), ("ref", "calm", range(5)), ("train", "busy", range(2))):
        folder = tmp_path / label
        folder.mkdir()
        for s in seeds:
            piece(s, style).dump_midi(str(folder / f"{s}.mid"))
    (tmp_path / "ref" / "broken.mid").write_bytes(b"not midi at all")
    out = tmp_path / "report"
    result = C.compare_folders(tmp_path / "gen", tmp_path / "ref", out, training=tmp_path / "train")
    assert result["sets"]["reference"]["pieces"] == 5 and len(result["sets"]["reference"]["skipped"]) == 1
    md = (out / "report.md").read_text()
    assert "| pitch_range |" in md and "4-bar windows found in training" in md
    # generated seeds 0 and 1 are the training pieces themselves
    assert result["memorisation"]["windows_found"] == 2 * 9
    html = (out / "report.html").read_text()
    assert "<table>" in html and "distances.png" in html
    for png in ("distances.png", "metrics.png", "pitch_classes.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "report.json").read_text())["sets"]["generated"]["pieces"] == 4


def test_bad_folders_are_one_sentence_errors(tmp_path):
    with pytest.raises(BadInputError, match="does not exist"):
        C.load_set(tmp_path / "missing", "generated")
    (tmp_path / "one").mkdir()
    piece(0, "calm").dump_midi(str(tmp_path / "one" / "a.mid"))
    with pytest.raises(EmptyDatasetError, match="at least 2"):
        C.load_set(tmp_path / "one", "reference")


def test_excerpt_follows_the_tempo_map():
    score = Score(TPQ)
    score.tempos.extend([Tempo(0, 120.0), Tempo(4 * TPQ, 60.0)])  # 4 beats in 2 s, then 1 beat per second
    track = Track("piano", 0, False)
    for beat in range(12):
        track.notes.append(Note(beat * TPQ, 2 * TPQ, 60 + beat, 80))
    score.tracks.append(track)
    assert C.tick_at_seconds(score, 1.0) == 2 * TPQ
    assert C.tick_at_seconds(score, 4.0) == 6 * TPQ
    cut = C.excerpt(score, 4.0)
    assert [n.pitch for n in cut.tracks[0].notes] == list(range(60, 66))  # onsets before 4 s
    assert cut.tracks[0].notes[-1].duration == 2 * TPQ  # notes keep their length
    with pytest.raises(BadInputError, match="positive"):
        C.compare_folders(".", ".", ".", excerpt_seconds=0)
