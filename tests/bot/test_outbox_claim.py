"""The outbox claim takes at most its batch, whatever the planner believes about the table."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select, text

from bot import outbox
from bot.line import LineClient
from handlers.context import text_message
from models import OutboxKind, OutboxMessage, OutboxState
from scheduler.jobs import JobContext, dispatch_outbox


def stale_statistics(session_factory) -> None:
    """The table as the planner last saw it: analysed while empty, never again (autovacuum off)."""
    with session_factory() as session, session.begin():
        session.execute(text("ALTER TABLE outbox_message SET (autovacuum_enabled = false)"))
        session.execute(text("ANALYZE outbox_message"))


def queue(session_factory, now: datetime, n: int) -> None:
    """n due pushes, one per user, in one INSERT (enqueue one user at a time would be n statements)."""
    message = text_message("ถึงเวลา").to_dict()
    with session_factory() as session, session.begin():
        session.execute(insert(OutboxMessage), [
            dict(kind=OutboxKind.PUSH, target=f"U{i:032x}", messages=[message], retry_key=str(uuid.uuid4()),
                 state=OutboxState.PENDING, due_at=now, attempts=0, created_at=now)
            for i in range(n)])


def count(session_factory, state: OutboxState) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).where(OutboxMessage.state == state))


@pytest.mark.parametrize("backlog", [300, 5000])
def test_a_claim_takes_exactly_its_batch_with_stale_statistics(session_factory, clock, db_url, backlog) -> None:
    if db_url.startswith("postgresql"):
        stale_statistics(session_factory)
    queue(session_factory, clock(), backlog)
    with session_factory() as session, session.begin():
        claimed = outbox.claim_due(session, clock(), 50)
    assert len(claimed) == 50
    assert [row.target for row in claimed] == [f"U{i:032x}" for i in range(50)]  # oldest first
    assert count(session_factory, OutboxState.SENDING) == 50
    assert count(session_factory, OutboxState.PENDING) == backlog - 50


@pytest.mark.postgres_only
def test_a_backlog_longer_than_a_lease_is_sent_once_by_two_dispatchers(session_factory, config, fake_line) -> None:
    """Two dispatchers, a lease of 1.5 s and a backlog that takes one of them longer than that to send:
    each claims only its batch, so no lease runs out mid-batch and no row is sent a second time.
    LINE's retry key would hide a second send from the user, so the fake's requests are counted."""
    stale_statistics(session_factory)
    backlog = 1200
    queue(session_factory, datetime.now(timezone.utc), backlog)
    fake_line.state.latency["push"] = 0.01  # 1,200 pushes, 8 at a time: about 1.5 s of sending
    done = threading.Event()
    errors: list[BaseException] = []

    def dispatcher() -> None:
        line = LineClient(config)
        ctx = JobContext(session_factory, line, lambda: datetime.now(timezone.utc), outbox_batch=50,
                         outbox_concurrency=8, outbox_lease=timedelta(seconds=1.5))
        try:
            while not done.is_set():  # as the scheduler runs the job: again and again
                dispatch_outbox(ctx)
                time.sleep(0.05)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)
        finally:
            line.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    try:
        while count(session_factory, OutboxState.SENT) < backlog and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        done.set()
        for thread in threads:
            thread.join(30)
    assert errors == []
    assert count(session_factory, OutboxState.SENT) == backlog
    pushes = fake_line.state.requests
    assert Counter(Counter(r.retry_key for r in pushes).values()) == {1: backlog}  # each requested once
    assert {r.status for r in pushes} == {200}  # so no 409 for a row sent twice
    assert len(fake_line.state.deliveries("push")) == backlog


def test_rows_not_started_before_the_lease_runs_short_are_released_unsent(session_factory, config, fake_line) -> None:
    """LINE answering slowly: a dispatcher stops starting requests when one could outlive its lease,
    and gives the rest back, due at once and without using up an attempt."""
    queue(session_factory, datetime.now(timezone.utc), 10)
    fake_line.state.latency["push"] = 1.0
    line = LineClient(config)  # requests time out after 2 s: with a lease of 1 s, none starts after 0.5 s
    try:
        counts = outbox.dispatch_due(session_factory, line, lambda: datetime.now(timezone.utc), limit=10,
                                     concurrency=1, lease=timedelta(seconds=1))
    finally:
        line.close()
    assert counts == {"sent": 1, "deferred": 9}
    with session_factory() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(r.state, r.attempts) for r in rows] == [(OutboxState.SENT, 1)] + [(OutboxState.PENDING, 0)] * 9
    assert [r.body["to"] for r in fake_line.state.requests] == [rows[0].target]
