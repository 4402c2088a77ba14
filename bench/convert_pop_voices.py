"""Conversions to pop with other pop voices: which texture is thin and still heard as pop.

    .venv/bin/python bench/convert_pop_voices.py --data ../shared/datasets [--split validation]
        [--pieces 8] [--seed 1] [--voices shipped dense eighths3 ...]

Each candidate replaces compose/convert.py's pop Arrangement for the run (the frame only: the
same drums and instruments); every source genre's held-out pieces (bench/convert.py's, first 16
bars) are converted to pop with it. Per candidate, over all the conversions: the share the
accompaniment judge hears as pop and its mean margin (log pop probability minus the best other
class's; the least in brackets), the share where every judge agrees (drums too), the share the
whole-piece genre classifier calls pop, harmony kept (mean, and the worst source genre's mean),
melody kept, new notes per bar, and CPU seconds per minute of music. Tune on validation.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from convert import SOURCE_GENRES, accompaniment_per_bar, harmony_kept, held_out, melody_kept, seconds  # noqa: E402

from sonatina import api  # noqa: E402
from sonatina.compose import convert as converter  # noqa: E402
from sonatina.compose.convert import BASS_CEILING, Arrangement, Voice  # noqa: E402
from sonatina.model.judges import hear, verdicts  # noqa: E402
from sonatina.model.registry import genre_classifier  # noqa: E402

PIANO, BASS = "acoustic grand piano", "electric bass (finger)"


def pop(*voices: Voice) -> Arrangement:
    return Arrangement("electric piano 1", voices, drums="pop")


def piano(per_onset: int, grid: float = 0.0, low: int = 28, **rules) -> Voice:
    """Pop's one piano voice, its lowest notes under E3 split off as the bass part."""
    return Voice("piano", PIANO, low, 84, per_onset, bass=BASS, dense=True, grid=grid, **rules)


def walking_bass(pulse: float) -> Voice:
    return Voice("bass", BASS, 28, BASS_CEILING, 1, pulse=pulse, walking=True)


CANDIDATES = {
    "shipped": converter.ARRANGEMENTS["pop"],
    "dense": pop(piano(4)),  # before issue 10's pop change: anywhere, up to 4 together
    "eighths4": pop(piano(4, 0.5)),
    "eighths3": pop(piano(3, 0.5)),
    "eighths2": pop(piano(2, 0.5)),
    "beats4": pop(piano(4, 1.0)),
    "sixteenths3": pop(piano(3, 0.25)),
    "sixteenths2": pop(piano(2, 0.25)),
    "eighths3-from-C2": pop(piano(3, 0.5, low=36)),
    "eighths3-pulse2": pop(piano(3, 0.5, pulse=2)),
    "eighths-thinned": pop(Voice("piano", PIANO, 28, 84, 4, bass=BASS, grid=0.5)),  # the model's own odds
    "bass-beats+eighths3": pop(walking_bass(1), Voice("piano", PIANO, 48, 84, 3, dense=True, grid=0.5)),
    "bass-1-3+eighths3": pop(walking_bass(2), Voice("piano", PIANO, 48, 84, 3, dense=True, grid=0.5)),
    "bass-beats+eighths2": pop(walking_bass(1), Voice("piano", PIANO, 48, 84, 2, dense=True, grid=0.5)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--split", default="validation", choices=("test", "validation"))
    parser.add_argument("--pieces", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--voices", nargs="+", default=list(CANDIDATES), choices=list(CANDIDATES))
    args = parser.parse_args()
    classifier = genre_classifier()
    pieces = [(genre, score) for genre in SOURCE_GENRES
              for _, score in held_out(args.data, genre, args.pieces, 16, args.split)]
    api.convert(pieces[0][1], to="pop", seed=0)  # load the models before timing
    shipped = converter.ARRANGEMENTS["pop"]
    print("| pop voice | accomp. judge: pop | margin (least) | judged | classifier: pop | harmony kept "
          "| worst source | melody | notes per bar | CPU s/min |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    try:
        for name in args.voices:
            converter.ARRANGEMENTS["pop"] = CANDIDATES[name]
            rows = []
            for genre, score in pieces:
                cpu = time.process_time()
                out = api.convert(score, to="pop", seed=args.seed)[0].score
                cpu = time.process_time() - cpu
                heard = hear(out)["accompaniment"] or {}
                others = max((p for g, p in heard.items() if g != "pop"), default=1e-12)
                said = [v for v in verdicts(out, "pop").values() if v is not None]
                guessed = classifier.probabilities(out)
                rows.append({"genre": genre, "pop": float(next(iter(heard), "") == "pop"),
                             "margin": float(np.log(max(heard.get("pop", 0.0), 1e-12)) - np.log(max(others, 1e-12))),
                             "judged": float(all(said)), "classifier": float(max(guessed, key=guessed.get) == "pop"),
                             "harmony": harmony_kept(score, out), "melody": melody_kept(score, out),
                             "density": accompaniment_per_bar(out, 16), "cpu": cpu / seconds(score) * 60})
            mean = {k: float(np.nanmean([r[k] for r in rows])) for k in rows[0] if k != "genre"}
            worst = min((float(np.nanmean([r["harmony"] for r in rows if r["genre"] == g])), g)
                        for g in {r["genre"] for r in rows})
            print(f"| {name} | {mean['pop']:.0%} | {mean['margin']:.2f} ({min(r['margin'] for r in rows):.2f}) "
                  f"| {mean['judged']:.0%} | {mean['classifier']:.0%} | {mean['harmony']:.3f} | {worst[0]:.2f} ({worst[1]}) "
                  f"| {mean['melody']:.3f} | {mean['density']:.1f} | {mean['cpu']:.2f} |", flush=True)
    finally:
        converter.ARRANGEMENTS["pop"] = shipped
    print(f"\n{len(pieces)} {args.split}-split pieces (first 16 bars) converted to pop, seed {args.seed}")


if __name__ == "__main__":
    main()
