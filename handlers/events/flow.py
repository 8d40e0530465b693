"""The create and edit conversations' names, steps and words, and the prompts they share."""

from __future__ import annotations

import re
from datetime import time
from enum import StrEnum


from handlers.context import SKIP_WORDS as COMMON_SKIP_WORDS


NEW = "new_event"
EDIT = "edit_event"
TITLE_LIMIT = 120
PLACE_LIMIT = 500
COUNT_LIMIT = 10_000
QUICK_LIMIT = 12           # quick replies besides the cancel button (LINE allows 13)
DEFAULT_START = time(9, 0)  # what the datetime picker offers first
SKIP_WORDS = COMMON_SKIP_WORDS | {"ไม่จำกัด", "no limit", "unlimited"}  # seats: "no limit" skips too
YES_WORDS = frozenset({"ยืนยัน", "ตกลง", "ใช่", "โอเค", "ok", "okay", "yes", "confirm"})
CHANGE_TIME_WORDS = frozenset({"เปลี่ยนวันเวลา", "change time"})
CHANGE_WORDS = frozenset({"เปลี่ยน", "แก้", "แก้ไข", "change", "edit"})  # at an edit's preview: type it again
CODE = re.compile(r"[A-Za-z0-9]{4,8}")
COUNT = re.compile(r"(\d+)\s*(?:คน|ที่|ท่าน|people|persons|seats)?")
# "13:00-16:00 น.", "9.00 ถึง 12.00": parse_when takes the first time; the second is the end.
TIME_RANGE = re.compile(r"(\d{1,2})[:.](\d{2})\s*(?:น\.?)?\s*(?:-|–|ถึง|to|until)\s*(\d{1,2})[:.](\d{2})")
FIELDS = {
    "title": ("ชื่อ", "ชื่อกิจกรรม", "title", "name"),
    "when": ("วันเวลา", "เวลา", "วัน", "วันที่", "when", "time", "date"),
    "place": ("สถานที่", "ที่", "place", "where", "location"),
    "capacity": ("จำนวนที่นั่ง", "ที่นั่ง", "จำนวน", "capacity", "seats"),
    "deadline": ("ปิดรับคำตอบ", "วันปิดรับ", "ปิดรับ", "ตอบรับภายใน", "กำหนดตอบ", "deadline", "answers close",
                 "answer deadline"),
}
# Groups hear of a change that decides whether and where their members turn up: a new time or place (and a
# cancellation). A new title or seat count is not pushed to them: the card they were shown keeps its code and
# buttons, which still work and show the new details, and each push to a group costs the channel's quota.
GROUP_FIELDS = frozenset({"when", "place"})
GROUP_LANG = "th"  # groups have no single language: Saiyai speaks Thai there


class NewStep(StrEnum):
    TITLE = "awaiting_title"
    WHEN = "awaiting_when"
    TIME = "awaiting_time"
    PLACE = "awaiting_place"
    SCOPE = "awaiting_network"
    HOST = "awaiting_host"
    CAPACITY = "awaiting_capacity"
    SEATS = "awaiting_seats"
    CONFIRM = "awaiting_confirm"


class EditStep(StrEnum):
    FIELD = "awaiting_field"
    TITLE = "awaiting_title"
    WHEN = "awaiting_when"
    TIME = "awaiting_time"
    PLACE = "awaiting_place"
    CAPACITY = "awaiting_capacity"
    DEADLINE = "awaiting_deadline"
    DEADLINE_TIME = "awaiting_deadline_time"
    CONFIRM = "awaiting_confirm"
