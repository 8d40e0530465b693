"""Who may see what on the desk, in one place and in SQL (it must stay fast on a Bangkok-size database).

Staff see their organization (district), a network chair their network(s), a community leader their
community(ies). Every query of the desk is filtered by one of these clauses; a row outside them answers
403, whichever id is typed into the URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, false, or_, select, union
from sqlalchemy.orm import Session

from models import Activity, Community, Membership, Network, Notice, NoticeScope, Person, RoleName
from models.registry import community_issue_network as cin

DESK_ROLES = (RoleName.STAFF, RoleName.NETWORK_CHAIR, RoleName.COMMUNITY_LEADER)


@dataclass(frozen=True)
class Viewer:
    """The signed-in person and the scopes their roles give, read fresh on every request."""

    person_id: int
    name: str
    organizations: frozenset[int]       # every organization they hold a desk role in
    staff_orgs: frozenset[int]
    chair_networks: frozenset[int]
    leader_communities: frozenset[int]
    language: str | None = None

    @property
    def is_staff(self) -> bool:
        return bool(self.staff_orgs)

    @property
    def may_use_desk(self) -> bool:
        return bool(self.staff_orgs or self.chair_networks or self.leader_communities)


def load_viewer(session: Session, person_id: int) -> Viewer | None:
    """The viewer for a person, or None when they are gone or hold no desk role any more."""
    person = session.get(Person, person_id)
    if person is None:
        return None
    held = session.execute(select(Membership.role, Membership.organization_id, Membership.network_id,
                                  Membership.community_id).where(Membership.person_id == person_id,
                                                                 Membership.role.in_(DESK_ROLES))).all()
    viewer = Viewer(
        person_id=person.id, name=person.full_name or person.display_name or "-",
        organizations=frozenset(org for _, org, _, _ in held),
        staff_orgs=frozenset(org for role, org, _, _ in held if role == RoleName.STAFF),
        chair_networks=frozenset(n for role, _, n, _ in held if role == RoleName.NETWORK_CHAIR and n is not None),
        leader_communities=frozenset(c for role, _, _, c in held if role == RoleName.COMMUNITY_LEADER and c is not None),
        language=person.language,
    )
    return viewer if viewer.may_use_desk else None


def _any(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return or_(*conditions) if conditions else false()


def communities_clause(viewer: Viewer) -> ColumnElement[bool]:
    """Communities the viewer may see: the district's, their networks' (zone or issue), their own."""
    conditions = []
    if viewer.staff_orgs:
        conditions.append(Community.organization_id.in_(viewer.staff_orgs))
    if viewer.chair_networks:
        conditions.append(Community.zone_id.in_(viewer.chair_networks))
        conditions.append(Community.id.in_(select(cin.c.community_id).where(cin.c.network_id.in_(viewer.chair_networks))))
    if viewer.leader_communities:
        conditions.append(Community.id.in_(viewer.leader_communities))
    return _any(conditions)


def visible_community_ids(viewer: Viewer) -> Select:
    return select(Community.id).where(communities_clause(viewer))


def networks_clause(viewer: Viewer) -> ColumnElement[bool]:
    """Networks whose own pages the viewer may open: the district's for staff, their own for chairs."""
    conditions = []
    if viewer.staff_orgs:
        conditions.append(Network.organization_id.in_(viewer.staff_orgs))
    if viewer.chair_networks:
        conditions.append(Network.id.in_(viewer.chair_networks))
    return _any(conditions)


def related_network_ids(viewer: Viewer):
    """Networks whose activities the viewer sees: those above, and a leader's community's zone and issue
    networks (the activities their members are invited to)."""
    parts = [select(Network.id).where(networks_clause(viewer))]
    if viewer.leader_communities:
        parts.append(select(Community.zone_id).where(Community.id.in_(viewer.leader_communities)))
        parts.append(select(cin.c.network_id).where(cin.c.community_id.in_(viewer.leader_communities)))
    return union(*parts)


def activities_clause(viewer: Viewer) -> ColumnElement[bool]:
    conditions = [Activity.network_id.in_(related_network_ids(viewer)),
                  Activity.community_id.in_(visible_community_ids(viewer))]
    if viewer.staff_orgs:
        conditions.append(Activity.organization_id.in_(viewer.staff_orgs))
    return _any(conditions)


def notices_clause(viewer: Viewer) -> ColumnElement[bool]:
    conditions = [Notice.network_id.in_(related_network_ids(viewer)),
                  Notice.community_id.in_(visible_community_ids(viewer)),
                  (Notice.scope == NoticeScope.ORGANIZATION) & Notice.organization_id.in_(viewer.organizations)]
    if viewer.staff_orgs:
        conditions.append(Notice.organization_id.in_(viewer.staff_orgs))
    return _any(conditions)


def may_see_community(session: Session, viewer: Viewer, community_id: int) -> bool:
    return session.scalar(select(Community.id).where(Community.id == community_id, communities_clause(viewer))) is not None


def may_see_network(session: Session, viewer: Viewer, network_id: int) -> bool:
    return session.scalar(select(Network.id).where(Network.id == network_id, networks_clause(viewer))) is not None


def may_see_activity(session: Session, viewer: Viewer, activity_id: int) -> bool:
    return session.scalar(select(Activity.id).where(Activity.id == activity_id, activities_clause(viewer))) is not None


def may_see_notice(session: Session, viewer: Viewer, notice_id: int) -> bool:
    return session.scalar(select(Notice.id).where(Notice.id == notice_id, notices_clause(viewer))) is not None
