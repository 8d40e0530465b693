"""Check-in: the window from an hour before the start to the end, leaders checking in others, and the
attendance rate, as conversation tables through signed webhooks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import TIMEZONE
from handlers.catalog import en, th
from models import Activity, ActivityStatus, Answer, Person, Rsvp
from support.dialog import Dialog
from support.registry import MORE_MEMBERS, USERS, seed_district, seed_members
from support.texts import t

T, E = th.TEXT, en.TEXT
START = datetime(2026, 11, 21, 14, 0, tzinfo=TIMEZONE)  # the clock starts at 10:00 the same day
TITLE = "อบรมอาสาสมัครดูแลผู้สูงอายุ"
CODE = "Q4RT"
PEOPLE = MORE_MEMBERS
U = {key: user_id for key, (user_id, _, _) in PEOPLE.items()} | USERS


@pytest.fixture
def district(session_factory, clock):
    with session_factory() as session, session.begin():
        district = seed_district(session, clock())
        seed_members(session, district, clock())
        return district



@pytest.fixture
def dialog(fake_line, webhook, second_worker) -> Dialog:
    return Dialog(fake_line, webhook, second_worker)


@pytest.fixture
def activity(session_factory, clock, district):
    """A factory: a zone 1 training from 14:00 to 17:00 today (its id), made directly with the model."""
    def make(**fields) -> int:
        values = dict(code=CODE, title=TITLE, organization_id=district.org.id, network_id=district.zone1.id,
                      starts_at=START, ends_at=START + timedelta(hours=3), status=ActivityStatus.CONFIRMED,
                      created_at=clock(), updated_at=clock())
        values.update(fields)
        with session_factory() as session, session.begin():
            row = Activity(**values)
            session.add(row)
            session.flush()
            return row.id
    return make


def at(clock, hour: int, minute: int = 0) -> None:
    clock.now = datetime(2026, 11, 21, hour, minute, tzinfo=TIMEZONE)


def rows(db, activity_id: int) -> list[tuple]:
    """(who, answer, checked in at HH:MM, checked in by) by person id."""
    db.expire_all()
    people = {p.id: key for key, uid in U.items() for p in db.scalars(select(Person).where(Person.line_user_id == uid))}
    found = db.scalars(select(Rsvp).where(Rsvp.activity_id == activity_id).order_by(Rsvp.person_id))
    return [(people[r.person_id], r.answer,
             f"{r.checked_in_at.astimezone(TIMEZONE):%H:%M}" if r.checked_in_at else None,
             people.get(r.checked_in_by_id)) for r in found]


def done(name: str) -> str:
    return t("checkin.done", name=name, title=TITLE)


def done_for(name: str) -> str:
    return t("checkin.done_for", name=name, title=TITLE)


def rate(came: int, going: int, percent: int) -> str:
    return T["checkin.rate"].format(came=came, going=going, percent=percent)


NOT_YET = ("ยังไม่ถึงเวลาเช็คอิน “อบรมอาสาสมัครดูแลผู้สูงอายุ” ครับ เช็คอินได้ตั้งแต่วันเสาร์ที่ 21 พฤศจิกายน 2569 "
           "เวลา 13:00 น. (1 ชั่วโมงก่อนเริ่ม) จนกว่ากิจกรรมจะจบครับ")


def test_check_in_opens_an_hour_before_the_start_and_closes_at_the_end(dialog, activity, db, clock) -> None:
    activity_id = activity()
    dialog.run([(U["somsri"], f"เช็คอิน {CODE}", NOT_YET)])
    at(clock, 12, 59)
    dialog.run([
        (U["somsri"], f"เช็คอิน {CODE}", NOT_YET),
        (U["somchai"], "checkin q4rt", E["checkin.not_yet"].format(title=TITLE, opens="Saturday 21 November 2026, 13:00")),
    ])
    assert rows(db, activity_id) == []
    at(clock, 13, 0)
    dialog.run([(U["somsri"], f"เช็คอิน {CODE}", "เช็คอินแล้วครับ ✅ ยินดีต้อนรับคุณสมศรี ใจดี สู่ “อบรมอาสาสมัครดูแลผู้สูงอายุ” ครับ")])
    at(clock, 13, 40)
    dialog.run([(U["somsri"], f"บอท เช็กอิน {CODE}", "คุณสมศรี ใจดี เช็คอิน “อบรมอาสาสมัครดูแลผู้สูงอายุ” ไว้แล้วเมื่อ 13:00 น. ครับ",
                 "C" + "a" * 32)])
    at(clock, 17, 0)
    dialog.run([(U["somchai"], f"check in {CODE}", E["checkin.done"].format(name="สมชาย แก้วมณี", title=TITLE))])
    at(clock, 17, 1)
    dialog.run([(U["malee"], f"เช็คอิน {CODE}", "“อบรมอาสาสมัครดูแลผู้สูงอายุ” จบไปแล้วครับ เช็คอินไม่ได้แล้ว")])
    # Walk-ins (nobody had answered) are recorded as going, with the check-in.
    assert rows(db, activity_id) == [("somsri", Answer.GOING, "13:00", None), ("somchai", Answer.GOING, "17:00", None)]


def test_the_check_in_button(dialog, activity, db, clock) -> None:
    activity_id = activity()
    data = f"a=checkin&id={activity_id}"
    assert dialog.postback(U["somsri"], data, group="C" + "a" * 32) == [NOT_YET]
    at(clock, 13, 15)
    assert dialog.postback(U["somsri"], data, group="C" + "a" * 32) == [done("สมศรี ใจดี")]
    assert dialog.postback(U["stranger"], data) == [T["rsvp.not_registered"]]
    assert dialog.postback(U["somsri"], "a=checkin&id=999") == [T["postback.unknown"]]
    assert dialog.postback(U["somsri"], "a=checkin") == [T["postback.unknown"]]
    assert rows(db, activity_id) == [("somsri", Answer.GOING, "13:15", None)]


def test_leaders_check_in_others_and_see_the_attendance_rate(dialog, activity, db, clock) -> None:
    activity_id = activity()
    for user, text in [("somsri", f"ไป {CODE}"), ("somsak", f"ไป {CODE}"), ("somchai", f"ไป {CODE}"),
                       ("somying", f"ไป {CODE}"), ("malee", f"ไม่แน่ใจ {CODE}")]:
        dialog.say(U[user], text)
    at(clock, 13, 30)
    dialog.run([
        (U["leader"], f"เช็คอิน {CODE} สมศรี ใจดี",
         "เช็คอินให้คุณสมศรี ใจดี แล้วครับ ✅ (“อบรมอาสาสมัครดูแลผู้สูงอายุ”)\nมาแล้ว 1 จาก 4 คนที่ตอบว่าไป (25%)"),
        (U["chair"], f"checkin {CODE} สมชาย แก้วมณี",
         E["checkin.done_for"].format(name="สมชาย แก้วมณี", title=TITLE) + "\n"
         + "2 of the 4 who answered going are here (50%)"),
        # Members check themselves in only; their reply has no rate.
        (U["member"], f"เช็คอิน {CODE} สมศักดิ์ ใจดี",
         "เช็คอินให้คนอื่นได้เฉพาะผู้นำชุมชน ประธานเครือข่าย และเจ้าหน้าที่เขตครับ ถ้าจะเช็คอินตัวเอง พิมพ์ “เช็คอิน Q4RT” ครับ"),
        (U["somsak"], f"เช็คอิน {CODE}", done("สมศักดิ์ ใจดี")),
        # Checking in someone already here changes neither when nor by whom.
        (U["leader"], f"เช็คอิน {CODE} สมศักดิ์",
         t("checkin.already", name="สมศักดิ์ ใจดี", title=TITLE, time="13:30") + "\n" + rate(3, 4, 75)),
        # Outside the leader's community.
        (U["leader"], f"เช็คอิน {CODE} สมหญิง ทองดี", T["proxy.not_found"].format(name="สมหญิง ทองดี")),
    ])
    at(clock, 14, 10)
    dialog.run([
        # A "maybe" who came, and a walk-in, came without having answered going: said apart, outside the rate.
        (U["malee"], f"เช็คอิน {CODE}", done("มาลี ศรีสุข")),
        (U["leader"], f"เช็คอิน {CODE}", done("คุณleader") + "\n"
         + "มาแล้ว 5 คน: 3 จาก 4 คนที่ตอบว่าไป (75%) และคนที่ไม่ได้ตอบว่าไปไว้ 2 คน"),
    ])
    assert rows(db, activity_id) == [
        ("leader", Answer.GOING, "14:10", None),
        ("somsri", Answer.GOING, "13:30", "leader"),
        ("somsak", Answer.GOING, "13:30", None),
        ("somchai", Answer.GOING, "13:30", "chair"),
        ("malee", Answer.GOING, "14:10", None),
        ("somying", Answer.GOING, None, None),
    ]


def test_walk_ins_alone_are_not_said_to_have_answered_going(dialog, activity, clock) -> None:
    """Regression: two walk-ins, nobody had answered, read "มาแล้ว 2 จาก 2 คนที่ตอบว่าไป (100%)"."""
    activity()
    at(clock, 13, 30)
    dialog.run([
        (U["leader"], f"เช็คอิน {CODE} สมศรี ใจดี",
         t("checkin.done_for", name="สมศรี ใจดี", title=TITLE) + "\nมาแล้ว 1 คน (ยังไม่มีใครตอบว่าไป)"),
        (U["leader"], f"เช็คอิน {CODE} สมศักดิ์ ใจดี",
         t("checkin.done_for", name="สมศักดิ์ ใจดี", title=TITLE) + "\nมาแล้ว 2 คน (ยังไม่มีใครตอบว่าไป)"),
    ])


def test_attendees_show_who_checked_in_to_leaders(dialog, activity, clock) -> None:
    activity()
    for user in ("somsri", "somsak"):
        dialog.say(U[user], f"ไป {CODE}")
    at(clock, 13, 5)
    dialog.say(U["somsri"], f"เช็คอิน {CODE}")
    dialog.run([(U["leader"], f"ผู้เข้าร่วม {CODE}", "\n".join([
        "ผู้ตอบรับ “อบรมอาสาสมัครดูแลผู้สูงอายุ” (รหัส Q4RT)",
        "วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 14:00 น.",
        "รวม: ไป 2 · ไม่แน่ใจ 0 · ไม่ไป 0 · สำรอง 0",
        "• ชุมชนวัดบางนา: ไป 2 · ไม่แน่ใจ 0 · ไม่ไป 0 · สำรอง 0",
        "   ไป: สมศรี ใจดี ✓, สมศักดิ์ ใจดี",
        "มาแล้ว 1 จาก 2 คนที่ตอบว่าไป (50%)",
    ]))])


@pytest.mark.parametrize(
    ("user", "text", "reply"),
    [
        ("somsri", "เช็คอิน", T["checkin.usage"].format(command="เช็คอิน")),
        ("somsri", "checkin", E["checkin.usage"].format(command="checkin")),
        ("somsri", "เช็คอิน ZZZZ", T["rsvp.unknown_code"].format(code="ZZZZ", events="กิจกรรม")),
        ("stranger", f"เช็คอิน {CODE}", T["rsvp.not_registered"]),
        ("stranger", f"checkin {CODE}", E["rsvp.not_registered"]),
    ],
)
def test_odd_check_ins_are_answered_politely(dialog, activity, db, clock, user, text, reply) -> None:
    activity_id = activity()
    at(clock, 14, 0)
    dialog.run([(U[user], text, reply)])
    assert rows(db, activity_id) == []


def test_a_cancelled_activity_has_no_check_in(dialog, activity, db, clock) -> None:
    activity_id = activity(status=ActivityStatus.CANCELLED)
    at(clock, 14, 0)
    dialog.run([
        (U["somsri"], f"เช็คอิน {CODE}", "“อบรมอาสาสมัครดูแลผู้สูงอายุ” ถูกยกเลิกแล้วครับ จึงเช็คอินไม่ได้"),
        (U["leader"], f"checkin {CODE} สมศรี ใจดี", E["checkin.cancelled"].format(title=TITLE)),
    ])
    assert rows(db, activity_id) == []


def test_a_polite_ending_is_no_part_of_the_checked_in_name(dialog, activity, db, clock) -> None:
    """"เช็คอิน K7M2 สมศรี ใจดี ครับ" looked for someone called "สมศรี ใจดี ครับ"; "เช็คอิน K7M2 ค่ะ" for "ค่ะ"."""
    activity_id = activity()
    dialog.say(U["somsri"], f"ไป {CODE}")
    at(clock, 13, 30)
    dialog.run([
        (U["leader"], f"เช็คอิน {CODE} สมศรี ใจดี ครับ",
         "เช็คอินให้คุณสมศรี ใจดี แล้วครับ ✅ (“อบรมอาสาสมัครดูแลผู้สูงอายุ”)\nมาแล้ว 1 จาก 1 คนที่ตอบว่าไป (100%)"),
        (U["malee"], f"เช็คอิน {CODE} ค่ะ", done("มาลี ศรีสุข")),
    ])
    assert [r[0] for r in rows(db, activity_id)] == ["somsri", "malee"]
