"""Train the shipped drum groove model on the Groove MIDI Dataset and measure it.

    .venv/bin/python bench/drums.py --data ../shared/datasets --epochs 12 --out src/sonatina/pretrained/drums

Reports validation bits per step against a baseline that knows only each style's hit rate per
class and bar position (what a step-sequencer preset would know), and, per style, how often
generated grooves hit each class on each beat compared with the held-out test performances.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from sonatina.model.drums import STEPS_PER_BAR, DrumModel, read_groove, train

ATTRIBUTION = ("Groove MIDI Dataset v1.0.0 (Gillick, Roberts, Engel, Eck, Bamman 2019), Google Magenta, "
               "CC BY 4.0: https://magenta.tensorflow.org/datasets/groove")


def position_baseline(performances, styles) -> float:
    """Validation bits per step of per-(style, position, class) hit rates from the train split."""
    counts = np.ones((len(styles), STEPS_PER_BAR, 9))
    totals = np.full((len(styles), STEPS_PER_BAR, 1), 2.0)
    for p in performances:
        if p.split == "train":
            s = styles.index(p.style)
            for k in range(STEPS_PER_BAR):
                counts[s, k] += p.hits[k::STEPS_PER_BAR].sum(axis=0)
                totals[s, k] += len(p.hits[k::STEPS_PER_BAR])
    rate = counts / totals
    bits, steps = 0.0, 0
    for p in performances:
        if p.split == "validation":
            r = rate[styles.index(p.style)][np.arange(len(p.hits)) % STEPS_PER_BAR]
            bits -= (p.hits * np.log2(r) + (1 - p.hits) * np.log2(1 - r)).sum()
            steps += len(p.hits)
    return bits / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--out", type=Path, default=Path("runs/drums"))
    args = parser.parse_args()
    started = time.perf_counter()
    performances = read_groove(args.data / "groove")
    print(f"{len(performances)} performances read in {time.perf_counter() - started:.1f} s")
    styles = sorted({p.style for p in performances})
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    card = train(performances, args.out, hidden=args.hidden, minutes=args.minutes, epochs=args.epochs,
                 extra_card={"command": command, "attribution": ATTRIBUTION})
    print(f"validation: LSTM {card['validation']['bits_per_step']:.3f} bits per step; "
          f"position baseline {position_baseline(performances, styles):.3f}")
    model = DrumModel.load(args.out)
    print("| style | beat hits per bar, test (kick/snare/hats/ride) | generated |")
    for style in ("rock", "funk", "jazz", "latin", "pop", "hiphop"):
        test = [p for p in performances if p.style == style and p.split == "test" and not p.fill]
        if not test:
            continue
        human = np.vstack([p.hits for p in test])
        made = model.sample_hits(style, 32, fill_every=0, seed=1)
        show = lambda h: "/".join(f"{h[:, c].sum() / (len(h) / STEPS_PER_BAR):.1f}" for c in (0, 1, 2, 8))  # noqa: E731
        print(f"| {style} | {show(human)} | {show(made)} |")


if __name__ == "__main__":
    main()
