"""Names and phone numbers as people type them: keys that forgive spelling, matching a community or network."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from handlers.registry import strip_polite
from models.names import THAI_DIGITS, clean, given_name_key, person_key  # noqa: F401  (re-exported: the registry's name keys)
from models import Community, Network
from handlers.services.registry.people import NAME_LIMIT


# Words people add or drop when they write a community's name.
NAME_NOISE = re.compile(r"^(ชุมชน|ชม\.|ช\.|community)\s*|\s+|[.\-_'\"(),]")
# ... and from a network's (after name_key): "โซน 1" for "เครือข่ายโซน 1".
NETWORK_PREFIX = re.compile(r"^(เครือข่าย|network)")


def name_key(text: str) -> str:
    """A community name reduced to what tells it apart: no spaces, punctuation or 'ชุมชน' prefix."""
    text = unicodedata.normalize("NFKC", text).translate(THAI_DIGITS).casefold().strip()
    return NAME_NOISE.sub("", NAME_NOISE.sub("", text))


@dataclass(frozen=True)
class NameMatch:
    found: Community | Network | None
    suggestions: list[Community | Network]
    # With nothing found: every candidate whose name or alias holds the typed text ("บางนา" is part of 16
    # names), by name. The fuzzy `suggestions` stop at three; a picker offers all of these.
    containing: list[Community | Network] = field(default_factory=list)


def match_community(session: Session, text: str, organization_ids: Iterable[int] | None = None) -> NameMatch:
    """Find a community by name or alias, forgiving spacing, prefixes and small typos."""
    return community_matcher(session, organization_ids)(text)


def community_matcher(session: Session, organization_ids: Iterable[int] | None = None) -> Callable[[str], NameMatch]:
    """`match_community` for several texts: the communities and their names are read once (a command that
    tries several readings of what was typed, as `สลับเจ้าภาพ` does, read them for each)."""
    # Aliases in one more statement, not one per community (a district has dozens, Bangkok thousands).
    query = select(Community).options(selectinload(Community.aliases))
    if organization_ids is not None:
        query = query.where(Community.organization_id.in_(list(organization_ids)))
    candidates: list[tuple[str, Community | Network]] = []
    for community in session.scalars(query):
        candidates.append((name_key(community.name), community))
        candidates.extend((name_key(a.name), community) for a in community.aliases)
    return lambda text: _best(text, candidates)


def match_network(session: Session, text: str, organization_ids: Iterable[int] | None = None) -> NameMatch:
    """Find a network by name, as forgivingly as a community: `โซน 1` and `zone 1` find `เครือข่ายโซน 1`."""
    query = select(Network)
    if organization_ids is not None:
        query = query.where(Network.organization_id.in_(list(organization_ids)))
    return _best(text, [(_network_key(n.name), n) for n in session.scalars(query)], key=_network_key)


def _network_key(name: str) -> str:
    """A network's name without the word "เครือข่าย" / "network", which people add or drop, and with
    English "zone" read as โซน (zone networks are named "เครือข่ายโซน N")."""
    key = name_key(name)
    return (NETWORK_PREFIX.sub("", key) or key).replace("zone", "โซน")


def _best(text: str, candidates: list[tuple[str, Community | Network]],
          key: Callable[[str], str] = name_key) -> NameMatch:
    found = _closest(key(text), candidates)
    if found.found is None:
        # "ตลาดบางนาค่ะ", "โซน 1 ครับ": a name is read without the polite ending when it is not found with it.
        plain = strip_polite(text)
        if plain and plain != text.strip():
            without = _closest(key(plain), candidates)
            if (without.found is not None or (without.containing and not found.containing)
                    or (without.suggestions and not found.suggestions)):
                return without
    return found


def _closest(key: str, candidates: list[tuple[str, Community | Network]]) -> NameMatch:
    """The candidate whose key is (nearly) this key of the typed name."""
    if not key:
        return NameMatch(None, [])
    exact = {id(c): c for k, c in candidates if k == key}
    if len(exact) == 1:
        return NameMatch(next(iter(exact.values())), [])
    scored: dict[int, tuple[float, Community | Network]] = {}
    for k, candidate in candidates:
        score = difflib.SequenceMatcher(None, key, k).ratio()
        if key in k or k in key:
            score = max(score, 0.75)
        if score > scored.get(id(candidate), (0.0, None))[0]:
            scored[id(candidate)] = (score, candidate)
    ranked = sorted(scored.values(), key=lambda pair: (-pair[0], pair[1].name))
    if ranked and ranked[0][0] >= 0.9 and (len(ranked) == 1 or ranked[1][0] < 0.8):
        return NameMatch(ranked[0][1], [])
    containing = {id(c): c for k, c in candidates if key in k}
    return NameMatch(None, [c for score, c in ranked[:3] if score >= 0.5],
                     sorted(containing.values(), key=lambda c: (c.name, c.id)))


# Polite particles people end a name with ("สมปอง แก้วมณี ครับ", "มาลี ศรีสุขค่ะ", "สมศรี ใจดี นะคะ"). นะ comes
# off only as a word of its own: a name may end in it ("สมชาย ชนะครับ" is สมชาย ชนะ).
_NAME_PARTICLES = ("ครับผม", "ครับ", "ค่ะ", "คะ", "ค่า", "จ้า", "จ้ะ", "จ๊ะ")


# How people introduce themselves before their name ("ชื่อ ประไพ ทองดี ค่ะ", "ผมชื่อสมปอง", "ดิฉันชื่อ …",
# "my name is Tom"): none of it is part of the name.
_NAME_INTRO = re.compile(
    r"^(?:(?:(?:กระ)?ผม|ดิฉัน|ดิชั้น|ฉัน|หนู|เรา|ข้าพเจ้า)\s*)?ชื่อ(?:\s*ว่า|\s*คือ)?\s*(?=\S)"
    r"|^(?:my\s+name\s+is|my\s+name's|i\s+am|i'm)\s+(?=\S)",
    re.IGNORECASE)


def person_name(text: str) -> str:
    """A name as typed, without an introduction ("ผมชื่อ"), the polite particles and the emoji or punctuation
    after it."""
    name = clean(text)
    name = _NAME_INTRO.sub("", name, count=1) or name
    while True:
        before = name
        while name and unicodedata.category(name[-1])[0] in "SPZ" and name[-1] not in ")]":
            name = name[:-1]  # "ครับ 🙏", "ค่ะ!"
        for particle in _NAME_PARTICLES:
            if name.endswith(particle) and len(name) > len(particle):
                name = name[:-len(particle)].rstrip()
                break
        if name.endswith(" นะ"):
            name = name[:-2].rstrip()
        if name == before:
            return name


def valid_name(text: str) -> bool:
    """A person's name: some letters, not too long, not only emoji or digits."""
    stripped = text.strip()
    return 0 < len(stripped) <= NAME_LIMIT and any(ch.isalpha() for ch in stripped)


def name_refusal(text: str, invalid_key: str) -> str | None:
    """The catalogue key saying why this is no person's name (too long, or `invalid_key`), or None."""
    if valid_name(text):
        return None
    return "register.name_too_long" if len(text.strip()) > NAME_LIMIT else invalid_key


def normalize_phone(text: str) -> str | None:
    """A Thai phone number as 0XXXXXXXXX (Thai digits, dashes, spaces and +66 accepted), or None."""
    digits = re.sub(r"[\s\-().]", "", unicodedata.normalize("NFKC", text).translate(THAI_DIGITS))
    if digits.startswith("+66"):
        digits = "0" + digits[3:]
    elif digits.startswith("66") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not re.fullmatch(r"0\d{8,9}", digits):
        return None
    # Mobiles are 10 digits (06, 08, 09); landlines 9 (02 Bangkok, 03x–07x provinces).
    if digits[1] in "689" and len(digits) != 10:
        return None
    if digits[1] not in "689" and len(digits) != 9:
        return None
    return digits


# Digits written together or in groups ("081 234 5678", "02-123-4567", "+66 81 234 5678"); a word or a
# slash between two groups ends a number.
_DIGIT_RUN = re.compile(r"\+?\d+(?:[\s\-().]*\d+)*")
_DIGIT_GROUP = re.compile(r"\+?\d+")


def phones_in(text: str) -> list[str]:
    """Every different Thai phone number in an answer, normalised as `normalize_phone` does, in order:
    "081-234-5678 ค่ะ", "เบอร์ 081 234 5678 ของลูกสาว" and "๐๘๑๒๓๔๕๖๗๘" each hold one. Two numbers side by
    side ("0812345678 0898765432") are two: within a run of digit groups, each number is the fewest groups
    that make a valid one."""
    found: dict[str, None] = {}
    plain = unicodedata.normalize("NFKC", text).translate(THAI_DIGITS)
    for run in _DIGIT_RUN.finditer(plain):
        groups = _DIGIT_GROUP.findall(run[0])
        start = 0
        while start < len(groups):
            for end in range(start + 1, len(groups) + 1):
                joined = "".join(groups[start:end])
                phone = normalize_phone(joined)
                if phone is not None or len(joined.lstrip("+")) >= 11:
                    break
            if phone is not None:
                found.setdefault(phone)
                start = end
            else:
                start += 1
    return list(found)


def phone_answer(text: str) -> tuple[str | None, str | None]:
    """The one phone number in an answer and None, or None and the catalogue key saying why not (there is
    no number, or two different ones). Only the number is kept, never the words around it."""
    phones = phones_in(text)
    if len(phones) == 1:
        return phones[0], None
    return None, "register.phone_several" if phones else "register.phone_invalid"
