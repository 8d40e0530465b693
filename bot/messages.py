"""Fitting handler messages to LINE's limits, and storing them as JSON for the outbox."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, cast

from linebot.v3.messaging import Message, TextMessage

MAX_MESSAGES_PER_REQUEST = 5
MAX_TEXT_UNITS = 5000  # LINE counts UTF-16 code units; Thai vowels and tone marks count one each


def utf16_len(text: str) -> int:
    """Length as LINE counts it."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT_UNITS) -> list[str]:
    """Split text into pieces LINE accepts, preferring line breaks, then spaces, never inside a character."""
    pieces: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        cut = _longest_prefix(rest, limit)
        for sep in ("\n", " "):
            at = rest.rfind(sep, 0, cut)
            if at > cut // 2:
                cut = at + 1
                break
        pieces.append(rest[:cut].rstrip("\n"))
        rest = rest[cut:]
    pieces.append(rest)
    return [p for p in pieces if p] or [text]


def _longest_prefix(text: str, limit: int) -> int:
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            # Never start a piece with a tone mark or vowel sign: it belongs to the consonant before it
            # (unless the text is nothing but marks, where any cut is as good as another).
            cut = index
            while cut > 0 and _clings(text[cut]):
                cut -= 1
            return cut or index
    return len(text)


def _clings(char: str) -> bool:
    """Marks that attach to the previous character (Thai vowels above/below, tone marks, SARA AM, ZWJ)."""
    return unicodedata.category(char) in ("Mn", "Mc", "Me") or char in ("\u0e33", "\u200d")


def fit(messages: Iterable[Message]) -> list[Message]:
    """Split over-long texts into several text messages (keeping quick replies on the last piece)."""
    fitted: list[Message] = []
    for message in messages:
        if isinstance(message, TextMessage) and utf16_len(message.text) > MAX_TEXT_UNITS:
            parts = split_text(message.text)
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                fitted.append(TextMessage(text=part, quickReply=message.quick_reply if last else None))
        else:
            fitted.append(message)
    return fitted


def batches(messages: Sequence[Message], size: int = MAX_MESSAGES_PER_REQUEST) -> list[list[Message]]:
    """Groups of at most five messages, one LINE request each."""
    return [list(messages[i:i + size]) for i in range(0, len(messages), size)]


def to_json(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Serialise SDK message models the way LINE expects them on the wire."""
    return [message.to_dict() for message in messages]


class Serialized:
    """A message turned into LINE's JSON once, for a message sent unchanged many times.

    `Message.to_dict()` is a deep pydantic walk: about 2.5 ms for a notice card or the `help` list
    with its quick replies. The outbox calls `to_dict` on what it stores (`to_json`), so a notice to
    two million people (4,200 rows of the same card) or the thousandth `help` of the day pays for it
    once. The wrapped message must not be changed afterwards.
    """

    def __init__(self, message: Message) -> None:
        self._data = message.to_dict()

    def to_dict(self) -> dict[str, Any]:
        return self._data


def serialized(messages: Iterable[Message]) -> list[Message]:
    """Fitted to LINE's limits, then serialised once (typed as Message: the outbox only calls to_dict)."""
    return cast(list[Message], [Serialized(m) for m in fit(messages)])
