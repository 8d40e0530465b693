"""User-facing text, one module per language, so wording is reviewed in one place."""

from __future__ import annotations

import re

from handlers.catalog import en, th

CATALOGUES: dict[str, dict[str, str]] = {"th": th.TEXT, "en": en.TEXT}
LANGUAGES = tuple(CATALOGUES)

# Thai texts say "คุณ{name}". A name registered with its own title (นาย, นาง, นางสาว, คุณ, เด็กชาย,
# พระ, or an abbreviation such as น.ส., ด.ญ., ดร., พ.ต.ท.) does not get a second one: "นางสมศรี", not
# "คุณนางสมศรี".
_TITLED = re.compile(r"(?:นาย|นาง|คุณ|เด็กชาย|เด็กหญิง|พระ|[ก-ฮ]{1,3}\.)")
_HONORIFIC = re.compile(r"คุณ\{(\w+)\}")


def text_for(lang: str, key: str, **values: object) -> str:
    """The text for `key` in `lang` (Thai when the language is unknown), with values filled in."""
    template = CATALOGUES.get(lang, th.TEXT)[key]
    if "คุณ{" in template:
        template = _HONORIFIC.sub(lambda m: m[0] if not _TITLED.match(str(values.get(m[1], ""))) else m[0][3:],
                                  template)
    return template.format(**values)
