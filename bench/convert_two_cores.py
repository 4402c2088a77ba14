"""Conversion on two idle cores, estimated from CPU times on a busy box (compose/forked.py).

    .venv/bin/python bench/convert_two_cores.py --data ../shared/datasets [--pieces 4 --bars 16]
        [--targets jazz folk] [--repeats 3]

On a box whose cores are taken by other work, a forked child only gets a core's share, so the
wall time says little about two idle cores. CPU times do: each conversion runs once in one
process (SONATINA_PROCESSES=1; its CPU time is its wall time on an idle core) and once forked,
where the parent's CPU time is noted each time it needs something from a child (the next bar of
the bass, when the part hearing it reaches that bar; the drums at the end), and the child's CPU
time when it sent it. Replaying those on two cores (each process
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

NEEDS: list = []  # (parent CPU s, child, position needed through or None for its end, positions per bar)
SENDS: dict = {}  # child -> {bar or "done": when it sent that, on the parent's clock}
STARTED = [0.0]


def parent_cpu() -> float:
    return time.process_time() - STARTED[0]


class TimedChild(forked.Child):
    """A child whose messages carry its CPU time when sent (its clock starts at the parent's CPU
    time when it forked: no wait precedes a fork)."""

    def __init__(self, work):
        self.forked_at = parent_cpu()
        SENDS[self] = {}
        super().__init__(lambda send: (work(lambda value: send((value, time.process_time()))), time.process_time()))

    def receive(self):
        kind, (value, child_cpu) = super().receive()
        SENDS[self][value[0] if kind == "part" else "done"] = self.forked_at + child_cpu
        return kind, value

    def result(self):
        NEEDS.append((parent_cpu(), self, None, None))
        return super().result()


def timed_fill(fill):
    def needing(self, forced, pending, through):
        if through is None or through > getattr(self, "needed", -1):  # a new bar reached, or the end
            NEEDS.append((parent_cpu(), self.child, through, self.per_bar))
            self.needed = through if through is not None else float("inf")
        return fill(self, forced, pending, through)
    return needing


def timed_finished(finished):
    def needing(self):
        NEEDS.append((parent_cpu(), self.child, None, self.per_bar))
        return finished(self)
    return needing


def two_core_wall(total_parent_cpu: float) -> float:
    """Replay the parent's needs against the children's sends: its CPU plus its waits."""
    waited = 0.0
    for cpu, child, through, per_bar in NEEDS:
        sent = SENDS[child]
        if "done" not in sent:
            continue  # a child that failed: the parent did the work, counted in its CPU
        bars = [sent.get(bar, sent["done"]) for bar in range(-(-through // per_bar))] if through is not None else []
        waited += max(0.0, max(bars or [sent["done"]]) - (cpu + waited))
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
    convert.ArrivingNotes.fill = timed_fill(convert.ArrivingNotes.fill)
    convert.ArrivingNotes.finished = timed_finished(convert.ArrivingNotes.finished)
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
                    NEEDS.clear()
                    SENDS.clear()
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
