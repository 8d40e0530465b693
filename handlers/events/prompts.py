"""The prompts the create and edit conversations share: a text with quick replies, the date and time questions, a refusal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from linebot.v3.messaging import (
    DatetimePickerAction,
    LocationAction,
    MessageAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from bot.config import TIMEZONE
from handlers.thaitime import ENGLISH_MONTHS, ENGLISH_WEEKDAYS, format_date, to_picker_value
from handlers.context import Context, button_label
from handlers.events.flow import DEFAULT_START, QUICK_LIMIT
from handlers.events.reading import Invalid


def _say(ctx: Context, text: str, quick: Sequence[tuple[str, str]] = (), *, picker: datetime | None = None,
         location: bool = False, cancel: bool = True) -> TextMessage:
    """A text with quick replies: optional datetime picker or location button, texts, and cancel."""
    items: list[QuickReplyItem] = []
    if picker is not None:
        earliest = ctx.now + timedelta(minutes=1)
        items.append(QuickReplyItem(action=DatetimePickerAction(
            label=ctx.t("event.picker_label"), data="a=flow", mode="datetime",
            initial=to_picker_value(max(picker, earliest)), min=to_picker_value(earliest))))
    if location:
        items.append(QuickReplyItem(action=LocationAction(label=ctx.t("event.location_label"))))
    buttons = list(quick)[:QUICK_LIMIT - len(items)]
    if cancel:
        buttons.append((ctx.t("flow.cancel_label"), ctx.t("flow.cancel_label")))
    items.extend(QuickReplyItem(action=MessageAction(label=button_label(label), text=value)) for label, value in buttons)
    return TextMessage(text=text, quickReply=QuickReply(items=items) if items else None)


def _tomorrow_morning(ctx: Context) -> datetime:
    return datetime.combine(ctx.now.astimezone(TIMEZONE).date() + timedelta(days=1), DEFAULT_START, TIMEZONE)


def _ask_when(ctx: Context, prefix: Invalid | None = None) -> TextMessage:
    text = ctx.t("event.ask_when")
    if prefix is not None:
        text = ctx.t(prefix.key, **prefix.values) + "\n" + text
    return _say(ctx, text, picker=_tomorrow_morning(ctx))


def _ask_time(ctx: Context, day: date) -> TextMessage:
    return _say(ctx, ctx.t("event.ask_time", date=_date_text(ctx.lang, day)),
                picker=datetime.combine(day, DEFAULT_START, TIMEZONE))


def _date_text(lang: str, day: date) -> str:
    """A long date: Thai (พ.ศ.) or English; a datetime is first moved to Bangkok."""
    if isinstance(day, datetime):
        day = day.astimezone(TIMEZONE).date()
    if lang == "en":
        return f"{ENGLISH_WEEKDAYS[day.weekday()]} {day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}"
    return format_date(day)


def _invalid_text(ctx: Context, invalid: Invalid, *, quick: Sequence[tuple[str, str]] = (),
                  location: bool = False) -> TextMessage:
    return _say(ctx, ctx.t(invalid.key, **invalid.values), quick, location=location)
