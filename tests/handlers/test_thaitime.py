"""handlers.thaitime: reading Thai and English dates and times, and writing them back."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from handlers.thaitime import (
    TZ,
    WhenParts,
    format_date,
    format_when,
    format_when_en,
    from_picker_value,
    parse_when,
    parse_when_parts,
    to_picker_value,
)

# Saturday 21 November 2569 (2026), 10:00 in Bangkok. Next days: Sun 22, Mon 23, ... Fri 27, Sat 28.
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=TZ)


def bkk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def test_now_is_a_saturday() -> None:
    assert NOW.strftime("%A") == "Saturday"


DATES = [
    # numeric, day first, both eras
    ("20/12/2569", bkk(2026, 12, 20)),
    ("20-12-69", bkk(2026, 12, 20)),
    ("20.12.2569", bkk(2026, 12, 20)),
    ("20/12/2026", bkk(2026, 12, 20)),
    ("5/3/2027", bkk(2027, 3, 5)),
    ("1/1/70", bkk(2027, 1, 1)),
    ("29/2/2571", bkk(2028, 2, 29)),
    ("20/12", bkk(2026, 12, 20)),
    ("1/1", bkk(2027, 1, 1)),
    ("20/11", bkk(2027, 11, 20)),  # yesterday's date with no year: next year
    ("21/11", bkk(2026, 11, 21)),  # today's date with no year: today
    ("21/11 09:00", bkk(2026, 11, 21, 9, 0)),  # today, time passed: still today, the caller refuses it
    ("29/2", bkk(2028, 2, 29)),  # no year: the next 29 February
    # ISO and the picker's shape
    ("2026-12-20", bkk(2026, 12, 20)),
    ("2026-12-20T14:00", bkk(2026, 12, 20, 14, 0)),
    ("2569-12-20", bkk(2026, 12, 20)),
    # era markers and the word ปี
    ("20 ธันวาคม 2569", bkk(2026, 12, 20)),
    ("20 ธันวาคม 2026", bkk(2026, 12, 20)),
    ("20 ธันวาคม พ.ศ. 2569", bkk(2026, 12, 20)),
    ("20 ธ.ค. พ.ศ 2569", bkk(2026, 12, 20)),
    ("20 ธันวาคม ค.ศ. 2026", bkk(2026, 12, 20)),
    ("20 ธ.ค. ค.ศ. 26", bkk(2026, 12, 20)),
    ("20 ธ.ค. 69", bkk(2026, 12, 20)),
    ("20 ธค 69", bkk(2026, 12, 20)),
    ("20ธ.ค.69", bkk(2026, 12, 20)),
    ("1 ม.ค. 70", bkk(2027, 1, 1)),
    ("วันที่ 20 เดือนธันวาคม ปี พ.ศ. 2569", bkk(2026, 12, 20)),
    ("20 ธ.ค. 10 โมง", bkk(2026, 12, 20, 10, 0)),  # 10 before โมง is an hour, not the year 2510
    ("20 ธ.ค. 14:00", bkk(2026, 12, 20, 14, 0)),
    # every full Thai month name, with a year
    ("15 มกราคม 2570", bkk(2027, 1, 15)),
    ("15 กุมภาพันธ์ 2570", bkk(2027, 2, 15)),
    ("15 มีนาคม 2570", bkk(2027, 3, 15)),
    ("15 เมษายน 2570", bkk(2027, 4, 15)),
    ("15 พฤษภาคม 2570", bkk(2027, 5, 15)),
    ("15 มิถุนายน 2570", bkk(2027, 6, 15)),
    ("15 กรกฎาคม 2570", bkk(2027, 7, 15)),
    ("15 สิงหาคม 2570", bkk(2027, 8, 15)),
    ("15 กันยายน 2570", bkk(2027, 9, 15)),
    ("15 ตุลาคม 2570", bkk(2027, 10, 15)),
    ("15 พฤศจิกายน 2570", bkk(2027, 11, 15)),
    ("15 ธันวาคม 2570", bkk(2027, 12, 15)),
    # every dotted abbreviation, without a year (before 21 Nov means next year)
    ("15 ม.ค.", bkk(2027, 1, 15)),
    ("15 ก.พ.", bkk(2027, 2, 15)),
    ("15 มี.ค.", bkk(2027, 3, 15)),
    ("15 เม.ย.", bkk(2027, 4, 15)),
    ("15 พ.ค.", bkk(2027, 5, 15)),
    ("15 มิ.ย.", bkk(2027, 6, 15)),
    ("15 ก.ค.", bkk(2027, 7, 15)),
    ("15 ส.ค.", bkk(2027, 8, 15)),
    ("15 ก.ย.", bkk(2027, 9, 15)),
    ("15 ต.ค.", bkk(2027, 10, 15)),
    ("15 พ.ย.", bkk(2027, 11, 15)),
    ("25 พ.ย.", bkk(2026, 11, 25)),
    ("15 ธ.ค.", bkk(2026, 12, 15)),
    # every abbreviation without dots, with a 2-digit year
    ("3 มค 70", bkk(2027, 1, 3)),
    ("3 กพ 70", bkk(2027, 2, 3)),
    ("3 มีค 70", bkk(2027, 3, 3)),
    ("3 เมย 70", bkk(2027, 4, 3)),
    ("3 พค 70", bkk(2027, 5, 3)),
    ("3 มิย 70", bkk(2027, 6, 3)),
    ("3 กค 70", bkk(2027, 7, 3)),
    ("3 สค 70", bkk(2027, 8, 3)),
    ("3 กย 70", bkk(2027, 9, 3)),
    ("3 ตค 70", bkk(2027, 10, 3)),
    ("3 พย 70", bkk(2027, 11, 3)),
    ("3 ธค 70", bkk(2027, 12, 3)),
    ("3 ม.ค 70", bkk(2027, 1, 3)),  # last dot forgotten
    ("3 กุมภา 70", bkk(2027, 2, 3)),  # the spoken short name
    # English month names and 3-letter abbreviations, case-insensitive
    ("15 January 2027", bkk(2027, 1, 15)),
    ("15 February 2027", bkk(2027, 2, 15)),
    ("15 March 2027", bkk(2027, 3, 15)),
    ("15 April 2027", bkk(2027, 4, 15)),
    ("15 May 2027", bkk(2027, 5, 15)),
    ("15 June 2027", bkk(2027, 6, 15)),
    ("15 July 2027", bkk(2027, 7, 15)),
    ("15 August 2027", bkk(2027, 8, 15)),
    ("15 September 2027", bkk(2027, 9, 15)),
    ("15 October 2027", bkk(2027, 10, 15)),
    ("15 November 2027", bkk(2027, 11, 15)),
    ("15 December 2027", bkk(2027, 12, 15)),
    ("Jan 15", bkk(2027, 1, 15)),
    ("feb 15", bkk(2027, 2, 15)),
    ("MAR 15", bkk(2027, 3, 15)),
    ("Apr 15", bkk(2027, 4, 15)),
    ("may 15", bkk(2027, 5, 15)),
    ("Jun 15", bkk(2027, 6, 15)),
    ("Jul 15", bkk(2027, 7, 15)),
    ("Aug 15", bkk(2027, 8, 15)),
    ("Sep 15", bkk(2027, 9, 15)),
    ("Oct 15", bkk(2027, 10, 15)),
    ("Nov 15", bkk(2027, 11, 15)),
    ("Dec 15", bkk(2026, 12, 15)),
    ("Dec 20", bkk(2026, 12, 20)),
    ("DEC 20", bkk(2026, 12, 20)),
    ("december 20, 2026 at 9:30", bkk(2026, 12, 20, 9, 30)),
    ("20th of December 2026 2pm", bkk(2026, 12, 20, 14, 0)),
    ("20 December 2026 2pm", bkk(2026, 12, 20, 14, 0)),
    # Thai digits
    ("๒๐ ธ.ค. ๒๕๖๙ ๑๔.๐๐ น.", bkk(2026, 12, 20, 14, 0)),
    ("๒๐/๑๒/๖๙", bkk(2026, 12, 20)),
    ("๑๔:๓๐", bkk(2026, 11, 21, 14, 30)),
    ("ตี ๕", bkk(2026, 11, 22, 5, 0)),
]

TIMES = [
    # digits: still ahead today, otherwise tomorrow
    ("14:00", bkk(2026, 11, 21, 14, 0)),
    ("14.00", bkk(2026, 11, 21, 14, 0)),
    ("14.00 น.", bkk(2026, 11, 21, 14, 0)),
    ("14:30น", bkk(2026, 11, 21, 14, 30)),
    ("14 นาฬิกา", bkk(2026, 11, 21, 14, 0)),
    ("14 นาฬิกา 30 นาที", bkk(2026, 11, 21, 14, 30)),
    ("10:01", bkk(2026, 11, 21, 10, 1)),
    ("09:59", bkk(2026, 11, 22, 9, 59)),
    ("at 10:00", bkk(2026, 11, 22, 10, 0)),  # exactly now is not ahead
    ("9am", bkk(2026, 11, 22, 9, 0)),
    ("9 am", bkk(2026, 11, 22, 9, 0)),
    ("1:30pm", bkk(2026, 11, 21, 13, 30)),
    ("11 p.m.", bkk(2026, 11, 21, 23, 0)),
    ("12pm", bkk(2026, 11, 21, 12, 0)),
    ("12am", bkk(2026, 11, 22, 0, 0)),
    ("10 น.", bkk(2026, 11, 22, 10, 0)),
    ("เวลา 15", bkk(2026, 11, 21, 15, 0)),
    ("บ่าย 2.30", bkk(2026, 11, 21, 14, 30)),
    # ตี N: 01-05
    ("ตีหนึ่ง", bkk(2026, 11, 22, 1, 0)),
    ("ตีสอง", bkk(2026, 11, 22, 2, 0)),
    ("ตีสาม", bkk(2026, 11, 22, 3, 0)),
    ("ตีสี่", bkk(2026, 11, 22, 4, 0)),
    ("ตีห้า", bkk(2026, 11, 22, 5, 0)),
    ("ตี 3", bkk(2026, 11, 22, 3, 0)),
    ("ตีสามครึ่ง", bkk(2026, 11, 22, 3, 30)),
    # morning โมง
    ("หกโมงเช้า", bkk(2026, 11, 22, 6, 0)),
    ("7 โมงเช้า", bkk(2026, 11, 22, 7, 0)),
    ("เจ็ดโมงเช้า", bkk(2026, 11, 22, 7, 0)),
    ("แปดโมงเช้า", bkk(2026, 11, 22, 8, 0)),
    ("9 โมงเช้า", bkk(2026, 11, 22, 9, 0)),
    ("เก้าโมง", bkk(2026, 11, 22, 9, 0)),
    ("โมงเช้า", bkk(2026, 11, 22, 7, 0)),  # the old count: โมงเช้า is 7
    ("สองโมงเช้า", bkk(2026, 11, 22, 8, 0)),
    ("สิบโมง", bkk(2026, 11, 22, 10, 0)),
    ("สิบโมงครึ่ง", bkk(2026, 11, 21, 10, 30)),
    ("สิบเอ็ดโมง", bkk(2026, 11, 21, 11, 0)),
    ("11 โมง", bkk(2026, 11, 21, 11, 0)),
    ("หกโมง", bkk(2026, 11, 22, 6, 0)),
    # noon and afternoon
    ("เที่ยง", bkk(2026, 11, 21, 12, 0)),
    ("เที่ยงวัน", bkk(2026, 11, 21, 12, 0)),
    ("เที่ยงครึ่ง", bkk(2026, 11, 21, 12, 30)),
    ("บ่ายโมง", bkk(2026, 11, 21, 13, 0)),
    ("บ่ายสองโมง", bkk(2026, 11, 21, 14, 0)),
    ("บ่าย 3 โมง", bkk(2026, 11, 21, 15, 0)),
    ("บ่ายสาม", bkk(2026, 11, 21, 15, 0)),
    ("บ่ายสี่โมง", bkk(2026, 11, 21, 16, 0)),
    ("บ่ายสองโมงครึ่ง", bkk(2026, 11, 21, 14, 30)),
    ("บ่ายโมง 15 นาที", bkk(2026, 11, 21, 13, 15)),
    ("สี่โมง", bkk(2026, 11, 21, 16, 0)),  # 1-5 โมง alone is the afternoon
    # evening
    ("สี่โมงเย็น", bkk(2026, 11, 21, 16, 0)),
    ("ห้าโมงเย็น", bkk(2026, 11, 21, 17, 0)),
    ("หกโมงเย็น", bkk(2026, 11, 21, 18, 0)),
    ("5 โมงเย็น", bkk(2026, 11, 21, 17, 0)),
    ("หกโมงเย็นครึ่ง", bkk(2026, 11, 21, 18, 30)),
    # ทุ่ม
    ("หนึ่งทุ่ม", bkk(2026, 11, 21, 19, 0)),
    ("ทุ่มหนึ่ง", bkk(2026, 11, 21, 19, 0)),
    ("ทุ่มนึง", bkk(2026, 11, 21, 19, 0)),
    ("สองทุ่ม", bkk(2026, 11, 21, 20, 0)),
    ("2 ทุ่ม", bkk(2026, 11, 21, 20, 0)),
    ("สามทุ่ม", bkk(2026, 11, 21, 21, 0)),
    ("สี่ทุ่ม", bkk(2026, 11, 21, 22, 0)),
    ("ห้าทุ่ม", bkk(2026, 11, 21, 23, 0)),
    ("สามทุ่มครึ่ง", bkk(2026, 11, 21, 21, 30)),
    ("สองทุ่มสิบห้านาที", bkk(2026, 11, 21, 20, 15)),
    ("เที่ยงคืน", bkk(2026, 11, 22, 0, 0)),
]

RELATIVE = [
    ("วันนี้", bkk(2026, 11, 21)),
    ("วันนี้ 15:00", bkk(2026, 11, 21, 15, 0)),
    ("วันนี้ 9:00", bkk(2026, 11, 21, 9, 0)),  # passed, but the text said today
    ("พรุ่งนี้", bkk(2026, 11, 22)),
    ("พรุ่งนี้ 9 โมงเช้า", bkk(2026, 11, 22, 9, 0)),
    ("มะรืนนี้", bkk(2026, 11, 23)),
    ("มะรืน บ่ายโมง", bkk(2026, 11, 23, 13, 0)),
    ("เมื่อวาน", bkk(2026, 11, 20)),
    ("อีก 3 วัน", bkk(2026, 11, 24)),
    ("อีกสามวัน", bkk(2026, 11, 24)),
    ("อีก 3 วัน 10 โมง", bkk(2026, 11, 24, 10, 0)),
    ("อีก 2 สัปดาห์", bkk(2026, 12, 5)),
    ("อีก 2 อาทิตย์", bkk(2026, 12, 5)),
    ("อีก 1 เดือน", bkk(2026, 12, 21)),
    ("อีก 2 ชั่วโมง", bkk(2026, 11, 21, 12, 0)),
    ("อีก 30 นาที", bkk(2026, 11, 21, 10, 30)),
    ("today", bkk(2026, 11, 21)),
    ("tomorrow", bkk(2026, 11, 22)),
    ("tomorrow 9am", bkk(2026, 11, 22, 9, 0)),
    ("Tomorrow 8PM", bkk(2026, 11, 22, 20, 0)),
    ("the day after tomorrow", bkk(2026, 11, 23)),
    ("in 3 days", bkk(2026, 11, 24)),
    ("in 2 weeks", bkk(2026, 12, 5)),
    ("in a week", bkk(2026, 11, 28)),
    ("in 1 month", bkk(2026, 12, 21)),
    ("in 3 days at 10:00", bkk(2026, 11, 24, 10, 0)),
    ("in 45 minutes", bkk(2026, 11, 21, 10, 45)),
]

WEEKDAYS = [
    ("วันจันทร์", bkk(2026, 11, 23)),
    ("จันทร์", bkk(2026, 11, 23)),
    ("วันอังคาร", bkk(2026, 11, 24)),
    ("พุธ", bkk(2026, 11, 25)),
    ("พฤหัส", bkk(2026, 11, 26)),
    ("วันพฤหัสบดี", bkk(2026, 11, 26)),
    ("ศุกร์นี้", bkk(2026, 11, 27)),
    ("วันศุกร์นี้ 14:00", bkk(2026, 11, 27, 14, 0)),
    ("เสาร์นี้", bkk(2026, 11, 21)),  # today is Saturday and no time was given
    ("เสาร์นี้ 15:00", bkk(2026, 11, 21, 15, 0)),  # still ahead today
    ("เสาร์นี้ 9:00", bkk(2026, 11, 28, 9, 0)),  # passed today: the coming one
    ("เสาร์หน้า", bkk(2026, 11, 28)),
    ("เสาร์หน้า 15:00", bkk(2026, 11, 28, 15, 0)),
    ("เสาร์หน้า 9:00", bkk(2026, 11, 28, 9, 0)),  # 7 days later, though 9:00 has passed today
    ("อาทิตย์นี้", bkk(2026, 11, 22)),
    ("วันอาทิตย์", bkk(2026, 11, 22)),
    ("อาทิตย์หน้า", bkk(2026, 11, 29)),
    ("จันทร์หน้า", bkk(2026, 11, 30)),
    ("วันจันทร์หน้า 9:00", bkk(2026, 11, 30, 9, 0)),
    ("จันทร์สัปดาห์หน้า", bkk(2026, 11, 30)),
    ("monday", bkk(2026, 11, 23)),
    ("Mon", bkk(2026, 11, 23)),
    ("next monday", bkk(2026, 11, 30)),
    ("monday 13:30", bkk(2026, 11, 23, 13, 30)),
    ("this friday", bkk(2026, 11, 27)),
    ("Friday 2pm", bkk(2026, 11, 27, 14, 0)),
    ("saturday 9am", bkk(2026, 11, 28, 9, 0)),
    ("next saturday", bkk(2026, 11, 28)),
]

COMBINATIONS = [
    ("วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00 น.", bkk(2026, 12, 20, 14, 0)),
    ("20 ธ.ค. 69 บ่ายสองโมง", bkk(2026, 12, 20, 14, 0)),
    ("วันเสาร์ที่ 28 พฤศจิกายน 2569 เวลา 9.30 น.", bkk(2026, 11, 28, 9, 30)),
    ("14:00 20/12/2569", bkk(2026, 12, 20, 14, 0)),
    ("บ่ายสองโมง พรุ่งนี้", bkk(2026, 11, 22, 14, 0)),
    ("พรุ่งนี้วันอาทิตย์", bkk(2026, 11, 22)),
    ("นัดหมอ พรุ่งนี้ ตอน 10 โมงครึ่ง นะ", bkk(2026, 11, 22, 10, 30)),
    ("ประชุม 13.00-16.00 น. วันที่ 25 ธ.ค.", bkk(2026, 12, 25, 13, 0)),  # a range: its start
    ("ส่งงาน, 1 ธ.ค., ห้าโมงเย็น", bkk(2026, 12, 1, 17, 0)),
    ("Sunday 20 December 2026, 14:00", bkk(2026, 12, 20, 14, 0)),
]


@pytest.mark.parametrize(("text", "expected"), DATES + TIMES + RELATIVE + WEEKDAYS + COMBINATIONS)
def test_parse_when(text: str, expected: datetime) -> None:
    result = parse_when(text, NOW)
    assert result == expected
    assert result is not None and result.tzinfo is TZ


@pytest.mark.parametrize("text", [
    "",
    "   ",
    "😀🎉",
    "สวัสดีครับ",
    "hello there",
    "asdfgh qwerty",
    "42",
    "2026",
    "บ่าย",
    "โมง",
    "พระจันทร์สวยจัง",  # จันทร์ inside "moon" is not Monday
    "ทุ่มเทให้งาน",  # ทุ่ม inside "devote" is not a clock word
    "31 เม.ย.",
    "31 เมษายน 2570",
    "29 ก.พ. 2569",  # 2026 is not a leap year
    "29/2/2569",
    "30 ก.พ.",
    "31/6",
    "0/12/2569",
    "32/1",
    "20/13/2569",
    "25:00",
    "24:00",
    "14:60",
    "13pm",
    "ตีแปด",
    "12 โมงเย็น",
    "วันจันทร์ที่ 20 ธันวาคม 2569",  # 20 Dec 2026 is a Sunday
    "วันเสาร์ที่ 20 ธันวาคม 2569 เวลา 14:00 น.",
    "monday 20 december 2026",
    "พรุ่งนี้ 20 ธ.ค.",  # two different days
    "อีก 2 ชั่วโมง พรุ่งนี้",
    "20 ธ.ค. 2569 25:00",  # a good date does not rescue a bad time
])
def test_parse_when_gives_none(text: str) -> None:
    assert parse_when(text, NOW) is None
    assert parse_when_parts(text, NOW) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("20 ธ.ค. 2569", WhenParts(date(2026, 12, 20), None)),
    ("พรุ่งนี้", WhenParts(date(2026, 11, 22), None)),
    ("เสาร์หน้า", WhenParts(date(2026, 11, 28), None)),
    ("บ่ายสองโมง", WhenParts(None, time(14, 0))),
    ("9am", WhenParts(None, time(9, 0))),
    ("เที่ยงคืน", WhenParts(None, time(0, 0))),
    ("20 ธ.ค. 2569 เที่ยงคืน", WhenParts(date(2026, 12, 20), time(0, 0))),
    ("อีก 2 ชั่วโมง", WhenParts(date(2026, 11, 21), time(12, 0))),
])
def test_parse_when_parts_tells_what_was_missing(text: str, expected: WhenParts) -> None:
    assert parse_when_parts(text, NOW) == expected


def test_date_only_is_midnight_of_that_date() -> None:
    assert parse_when("20 ธ.ค. 2569", NOW) == bkk(2026, 12, 20, 0, 0)


def test_relative_minutes_are_cut_to_the_minute() -> None:
    now = bkk(2026, 11, 21, 10, 0) + timedelta(seconds=42, microseconds=7)
    assert parse_when("อีก 30 นาที", now) == bkk(2026, 11, 21, 10, 30)


def test_one_month_later_clamps_to_the_end_of_the_month() -> None:
    assert parse_when("อีก 1 เดือน", bkk(2027, 1, 31, 8, 0)) == bkk(2027, 2, 28)


# Saturday 21 November 2026, 15:44: the calendar of the next two weeks, every weekday word in every form,
# at 14:00 (already past on this Saturday). Mon 23 … Sun 29 is "this" week's run, Mon 30 … Sun 6 Dec "next".
SATURDAY_AFTERNOON = bkk(2026, 11, 21, 15, 44)
CALENDAR = [
    # (word, bare and นี้, หน้า)
    ("จันทร์", bkk(2026, 11, 23, 14), bkk(2026, 11, 30, 14)),
    ("อังคาร", bkk(2026, 11, 24, 14), bkk(2026, 12, 1, 14)),
    ("พุธ", bkk(2026, 11, 25, 14), bkk(2026, 12, 2, 14)),
    ("พฤหัส", bkk(2026, 11, 26, 14), bkk(2026, 12, 3, 14)),
    ("ศุกร์", bkk(2026, 11, 27, 14), bkk(2026, 12, 4, 14)),
    ("เสาร์", bkk(2026, 11, 28, 14), bkk(2026, 11, 28, 14)),   # today's 14:00 has passed: both are the 28th
    ("อาทิตย์", bkk(2026, 11, 22, 14), bkk(2026, 11, 29, 14)),
]


@pytest.mark.parametrize(("word", "this", "following"), CALENDAR, ids=[row[0] for row in CALENDAR])
def test_every_weekday_word_on_a_saturday_afternoon(word: str, this: datetime, following: datetime) -> None:
    assert parse_when(f"{word} 14:00", SATURDAY_AFTERNOON) == this
    assert parse_when(f"วัน{word}นี้ 14:00", SATURDAY_AFTERNOON) == this
    assert parse_when(f"{word}หน้า 14:00", SATURDAY_AFTERNOON) == following
    assert parse_when(f"วัน{word}สัปดาห์หน้า 14:00", SATURDAY_AFTERNOON) == following


def test_next_saturday_on_a_saturday_after_the_time_is_seven_days_later() -> None:
    """Regression: on Saturday 15:44, "เสาร์หน้า บ่ายสองโมง" was read as 19 Dec, two Saturdays ahead."""
    assert parse_when("เสาร์หน้า บ่ายสองโมง", bkk(2026, 12, 5, 15, 44)) == bkk(2026, 12, 12, 14, 0)


# Each day of the week 16–22 November 2026 (Monday … Sunday) as today, at 15:44: its own weekday word.
@pytest.mark.parametrize("day", range(16, 23))
def test_todays_weekday_word_on_every_day_of_the_week(day: int) -> None:
    now = bkk(2026, 11, day, 15, 44)
    word = ("จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์")[now.weekday()]
    english = now.strftime("%A").lower()
    assert now.weekday() == day - 16  # 16 November 2026 is a Monday
    assert parse_when(f"{word}นี้ 16:00", now) == bkk(2026, 11, day, 16)          # still ahead: today
    assert parse_when(f"{word} 14:00", now) == bkk(2026, 11, day, 14) + timedelta(days=7)  # passed
    assert parse_when(f"{word}หน้า 14:00", now) == bkk(2026, 11, day, 14) + timedelta(days=7)
    assert parse_when(f"{word}หน้า 16:00", now) == bkk(2026, 11, day, 16) + timedelta(days=7)
    assert parse_when(f"{word}หน้า", now) == bkk(2026, 11, day) + timedelta(days=7)
    assert parse_when(f"next {english} 14:00", now) == bkk(2026, 11, day, 14) + timedelta(days=7)
    assert parse_when(f"this {english} 16:00", now) == bkk(2026, 11, day, 16)


def test_friday_on_a_friday() -> None:
    friday = bkk(2026, 11, 27, 10, 0)
    assert parse_when("ศุกร์นี้ 14:00", friday) == bkk(2026, 11, 27, 14, 0)
    assert parse_when("ศุกร์นี้ 9:00", friday) == bkk(2026, 12, 4, 9, 0)
    assert parse_when("ศุกร์หน้า 14:00", friday) == bkk(2026, 12, 4, 14, 0)


def test_nikhahit_plus_sara_aa_reads_like_sara_am() -> None:
    # "ค่ํา" typed as นิคหิต + สระอา must still be the same word
    assert parse_when("ค\u0e48\u0e4d\u0e32 6.30", NOW) == bkk(2026, 11, 21, 18, 30)


# ---------------------------------------------------------------- time zones


def test_result_is_bangkok_time() -> None:
    result = parse_when("พรุ่งนี้ 9 โมงเช้า", NOW)
    assert result is not None
    assert result.utcoffset() == timedelta(hours=7)
    assert result.tzinfo is TZ


@pytest.mark.parametrize("text", ["14:00", "พรุ่งนี้ 9 โมงเช้า", "เสาร์นี้ 9:00", "20/12"])
def test_now_in_utc_works_the_same(text: str) -> None:
    now_utc = NOW.astimezone(timezone.utc)
    assert now_utc.hour == 3
    assert parse_when(text, now_utc) == parse_when(text, NOW)


def test_today_is_bangkok_today_even_when_utc_is_still_yesterday() -> None:
    now_utc = datetime(2026, 11, 20, 20, 0, tzinfo=timezone.utc)  # 03:00 on the 21st in Bangkok
    assert parse_when("วันนี้", now_utc) == bkk(2026, 11, 21)
    assert parse_when("ตีห้า", now_utc) == bkk(2026, 11, 21, 5, 0)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        parse_when("พรุ่งนี้", datetime(2026, 11, 21, 10, 0))


# ---------------------------------------------------------------- formatting


@pytest.mark.parametrize(("dt", "expected"), [
    (bkk(2026, 12, 20, 14, 0), "วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00 น."),
    (bkk(2026, 11, 21, 9, 5), "วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 09:05 น."),
    (bkk(2027, 1, 1, 0, 0), "วันศุกร์ที่ 1 มกราคม 2570 เวลา 00:00 น."),
    (datetime(2026, 12, 20, 7, 0, tzinfo=timezone.utc), "วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00 น."),
    (datetime(2026, 12, 31, 20, 30, tzinfo=timezone.utc), "วันศุกร์ที่ 1 มกราคม 2570 เวลา 03:30 น."),
])
def test_format_when(dt: datetime, expected: str) -> None:
    assert format_when(dt) == expected


def test_format_date() -> None:
    assert format_date(date(2026, 12, 20)) == "วันอาทิตย์ที่ 20 ธันวาคม 2569"
    assert format_date(date(2026, 12, 19)) == "วันเสาร์ที่ 19 ธันวาคม 2569"
    assert format_date(datetime(2026, 12, 19, 18, 0, tzinfo=timezone.utc)) == "วันอาทิตย์ที่ 20 ธันวาคม 2569"


def test_format_when_en() -> None:
    assert format_when_en(bkk(2026, 12, 20, 14, 0)) == "Sunday 20 December 2026, 14:00"
    utc = datetime(2026, 12, 20, 1, 5, tzinfo=timezone.utc)
    assert format_when_en(utc) == "Sunday 20 December 2026, 08:05"


ROUND_TRIP = [
    bkk(2026, 12, 20, 14, 0),
    bkk(2026, 11, 21, 10, 30),
    bkk(2026, 11, 22, 0, 0),
    bkk(2027, 2, 28, 23, 59),
    bkk(2028, 2, 29, 6, 15),
    bkk(2030, 1, 1, 9, 0),
]


@pytest.mark.parametrize("dt", ROUND_TRIP)
def test_round_trip_thai(dt: datetime) -> None:
    assert parse_when(format_when(dt), NOW) == dt


@pytest.mark.parametrize("dt", ROUND_TRIP)
def test_round_trip_english(dt: datetime) -> None:
    assert parse_when(format_when_en(dt), NOW) == dt


@pytest.mark.parametrize("dt", ROUND_TRIP)
def test_round_trip_picker(dt: datetime) -> None:
    assert from_picker_value(to_picker_value(dt)) == dt


# ---------------------------------------------------------------- LINE datetime picker


def test_to_picker_value() -> None:
    assert to_picker_value(bkk(2026, 12, 20, 14, 0)) == "2026-12-20T14:00"
    assert to_picker_value(datetime(2026, 12, 20, 7, 0, tzinfo=timezone.utc)) == "2026-12-20T14:00"


@pytest.mark.parametrize(("value", "expected"), [
    ("2017-12-25T01:00", bkk(2017, 12, 25, 1, 0)),
    ("2017-12-25", bkk(2017, 12, 25, 0, 0)),
    ("2026-12-20T14:00", bkk(2026, 12, 20, 14, 0)),
    ("01:00", None),  # time mode: no date
    ("", None),
    ("2017-02-30", None),
    ("2017-12-25T25:00", None),
    ("2017-12-25T01:00:00+09:00", None),
    ("tomorrow", None),
])
def test_from_picker_value(value: str, expected: datetime | None) -> None:
    result = from_picker_value(value)
    assert result == expected
    if expected is not None:
        assert result is not None and result.utcoffset() == timedelta(hours=7)


# ---------------------------------------------------------------- late at night


@pytest.mark.parametrize(("now", "text", "expected"), [
    # At 00:44 Sunday, "tomorrow morning" is the morning after one's sleep: Sunday, the calendar's today.
    (bkk(2026, 11, 22, 0, 44), "พรุ่งนี้ ๙ โมงเช้าค่ะ", bkk(2026, 11, 22, 9, 0)),
    (bkk(2026, 11, 22, 3, 59), "tomorrow 9am", bkk(2026, 11, 22, 9, 0)),
    (bkk(2026, 11, 22, 0, 44), "มะรืนนี้", bkk(2026, 11, 23)),
    (bkk(2026, 11, 22, 0, 44), "วันนี้ 14:00", bkk(2026, 11, 22, 14, 0)),
    # From 04:00 the calendar counts again.
    (bkk(2026, 11, 22, 4, 0), "พรุ่งนี้ 9 โมงเช้า", bkk(2026, 11, 23, 9, 0)),
    (bkk(2026, 11, 21, 23, 30), "พรุ่งนี้ 9 โมงเช้า", bkk(2026, 11, 22, 9, 0)),
])
def test_tomorrow_after_midnight_is_the_coming_morning(now: datetime, text: str, expected: datetime) -> None:
    assert parse_when(text, now) == expected
    assert parse_when(text, now.astimezone(timezone.utc)) == expected  # Bangkok's hour, whatever zone `now` is in


def test_the_fiscal_year_runs_october_to_september() -> None:
    from handlers.thaitime import fiscal_year_of, fiscal_year_start

    # 30 Sep 2026 23:59 Bangkok is still ปีงบประมาณ 2569; 1 Oct 00:00 begins 2570 (as UTC, 30 Sep 17:00).
    last = datetime(2026, 9, 30, 23, 59, tzinfo=TZ)
    first = datetime(2026, 9, 30, 17, 0, tzinfo=timezone.utc)
    assert (fiscal_year_of(last), fiscal_year_of(first)) == (2569, 2570)
    assert fiscal_year_start(last) == datetime(2025, 10, 1, tzinfo=TZ)
    assert fiscal_year_start(first) == datetime(2026, 10, 1, tzinfo=TZ)
