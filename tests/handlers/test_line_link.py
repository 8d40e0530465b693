"""A member without LINE who gets it later: the leader's code (`ผูกไลน์`) links their new LINE to the same
row, or folds the row into the one they registered meanwhile; a name alone never does."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from bot.config import TIMEZONE
from handlers.thaitime import format_when_in
from handlers.catalog import th
from handlers.services import registry as reg
from models import AckKind, InviteCode, NoticeAck, Organization, Person, RoleName, Rsvp
from scheduler import notices as notice_jobs
from scheduler.jobs import dispatch_outbox
from support.activities import make_activity
from support.dialog import Dialog
from support.registry import USERS
from support.texts import e, t

T = th.TEXT
LEADER, MEMBER, STRANGER = USERS["leader"], USERS["member"], USERS["stranger"]
CHAIR, CANAL_LEADER = USERS["chair"], USERS["other_leader"]
NEWCOMER = "U" + "8" * 32
START = datetime(2026, 11, 28, 9, 0, tzinfo=TIMEZONE)
CODE = "K7M2"
NAME = "บุญมา ศรีสุข"
WAT = "ชุมชนวัดบางนา"


@pytest.fixture
def dialog(checked_dialog: Dialog) -> Dialog:
    return checked_dialog


@pytest.fixture
def activity_id(session_factory, clock, district) -> int:
    with session_factory() as session, session.begin():
        return make_activity(session, district, CODE, "ประชุมเครือข่ายโซน 1", START, created=clock()).id


def add_offline(dialog: Dialog, name: str = NAME, phone: str = "ไม่มีเบอร์ค่ะ") -> None:
    dialog.say(LEADER, "เพิ่มสมาชิก")
    dialog.say(LEADER, name)
    dialog.say(LEADER, phone)
    assert dialog.say(LEADER, "ยินยอมแล้ว")[0].startswith(t("offline.added", name=name, community=WAT, proxy="ตอบแทน",
                                                            remove="ลบสมาชิก", link="ผูกไลน์")[:40])


def give_code(dialog: Dialog, clock, name: str = "บุญมา", full_name: str = NAME) -> str:
    """The leader asks for a code; returns it, after checking both messages."""
    replies = dialog.say(LEADER, f"ผูกไลน์ {name}")
    code = replies[1].removeprefix("รหัส ")
    assert replies == [t("link.code", name=full_name, community=WAT, code=code,
                         until=format_when_in("th", clock() + reg.INVITE_TTL)), t("link.forward", code=code)]
    return code


def people_named(db, name: str = NAME) -> list[tuple]:
    """(LINE user id, consent recorded by a leader?, answers) of everyone with this name."""
    db.expire_all()
    return [(p.line_user_id, p.consent_recorded_by_id is not None,
             sorted(str(a) for a in db.scalars(select(Rsvp.answer).where(Rsvp.person_id == p.id))))
            for p in db.scalars(select(Person).where(Person.full_name == name).order_by(Person.id))]


def test_the_member_links_their_new_line_and_the_leader_is_told(dialog, district, activity_id, db, clock, jobs,
                                                                fake_line) -> None:
    add_offline(dialog)
    dialog.say(LEADER, f"ตอบแทน {CODE} บุญมา ไป")
    code = give_code(dialog, clock)
    dialog.run([(STRANGER, f"รหัส {code}", t("link.ask_consent", name=NAME, community=WAT,
                                             consent=T["register.consent"]))])
    assert dialog.quick_replies() == ["ยินยอม", "ไม่ยินยอม"]
    assert people_named(db) == [(None, True, ["going"])]  # nothing changes before they agree
    dialog.run([(STRANGER, "ยินยอมค่ะ", t("link.done", name=NAME, community=WAT))])
    # The same row, now theirs: their answer stays, and they agreed themselves.
    assert people_named(db) == [(STRANGER, False, ["going"])]
    before = len(fake_line.state.requests)
    assert dispatch_outbox(jobs) == {"sent": 1}
    [push] = fake_line.state.requests[before:]
    assert push.body["to"] == LEADER
    assert push.body["messages"][0]["text"] == t("link.done_leader", name=NAME, community=WAT)
    # They now answer for themselves, and the code works once only.
    assert dialog.say(STRANGER, f"ไม่ไป {CODE}")[0].startswith("บันทึกแล้วครับ")
    assert people_named(db) == [(STRANGER, False, ["not_going"])]
    dialog.run([
        (NEWCOMER, f"รหัส {code}", T["invite.used"]),
        # Typed again by the member, it says they are done rather than "ask for a new code".
        (STRANGER, f"รหัส {code}", t("link.already_done", name=NAME)),
        # And the leader asking for a code again is told they need none.
        (LEADER, "ผูกไลน์ บุญมา", t("link.already_linked", name=NAME)),
    ])


def test_a_member_who_registered_meanwhile_is_told_and_merges_with_the_code(dialog, district, activity_id, db,
                                                                            clock, jobs, fake_line) -> None:
    add_offline(dialog)
    dialog.say(LEADER, f"ตอบแทน {CODE} บุญมา ไป")
    dialog.say(STRANGER, "สมัคร")
    dialog.say(STRANGER, NAME)
    dialog.say(STRANGER, "วัดบางนา")
    dialog.say(STRANGER, "ข้าม")
    # Registering under the same name takes nothing over, but says how to join the two.
    dialog.run([(STRANGER, "ยินยอม", [t("register.done", name=NAME, community=WAT),
                                      t("link.namesake_hint", name=NAME, community=WAT)])])
    assert people_named(db) == [(None, True, ["going"]), (STRANGER, False, [])]
    # The community's leader is told, to give the code if it is the same person.
    before = len(fake_line.state.requests)
    assert dispatch_outbox(jobs) == {"sent": 1}
    [push] = fake_line.state.requests[before:]
    assert (push.body["to"], push.body["messages"][0]["text"]) == (
        LEADER, t("link.namesake_leader", name=NAME, community=WAT, command="ผูกไลน์"))
    code = give_code(dialog, clock)  # only the member without LINE is found
    dialog.run([
        (STRANGER, f"รหัส {code}", t("link.ask_merge", offline=NAME, community=WAT, name=NAME)),
        (STRANGER, "อะไรนะ", t("link.merge_again") + "\n\n" + t("link.ask_merge", offline=NAME, community=WAT,
                                                                  name=NAME)),
        (STRANGER, "รวมข้อมูล", t("link.merged", offline=NAME, name=NAME, moved=1)),
    ])
    assert people_named(db) == [(STRANGER, False, ["going"])]


def test_their_own_answer_stands_when_both_answered(dialog, district, activity_id, db, clock) -> None:
    add_offline(dialog, phone="081-234-5678 ของลูกสาวค่ะ")
    dialog.say(LEADER, f"ตอบแทน {CODE} บุญมา ไป")
    for text in ("สมัคร", NAME, "วัดบางนา", "ข้าม", "ยินยอม", f"ไม่แน่ใจ {CODE}"):
        dialog.say(STRANGER, text)
    code = give_code(dialog, clock)
    dialog.say(STRANGER, f"รหัส {code}")
    dialog.run([(STRANGER, "รวม", t("link.merged_nothing_to_move", offline=NAME, name=NAME))])
    assert people_named(db) == [(STRANGER, False, ["maybe"])]
    # The number the leader wrote down stays reachable: they gave none themselves.
    db.expire_all()
    assert db.scalars(select(Person.phone).where(Person.line_user_id == STRANGER)).one() == "0812345678"


def test_declining_or_not_merging_changes_nothing(dialog, district, activity_id, db, clock) -> None:
    add_offline(dialog)
    code = give_code(dialog, clock)
    dialog.say(STRANGER, f"รหัส {code}")
    dialog.run([(STRANGER, "ไม่ยินยอม", T["link.declined"])])
    for text in ("สมัคร", "สมชาย ใจดี", "วัดบางนา", "ข้าม", "ยินยอม", f"รหัส {code}"):
        dialog.say(STRANGER, text)
    dialog.run([(STRANGER, "ไม่รวม", T["link.not_merged"])])
    assert people_named(db) == [(None, True, [])]
    assert people_named(db, "สมชาย ใจดี") == [(STRANGER, False, [])]


def test_codes_prove_who_someone_is_and_only_the_newest_works(dialog, district, db, clock) -> None:
    add_offline(dialog)
    first = give_code(dialog, clock)
    second = give_code(dialog, clock)
    dialog.run([
        (NEWCOMER, f"รหัส {first}", T["invite.expired"]),
        # The leader who got the code cannot use it on themselves.
        (LEADER, f"รหัส {second}", t("link.own_code", name=NAME)),
        # A leader elsewhere is not them either.
        (CANAL_LEADER, f"join {second}", e("link.own_code", name=NAME)),
    ])
    # Someone registered in another community is told how to move first.
    for text in ("สมัคร", "สมชาย ใจดี", "คลองบางนา", "ข้าม", "ยินยอม"):
        dialog.say(NEWCOMER, text)
    dialog.run([(NEWCOMER, f"รหัส {second}", t("link.other_community", offline=NAME, community=WAT,
                                               own="ชุมชนคลองบางนา"))])
    assert people_named(db) == [(None, True, [])]
    # Once erased, the code goes with them.
    dialog.say(LEADER, f"ลบสมาชิก {NAME}")
    dialog.say(LEADER, "ลบ")
    dialog.run([(NEWCOMER, f"รหัส {second}", T["invite.unknown"])])
    db.expire_all()
    assert db.scalars(select(InviteCode).where(InviteCode.person_id.is_not(None))).all() == []


def test_codes_are_only_for_leaders_of_the_member_and_only_for_members_without_line(dialog, district, db) -> None:
    add_offline(dialog)
    dialog.run([
        (MEMBER, f"ผูกไลน์ {NAME}", t("command.refused", keyword="ผูกไลน์", role=T["role.3"])),
        (CANAL_LEADER, f"ผูกไลน์ {NAME}", t("offline.not_found", name=NAME)),
        (LEADER, "ผูกไลน์ คุณmember", t("link.already_linked", name="คุณmember")),
        (LEADER, "ผูกไลน์", T["line_link.usage"]),
        (LEADER, "บอท ผูกไลน์ บุญมา", t("command.wrong_chat_group", keyword="ผูกไลน์"), "C" + "9" * 32),
    ])
    # A chair of the zone may give one too.
    assert dialog.say(CHAIR, "line code บุญมา")[1].startswith("join ")
    db.expire_all()
    assert len(db.scalars(select(InviteCode).where(InviteCode.person_id.is_not(None))).all()) == 1
    assert people_named(db) == [(None, True, [])]


def test_a_title_does_not_hide_the_namesake(dialog, district, db) -> None:
    add_offline(dialog, "ยายบุญมา ศรีสุข")
    for text in ("สมัคร", "บุญมา ศรีสุข", "วัดบางนา", "ข้าม"):
        dialog.say(STRANGER, text)
    dialog.run([(STRANGER, "ยินยอม", [t("register.done", name=NAME, community=WAT),
                                      t("link.namesake_hint", name=NAME, community=WAT)])])


def test_people_who_look_after_members_never_become_one_by_a_forwarded_code(dialog, district, db, clock,
                                                                            session_factory) -> None:
    add_offline(dialog)
    code = give_code(dialog, clock)
    staff_only = "U" + "c" * 32  # staff granted from the command line: a role, but never registered
    with session_factory() as session, session.begin():
        reg.grant(session, reg.ensure_person(session, staff_only, clock()), RoleName.STAFF,
                  session.get(Organization, district.org.id), now=clock())
    dialog.run([
        (staff_only, f"รหัส {code}", t("link.own_code", name=NAME)),
        (CHAIR, f"รหัส {code}", t("link.own_code", name=NAME)),
        # In a group the member's details and the consent text are not shown.
        (NEWCOMER, f"บอท รหัส {code}", T["link.private_only"], "C" + "9" * 32),
    ])
    db.expire_all()
    assert db.scalars(select(Person.id).where(Person.line_user_id == staff_only)).one() is not None
    assert people_named(db) == [(None, True, [])]


def test_a_member_erased_while_the_newcomer_reads_the_consent_is_told_plainly(dialog, district, db, clock) -> None:
    add_offline(dialog)
    code = give_code(dialog, clock)
    dialog.say(STRANGER, f"รหัส {code}")
    dialog.say(LEADER, f"ลบสมาชิก {NAME}")
    dialog.say(LEADER, "ลบ")
    dialog.run([(STRANGER, "ยินยอม", T["link.gone"])])
    db.expire_all()
    assert db.scalars(select(Person).where(Person.line_user_id == STRANGER)).all() == []



def test_a_member_who_linked_after_an_alert_can_still_be_answered_for(dialog, district, db, clock, jobs) -> None:
    add_offline(dialog)
    dialog.say(USERS["staff"], "แจ้งเตือนด่วน")
    dialog.say(USERS["staff"], WAT)
    dialog.say(USERS["staff"], "น้ำท่วมซอย 5 ทุกคนปลอดภัยไหม")
    dialog.say(USERS["staff"], "ข้าม")
    dialog.say(USERS["staff"], "ส่ง")
    notice_jobs.send_notices(jobs)
    code = give_code(dialog, clock)
    dialog.say(STRANGER, f"รหัส {code}")
    dialog.say(STRANGER, "ยินยอม")
    # Their new LINE never got the alert's buttons: the leader who phoned them may still answer for them.
    first_line = t("alert.proxy_safe", name=NAME, text="", when="", leader="").split("\n")[0]
    assert dialog.say(LEADER, "ตอบแทน บุญมา ปลอดภัย")[0].split("\n")[0] == first_line
    db.expire_all()
    assert [(a.kind, a.proxy_by_id is not None) for a in db.scalars(select(NoticeAck))] == [(AckKind.SAFE, True)]
