"""Conversion on two idle cores, estimated from CPU times on a busy box (compose/forked.py).

    .venv/bin/python bench/convert_two_cores.py --data ../shared/datasets [--pieces 4 --bars 16]
        [--targets jazz folk] [--repeats 3]

On a box whose cores are taken by other work, a forked child only gets a core's share, so the
wall time says little about two idle cores. CPU times do: each conversion runs once in one
process (SONATINA_PROCESSES=1; its CPU time is its wall time on an idle core) and once forked,
where the parent's CPU time is noted each time it reads a child's message (a bar of the bass,
the drums), and the child's CPU time when it sent it. Replaying those on two cores (each process
on its own, the parent waiting whenever it reads a message the child has not sent yet) gives the
wall time there: the parent's CPU plus its waits. The drums child runs beside the whole
conversion and is collected at the end (its wait is counted too). Least of --repeats runs each.
Also printed: the wall time measured here, and whether both runs wrote the same MIDI bytes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from convert import SOURCE_GENRES, TARGETS, held_out, seconds  # noqa: E402

from sonatina.compose import convert, forked  # noqa: E402
from sonatina.model.registry import drum_model, load_model  # noqa: E402

EVENTS: list = []  # (parent CPU s when it read a message, when the message was sent on the same clock)


class TimedChild(forked.Child):
    """A child whose messages carry its CPU time when sent; the parent notes when it reads them."""

    def __init__(self, work):
        self.forked_at = time.process_time() - STARTED[0]
        super().__init__(lambda send: (work(lambda value: send((value, time.process_time()))), time.process_time()))

    def receive(self):
        reading = time.process_time() - STARTED[0]
        kind, (value, child_cpu) = super().receive()
        EVENTS.append((reading, self.forked_at + child_cpu))
        return kind, value


STARTED = [0.0]


def two_core_wall(total_parent_cpu: float) -> float:
    """Replay the reads against the sends: the parent's CPU plus its waits (no wait precedes a fork,
    so a child's clock starts at the parent's CPU time when it forked)."""
    waited = 0.0
    for reading, sent in EVENTS:
        waited += max(0.0, sent - (reading + waited))
    return total_parent_cpu + waited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--pieces", type=int, default=1)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--model", default="default")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=TARGETS)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    forked.threading.active_count = lambda: 1  # noqa: E731  (a measurement: no other thread of ours forks)
    convert.Child = TimedChild
    model, drums = load_model(args.model), drum_model()
    warm = held_out(args.data, "pop", 1, 4)[0][1]
    convert.convert_score(model, drums, warm, "jazz", seeds=[0])
    rows = []
    for source in SOURCE_GENRES:
        for key, score in held_out(args.data, source, args.pieces, args.bars):
            minutes = seconds(score) / 60
            for target in args.targets:
                best = [np.inf, np.inf, np.inf, np.inf]  # one process CPU, two-core estimate, parent CPU, wall forked
                files = []
                for _ in range(args.repeats):
                    os.environ["SONATINA_PROCESSES"] = "1"
                    started = time.process_time()
                    files.append(convert.convert_score(model, drums, score, target, seeds=[1])[0][0].dumps_midi())
                    best[0] = min(best[0], (time.process_time() - started) / minutes)
                    os.environ["SONATINA_PROCESSES"] = "0"
                    EVENTS.clear()
                    STARTED[0], clock = time.process_time(), time.perf_counter()
                    files.append(convert.convert_score(model, drums, score, target, seeds=[1])[0][0].dumps_midi())
                    parent = time.process_time() - STARTED[0]
                    best[1] = min(best[1], two_core_wall(parent) / minutes)
                    best[2] = min(best[2], parent / minutes)
                    best[3] = min(best[3], (time.perf_counter() - clock) / minutes)
                same = len(set(files)) == 1
                rows.append((source, target, *best, same))
                print(f"{source:>9} {key} -> {target:<9} one process {best[0]:.2f}  two idle cores {best[1]:.2f} "
                      f"(parent CPU {best[2]:.2f})  wall here {best[3]:.2f}  {'identical' if same else 'DIFFERENT'}",
                      flush=True)
    print("\nseconds per minute of music: one process (CPU) -> two idle cores (estimated); rows: source\n")
    print("| source \\ target | " + " | ".join(args.targets) + " |")
    print("|---|" + "---|" * len(args.targets))
    for source in SOURCE_GENRES:
        cells = []
        for target in args.targets:
            mine = [r for r in rows if r[:2] == (source, target)]
            cells.append(f"{np.mean([r[2] for r in mine]):.2f} -> {np.mean([r[3] for r in mine]):.2f}")
        print(f"| {source} | " + " | ".join(cells) + " |")
    print(f"\nmean: one process {np.mean([r[2] for r in rows]):.3f} -> two idle cores {np.mean([r[3] for r in rows]):.3f} "
          f"s per minute; cells over 1 s: {sum(np.mean([r[2] for r in rows if r[:2] == c]) > 1 for c in set(r[:2] for r in rows))} -> "
          f"{sum(np.mean([r[3] for r in rows if r[:2] == c]) > 1 for c in set(r[:2] for r in rows))} of "
          f"{len(set(r[:2] for r in rows))}; identical bytes in {sum(r[-1] for r in rows)} of {len(rows)}")


if __name__ == "__main__":
    main()
