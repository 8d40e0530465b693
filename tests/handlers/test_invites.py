"""Invite codes created in chat (`สร้างรหัส` / `invite`) and used (`รหัส` / `join`), as conversation tables."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from handlers.catalog import en, th
from handlers.services import registry as reg
from models import Activity, ActivityStatus, Community, HostState, InviteCode, Membership, Network, Person, RoleName
from support.dialog import Dialog
from support.registry import USERS
from support.texts import t

T, E = th.TEXT, en.TEXT
NEW = "U" + "b" * 32
GROUP = "C" + "2" * 32
EXPIRES_TH = "วันเสาร์ที่ 28 พฤศจิกายน 2569 เวลา 10:00 น."  # the test clock's now + 7 days
EXPIRES_EN = "Saturday 28 November 2026, 10:00"


@pytest.fixture
def dialog(fake_line, webhook, second_worker) -> Dialog:
    return Dialog(fake_line, webhook, second_worker)


def invites(db) -> list[InviteCode]:
    db.expire_all()
    return list(db.scalars(select(InviteCode).order_by(InviteCode.id)))


def person_id(db, key: str) -> int:
    return db.scalars(select(Person.id).where(Person.line_user_id == USERS[key])).one()


def quick_replies(fake_line) -> list[tuple[str, str]]:
    """(label, text sent) of every quick-reply button on the bot's last message."""
    last = fake_line.state.requests[-1].body["messages"][-1]
    return [(i["action"]["label"], i["action"]["text"]) for i in (last.get("quickReply") or {}).get("items", [])]


def created_th(target: str, code: str) -> list[str]:
    return [t("invites.created", target=target, code=code, expires=EXPIRES_TH), f"รหัส {code}"]


def created_en(target: str, code: str) -> list[str]:
    return [E["invites.created"].format(target=target, code=code, expires=EXPIRES_EN), f"join {code}"]


def test_chair_invites_a_leader_who_forwards_the_code_in_thai(dialog, district, db) -> None:
    replies = dialog.say(USERS["chair"], "สร้างรหัส ผู้นำ ตลาดบางนา")
    [invite] = invites(db)
    assert replies == [
        "สร้างรหัสเชิญผู้นำชุมชนตลาดบางนาแล้วครับ 🔑\n"
        f"รหัส {invite.code} ใช้ได้ครั้งเดียว หมดอายุ วันเสาร์ที่ 28 พฤศจิกายน 2569 เวลา 10:00 น.\n"
        "กดค้างที่ข้อความถัดไปแล้วส่งต่อให้ผู้รับทางแชตส่วนตัว ผู้รับส่งข้อความนั้นถึงสายใยเพื่อรับบทบาทครับ "
        "(ถ้ายังไม่ได้ลงทะเบียน สายใยจะถามชื่อก่อน)",
        f"รหัส {invite.code}",
    ]
    # The member forwards the second message to Saiyai as it is.
    dialog.run([
        (USERS["member"], replies[1], "เรียบร้อยครับ ตอนนี้คุณเป็นผู้นำชุมชนตลาดบางนาแล้ว"),
        (USERS["other_leader"], replies[1], T["invite.used"]),
    ])
    [invite] = invites(db)
    assert (invite.role, invite.community_id, invite.network_id, invite.created_by_id, invite.used_by_id) == (
        RoleName.COMMUNITY_LEADER, district.market.id, None, person_id(db, "chair"), person_id(db, "member"))
    roles = db.scalars(select(Membership.community_id).where(
        Membership.person_id == person_id(db, "member"), Membership.role == RoleName.COMMUNITY_LEADER)).all()
    assert roles == [district.market.id]


def test_a_new_leader_gets_the_hosting_requests_nobody_could_answer(dialog, district, db, session_factory,
                                                                   clock, fake_line) -> None:
    """ตลาดบางนา has no leader when it is proposed to host: its first leader is asked on taking the role."""
    with session_factory() as session, session.begin():
        starts = clock() + timedelta(days=10)
        activity = Activity(code="HST1", title="ประชุมโซน 1", organization_id=district.org.id,
                            network_id=district.zone1.id, host_community_id=district.market.id,
                            host_state=HostState.PROPOSED, starts_at=starts, ends_at=starts + timedelta(hours=3),
                            status=ActivityStatus.PLANNED, created_at=clock(), updated_at=clock())
        session.add(activity)
        session.flush()
        ident = activity.id
    code = dialog.say(USERS["chair"], "สร้างรหัส ผู้นำ ตลาดบางนา")[1]
    replies = dialog.say(USERS["member"], code)
    assert replies == ["เรียบร้อยครับ ตอนนี้คุณเป็นผู้นำชุมชนตลาดบางนาแล้ว", "[flex]"]
    card = fake_line.state.requests[-1].body["messages"][1]
    assert card["altText"] == t("card.host_request.alt", title="ประชุมโซน 1")
    # The card's button works for them.
    assert dialog.postback(USERS["member"], f"a=host_confirm&id={ident}") == [t("host.confirmed",
        community="ชุมชนตลาดบางนา", title="ประชุมโซน 1", when="วันอังคารที่ 1 ธันวาคม 2569 เวลา 10:00 น.")]
    db.expire_all()
    assert db.get(Activity, ident).host_state == HostState.CONFIRMED


def test_staff_invites_a_chair_who_registers_first_in_english(dialog, district, db) -> None:
    replies = dialog.say(USERS["staff"], "invite chair เครือข่ายโซน 2")
    [invite] = invites(db)
    assert replies == created_en("the chair of เครือข่ายโซน 2", invite.code)
    assert replies[0] == (
        "Invite code for the chair of เครือข่ายโซน 2 created 🔑\n"
        f"Code {invite.code} works once and expires Saturday 28 November 2026, 10:00.\n"
        "Long-press the next message and forward it to that person in a 1:1 chat; they send it to Saiyai to take "
        "the role (Saiyai asks their name first if they have not registered).")
    dialog.run([
        (NEW, replies[1], E["invite.register_first"] + "\n" + E["register.ask_name"]),
        # The invite tells the district: its communities are offered as buttons.
        (NEW, "Somchai Rakdee", E["register.ask_community"]),
    ])
    assert dialog.quick_replies() == ["ชุมชนคลองบางนา", "ชุมชนตลาดบางนา", "ชุมชนวัดบางนา", "Cancel"]
    dialog.run([
        (NEW, "คลองบางนา", E["register.ask_phone"]),
        (NEW, "skip", E["register.summary"].format(name="Somchai Rakdee", community="ชุมชนคลองบางนา",
                                                   phone="not given") + "\n\n" + E["register.consent"]),
        (NEW, "I agree", ["Done! Somchai Rakdee, you are now a member of ชุมชนคลองบางนา 🎉",
                          "Done: you are now chair of เครือข่ายโซน 2."]),
    ])
    [invite] = invites(db)
    chair = db.scalars(select(Person).where(Person.line_user_id == NEW)).one()
    assert (invite.role, invite.network_id, invite.used_by_id) == (RoleName.NETWORK_CHAIR, district.zone2.id, chair.id)
    assert sorted((m.role, m.network_id, m.community_id) for m in chair.memberships) == [
        (RoleName.MEMBER, None, district.canal.id), (RoleName.NETWORK_CHAIR, district.zone2.id, None)]


@pytest.mark.parametrize(("user", "text", "target", "scope"), [
    ("chair", "สร้างรหัส ผู้นำชุมชนวัดบางนา", "ผู้นำชุมชนวัดบางนา", "wat"),        # Thai needs no space
    ("chair", "สร้างรหัส   ผู้นำ   ชม.วัดบางนา", "ผู้นำชุมชนวัดบางนา", "wat"),
    ("staff", "สร้างรหัส ผู้นำ วัดบางนานอก", "ผู้นำชุมชนวัดบางนา", "wat"),          # an alias
    ("staff", "สร้างรหัส ประธานชุมชนคลองบางนา", "ผู้นำชุมชนคลองบางนา", "canal"),   # a community's president leads it
    ("staff", "สร้างรหัส ประธาน เครือข่ายผู้สูงอายุ", "ประธานเครือข่ายผู้สูงอายุ", "elderly"),
    ("staff", "สร้างรหัส ประธานเครือข่ายโซน 1", "ประธานเครือข่ายโซน 1", "zone1"),
    ("staff", "สร้างรหัส ประธาน โซน 1 ครับ", "ประธานเครือข่ายโซน 1", "zone1"),        # a polite ending
    ("staff", "สร้างรหัส ประธาน เครือข่ายผู้สูงอายุค่ะ", "ประธานเครือข่ายผู้สูงอายุ", "elderly"),
])
def test_thai_ways_of_asking(dialog, district, db, user, text, target, scope) -> None:
    replies = dialog.say(USERS[user], text)
    [invite] = invites(db)
    assert replies == created_th(target, invite.code)
    assert (invite.community_id or invite.network_id) == getattr(district, scope).id


@pytest.mark.parametrize(("text", "target"), [
    ("invite leader Wat Bang Na", None),
    ("INVITE Leader ตลาดบางนา", "a leader of ชุมชนตลาดบางนา"),
    ("invite chair ชุมชนคลองบางนา", "a leader of ชุมชนคลองบางนา"),
])
def test_english_ways_of_asking(dialog, district, db, text, target) -> None:
    replies = dialog.say(USERS["staff"], text)
    if target is None:
        assert replies == [E["invites.community_unknown"].format(text="Wat Bang Na")]
        assert invites(db) == []
        return
    [invite] = invites(db)
    assert replies == created_en(target, invite.code)


def test_usage_for_a_chair_offers_the_communities_of_its_network(dialog, district, fake_line, db) -> None:
    usage = (t("invites.usage_chair", days=7) + "\n" + T["invites.pick_community"])
    assert usage == ("พิมพ์ “สร้างรหัส ผู้นำ ชื่อชุมชน” เพื่อสร้างรหัสเชิญผู้นำของชุมชนในเครือข่ายของคุณครับ\n"
                     "รหัสแต่ละชุดใช้ได้ครั้งเดียวและหมดอายุใน 7 วันครับ\n"
                     "หรือแตะชื่อชุมชนด้านล่างเพื่อสร้างรหัสเชิญผู้นำครับ")
    for text in ("สร้างรหัส", "สร้างรหัส ผู้นำ", "สร้างรหัส ชุมชนวัดบางนา", "สร้างรหัส หัวหน้า วัดบางนา"):
        dialog.run([(USERS["chair"], text, usage)])
        assert quick_replies(fake_line) == [("ชุมชนตลาดบางนา", "สร้างรหัส ผู้นำ ชุมชนตลาดบางนา"),
                                            ("ชุมชนวัดบางนา", "สร้างรหัส ผู้นำ ชุมชนวัดบางนา")]
    # Tapping a button creates the code.
    replies = dialog.say(USERS["chair"], "สร้างรหัส ผู้นำ ชุมชนตลาดบางนา")
    [invite] = invites(db)
    assert replies == created_th("ผู้นำชุมชนตลาดบางนา", invite.code)


def test_usage_for_staff_offers_the_networks(dialog, district, fake_line) -> None:
    dialog.run([(USERS["staff"], "invite", E["invites.usage_staff"].format(days=7) + "\n" + E["invites.pick_network"])])
    assert quick_replies(fake_line) == [("เครือข่ายโซน 1", "invite chair เครือข่ายโซน 1"),
                                        ("เครือข่ายโซน 2", "invite chair เครือข่ายโซน 2"),
                                        ("เครือข่ายผู้สูงอายุ", "invite chair เครือข่ายผู้สูงอายุ")]
    dialog.run([(USERS["staff"], "สร้างรหัส", t("invites.usage_staff", days=7) + "\n"
                 + T["invites.pick_network"])])
    assert quick_replies(fake_line)[0] == ("เครือข่ายโซน 1", "สร้างรหัส ประธาน เครือข่ายโซน 1")


def test_a_chair_without_communities_gets_usage_without_buttons(dialog, district, session_factory, clock,
                                                                fake_line) -> None:
    with session_factory() as session, session.begin():
        empty = Network(organization_id=district.org.id, name="เครือข่ายเยาวชน", kind="issue")
        session.add(empty)
        session.flush()
        reg.grant(session, session.get(Person, district.people["other_leader"].id), RoleName.NETWORK_CHAIR,
                  district.org, network=empty, now=clock())
    dialog.run([(USERS["other_leader"], "invite", E["invites.usage_chair"].format(days=7))])
    assert quick_replies(fake_line) == []


@pytest.mark.parametrize(("user", "text", "reply", "buttons"), [
    # Best match first; a chair is offered only the communities of its network (not ชุมชนคลองบางนา).
    ("chair", "สร้างรหัส ผู้นำ บางนา", t("invites.community_suggest", text="บางนา"),
     [("ชุมชนวัดบางนา", "สร้างรหัส ผู้นำ ชุมชนวัดบางนา"), ("ชุมชนตลาดบางนา", "สร้างรหัส ผู้นำ ชุมชนตลาดบางนา")]),
    ("staff", "สร้างรหัส ผู้นำ บางนา", t("invites.community_suggest", text="บางนา"),
     [("ชุมชนวัดบางนา", "สร้างรหัส ผู้นำ ชุมชนวัดบางนา"), ("ชุมชนคลองบางนา", "สร้างรหัส ผู้นำ ชุมชนคลองบางนา"),
      ("ชุมชนตลาดบางนา", "สร้างรหัส ผู้นำ ชุมชนตลาดบางนา")]),
    ("staff", "สร้างรหัส ผู้นำ หมู่บ้านที่ไม่มีจริง", t("invites.community_unknown", text="หมู่บ้านที่ไม่มีจริง"),
     []),
    ("staff", "สร้างรหัส ประธาน โซน", t("invites.network_suggest", text="โซน"),
     [("เครือข่ายโซน 1", "สร้างรหัส ประธาน เครือข่ายโซน 1"), ("เครือข่ายโซน 2", "สร้างรหัส ประธาน เครือข่ายโซน 2")]),
    ("staff", "invite chair youth", E["invites.network_unknown"].format(text="youth"), []),
    ("chair", "สร้างรหัส ผู้นำ " + "ก" * 60, t("invites.community_unknown", text="ก" * 40 + "…"), []),
])
def test_unknown_names_get_suggestions_and_create_nothing(dialog, district, fake_line, db, user, text, reply,
                                                          buttons) -> None:
    dialog.run([(USERS[user], text, reply)])
    assert quick_replies(fake_line) == buttons
    assert invites(db) == []


def test_chair_of_an_issue_network_invites_leaders_of_its_communities(dialog, district, session_factory, clock,
                                                                     db) -> None:
    """An issue network's chair manages the communities in it (can_manage_community), as a zone chair does."""
    with session_factory() as session, session.begin():
        reg.grant(session, session.get(Person, district.people["other_leader"].id), RoleName.NETWORK_CHAIR,
                  district.org, network=session.get(Network, district.elderly.id), now=clock())
    replies = dialog.say(USERS["other_leader"], "สร้างรหัส ผู้นำ คลองบางนา")
    [invite] = invites(db)
    assert replies == created_th("ผู้นำชุมชนคลองบางนา", invite.code)
    dialog.run([(USERS["other_leader"], "สร้างรหัส ผู้นำ วัดบางนา",
                 t("invites.not_your_community", community="ชุมชนวัดบางนา"))])
    assert len(invites(db)) == 1


def test_codes_are_only_given_in_the_one_to_one_chat(dialog, district, db) -> None:
    dialog.run([
        (USERS["staff"], "บอท สร้างรหัส ผู้นำ ตลาดบางนา", t("command.wrong_chat_group", keyword="สร้างรหัส"),
         GROUP),
        (USERS["staff"], "bot invite leader ตลาดบางนา", E["command.wrong_chat_group"].format(keyword="invite"), GROUP),
    ])
    assert invites(db) == []


def test_a_code_expires_after_seven_days(dialog, district, db, clock) -> None:
    replies = dialog.say(USERS["staff"], "สร้างรหัส ผู้นำ ตลาดบางนา")
    clock.advance(days=7)
    dialog.run([(USERS["member"], replies[1], T["invite.expired"])])
    assert db.scalar(select(func.count()).select_from(Membership).where(
        Membership.role == RoleName.COMMUNITY_LEADER, Membership.community_id == district.market.id)) == 0


def test_codes_are_unique_and_each_works_once(dialog, district, db) -> None:
    codes = [dialog.say(USERS["staff"], "สร้างรหัส ผู้นำ ตลาดบางนา")[1] for _ in range(3)]
    assert len(set(codes)) == 3
    dialog.run([
        (USERS["member"], codes[0], "เรียบร้อยครับ ตอนนี้คุณเป็นผู้นำชุมชนตลาดบางนาแล้ว"),
        (USERS["partner"], codes[1], "เรียบร้อยครับ ตอนนี้คุณเป็นผู้นำชุมชนตลาดบางนาแล้ว"),
        (USERS["partner"], codes[0], T["invite.used"]),
    ])
    assert [i.used_at is not None for i in invites(db)] == [True, True, False]


def test_communities_of_another_organization_are_not_offered(dialog, district, session_factory, db,
                                                             fake_line) -> None:
    with session_factory() as session, session.begin():
        other, _ = reg.create_organization(session, "สำนักงานเขตพระโขนง", district.org.created_at)
        zone = Network(organization_id=other.id, name="โซนพระโขนง", kind="zone")
        session.add(zone)
        session.flush()
        session.add(Community(organization_id=other.id, name="ชุมชนวัดธาตุทอง", zone_id=zone.id))
    dialog.run([(USERS["staff"], "สร้างรหัส ผู้นำ ชุมชนวัดธาตุทอง",
                 t("invites.community_suggest", text="ชุมชนวัดธาตุทอง"))])
    assert quick_replies(fake_line) == [("ชุมชนวัดบางนา", "สร้างรหัส ผู้นำ ชุมชนวัดบางนา")]
    assert invites(db) == []
