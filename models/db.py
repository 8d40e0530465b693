"""Engine and session setup; the caller opens sessions and passes them in."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    """Create an engine with the settings Saiyai relies on for each backend."""
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    elif url.startswith("postgres://"):  # the form Heroku-style platforms hand out
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    # A server that does not answer must not hold a webhook past LINE's 2-second wait.
    engine = create_engine(url, pool_recycle=1800, connect_args={"connect_timeout": CONNECT_TIMEOUT})
    _ping_when_idle(engine)
    return engine


CONNECT_TIMEOUT = 3  # seconds (libpq's connect_timeout)
# A connection back in the pool less than this long ago is used without a ping.
IDLE_PING_AFTER = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it sat idle, not on every checkout.

    `pool_pre_ping=True` costs one round trip per checkout: with a busy webhook that is about a fifth of
    each request on PostgreSQL (BENCHMARKS.md). The connections a server drops (restarts, idle timeouts,
    failovers) are the ones that sat unused, so those are pinged; a connection used a moment ago is not.
    A failed ping raises DisconnectionError, and the pool replaces the connection and tries again (the
    pessimistic disconnect handling SQLAlchemy's pool documents). An event whose connection dies in
    between is handled once more on a fresh one (bot/pipeline.py); if the database is down, the
    webhook answers 503 and LINE delivers the event again (bot/webhook.py).
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_AFTER:
            return  # just connected, or used a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"pooled connection is gone: {exc}") from exc
        if not alive:
            raise DisconnectionError("pooled connection did not answer a ping")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions keep their objects readable after commit, for building replies."""
    return sessionmaker(engine, expire_on_commit=False)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the scheduler read while a web worker writes; busy_timeout waits for the
    # write lock instead of failing; SQLite leaves foreign keys off unless asked. In WAL mode
    # synchronous=NORMAL survives a crash of the app (a power cut may lose the last commits):
    # the usual choice for the embedded default; production runs on PostgreSQL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _ensure_sqlite_dir(url: str) -> None:
    from pathlib import Path

    path = url.split(":///", 1)[-1]
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
