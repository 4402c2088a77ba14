"""The LSTM step in C (native_step.c): what converting and composing step, when it can be built.

A NumPy step of the shipped model costs ~185 us, ~130 of them reading 3.3 MB of float32 weights
that do not fit a core's L2 cache; in C, with the recurrent and output weights in half precision
(1.6 MB), a step is ~55 us (bench/RESULTS.md "A native LSTM step"). Checkpoints store float16
weights, so a loaded model's are the same numbers; only the order of sums and exp's last bits
differ (logits within ~1e-5 of NumPy's, tests/test_native_step.py), which flips a draw very rarely.
The same seed on the same machine gives the same notes. (A network still training, in float32,
is rounded to float16 here.)

The C file is compiled once per machine with the system's C compiler (`cc`, or $CC) into
$SONATINA_CACHE/native (default ~/.cache/sonatina), and loaded through cffi. Where it cannot be
(no compiler, no AVX2/F16C, not x86-64) or SONATINA_NATIVE=0, callers get TableStepper, the NumPy
step. `python -m sonatina.model.native_stepper` builds it and says which step is in use.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

from sonatina.data.corpus.cache import cache_dir
from sonatina.model.stepper import NumpyStepper, State
from sonatina.model.table_stepper import TableStepper

SOURCE = Path(__file__).with_name("native_step.c")
# -ffast-math lets exp be vectorised (glibc's libmvec). It is given when compiling only: linked
# with it, the library would carry crtfastmath.o, which at load time sets the CPU to flush
# subnormal numbers to zero for the whole process (NumPy's arithmetic included).
FLAGS = ["-O3", "-march=native", "-ffast-math", "-fPIC"]
BLOCK = 64  # native_step.c's BLOCK: columns summed together
_CDEF = """
struct net {
    int layers, hidden, vocab, head_columns;
    const float *token_in, *genre_in, *mode_in;
    const uint16_t *const *recurrent;
    const float *const *bias;
    const uint16_t *head;
    const float *head_bias;
};
void lstm_run(const struct net *n, int rows, int steps, const int64_t *tokens, const int64_t *genres,
              const int64_t *modes, const float *state_in, float *state_out, float *logits);
void lstm_step_one(const struct net *n, int64_t token, int64_t genre, int64_t mode, const float *state_in,
                   float *state_out, float *logits);
"""
_loaded: list = []  # [(ffi, lib) or None], once per process
_loading = threading.Lock()


def _cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return line
    except OSError:
        pass
    return platform.processor()


def build() -> Path:
    """The compiled library, compiled now if this machine has none yet. Raises OSError or
    subprocess.CalledProcessError where it cannot be compiled."""
    compiler = os.environ.get("CC", "cc")
    key = hashlib.sha1(SOURCE.read_bytes() + " ".join([compiler, *FLAGS, "then linked -shared", platform.machine(), _cpu_flags()]).encode())
    library = cache_dir("native") / f"lstm_step-{key.hexdigest()[:16]}.so"
    if not library.exists():
        # written beside its final name, then renamed: another process may be building it too
        with tempfile.TemporaryDirectory(dir=library.parent) as tmp:
            built = Path(tmp) / library.name
            for command in ([compiler, *FLAGS, "-c", str(SOURCE), "-o", f"{built}.o"],
                            [compiler, "-shared", f"{built}.o", "-o", str(built), "-lm"]):
                subprocess.run(command, check=True, capture_output=True, timeout=120)
            os.replace(built, library)
    return library


def _library():
    """(ffi, lib), or None where the native step is off or cannot be built (once per process;
    the studio's first jobs may ask at once, and none may settle for NumPy while it is built)."""
    with _loading:
        if not _loaded:
            _loaded.append(_load())
    return _loaded[0]


def _load():
    if os.environ.get("SONATINA_NATIVE", "1") == "0" or platform.machine() not in ("x86_64", "AMD64"):
        return None
    try:
        import cffi
        path = build()
        ffi = cffi.FFI()
        ffi.cdef(_CDEF)
        return ffi, ffi.dlopen(str(path))
    except (ImportError, OSError, subprocess.SubprocessError):
        return None  # NumPy's step serves


def fast_stepper(stepper: NumpyStepper):
    """The fastest stepper for `stepper`'s network: NativeStepper where it can be built, else
    TableStepper. Built once per network, and kept with it."""
    if stepper.fast is None:
        native = _library()
        stepper.fast = NativeStepper(stepper, *native) if native else TableStepper(stepper)
    return stepper.fast


def blocked(w: np.ndarray) -> np.ndarray:
    """[K, N] -> half precision in native_step.c's layout [N / BLOCK, K, BLOCK] (N padded with zeros)."""
    K, N = w.shape
    padded = np.zeros((K, -(-N // BLOCK) * BLOCK), dtype=np.float32)
    padded[:, :N] = w
    return np.ascontiguousarray(padded.reshape(K, -1, BLOCK).transpose(1, 0, 2)).astype(np.float16)


def _doubled_cell_gate(w: np.ndarray, hidden: int) -> np.ndarray:
    """Gate columns with the cell gate's doubled (exact), as native_step.c's cell reads them."""
    w = np.array(w, dtype=np.float32)
    w[..., 2 * hidden:3 * hidden] *= 2
    return w


class NativeStepper:
    """NumpyStepper's initial_state / prime / step, in C. A state is the list of (h, c) per layer
    callers know, made of views into one buffer [rows, layers, 2, hidden] the C code reads."""

    def __init__(self, stepper: NumpyStepper, ffi, lib):
        self.base, self.hidden, self.ffi, self.lib = stepper, stepper.hidden, ffi, lib
        H, layers = self.hidden, len(stepper.layers)
        twice = lambda w: _doubled_cell_gate(w, H)  # noqa: E731
        w_ih, w_hh, b = stepper.layers[0]
        self.vocab = stepper.head_w.shape[1]
        keep = self._keep = [
            np.ascontiguousarray(twice(stepper.embed @ w_ih)),
            np.ascontiguousarray(twice(stepper.genre_embed @ w_ih + b)),
            np.ascontiguousarray(twice(stepper.mode_embed @ w_ih)),
            blocked(stepper.head_w),
            np.ascontiguousarray(stepper.head_b, dtype=np.float32),
        ]
        recurrent = [blocked(twice(w_hh))] + [blocked(twice(np.vstack([w_i, w_h]))) for w_i, w_h, _ in stepper.layers[1:]]
        biases = [np.zeros(4 * H, np.float32)] + [np.ascontiguousarray(twice(b_l)) for _, _, b_l in stepper.layers[1:]]
        keep += recurrent + biases
        self._recurrent = ffi.new("const uint16_t *[]", [ffi.from_buffer("uint16_t[]", w) for w in recurrent])
        self._bias = ffi.new("const float *[]", [ffi.from_buffer("float[]", w) for w in biases])
        net = self._net = ffi.new("struct net *")
        net.layers, net.hidden, net.vocab = layers, H, self.vocab
        net.head_columns = keep[3].shape[0] * BLOCK
        net.token_in, net.genre_in, net.mode_in = (ffi.from_buffer("float[]", a) for a in keep[:3])
        net.recurrent, net.bias = self._recurrent, self._bias
        net.head, net.head_bias = ffi.from_buffer("uint16_t[]", keep[3]), ffi.from_buffer("float[]", keep[4])
        self._size = layers * 2 * H
        self._genres, self._modes = len(stepper.genre_embed), len(stepper.mode_embed)

    def initial_state(self, batch: int) -> State:
        return self._state(np.zeros((batch, self._size), np.float32))

    def _state(self, buffer: np.ndarray) -> "_Packed":
        view = buffer.reshape(len(buffer), -1, 2, self.hidden)
        state = _Packed((view[:, l, 0], view[:, l, 1]) for l in range(view.shape[1]))
        state.buffer = buffer
        return state

    def _buffer(self, state: State) -> np.ndarray:
        buffer = getattr(state, "buffer", None)
        if buffer is not None:
            return buffer
        # a state made elsewhere (NumpyStepper's, or rows picked by a caller): packed once
        return np.ascontiguousarray(np.stack([np.stack([h, c], axis=1) for h, c in state], axis=1),
                                    dtype=np.float32).reshape(len(state[0][0]), -1)

    def _run(self, tokens: np.ndarray, genre, mode, state: State | None) -> tuple[np.ndarray, State]:
        rows, steps = tokens.shape
        before = self._buffer(state) if state is not None else np.zeros((rows, self._size), np.float32)
        after = np.empty_like(before)
        logits = np.empty((rows, self.vocab), np.float32)
        tokens, genre, mode = (np.ascontiguousarray(a, dtype=np.int64) for a in (tokens, _rows(genre, rows), _rows(mode, rows)))
        for ids, bound in ((tokens, self.vocab), (genre, self._genres), (mode, self._modes)):
            if ids.size and not 0 <= ids.min() <= ids.max() < bound:
                raise IndexError(f"an id out of 0-{bound - 1}")  # C would read past its tables
        f = self.ffi.from_buffer
        self.lib.lstm_run(self._net, rows, steps, f("int64_t[]", tokens), f("int64_t[]", genre), f("int64_t[]", mode),
                          f("float[]", before), f("float[]", after), f("float[]", logits))
        return logits, self._state(after)

    def step(self, tokens, genre, mode, state: State) -> tuple[np.ndarray, State]:
        """tokens, genre, mode: int arrays [B] -> logits [B, V], new state."""
        if len(tokens) > 1:
            return self._run(np.asarray(tokens).reshape(-1, 1), genre, mode, state)
        # one row, as converting steps: the ids by value, no arrays to make
        if not (0 <= tokens[0] < self.vocab and 0 <= genre[0] < self._genres and 0 <= mode[0] < self._modes):
            raise IndexError("a token, genre or mode id out of the network's tables")  # C would read past them
        before = self._buffer(state)
        after, logits, f = np.empty_like(before), np.empty((1, self.vocab), np.float32), self.ffi.from_buffer
        self.lib.lstm_step_one(self._net, int(tokens[0]), int(genre[0]), int(mode[0]), f("float[]", before),
                               f("float[]", after), f("float[]", logits))
        return logits, self._state(after)

    def prime(self, tokens, genre, mode, state: State | None = None) -> tuple[np.ndarray, State]:
        """Read a whole prefix: tokens [B, T] -> logits after its last token [B, V], state."""
        return self._run(np.asarray(tokens), genre, mode, state)


def _rows(ids, rows: int) -> np.ndarray:
    """An id per row: [rows] as given, or one id for every row."""
    ids = np.asarray(ids)
    return ids if ids.shape == (rows,) else np.broadcast_to(ids, rows)


class _Packed(list):
    buffer: np.ndarray


if __name__ == "__main__":
    try:
        print(f"native LSTM step: {build()}")
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        print(f"native LSTM step not built ({exc}); NumPy's step is used. {detail.decode(errors='replace')[:400]}")
        sys.exit(0)
