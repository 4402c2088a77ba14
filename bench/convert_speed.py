"""Conversion speed, before and after: the converter at a git revision against the working tree's.

    .venv/bin/python bench/convert_speed.py --data ../shared/datasets --before 945d33c [--pieces 1 --bars 16] [--model M]
        [--targets jazz folk] [--repeats 3]

Both converters run in one process, interleaved piece by piece, with the same loaded models, on
test-split pieces (bench/convert.py's), seed 1. Reports CPU and wall seconds per minute of music
for each, and whether the two wrote identical MIDI files (the same bytes): on a shared, loaded box, CPU time of the
process is the fairer measure, and interleaving puts both under the same load. With --repeats N
each conversion runs N times (before, now, before, now, ...) and the least time of each counts:
the load only ever adds time.

With --sampler, only sample_voice's own work is timed: each voice's stepper outputs are recorded
once and played back to both sample_voice functions (which must draw the same tokens), so the
LSTM's cost and its load on the caches are left out; reported in microseconds per step.

Only compose/convert.py is taken from the revision: what it imports (the sampler, the steppers) is
the working tree's. To compare whole trees (every module as it was), use bench/compose_speed.py.
"""

from __future__ import annotations

import argparse
import importlib.util
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


def midi_bytes(score) -> bytes:
    """The MIDI file a conversion writes: equal bytes mean equal notes, tracks, programs and tempos."""
    return bytes(score.dumps_midi())


class Recorder:
    """A stepper that keeps what the real one returned, in call order."""

    def __init__(self, stepper):
        self.stepper, self.returned = stepper, []

    def prime(self, *args):
        self.returned.append(self.stepper.prime(*args))
        return self.returned[-1]

    def step(self, *args):
        self.returned.append(self.stepper.step(*args))
        return self.returned[-1]


class Playback:
    """A stepper that returns what a Recorder kept, in the same order (the tokens are the same)."""

    def __init__(self, returned):
        self.returned, self.calls = returned, 0

    def prime(self, *args):
        self.calls += 1
        return self.returned[self.calls - 1]

    step = prime


def sampler_time(before, model, score, target: str, repeats: int) -> tuple[float, float, int]:
    """(before's, now's) least CPU microseconds per step of sample_voice on played-back steps, steps."""
    voices, sample_voice = [], now.sample_voice

    def recording(stepper, *args):
        recorder = Recorder(stepper)
        ids = sample_voice(recorder, *args)
        voices.append((args, recorder.returned, ids))
        return ids

    now.sample_voice = recording
    try:
        now.convert_score(model, None, score, target, seeds=[1])
    finally:
        now.sample_voice = sample_voice
    steps = sum(len(returned) for _, returned, _ in voices)
    least = [np.inf, np.inf]
    for _ in range(repeats):
        for side, module in enumerate((before, now)):
            started = time.process_time()
            for args, returned, ids in voices:
                if not np.array_equal(module.sample_voice(Playback(returned), *args), ids):
                    raise SystemExit(f"{module.__name__}.sample_voice drew other tokens")
            least[side] = min(least[side], (time.process_time() - started) / steps * 1e6)
    return least[0], least[1], steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--before", required=True, help="git revision of the converter to compare with")
    parser.add_argument("--pieces", type=int, default=1)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--model", default="default", help="model name or folder (a private copy keeps runs comparable)")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=TARGETS, help="target genres to convert to")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each conversion; the least time counts")
    parser.add_argument("--sampler", action="store_true", help="time only sample_voice's own work (see above)")
    args = parser.parse_args()
    before = module_at(args.before)
    model, drums = load_model(args.model), drum_model()
    if args.sampler:
        times = []
        for source in SOURCE_GENRES:
            for key, score in held_out(args.data, source, args.pieces, args.bars):
                for target in args.targets:
                    a, b, steps = sampler_time(before, model, score, target, args.repeats)
                    times.append((a, b))
                    print(f"{source:>9} {key} -> {target:<9} {a:.1f} -> {b:.1f} us per step ({steps} steps, the same tokens)",
                          flush=True)
        print(f"\nsample_voice's own work, {args.before} -> now: {np.mean([a for a, _ in times]):.1f} -> "
              f"{np.mean([b for _, b in times]):.1f} us per step (mean over {len(times)} conversions)")
        return
    warm = held_out(args.data, "pop", 1, 4)[0][1]
    for module in (before, now):
        module.convert_score(model, drums, warm, "jazz", seeds=[0])
    cpu, walls = {}, ([], [])
    for source in SOURCE_GENRES:
        for key, score in held_out(args.data, source, args.pieces, args.bars):
            minutes = seconds(score) / 60
            for target in args.targets:
                made = [[None, np.inf, np.inf], [None, np.inf, np.inf]]  # notes, CPU, wall
                for _ in range(args.repeats):
                    for side, module in enumerate((before, now)):
                        started, clock = time.process_time(), time.perf_counter()
                        out = module.convert_score(model, drums, score, target, seeds=[1])[0][0]
                        made[side] = [midi_bytes(out), min(made[side][1], (time.process_time() - started) / minutes),
                                      min(made[side][2], (time.perf_counter() - clock) / minutes)]
                same = made[0][0] == made[1][0]
                cpu.setdefault((source, target), []).append((made[0][1], made[1][1], same))
                walls[0].append(made[0][2])
                walls[1].append(made[1][2])
                print(f"{source:>9} {key} -> {target:<9} cpu s/min {made[0][1]:.2f} -> {made[1][1]:.2f}  "
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
          f"{np.mean(walls[0]):.3f} -> {np.mean(walls[1]):.3f}")
    print(f"\nidentical MIDI files in {sum(s for v in cpu.values() for _, _, s in v)} of "
          f"{sum(len(v) for v in cpu.values())} conversions")


if __name__ == "__main__":
    main()
