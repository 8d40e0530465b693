"""English text for users who chose English, one module per capability (the same modules as Thai's)."""

from __future__ import annotations

from handlers.catalog.en import common, desk, directory, events, followups, menus, notices, registration, rotation, rsvp
from handlers.catalog.parts import merged

TEXT: dict[str, str] = merged(common, registration, followups, directory, rotation, rsvp, events, notices, menus, desk)
