"""The cycle collector paused while changes are received in bulk (exchange/collector.py)."""

from __future__ import annotations

import gc
import threading

import pytest

from ddassess.exchange.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_back_on():
    yield
    gc.enable()


def test_paused_inside_and_running_again_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_pause_inside_a_pause_does_not_restart_it_early():
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_running_again_after_a_failure():
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("an import that failed")
    assert gc.isenabled()


def test_left_off_if_it_was_off_before():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_two_threads_pausing_at_once_restart_it_when_the_last_ends():
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.isenabled())  # the first has ended, this one has not

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == [False] and gc.isenabled()


def test_a_decorated_function_pauses_at_each_call():
    @collector_paused()
    def receive() -> bool:
        return gc.isenabled()

    assert receive() is False and receive() is False and gc.isenabled()
