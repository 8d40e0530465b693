"""The simulator's clock: Bangkok time moved forward by an offset kept in the database.

Local mode only. The web app and the scheduler are separate processes (`scripts/run`), so the offset
lives in `channel_state`, where both read it; each process re-reads it at most twice a second. Moving
the clock is moving this offset: the product's own injectable clock (`Saiyai.clock`, `JobContext.clock`),
not a patched system time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.config import bangkok_now
from models import ChannelState

log = logging.getLogger(__name__)

OFFSET_KEY = "simulator_clock_offset"  # channel_state: seconds, as text


class SimulatedClock:
    """Callable like `bangkok_now`; `move_to` and `advance` shift it for every process on the database."""

    def __init__(self, engine: Engine, base: Callable[[], datetime] = bangkok_now, ttl: float = 0.5) -> None:
        self.engine, self.base, self.ttl = engine, base, ttl
        self._offset = timedelta(0)
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        return self.base() + self.offset()

    def offset(self) -> timedelta:
        with self._lock:
            if time.monotonic() - self._read_at >= self.ttl:
                self._offset = self._read()
                self._read_at = time.monotonic()
            return self._offset

    def _read(self) -> timedelta:
        try:
            with self.engine.connect() as connection:
                value = connection.scalar(select(ChannelState.value).where(ChannelState.key == OFFSET_KEY))
        except SQLAlchemyError as exc:  # not migrated yet: real time
            log.debug("simulator clock offset unreadable: %s", exc)
            return self._offset
        return timedelta(seconds=float(value)) if value else timedelta(0)

    def move_to(self, moment: datetime) -> datetime:
        """Make it `moment` now (never earlier than it already is: scheduled work is not undone)."""
        now = self()
        if moment <= now:
            return now
        offset = self.offset() + (moment - now)
        with Session(self.engine) as session, session.begin():
            row = session.get(ChannelState, OFFSET_KEY)
            if row is None:
                session.add(ChannelState(key=OFFSET_KEY, value=str(offset.total_seconds()), until=None,
                                         updated_at=self.base()))
            else:
                row.value, row.updated_at = str(offset.total_seconds()), self.base()
        with self._lock:
            self._offset, self._read_at = offset, time.monotonic()
        return self()

    def advance(self, delta: timedelta) -> datetime:
        return self.move_to(self() + delta)
