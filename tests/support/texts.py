"""Expected texts and Bangkok times for conversation tables."""

from __future__ import annotations

from datetime import datetime

from bot.config import TIMEZONE
from handlers.catalog import en, th


def t(key: str, **values: object) -> str:
    """The Thai text for a catalogue key, filled in."""
    return th.TEXT[key].format(**values)


def e(key: str, **values: object) -> str:
    """The English text for a catalogue key, filled in."""
    return en.TEXT[key].format(**values)


def bangkok(*args: int) -> datetime:
    return datetime(*args, tzinfo=TIMEZONE)
