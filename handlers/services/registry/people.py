"""People and their roles: who a LINE user is, what they hold, what their roles reach, and the sender's profile."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from sqlalchemy import and_, bindparam, literal, select
from sqlalchemy.orm import Session, joinedload

from handlers.dispatcher import CONVERSATION_COLUMNS, OpenConversation, Profile, Source
from handlers.registry import Role
from models import Community, Conversation, Membership, Network, Person, RoleName, community_issue_network


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
