"""Writing dates and times the Thai way (พ.ศ., full weekday and month names), and for LINE's date picker."""

from __future__ import annotations

from datetime import date, datetime

from handlers.thaitime.reading import _as_bangkok
from handlers.thaitime.words import BUDDHIST_ERA_OFFSET, ENGLISH_MONTHS, ENGLISH_WEEKDAYS, THAI_MONTHS, THAI_WEEKDAYS

def format_date(d: date) -> str:
    """Thai long date, e.g. วันอาทิตย์ที่ 20 ธันวาคม 2569 (a datetime is first moved to Bangkok)."""
    if isinstance(d, datetime):
        d = _as_bangkok(d).date()
    weekday, month = THAI_WEEKDAYS[d.weekday()], THAI_MONTHS[d.month - 1]
    return f"วัน{weekday}ที่ {d.day} {month} {d.year + BUDDHIST_ERA_OFFSET}"


def format_when(dt: datetime) -> str:
    """Thai long date and time, e.g. วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00 น."""
    dt = _as_bangkok(dt)
    return f"{format_date(dt.date())} เวลา {dt:%H:%M} น."


def format_when_en(dt: datetime) -> str:
    """English date and time, e.g. Sunday 20 December 2026, 14:00."""
    dt = _as_bangkok(dt)
    return f"{ENGLISH_WEEKDAYS[dt.weekday()]} {dt.day} {ENGLISH_MONTHS[dt.month - 1]} {dt.year}, {dt:%H:%M}"


def format_when_in(lang: str, dt: datetime) -> str:
    """Date and time the reader's way: Thai (พ.ศ.) for "th", English otherwise."""
    return format_when(dt) if lang == "th" else format_when_en(dt)


def to_picker_value(dt: datetime) -> str:
    """The LINE datetime-picker form of dt in Bangkok time, e.g. 2026-12-20T14:00."""
    return f"{_as_bangkok(dt):%Y-%m-%dT%H:%M}"
