"""Groups linked to a community or network, and the counts a group is shown."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ChatLink, Community, Membership, Network, NetworkKind, Person
from handlers.services.registry.names import NameMatch, match_community, match_network


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
