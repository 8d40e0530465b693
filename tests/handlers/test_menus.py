"""Rich menus as people see them: each area of each role's menu is a command that role may use, tapping it
answers as typing it does, and the linked menu follows role and language changes through the outbox."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import delete, select

from bot import outbox
from bot.fakeline import Fault
from bot.richmenus import sync
from handlers import REGISTRY
from handlers.catalog import en, th
from handlers.registry import ChatKind, Role
from handlers.services import menus as menu_links
from handlers.services import registry as reg
from models import OutboxKind, OutboxMessage, Person, RichMenu, RoleName
from support.dialog import Dialog
from support.registry import USERS
from support.texts import t

T, E = th.TEXT, en.TEXT
NEW = "U" + "b" * 32
ROLES = {"stranger": Role.ANYONE, "member": Role.MEMBER, "partner": Role.PARTNER, "leader": Role.COMMUNITY_LEADER,
         "chair": Role.NETWORK_CHAIR, "staff": Role.STAFF}
PAGES = {"stranger": ["stranger-{l}-1"], "member": ["member-{l}-1"], "partner": ["member-{l}-1"],
         "leader": ["leader-{l}-1", "leader-{l}-2"], "chair": ["chair-{l}-1", "chair-{l}-2"],
         "staff": ["staff-{l}-1", "staff-{l}-2"]}


@pytest.fixture
def dialog(fake_line, webhook, second_worker) -> Dialog:
    return Dialog(fake_line, webhook, second_worker)


@pytest.fixture
def on_line(app, session_factory, clock, fake_line, district) -> dict[str, str]:
    """The menus synced to the fake LINE and everyone linked: page key → LINE's rich menu id."""
    services = app.extensions["saiyai"]
    with session_factory() as session, session.begin():
        sync(session, services.line, clock())
        menu_links.relink_all(session, clock())
    assert drain(app, session_factory, clock) == {"sent": 4}  # staff, chair, leaders, member and partner
    fake_line.state.requests.clear()
    with session_factory() as session, session.begin():
        session.execute(delete(OutboxMessage))  # sent: each test counts its own rows
    with session_factory() as session:
        return dict(session.execute(select(RichMenu.key, RichMenu.rich_menu_id)).all())


def drain(app, session_factory, clock) -> dict[str, int]:
    return outbox.dispatch_due(session_factory, app.extensions["saiyai"].line, clock)


def menu_rows(session_factory) -> list[tuple]:
    with session_factory() as session:
        return [(row.kind, row.target, row.rich_menu, row.state, row.attempts) for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind.in_(outbox.MENU_KINDS)).order_by(OutboxMessage.id))]


def key_of(menu: dict) -> str:
    return menu["name"].split()[1]  # "saiyai member-th-1 <hash>"


def shown_pages(fake_line, user: str) -> list[dict]:
    """The menu the user sees and the pages its tabs open."""
    first = fake_line.state.current_menu_for(user)
    tabs = [area["action"]["richMenuAliasId"] for area in first["areas"] if area["action"]["type"] == "richmenuswitch"]
    return [first] + [fake_line.state.menu_by_alias(alias) for alias in tabs[1:]]


@pytest.mark.parametrize("who", list(ROLES))
def test_every_area_is_a_command_of_the_role_and_tapping_it_answers_as_typing(on_line, dialog, fake_line, who) -> None:
    user = USERS[who]
    expected = [key.format(l="th") for key in PAGES[who]]
    pages = shown_pages(fake_line, user)
    assert [key_of(page) for page in pages] == expected
    check_pages(dialog, user, pages, ROLES[who], "th", expected)


@pytest.mark.parametrize("who", [w for w in ROLES if w != "stranger"])  # a stranger's choice is not kept
def test_the_same_in_english(on_line, app, dialog, fake_line, session_factory, clock, who) -> None:
    user = USERS[who]
    assert dialog.say(user, "english") == [E["language.set"]]
    assert drain(app, session_factory, clock) == {"sent": 1}
    expected = [key.format(l="en") for key in PAGES[who]]
    pages = shown_pages(fake_line, user)
    assert [key_of(page) for page in pages] == expected
    check_pages(dialog, user, pages, ROLES[who], "en", expected)


def check_pages(dialog: Dialog, user: str, pages: list[dict], role: Role, lang: str, keys: list[str]) -> None:
    cancel = "ยกเลิก" if lang == "th" else "cancel"
    for page in pages:
        for area in page["areas"]:
            action = area["action"]
            if action["type"] == "richmenuswitch":  # a tab: to a page of the same menu; LINE switches, nobody answers
                assert action["richMenuAliasId"] in {f"saiyai-{key}" for key in keys}
                params = {"newRichMenuAliasId": action["richMenuAliasId"], "status": "SUCCESS"}
                assert dialog.postback(user, action["data"], params=params) == []
                continue
            assert action["type"] == "message"
            match = REGISTRY.match(action["text"])
            assert match is not None and match.args == "" and match.lang == lang, action
            spec = match.spec
            assert spec.min_role <= role and ChatKind.USER in spec.chats, spec.name
            tapped = dialog.say(user, action["text"])
            dialog.say(user, cancel)  # a command that starts a conversation: end it before typing
            typed = dialog.say(user, spec.keyword_for(lang))
            dialog.say(user, cancel)
            if spec.name == "me":  # it counts the commands sent so far, one more each time
                tapped, typed = [re.sub(r"\d+", "#", text) for text in tapped], [re.sub(r"\d+", "#", text) for text in typed]
            if spec.name == "dashboard":  # each sign-in link is new and single use
                tapped, typed = ([re.sub(r"/desk/signin/\S+", "/desk/signin/…", text) for text in texts]
                                 for texts in (tapped, typed))
            assert tapped == typed, spec.name
            refused = t("command.refused", keyword=spec.keyword_for("th"), role=t(f"role.{int(spec.min_role)}")) \
                if lang == "th" else None
            assert tapped and tapped[0] != refused, spec.name


def test_the_default_menu_is_the_strangers_and_a_partner_has_the_members(on_line, fake_line) -> None:
    assert fake_line.state.default_rich_menu == on_line["stranger-th-1"]
    assert USERS["stranger"] not in fake_line.state.user_rich_menus
    assert fake_line.state.current_menu_for(USERS["stranger"])["richMenuId"] == on_line["stranger-th-1"]
    assert fake_line.state.current_menu_for(USERS["partner"])["richMenuId"] == on_line["member-th-1"]


def test_a_role_change_relinks_once_and_survives_a_5xx(on_line, app, dialog, fake_line, session_factory,
                                                         clock, district) -> None:
    member = USERS["member"]
    with session_factory() as session, session.begin():
        code = reg.create_invite(session, RoleName.COMMUNITY_LEADER, district.org.id, now=clock(),
                                 community=district.market).code
    assert dialog.say(member, f"รหัส {code}")[0] == t("invite.granted", role="ผู้นำชุมชนตลาดบางนา")
    assert menu_rows(session_factory) == [(OutboxKind.MENU_LINK, member, "leader-th-1", "pending", 0)]

    fake_line.state.faults.append(Fault(status=503, message="Service Unavailable"))
    assert drain(app, session_factory, clock) == {"retry": 1}
    assert fake_line.state.user_rich_menus[member] == on_line["member-th-1"]  # not yet
    assert menu_rows(session_factory) == [(OutboxKind.MENU_LINK, member, "leader-th-1", "pending", 1)]
    clock.advance(seconds=5)  # past the first backoff (about a second)
    assert drain(app, session_factory, clock) == {"sent": 1}
    assert fake_line.state.user_rich_menus[member] == on_line["leader-th-1"]
    assert menu_rows(session_factory) == [(OutboxKind.MENU_LINK, member, "leader-th-1", "sent", 2)]
    link = f"/v2/bot/user/{member}/richmenu/{on_line['leader-th-1']}"
    assert [(r.method, r.path, r.status) for r in fake_line.state.requests if "richmenu" in r.path] == [
        ("POST", link, 503), ("POST", link, 200)]
    assert [key_of(page) for page in shown_pages(fake_line, member)] == ["leader-th-1", "leader-th-2"]


def test_registration_links_the_members_menu_once(on_line, app, dialog, fake_line, session_factory, clock) -> None:
    for text in ("สมัคร", "สมศรี ใจดี", "วัดบางนา", "ข้าม"):
        dialog.say(NEW, text)
    assert menu_rows(session_factory) == []  # nothing before consent
    dialog.run([(NEW, "ยินยอม", "ลงทะเบียนเรียบร้อยครับ คุณสมศรี ใจดี เป็นสมาชิกชุมชนวัดบางนาแล้ว 🎉")])
    assert menu_rows(session_factory) == [(OutboxKind.MENU_LINK, NEW, "member-th-1", "pending", 0)]
    assert drain(app, session_factory, clock) == {"sent": 1}
    assert fake_line.state.current_menu_for(NEW)["richMenuId"] == on_line["member-th-1"]


def test_language_changes_relink_only_when_the_menu_changes(on_line, app, dialog, fake_line, session_factory,
                                                            clock) -> None:
    member = USERS["member"]
    dialog.say(member, "ภาษาไทย")  # Thai already: the same menu
    assert menu_rows(session_factory) == []
    dialog.say(member, "english")
    dialog.say(member, "english")
    assert menu_rows(session_factory) == [(OutboxKind.MENU_LINK, member, "member-en-1", "pending", 0)]
    dialog.say(member, "ภาษาไทย")  # back before it was sent: the waiting row is replaced, not sent after it
    assert menu_rows(session_factory) == [(OutboxKind.MENU_LINK, member, "member-th-1", "pending", 0)]
    assert drain(app, session_factory, clock) == {"sent": 1}
    assert fake_line.state.user_rich_menus[member] == on_line["member-th-1"]
    # A stranger's choice is not kept: the default menu stays.
    dialog.say(USERS["stranger"], "english")
    assert len(menu_rows(session_factory)) == 1


def test_forget_me_unlinks(on_line, app, dialog, fake_line, session_factory, clock) -> None:
    member = USERS["member"]
    dialog.say(member, "ลบข้อมูลของฉัน")
    assert dialog.postback(member, "a=forget&confirm=1&l=th") == [T["forget.done"]]
    assert menu_rows(session_factory) == [(OutboxKind.MENU_UNLINK, member, None, "pending", 0)]
    assert drain(app, session_factory, clock) == {"sent": 1}
    assert [(r.method, r.path, r.status) for r in fake_line.state.requests if "richmenu" in r.path] == [
        ("DELETE", f"/v2/bot/user/{member}/richmenu", 200)]
    assert member not in fake_line.state.user_rich_menus
    assert fake_line.state.current_menu_for(member)["richMenuId"] == on_line["stranger-th-1"]
    # A stranger who never had a menu: nothing to unlink.
    dialog.say(USERS["stranger"], "ลบข้อมูลของฉัน")
    dialog.postback(USERS["stranger"], "a=forget&confirm=1&l=th")
    assert len(menu_rows(session_factory)) == 1


def test_grant_staff_queues_the_staff_menu(on_line, app, session_factory, clock) -> None:
    result = app.test_cli_runner().invoke(args=["org", "grant-staff", "สำนักงานเขตบางนา", NEW])
    assert result.output == f"{NEW} is now staff of สำนักงานเขตบางนา\n"
    assert menu_rows(session_factory) == [(OutboxKind.MENU_LINK, NEW, "staff-th-1", "pending", 0)]
    with session_factory() as session:
        assert session.scalars(select(Person.rich_menu).where(Person.line_user_id == NEW)).one() == "staff-th-1"


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("who", list(ROLES))
def test_line_for_pc_shows_no_menu_so_help_lists_every_menu_command_as_typed(
        on_line, dialog, fake_line, session_factory, who, lang) -> None:
    user = USERS[who]
    if lang == "en":
        dialog.say(user, "english")
    [help_text] = dialog.say(user, "ช่วยเหลือ" if lang == "th" else "help")
    keys = [key.format(l="th") for key in PAGES[who]]
    with session_factory() as session:
        ids = [session.get(RichMenu, key).rich_menu_id for key in keys]
    catalogue = T if lang == "th" else E
    for menu_id in ids:
        for area in fake_line.state.rich_menus[menu_id]["areas"]:
            if area["action"]["type"] == "message":
                spec = REGISTRY.match(area["action"]["text"]).spec
                line = catalogue["help.line"].format(keyword=spec.keyword_for(lang),
                                                     help=spec.help_th if lang == "th" else spec.help_en)
                assert line in help_text.split("\n"), (who, spec.name)


def test_the_greeting_says_what_to_type() -> None:
    assert "“ช่วยเหลือ”" in T["greeting.follow"] and "“help”" in E["greeting.follow"]


def test_a_simulator_in_another_process_reads_the_menu_and_taps_a_tab_over_http(on_line, fake_line) -> None:
    leader = USERS["leader"]
    shown = requests.get(f"{fake_line.url}/__fake__/richmenu/{leader}", timeout=5).json()
    assert (shown["richMenuId"], shown["contentType"], shown["imageUrl"]) == (
        on_line["leader-th-1"], "image/png", f"/__fake__/richmenu/{leader}/image")
    image = requests.get(fake_line.url + shown["imageUrl"], timeout=5)
    assert (image.headers["Content-Type"], image.content) == (
        "image/png", fake_line.state.rich_menu_images[on_line["leader-th-1"]][0])
    tab = shown["areas"][1]["action"]["richMenuAliasId"]
    assert requests.post(f"{fake_line.url}/__fake__/richmenu/{leader}/switch/{tab}", timeout=5).status_code == 200
    assert fake_line.state.current_menu_for(leader)["richMenuId"] == on_line["leader-th-2"]
    assert requests.post(f"{fake_line.url}/__fake__/richmenu/{leader}/switch/nope", timeout=5).status_code == 404


def test_a_member_without_line_who_links_their_line_gets_the_members_menu(on_line, app, dialog, fake_line,
                                                                          session_factory, clock, district) -> None:
    name = "บุญมา ศรีสุข"
    leader = USERS["leader"]
    for text in ("เพิ่มสมาชิก", name, "ไม่มีเบอร์ค่ะ", "ยินยอมแล้ว"):
        dialog.say(leader, text)
    code = dialog.say(leader, "ผูกไลน์ บุญมา")[1].removeprefix("รหัส ")
    dialog.say(NEW, f"รหัส {code}")
    assert menu_rows(session_factory) == []  # nothing before they agree
    dialog.run([(NEW, "ยินยอมค่ะ", t("link.done", name=name, community="ชุมชนวัดบางนา"))])
    assert menu_rows(session_factory) == [(OutboxKind.MENU_LINK, NEW, "member-th-1", "pending", 0)]
    assert drain(app, session_factory, clock)["sent"] == 2  # the link, and the leader told
    assert fake_line.state.current_menu_for(NEW)["richMenuId"] == on_line["member-th-1"]
