"""The command registry: decorators only tag functions; `Registry.build` collects the tags.

A keyword used twice, a postback action declared twice or two handlers for one flow step is a
programming error and fails when the registry is built (at import of `handlers`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import ModuleType
from typing import Any

from models.names import clean  # noqa: F401  (handlers import it from here: the one normalisation of typed text)

TAG = "_saiyai_tags"
THAI_CHARS = re.compile(r"[\u0E00-\u0E7F]")


class ChatKind(StrEnum):
    USER = "user"    # 1:1 chat
    GROUP = "group"
    ROOM = "room"


class Role(IntEnum):
    """Roles from least to most privileged; a handler names the lowest role it allows."""

    ANYONE = 0
    MEMBER = 1
    PARTNER = 2
    COMMUNITY_LEADER = 3
    NETWORK_CHAIR = 4
    STAFF = 5


ALL_CHATS = frozenset(ChatKind)


@dataclass(frozen=True)
class CommandSpec:
    name: str
    keywords: tuple[str, ...]
    func: Callable[..., Any]
    chats: frozenset[ChatKind]
    min_role: Role
    help_th: str
    help_en: str

    def keyword_for(self, lang: str) -> str:
        """The first keyword written in that language (Thai keywords contain Thai letters)."""
        for keyword in self.keywords:
            if bool(THAI_CHARS.search(keyword)) == (lang == "th"):
                return keyword
        return self.keywords[0]


@dataclass(frozen=True)
class Match:
    spec: CommandSpec
    keyword: str
    args: str

    @property
    def lang(self) -> str:
        return "th" if THAI_CHARS.search(self.keyword) else "en"


# Polite particles Thai speakers end a short answer with ("ทุกเดือนครับ", "เสร็จแล้วค่ะ", "หยุดนะครับ").
_POLITE_PARTICLE = r"\s*(?:นะ|ครับ|ค่ะ|คะ|ค่า|จ้า|จ้ะ|ครับผม)"
_POLITE_ENDING = re.compile(f"(?:{_POLITE_PARTICLE})+$")
_LAST_POLITE = re.compile(f"{_POLITE_PARTICLE}$")


def strip_polite(text: str) -> str:
    """The answer without the polite particles at its end, trimmed."""
    return _POLITE_ENDING.sub("", text.strip()).strip()


def normalize(text: str) -> str:
    """Fold case, width and spacing so `HELP`, `help ` and full-width forms match one keyword (for comparing)."""
    return clean(text).casefold()


def word_in(text: str, words: Container[str]) -> str | None:
    """Which of the (normalized) words the text is, polite ending or not: "ข้ามค่ะ" is ข้าม.

    The particles come off one at a time and each form is tried, because นะ also ends words:
    "ประกาศ สถานะครับ" is ประกาศ สถานะ, not ประกาศ สถา."""
    word = normalize(text)
    while word not in words:
        shorter = _LAST_POLITE.sub("", word, count=1)
        if shorter == word:
            return None
        word = shorter
    return word


def _ends_word(text: str, key: str) -> bool:
    """Whether the keyword `text` starts with ends a word there: at the end, a space, or a change of script."""
    if len(text) == len(key) or text[len(key)] == " ":
        return True
    after = text[len(key)]
    return bool(THAI_CHARS.match(key[-1])) and after.isascii() and after.isalnum()


def _tag(func: Callable[..., Any], kind: str, value: Any) -> Callable[..., Any]:
    tags = getattr(func, TAG, [])
    tags.append((kind, value))
    setattr(func, TAG, tags)
    return func


def command(*keywords: str, chats: Iterable[ChatKind] = ALL_CHATS,
            min_role: Role = Role.ANYONE) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a text command; Thai keywords first. The docstring's first line is `Thai / English` help."""
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        return _tag(func, "command", (tuple(keywords), frozenset(chats), min_role))
    return decorate


def postback(action: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the handler of a postback action (`a=<action>` in the postback data)."""
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        return _tag(func, "postback", action)
    return decorate


def step(flow: str, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the handler of one step of a guided conversation."""
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        return _tag(func, "step", (flow, str(name)))
    return decorate


def on_event(event_type: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the handler of a non-message webhook event (follow, join, memberJoined, ...)."""
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        return _tag(func, "event", event_type)
    return decorate


class DuplicateRegistration(Exception):
    """Two handlers claim the same keyword, action, step or event."""


@dataclass
class Registry:
    commands: list[CommandSpec] = field(default_factory=list)
    keywords: dict[str, CommandSpec] = field(default_factory=dict)
    postbacks: dict[str, Callable[..., Any]] = field(default_factory=dict)
    steps: dict[tuple[str, str], Callable[..., Any]] = field(default_factory=dict)
    events: dict[str, Callable[..., Any]] = field(default_factory=dict)
    # Answers built from the registry alone (the help list per language, role and chat kind),
    # kept while the registry stays as it is; adding a handler clears them.
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, modules: Iterable[ModuleType]) -> Registry:
        """Collect every tagged function of the given modules."""
        registry = cls()
        for module in modules:
            for value in vars(module).values():
                if callable(value) and getattr(value, "__module__", None) == module.__name__:
                    for kind, tag in getattr(value, TAG, []):
                        registry._add(kind, tag, value)
        return registry

    def _add(self, kind: str, tag: Any, func: Callable[..., Any]) -> None:
        self.memo.clear()
        if kind == "command":
            keywords, chats, min_role = tag
            lines = (func.__doc__ or "").strip().splitlines()
            help_th, _, help_en = (lines[0] if lines else "").partition(" / ")
            if not help_th or not help_en:
                raise DuplicateRegistration(f"{func.__qualname__}: docstring must start with 'Thai / English' help")
            spec = CommandSpec(func.__name__, keywords, func, chats, min_role, help_th.strip(), help_en.strip())
            for keyword in keywords:
                key = normalize(keyword)
                if key in self.keywords:
                    raise DuplicateRegistration(f"keyword {keyword!r} used by {self.keywords[key].name} and {spec.name}")
                self.keywords[key] = spec
            self.commands.append(spec)
            return
        table: dict[Any, Callable[..., Any]] = {"postback": self.postbacks, "step": self.steps, "event": self.events}[kind]
        if tag in table:
            raise DuplicateRegistration(f"{kind} {tag!r} handled by both {table[tag].__qualname__} and {func.__qualname__}")
        table[tag] = func

    def spec_of(self, func: Callable[..., Any]) -> CommandSpec:
        """The command a handler function is registered as (for a button that does the same)."""
        return next(spec for spec in self.commands if spec.func is func)

    def match(self, text: str) -> Match | None:
        """The longest keyword the text starts with (followed by a space or the end), and the rest;
        or the keyword the text is, once its polite ending is dropped ("ช่วยเหลือครับ").

        Thai is written without spaces, so a Thai keyword followed straight by a Latin letter or a digit
        also ends there ("ไปK7M2", "จัดซ้ำK7M2 ทุกเดือน"): the change of script is the word break. A Thai
        letter after it is no break ("ไปไหน" is not ไป)."""
        cleaned = clean(text)
        folded = cleaned.casefold()
        best: tuple[str, CommandSpec] | None = None
        for key, spec in self.keywords.items():
            if folded.startswith(key) and _ends_word(folded, key) and (best is None or len(key) > len(best[0])):
                best = (key, spec)
        # A polite ending is never part of a keyword: "ช่วยเหลือครับ" and "รายงาน ค่ะ" are the commands alone.
        bare = word_in(folded, self.keywords)
        if bare is not None and (best is None or len(bare) >= len(best[0])):
            best = (bare, self.keywords[bare])
        if best is None:
            return None
        key, spec = best
        original = next(k for k in spec.keywords if normalize(k) == key)
        return Match(spec, original, "" if key == bare else cleaned[len(key):].strip())
