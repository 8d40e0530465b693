"""A month and a bit of follow-ups for one district, stepping the clock hour by hour.

Two scheduler contexts take turns (as two scheduler processes would), one of them is "down" for
most of a day, an activity is edited and another cancelled after scheduling: every reminder, nudge,
report request, escalation, monthly nudge and summary must arrive exactly once, never in quiet hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.line import LineClient
from handlers.catalog import en, th
from handlers.services import registry as reg
from models import Activity, ActivityReport, ActivityStatus, Answer, OutboxMessage, Person, ReportPhoto, RoleName
from scheduler import followups
from scheduler.jobs import JobContext, dispatch_outbox
from support.activities import bkk, make_activity, rsvp
from support.registry import USERS, seed_district
from support.texts import t

T = th.TEXT


@pytest.fixture
def world(session_factory, clock):
    clock.now = bkk(2026, 11, 25, 8)
    with session_factory() as session, session.begin():
        d = seed_district(session, clock())
        reg.grant(session, d.people["other_leader"], RoleName.NETWORK_CHAIR, d.org, network=d.zone2, now=clock())
        p = d.people
        a1 = make_activity(session, d, "MEET", "ประชุมโซน 1", bkk(2026, 12, 5, 14), deadline=bkk(2026, 12, 4, 14))
        rsvp(session, a1, p["member"], Answer.GOING, d.wat)
        rsvp(session, a1, p["leader"], Answer.MAYBE, d.wat)
        rsvp(session, a1, p["staff"], Answer.NOT_GOING, d.wat)
        a2 = make_activity(session, d, "GAME", "กีฬาสี", bkk(2026, 12, 12, 17))
        rsvp(session, a2, p["member"], Answer.GOING, d.wat)
        a3 = make_activity(session, d, "TRAIN", "อบรมอาสาสมัคร", bkk(2026, 12, 15, 9))
        rsvp(session, a3, p["member"], Answer.GOING, d.wat)
        a4 = make_activity(session, d, "GONE", "ทัศนศึกษา", bkk(2026, 12, 18, 9))
        rsvp(session, a4, p["member"], Answer.GOING, d.wat)
        ids = {"MEET": a1.id, "GAME": a2.id, "TRAIN": a3.id, "GONE": a4.id}
    return d, ids


def run_month(app, clock, session_factory, fake_line, world, tmp_path):
    district, ids = world
    services = app.extensions["saiyai"]
    schedulers = [JobContext(services.session_factory, services.line, clock),
                  JobContext(services.session_factory, LineClient(app.config["SAIYAI"]), clock)]
    who = {uid: role for role, uid in USERS.items()}
    log: list[tuple[datetime, str, str]] = []
    end = bkk(2027, 1, 2, 12)
    down = (bkk(2026, 12, 2, 0), bkk(2026, 12, 2, 20))  # both schedulers are down for most of a day
    step = 0
    while clock.now < end:
        clock.advance(hours=1)
        step += 1
        now = clock.now
        if now == bkk(2026, 12, 10, 10):  # edited after its reminders were scheduled (not yet due)
            with session_factory() as session, session.begin():
                a3 = session.get(Activity, ids["TRAIN"])
                a3.starts_at, a3.ends_at = bkk(2026, 12, 16, 13), bkk(2026, 12, 16, 16)
                a3.revision += 1
        if now == bkk(2026, 12, 14, 10):  # cancelled before its reminders
            with session_factory() as session, session.begin():
                session.get(Activity, ids["GONE"]).status = ActivityStatus.CANCELLED
        if now == bkk(2026, 12, 13, 9):  # the host reports on the sports day (after the request)
            with session_factory() as session, session.begin():
                report = ActivityReport(activity_id=ids["GAME"], attended=12, summary="สนุก", lessons="เริ่มให้ตรงเวลา",
                                        submitted_at=now)
                session.add(report)
                session.flush()
                session.add(ReportPhoto(report_id=report.id, line_message_id="900001", received_at=now, attempts=0))
        if now == down[1]:  # restarted: a new process, nothing carried over but the database
            schedulers[0] = JobContext(services.session_factory, services.line, clock)
        ctx = schedulers[step % 2]
        if not down[0] <= now < down[1]:
            followups.send_reminders(ctx)
            followups.nudge_leaders(ctx)
            followups.request_reports(ctx)
            followups.monthly_check(ctx)
            followups.fetch_report_photos(ctx, tmp_path)
        seen = len(fake_line.state.deliveries())
        dispatch_outbox(schedulers[step % 2])
        for request in fake_line.state.deliveries()[seen:]:
            targets = request.body["to"] if isinstance(request.body["to"], list) else [request.body["to"]]
            for message in request.body["messages"]:
                for target in targets:
                    log.append((now, who[target], message["text"]))
    schedulers[1].line.close()
    return log


def test_a_month_of_followups(app, clock, session_factory, fake_line, world, tmp_path) -> None:
    log = run_month(app, clock, session_factory, fake_line, world, tmp_path)
    expected = [
        # Deadline 4 Dec 14:00: nudge 2 days before, sent when the scheduler is back at 20:00 (it was down).
        (bkk(2026, 12, 2, 20), "leader", t("followup.nudge",
            community="ชุมชนวัดบางนา", title="ประชุมโซน 1", when="วันเสาร์ที่ 5 ธันวาคม 2569 เวลา 14:00 น.",
            deadline="วันศุกร์ที่ 4 ธันวาคม 2569 เวลา 14:00 น.", count=2, names="• คุณchair\n• คุณpartner",
            code="MEET")),
        (bkk(2026, 12, 2, 20), "member", t("followup.reminder",
            title="ประชุมโซน 1", when="วันเสาร์ที่ 5 ธันวาคม 2569 เวลา 14:00 น.", place="ศาลาวัดบางนา", code="MEET")),
        (bkk(2026, 12, 2, 20), "leader", t("followup.reminder",
            title="ประชุมโซน 1", when="วันเสาร์ที่ 5 ธันวาคม 2569 เวลา 14:00 น.", place="ศาลาวัดบางนา", code="MEET")),
    ]
    # Messages dispatched in the same hour go out concurrently: compare them in a stable order.
    assert sorted(row for row in log if row[0] <= bkk(2026, 12, 3)) == sorted([
        # Already past the 20th: chairs of networks without a November activity are nudged at once.
        (bkk(2026, 11, 25, 9), "other_leader", t("followup.monthly_nudge", month="พฤศจิกายน 2569", network="เครือข่ายโซน 2")),
        (bkk(2026, 11, 25, 9), "chair", t("followup.monthly_nudge", month="พฤศจิกายน 2569", network="เครือข่ายโซน 1")),
        # The November summary goes to staff on 1 December at 07:00 (the run at 00:00 waits out quiet hours).
        (bkk(2026, 12, 1, 7), "staff", log[2][2]),
        *expected,
    ])
    assert log[2][2].startswith("สรุปกิจกรรมเดือนพฤศจิกายน 2569 (สำนักงานเขตบางนา)\n• เครือข่ายผู้สูงอายุ: 0 กิจกรรม")
    # Each queued message delivered exactly once, although two schedulers took turns.
    keys = [r.retry_key for r in fake_line.state.deliveries()]
    with session_factory() as session:
        queued = session.scalars(select(OutboxMessage.retry_key)).all()
    assert sorted(keys) == sorted(queued)
    # Nothing in quiet hours (21:00–07:00).
    assert [t for t, _, _ in log if t.hour >= 21 or t.hour < 7] == []

    def when(row_time, role, title_start):
        return [t for t, r, text in log if r == role and text.startswith(title_start)]

    # Two-hour reminder of the meeting, to those going or maybe.
    assert when(None, "member", "⏰ เตือนความจำ: ประชุมโซน 1") == [bkk(2026, 12, 2, 20), bkk(2026, 12, 5, 12)]
    # The sports day ends 20:00: its report request (due 22:00) waits for 07:00; reported, so no reminder.
    assert when(None, "leader", "กิจกรรม “กีฬาสี” จบแล้ว") == [bkk(2026, 12, 13, 7)]
    assert when(None, "leader", "ขอเตือนอีกครั้งครับ รายงานกิจกรรม “กีฬาสี”") == []
    # The meeting is never reported: request, one reminder after 3 days, the chair and staff told after 7.
    assert when(None, "leader", "กิจกรรม “ประชุมโซน 1” จบแล้ว") == [bkk(2026, 12, 5, 19)]
    assert when(None, "leader", "ขอเตือนอีกครั้งครับ รายงานกิจกรรม “ประชุมโซน 1”") == [bkk(2026, 12, 8, 17)]
    escalation = t("followup.report_escalation", title="ประชุมโซน 1", code="MEET", community="ชุมชนวัดบางนา")
    assert [(t, r) for t, r, text in log if text == escalation] == [
        (bkk(2026, 12, 12, 17), "chair"), (bkk(2026, 12, 12, 17), "staff")]
    # The edited training reminds with its new time; the cancelled trip reminds nobody.
    assert when(None, "member", "⏰ เตือนความจำ: อบรมอาสาสมัคร") == [bkk(2026, 12, 13, 13), bkk(2026, 12, 16, 11)]
    assert "วันพุธที่ 16 ธันวาคม 2569 เวลา 13:00 น." in [text for _, _, text in log
                                                        if text.startswith("⏰ เตือนความจำ: อบรม")][0]
    assert when(None, "member", "⏰ เตือนความจำ: ทัศนศึกษา") == []
    # On the 20th, the chair of the zone with no December activity is nudged once.
    assert [(t, r) for t, r, text in log if text.startswith("เดือนธันวาคม 2569 ยังไม่มีกิจกรรมของเครือข่ายโซน 2")] == [
        (bkk(2026, 12, 20, 7), "other_leader")]
    # On 1 January staff get December's summary: three activities held in zone 1, one report missing.
    [december] = [text for _, r, text in log if r == "staff" and text.startswith("สรุปกิจกรรมเดือนธันวาคม 2569")]
    assert december.splitlines()[1:] == [
        "• เครือข่ายผู้สูงอายุ: 0 กิจกรรม เข้าร่วมจริง -",
        "• เครือข่ายโซน 1: 3 กิจกรรม เข้าร่วมจริง 0%",
        "• เครือข่ายโซน 2: 0 กิจกรรม เข้าร่วมจริง -",
        "อัตราการเข้าร่วม (เช็คอิน ÷ ตอบว่าไป): 0% — เป้าหมาย 90% ⚠️ ยังไม่ถึง",
        "เครือข่ายที่มีกิจกรรม: 1 — เป้าหมายอย่างน้อย 3 ⚠️ ยังไม่ถึง",
        "รายงานที่ยังไม่ส่ง: 2 (ประชุมโซน 1 (MEET), อบรมอาสาสมัคร (TRAIN))",
    ]
    # The report's photo was fetched from the content API into storage.
    with session_factory() as session:
        photo = session.scalars(select(ReportPhoto)).one()
        assert (tmp_path / "photos" / str(world[1]["GAME"]) / "900001.jpg").read_bytes() == b"\xff\xd8\xff\xe0fake-jpeg-900001"
        assert photo.storage_path.endswith("900001.jpg")
        assert session.scalars(select(Person).where(Person.line_user_id == USERS["member"])).one().blocked_at is None


def test_the_scheduler_runs_the_reminder_job_on_the_minute(tmp_path) -> None:
    """Activities start on the minute, so reminders fall due on it: the job must run then, not up to a
    minute later (the outbox job sends what it queued within a second)."""
    from scheduler.__main__ import build_scheduler

    scheduler = build_scheduler(JobContext(None, None, lambda: bkk(2026, 12, 1, 9)), tmp_path)
    reminders = scheduler.get_job("reminders")
    after = bkk(2026, 12, 1, 9, 41, 17)
    assert reminders.trigger.get_next_fire_time(None, after) == bkk(2026, 12, 1, 9, 42)
    assert scheduler.get_job("outbox").trigger.interval == timedelta(seconds=1)


def test_an_activity_cancelled_while_reminders_are_queued_gets_none(session_factory, clock, jobs,
                                                                     monkeypatch) -> None:
    """Reminders are queued a page of activities at a time; one cancelled after the due list was read
    but before its page is queued must not be reminded."""
    from handlers.services import activities as acts

    clock.now = bkk(2026, 12, 5, 12)  # the 2-hour reminder of a 14:00 activity is due
    with session_factory() as session, session.begin():
        d = seed_district(session, bkk(2026, 11, 25, 8))
        first = make_activity(session, d, "AAAA", "ประชุมโซน 1", bkk(2026, 12, 5, 14))
        second = make_activity(session, d, "BBBB", "กีฬาสี", bkk(2026, 12, 5, 14))
        for activity in (first, second):
            rsvp(session, activity, d.people["member"], Answer.GOING, d.wat)
        first_id, second_id = first.id, second.id
    monkeypatch.setattr(followups, "REMINDER_PAGE", 1)
    contacts = acts.interested_contacts

    def cancel_the_second_while_the_first_is_queued(session, activity_ids):
        if first_id in activity_ids:
            with session_factory() as other, other.begin():
                other.get(Activity, second_id).status = ActivityStatus.CANCELLED
        return contacts(session, activity_ids)

    monkeypatch.setattr(acts, "interested_contacts", cancel_the_second_while_the_first_is_queued)
    assert followups.send_reminders(jobs) == 1
    with session_factory() as session:
        keys = session.scalars(select(OutboxMessage.dedupe_key)).all()
    assert [k.split("/")[0] for k in keys] == [f"reminder:{first_id}:t1:120:th"]


GROUP = "C" + "7" * 32


@pytest.mark.parametrize("linked", [True, False], ids=["linked-group", "no-group"])
def test_a_reminder_for_groups_goes_to_the_people_when_there_is_no_group(session_factory, clock, jobs, fake_line,
                                                                         linked) -> None:
    """An activity reminds its linked groups; with none, those going or maybe are reminded themselves."""
    clock.now = bkk(2026, 12, 5, 12)  # the 2-hour reminder of a 14:00 activity is due
    with session_factory() as session, session.begin():
        d = seed_district(session, bkk(2026, 11, 25, 8))
        activity = make_activity(session, d, "AAAA", "ประชุมโซน 1", bkk(2026, 12, 5, 14))
        activity.remind_groups = True
        rsvp(session, activity, d.people["member"], Answer.GOING, d.wat)
        rsvp(session, activity, d.people["leader"], Answer.NOT_GOING, d.wat)
        d.people["member"].language = "en"
        if linked:
            reg.link_chat(session, GROUP, d.wat, None, clock())
    assert followups.send_reminders(jobs) == 1
    assert dispatch_outbox(jobs) == {"sent": 1}
    [request] = fake_line.state.requests
    if linked:
        assert request.body == {"to": GROUP, "messages": [{"type": "text", "text": t("followup.reminder",
            title="ประชุมโซน 1", when="วันเสาร์ที่ 5 ธันวาคม 2569 เวลา 14:00 น.", place="ศาลาวัดบางนา",
            code="AAAA")}]}
    else:
        assert request.body["to"] in (USERS["member"], [USERS["member"]])  # a push or a multicast of one
        assert request.body["messages"] == [{"type": "text", "text": en.TEXT["followup.reminder"].format(
            title="ประชุมโซน 1", when="Saturday 5 December 2026, 14:00", place="ศาลาวัดบางนา", code="AAAA")}]


def test_a_short_notice_nudge_waits_and_never_lists_the_leader(session_factory, clock, jobs, fake_line) -> None:
    """Announced at 20:00 for an 14:00 deadline the next day: no nudge at once; half-way to the deadline the
    leader is sent the members who have not answered, without the leader, who has not answered either."""
    with session_factory() as session, session.begin():
        d = seed_district(session, bkk(2026, 11, 25, 8))
        make_activity(session, d, "SOON", "ประชุมด่วน", bkk(2026, 12, 5, 9), deadline=bkk(2026, 12, 4, 14),
                      created=bkk(2026, 12, 3, 20))
    clock.now = bkk(2026, 12, 3, 21)
    assert followups.nudge_leaders(jobs) == 0
    clock.now = bkk(2026, 12, 4, 8)  # past 05:00, half-way from creation to the deadline
    assert followups.nudge_leaders(jobs) == 1
    assert dispatch_outbox(jobs) == {"sent": 1}
    [request] = fake_line.state.requests
    assert request.body == {"to": USERS["leader"], "messages": [{"type": "text", "text": t("followup.nudge",
        community="ชุมชนวัดบางนา", title="ประชุมด่วน", when="วันเสาร์ที่ 5 ธันวาคม 2569 เวลา 09:00 น.",
        deadline="วันศุกร์ที่ 4 ธันวาคม 2569 เวลา 14:00 น.", count=4,
        names="• คุณchair\n• คุณmember\n• คุณpartner\n• คุณstaff", code="SOON")}]}


def test_follow_ups_that_quiet_hours_would_hold_past_their_moment_are_dropped(session_factory, clock, jobs) -> None:
    """A 2-hour reminder of a 06:00 alms-giving falls due at 04:00, and a nudge at 21:30 for a 22:00 deadline:
    both would wait for 07:00, after the moment they are about, so neither is queued."""
    with session_factory() as session, session.begin():
        d = seed_district(session, bkk(2026, 11, 25, 8))
        alms = make_activity(session, d, "ALMS", "ตักบาตร", bkk(2026, 12, 5, 6))
        rsvp(session, alms, d.people["member"], Answer.GOING, d.wat)
        make_activity(session, d, "LATE", "ประชุมค่ำ", bkk(2026, 12, 6, 9), deadline=bkk(2026, 12, 4, 22))
    clock.now = bkk(2026, 12, 5, 4)
    assert followups.send_reminders(jobs) == 0
    clock.now = bkk(2026, 12, 4, 21, 30)
    assert followups.nudge_leaders(jobs) == 0
    clock.now = bkk(2026, 12, 4, 20, 30)  # before quiet hours both go out
    assert followups.nudge_leaders(jobs) == 1
    with session_factory() as session:
        assert [k.split(":")[0] for k in session.scalars(select(OutboxMessage.dedupe_key))] == ["nudge"]
