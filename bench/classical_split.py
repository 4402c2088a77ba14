"""Classical's held-out test pieces against its training pieces and generated pieces (issue 11).

    OMP_NUM_THREADS=1 .venv/bin/python bench/classical_split.py [--model default --pieces 32 --genre classical]

Every set is read as bench/quality.py reads it (60 s excerpts of the tokenized pieces decoded
back to notes; pieces under 16 notes dropped). Per set: how often the shipped genre classifier
hears the genre, pitch classes in the first 30 s, range, scale consistency, note density and the
classifier's note-length shares; then, for each other genre, the classifier features that most
pull the generated pieces toward it, against the held-out test pieces (the mean difference of
each standardised feature times the difference of the two genres' weights, in logits).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from quality import held_out, human_score  # noqa: E402

from sonatina import api  # noqa: E402
from sonatina.analysis import metrics as M  # noqa: E402
from sonatina.analysis.compare import excerpt  # noqa: E402
from sonatina.model.classify import feature_names, features  # noqa: E402
from sonatina.model.registry import genre_classifier  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--genre", default="classical")
    parser.add_argument("--pieces", type=int, default=32)
    args = parser.parse_args()
    model, clf, names = api.load_model(args.model), genre_classifier(), feature_names()
    held, train = held_out(model, "test", limit=10**9)

    def excerpts(pieces):
        scores = [excerpt(human_score(model, p), 60) for p in pieces]
        return [s for s in scores if s.note_num() >= 16]

    sets = {"training split": excerpts(train[args.genre]), "test split": excerpts(held[args.genre]),
            "generated": [p.score for start in range(0, args.pieces, 8)
                          for p in api.compose(model, seconds=60, genre=args.genre, seed=1 + start,
                                               variations=min(8, args.pieces - start))]}
    x = {name: np.array([features(s) for s in scores]) for name, scores in sets.items()}
    durations = [names.index(f"duration_bin_{i}") for i in (3, 6)]
    genre_at = clf.genres.index(args.genre)
    print("| set | pieces | heard as the genre | pc/30s | range | scale | notes/s | notes of 0.5-1 beat | notes > 4 beats |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, scores in sets.items():
        heard = float(np.mean(clf.predict_proba(x[name]).argmax(1) == genre_at))
        print(f"| {name} | {len(scores)} | {heard:.0%} "
              f"| {np.nanmean([M.n_pitch_classes_used(excerpt(s, 30)) for s in scores]):.2f} "
              f"| {np.nanmean([M.pitch_range(s) for s in scores]):.1f} "
              f"| {np.nanmean([M.scale_consistency(s) for s in scores]):.2f} "
              f"| {np.nanmean([M.note_density(s) for s in scores]):.2f} "
              f"| {x[name][:, durations[0]].mean():.0%} | {x[name][:, durations[1]].mean():.1%} |")
    weights = clf.weights[:-1]  # the last row is the bias
    z = {name: (v - clf.mean) / clf.scale for name, v in x.items()}
    for other, g in enumerate(clf.genres):
        if other == genre_at:
            continue
        pull = (z["generated"].mean(0) - z["test split"].mean(0)) * (weights[:, genre_at] - weights[:, other])
        worst = np.argsort(pull)[:5]
        print(f"{args.genre} over {g}: generated minus test, {pull.sum():+.2f} logits; most toward {g}: "
              + ", ".join(f"{names[j]} {pull[j]:+.2f} (generated {x['generated'][:, j].mean():.3g}, "
                             f"test {x['test split'][:, j].mean():.3g})" for j in worst))


if __name__ == "__main__":
    main()
