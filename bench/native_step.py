"""One LSTM step, three ways: NumPy's (NumpyStepper), NumPy's with tables (TableStepper) and C's
(NativeStepper, model/native_step.c); the shipped default model, one BLAS thread.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/native_step.py [--steps 5000] [--model default]

Reports microseconds per step for one row (converting), per step for four rows (four variations
composed side by side) and per token when priming 2,000 tokens, each the least of 3 runs; and how
far the native logits are from NumPy's after 2,000 tokens.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sonatina.model.native_stepper import NativeStepper, _library
from sonatina.model.registry import load_model
from sonatina.model.stepper import one_blas_thread
from sonatina.model.table_stepper import TableStepper


def least_of_3(call) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def steps(stepper, tokens: np.ndarray) -> None:
    rows = tokens.shape[0]
    genres, modes, state = np.zeros(rows, np.int64), np.zeros(rows, np.int64), stepper.initial_state(rows)
    for t in range(tokens.shape[1]):
        _, state = stepper.step(tokens[:, t], genres, modes, state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    base = load_model(args.model).stepper
    native = _library()
    if native is None:
        raise SystemExit("the native step cannot be built here (no C compiler, or no AVX2/F16C)")
    sides = {"NumPy": base, "NumPy, tables": TableStepper(base), "native": NativeStepper(base, *native)}
    rng = np.random.default_rng(0)
    vocab = base.head_w.shape[1]
    one, four, primer = (rng.integers(0, vocab, size=shape) for shape in ((1, args.steps), (4, args.steps // 4), (1, 2000)))
    print("| stepper | one row, us per step | four rows, us per step | priming, us per token |")
    print("|---|---|---|---|")
    with one_blas_thread():
        for name, stepper in sides.items():
            row = least_of_3(lambda: steps(stepper, one)) / one.shape[1] * 1e6
            rows = least_of_3(lambda: steps(stepper, four)) / four.shape[1] * 1e6
            prime = least_of_3(lambda: stepper.prime(primer, np.zeros(1, np.int64), np.zeros(1, np.int64))) / 2000 * 1e6
            print(f"| {name} | {row:.1f} | {rows:.1f} | {prime:.1f} |")
        expected, _ = base.prime(primer, np.zeros(1, np.int64), np.zeros(1, np.int64))
        got, _ = sides["native"].prime(primer, np.zeros(1, np.int64), np.zeros(1, np.int64))
    print(f"\nlogits after 2,000 tokens, native against NumPy: max difference {np.abs(got - expected).max():.2e}")


if __name__ == "__main__":
    main()
