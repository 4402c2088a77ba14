"""Register and rests per genre (issue 11): people's spans, and what the two processors cost.

    .venv/bin/python bench/register.py people [--model default]   # per genre and split: 60 s excerpts'
        pitch range (10/25/50/75/90th percentile, mean, sd), notes/s and empty-beat rate
    .venv/bin/python bench/register.py speed [--genre jazz]        # CPU s for five 60 s pieces with the
        genre's window and rest bias and without them (best of 5 alternating rounds), and the notes written

The spans in compose/sample.py's PITCH_SPAN_BY_GENRE come from the `people` table's training rows.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from quality import held_out, human_score  # noqa: E402  (the held-out split exactly as bench/quality.py reads it)

from sonatina import api  # noqa: E402
from sonatina.analysis import metrics as M  # noqa: E402
from sonatina.analysis.compare import excerpt  # noqa: E402
from sonatina.compose import sample  # noqa: E402


def people(model_name: str) -> None:
    model = api.load_model(model_name)
    for split in ("train", "validation", "test"):
        held, train = held_out(model, "validation" if split == "train" else split, limit=10**9)
        for genre in model.genres:
            scores = [excerpt(human_score(model, p), 60) for p in (train if split == "train" else held).get(genre, [])]
            scores = [s for s in scores if s.note_num() >= 16]  # as bench/quality.py: a silent intro says nothing
            if not scores:
                continue
            ranges = np.array([M.pitch_range(s) for s in scores])
            print(f"{split:10s} {genre:10s} {len(scores):5d} pieces  range percentiles 10/25/50/75/90 "
                  f"{np.percentile(ranges, [10, 25, 50, 75, 90]).round(1).tolist()}  mean {ranges.mean():.1f} "
                  f"sd {ranges.std():.1f}  notes/s {np.nanmean([M.note_density(s) for s in scores]):.2f}  "
                  f"empty beats {np.nanmean([M.empty_beat_rate(s) for s in scores]):.3f}", flush=True)


def speed(genre: str, rounds: int = 5) -> None:
    """Rounds alternate with and without the processors (the box is shared: the best round of each counts)."""
    model = api.load_model("default")
    api.compose(model, genre=genre, seconds=10, seed=1)  # warm: weights, native step
    tables = (sample.PITCH_SPAN_BY_GENRE, sample.REST_BIAS_BY_GENRE)
    shipped = [table.get(genre) for table in tables]
    times, notes = {"with": [], "without": []}, {}
    try:
        for _ in range(rounds):
            for label in times:
                for table, value in zip(tables, shipped):
                    if label == "with" and value is not None:
                        table[genre] = value
                    else:
                        table.pop(genre, None)
                started = time.process_time()
                notes[label] = sum(api.compose(model, genre=genre, seconds=60, seed=seed)[0].score.note_num()
                                   for seed in range(1, 6))
                times[label].append(time.process_time() - started)
    finally:
        for table, value in zip(tables, shipped):
            if value is not None:
                table[genre] = value
    for label, runs in times.items():
        print(f"{label} the genre's window and rest bias: {min(runs):.2f} CPU s for five 60 s pieces "
              f"(rounds {[round(t, 2) for t in runs]}), {notes[label]} notes", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("people", "speed"))
    parser.add_argument("--model", default="default")
    parser.add_argument("--genre", default="jazz")
    args = parser.parse_args()
    people(args.model) if args.what == "people" else speed(args.genre)


if __name__ == "__main__":
    main()
