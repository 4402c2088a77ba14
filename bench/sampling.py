"""Which sampling settings make music closest to held-out human music?

    .venv/bin/python bench/sampling.py --data ../shared/datasets [--model default] [--pieces 20]

For each genre with held-out music here (pop: POP909, jazz: Weimar Jazz Database) and each
setting of temperature / top-p, composes PIECES pieces of SECONDS and compares them with the
opening SECONDS of the genre's test-split pieces (the split training used, so the model never
saw them) the way `sonatina compare` does. Prints a Markdown table: the mean overlap area over
the MGEval features (1 = indistinguishable distributions; human vs human is ~0.95), the share
of distinct pitch 4-grams (diversity) and the longest run of notes copied from the training split.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from sonatina import api
from sonatina.analysis import compare as C
from sonatina.data.corpus import collect_sources, load_score
from sonatina.data.dataset import split_of
from sonatina.errors import BadInputError

SETTINGS = [(1.0, None), (0.9, None), (1.0, 0.95), (0.9, 0.95), (0.8, 0.95)]
GENRE_SOURCES = {"pop": "pop909", "jazz": "wjazzd"}


def held_out(data: Path, folder: str) -> tuple[list, list]:
    """(test pieces, training pieces) of a collection, split exactly as training split it."""
    refs = collect_sources([str(data / folder)])

    def read(split):
        scores = []
        for ref in refs:
            if split_of(ref.key) == split:
                try:
                    scores.append(load_score(ref.path))
                except BadInputError:  # the few files training skipped too (SMPTE timing)
                    pass
        return scores

    return read("test"), read("train")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder holding pop909/ and wjazzd/")
    parser.add_argument("--model", default="default")
    parser.add_argument("--pieces", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    model = api.load_model(args.model)
    print("| genre | temperature | top-p | mean overlap area | distinct pitch 4-grams (human) | longest copied span |")
    print("|---|---|---|---|---|---|")
    for genre, folder in GENRE_SOURCES.items():
        test, train = held_out(args.data, folder)
        reference = C.PieceSet("reference", folder, scores=[C.excerpt(s, args.seconds) for s in test])
        training = C.PieceSet("training", folder, scores=train)
        for temperature, top_p in SETTINGS:
            pieces = []  # compose takes at most 16 variations a call: seeds 1-16, then 101, 102, ...
            for first_seed, count in ((1, min(args.pieces, 16)), (101, args.pieces - 16)):
                if count > 0:
                    pieces += api.compose(model, genre=genre, seconds=args.seconds, temperature=temperature,
                                          top_p=top_p, seed=first_seed, variations=count)
            generated = C.PieceSet("generated", "-", scores=[p.score for p in pieces])
            result = C.compare_sets(generated, reference, training)
            overlap = np.mean([f["overlap_area"] for f in result["features"].values()])
            div = result["diversity"]
            print(f"| {genre} | {temperature:g} | {top_p or '-'} | {overlap:.3f} | "
                  f"{div['generated']['pitch_distinct_4']:.3f} ({div['reference']['pitch_distinct_4']:.3f}) | "
                  f"{result['memorisation']['longest_copied_notes_max']} notes |", flush=True)


if __name__ == "__main__":
    main()
