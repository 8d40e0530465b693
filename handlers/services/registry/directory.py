"""What the directory and group commands read (handlers/directory.py, handlers/groups.py): rosters, managed
communities, a member's networks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models import Community, Membership, Network, NetworkKind, Person, RoleName, WebhookEvent, community_issue_network
from handlers.services.registry.chats import zone_networks
from handlers.services.registry.people import ROLE_RANK


# Highest first: the order roles are listed and counted in.
ROLES_BY_RANK = sorted(ROLE_RANK, key=lambda role: -ROLE_RANK[role])


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
