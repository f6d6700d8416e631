"""The progress channel: steps report to the listener of the moment, and to nobody without one."""

from __future__ import annotations

import contextvars
import threading

import pytest

from analysis.core import progress


class Recorder:
    def __init__(self):
        self.events: list[tuple] = []

    def started(self, step):
        self.events.append(("started", step.name, step.size, step.done))

    def advanced(self, step):
        self.events.append(("advanced", step.name, step.size, step.done, step.unit))

    def finished(self, step):
        self.events.append(("finished", step.name, step.detail, step.failed, step.seconds is not None))


def test_a_step_reports_its_start_its_size_its_advance_and_its_end():
    seen = Recorder()
    with progress.listening(seen), progress.step("mining git") as step:
        assert progress.is_listened()
        progress.total(None, unit="commits")
        progress.advance(3)
        progress.total(10)
        progress.advance(7)
        progress.advance(0)  # nothing done: nothing said
        step.say("10 commits")
    assert seen.events == [
        ("started", "mining git", None, 0),
        ("advanced", "mining git", None, 0, "commits"),
        ("advanced", "mining git", None, 3, "commits"),
        ("advanced", "mining git", 10, 3, "commits"),
        ("advanced", "mining git", 10, 10, "commits"),
        ("finished", "mining git", "10 commits", False, True),
    ]


def test_a_step_left_by_an_error_is_finished_as_failed():
    seen = Recorder()
    with pytest.raises(ValueError), progress.listening(seen), progress.step("measuring"):
        raise ValueError("boom")
    assert seen.events[-1] == ("finished", "measuring", "", True, True)


def test_without_a_listener_or_outside_a_step_nothing_is_reported_and_nothing_fails():
    progress.total(5)
    progress.advance(5)  # outside any step
    assert not progress.is_listened()
    with progress.step("mapping") as step:  # nobody listens
        progress.advance(2)
        assert not progress.is_listened()
    assert step.done == 2 and step.seconds is not None
    seen = Recorder()
    with progress.listening(seen):
        progress.advance(1)  # a listener, but no step
    assert seen.events == []


def test_a_step_in_a_thread_reports_to_the_listener_of_the_context_it_was_given():
    seen = Recorder()

    def mine():
        with progress.step("mining imports"):
            progress.advance(4)

    with progress.listening(seen):
        worker = threading.Thread(target=contextvars.copy_context().run, args=(mine,))
        worker.start()
        worker.join()
    assert [e[:2] for e in seen.events] == [("started", "mining imports"), ("advanced", "mining imports"),
                                           ("finished", "mining imports")]
