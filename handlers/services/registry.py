"""Registry service functions: people, roles and their scopes, name matching, invites, linked chats.

Handlers and scheduler jobs call these; they only touch the database (no LINE, no Flask).
"""

from __future__ import annotations

import difflib
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, delete, func, literal, or_, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from handlers.dispatcher import CONVERSATION_COLUMNS, OpenConversation, Profile, Source
from handlers.registry import Role, clean, strip_polite
from handlers.services import seats
from models import (
    Activity,
    Alias,
    Answer,
    ChatLink,
    Community,
    Conversation,
    InviteCode,
    Membership,
    Network,
    NetworkKind,
    NoticeAck,
    Organization,
    OutboxMessage,
    OutboxState,
    Person,
    RoleName,
    Rsvp,
    WebhookEvent,
    community_issue_network,
)

# Bump when the consent text changes: people who agreed to an older text are asked again.
CONSENT_VERSION = "2026-11"
INVITE_TTL = timedelta(days=7)
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud and retyped
NAME_LIMIT = 200

ROLE_RANK = {
    RoleName.MEMBER: Role.MEMBER,
    RoleName.PARTNER: Role.PARTNER,
    RoleName.COMMUNITY_LEADER: Role.COMMUNITY_LEADER,
    RoleName.NETWORK_CHAIR: Role.NETWORK_CHAIR,
    RoleName.STAFF: Role.STAFF,
}

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# Words people add or drop when they write a community's name.
NAME_NOISE = re.compile(r"^(ชุมชน|ชม\.|ช\.|community)\s*|\s+|[.\-_'\"(),]")
# ... and from a network's (after name_key): "โซน 1" for "เครือข่ายโซน 1".
NETWORK_PREFIX = re.compile(r"^(เครือข่าย|network)")


def find_person(session: Session, line_user_id: str | None) -> Person | None:
    """The person with this LINE user id, if Saiyai knows them."""
    if not line_user_id:
        return None
    return session.scalars(select(Person).where(Person.line_user_id == line_user_id)).first()


def memberships(session: Session, person: Person | None) -> list[Membership]:
    """Every role the person holds."""
    if person is None:
        return []
    return list(session.scalars(select(Membership).where(Membership.person_id == person.id)))


def highest_role(held: Iterable[Membership]) -> Role:
    """The most privileged role among the memberships (ANYONE when there are none)."""
    return max((ROLE_RANK[RoleName(m.role)] for m in held), default=Role.ANYONE)


def is_registered(person: Person | None) -> bool:
    """Registered means: agreed to the current consent text."""
    return person is not None and person.consent_version is not None


# --- scopes -----------------------------------------------------------------------------------

def community_networks(session: Session, community: Community) -> set[int]:
    """Ids of the community's zone network and every issue network it belongs to."""
    issue_ids = session.scalars(select(community_issue_network.c.network_id)
                                .where(community_issue_network.c.community_id == community.id))
    return {community.zone_id, *issue_ids}


def can_manage_community(session: Session, held: Sequence[Membership], community: Community) -> bool:
    """Staff of its organization, the chair of one of its networks, or one of its leaders."""
    networks: set[int] | None = None
    for m in held:
        if m.role == RoleName.STAFF and m.organization_id == community.organization_id:
            return True
        if m.role == RoleName.COMMUNITY_LEADER and m.community_id == community.id:
            return True
        if m.role == RoleName.NETWORK_CHAIR:
            networks = community_networks(session, community) if networks is None else networks
            if m.network_id in networks:
                return True
    return False


def can_manage_network(held: Sequence[Membership], network: Network) -> bool:
    """Staff of its organization or its chair."""
    return any(
        (m.role == RoleName.STAFF and m.organization_id == network.organization_id)
        or (m.role == RoleName.NETWORK_CHAIR and m.network_id == network.id)
        for m in held
    )


def organizations_of(held: Sequence[Membership]) -> set[int]:
    return {m.organization_id for m in held}


# --- names ------------------------------------------------------------------------------------

def name_key(text: str) -> str:
    """A community name reduced to what tells it apart: no spaces, punctuation or 'ชุมชน' prefix."""
    text = unicodedata.normalize("NFKC", text).translate(THAI_DIGITS).casefold().strip()
    return NAME_NOISE.sub("", NAME_NOISE.sub("", text))


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


@dataclass(frozen=True)
class NameMatch:
    found: Community | Network | None
    suggestions: list[Community | Network]
    # With nothing found: every candidate whose name or alias holds the typed text ("บางนา" is part of 16
    # names), by name. The fuzzy `suggestions` stop at three; a picker offers all of these.
    containing: list[Community | Network] = field(default_factory=list)


def match_community(session: Session, text: str, organization_ids: Iterable[int] | None = None) -> NameMatch:
    """Find a community by name or alias, forgiving spacing, prefixes and small typos."""
    # Aliases in one more statement, not one per community (a district has dozens, Bangkok thousands).
    query = select(Community).options(selectinload(Community.aliases))
    if organization_ids is not None:
        query = query.where(Community.organization_id.in_(list(organization_ids)))
    candidates: list[tuple[str, Community]] = []
    for community in session.scalars(query):
        candidates.append((name_key(community.name), community))
        candidates.extend((name_key(a.name), community) for a in community.aliases)
    return _best(text, candidates)


def match_network(session: Session, text: str, organization_ids: Iterable[int] | None = None) -> NameMatch:
    """Find a network by name, as forgivingly as a community: `โซน 1` and `zone 1` find `เครือข่ายโซน 1`."""
    query = select(Network)
    if organization_ids is not None:
        query = query.where(Network.organization_id.in_(list(organization_ids)))
    return _best(_network_key(text), [(_network_key(n.name), n) for n in session.scalars(query)], keyed=True)


def _network_key(name: str) -> str:
    """A network's name without the word "เครือข่าย" / "network", which people add or drop, and with
    English "zone" read as โซน (zone networks are named "เครือข่ายโซน N")."""
    key = name_key(name)
    return (NETWORK_PREFIX.sub("", key) or key).replace("zone", "โซน")


def _best(text: str, candidates: list[tuple[str, Community | Network]], keyed: bool = False) -> NameMatch:
    found = _closest(text, candidates, keyed)
    if found.found is None and not keyed:
        # "ตลาดบางนาค่ะ": a name is read without the polite ending when it is not found with it.
        plain = strip_polite(text)
        if plain and plain != text.strip():
            without = _closest(plain, candidates, keyed)
            if (without.found is not None or (without.containing and not found.containing)
                    or (without.suggestions and not found.suggestions)):
                return without
    return found


def _closest(text: str, candidates: list[tuple[str, Community | Network]], keyed: bool) -> NameMatch:
    key = text if keyed else name_key(text)
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


def person_name(text: str) -> str:
    """A name as typed, without the polite particles and the emoji or punctuation after it."""
    name = clean(text)
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


# --- registration -----------------------------------------------------------------------------

def register_person(session: Session, line_user_id: str, *, full_name: str, community: Community | None,
                    phone: str | None, display_name: str | None, now: datetime) -> Person:
    """Create or update the person (consent given now) and their membership of the community."""
    person = find_person(session, line_user_id)
    if person is None:
        person = Person(line_user_id=line_user_id, created_at=now)
        session.add(person)
    person.full_name, person.phone = full_name, phone
    person.display_name = display_name or person.display_name
    person.consent_version, person.consented_at, person.updated_at = CONSENT_VERSION, now, now
    person.blocked_at = None
    session.flush()
    if community is not None:
        join_community(session, person, community, now)
    return person


def join_community(session: Session, person: Person, community: Community, now: datetime) -> Membership:
    """Make the person a member of the community; one member community per organization (moving updates)."""
    existing = session.scalars(select(Membership).where(
        Membership.person_id == person.id, Membership.role == RoleName.MEMBER,
        Membership.organization_id == community.organization_id)).first()
    if existing is not None:
        existing.community_id, existing.network_id = community.id, None
        return existing
    membership = Membership(person_id=person.id, role=RoleName.MEMBER, organization_id=community.organization_id,
                            community_id=community.id, created_at=now)
    session.add(membership)
    session.flush()
    return membership


def member_community_in(session: Session, person: Person, organization_id: int) -> Community | None:
    """The community the person is a member of in this organization (`join_community` keeps one), or None."""
    return session.scalars(select(Community).join(Membership, Membership.community_id == Community.id).where(
        Membership.person_id == person.id, Membership.role == RoleName.MEMBER,
        Membership.organization_id == organization_id)).first()


def member_community(session: Session, person: Person | None) -> Community | None:
    """The community the person registered into (their first membership with a community)."""
    if person is None:
        return None
    return session.scalars(select(Community).join(Membership, Membership.community_id == Community.id)
                           .where(Membership.person_id == person.id)
                           .order_by(Membership.role == RoleName.MEMBER, Membership.id)).first()


def grant(session: Session, person: Person, role: RoleName, organization: Organization, *,
          network: Network | None = None, community: Community | None = None, title: str | None = None,
          now: datetime) -> Membership:
    """Give a role (idempotent: granting it again returns the existing membership)."""
    existing = session.scalars(select(Membership).where(
        Membership.person_id == person.id, Membership.role == role, Membership.organization_id == organization.id,
        _same(Membership.network_id, network), _same(Membership.community_id, community))).first()
    if existing is not None:
        existing.title = title or existing.title
        return existing
    membership = Membership(person_id=person.id, role=role, organization_id=organization.id,
                            network_id=network.id if network else None,
                            community_id=community.id if community else None, title=title, created_at=now)
    session.add(membership)
    session.flush()
    return membership


def _same(column, target):
    return column.is_(None) if target is None else column == target.id


def ensure_person(session: Session, line_user_id: str, now: datetime) -> Person:
    """The person row for a user id, created without any personal data (e.g. staff granted from the CLI)."""
    person = find_person(session, line_user_id)
    if person is None:
        person = Person(line_user_id=line_user_id, created_at=now, updated_at=now)
        session.add(person)
        session.flush()
    return person


# --- invites ----------------------------------------------------------------------------------

def create_invite(session: Session, role: RoleName, organization_id: int, *, now: datetime,
                  network: Network | None = None, community: Community | None = None,
                  created_by: Person | None = None, ttl: timedelta = INVITE_TTL) -> InviteCode:
    """A fresh single-use code for a leader (of a community) or a chair (of a network)."""
    invite = InviteCode(code="-".join("".join(secrets.choice(INVITE_ALPHABET) for _ in range(4)) for _ in range(2)),
                        role=role, organization_id=organization_id,
                        network_id=network.id if network else None,
                        community_id=community.id if community else None,
                        created_by_id=created_by.id if created_by else None,
                        expires_at=now + ttl, created_at=now)
    session.add(invite)
    session.flush()
    return invite


class InviteError(Exception):
    """Why a code cannot be used: unknown, used or expired (the message is a catalogue key)."""


def invite_by_code(session: Session, code: str) -> InviteCode | None:
    """The code that was typed (spacing, dashes and case forgiven), used or not."""
    cleaned = re.sub(r"[\s\-]", "", code.upper())
    if len(cleaned) != 8:
        return None
    return session.scalars(select(InviteCode).where(InviteCode.code == f"{cleaned[:4]}-{cleaned[4:]}")).first()


def find_invite(session: Session, code: str, now: datetime) -> InviteCode:
    """The usable code that was typed, without using it; InviteError says why not."""
    invite = invite_by_code(session, code)
    if invite is None:
        raise InviteError("invite.unknown")
    if invite.used_at is not None:
        raise InviteError("invite.used")
    if invite.expires_at <= now:
        raise InviteError("invite.expired")
    return invite


def take_invite(session: Session, invite: InviteCode, person: Person, now: datetime) -> None:
    """Use a code once: a conditional update, so two people cannot both take it."""
    taken = session.execute(update(InviteCode).where(InviteCode.id == invite.id, InviteCode.used_at.is_(None))
                            .values(used_at=now, used_by_id=person.id))
    if taken.rowcount != 1:
        raise InviteError("invite.used")


def redeem_invite(session: Session, person: Person, code: str, now: datetime) -> Membership:
    """Use a code that gives a role: single-use and unexpired."""
    invite = find_invite(session, code, now)
    if invite.person_id is not None:  # a link code (`ผูกไลน์`) gives no role: handlers/members.py takes it
        raise InviteError("invite.unknown")
    take_invite(session, invite, person, now)
    organization = session.get(Organization, invite.organization_id)
    network = session.get(Network, invite.network_id) if invite.network_id else None
    community = session.get(Community, invite.community_id) if invite.community_id else None
    return grant(session, person, RoleName(invite.role), organization, network=network, community=community, now=now)


# --- members without LINE who get it later (`ผูกไลน์`, handlers/members.py) ----------------------

def create_link_code(session: Session, offline: Person, community: Community, by: Person | None,
                     now: datetime) -> InviteCode:
    """A code that links this member without LINE to the LINE of whoever uses it; older codes for them stop
    working, so only the code the leader gave last is valid."""
    session.execute(update(InviteCode).where(InviteCode.person_id == offline.id, InviteCode.used_at.is_(None),
                                             InviteCode.expires_at > now).values(expires_at=now))
    invite = create_invite(session, RoleName.MEMBER, community.organization_id, now=now, community=community,
                           created_by=by)
    invite.person_id = offline.id
    session.flush()
    return invite


def link_line(session: Session, offline: Person, user_id: str, lang: str | None, now: datetime) -> None:
    """Give the member's row this LINE user id: from now on they are reached and answer themselves. They
    agreed in LINE just now, so the consent is theirs, no longer recorded by a leader."""
    offline.line_user_id, offline.language = user_id, lang
    offline.consent_version, offline.consented_at, offline.consent_recorded_by_id = CONSENT_VERSION, now, None
    offline.blocked_at, offline.updated_at = None, now
    session.flush()


def namesakes_without_line(session: Session, community: Community, name: str) -> list[Person]:
    """Members of this community without LINE whom a leader registered under this name (titles forgiven)."""
    key = person_key(name)
    return [p for p in session.scalars(select(Person).join(Membership, Membership.person_id == Person.id).where(
        Membership.community_id == community.id, Person.line_user_id.is_(None)).order_by(Person.id))
        if person_key(p.full_name or "") == key]


def merge_offline(session: Session, offline: Person, person: Person, now: datetime) -> int:
    """Fold a member without LINE into the registered person they turned out to be: their answers move over
    (where the person answered the same activity or notice themselves, their own answer stands), then the
    row without LINE is deleted with its membership. Returns how many answers moved."""
    moved = 0
    holding = _seats_held(session, offline)
    for model, other in ((Rsvp, Rsvp.activity_id), (NoticeAck, NoticeAck.notice_id)):
        own = select(other).where(model.person_id == person.id).scalar_subquery()
        moved += session.execute(update(model).where(model.person_id == offline.id, other.not_in(own))
                                 .values(person_id=person.id).execution_options(synchronize_session=False)).rowcount
    session.execute(update(InviteCode).where(InviteCode.person_id == offline.id, InviteCode.used_at.is_(None))
                    .values(expires_at=now))
    # The number the leader wrote down (often a relative's) stays reachable if they gave none themselves.
    person.phone = person.phone or offline.phone
    person.updated_at = now
    session.delete(offline)  # its remaining answers (those the person gave too) and membership go with it
    session.flush()
    _seats_freed(session, holding, now)  # where both held a seat, one is free now
    return moved


# --- linked chats -----------------------------------------------------------------------------

def chat_link(session: Session, chat_id: str) -> ChatLink | None:
    """The community or network this group is linked to (None if unlinked or the bot left)."""
    return session.scalars(select(ChatLink).where(ChatLink.chat_id == chat_id, ChatLink.left_at.is_(None))).first()


def link_chat(session: Session, chat_id: str, target: Community | Network, person: Person | None,
              now: datetime) -> ChatLink:
    """Link a group to a community or network (relinking moves it)."""
    link = session.scalars(select(ChatLink).where(ChatLink.chat_id == chat_id)).first()
    if link is None:
        link = ChatLink(chat_id=chat_id, organization_id=target.organization_id, linked_at=now)
        session.add(link)
    link.organization_id = target.organization_id
    link.community_id = target.id if isinstance(target, Community) else None
    link.network_id = target.id if isinstance(target, Network) else None
    link.linked_by_id, link.linked_at, link.left_at = (person.id if person else None), now, None
    session.flush()
    return link


def zone_networks(session: Session, organization_id: int) -> list[Network]:
    return list(session.scalars(select(Network).where(Network.organization_id == organization_id,
                                                      Network.kind == NetworkKind.ZONE).order_by(Network.name)))


def member_counts(session: Session, community_ids: Sequence[int]) -> dict[int, int]:
    """Registered people per community (any role held in it)."""
    rows = session.execute(select(Membership.community_id, func.count(func.distinct(Membership.person_id)))
                           .where(Membership.community_id.in_(community_ids))
                           .group_by(Membership.community_id))
    return {community_id: count for community_id, count in rows}


# --- forgetting -------------------------------------------------------------------------------

# Rows that still hold text and recipients: a sent row keeps neither (bot/outbox.py), so erasure reads the
# backlog only (the state index), never the whole outbox.
_UNSENT = (OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING, OutboxState.DEAD]),)

def forget_person(session: Session, person: Person, now: datetime) -> None:
    """Erase everything personal about someone, in the caller's transaction; counts elsewhere stay anonymous.

    Answers to meetings that have ended stay, without the person, so past attendance (counts, check-ins,
    the monthly summary) does not change; answers to meetings still to come go with them, freeing a seat."""
    user_id = person.line_user_id
    ended = select(Activity.id).where(Activity.ends_at <= now)
    session.execute(update(Rsvp).where(Rsvp.person_id == person.id, Rsvp.activity_id.in_(ended))
                    .values(person_id=None, proxy_by_id=None).execution_options(synchronize_session=False))
    holding = _seats_held(session, person)
    if user_id is not None:  # a member without LINE has no chats, log or messages (`== None` would match all)
        _forget_user_id(session, user_id)
    session.delete(person)
    session.flush()
    _seats_freed(session, holding, now)


def _seats_held(session: Session, person: Person) -> list[Activity]:
    """Activities still to come where the person's answer holds or waits for seats: those the person's
    leaving may free (read before the answers go)."""
    return list(session.scalars(select(Activity).where(Activity.id.in_(
        select(Rsvp.activity_id).where(Rsvp.person_id == person.id, Rsvp.answer == Answer.GOING)),
        Activity.capacity.is_not(None)).order_by(Activity.id)))


def _seats_freed(session: Session, activities: Sequence[Activity], now: datetime) -> None:
    """The seats of answers that went are given to the waitlist, in this transaction (seats.py)."""
    for activity in activities:
        if activity.ends_at > now:
            seats.seats_freed(session, activity, now)


def _forget_user_id(session: Session, user_id: str) -> None:
    """Erase what is kept under a LINE user id: conversations, the command log's ids, queued messages."""
    session.execute(delete(Conversation).where(or_(Conversation.user_id == user_id, Conversation.chat_id == user_id)))
    # A 1:1 chat's id is its user's id, so one indexed statement clears both.
    session.execute(update(WebhookEvent).where(WebhookEvent.user_id == user_id).values(
        user_id=None, chat_id=case((WebhookEvent.chat_id == user_id, None), else_=WebhookEvent.chat_id)))
    session.execute(delete(OutboxMessage).where(OutboxMessage.target == user_id))
    # Multicast rows list many users: take this one out of every list still holding it. Sent rows keep
    # no list (bot/outbox.py), so only the backlog is read, not the month of history.
    for row in session.scalars(select(OutboxMessage).where(*_UNSENT, OutboxMessage.recipients.is_not(None))):
        if row.recipients and user_id in row.recipients:
            row.recipients = [r for r in row.recipients if r != user_id]
            row.recipient_count = len(row.recipients)


# The sender's person, roles and conversation in this chat, in one statement and one round trip (this
# runs for every message addressed to the bot). The one-row base keeps the row when either is missing.
_ONE_ROW = select(literal(1).label("one")).subquery("sender")
_SENDER = (select(Person, *CONVERSATION_COLUMNS).select_from(_ONE_ROW)
           .outerjoin(Person, Person.line_user_id == bindparam("user"))
           .outerjoin(Conversation, and_(Conversation.chat_id == bindparam("chat"),
                                         Conversation.user_id == bindparam("user")))
           .options(joinedload(Person.memberships)))


def load_profile(session: Session, source: Source) -> Profile:
    """The dispatcher's profile loader: the sender's chosen language, highest role and memberships, and
    their conversation in this chat (expired or not: the dispatcher decides)."""
    person = conversation = None
    if source.user_id:
        row = session.execute(_SENDER, {"user": source.user_id, "chat": source.chat_id}).unique().first()
        if row is not None:
            person = row[0]
            conversation = OpenConversation(*row[1:]) if row[1] is not None else None
    held = list(person.memberships) if person else []
    return Profile(lang=person.language if person else None, role=highest_role(held), person=person,
                   memberships=tuple(held), conversation=conversation)


# --- bootstrap: organizations, the CSV import, who may create invite codes -----------------------
# (Used by `flask --app bot org ...` in bot/cli.py and by handlers/invites.py.)

def find_organization(session: Session, name: str) -> Organization | None:
    """The organization with this name, forgiving spacing and width."""
    key = name_key(name)
    if not key:
        return None
    return next((o for o in session.scalars(select(Organization).order_by(Organization.id))
                 if name_key(o.name) == key), None)


def create_organization(session: Session, name: str, now: datetime) -> tuple[Organization, bool]:
    """The organization with this name, created if new; the flag says whether it was created."""
    existing = find_organization(session, name)
    if existing is not None:
        return existing, False
    organization = Organization(name=clean(name), created_at=now)
    session.add(organization)
    session.flush()
    return organization, True


@dataclass(frozen=True)
class CommunityRow:
    """One row of a registry CSV: a community, its zone, other spellings and issue networks."""

    line: int
    community: str
    zone: str
    aliases: tuple[str, ...] = ()
    issue_networks: tuple[str, ...] = ()


@dataclass
class ImportReport:
    """What an import did (or, with errors, why it did nothing)."""

    errors: list[str]
    rows: int = 0
    zones_created: int = 0
    zones_existing: int = 0
    issues_created: int = 0
    issues_existing: int = 0
    communities_created: int = 0
    communities_moved: int = 0
    communities_unchanged: int = 0
    aliases_added: int = 0
    aliases_known: int = 0
    issue_links_added: int = 0


def import_communities(session: Session, organization: Organization, rows: Sequence[CommunityRow],
                       now: datetime) -> ImportReport:
    """Create zone and issue networks, communities and aliases; idempotent, and all or nothing.

    Names are compared with `name_key` (so "ชุมชน", spacing and Thai digits do not make a new
    community) but never fuzzily: two similar names are two communities. Existing names are kept;
    a community listed under another zone moves there; aliases and issue links are only added.
    Any bad row means nothing is written and every problem comes back in `errors`.
    """
    report = ImportReport(errors=[], rows=len(rows))
    networks = {name_key(n.name): n for n in session.scalars(
        select(Network).where(Network.organization_id == organization.id))}
    communities = {name_key(c.name): c for c in session.scalars(
        select(Community).where(Community.organization_id == organization.id))}
    alias_owner = {name_key(a.name): key for key, c in communities.items() for a in c.aliases}

    planned: dict[str, dict] = {}      # community key -> what the file says about it
    zones: dict[str, str] = {}         # zone key -> name as first written
    issues: dict[str, str] = {}
    errors = report.errors
    for row in rows:
        name, zone = clean(row.community), clean(row.zone)
        key, zone_key = name_key(name), name_key(zone)
        where = f"line {row.line}"
        if not name:
            errors.append(f"{where}: the community name is empty")
        elif not key:
            errors.append(f"{where}: “{name}” is not a community name")
        elif len(name) > NAME_LIMIT:
            errors.append(f"{where}: the community name is longer than {NAME_LIMIT} characters")
        if not zone:
            errors.append(f"{where}: the zone is empty" + (f" (community “{name}”)" if name else ""))
        elif not zone_key or len(zone) > NAME_LIMIT:
            errors.append(f"{where}: “{zone[:40]}” is not a zone name")
        if not key or not zone_key or len(name) > NAME_LIMIT or len(zone) > NAME_LIMIT:
            continue
        existing_zone = networks.get(zone_key)
        if existing_zone is not None and existing_zone.kind != NetworkKind.ZONE:
            article = "an" if existing_zone.kind[0] in "aeiou" else "a"
            errors.append(f"{where}: “{zone}” is {article} {existing_zone.kind} network, not a zone")
        zones.setdefault(zone_key, zone)
        if key in alias_owner and alias_owner[key] != key:
            errors.append(f"{where}: “{name}” is already another name of "
                          f"“{_community_name(alias_owner[key], communities, planned)}”")
            continue
        entry = planned.setdefault(key, {"name": name, "zone": zone_key, "line": row.line,
                                         "aliases": [], "issues": []})
        if entry["zone"] != zone_key:
            errors.append(f"{where}: “{name}” is in zone “{zone}” here but in "
                          f"“{zones[entry['zone']]}” on line {entry['line']}")
        for alias in map(clean, row.aliases):
            alias_key = name_key(alias)
            if not alias_key:
                continue
            owner = alias_owner.get(alias_key, key)
            if alias_key != key and (alias_key in communities or alias_key in planned):
                errors.append(f"{where}: “{alias}”, given as another name of “{name}”, is the name of "
                              f"another community")
            elif owner != key:
                errors.append(f"{where}: “{alias}”, given as another name of “{name}”, already belongs to "
                              f"“{_community_name(owner, communities, planned)}”")
            else:
                alias_owner[alias_key] = key
                entry["aliases"].append(alias)
        for issue in map(clean, row.issue_networks):
            issue_key = name_key(issue)
            if not issue_key:
                continue
            existing_issue = networks.get(issue_key)
            if issue_key in zones or (existing_issue is not None and existing_issue.kind == NetworkKind.ZONE):
                errors.append(f"{where}: “{issue}” is a zone, not an issue network")
                continue
            issues.setdefault(issue_key, issue)
            entry["issues"].append(issue_key)
    # A name first seen as a zone and later as an issue network (or the other way round).
    for issue_key, issue in issues.items():
        if issue_key in zones:
            errors.append(f"“{issue}” is used both as a zone and as an issue network")
    if errors:
        return report

    for zone_key, zone in zones.items():
        if zone_key in networks:
            report.zones_existing += 1
            continue
        networks[zone_key] = Network(organization_id=organization.id, name=zone, kind=NetworkKind.ZONE)
        session.add(networks[zone_key])
        report.zones_created += 1
    for issue_key, issue in issues.items():
        if issue_key in networks:
            report.issues_existing += 1
            continue
        networks[issue_key] = Network(organization_id=organization.id, name=issue, kind=NetworkKind.ISSUE)
        session.add(networks[issue_key])
        report.issues_created += 1
    session.flush()

    for key, entry in planned.items():
        zone_network = networks[entry["zone"]]
        community = communities.get(key)
        if community is None:
            community = Community(organization_id=organization.id, name=entry["name"], zone_id=zone_network.id)
            session.add(community)
            communities[key] = community
            report.communities_created += 1
        elif community.zone_id != zone_network.id:
            community.zone_id = zone_network.id
            report.communities_moved += 1
        else:
            report.communities_unchanged += 1
        known = {key, *(name_key(a.name) for a in community.aliases)}
        for alias in entry["aliases"]:
            if name_key(alias) in known:
                report.aliases_known += 1
                continue
            known.add(name_key(alias))
            community.aliases.append(Alias(name=alias))
            report.aliases_added += 1
        for issue_key in dict.fromkeys(entry["issues"]):
            network = networks[issue_key]
            if network not in community.issue_networks:
                community.issue_networks.append(network)
                report.issue_links_added += 1
    session.flush()
    return report


def _community_name(key: str, communities: dict[str, Community], planned: dict[str, dict]) -> str:
    return communities[key].name if key in communities else planned[key]["name"]


def can_invite_leader(session: Session, held: Sequence[Membership], community: Community) -> bool:
    """Staff of its organization or the chair of one of its networks (a leader does not invite leaders)."""
    inviters = [m for m in held if m.role in (RoleName.STAFF, RoleName.NETWORK_CHAIR)]
    return can_manage_community(session, inviters, community)


def can_invite_chair(held: Sequence[Membership], network: Network) -> bool:
    """Only staff of the network's organization create codes for network chairs."""
    return any(m.role == RoleName.STAFF and m.organization_id == network.organization_id for m in held)


def chaired_communities(session: Session, held: Sequence[Membership]) -> list[Community]:
    """The communities in every network the person chairs (zone or issue), by name."""
    chaired = [m.network_id for m in held if m.role == RoleName.NETWORK_CHAIR and m.network_id]
    if not chaired:
        return []
    in_issue = select(community_issue_network.c.community_id).where(
        community_issue_network.c.network_id.in_(chaired))
    found = session.scalars(select(Community).where(or_(Community.zone_id.in_(chaired), Community.id.in_(in_issue))))
    return sorted(found, key=lambda c: c.name)  # in Python: the same order on every database's collation


def organization_communities(session: Session, organization_ids: Iterable[int]) -> list[Community]:
    """Every community of these organizations, by name (sorted here: collations order Thai differently)."""
    ids = list(organization_ids)
    if not ids:
        return []
    return sorted(session.scalars(select(Community).where(Community.organization_id.in_(ids))),
                  key=lambda c: (c.name, c.id))


def networks_of(session: Session, organization_ids: Iterable[int]) -> list[Network]:
    """The networks of these organizations: zones first, then by name."""
    found = session.scalars(select(Network).where(Network.organization_id.in_(list(organization_ids))))
    return sorted(found, key=lambda n: (n.kind != NetworkKind.ZONE, n.name))


# --- groups and directory (handlers/groups.py, handlers/directory.py) ----------------------------

# Highest first: the order roles are listed and counted in.
ROLES_BY_RANK = sorted(ROLE_RANK, key=lambda role: -ROLE_RANK[role])
# forget_user scrubs names and phones from outgoing messages; shorter strings would cut unrelated words.
MIN_SCRUB_LENGTH = 3
SCRUBBED = "—"


def match_chat_target(session: Session, text: str, organization_ids: Iterable[int] | None = None) -> NameMatch:
    """A community (tried first) or a network to link a group to; `โซน 1` finds `เครือข่ายโซน 1`."""
    organization_ids = None if organization_ids is None else list(organization_ids)
    community = match_community(session, text, organization_ids)
    if community.found is not None:
        return community
    network = match_network(session, text, organization_ids)
    if network.found is not None:
        return network
    return NameMatch(None, [*community.suggestions, *network.suggestions])


def end_chat_link(session: Session, chat_id: str, now: datetime) -> ChatLink | None:
    """The bot left the group: its link ends, so nothing is pushed there any more (relinking restarts it)."""
    link = chat_link(session, chat_id)
    if link is not None:
        link.left_at = now
        session.flush()
    return link


def set_language(person: Person, lang: str, now: datetime) -> None:
    """Remember the reply language a person chose."""
    person.language, person.updated_at = lang, now


def command_log_count(session: Session, line_user_id: str | None) -> int:
    """How many webhook events Saiyai has recorded from this user (times and chats only, no text)."""
    if not line_user_id:
        return 0
    return session.scalar(select(func.count()).select_from(WebhookEvent)
                          .where(WebhookEvent.user_id == line_user_id)) or 0


def managed_communities(session: Session, held: Sequence[Membership]) -> list[Community]:
    """Communities whose members someone may list: staff all of its organization's, a chair its
    network's (zone or issue), a leader its own — the same scopes as can_manage_community. By name."""
    conditions = []
    for m in held:
        if m.role == RoleName.STAFF:
            conditions.append(Community.organization_id == m.organization_id)
        elif m.role == RoleName.NETWORK_CHAIR and m.network_id:
            conditions.append(Community.zone_id == m.network_id)
            conditions.append(Community.id.in_(select(community_issue_network.c.community_id)
                                               .where(community_issue_network.c.network_id == m.network_id)))
        elif m.role == RoleName.COMMUNITY_LEADER and m.community_id:
            conditions.append(Community.id == m.community_id)
    if not conditions:
        return []
    # Sorted here, not by the database: collations order Thai differently on SQLite and PostgreSQL.
    return sorted(session.scalars(select(Community).where(or_(*conditions))), key=lambda c: (c.name, c.id))


@dataclass(frozen=True)
class RosterEntry:
    community: Community
    person: Person
    roles: list[RoleName]  # highest first


def community_roster(session: Session, community_ids: Sequence[int]) -> list[RosterEntry]:
    """Everyone holding a role in these communities, one entry per (community, person):
    by community name, leaders before members, then by name."""
    if not community_ids:
        return []
    rows = session.execute(select(Membership.role, Person, Community)
                           .join(Person, Person.id == Membership.person_id)
                           .join(Community, Community.id == Membership.community_id)
                           .where(Membership.community_id.in_(list(community_ids))))
    grouped: dict[tuple[int, int], tuple[Community, Person, set[RoleName]]] = {}
    for role, person, community in rows:
        grouped.setdefault((community.id, person.id), (community, person, set()))[2].add(RoleName(role))
    entries = [RosterEntry(community, person, [r for r in ROLES_BY_RANK if r in roles])
               for community, person, roles in grouped.values()]
    return sorted(entries, key=lambda e: (e.community.name, e.community.id, -ROLE_RANK[e.roles[0]],
                                          e.person.full_name or "", e.person.id))


def member_networks(session: Session, held: Sequence[Membership]) -> list[Network]:
    """The networks whose communities someone sees: staff its organization's zones, a chair or partner
    its network, a leader or member the zone of its community. By name."""
    found: dict[int, Network] = {}
    for m in held:
        if m.role == RoleName.STAFF:
            found.update((n.id, n) for n in zone_networks(session, m.organization_id))
        elif m.network_id:
            found[m.network_id] = session.get(Network, m.network_id)
        elif m.community_id:
            community = session.get(Community, m.community_id)
            found[community.zone_id] = session.get(Network, community.zone_id)
    return sorted(found.values(), key=lambda n: (n.name, n.id))


def network_communities(session: Session, network: Network) -> list[Community]:
    """A zone's communities, or the communities that joined an issue or sector network. By name."""
    if network.kind == NetworkKind.ZONE:
        query = select(Community).where(Community.zone_id == network.id)
    else:
        query = select(Community).where(Community.id.in_(
            select(community_issue_network.c.community_id).where(community_issue_network.c.network_id == network.id)))
    return sorted(session.scalars(query), key=lambda c: (c.name, c.id))


def forget_user(session: Session, line_user_id: str, now: datetime) -> bool:
    """`forget me`: erase a LINE user, known person or not, and scrub their name and phone from messages
    queued or sent to others (a leader's member list, a nudge). True if a person was erased."""
    person = find_person(session, line_user_id)
    known = person is not None
    secrets_ = [] if person is None else [s for s in (person.full_name, person.display_name, person.phone)
                                          if s and len(s.strip()) >= MIN_SCRUB_LENGTH]
    # A stranger's traces (conversation state, event log) go the same way as a person's.
    forget_person(session, person if person is not None else ensure_person(session, line_user_id, now), now)
    if secrets_:
        for row in session.scalars(select(OutboxMessage).where(*_UNSENT)):
            scrubbed = _scrub(row.messages, secrets_)
            if scrubbed != row.messages:
                row.messages = scrubbed
        session.flush()
    return known



def _scrub(value, secrets_: Sequence[str]):
    """The same JSON value with every secret string replaced (a new object, so the change is saved)."""
    if isinstance(value, str):
        for secret in secrets_:
            value = value.replace(secret, SCRUBBED)
        return value
    if isinstance(value, list):
        return [_scrub(item, secrets_) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, secrets_) for key, item in value.items()}
    return value
