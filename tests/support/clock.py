"""A clock tests can set and step."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import TIMEZONE


class Clock:
    """Callable like bot.config.bangkok_now, but the test decides what time it is."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 21, 10, 0, tzinfo=TIMEZONE)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now
