"""The notice conversation's name, steps and words, and the prompts every step of it uses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from linebot.v3.messaging import (
    DatetimePickerAction,
    LocationAction,
    MessageAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from handlers.thaitime import to_picker_value
from handlers.context import SKIP_WORDS as COMMON_SKIP_WORDS
from handlers.context import Context, button_label
from handlers.registry import ChatKind
from models import NoticeScope, RoleFilter


FLOW = "notice"
HELP_FLOW = "alert_help"
QUICK_LIMIT = 12          # quick replies besides the cancel button (LINE allows 13)
SNIPPET = 40
NEWS_TEXT_LIMIT = 500
ALT_TEXT_LIMIT = 400
STATUS_LIMIT = 3
PENDING_NAMES = 30
COMMUNITY_LINES = 20   # per notice in the status reply; the rest are summed in one line
LOCATION_LIMIT = 100      # LINE: a location message's title and address
SKIP_WORDS = COMMON_SKIP_WORDS | {"no"}
NOW_WORDS = frozenset({"ส่งทันที", "ทันที", "ตอนนี้", "now", "send now", "right now"})
IMAGE_URL = re.compile(r"https://\S+\.(?:jpe?g|png)(?:\?\S*)?", re.IGNORECASE)
LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)  # a link, but not one LINE can show as a picture
ACCENT = "#06C755"
URGENT = "#D93025"
ONLY_1_1 = frozenset({ChatKind.USER})


class Step(StrEnum):
    SCOPE = "awaiting_scope"
    TARGET = "awaiting_target"
    ROLES = "awaiting_roles"
    TEXT = "awaiting_text"
    ATTACHMENT = "awaiting_attachment"
    WHEN = "awaiting_when"
    CONFIRM = "awaiting_confirm"


class HelpStep(StrEnum):
    LOCATION = "awaiting_location"


SCOPE_KINDS = (NoticeScope.ORGANIZATION, NoticeScope.NETWORK, NoticeScope.COMMUNITY)
ROLE_CHOICES = (RoleFilter.EVERYONE, RoleFilter.LEADERS, RoleFilter.COMMITTEE, RoleFilter.PARTNERS)


def _say(ctx: Context, text: str, quick: Sequence[tuple[str, str]] = (), *, location: bool = False,
         picker: bool = False, cancel: bool = True) -> TextMessage:
    """A text with quick replies: a location or datetime-picker button, texts, then cancel."""
    items: list[QuickReplyItem] = []
    if location:
        items.append(QuickReplyItem(action=LocationAction(label=ctx.t("notice.location_label"))))
    if picker:
        earliest = to_picker_value(ctx.now)
        items.append(QuickReplyItem(action=DatetimePickerAction(
            label=ctx.t("notice.picker_label"), data="a=flow", mode="datetime", initial=earliest, min=earliest)))
    buttons = list(quick)[:QUICK_LIMIT - len(items)]
    if cancel:
        buttons.append((ctx.t("flow.cancel_label"), ctx.t("flow.cancel_label")))
    items.extend(QuickReplyItem(action=MessageAction(label=button_label(label), text=value)) for label, value in buttons)
    return TextMessage(text=text, quickReply=QuickReply(items=items) if items else None)


def _short(text: str, limit: int = SNIPPET) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _clip(text: str, limit: int = NEWS_TEXT_LIMIT) -> str:
    """The text as written (line breaks kept), cut to `limit` characters."""
    return text if len(text) <= limit else text[:limit].rstrip() + "…"
