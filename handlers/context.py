"""What a handler receives (Context) and what it gives back (Turn)."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import regex
from linebot.v3.messaging import (
    Message,
    MessageAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)
from sqlalchemy.orm import Session

from handlers.catalog import CATALOGUES, text_for
from handlers.registry import ChatKind, Role, normalize, word_in

if TYPE_CHECKING:
    from handlers.registry import Registry


@dataclass
class Context:
    """One incoming event as a handler sees it; the session is the event's transaction."""

    session: Session
    now: datetime
    registry: Registry
    chat_kind: ChatKind
    chat_id: str            # the user id in a 1:1 chat, else the group or room id
    user_id: str | None     # missing in groups for LINE on PC or users who did not consent
    lang: str = "th"
    role: Role = Role.ANYONE
    args: str = ""          # the text after the command keyword, or the whole answer in a flow
    keyword: str = ""
    params: dict[str, str] = field(default_factory=dict)  # postback data and datetime-picker values
    message: Any = None     # the SDK message content (location, image, ...) when not plain text
    event: Any = None
    data: dict[str, Any] = field(default_factory=dict)    # the conversation's stored data
    step: str | None = None
    person: Any = None      # models.Person of the sender, when Saiyai knows them
    memberships: list[Any] = field(default_factory=list)  # the sender's roles (models.Membership)
    settings: dict[str, Any] = field(default_factory=dict)  # from the app's configuration (e.g. public_url)

    def use_button_lang(self) -> None:
        """A button answers in the language it was shown in (its `l=` parameter), unless the person chose one."""
        lang = self.params.get("l")
        if lang in CATALOGUES and (self.person is None or self.person.language is None):
            self.lang = lang

    def command_text(self, text: str) -> str:
        """What a button sends to run a command: in a group it must call the bot like any message there."""
        return text if self.chat_kind == ChatKind.USER else ("บอท " if self.lang == "th" else "bot ") + text

    def keyword_of(self, func: Any) -> str:
        """The keyword of a registered command function, in the sender's language."""
        return self.registry.spec_of(func).keyword_for(self.lang)

    def means(self, words: Collection[str]) -> bool:
        """Whether the answer is one of these (case-folded) words, whatever its spacing or polite ending:
        "ข้ามค่ะ" skips like ข้าม. Only for comparing: free text is stored as typed."""
        return word_in(self.args, words) is not None

    def t(self, key: str, **values: object) -> str:
        """Catalogue text in the sender's language."""
        return text_for(self.lang, key, **values)

    def text(self, key: str, *, quick: Sequence[tuple[str, str]] = (), cancel: bool = False,
             **values: object) -> TextMessage:
        """A text message from the catalogue, with optional quick-reply buttons (label, text to send)."""
        return self.text_message(self.t(key, **values), quick=quick, cancel=cancel)

    def usage(self, key: str, **values: object) -> TextMessage:
        """How to write the command just typed (`{command}` in the text), as this chat needs it: "บอท รายงาน"
        in a group, where a message is read only after "บอท"."""
        return self.text(key, command=self.command_text(self.keyword), **values)

    def text_message(self, text: str, *, quick: Sequence[tuple[str, str]] = (), cancel: bool = False) -> TextMessage:
        """A text message; `cancel` adds the cancel button that works at every step of a conversation."""
        buttons = list(quick)
        if cancel:
            buttons = buttons[:12] + [(self.t("flow.cancel_label"), self.t("flow.cancel_label"))]
        return text_message(text, quick=buttons)


# Answers that skip an optional step, in every guided conversation (some steps accept more words).
SKIP_WORDS = frozenset({"ข้าม", "ไม่มี", "skip", "none", "-"})
# At a phone step people say what they lack: "ไม่มีเบอร์ค่ะ".
PHONE_SKIP_WORDS = SKIP_WORDS | {"ไม่มีเบอร์", "ไม่มีเบอร์โทร", "ไม่มีโทรศัพท์", "no phone", "no number"}
# Greetings people open a chat with, polite ending or not ("สวัสดีค่ะ", "หวัดดีจ้า"): never a name.
GREETING_WORDS = frozenset({"สวัสดี", "หวัดดี", "ดี", "ดีจ้า", "สวัสดีจ้า", "สวัสดีครับทุกคน", "อรุณสวัสดิ์",
                            "สวัสดีตอนเช้า", "hello", "hi", "hey", "hallo", "good morning", "good afternoon",
                            "good evening"})


def is_greeting(text: str) -> bool:
    """Whether the text is only a greeting, polite ending, emoji and punctuation or not ("สวัสดีครับ 🙏")."""
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith(("S", "P"))).strip()
    return word_in(text, GREETING_WORDS) is not None


def not_a_name(ctx: Context) -> str | None:
    """Why the answer at a name step is no name, before any check of the name itself: `sticker` (a sticker,
    image or anything but text), `greeting`, `command` (a command of the bot, or the register button's
    label typed) or `skip` (ข้าม, ไม่มี: a name cannot be skipped); None when it may be one."""
    if ctx.message is not None:
        return "sticker"
    if is_greeting(ctx.args):
        return "greeting"
    labels = {normalize(catalogue[key]) for catalogue in CATALOGUES.values()
              for key in ("welcome.register_label", "welcome.register_text")}
    if ctx.registry.match(ctx.args) is not None or word_in(ctx.args, labels) is not None:
        return "command"
    if word_in(ctx.args, PHONE_SKIP_WORDS) is not None:
        return "skip"  # "ข้ามค่ะ", "ไม่มี": the next step's button typed early, or a name refused; no name
    return None


RECORD_ID_DIGITS = 9  # ids fit the databases' INTEGER (up to 2,147,483,647) with room to spare


def record_id(value: str | None) -> int | None:
    """A row id (or count) from a button's data, or None when the data cannot be one.

    Only ASCII digits, at most nine, as Saiyai writes them: `str.isdigit` alone lets through
    superscripts and Thai digits that `int` reads or refuses unpredictably, and numbers too large for
    the database; those ended in the generic apology instead of the clear "unknown button" reply."""
    text = value or ""
    if not (text.isascii() and text.isdigit() and len(text) <= RECORD_ID_DIGITS):
        return None
    return int(text)


BUTTON_LABEL_LIMIT = 20  # LINE's limit for a quick-reply label, in grapheme clusters
_GRAPHEME = regex.compile(r"\X")


def graphemes(text: str) -> list[str]:
    """The text as the characters a reader sees (grapheme clusters, which LINE counts in a label): a
    consonant with its vowel and tone marks is one ("ชุ", "น้ำ"), a flag or a family emoji too. Unicode's
    own rules (UAX #29), from the `regex` library's \\X."""
    return _GRAPHEME.findall(text)


def button_label(label: str, limit: int = BUTTON_LABEL_LIMIT) -> str:
    """A label LINE accepts (`limit` grapheme clusters: 20 on quick replies, 40 on some buttons); one cut short
    is cut between clusters, never through a vowel or tone mark, and says so: "ชุมชนซอยบางนา-ตราด…" for
    "…ตราด 251", not "…ตราด 2" (another name)."""
    clusters = graphemes(label)
    return label if len(clusters) <= limit else "".join(clusters[:limit - 1]).rstrip() + "…"


def text_message(text: str, *, quick: Sequence[tuple[str, str]] = ()) -> TextMessage:
    """A text message with up to 13 quick-reply buttons that send their text."""
    quick_reply = None
    if quick:
        quick_reply = QuickReply(items=[
            QuickReplyItem(action=MessageAction(label=button_label(label), text=value)) for label, value in quick[:13]
        ])
    return TextMessage(text=text, quickReply=quick_reply)


@dataclass
class Turn:
    """A handler's answer: messages to send and, in a guided conversation, where it goes next.

    `step=None` ends the conversation; a command starts one by naming `flow` and `step`;
    `private=True` keeps the conversation in the sender's 1:1 chat even when it started in a group.
    """

    messages: list[Message]
    step: str | None = None
    flow: str | None = None
    data: dict[str, Any] | None = None
    private: bool = False


def as_turn(result: Turn | Sequence[Message] | Message | None) -> Turn:
    """Handlers may return a Turn, a list of messages, one message or nothing."""
    if result is None:
        return Turn([])
    if isinstance(result, Turn):
        return result
    if isinstance(result, Message):
        return Turn([result])
    return Turn(list(result))


def command_refusal(ctx: Context, spec: Any) -> Message | None:
    """Why the sender may not use this command here (wrong chat, too low a role), or None. Handlers that
    act on a button for the command ask too: a stale or forwarded button is not a way around it."""
    keyword = spec.keyword_for(ctx.lang)
    if ctx.chat_kind not in spec.chats:
        key = "command.wrong_chat_user" if ctx.chat_kind == ChatKind.USER else "command.wrong_chat_group"
        return ctx.text(key, keyword=keyword)
    if ctx.role < spec.min_role:
        return ctx.text("command.refused", keyword=keyword, role=ctx.t(f"role.{int(spec.min_role)}"))
    return None
