"""Registration and invite codes, as conversation tables through signed webhooks."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from handlers.catalog import th
from handlers.services import registry as reg
from models import Community, Conversation, InviteCode, Membership, Person, RoleName
from support import events as ev
from support.dialog import Dialog
from support.registry import USERS
from support.texts import t

NEW = "U" + "a" * 32
T = th.TEXT
CONSENT_PROMPT = T["register.consent"]


@pytest.fixture
def dialog(fake_line, webhook, second_worker) -> Dialog:
    return Dialog(fake_line, webhook, second_worker)


def summary(name: str, community: str, phone: str) -> str:
    return T["register.summary"].format(name=name, community=community, phone=phone) + "\n\n" + CONSENT_PROMPT


def person(db, user_id: str) -> Person | None:
    db.expire_all()
    return db.scalars(select(Person).where(Person.line_user_id == user_id)).first()


def test_registration_in_thai_across_two_workers(dialog, district, db) -> None:
    dialog.run([
        (NEW, "สมัคร", T["register.ask_name"]),
        (NEW, "สมศรี ใจดี", T["register.ask_community_typed"]),
        (NEW, "วัดบางนา", T["register.ask_phone"]),
        (NEW, "๐๘๑-๒๓๔-๕๖๗๘", summary("สมศรี ใจดี", "ชุมชนวัดบางนา", "0812345678")),
    ])
    assert person(db, NEW) is None  # nothing stored before consent
    assert db.scalar(select(func.count()).select_from(Conversation)) == 1
    dialog.run([(NEW, "ยินยอม", "ลงทะเบียนเรียบร้อยครับ คุณสมศรี ใจดี เป็นสมาชิกชุมชนวัดบางนาแล้ว 🎉")])
    saved = person(db, NEW)
    assert (saved.full_name, saved.phone, saved.consent_version) == ("สมศรี ใจดี", "0812345678", reg.CONSENT_VERSION)
    assert [(m.role, m.community_id) for m in saved.memberships] == [(RoleName.MEMBER, district.wat.id)]
    assert db.scalar(select(func.count()).select_from(Conversation)) == 0


def test_registration_in_english(dialog, district, db) -> None:
    from handlers.catalog import en

    E = en.TEXT
    dialog.run([
        (NEW, "register", E["register.ask_name"]),
        (NEW, "Somsri Jaidee", E["register.ask_community_typed"]),
        (NEW, "ชุมชนคลองบางนา", E["register.ask_phone"]),
        (NEW, "skip", E["register.summary"].format(name="Somsri Jaidee", community="ชุมชนคลองบางนา",
                                                   phone="not given") + "\n\n" + E["register.consent"]),
        (NEW, "I agree", "Done! Somsri Jaidee, you are now a member of ชุมชนคลองบางนา 🎉"),
    ])
    assert person(db, NEW).phone is None


@pytest.mark.parametrize("word", ["ยกเลิก", "ยกเลิกค่ะ", "ยกเลิก ครับ"])
@pytest.mark.parametrize("cancel_after", [1, 2, 3, 4])
def test_cancel_at_every_step_stores_nothing(dialog, district, db, cancel_after, word) -> None:
    answers = ["สมัคร", "สมศรี ใจดี", "วัดบางนา", "ข้าม"][:cancel_after]
    for answer in answers:
        dialog.say(NEW, answer)
    dialog.run([(NEW, word, T["flow.cancelled"])])
    assert person(db, NEW) is None
    assert db.scalar(select(func.count()).select_from(Conversation)) == 0


def test_polite_answers_register_and_the_name_loses_its_particle(dialog, district, db) -> None:
    dialog.run([
        (NEW, "สมัครค่ะ", T["register.ask_name"]),
        (NEW, "สมศรี ใจดีค่ะ", T["register.ask_community_typed"]),
        (NEW, "วัดบางนาค่ะ", T["register.ask_phone"]),   # a community's name, polite ending or not
        (NEW, "๐๘๑-๒๓๔-๕๖๗๘ ครับ", summary("สมศรี ใจดี", "ชุมชนวัดบางนา", "0812345678")),
        (NEW, "ยินยอมครับ", "ลงทะเบียนเรียบร้อยครับ คุณสมศรี ใจดี เป็นสมาชิกชุมชนวัดบางนาแล้ว 🎉"),
    ])
    saved = person(db, NEW)
    assert (saved.full_name, saved.phone) == ("สมศรี ใจดี", "0812345678")


@pytest.mark.parametrize(("typed", "stored"), [
    ("สมปอง แก้วมณี ครับ", "สมปอง แก้วมณี"),
    ("สมปอง แก้วมณี ครับผม 🙏", "สมปอง แก้วมณี"),
    ("มาลี ศรีสุข นะคะ", "มาลี ศรีสุข"),
    ("มาลี ศรีสุขจ้า", "มาลี ศรีสุข"),
    ("สมชาย ชนะครับ", "สมชาย ชนะ"),          # นะ that ends a name stays
    ("สมศรี (บ้าน 12) ค่ะ", "สมศรี (บ้าน 12)"),
    # People introduce themselves: "ชื่อ …" / "ผมชื่อ …" / "ดิฉันชื่อ …" is no part of the name either
    ("ชื่อ ประไพ ทองดี ค่ะ", "ประไพ ทองดี"),
    ("ผมชื่อสมปอง แก้วมณีครับ", "สมปอง แก้วมณี"),
    ("ดิฉันชื่อ มาลี ศรีสุข", "มาลี ศรีสุข"),
    ("ชื่อว่า มาลี ศรีสุข นะคะ", "มาลี ศรีสุข"),
    ("My name is Tom Okafor", "Tom Okafor"),
])
def test_a_polite_particle_is_no_part_of_the_name(dialog, district, db, typed, stored) -> None:
    for answer in ["สมัคร", typed, "วัดบางนา"]:
        dialog.say(NEW, answer)
    dialog.run([(NEW, "ข้าม", summary(stored, "ชุมชนวัดบางนา", "ไม่ระบุ")),
                (NEW, "ยินยอม", t("register.done", name=stored, community="ชุมชนวัดบางนา"))])
    assert person(db, NEW).full_name == stored


@pytest.mark.parametrize(("typed", "reply"), [
    ("สวัสดีค่ะ", "register.name_greeting"),
    ("หวัดดี", "register.name_greeting"),
    ("สวัสดีครับ 🙏", "register.name_greeting"),
    ("hello", "register.name_greeting"),
    ("ไป K7M2 +2", "register.name_command"),     # a command with more than a code is still no name
    ("สมัครสมาชิก", "register.name_command"),    # the welcome button's label, typed
    ("ข้ามครับ", "register.name_skip"),          # the phone step's button, typed a step early: no name
    ("ไม่มีค่ะ", "register.name_skip"),
])
def test_a_greeting_or_a_command_at_the_name_step_is_no_name(dialog, district, db, typed, reply) -> None:
    dialog.say(NEW, "สมัคร")
    dialog.run([
        (NEW, typed, T[reply]),
        (NEW, "สมศรี ใจดี", T["register.ask_community_typed"]),   # her name is taken next, not refused
        (NEW, "วัดบางนา", T["register.ask_phone"]),
    ])


def test_a_sticker_at_the_name_step_is_answered_and_the_name_asked_again(dialog, district, webhook,
                                                                        fake_line) -> None:
    dialog.say(NEW, "สมัคร")
    before = len(fake_line.state.requests)
    assert webhook.post(ev.sticker(user=NEW)).status_code == 200
    assert [m["text"] for r in fake_line.state.requests[before:] for m in r.body["messages"]] == [
        T["register.name_sticker"]]
    dialog.run([(NEW, "สมศรี ใจดี", T["register.ask_community_typed"])])


def test_after_a_hand_over_from_a_group_the_first_message_is_reminded_what_is_asked(dialog, district, db,
                                                                                   session_factory, clock) -> None:
    """Regression: "สวัสดีค่ะ" in the 1:1 chat became her name, and her real name was refused as a phone number."""
    group = "C" + "1" * 32
    with session_factory() as session, session.begin():
        reg.link_chat(session, group, session.get(type(district.wat), district.wat.id), None, clock())
    dialog.run([
        (NEW, "บอท สมัคร", t("register.continue_in_private", community="ชุมชนวัดบางนา"), group),
        (NEW, "สวัสดีค่ะ", "สวัสดีครับ 🙏 ต่อจากที่คุณกดสมัครสมาชิกชุมชนวัดบางนาในกลุ่ม ขอทราบชื่อ-นามสกุลของคุณครับ "
                           "พิมพ์ในแชตนี้ได้เลย"),
        (NEW, "หวัดดีค่ะ", T["register.name_greeting"]),   # only the first message is reminded of the group
        (NEW, "สมศรี ใจดี ค่ะ", T["register.ask_phone"]),
        (NEW, "ข้าม", summary("สมศรี ใจดี", "ชุมชนวัดบางนา", "ไม่ระบุ")),
    ])


@pytest.mark.parametrize(("skip", "consent"), [("ข้ามค่ะ", "ตกลงค่ะ"), ("ไม่มีครับ", "ยินยอม นะคะ")])
def test_a_polite_skip_and_consent(dialog, district, db, skip, consent) -> None:
    for answer in ["สมัคร", "สมชาย", "วัดบางนา"]:
        dialog.say(NEW, answer)
    dialog.run([
        (NEW, skip, summary("สมชาย", "ชุมชนวัดบางนา", "ไม่ระบุ")),
        (NEW, consent, "ลงทะเบียนเรียบร้อยครับ คุณสมชาย เป็นสมาชิกชุมชนวัดบางนาแล้ว 🎉"),
    ])
    assert person(db, NEW).phone is None


def test_declining_politely_stores_nothing(dialog, district, db) -> None:
    for answer in ["สมัคร", "สมศรี ใจดี", "วัดบางนา", "ข้าม"]:
        dialog.say(NEW, answer)
    dialog.run([(NEW, "ไม่ยินยอมค่ะ", T["register.declined"])])
    assert person(db, NEW) is None
    assert db.scalar(select(func.count()).select_from(Conversation)) == 0


def test_declining_consent_stores_nothing(dialog, district, db) -> None:
    for answer in ["สมัคร", "สมศรี ใจดี", "วัดบางนา", "ข้าม"]:
        dialog.say(NEW, answer)
    dialog.run([
        (NEW, "อาจจะ", [T["register.consent_again"], summary("สมศรี ใจดี", "ชุมชนวัดบางนา", "ไม่ระบุ")]),
        (NEW, "ไม่ยินยอม", T["register.declined"]),
    ])
    assert person(db, NEW) is None


@pytest.mark.parametrize(
    ("answer", "reply"),
    [
        ("🙂🙂🙂", T["register.name_invalid"]),
        ("12345", T["register.name_invalid"]),
        ("ก" * 201, T["register.name_too_long"]),
    ],
)
def test_bad_names_are_asked_again(dialog, district, db, answer, reply) -> None:
    dialog.say(NEW, "สมัคร")
    dialog.run([(NEW, answer, reply), (NEW, "สมชาย", T["register.ask_community_typed"])])


def test_community_matching_is_forgiving(dialog, district) -> None:
    dialog.say(NEW, "สมัคร")
    dialog.say(NEW, "สมชาย")
    dialog.run([
        (NEW, "หมู่บ้านที่ไม่มีจริง", T["register.community_unknown"].format(text="หมู่บ้านที่ไม่มีจริง")),
        # A typo: the names it may be.
        (NEW, "บางนาา", t("register.community_suggest", text="บางนาา")),
    ])
    assert sorted(dialog.quick_replies()) == sorted(["ชุมชนวัดบางนา", "ชุมชนตลาดบางนา", "ชุมชนคลองบางนา", "ยกเลิก"])
    # Part of several names: every one of them, not "not found".
    dialog.run([(NEW, "บางนาค่ะ", t("picker.matching", count=3, text="บางนา") + "\n" + t("register.ask_community"))])
    assert dialog.quick_replies() == ["ชุมชนคลองบางนา", "ชุมชนตลาดบางนา", "ชุมชนวัดบางนา", "ยกเลิก"]
    dialog.run([(NEW, "วัดบางนานอก", T["register.ask_phone"])])  # an alias


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("081-234-5678", "0812345678"), ("๐๒ ๑๒๓ ๔๕๖๗", "021234567"), ("+66 81 234 5678", "0812345678")],
)
def test_phone_numbers_are_normalised(dialog, district, db, typed, stored) -> None:
    for answer in ["สมัคร", "สมชาย", "วัดบางนา", "12-34", typed, "ยินยอม"]:
        dialog.say(NEW, answer)
    assert person(db, NEW).phone == stored


def test_invalid_phone_is_asked_again(dialog, district) -> None:
    for answer in ["สมัคร", "สมชาย", "วัดบางนา"]:
        dialog.say(NEW, answer)
    dialog.run([(NEW, "โทรมาได้เลย", T["register.phone_invalid"])])


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("081-234-5678 ค่ะ", "0812345678"),
     ("0812345678 ของลูกสาวค่ะ", "0812345678"),
     ("เบอร์ 081 234 5678 ครับ", "0812345678"),
     ("๐๘๑๒๓๔๕๖๗๘", "0812345678"),
     ("บ้านเลขที่ 99/1 โทร 02 123 4567 นะคะ", "021234567"),
     ("0812345678 หรือ 081-234-5678", "0812345678")],  # one number written twice is one number
)
def test_the_phone_number_is_taken_out_of_a_sentence_and_only_it_is_kept(dialog, district, db, typed,
                                                                          stored) -> None:
    for answer in ["สมัคร", "สมชาย", "วัดบางนา"]:
        dialog.say(NEW, answer)
    dialog.run([
        (NEW, typed, summary("สมชาย", "ชุมชนวัดบางนา", stored)),  # the number alone, said back
        (NEW, "ยินยอม", t("register.done", name="สมชาย", community="ชุมชนวัดบางนา")),
    ])
    assert person(db, NEW).phone == stored


@pytest.mark.parametrize(
    ("typed", "reply"),
    [("0812345678 0898765432", "register.phone_several"),
     ("081-234-5678 หรือ 089-876-5432 ค่ะ", "register.phone_several"),
     ("เบอร์ของลูกสาวค่ะ", "register.phone_invalid"),
     ("081234567 ค่ะ", "register.phone_invalid")],  # a mobile number one digit short
)
def test_two_numbers_or_none_are_asked_again_and_change_nothing(dialog, district, db, typed, reply) -> None:
    for answer in ["สมัคร", "สมชาย", "วัดบางนา"]:
        dialog.say(NEW, answer)
    dialog.run([(NEW, typed, T[reply])])
    assert dialog.quick_replies() == ["ข้าม", "ยกเลิก"]
    dialog.run([
        (NEW, "089-876-5432 ค่ะ", summary("สมชาย", "ชุมชนวัดบางนา", "0898765432")),
        (NEW, "ยินยอม", t("register.done", name="สมชาย", community="ชุมชนวัดบางนา")),
    ])
    assert person(db, NEW).phone == "0898765432"


def test_registering_again_updates_and_never_duplicates(dialog, district, db) -> None:
    for answers in (["สมัคร", "สมชาย", "วัดบางนา", "ข้าม", "ยินยอม"],
                    ["สมัคร", "สมชาย ใหม่", "คลองบางนา", "0812345678", "ยินยอม"]):
        for answer in answers:
            dialog.say(NEW, answer)
    saved = person(db, NEW)
    assert (saved.full_name, saved.phone) == ("สมชาย ใหม่", "0812345678")
    assert [(m.role, m.community_id) for m in saved.memberships] == [(RoleName.MEMBER, district.canal.id)]
    assert db.scalar(select(func.count()).select_from(Person).where(Person.line_user_id == NEW)) == 1


def test_the_community_question_offers_buttons_only_when_there_are_some(dialog, district) -> None:
    for answer in ["สมัคร", "สมชาย", "วัดบางนา", "ข้าม", "ยินยอม"]:
        dialog.say(NEW, answer)
    # Registered now: registering again offers the current community as a button.
    dialog.run([(NEW, "สมัคร", T["register.ask_name"]), (NEW, "สมชาย", T["register.ask_community"])])
    assert dialog.quick_replies() == ["ชุมชนวัดบางนา", "ยกเลิก"]


def test_register_in_a_linked_group_continues_in_private(dialog, district, db, session_factory, clock) -> None:
    group = "C" + "1" * 32
    with session_factory() as session, session.begin():
        reg.link_chat(session, group, session.get(type(district.wat), district.wat.id), None, clock())
    dialog.run([
        (NEW, "บอท สมัคร", T["register.continue_in_private"].format(community="ชุมชนวัดบางนา"), group),
        (NEW, "สมหญิง", T["register.ask_phone"]),  # in the 1:1 chat; the community is known
        (NEW, "ข้าม", summary("สมหญิง", "ชุมชนวัดบางนา", "ไม่ระบุ")),
        (NEW, "ยินยอม", "ลงทะเบียนเรียบร้อยครับ คุณสมหญิง เป็นสมาชิกชุมชนวัดบางนาแล้ว 🎉"),
    ])
    # Registered here already: nothing to do.
    dialog.run([(NEW, "บอท สมัคร", t("register.group_already", community="ชุมชนวัดบางนา"), group)])


def test_a_member_of_another_community_is_asked_before_being_moved(dialog, district, db, session_factory, clock,
                                                                   fake_line) -> None:
    """Regression: tapping สมัครสมาชิก in another community's group said "added" and silently moved her off
    her own leader's list."""
    group = "C" + "1" * 32
    with session_factory() as session, session.begin():
        reg.link_chat(session, group, session.get(type(district.wat), district.wat.id), None, clock())
        reg.register_person(session, NEW, full_name="สมหญิง ทองดี", community=session.get(type(district.canal),
                            district.canal.id), phone=None, display_name=None, now=clock())

    def member_of() -> list[str]:
        db.expire_all()
        return [c.name for c in db.scalars(select(Community).join(Membership, Membership.community_id == Community.id)
                                           .where(Membership.person_id == person(db, NEW).id,
                                                  Membership.role == RoleName.MEMBER))]

    ask = ("คุณสมหญิง ทองดี เป็นสมาชิกชุมชนคลองบางนาอยู่แล้วครับ ถ้าย้ายไปเป็นสมาชิกชุมชนวัดบางนา คุณจะออกจาก"
           "รายชื่อสมาชิกของชุมชนคลองบางนา (ผู้นำของชุมชนคลองบางนาจะไม่เห็นคุณในรายชื่ออีก) และการตอบรับกิจกรรม"
           "ต่อจากนี้จะนับให้ชุมชนวัดบางนา\nย้ายไหมครับ")
    dialog.run([(NEW, "บอท สมัคร", ask, group)])
    move, stay = [item["action"] for item in fake_line.state.requests[-1].body["messages"][-1]["quickReply"]["items"]]
    assert (move["label"], stay["label"]) == ("ย้ายไปชุมชนวัดบางนา", "ไม่ย้าย")
    assert member_of() == ["ชุมชนคลองบางนา"]  # nothing moves on the question
    assert dialog.postback(NEW, stay["data"], group=group) == [
        t("register.stayed", name="สมหญิง ทองดี", own="ชุมชนคลองบางนา")]
    assert member_of() == ["ชุมชนคลองบางนา"]
    assert dialog.postback(NEW, move["data"], group=group) == [
        t("register.moved", name="สมหญิง ทองดี", own="ชุมชนคลองบางนา", community="ชุมชนวัดบางนา")]
    assert member_of() == ["ชุมชนวัดบางนา"]
    # The same button again: the question no longer holds.
    assert dialog.postback(NEW, move["data"], group=group) == [
        t("register.move_stale", community="ชุมชนวัดบางนา")]


def test_register_in_an_unlinked_group(dialog, district) -> None:
    dialog.run([(NEW, "บอท สมัคร", T["register.group_not_linked"], "C" + "8" * 32)])


def test_invite_for_an_unregistered_person_registers_then_grants(dialog, district, db, session_factory, clock) -> None:
    with session_factory() as session, session.begin():
        code = reg.create_invite(session, RoleName.COMMUNITY_LEADER, district.org.id, now=clock(),
                                 community=session.get(type(district.market), district.market.id)).code
    dialog.run([
        (NEW, f"รหัส {code.lower()}", T["invite.register_first"] + "\n" + T["register.ask_name"]),
        (NEW, "ประธานตลาด", T["register.ask_phone"]),
        (NEW, "ข้าม", summary("ประธานตลาด", "ชุมชนตลาดบางนา", "ไม่ระบุ")),
        (NEW, "ยินยอม", ["ลงทะเบียนเรียบร้อยครับ คุณประธานตลาด เป็นสมาชิกชุมชนตลาดบางนาแล้ว 🎉",
                         "เรียบร้อยครับ ตอนนี้คุณเป็นผู้นำชุมชนตลาดบางนาแล้ว"]),
        # Single use: the same code again is refused and changes nothing.
        (USERS["member"], f"รหัส {code}", T["invite.used"]),
    ])
    roles = db.scalars(select(Membership.role).join(Person).where(Person.line_user_id == NEW)).all()
    assert sorted(roles) == [RoleName.COMMUNITY_LEADER, RoleName.MEMBER]


def test_an_invite_code_with_a_polite_ending(dialog, district, db, session_factory, clock) -> None:
    with session_factory() as session, session.begin():
        market = session.get(type(district.market), district.market.id)
        codes = [reg.create_invite(session, RoleName.COMMUNITY_LEADER, district.org.id, now=clock(),
                                   community=market).code for _ in range(2)]
    dialog.run([
        (USERS["member"], f"รหัส {codes[0]} ครับ", "เรียบร้อยครับ ตอนนี้คุณเป็นผู้นำชุมชนตลาดบางนาแล้ว"),
        # Someone who must register first is asked their name, not told the code is unknown.
        (NEW, f"รหัส {codes[1].lower()}ค่ะ", T["invite.register_first"] + "\n" + T["register.ask_name"]),
    ])
    db.expire_all()
    used = db.scalars(select(InviteCode.used_by_id).where(InviteCode.code == codes[0])).one()
    assert used == person(db, USERS["member"]).id


def test_expired_and_unknown_invites_are_refused(dialog, district, db, session_factory, clock) -> None:
    with session_factory() as session, session.begin():
        code = reg.create_invite(session, RoleName.NETWORK_CHAIR, district.org.id, now=clock(),
                                 network=session.get(type(district.zone2), district.zone2.id)).code
    clock.advance(days=8)
    dialog.run([
        (USERS["member"], f"รหัส {code}", T["invite.expired"]),
        (USERS["member"], "รหัส ZZZZ-ZZZZ", T["invite.unknown"]),
        (USERS["member"], "รหัส", T["invite.usage"]),
    ])
    db.expire_all()
    assert db.scalars(select(InviteCode)).one().used_at is None


def test_a_community_name_two_districts_share_is_told_apart_by_district(dialog, district, db, clock) -> None:
    """One Saiyai serving two district offices, each with a ชุมชนวัดบางนา: a stranger's answer is offered both,
    labelled with their district, and the button names one of them (not the same question again forever)."""
    from models import Network, NetworkKind, Organization

    with db.begin():
        other = Organization(name="สำนักงานเขตคลองสาน", created_at=clock())
        db.add(other)
        db.flush()
        zone = Network(organization_id=other.id, name="เครือข่ายโซนริมน้ำ", kind=NetworkKind.ZONE)
        db.add(zone)
        db.flush()
        twin = Community(organization_id=other.id, name="ชุมชนวัดบางนา", zone_id=zone.id)
        db.add(twin)
        db.flush()
        twin_id = twin.id
    for answer in ["สมัคร", "สมศรี ใจดี"]:
        dialog.say(NEW, answer)
    dialog.run([(NEW, "ชุมชนวัดบางนา", T["picker.matching"].format(count=2, text="ชุมชนวัดบางนา") + "\n"
                 + T["register.ask_community"])])
    last = dialog.fake_line.state.requests[-1].body["messages"][-1]
    assert [(i["action"]["label"], i["action"]["text"]) for i in last["quickReply"]["items"]] == [
        ("เขตบางนา วัดบางนา", "ชุมชนวัดบางนา (สำนักงานเขตบางนา)"),
        ("เขตคลองสาน วัดบางนา", "ชุมชนวัดบางนา (สำนักงานเขตคลองสาน)"),
        (T["flow.cancel_label"], T["flow.cancel_label"]),
    ]
    dialog.run([
        (NEW, "ชุมชนวัดบางนา (สำนักงานเขตคลองสาน)", T["register.ask_phone"]),
        (NEW, "ข้าม", summary("สมศรี ใจดี", "ชุมชนวัดบางนา", "ไม่ระบุ")),
        (NEW, "ยินยอม", t("register.done", name="สมศรี ใจดี", community="ชุมชนวัดบางนา")),
    ])
    assert [m.community_id for m in person(db, NEW).memberships] == [twin_id]
