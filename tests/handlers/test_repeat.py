"""Recurring activities as users make them: `จัดซ้ำ K7M2 ทุกเดือน`, the buttons, stopping, and the
scheduler's `series` job creating, announcing and asking the host of each next occurrence.

Conversation tables through signed webhooks; what the job sends is read at the fake LINE server.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.catalog import en, th
from handlers.services import activities as svc
from handlers.services import registry as reg
from models import Activity, ActivityStatus, HostState, Organization, Person, RoleName, Series
from scheduler.followups import generate_series
from scheduler.jobs import dispatch_outbox
from support.dialog import flex_texts
from support.registry import (
    GROUP_MARKET,
    GROUP_ZONE,
    MARKET_LEADER,
    OUTSIDER,
    USERS,
    seed_linked_district,
    seed_outsider,
)
from support.texts import bangkok, e, t

T, E = th.TEXT, en.TEXT
LEADER, MEMBER, CHAIR, STAFF = USERS["leader"], USERS["member"], USERS["chair"], USERS["staff"]
CANAL_LEADER = USERS["other_leader"]
FLEX = "[flex]"
STARTS = bangkok(2026, 12, 20, 14)           # Sunday; the clock starts on 21 Nov 2026
WHEN_TH = "วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00 น."
NEXT_MONTH_TH = "วันพุธที่ 20 มกราคม 2570 เวลา 14:00 น."


@pytest.fixture
def district(session_factory, clock):
    """The test district, a leader for ชุมชนตลาดบางนา, and three linked groups (GROUP_ZONE, ...)."""
    with session_factory() as session, session.begin():
        return seed_linked_district(session, clock())


@pytest.fixture
def dialog(checked_dialog):
    return checked_dialog


def seed(session_factory, clock, district, *, community: bool = False, **fields) -> tuple[int, str]:
    """ประชุมประจำเดือน of zone 1 (or of ชุมชนวัดบางนา alone) on Sunday 20 Dec 14:00–17:00; (id, code)."""
    with session_factory() as session, session.begin():
        leader = session.get(Person, district.people["leader"].id)
        activity = svc.create_activity(
            session, title="ประชุมประจำเดือน", organization_id=district.org.id,
            network_id=None if community else district.zone1.id,
            community_id=district.wat.id if community else None, starts_at=STARTS, now=clock(),
            place_text="ศาลาวัด", created_by=leader, **fields)
        activity.host_community_id = district.wat.id
        activity.host_state = HostState.CONFIRMED
        return activity.id, activity.code


def series_rows(db) -> list[tuple]:
    db.expire_all()
    return [(s.interval_months, s.active, s.anchor_at, s.title, s.place_text, s.duration_minutes)
            for s in db.scalars(select(Series).order_by(Series.id))]


def occurrences(db) -> list[tuple]:
    db.expire_all()
    return [(a.code, a.series_id, a.occurrence, a.starts_at, a.status)
            for a in db.scalars(select(Activity).order_by(Activity.id))]


def started(code: str, rule: str, number: int, next_when: str, lang: str = "th", call: str = "") -> str:
    if lang == "en":
        return e("series.started", title="ประชุมประจำเดือน", rule=rule, number=number, next=next_when, days=30,
                 stop=f"{call}repeat {code} stop")
    return t("series.started", title="ประชุมประจำเดือน", rule=rule, number=number, next=next_when, days=30,
             stop=f"{call}จัดซ้ำ {code} หยุด")


def occurrence(db, number: int) -> Activity:
    db.expire_all()
    return db.scalars(select(Activity).where(Activity.occurrence == number)).one()


def quick_reply_texts(fake_line) -> list[tuple[str, str]]:
    message = fake_line.state.requests[-1].body["messages"][-1]
    return [(i["action"]["label"], i["action"]["text"]) for i in message["quickReply"]["items"]]


def delivered(fake_line, since: int) -> list[tuple[str, str]]:
    """(recipient, text or [type] with altText) of every push and multicast delivered after `since`."""
    found = []
    for r in fake_line.state.requests[since:]:
        if r.delivered and r.path in ("/v2/bot/message/push", "/v2/bot/message/multicast"):
            recipients = r.body["to"] if isinstance(r.body["to"], list) else [r.body["to"]]
            found.extend((to, m.get("text") or m["altText"]) for to in recipients for m in r.body["messages"])
    return sorted(found)


# --- setting it -----------------------------------------------------------------------------------

def test_the_chair_makes_it_monthly_and_the_job_creates_announces_and_asks_the_next_host(
        dialog, district, db, session_factory, clock, jobs, fake_line) -> None:
    ident, code = seed(session_factory, clock, district, capacity=30, seats_per_community=5)
    dialog.run([(CHAIR, f"จัดซ้ำ {code} ทุกเดือน", started(code, "ทุกเดือน", 2, NEXT_MONTH_TH))])
    assert series_rows(db) == [(1, True, STARTS, "ประชุมประจำเดือน", "ศาลาวัด", 180)]
    [series] = db.scalars(select(Series)).all()
    assert series.created_by_id == district.people["chair"].id
    assert occurrences(db) == [(code, series.id, 1, STARTS, ActivityStatus.PLANNED)]
    # The card says how often it repeats.
    dialog.run([(MEMBER, f"กิจกรรม {code}", FLEX)])
    assert f"รหัส {code} · ครั้งที่ 1 · ทุกเดือน" in flex_texts(fake_line.state.requests[-1].body["messages"][-1])

    # Before the first occurrence has taken place nothing more is created.
    assert generate_series(jobs) == 0
    clock.now = bangkok(2026, 12, 20, 18)   # over; 20 Jan is 31 days ahead, beyond the 30-day horizon
    assert generate_series(jobs) == 0
    clock.now = bangkok(2026, 12, 21, 15)
    assert generate_series(jobs) == 1
    assert generate_series(jobs) == 0       # hourly: the next run creates nothing twice
    new = occurrence(db, 2)
    assert (new.series_id, new.starts_at, new.ends_at) == (
        series.id, bangkok(2027, 1, 20, 14), bangkok(2027, 1, 20, 17))
    # The details come from the meeting before: seats, quotas, reminders to the groups; answers close a day before.
    assert (new.title, new.place_text, new.network_id, new.capacity, new.seats_per_community, new.remind_groups,
            new.reminder_offsets, new.rsvp_deadline) == (
        "ประชุมประจำเดือน", "ศาลาวัด", district.zone1.id, 30, 5, True, [3 * 24 * 60, 120], bangkok(2027, 1, 19, 14))
    # วัด hosted the first: the rotation proposes ตลาด, whose leader is asked; both zone groups see the card.
    assert (new.host_community_id, new.host_state) == (district.market.id, HostState.PROPOSED)
    since = len(fake_line.state.requests)
    dispatch_outbox(jobs)
    alt = t("card.alt", title="ประชุมประจำเดือน", when="วันพุธที่ 20 มกราคม 2570 เวลา 14:00–17:00 น.")
    assert delivered(fake_line, since) == sorted([
        (GROUP_ZONE, alt), (GROUP_MARKET, alt),
        (MARKET_LEADER, t("card.host_request.alt", title="ประชุมประจำเดือน")),
    ])
    assert dispatch_outbox(jobs) == {}


def test_an_edit_to_the_latest_occurrence_carries_on(dialog, district, db, session_factory, clock, jobs) -> None:
    ident, code = seed(session_factory, clock, district)
    dialog.say(CHAIR, f"จัดซ้ำ {code} ทุกเดือน")
    with session_factory() as session, session.begin():
        activity = session.get(Activity, ident)
        activity.title, activity.place_text = "ประชุมเครือข่ายโซน 1", "ศาลาตลาด"
    clock.now = bangkok(2026, 12, 21, 15)
    assert generate_series(jobs) == 1
    assert (occurrence(db, 2).title, occurrence(db, 2).place_text) == ("ประชุมเครือข่ายโซน 1", "ศาลาตลาด")


def test_the_interval_is_offered_as_buttons_and_any_typed_form_is_read(dialog, district, db, session_factory,
                                                                       clock, fake_line) -> None:
    _, code = seed(session_factory, clock, district)
    dialog.run([(CHAIR, f"จัดซ้ำ {code}", t("series.ask_rule", title="ประชุมประจำเดือน", code=code))])
    assert quick_reply_texts(fake_line) == [
        ("ทุกเดือน", f"จัดซ้ำ {code} ทุกเดือน"), ("ทุก 3 เดือน", f"จัดซ้ำ {code} ทุก 3 เดือน"),
        ("ปีละ 2 ครั้ง", f"จัดซ้ำ {code} ปีละ 2 ครั้ง"), ("ปีละครั้ง", f"จัดซ้ำ {code} ปีละครั้ง")]
    assert series_rows(db) == []            # asking changes nothing
    june = "วันอาทิตย์ที่ 20 มิถุนายน 2570 เวลา 14:00 น."
    dialog.run([(CHAIR, f"จัดซ้ำ {code} ปีละ 2 ครั้ง", started(code, "ปีละ 2 ครั้ง", 2, june))])
    assert [row[:2] for row in series_rows(db)] == [(6, True)]
    # Asked again while it repeats: the current state, and a stop button.
    dialog.run([(CHAIR, f"จัดซ้ำ {code}", t("series.ask_rule", title="ประชุมประจำเดือน", code=code) + "\n"
                 + t("series.now", rule="ปีละ 2 ครั้ง", number=2, next=june))])
    assert quick_reply_texts(fake_line)[-1] == ("หยุดจัดซ้ำ", f"จัดซ้ำ {code} หยุด")


def test_in_a_group_the_buttons_call_the_bot(dialog, district, db, session_factory, clock, fake_line) -> None:
    _, code = seed(session_factory, clock, district)
    dialog.run([(CHAIR, f"บอท จัดซ้ำ {code}", t("series.ask_rule", title="ประชุมประจำเดือน", code=code), GROUP_ZONE)])
    label, text = quick_reply_texts(fake_line)[0]
    assert (label, text) == ("ทุกเดือน", f"บอท จัดซ้ำ {code} ทุกเดือน")
    dialog.run([(CHAIR, text, started(code, "ทุกเดือน", 2, NEXT_MONTH_TH, call="บอท "), GROUP_ZONE)])
    assert [row[:2] for row in series_rows(db)] == [(1, True)]


@pytest.mark.parametrize(("typed", "months"), [
    ("ทุก๒เดือน", 2), ("ทุก 4 เดือน", 4), ("ทุกไตรมาส", 3), ("ปีละครั้ง", 12), ("ทุก 12 เดือน", 12),
    ("ทุกเดือนครับ", 1), ("ทุกๆ เดือน", 1), ("ทุก ๆ 3 เดือนค่ะ", 3), ("เดือนละครั้ง", 1), ("ปีละ 4 ครั้ง", 3),
    ("every other month", 2), ("twice a year", 6)])
def test_typed_intervals(dialog, district, db, session_factory, clock, typed, months) -> None:
    _, code = seed(session_factory, clock, district)
    dialog.say(STAFF, f"จัดซ้ำ {code} {typed}")
    assert [row[:2] for row in series_rows(db)] == [(months, True)]


def test_in_english_by_staff(dialog, district, db, session_factory, clock) -> None:
    _, code = seed(session_factory, clock, district)
    dialog.run([(STAFF, f"repeat {code} every 3 months",
                 started(code, "every 3 months", 2, "Saturday 20 March 2027, 14:00", "en"))])
    assert [row[:2] for row in series_rows(db)] == [(3, True)]


@pytest.mark.parametrize("typed", ["ทุกสัปดาห์", "ทุก 13 เดือน", "ทุก 0 เดือน", "ปีละ 5 ครั้ง", "บ่อย ๆ"])
def test_an_interval_it_cannot_read_is_asked_again_and_nothing_is_stored(dialog, district, db, session_factory,
                                                                        clock, fake_line, typed) -> None:
    _, code = seed(session_factory, clock, district)
    dialog.run([(CHAIR, f"จัดซ้ำ {code} {typed}", t("series.rule_unknown", text=typed))])
    assert [label for label, _ in quick_reply_texts(fake_line)] == ["ทุกเดือน", "ทุก 3 เดือน", "ปีละ 2 ครั้ง",
                                                                    "ปีละครั้ง"]
    assert series_rows(db) == []


# --- who may, and what may repeat ------------------------------------------------------------------

def test_refusals_change_nothing(dialog, district, db, session_factory, clock) -> None:
    ident, code = seed(session_factory, clock, district)
    _, own_code = seed(session_factory, clock, district, community=True)
    with session_factory() as session, session.begin():   # ชุมชนคลองบางนา's leader chairs zone 2 too
        reg.grant(session, session.get(Person, district.people["other_leader"].id), RoleName.NETWORK_CHAIR,
                  district.org, network=district.zone2, now=clock())
        outsider = seed_outsider(session, clock())         # and staff of another district
        reg.grant(session, outsider, RoleName.STAFF, session.scalars(
            select(Organization).where(Organization.name == "สำนักงานเขตพระโขนง")).one(), now=clock())
    dialog.run([
        (CHAIR, "จัดซ้ำ", t("series.usage", command="จัดซ้ำ")),
        (CHAIR, "repeat", e("series.usage", command="repeat")),
        (CHAIR, "จัดซ้ำ QQQQ ทุกเดือน", t("event.unknown_code", code="QQQQ")),
        (CANAL_LEADER, f"จัดซ้ำ {code} ทุกเดือน", T["series.refused"]),       # another zone's chair
        (OUTSIDER, f"จัดซ้ำ {code} ทุกเดือน", t("event.unknown_code", code=code)),  # another district's: not found
        (STAFF, f"จัดซ้ำ {own_code} ทุกเดือน", t("series.network_only", title="ประชุมประจำเดือน")),
    ])
    with session_factory() as session, session.begin():
        session.get(Activity, ident).status = ActivityStatus.CANCELLED
    dialog.run([(CHAIR, f"จัดซ้ำ {code} ทุกเดือน", t("event.already_cancelled", title="ประชุมประจำเดือน"))])
    assert series_rows(db) == []
    assert [row[1:3] for row in occurrences(db)] == [(None, None), (None, None)]


def test_a_leader_who_created_it_may_not_make_it_repeat(dialog, district, db, session_factory, clock) -> None:
    _, code = seed(session_factory, clock, district)   # created by ชุมชนวัดบางนา's leader
    dialog.run([(LEADER, f"จัดซ้ำ {code} ทุกเดือน", t("command.refused", keyword="จัดซ้ำ", role=T["role.4"]))])
    assert series_rows(db) == []


# --- stopping, starting again and changing ---------------------------------------------------------

def generated(dialog, session_factory, clock, district, jobs, db) -> tuple[str, Activity]:
    """A monthly series from the 20 Dec meeting, whose 20 Jan occurrence the job has created."""
    _, code = seed(session_factory, clock, district)
    dialog.say(CHAIR, f"จัดซ้ำ {code} ทุกเดือน")
    clock.now = bangkok(2026, 12, 21, 15)
    assert generate_series(jobs) == 1
    return code, occurrence(db, 2)


def test_stop_keeps_what_was_announced_and_creates_nothing_more(dialog, district, db, session_factory, clock,
                                                                jobs) -> None:
    code, second = generated(dialog, session_factory, clock, district, jobs, db)
    # Any occurrence's code stands for the series.
    dialog.run([
        (CHAIR, f"จัดซ้ำ {code} หยุดนะครับ", t("series.stopped_kept", title="ประชุมประจำเดือน", code=second.code,
                                                 when=NEXT_MONTH_TH)),
        (CHAIR, f"จัดซ้ำ {second.code} หยุด", t("series.not_repeating", title="ประชุมประจำเดือน")),
    ])
    assert [row[:2] for row in series_rows(db)] == [(1, False)]
    assert [row[4] for row in occurrences(db)] == [ActivityStatus.PLANNED, ActivityStatus.PLANNED]
    clock.now = bangkok(2027, 1, 21, 15)
    assert generate_series(jobs) == 0


def test_starting_again_from_the_first_code_never_repeats_a_date(dialog, district, db, session_factory, clock,
                                                                 jobs) -> None:
    code, second = generated(dialog, session_factory, clock, district, jobs, db)
    dialog.say(CHAIR, f"จัดซ้ำ {code} หยุด")
    feb = "วันเสาร์ที่ 20 กุมภาพันธ์ 2570 เวลา 14:00 น."
    dialog.run([(CHAIR, f"จัดซ้ำ {code} ทุกเดือน", started(code, "ทุกเดือน", 3, feb))])
    assert [row[:2] for row in series_rows(db)] == [(1, True)]   # the same series, running again
    clock.now = bangkok(2027, 1, 21, 15)
    assert generate_series(jobs) == 1
    assert [(row[2], row[3]) for row in occurrences(db)] == [
        (1, STARTS), (2, bangkok(2027, 1, 20, 14)), (3, bangkok(2027, 2, 20, 14))]


def test_an_old_code_names_the_series_by_its_latest_title(dialog, district, db, session_factory, clock,
                                                          jobs) -> None:
    code, second = generated(dialog, session_factory, clock, district, jobs, db)
    with session_factory() as session, session.begin():
        session.get(Activity, second.id).title = "ประชุมเครือข่ายโซน 1"
    dialog.run([
        (CHAIR, f"จัดซ้ำ {code}", t("series.ask_rule", title="ประชุมเครือข่ายโซน 1", code=code) + "\n"
         + t("series.now", rule="ทุกเดือน", number=3, next="วันเสาร์ที่ 20 กุมภาพันธ์ 2570 เวลา 14:00 น.")),
        (CHAIR, f"จัดซ้ำ {code} หยุด", t("series.stopped_kept", title="ประชุมเครือข่ายโซน 1", code=second.code,
                                           when=NEXT_MONTH_TH)),
    ])


def test_changing_the_interval_goes_on_from_the_latest_occurrence(dialog, district, db, session_factory, clock,
                                                                 jobs) -> None:
    code, second = generated(dialog, session_factory, clock, district, jobs, db)
    dialog.run([
        (CHAIR, f"จัดซ้ำ {second.code} ทุกเดือน", t("series.already", title="ประชุมประจำเดือน", rule="ทุกเดือน",
                                                      number=3, next="วันเสาร์ที่ 20 กุมภาพันธ์ 2570 เวลา 14:00 น.")),
        # From the first code too: the series is anchored at its latest occurrence, 20 Jan.
        (CHAIR, f"จัดซ้ำ {code} ทุก 3 เดือน",
         started(code, "ทุก 3 เดือน", 3, "วันอังคารที่ 20 เมษายน 2570 เวลา 14:00 น.")),
    ])
    # Slots still count from the first start (the day of the month never drifts); 20 Jan is now slot 0.
    assert [row[:3] for row in series_rows(db)] == [(3, True, STARTS)]
    assert [(s.base_months, s.last_slot) for s in db.scalars(select(Series))] == [(1, 0)]
    # The old code still answers for the series.
    dialog.run([(CHAIR, f"จัดซ้ำ {code}", t("series.ask_rule", title="ประชุมประจำเดือน", code=code) + "\n"
                 + t("series.now", rule="ทุก 3 เดือน", number=3, next="วันอังคารที่ 20 เมษายน 2570 เวลา 14:00 น."))])
    clock.now = bangkok(2027, 3, 22, 15)
    assert generate_series(jobs) == 1
    assert [(row[2], row[3]) for row in occurrences(db)] == [
        (1, STARTS), (2, bangkok(2027, 1, 20, 14)), (3, bangkok(2027, 4, 20, 14))]


def test_a_moved_meeting_is_a_one_off_until_the_interval_is_set_again(dialog, district, db, session_factory,
                                                                      clock, jobs) -> None:
    ident, code = seed(session_factory, clock, district)
    dialog.say(CHAIR, f"จัดซ้ำ {code} ทุกเดือน")
    with session_factory() as session, session.begin():   # moved to Tuesday 22 Dec 09:00 (แก้ไขกิจกรรม)
        svc.reschedule(session.get(Activity, ident), bangkok(2026, 12, 22, 9), None, clock())
    dialog.run([(CHAIR, f"จัดซ้ำ {code} ทุกเดือน",
                 started(code, "ทุกเดือน", 2, "วันศุกร์ที่ 22 มกราคม 2570 เวลา 09:00 น."))])
    assert [row[2] for row in series_rows(db)] == [bangkok(2026, 12, 22, 9)]


def test_a_cancelled_latest_occurrence_does_not_block_stopping(dialog, district, db, session_factory, clock,
                                                                jobs) -> None:
    code, second = generated(dialog, session_factory, clock, district, jobs, db)
    with session_factory() as session, session.begin():
        session.get(Activity, second.id).status = ActivityStatus.CANCELLED
    dialog.run([(CHAIR, f"จัดซ้ำ {second.code} หยุด", t("series.stopped", title="ประชุมประจำเดือน"))])
    assert [row[:2] for row in series_rows(db)] == [(1, False)]


def test_stop_before_any_next_occurrence(dialog, district, db, session_factory, clock) -> None:
    _, code = seed(session_factory, clock, district)
    dialog.say(CHAIR, f"จัดซ้ำ {code} ทุกเดือน")
    dialog.run([(CHAIR, f"repeat {code} stop", e("series.stopped_kept", title="ประชุมประจำเดือน", code=code,
                                                  when="Sunday 20 December 2026, 14:00"))])
    assert [row[:2] for row in series_rows(db)] == [(1, False)]


def test_it_repeats_from_a_past_activity_too(dialog, district, db, session_factory, clock, jobs) -> None:
    """Set after the meeting took place: the next is the first date still ahead, created by the next run."""
    _, code = seed(session_factory, clock, district)
    clock.now = bangkok(2027, 1, 5, 9)
    dialog.run([(CHAIR, f"จัดซ้ำ {code} ทุกเดือน", started(code, "ทุกเดือน", 2, NEXT_MONTH_TH))])
    assert generate_series(jobs) == 1
    assert occurrences(db)[-1][2:4] == (2, bangkok(2027, 1, 20, 14))


# --- what a second review tried: no date twice, none too late, none drifting -----------------------

def dates(db) -> list[tuple[int, object]]:
    return [(row[2], row[3]) for row in occurrences(db)]


def test_two_taps_at_once_make_one_series(district, db, session_factory, clock, jobs) -> None:
    """Two deliveries of the same button, handled by two workers that both read "no series yet"."""
    _, code = seed(session_factory, clock, district)
    first, second = session_factory(), session_factory()
    taps = [svc.find_activity(session, session.get(Person, district.people["chair"].id).memberships, code)
            for session in (first, second)]
    assert [a.series_id for a in taps] == [None, None]
    svc.repeat(first, taps[0], 1, None, clock())
    first.commit()
    svc.repeat(second, taps[1], 1, None, clock())
    second.commit()
    first.close()
    second.close()
    assert [row[:2] for row in series_rows(db)] == [(1, True)]
    clock.now = bangkok(2026, 12, 21, 15)
    assert generate_series(jobs) == 1
    assert dates(db) == [(1, STARTS), (2, bangkok(2027, 1, 20, 14))]


def test_a_meeting_moved_onto_the_next_slots_day_fills_it(dialog, district, db, session_factory, clock,
                                                          jobs) -> None:
    code, second = generated(dialog, session_factory, clock, district, jobs, db)
    with session_factory() as session, session.begin():   # January's meeting put off to 20 Feb, morning
        svc.reschedule(session.get(Activity, second.id), bangkok(2027, 2, 20, 9), None, clock())
    for moment in (bangkok(2027, 1, 25, 15), bangkok(2027, 2, 20, 12), bangkok(2027, 2, 21, 15)):
        clock.now = moment
        generate_series(jobs)
    assert dates(db) == [(1, STARTS), (2, bangkok(2027, 2, 20, 9)), (3, bangkok(2027, 3, 20, 14))]


def test_a_postponed_meeting_does_not_hold_back_the_next_ones_notice(dialog, district, db, session_factory,
                                                                     clock, jobs) -> None:
    code, second = generated(dialog, session_factory, clock, district, jobs, db)
    with session_factory() as session, session.begin():   # January's meeting put off three weeks
        svc.reschedule(session.get(Activity, second.id), bangkok(2027, 2, 10, 14), None, clock())
    clock.now = bangkok(2027, 1, 21, 15)                   # 30 days before 20 Feb
    assert generate_series(jobs) == 1
    assert dates(db)[-1] == (3, bangkok(2027, 2, 20, 14))


def test_month_end_days_do_not_drift_when_the_series_starts_again(dialog, district, db, session_factory, clock,
                                                                  jobs) -> None:
    with session_factory() as session, session.begin():
        activity = svc.create_activity(session, title="ประชุมประจำเดือน", organization_id=district.org.id,
                                       network_id=district.zone1.id, starts_at=bangkok(2027, 1, 31, 14), now=clock())
        code = activity.code
    dialog.say(CHAIR, f"จัดซ้ำ {code} ทุกเดือน")
    clock.now = bangkok(2027, 1, 31, 15)
    assert generate_series(jobs) == 1                       # 28 Feb: February is short
    dialog.say(CHAIR, f"จัดซ้ำ {code} หยุด")
    dialog.run([(CHAIR, f"จัดซ้ำ {code} ทุกเดือน",
                 started(code, "ทุกเดือน", 3, "วันพุธที่ 31 มีนาคม 2570 เวลา 14:00 น."))])
    clock.now = bangkok(2027, 3, 1, 15)
    assert generate_series(jobs) == 1
    assert dates(db)[1:] == [(2, bangkok(2027, 2, 28, 14)), (3, bangkok(2027, 3, 31, 14))]


def test_starting_again_months_later_numbers_the_next_meeting_held(dialog, district, db, session_factory, clock,
                                                                   jobs) -> None:
    code, second = generated(dialog, session_factory, clock, district, jobs, db)
    dialog.say(CHAIR, f"จัดซ้ำ {code} หยุด")
    clock.now = bangkok(2027, 5, 1, 9)
    dialog.run([(CHAIR, f"จัดซ้ำ {code} ทุกเดือน",
                 started(code, "ทุกเดือน", 3, "วันพฤหัสบดีที่ 20 พฤษภาคม 2570 เวลา 14:00 น."))])
    assert generate_series(jobs) == 1
    assert dates(db)[-1] == (3, bangkok(2027, 5, 20, 14))


def test_a_slot_too_soon_to_announce_is_skipped(dialog, district, db, session_factory, clock, jobs) -> None:
    _, code = seed(session_factory, clock, district)
    clock.now = bangkok(2027, 1, 20, 13, 30)               # the 20 Jan slot starts in half an hour
    feb = "วันเสาร์ที่ 20 กุมภาพันธ์ 2570 เวลา 14:00 น."
    dialog.run([(CHAIR, f"จัดซ้ำ {code} ทุกเดือน", started(code, "ทุกเดือน", 2, feb))])
    assert generate_series(jobs) == 0                       # 20 Feb is 31 days away: next day
    clock.now = bangkok(2027, 1, 21, 15)
    assert generate_series(jobs) == 1
    assert dates(db)[-1] == (2, bangkok(2027, 2, 20, 14))
