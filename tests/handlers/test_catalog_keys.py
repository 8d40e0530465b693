"""The Thai and English catalogues say the same things: same keys, same placeholders, and every key the
code names exists (a key defined twice is refused by the linter, F601, before these run)."""

from __future__ import annotations

import re
from pathlib import Path
from string import Formatter

from handlers.catalog import en, th

ROOT = Path(__file__).resolve().parents[2]
# A literal key handed to the catalogue: ctx.t("x.y", …), ctx.text("x.y"), text_for(lang, "x.y", …), t("x.y").
KEY_USE = re.compile(r"""\b(?:t|text|text_for|_t)\((?:[\w.]+, )?"([a-z_]+\.[a-z0-9_.]+)"[,)]""")


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(template) if field}


def test_both_catalogues_have_the_same_keys() -> None:
    assert sorted(set(th.TEXT) - set(en.TEXT)) == []
    assert sorted(set(en.TEXT) - set(th.TEXT)) == []


def test_each_key_has_the_same_placeholders_in_both_languages() -> None:
    differing = {key: (sorted(placeholders(th.TEXT[key])), sorted(placeholders(en.TEXT[key])))
                 for key in th.TEXT if key in en.TEXT and placeholders(th.TEXT[key]) != placeholders(en.TEXT[key])}
    assert differing == {}


def test_every_key_the_code_names_exists() -> None:
    used: dict[str, str] = {}
    for folder in ("bot", "handlers", "scheduler"):
        for path in (ROOT / folder).rglob("*.py"):
            if "catalog" in path.parts:
                continue
            for key in KEY_USE.findall(path.read_text(encoding="utf-8")):
                used.setdefault(key, str(path.relative_to(ROOT)))
    assert len(used) > 300, "the pattern no longer finds the code's keys"
    assert {key: where for key, where in used.items() if key not in th.TEXT} == {}
