"""Which design? The default REMI LSTM against the three seed designs (issue 12), head to head.

    nice -n 10 .venv/bin/python bench/designs.py --cpu-minutes 3 --out bench/designs_out

Every design trains on the same pieces (POP909 as pop + the Bach chorales as chorale, the same
hash split) for the same budget of *process CPU time* (time.process_time: both torch threads
count; the box is shared and loaded, so wall time would hand the budget to whoever ran while the
box was quiet). The training loops' clock is swapped for process time here only; each stops at
its first step past the budget, then validates. Then, on the same held-out pieces (the test
split, which no run's validation touches):

* bits per note, full (what the design models) and for pitch alone (REMI: Pitch tokens
  renormalised over pitches; psdv: the pitch head; classic/twolayer: the event, all they model);
* `compare` numbers for 10 generated pieces of 30 s against 30-s excerpts of the held-out pieces
  (mean overlap area over every feature, pitch-class histogram and mean pitch shift overlaps,
  distinct 4-grams of pitches and intervals) and memorisation against 150 training pieces;
* training targets per second, time to compose 60 s (one piece, NumPy), parameters, size on disk;
  torch trains on 2 threads that sleep while waiting, NumPy runs on one: CPU time is work done;
* the tutorial's per-note loop for `classic`: a torch forward of the 100-event window per note
  (model.predict in Keras adds its own per-call cost, so this is a lower bound on the tutorial).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

# Set before NumPy and torch load their thread pools: torch trains on the box's 2 cores with
# waiting threads asleep (OMP_WAIT_POLICY=PASSIVE), and NumPy (validation, composing) on one
# thread (OpenBLAS busy-waits): on a shared, oversubscribed box a spinning thread would bill CPU
# time to a design without doing its work.
os.environ.update(OMP_NUM_THREADS="2", OMP_WAIT_POLICY="PASSIVE", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["pop=/work/shared/datasets/pop909", "chorale=music21:bach"]
DESIGNS = ["small", "classic", "twolayer", "bilstm-psdv"]  # "small": the default REMI preset
VALIDATION_TOKENS = 20_000  # the runs' own validation only picks their checkpoint; the comparison uses the test split


class ProcessClock:
    """`time` as the training loops see it, with monotonic() counting this process's CPU time."""

    monotonic = staticmethod(time.process_time)

    def __getattr__(self, name):
        return getattr(time, name)


def held_out(limit_pop: int, limit_chorale: int):
    from sonatina.data.corpus import collect_sources
    from sonatina.data.dataset import split_of

    refs = collect_sources(SOURCES)
    test = [r for r in refs if (r.split or split_of(r.key or str(r.path))) == "test"]
    return ([r for r in test if r.genre == "pop"][:limit_pop] + [r for r in test if r.genre == "chorale"][:limit_chorale])


def train_all(out: Path, cpu_minutes: float, only: list[str]) -> None:
    import sonatina.model.design_train as design_train
    import sonatina.model.train as remi_train
    from sonatina import api

    remi_train.time = design_train.time = ProcessClock()
    for design in only:
        run = out / design
        if (run / "model.json").exists():
            print(f"{design}: trained already in {run}", flush=True)
            continue
        started = time.monotonic()
        api.train(SOURCES, run, preset=design, max_minutes=cpu_minutes, epochs=1000, patience=1000,
                  val_max_tokens=VALIDATION_TOKENS, progress=False)
        print(f"{design}: trained in {time.monotonic() - started:.0f} s wall", flush=True)


def evaluate_all(out: Path, refs, only: list[str]) -> dict:
    from sonatina import api
    from sonatina.model.registry import load_model

    files = [str(r.path) for r in refs]
    labelled = [f"{r.genre}={r.path}" for r in refs]
    results = {}
    for design in only:
        loaded = load_model(out / design)
        started = time.process_time()
        # REMI is scored under each piece's own genre (it is conditioned on it); the designs are not
        result = api.evaluate(loaded, labelled if design == "small" else files)
        results[design] = {k: result.get(k) for k in ("bits_per_note", "bits_per_note_pitch", "notes", "pieces",
                                                       "unknown_events")}
        results[design]["eval_cpu_s"] = round(time.process_time() - started, 1)
        print(design, results[design], flush=True)
    return results


def _read(ref):
    """A corpus piece as a Score (music21 formats through their cached MIDI); None if unreadable."""
    from sonatina.data.corpus.reading import converted_midi_files, read_midi
    from sonatina.errors import SonatinaError

    try:
        files = [ref.path] if ref.path.suffix.lower() in (".mid", ".midi") else converted_midi_files(ref.path)
        return read_midi(files[0]) if files else None
    except SonatinaError:
        return None


def compose_and_compare(out: Path, refs, only: list[str], training_pieces: int) -> dict:
    from symusic import Score

    from sonatina import api
    from sonatina.analysis.compare import PieceSet, compare_sets, excerpt
    from sonatina.data.corpus import collect_sources
    from sonatina.data.dataset import split_of
    from sonatina.model.registry import load_model

    reference = PieceSet("reference", "held-out test split", scores=[excerpt(s, 30) for s in map(_read, refs) if s])
    train_refs = [r for r in collect_sources(SOURCES) if (r.split or split_of(r.key or str(r.path))) == "train"]
    rng = np.random.default_rng(0)
    chosen = [train_refs[i] for i in rng.permutation(len(train_refs))]
    training = PieceSet("training", f"{training_pieces} training pieces",
                        scores=[s for s in map(_read, chosen[:training_pieces * 2]) if s][:training_pieces])
    results = {}
    for design in only:
        loaded = load_model(out / design)
        wall, cpu = time.perf_counter(), time.process_time()
        api.compose(loaded, seconds=60, genre="pop", seed=100)
        compose_60 = {"wall_s": round(time.perf_counter() - wall, 2), "cpu_s": round(time.process_time() - cpu, 2)}
        generated = PieceSet("generated", design)
        for genre in ("pop", "chorale"):
            for piece in api.compose(loaded, seconds=30, genre=genre, seed=1, variations=5):
                generated.scores.append(Score.from_midi(piece.score.dumps_midi()))
        (out / design / "generated").mkdir(exist_ok=True)
        for i, s in enumerate(generated.scores):
            s.dump_midi(str(out / design / "generated" / f"{i:02d}.mid"))
        report = compare_sets(generated, reference, training)
        overlaps = {n: f["overlap_area"] for n, f in report["features"].items() if not math.isnan(f["overlap_area"])}
        mem = report["memorisation"]
        div = report["diversity"]["generated"]
        results[design] = {
            "compose_60s": compose_60,
            "mean_overlap": float(np.mean(list(overlaps.values()))),
            "overlap_pitch_class_histogram": overlaps.get("pitch_class_histogram"),
            "overlap_pitch_class_transitions": overlaps.get("pitch_class_transitions"),
            "overlap_mean_pitch_shift": overlaps.get("mean_pitch_shift"),
            "pitch_distinct_4": div["pitch_distinct_4"], "interval_distinct_4": div["interval_distinct_4"],
            "reference_pitch_distinct_4": report["diversity"]["reference"]["pitch_distinct_4"],
            "longest_copied_notes_max": mem["longest_copied_notes_max"],
            "copied_share_max": mem["copied_share_max"], "windows_found_share": mem["windows_found_share"],
        }
        print(design, results[design], flush=True)
    return results


def predict_loop(out: Path, events: int = 120) -> dict:
    """The tutorial's generation loop for classic: one framework forward of the window per note."""
    import torch
    from safetensors.torch import load_file

    from sonatina.model.design_train import build_net
    from sonatina.model.designs import read_design

    config, _, _ = read_design(out / "classic")
    net = build_net(config)
    net.load_state_dict(load_file(str(out / "classic" / "model.safetensors")), strict=False)
    net.float().eval()
    rng = np.random.default_rng(0)
    window = list(rng.integers(2, config.vocab_size, size=config.window))
    wall, cpu = time.perf_counter(), time.process_time()
    with torch.no_grad():
        for _ in range(events):  # 60 s at 120 BPM, one event per half beat
            x = torch.tensor([window[-config.window:]])
            probs = torch.softmax(net(x)["event"][0], dim=-1).numpy().astype(np.float64)
            window.append(int(rng.choice(len(probs), p=probs / probs.sum())))
    return {"events": events, "wall_s": round(time.perf_counter() - wall, 2), "cpu_s": round(time.process_time() - cpu, 2)}


def sizes(out: Path, only: list[str]) -> dict:
    rows = {}
    for design in only:
        card = json.loads((out / design / "model.json").read_text())
        training = card["training"]
        seconds = training["minutes"] * 60
        targets = training.get("items_seen") or training.get("tokens_seen")
        data = card["data"]
        per = data.get("tokens") or data.get("items")
        notes_per_target = data["notes"]["train"] / per["train"] if per else None
        rows[design] = {"parameters": training["parameters"],
                        "checkpoint_mb": round((out / design / "model.safetensors").stat().st_size / 2**20, 2),
                        "training_cpu_s": round(seconds), "steps": training["steps"], "targets_seen": targets,
                        "targets_per_cpu_s": round(targets / seconds, 1) if seconds else None,
                        "notes_per_target": notes_per_target,
                        "validation_bits_per_note": card["validation"]["bits_per_note"]}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cpu-minutes", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "designs_out")
    parser.add_argument("--designs", nargs="+", default=DESIGNS)
    parser.add_argument("--test-pop", type=int, default=4)
    parser.add_argument("--test-chorale", type=int, default=8)
    parser.add_argument("--training-pieces", type=int, default=150)
    parser.add_argument("--train-only", action="store_true", help="Stop after training (a rerun skips trained runs).")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    train_all(args.out, args.cpu_minutes, args.designs)
    if args.train_only:
        return
    refs = held_out(args.test_pop, args.test_chorale)
    print(f"held-out: {len(refs)} test pieces", flush=True)
    result = {"cpu_minutes": args.cpu_minutes, "sizes": sizes(args.out, args.designs)}
    saved = args.out / "likelihood.json"  # a rerun (say, after a crash later on) keeps these
    result["likelihood"] = json.loads(saved.read_text()) if saved.exists() else evaluate_all(args.out, refs, args.designs)
    saved.write_text(json.dumps(result["likelihood"]))
    result["music"] = compose_and_compare(args.out, refs, args.designs, args.training_pieces)
    if "classic" in args.designs:
        result["classic_predict_loop_60s"] = predict_loop(args.out)
    (args.out / "results.json").write_text(json.dumps(result, indent=2, default=float))
    print(json.dumps(result, indent=2, default=float))


if __name__ == "__main__":
    import torch

    torch.set_num_threads(2)
    main()
