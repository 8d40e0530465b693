"""Groups: linking a group to a community or network, welcoming members, leave and unfollow."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from handlers.catalog import en, text_for, th
from handlers.services import registry as reg
from models import ChatLink, Person, WebhookEvent
from support import events as ev
from support.registry import USERS
from support.texts import t

T, E = th.TEXT, en.TEXT
GROUP = "C" + "d" * 32
OTHER_GROUP = "C" + "e" * 32
NEW = "U" + "a" * 32
LEADER, CHAIR, STAFF = USERS["leader"], USERS["chair"], USERS["staff"]


def post(webhook, fake_line, event: dict) -> list[dict]:
    """Post one event; the bodies of the requests the bot then made to LINE."""
    seen = len(fake_line.state.requests)
    assert webhook.post(event).status_code == 200
    return [r.body for r in fake_line.state.requests[seen:]]


def links(db) -> list[tuple]:
    db.expire_all()
    return [(r.chat_id, r.community_id, r.network_id, r.linked_by_id, r.left_at)
            for r in db.scalars(select(ChatLink).order_by(ChatLink.id))]


def person_id(db, key: str) -> int:
    return db.scalars(select(Person.id).where(Person.line_user_id == USERS[key])).one()


def done_community(name: str, lang: str = "th") -> str:
    return text_for(lang, "link.done_community", name=name)


def done_network(name: str, lang: str = "th") -> str:
    return text_for(lang, "link.done_network", name=name)


# --- linking --------------------------------------------------------------------------------------

def test_a_leader_links_its_group_in_thai(dialog, district, db, clock) -> None:
    dialog.run([(LEADER, "บอท ผูกกลุ่ม วัดบางนา", done_community("ชุมชนวัดบางนา"), GROUP)])
    assert links(db) == [(GROUP, district.wat.id, None, person_id(db, "leader"), None)]
    assert dialog.say(LEADER, "บอท ผูกกลุ่ม ชุมชน วัดบางนา", group=GROUP) == [
        "กลุ่มนี้ผูกกับชุมชนวัดบางนาอยู่แล้วครับ"]
    assert len(links(db)) == 1


def test_a_leader_links_its_group_in_english(dialog, district, db) -> None:
    dialog.run([
        (LEADER, "bot link ชุมชนวัดบางนา",
         "This group is now linked to ชุมชนวัดบางนา. Members of the group can join it with “bot register”.", GROUP),
        (LEADER, "@bot link วัดบางนานอก", E["link.already"].format(name="ชุมชนวัดบางนา"), GROUP),  # an alias
    ])
    assert links(db) == [(GROUP, district.wat.id, None, person_id(db, "leader"), None)]


def test_a_chair_links_a_community_of_its_zone_then_moves_the_link_to_the_network(dialog, district, db) -> None:
    dialog.run([
        (CHAIR, "บอท ผูกกลุ่ม ตลาดบางนา", done_community("ชุมชนตลาดบางนา"), GROUP),
        # "โซน 1" is enough for "เครือข่ายโซน 1"; relinking moves the link and says so.
        (CHAIR, "บอท ผูกกลุ่ม โซน 1",
         "ยกเลิกการผูกกลุ่มกับชุมชนตลาดบางนาแล้วครับ\n"
         "ผูกกลุ่มนี้กับเครือข่ายโซน 1 เรียบร้อยครับ ข่าวสารของเครือข่ายจะส่งมาที่กลุ่มนี้", GROUP),
    ])
    assert links(db) == [(GROUP, None, district.zone1.id, person_id(db, "chair"), None)]
    dialog.run([(CHAIR, "bot link network โซน 1", E["link.already"].format(name="เครือข่ายโซน 1"), GROUP)])


def test_staff_links_anything_in_its_organization_and_rooms_work_too(dialog, district, db, webhook, fake_line) -> None:
    dialog.run([
        (STAFF, "บอท ผูกกลุ่ม คลองบางนา", done_community("ชุมชนคลองบางนา"), GROUP),
        (STAFF, "บอท ผูกกลุ่ม เครือข่ายผู้สูงอายุ",
         t("link.moved_from", old="ชุมชนคลองบางนา") + "\n" + done_network("เครือข่ายผู้สูงอายุ"), GROUP),
    ])
    room = "R" + "f" * 32
    event = ev.text("บอท ผูกกลุ่ม โซน 2", user=STAFF)
    event["source"] = {"type": "room", "roomId": room, "userId": STAFF}
    assert [m["text"] for b in post(webhook, fake_line, event) for m in b["messages"]] == [
        done_network("เครือข่ายโซน 2")]
    staff = person_id(db, "staff")
    assert links(db) == [(GROUP, None, district.elderly.id, staff, None), (room, None, district.zone2.id, staff, None)]


@pytest.mark.parametrize(
    ("who", "name", "shown"),
    [
        ("leader", "ตลาดบางนา", "ชุมชนตลาดบางนา"),          # another community of the same zone
        ("leader", "เครือข่ายโซน 1", "เครือข่ายโซน 1"),       # its zone network: leaders link communities only
        ("other_leader", "วัดบางนา", "ชุมชนวัดบางนา"),
        ("chair", "คลองบางนา", "ชุมชนคลองบางนา"),            # a community of another zone
        ("chair", "เครือข่ายโซน 2", "เครือข่ายโซน 2"),
        ("chair", "เครือข่ายผู้สูงอายุ", "เครือข่ายผู้สูงอายุ"),
    ],
)
def test_linking_outside_ones_scope_is_refused(dialog, district, db, who, name, shown) -> None:
    dialog.run([(USERS[who], f"บอท ผูกกลุ่ม {name}",
                 t("link.not_yours", name=shown), GROUP)])
    assert links(db) == []


def test_linking_outside_ones_scope_is_refused_in_english(dialog, district, db) -> None:
    dialog.run([(LEADER, "bot link ตลาดบางนา", "Sorry, you can link a group only to a community or network you "
                                               "look after, and ชุมชนตลาดบางนา is not one of them.", GROUP)])
    assert dialog.quick_replies() == ["ชุมชนวัดบางนา"]  # what the leader may link instead
    assert links(db) == []


@pytest.mark.parametrize("who", ["member", "partner", "stranger", None])
def test_lower_roles_are_refused(dialog, district, db, who) -> None:
    user = USERS[who] if who else None  # None: LINE for PC sends no user id
    dialog.run([
        (user, "บอท ผูกกลุ่ม วัดบางนา", "ขออภัยครับ คำสั่ง “ผูกกลุ่ม” สงวนไว้สำหรับผู้นำชุมชนครับ", GROUP),
        (user, "bot link วัดบางนา", "Sorry, “link” is for community leaders only.", GROUP),
    ])
    assert links(db) == []


def test_link_in_a_one_to_one_chat_says_where_it_works(dialog, district, db) -> None:
    dialog.run([
        (LEADER, "ผูกกลุ่ม วัดบางนา", "คำสั่ง “ผูกกลุ่ม” ใช้ได้ในกลุ่มเท่านั้นครับ"),
        (LEADER, "link วัดบางนา", "“link” works in a group only."),
        (USERS["member"], "ผูกกลุ่ม", "คำสั่ง “ผูกกลุ่ม” ใช้ได้ในกลุ่มเท่านั้นครับ"),
    ])
    assert links(db) == []


@pytest.mark.parametrize(
    ("who", "text", "reply", "buttons"),
    [
        # Its own usage, not ผูกไลน์'s (the two shared one catalogue key, and the later one won).
        ("leader", "บอท ผูกกลุ่ม", "พิมพ์ “บอท ผูกกลุ่ม” ตามด้วยชื่อชุมชนหรือเครือข่ายที่คุณดูแลครับ", ["ชุมชนวัดบางนา"]),
        ("leader", "บอท ผูกกลุ่ม ชุมชน", T["link.group_usage"], ["ชุมชนวัดบางนา"]),
        ("chair", "bot link", E["link.group_usage"], ["เครือข่ายโซน 1"]),
        ("staff", "บอท ผูกกลุ่ม", T["link.group_usage"], []),
        ("leader", "บอท ผูกกลุ่ม " + "ก" * 201, T["link.too_long"], ["ชุมชนวัดบางนา"]),
        ("leader", "bot link " + "x" * 201, E["link.too_long"], ["ชุมชนวัดบางนา"]),
        ("leader", "บอท ผูกกลุ่ม 🙂🙂🙂", T["link.invalid"], ["ชุมชนวัดบางนา"]),
        ("leader", "บอท ผูกกลุ่ม ๑๒๓๔๕", T["link.invalid"], ["ชุมชนวัดบางนา"]),
        ("leader", "บอท ผูกกลุ่ม หมู่บ้านที่ไม่มีจริง",
         "ไม่พบชุมชนหรือเครือข่าย “หมู่บ้านที่ไม่มีจริง” ในทะเบียนครับ ลองพิมพ์ชื่อที่ใช้ในเอกสารของเขตครับ",
         ["ชุมชนวัดบางนา"]),
        ("staff", "bot link Atlantis", E["link.unknown"].format(text="Atlantis"), []),
        # Suggestions, closest first, are limited to what the sender may link.
        ("staff", "บอท ผูกกลุ่ม บางนา", t("link.suggest", text="บางนา"),
         ["ชุมชนวัดบางนา", "ชุมชนคลองบางนา", "ชุมชนตลาดบางนา"]),
        ("leader", "บอท ผูกกลุ่ม บางนา", t("link.suggest", text="บางนา"), ["ชุมชนวัดบางนา"]),
        ("leader", "บอท ผูกกลุ่ม " + "ชุมชนใหม่" * 10, t("link.unknown", text="ชุมชนใหม่" * 4 + "ชุมช…"),
         ["ชุมชนวัดบางนา"]),
    ],
)
def test_bad_input_gets_a_clear_reply_and_changes_nothing(dialog, district, db, fake_line, who, text, reply,
                                                         buttons) -> None:
    dialog.run([(USERS[who], text, reply, GROUP)])
    assert dialog.quick_replies() == buttons
    assert links(db) == []


def test_a_suggestion_button_links_when_tapped(dialog, district, db, fake_line) -> None:
    dialog.say(STAFF, "บอท ผูกกลุ่ม บางนา", group=GROUP)
    items = fake_line.state.requests[-1].body["messages"][-1]["quickReply"]["items"]
    assert [i["action"]["text"] for i in items] == [
        "บอท ผูกกลุ่ม ชุมชนวัดบางนา", "บอท ผูกกลุ่ม ชุมชนคลองบางนา", "บอท ผูกกลุ่ม ชุมชนตลาดบางนา"]
    dialog.run([(STAFF, items[2]["action"]["text"], done_community("ชุมชนตลาดบางนา"), GROUP)])
    assert [row[1] for row in links(db)] == [district.market.id]


# --- memberJoined -----------------------------------------------------------------------------------

def member_joined(group: str, *users: str) -> dict:
    event = ev.simple("memberJoined", user=None, group=group)
    event["joined"] = {"members": [{"type": "user", "userId": user} for user in users]}
    return event


def test_new_members_of_an_unlinked_group_are_welcomed_with_a_register_button(webhook, fake_line, district) -> None:
    [reply] = post(webhook, fake_line, member_joined(GROUP, NEW, "U" + "b" * 32))
    assert reply["messages"] == [{
        "type": "text",
        "text": "ยินดีต้อนรับครับ 🙏 สายใยเป็นผู้ช่วยประสานงานเครือข่ายชุมชน กดปุ่ม “สมัครสมาชิก” ด้านล่าง "
                "หรือพิมพ์ “บอท สมัคร” เพื่อลงทะเบียนครับ",
        "quickReply": {"items": [{"type": "action",
                                  "action": {"type": "message", "label": "สมัครสมาชิก", "text": "บอท สมัคร"}}]},
    }]
    assert "replyToken" in reply  # a free reply, not a push


def test_new_members_of_a_community_group_hear_its_name_and_can_register(webhook, fake_line, dialog, district) -> None:
    dialog.say(LEADER, "บอท ผูกกลุ่ม วัดบางนา", group=GROUP)
    [reply] = post(webhook, fake_line, member_joined(GROUP, NEW))
    assert [m["text"] for m in reply["messages"]] == [
        "ยินดีต้อนรับสู่กลุ่มชุมชนวัดบางนาครับ 🙏 กดปุ่ม “สมัครสมาชิก” ด้านล่าง หรือพิมพ์ “บอท สมัคร” "
        "เพื่อลงทะเบียนเป็นสมาชิกชุมชนกับสายใยครับ"]
    # The button sends "บอท สมัคร": registration for this community continues in the 1:1 chat.
    dialog.run([(NEW, "บอท สมัคร", t("register.continue_in_private", community="ชุมชนวัดบางนา"), GROUP)])


# --- join, leave, unfollow, follow ------------------------------------------------------------------

def test_the_bot_introduces_itself_when_added_to_a_group(webhook, fake_line, district) -> None:
    [reply] = post(webhook, fake_line, ev.simple("join", user=None, group=GROUP))
    assert [m["text"] for m in reply["messages"]] == [T["greeting.join"]]


def test_leave_ends_the_link_and_nothing_is_sent(webhook, fake_line, dialog, district, db, clock) -> None:
    dialog.say(LEADER, "บอท ผูกกลุ่ม วัดบางนา", group=GROUP)
    dialog.say(LEADER, "บอท ผูกกลุ่ม วัดบางนา", group=OTHER_GROUP)
    clock.advance(days=3)
    assert post(webhook, fake_line, ev.simple("leave", user=None, group=GROUP, reply_token=None)) == []
    leader = person_id(db, "leader")
    assert links(db) == [(GROUP, district.wat.id, None, leader, clock()),
                         (OTHER_GROUP, district.wat.id, None, leader, None)]
    assert reg.chat_link(db, GROUP) is None
    assert db.scalars(select(WebhookEvent.chat_id).where(WebhookEvent.event_type == "leave")).all() == [GROUP]
    # Invited back, the group is unlinked until someone links it again.
    dialog.run([
        (USERS["member"], "บอท สมัคร", T["register.group_not_linked"], GROUP),
        (LEADER, "บอท ผูกกลุ่ม วัดบางนา", done_community("ชุมชนวัดบางนา"), GROUP),
    ])
    assert links(db)[0] == (GROUP, district.wat.id, None, leader, None)


def test_leave_of_an_unlinked_group_is_harmless(webhook, fake_line, district, db) -> None:
    assert post(webhook, fake_line, ev.simple("leave", user=None, group=GROUP, reply_token=None)) == []
    assert links(db) == []


def blocked_at(db, user: str):
    db.expire_all()
    return db.scalars(select(Person.blocked_at).where(Person.line_user_id == user)).one()


def test_unfollow_is_recorded_and_follow_clears_it(webhook, fake_line, district, db, clock) -> None:
    member = USERS["member"]
    assert post(webhook, fake_line, ev.simple("unfollow", user=member, reply_token=None)) == []
    assert blocked_at(db, member) == clock()
    assert blocked_at(db, LEADER) is None

    clock.advance(days=1)
    follow = ev.simple("follow", user=member)
    follow["follow"] = {"isUnblocked": True}
    [reply] = post(webhook, fake_line, follow)
    assert [m["text"] for m in reply["messages"]] == [T["greeting.follow"]]
    assert blocked_at(db, member) is None


def test_unfollow_by_a_stranger_stores_no_person(webhook, fake_line, district, db) -> None:
    people = db.scalar(select(func.count()).select_from(Person))
    assert post(webhook, fake_line, ev.simple("unfollow", user=NEW, reply_token=None)) == []
    assert db.scalar(select(func.count()).select_from(Person)) == people


def test_link_targets_resolve_to_the_right_rows(district, session_factory) -> None:
    """match_chat_target: communities first, networks by name with or without "เครือข่าย"."""
    with session_factory() as session:
        def found(text: str):
            target = reg.match_chat_target(session, text, [district.org.id]).found
            return (type(target).__name__, target.name) if target else None

        assert found("วัดบางนา") == ("Community", "ชุมชนวัดบางนา")
        assert found("โซน 2") == ("Network", "เครือข่ายโซน 2")
        assert found("เครือข่าย โซน 2") == ("Network", "เครือข่ายโซน 2")
        assert found("ผู้สูงอายุ") == ("Network", "เครือข่ายผู้สูงอายุ")
        assert found("โซน") is None
        assert reg.match_chat_target(session, "วัดบางนา", [district.org.id + 1]).found is None
