"""Reading dates and times as Thais type them (the rules are in the package's docstring)."""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import cast

from handlers.thaitime.words import (
    _DURATION_UNITS,
    _ENGLISH_NUMBERS,
    _ENGLISH_WEEKDAY_WORDS,
    _NORMALISE,
    _PICKER_FORMATS,
    _RELATIVE_DAYS,
    _THAI_TENS,
    _THAI_UNITS,
    _THAI_WEEKDAY_WORDS,
    _WEEKDAY_WORDS,
    BUDDHIST_ERA_OFFSET,
    ENGLISH_MONTHS,
    LATE_NIGHT_END,
    MAX_AHEAD,
    THAI_MONTH_ABBREVIATIONS,
    THAI_MONTHS,
    THAI_MONTHS_SPOKEN,
    TZ,
)

@dataclass(frozen=True)
class WhenParts:
    """What the text said: a date and/or a time, None for the part it left out."""

    date: date | None
    time: time | None


class _Impossible(ValueError):
    """A date or time that was recognised but cannot exist (31 April, 25:00)."""


@dataclass(frozen=True)
class _Context:
    now: datetime

    @property
    def today(self) -> date:
        return self.now.date()


@dataclass(frozen=True)
class _Rule:
    kind: str  # "date", "relative", "duration", "time" or "weekday"
    pattern: re.Pattern[str]
    read: Callable[[re.Match[str], _Context], object]


# ---------------------------------------------------------------- small helpers


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of literal words, longest first so that a prefix never wins."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _in_range(n: int, low: int, high: int) -> int:
    if not low <= n <= high:
        raise _Impossible(n)
    return n


def _number(word: str) -> int:
    """Digits or a Thai number word up to 59 (สิบเอ็ด, ยี่สิบห้า) as an int."""
    if word.isdigit():
        return int(word)
    if word in _ENGLISH_NUMBERS:
        return _ENGLISH_NUMBERS[word]
    if "สิบ" in word:
        tens, _, ones = word.partition("สิบ")
        return _THAI_TENS[tens] * 10 + (1 if ones == "เอ็ด" else _THAI_UNITS.get(ones, 0))
    return _THAI_UNITS[word]


def _make_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _Impossible(f"{year}-{month}-{day}") from None


def _make_time(hour: int, minute: int) -> time:
    try:
        return time(hour, minute)
    except ValueError:
        raise _Impossible(f"{hour}:{minute}") from None


def _christian_year(digits: str, era: str | None) -> int:
    year = int(digits)
    era = re.sub(r"[.\s]", "", era or "")
    if len(digits) == 2:
        return 2000 + year if era == "คศ" else 2500 + year - BUDDHIST_ERA_OFFSET
    if era == "พศ" or (era != "คศ" and year >= 2400):
        return year - BUDDHIST_ERA_OFFSET
    return year


def _next_date(month: int, day: int, today: date) -> date:
    """The first day/month on or after today; looks far enough ahead for 29 February."""
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise _Impossible(f"{month}-{day}")


def _resolve_date(day: str, month: int, year: str | None, era: str | None, ctx: _Context) -> date:
    if year is None:
        return _next_date(month, int(day), ctx.today)
    return _make_date(_christian_year(year, era), month, int(day))


def _add_months(d: date, months: int) -> date:
    years, month0 = divmod(d.month - 1 + months, 12)
    year, month = d.year + years, month0 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _as_bangkok(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt!r}: give a timezone-aware one")
    return dt.astimezone(TZ)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_NORMALISE)
    # นิคหิต + สระอา looks exactly like สระอำ and is often typed instead of it.
    return text.replace("\u0e4d\u0e32", "\u0e33").lower()


# ---------------------------------------------------------------- pattern pieces

_NUM_WORD = (
    rf"(?:(?:{_alternation(w for w in _THAI_TENS if w)})?สิบ(?:เอ็ด|{_alternation(_THAI_UNITS)})?"
    rf"|{_alternation(_THAI_UNITS)})"
)
_NUM = rf"(?:(?<!\d)\d{{1,2}}(?!\d)|{_NUM_WORD})"  # an hour or a minute count, digits or words

# "ครึ่ง" (half past) or "N นาที" after a clock word.
_MINUTES = rf"(?:\s*(?P<half>ครึ่ง)|\s*(?P<min>{_NUM})\s*นาที)?"
_AMPM = r"(?P<ampm>[ap])\.?m\.?(?![a-z])"

# A 2-digit number right after a month is a year unless a time unit follows it (20 ธ.ค. 10 โมง).
_NOT_AN_HOUR_NEXT = r"(?!\s*(?:[:.]\d|นาฬิกา|โมง|ทุ่ม|นาที|ชั่วโมง|ชม|น\.|[ap]\.?m(?![a-z])))"
_YEAR = (
    r"(?:\s*,?\s*(?:ปี\s*)?(?:(?P<era>พ\.?\s*ศ\.?|ค\.?\s*ศ\.?)\s*)?"
    rf"(?<!\d)(?P<year>\d{{4}}|\d{{2}})(?!\d){_NOT_AN_HOUR_NEXT})?"
)


def _abbreviation_pattern(abbreviation: str) -> str:
    """ม.ค. also as ม.ค, มค and ม. ค."""
    return r"(?:\.\s*)?".join(re.escape(p) for p in abbreviation.strip(".").split(".")) + r"\.?"


def _month_tables() -> tuple[dict[str, int], str]:
    """Month number by every name with dots and spaces removed, and the regex that finds them."""
    numbers: dict[str, int] = {"sept": 9}
    patterns: dict[str, str] = {"sept": "sept"}  # lookup key -> the pattern that matches it
    names = zip(THAI_MONTHS, THAI_MONTHS_SPOKEN, ENGLISH_MONTHS, THAI_MONTH_ABBREVIATIONS, strict=True)
    for month, (full, spoken, english, abbreviation) in enumerate(names, 1):
        for word in (full, spoken, english.lower(), english.lower()[:3]):
            numbers[word], patterns[word] = month, re.escape(word)
        key = abbreviation.replace(".", "")
        numbers[key], patterns[key] = month, _abbreviation_pattern(abbreviation)
    longest_first = sorted(patterns, key=len, reverse=True)
    return numbers, "(?P<month>" + "|".join(patterns[k] for k in longest_first) + ")(?![a-z])"


_MONTH_WORDS, _MONTH = _month_tables()
# Only English puts the month first (Dec 20); in Thai "ต.ค. 10 โมง" the 10 is an hour.
_ENGLISH_MONTH = f"(?P<month>{_alternation(w for w in _MONTH_WORDS if w.isascii())})(?![a-z])"


def _month_number(text: str) -> int:
    return _MONTH_WORDS[re.sub(r"[.\s]", "", text)]


# ---------------------------------------------------------------- readers, one per rule


def _read_iso_date(m: re.Match[str], ctx: _Context) -> date:
    return _make_date(_christian_year(m["year"], None), int(m["month"]), int(m["day"]))


def _read_numeric_date(m: re.Match[str], ctx: _Context) -> date:
    return _resolve_date(m["day"], int(m["month"]), m.groupdict().get("year"), None, ctx)


def _read_month_date(m: re.Match[str], ctx: _Context) -> date:
    return _resolve_date(m["day"], _month_number(m["month"]), m["year"], m.groupdict().get("era"), ctx)


def _read_relative_day(m: re.Match[str], ctx: _Context) -> date:
    words = re.sub(r"\s+", " ", m[0]).removeprefix("the ")
    days = _RELATIVE_DAYS[words]
    if days > 0 and ctx.now.hour < LATE_NIGHT_END:
        days -= 1  # at 00:44, "พรุ่งนี้ 9 โมงเช้า" is the morning after one's sleep: today's date
    return ctx.today + timedelta(days=days)


def _read_duration(m: re.Match[str], ctx: _Context) -> date | datetime:
    n, unit = _number(m["n"]), _DURATION_UNITS[m["unit"]]
    if unit in ("days", "weeks"):
        return ctx.today + timedelta(**{unit: n})
    if unit in ("months", "years"):
        return _add_months(ctx.today, n * (12 if unit == "years" else 1))
    return (ctx.now + timedelta(**{unit: n})).replace(second=0, microsecond=0)


def _minutes(m: re.Match[str]) -> int:
    """The ครึ่ง / N นาที after a clock word (0 when absent or when the rule has no such part)."""
    groups = m.groupdict()
    if groups.get("half"):
        return 30
    return _number(groups["min"]) if groups.get("min") else 0


def _read_clock_digits(m: re.Match[str], ctx: _Context) -> time:
    hour = int(m["h"])
    if m["ampm"]:
        hour = _twelve_hour(hour, m["ampm"])
    elif m["part"] in ("บ่าย", "เย็น", "ค่ำ") and 1 <= hour <= 11:
        hour += 12  # บ่าย 2.30 is 14:30
    return _make_time(hour, int(m["m"]))


def _twelve_hour(hour: int, ampm: str) -> int:
    return _in_range(hour, 1, 12) % 12 + (12 if ampm == "p" else 0)


def _read_hour_ampm(m: re.Match[str], ctx: _Context) -> time:
    return _make_time(_twelve_hour(int(m["h"]), m["ampm"]), 0)


def _read_bare_hour(m: re.Match[str], ctx: _Context) -> time:
    return _make_time(_number(m["h"]), _minutes(m))


def _mong_hour(n: int, part: str | None) -> int:
    """N โมง: morning as written, 1-5 alone mean the afternoon, โมงเช้า/โมงเย็น pick the half."""
    if part == "เช้า":
        # The old count started at 7 (โมงเช้า), so สองโมงเช้า is 8; 6-11 are said as the clock reads.
        return n + 6 if 1 <= n <= 5 else _in_range(n, 6, 11)
    if part == "เย็น":
        return _in_range(n, 1, 11) + 12
    return n + 12 if 1 <= n <= 5 else _in_range(n, 6, 23)


def _clock(hour_of: Callable[[re.Match[str]], int]) -> Callable[[re.Match[str], _Context], time]:
    """A reader for a Thai clock word, adding its ครึ่ง / N นาที."""
    return lambda m, ctx: _make_time(hour_of(m), _minutes(m))


def _read_weekday(m: re.Match[str], ctx: _Context) -> tuple[int, bool]:
    """(weekday, whether it is the following week's: หน้า / next)."""
    return _WEEKDAY_WORDS[m["name"]], "หน้า" in m[0] or "next" in m[0]


# ---------------------------------------------------------------- the rules, in the order they run

_RELATIVE_DAY_WORDS = _alternation(_RELATIVE_DAYS).replace(re.escape(" "), r"\s+")

# Each rule blanks out what it matched, so later (looser) rules never see the same characters:
# dates first (so 20.12.2569 is not read as a time), then times, then weekdays (so the อาทิตย์
# in "อีก 2 อาทิตย์" is already gone).
_DAY = r"(?<![\d/.\-])(?P<day>\d{1,2})"
_RULES: tuple[_Rule, ...] = (
    _Rule("date", re.compile(
        r"(?<!\d)(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})(?!\d)"),
        _read_iso_date),
    _Rule("date", re.compile(
        rf"{_DAY}(?P<sep>[/.\-])(?P<month>\d{{1,2}})(?P=sep)(?P<year>\d{{4}}|\d{{2}})(?!\d)"),
        _read_numeric_date),
    _Rule("date", re.compile(rf"{_DAY}(?:st|nd|rd|th)?\s*(?:of\s+|เดือน\s*)?{_MONTH}{_YEAR}"),
          _read_month_date),
    _Rule("date", re.compile(
        rf"(?<![a-z]){_ENGLISH_MONTH}\s*(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:.])"
        r"(?:\s*,?\s*(?P<year>\d{4})(?!\d))?"),
        _read_month_date),
    _Rule("date", re.compile(rf"{_DAY}/(?P<month>\d{{1,2}})(?![\d/])"), _read_numeric_date),
    _Rule("duration", re.compile(
        rf"(?:อีก|(?<![a-z])in)\s*"
        rf"(?P<n>\d{{1,3}}(?!\d)|{_NUM_WORD}|(?:{_alternation(_ENGLISH_NUMBERS)})(?![a-z]))"
        rf"\s*(?P<unit>{_alternation(_DURATION_UNITS)})(?![a-z])"),
        _read_duration),
    _Rule("relative", re.compile(
        rf"(?<![a-z])(?:the\s+)?(?:{_RELATIVE_DAY_WORDS})(?![a-z])"),
        _read_relative_day),
    _Rule("time", re.compile(
        rf"(?:(?P<part>บ่าย|เย็น|ค่ำ|เช้า)\s*)?"
        rf"(?<![\d:])(?P<h>\d{{1,2}})[:.](?P<m>\d{{2}})(?!\d)(?:\s*{_AMPM})?"),
        _read_clock_digits),
    _Rule("time", re.compile(rf"(?<![\d:.])(?P<h>\d{{1,2}})\s*{_AMPM}"), _read_hour_ampm),
    _Rule("time", re.compile(rf"(?P<h>{_NUM})\s*นาฬิกา{_MINUTES}"), _read_bare_hour),
    _Rule("time", re.compile(rf"เที่ยงคืน{_MINUTES}"), _clock(lambda m: 0)),
    _Rule("time", re.compile(rf"เที่ยง(?:วัน|ตรง)?(?!ธรรม){_MINUTES}"), _clock(lambda m: 12)),
    _Rule("time", re.compile(rf"ตี\s*(?P<n>{_NUM}){_MINUTES}"),
          _clock(lambda m: _in_range(_number(m["n"]), 1, 5))),
    _Rule("time", re.compile(rf"บ่าย\s*(?:(?P<n>{_NUM})\s*(?:โมง)?|โมง){_MINUTES}"),
          _clock(lambda m: 12 + _in_range(_number(m["n"]) if m["n"] else 1, 1, 6))),
    _Rule("time", re.compile(rf"(?P<n>{_NUM})\s*ทุ่ม{_MINUTES}"),
          _clock(lambda m: 18 + _in_range(_number(m["n"]), 1, 5))),
    _Rule("time", re.compile(rf"ทุ่ม\s*(?:หนึ่ง|นึง|1(?!\d)){_MINUTES}"), _clock(lambda m: 19)),
    _Rule("time", re.compile(rf"(?P<n>{_NUM})\s*โมง\s*(?P<part>เช้า|เย็น)?{_MINUTES}"),
          _clock(lambda m: _mong_hour(_number(m["n"]), m["part"]))),
    _Rule("time", re.compile(rf"(?<!ชั่ว)โมงเช้า{_MINUTES}"), _clock(lambda m: 7)),
    _Rule("time", re.compile(r"(?<![\d:.])(?P<h>\d{1,2})\s*น\."), _read_bare_hour),
    _Rule("time", re.compile(
        r"(?:(?<![a-z])at|เวลา)\s*(?P<h>\d{1,2})(?![\d:./\-])"
        r"(?!\s*(?:นาที|ชั่วโมง|ชม|วัน|สัปดาห์|เดือน|ปี|min|hour|hr|day|week|month|year))"),
        _read_bare_hour),
    _Rule("weekday", re.compile(
        rf"(?:วัน\s*)?(?<!พระ)(?<!ดวง)(?<!ดาว)(?P<name>{_alternation(_THAI_WEEKDAY_WORDS)})"
        r"(?:\s*(?P<which>นี้|หน้า|(?:สัปดาห์|อาทิตย์)\s*(?:หน้า|นี้)|ที่จะถึง(?:นี้)?))?"),
        _read_weekday),
    _Rule("weekday", re.compile(
        r"(?<![a-z])(?:(?P<which>this\s+coming|this|coming|next)\s+)?"
        rf"(?P<name>{_alternation(_ENGLISH_WEEKDAY_WORDS)})(?![a-z])(?:\s+(?:this|next)\s+week)?"),
        _read_weekday),
)


def _scan(text: str, ctx: _Context) -> dict[str, object]:
    """Run every rule; for each kind keep what was written first. Raises _Impossible."""
    found: dict[str, tuple[int, object]] = {}
    work = _normalise(text)
    for rule in _RULES:
        def record(m: re.Match[str], rule: _Rule = rule) -> str:
            value = rule.read(m, ctx)
            if rule.kind not in found or m.start() < found[rule.kind][0]:
                found[rule.kind] = (m.start(), value)
            return " " * len(m[0])  # keep positions so "first written" stays comparable

        work = rule.pattern.sub(record, work)
    return {kind: value for kind, (_, value) in found.items()}


def _weekday_date(weekday: int, following: bool, now: datetime, at: time | None) -> date:
    """The rule in the module docstring: this X (0–7 days ahead, by the time on X itself) or next X (7–13)."""
    today = now.date()
    ahead = (weekday - today.weekday()) % 7
    if following:
        return today + timedelta(days=ahead + 7)  # the time does not move it: เสาร์หน้า on a Saturday is +7
    if ahead == 0 and at is not None and datetime.combine(today, at, TZ) <= now:
        ahead = 7
    return today + timedelta(days=ahead)


# ---------------------------------------------------------------- public API


def parse_when_parts(text: str, now: datetime) -> WhenParts | None:
    """The date and time the text names (None for a part left out), or None if it names neither."""
    now = _as_bangkok(now)
    try:
        found = _scan(text, _Context(now))
    except _Impossible:
        return None
    if not found:
        return None
    duration = found.get("duration")
    if isinstance(duration, datetime):  # อีก 2 ชั่วโมง is complete on its own
        return WhenParts(duration.date(), duration.time()) if len(found) == 1 else None
    at = cast("time | None", found.get("time"))
    dates = {cast(date, found[kind]) for kind in ("date", "relative", "duration") if kind in found}
    if len(dates) > 1:  # พรุ่งนี้ 20 ธ.ค. said two different days
        return None
    day = dates.pop() if dates else None
    if "weekday" in found:
        weekday, following = cast("tuple[int, bool]", found["weekday"])
        if day is None:
            day = _weekday_date(weekday, following, now, at)
        elif day.weekday() != weekday:
            return None
    return WhenParts(day, at)


def parse_when(text: str, now: datetime) -> datetime | None:
    """The Asia/Bangkok datetime the text names (midnight for a date alone), or None."""
    parts = parse_when_parts(text, now)
    if parts is None:
        return None
    now = _as_bangkok(now)
    if parts.date is None:
        assert parts.time is not None
        today = datetime.combine(now.date(), parts.time, TZ)
        return today if today > now else datetime.combine(now.date() + timedelta(days=1), parts.time, TZ)
    return datetime.combine(parts.date, parts.time or time(0), TZ)


def too_far_ahead(moment: datetime, now: datetime) -> bool:
    """Whether a planned moment lies beyond MAX_AHEAD from now."""
    return moment - now > MAX_AHEAD


def from_picker_value(value: str) -> datetime | None:
    """A LINE picker value ("2017-12-25T01:00", date mode "2017-12-25") as Bangkok time, else None."""
    value = value.strip() if isinstance(value, str) else ""
    # Time-mode values ("01:00") carry no date, so they cannot become a datetime on their own.
    for shape, fmt in _PICKER_FORMATS.items():
        if re.fullmatch(shape, value):
            try:
                return datetime.strptime(value, fmt).replace(tzinfo=TZ)
            except ValueError:  # right shape, impossible date such as 2017-02-30
                return None
    return None
