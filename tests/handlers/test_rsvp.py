"""Answering activities (buttons and text), waitlist and promotion, quotas, proxy answers and attendees,
as conversation tables through signed webhooks and the fake LINE server."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import TIMEZONE
from handlers.catalog import en, th
from handlers.services import registry as reg
from models import Activity, ActivityStatus, Answer, Community, OutboxMessage, Person, Rsvp
from scheduler.jobs import dispatch_outbox
from support.dialog import Dialog
from support.registry import MORE_MEMBERS, OUTSIDER, USERS, seed_district, seed_members, seed_outsider
from support.texts import e, t

T, E = th.TEXT, en.TEXT
START = datetime(2026, 11, 28, 9, 0, tzinfo=TIMEZONE)
WHEN = "วันเสาร์ที่ 28 พฤศจิกายน 2569 เวลา 09:00 น."
WHEN_EN = "Saturday 28 November 2026, 09:00"
TITLE = "ประชุมเครือข่ายโซน 1"
CODE = "K7M2"
GROUP_WAT = "C" + "a" * 32      # the group the activity was announced in (ชุมชนวัดบางนา)
GROUP_MARKET = "C" + "b" * 32   # another group of the network (ชุมชนตลาดบางนา)

# Registered members with real-looking names: (LINE user id, full name, community attribute of District).
PEOPLE = MORE_MEMBERS
U = {key: user_id for key, (user_id, _, _) in PEOPLE.items()} | USERS
NAME = {key: name for key, (_, name, _) in PEOPLE.items()}


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
    """A factory: an activity of zone 1 (its id), made directly with the model."""
    def make(code: str = CODE, **fields) -> int:
        values = dict(title=TITLE, organization_id=district.org.id, network_id=district.zone1.id,
                      host_community_id=district.wat.id, starts_at=START, ends_at=START + timedelta(hours=3),
                      place_text="ศาลาวัดบางนา", status=ActivityStatus.PLANNED, created_at=clock(),
                      updated_at=clock())
        values.update(fields)
        with session_factory() as session, session.begin():
            row = Activity(code=code, **values)
            session.add(row)
            session.flush()
            return row.id
    return make


def rsvps(db, activity_id: int) -> list[tuple]:
    """(who, answer, guests, community, waitlisted, proxy by) for every answer, by person id."""
    db.expire_all()
    people = {p.id: key for key, uid in U.items() for p in db.scalars(select(Person).where(Person.line_user_id == uid))}
    communities = {c.id: c.name for c in db.scalars(select(Community))}
    rows = db.scalars(select(Rsvp).where(Rsvp.activity_id == activity_id).order_by(Rsvp.person_id))
    return [(people[r.person_id], r.answer, r.guests, communities.get(r.community_id), r.waitlisted_at is not None,
             people.get(r.proxy_by_id)) for r in rows]


def going(name: str, guests: int = 0) -> str:
    if guests:
        return T["rsvp.going_guests"].format(name=name, title=TITLE, when=WHEN, guests=guests)
    return T["rsvp.going"].format(name=name, title=TITLE, when=WHEN)


def rsvp_data(activity_id: int, answer: str, guests: int | None = None) -> str:
    return f"a=rsvp&id={activity_id}&v={answer}" + (f"&g={guests}" if guests is not None else "")


# --- answering by button and by text ------------------------------------------------------------

def test_buttons_record_the_answer_and_changing_ones_mind_updates_it(dialog, activity, db) -> None:
    activity_id = activity()
    reply = dialog.postback(U["somsri"], rsvp_data(activity_id, "going"), group=GROUP_WAT)
    # The full text once, literally, so the catalogue's formatting itself is checked.
    assert reply == ["บันทึกแล้วครับ ✅ คุณสมศรี ใจดี ไป “ประชุมเครือข่ายโซน 1”\nวันเสาร์ที่ 28 พฤศจิกายน 2569 เวลา 09:00 น."]
    assert rsvps(db, activity_id) == [("somsri", Answer.GOING, 0, "ชุมชนวัดบางนา", False, None)]

    assert dialog.postback(U["somsri"], rsvp_data(activity_id, "maybe"), group=GROUP_WAT) == [
        T["rsvp.maybe"].format(name="สมศรี ใจดี", title=TITLE)]
    assert rsvps(db, activity_id) == [("somsri", Answer.MAYBE, 0, "ชุมชนวัดบางนา", False, None)]

    assert dialog.postback(U["somsri"], rsvp_data(activity_id, "not_going"), group=GROUP_WAT) == [
        "บันทึกแล้วครับ คุณสมศรี ใจดี ไม่ไป “ประชุมเครือข่ายโซน 1” ขอบคุณที่แจ้งให้ทราบครับ"]
    assert rsvps(db, activity_id) == [("somsri", Answer.NOT_GOING, 0, "ชุมชนวัดบางนา", False, None)]

    assert dialog.postback(U["somsri"], rsvp_data(activity_id, "going", 2)) == [going("สมศรี ใจดี", 2)]
    assert rsvps(db, activity_id) == [("somsri", Answer.GOING, 2, "ชุมชนวัดบางนา", False, None)]


def test_text_answers_in_thai_and_english(dialog, activity, db) -> None:
    activity_id = activity()
    dialog.run([
        (U["somsri"], f"ไป {CODE}", going("สมศรี ใจดี")),
        (U["somsri"], "ไป k7m2 +2", going("สมศรี ใจดี", 2)),              # any case, guests
        (U["somsri"], "บอท ไป K7M2 +๑", going("สมศรี ใจดี", 1), GROUP_WAT),  # Thai digit, in a group
        (U["somchai"], f"ไม่แน่ใจ {CODE}", T["rsvp.maybe"].format(name="สมชาย แก้วมณี", title=TITLE)),
        (U["somchai"], f"ไม่ไป {CODE}", T["rsvp.not_going"].format(name="สมชาย แก้วมณี", title=TITLE)),
        (U["somying"], f"going {CODE} +1",
         E["rsvp.going_guests"].format(name="สมหญิง ทองดี", title=TITLE, when=WHEN_EN, guests=1)),
        (U["somying"], f"maybe {CODE}", E["rsvp.maybe"].format(name="สมหญิง ทองดี", title=TITLE)),
        (U["malee"], f"Not Going {CODE}",
         "Saved: มาลี ศรีสุข is not going to “ประชุมเครือข่ายโซน 1”. Thank you for letting us know."),
    ])
    assert rsvps(db, activity_id) == [
        ("somsri", Answer.GOING, 1, "ชุมชนวัดบางนา", False, None),
        ("somchai", Answer.NOT_GOING, 0, "ชุมชนตลาดบางนา", False, None),
        ("malee", Answer.NOT_GOING, 0, "ชุมชนตลาดบางนา", False, None),
        ("somying", Answer.MAYBE, 0, "ชุมชนคลองบางนา", False, None),
    ]


@pytest.mark.parametrize(
    ("text", "guests"),
    [
        (f"ไป {CODE} 2 คน", 1),           # two people in all: the sender and one guest
        (f"ไป {CODE} ๒คน", 1),
        (f"ไป {CODE} 1 คน", 0),
        (f"ไป {CODE} +2 คน", 2),          # + and พา count the guests only
        (f"ไป {CODE} พา 2 คน", 2),
        (f"ไป {CODE} พา2คน", 2),
        (f"ไป {CODE} พาหลาน 2 คน", 2),    # whom they bring, named: it was refused as no count
        (f"ไป {CODE} พา หลาน ๓ คนค่ะ", 3),
        (f"ไป {CODE} พาลูกไปด้วย 1 คน", 1),
        (f"ไป {CODE}+2", 2),
        (f"going {CODE} 2 guests", 2),
        (f"going {CODE} +2 guests", 2),
        (f"going {CODE} 1 guest", 1),
        (f"going {CODE} 3 People", 2),     # in all
        (f"go {CODE} +1", 1),               # "go" is as natural as "going"
        (f"ไป {CODE} 2 คนครับ", 1),        # a polite ending is not part of the code
        (f"ไป {CODE} ค่ะ", 0),
        (f"ไป {CODE} 3 ท่าน", 2),
        ("ไป K7\u200dM2 2\u200d คน", 1),  # a stray zero-width joiner (copy-paste) inside the code and the count
        # Words after the count are a note, not part of the code: a walkthrough's "+๓ ครับ พาหลานไปด้วย" was refused.
        (f"ไป {CODE} +๓ ครับ พาหลานไปด้วย", 3),
        (f"ไป {CODE} พา ๒ คน ค่ะ หลานสองคน", 2),
        (f"ไป {CODE} ๓ คนครับ ไปกับครอบครัว", 2),
        (f"ไป {CODE}+1 🙏", 1),
        (f"going {CODE} +2 with my grandchildren", 2),
    ],
)
def test_the_ways_of_saying_how_many_come(dialog, activity, db, text, guests) -> None:
    activity_id = activity()
    if text.startswith("ไป"):
        reply = going("สมศรี ใจดี", guests)
    else:
        reply = E["rsvp.going_guests"].format(name="สมศรี ใจดี", title=TITLE, when=WHEN_EN, guests=guests)
    dialog.run([(U["somsri"], text, reply)])
    assert rsvps(db, activity_id) == [("somsri", Answer.GOING, guests, "ชุมชนวัดบางนา", False, None)]


def test_a_count_with_not_going_or_maybe_brings_no_guests(dialog, activity, db) -> None:
    activity_id = activity()
    dialog.run([(U["somsri"], f"ไม่แน่ใจ {CODE} 3 คน", T["rsvp.maybe"].format(name="สมศรี ใจดี", title=TITLE))])
    assert rsvps(db, activity_id) == [("somsri", Answer.MAYBE, 0, "ชุมชนวัดบางนา", False, None)]


@pytest.mark.parametrize(
    ("user", "text", "reply"),
    [
        ("somsri", f"ไป {CODE} 0 คน", T["rsvp.guests_invalid"].format(max=10, command="ไป")),
        ("somsri", f"going {CODE} 0 people", E["rsvp.guests_invalid"].format(max=10, command="going")),
        ("somsri", f"ไป {CODE} 2 คน +1", T["rsvp.guests_invalid"].format(max=10, command="ไป")),  # which one?
        ("somsri", f"ไป {CODE} +๓ ครับ +1", T["rsvp.guests_invalid"].format(max=10, command="ไป")),
        ("somsri", f"ไป {CODE} +3 ครับ พาหลาน 2 คน", T["rsvp.guests_invalid"].format(max=10, command="ไป")),
        ("somsri", f"ไป {CODE} +3 ครับ ห้อง 5", T["rsvp.guests_invalid"].format(max=10, command="ไป")),  # a number
        ("somsri", f"ไป {CODE} +abc ครับ พาหลาน", T["rsvp.guests_invalid"].format(max=10, command="ไป")),
        ("somsri", f"ไป {CODE} +๑๑ ครับ พาหลานไปด้วย", T["rsvp.too_many_guests"].format(max=10)),
        ("somsri", f"ไป {CODE} ๐ คน ค่ะ ไม่มีใคร", T["rsvp.guests_invalid"].format(max=10, command="ไป")),
        ("somsri", f"ไป {CODE} 12 คน", T["rsvp.too_many_guests"].format(max=10)),
        ("somsri", f"ไป {CODE} พา 11 คน", T["rsvp.too_many_guests"].format(max=10)),
        ("somsri", "ไป", T["rsvp.usage_going"].format(command="ไป", events="กิจกรรม")),
        ("somsri", "ไม่ไป +2", T["rsvp.usage"].format(command="ไม่ไป", events="กิจกรรม")),
        ("somsri", "not going", E["rsvp.usage"].format(command="not going", events="events")),
        ("somsri", "ไป ZZZZ", T["rsvp.unknown_code"].format(code="ZZZZ", events="กิจกรรม")),
        ("somsri", "maybe ABCDEFGHIJKLMNOPQRSTUVWXYZ", E["rsvp.unknown_code"].format(code="ABCDEFGHIJKLMNOPQRST…", events="events")),
        ("somsri", f"ไป {CODE} +11", T["rsvp.too_many_guests"].format(max=10)),
        ("somsri", f"ไป {CODE} +-1", T["rsvp.guests_invalid"].format(max=10, command="ไป")),
        ("somsri", f"going {CODE} +two", E["rsvp.guests_invalid"].format(max=10, command="going")),
        # The code is found; what follows it is not a count: say how to write one, not "no such code".
        ("somsri", f"ไป {CODE} -1", T["rsvp.guests_invalid"].format(max=10, command="ไป")),
        ("somsri", f"ไป {CODE} 🙏", T["rsvp.guests_invalid"].format(max=10, command="ไป")),
        ("somsri", f"going {CODE} two", E["rsvp.guests_invalid"].format(max=10, command="going")),
        ("somsri", f"ไม่ไป {CODE} ติดธุระ", T["rsvp.usage"].format(command="ไม่ไป", events="กิจกรรม")),
        ("somsri", f"maybe {CODE} 🙏", E["rsvp.usage"].format(command="maybe", events="events")),
        ("somsri", "ไป ZZZZ -1", T["rsvp.unknown_code"].format(code="ZZZZ -1", events="กิจกรรม")),
        ("stranger", f"ไป {CODE}", T["rsvp.not_registered"]),
        ("stranger", f"going {CODE}",
         "Please register before answering: type “register” in a 1:1 chat with Saiyai. It takes less than a minute."),
    ],
)
def test_odd_text_answers_get_a_polite_reply_and_record_nothing(dialog, activity, db, user, text, reply) -> None:
    activity_id = activity()
    dialog.run([(U[user], text, reply)])
    assert rsvps(db, activity_id) == []


@pytest.mark.parametrize(
    "data",
    ["a=rsvp", "a=rsvp&id=999&v=going", "a=rsvp&id={id}&v=yes", "a=rsvp&id={id}&v=going&g=two", "a=rsvp&id=x&v=going"],
)
def test_broken_buttons_are_answered_politely(dialog, activity, db, data) -> None:
    activity_id = activity()
    assert dialog.postback(U["somsri"], data.format(id=activity_id)) == [T["postback.unknown"]]
    assert rsvps(db, activity_id) == []


def test_an_unregistered_person_is_told_how_to_register(dialog, activity, db) -> None:
    activity_id = activity()
    assert dialog.postback(U["stranger"], rsvp_data(activity_id, "going"), group=GROUP_WAT) == [
        "ก่อนตอบรับกิจกรรม ขอให้ลงทะเบียนก่อนนะครับ พิมพ์ “สมัคร” ในแชตส่วนตัวกับสายใย ใช้เวลาไม่ถึงนาทีครับ"]
    assert rsvps(db, activity_id) == []


def test_a_button_tapped_without_a_user_id_is_answered(dialog, activity, db, webhook, fake_line) -> None:
    """LINE on a PC sends group events without userId: nobody to record, so say where to answer."""
    from support import events as ev

    activity_id = activity()
    event = ev.postback(rsvp_data(activity_id, "going"), group=GROUP_WAT)
    del event["source"]["userId"]
    assert webhook.post(event).status_code == 200
    assert fake_line.state.texts() == [T["rsvp.no_user_id"].format(code=CODE)]
    assert rsvps(db, activity_id) == []


# --- capacity, waitlist and promotion -------------------------------------------------------------

def test_seats_left_are_shown_when_there_is_a_capacity(dialog, activity) -> None:
    activity_id = activity(capacity=4)
    assert dialog.postback(U["somsri"], rsvp_data(activity_id, "going", 1)) == [
        going("สมศรี ใจดี", 1) + "\n" + T["rsvp.seats_left"].format(left=2)]
    dialog.run([
        (U["somchai"], f"ไป {CODE} +1", going("สมชาย แก้วมณี", 1) + "\nตอนนี้ที่นั่งเต็มแล้วครับ"),
        (U["malee"], f"going {CODE}", E["rsvp.waitlisted"].format(title=TITLE, name="มาลี ศรีสุข", position=1)),
    ])


def test_waitlist_positions_and_promotion_are_pushed_once(dialog, activity, db, jobs, fake_line,
                                                        session_factory) -> None:
    activity_id = activity(capacity=2)
    dialog.run([
        (U["somsri"], f"ไป {CODE}", going("สมศรี ใจดี") + "\nเหลือที่นั่งอีก 1 ที่"),
        (U["somchai"], f"ไป {CODE}", going("สมชาย แก้วมณี") + "\n" + T["rsvp.seats_none"]),
        (U["malee"], f"ไป {CODE}",
         "“ประชุมเครือข่ายโซน 1” ที่นั่งเต็มแล้วครับ คุณมาลี ศรีสุข อยู่ในรายชื่อสำรองลำดับที่ 1 "
         "ถ้ามีที่ว่าง สายใยจะแจ้งทันทีครับ"),
        (U["somying"], f"going {CODE}", E["rsvp.waitlisted"].format(title=TITLE, name="สมหญิง ทองดี", position=2)),
        # Answering going again while waiting keeps the place in line.
        (U["malee"], f"ไป {CODE}", t("rsvp.waitlisted", title=TITLE, name="มาลี ศรีสุข", position=1)),
    ])
    assert dispatch_outbox(jobs) == {}  # nobody promoted yet, nothing to push

    # สมศรี cannot go: มาลี, first in line, gets the seat and is told by a push.
    dialog.run([(U["somsri"], f"ไม่ไป {CODE}", T["rsvp.not_going"].format(name="สมศรี ใจดี", title=TITLE))])
    assert rsvps(db, activity_id) == [
        ("somsri", Answer.NOT_GOING, 0, "ชุมชนวัดบางนา", False, None),
        ("somchai", Answer.GOING, 0, "ชุมชนตลาดบางนา", False, None),
        ("malee", Answer.GOING, 0, "ชุมชนตลาดบางนา", False, None),
        ("somying", Answer.GOING, 0, "ชุมชนคลองบางนา", True, None),
    ]
    assert dispatch_outbox(jobs) == {"sent": 1}
    assert dispatch_outbox(jobs) == {}
    promoted = ("ข่าวดีครับ 🎉 มีที่ว่างแล้ว คุณมาลี ศรีสุข ได้ที่นั่งใน “ประชุมเครือข่ายโซน 1” "
                f"{WHEN} จากรายชื่อสำรอง\nถ้าไปไม่ได้ พิมพ์ “ไม่ไป K7M2” เพื่อสละที่ให้คนถัดไปครับ")
    assert [(r.body["to"], [m["text"] for m in r.body["messages"]]) for r in fake_line.state.deliveries("push")] == [
        (U["malee"], [promoted])]

    # The next in line moves up to 1; a promotion later is told in the promoted person's language.
    with session_factory() as session, session.begin():
        session.scalars(select(Person).where(Person.line_user_id == U["somying"])).one().language = "en"
    dialog.run([
        (U["somying"], f"going {CODE}", E["rsvp.waitlisted"].format(title=TITLE, name="สมหญิง ทองดี", position=1)),
        (U["somchai"], f"ไม่ไป {CODE}", T["rsvp.not_going"].format(name="สมชาย แก้วมณี", title=TITLE)),
    ])
    assert dispatch_outbox(jobs) == {"sent": 1}
    pushes = [(r.body["to"], [m["text"] for m in r.body["messages"]]) for r in fake_line.state.deliveries("push")]
    assert pushes == [
        (U["malee"], [promoted]),
        (U["somying"], [E["rsvp.promoted"].format(name="สมหญิง ทองดี", title=TITLE, when=WHEN_EN, code=CODE)]),
    ]
    assert [row[4] for row in rsvps(db, activity_id)] == [False, False, False, False]
    assert len(db.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("rsvp-promoted:%"))).all()) == 2


def test_waiting_again_after_a_promotion_is_told_again(dialog, activity, db, jobs, fake_line) -> None:
    activity_id = activity(capacity=1)
    for user in ("somsri", "somchai"):
        dialog.say(U[user], f"ไป {CODE}")
    dialog.say(U["somsri"], f"ไม่ไป {CODE}")       # สมชาย promoted
    dialog.say(U["somsri"], f"ไป {CODE}")          # สมศรี waits again
    dialog.say(U["somchai"], f"ไม่ไป {CODE}")      # สมศรี promoted
    dialog.say(U["somchai"], f"ไป {CODE}")         # สมชาย waits again
    dialog.say(U["somsri"], f"ไม่ไป {CODE}")       # สมชาย promoted a second time: a second, new message
    assert dispatch_outbox(jobs) == {"sent": 3}
    assert sorted(r.body["to"] for r in fake_line.state.deliveries("push")) == sorted(
        [U["somchai"], U["somsri"], U["somchai"]])
    assert [row[:5] for row in rsvps(db, activity_id)] == [
        ("somsri", Answer.NOT_GOING, 0, "ชุมชนวัดบางนา", False),
        ("somchai", Answer.GOING, 0, "ชุมชนตลาดบางนา", False),
    ]


def test_a_proxy_answer_promoted_from_the_waitlist_is_told_to_the_leader(dialog, activity, jobs, fake_line) -> None:
    activity(capacity=1)
    dialog.run([
        (U["somchai"], f"ไป {CODE}", going("สมชาย แก้วมณี") + "\n" + T["rsvp.seats_none"]),
        (U["leader"], f"ตอบแทน {CODE} สมศรี ใจดี ไป",
         t("rsvp.waitlisted", title=TITLE, name="สมศรี ใจดี", position=1) + "\n(บันทึกแทนโดยคุณleader)"),
        (U["somchai"], f"ไม่ไป {CODE}", T["rsvp.not_going"].format(name="สมชาย แก้วมณี", title=TITLE)),
    ])
    assert dispatch_outbox(jobs) == {"sent": 2}  # she hears the leader answered for her; the seat, the leader
    # The dispatcher sends rows in parallel: compare without their order.
    assert sorted((r.body["to"], r.body["messages"][0]["text"]) for r in fake_line.state.deliveries("push")) == sorted([
        (U["somsri"], t("rsvp.proxy_told_member", leader="คุณleader", title=TITLE, when=WHEN, code=CODE, answer="ไป")),
        (U["leader"], t("rsvp.promoted_proxy", name="สมศรี ใจดี", community="ชุมชนวัดบางนา", title=TITLE,
                                                      when=WHEN, code=CODE))])


# --- seats per community --------------------------------------------------------------------------

def test_seats_per_community_are_enforced_with_a_clear_message(dialog, activity, db) -> None:
    activity_id = activity(seats_per_community=2)
    dialog.run([
        (U["somsri"], f"ไป {CODE}", going("สมศรี ใจดี")),
        (U["somsak"], f"ไป {CODE} +1",
         T["rsvp.community_short"].format(title=TITLE, limit=2, community="ชุมชนวัดบางนา", left=1)),
        (U["somsak"], f"ไป {CODE}", going("สมศักดิ์ ใจดี")),
        (U["member"], f"ไป {CODE}",
         "ขออภัยครับ “ประชุมเครือข่ายโซน 1” รับได้ชุมชนละไม่เกิน 2 คน (รวมผู้ติดตาม) และชุมชนวัดบางนาครบ 2 คนแล้วครับ"),
        (U["member"], f"going {CODE}", E["rsvp.community_full"].format(title=TITLE, limit=2, community="ชุมชนวัดบางนา")),
        # Another community has its own seats; a member already going may lower their party.
        (U["somchai"], f"ไป {CODE} +1", going("สมชาย แก้วมณี", 1)),
        (U["somsri"], f"ไป {CODE} +1",  # her own place is the one left
         T["rsvp.community_short"].format(title=TITLE, limit=2, community="ชุมชนวัดบางนา", left=1)),
        (U["member"], f"ไม่แน่ใจ {CODE}", t("rsvp.maybe", name="คุณmember", title=TITLE)),
    ])
    assert rsvps(db, activity_id) == [
        ("member", Answer.MAYBE, 0, "ชุมชนวัดบางนา", False, None),
        ("somsri", Answer.GOING, 0, "ชุมชนวัดบางนา", False, None),
        ("somsak", Answer.GOING, 0, "ชุมชนวัดบางนา", False, None),
        ("somchai", Answer.GOING, 1, "ชุมชนตลาดบางนา", False, None),
    ]


def test_the_community_quota_counts_its_waitlist_and_promotion_never_exceeds_it(dialog, activity, db, jobs) -> None:
    """Regression: promotion used to ignore seats per community (3 of a 2-seat community ended up seated)."""
    activity_id = activity(capacity=3, seats_per_community=2)
    dialog.run([
        (U["somchai"], f"ไป {CODE}", going("สมชาย แก้วมณี") + "\nเหลือที่นั่งอีก 2 ที่"),
        (U["malee"], f"ไป {CODE}", going("มาลี ศรีสุข") + "\nเหลือที่นั่งอีก 1 ที่"),
        (U["somsri"], f"ไป {CODE}", going("สมศรี ใจดี") + "\n" + T["rsvp.seats_none"]),
        (U["somsak"], f"ไป {CODE}", t("rsvp.waitlisted", title=TITLE, name="สมศักดิ์ ใจดี", position=1)),
        # Two of วัดบางนา are already going (one seated, one waiting): a third cannot even wait.
        (U["member"], f"ไป {CODE}", T["rsvp.community_full"].format(title=TITLE, limit=2, community="ชุมชนวัดบางนา")),
        (U["somchai"], f"ไม่ไป {CODE}", T["rsvp.not_going"].format(name="สมชาย แก้วมณี", title=TITLE)),
        (U["malee"], f"ไม่ไป {CODE}", T["rsvp.not_going"].format(name="มาลี ศรีสุข", title=TITLE)),
    ])
    seated_wat = [row[0] for row in rsvps(db, activity_id) if row[1] == Answer.GOING and row[3] == "ชุมชนวัดบางนา"
                  and not row[4]]
    assert seated_wat == ["somsri", "somsak"]
    assert dispatch_outbox(jobs) == {"sent": 1}


# --- closed activities ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("fields", "advance", "reply"),
    [
        ({"status": ActivityStatus.CANCELLED}, {}, "ขออภัยครับ “ประชุมเครือข่ายโซน 1” ถูกยกเลิกแล้ว จึงตอบรับไม่ได้ครับ"),
        ({"status": ActivityStatus.DONE}, {}, T["rsvp.closed_past"].format(title=TITLE)),
        ({}, {"days": 8}, T["rsvp.closed_past"].format(title=TITLE)),
        ({"rsvp_deadline": datetime(2026, 11, 25, 18, 0, tzinfo=TIMEZONE)}, {"days": 5},
         "ขออภัยครับ “ประชุมเครือข่ายโซน 1” ปิดรับคำตอบแล้วเมื่อวันพุธที่ 25 พฤศจิกายน 2569 เวลา 18:00 น. "
         "หากจำเป็น ติดต่อผู้นำชุมชนหรือผู้จัดได้โดยตรงครับ"),
    ],
    ids=["cancelled", "done", "over", "deadline"],
)
def test_a_closed_activity_takes_no_answers(dialog, activity, db, clock, fields, advance, reply) -> None:
    activity_id = activity(**fields)
    clock.advance(**advance)
    assert dialog.postback(U["somsri"], rsvp_data(activity_id, "going")) == [reply]
    dialog.run([(U["somsri"], f"ไม่ไป {CODE}", reply)])
    assert rsvps(db, activity_id) == []


def test_the_deadline_and_closing_in_english(dialog, activity, clock) -> None:
    activity(rsvp_deadline=datetime(2026, 11, 25, 18, 0, tzinfo=TIMEZONE))
    clock.advance(days=5)
    dialog.run([(U["somsri"], f"going {CODE}", E["rsvp.closed_deadline"].format(
        title=TITLE, deadline="Wednesday 25 November 2026, 18:00"))])


# --- proxy ----------------------------------------------------------------------------------------

def test_a_leader_answers_for_a_member_and_it_is_recorded_as_proxy(dialog, activity, db) -> None:
    activity_id = activity()
    dialog.run([
        (U["leader"], f"ตอบแทน {CODE} สมศรี ใจดี ไป +1",
         going("สมศรี ใจดี", 1) + "\n" + t("rsvp.by_proxy", leader="คุณleader")),
        # A leading คุณ is forgiven; "maybe" speaks to the leader and names the member, who never reads it.
        (U["leader"], f"ตอบแทน {CODE} คุณสมศักดิ์ ใจดี ไม่แน่ใจ",
         t("rsvp.maybe_proxy", name="สมศักดิ์ ใจดี", title=TITLE, code=CODE) + "\n"
         + t("rsvp.by_proxy", leader="คุณleader")),
        (U["staff"], f"proxy {CODE} สมหญิง ทองดี not going",
         E["rsvp.not_going"].format(name="สมหญิง ทองดี", title=TITLE) + "\n(answered on their behalf by คุณstaff)"),
    ])
    assert rsvps(db, activity_id) == [
        ("somsri", Answer.GOING, 1, "ชุมชนวัดบางนา", False, "leader"),
        ("somsak", Answer.MAYBE, 0, "ชุมชนวัดบางนา", False, "leader"),
        ("somying", Answer.NOT_GOING, 0, "ชุมชนคลองบางนา", False, "staff"),
    ]
    # The member answering for themselves later replaces the proxy answer.
    dialog.run([(U["somsri"], f"ไม่ไป {CODE}", T["rsvp.not_going"].format(name="สมศรี ใจดี", title=TITLE))])
    assert rsvps(db, activity_id)[0] == ("somsri", Answer.NOT_GOING, 0, "ชุมชนวัดบางนา", False, None)


def test_a_member_on_line_hears_that_a_leader_answered_for_them(dialog, activity, jobs, fake_line) -> None:
    activity()
    dialog.say(U["somsri"], f"ไป {CODE}")
    dialog.say(U["leader"], f"ตอบแทน {CODE} สมศรี ใจดี ไม่ไป")
    dialog.say(U["leader"], f"ตอบแทน {CODE} สมศักดิ์ ใจดี ไป 9999")  # refused (usage): nothing to tell
    assert dispatch_outbox(jobs) == {"sent": 1}
    assert [(r.body["to"], r.body["messages"][0]["text"]) for r in fake_line.state.deliveries("push")] == [
        (U["somsri"], t("rsvp.proxy_told_member", leader="คุณleader", title=TITLE, when=WHEN, code=CODE,
                        answer="ไม่ไป"))]


def test_a_proxy_answer_reads_the_count_as_the_members_own_answer_does(dialog, activity, db) -> None:
    activity_id = activity()
    dialog.run([
        (U["leader"], f"ตอบแทน {CODE} สมศรี ใจดี ไป 2 คน",
         going("สมศรี ใจดี", 1) + "\n" + t("rsvp.by_proxy", leader="คุณleader")),
        (U["leader"], f"ตอบแทน {CODE} สมศักดิ์ ใจดี ไป พา 2 คน",
         going("สมศักดิ์ ใจดี", 2) + "\n" + t("rsvp.by_proxy", leader="คุณleader")),
        (U["staff"], f"proxy {CODE} สมหญิง ทองดี going 3 guests",
         E["rsvp.going_guests"].format(name="สมหญิง ทองดี", title=TITLE, when=WHEN_EN, guests=3)
         + "\n" + e("rsvp.by_proxy", leader="คุณstaff")),
        (U["leader"], f"ตอบแทน {CODE} สมศรี ใจดี ไป 0 คน", T["proxy.usage"].format(command="ตอบแทน")),
    ])
    assert rsvps(db, activity_id) == [
        ("somsri", Answer.GOING, 1, "ชุมชนวัดบางนา", False, "leader"),
        ("somsak", Answer.GOING, 2, "ชุมชนวัดบางนา", False, "leader"),
        ("somying", Answer.GOING, 3, "ชุมชนคลองบางนา", False, "staff"),
    ]


def test_proxy_is_refused_to_members_and_outside_the_leaders_communities(dialog, activity, db) -> None:
    activity_id = activity()
    dialog.run([
        (U["somsri"], f"ตอบแทน {CODE} สมศักดิ์ ใจดี ไป", "ขออภัยครับ คำสั่ง “ตอบแทน” สงวนไว้สำหรับผู้นำชุมชนครับ"),
        (U["partner"], f"proxy {CODE} สมศักดิ์ ใจดี going", E["command.refused"].format(
            keyword="proxy", role="community leaders")),
        # สมหญิง lives in ชุมชนคลองบางนา: not the วัดบางนา leader's to answer for, nor the zone 1 chair's.
        (U["leader"], f"ตอบแทน {CODE} สมหญิง ทองดี ไป", T["proxy.not_found"].format(name="สมหญิง ทองดี")),
        (U["chair"], f"ตอบแทน {CODE} สมหญิง ทองดี ไป", T["proxy.not_found"].format(name="สมหญิง ทองดี")),
        (U["leader"], f"ตอบแทน {CODE} ใครก็ไม่รู้ ไป", T["proxy.not_found"].format(name="ใครก็ไม่รู้")),
        (U["leader"], "ตอบแทน ZZZZ สมศรี ใจดี ไป", T["rsvp.unknown_code"].format(code="ZZZZ", events="กิจกรรม")),
        (U["leader"], f"ตอบแทน {CODE} สมศรี ใจดี", T["proxy.usage"].format(command="ตอบแทน")),
        (U["leader"], "ตอบแทน", T["proxy.usage"].format(command="ตอบแทน")),
        (U["other_leader"], "proxy", E["proxy.usage"].format(command="proxy")),
    ])
    assert rsvps(db, activity_id) == []


def test_an_ambiguous_name_lists_the_matches_with_buttons(dialog, activity, db, session_factory, clock,
                                                          district) -> None:
    activity_id = activity()
    with session_factory() as session, session.begin():
        # A namesake in another community the zone 1 chair also looks after.
        reg.register_person(session, "U" + "f" * 32, full_name="สมศรี ใจดี", phone=None, display_name=None,
                            community=session.get(Community, district.market.id), now=clock())
    # A surname alone is only part of a name: who it may be is offered, to confirm (tests/handlers/test_proxy_names.py).
    dialog.run([(U["chair"], f"ตอบแทน {CODE} ใจดี ไป", T["proxy.suggest"].format(
        name="ใจดี", people="• สมศรี ใจดี (ชุมชนวัดบางนา)\n• สมศรี ใจดี (ชุมชนตลาดบางนา)\n• สมศักดิ์ ใจดี (ชุมชนวัดบางนา)"))])
    # Labels are cut to LINE's 20 grapheme clusters, visibly.
    assert dialog.quick_replies() == ["สมศรี ใจดี (ชุมชนวัดบาง…", "สมศรี ใจดี (ชุมชนตลาดบ…", "สมศักดิ์ ใจดี (ชุมชนวัดบา…",
                                     "ยกเลิก"]
    dialog.say(U["chair"], "ยกเลิก")
    # Two people of one name: each button sends the whole command for one person, a guest count kept.
    dialog.say(U["chair"], f"ตอบแทน {CODE} สมศรี ใจดี ไป 2 คน")
    last = dialog.fake_line.state.requests[-1].body["messages"][-1]
    assert [item["action"]["text"] for item in last["quickReply"]["items"]] == [
        f"ตอบแทน {CODE} สมศรี ใจดี (ชุมชนวัดบางนา) ไป 2 คน", f"ตอบแทน {CODE} สมศรี ใจดี (ชุมชนตลาดบางนา) ไป 2 คน"]
    dialog.run([
        (U["chair"], f"ตอบแทน {CODE} สมศรี ใจดี ไป", T["proxy.ambiguous"].format(
            name="สมศรี ใจดี", people="• สมศรี ใจดี (ชุมชนวัดบางนา)\n• สมศรี ใจดี (ชุมชนตลาดบางนา)")),
        (U["chair"], f"ตอบแทน {CODE} สมศรี ใจดี (ชุมชนวัดบางนา) ไป",
         going("สมศรี ใจดี") + "\n" + t("rsvp.by_proxy", leader="คุณchair")),
        # The วัดบางนา leader only looks after วัดบางนา: no ambiguity there.
        (U["leader"], f"ตอบแทน {CODE} สมศรี ใจดี ไม่ไป",
         T["rsvp.not_going"].format(name="สมศรี ใจดี", title=TITLE) + "\n" + t(
             "rsvp.by_proxy", leader="คุณleader")),
    ])
    assert rsvps(db, activity_id) == [("somsri", Answer.NOT_GOING, 0, "ชุมชนวัดบางนา", False, "leader")]


# --- attendees ------------------------------------------------------------------------------------

@pytest.fixture
def answered(dialog, activity, clock):
    """An activity with capacity 4 and 2 seats per community, and answers from three communities."""
    activity_id = activity(capacity=4, seats_per_community=2)
    for user, text in [("somsri", f"ไป {CODE} +1"), ("somchai", f"ไป {CODE}"), ("malee", f"ไม่แน่ใจ {CODE}"),
                       ("somsak", f"ไม่ไป {CODE}"), ("somying", f"ไป {CODE}"), ("other_leader", f"ไป {CODE}")]:
        clock.advance(minutes=1)
        dialog.say(U[user], text)
    return activity_id


COUNTS = [
    "ผู้ตอบรับ “ประชุมเครือข่ายโซน 1” (รหัส K7M2)",
    WHEN,
    "รับได้ 4 คน · ว่างอีก 0 ที่",
    "ชุมชนละไม่เกิน 2 คน",
    "รวม: ไป 4 · ไม่แน่ใจ 1 · ไม่ไป 1 · สำรอง 1",
    "• ชุมชนคลองบางนา: ไป 1 · ไม่แน่ใจ 0 · ไม่ไป 0 · สำรอง 1",
    "• ชุมชนตลาดบางนา: ไป 1 · ไม่แน่ใจ 1 · ไม่ไป 0 · สำรอง 0",
    "• ชุมชนวัดบางนา: ไป 2 · ไม่แน่ใจ 0 · ไม่ไป 1 · สำรอง 0",
]


def test_attendees_counts_by_community_without_names_for_members(dialog, answered) -> None:
    hidden = "\n".join([*COUNTS, T["attendees.names_hidden"]])
    dialog.run([
        (U["somsri"], f"ผู้เข้าร่วม {CODE}", hidden),
        # Someone of no district reads no district's activity (tests/handlers/test_permissions.py).
        (U["stranger"], "ผู้เข้าร่วม k7m2", T["rsvp.unknown_code"].format(code="k7m2", events="กิจกรรม")),
        (U["partner"], f"ผู้เข้าร่วม {CODE}", hidden),
        # The canal leader is a leader, but not of a community of zone 1.
        (U["other_leader"], f"ผู้เข้าร่วม {CODE}", hidden),
    ])


def test_attendees_names_for_leaders_in_a_private_chat_only(dialog, answered) -> None:
    names = "\n".join([
        *COUNTS[:5],
        "• ชุมชนคลองบางนา: ไป 1 · ไม่แน่ใจ 0 · ไม่ไป 0 · สำรอง 1",
        "   ไป: สมหญิง ทองดี",
        "   สำรอง: คุณother_leader",
        "• ชุมชนตลาดบางนา: ไป 1 · ไม่แน่ใจ 1 · ไม่ไป 0 · สำรอง 0",
        "   ไป: สมชาย แก้วมณี",
        "   ไม่แน่ใจ: มาลี ศรีสุข",
        "• ชุมชนวัดบางนา: ไป 2 · ไม่แน่ใจ 0 · ไม่ไป 1 · สำรอง 0",
        "   ไป: สมศรี ใจดี (+1)",
        "   ไม่ไป: สมศักดิ์ ใจดี",
    ])
    dialog.run([
        (U["leader"], f"ผู้เข้าร่วม {CODE}", names),
        (U["chair"], f"ผู้เข้าร่วม {CODE}", names),
        (U["staff"], f"ผู้เข้าร่วม {CODE}", names),
        # In a group everyone would read them: counts only, and where to see the names.
        (U["leader"], f"บอท ผู้เข้าร่วม {CODE}", "\n".join([*COUNTS, T["attendees.names_private"]]), GROUP_WAT),
    ])


def test_attendees_in_english_and_odd_input(dialog, activity) -> None:
    activity()
    dialog.run([
        (U["somsri"], f"attendees {CODE}", "\n".join([
            "Answers for “ประชุมเครือข่ายโซน 1” (code K7M2)", WHEN_EN, "Nobody has answered yet."])),
        (U["somsri"], "attendees", E["attendees.usage"].format(command="attendees", events="events")),
        (U["somsri"], "ผู้เข้าร่วม", T["attendees.usage"].format(command="ผู้เข้าร่วม", events="กิจกรรม")),
        (U["somsri"], "ผู้เข้าร่วม XXXX", T["rsvp.unknown_code"].format(code="XXXX", events="กิจกรรม")),
    ])


# --- end to end -----------------------------------------------------------------------------------

def test_a_member_of_another_group_answering_by_button_is_counted(dialog, activity, db, session_factory, clock,
                                                                  district) -> None:
    """The card was announced in the วัดบางนา group; สมชาย taps ไป on it in the ตลาดบางนา group and
    สมหญิง (zone 2) in her 1:1 chat: both count, each for their own community."""
    activity_id = activity()
    with session_factory() as session, session.begin():
        reg.link_chat(session, GROUP_WAT, session.get(Community, district.wat.id), None, clock())
        reg.link_chat(session, GROUP_MARKET, session.get(Community, district.market.id), None, clock())
    assert dialog.postback(U["somchai"], rsvp_data(activity_id, "going"), group=GROUP_MARKET) == [
        going("สมชาย แก้วมณี")]
    assert dialog.postback(U["somying"], rsvp_data(activity_id, "going", 1)) == [going("สมหญิง ทองดี", 1)]
    replies = [r for r in dialog.fake_line.state.requests if r.path == "/v2/bot/message/reply"]
    assert [r.status for r in replies] == [200, 200]
    assert rsvps(db, activity_id) == [
        ("somchai", Answer.GOING, 0, "ชุมชนตลาดบางนา", False, None),
        ("somying", Answer.GOING, 1, "ชุมชนคลองบางนา", False, None),
    ]
    dialog.run([(U["somsri"], f"ผู้เข้าร่วม {CODE}", "\n".join([
        COUNTS[0], WHEN, "รวม: ไป 3 · ไม่แน่ใจ 0 · ไม่ไป 0 · สำรอง 0",
        "• ชุมชนคลองบางนา: ไป 2 · ไม่แน่ใจ 0 · ไม่ไป 0 · สำรอง 0",
        "• ชุมชนตลาดบางนา: ไป 1 · ไม่แน่ใจ 0 · ไม่ไป 0 · สำรอง 0",
        T["attendees.names_hidden"]]))])


def test_another_districts_member_can_neither_answer_nor_check_in(dialog, district, activity, session_factory,
                                                                   clock, db) -> None:
    ident = activity()
    with session_factory() as session, session.begin():
        seed_outsider(session, clock())
    clock.now = START - timedelta(minutes=30)  # check-in is open
    refused = [T["rsvp.other_district"].format(code=CODE)]
    assert dialog.postback(OUTSIDER, f"a=rsvp&id={ident}&v=going") == refused
    assert dialog.postback(OUTSIDER, f"a=checkin&id={ident}") == refused
    # A typed code of another district is not found, as a code nobody has (tests/handlers/test_permissions.py).
    unknown = [T["rsvp.unknown_code"].format(code=CODE, events="กิจกรรม")]
    assert dialog.say(OUTSIDER, f"ไป {CODE} +2") == unknown
    assert dialog.say(OUTSIDER, f"เช็คอิน {CODE}") == unknown
    assert rsvps(db, ident) == []
    # The district's own member may.
    assert dialog.postback(U["member"], f"a=rsvp&id={ident}&v=going") != refused
    assert [who for who, *_ in rsvps(db, ident)] == ["member"]


def test_an_answer_without_a_code_offers_the_upcoming_activities_as_buttons(dialog, activity, db) -> None:
    """"ไป" alone (what people type after reading a card) used to get only the usage text: now also one button
    per activity they may answer, soonest first, that answers it."""
    activity()
    activity("Q2XW", title="อบรมปฐมพยาบาล", starts_at=START + timedelta(days=2), ends_at=START + timedelta(days=2, hours=2))
    dialog.run([(U["somsri"], "ไม่ไปครับ", T["rsvp.usage"].format(command="ไม่ไป", events="กิจกรรม"))])
    last = dialog.fake_line.state.requests[-1].body["messages"][-1]
    assert [(i["action"]["label"], i["action"]["text"]) for i in last["quickReply"]["items"]] == [
        ("K7M2 ประชุมเครือข่ายโซ…", "ไม่ไป K7M2"), ("Q2XW อบรมปฐมพยาบาล", "ไม่ไป Q2XW")]
    dialog.run([(U["somsri"], "ไม่ไป Q2XW", T["rsvp.not_going"].format(name="สมศรี ใจดี", title="อบรมปฐมพยาบาล"))])
    # In a group the button calls the bot, or it would not be read.
    dialog.say(U["somsri"], "บอท ไป", group="C" + "e" * 32)
    last = dialog.fake_line.state.requests[-1].body["messages"][-1]
    assert [i["action"]["text"] for i in last["quickReply"]["items"]] == ["บอท ไป K7M2", "บอท ไป Q2XW"]


def test_a_code_with_a_polite_ending_is_the_code(dialog, answered) -> None:
    """"ผู้เข้าร่วม K7M2 ครับ", "แก้ไขกิจกรรม K7M2 ค่ะ": the code was read as "K7M2 ครับ" and not found."""
    hidden = "\n".join([*COUNTS, T["attendees.names_hidden"]])
    dialog.run([(U["somsri"], f"ผู้เข้าร่วม {CODE} ครับ", hidden)])
    assert dialog.say(U["leader"], f"ยกเลิกกิจกรรม {CODE} ค่ะ")[0].startswith(
        t("event.ask_cancel", title=TITLE, when=WHEN.split(" เวลา")[0], count=0).split("”")[0])


GROUP_OTHER = "C" + "e" * 32


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        # In a group a command is read only after "บอท": the usage writes it so, and guests only for going.
        ("บอท ไป", "พิมพ์ “บอท ไป” ตามด้วยรหัสกิจกรรม เช่น “บอท ไป K7M2” ถ้าพาผู้ติดตามไปด้วย พิมพ์ “บอท ไป K7M2 +2” "
                   "หรือ “บอท ไป K7M2 พา 2 คน” (ผู้ติดตาม 2 คน) หรือบอกจำนวนทั้งหมดรวมตัวคุณ เช่น “บอท ไป K7M2 3 คน” "
                   "ดูรหัสกิจกรรมได้ด้วยคำสั่ง “บอท กิจกรรม” ครับ"),
        ("บอท ไม่ไป", "พิมพ์ “บอท ไม่ไป” ตามด้วยรหัสกิจกรรม เช่น “บอท ไม่ไป K7M2” ดูรหัสกิจกรรมได้ด้วยคำสั่ง “บอท กิจกรรม” ครับ"),
        ("บอท ไม่แน่ใจ", T["rsvp.usage"].format(command="บอท ไม่แน่ใจ", events="บอท กิจกรรม")),
        (f"บอท ไม่ไป {CODE} ติดธุระ", T["rsvp.usage"].format(command="บอท ไม่ไป", events="บอท กิจกรรม")),
        ("bot not going", E["rsvp.usage"].format(command="bot not going", events="bot events")),
        ("bot going", E["rsvp.usage_going"].format(command="bot going", events="bot events")),
        (f"บอท ไป {CODE} -1", T["rsvp.guests_invalid"].format(max=10, command="บอท ไป")),
        ("บอท ไป ZZZZ", T["rsvp.unknown_code"].format(code="ZZZZ", events="บอท กิจกรรม")),
        ("บอท ผู้เข้าร่วม ZZZZ", T["rsvp.unknown_code"].format(code="ZZZZ", events="บอท กิจกรรม")),
        ("บอท ผู้เข้าร่วม", "พิมพ์ “บอท ผู้เข้าร่วม” ตามด้วยรหัสกิจกรรม เช่น “บอท ผู้เข้าร่วม K7M2” "
                           "ดูรหัสได้ด้วยคำสั่ง “บอท กิจกรรม” ครับ"),
        ("บอท เช็คอิน", T["checkin.usage"].format(command="บอท เช็คอิน")),
        ("bot checkin", E["checkin.usage"].format(command="bot checkin")),
    ],
)
def test_usage_in_a_group_calls_the_bot_and_fits_the_answer(dialog, activity, db, text, reply) -> None:
    activity_id = activity()
    dialog.run([(U["somsri"], text, reply, GROUP_OTHER)])
    assert rsvps(db, activity_id) == []


def test_a_leaders_proxy_usage_in_a_group_calls_the_bot(dialog, activity, db) -> None:
    activity_id = activity()
    dialog.run([(U["leader"], "บอท ตอบแทน", T["proxy.usage"].format(command="บอท ตอบแทน"), GROUP_OTHER)])
    assert T["proxy.usage"].format(command="บอท ตอบแทน").count("“บอท ตอบแทน") == 5
    assert rsvps(db, activity_id) == []


@pytest.mark.parametrize(("text", "key", "values"), [
    ("บอท แก้ไขกิจกรรม", "event.edit_usage", {"command": "บอท แก้ไขกิจกรรม"}),
    ("บอท ยกเลิกกิจกรรม", "event.cancel_usage", {"command": "บอท ยกเลิกกิจกรรม"}),
    ("บอท รายงาน", "report.usage", {"command": "บอท รายงาน", "events": "บอท กิจกรรม"}),
])
def test_other_usages_in_a_group_call_the_bot(dialog, activity, text, key, values) -> None:
    """Before, these usage texts wrote the bare keyword, which a group ignores without "บอท"."""
    activity()
    dialog.run([(U["leader"], text, T[key].format(**values), GROUP_OTHER)])
