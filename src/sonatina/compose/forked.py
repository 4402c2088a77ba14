"""Work done beside the caller in a forked process, so a conversion can use a second core.

Threads cannot: a network step is ~0.2 ms of small NumPy calls that hold the GIL (measured in
bench/RESULTS.md, "Convert: two voices stepped together"). A forked child inherits the loaded
model without copying or pickling it, runs one piece of work, and pipes back what it makes;
the parent reads it as it needs it.

A process forks only while it has a single thread (a CLI run, a script calling the API, an
RQ-style work-horse process): a thread holding a lock at the moment of the fork (BLAS's,
logging's, the import lock) would leave it held forever in the child. So inside a threaded
server (the studio's Huey worker threads), with one CPU, or with SONATINA_PROCESSES=1, work
runs in the calling process instead, with the same result. A child never outlives its parent's
use of it: `close` ends and reaps it, and a child whose parent has gone dies at its next write.
A child that says nothing for SILENCE_S (stuck, say, on a lock it inherited) is given up on,
and the parent does the work itself.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import threading
from bisect import insort
from typing import Callable

# Seconds a parent waits for a child's next message before doing the work itself. Messages come
# every bar (milliseconds apart) or at the end of a short piece of work (the drums: ~0.05 s).
SILENCE_S = 60.0


class ChildFailed(Exception):
    """The child raised or died; the caller does the work itself instead."""


def can_fork() -> bool:
    """Whether work may go to a forked child now (see the module's docstring)."""
    return hasattr(os, "fork") and os.environ.get("SONATINA_PROCESSES") != "1" and threading.active_count() == 1 \
        and cores() > 1


def cores() -> int:
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Child:
    """`work(send)` run in a forked process: what it passes to `send` arrives as ("part", value)
    messages, then ("done", its return value). Use as a context manager, or call close()."""

    def __init__(self, work: Callable[[Callable[[object], None]], object]):
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: do the work, report, and leave without running the parent's exit handlers
            os.close(read)
            try:
                with os.fdopen(write, "wb") as out:
                    def send(value):
                        pickle.dump(("part", value), out, protocol=pickle.HIGHEST_PROTOCOL)
                        out.flush()
                    try:
                        result = ("done", work(send))
                    except Exception as exc:  # noqa: BLE001  the parent redoes the work and meets the error itself
                        result = ("failed", repr(exc))
                    pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
            finally:
                os._exit(0)
        os.close(write)
        # unbuffered: pickle then reads no further than the message it loads, so select() on the
        # pipe tells whether the next one has begun to arrive
        self._from_child = os.fdopen(read, "rb", buffering=0)
        self.finished = False

    def receive(self) -> tuple[str, object]:
        """The child's next message, waiting for it: ("part", value) or ("done", result)."""
        if not select.select([self._from_child], [], [], SILENCE_S)[0]:
            raise ChildFailed(f"the child process said nothing for {SILENCE_S:g} s")
        try:
            kind, value = pickle.load(self._from_child)
        except (EOFError, pickle.UnpicklingError, OSError) as exc:
            raise ChildFailed(f"the child process ended early ({exc!r})") from None
        if kind == "failed":
            raise ChildFailed(value)
        self.finished = kind == "done"
        return kind, value

    def ready(self) -> bool:
        """Whether a message (or the child's end) is waiting to be read."""
        return bool(select.select([self._from_child], [], [], 0)[0])

    def result(self):
        """The work's return value (messages sent before it are skipped)."""
        while True:
            kind, value = self.receive()
            if kind == "done":
                return value

    def close(self) -> None:
        """End the child if it is still working, and reap it."""
        self._from_child.close()
        if not self.finished:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.waitpid(self.pid, 0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class ArrivingNotes:
    """Kept notes of which some arrive while a voice is written: a child writes the voice this one
    hears and sends its new notes bar by bar ("part" messages (bar, notes)), then its token ids.

    `fill` merges them into a sampler's `forced` ({position: token ids}) and sorted `pending`
    positions, waiting until every position before a given one is known, so the sampler sees
    exactly the kept tokens it would have seen had the other voice been written first."""

    def __init__(self, child: Child, kept: list, encode: Callable[[list], dict[int, list[int]]],
                 finish: Callable[[object], list], per_bar: int, bar_ticks: int):
        """kept: the notes known from the start; encode: notes -> {position: token ids} (kept_tokens);
        finish: the child's result -> all of its new notes; per_bar, bar_ticks: a bar in positions and ticks."""
        self.child, self.kept, self.encode, self.finish = child, list(kept), encode, finish
        self.per_bar, self.bar_ticks = per_bar, bar_ticks
        self.known = 0  # positions before this are in the sampler's forced tokens
        self.sent = 0  # positions before this have had their notes sent
        self.new_notes: list | None = None  # all the child's new notes, once it is done

    def fill(self, forced: dict[int, list[int]], pending: list[int], through: int | None) -> None:
        """Wait until kept tokens are known at every position before `through` (None: all of them).
        Bars that have arrived meanwhile are taken too, and all of them re-read in one go."""
        while self.new_notes is None and (through is None or self.known < through):
            self._take(self.child.receive())
            while self.new_notes is None and self.child.ready():
                self._take(self.child.receive())
            self._merge(forced, pending, self.known, None if self.new_notes is not None else self.sent)

    def finished(self) -> list:
        """All of the child's new notes, waiting for it to finish."""
        while self.new_notes is None:
            self._take(self.child.receive())
        return self.new_notes

    def _take(self, message) -> None:
        kind, value = message
        if kind == "part":
            bar, notes = value
            self.kept += notes
            self.sent = (bar + 1) * self.per_bar
        else:  # its whole result: the notes of the bars it never sent (its last) join the others
            self.new_notes = self.finish(value)
            self.kept += [n for n in self.new_notes if n.time >= self.sent // self.per_bar * self.bar_ticks]

    def _merge(self, forced, pending, start: int, stop: int | None) -> None:
        """Kept tokens at positions start..stop re-read from the notes around them (a note near a
        bar line may round onto the next bar's first position)."""
        low = (start // self.per_bar - 1) * self.bar_ticks
        high = None if stop is None else (stop // self.per_bar + 1) * self.bar_ticks
        around = [n for n in self.kept if n.time >= low and (high is None or n.time < high)]
        for position, tokens in self.encode(around).items():
            if position >= start and (stop is None or position < stop):
                if position not in forced:
                    insort(pending, position)
                forced[position] = tokens
        if stop is not None:
            self.known = stop
