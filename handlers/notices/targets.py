"""What a sender may address: their organization, networks or communities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from handlers.catalog import CATALOGUES
from handlers.context import Context
from handlers.registry import normalize, word_in
from handlers.services import registry as reg
from models import Community, Network, NoticeScope, Organization, RoleName


@dataclass(frozen=True)
class Target:
    kind: NoticeScope
    id: int
    name: str
    organization_id: int

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


def targets(ctx: Context) -> list[Target]:
    """Staff: their organization, its networks and communities; chairs: their networks and those
    networks' communities; leaders: their communities. Networks and communities by name."""
    session = ctx.session
    organizations: dict[int, Organization] = {}
    networks: dict[int, Network] = {}
    communities: dict[int, Community] = {}
    for m in ctx.memberships:
        if m.role == RoleName.STAFF:
            organizations[m.organization_id] = session.get(Organization, m.organization_id)
            networks.update((n.id, n) for n in session.scalars(
                select(Network).where(Network.organization_id == m.organization_id)))
            communities.update((c.id, c) for c in session.scalars(
                select(Community).where(Community.organization_id == m.organization_id)))
        elif m.role == RoleName.NETWORK_CHAIR and m.network_id:
            network = session.get(Network, m.network_id)
            networks[network.id] = network
            communities.update((c.id, c) for c in reg.network_communities(session, network))
        elif m.role == RoleName.COMMUNITY_LEADER and m.community_id:
            communities[m.community_id] = session.get(Community, m.community_id)
    found = [Target(NoticeScope.ORGANIZATION, o.id, o.name, o.id) for o in sorted(organizations.values(),
                                                                                   key=lambda o: o.id)]
    found += [Target(NoticeScope.NETWORK, n.id, n.name, n.organization_id)
              for n in sorted(networks.values(), key=lambda n: (n.name, n.id))]
    found += [Target(NoticeScope.COMMUNITY, c.id, c.name, c.organization_id)
              for c in sorted(communities.values(), key=lambda c: (c.name, c.id))]
    return found


def _of_kind(found: Sequence[Target], kind: NoticeScope) -> list[Target]:
    return [t for t in found if t.kind == kind]


def _match_target(ctx: Context, text: str, allowed: Sequence[Target]) -> Target | None:
    """A typed network or community name among the sender's targets, forgiving spacing and small typos."""
    key = reg.name_key(text)
    if not key:
        return None
    exact = [t for t in allowed if reg.name_key(t.name) == key]
    if len(exact) == 1:
        return exact[0]
    match = reg.match_chat_target(ctx.session, text, {t.organization_id for t in allowed})
    if match.found is None:
        return None
    kind = NoticeScope.COMMUNITY if isinstance(match.found, Community) else NoticeScope.NETWORK
    return next((t for t in allowed if (t.kind, t.id) == (kind, match.found.id)), None)


def _label_is(ctx: Context, text: str, key: str) -> bool:
    """Whether the answer is a button's label, in either language, forgiving case, width, spacing and a polite
    ending ("ส่งครับ")."""
    return word_in(text, {normalize(catalogue[key]) for catalogue in CATALOGUES.values()}) is not None
