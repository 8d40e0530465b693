"""Follow-ups of an activity that is moved or cancelled, with the clock stepping half an hour at a time
for days, the changes made through signed webhooks as a leader would make them (issue 17, items 1–2).

Every follow-up about an activity is keyed by its time revision, so a move brings the follow-ups of the
new time exactly once; a follow-up queued and not yet sent (held by quiet hours) is withdrawn when the
activity is moved or cancelled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import select

from handlers.services import registry as reg
from models import Activity, ActivityStatus, Answer, OutboxMessage
from scheduler import followups
from scheduler.jobs import dispatch_outbox
from support.activities import bkk, make_activity, rsvp
from support.registry import USERS, seed_district
from support.texts import t

GROUP = "C" + "8" * 32
WHO = {**{uid: role for role, uid in USERS.items()}, GROUP: "group"}
NAMES = "• คุณchair\n• คุณpartner\n• คุณstaff"  # the wat's members who have not answered (not the leader)


@pytest.fixture
def world(session_factory, clock):
    """A meeting of the wat's zone for tomorrow 09:00 (answers until it starts), announced today at 10:00 in
    a linked group; the member is going."""
    clock.now = bkk(2026, 12, 4, 10)
    with session_factory() as session, session.begin():
        d = seed_district(session, bkk(2026, 11, 25, 8))
        activity = make_activity(session, d, "MOVE", "ประชุมโซน 1", bkk(2026, 12, 5, 9),
                                 deadline=bkk(2026, 12, 5, 9), created=clock())
        activity.remind_groups = True
        rsvp(session, activity, d.people["member"], Answer.GOING, d.wat)
        reg.link_chat(session, GROUP, d.wat, None, clock())
        return activity.id


def run(clock, jobs, fake_line, until: datetime, changes: dict[datetime, Callable[[], None]]) -> list[tuple[datetime, str, str]]:
    """Step the clock half an hour at a time until `until`, making each change at its moment, running the
    follow-up jobs and the outbox; returns (when, who, text) of everything pushed."""
    log = []
    while clock.now < until:
        clock.advance(minutes=30)
        if clock.now in changes:
            changes[clock.now]()
        followups.send_reminders(jobs)
        followups.nudge_leaders(jobs)
        followups.request_reports(jobs)
        seen = len(fake_line.state.deliveries())
        dispatch_outbox(jobs)
        for request in fake_line.state.deliveries()[seen:]:
            if "replyToken" in request.body:
                continue
            targets = request.body["to"] if isinstance(request.body["to"], list) else [request.body["to"]]
            for message in request.body["messages"]:
                for target in targets:
                    log.append((clock.now, WHO[target], message.get("text", f"[{message['type']}]")))
    return sorted(log)


def move(dialog, when: str):
    """The leader moves MOVE through `แก้ไขกิจกรรม` → วันเวลา → the new time → ยืนยัน."""
    def change():
        for text in ("แก้ไขกิจกรรม MOVE", "วันเวลา", when, "ยืนยัน"):
            dialog.say(USERS["leader"], text)
    return change


def cancel(dialog, ident: int):
    """The leader cancels MOVE through `ยกเลิกกิจกรรม` and its confirm button."""
    def change():
        dialog.say(USERS["leader"], "ยกเลิกกิจกรรม MOVE")
        dialog.postback(USERS["leader"], f"a=event_cancel&id={ident}&l=th")
    return change


def reminder(when: str) -> str:
    return t("followup.reminder", title="ประชุมโซน 1", when=when, place="ศาลาวัดบางนา", code="MOVE")


def nudge(when: str, deadline: str) -> str:
    return t("followup.nudge", community="ชุมชนวัดบางนา", title="ประชุมโซน 1", when=when, deadline=deadline,
             count=3, names=NAMES, code="MOVE")


SAT = "วันเสาร์ที่ 5 ธันวาคม 2569 เวลา 09:00 น."
SUN = "วันอาทิตย์ที่ 6 ธันวาคม 2569 เวลา 09:00 น."
SAT_RANGE = "วันเสาร์ที่ 5 ธันวาคม 2569 เวลา 09:00–12:00 น."
SUN_RANGE = "วันอาทิตย์ที่ 6 ธันวาคม 2569 เวลา 09:00–12:00 น."
CHANGED = t("event.group_change_notice", title="ประชุมโซน 1", code="MOVE", field="วันเวลา", old=SAT_RANGE,
            new=SUN_RANGE)


def test_a_moved_activity_reminds_and_nudges_for_its_new_time_once(world, dialog, clock, jobs, fake_line,
                                                                     session_factory) -> None:
    """Reminded at 07:00 for 09:00, moved at 07:30 to the next day: the group is told, then reminded once
    before the new time; the leader's nudge comes again for the new deadline, once."""
    log = run(clock, jobs, fake_line, bkk(2026, 12, 8, 12), {bkk(2026, 12, 5, 7, 30): move(dialog, "6 ธ.ค. 69 9:00")})
    assert [(when, who, text) for when, who, text in log if who != "member"] == sorted([
        # The nudge falls due at 21:30 (half-way to the deadline), in quiet hours: it waits for 07:00.
        (bkk(2026, 12, 5, 7), "leader", nudge(SAT, SAT)),
        (bkk(2026, 12, 5, 7), "group", reminder(SAT)),
        (bkk(2026, 12, 5, 7, 30), "group", CHANGED),
        # The new time's nudge (half-way from the move to the new deadline: 20:15, run at 20:30) and reminder.
        (bkk(2026, 12, 5, 20, 30), "leader", nudge(SUN, SUN)),
        (bkk(2026, 12, 6, 7), "group", reminder(SUN)),
        # Its report request, 2 hours after the new end.
        (bkk(2026, 12, 6, 14), "leader", log_text(log, "leader", "กิจกรรม “ประชุมโซน 1” จบแล้ว")),
    ])
    with session_factory() as session:
        activity = session.get(Activity, world)
        assert (activity.time_revision, activity.time_set_at) == (2, bkk(2026, 12, 5, 7, 30))
        keys = sorted(k.split("/")[0] for k in session.scalars(select(OutboxMessage.dedupe_key)
                                                               .where(OutboxMessage.topic == f"followup:{world}")))
    assert keys == [f"nudge:{world}:t1:{_wat(session_factory)}", f"nudge:{world}:t2:{_wat(session_factory)}",
                    f"reminder:{world}:t1:120", f"reminder:{world}:t2:120", f"report_request:{world}:t2:th"]


def log_text(log, who: str, start: str) -> str:
    [text] = [text for _, w, text in log if w == who and text.startswith(start)]
    return text


def _wat(session_factory) -> int:
    from models import Community

    with session_factory() as session:
        return session.scalars(select(Community.id).where(Community.name == "ชุมชนวัดบางนา")).one()


@pytest.fixture
def early(session_factory, world):
    """The meeting starts at 08:00 instead: its 2-hour reminder falls due at 06:00 and is held until 07:00."""
    with session_factory() as session, session.begin():
        activity = session.get(Activity, world)
        activity.starts_at, activity.ends_at = bkk(2026, 12, 5, 8), bkk(2026, 12, 5, 11)
        activity.rsvp_deadline = bkk(2026, 12, 5, 8)
    return world


def test_a_reminder_and_a_nudge_held_for_the_morning_are_withdrawn_when_it_is_cancelled(
        early, dialog, clock, jobs, fake_line, session_factory) -> None:
    """Held at 06:00 for 07:00, cancelled at 06:30: the group hears only of the cancellation; the leader is
    not asked to chase members for it, and nothing else about it ever follows."""
    log = run(clock, jobs, fake_line, bkk(2026, 12, 14, 12), {bkk(2026, 12, 5, 6, 30): cancel(dialog, early)})
    cancelled = t("event.cancel_notice", title="ประชุมโซน 1", code="MOVE",
                  when="วันเสาร์ที่ 5 ธันวาคม 2569 เวลา 08:00–11:00 น.")
    # Those going hear at once; the group, like any group message, after quiet hours.
    assert [(when, who) for when, who, text in log if text == cancelled] == [
        (bkk(2026, 12, 5, 6, 30), "member"), (bkk(2026, 12, 5, 7), "group")]
    assert [(when, who, text) for when, who, text in log if text != cancelled and not text.startswith("[")] == []
    with session_factory() as session:
        assert session.get(Activity, early).status == ActivityStatus.CANCELLED
        assert session.scalars(select(OutboxMessage).where(OutboxMessage.topic == f"followup:{early}")).all() == []


def test_a_reminder_held_for_the_morning_is_withdrawn_when_it_is_moved(early, dialog, clock, jobs, fake_line,
                                                                       session_factory) -> None:
    """Held at 06:00 for 07:00, moved at 06:30 to the next day: the group never gets the old time's reminder,
    only the change (at 07:00) and, the next morning, the new time's reminder."""
    sat = "วันเสาร์ที่ 5 ธันวาคม 2569 เวลา 08:00–11:00 น."
    sun = "วันอาทิตย์ที่ 6 ธันวาคม 2569 เวลา 08:00–11:00 น."
    log = run(clock, jobs, fake_line, bkk(2026, 12, 6, 12), {bkk(2026, 12, 5, 6, 30): move(dialog, "6 ธ.ค. 69 8:00")})
    assert [(when, text) for when, who, text in log if who == "group"] == sorted([
        (bkk(2026, 12, 5, 7), t("event.group_change_notice", title="ประชุมโซน 1", code="MOVE", field="วันเวลา",
                                old=sat, new=sun)),
        (bkk(2026, 12, 6, 7), reminder("วันอาทิตย์ที่ 6 ธันวาคม 2569 เวลา 08:00 น.")),
    ])
    # The leader's nudge for the new deadline (08:00 Sunday) comes once, half-way from the move (19:15, run at
    # 19:30); none for Saturday.
    assert [(when, text) for when, who, text in log if who == "leader" and text.startswith("ถึงผู้นำ")] == [
        (bkk(2026, 12, 5, 19, 30), nudge("วันอาทิตย์ที่ 6 ธันวาคม 2569 เวลา 08:00 น.",
                                    "วันอาทิตย์ที่ 6 ธันวาคม 2569 เวลา 08:00 น."))]


def test_a_series_host_request_held_for_the_morning_is_asked_again_with_the_new_time(
        world, dialog, clock, jobs, fake_line, session_factory) -> None:
    """A series' host request queued at 02:00 waits for 07:00; the chair moves the meeting at 06:30: at 07:00
    the host's leader gets one request, with the new time."""
    from handlers import events
    from handlers.services import activities as acts
    from models import HostState
    from support.dialog import flex_texts

    with session_factory() as session, session.begin():
        activity = session.get(Activity, world)
        activity.host_state = HostState.PROPOSED
        clock.now = bkk(2026, 12, 5, 2)
        assert events.ask_host_later(session, activity, clock()) == 1
        assert acts.withdraw_followups(session, -1) == []  # another activity's topic: nothing
    clock.now = bkk(2026, 12, 5, 6, 30)
    for text in ("แก้ไขกิจกรรม MOVE", "วันเวลา", "6 ธ.ค. 69 9:00", "ยืนยัน"):
        dialog.say(USERS["chair"], text)
    clock.now = bkk(2026, 12, 5, 7)
    fake_line.state.reset()
    dispatch_outbox(jobs)
    requests = [m for r in fake_line.state.deliveries() if r.body["to"] == USERS["leader"]
                for m in r.body["messages"] if m.get("altText") == t("card.host_request.alt", title="ประชุมโซน 1")]
    assert len(requests) == 1
    texts = flex_texts(requests[0])
    assert texts[texts.index(t("card.when")) + 1] == SUN_RANGE
    with session_factory() as session:
        keys = sorted(k.split("/")[0] for k in session.scalars(
            select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like("host_request:%"))))
    assert keys == [f"host_request:{world}:t2:{_wat(session_factory)}:th"]
