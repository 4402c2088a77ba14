"""Which genre a piece sounds like: style features and a multinomial logistic regression.

Features describe how music is played, not which tune it is, so they transfer from people's
music to generated or converted pieces: pitch range and spread, the key-relative pitch-class
histogram (tonic moved to C), melodic interval sizes, polyphony, note density, note lengths and
onset positions inside the beat in beats (swing and syncopation show there), velocity habits,
and the share of drum notes. They are standardised and fed to a softmax regression with L2
weight decay (fitted with L-BFGS); class weights balance genres of different sizes.

A classifier is one JSON file (genres, feature names, scaling, weights, and its held-out
confusion matrix); `bench/classifier.py` trains the shipped one and records its accuracy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from symusic import Score

from sonatina.errors import BadInputError
from sonatina.music.keys import estimate_key

FORMAT = "sonatina-genre-classifier/1"
POSITIONS_PER_BEAT = 4  # onset grid inside a beat (sixteenths in 4/4)
DURATION_EDGES = np.array([0.125, 0.25, 0.5, 1.0, 2.0, 4.0])  # note lengths in beats
INTERVAL_EDGES = np.array([0.5, 1.5, 2.5, 4.5, 7.5, 12.5])  # |semitones| between successive onsets


def _histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    counts = np.bincount(np.searchsorted(edges, values), minlength=len(edges) + 1).astype(float)
    return counts / max(1.0, counts.sum())


def feature_names() -> list[str]:
    names = ["pitch_mean", "pitch_std", "pitch_range", "log_notes_per_beat", "polyphony", "log_velocity_kinds",
             "velocity_std", "drum_share", "pc_entropy"]
    names += [f"pc_{i}" for i in range(12)]
    names += [f"duration_bin_{i}" for i in range(len(DURATION_EDGES) + 1)]
    names += [f"interval_bin_{i}" for i in range(len(INTERVAL_EDGES) + 1)]
    names += [f"onset_pos_{i}" for i in range(POSITIONS_PER_BEAT)]
    return names


def features(score: Score) -> np.ndarray:
    """The style feature vector of a score (order: feature_names()); raises BadInputError if it has no notes."""
    tpq = score.ticks_per_quarter
    pitched = [t.notes.numpy() for t in score.tracks if not t.is_drum and len(t.notes)]
    drums = sum(len(t.notes) for t in score.tracks if t.is_drum)
    if not pitched:
        raise BadInputError("The piece has no pitched notes to judge its genre by.")
    notes = {k: np.concatenate([p[k] for p in pitched]) for k in ("time", "duration", "pitch", "velocity")}
    order = np.lexsort((notes["pitch"], notes["time"]))
    time, dur = notes["time"][order].astype(float) / tpq, notes["duration"][order].astype(float) / tpq
    pitch, vel = notes["pitch"][order].astype(float), notes["velocity"][order].astype(float)
    span = max(time.max() + dur[-1] - time.min(), 1.0)
    onsets, per_onset = np.unique(time, return_counts=True)
    top = pitch[np.r_[np.diff(time) > 0, True]]  # highest note of each onset (sorted by time, then pitch)
    tonic, _ = estimate_key(pitch, dur)
    pcs = np.bincount(((pitch - tonic) % 12).astype(int), weights=dur, minlength=12)
    pcs = pcs / max(pcs.sum(), 1e-9)
    nonzero = pcs[pcs > 0]
    positions = np.round((onsets % 1.0) * POSITIONS_PER_BEAT).astype(int) % POSITIONS_PER_BEAT
    head = [
        pitch.mean() / 12.0, pitch.std() / 12.0, (pitch.max() - pitch.min()) / 12.0,
        np.log(len(pitch) / span), per_onset.mean(), np.log(len(np.unique(vel))), vel.std() / 16.0,
        drums / (drums + len(pitch)), float(-(nonzero * np.log2(nonzero)).sum()),
    ]
    return np.concatenate([head, pcs, _histogram(dur, DURATION_EDGES),
                           _histogram(np.abs(np.diff(top)), INTERVAL_EDGES),
                           np.bincount(positions, minlength=POSITIONS_PER_BEAT) / len(positions)])


@dataclass
class GenreClassifier:
    genres: list[str]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # [features + 1, genres]; the last row is the bias
    report: dict  # held-out evaluation written at training time

    def probabilities(self, score: Score) -> dict[str, float]:
        return dict(zip(self.genres, self.predict_proba(features(score)[None])[0].tolist()))

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        z = _design((x - self.mean) / self.scale) @ self.weights
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def save(self, path: str | Path, names: list[str] | None = None) -> None:
        """Write the classifier; `names` are its features' names when they are not feature_names()'s."""
        data = {"format": FORMAT, "genres": self.genres, "features": names or feature_names(),
                "mean": self.mean.tolist(), "scale": self.scale.tolist(), "weights": self.weights.tolist(),
                "report": self.report}
        Path(path).write_text(json.dumps(data, indent=1))

    @classmethod
    def load(cls, path: str | Path, names: list[str] | None = None) -> "GenreClassifier":
        try:
            data = json.loads(Path(path).read_text())
            if data.get("format") != FORMAT or data.get("features") != (names or feature_names()):
                raise ValueError("another format or feature set")
            return cls(list(data["genres"]), np.array(data["mean"]), np.array(data["scale"]),
                       np.array(data["weights"]), data.get("report", {}))
        except (OSError, ValueError, KeyError) as exc:
            raise BadInputError(f"'{path}' is not a Sonatina genre classifier ({exc}).") from None


def _design(x: np.ndarray) -> np.ndarray:
    return np.hstack([x, np.ones((len(x), 1))])


def fit(x: np.ndarray, labels: list[str], genres: list[str], l2: float = 1e-2, balanced: bool = True) -> GenreClassifier:
    """Softmax regression on standardised features; `balanced` weights genres inversely to their size."""
    y = np.array([genres.index(g) for g in labels])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    design = _design((x - mean) / scale)
    n, d, k = len(y), design.shape[1], len(genres)
    onehot = np.eye(k)[y]
    sample_weight = (n / (k * np.bincount(y, minlength=k)))[y] if balanced else np.ones(n)

    def loss(flat):
        w = flat.reshape(d, k)
        z = design @ w
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        value = -(sample_weight * (onehot * logp).sum(axis=1)).sum() / n + l2 * (w[:-1] ** 2).sum()
        grad = design.T @ ((np.exp(logp) - onehot) * sample_weight[:, None]) / n
        grad[:-1] += 2 * l2 * w[:-1]
        return value, grad.ravel()

    result = minimize(loss, np.zeros(d * k), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return GenreClassifier(list(genres), mean, scale, result.x.reshape(d, k), {})


def confusion(classifier: GenreClassifier, x: np.ndarray, labels: list[str]) -> dict:
    """Held-out accuracy per genre and the confusion matrix (rows: true genre, columns: predicted)."""
    predicted = classifier.predict_proba(x).argmax(axis=1)
    genres = classifier.genres
    matrix = np.zeros((len(genres), len(genres)), dtype=int)
    for true, guess in zip(labels, predicted):
        matrix[genres.index(true), guess] += 1
    per_genre = {g: float(matrix[i, i] / matrix[i].sum()) if matrix[i].sum() else None for i, g in enumerate(genres)}
    return {"accuracy": float(np.trace(matrix) / max(1, matrix.sum())), "per_genre": per_genre,
            "confusion": matrix.tolist(), "pieces": int(matrix.sum())}
