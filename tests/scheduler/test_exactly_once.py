"""Two real scheduler processes on PostgreSQL, a LINE API failing 30 % of calls, a SIGKILL:
every message is delivered exactly once."""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from bot import outbox
from handlers.context import text_message
from models import OutboxMessage, OutboxState
from models.db import make_engine, make_session_factory
from support.schedulers import flaky, start_scheduler

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]
MESSAGES = 1000


def queue_messages(session_factory) -> dict[str, str]:
    now = datetime.now(timezone.utc)
    with session_factory() as session, session.begin():
        rows = [outbox.enqueue(session, [f"U{i:032x}"], [text_message(f"ข้อความที่ {i}")], now=now)[0]
                for i in range(MESSAGES)]
    return {row.retry_key: row.target for row in rows}


def wait_until_all_sent(session_factory, procs, deadline_s: float) -> int:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        with session_factory() as session:
            sent = session.scalar(select(func.count()).where(OutboxMessage.state == OutboxState.SENT))
        if sent == MESSAGES:
            return sent
        assert all(p.poll() is None for p in procs), "a scheduler process exited by itself"
        time.sleep(0.5)
    return sent


def assert_exactly_once(fake_line, expected: dict[str, str]) -> None:
    deliveries = fake_line.state.deliveries("push")
    per_key = Counter(r.retry_key for r in deliveries)
    assert len(per_key) == MESSAGES
    assert set(per_key) == set(expected)
    assert max(per_key.values()) == 1
    per_user = Counter(r.body["to"] for r in deliveries)
    assert sorted(per_user) == sorted(expected.values()) and set(per_user.values()) == {1}


def test_two_schedulers_and_a_flaky_line_deliver_each_message_once(db_url, fake_line, tmp_path) -> None:
    engine = make_engine(db_url)
    session_factory = make_session_factory(engine)
    expected = queue_messages(session_factory)
    flaky(fake_line)
    procs = [start_scheduler(db_url, fake_line.url, tmp_path / f"scheduler{i}.log") for i in range(2)]
    try:
        assert wait_until_all_sent(session_factory, procs, 150) == MESSAGES
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
    assert_exactly_once(fake_line, expected)
    failed = [r for r in fake_line.state.requests if r.status != 200]
    assert len(failed) > 100  # the faults really happened
    engine.dispose()


def test_a_scheduler_killed_mid_run_loses_and_repeats_nothing(db_url, fake_line, tmp_path) -> None:
    engine = make_engine(db_url)
    session_factory = make_session_factory(engine)
    expected = queue_messages(session_factory)
    flaky(fake_line)
    log = tmp_path / "scheduler.log"
    procs = [start_scheduler(db_url, fake_line.url, log) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while len(fake_line.state.deliveries()) < MESSAGES // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        procs[0].send_signal(signal.SIGKILL)  # mid-batch: rows claimed, some sent, none marked
        procs[0].wait(10)
        with session_factory() as session:
            in_flight = session.scalar(select(func.count()).where(OutboxMessage.state == OutboxState.SENDING))
        procs[0] = start_scheduler(db_url, fake_line.url, log)
        assert wait_until_all_sent(session_factory, procs, 150) == MESSAGES
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)
    assert in_flight > 0  # the kill really left claimed rows behind
    assert_exactly_once(fake_line, expected)
    engine.dispose()
