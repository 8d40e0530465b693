"""Conversations through signed webhooks, as dialog tables with exact replies.

A test-only "paint" flow (ask name → ask colour → pick a date with the datetime picker) and a few
test-only commands are registered from this module beside handlers.help. Every turn is its own
webhook request with its own database session, so whatever carries the conversation from one turn
to the next lives in the database.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

import pytest
from sqlalchemy import select

from bot import create_app
from support.testapp import SECRET, WebhookClient
from handlers import help as help_module
from handlers.context import Context, Turn, text_message
from handlers.dispatcher import ASKED_KEY, Dispatcher, Profile, Source
from handlers.registry import ChatKind, Registry, Role, command, postback, step
from models import Conversation, WebhookEvent
from support import events as ev

ALICE = "U" + "a1" * 16
BOB = "U" + "b2" * 16
STAFF = "U" + "5f" * 16
GROUP = "C" + "9" * 32


# --- the test-only handlers ----------------------------------------------------------------------

class Paint(StrEnum):
    NAME = "awaiting_name"
    COLOUR = "awaiting_colour"
    WHEN = "awaiting_when"


@command("ระบายสี", "paint")
def paint(ctx: Context) -> Turn:
    """เริ่มระบายสี / Start painting"""
    return Turn([text_message("ชื่ออะไรครับ")], flow="paint", step=Paint.NAME, data={})


@step("paint", Paint.NAME)
def paint_name(ctx: Context) -> Turn:
    if not ctx.args:
        return Turn([text_message("กรุณาพิมพ์ชื่อเป็นตัวอักษรครับ")], step=Paint.NAME)
    return Turn([text_message(f"คุณ{ctx.args} ชอบสีอะไรครับ")], step=Paint.COLOUR, data={"name": ctx.args})


@step("paint", Paint.COLOUR)
def paint_colour(ctx: Context) -> Turn:
    return Turn([text_message(f"สี{ctx.args} นัดวันไหนดีครับ")], step=Paint.WHEN,
                data={**ctx.data, "colour": ctx.args})


@step("paint", Paint.WHEN)
def paint_when(ctx: Context) -> Turn:
    when = ctx.params.get("datetime")
    if when is None:
        return Turn([text_message("กดปุ่มเลือกวันเวลาครับ")], step=Paint.WHEN)
    return Turn([text_message(f"นัดคุณ{ctx.data['name']} ระบายสี{ctx.data['colour']} {when} ครับ")])


@command("รายงาน", "report", min_role=Role.STAFF)
def report(ctx: Context) -> list:
    """ดูรายงานประจำเดือน / See the monthly report"""
    return [text_message("รายงานประจำเดือนครับ")]


@command("เช็กชื่อ", "roll call", chats={ChatKind.GROUP})
def roll_call(ctx: Context) -> list:
    """เช็กชื่อคนในกลุ่ม / Call the roll"""
    return [text_message("เช็กชื่อแล้วครับ")]


@command("โปรไฟล์", "profile", chats={ChatKind.USER})
def profile(ctx: Context) -> list:
    """ดูโปรไฟล์ของคุณ / See your profile"""
    return [text_message("โปรไฟล์ของคุณครับ")]


@postback("like")
def like(ctx: Context) -> list:
    return [text_message(f"ขอบคุณที่กดถูกใจ {ctx.params['n']} ครั้งครับ")]


def staff_profiles(session, source: Source) -> Profile:
    """Only STAFF is district staff; everyone else is anonymous."""
    return Profile(role=Role.STAFF) if source.user_id == STAFF else Profile()


# --- the exact texts users see ------------------------------------------------------------------

HELP_TH_USER = ("สายใยช่วยอะไรได้บ้างครับ พิมพ์คำสั่งเหล่านี้ได้เลย:\n"
                "• ระบายสี — เริ่มระบายสี\n"
                "• โปรไฟล์ — ดูโปรไฟล์ของคุณ\n"
                "• ช่วยเหลือ — ดูคำสั่งทั้งหมดที่คุณใช้ได้")
HELP_TH_STAFF = ("สายใยช่วยอะไรได้บ้างครับ พิมพ์คำสั่งเหล่านี้ได้เลย:\n"
                 "• ระบายสี — เริ่มระบายสี\n"
                 "• รายงาน — ดูรายงานประจำเดือน\n"
                 "• โปรไฟล์ — ดูโปรไฟล์ของคุณ\n"
                 "• ช่วยเหลือ — ดูคำสั่งทั้งหมดที่คุณใช้ได้")
HELP_EN_USER = ("Here is what Saiyai can do. Type any of these:\n"
                "• paint — Start painting\n"
                "• profile — See your profile\n"
                "• help — See every command you can use")
HELP_TH_GROUP = ("สายใยช่วยอะไรได้บ้างครับ พิมพ์คำสั่งเหล่านี้ได้เลย:\n"
                 "• ระบายสี — เริ่มระบายสี\n"
                 "• เช็กชื่อ — เช็กชื่อคนในกลุ่ม\n"
                 "• ช่วยเหลือ — ดูคำสั่งทั้งหมดที่คุณใช้ได้\n"
                 "ในกลุ่ม ให้ขึ้นต้นข้อความด้วย “บอท” เช่น “บอท ช่วยเหลือ”")
HELP_EN_GROUP = ("Here is what Saiyai can do. Type any of these:\n"
                 "• paint — Start painting\n"
                 "• roll call — Call the roll\n"
                 "• help — See every command you can use\n"
                 "In a group, start your message with “bot”, e.g. “bot help”.")
ASK_NAME = "ชื่ออะไรครับ"
CANCELLED = "ยกเลิกเรียบร้อยแล้วครับ"
# What the open conversation is doing (a flow without its own words gets general ones), then its question again.
HELP_IN_FLOW = ("ตอนนี้คุณกำลังทำรายการอื่นอยู่ครับ ตอบคำถามด้านล่างต่อได้เลย หรือพิมพ์ “ยกเลิก” เพื่อหยุดก่อน "
                "แล้วพิมพ์ “ช่วยเหลือ” อีกครั้ง\n" + ASK_NAME)
NOTHING_TO_CANCEL_TH = "ตอนนี้ไม่มีรายการที่ค้างอยู่ให้ยกเลิกครับ"
NOTHING_TO_CANCEL_EN = "There is nothing in progress to cancel."
EXPIRED = "รายการก่อนหน้าหมดเวลาแล้ว เริ่มใหม่ได้เลยครับ"
EXPIRED_EN = "Your previous conversation timed out. You can start again."
NOT_TEXT = "ขออภัยครับ ตอนนี้สายใยอ่านได้เฉพาะข้อความตัวอักษร ลองพิมพ์ “ช่วยเหลือ” เพื่อดูคำสั่งครับ"
BUTTON_GONE = "ขออภัยครับ ปุ่มนี้ใช้ไม่ได้แล้ว ลองพิมพ์ “ช่วยเหลือ” เพื่อดูคำสั่งครับ"
FOLLOW = "สวัสดีครับ ยินดีต้อนรับสู่สายใย 🤝 ผู้ช่วยประสานงานเครือข่ายชุมชน\nพิมพ์ “ช่วยเหลือ” เพื่อดูสิ่งที่สายใยทำได้ครับ"
JOIN = ("สวัสดีครับทุกคน สายใยเป็นผู้ช่วยประสานงานเครือข่ายชุมชน 🤝\n"
        "เรียกใช้ในกลุ่มได้โดยขึ้นต้นด้วย “บอท” เช่น “บอท ช่วยเหลือ” สายใยจะไม่เก็บข้อความอื่นในกลุ่มครับ")


def not_understood_th(text: str) -> str:
    return f"ขออภัยครับ สายใยยังไม่เข้าใจ “{text}”\n{HELP_TH_USER}"


# --- dialog plumbing ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Who:
    user: str | None
    group: str | None = None

    @property
    def chat(self) -> str:
        return self.group or self.user or ""


@dataclass(frozen=True)
class Tap:
    """A postback button press (with datetime-picker params when given)."""

    data: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sticker:
    pass


@dataclass(frozen=True)
class Simple:
    """follow, join, unfollow, leave: events without a message."""

    kind: str
    reply: bool = True
    unblocked: bool = False


@dataclass(frozen=True)
class Mention:
    """A text with one mentionee at text[index:index + length] (the bot when is_self)."""

    text: str
    index: int
    length: int
    is_self: bool = True


@dataclass(frozen=True)
class Wait:
    minutes: float


STICKER = Sticker()
alice, bob, staff = Who(ALICE), Who(BOB), Who(STAFF)
alice_in_group, bob_in_group, pc_in_group = Who(ALICE, GROUP), Who(BOB, GROUP), Who(None, GROUP)


def event_for(who: Who, message: object) -> dict:
    if isinstance(message, str):
        return ev.text(message, user=who.user, group=who.group)
    if isinstance(message, Tap):
        return ev.postback(message.data, user=who.user, group=who.group, params=message.params or None)
    if isinstance(message, Sticker):
        return ev.sticker(user=who.user, group=who.group)
    if isinstance(message, Simple):
        event = ev.simple(message.kind, user=who.user, group=who.group,
                          reply_token="auto" if message.reply else None)
        if message.kind == "follow":  # LINE always sends it; the SDK refuses a follow event without it
            event["follow"] = {"isUnblocked": message.unblocked}
        return event
    if isinstance(message, Mention):
        event = ev.text(message.text, user=who.user, group=who.group, mention_self=(message.index, message.length))
        event["message"]["mention"]["mentionees"][0]["isSelf"] = message.is_self
        return event
    raise TypeError(message)


class Chat:
    """The app with this module's dispatcher, spoken to through signed webhooks."""

    def __init__(self, app, fake_line, clock) -> None:
        self.client = WebhookClient(app.test_client(), SECRET)
        self.session_factory = app.extensions["saiyai"].session_factory
        self.fake_line = fake_line
        self.clock = clock

    def say(self, who: Who, message: object) -> list[str]:
        """Post one event; the texts LINE delivered because of it."""
        before = len(self.fake_line.state.texts())
        response = self.client.post(event_for(who, message))
        assert response.status_code == 200
        return self.fake_line.state.texts()[before:]

    def run(self, turns: list) -> list[Who]:
        """Play a dialog table; returns who was answered, in order."""
        answered = []
        for turn in turns:
            if isinstance(turn, Wait):
                self.clock.advance(minutes=turn.minutes)
                continue
            who, message, expected = turn
            assert self.say(who, message) == expected, (who, message)
            if expected:
                answered.append(who)
        return answered

    def conversations(self) -> list[tuple]:
        """Each conversation row, with the handler's data (without the question the dispatcher keeps)."""
        with self.session_factory() as session:
            rows = session.scalars(select(Conversation).order_by(Conversation.id)).all()
            return [(r.chat_id, r.user_id, r.flow, r.step, {k: v for k, v in r.data.items() if k != ASKED_KEY},
                     r.lang) for r in rows]

    def stored_events(self) -> list[tuple]:
        with self.session_factory() as session:
            rows = session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()
            return [(r.chat_id, r.user_id) for r in rows]


@pytest.fixture
def chat(config, clock, fake_line):
    dispatcher = Dispatcher(Registry.build([sys.modules[__name__], help_module]), staff_profiles)
    app = create_app({"SAIYAI_CONFIG": config, "CLOCK": clock, "DISPATCHER": dispatcher})
    yield Chat(app, fake_line, clock)
    app.extensions["saiyai"].line.close()
    app.extensions["saiyai.engine"].dispose()


def in_flow(*turns: tuple) -> list:
    """Alice starts painting, then the given turns."""
    return [(alice, "ระบายสี", [ASK_NAME]), *turns]


FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji: man, woman and girl held together by joiners
NAMED = (alice, "สมชาย", ["คุณสมชาย ชอบสีอะไรครับ"])
COLOURED = (alice, "ฟ้า", ["สีฟ้า นัดวันไหนดีครับ"])
PICKED = (alice, Tap("a=flow", {"datetime": "2026-12-01T09:30"}), ["นัดคุณสมชาย ระบายสีฟ้า 2026-12-01T09:30 ครับ"])


def row(step: str, data: dict, *, chat: str = ALICE, user: str = ALICE, lang: str = "th") -> tuple:
    return (chat, user, "paint", step, data, lang)


# --- the dialogs -----------------------------------------------------------------------------------

DIALOGS = {
    "full flow ends and forgets the conversation": (
        in_flow(NAMED, COLOURED,
                (alice, "พรุ่งนี้", ["กดปุ่มเลือกวันเวลาครับ"]),   # typed instead of using the picker: stays
                PICKED),
        [],
    ),
    "a flow left midway keeps its step and data": (
        in_flow(NAMED),
        [row(Paint.COLOUR, {"name": "สมชาย"})],
    ),
    "help mid-flow is not taken as the answer: the step waits": (
        in_flow((alice, "ช่วยเหลือครับ", [HELP_IN_FLOW]), (alice, "help", [HELP_IN_FLOW]),
                NAMED),
        [row(Paint.COLOUR, {"name": "สมชาย"})],
    ),
    "an English keyword stores the language": (
        [(alice, "PAINT", [ASK_NAME])],
        [row(Paint.NAME, {}, lang="en")],
    ),
    "a sticker is an empty answer to the step": (
        in_flow((alice, STICKER, ["กรุณาพิมพ์ชื่อเป็นตัวอักษรครับ"])),
        [row(Paint.NAME, {})],
    ),
    "another user's text is not the answer": (
        in_flow((bob, "สมชาย", [not_understood_th("สมชาย")])),
        [row(Paint.NAME, {})],
    ),
    "a zero-width joiner in a keyword still matches; an answer keeps its emoji whole": (
        [(alice, "ช่วย\u200dเหลือ", [HELP_TH_USER]),
         (alice, "ระบาย\u200dสี", [ASK_NAME]),
         (alice, FAMILY, [f"คุณ{FAMILY} ชอบสีอะไรครับ"])],
        [row(Paint.COLOUR, {"name": FAMILY})],
    ),
    "a polite ending still runs the command": (
        [(alice, "ช่วยเหลือครับ", [HELP_TH_USER]),
         (alice, "ระบายสีค่ะ", [ASK_NAME]),
         (alice, "สมชายครับ", ["คุณสมชายครับ ชอบสีอะไรครับ"])],   # an answer is kept as typed
        [row(Paint.COLOUR, {"name": "สมชายครับ"})],
    ),
    "ยกเลิก with a polite ending cancels at any step": (
        in_flow((alice, "ยกเลิกค่ะ", [CANCELLED]),
                (alice, "ระบายสี", [ASK_NAME]), NAMED, (alice, "ยกเลิก ครับ", [CANCELLED]),
                (alice, "ยกเลิกนะคะ", [NOTHING_TO_CANCEL_TH])),
        [],
    ),
    "a zero-width joiner in ยกเลิก still cancels": (
        in_flow(NAMED, (alice, "ยก\u200dเลิก", [CANCELLED])),
        [],
    ),
    "ยกเลิก with nothing in progress": (
        [(alice, "ยกเลิก", [NOTHING_TO_CANCEL_TH])],
        [],
    ),
    "cancel with nothing in progress": (
        [(alice, "cancel", [NOTHING_TO_CANCEL_EN])],
        [],
    ),
    "expiry after 31 minutes": (
        in_flow(Wait(29), NAMED,                             # each answer gives another 30 minutes
                Wait(31),
                (alice, Tap("a=flow", {"datetime": "2026-12-01T09:30"}), [EXPIRED]),
                (alice, "ยกเลิก", [NOTHING_TO_CANCEL_TH])),
        [row(Paint.COLOUR, {"name": "สมชาย"})],             # stale until the purge job, a new start or an answer
    ),
    "an answer typed after expiry is told so, once, and the stale row goes": (
        in_flow(NAMED, Wait(31),
                (alice, "ฟ้า", [EXPIRED]),
                (alice, "ฟ้า", [not_understood_th("ฟ้า")])),
        [],
    ),
    "an answer after expiry is told so in the conversation's language": (
        [(alice, "paint", [ASK_NAME]), Wait(31), (alice, "Somchai", [EXPIRED_EN])],
        [],
    ),
    "a command after expiry still runs as the command": (
        in_flow(NAMED, Wait(31), (alice, "ช่วยเหลือ", [HELP_TH_USER]), (alice, "ช่วยเหลือครับ", [HELP_TH_USER])),
        [row(Paint.COLOUR, {"name": "สมชาย"})],
    ),
    "group: chatter after expiry is still ignored and not stored": (
        [(alice_in_group, "บอท ระบายสี", [ASK_NAME]), Wait(31),
         (alice_in_group, "สมชาย", []),
         (alice_in_group, "บอทนี้ดีจัง", [])],
        [row(Paint.NAME, {}, chat=GROUP)],
    ),
    "starting again after expiry replaces the stale row": (
        in_flow(NAMED, Wait(31), (alice, "ระบายสี", [ASK_NAME])),
        [row(Paint.NAME, {})],
    ),
    "a postback with datetime params answers the current step": (
        in_flow(NAMED, COLOURED, PICKED),
        [],
    ),
    "a postback a=flow outside any conversation": (
        [(alice, Tap("a=flow", {"datetime": "2026-12-01T09:30"}), [EXPIRED])],
        [],
    ),
    "unknown and known postback actions": (
        [(alice, Tap("a=gone&id=7"), [BUTTON_GONE]),
         (alice, Tap("id=7"), [BUTTON_GONE]),
         (alice, Tap("a=like&n=3"), ["ขอบคุณที่กดถูกใจ 3 ครั้งครับ"])],
        [],
    ),
    "sticker in 1:1 gets the not-text reply, in a group nothing": (
        [(alice, STICKER, [NOT_TEXT]),
         (alice_in_group, STICKER, [])],
        [],
    ),
    "unknown text gets help with the not-understood prefix": (
        [(alice, "สวัสดีครับ", [f"สวัสดีครับ 🙏\n{HELP_TH_USER}"]),   # a greeting is greeted
         (alice, "hello ครับ", [f"สวัสดีครับ 🙏\n{HELP_TH_USER}"]),
         (alice, "สวัสดีครับ มีเรื่องสอบถาม", [not_understood_th("สวัสดีครับ มีเรื่องสอบถาม")]),
         # Only an English command word answers in English to someone who never chose a language: ASCII
         # alone is what Thai users type too (a code, a phone number, a link).
         (alice, "K7M2", [not_understood_th("K7M2")]),
         (alice, "081-234-5678", [not_understood_th("081-234-5678")]),
         (alice, "https://line.me/R/ti/p/@saiyai", [not_understood_th("https://line.me/R/ti/p/@saiyai")]),
         (alice, "hello there", [not_understood_th("hello there")]),
         (alice, "x" * 50, [not_understood_th("x" * 40 + "…")]),
         (alice, "help", [HELP_EN_USER])],
        [],
    ),
    "follow and join are greeted; unfollow and leave are ignored": (
        [(alice, Simple("follow"), [FOLLOW]),
         (bob, Simple("follow", unblocked=True), [FOLLOW]),
         (Who(None, GROUP), Simple("join"), [JOIN]),
         (alice, Simple("unfollow", reply=False), []),
         (Who(None, GROUP), Simple("leave", reply=False), [])],
        [],
    ),
    "group: only messages addressed to the bot are answered": (
        [(alice_in_group, "ใครไปตลาดบ้าง ช่วยเหลือด้วย", []),
         (alice_in_group, "ช่วยเหลือ", []),
         (alice_in_group, "bottle of water please", []),
         (alice_in_group, "บอทนี่ใช้ดีนะ", []),
         (alice_in_group, "บอท ช่วยเหลือ", [HELP_TH_GROUP]),
         # Thai runs words together: a Thai prefix may touch the command it calls, and nothing else.
         (alice_in_group, "บอทช่วยเหลือ", [HELP_TH_GROUP]),
         (alice_in_group, "บอทช่วยเหลือครับ", [HELP_TH_GROUP]),
         (alice_in_group, "สายใยเช็กชื่อ", ["เช็กชื่อแล้วครับ"]),
         (alice_in_group, "บอทนี้ดีจัง", []),
         (alice_in_group, "บอทช่วยเหลือดีจัง", []),
         (alice_in_group, "bothelp", []),
         (alice_in_group, "@bot help", [HELP_EN_GROUP]),
         (alice_in_group, "bot, help", [HELP_EN_GROUP]),
         (alice_in_group, "BOT: HELP", [HELP_EN_GROUP]),
         # The bot's display name in the group need not be one of the prefixes.
         (alice_in_group, Mention("@ผู้ช่วยชุมชน ช่วยเหลือ", 0, 13), [HELP_TH_GROUP]),
         (alice_in_group, Mention("ช่วยเหลือ @ผู้ช่วยชุมชน", 10, 13), [HELP_TH_GROUP]),
         (alice_in_group, Mention("@สมชาย ช่วยเหลือ", 0, 6, is_self=False), [])],
        [],
    ),
    "group: the user in a conversation answers without the prefix": (
        [(alice_in_group, "บอท ระบายสี", [ASK_NAME]),
         (bob_in_group, "ใครไปตลาดบ้าง", []),
         (alice_in_group, "สมชาย", ["คุณสมชาย ชอบสีอะไรครับ"]),
         (bob_in_group, "สมหญิง", []),
         (alice, "ฟ้า", [not_understood_th("ฟ้า")]),        # the group conversation is not the 1:1 one
         (alice_in_group, "บอท ฟ้า", ["สีฟ้า นัดวันไหนดีครับ"])],
        [row(Paint.WHEN, {"name": "สมชาย", "colour": "ฟ้า"}, chat=GROUP)],
    ),
    "group: ยกเลิก without the prefix ends the conversation, then is chatter again": (
        [(alice_in_group, "บอท ระบายสี", [ASK_NAME]),
         (alice_in_group, "ยกเลิก", [CANCELLED]),
         (alice_in_group, "ยกเลิก", [])],
        [],
    ),
    "group: ยกเลิกครับ without the prefix ends the conversation too": (
        [(alice_in_group, "บอทระบายสี", [ASK_NAME]),
         (alice_in_group, "ยกเลิกครับ", [CANCELLED]),
         (alice_in_group, "ยกเลิกครับ", [])],
        [],
    ),
    "group: a sender without userId (LINE for PC) still gets help": (
        [(pc_in_group, "บอท ช่วยเหลือ", [HELP_TH_GROUP]),
         (pc_in_group, "ช่วยเหลือ", [])],
        [],
    ),
    "role: a staff command is refused to anonymous senders": (
        [(alice, "รายงาน", ["ขออภัยครับ คำสั่ง “รายงาน” สงวนไว้สำหรับเจ้าหน้าที่เขตครับ"]),
         (alice, "report", ["Sorry, “report” is for district staff only."]),
         (staff, "รายงาน", ["รายงานประจำเดือนครับ"]),
         (alice, "ช่วยเหลือ", [HELP_TH_USER]),
         (staff, "ช่วยเหลือ", [HELP_TH_STAFF])],
        [],
    ),
    "chats: a group command in 1:1 and a 1:1 command in a group": (
        [(alice, "เช็กชื่อ", ["คำสั่ง “เช็กชื่อ” ใช้ได้ในกลุ่มเท่านั้นครับ"]),
         (alice, "roll call", ["“roll call” works in a group only."]),
         (alice_in_group, "บอท เช็กชื่อ", ["เช็กชื่อแล้วครับ"]),
         (alice_in_group, "บอท โปรไฟล์", ["คำสั่ง “โปรไฟล์” ใช้ได้ในแชตส่วนตัวกับสายใยเท่านั้นครับ"]),
         (alice, "โปรไฟล์", ["โปรไฟล์ของคุณครับ"])],
        [],
    ),
}


@pytest.mark.parametrize(("turns", "rows"), list(DIALOGS.values()), ids=list(DIALOGS))
def test_dialog(chat: Chat, turns: list, rows: list) -> None:
    answered = chat.run(turns)
    assert chat.conversations() == rows
    # Exactly the events that were answered were recorded; chatter and ignored events left no trace.
    assert chat.stored_events() == [(who.chat, who.user) for who in answered]


@pytest.mark.parametrize("word", ["ยกเลิก", "cancel"])
@pytest.mark.parametrize("answers", [0, 1, 2], ids=["at name", "at colour", "at date"])
def test_cancel_at_every_step(chat: Chat, word: str, answers: int) -> None:
    chat.run(in_flow(*[NAMED, COLOURED][:answers]))
    assert len(chat.conversations()) == 1
    chat.run([(alice, word, [CANCELLED]),
              (alice, "ฟ้า", [not_understood_th("ฟ้า")])])   # no longer an answer to anything
    assert chat.conversations() == []


def test_cancel_answers_in_the_language_of_the_conversation(chat: Chat) -> None:
    chat.run([(alice, "paint", [ASK_NAME]),
              (alice, "cancel", ["Cancelled."])])
    assert chat.conversations() == []


def test_each_answer_moves_the_expiry_forward(chat: Chat, clock) -> None:
    start = clock.now
    chat.run(in_flow(Wait(20), NAMED))
    with chat.session_factory() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.updated_at == start + timedelta(minutes=20)
        assert conversation.expires_at == start + timedelta(minutes=50)


# --- another command typed mid-conversation (the real flows: test_switch_in_flow.py) ----------------

def asked(command: str) -> str:
    return f"คุณกำลังทำรายการอื่นอยู่ จะหยุดแล้วไปที่ “{command}” ไหมครับ"   # a flow without its own words


def stale(command: str) -> str:
    return f"ปุ่มนี้ใช้ไม่ได้แล้วครับ รายการนั้นจบไปแล้วหรือตอบต่อไปแล้ว ถ้ายังต้องการ พิมพ์ “{command}” ได้เลยครับ"


GONE = "รายการนั้นจบไปแล้วหรือหมดเวลาแล้วครับ เริ่มใหม่ได้เลยครับ"


def last_buttons(chat: Chat) -> dict[str, str]:
    """Label → postback data of the quick replies on the bot's last message."""
    last = chat.fake_line.state.requests[-1].body["messages"][-1]
    return {item["action"]["label"]: item["action"].get("data") or item["action"].get("text")
            for item in (last.get("quickReply") or {}).get("items", [])}


def test_a_command_mid_flow_is_asked_about_then_run_once(chat: Chat) -> None:
    chat.run(in_flow((alice, "โปรไฟล์ครับ", [asked("โปรไฟล์")])))
    assert chat.conversations() == [row(Paint.NAME, {})]            # not the name, and the step still waits
    buttons = last_buttons(chat)
    assert list(buttons) == ["หยุดแล้วไป โปรไฟล์", "ทำต่อ"]
    chat.run([(alice, Tap(buttons["หยุดแล้วไป โปรไฟล์"]), ["โปรไฟล์ของคุณครับ"])])
    assert chat.conversations() == []
    chat.run([(alice, Tap(buttons["หยุดแล้วไป โปรไฟล์"]), [stale("โปรไฟล์")]),
              (alice, Tap(buttons["ทำต่อ"]), [GONE])])


def test_the_same_flow_s_command_mid_flow_starts_it_again_only_when_chosen(chat: Chat) -> None:
    chat.run(in_flow(NAMED, (alice, "ระบายสี", [asked("ระบายสี")])))
    assert chat.conversations() == [row(Paint.COLOUR, {"name": "สมชาย"})]
    buttons = last_buttons(chat)
    chat.run([(alice, Tap(buttons["ทำต่อ"]), ["ได้ครับ ทำต่อจากเดิม\nคุณสมชาย ชอบสีอะไรครับ"]),
              COLOURED])
    assert chat.conversations() == [row(Paint.WHEN, {"name": "สมชาย", "colour": "ฟ้า"})]


def test_a_refused_command_mid_flow_says_so_and_asks_the_step_again(chat: Chat) -> None:
    chat.run(in_flow((alice, "รายงาน", ["ขออภัยครับ คำสั่ง “รายงาน” สงวนไว้สำหรับเจ้าหน้าที่เขตครับ", ASK_NAME]),
                     NAMED))
    assert chat.conversations() == [row(Paint.COLOUR, {"name": "สมชาย"})]


def test_group_only_the_sender_s_own_buttons_act(chat: Chat) -> None:
    chat.run([(alice_in_group, "บอท ระบายสี", [ASK_NAME]),
              (alice_in_group, "เช็กชื่อ", [asked("เช็กชื่อ")])])     # an answer needs no "บอท": nor the question
    buttons = last_buttons(chat)
    chat.run([(bob_in_group, Tap(buttons["หยุดแล้วไป เช็กชื่อ"]), [stale("เช็กชื่อ")]),
              (bob_in_group, Tap(buttons["ทำต่อ"]), [GONE])])
    assert chat.conversations() == [row(Paint.NAME, {}, chat=GROUP)]
    chat.run([(alice_in_group, Tap(buttons["หยุดแล้วไป เช็กชื่อ"]), ["เช็กชื่อแล้วครับ"]),
              (alice_in_group, "สมชาย", [])])                        # chatter again: nothing in progress
    assert chat.conversations() == []


@pytest.mark.parametrize("data", ["a=flow_go&c=²&v=x&t=ระบายสี", "a=flow_go&c=1&v=x&t=ไม่มีคำสั่งนี้",
                                  "a=flow_go&c=1&v=x", "a=flow_stay&c=99999999999999999999", "a=flow_stay"])
def test_hand_made_question_buttons_are_unknown(chat: Chat, data: str) -> None:
    chat.run(in_flow((alice, Tap(data), [BUTTON_GONE])))
    assert chat.conversations() == [row(Paint.NAME, {})]
