"""Conversion speed, before and after: the converter at a git revision against the working tree's.

    .venv/bin/python bench/convert_speed.py --data ../shared/datasets --before 945d33c [--pieces 1 --bars 16] [--model M]
        [--targets jazz folk] [--repeats 3]

Both converters run in one process, interleaved piece by piece, with the same loaded models, on
test-split pieces (bench/convert.py's), seed 1. Reports CPU and wall seconds per minute of music
for each, and whether the two wrote identical notes: on a shared, loaded box, CPU time of the
process is the fairer measure, and interleaving puts both under the same load. With --repeats N
each conversion runs N times (before, now, before, now, ...) and the least time of each counts:
the load only ever adds time.

Where the converter forks (compose/forked.py: a second process writes the bass, another the
drums), the process's CPU time is the parent's, the critical path on two idle cores; its
children's CPU time is printed beside it ("+ children"), and wall time is what a user waits for,
which on a loaded box also counts waiting for a core. --one-process runs the new converter
without forking (SONATINA_PROCESSES=1).

Only compose/convert.py is taken from the revision: what it imports (the sampler, the steppers) is
the working tree's. To compare whole trees (every module as it was), use bench/compose_speed.py.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from convert import SOURCE_GENRES, TARGETS, held_out, seconds  # noqa: E402

from sonatina.compose import convert as now  # noqa: E402
from sonatina.model.registry import drum_model, load_model  # noqa: E402


def module_at(revision: str):
    """compose/convert.py as it was at a git revision, imported under another name."""
    source = subprocess.run(["git", "show", f"{revision}:src/sonatina/compose/convert.py"], check=True,
                            capture_output=True, text=True, cwd=Path(__file__).parent).stdout
    path = Path(tempfile.mkdtemp()) / "convert_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("convert_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["convert_before"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def children_cpu() -> float:
    """CPU seconds of this process's ended (reaped) children so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def notes(score) -> list:
    return [[(n.time, n.duration, n.pitch, n.velocity) for n in t.notes] for t in score.tracks]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--before", required=True, help="git revision of the converter to compare with")
    parser.add_argument("--pieces", type=int, default=1)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--model", default="default", help="model name or folder (a private copy keeps runs comparable)")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=TARGETS, help="target genres to convert to")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each conversion; the least time counts")
    parser.add_argument("--one-process", action="store_true", help="the new converter without forking")
    args = parser.parse_args()
    if args.one_process:
        os.environ["SONATINA_PROCESSES"] = "1"
    before = module_at(args.before)
    model, drums = load_model(args.model), drum_model()
    warm = held_out(args.data, "pop", 1, 4)[0][1]
    for module in (before, now):
        module.convert_score(model, drums, warm, "jazz", seeds=[0])
    cpu, walls, children, order = {}, ([], []), [], []
    for source in SOURCE_GENRES:
        for key, score in held_out(args.data, source, args.pieces, args.bars):
            minutes = seconds(score) / 60
            for target in args.targets:
                made = [[None, np.inf, np.inf, np.inf], [None, np.inf, np.inf, np.inf]]  # notes, CPU, wall, children's CPU
                for _ in range(args.repeats):
                    for side, module in enumerate((before, now)):
                        started, clock, forks = time.process_time(), time.perf_counter(), children_cpu()
                        out = module.convert_score(model, drums, score, target, seeds=[1])[0][0]
                        made[side] = [notes(out), min(made[side][1], (time.process_time() - started) / minutes),
                                      min(made[side][2], (time.perf_counter() - clock) / minutes),
                                      min(made[side][3], (children_cpu() - forks) / minutes)]
                same = made[0][0] == made[1][0]
                cpu.setdefault((source, target), []).append((made[0][1], made[1][1], same))
                order.append((source, target))
                walls[0].append(made[0][2])
                walls[1].append(made[1][2])
                children.append(made[1][3])
                print(f"{source:>9} {key} -> {target:<9} cpu s/min {made[0][1]:.2f} -> {made[1][1]:.2f} "
                      f"(+ children {made[1][3]:.2f})  "
                      f"wall {made[0][2]:.2f} -> {made[1][2]:.2f}  {'identical' if same else 'DIFFERENT'}",
                      flush=True)
    print(f"\nCPU seconds per minute of music, {args.before} -> now (rows: source, columns: target)\n")
    print("| source \\ target | " + " | ".join(args.targets) + " |")
    print("|---|" + "---|" * len(args.targets))
    for source in SOURCE_GENRES:
        cells = [f"{np.mean([a for a, _, _ in cpu[(source, t)]]):.2f} -> {np.mean([b for _, b, _ in cpu[(source, t)]]):.2f}"
                 for t in args.targets]
        print(f"| {source} | " + " | ".join(cells) + " |")
    print(f"\nmean over the conversions: {np.mean([a for v in cpu.values() for a, _, _ in v]):.3f} -> "
          f"{np.mean([b for v in cpu.values() for _, b, _ in v]):.3f} CPU s per minute; wall "
          f"{np.mean(walls[0]):.3f} -> {np.mean(walls[1]):.3f}; now's children {np.mean(children):.3f} CPU s per minute")
    print("\nwall seconds per minute of music (rows: source, columns: target)\n")
    print("| source \\ target | " + " | ".join(args.targets) + " |")
    print("|---|" + "---|" * len(args.targets))
    for source in SOURCE_GENRES:
        cells = [f"{np.mean([w for (s, t), w in zip(order, walls[0]) if (s, t) == (source, target)]):.2f} -> "
                 f"{np.mean([w for (s, t), w in zip(order, walls[1]) if (s, t) == (source, target)]):.2f}"
                 for target in args.targets]
        print(f"| {source} | " + " | ".join(cells) + " |")
    print(f"\nidentical notes in {sum(s for v in cpu.values() for _, _, s in v)} of "
          f"{sum(len(v) for v in cpu.values())} conversions")


if __name__ == "__main__":
    main()
