"""The LSTM step in C (model/native_stepper.py) against NumPy's, and its fallback."""

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from sonatina.model import native_stepper
from sonatina.model.native_stepper import NativeStepper, fast_stepper
from sonatina.model.stepper import NumpyStepper
from sonatina.model.table_stepper import TableStepper

SHIPPED = Path(native_stepper.__file__).parent.parent / "pretrained" / "default"
CAN_BUILD = shutil.which(os.environ.get("CC", "cc")) is not None and all(
    flag in Path("/proc/cpuinfo").read_text().split() for flag in ("avx2", "f16c", "fma")) \
    if Path("/proc/cpuinfo").exists() else False


@pytest.fixture(scope="module")
def steppers():
    if not CAN_BUILD:
        pytest.skip("no C compiler or no AVX2/F16C here: NumPy's step serves (tested below)")
    numpy_stepper, _ = NumpyStepper.from_checkpoint(SHIPPED)
    native = fast_stepper(numpy_stepper)
    assert isinstance(native, NativeStepper), "a compiler and AVX2 are here, yet the native step was not built"
    return numpy_stepper, native


def test_native_step_computes_what_numpy_computes(steppers):
    numpy_stepper, native = steppers
    tokens = np.random.default_rng(0).integers(0, native.vocab, size=(3, 300))
    genres, modes = np.array([0, 2, 4]), np.array([0, 1, 0])
    expected, expected_state = numpy_stepper.prime(tokens, genres, modes)
    primed, state = native.prime(tokens, genres, modes)
    # the shipped weights are float16 in the checkpoint: only the order of sums differs
    assert np.abs(primed - expected).max() < 1e-3
    for (h, c), (eh, ec) in zip(state, expected_state):
        assert np.abs(h - eh).max() < 1e-4 and np.abs(c - ec).max() < 1e-3
    stepped = native.initial_state(3)
    for t in range(tokens.shape[1]):  # token by token, row by row, is the primed pass exactly
        logits, stepped = native.step(tokens[:, t], genres, modes, stepped)
    assert np.array_equal(logits, primed)
    one_row = native.initial_state(1)
    for t in range(tokens.shape[1]):
        row_logits, one_row = native.step(tokens[1, t:t + 1], genres[1:2], modes[1:2], one_row)
    assert np.array_equal(row_logits[0], primed[1])


def test_a_state_made_by_numpy_is_read(steppers):
    numpy_stepper, native = steppers
    genres, modes = np.array([1, 3]), np.array([0, 0])
    _, state = numpy_stepper.prime(np.array([[1, 5, 9, 40], [1, 7, 2, 30]]), genres, modes)
    expected, _ = numpy_stepper.step(np.array([11, 12]), genres, modes, state)
    logits, _ = native.step(np.array([11, 12]), genres, modes, state)
    assert np.abs(logits - expected).max() < 1e-3


def test_threads_sharing_a_network_get_their_own_results(steppers):
    _, native = steppers
    tokens = np.random.default_rng(1).integers(0, native.vocab, size=(4, 400))
    alone = [native.prime(tokens[i:i + 1], np.array([i]), np.array([0]))[0] for i in range(4)]
    together = [None] * 4

    def run(i):
        state = native.initial_state(1)
        for t in range(tokens.shape[1]):
            logits, state = native.step(tokens[i, t:t + 1], np.array([i]), np.array([0]), state)
        together[i] = logits

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(np.array_equal(a, b) for a, b in zip(alone, together))


@pytest.mark.parametrize("env", [{"SONATINA_NATIVE": "0"}, {"CC": "/no/such/compiler"}])
def test_numpys_step_serves_where_the_native_one_is_off_or_cannot_be_built(tmp_path, env):
    code = ("from sonatina.model.native_stepper import fast_stepper\n"
            "from sonatina.model.stepper import NumpyStepper\n"
            f"s, _ = NumpyStepper.from_checkpoint({str(SHIPPED)!r})\n"
            "print(type(fast_stepper(s)).__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SONATINA_CACHE": str(tmp_path), **env})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == TableStepper.__name__


def test_loading_it_leaves_the_processs_arithmetic_alone(steppers):
    """Linked with -ffast-math, a library sets flush-to-zero for the whole process when loaded."""
    tiny = np.array([1e-308])
    assert (tiny / 1e10)[0] > 0  # a subnormal, not flushed to 0
    assert np.float32(1e-38) / np.float32(1e3) > 0


def test_ids_outside_the_networks_tables_are_refused_not_read(steppers):
    _, native = steppers
    state = native.initial_state(1)
    for tokens, genre in (([native.vocab], [0]), ([-1], [0]), ([5], [99])):
        with pytest.raises(IndexError):
            native.step(np.array(tokens), np.array(genre), np.array([0]), state)
    with pytest.raises(IndexError):
        native.prime(np.array([[1, 2, native.vocab + 3]]), np.array([0]), np.array([0]))
