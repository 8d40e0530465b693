"""Text as people type it, normalised where the data needs one form: `clean` for everything stored or
matched, and the keys that find a person by name (`person_key`, `given_name_key`), which Person keeps in
indexed columns so a name is looked up by the database, not by reading every person of a district.

Pure functions of text: no database, no Flask, no LINE.
"""

from __future__ import annotations

import re
import unicodedata

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

# Full-width ASCII (Ａ, １, ！) and the ideographic space, as some phone keyboards type them.
_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Invisible characters some keyboards and copy-paste insert, meaning nothing in stored text: zero-width space and
# non-joiner, word joiner, BOM, soft hyphen, left-to-right and right-to-left marks.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u2060\ufeff\u00ad\u200e\u200f"))
# The zero-width joiner holds emoji sequences together (a family emoji is a man, a woman and a girl joined by two),
# so a joiner between two such symbols stays in names and titles. Next to a letter, a digit, a Thai character,
# a space or an end it joins nothing (Thai and Latin script have no use for it): a stray one, as some keyboards
# and copy-paste leave inside "ช่วยเหลือ" or "K7M2", is dropped, so commands, codes and answers match.
_STRAY_JOINER = re.compile(r"(?:(?<=[\w\s\u0e00-\u0e7f])|^)\u200d|\u200d(?=[\w\s\u0e00-\u0e7f]|$)")


def clean(text: str) -> str:
    """Normalise width, invisible characters and spacing, keeping case (names and codes keep theirs).

    Not NFKC: it splits Thai SARA AM (ำ) into NIKHAHIT + SARA AA, so "กำนัน" would be stored broken;
    the reverse (ํ + า typed separately, as some keyboards do) is joined back into ำ here.
    """
    text = unicodedata.normalize("NFC", text).translate(_WIDTH).translate(_INVISIBLE)
    text = " ".join(text.replace("\u0e4d\u0e32", "\u0e33").split())
    return _STRAY_JOINER.sub("", text) if "\u200d" in text else text


# Titles and kinship words said before a person's name: "ยายสมศรี" and "สมศรี" are one person to a leader.
# Formal (นาย, นาง, นางสาว, น.ส., เด็กชาย/ด.ช., เด็กหญิง/ด.ญ., คุณ), for elders (ยาย, ตา, ย่า, ปู่, ป้า, ลุง,
# น้า, แม่, พ่อ, พี่), for a role people keep as a title (ผู้ใหญ่, กำนัน, ครู) and English ones. Not อา or
# น้อง: many given names start with those letters (อารีย์, อานนท์).
_PERSON_TITLE = re.compile(r"(?:นางสาว|น\.\s*ส\.|เด็กชาย|เด็กหญิง|ด\.\s*ช\.|ด\.\s*ญ\.|ผู้ใหญ่|กำนัน|คุณ|นาง|นาย|ครู"
                           r"|ยาย|ย่า|ตา|ปู่|ป้า|ลุง|น้า|แม่|พ่อ|พี่|(?:mrs|mr|ms|miss)(?:\.|\s))\s*")
# What may follow a title: a Thai consonant or leading vowel, or a Latin letter. So "คุณากร" and "ตาล"
# (a vowel, or a single letter, after what looks like a title) are names, not a title and a name.
_NAME_START = re.compile(r"[ก-ฮเ-ไa-z]\S")
_PERSON_NOISE = re.compile(r"[\s.\-_'\"(),]")


def person_key(name: str) -> str:
    """A person's name reduced to what tells two people apart: no title or kinship word before it
    (several: "คุณยาย"), spacing, case, punctuation or Thai digits. The one key for the same-name check of
    `เพิ่มสมาชิก` and for finding a member by name (`ตอบแทน`, `ลบสมาชิก`); names are stored as typed."""
    key = clean(name).casefold().translate(THAI_DIGITS)
    while (title := _PERSON_TITLE.match(key)) and _NAME_START.match(key, title.end()):
        key = key[title.end():]
    return _PERSON_NOISE.sub("", key)


def given_name_key(name: str) -> str:
    """`person_key` of a name's first word that is not a title on its own: "นาง สมศรี ใจดี" and "ยายสมศรี ใจดี"
    give "สมศรี". Typed alone, the whole given name names someone as people say it; a piece of a word does not."""
    for word in clean(name).casefold().split():
        if not _PERSON_TITLE.fullmatch(word):
            return person_key(word)
    return ""
