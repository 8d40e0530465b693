"""The permission matrix: every privileged command, tried by every lower role, is refused and changes nothing.

Built from `handlers.REGISTRY`, so a command added later is tried too: `ARGS` only makes the text
plausible, and a command missing from it gets `DEFAULT_ARGS`. Scope refusals follow: a role high
enough for the command, used outside the community or network it looks after.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers import REGISTRY
from handlers.catalog import en, th
from handlers.dispatcher import Source
from handlers.registry import ChatKind, CommandSpec, Role
from handlers.services import registry as reg
from models import Base, Organization, RoleName
from support.activities import ended_meeting, make_activity
from support.registry import OUTSIDER, USERS, seed_outsider
from support.texts import t

T, E = th.TEXT, en.TEXT
GROUP = "C" + "3" * 32
# Tables that record the exchange itself (the event and the reply), not what a command changes.
EXCHANGE_TABLES = {"webhook_event", "outbox_message"}

# The seeded person whose highest role is each role below staff.
USER_OF_ROLE = {
    Role.ANYONE: "stranger",
    Role.MEMBER: "member",
    Role.PARTNER: "partner",
    Role.COMMUNITY_LEADER: "leader",
    Role.NETWORK_CHAIR: "chair",
}
# Plausible arguments (Thai, English) by command function name; anything else gets DEFAULT_ARGS.
ARGS = {
    "invite": ("ผู้นำ ชุมชนวัดบางนา", "leader ชุมชนวัดบางนา"),
    "link": ("ชุมชนวัดบางนา", "ชุมชนวัดบางนา"),
    "members": ("", ""),
    "communities": ("", ""),
    "host_swap": ("ชุมชนวัดบางนา ชุมชนตลาดบางนา", "ชุมชนวัดบางนา ชุมชนตลาดบางนา"),
}
DEFAULT_ARGS = ("ชุมชนวัดบางนา", "ชุมชนวัดบางนา")

PRIVILEGED = [spec for spec in REGISTRY.commands if spec.min_role > Role.ANYONE]
MATRIX = [pytest.param(spec, role, id=f"{spec.name}-{USER_OF_ROLE[role]}")
          for spec in PRIVILEGED for role in Role if role < spec.min_role]


def snapshot(session_factory) -> dict[str, list[tuple]]:
    """Every row of every table except the exchange's own records."""
    with session_factory() as session:
        return {table.name: sorted(map(tuple, session.execute(select(table)).all()), key=repr)
                for table in Base.metadata.sorted_tables if table.name not in EXCHANGE_TABLES}


def message(spec: CommandSpec, lang: str) -> tuple[str, str | None]:
    """The text to send and the group to send it in: the 1:1 chat if the command allows it."""
    args = ARGS.get(spec.name, DEFAULT_ARGS)[lang == "en"]
    text = f"{spec.keyword_for(lang)} {args}".strip()
    if ChatKind.USER in spec.chats:
        return text, None
    return f"{'บอท' if lang == 'th' else 'bot'} {text}", GROUP


def test_the_matrix_covers_the_registry() -> None:
    names = {spec.name for spec in PRIVILEGED}
    assert {"invite"} <= names
    assert set(USER_OF_ROLE) == {role for role in Role if role < Role.STAFF}


def test_seeded_people_hold_the_roles_the_matrix_assumes(district, session_factory) -> None:
    with session_factory() as session:
        held = {role: reg.load_profile(session, Source(ChatKind.USER, USERS[key], USERS[key])).role
                for role, key in USER_OF_ROLE.items()}
    assert held == {role: role for role in USER_OF_ROLE}


@pytest.mark.parametrize(("spec", "role"), MATRIX)
def test_lower_roles_are_refused_and_nothing_changes(dialog, district, session_factory, spec, role) -> None:
    before = snapshot(session_factory)
    user = USERS[USER_OF_ROLE[role]]
    for lang, catalogue in (("th", T), ("en", E)):
        text, group = message(spec, lang)
        refusal = catalogue["command.refused"].format(keyword=spec.keyword_for(lang),
                                                      role=catalogue[f"role.{int(spec.min_role)}"])
        dialog.run([(user, text, refusal, group)])
    assert snapshot(session_factory) == before


def test_the_refusal_reads_well(dialog, district) -> None:
    dialog.run([
        (USERS["leader"], "สร้างรหัส ผู้นำ ชุมชนตลาดบางนา",
         "ขออภัยครับ คำสั่ง “สร้างรหัส” สงวนไว้สำหรับประธานเครือข่ายครับ"),
        (USERS["member"], "invite leader ชุมชนตลาดบางนา", "Sorry, “invite” is for network chairs only."),
    ])


# --- scope: a role high enough for the command, outside what it looks after ----------------------

SCOPE_REFUSALS = [
    pytest.param("chair", "สร้างรหัส ผู้นำ ชุมชนคลองบางนา", None,
                 t("invites.not_your_community", community="ชุมชนคลองบางนา"), id="invite-leader-other-zone"),
    pytest.param("chair", "invite leader คลองบางนา", None,
                 E["invites.not_your_community"].format(community="ชุมชนคลองบางนา"), id="invite-leader-other-zone-en"),
    pytest.param("chair", "สร้างรหัส ประธาน เครือข่ายโซน 1", None, T["invites.chair_staff_only"],
                 id="invite-chair-own-network"),
    pytest.param("chair", "invite chair เครือข่ายโซน 2", None, E["invites.chair_staff_only"],
                 id="invite-chair-other-network"),
    pytest.param("other_leader", "บอท ผูกกลุ่ม ชุมชนวัดบางนา", GROUP,
                 t("link.not_yours", name="ชุมชนวัดบางนา"), id="link-leader-other-community"),
    pytest.param("chair", "บอท ผูกกลุ่ม ชุมชนคลองบางนา", GROUP,
                 t("link.not_yours", name="ชุมชนคลองบางนา"), id="link-chair-community-of-other-network"),
    pytest.param("chair", "บอท ผูกกลุ่ม เครือข่ายโซน 2", GROUP,
                 t("link.not_yours", name="เครือข่ายโซน 2"), id="link-chair-other-network"),
]


@pytest.mark.parametrize(("who", "text", "group", "reply"), SCOPE_REFUSALS)
def test_outside_their_scope_people_are_refused_and_nothing_changes(dialog, district, session_factory, who, text,
                                                                     group, reply) -> None:
    before = snapshot(session_factory)
    dialog.run([(USERS[who], text, reply, group)])
    assert snapshot(session_factory) == before


# --- scope: another organization's activity, by its code ------------------------------------------

CODE, REPORTED = "K7M2", "RPT1"
# Every command that takes an activity code, typed by the staff of another district (a role high enough for
# each): the activity is not found, as a code nobody has, and nothing of it (title, counts, network) is told.
FOREIGN_CODES = [
    ("กิจกรรม K7M2", t("event.unknown_code", code=CODE)),
    ("events k7m2", E["event.unknown_code"].format(code="k7m2")),
    ("ผู้เข้าร่วม K7M2", t("rsvp.unknown_code", code=CODE, events="กิจกรรม")),
    ("attendees K7M2", E["rsvp.unknown_code"].format(code=CODE, events="events")),
    ("รายงาน RPT1", t("report.unknown_code", code=REPORTED)),
    ("แก้ไขกิจกรรม K7M2", t("event.unknown_code", code=CODE)),
    ("ยกเลิกกิจกรรม K7M2", t("event.unknown_code", code=CODE)),
    ("จัดซ้ำ K7M2 ทุกเดือน", t("event.unknown_code", code=CODE)),
    ("ข้ามเจ้าภาพ K7M2 ติดงานบุญ", t("host.code_unknown", code=CODE)),
    ("ไป K7M2", t("rsvp.unknown_code", code=CODE, events="กิจกรรม")),
    ("ไป K7M2 -1", t("rsvp.unknown_code", code="K7M2 -1", events="กิจกรรม")),  # not "how to write guests"
    ("ไม่แน่ใจ K7M2", t("rsvp.unknown_code", code=CODE, events="กิจกรรม")),
    ("ตอบแทน K7M2 คุณนอกเขต ไป", t("rsvp.unknown_code", code=CODE, events="กิจกรรม")),
    ("เช็คอิน K7M2", t("rsvp.unknown_code", code=CODE, events="กิจกรรม")),
]


@pytest.fixture
def foreign_staff(district, session_factory, clock) -> str:
    """Two activities of the test district, and the staff of another district (สำนักงานเขตพระโขนง)."""
    with session_factory() as session, session.begin():
        make_activity(session, district, CODE, "ประชุมเครือข่ายโซน 1", clock() + timedelta(minutes=30))
        ended_meeting(session, district, clock())
        outsider = seed_outsider(session, clock())
        reg.grant(session, outsider, RoleName.STAFF, session.get(Organization, outsider.memberships[0].organization_id),
                  now=clock())
    return OUTSIDER


@pytest.mark.parametrize(("text", "reply"), FOREIGN_CODES)
def test_another_districts_staff_is_told_an_activity_is_not_found(dialog, foreign_staff, session_factory, text,
                                                                  reply) -> None:
    before = snapshot(session_factory)
    dialog.run([(foreign_staff, text, reply)])
    assert snapshot(session_factory) == before


def test_the_districts_own_staff_reads_the_same_codes(dialog, foreign_staff) -> None:
    """The control: the look-up finds the activity for its own organization."""
    [attendees] = dialog.say(USERS["staff"], "ผู้เข้าร่วม K7M2")
    assert attendees.splitlines()[0] == "ผู้ตอบรับ “ประชุมเครือข่ายโซน 1” (รหัส K7M2)"
    assert dialog.say(USERS["staff"], "กิจกรรม K7M2") == ["[flex]"]
    # Someone with no district yet is told how to have one, not shown the card.
    assert dialog.say(USERS["stranger"], "กิจกรรม K7M2") == [T["event.list_none_register"]]
