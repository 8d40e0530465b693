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


def test_answers_are_kept_two_fiscal_years_and_alert_locations_a_month(session_factory, district, jobs, clock) -> None:
    from models import AckKind, Notice, NoticeAck, NoticeScope
    from support.texts import bangkok

    clock.now = bangkok(2026, 11, 21, 10)  # fiscal year 2570 began on 1 Oct 2026; 2569 on 1 Oct 2025
    people = [district.people[k] for k in ("member", "leader", "chair", "partner")]

    def notice(session, urgent: bool) -> Notice:
        row = Notice(organization_id=district.org.id, scope=NoticeScope.ORGANIZATION, text="ประกาศ", urgent=urgent,
                     send_at=clock(), created_at=clock())
        session.add(row)
        session.flush()
        return row

    with session_factory() as session, session.begin():
        old, alert = notice(session, urgent=False), notice(session, urgent=True)
        for person, at in [(people[0], bangkok(2025, 9, 30, 23)), (people[1], bangkok(2025, 10, 1, 0))]:
            session.add(NoticeAck(notice_id=old.id, person_id=person.id, kind=AckKind.ACKNOWLEDGED, at=at))
        for person, at in [(people[2], bangkok(2026, 10, 21, 9)), (people[3], bangkok(2026, 10, 23, 9))]:
            session.add(NoticeAck(notice_id=alert.id, person_id=person.id, kind=AckKind.NEED_HELP, at=at,
                                  latitude=13.66, longitude=100.6, address="ซอยวัดบางนา"))
    # 3 changed: the ack before fiscal year 2569 deleted, and the location of the alert answer older than 30 days.
    assert scheduler_jobs.purge_old_answers(jobs) == 2
    with session_factory() as session:
        kept = sorted((a.person_id, a.latitude, a.address) for a in session.scalars(select(NoticeAck)))
    assert kept == sorted([(people[1].id, None, None), (people[2].id, None, None),
                           (people[3].id, 13.66, "ซอยวัดบางนา")])
    assert scheduler_jobs.purge_old_answers(jobs) == 0
