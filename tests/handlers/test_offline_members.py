"""Members without LINE: a leader registers them with the consent they gave in person (`เพิ่มสมาชิก`),
answers for them (`ตอบแทน`), nothing is ever pushed to them, and a leader erases them (`ลบสมาชิก`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import TIMEZONE
from handlers.catalog import en, th
from handlers.services import notices as notice_svc
from handlers.services import registry as reg
from models import (
    AckKind,
    Activity,
    ActivityStatus,
    Answer,
    Conversation,
    Membership,
    Notice,
    NoticeAck,
    NoticeScope,
    Organization,
    OutboxMessage,
    Person,
    RoleName,
    Rsvp,
)
from scheduler import followups
from scheduler import notices as notice_jobs
from scheduler.jobs import dispatch_outbox
from support.dialog import Dialog
from support.registry import MARKET_LEADER, USERS, seed_market_leader
from support.texts import e, t

T, E = th.TEXT, en.TEXT
STAFF, CHAIR, LEADER, MEMBER = USERS["staff"], USERS["chair"], USERS["leader"], USERS["member"]
CANAL_LEADER = USERS["other_leader"]
START = datetime(2026, 11, 28, 9, 0, tzinfo=TIMEZONE)
CODE = "K7M2"
TITLE = "ประชุมเครือข่ายโซน 1"


@pytest.fixture
def dialog(checked_dialog: Dialog) -> Dialog:
    """Two workers; LINE (the fake, validating with the SDK's models) must accept every reply and push."""
    return checked_dialog


@pytest.fixture
def activity_id(session_factory, clock, district) -> int:
    """A planned activity of zone 1 hosted by ชุมชนวัดบางนา, a week ahead."""
    with session_factory() as session, session.begin():
        row = Activity(code=CODE, title=TITLE, organization_id=district.org.id, network_id=district.zone1.id,
                       host_community_id=district.wat.id, starts_at=START, ends_at=START + timedelta(hours=3),
                       place_text="ศาลาวัดบางนา", status=ActivityStatus.PLANNED, created_at=clock(),
                       updated_at=clock())
        session.add(row)
        session.flush()
        return row.id


def offline_people(db) -> list[tuple]:
    """(name, phone, community, consent recorded by) of every person without LINE."""
    db.expire_all()
    rows = []
    for person in db.scalars(select(Person).where(Person.line_user_id.is_(None)).order_by(Person.id)):
        community = reg.member_community(db, person)
        recorder = db.get(Person, person.consent_recorded_by_id) if person.consent_recorded_by_id else None
        rows.append((person.full_name, person.phone, community.name if community else None,
                     recorder.line_user_id if recorder else None, person.consented_at is not None))
    return rows


def add(dialog: Dialog, user: str, name: str, phone: str = "ข้าม", community: str | None = None) -> None:
    """A leader registers a member without LINE, answering every step (the community when asked)."""
    dialog.run([(user, "เพิ่มสมาชิก", T["offline.ask_name"])])
    dialog.say(user, name)
    if community is not None:
        dialog.say(user, community)
    dialog.say(user, phone)
    dialog.say(user, "ยินยอมแล้ว")


def consent_text(name: str, community: str, phone: str = "ไม่ระบุ") -> str:
    kept = T["offline.kept_no_phone" if phone == "ไม่ระบุ" else "offline.kept_phone"]
    return (T["register.summary"].format(name=name, community=community, phone=phone) + "\n\n"
            + t("offline.consent", name=name, kept=kept))


# --- adding ---------------------------------------------------------------------------------------

def test_a_leader_registers_a_member_without_line_once_they_consent(dialog, district, db) -> None:
    dialog.run([
        (LEADER, "เพิ่มสมาชิก", T["offline.ask_name"]),
        # A leader of one community is not asked which one.
        (LEADER, "นางบุญมา ศรีสุข", T["offline.ask_phone"]),
        (LEADER, "๐๘๑-๒๓๔-๕๖๗๘ ครับ", consent_text("นางบุญมา ศรีสุข", "ชุมชนวัดบางนา", "0812345678")),
    ])
    assert dialog.quick_replies() == ["ยินยอมแล้ว", "ยังไม่ยินยอม", "ยกเลิก"]
    assert offline_people(db) == []  # nothing is stored before the consent
    dialog.run([(LEADER, "ยินยอมแล้วครับ", t("offline.added", name="นางบุญมา ศรีสุข", community="ชุมชนวัดบางนา",
                                             proxy="ตอบแทน", remove="ลบสมาชิก",
                                             link="ผูกไลน์"))])
    assert offline_people(db) == [("นางบุญมา ศรีสุข", "0812345678", "ชุมชนวัดบางนา", LEADER, True)]
    # The roster tells the leader who has no LINE.
    roster = dialog.say(LEADER, "สมาชิก")[-1]
    assert "นางบุญมา ศรีสุข — ชุมชนวัดบางนา (สมาชิก) · ไม่มี LINE" in roster
    assert "คุณmember — ชุมชนวัดบางนา (สมาชิก)\n" in roster + "\n"


def test_the_members_name_loses_its_particle_and_a_greeting_is_no_name(dialog, district, db) -> None:
    dialog.run([
        (LEADER, "เพิ่มสมาชิก", T["offline.ask_name"]),
        (LEADER, "สวัสดีครับ", T["offline.name_greeting"]),
        (LEADER, "ตอบแทน K7M2 สมศรี ไป", T["offline.name_command"]),
        (LEADER, "ข้ามค่ะ", T["offline.name_skip"]),      # was stored as the member's name "ข้าม"
        (LEADER, "สมปอง แก้วมณี ครับ", T["offline.ask_phone"]),
        (LEADER, "ข้าม", consent_text("สมปอง แก้วมณี", "ชุมชนวัดบางนา")),
    ])
    dialog.say(LEADER, "ยินยอมแล้ว")
    assert offline_people(db) == [("สมปอง แก้วมณี", None, "ชุมชนวัดบางนา", LEADER, True)]


def test_the_name_may_come_with_the_command(dialog, district, db) -> None:
    """"เพิ่มสมาชิก ยายทองใบ มีสุข" (as `ลบสมาชิก ชื่อ` and `ผูกไลน์ ชื่อ` are typed): the name was dropped and asked
    again; a greeting after the command is still no name."""
    dialog.run([
        (LEADER, "เพิ่มสมาชิก ยายทองใบ มีสุข ค่ะ", T["offline.ask_phone"]),
        (LEADER, "ข้าม", consent_text("ยายทองใบ มีสุข", "ชุมชนวัดบางนา")),
        (LEADER, "ยกเลิก", T["flow.cancelled"]),
        (LEADER, "เพิ่มสมาชิก สวัสดีครับ", T["offline.name_greeting"]),
        (LEADER, "สมปอง แก้วมณี", T["offline.ask_phone"]),
    ])
    assert offline_people(db) == []
    dialog.run([(MEMBER, "เพิ่มสมาชิก สมปอง แก้วมณี", t("command.refused", keyword="เพิ่มสมาชิก", role=T["role.3"]))])


def test_without_consent_nothing_is_stored(dialog, district, db) -> None:
    dialog.run([
        (LEADER, "เพิ่มสมาชิก", T["offline.ask_name"]),
        (LEADER, "สมพร ดีใจ", T["offline.ask_phone"]),
        (LEADER, "ข้าม", consent_text("สมพร ดีใจ", "ชุมชนวัดบางนา")),
        (LEADER, "อืม", T["offline.consent_again"] + "\n\n" + consent_text("สมพร ดีใจ", "ชุมชนวัดบางนา")),
        (LEADER, "ยังไม่ยินยอม", t("offline.not_stored", name="สมพร ดีใจ")),
    ])
    assert offline_people(db) == []


def test_a_chair_chooses_among_their_communities_and_cannot_pick_another_zones(dialog, district, db) -> None:
    dialog.run([
        (CHAIR, "add member", E["offline.ask_name"]),
        (CHAIR, "Boonma Srisuk", E["offline.ask_community"]),
    ])
    assert dialog.quick_replies() == ["ชุมชนตลาดบางนา", "ชุมชนวัดบางนา", "Cancel"]
    dialog.run([
        # ชุมชนคลองบางนา is in zone 2: not the chair's.
        (CHAIR, "คลองบางนา", E["offline.community_unknown"].format(text="คลองบางนา") + "\n"
         + E["offline.ask_community"]),
        (CHAIR, "ตลาดบางนาครับ", E["offline.ask_phone"]),
        (CHAIR, "skip", E["register.summary"].format(name="Boonma Srisuk", community="ชุมชนตลาดบางนา",
                                                     phone="not given") + "\n\n"
         + e("offline.consent", name="Boonma Srisuk", kept=E["offline.kept_no_phone"])),
        (CHAIR, "they agreed", e("offline.added", name="Boonma Srisuk", community="ชุมชนตลาดบางนา",
                                 proxy="proxy", remove="remove member", link="line code")),
    ])
    assert offline_people(db) == [("Boonma Srisuk", None, "ชุมชนตลาดบางนา", CHAIR, True)]


def test_part_of_several_names_offers_only_the_chair_s_communities_that_hold_it(dialog, district, db) -> None:
    dialog.say(CHAIR, "เพิ่มสมาชิก")
    dialog.say(CHAIR, "บุญมา ศรีสุข")
    # บางนา is part of all three names; ชุมชนคลองบางนา (zone 2) is not the chair's to offer.
    dialog.run([(CHAIR, "บางนา", t("picker.matching", count=2, text="บางนา") + "\n" + T["offline.ask_community"])])
    assert dialog.quick_replies() == ["ชุมชนตลาดบางนา", "ชุมชนวัดบางนา", "ยกเลิก"]
    dialog.run([(CHAIR, "ชุมชนวัดบางนา", T["offline.ask_phone"])])


def test_a_relative_s_number_is_taken_out_of_what_the_leader_typed(dialog, district, db) -> None:
    dialog.run([
        (LEADER, "เพิ่มสมาชิก", T["offline.ask_name"]),
        (LEADER, "บุญมา ศรีสุข", T["offline.ask_phone"]),
        (LEADER, "081-234-5678 หรือ 089-876-5432", T["register.phone_several"]),
        (LEADER, "ไม่มีมือถือ", T["register.phone_invalid"]),
        (LEADER, "0812345678 ของลูกสาวค่ะ", consent_text("บุญมา ศรีสุข", "ชุมชนวัดบางนา", "0812345678")),
        (LEADER, "ยินยอมแล้ว", t("offline.added", name="บุญมา ศรีสุข", community="ชุมชนวัดบางนา",
                                 proxy="ตอบแทน", remove="ลบสมาชิก", link="ผูกไลน์")),
    ])
    # Only the number is kept, not whose it is.
    assert offline_people(db) == [("บุญมา ศรีสุข", "0812345678", "ชุมชนวัดบางนา", LEADER, True)]


def test_the_same_name_twice_in_a_community_is_refused(dialog, district, db) -> None:
    add(dialog, LEADER, "บุญมา ศรีสุข")
    dialog.run([
        (LEADER, "เพิ่มสมาชิก", T["offline.ask_name"]),
        (LEADER, "บุญมา  ศรีสุข", t("offline.already_there", name="บุญมา ศรีสุข", community="ชุมชนวัดบางนา")),
        # Told apart by a house number, it is someone else.
        (LEADER, "บุญมา ศรีสุข (บ้าน 12)", T["offline.ask_phone"]),
    ])
    assert [p[0] for p in offline_people(db)] == ["บุญมา ศรีสุข"]


@pytest.mark.parametrize(
    ("first", "again"),
    [("ยายสมศรี ใจดี", "สมศรี ใจดี"),
     ("สมศรี ใจดี", "ยายสมศรี ใจดี"),
     ("นางสาวสมศรี ใจดี", "คุณป้า สมศรี ใจดี"),
     ("น.ส. สมศรี ใจดี", "สมศรีใจดี"),  # and Thai written without the space
     ("ลุงบุญมา ศรีสุข", "ผู้ใหญ่บุญมา ศรีสุข")],
)
def test_a_title_or_kinship_word_does_not_make_another_person(dialog, district, db, first, again) -> None:
    add(dialog, LEADER, first)
    dialog.run([
        (LEADER, "เพิ่มสมาชิก", T["offline.ask_name"]),
        (LEADER, again, t("offline.already_there", name=again, community="ชุมชนวัดบางนา")),
    ])
    assert [p[0] for p in offline_people(db)] == [first]  # kept as typed


def test_a_name_that_only_starts_like_a_title_is_a_name(dialog, district, db) -> None:
    # คุณากร is a given name, not คุณ + ากร; ตาล is not ตา + ล.
    add(dialog, LEADER, "คุณากร ดี")
    add(dialog, LEADER, "ตาล ดี")
    dialog.run([
        (LEADER, "เพิ่มสมาชิก", T["offline.ask_name"]),
        (LEADER, "ากร ดี", T["offline.ask_phone"]),
        (LEADER, "ยกเลิก", T["flow.cancelled"]),
        (LEADER, "เพิ่มสมาชิก", T["offline.ask_name"]),
        (LEADER, "ล ดี", T["offline.ask_phone"]),
    ])


def test_a_member_cannot_add_members_and_in_a_group_it_is_refused(dialog, district, db) -> None:
    dialog.run([(MEMBER, "เพิ่มสมาชิก", t("command.refused", keyword="เพิ่มสมาชิก", role=T["role.3"]))])
    assert offline_people(db) == []


# --- answering for them, and nothing sent to them ------------------------------------------------------

def test_a_leader_answers_for_them_and_reminders_go_only_to_people_with_line(dialog, district, activity_id, db,
                                                                            clock, jobs, fake_line) -> None:
    add(dialog, LEADER, "บุญมา ศรีสุข")
    replies = dialog.say(LEADER, f"ตอบแทน {CODE} บุญมา ไป")
    assert replies[0].startswith("บันทึกแล้วครับ ✅ คุณบุญมา ศรีสุข ไป “ประชุมเครือข่ายโซน 1”")
    assert replies[0].endswith(t("rsvp.by_proxy", leader="คุณleader"))
    dialog.say(MEMBER, f"ไป {CODE}")
    db.expire_all()
    assert db.scalar(select(Rsvp.answer).join(Person, Person.id == Rsvp.person_id)
                     .where(Person.full_name == "บุญมา ศรีสุข")) == Answer.GOING
    # The 2-hour reminder of an activity with no linked group goes to those going: only the one with LINE.
    clock.now = START - timedelta(hours=2)
    before = len(fake_line.state.requests)
    assert followups.send_reminders(jobs) == 1
    assert dispatch_outbox(jobs) == {"sent": 1}
    [request] = fake_line.state.requests[before:]
    assert request.body["to"] == MEMBER


@pytest.mark.parametrize(("registered", "typed"), [("ยายสมศรี ใจดี", "สมศรี"), ("สมศรี ใจดี", "ยายสมศรี"),
                                                 ("นางสมศรี ใจดี", "คุณสมศรี ใจดี")])
def test_a_leader_finds_them_with_or_without_their_title(dialog, district, activity_id, db, registered,
                                                         typed) -> None:
    add(dialog, LEADER, registered)
    replies = dialog.say(LEADER, f"ตอบแทน {CODE} {typed} ไป")
    assert replies[0].split("\n")[0] == t("rsvp.going", name=registered, title=TITLE, when="").split("\n")[0]
    db.expire_all()
    assert db.scalar(select(Rsvp.answer).join(Person, Person.id == Rsvp.person_id)
                     .where(Person.full_name == registered)) == Answer.GOING
    dialog.run([(LEADER, f"ลบสมาชิก {typed}", t("offline.remove_ask", name=registered, community="ชุมชนวัดบางนา"))])


def test_two_people_entered_before_titles_were_forgiven_are_told_apart_as_written(dialog, district,
                                                                                  activity_id, db,
                                                                                  session_factory,
                                                                                  clock) -> None:
    with session_factory() as session, session.begin():
        for name in ("สมศรี ใจดี", "ยายสมศรี ใจดี"):
            person = Person(full_name=name, consent_version=reg.CONSENT_VERSION, consented_at=clock(),
                            created_at=clock(), updated_at=clock())
            session.add(person)
            session.flush()
            reg.join_community(session, person, session.merge(district.wat), clock())
    replies = dialog.say(LEADER, f"ตอบแทน {CODE} ยายสมศรี ใจดี ไป")
    assert replies[0].split("\n")[0] == t("rsvp.going", name="ยายสมศรี ใจดี", title=TITLE, when="").split("\n")[0]
    # Typed without the title, it could be either: both are offered.
    replies = dialog.say(LEADER, f"ตอบแทน {CODE} สมศรี ไป")
    assert replies[0].startswith(t("proxy.ambiguous", name="สมศรี", people="").rstrip())


def test_a_notice_to_everyone_counts_and_reaches_only_people_with_line(dialog, district, db, jobs,
                                                                       fake_line) -> None:
    add(dialog, CANAL_LEADER, "บุญมา ศรีสุข")
    dialog.run([
        (STAFF, "ประกาศ", T["notice.ask_scope"]),
        (STAFF, "ทั้งเขต", t("notice.ask_roles", target="ทุกชุมชนในสำนักงานเขตบางนา")),
        (STAFF, "ทุกคน", t("notice.ask_text", limit=2000)),
        (STAFF, "ประชุมใหญ่วันพุธ", T["notice.ask_attachment"]),
        (STAFF, "ข้าม", T["notice.ask_when"]),
    ])
    preview = dialog.say(STAFF, "ส่งทันที")[0]
    # No group is linked: each of the five registered people with LINE (staff wrote it), not the sixth,
    # who is named for staff to tell in person.
    lines = preview.split("\n")
    assert t("notice.preview_people", people=5) in lines
    assert t("notice.preview_offline", count=1, names="บุญมา ศรีสุข") in lines
    dialog.run([(STAFF, "ส่ง", t("notice.queued", people="5"))])
    before = len(fake_line.state.requests)
    notice_jobs.send_notices(jobs)
    assert dispatch_outbox(jobs) == {"sent": 1}
    [request] = [r for r in fake_line.state.requests[before:] if r.delivered]
    assert sorted(request.body["to"]) == sorted([CHAIR, LEADER, MEMBER, USERS["partner"], CANAL_LEADER])


# --- removing -------------------------------------------------------------------------------------

def test_a_leader_erases_a_member_without_line_after_confirming(dialog, district, activity_id, db) -> None:
    add(dialog, LEADER, "บุญมา ศรีสุข")
    dialog.say(LEADER, f"ตอบแทน {CODE} บุญมา ไป")
    ask = t("offline.remove_ask", name="บุญมา ศรีสุข", community="ชุมชนวัดบางนา")
    dialog.run([
        (LEADER, "ลบสมาชิก บุญมา", ask),
        (LEADER, "ไม่ลบ", T["offline.kept"]),
    ])
    assert [p[0] for p in offline_people(db)] == ["บุญมา ศรีสุข"]
    dialog.run([
        (LEADER, "ลบสมาชิก บุญมา ศรีสุข ครับ", ask),
        (LEADER, "ลบครับ", t("offline.removed", name="บุญมา ศรีสุข")),
        (LEADER, "ลบสมาชิก บุญมา", t("offline.not_found", name="บุญมา")),
    ])
    assert offline_people(db) == []
    assert db.scalars(select(Rsvp)).all() == []  # the answer to a meeting still to come went with them


def test_erasing_one_member_without_line_touches_nothing_else(dialog, district, db, session_factory,
                                                              clock) -> None:
    """A person without LINE has no user id: the erasure must not match every row with no user id."""
    add(dialog, LEADER, "บุญมา ศรีสุข")
    with session_factory() as session, session.begin():
        # A multicast waiting in the outbox (no single target) and another leader's open conversation.
        from bot import outbox
        from handlers.context import text_message
        outbox.enqueue(session, [MEMBER, USERS["partner"]], [text_message("ข่าว")], now=clock())
    dialog.say(CANAL_LEADER, "เพิ่มสมาชิก")
    dialog.run([
        (LEADER, "ลบสมาชิก บุญมา", t("offline.remove_ask", name="บุญมา ศรีสุข", community="ชุมชนวัดบางนา")),
        (LEADER, "ลบ", t("offline.removed", name="บุญมา ศรีสุข")),
    ])
    db.expire_all()
    multicasts = [m.recipients for m in db.scalars(select(OutboxMessage)) if m.recipients]
    assert [sorted(m) for m in multicasts] == [sorted([MEMBER, USERS["partner"]])]
    assert db.scalar(select(Conversation.flow).where(Conversation.user_id == CANAL_LEADER)) == "add_member"


def test_people_with_line_and_other_communities_are_not_found_and_members_are_refused(dialog, district,
                                                                                     db) -> None:
    add(dialog, LEADER, "บุญมา ศรีสุข")
    dialog.run([
        # Someone with LINE erases their own data.
        (LEADER, "ลบสมาชิก คุณmember", t("offline.not_found", name="คุณmember")),
        # The leader of ชุมชนคลองบางนา does not look after ชุมชนวัดบางนา.
        (CANAL_LEADER, "ลบสมาชิก บุญมา", t("offline.not_found", name="บุญมา")),
        (MEMBER, "ลบสมาชิก บุญมา", t("command.refused", keyword="ลบสมาชิก", role=T["role.3"])),
        (LEADER, "ลบสมาชิก", T["offline.remove_usage"]),
    ])
    assert [p[0] for p in offline_people(db)] == ["บุญมา ศรีสุข"]
    assert db.scalar(select(Membership.id).join(Person).where(Person.full_name == "บุญมา ศรีสุข")) is not None


def test_an_alert_s_status_lists_the_members_without_line_to_check_on_in_person(dialog, district, db, jobs,
                                                                                clock) -> None:
    add(dialog, LEADER, "บุญมา ศรีสุข", phone="081-234-5678")
    dialog.run([
        (STAFF, "แจ้งเตือนด่วน", T["alert.ask_scope"]),
        (STAFF, "ชุมชนวัดบางนา", t("notice.target_set", target="ชุมชนวัดบางนา") + "\n"
         + t("notice.ask_text", limit=2000)),
        (STAFF, "น้ำท่วมซอยวัด", T["notice.ask_attachment"]),
    ])
    assert t("notice.preview_offline", count=1, names="บุญมา ศรีสุข") in dialog.say(STAFF, "ข้าม")[0].split("\n")
    dialog.say(STAFF, "ส่ง")
    notice_jobs.send_notices(jobs)
    status = dialog.say(STAFF, "แจ้งเตือนด่วน สถานะ")[0].split("\n")
    assert status[-3:] == [t("alert.status_offline", count=1),
                           t("alert.status_offline_line", name="บุญมา ศรีสุข", community="ชุมชนวัดบางนา",
                             phone="0812345678"),
                           # Staff are told how to record the answer once they have phoned.
                           t("alert.offline_note_how", safe=t("alert.proxy_safe_command", name="บุญมา ศรีสุข"),
                             help=t("alert.proxy_help_command", name="บุญมา ศรีสุข"))]


# --- answering an alert for them -------------------------------------------------------------------

ALERT = "น้ำท่วมซอยวัด"
BOONMA = "บุญมา ศรีสุข"


def send_alert(dialog: Dialog, jobs, target: str = "ชุมชนวัดบางนา") -> None:
    """Staff send an alert to a community; the scheduler queues it and LINE gets the outbox."""
    dialog.run([
        (STAFF, "แจ้งเตือนด่วน", T["alert.ask_scope"]),
        (STAFF, target, t("notice.target_set", target=target) + "\n" + t("notice.ask_text", limit=2000)),
        (STAFF, ALERT, T["notice.ask_attachment"]),
    ])
    dialog.say(STAFF, "ข้าม")
    dialog.say(STAFF, "ส่ง")
    notice_jobs.send_notices(jobs)
    dispatch_outbox(jobs)


def pushed(fake_line, since: int) -> list[tuple[str, dict]]:
    """(user, message) of every push and multicast LINE delivered after request number `since`."""
    found = []
    for r in fake_line.state.requests[since:]:
        if r.delivered and r.path in ("/v2/bot/message/push", "/v2/bot/message/multicast"):
            for to in r.body["to"] if isinstance(r.body["to"], list) else [r.body["to"]]:
                found.extend((to, m) for m in r.body["messages"])
    return found


def test_the_leader_is_told_whom_to_phone_and_answers_the_alert_for_them(dialog, district, db, jobs, clock,
                                                                          fake_line) -> None:
    add(dialog, LEADER, BOONMA, phone="081-234-5678")
    before = len(fake_line.state.requests)
    send_alert(dialog, jobs)
    # The leader of ชุมชนวัดบางนา hears which member the alert could not reach, with buttons to answer.
    [note] = [m for to, m in pushed(fake_line, before) if to == LEADER and m["type"] == "text"]
    assert note["text"] == "\n".join([
        t("alert.offline_note", text=ALERT, count=1),
        t("alert.offline_note_line", name=BOONMA, phone="0812345678"),
        t("alert.offline_note_how", safe=t("alert.proxy_safe_command", name=BOONMA),
          help=t("alert.proxy_help_command", name=BOONMA))])
    assert [(i["action"]["label"], i["action"]["text"]) for i in note["quickReply"]["items"]] == [
        (f"✅ {BOONMA}", f"ตอบแทน {BOONMA} ปลอดภัย"), (f"🆘 {BOONMA}", f"ตอบแทน {BOONMA} ต้องการความช่วยเหลือ")]
    notice_jobs.send_notices(jobs)  # a second run tells nobody twice
    assert dispatch_outbox(jobs) == {}

    when = "วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 10:00 น."
    # Typed the Thai way: the answer straight after the name, a polite ending.
    dialog.run([(LEADER, "ตอบแทน บุญมาปลอดภัยครับ", t("alert.proxy_safe", name=BOONMA, text=ALERT, when=when,
                                                     leader="คุณleader"))])
    status = dialog.say(STAFF, "แจ้งเตือนด่วน สถานะ")[0].split("\n")
    # Counted as answered (the four with LINE have not answered), named with who answered; no longer
    # among those to check on in person.
    assert status[1:] == [
        t("alert.status_community", community="ชุมชนวัดบางนา", safe=1, help=0, silent=4),
        t("alert.status_total", safe=1, help=0, silent=4),
        t("alert.status_proxy_safe_line", name=BOONMA, community="ชุมชนวัดบางนา")
        + t("alert.status_by_proxy", leader="คุณleader")]

    before = len(fake_line.state.requests)
    # Staff get Boonma's number; the leader gave none, so the leader is told only Boonma's was sent.
    dialog.run([(LEADER, f"ตอบแทน {BOONMA} ต้องการความช่วยเหลือ", t(
        "alert.proxy_help", name=BOONMA, text=ALERT, when=when, leader="คุณleader",
        sent=t("alert.proxy_sent.member", name=BOONMA)))])
    dispatch_outbox(jobs)
    forward = t("alert.help_forward_proxy", name=BOONMA, community="ชุมชนวัดบางนา", phone="0812345678",
                text=ALERT, leader="คุณleader", role=T["role_one.3"], leader_phone="")
    assert sorted((to, m["text"]) for to, m in pushed(fake_line, before)) == sorted([(STAFF, forward),
                                                                                    (CHAIR, forward)])
    status = dialog.say(STAFF, "แจ้งเตือนด่วน สถานะ")[0].split("\n")
    assert status[1:] == [
        t("alert.status_community", community="ชุมชนวัดบางนา", safe=0, help=1, silent=4),
        t("alert.status_total", safe=0, help=1, silent=4),
        # Not "no location sent yet": someone without LINE never sends one.
        t("alert.status_help_line", name=BOONMA, community="ชุมชนวัดบางนา", phone="0812345678",
          where=t("alert.status_proxy_where", leader="คุณleader"))]
    db.expire_all()
    [ack] = db.scalars(select(NoticeAck))
    leader_id = db.scalar(select(Person.id).where(Person.line_user_id == LEADER))
    assert (ack.kind, ack.proxy_by_id) == (AckKind.NEED_HELP, leader_id)


def test_a_community_without_a_leader_is_left_to_the_zone_chair(dialog, district, db, jobs, clock, fake_line,
                                                                 session_factory) -> None:
    add(dialog, CHAIR, BOONMA, community="ตลาดบางนา")  # ชุมชนตลาดบางนา has no leader
    with session_factory() as session, session.begin():
        notice_svc.create_notice(session, notice_svc.Audience(district.org.id, NoticeScope.NETWORK,
                                                              network_id=district.zone1.id,
                                                              author_id=district.people["staff"].id),
                                 text=ALERT, now=clock(), urgent=True)
    before = len(fake_line.state.requests)
    notice_jobs.send_notices(jobs)
    dispatch_outbox(jobs)
    notes = [(to, m) for to, m in pushed(fake_line, before) if m["type"] == "text" and "quickReply" in m]
    assert [to for to, _ in notes] == [CHAIR]  # the leader of ชุมชนวัดบางนา is not asked about another community
    assert notes[0][1]["text"] == "\n".join([
        t("alert.offline_note_chair", text=ALERT, count=1, communities="ชุมชนตลาดบางนา"),
        t("alert.offline_note_line", name=BOONMA, phone=T["alert.no_phone"]),
        t("alert.offline_note_how", safe=t("alert.proxy_safe_command", name=BOONMA),
          help=t("alert.proxy_help_command", name=BOONMA))])
    # And the chair may answer for Boonma, as the note says.
    when = "วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 10:00 น."
    dialog.run([(CHAIR, f"ตอบแทน {BOONMA} ปลอดภัย", t("alert.proxy_safe", name=BOONMA, text=ALERT, when=when,
                                                     leader="คุณchair"))])
    notice_jobs.send_notices(jobs)  # a second run tells nobody twice
    assert dispatch_outbox(jobs) == {}


def test_the_sos_for_a_member_without_a_phone_says_whose_number_staff_got(dialog, district, db, jobs, fake_line,
                                                                          session_factory) -> None:
    add(dialog, LEADER, BOONMA)
    with session_factory() as session, session.begin():
        session.scalars(select(Person).where(Person.line_user_id == LEADER)).one().phone = "0891112222"
    send_alert(dialog, jobs)
    before = len(fake_line.state.requests)
    when = "วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 10:00 น."
    dialog.run([(LEADER, f"ตอบแทน {BOONMA} ต้องการความช่วยเหลือ", t(
        "alert.proxy_help", name=BOONMA, text=ALERT, when=when, leader="คุณleader",
        sent=t("alert.proxy_sent.leader", name=BOONMA)))])
    dispatch_outbox(jobs)
    forward = t("alert.help_forward_proxy", name=BOONMA, community="ชุมชนวัดบางนา", phone=T["alert.proxy_no_phone"],
                text=ALERT, leader="คุณleader", role=T["role_one.3"],
                leader_phone=t("alert.proxy_leader_phone", phone="0891112222"))
    assert sorted((to, m["text"]) for to, m in pushed(fake_line, before)) == sorted([(STAFF, forward),
                                                                                    (CHAIR, forward)])


CLI_STAFF = "U" + "5e" * 16  # made staff with `flask org grant-staff`, never registered a name


def test_staff_without_a_registered_name_show_as_their_role_not_khun_dash(dialog, district, db, jobs, clock,
                                                                         session_factory, activity_id) -> None:
    add(dialog, LEADER, BOONMA)
    with session_factory() as session, session.begin():
        person = reg.ensure_person(session, CLI_STAFF, clock())
        reg.grant(session, person, RoleName.STAFF, session.get(Organization, district.org.id), now=clock())
    send_alert(dialog, jobs)
    when = "วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 10:00 น."
    by = T["host.actor.staff"]
    dialog.run([(CLI_STAFF, f"ตอบแทน {BOONMA} ปลอดภัย", t("alert.proxy_safe", name=BOONMA, text=ALERT, when=when,
                                                         leader=by))])
    assert t("alert.proxy_safe", name=BOONMA, text=ALERT, when=when, leader=by).endswith("(บันทึกแทนโดยเจ้าหน้าที่เขต)")
    status = dialog.say(STAFF, "แจ้งเตือนด่วน สถานะ")[0].split("\n")
    assert status[-1] == (t("alert.status_proxy_safe_line", name=BOONMA, community="ชุมชนวัดบางนา")
                          + t("alert.status_by_proxy", leader=by))
    # The same for an activity answered for them.
    replies = dialog.say(CLI_STAFF, f"ตอบแทน {CODE} {BOONMA} ไป")
    assert replies[0].endswith(t("rsvp.by_proxy", leader=by))


def test_a_leader_s_safe_after_need_help_tells_those_who_got_the_sos_once(dialog, district, db, jobs,
                                                                       fake_line) -> None:
    add(dialog, LEADER, BOONMA, phone="081-234-5678")
    send_alert(dialog, jobs)
    dialog.say(LEADER, f"ตอบแทน {BOONMA} ต้องการความช่วยเหลือ")
    dispatch_outbox(jobs)
    before = len(fake_line.state.requests)
    when = "วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 10:00 น."
    safe = t("alert.proxy_safe", name=BOONMA, text=ALERT, when=when, leader="คุณleader")
    dialog.run([(LEADER, f"ตอบแทน {BOONMA} ปลอดภัย", safe), (LEADER, f"ตอบแทน {BOONMA} ปลอดภัย", safe)])
    assert dispatch_outbox(jobs) == {"sent": 1}
    now_safe = t("alert.safe_forward_proxy", name=BOONMA, community="ชุมชนวัดบางนา", text=ALERT,
                 leader="คุณleader")
    assert sorted((to, m["text"]) for to, m in pushed(fake_line, before)) == sorted([(STAFF, now_safe),
                                                                                    (CHAIR, now_safe)])


def test_only_their_leaders_answer_an_alert_for_them_and_never_over_someone_s_own_answer(dialog, district, db,
                                                                                          jobs) -> None:
    add(dialog, LEADER, BOONMA)
    dialog.run([(LEADER, f"ตอบแทน {BOONMA} ปลอดภัย", t("alert.proxy_no_alert", name=BOONMA))])
    send_alert(dialog, jobs)
    dialog.run([
        (MEMBER, f"ตอบแทน {BOONMA} ปลอดภัย", t("command.refused", keyword="ตอบแทน", role=T["role.3"])),
        # The leader of ชุมชนคลองบางนา does not look after ชุมชนวัดบางนา.
        (CANAL_LEADER, f"ตอบแทน {BOONMA} ปลอดภัย", t("proxy.not_found", name=BOONMA)),
    ])
    db.expire_all()
    assert db.scalars(select(NoticeAck)).all() == []
    # A member with LINE who answered it themselves keeps their own answer.
    notice_id = db.scalars(select(Notice.id)).one()
    dialog.postback(MEMBER, f"a=alert&n={notice_id}&v=safe")
    dialog.run([
        (LEADER, "ตอบแทน คุณmember ต้องการความช่วยเหลือ", t("alert.proxy_has_line", name="คุณmember")),
        (LEADER, "proxy คุณmember need help", e("alert.proxy_has_line", name="คุณmember")),
    ])
    db.expire_all()
    assert [(a.kind, a.proxy_by_id) for a in db.scalars(select(NoticeAck))] == [(AckKind.SAFE, None)]
    status = dialog.say(STAFF, "แจ้งเตือนด่วน สถานะ")[0].split("\n")
    assert status[-3:] == [t("alert.status_offline", count=1),
                           t("alert.status_offline_line", name=BOONMA, community="ชุมชนวัดบางนา",
                             phone=T["alert.no_phone"]),
                           t("alert.offline_note_how", safe=t("alert.proxy_safe_command", name=BOONMA),
                             help=t("alert.proxy_help_command", name=BOONMA))]


def test_a_notice_to_a_community_where_nobody_has_line_is_refused_when_it_is_chosen(dialog, district, db) -> None:
    add(dialog, CHAIR, BOONMA, community="ตลาดบางนา")  # the only member of ชุมชนตลาดบางนา
    refusal = (t("notice.scope_no_line", target="ชุมชนตลาดบางนา") + "\n"
               + t("notice.preview_offline", count=1, names=BOONMA))
    dialog.run([
        (STAFF, "ประกาศ", T["notice.ask_scope"]),
        # Said when the audience is chosen, not after the notice is written; another audience may be chosen.
        (STAFF, "ชุมชนตลาดบางนา", refusal + "\n" + T["notice.ask_scope"]),
        (STAFF, "ชุมชนวัดบางนา", t("notice.ask_roles", target="ชุมชนวัดบางนา")),
        (STAFF, "ยกเลิก", T["flow.cancelled"]),
        (STAFF, "alert ชุมชนตลาดบางนา", e("notice.scope_no_line", target="ชุมชนตลาดบางนา") + "\n"
         + e("notice.preview_offline", count=1, names=BOONMA) + "\n" + E["alert.ask_scope"]),
    ])


def test_a_leader_whose_community_has_nobody_else_on_line_is_told_at_once(dialog, district, db, session_factory,
                                                                         clock) -> None:
    with session_factory() as session, session.begin():
        seed_market_leader(session, district, clock())  # the only person in ชุมชนตลาดบางนา, no group linked
    add(dialog, MARKET_LEADER, BOONMA)
    dialog.run([(MARKET_LEADER, "ประกาศ", t("notice.scope_no_line", target="ชุมชนตลาดบางนา") + "\n"
                 + t("notice.preview_offline", count=1, names=BOONMA))])
    db.expire_all()
    assert db.scalar(select(Conversation.id).where(Conversation.user_id == MARKET_LEADER)) is None
    assert db.scalars(select(Notice)).all() == []


# --- a move or a cancellation reaches them through the leader who answered for them -------------------------

def test_a_move_tells_the_leader_whom_to_phone_and_the_editor_sees_it_too(dialog, district, activity_id, db,
                                                                           fake_line, jobs) -> None:
    """Saiyai cannot message a member without LINE: when the activity they were answered going to moves,
    the leader who answered for them is told to phone them (names and phones); they used to hear nothing."""
    add(dialog, LEADER, "ยายมาลี ศรีสุข", phone="089 111 2222")
    add(dialog, LEADER, "ตาบุญมา ใจดี")
    dialog.say(LEADER, f"ตอบแทน {CODE} มาลี ไป")
    dialog.say(LEADER, f"ตอบแทน {CODE} บุญมา ไม่แน่ใจ")
    dialog.say(STAFF, f"แก้ไขกิจกรรม {CODE}")
    dialog.say(STAFF, "สถานที่")
    dialog.say(STAFF, "ศาลาการเปรียญ")
    since = len(fake_line.state.requests)
    replies = dialog.say(STAFF, "ยืนยัน")
    assert replies[0].split("\n")[0] == t("event.edited", title=TITLE, field="สถานที่", value="ศาลาการเปรียญ")
    dispatch_outbox(jobs)
    to_leader = [m.get("text") for to, m in pushed(fake_line, since) if to == LEADER]
    assert t("event.offline_to_tell", title=TITLE, code=CODE,
             names="คุณยายมาลี ศรีสุข (0891112222), คุณตาบุญมา ใจดี") in to_leader
    # The leader who answered for them cancels it: the reply itself says whom to phone.
    dialog.say(LEADER, f"ยกเลิกกิจกรรม {CODE}")
    replies = dialog.postback(LEADER, f"a=event_cancel&id={activity_id}&l=th")
    assert replies[0].split("\n")[0] == t("event.cancelled", title=TITLE)
    assert replies[0].split("\n")[-1] == t("event.offline_to_tell", title=TITLE, code=CODE,
                                           names="คุณยายมาลี ศรีสุข (0891112222), คุณตาบุญมา ใจดี")


def test_a_title_change_asks_nobody_to_phone(dialog, district, activity_id, db, fake_line, jobs) -> None:
    add(dialog, LEADER, "ยายมาลี ศรีสุข")
    dialog.say(LEADER, f"ตอบแทน {CODE} มาลี ไป")
    dialog.say(LEADER, f"แก้ไขกิจกรรม {CODE}")
    dialog.say(LEADER, "ชื่อ")
    dialog.say(LEADER, "ประชุมใหญ่โซน 1")
    replies = dialog.say(LEADER, "ยืนยัน")
    assert not any("ไม่มี LINE" in r for r in replies)
