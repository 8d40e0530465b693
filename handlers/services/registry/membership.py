"""Registering a person, joining a community, granting a role."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Community, Membership, Network, Organization, Person, RoleName
from handlers.services.registry.people import CONSENT_VERSION, find_person


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


def member_communities(session: Session, people: Sequence[Person]) -> dict[int, Community]:
    """`member_community` of many people in one statement: {person id: community}."""
    found: dict[int, Community] = {}
    if not people:
        return found
    rows = session.execute(select(Membership.person_id, Community).join(Community, Membership.community_id == Community.id)
                           .where(Membership.person_id.in_({p.id for p in people}))
                           .order_by(Membership.person_id, Membership.role == RoleName.MEMBER, Membership.id))
    for person_id, community in rows:
        found.setdefault(person_id, community)
    return found


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
