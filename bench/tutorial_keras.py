"""The notes-and-chords tutorial's generation loop run as the tutorial runs it (Keras, one `model.predict`
per note) against Sonatina's default composing 60 s of pop: issue 12's "100x faster" goal, measured.

Keras is not a Sonatina dependency and must not become one, so this runs from its own throwaway
virtualenv (the project's .venv and pyproject.toml stay as they are):

    python3 -m venv /tmp/kerasvenv
    /tmp/kerasvenv/bin/pip install keras torch==2.13.0   # Keras 3 on its torch backend (CPU wheel)
    /tmp/kerasvenv/bin/pip install tensorflow-cpu        # optional: the TensorFlow backend the tutorial used
    nice -n 10 /tmp/kerasvenv/bin/python bench/tutorial_keras.py [--rounds 2] [--json out.json]

What it measures. The tutorial's network, built untrained (its speed does not depend on its weights)
with the vocabulary of the recorded `classic` run (1,112 events): LSTM 512 (input (100, 1), recurrent
dropout 0.3, sequences) -> LSTM 512 (recurrent dropout 0.3, sequences) -> LSTM 512 -> batch norm ->
dropout 0.3 -> Dense 256 -> ReLU -> batch norm -> dropout 0.3 -> Dense n_vocab -> softmax. Then its
loop for 120 events (60 s at 120 BPM, one event per half beat): reshape the 100-event window to
(1, 100, 1), divide by n_vocab, `model.predict(x, verbose=0)`, argmax, append, slide the window; one
warm-up `predict` first. Wall and process CPU time (every thread of the process counted), for each
Keras backend installed (torch, tensorflow), with the backend held to one thread and with its default
threads; each in its own process, since thread pools are fixed when a backend starts. The same loop
calling the model directly (`model(x, training=False)`, no `predict`) is timed for --direct-events
events too (eager TensorFlow takes seconds a call, so not all 120), to show what `predict` adds or
saves. After each round the project's own Python (its .venv) composes 60 s of pop with the default
model (one warm-up compose, then three; the smallest counts), so both sides meet the same load; the
ratios are loop / compose, CPU against CPU and wall against wall, each side's smallest over the rounds.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
               "TF_NUM_INTEROP_THREADS")

COMPOSE = """
import json, sys, time
from sonatina import api
from sonatina.model.registry import load_model
model = load_model(sys.argv[1])
genre = sys.argv[2] if sys.argv[2] in model.genres else model.genres[0]
api.compose(model, seconds=10, genre=genre, seed=1)  # warm: imports, tables
runs = []
for _ in range(3):
    wall, cpu = time.perf_counter(), time.process_time()
    api.compose(model, seconds=60, genre=genre, seed=100)
    runs.append((time.process_time() - cpu, time.perf_counter() - wall))
print(json.dumps({"genre": genre, "cpu_s": min(r[0] for r in runs), "wall_s": min(r[1] for r in runs)}))
"""


def tutorial_model(keras, n_vocab: int, window: int):
    from keras import layers

    model = keras.Sequential([
        keras.Input((window, 1)),  # the tutorial's input_shape=(100, 1) on the first LSTM, without Keras 3's warning
        layers.LSTM(512, recurrent_dropout=0.3, return_sequences=True),
        layers.LSTM(512, return_sequences=True, recurrent_dropout=0.3),
        layers.LSTM(512),
        layers.BatchNormalization(),
        layers.Dropout(0.3),
        layers.Dense(256),
        layers.Activation("relu"),
        layers.BatchNormalization(),
        layers.Dropout(0.3),
        layers.Dense(n_vocab),
        layers.Activation("softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop")
    return model


def worker(backend: str, threads: int, events: int, n_vocab: int, window: int, direct_events: int) -> None:
    """One backend and thread setting in this process; print one JSON line."""
    os.environ["KERAS_BACKEND"] = backend
    if threads == 1:  # before the backend starts its thread pools
        if backend == "tensorflow":
            import tensorflow as tf

            tf.config.threading.set_intra_op_parallelism_threads(1)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        else:
            import torch

            torch.set_num_threads(1)
            torch.set_num_interop_threads(1)
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    model = tutorial_model(keras, n_vocab, window)
    rng = np.random.default_rng(0)
    start = [int(i) for i in rng.integers(0, n_vocab, size=window)]  # the tutorial starts from a random training window

    def loop(forward, count: int) -> tuple[float, float, list[int]]:
        pattern = list(start)
        notes = []
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(count):
            x = np.reshape(pattern, (1, len(pattern), 1)) / float(n_vocab)
            prediction = forward(x)
            index = int(np.argmax(prediction))
            notes.append(index)
            pattern.append(index)
            pattern = pattern[1:len(pattern)]
        return time.process_time() - cpu, time.perf_counter() - wall, notes

    def predict(x):
        return model.predict(x, verbose=0)

    def direct(x):
        return keras.ops.convert_to_numpy(model(x, training=False))

    predict(np.zeros((1, window, 1)))  # warm-up: builds the predict function / traces the graph
    cpu, wall, notes = loop(predict, events)
    direct(np.zeros((1, window, 1)))
    direct_cpu, direct_wall, direct_notes = loop(direct, direct_events)
    print(json.dumps({
        "backend": backend, "threads": threads, "events": events, "cpu_s": cpu, "wall_s": wall,
        "direct_events": direct_events, "direct_cpu_s": direct_cpu, "direct_wall_s": direct_wall,
        "same_notes": notes[:direct_events] == direct_notes,
        "other_backend_loaded": ("tensorflow" if backend == "torch" else "torch") in sys.modules,
        "versions": {"keras": keras.__version__, backend: sys.modules[backend].__version__},
    }))


def child_env(threads: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    if threads == 1:
        env.update({name: "1" for name in THREAD_VARS})
    return env


def run_json(command: list[str], env: dict) -> dict:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{command[:3]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--events", type=int, default=120, help="events for 60 s: 120 BPM, one per half beat")
    parser.add_argument("--vocab", type=int, default=1112, help="the recorded classic run's vocabulary")
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--direct-events", type=int, default=10, help="events for the direct-call loop")
    parser.add_argument("--backends", nargs="*", default=None, help="default: every one installed here")
    parser.add_argument("--project-python", default=str(ROOT / ".venv" / "bin" / "python"))
    parser.add_argument("--model", default="default", help="the REMI model to compose with")
    parser.add_argument("--genre", default="pop")
    parser.add_argument("--json", type=Path, help="write every measurement here")
    parser.add_argument("--worker", nargs=2, metavar=("BACKEND", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker[0], int(args.worker[1]), args.events, args.vocab, args.window, args.direct_events)

    backends = args.backends or [b for b in ("tensorflow", "torch") if importlib.util.find_spec(b)]
    if not importlib.util.find_spec("keras") or not backends:
        sys.exit("Keras and a backend are needed: see this file's docstring for the virtualenv")
    settings = [(b, t) for b in backends for t in (1, 0)]  # 0: the backend's default threads
    runs: dict[str, list[dict]] = {f"{b}/{t}": [] for b, t in settings}
    runs["compose"] = []
    loads = [os.getloadavg()]
    for round_ in range(args.rounds):
        for backend, threads in settings:
            command = [sys.executable, __file__, "--worker", backend, str(threads), "--events", str(args.events),
                       "--vocab", str(args.vocab), "--window", str(args.window),
                       "--direct-events", str(args.direct_events)]
            runs[f"{backend}/{threads}"].append(run_json(command, child_env(threads)))
        env = child_env(0)
        env.pop("KERAS_BACKEND", None)
        env["PYTHONPATH"] = str(ROOT / "src")
        runs["compose"].append(run_json([args.project_python, "-c", COMPOSE, args.model, args.genre], env))
        loads.append(os.getloadavg())
        print(f"round {round_ + 1} of {args.rounds} done, load {loads[-1][0]:.2f}", file=sys.stderr, flush=True)

    compose_cpu = min(r["cpu_s"] for r in runs["compose"])
    compose_wall = min(r["wall_s"] for r in runs["compose"])
    print(f"60 s of music ({args.events} events); smallest of {args.rounds} rounds; load average (1 min) "
          f"{min(l[0] for l in loads):.2f}-{max(l[0] for l in loads):.2f}\n")
    print(f"Sonatina default, {runs['compose'][0]['genre']} 60 s: {compose_cpu:.3f} CPU s, {compose_wall:.3f} s wall\n")
    print("| Keras backend | threads | predict loop CPU s | wall s | ms per predict (CPU / wall) | CPU ratio "
          "| wall ratio | direct call, ms (CPU / wall) |")
    print("|---|---|---|---|---|---|---|---|")
    for backend, threads in settings:
        rows = runs[f"{backend}/{threads}"]
        cpu, wall = min(r["cpu_s"] for r in rows), min(r["wall_s"] for r in rows)
        dcpu, dwall = (1000 * min(r[k] for r in rows) / args.direct_events for k in ("direct_cpu_s", "direct_wall_s"))
        print(f"| {backend} {rows[0]['versions'][backend]} | {threads or 'default'} | {cpu:.2f} | {wall:.2f} | "
              f"{1000 * cpu / args.events:.0f} / {1000 * wall / args.events:.0f} | {cpu / compose_cpu:.0f}x | "
              f"{wall / compose_wall:.0f}x | {dcpu:.0f} / {dwall:.0f} |")
    worst = min(r["cpu_s"] / c["cpu_s"] for key, rows in runs.items() if key != "compose"
                for r, c in zip(rows, runs["compose"]))
    print(f"\nLowest CPU ratio of a loop to the compose of its own round: {worst:.0f}x")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "loads": loads}, indent=1))


if __name__ == "__main__":
    main()
