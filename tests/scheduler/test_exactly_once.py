"""Two real scheduler processes on PostgreSQL, a LINE API failing 30 % of calls, a SIGKILL:
every message is delivered exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from bot import outbox
from bot.config import PROJECT_ROOT
from bot.fakeline import Fault
from conftest import SECRET, TOKEN
from handlers.context import text_message
from models import OutboxMessage, OutboxState
from models.db import make_engine, make_session_factory

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]
MESSAGES = 1000


def start_scheduler(db_url: str, fake_url: str, log_path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE_URL": fake_url, "LINE_REQUEST_TIMEOUT": "1",
        "OUTBOX_BATCH": "50", "OUTBOX_LEASE_SECONDS": "8", "OUTBOX_MAX_BACKOFF_SECONDS": "2",
    }
    with log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "scheduler"], cwd=PROJECT_ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)


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


def flaky(fake_line) -> None:
    fake_line.state.failure_rate = 0.3
    fake_line.state.failure_kinds = (
        Fault(status=500),                              # refused, nothing delivered
        Fault(status=503, delay=1.5),                   # slow and refused: a client timeout
        Fault(deliver=True, delay=1.5),                 # delivered, answer too late: a client timeout
    )


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
