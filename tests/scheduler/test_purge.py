"""What is kept how long: the hourly purge forgets webhook events after 30 days, in batches."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from models import Conversation, WebhookEvent
from scheduler import jobs as scheduler_jobs


def add_events(session_factory, received_at, count: int, first: int = 0) -> None:
    with session_factory() as session, session.begin():
        session.execute(insert(WebhookEvent), [
            dict(event_key=f"E{first + i:020d}", event_type="message", chat_kind="user", chat_id=f"U{i:032x}",
                 user_id=f"U{i:032x}", status="done", received_at=received_at) for i in range(count)])


def test_events_older_than_a_month_are_deleted_in_batches(session_factory, jobs, clock, monkeypatch) -> None:
    monkeypatch.setattr(scheduler_jobs, "PURGE_BATCH", 4)  # several batches, one partial
    now = clock()
    add_events(session_factory, now - timedelta(days=31), 10)
    add_events(session_factory, now - timedelta(days=29), 3, first=100)
    assert scheduler_jobs.purge_expired_conversations(jobs) == 10
    with session_factory() as session:
        kept = session.scalars(select(WebhookEvent.event_key).order_by(WebhookEvent.event_key)).all()
        assert kept == [f"E{100 + i:020d}" for i in range(3)]
        assert session.scalar(select(func.count()).select_from(Conversation)) == 0
    # Run again (a second scheduler, the next hour): nothing more to do, nothing else touched.
    assert scheduler_jobs.purge_expired_conversations(jobs) == 0
