"""Notice jobs: queueing page by page (exactly once, whoever runs it and whatever crashes), the one-time
nudge, settling and reports, and a notice sent through a fake LINE that fails 30 % of calls and runs
out of monthly quota part-way: nobody gets it twice and nobody is left out without staff being told.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import func, insert, select, update

from bot import outbox
from bot.fakeline import MONTHLY_LIMIT, Fault
from bot.line import LineClient
from handlers.catalog import th
from handlers.notices import notice_messages
from handlers.services import notices as svc
from handlers.services import registry as reg
from models import (
    AckKind,
    ChannelState,
    Membership,
    Notice,
    NoticeScope,
    NoticeStatus,
    OutboxKind,
    OutboxMessage,
    OutboxState,
    Person,
    RoleFilter,
    RoleName,
)
from scheduler import notices as notice_jobs
from scheduler.jobs import JobContext, dispatch_outbox
from support.dialog import Dialog
from support.registry import USERS, seed_district
from support.texts import bangkok, t

T = th.TEXT
STAFF, MEMBER, LEADER = USERS["staff"], USERS["member"], USERS["leader"]


@pytest.fixture
def district(session_factory, clock):
    with session_factory() as session, session.begin():
        return seed_district(session, clock())



def add_members(session, community, count: int, now: datetime, first: int = 0) -> list[str]:
    """`count` registered members of a community, inserted in bulk; returns their LINE user ids."""
    user_ids = [f"U{0xB0000000 + first + n:032x}" for n in range(count)]
    session.execute(insert(Person), [
        {"line_user_id": user_id, "full_name": f"สมาชิก {first + n:05d}", "consent_version": reg.CONSENT_VERSION,
         "consented_at": now, "created_at": now, "updated_at": now} for n, user_id in enumerate(user_ids)])
    ids = session.scalars(select(Person.id).where(Person.line_user_id.in_(user_ids))).all()
    session.execute(insert(Membership), [
        {"person_id": person_id, "role": RoleName.MEMBER, "organization_id": community.organization_id,
         "community_id": community.id, "created_at": now} for person_id in ids])
    return user_ids


def wat_notice(session, district, now, **kwargs) -> Notice:
    """A notice from staff to everyone in ชุมชนวัดบางนา (which has no linked group here: each person)."""
    audience = svc.Audience(district.org.id, NoticeScope.COMMUNITY, community_id=district.wat.id,
                            author_id=district.people["staff"].id)
    return svc.create_notice(session, audience, text=kwargs.pop("text", "ประชุมชุมชน"), now=now, **kwargs)


def multicast_recipients(fake_line) -> Counter:
    """How many times LINE delivered something to each user (multicast and push)."""
    seen: Counter = Counter()
    for r in fake_line.state.deliveries():
        if r.path.endswith("/multicast"):
            seen.update(r.body["to"])
        elif r.path.endswith("/push"):
            seen[r.body["to"]] += 1
    return seen


# --- recipients -----------------------------------------------------------------------------------

def test_recipients_are_read_a_page_at_a_time(district, session_factory, clock) -> None:
    with session_factory() as session, session.begin():
        add_members(session, district.wat, 1234, clock())
    audience = svc.Audience(district.org.id, NoticeScope.COMMUNITY, community_id=district.wat.id,
                            author_id=district.people["staff"].id)
    with session_factory() as session:
        pages = list(svc.iter_recipients(session, audience, size=500))
        assert [len(page) for page in pages] == [500, 500, 238]  # 1,234 + chair, leader, member, partner
        assert svc.count_recipients(session, audience) == 1238
    ids = [row[0] for page in pages for row in page]
    assert ids == sorted(set(ids))  # by id, each person once


@pytest.mark.parametrize(("scope", "role_filter", "expected"), [
    ("organization", RoleFilter.EVERYONE, ["chair", "leader", "member", "partner", "other_leader"]),
    ("organization", RoleFilter.LEADERS, ["chair", "leader", "other_leader"]),
    ("organization", RoleFilter.COMMITTEE, ["leader", "other_leader"]),
    ("organization", RoleFilter.PARTNERS, ["partner"]),
    ("zone1", RoleFilter.EVERYONE, ["chair", "leader", "member", "partner"]),
    ("zone1", RoleFilter.LEADERS, ["chair", "leader"]),
    ("elderly", RoleFilter.EVERYONE, ["other_leader"]),  # an issue network: the communities that joined it
    ("canal", RoleFilter.EVERYONE, ["other_leader"]),
    ("canal", RoleFilter.PARTNERS, []),
])
def test_who_a_notice_reaches(district, session_factory, scope, role_filter, expected) -> None:
    d = district
    kinds = {"organization": (NoticeScope.ORGANIZATION, None, None), "zone1": (NoticeScope.NETWORK, d.zone1.id, None),
             "elderly": (NoticeScope.NETWORK, d.elderly.id, None), "canal": (NoticeScope.COMMUNITY, None, d.canal.id)}
    kind, network_id, community_id = kinds[scope]
    audience = svc.Audience(d.org.id, kind, network_id, community_id, role_filter, d.people["staff"].id)
    with session_factory() as session:
        found = [row[1] for page in svc.iter_recipients(session, audience) for row in page]
    assert sorted(found) == sorted(USERS[who] for who in expected)


# --- queueing -------------------------------------------------------------------------------------

def test_a_notice_waits_for_its_time_and_is_queued_in_pages(district, session_factory, clock, jobs,
                                                            fake_line) -> None:
    with session_factory() as session, session.begin():
        members = add_members(session, district.wat, 1196, clock())
        notice = wat_notice(session, district, clock(), send_at=bangkok(2026, 11, 21, 14))
    assert notice_jobs.send_notices(jobs, page=500) == 0
    clock.now = bangkok(2026, 11, 21, 14)
    assert notice_jobs.send_notices(jobs, page=500) == 1200
    with session_factory() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(r.kind, len(r.recipients), r.topic) for r in rows] == [
            (OutboxKind.MULTICAST, 500, f"notice:{notice.id}")] * 2 + [(OutboxKind.MULTICAST, 200,
                                                                         f"notice:{notice.id}")]
        stored = session.get(Notice, notice.id)
        assert (stored.status, stored.recipients, stored.cost) == (NoticeStatus.SENDING, 1200, 1200)
        assert session.get(ChannelState, f"notice_queue:{notice.id}") is None  # finished: no cursor left
    assert notice_jobs.send_notices(jobs, page=500) == 0
    assert dispatch_outbox(jobs) == {"sent": 3}
    assert notice_jobs.settle_notices(jobs) == 1
    seen = multicast_recipients(fake_line)
    assert sorted(seen) == sorted(members + [USERS[w] for w in ("chair", "leader", "member", "partner")])
    assert set(seen.values()) == {1}


def test_each_page_goes_out_in_each_persons_language(district, session_factory, clock, jobs, fake_line) -> None:
    with session_factory() as session, session.begin():
        members = add_members(session, district.wat, 1196, clock())
        english = members[::3]  # spread over every page
        session.execute(update(Person).where(Person.line_user_id.in_(english)).values(language="en"))
        wat_notice(session, district, clock(), text="ประชุมชุมชน / Community meeting")
    assert notice_jobs.send_notices(jobs, page=500) == 1200
    with session_factory() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert sum(len(r.recipients) for r in rows) == 1200
    dispatch_outbox(jobs)
    seen = multicast_recipients(fake_line)
    assert (len(seen), set(seen.values())) == (1200, {1})
    language_of = {}
    for r in fake_line.state.deliveries("multicast"):
        alt = r.body["messages"][0].get("altText") or r.body["messages"][0].get("text", "")
        for user in r.body["to"]:
            language_of[user] = alt
    assert {language_of[u] for u in english} != {language_of[u] for u in set(members) - set(english)}
    assert len({language_of[u] for u in english}) == 1


def test_a_crash_mid_queue_repeats_nobody_and_skips_nobody(district, session_factory, clock, jobs,
                                                            fake_line) -> None:
    with session_factory() as session, session.begin():
        add_members(session, district.wat, 1496, clock())
        notice = wat_notice(session, district, clock())
    with session_factory() as session, session.begin():
        assert svc.queue_page(session, notice.id, clock(), notice_messages, 500) == svc.Queued(500, False)
    # The second page is written, then the process dies before its commit: page and cursor roll back together.
    with pytest.raises(RuntimeError, match="killed"):
        with session_factory() as session, session.begin():
            assert svc.queue_page(session, notice.id, clock(), notice_messages, 500) == svc.Queued(500, False)
            raise RuntimeError("killed")
    # A restarted scheduler carries on from the cursor.
    assert notice_jobs.send_notices(jobs, page=500) == 1000
    assert dispatch_outbox(jobs) == {"sent": 3}
    seen = multicast_recipients(fake_line)
    assert (len(seen), set(seen.values())) == (1500, {1})


@pytest.mark.postgres_only
def test_a_second_scheduler_leaves_a_notice_another_is_queueing(district, session_factory, clock) -> None:
    with session_factory() as session, session.begin():
        add_members(session, district.wat, 996, clock())
        notice = wat_notice(session, district, clock())
    with session_factory() as first, session_factory() as second:
        with first.begin():
            assert svc.queue_page(first, notice.id, clock(), notice_messages, 500) == svc.Queued(500, False)
            with second.begin():  # the row is locked: skipped, not waited for
                assert svc.queue_page(second, notice.id, clock(), notice_messages, 500) is None
        with second.begin():
            assert svc.queue_page(second, notice.id, clock(), notice_messages, 500) == svc.Queued(500, False)
    with session_factory() as session:
        recipients = [r for row in session.scalars(select(OutboxMessage.recipients)) for r in row]
    assert (len(recipients), len(set(recipients))) == (1000, 1000)


def test_a_stale_cursor_loses(district, session_factory, clock) -> None:
    """Without row locks (SQLite), a scheduler that read the cursor before another moved it must not write."""
    with session_factory() as session, session.begin():
        add_members(session, district.wat, 996, clock())
        notice = wat_notice(session, district, clock())
    with session_factory() as session, session.begin():
        svc.queue_page(session, notice.id, clock(), notice_messages, 500)
    with session_factory() as session:
        moved = session.scalar(select(ChannelState.value).where(ChannelState.key == f"notice_queue:{notice.id}"))
        queued = session.scalar(select(func.count()).select_from(OutboxMessage))
    with pytest.raises(RuntimeError, match=f"notice {notice.id} was queued by someone else meanwhile"):
        with session_factory() as session, session.begin():
            cursor = session.get(ChannelState, f"notice_queue:{notice.id}")
            cursor.value = "1"  # what this scheduler read; the other one has moved it since
            session.flush()
            session.execute(ChannelState.__table__.update().where(ChannelState.key == cursor.key)
                            .values(value="999999"))
            svc.queue_page(session, notice.id, clock(), notice_messages, 500)
    with session_factory() as session:  # its page rolled back with it
        assert session.scalar(select(ChannelState.value).where(
            ChannelState.key == f"notice_queue:{notice.id}")) == moved
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == queued == 1


# --- the nudge ------------------------------------------------------------------------------------

def test_one_nudge_after_24_hours_to_those_who_did_not_acknowledge(district, session_factory, clock, jobs,
                                                                   fake_line) -> None:
    with session_factory() as session, session.begin():
        notice = wat_notice(session, district, clock(), text="ส่งแบบสำรวจภายในวันศุกร์")
        quiet = wat_notice(session, district, clock(), text="ไม่ต้องเตือน", nudge_after_hours=None)
    notice_jobs.send_notices(jobs)
    dispatch_outbox(jobs)
    with session_factory() as session, session.begin():
        for who in ("member", "leader"):
            svc.record_answer(session, session.get(Notice, notice.id), session.get(Person, district.people[who].id),
                              AckKind.ACKNOWLEDGED, clock())
    clock.advance(hours=23, minutes=59)
    assert notice_jobs.nudge_unacknowledged(jobs) == 0
    clock.advance(minutes=1)
    before = len(fake_line.state.requests)
    assert notice_jobs.nudge_unacknowledged(jobs) == 2  # chair and partner
    assert dispatch_outbox(jobs) == {"sent": 1}
    [request] = [r for r in fake_line.state.requests[before:] if r.delivered]
    assert sorted(request.body["to"]) == sorted([USERS["chair"], USERS["partner"]])
    [card] = request.body["messages"]
    assert card["contents"]["body"]["contents"][1]["text"] == T["notice.card_nudge"]
    assert card["contents"]["footer"]["contents"][0]["action"]["data"] == f"a=ack&n={notice.id}"
    clock.advance(days=2)
    assert notice_jobs.nudge_unacknowledged(jobs) == 0  # once only
    with session_factory() as session:
        assert session.get(Notice, notice.id).nudged_at == bangkok(2026, 11, 22, 10)
        assert session.get(Notice, quiet.id).nudged_at is None
        assert session.scalars(select(OutboxMessage.topic).where(OutboxMessage.topic.like("notice_nudge:%"))).all() \
            == [f"notice_nudge:{notice.id}"]


def test_the_nudge_skips_people_who_registered_after_the_notice_went_out(district, session_factory, clock, jobs,
                                                                         fake_line) -> None:
    """"เตือนอีกครั้ง: คุณยังไม่ได้กดรับทราบประกาศนี้" went to a member who registered the day after the notice
    and never got it (one more push against the quota, for a notice they were never sent)."""
    with session_factory() as session, session.begin():
        notice = wat_notice(session, district, clock(), text="ส่งแบบสำรวจภายในวันศุกร์")
    notice_jobs.send_notices(jobs)
    dispatch_outbox(jobs)
    clock.advance(hours=3)
    late_user = f"U{0xD00D:032x}"
    with session_factory() as session, session.begin():
        late = Person(line_user_id=late_user, full_name="มาใหม่ ทีหลัง", consent_version=reg.CONSENT_VERSION,
                      consented_at=clock(), created_at=clock(), updated_at=clock())
        session.add(late)
        session.flush()
        session.add(Membership(person_id=late.id, role=RoleName.MEMBER, organization_id=district.org.id,
                               community_id=district.wat.id, created_at=clock()))
        for who in ("member", "leader"):
            svc.record_answer(session, session.get(Notice, notice.id), session.get(Person, district.people[who].id),
                              AckKind.ACKNOWLEDGED, clock())
    clock.advance(hours=21)
    before = len(fake_line.state.requests)
    assert notice_jobs.nudge_unacknowledged(jobs) == 2  # chair and partner, not the newcomer
    assert dispatch_outbox(jobs) == {"sent": 1}
    [request] = [r for r in fake_line.state.requests[before:] if r.delivered]
    assert sorted(request.body["to"]) == sorted([USERS["chair"], USERS["partner"]])


# --- settling -------------------------------------------------------------------------------------

def test_refused_deliveries_are_reported_to_the_author_and_staff(district, session_factory, clock, jobs,
                                                                 fake_line) -> None:
    with session_factory() as session, session.begin():
        notice = wat_notice(session, district, clock(), text="ประชุมประจำเดือน")
        leader = svc.Audience(district.org.id, NoticeScope.COMMUNITY, community_id=district.wat.id,
                              role_filter=RoleFilter.COMMITTEE, author_id=district.people["chair"].id)
        pushed = svc.create_notice(session, leader, text="ถึงประธาน", now=clock())
    fake_line.state.faults.extend([Fault(status=400, message="The property, 'to', in the request body is invalid"),
                                   Fault(status=400, message="Failed to send messages")])
    notice_jobs.send_notices(jobs)
    assert dispatch_outbox(jobs) == {"rejected": 2}
    assert notice_jobs.settle_notices(jobs) == 2
    with session_factory() as session:
        assert [session.get(Notice, n.id).status for n in (notice, pushed)] == [NoticeStatus.SENT] * 2
        reports = session.scalars(select(OutboxMessage).where(OutboxMessage.topic.like("%:report"))
                                  .order_by(OutboxMessage.id)).all()
    assert [(r.target, r.recipients, r.messages[0]["text"]) for r in reports] == [
        (STAFF, None, t("notice.failed_report", text="ประชุมประจำเดือน", delivered="0", failed="4")),
        (None, [USERS["chair"], STAFF], t("notice.failed_report", text="ถึงประธาน", delivered="0", failed="1")),
    ]
    assert notice_jobs.settle_notices(jobs) == 0


def test_line_facts_are_kept_in_channel_state(district, session_factory, clock, jobs, fake_line) -> None:
    with session_factory() as session, session.begin():
        reg.link_chat(session, "C" + "a" * 32, district.wat, None, clock())
    fake_line.state.group_sizes["C" + "a" * 32] = 120
    assert notice_jobs.refresh_line_facts(jobs) == 2
    with session_factory() as session:
        assert svc.cached_quota(session, clock()) == svc.Quota(None, 0, clock())  # the fake's plan: no limit
        assert svc.group_sizes(session, ["C" + "a" * 32], clock()) == {"C" + "a" * 32: 120}
    clock.advance(minutes=5)
    with session_factory() as session:
        assert svc.cached_quota(session, clock()) is None  # five minutes old: not current any more
    assert notice_jobs.refresh_line_facts(jobs) == 1  # the group's count is fetched again after ten minutes


# --- faults: 30 % failures and the monthly quota running out part-way ---------------------------

REFUSED = (Fault(status=500), Fault(status=503, message="busy"), Fault(status=429, message="Too many requests"))
# LINE delivered, but answered after the client gave up: the row is retried with its retry key (409).
LATE = Fault(deliver=True, delay=0.8)


@pytest.mark.parametrize("late_answers", [False, True], ids=["refused", "refused-and-late"])
def test_failures_and_the_quota_stop_lose_nobody_and_repeat_nobody(district, session_factory, clock, config,
                                                                   fake_line, webhook, late_answers) -> None:
    with session_factory() as session, session.begin():
        members = add_members(session, district.wat, 2496, clock())
        notice = wat_notice(session, district, clock(), text="ประกาศปิดถนนซ่อมท่อ วันอาทิตย์ 8:00-17:00 น.")
    everyone = set(members) | {USERS[w] for w in ("chair", "leader", "member", "partner")}
    # A short client timeout, so late answers are quick.
    line = LineClient(dataclasses.replace(config, request_timeout=0.5))
    jobs = JobContext(session_factory, line, clock, outbox_batch=2, outbox_concurrency=2)
    state = fake_line.state
    state.failure_rate = 0.3
    state.failure_kinds = REFUSED + ((LATE,) if late_answers else ())
    state.monthly_quota = 1700  # three multicasts of 500 fit, the fourth does not

    def run_until(done) -> None:
        for _ in range(200):
            notice_jobs.send_notices(jobs, page=1000)
            dispatch_outbox(jobs)
            notice_jobs.settle_notices(jobs)
            if done():
                return
            clock.advance(seconds=30)
        raise AssertionError("the jobs did not finish")

    def status() -> NoticeStatus:
        with session_factory() as session:
            return session.get(Notice, notice.id).status

    def waiting_ids() -> set[str]:
        with session_factory() as session:
            return {r for row in session.scalars(select(OutboxMessage.recipients).where(
                OutboxMessage.topic == f"notice:{notice.id}", OutboxMessage.state == OutboxState.PENDING))
                for r in row}

    def confirmed_count() -> int:
        """Sent rows keep how many they reached, not who (bot/outbox.py)."""
        with session_factory() as session:
            return session.scalar(select(func.sum(OutboxMessage.recipient_count)).where(
                OutboxMessage.topic == f"notice:{notice.id}", OutboxMessage.state == OutboxState.SENT)) or 0

    run_until(lambda: status() == NoticeStatus.STOPPED)
    stopped_at = clock()
    seen = multicast_recipients(fake_line)
    assert (len(seen), set(seen.values())) == (1500, {1})  # LINE's quota let 1,500 through, nobody twice
    waiting = waiting_ids()
    confirmed = everyone - waiting
    # Saiyai's accounting splits everyone into confirmed and waiting, and claims no delivery LINE did not make.
    assert (len(confirmed), waiting <= everyone) == (confirmed_count(), True)
    assert confirmed <= set(seen)
    if late_answers:
        # Delivered but never confirmed (the retry waits for the quota): counted as not confirmed, not lost.
        assert set(seen) - confirmed <= waiting
    else:
        assert confirmed == set(seen)
    with session_factory() as session:
        stored = session.get(Notice, notice.id)
        assert stored.stop_reason == f"LINE monthly message quota reached: {MONTHLY_LIMIT}"
        sent = svc.delivery(session, stored, clock())
        assert (sent.total, sent.delivered, sent.waiting, sent.failed) == (2500, len(confirmed), len(waiting), 0)
        [report] = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == f"notice:{notice.id}:report"))
    text = "ประกาศปิดถนนซ่อมท่อ วันอาทิตย์ 8:00-17:00 น."
    snippet = text[:40] + "…" if len(text) > 40 else text
    assert (report.target, report.state) == (STAFF, OutboxState.PENDING)  # pushing waits for the quota too
    assert report.messages[0]["text"] == t(
        "notice.quota_report", text=snippet, delivered=f"{len(confirmed):,}", missing=f"{len(waiting):,}",
        when=f"วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา {stopped_at:%H:%M} น.",
        until="วันอังคารที่ 1 ธันวาคม 2569 เวลา 00:00 น.")
    if not late_answers:
        assert (len(confirmed), len(waiting)) == (1500, 1000)
    # Replies are free: staff asking for the status are told at once.
    state.failure_rate = 0.0
    [reply] = Dialog(fake_line, webhook).say(STAFF, "ประกาศ สถานะ")
    assert reply.split("\n")[2:5] == [
        t("notice.status_item", text=snippet, state=T["notice.state.stopped"]),
        t("notice.status_delivery", delivered=f"{len(confirmed):,}", total="2,500"),
        t("notice.status_stopped", missing=f"{len(waiting):,}")]

    # The plan is raised and sending resumed: the rest goes out, still once each, and the report too.
    state.failure_rate, state.monthly_quota = 0.3, None
    with session_factory() as session, session.begin():
        assert outbox.resume_after_quota(session) is True
    run_until(lambda: status() == NoticeStatus.SENT and STAFF in multicast_recipients(fake_line))
    seen = multicast_recipients(fake_line)
    assert (set(seen), set(seen.values())) == (everyone | {STAFF}, {1})
    assert (waiting_ids(), confirmed_count()) == (set(), len(everyone))
    texts = [m["text"] for r in state.deliveries("push") if r.body["to"] == STAFF for m in r.body["messages"]]
    assert texts == [report.messages[0]["text"]]
    line.close()
