"""Expected texts and Bangkok times for conversation tables."""

from __future__ import annotations

from datetime import datetime

from bot.config import TIMEZONE
from handlers.catalog import text_for


def t(key: str, **values: object) -> str:
    """The Thai text for a catalogue key, filled in (as the bot fills it: no "คุณ" before a titled name)."""
    return text_for("th", key, **values)


def e(key: str, **values: object) -> str:
    """The English text for a catalogue key, filled in."""
    return text_for("en", key, **values)


def bangkok(*args: int) -> datetime:
    return datetime(*args, tzinfo=TIMEZONE)
