"""Conversion on a second core: forked children write the same notes, fail safely, and never linger."""

from __future__ import annotations

import os
import threading
import time

import pytest

from sonatina.compose import convert, forked
from sonatina.model.registry import drum_model, load_model
from tests.helpers import make_score


@pytest.fixture(scope="module")
def models():
    return load_model("default"), drum_model()


@pytest.fixture(autouse=True)
def may_fork(monkeypatch):
    """Forking as a CLI run on two cores would (a test runner may run helper threads of its own,
    a CI machine may have one core)."""
    monkeypatch.delenv("SONATINA_PROCESSES", raising=False)
    monkeypatch.setattr(forked.threading, "active_count", lambda: 1)
    monkeypatch.setattr(forked, "cores", lambda: 2)


class CountedChild(forked.Child):
    made = 0

    def __init__(self, work):
        CountedChild.made += 1
        super().__init__(work)


def midi(models, genre: str, seed: int, monkeypatch, processes: str) -> bytes:
    monkeypatch.setenv("SONATINA_PROCESSES", processes)
    (out,), _ = convert.convert_score(*models, make_score(seed, bars=8), genre, seeds=[seed])
    return out.dumps_midi()


def no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)  # a child running or unreaped: this process still has children
    except ChildProcessError:
        return True
    return False


@pytest.mark.parametrize("genre,children", [("jazz", 2), ("folk", 1), ("pop", 1)])
def test_forked_conversions_are_byte_for_byte_those_of_one_process(models, monkeypatch, genre, children):
    # jazz: the bass a bar ahead in one child (the piano part hears it), the drums in another;
    # folk: two voices, no drums; pop: one voice, its drums beside it
    monkeypatch.setattr(convert, "Child", CountedChild)
    for seed in (1, 2):
        alone = midi(models, genre, seed, monkeypatch, "1")
        CountedChild.made = 0
        assert midi(models, genre, seed, monkeypatch, "0") == alone
        assert CountedChild.made == children
    assert no_children_left()


def test_the_second_voice_waits_for_the_bass_it_hears(models, monkeypatch):
    """A bass that arrives late (its child sleeps before every bar) changes nothing."""
    alone = midi(models, "jazz", 3, monkeypatch, "1")
    original = convert.sample_voice

    def slow_bass(*args, on_bar=None, **kwargs):
        if on_bar is not None:
            def late(out):
                time.sleep(0.02)
                on_bar(out)
            return original(*args, on_bar=late, **kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(convert, "sample_voice", slow_bass)
    assert midi(models, "jazz", 3, monkeypatch, "0") == alone


class FailingChild(forked.Child):
    def __init__(self, work):
        super().__init__(lambda send: 1 / 0)


class DyingChild(forked.Child):
    def __init__(self, work):
        super().__init__(lambda send: os._exit(3))


class SilentChild(forked.Child):
    def __init__(self, work):
        super().__init__(lambda send: time.sleep(60))


@pytest.mark.parametrize("child", [FailingChild, DyingChild, SilentChild])
def test_a_child_that_fails_dies_or_hangs_leaves_the_work_to_the_parent(models, monkeypatch, child):
    alone = midi(models, "jazz", 4, monkeypatch, "1")
    monkeypatch.setattr(convert, "Child", child)
    monkeypatch.setattr(forked, "SILENCE_S", 0.5)
    assert midi(models, "jazz", 4, monkeypatch, "0") == alone
    assert no_children_left()


def test_a_child_still_working_is_ended_and_reaped():
    child = forked.Child(lambda send: time.sleep(60))
    started = time.monotonic()
    child.close()
    assert time.monotonic() - started < 5
    assert no_children_left()


def test_a_child_reports_parts_then_its_result():
    def work(send):
        send("bar 0")
        send("bar 1")
        return [1, 2, 3]

    with forked.Child(work) as child:
        assert child.receive() == ("part", "bar 0")
        assert child.result() == [1, 2, 3]
    assert no_children_left()


def test_no_fork_beside_other_threads(models, monkeypatch):
    """In a threaded server (the studio's job threads) the work stays in the calling process."""
    monkeypatch.undo()  # the real thread count
    monkeypatch.delenv("SONATINA_PROCESSES", raising=False)
    monkeypatch.setattr(forked, "cores", lambda: 2)
    monkeypatch.setattr(convert, "Child", CountedChild)
    CountedChild.made = 0
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not forked.can_fork()
        (out,), _ = convert.convert_score(*models, make_score(5, bars=8), "jazz", seeds=[5])
    finally:
        stop.set()
        other.join()
    assert CountedChild.made == 0
    monkeypatch.setenv("SONATINA_PROCESSES", "1")
    (alone,), _ = convert.convert_score(*models, make_score(5, bars=8), "jazz", seeds=[5])
    assert out.dumps_midi() == alone.dumps_midi()


def test_a_child_whose_parent_stopped_listening_ends_at_its_next_message():
    """What happens when the parent is killed: the pipe's reader is gone, so the child's next send fails."""
    def chatty(send):
        while True:
            send("a bar")
            time.sleep(0.01)

    child = forked.Child(chatty)
    child._from_child.close()  # as the parent's death would
    deadline = time.monotonic() + 10
    while os.waitpid(child.pid, os.WNOHANG) == (0, 0):
        assert time.monotonic() < deadline, "the child outlived its parent's pipe"
        time.sleep(0.02)
    assert no_children_left()


@pytest.mark.parametrize("processes", ["0", "1"])
def test_progress_reaches_the_end_in_order(models, monkeypatch, processes):
    monkeypatch.setenv("SONATINA_PROCESSES", processes)
    seen = []
    convert.convert_score(*models, make_score(6, bars=8), "folk", seeds=[1, 2], progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 2


def test_one_core_or_the_setting_keeps_the_work_in_one_process(monkeypatch):
    assert forked.can_fork()
    monkeypatch.setattr(forked, "cores", lambda: 1)
    assert not forked.can_fork()
    monkeypatch.setattr(forked, "cores", lambda: 2)
    monkeypatch.setenv("SONATINA_PROCESSES", "1")
    assert not forked.can_fork()
