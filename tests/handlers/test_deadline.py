"""The answer deadline (issue 17, item 4): an activity announced for tomorrow takes answers until it starts,
not for a few hours; the card shows the deadline; its creator may change it with `แก้ไขกิจกรรม`."""

from __future__ import annotations

import pytest
from handlers.services import activities as svc
from models import Activity, Person
from scheduler import followups
from scheduler.jobs import dispatch_outbox
from support.dialog import flex_texts
from support.registry import USERS
from handlers.catalog import th
from support.texts import bangkok, t

T = th.TEXT

LEADER, MEMBER = USERS["leader"], USERS["member"]
START = "วันอาทิตย์ที่ 22 พฤศจิกายน 2569 เวลา 14:00 น."


def create(session_factory, clock, district, starts) -> tuple[int, str]:
    """The leader's meeting of zone 1, created now (as `สร้างกิจกรรม` does, through the same service)."""
    with session_factory() as session, session.begin():
        activity = svc.create_activity(session, title="ประชุมด่วน", organization_id=district.org.id,
                                       network_id=district.zone1.id, starts_at=starts, now=clock(),
                                       place_text="ศาลาวัด", created_by=session.get(Person, district.people["leader"].id))
        return activity.id, activity.code


@pytest.mark.parametrize("starts, deadline", [
    (bangkok(2026, 11, 22, 14), bangkok(2026, 11, 22, 14)),   # tomorrow: until it starts
    (bangkok(2026, 11, 23, 9), bangkok(2026, 11, 23, 9)),     # a day before would leave 23 hours
    (bangkok(2026, 11, 23, 10), bangkok(2026, 11, 22, 10)),   # a day before still leaves a day
    (bangkok(2026, 12, 20, 14), bangkok(2026, 12, 19, 14)),   # weeks ahead: a day before
])
def test_the_default_deadline_leaves_a_day_to_answer_or_runs_to_the_start(starts, deadline) -> None:
    assert svc.default_rsvp_deadline(starts, bangkok(2026, 11, 21, 10)) == deadline


def test_a_meeting_for_tomorrow_takes_answers_in_the_evening_and_nudges_in_the_morning(
        dialog, district, session_factory, clock, jobs, fake_line) -> None:
    """Created Saturday 10:00 for Sunday 14:00: answers close at the start; a member answering at 18:30 is
    taken; the leader's nudge comes at 07:00 (due at midnight, half-way), not two hours after the card."""
    ident, code = create(session_factory, clock, district, bangkok(2026, 11, 22, 14))
    nudges = []
    while clock.now < bangkok(2026, 11, 22, 14):
        clock.advance(minutes=30)
        if clock.now == bangkok(2026, 11, 21, 18, 30):
            replies = dialog.say(MEMBER, f"ไป {code}")
            assert replies[0].startswith("บันทึกแล้วครับ ✅")
        followups.nudge_leaders(jobs)
        seen = len(fake_line.state.deliveries())
        dispatch_outbox(jobs)
        nudges += [(clock.now, r.body["to"], m["text"]) for r in fake_line.state.deliveries()[seen:]
                   for m in r.body["messages"]]
    assert nudges == [(bangkok(2026, 11, 22, 7), LEADER, t(
        "followup.nudge", community="ชุมชนวัดบางนา", title="ประชุมด่วน", when=START, deadline=START, count=3,
        names="• คุณchair\n• คุณpartner\n• คุณstaff", code=code))]


def test_the_creator_changes_the_deadline_and_the_card_shows_it(dialog, district, session_factory, clock,
                                                                fake_line, db) -> None:
    ident, code = create(session_factory, clock, district, bangkok(2026, 11, 22, 14))
    ask = t("event.ask_new_deadline", current="วันอาทิตย์ที่ 22 พฤศจิกายน 2569 เวลา 14:00 น.", start=START)
    late = "วันอาทิตย์ที่ 22 พฤศจิกายน 2569 เวลา 16:00 น."
    new = "วันอาทิตย์ที่ 22 พฤศจิกายน 2569 เวลา 12:00 น."
    dialog.run([
        (LEADER, f"แก้ไขกิจกรรม {code}", t("event.ask_field", title="ประชุมด่วน")),
        (LEADER, "ปิดรับคำตอบ", ask),
        (LEADER, "เมื่อวาน 12:00", t("event.when_past", when="วันศุกร์ที่ 20 พฤศจิกายน 2569 เวลา 12:00 น.") + "\n" + ask),
        (LEADER, "พรุ่งนี้ 16:00", t("event.deadline_after_start", deadline=late, start=START) + "\n" + ask),
        (LEADER, "พรุ่งนี้", t("event.ask_deadline_time", date="วันอาทิตย์ที่ 22 พฤศจิกายน 2569")),
        (LEADER, "12:00", t("event.edit_preview", title="ประชุมด่วน", field="ปิดรับคำตอบ", old=START, new=new,
                            who=T["event.who.nobody"])),
        (LEADER, "ยืนยัน", [t("event.edited", title="ประชุมด่วน", field="ปิดรับคำตอบ", value=new) + "\n"
                            + T["event.nobody_to_notify"], "[flex]"]),
    ])
    activity = db.get(Activity, ident)
    assert (activity.rsvp_deadline, activity.revision) == (bangkok(2026, 11, 22, 12), 2)
    card = fake_line.state.requests[-1].body["messages"][-1]
    texts = flex_texts(card)
    assert texts[texts.index(T["card.deadline"]) + 1] == new
    # At 12:30 on Sunday answers are closed.
    clock.now = bangkok(2026, 11, 22, 12, 30)
    assert dialog.say(MEMBER, f"ไป {code}")[0] == t("rsvp.closed_deadline", title="ประชุมด่วน", deadline=new)


@pytest.mark.parametrize("who, reply", [
    (MEMBER, T["command.refused"].format(keyword="แก้ไขกิจกรรม", role=T["role.3"])),
    (USERS["other_leader"], T["event.change_refused"]),  # leads a community of the other zone
])
def test_who_may_not_change_the_activity_may_not_change_its_deadline(dialog, district, session_factory, clock, db,
                                                                     who, reply) -> None:
    ident, code = create(session_factory, clock, district, bangkok(2026, 11, 22, 14))
    dialog.run([(who, f"แก้ไขกิจกรรม {code}", reply)])
    assert db.get(Activity, ident).rsvp_deadline == bangkok(2026, 11, 22, 14)


def test_a_meeting_moved_to_tomorrow_takes_answers_until_it_starts(dialog, district, session_factory, clock,
                                                                   db) -> None:
    """Planned weeks ahead (answers close a day before), moved at 10:00 to 14:00 tomorrow: a day before would
    close answers four hours after the change was announced, so they run to the start."""
    ident, code = create(session_factory, clock, district, bangkok(2026, 12, 20, 14))
    assert db.get(Activity, ident).rsvp_deadline == bangkok(2026, 12, 19, 14)
    for text in (f"แก้ไขกิจกรรม {code}", "วันเวลา", "พรุ่งนี้ 14:00", "ยืนยัน"):
        dialog.say(LEADER, text)
    db.expire_all()
    activity = db.get(Activity, ident)
    assert (activity.starts_at, activity.rsvp_deadline) == (bangkok(2026, 11, 22, 14), bangkok(2026, 11, 22, 14))
