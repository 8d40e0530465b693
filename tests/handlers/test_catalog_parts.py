"""Each language's catalogue is a package of modules merged into one TEXT: a key defined in two modules is
refused when the catalogue is imported, and the Thai and English modules hold the same keys."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

from handlers.catalog import en, th
from handlers.catalog.parts import DuplicateKey, merged


def part(name: str, **text: str) -> ModuleType:
    """A catalogue module made up on the spot."""
    module = ModuleType(name)
    module.TEXT = {key.replace("__", "."): value for key, value in text.items()}
    return module


def test_a_key_defined_in_two_modules_is_refused() -> None:
    first = part("catalog.th.events", event__title="ชื่อกิจกรรม", event__when="วันเวลา")
    second = part("catalog.th.notices", notice__text="ข้อความ", event__when="เมื่อไร")
    with pytest.raises(DuplicateKey) as refused:
        merged(first, second)
    assert str(refused.value) == "catalogue key 'event.when' is defined in both catalog.th.events and catalog.th.notices"


def test_modules_are_merged_in_order_with_every_key() -> None:
    first = part("catalog.th.events", event__title="ชื่อกิจกรรม", event__when="วันเวลา")
    second = part("catalog.th.notices", notice__text="ข้อความ")
    assert merged(first, second) == {"event.title": "ชื่อกิจกรรม", "event.when": "วันเวลา", "notice.text": "ข้อความ"}
    assert list(merged(first, second)) == ["event.title", "event.when", "notice.text"]


def modules_of(package: ModuleType) -> dict[str, dict[str, str]]:
    return {info.name: importlib.import_module(f"{package.__name__}.{info.name}").TEXT
            for info in pkgutil.iter_modules(package.__path__)}


def test_the_language_is_every_module_merged() -> None:
    for language in (th, en):
        parts = modules_of(language)
        assert sum(len(text) for text in parts.values()) == len(language.TEXT)
        assert {key: value for text in parts.values() for key, value in text.items()} == language.TEXT


def test_thai_and_english_modules_hold_the_same_keys() -> None:
    thai, english = modules_of(th), modules_of(en)
    assert sorted(thai) == sorted(english)
    assert {name: sorted(set(text) ^ set(english[name])) for name, text in thai.items()
            if set(text) != set(english[name])} == {}
