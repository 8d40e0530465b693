"""User-facing text, one module per language, so wording is reviewed in one place."""

from __future__ import annotations

from handlers.catalog import en, th

CATALOGUES: dict[str, dict[str, str]] = {"th": th.TEXT, "en": en.TEXT}
LANGUAGES = tuple(CATALOGUES)


def text_for(lang: str, key: str, **values: object) -> str:
    """The text for `key` in `lang` (Thai when the language is unknown), with values filled in."""
    catalogue = CATALOGUES.get(lang, th.TEXT)
    return catalogue[key].format(**values)
