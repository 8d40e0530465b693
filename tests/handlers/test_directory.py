"""Directory commands: me, forget me (inspecting every table), members, communities, language, help per role."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import outbox
from handlers.catalog import en, th
from handlers.context import text_message
from handlers.services import registry as reg
from models import (
    Answer,
    Base,
    ChatLink,
    Community,
    Conversation,
    InviteCode,
    Membership,
    Network,
    Organization,
    OutboxMessage,
    OutboxState,
    Partner,
    PartnerSector,
    Person,
    RoleName,
    Rsvp,
    WebhookEvent,
)
from support.activities import make_activity, rsvp
from support.registry import USERS

T, E = th.TEXT, en.TEXT
NEW = "U" + "a" * 32
GROUP = "C" + "d" * 32
LEADER, CHAIR, STAFF, MEMBER = USERS["leader"], USERS["chair"], USERS["staff"], USERS["member"]
CONSENTED_TH = "วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 10:00 น."  # the clock's start, when the district was seeded
CONSENTED_EN = "Saturday 21 November 2026, 10:00"


def last_message(fake_line) -> dict[str, Any]:
    return fake_line.state.requests[-1].body["messages"][-1]


def person(db, user: str) -> Person | None:
    db.expire_all()
    return db.scalars(select(Person).where(Person.line_user_id == user)).first()


# --- me ---------------------------------------------------------------------------------------------

def test_me_in_thai_for_a_member(dialog, district) -> None:
    dialog.run([(MEMBER, "ข้อมูลของฉัน",
                 "ข้อมูลทั้งหมดที่สายใยเก็บไว้เกี่ยวกับคุณครับ\n"
                 "ชื่อ: คุณmember\n"
                 "โทร: ไม่ระบุ\n"
                 "ภาษาที่ใช้ตอบ: ยังไม่ได้เลือก (ตอบตามภาษาของคำสั่งที่พิมพ์)\n"
                 f"ยินยอมให้เก็บข้อมูลเมื่อ: {CONSENTED_TH}\n"
                 "บทบาท:\n"
                 "• สมาชิกชุมชนวัดบางนา\n"
                 "บันทึกการใช้คำสั่งใน 30 วันที่ผ่านมา: 1 ครั้ง (เก็บเฉพาะเวลาและห้องแชต ไม่เก็บข้อความ)\n"
                 "แก้ไขข้อมูลได้ด้วยคำสั่ง “สมัคร” และลบทั้งหมดได้ด้วยคำสั่ง “ลบข้อมูลของฉัน” ครับ")])


def test_me_lists_every_role_with_its_scope(dialog, district) -> None:
    footer = [T["me.log"].format(count=1), T["me.footer"]]
    head = [T["me.header"]]
    for who, roles in [
        ("leader", ["• ผู้นำชุมชนวัดบางนา (ประธาน)", "• สมาชิกชุมชนวัดบางนา"]),
        ("chair", ["• ประธานเครือข่ายโซน 1", "• สมาชิกชุมชนวัดบางนา"]),
        ("staff", ["• เจ้าหน้าที่ของสำนักงานเขตบางนา", "• สมาชิกชุมชนวัดบางนา"]),
        ("partner", ["• ภาคีของเครือข่ายโซน 1", "• สมาชิกชุมชนวัดบางนา"]),
    ]:
        details = [f"ชื่อ: คุณ{who}", "โทร: ไม่ระบุ", "ภาษาที่ใช้ตอบ: ยังไม่ได้เลือก (ตอบตามภาษาของคำสั่งที่พิมพ์)",
                   f"ยินยอมให้เก็บข้อมูลเมื่อ: {CONSENTED_TH}", "บทบาท:"]
        dialog.run([(USERS[who], "ข้อมูลของฉัน", "\n".join(head + details + roles + footer))])


def test_me_in_english_with_phone_line_name_and_language(dialog, district, session_factory) -> None:
    with session_factory() as session, session.begin():
        saved = reg.find_person(session, LEADER)
        saved.phone, saved.display_name, saved.language = "0812345678", "Lek", "en"
    dialog.say(LEADER, "ช่วยเหลือ")  # a second logged command
    dialog.run([(LEADER, "me",
                 "This is everything Saiyai holds about you:\n"
                 "Name: คุณleader\n"
                 "LINE name: Lek\n"
                 "Phone: 0812345678\n"
                 "Reply language: English\n"
                 f"Agreed to keep your data on: {CONSENTED_EN}\n"
                 "Roles:\n"
                 "• leader of ชุมชนวัดบางนา (ประธาน)\n"
                 "• member of ชุมชนวัดบางนา\n"
                 "Command log, last 30 days: 2 (time and chat only, never the text)\n"
                 "Update it with “register”; erase all of it with “forget me”.")])


def test_me_for_a_person_known_only_by_a_role(dialog, district, session_factory, clock) -> None:
    """Staff granted from the command line: no name, no consent, one role."""
    with session_factory() as session, session.begin():
        granted = reg.ensure_person(session, NEW, clock())
        reg.grant(session, granted, RoleName.STAFF, session.get(Organization, district.org.id), now=clock())
    dialog.run([(NEW, "ข้อมูลของฉัน", "\n".join([
        T["me.header"], "ชื่อ: ไม่ระบุ", "โทร: ไม่ระบุ", "ภาษาที่ใช้ตอบ: ยังไม่ได้เลือก (ตอบตามภาษาของคำสั่งที่พิมพ์)",
        "ยังไม่ได้ให้ความยินยอมเก็บข้อมูลส่วนตัว", "บทบาท:", "• เจ้าหน้าที่ของสำนักงานเขตบางนา",
        T["me.log"].format(count=1), T["me.footer"]]))])


@pytest.mark.parametrize(("text", "reply", "button"), [
    ("ข้อมูลของฉัน",
     "สายใยไม่มีข้อมูลส่วนตัวของคุณครับ หากต้องการลงทะเบียน พิมพ์ “สมัคร” หรือกดปุ่มด้านล่างครับ", "สมัคร"),
    ("me", "Saiyai holds no personal data about you. To register, type “register” or tap the button below.",
     "register"),
    ("ข้อมูลของฉัน 🙂🙂", T["me.nothing"], "สมัคร"),
])
def test_me_for_a_stranger(dialog, district, fake_line, text, reply, button) -> None:
    dialog.run([(USERS["stranger"], text, reply)])
    assert last_message(fake_line)["quickReply"]["items"][0]["action"] == {"type": "message", "label": button,
                                                                          "text": button}


def test_personal_commands_are_refused_in_groups(dialog, district) -> None:
    dialog.run([
        (MEMBER, "บอท ข้อมูลของฉัน", "คำสั่ง “ข้อมูลของฉัน” ใช้ได้ในแชตส่วนตัวกับสายใยเท่านั้นครับ", GROUP),
        (MEMBER, "bot me", "“me” works in a 1:1 chat with Saiyai only.", GROUP),
        (MEMBER, "บอท ลบข้อมูลของฉัน", "คำสั่ง “ลบข้อมูลของฉัน” ใช้ได้ในแชตส่วนตัวกับสายใยเท่านั้นครับ", GROUP),
        (MEMBER, "bot forget me", "“forget me” works in a 1:1 chat with Saiyai only.", GROUP),
        (LEADER, "บอท สมาชิก", "คำสั่ง “สมาชิก” ใช้ได้ในแชตส่วนตัวกับสายใยเท่านั้นครับ", GROUP),
    ])


# --- forget me ----------------------------------------------------------------------------------------

def forget_buttons(fake_line) -> list[dict]:
    return [item["action"] for item in last_message(fake_line)["quickReply"]["items"]]


def test_forget_me_asks_first_and_cancel_keeps_everything(dialog, district, db, fake_line) -> None:
    dialog.run([(MEMBER, "ลบข้อมูลของฉัน", T["forget.ask"])])
    assert forget_buttons(fake_line) == [
        {"type": "postback", "label": "ลบข้อมูล", "data": "a=forget&confirm=1&l=th",
         "displayText": "ยืนยันลบข้อมูลของฉัน"},
        {"type": "postback", "label": "ไม่ลบ", "data": "a=forget&confirm=0&l=th", "displayText": "ไม่ลบข้อมูล"},
    ]
    assert dialog.postback(MEMBER, "a=forget&confirm=0&l=th") == ["ไม่ได้ลบอะไรครับ ข้อมูลของคุณยังอยู่ครบ"]
    assert person(db, MEMBER).full_name == "คุณmember"


def test_forget_me_in_english(dialog, district, db, fake_line) -> None:
    dialog.run([(MEMBER, "forget me", E["forget.ask"])])
    assert [b["data"] for b in forget_buttons(fake_line)] == ["a=forget&confirm=1&l=en", "a=forget&confirm=0&l=en"]
    assert dialog.postback(MEMBER, "a=forget&confirm=1&l=en") == [
        "Done: Saiyai has erased everything about you; only anonymous counts remain. "
        "You can register again any time with “register”."]
    assert person(db, MEMBER) is None


def test_forget_me_for_a_stranger_erases_the_command_log(dialog, district, db) -> None:
    stranger = USERS["stranger"]
    dialog.say(stranger, "ช่วยเหลือ")
    dialog.run([
        (stranger, "ลบข้อมูลของฉัน",
         "สายใยไม่มีข้อมูลส่วนตัวของคุณครับ มีเพียงบันทึกการใช้คำสั่ง (เวลาและห้องแชต ไม่มีข้อความ) "
         "ต้องการลบบันทึกนี้ด้วยหรือไม่ครับ"),
    ])
    assert dialog.postback(stranger, "a=forget&confirm=1&l=th") == [T["forget.done"]]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.user_id == stranger)) == 0
    assert db.scalar(select(func.count()).select_from(WebhookEvent)) == 3  # the rows stay, anonymous
    assert person(db, stranger) is None


def cells(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def rows_mentioning(db, needles: list[str]) -> list[tuple[str, dict]]:
    """(table, row) for every row of every table in which any needle appears."""
    db.expire_all()
    found = []
    for table in Base.metadata.sorted_tables:
        for row in db.execute(select(table)).mappings():
            text = " ".join(cells(v) for v in row.values())
            if any(needle in text for needle in needles):
                found.append((table.name, dict(row)))
    return found


def test_forget_me_erases_the_person_from_every_table(dialog, district, db, session_factory, clock) -> None:
    name, phone, line_name = "สมศรี ใจดี", "0812345678", "ศรีจัง"
    for answer in ["สมัคร", name, "วัดบางนา", "081-234-5678", "ยินยอม"]:
        dialog.say(NEW, answer)
    dialog.say(NEW, "english")
    with session_factory() as session, session.begin():
        me_ = reg.find_person(session, NEW)
        me_.display_name = line_name
        org = session.get(Organization, district.org.id)
        reg.grant(session, me_, RoleName.COMMUNITY_LEADER, org, community=session.get(Community, district.wat.id),
                  title="เลขานุการ", now=clock())
        reg.create_invite(session, RoleName.COMMUNITY_LEADER, org.id, now=clock(), created_by=me_,
                          community=session.get(Community, district.market.id))
        used = reg.create_invite(session, RoleName.PARTNER, org.id, now=clock(),
                                 network=session.get(type(district.zone1), district.zone1.id))
        reg.redeem_invite(session, me_, used.code, clock())
        session.add(Partner(organization_id=org.id, name="โรงพยาบาลบางนา", sector=PartnerSector.GOVERNMENT,
                            representative_id=me_.id))
        # A conversation left open in a group, holding answers.
        session.add(Conversation(chat_id=GROUP, user_id=NEW, flow="registration", step="awaiting_phone",
                                 data={"full_name": name}, lang="th", expires_at=clock(), updated_at=clock()))
        # Messages still waiting: to the person, to them among others, and about them to a group.
        outbox.enqueue(session, [NEW], [text_message("ถึงคุณคนเดียว")], now=clock())
        outbox.enqueue(session, [NEW, MEMBER], [text_message("ประชุมพรุ่งนี้")], now=clock())
        outbox.enqueue(session, [GROUP], [text_message(f"ติดต่อ{name} โทร {phone}")], now=clock())
    dialog.say(NEW, "บอท ผูกกลุ่ม วัดบางนา", group=GROUP)
    [_, leaders_list] = dialog.say(LEADER, "สมาชิก")  # a leader's member list names them
    assert leaders_list.split("\n")[2] == f"2. {name} — ชุมชนวัดบางนา (ผู้นำ, สมาชิก)"

    needles = [NEW, name, phone, line_name]
    assert {table for table, _ in rows_mentioning(db, needles)} == {
        "person", "conversation", "webhook_event", "outbox_message"}
    people = db.scalar(select(func.count()).select_from(Person))
    events = db.scalar(select(func.count()).select_from(WebhookEvent))
    theirs = db.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.user_id == NEW))
    anonymous = db.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.user_id.is_(None)))

    dialog.run([(NEW, "forget me", E["forget.ask"])])
    assert dialog.postback(NEW, "a=forget&confirm=1&l=en") == [E["forget.done"]]

    # No row of any table holds the user id, name, phone or LINE name any more (the sent "done"
    # reply keeps no address once LINE accepted it).
    assert rows_mentioning(db, needles) == []
    # Everything else stays, anonymous: events, invites, the group link, the partner, other people.
    assert db.scalar(select(func.count()).select_from(Person)) == people - 1
    assert db.scalar(select(func.count()).select_from(WebhookEvent)) == events + 2
    assert db.scalar(select(func.count()).select_from(WebhookEvent).where(
        WebhookEvent.user_id.is_(None))) == anonymous + theirs + 2
    assert [(i.created_by_id, i.used_by_id) for i in db.scalars(select(InviteCode).order_by(InviteCode.id))] == [
        (None, None), (None, None)]
    assert [(c.chat_id, c.community_id, c.linked_by_id) for c in db.scalars(select(ChatLink))] == [
        (GROUP, district.wat.id, None)]
    assert [(p.name, p.representative_id) for p in db.scalars(select(Partner))] == [("โรงพยาบาลบางนา", None)]
    assert db.scalar(select(func.count()).select_from(Membership).where(
        Membership.community_id == district.wat.id)) == 6  # five seeded members and the leader's role
    assert db.scalar(select(func.count()).select_from(Conversation)) == 0
    # Messages naming them were scrubbed, not dropped; the multicast goes on to the others.
    assert [m["text"] for row in db.scalars(select(OutboxMessage).where(OutboxMessage.target == GROUP))
            for m in row.messages] == ["ติดต่อ— โทร —"]
    assert [(row.recipients, row.recipient_count) for row in db.scalars(select(OutboxMessage))
            if row.recipients] == [([MEMBER], 1)]
    # Replies LINE accepted (the leader's member list among them) keep no text at all.
    assert {len(row.messages) for row in db.scalars(select(OutboxMessage).where(
        OutboxMessage.state == OutboxState.SENT))} == {0}


# --- members --------------------------------------------------------------------------------------------

WAT = [("คุณleader", "community_leader", "member"), ("คุณchair", "network_chair", "member"), ("คุณmember", "member"),
       ("คุณpartner", "member"), ("คุณstaff", "staff", "member")]  # leaders first, then by name
MARKET = [(f"ตลาด{n:02d}", "member") for n in range(12)]


def names(page: int, pages: int, rows: list[tuple], first: int, community: str, lang: str = "th") -> str:
    """The expected names message: header, then `n. name — community (roles)`."""
    text = T if lang == "th" else E
    lines = [text["members.page_header"].format(page=page, pages=pages)]
    for n, (name, *roles) in enumerate(rows, start=first):
        lines.append(f"{n}. {name} — {community} ({', '.join(text[f'members.role.{r}'] for r in roles)})")
    return "\n".join(lines)


def test_members_for_a_leader_in_thai(dialog, district, fake_line) -> None:
    dialog.run([(LEADER, "สมาชิก", [
        "สมาชิกในความดูแลของคุณ 5 คน จาก 1 ชุมชน\n• ชุมชนวัดบางนา: 5 คน (ผู้นำ 1, สมาชิก 5)",
        "รายชื่อ หน้า 1/1\n"
        "1. คุณleader — ชุมชนวัดบางนา (ผู้นำ, สมาชิก)\n"
        # The zone's chair and the district's staff with the roles that look after this community too;
        # a partner's role is the network's, not the community's.
        "2. คุณchair — ชุมชนวัดบางนา (ประธานเครือข่าย, สมาชิก)\n"
        "3. คุณmember — ชุมชนวัดบางนา (สมาชิก)\n"
        "4. คุณpartner — ชุมชนวัดบางนา (สมาชิก)\n"
        "5. คุณstaff — ชุมชนวัดบางนา (เจ้าหน้าที่, สมาชิก)",
    ])])
    assert dialog.quick_replies() == []  # one page only


def test_members_for_a_leader_in_english(dialog, district) -> None:
    dialog.run([(USERS["other_leader"], "members", [
        "Registered in the communities you look after: 1 (communities: 1)\n"
        "• ชุมชนคลองบางนา: 1 (leader: 1, member: 1)",
        "Names, page 1 of 1\n1. คุณother_leader — ชุมชนคลองบางนา (leader, member)"])])


@pytest.fixture
def crowded(district, session_factory, clock):
    """Twelve more members in ชุมชนตลาดบางนา (zone 1): the chair then sees 17 names, two pages."""
    with session_factory() as session, session.begin():
        market = session.get(Community, district.market.id)
        for n in range(12):
            reg.register_person(session, f"U{n:032d}", full_name=f"ตลาด{n:02d}", community=market, phone=None,
                                display_name=None, now=clock())
    return district


def test_members_are_paginated_ten_per_page(dialog, crowded, fake_line) -> None:
    summary = ("สมาชิกในความดูแลของคุณ 17 คน จาก 2 ชุมชน\n"
               "• ชุมชนตลาดบางนา: 12 คน (สมาชิก 12)\n"
               "• ชุมชนวัดบางนา: 5 คน (ผู้นำ 1, สมาชิก 5)")
    page1 = names(1, 2, MARKET[:10], 1, "ชุมชนตลาดบางนา")
    page2 = names(2, 2, MARKET[10:], 11, "ชุมชนตลาดบางนา") + "\n" + names(2, 2, WAT, 13, "ชุมชนวัดบางนา").split(
        "\n", 1)[1]
    assert page2.split("\n")[3] == "13. คุณleader — ชุมชนวัดบางนา (ผู้นำ, สมาชิก)"
    dialog.run([(CHAIR, "สมาชิก", [summary, page1])])
    assert last_message(fake_line)["quickReply"]["items"][0]["action"] == {
        "type": "message", "label": "หน้าถัดไป", "text": "สมาชิก 2"}
    dialog.run([
        (CHAIR, "สมาชิก 2", page2),
        (CHAIR, "สมาชิก ๒", page2),           # Thai digits
        (CHAIR, "สมาชิก หน้า 2", page2),
    ])
    assert dialog.quick_replies() == []  # the last page
    page2_en = (names(2, 2, MARKET[10:], 11, "ชุมชนตลาดบางนา", "en") + "\n"
                + names(2, 2, WAT, 13, "ชุมชนวัดบางนา", "en").split("\n", 1)[1])
    dialog.run([(CHAIR, "members 2", page2_en)])
    dialog.run([(CHAIR, "members", ["Registered in the communities you look after: 17 (communities: 2)\n"
                                    "• ชุมชนตลาดบางนา: 12 (member: 12)\n"
                                    "• ชุมชนวัดบางนา: 5 (leader: 1, member: 5)",
                                    names(1, 2, MARKET[:10], 1, "ชุมชนตลาดบางนา", "en")])])
    assert last_message(fake_line)["quickReply"]["items"][0]["action"] == {
        "type": "message", "label": "Next page", "text": "members 2"}


@pytest.mark.parametrize(("text", "reply"), [
    ("สมาชิก 3", "รายชื่อมีทั้งหมด 2 หน้าครับ พิมพ์ “สมาชิก 2” เพื่อดูหน้าสุดท้าย"),
    ("members 30", "There are 2 pages of names. Type “members 2” for the last one."),
    ("สมาชิก 0", T["members.usage"]),
    ("สมาชิก abc", "ไม่พบชุมชนหรือผู้ที่ชื่อมี “abc” ในชุมชนที่คุณดูแลครับ พิมพ์ “สมาชิก” เพื่อดูจำนวนสมาชิกของแต่ละชุมชน"),
    ("members -1", "Type “members” for the first page, “members 2” for page 2, or “members” and a community or "
                   "person name to look them up."),
    ("สมาชิก 🙂", T["members.usage"]),
    ("สมาชิก " + "ก" * 300, T["members.usage"]),
])
def test_members_bad_page(dialog, crowded, text, reply) -> None:
    dialog.run([(CHAIR, text, reply)])


def test_members_for_staff_covers_the_whole_organization(dialog, district) -> None:
    [summary, _] = dialog.say(STAFF, "สมาชิก")
    assert summary == ("สมาชิกในความดูแลของคุณ 6 คน จาก 3 ชุมชน\n"
                       "• ชุมชนคลองบางนา: 1 คน (ผู้นำ 1, สมาชิก 1)\n"
                       "• ชุมชนตลาดบางนา: ยังไม่มีผู้ลงทะเบียน\n"
                       "• ชุมชนวัดบางนา: 5 คน (ผู้นำ 1, สมาชิก 5)")



def test_members_show_the_roles_that_look_after_each_community(dialog, district, session_factory, clock) -> None:
    # A chair's role counts in the communities of their network, zone or issue, and nowhere else.
    with session_factory() as session, session.begin():
        org = session.get(Organization, district.org.id)
        reg.grant(session, reg.find_person(session, USERS["other_leader"]), RoleName.NETWORK_CHAIR, org,
                  network=session.get(Network, district.elderly.id), now=clock())
        reg.grant(session, reg.find_person(session, MEMBER), RoleName.NETWORK_CHAIR, org,
                  network=session.get(Network, district.zone2.id), now=clock())
    [_, page] = dialog.say(STAFF, "สมาชิก")
    assert page == ("รายชื่อ หน้า 1/1\n"
                    "1. คุณother_leader — ชุมชนคลองบางนา (ประธานเครือข่าย, ผู้นำ, สมาชิก)\n"
                    "2. คุณleader — ชุมชนวัดบางนา (ผู้นำ, สมาชิก)\n"
                    "3. คุณchair — ชุมชนวัดบางนา (ประธานเครือข่าย, สมาชิก)\n"
                    "4. คุณmember — ชุมชนวัดบางนา (สมาชิก)\n"
                    "5. คุณpartner — ชุมชนวัดบางนา (สมาชิก)\n"
                    "6. คุณstaff — ชุมชนวัดบางนา (เจ้าหน้าที่, สมาชิก)")
    [found] = dialog.say(STAFF, "members คุณch")
    assert found == "People whose name holds “คุณch” in the communities you look after\n1. คุณchair — ชุมชนวัดบางนา (network chair, member)"


@pytest.mark.parametrize("who", ["member", "partner", "stranger"])
def test_members_is_refused_below_community_leader(dialog, district, who) -> None:
    dialog.run([
        (USERS[who], "สมาชิก", "ขออภัยครับ คำสั่ง “สมาชิก” สงวนไว้สำหรับผู้นำชุมชนครับ"),
        (USERS[who], "members 2", "Sorry, “members” is for community leaders only."),
    ])


# --- communities ------------------------------------------------------------------------------------------

ZONE1 = "เครือข่ายโซน 1 มี 2 ชุมชน:\n• ชุมชนตลาดบางนา — สมาชิก 0 คน\n• ชุมชนวัดบางนา — สมาชิก 5 คน"
ZONE2 = "เครือข่ายโซน 2 มี 1 ชุมชน:\n• ชุมชนคลองบางนา — สมาชิก 1 คน"


@pytest.mark.parametrize(("who", "reply"), [
    ("member", ZONE1),
    ("leader", ZONE1),
    ("partner", ZONE1),
    ("chair", ZONE1),
    ("other_leader", ZONE2),
    ("staff", f"{ZONE1}\n\n{ZONE2}"),
])
def test_communities_of_the_senders_networks(dialog, district, who, reply) -> None:
    dialog.run([(USERS[who], "ชุมชน", reply)])


def test_communities_in_english_in_a_group_and_for_an_issue_network_chair(dialog, district, session_factory,
                                                                          clock) -> None:
    with session_factory() as session, session.begin():
        reg.grant(session, reg.find_person(session, USERS["other_leader"]), RoleName.NETWORK_CHAIR,
                  session.get(Organization, district.org.id), network=session.get(type(district.elderly),
                                                                                  district.elderly.id), now=clock())
    dialog.run([
        (MEMBER, "bot communities",
         "เครือข่ายโซน 1 (communities: 2):\n• ชุมชนตลาดบางนา — 0 registered\n• ชุมชนวัดบางนา — 5 registered",
         GROUP),
        # Networks by name: ผ (ผู้สูงอายุ) sorts before โ (โซน).
        (USERS["other_leader"], "ชุมชน 🙂",
         f"เครือข่ายผู้สูงอายุ มี 1 ชุมชน:\n• ชุมชนคลองบางนา — สมาชิก 1 คน\n\n{ZONE2}"),
    ])


def test_communities_is_refused_to_strangers(dialog, district) -> None:
    dialog.run([
        (USERS["stranger"], "ชุมชน", "ขออภัยครับ คำสั่ง “ชุมชน” สงวนไว้สำหรับสมาชิกที่ลงทะเบียนแล้วครับ"),
        (USERS["stranger"], "communities", "Sorry, “communities” is for registered members only."),
    ])


# --- language ------------------------------------------------------------------------------------------------

def test_a_member_switches_language_and_it_sticks(dialog, district, db) -> None:
    help_en = dialog.say(MEMBER, "help")[0]
    help_th = dialog.say(MEMBER, "ช่วยเหลือ")[0]
    dialog.run([
        (MEMBER, "K7M2", T["help.unknown"].format(text="K7M2") + "\n" + help_th),  # no choice yet: Thai
        (MEMBER, "english", "Saiyai will reply in English from now on. Type “thai” to switch back to Thai."),
        (MEMBER, "ช่วยเหลือ", help_en),   # a Thai keyword, an English reply: the stored choice wins
        (MEMBER, "K7M2", E["help.unknown"].format(text="K7M2") + "\n" + help_en),
    ])
    assert person(db, MEMBER).language == "en"
    dialog.run([
        (MEMBER, "ภาษาไทย", "ต่อไปนี้สายใยจะตอบเป็นภาษาไทยครับ พิมพ์ “english” เพื่อเปลี่ยนเป็นภาษาอังกฤษ"),
        (MEMBER, "help", help_th),
        (MEMBER, "ภาษาอังกฤษ", E["language.set"]),  # the Thai keyword for English answers in English
    ])
    assert person(db, MEMBER).language == "en"


def test_a_stranger_is_answered_in_the_language_but_nothing_is_stored(dialog, district, db, fake_line) -> None:
    stranger = USERS["stranger"]
    people = db.scalar(select(func.count()).select_from(Person))
    dialog.run([(stranger, "english",
                 "Replying in English. To have Saiyai remember this choice, register first: type “register”.")])
    assert dialog.quick_replies() == ["register"]
    dialog.run([(stranger, "bot thai", T["language.not_kept"], GROUP)])
    assert last_message(fake_line)["quickReply"]["items"][0]["action"]["text"] == "บอท สมัคร"
    assert db.scalar(select(func.count()).select_from(Person)) == people


# --- help per role -------------------------------------------------------------------------------------------

MINE = {"ผูกกลุ่ม", "ข้อมูลของฉัน", "ลบข้อมูลของฉัน", "สมาชิก", "ชุมชน", "ภาษาอังกฤษ", "ภาษาไทย"}
ANYONE_1TO1 = {"ข้อมูลของฉัน", "ลบข้อมูลของฉัน", "ภาษาอังกฤษ", "ภาษาไทย"}
ANYONE_GROUP = {"ภาษาอังกฤษ", "ภาษาไทย"}


@pytest.mark.parametrize(("who", "one_to_one", "in_group"), [
    ("stranger", ANYONE_1TO1, ANYONE_GROUP),
    ("member", ANYONE_1TO1 | {"ชุมชน"}, ANYONE_GROUP | {"ชุมชน"}),
    ("partner", ANYONE_1TO1 | {"ชุมชน"}, ANYONE_GROUP | {"ชุมชน"}),
    ("leader", ANYONE_1TO1 | {"ชุมชน", "สมาชิก"}, ANYONE_GROUP | {"ชุมชน", "ผูกกลุ่ม"}),
    ("chair", ANYONE_1TO1 | {"ชุมชน", "สมาชิก"}, ANYONE_GROUP | {"ชุมชน", "ผูกกลุ่ม"}),
    ("staff", ANYONE_1TO1 | {"ชุมชน", "สมาชิก"}, ANYONE_GROUP | {"ชุมชน", "ผูกกลุ่ม"}),
])
def test_help_lists_only_what_the_role_may_use_here(dialog, district, who, one_to_one, in_group) -> None:
    def shown(replies: list[str]) -> set[str]:
        [text] = replies
        return {line[2:].split(" — ")[0] for line in text.split("\n") if line.startswith("• ")}

    assert shown(dialog.say(USERS[who], "ช่วยเหลือ")) & MINE == one_to_one
    assert shown(dialog.say(USERS[who], "บอท ช่วยเหลือ", group=GROUP)) & MINE == in_group



@pytest.mark.parametrize(("who", "typed", "lines"), [
    ("stranger", "ช่วยเหลือ", ["• สมัคร — สมัครเป็นสมาชิกชุมชน", "• รหัส — ใช้รหัสเชิญเพื่อรับบทบาท"]),
    ("stranger", "help", ["• register — Register as a community member", "• join — Use an invite code to take a role"]),
    # Registered: registering again is how a member changes their details, so it says that; an invite
    # code still gives a registered member a role (a leader's, a chair's).
    ("member", "ช่วยเหลือ", ["• สมัคร — แก้ไขชื่อ ชุมชน หรือเบอร์โทรที่ลงทะเบียนไว้", "• รหัส — ใช้รหัสเชิญเพื่อรับบทบาท"]),
    ("leader", "help", ["• register — Change the name, community or phone you registered",
                        "• join — Use an invite code to take a role"]),
])
def test_help_says_what_registering_does_for_who_asks(dialog, district, who, typed, lines) -> None:
    [text] = dialog.say(USERS[who], typed)
    assert text.split("\n")[2:4] == lines
    # In a group, registering there joins the group's community, registered or not: the usual text.
    [text] = dialog.say(USERS[who], f"บอท {typed}", group=GROUP)
    assert text.split("\n")[2] == ("• สมัคร — สมัครเป็นสมาชิกชุมชน" if typed == "ช่วยเหลือ"
                                   else "• register — Register as a community member")


def test_forget_me_keeps_past_answers_as_counts_and_frees_a_seat_to_come(dialog, district, db, session_factory,
                                                                        clock) -> None:
    """A meeting already held keeps its head count and check-ins (the summary and the attendance rate do
    not change); the person's answer to a meeting still to come goes with them."""
    with session_factory() as session, session.begin():
        member, leader = (reg.find_person(session, user) for user in (MEMBER, LEADER))
        held = make_activity(session, district, "PAST", "ประชุมที่ผ่านมา", clock() - timedelta(days=2))
        coming = make_activity(session, district, "NEXT", "ประชุมครั้งหน้า", clock() + timedelta(days=5))
        for activity in (held, coming):
            for person in (member, leader):
                rsvp(session, activity, person, Answer.GOING, district.wat)
        session.flush()
        for answer in session.scalars(select(Rsvp).where(Rsvp.activity_id == held.id)):
            answer.answered_at, answer.checked_in_at = held.starts_at - timedelta(days=1), held.starts_at
    before = dialog.say(STAFF, "ผู้เข้าร่วม PAST")
    dialog.say(MEMBER, "ลบข้อมูลของฉัน")
    assert dialog.postback(MEMBER, "a=forget&confirm=1&l=th") == [T["forget.done"]]
    # The same counts and check-ins; only the erased name is gone from the list.
    assert dialog.say(STAFF, "ผู้เข้าร่วม PAST") == [before[0].replace("คุณmember ✓, ", "")]
    assert "ไป 2 ·" in before[0] and "มาแล้ว 2 จาก 2" in before[0]
    db.expire_all()
    assert sorted((r.activity_id == held.id, r.person_id is None, r.checked_in_at is not None)
                  for r in db.scalars(select(Rsvp))) == [(False, False, False), (True, False, True), (True, True, True)]


@pytest.mark.parametrize(("user", "typed", "greeting"), [
    (USERS["stranger"], "สวัสดีครับ", "สวัสดีครับ 🙏"),
    (USERS["stranger"], "หวัดดีค่ะ 🙏", "สวัสดีครับ 🙏"),
    (MEMBER, "สวัสดีครับ", "สวัสดีครับ 🙏"),
    (MEMBER, "อรุณสวัสดิ์ค่ะ", "สวัสดีครับ 🙏"),
])
def test_a_greeting_is_greeted_not_called_not_understood(dialog, district, user, typed, greeting) -> None:
    """The first thing most people type is a greeting: it was answered "ขออภัยครับ สายใยยังไม่เข้าใจ “สวัสดีครับ”"."""
    help_text = dialog.say(user, "ช่วยเหลือ")[0]
    dialog.run([(user, typed, greeting + "\n" + help_text)])


def test_help_buttons_in_a_group_call_the_bot_and_are_answered(dialog, district) -> None:
    """In a group the bot only reads what starts with “บอท”: the help's buttons sent the bare keyword
    (“กิจกรรม”), and tapping one was met with silence."""
    dialog.say(MEMBER, "บอท ช่วยเหลือ", group=GROUP)
    last = dialog.fake_line.state.requests[-1].body["messages"][-1]
    sent = {item["action"]["label"]: item["action"]["text"] for item in last["quickReply"]["items"]}
    assert sent["กิจกรรม"] == "บอท กิจกรรม"
    assert sent["ชุมชน"] == "บอท ชุมชน"
    assert dialog.say(MEMBER, sent["กิจกรรม"], group=GROUP) == [T["event.list_none"]]
    # In the 1:1 chat the button sends the keyword alone, as before.
    dialog.say(MEMBER, "ช่วยเหลือ")
    last = dialog.fake_line.state.requests[-1].body["messages"][-1]
    assert {item["action"]["text"] for item in last["quickReply"]["items"]} >= {"กิจกรรม", "ชุมชน"}
