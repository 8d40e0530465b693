"""Who is registered in the communities someone looks after: counts, one page of names, a name search.

Everything is counted, ordered and cut to one page by the database, so a district officer's `สมาชิก`
costs the same for 40 people as for 40,000: nothing loads the whole roster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select, tuple_
from sqlalchemy.orm import Session

from handlers.services.registry import ROLE_RANK, ROLES_BY_RANK, RosterEntry
from models import Community, Membership, Person, RoleName, community_issue_network

# Leaders before members within a community, as the roster has always been shown.
_RANK = case({role.value: int(rank) for role, rank in ROLE_RANK.items()}, value=Membership.role, else_=0)


@dataclass(frozen=True)
class Counts:
    """People per community (each counted once) and per role."""

    people: int
    by_role: dict[RoleName, int]


def counts(session: Session, community_ids: Sequence[int], *,
           by_role: bool = True) -> tuple[dict[int, Counts], int]:
    """Per community: how many people hold any role there, and (with `by_role`) how many hold each role;
    and how many people in all (each counted once, whatever communities they belong to).

    The sum of the communities' `people` is the number of lines of their roster (a person is listed under
    each community they belong to), so paging needs no count of its own. On PostgreSQL the communities
    and the whole are counted in one pass (GROUPING SETS): a district's 80,000 memberships are read once."""
    if not community_ids:
        return {}, 0
    ids = list(community_ids)
    distinct = func.count(func.distinct(Membership.person_id))
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(select(Membership.community_id, distinct, func.grouping(Membership.community_id))
                               .where(Membership.community_id.in_(ids))
                               .group_by(func.grouping_sets(tuple_(Membership.community_id), tuple_()))).all()
        people = {cid: n for cid, n, whole in rows if not whole}
        total = next((n for _cid, n, whole in rows if whole), 0)
    else:
        people = dict(session.execute(select(Membership.community_id, distinct)
                                      .where(Membership.community_id.in_(ids)).group_by(Membership.community_id)).all())
        total = session.scalar(select(distinct).where(Membership.community_id.in_(ids))) or 0
    roles: dict[int, dict[RoleName, int]] = {}
    if by_role:
        for community_id, role, count in session.execute(
                select(Membership.community_id, Membership.role, distinct)
                .where(Membership.community_id.in_(ids)).group_by(Membership.community_id, Membership.role)):
            roles.setdefault(community_id, {})[RoleName(role)] = count
    return {cid: Counts(people[cid], roles.get(cid, {})) for cid in people}, total


def page(session: Session, communities: Sequence[Community], offset: int, limit: int,
         sizes: dict[int, int]) -> list[RosterEntry]:
    """One page of the roster: communities in the given order, leaders first, then by name.

    `sizes` (people per community, from `counts`) tells which communities the page falls in, so only
    those are read and sorted: page 1 of a chair's 8,000 people reads one community's 1,000."""
    spanned: list[Community] = []
    start = 0
    for community in communities:
        size = sizes.get(community.id, 0)
        if start + size > offset and start < offset + limit:
            if not spanned:
                first = start
            spanned.append(community)
        start += size
    if not spanned:
        return []
    return _entries(session, spanned, offset=offset - first, limit=limit)


def search(session: Session, communities: Sequence[Community], text: str, limit: int) -> list[RosterEntry]:
    """People in these communities whose name (or LINE name) holds the text, roster order, at most `limit`."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    found = or_(Person.full_name.like(pattern, escape="\\"), Person.display_name.like(pattern, escape="\\"))
    return _entries(session, communities, offset=0, limit=limit, where=found)


def counts_in_roster(membership, community):
    """Whether a role shows beside a name in a community's roster: the roles held in the community itself
    and those that look after it (as `can_manage_community` decides) — the chair of its zone or of an issue
    network it joined, the staff of its organization. A partner's role is its network's, not shown."""
    return or_(
        membership.community_id == community.id,
        and_(membership.role == RoleName.STAFF, membership.organization_id == community.organization_id),
        and_(membership.role == RoleName.NETWORK_CHAIR, or_(
            membership.network_id == community.zone_id,
            membership.network_id.in_(select(community_issue_network.c.network_id)
                                      .where(community_issue_network.c.community_id == community.id)))))


def _entries(session: Session, communities: Sequence[Community], *, offset: int, limit: int,
             where=None) -> list[RosterEntry]:
    if not communities:
        return []
    by_id = {c.id: c for c in communities}
    position = case({c.id: n for n, c in enumerate(communities)}, value=Membership.community_id)
    pairs = (select(Membership.community_id.label("community_id"), Membership.person_id.label("person_id"),
                    func.max(_RANK).label("rank"), func.min(position).label("position"))
             .where(Membership.community_id.in_(list(by_id)))
             .group_by(Membership.community_id, Membership.person_id).subquery())
    query = (select(pairs.c.community_id, Person).join(Person, Person.id == pairs.c.person_id)
             .order_by(pairs.c.position, pairs.c.rank.desc(), func.coalesce(Person.full_name, ""), Person.id)
             .offset(offset).limit(limit))
    if where is not None:
        query = query.where(where)
    rows = session.execute(query).all()
    if not rows:
        return []
    roles: dict[tuple[int, int], set[RoleName]] = {}
    for community_id, person_id, role in session.execute(
            select(Community.id, Membership.person_id, Membership.role)
            .join(Community, counts_in_roster(Membership, Community))
            .where(Community.id.in_({cid for cid, _ in rows}), Membership.person_id.in_({p.id for _, p in rows}),
                   or_(*(and_(Community.id == cid, Membership.person_id == person.id) for cid, person in rows)))):
        roles.setdefault((community_id, person_id), set()).add(RoleName(role))
    return [RosterEntry(by_id[cid], person, [r for r in ROLES_BY_RANK if r in roles.get((cid, person.id), ())])
            for cid, person in rows]
