"""A clock that tests set and move by hand."""
from __future__ import annotations


class SettableClock:
    """Seconds as a float (epoch seconds for the store, any origin for a monotonic clock).

    Pass it where the code takes a zero-argument clock: calling it returns `now`, which stays
    put until the test moves it with `advance` or sets it outright (`clock.now = ...`).
    """

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock by `seconds` (negative moves it back)."""
        self.now += seconds
