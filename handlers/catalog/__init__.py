"""User-facing text, one package per language (one module per capability in each), so wording is reviewed in
one place."""

from __future__ import annotations

import re
from functools import cache
from string import Formatter

from handlers.catalog import en, th

CATALOGUES: dict[str, dict[str, str]] = {"th": th.TEXT, "en": en.TEXT}
LANGUAGES = tuple(CATALOGUES)

# Thai texts say "คุณ{name}". A name registered with its own title (นาย, นาง, นางสาว, คุณ, เด็กชาย,
# พระ, or an abbreviation such as น.ส., ด.ญ., ดร., พ.ต.ท.) does not get a second one: "นางสมศรี", not
# "คุณนางสมศรี".
_TITLED = re.compile(r"(?:นาย|นาง|คุณ|เด็กชาย|เด็กหญิง|พระ|[ก-ฮ]{1,3}\.)")
_HONORIFIC = re.compile(r"คุณ\{(\w+)\}")


# Thai runs words together, but a number or Latin word is set off by a space: "เครือข่ายโซน 1 แล้ว",
# not "เครือข่ายโซน 1แล้ว". Templates write "{network}แล้ว" for the usual Thai names, so a value that
# ends in a digit, a Latin letter or a bracket gets the space when Thai follows it. So does a person's
# name of several words ("คุณอนันต์ พูลผล อยู่ในรายชื่อสำรอง"): glued, the verb reads as part of the surname.
_THAI_START = re.compile(r"[\u0e01-\u0e4f]")
_LATIN_END = re.compile(r"[0-9A-Za-z)\]]$")
_PERSON_FIELDS = frozenset({"name", "actor", "offline"})
_SEVERAL_WORDS = re.compile(r"\S\s+\S+$")


@cache
def _glued_fields(template: str) -> frozenset[str]:
    """Plain fields of the template ({name}, no format spec) directly followed by a Thai letter."""
    parts = list(Formatter().parse(template))
    return frozenset(field for (_, field, spec, conversion), (after, *_) in zip(parts, parts[1:], strict=False)
                     if field and not spec and not conversion and _THAI_START.match(after))


def counted(key: str, count: int) -> str:
    """The key for a text about `count` things: `<key>.one` for exactly one where the catalogues have it
    (English says "1 notice", not "1 notices"; Thai, with no plural, repeats its text there), else `key`."""
    return f"{key}.one" if count == 1 and f"{key}.one" in th.TEXT else key


def text_for(lang: str, key: str, **values: object) -> str:
    """The text for `key` in `lang` (Thai when the language is unknown), with values filled in."""
    template = CATALOGUES.get(lang, th.TEXT)[key]
    if "คุณ{" in template:
        template = _HONORIFIC.sub(lambda m: m[0] if not _TITLED.match(str(values.get(m[1], ""))) else m[0][3:],
                                  template)
    spaced = [field for field in _glued_fields(template) if field in values
              and (_LATIN_END.search(str(values[field]))
                   or field in _PERSON_FIELDS and _SEVERAL_WORDS.search(str(values[field])))]
    if spaced:
        # Only where the field is glued to Thai: the same value elsewhere in the text keeps no extra space.
        template = re.sub(r"\{(" + "|".join(map(re.escape, spaced)) + r")\}(?=[\u0e01-\u0e4f])", r"{\1} ", template)
    return template.format(**values)
