"""Reading a typed answer: a title, a date and time (or a range), a place, a count."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from linebot.v3.webhooks import LocationMessageContent

from bot.config import TIMEZONE
from handlers.thaitime import from_picker_value, parse_when, parse_when_parts, too_far_ahead
from handlers import cards
from handlers.context import Context
from handlers.registry import strip_polite
from handlers.services import registry as reg
from handlers.events.flow import COUNT, COUNT_LIMIT, PLACE_LIMIT, SKIP_WORDS, TIME_RANGE, TITLE_LIMIT


@dataclass(frozen=True)
class Invalid:
    """Why an answer cannot be used: a catalogue key and its values."""

    key: str
    values: dict[str, object]


@dataclass(frozen=True)
class DateOnly:
    """A date without a time: ask for the time."""

    day: date


@dataclass(frozen=True)
class When:
    starts_at: datetime
    ends_at: datetime | None


def _answer(ctx: Context) -> str:
    """The sender's answer, trimmed (the dispatcher already normalised it: see registry.clean)."""
    return ctx.args.strip()


def _name_readings(text: str) -> list[str]:
    """A name to look up: without a polite ending first ("ชุมชนวัดบางนา ครับ"), then as typed, in case the
    name itself ends like one."""
    return list(dict.fromkeys(t for t in (strip_polite(text), text.strip()) if t))


def _invalid(key: str, **values: object) -> Invalid:
    return Invalid(key, values)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def read_title(text: str) -> str | Invalid:
    title = text.strip()
    if not title or not any(ch.isalnum() for ch in title):
        return _invalid("event.title_empty")
    if len(title) > TITLE_LIMIT:
        return _invalid("event.title_too_long", length=len(title))
    return title


def read_when(ctx: Context, day: date | None = None) -> When | DateOnly | Invalid:
    """The start (and an end, from a range like 13:00-16:00) typed or picked; `day` is a date already given."""
    picked = ctx.params.get("datetime")
    text = _answer(ctx)
    if picked is not None:
        starts_at = from_picker_value(picked)
        if starts_at is None:
            return _invalid("event.when_unknown", text=_short(picked))
        ends_at = None
    else:
        parts = parse_when_parts(text, ctx.now) if text else None
        if parts is None:
            return _invalid("event.time_unknown" if day else "event.when_unknown", text=_short(text))
        if parts.time is None:
            return DateOnly(parts.date)
        if parts.date is None and day is not None:
            starts_at = datetime.combine(day, parts.time, TIMEZONE)
        else:
            starts_at = parse_when(text, ctx.now)
        ends_at = _range_end(text, starts_at)
        if isinstance(ends_at, Invalid):
            return ends_at
    if starts_at <= ctx.now:
        return _invalid("event.when_past", when=cards.when_range(ctx.lang, starts_at))
    if too_far_ahead(starts_at, ctx.now):
        return _invalid("event.when_too_far", when=cards.when_range(ctx.lang, starts_at))
    return When(starts_at, ends_at)


def _range_end(text: str, starts_at: datetime) -> datetime | Invalid | None:
    """The end of a typed range on the start's day; an end not after the start is refused, not dropped
    ("18:00-17:00" is a slip, and the default three hours would hide it)."""
    match = TIME_RANGE.search(unicodedata.normalize("NFC", text).translate(reg.THAI_DIGITS))
    if match is None:
        return None
    hour, minute = int(match[3]), int(match[4])
    if hour > 23 or minute > 59:
        return None
    ends_at = datetime.combine(starts_at.date(), time(hour, minute), TIMEZONE)
    if ends_at <= starts_at:
        return _invalid("event.end_before_start", end=f"{hour:02d}:{minute:02d}",
                        start=starts_at.astimezone(TIMEZONE).strftime("%H:%M"))
    return ends_at


def read_place(ctx: Context) -> dict[str, Any] | Invalid:
    """A typed place, a LINE location (title, address and coordinates), or skip (not known yet)."""
    message = ctx.message
    if isinstance(message, LocationMessageContent):
        text = ", ".join(p for p in (message.title, message.address) if p) or ctx.t("event.pinned_location")
        return {"place_text": _short(text, PLACE_LIMIT - 1), "place_lat": message.latitude,
                "place_lng": message.longitude}
    text = _answer(ctx)
    if message is not None or not any(ch.isalnum() for ch in text):  # a sticker, an emoji alone
        return _invalid("event.place_invalid")
    if strip_polite(text).casefold() in SKIP_WORDS:  # the place itself is kept as typed
        return {"place_text": None, "place_lat": None, "place_lng": None}
    if len(text) > PLACE_LIMIT:
        return _invalid("event.place_too_long", length=len(text))
    return {"place_text": text, "place_lat": None, "place_lng": None}


def read_count(text: str, invalid_key: str = "event.capacity_invalid") -> int | None | Invalid:
    """A positive number of people (Thai digits and `คน` allowed); None for skip / no limit."""
    cleaned = strip_polite(unicodedata.normalize("NFC", text).translate(reg.THAI_DIGITS)).casefold()
    if cleaned in SKIP_WORDS:
        return None
    match = COUNT.fullmatch(cleaned)
    if match is None or not 0 < int(match[1]) <= COUNT_LIMIT:
        return _invalid(invalid_key, text=_short(text), max=f"{COUNT_LIMIT:,}")
    return int(match[1])
