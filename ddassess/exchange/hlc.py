"""A hybrid logical clock (Kulkarni, Demirbas et al., "Logical Physical Clocks", 2014).

Every operation carries one: wall-clock milliseconds where clocks are right, a counter that
keeps causality where they are not (an operation made after receiving another always sorts
after it, however wrong the receiver's clock). The text sorts in clock order:
``"<15-digit milliseconds>-<6-digit counter>"``. It is never used as last-writer-wins: it
only orders a history for people and picks which of two conflicting values is shown first.

A received clock more than ``MAX_AHEAD`` ahead of this laptop's wall clock (a laptop whose
clock is set years ahead) is not followed, so it cannot drag every later operation with it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

MAX_AHEAD_MS = 24 * 3600 * 1000


def now_ms() -> int:
    return int(time.time() * 1000)


def format_hlc(ms: int, counter: int) -> str:
    return f"{ms:015d}-{counter:06d}"


def parse_hlc(text: str) -> tuple[int, int]:
    """(milliseconds, counter); ValueError when ``text`` is not a clock."""
    ms, sep, counter = text.partition("-")
    if not sep or len(ms) != 15 or len(counter) != 6 or not ms.isdigit() or not counter.isdigit():
        raise ValueError("not a hybrid logical clock")
    return int(ms), int(counter)


@dataclass
class Clock:
    ms: int = 0
    counter: int = 0

    def tick(self, wall: int | None = None) -> str:
        """The clock of a new local event."""
        wall = now_ms() if wall is None else wall
        if wall > self.ms:
            self.ms, self.counter = wall, 0
        else:
            self.counter += 1
        return format_hlc(self.ms, self.counter)

    def observe(self, received: str, wall: int | None = None) -> None:
        """Follow a received clock (not one far ahead of the wall clock)."""
        wall = now_ms() if wall is None else wall
        ms, counter = parse_hlc(received)
        if ms > wall + MAX_AHEAD_MS:
            return
        if ms > self.ms:
            self.ms, self.counter = ms, counter
        elif ms == self.ms and counter > self.counter:
            self.counter = counter
