"""A name look-up never acts on someone who was not clearly named (issue 18): `ตอบแทน ยายมี ไป` in a community
with no ยายมี must not answer for "ทองดี มีสุข" nor report "บุญมี ศรีสุข" in need of help. The same name or the
same given name acts; a piece of a name only offers who it may be, with buttons that act for the sender, once."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import func, select

from bot.config import TIMEZONE
from handlers.catalog import en, th
from handlers.services import registry as reg
from models import Activity, ActivityStatus, Answer, InviteCode, NoticeAck, OutboxMessage, Person, Rsvp
from scheduler import notices as notice_jobs
from scheduler.jobs import dispatch_outbox
from support.dialog import Dialog
from support.registry import USERS
from support.texts import e, t

T, E = th.TEXT, en.TEXT
STAFF, CHAIR, LEADER = USERS["staff"], USERS["chair"], USERS["leader"]
THONGDEE_LINE = "U" + "9" * 32
THONGDEE, BOONMEE = "ทองดี มีสุข", "บุญมี ศรีสุข"
WAT = "ชุมชนวัดบางนา"
CODE = "K7M2"
TITLE = "ประชุมเครือข่ายโซน 1"
START = datetime(2026, 11, 28, 9, 0, tzinfo=TIMEZONE)
WHEN = "วันเสาร์ที่ 28 พฤศจิกายน 2569 เวลา 09:00 น."
GROUP = "C" + "a" * 32
SUGGESTED = f"• {THONGDEE} ({WAT})\n• {BOONMEE} ({WAT})"


@pytest.fixture
def dialog(checked_dialog: Dialog) -> Dialog:
    """Two workers; LINE (the fake, validating with the SDK's models) must accept every reply and push."""
    return checked_dialog


@pytest.fixture
def people(session_factory, clock, district) -> dict[str, int]:
    """ทองดี มีสุข (on LINE) and บุญมี ศรีสุข (no LINE, a phone number) in ชุมชนวัดบางนา; no ยายมี anywhere."""
    with session_factory() as session, session.begin():
        wat = session.merge(district.wat)
        thongdee = reg.register_person(session, THONGDEE_LINE, full_name=THONGDEE, community=wat, phone="0811111111",
                                       display_name=None, now=clock())
        boonmee = Person(full_name=BOONMEE, phone="0892222222", consent_version=reg.CONSENT_VERSION,
                         consented_at=clock(), created_at=clock(), updated_at=clock())
        session.add(boonmee)
        session.flush()
        reg.join_community(session, boonmee, wat, clock())
        session.add(Activity(code=CODE, title=TITLE, organization_id=district.org.id, network_id=district.zone1.id,
                             host_community_id=district.wat.id, starts_at=START, ends_at=START + timedelta(hours=3),
                             place_text="ศาลาวัดบางนา", status=ActivityStatus.PLANNED, created_at=clock(),
                             updated_at=clock()))
        return {"thongdee": thongdee.id, "boonmee": boonmee.id}


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def rsvps(db) -> list[tuple]:
    db.expire_all()
    return [(db.get(Person, r.person_id).full_name, r.answer) for r in db.scalars(select(Rsvp).order_by(Rsvp.id))]


def buttons(dialog: Dialog) -> list[tuple[str, str, str]]:
    """(label, kind, postback data or text) of the quick replies on the bot's last message."""
    last = dialog.fake_line.state.requests[-1].body["messages"][-1]
    return [(i["action"]["label"], i["action"]["type"], i["action"].get("data") or i["action"].get("text"))
            for i in last["quickReply"]["items"]]


def pick(person_id: int) -> str:
    return f"a=flow&p={person_id}"


def suggestion(name: str, lang: str = "th") -> str:
    return (t if lang == "th" else e)("proxy.suggest", name=name, people=SUGGESTED)


def going(name: str) -> str:
    return t("rsvp.going", name=name, title=TITLE, when=WHEN) + "\n" + t("rsvp.by_proxy", leader="คุณleader")


# --- an activity answer ----------------------------------------------------------------------------

def test_part_of_a_name_answers_for_nobody_and_offers_who_it_may_be(dialog, people, db) -> None:
    dialog.run([(LEADER, f"ตอบแทน {CODE} ยายมี ไป", suggestion("ยายมี"))])
    assert buttons(dialog) == [("ทองดี มีสุข (ชุมชนวัดบาง…", "postback", pick(people["thongdee"])),
                               ("บุญมี ศรีสุข (ชุมชนวัดบาง…", "postback", pick(people["boonmee"])),
                               ("ยกเลิก", "message", "ยกเลิก")]
    assert rsvps(db) == []
    assert count(db, OutboxMessage) == 1  # the reply only: ทองดี is pushed nothing
    # "ช่วยเหลือ" meanwhile says what is open and asks again, with the same buttons.
    dialog.run([(LEADER, "ช่วยเหลือ", t("flow.help_in_flow", doing=T["flow.doing.pick_person"]) + "\n"
                 + suggestion("ยายมี"))])
    assert [b[2] for b in buttons(dialog)] == [pick(people["thongdee"]), pick(people["boonmee"]), "ยกเลิก"]


def test_the_confirm_button_acts_once_and_the_member_is_told(dialog, people, db, jobs, fake_line) -> None:
    dialog.say(LEADER, f"ตอบแทน {CODE} ยายมี ไป")
    assert dialog.postback(LEADER, pick(people["thongdee"])) == [going(THONGDEE)]
    assert rsvps(db) == [(THONGDEE, Answer.GOING)]
    assert dispatch_outbox(jobs) == {"sent": 1}
    assert [r.body["to"] for r in fake_line.state.deliveries("push")] == [THONGDEE_LINE]
    # Tapped again, or the other name tapped after it: nothing more.
    assert dialog.postback(LEADER, pick(people["thongdee"])) == [T["flow.expired"]]
    assert dialog.postback(LEADER, pick(people["boonmee"])) == [T["flow.expired"]]
    assert rsvps(db) == [(THONGDEE, Answer.GOING)]


def test_in_a_group_the_buttons_act_only_for_the_sender(dialog, people, db) -> None:
    """Another leader of the same members (the zone's chair) sees the buttons in the group: tapping them
    answers no conversation of theirs, so nothing is recorded, and the sender's stays open."""
    dialog.say(LEADER, f"บอท ตอบแทน {CODE} ยายมี ไป", group=GROUP)
    assert dialog.postback(CHAIR, pick(people["boonmee"]), group=GROUP) == [T["flow.expired"]]
    assert rsvps(db) == []
    assert dialog.postback(LEADER, pick(people["boonmee"]), group=GROUP) == [going(BOONMEE)]
    assert rsvps(db) == [(BOONMEE, Answer.GOING)]


def test_a_forged_button_or_a_typed_answer_acts_on_nobody(dialog, people, db, session_factory, clock) -> None:
    with session_factory() as session, session.begin():
        stranger = Person(full_name="มีนา ใจดี", consent_version=reg.CONSENT_VERSION, consented_at=clock(),
                          created_at=clock(), updated_at=clock())
        session.add(stranger)  # in no community of the leader's
        session.flush()
        stranger_id = stranger.id
    dialog.say(LEADER, f"ตอบแทน {CODE} ยายมี ไป")
    assert dialog.postback(LEADER, pick(stranger_id)) == [T["postback.unknown"]]
    dialog.say(LEADER, f"ตอบแทน {CODE} ยายมี ไป")
    dialog.run([(LEADER, "ใช่", T["proxy.pick_dropped"])])
    assert dialog.postback(LEADER, pick(people["thongdee"])) == [T["flow.expired"]]
    assert rsvps(db) == []
    # A command typed instead of tapping runs as typed.
    dialog.say(LEADER, f"ตอบแทน {CODE} ยายมี ไป")
    dialog.run([(LEADER, f"ตอบแทน {CODE} บุญมี ศรีสุข ไม่ไป",
                 t("rsvp.not_going", name=BOONMEE, title=TITLE) + "\n" + t("rsvp.by_proxy", leader="คุณleader"))])
    assert rsvps(db) == [(BOONMEE, Answer.NOT_GOING)]


def test_a_role_lost_before_the_tap_is_refused(dialog, people, db, session_factory, district) -> None:
    from models import Membership, RoleName

    dialog.say(LEADER, f"ตอบแทน {CODE} ยายมี ไป")
    with session_factory() as session, session.begin():
        leader = reg.find_person(session, LEADER)
        session.execute(Membership.__table__.delete().where(Membership.person_id == leader.id,
                                                            Membership.role == RoleName.COMMUNITY_LEADER))
    assert dialog.postback(LEADER, pick(people["thongdee"])) == [
        t("command.refused", keyword="ตอบแทน", role=T["role.3"])]
    assert rsvps(db) == []


def test_check_in_by_part_of_a_name_checks_in_nobody(dialog, people, db) -> None:
    dialog.run([(LEADER, f"เช็คอิน {CODE} ยายมี", suggestion("ยายมี"))])
    assert count(db, Rsvp) == 0


@pytest.mark.parametrize(("typed", "name"), [
    (f"คุณ{THONGDEE}", THONGDEE),   # the same name, a title forgiven
    ("ทองดีมีสุข", THONGDEE),      # spacing forgiven
    ("ทองดี", THONGDEE),           # the whole given name, as people call each other
    ("ยายบุญมี", BOONMEE),
])
def test_a_clearly_named_member_is_answered_for_at_once(dialog, people, db, typed, name) -> None:
    dialog.run([(LEADER, f"ตอบแทน {CODE} {typed} ไป", going(name))])
    assert rsvps(db) == [(name, Answer.GOING)]


def test_in_english(dialog, people, db) -> None:
    dialog.run([(STAFF, f"proxy {CODE} มี going", e("proxy.suggest", name="มี", people=SUGGESTED))])
    assert dialog.postback(STAFF, pick(people["thongdee"])) == [
        e("rsvp.going", name=THONGDEE, title=TITLE, when="Saturday 28 November 2026, 09:00") + "\n"
        + e("rsvp.by_proxy", leader="คุณstaff")]


# --- an alert ------------------------------------------------------------------------------------

ALERT = "น้ำท่วมซอยวัด"


def send_alert(dialog: Dialog, jobs) -> None:
    dialog.run([
        (STAFF, "แจ้งเตือนด่วน", T["alert.ask_scope"]),
        (STAFF, WAT, t("notice.target_set", target=WAT) + "\n" + t("notice.ask_text", limit=2000)),
        (STAFF, ALERT, T["notice.ask_attachment"]),
    ])
    dialog.say(STAFF, "ข้าม")
    dialog.say(STAFF, "ส่ง")
    notice_jobs.send_notices(jobs)
    dispatch_outbox(jobs)


def test_no_false_emergency_for_part_of_a_name(dialog, people, db, jobs, fake_line) -> None:
    send_alert(dialog, jobs)
    before = len(fake_line.state.requests)
    dialog.run([(LEADER, "ตอบแทน ยายมี ต้องการความช่วยเหลือ", suggestion("ยายมี"))])
    assert count(db, NoticeAck) == 0
    assert dispatch_outbox(jobs) == {}
    assert [r.path for r in fake_line.state.requests[before:]] == ["/v2/bot/message/reply"]
    # Confirmed, it is reported, with the right member's phone.
    replies = dialog.postback(LEADER, pick(people["boonmee"]))
    assert replies[0].startswith(f"🆘 บันทึกแล้วครับ คุณ{BOONMEE} ต้องการความช่วยเหลือ")
    assert [(db.get(Person, a.person_id).full_name, a.kind) for a in db.scalars(select(NoticeAck))] == [
        (BOONMEE, "need_help")]


# --- erasing and LINE codes --------------------------------------------------------------------------

def test_remove_member_by_part_of_a_name_asks_first(dialog, people, db) -> None:
    """Only members without LINE can be removed: บุญมี alone is offered, and still asked about after the tap."""
    dialog.run([(LEADER, "ลบสมาชิก ยายมี", t("proxy.suggest", name="ยายมี", people=f"• {BOONMEE} ({WAT})"))])
    assert [b[2] for b in buttons(dialog)] == [pick(people["boonmee"]), "ยกเลิก"]
    assert dialog.postback(LEADER, pick(people["boonmee"])) == [
        t("offline.remove_ask", name=BOONMEE, community=WAT)]
    dialog.run([(LEADER, "ลบ", t("offline.removed", name=BOONMEE))])
    assert db.get(Person, people["boonmee"]) is None
    assert db.get(Person, people["thongdee"]) is not None


def test_a_line_code_is_made_only_for_a_clearly_named_member(dialog, people, db) -> None:
    dialog.run([(LEADER, "ผูกไลน์ ยายมี", t("proxy.suggest", name="ยายมี", people=f"• {BOONMEE} ({WAT})"))])
    assert count(db, InviteCode) == 0
    replies = dialog.postback(LEADER, pick(people["boonmee"]))
    code = db.scalars(select(InviteCode.code).where(InviteCode.person_id == people["boonmee"])).one()
    assert replies[1] == t("link.forward", code=code)
    # ทองดี has LINE: "ทองดี" names him, and says so; "ดี" (part of his name) says nothing about him.
    dialog.run([(LEADER, "ผูกไลน์ ทองดี", t("link.already_linked", name=THONGDEE)),
                (LEADER, "ผูกไลน์ ดี", t("offline.not_found", name="ดี"))])


def test_postback_data_stays_within_lines_limit() -> None:
    assert len(pick(999_999_999)) <= 300
    assert dict(parse_qsl(pick(12))) == {"a": "flow", "p": "12"}
