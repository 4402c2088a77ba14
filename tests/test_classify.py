"""Genre classifier: features describe style, fit separates styles, files round-trip."""

from __future__ import annotations

import numpy as np
import pytest
from symusic import Note, Score, Track

from sonatina.errors import BadInputError
from sonatina.model.classify import GenreClassifier, confusion, feature_names, features, fit

TPQ = 480


def piece(seed: int, style: str) -> Score:
    """'hymn': slow four-note chords on the beat; 'bebop': fast eighth-note lines with swung offbeats."""
    rng = np.random.default_rng(seed)
    score, track = Score(TPQ), Track(name="piano")
    if style == "hymn":
        for beat in range(32):
            root = 48 + int(rng.choice([0, 5, 7, 9]))
            for p in (root, root + 4, root + 7, root + 12):
                track.notes.append(Note(beat * TPQ, TPQ, p, 64))
    else:
        pitch = 70
        for eighth in range(128):
            pitch = int(np.clip(pitch + rng.choice([-3, -2, -1, 1, 2, 4]), 55, 90))
            swing = TPQ * 2 // 3 if eighth % 2 else 0
            track.notes.append(Note((eighth // 2) * TPQ + swing, TPQ // 3, pitch, int(rng.integers(50, 110))))
    score.tracks.append(track)
    return score


def test_features_have_one_value_per_name_and_refuse_drums_only():
    x = features(piece(0, "hymn"))
    assert x.shape == (len(feature_names()),) and np.isfinite(x).all()
    drums = Score(TPQ)
    kit = Track(name="kit", is_drum=True)
    kit.notes.append(Note(0, 120, 36, 100))
    drums.tracks.append(kit)
    with pytest.raises(BadInputError, match="no pitched notes"):
        features(drums)


def test_fit_tells_styles_apart_on_pieces_it_never_saw(tmp_path):
    train = [(piece(s, st), st) for s in range(12) for st in ("hymn", "bebop")]
    held = [(piece(100 + s, st), st) for s in range(6) for st in ("hymn", "bebop")]
    classifier = fit(np.array([features(p) for p, _ in train]), [g for _, g in train], ["bebop", "hymn"])
    report = confusion(classifier, np.array([features(p) for p, _ in held]), [g for _, g in held])
    assert report["accuracy"] == 1.0 and report["pieces"] == 12
    path = tmp_path / "c.json"
    classifier.save(path)
    again = GenreClassifier.load(path)
    probs = again.probabilities(held[0][0])
    assert max(probs, key=probs.get) == held[0][1] and abs(sum(probs.values()) - 1) < 1e-9
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(BadInputError, match="not a Sonatina genre classifier"):
        GenreClassifier.load(tmp_path / "bad.json")
