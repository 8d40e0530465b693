"""The command registry: duplicate declarations, help docstrings, keyword matching, and every real command."""

from __future__ import annotations

import re
import types
from datetime import timedelta
from collections.abc import Callable

import pytest
from sqlalchemy import select

import handlers
from handlers import help as help_module
from handlers.catalog import en, th
from handlers.registry import (
    THAI_CHARS,
    DuplicateRegistration,
    Registry,
    command,
    on_event,
    postback,
    step,
    word_in,
)
from models import Activity, ActivityStatus, EventStatus, WebhookEvent
from support import events as ev
from support.registry import USERS, seed_district

T = th.TEXT
APOLOGIES = (th.TEXT["error.apology"], en.TEXT["error.apology"])


def throwaway(*funcs: Callable[..., object]) -> types.ModuleType:
    """A handler module made up on the spot; Registry.build only takes functions defined in the module."""
    module = types.ModuleType("throwaway_handlers")
    for func in funcs:
        func.__module__ = module.__name__
        setattr(module, func.__name__, func)
    return module


# --- duplicates fail when the registry is built ------------------------------------------------

def same_keyword_twice() -> list[types.ModuleType]:
    @command("กิจกรรม", "events")
    def events(ctx):
        """ดูกิจกรรม / See events"""

    @command("ปฏิทิน", "events")
    def calendar(ctx):
        """ดูปฏิทิน / See the calendar"""

    return [throwaway(events, calendar)]


def keyword_differing_only_in_case_and_width() -> list[types.ModuleType]:
    @command("HELP")
    def shout(ctx):
        """ตะโกน / Shout"""

    @command("ｈｅｌｐ")
    def wide(ctx):
        """ตัวกว้าง / Wide"""

    return [throwaway(shout, wide)]


def keyword_of_another_module() -> list[types.ModuleType]:
    @command("ช่วยเหลือ")
    def assist(ctx):
        """ช่วย / Assist"""

    return [help_module, throwaway(assist)]


def postback_twice() -> list[types.ModuleType]:
    @postback("rsvp")
    def rsvp(ctx):
        pass

    @postback("rsvp")
    def rsvp_again(ctx):
        pass

    return [throwaway(rsvp, rsvp_again)]


def step_twice() -> list[types.ModuleType]:
    @step("register", "awaiting_name")
    def register_name(ctx):
        pass

    @step("register", "awaiting_name")
    def register_name_again(ctx):
        pass

    return [throwaway(register_name, register_name_again)]


def event_of_another_module() -> list[types.ModuleType]:
    @on_event("follow")
    def greet(ctx):
        pass

    return [help_module, throwaway(greet)]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (same_keyword_twice, "keyword 'events' used by events and calendar"),
        (keyword_differing_only_in_case_and_width, "keyword 'ｈｅｌｐ' used by shout and wide"),
        (keyword_of_another_module, "keyword 'ช่วยเหลือ' used by help and assist"),
        (postback_twice, "postback 'rsvp' handled by both postback_twice.<locals>.rsvp and "
                         "postback_twice.<locals>.rsvp_again"),
        (step_twice, "step ('register', 'awaiting_name') handled by both step_twice.<locals>.register_name and "
                     "step_twice.<locals>.register_name_again"),
        (event_of_another_module, "event 'follow' handled by both follow and event_of_another_module.<locals>.greet"),
    ],
    ids=lambda value: value.__name__ if callable(value) else None,
)
def test_a_duplicate_fails_when_the_registry_is_built(build, message) -> None:
    modules = build()
    with pytest.raises(DuplicateRegistration, match=f"^{re.escape(message)}$"):
        Registry.build(modules)


def test_functions_imported_from_elsewhere_are_not_registered_twice() -> None:
    module = throwaway()
    module.help = help_module.help  # `from handlers.help import help` in another handler module
    registry = Registry.build([help_module, module])
    assert [spec.name for spec in registry.commands] == ["help"]


# --- the first docstring line is "Thai / English" help ----------------------------------------

@pytest.mark.parametrize(
    "doc",
    [
        "ดูกิจกรรมทั้งหมด",             # Thai only
        "See every event",              # English only
        "ดูกิจกรรม/See events",          # no spaces around the slash
        " / See events",                # Thai half empty
        "ดูกิจกรรม / ",                  # English half empty
        "\nดูกิจกรรม\n/ See events",      # the halves on two lines
    ],
)
def test_a_command_docstring_without_thai_and_english_help_is_refused(doc) -> None:
    def events(ctx):
        pass

    events.__doc__ = doc
    module = throwaway(command("กิจกรรม", "events")(events))
    with pytest.raises(DuplicateRegistration, match="docstring must start with 'Thai / English' help"):
        Registry.build([module])


def test_a_command_without_a_docstring_is_refused_with_the_registry_error() -> None:
    def events(ctx):
        pass

    module = throwaway(command("กิจกรรม", "events")(events))
    with pytest.raises(DuplicateRegistration, match="docstring must start with 'Thai / English' help"):
        Registry.build([module])


def test_help_text_is_read_from_the_first_docstring_line() -> None:
    def events(ctx):
        """  ดูกิจกรรม  /  See events
        Longer notes for developers, never shown.
        """

    registry = Registry.build([throwaway(command("กิจกรรม", "events")(events))])
    [spec] = registry.commands
    assert (spec.help_th, spec.help_en) == ("ดูกิจกรรม", "See events")


# --- matching text to a keyword -----------------------------------------------------------------

@pytest.fixture(scope="module")
def keywords() -> Registry:
    @command("กิจกรรม", "events", "event")
    def events(ctx):
        """ดูกิจกรรม / See events"""

    @command("กิจกรรม ใหม่", "new event")
    def new_event(ctx):
        """สร้างกิจกรรม / Create an event"""

    return Registry.build([help_module, throwaway(events, new_event)])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", ("help", "help", "")),
        ("ช่วยเหลือ", ("help", "ช่วยเหลือ", "")),
        ("HELP", ("help", "help", "")),
        ("Menu", ("help", "menu", "")),
        ("ｈｅｌｐ", ("help", "help", "")),                        # full-width letters
        ("\u3000help\u3000", ("help", "help", "")),               # ideographic spaces
        ("help\u200b", ("help", "help", "")),                     # a zero-width space pasted from a chat
        ("ช่วย\u200dเหลือ", ("help", "ช่วยเหลือ", "")),             # a zero-width joiner inside the word
        ("he\u200dlp\u200d me", ("help", "help", "me")),
        ("ช่วย\u00adเหลือ", ("help", "ช่วยเหลือ", "")),             # a soft hyphen
        ("\u200eช่วยเหลือ\u200f", ("help", "ช่วยเหลือ", "")),        # left-to-right and right-to-left marks
        ("events 👨\u200d👩\u200d👧 zone", ("events", "events", "👨\u200d👩\u200d👧 zone")),  # emoji stay whole
        ("\u200dhelp K7\u200dM2\u200d", ("help", "help", "K7M2")),  # stray joiners, next to letters or an end
        ("events 👩🏽\u200d💻 ไม่\u200dไป", ("events", "events", "👩🏽\u200d💻 ไม่ไป")),  # a skin tone still joins
        ("  help   ME   Please ", ("help", "help", "ME Please")),  # spacing collapsed, case kept
        ("ช่วยเหลือ ลงทะเบียน", ("help", "ช่วยเหลือ", "ลงทะเบียน")),
        ("events ABC-12", ("events", "events", "ABC-12")),
        ("EVENT zone2", ("events", "event", "zone2")),
        ("กิจกรรม ๑๒ ธ.ค.", ("events", "กิจกรรม", "๑๒ ธ.ค.")),       # Thai digits stay as typed
        ("กิจกรรม ใหม่", ("new_event", "กิจกรรม ใหม่", "")),           # the longest keyword wins
        ("กิจกรรม   ใหม่ ประชุมโซน 2", ("new_event", "กิจกรรม ใหม่", "ประชุมโซน 2")),
        ("กิจกรรม ใหม่ๆ", ("events", "กิจกรรม", "ใหม่ๆ")),             # a longer word is not the keyword
        ("กิจกรรมABC-12", ("events", "กิจกรรม", "ABC-12")),           # Thai runs into a code: the script changes
        ("กิจกรรม ใหม่ZONE 2", ("new_event", "กิจกรรม ใหม่", "ZONE 2")),
        ("กิจกรรมใหม่", None),                                       # Thai into Thai is no word break
        ("events2", None),                                          # nor is Latin into a digit
        ("New Event Zone 2", ("new_event", "new event", "Zone 2")),
        # A polite ending is never part of a keyword; after a keyword's arguments it is theirs, as typed.
        ("ช่วยเหลือครับ", ("help", "ช่วยเหลือ", "")),
        ("กิจกรรมค่ะ", ("events", "กิจกรรม", "")),
        ("กิจกรรม ใหม่นะคะ", ("new_event", "กิจกรรม ใหม่", "")),  # the longest keyword still wins
        ("Events ครับ", ("events", "events", "")),
        ("กิจกรรม ประชุมโซน 2 ครับ", ("events", "กิจกรรม", "ประชุมโซน 2 ครับ")),
        ("ครับ", None),
        ("ช่วยเหลือด้วยครับ", None),
        ("helpme", None),
        ("help-me", None),
        ("ช่วยเหลือด้วย", None),
        ("please help", None),
        ("", None),
        ("   ", None),
    ],
)
def test_match(keywords: Registry, text: str, expected: tuple[str, str, str] | None) -> None:
    match = keywords.match(text)
    assert (None if match is None else (match.spec.name, match.keyword, match.args)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ข้ามค่ะ", "ข้าม"),
        ("ไม่มี นะคะ", "ไม่มี"),
        ("ยกเลิกครับผม", "ยกเลิก"),
        ("SKIP", "skip"),
        ("สถานะครับ", "สถานะ"),   # นะ ends the word itself: the particles come off one at a time
        ("ข้ามไปก่อน", None),
        ("ครับ", None),
    ],
)
def test_word_in_ignores_case_spacing_and_a_polite_ending(text, expected) -> None:
    assert word_in(text, {"ข้าม", "ไม่มี", "ยกเลิก", "skip", "สถานะ"}) == expected


@pytest.mark.parametrize(("text", "lang"), [("ช่วยเหลือ", "th"), ("help", "en"), ("กิจกรรม ใหม่ x", "th"),
                                            ("new event x", "en")])
def test_the_keyword_used_sets_the_reply_language(keywords: Registry, text: str, lang: str) -> None:
    assert keywords.match(text).lang == lang


# --- every real command -------------------------------------------------------------------------

REAL_COMMANDS = [pytest.param(spec, id=spec.name) for spec in handlers.REGISTRY.commands]
REAL_KEYWORDS = [pytest.param(keyword, id=keyword)
                 for spec in handlers.REGISTRY.commands for keyword in spec.keywords]
ODD_ARGS = ["", "🙂🙂", "ทดสอบ" * 100, "๑๒๓๔๕"]


def test_the_real_registry_has_commands() -> None:
    assert len(handlers.REGISTRY.commands) >= 1
    assert "help" in [spec.name for spec in handlers.REGISTRY.commands]


@pytest.mark.parametrize("spec", REAL_COMMANDS)
def test_every_command_has_thai_and_english_help(spec) -> None:
    assert THAI_CHARS.search(spec.help_th), f"{spec.name}: Thai help {spec.help_th!r} has no Thai"
    assert spec.help_en.strip() != "", f"{spec.name}: no English help"
    assert THAI_CHARS.search(spec.help_en) is None, f"{spec.name}: English help {spec.help_en!r} is Thai"
    assert spec.keyword_for("th") != "" and spec.keyword_for("en") != ""


@pytest.mark.parametrize("keyword", REAL_KEYWORDS)
@pytest.mark.parametrize("polite", ["ครับ", "ค่ะ", " นะคะ"])
def test_every_keyword_with_a_polite_ending_is_the_command(keyword, polite) -> None:
    """"สมัครค่ะ", "ข่าวค่ะ" and "กิจกรรมครับ" were answered "not understood"."""
    match = handlers.REGISTRY.match(keyword + polite)
    assert (match.spec, match.keyword, match.args) == (handlers.REGISTRY.match(keyword).spec, keyword, "")


@pytest.mark.parametrize("keyword", REAL_KEYWORDS)
def test_every_keyword_answers_empty_and_odd_input_politely(webhook, fake_line, session_factory, keyword) -> None:
    for n, args in enumerate(ODD_ARGS):
        # A new sender each time, so a command that starts a conversation does not read the next as an answer.
        user = f"U{n:032d}"
        event = ev.text(f"{keyword} {args}".strip(), user=user)
        before = len(fake_line.state.requests)
        response = webhook.post(event)
        assert response.status_code == 200, (keyword, args)
        replies = [r for r in fake_line.state.requests[before:] if r.path == "/v2/bot/message/reply"]
        assert [r.body["replyToken"] for r in replies] == [event["replyToken"]], (keyword, args)
        texts = [m["text"] for m in replies[0].body["messages"] if m["type"] == "text"]
        assert texts != [], (keyword, args)
        assert all(text.strip() != "" for text in texts), (keyword, args, texts)
        assert not any(apology in text for apology in APOLOGIES for text in texts), (keyword, args, texts)
        assert "ขออภัยครับ ระบบขัดข้อง" not in "\n".join(texts), (keyword, args)
        with session_factory() as db:
            row = db.scalars(select(WebhookEvent).where(WebhookEvent.user_id == user)).one()
        assert (row.status, row.error) == (EventStatus.DONE, None), (keyword, args)


# --- what cleaning keeps ---------------------------------------------------------------------------

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji: man, woman and girl held together by joiners


def test_a_title_keeps_its_emoji_sequence_and_loses_invisible_marks(dialog, session_factory, clock, db) -> None:
    """Every typed answer passes through registry.clean: a stray joiner is dropped, one inside an emoji stays."""
    with session_factory() as session, session.begin():
        d = seed_district(session, clock())
        starts = clock() + timedelta(days=7)
        activity = Activity(code="FAM1", title="วันครอบครัว", organization_id=d.org.id, network_id=d.zone1.id,
                            host_community_id=d.wat.id, starts_at=starts, ends_at=starts + timedelta(hours=3),
                            status=ActivityStatus.PLANNED, created_at=clock(), updated_at=clock())
        session.add(activity)
    staff = USERS["staff"]
    assert dialog.say(staff, "แก้ไข\u200dกิจกรรม FAM1") == [T["event.ask_field"].format(title="วันครอบครัว")]
    assert dialog.say(staff, "ชื่อ") == [T["event.ask_new_title"].format(title="วันครอบครัว")]
    title = f"วันครอบครัว {FAMILY}"
    assert dialog.say(staff, f"\u200eวันครอบ\u00adครัว {FAMILY}") == [T["event.edit_preview"].format(
        title="วันครอบครัว", field=T["event.field.title"], old="วันครอบครัว", new=title, who=T["event.who.nobody"])]
    assert dialog.say(staff, "ยืนยัน")[0] == "\n".join([
        T["event.edited"].format(title=title, field=T["event.field.title"], value=title), T["event.nobody_to_notify"]])
    assert db.scalars(select(Activity.title)).one() == title
