"""Seats are never lost: a seated member asking for guests who do not fit keeps her seat and chooses, a free
seat is said as such, the reply never contradicts a push, and any seat freed (an answer, an erasure, a
removal, a merge) goes to the waitlist in the same transaction. Conversation tables through signed webhooks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import TIMEZONE
from models import Activity, ActivityStatus, Answer, Person, Rsvp
from scheduler.jobs import dispatch_outbox
from support.dialog import Dialog
from support.registry import MORE_MEMBERS, USERS, seed_district, seed_members
from support.texts import t

START = datetime(2026, 11, 28, 9, 0, tzinfo=TIMEZONE)
WHEN = "วันเสาร์ที่ 28 พฤศจิกายน 2569 เวลา 09:00 น."
TITLE = "ประชุมเครือข่ายโซน 1"
CODE = "K7M2"
U = {key: user_id for key, (user_id, _, _) in MORE_MEMBERS.items()} | USERS
NAME = {key: name for key, (_, name, _) in MORE_MEMBERS.items()}
WAIT, ALONE = "รอที่ให้ผู้ติดตาม", "ไปคนเดียว"


@pytest.fixture
def district(session_factory, clock):
    with session_factory() as session, session.begin():
        district = seed_district(session, clock())
        seed_members(session, district, clock())
        return district


@pytest.fixture
def dialog(checked_dialog: Dialog) -> Dialog:
    return checked_dialog


@pytest.fixture
def activity(session_factory, clock, district):
    """A factory: an activity of zone 1 with this capacity (its id)."""
    def make(capacity: int) -> int:
        with session_factory() as session, session.begin():
            row = Activity(code=CODE, title=TITLE, organization_id=district.org.id, network_id=district.zone1.id,
                           host_community_id=district.wat.id, starts_at=START, ends_at=START + timedelta(hours=3),
                           place_text="ศาลาวัดบางนา", status=ActivityStatus.PLANNED, capacity=capacity,
                           created_at=clock(), updated_at=clock())
            session.add(row)
            session.flush()
            return row.id
    return make


def seats(db, activity_id: int) -> list[tuple]:
    """(who, answer, seated guests, waiting, guests waiting) for every answer, by person id."""
    db.expire_all()
    people = {p.id: p.full_name for p in db.scalars(select(Person))}
    rows = db.scalars(select(Rsvp).where(Rsvp.activity_id == activity_id).order_by(Rsvp.person_id))
    return [(people[r.person_id], r.answer, r.guests, r.waitlisted_at is not None, r.waiting_guests) for r in rows]


def pushes(fake_line) -> list[tuple[str, str]]:
    return sorted((r.body["to"], m["text"]) for r in fake_line.state.deliveries("push") for m in r.body["messages"])


def going(name: str, guests: int = 0) -> str:
    if guests:
        return t("rsvp.going_guests", name=name, title=TITLE, when=WHEN, guests=guests)
    return t("rsvp.going", name=name, title=TITLE, when=WHEN)


def waitlisted(name: str, position: int) -> str:
    return t("rsvp.waitlisted", name=name, title=TITLE, position=position)


def buttons(fake_line) -> list[tuple[str, str]]:
    """(label, postback data) of the quick replies on the bot's last message."""
    last = fake_line.state.requests[-1].body["messages"][-1]
    return [(item["action"]["label"], item["action"]["data"]) for item in last["quickReply"]["items"]]


def test_a_seated_member_asking_for_guests_who_do_not_fit_keeps_her_seat(dialog, activity, db, jobs, fake_line,
                                                                         clock) -> None:
    activity_id = activity(capacity=3)
    dialog.run([
        (U["somsri"], f"ไป {CODE}", going(NAME["somsri"]) + "\nเหลือที่นั่งอีก 2 ที่"),
        (U["somchai"], f"ไป {CODE} +1", going(NAME["somchai"], 1) + "\n" + t("rsvp.seats_none")),
        (U["malee"], f"ไป {CODE}", waitlisted(NAME["malee"], 1)),
        # Her seat stays hers, and nobody is moved: she is told how many guests fit and chooses.
        (U["somsri"], f"ไป {CODE} +2", t("rsvp.party_short_seated", name=NAME["somsri"], title=TITLE, left=0, fit=0,
                                          guests=2)),
    ])
    base = f"a=rsvp&id={activity_id}&v=going"
    assert buttons(fake_line) == [(WAIT, f"{base}&g=2&w=1"), (ALONE, f"{base}&g=0")]
    assert seats(db, activity_id) == [
        ("สมศรี ใจดี", Answer.GOING, 0, False, 0),
        ("สมชาย แก้วมณี", Answer.GOING, 1, False, 0),
        ("มาลี ศรีสุข", Answer.GOING, 0, True, 0),
    ]
    # Her guests wait, behind มาลี who was there first.
    clock.advance(minutes=5)
    assert dialog.postback(U["somsri"], f"{base}&g=2&w=1") == [
        going(NAME["somsri"]) + "\n" + t("rsvp.guests_waitlisted", waiting=2, position=2) + "\n" + t("rsvp.seats_none")]
    assert dialog.say(U["somsri"], f"ผู้เข้าร่วม {CODE}")[0].split("\n")[2:4] == [
        "รับได้ 3 คน · ว่างอีก 0 ที่", "รวม: ไป 3 · ไม่แน่ใจ 0 · ไม่ไป 0 · สำรอง 3"]
    # Two seats free: มาลี (one) first; the guests (two) do not fit in the one left.
    dialog.run([(U["somchai"], f"ไม่ไป {CODE}", t("rsvp.not_going", name=NAME["somchai"], title=TITLE))])
    assert seats(db, activity_id)[0] == ("สมศรี ใจดี", Answer.GOING, 0, False, 2)
    dialog.run([(U["malee"], f"ไม่ไป {CODE}", t("rsvp.not_going", name=NAME["malee"], title=TITLE))])
    assert seats(db, activity_id) == [
        ("สมศรี ใจดี", Answer.GOING, 2, False, 0),
        ("สมชาย แก้วมณี", Answer.NOT_GOING, 0, False, 0),
        ("มาลี ศรีสุข", Answer.NOT_GOING, 0, False, 0),
    ]
    assert dispatch_outbox(jobs) == {"sent": 2}
    assert pushes(fake_line) == sorted([
        (U["malee"], t("rsvp.promoted", name=NAME["malee"], title=TITLE, when=WHEN, code=CODE)),
        (U["somsri"], t("rsvp.promoted_guests", name=NAME["somsri"], title=TITLE, when=WHEN, code=CODE, guests=2)),
    ])


def test_one_seat_left_for_a_party_of_three_is_said_and_the_choices_offered(dialog, activity, db,
                                                                           fake_line) -> None:
    activity_id = activity(capacity=3)
    dialog.run([
        (U["somchai"], f"ไป {CODE}", going(NAME["somchai"]) + "\nเหลือที่นั่งอีก 2 ที่"),
        (U["malee"], f"ไป {CODE}", going(NAME["malee"]) + "\nเหลือที่นั่งอีก 1 ที่"),
        (U["somsri"], f"ไป {CODE} +2", "“ประชุมเครือข่ายโซน 1” เหลือที่นั่งอีก 1 ที่ครับ ไม่พอสำหรับคุณสมศรี ใจดี "
                                        "และผู้ติดตาม 2 คน ตอนนี้พาผู้ติดตามได้ 0 คน\nกด “รอที่ให้ผู้ติดตาม” "
                                        "เพื่อรับที่นั่งไว้ก่อน ผู้ติดตามที่เหลือรอในรายชื่อสำรอง หรือกด “ไปคนเดียว” "
                                        "ครับ (ยังไม่ได้บันทึกอะไร)"),
    ])
    assert [label for label, _ in buttons(fake_line)] == [WAIT, ALONE]
    assert [row[0] for row in seats(db, activity_id)] == ["สมชาย แก้วมณี", "มาลี ศรีสุข"]  # nothing recorded
    assert dialog.postback(U["somsri"], f"a=rsvp&id={activity_id}&v=going&g=0") == [
        going(NAME["somsri"]) + "\n" + t("rsvp.seats_none")]
    assert seats(db, activity_id)[0] == ("สมศรี ใจดี", Answer.GOING, 0, False, 0)


def test_guests_who_fit_come_and_the_rest_wait(dialog, activity, db) -> None:
    activity_id = activity(capacity=4)
    dialog.say(U["somchai"], f"ไป {CODE}")
    dialog.say(U["malee"], f"ไป {CODE}")
    dialog.run([(U["somsri"], f"ไป {CODE} +2", t("rsvp.party_short", name=NAME["somsri"], title=TITLE, left=2, fit=1,
                                                guests=2))])
    assert dialog.postback(U["somsri"], f"a=rsvp&id={activity_id}&v=going&g=2&w=1") == [
        going(NAME["somsri"], 1) + "\n" + t("rsvp.guests_waitlisted", waiting=1, position=1) + "\n"
        + t("rsvp.seats_none")]
    assert seats(db, activity_id)[0] == ("สมศรี ใจดี", Answer.GOING, 1, False, 1)


def test_a_waitlisted_member_who_now_fits_is_told_once_in_the_reply(dialog, activity, db, jobs, fake_line) -> None:
    activity_id = activity(capacity=2)
    dialog.run([
        (U["somchai"], f"ไป {CODE}", going(NAME["somchai"]) + "\nเหลือที่นั่งอีก 1 ที่"),
        (U["malee"], f"ไป {CODE}", going(NAME["malee"]) + "\n" + t("rsvp.seats_none")),
        (U["somsri"], f"ไป {CODE} +1", waitlisted(NAME["somsri"], 1)),
        # One seat free, her party of two does not fit it: she waits on.
        (U["malee"], f"ไม่ไป {CODE}", t("rsvp.not_going", name=NAME["malee"], title=TITLE)),
        # Alone she fits: the reply says she has the seat, and no push says anything else.
        (U["somsri"], f"ไป {CODE}", going(NAME["somsri"]) + "\n" + t("rsvp.seats_none")),
    ])
    assert seats(db, activity_id)[0] == ("สมศรี ใจดี", Answer.GOING, 0, False, 0)
    assert dispatch_outbox(jobs) == {}
    assert pushes(fake_line) == []


# --- any seat freed moves the waitlist up ---------------------------------------------------------

OFFLINE = "บุญมา ศรีสุข"


def add_offline_member(dialog: Dialog) -> None:
    """The leader registers บุญมา, without LINE, and answers going for him."""
    for text in ("เพิ่มสมาชิก", OFFLINE, "ข้าม", "ยินยอมแล้ว"):
        dialog.say(USERS["leader"], text)


def erase(dialog: Dialog) -> None:
    dialog.say(USERS["member"], "ลบข้อมูลของฉัน")
    assert dialog.postback(USERS["member"], "a=forget&confirm=1&l=th") == [t("forget.done")]


def remove(dialog: Dialog) -> None:
    assert dialog.say(USERS["leader"], "ลบสมาชิก บุญมา") == [
        t("offline.remove_ask", name=OFFLINE, community="ชุมชนวัดบางนา")]
    assert dialog.say(USERS["leader"], "ลบ") == [t("offline.removed", name=OFFLINE)]


def merge(dialog: Dialog) -> None:
    """บุญมา registers himself (answering maybe: his own answer stands), then merges with the leader's code."""
    for text in ("สมัคร", OFFLINE, "วัดบางนา", "ข้าม", "ยินยอม", f"ไม่แน่ใจ {CODE}"):
        dialog.say(USERS["stranger"], text)
    code = dialog.say(USERS["leader"], "ผูกไลน์ บุญมา")[1].removeprefix("รหัส ")
    dialog.say(USERS["stranger"], f"รหัส {code}")
    assert dialog.say(USERS["stranger"], "รวมข้อมูล") == [
        t("link.merged_nothing_to_move", offline=OFFLINE, name=OFFLINE)]


@pytest.mark.parametrize(("holder", "answer", "free_it"), [
    ("member", ("member", f"ไป {CODE}"), erase),
    (OFFLINE, ("leader", f"ตอบแทน {CODE} บุญมา ไป"), remove),
    (OFFLINE, ("leader", f"ตอบแทน {CODE} บุญมา ไป"), merge),
], ids=["erase", "remove", "merge"])
def test_a_seat_freed_by_erasing_removing_or_merging_goes_to_the_waitlist(dialog, activity, db, jobs, fake_line,
                                                                          holder, answer, free_it) -> None:
    activity_id = activity(capacity=1)
    if holder == OFFLINE:
        add_offline_member(dialog)
    dialog.say(USERS[answer[0]], answer[1])
    dialog.run([(U["somsri"], f"ไป {CODE}", waitlisted(NAME["somsri"], 1))])
    free_it(dialog)
    held = [row for row in seats(db, activity_id) if row[0] == "สมศรี ใจดี"]
    assert held == [("สมศรี ใจดี", Answer.GOING, 0, False, 0)]
    assert dialog.say(USERS["staff"], f"ผู้เข้าร่วม {CODE}")[0].split("\n")[2] == "รับได้ 1 คน · ว่างอีก 0 ที่"
    before = [(to, text) for to, text in pushes(fake_line)]
    dispatch_outbox(jobs)
    told = [(to, text) for to, text in pushes(fake_line) if (to, text) not in before and to == U["somsri"]]
    assert told == [(U["somsri"], t("rsvp.promoted", name=NAME["somsri"], title=TITLE, when=WHEN, code=CODE))]




def test_a_proxy_answer_gets_the_same_choice_and_only_a_leader_may_make_it(dialog, activity, db, fake_line,
                                                                           session_factory) -> None:
    activity_id = activity(capacity=2)
    dialog.say(U["somchai"], f"ไป {CODE}")
    dialog.run([(USERS["leader"], f"ตอบแทน {CODE} สมศรี ใจดี ไป +2",
                 t("rsvp.party_short", name=NAME["somsri"], title=TITLE, left=1, fit=0, guests=2))])
    with session_factory() as session:
        somsri = session.scalars(select(Person).where(Person.line_user_id == U["somsri"])).one().id
    base = f"a=rsvp&id={activity_id}&v=going&p={somsri}"
    assert buttons(fake_line) == [(WAIT, f"{base}&g=2&w=1"), (ALONE, f"{base}&g=0")]
    # A member sending the same data answers for nobody.
    assert dialog.postback(USERS["member"], f"{base}&g=0") == [t("postback.unknown")]
    assert [row[0] for row in seats(db, activity_id)] == ["สมชาย แก้วมณี"]
    assert dialog.postback(USERS["leader"], f"{base}&g=2&w=1") == [
        going(NAME["somsri"]) + "\n" + t("rsvp.guests_waitlisted", waiting=2, position=1) + "\n"
        + t("rsvp.seats_none") + "\n" + t("rsvp.by_proxy", leader="คุณleader")]
    assert seats(db, activity_id)[0] == ("สมศรี ใจดี", Answer.GOING, 0, False, 2)
