"""ข้อความภาษาไทยทั้งหมดที่ผู้ใช้เห็น (Thai is the first language of Saiyai), one module per capability."""

from __future__ import annotations

from handlers.catalog.parts import merged
from handlers.catalog.th import common, desk, directory, events, followups, menus, notices, registration, rotation, rsvp

TEXT: dict[str, str] = merged(common, registration, followups, directory, rotation, rsvp, events, notices, menus, desk)
