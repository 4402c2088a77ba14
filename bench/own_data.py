"""A quick own-data run, measured: train on a small folder of one style for MINUTES, compose, and
compare with held-out music of that style (overlap, intervals, tonality, copying).

    .venv/bin/python bench/own_data.py --train pop=/tmp/own/pop30 --reference /tmp/own/heldout_test \
        --out /tmp/own/bench [--minutes 10] [--cpu-clock]

--cpu-clock measures the budget in this process's CPU seconds divided by two, i.e. the minutes an
otherwise idle 2-core machine would give it (the shared box is often at load 10+, where 10 wall
minutes give a niced run one CPU-minute). Without it, wall minutes as `sonatina train` counts them.
"""

from __future__ import annotations

import argparse
import json
import time
import types
from pathlib import Path

import numpy as np

from sonatina import api
from sonatina.analysis.compare import compare_folders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", required=True, help="GENRE=FOLDER of the user's music")
    parser.add_argument("--reference", required=True, help="folder of held-out music of that style")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--cpu-clock", action="store_true")
    parser.add_argument("--pieces", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--skip-training", action="store_true", help="compose from OUT/run as it is")
    args = parser.parse_args()
    genre, folder = args.train.split("=", 1)
    run = args.out / "run"
    if not args.skip_training:
        if args.cpu_clock:
            from sonatina.model import train as T

            T.time = types.SimpleNamespace(monotonic=lambda: time.process_time() / 2)
        started = time.process_time()
        card = api.train([args.train], run, max_minutes=args.minutes, progress=True, overwrite=True)  # a rerun starts afresh
        print(f"trained: {card['training']['steps']} steps, {card['training']['epochs']} epochs, "
              f"{(time.process_time() - started) / 60:.1f} CPU-minutes, validation "
              f"{card['validation']['bits_per_note']:.2f} bits/note", flush=True)
    generated = args.out / "generated"
    for strength in (0.0, None):  # plain sampling, and the genre's default scale strength
        folder_out = generated / ("plain" if strength == 0 else "default_strength")
        folder_out.mkdir(parents=True, exist_ok=True)
        for first in range(1, args.pieces + 1, 8):
            for piece in api.compose(str(run), genre=genre, seconds=args.seconds, seed=first,
                                     variations=min(8, args.pieces + 1 - first), scale_strength=strength):
                piece.write_midi(folder_out / f"{piece.seed}.mid")
        result = compare_folders(folder_out, args.reference, args.out / f"report_{folder_out.name}",
                                 training=folder, excerpt_seconds=args.seconds)
        oas = [f["overlap_area"] for f in result["features"].values() if f["overlap_area"] is not None]
        m = result["metrics"]
        row = {"sampling": folder_out.name, "mean_overlap_area": round(float(np.mean(oas)), 3),
               **{k: (round(m[k]["generated"]["mean"], 3), round(m[k]["reference"]["mean"], 3))
                  for k in ("n_pitch_classes_used", "scale_consistency", "mean_pitch_shift", "empty_beat_rate",
                            "polyphony", "note_density")},
               "longest_copied_notes": result["memorisation"]["longest_copied_notes_max"],
               "windows_found_share": result["memorisation"]["windows_found_share"]}
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
