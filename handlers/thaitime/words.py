"""The words and tables Thai dates are read and written with: months, weekdays, numbers, relative days."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Bangkok")

BUDDHIST_ERA_OFFSET = 543

THAI_MONTHS = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)
THAI_MONTH_ABBREVIATIONS = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)
# What people say aloud and often type: the name without its -คม / -ยน / -พันธ์ ending.
THAI_MONTHS_SPOKEN = (
    "มกรา", "กุมภา", "มีนา", "เมษา", "พฤษภา", "มิถุนา",
    "กรกฎา", "สิงหา", "กันยา", "ตุลา", "พฤศจิกา", "ธันวา",
)
ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
THAI_WEEKDAYS = ("จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์")  # date.weekday() order
ENGLISH_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_THAI_WEEKDAY_WORDS = {name: i for i, name in enumerate(THAI_WEEKDAYS)} | {"พฤหัส": 3}
_ENGLISH_WEEKDAY_WORDS = (
    {name.lower(): i for i, name in enumerate(ENGLISH_WEEKDAYS)}
    | {name.lower()[:3]: i for i, name in enumerate(ENGLISH_WEEKDAYS)}
    | {"tues": 1, "thur": 3, "thurs": 3}
)
_WEEKDAY_WORDS = _THAI_WEEKDAY_WORDS | _ENGLISH_WEEKDAY_WORDS

_THAI_UNITS = {
    "หนึ่ง": 1, "นึง": 1, "สอง": 2, "สาม": 3, "สี่": 4,
    "ห้า": 5, "หก": 6, "เจ็ด": 7, "แปด": 8, "เก้า": 9,
}
_THAI_TENS = {"": 1, "ยี่": 2, "สาม": 3, "สี่": 4, "ห้า": 5}  # the word before สิบ; nothing means ten
_ENGLISH_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
# Before 04:00 people still count the day that has just ended as "today": พรุ่งนี้ / tomorrow (and มะรืน)
# then mean one day less than by the calendar. The caller shows the full date before anything is saved.
LATE_NIGHT_END = 4
_RELATIVE_DAYS = {
    "วันนี้": 0, "คืนนี้": 0, "today": 0, "tonight": 0,
    "พรุ่งนี้": 1, "tomorrow": 1, "tmrw": 1, "tmr": 1,
    "มะรืนนี้": 2, "มะรืน": 2, "day after tomorrow": 2,
    "เมื่อวานนี้": -1, "เมื่อวาน": -1, "yesterday": -1,
}
_DURATION_UNITS = {
    "วัน": "days", "day": "days", "days": "days",
    "สัปดาห์": "weeks", "อาทิตย์": "weeks", "week": "weeks", "weeks": "weeks", "wk": "weeks", "wks": "weeks",
    "เดือน": "months", "month": "months", "months": "months",
    "ปี": "years", "year": "years", "years": "years", "yr": "years", "yrs": "years",
    "ชั่วโมง": "hours", "ชม.": "hours", "ชม": "hours", "hour": "hours", "hours": "hours",
    "hr": "hours", "hrs": "hours",
    "นาที": "minutes", "minute": "minutes", "minutes": "minutes", "min": "minutes", "mins": "minutes",
}

_PICKER_FORMATS = {r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}": "%Y-%m-%dT%H:%M", r"\d{4}-\d{2}-\d{2}": "%Y-%m-%d"}

# Thai digits, and zero-width spaces that Thai keyboards and copy-paste leave between words.
_NORMALISE = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789", "\u200b\u200c\u200d\u2060\ufeff")

# How far ahead a date may be planned: activities and notices are months ahead, not decades. A typed
# "31/12/9999" or a hand-made picker value would otherwise reach datetime's limits in later arithmetic.
MAX_AHEAD = timedelta(days=2 * 366)
