"""Registry service functions: people, roles and their scopes, name matching, invites, linked chats.

Handlers and scheduler jobs call these; they only touch the database (no LINE, no Flask).
"""

from __future__ import annotations

import difflib
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from handlers.dispatcher import Profile, Source
from handlers.registry import Role
from models import (
    Alias,
    ChatLink,
    Community,
    Conversation,
    InviteCode,
    Membership,
    Network,
    NetworkKind,
    Organization,
    OutboxMessage,
    Person,
    RoleName,
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


@dataclass(frozen=True)
class NameMatch:
    found: Community | Network | None
    suggestions: list[Community | Network]


def match_community(session: Session, text: str, organization_ids: Iterable[int] | None = None) -> NameMatch:
    """Find a community by name or alias, forgiving spacing, prefixes and small typos."""
    query = select(Community)
    if organization_ids is not None:
        query = query.where(Community.organization_id.in_(list(organization_ids)))
    candidates: list[tuple[str, Community]] = []
    for community in session.scalars(query):
        candidates.append((name_key(community.name), community))
        candidates.extend((name_key(a.name), community) for a in community.aliases)
    return _best(text, candidates)


def match_network(session: Session, text: str, organization_ids: Iterable[int] | None = None) -> NameMatch:
    """Find a network by name, as forgivingly as a community."""
    query = select(Network)
    if organization_ids is not None:
        query = query.where(Network.organization_id.in_(list(organization_ids)))
    return _best(text, [(name_key(n.name), n) for n in session.scalars(query)])


def _best(text: str, candidates: list[tuple[str, Community | Network]]) -> NameMatch:
    key = name_key(text)
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
    return NameMatch(None, [c for score, c in ranked[:3] if score >= 0.5])


def valid_name(text: str) -> bool:
    """A person's name: some letters, not too long, not only emoji or digits."""
    stripped = text.strip()
    return 0 < len(stripped) <= NAME_LIMIT and any(ch.isalpha() for ch in stripped)


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


def redeem_invite(session: Session, person: Person, code: str, now: datetime) -> Membership:
    """Use a code: single-use (a conditional update, so two people cannot both take it) and unexpired."""
    cleaned = re.sub(r"[\s\-]", "", code.upper())
    if len(cleaned) != 8:
        raise InviteError("invite.unknown")
    formatted = f"{cleaned[:4]}-{cleaned[4:]}"
    invite = session.scalars(select(InviteCode).where(InviteCode.code == formatted)).first()
    if invite is None:
        raise InviteError("invite.unknown")
    if invite.used_at is not None:
        raise InviteError("invite.used")
    if invite.expires_at <= now:
        raise InviteError("invite.expired")
    taken = session.execute(update(InviteCode).where(InviteCode.id == invite.id, InviteCode.used_at.is_(None))
                            .values(used_at=now, used_by_id=person.id))
    if taken.rowcount != 1:
        raise InviteError("invite.used")
    organization = session.get(Organization, invite.organization_id)
    network = session.get(Network, invite.network_id) if invite.network_id else None
    community = session.get(Community, invite.community_id) if invite.community_id else None
    return grant(session, person, RoleName(invite.role), organization, network=network, community=community, now=now)


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

def forget_person(session: Session, person: Person) -> None:
    """Erase everything personal about someone, in the caller's transaction; counts elsewhere stay anonymous."""
    user_id = person.line_user_id
    session.execute(delete(Conversation).where(or_(Conversation.user_id == user_id, Conversation.chat_id == user_id)))
    session.execute(update(WebhookEvent).where(WebhookEvent.user_id == user_id).values(user_id=None))
    session.execute(update(WebhookEvent).where(WebhookEvent.chat_id == user_id).values(chat_id=None))
    session.execute(delete(OutboxMessage).where(OutboxMessage.target == user_id))
    # Multicast rows list many users: take this one out of every list still holding it.
    for row in session.scalars(select(OutboxMessage).where(OutboxMessage.recipients.is_not(None))):
        if row.recipients and user_id in row.recipients:
            row.recipients = [r for r in row.recipients if r != user_id]
    session.delete(person)
    session.flush()


def load_profile(session: Session, source: Source) -> Profile:
    """The dispatcher's profile loader: the sender's chosen language, highest role and memberships."""
    person = find_person(session, source.user_id)
    held = memberships(session, person)
    return Profile(lang=person.language if person else None, role=highest_role(held), person=person,
                   memberships=tuple(held))
