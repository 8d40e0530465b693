"""Who sees what: a person's networks and communities, the activities ahead of them, the chats an activity
was announced in, who answered."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, or_, select
from sqlalchemy.orm import Session

from models import (
    Activity,
    ActivityStatus,
    Answer,
    ChatLink,
    Community,
    Membership,
    Network,
    Person,
    Rsvp,
    community_issue_network,
)
from handlers.services.activities.codes import UPCOMING_LIMIT, network_communities


def networks_of_person(session: Session, person: Person | None) -> set[int]:
    """Networks the person belongs to through their communities, or chairs (staff: all of their organization)."""
    if person is None:
        return set()
    return _networks_held(session, _held(session, person))


def _held(session: Session, person: Person) -> list[Membership]:
    return list(session.scalars(select(Membership).where(Membership.person_id == person.id)))


def _networks_held(session: Session, held: Sequence[Membership]) -> set[int]:
    """The networks of these roles, in at most two statements however many they are."""
    ids = {m.network_id for m in held if m.network_id}
    organizations = {m.organization_id for m in held if m.role == "staff"}
    if organizations:
        ids.update(session.scalars(select(Network.id).where(Network.organization_id.in_(organizations))))
    communities = {m.community_id for m in held if m.community_id}
    if communities:
        # A community's zone, and the issue networks it takes part in.
        for zone, issue in session.execute(
                select(Community.zone_id, community_issue_network.c.network_id)
                .outerjoin(community_issue_network, community_issue_network.c.community_id == Community.id)
                .where(Community.id.in_(communities))):
            ids.update(n for n in (zone, issue) if n is not None)
    return ids


def upcoming_for(session: Session, person: Person | None, now: datetime,
                 limit: int = UPCOMING_LIMIT) -> list[Activity]:
    """Planned or confirmed activities ahead, of the person's networks and communities, soonest first."""
    if person is None:
        return []
    held = _held(session, person)
    networks, communities = _networks_held(session, held), {m.community_id for m in held if m.community_id}
    if not networks and not communities:
        return []
    return list(session.scalars(select(Activity).where(
        Activity.status.in_([ActivityStatus.PLANNED, ActivityStatus.CONFIRMED]), Activity.ends_at > now,
        or_(Activity.network_id.in_(networks), Activity.community_id.in_(communities)))
        .order_by(Activity.starts_at).limit(limit)))


def linked_chats(session: Session, activity: Activity) -> list[ChatLink]:
    """Groups to announce an activity in: those linked to its network, or to its communities."""
    if activity.network_id:
        network = session.get(Network, activity.network_id)
        community_ids = [c.id for c in network_communities(session, network)]
        condition = or_(ChatLink.network_id == network.id, ChatLink.community_id.in_(community_ids))
    else:
        condition = ChatLink.community_id == activity.community_id
    return list(session.scalars(select(ChatLink).where(condition, ChatLink.left_at.is_(None))
                                .order_by(ChatLink.id)))


INTERESTED = (Answer.GOING, Answer.MAYBE)


def _interested(activity_ids: Sequence[int], answers: Sequence[Answer]) -> tuple[Any, ...]:
    """Who is told: answered one of `answers`, and a push reaches them (LINE, not blocked). A member
    without LINE is told by the leader who answered for them."""
    return (Rsvp.activity_id.in_(list(activity_ids)), Rsvp.answer.in_(list(answers)), Person.reachable)


def interested_people(session: Session, activity: Activity) -> list[tuple[Person, bool]]:
    """People who answered going or maybe (reachable), each with whether they wait for a seat (going, on the
    waitlist): all are told about edits and cancellation, and a count of them says the waitlisted apart."""
    return [(person, waiting) for person, waiting in session.execute(
        select(Person, Rsvp.waitlisted_at.is_not(None)).join(Rsvp, Rsvp.person_id == Person.id)
        .where(*_interested([activity.id], INTERESTED)).order_by(Person.id))]


def interested_count(session: Session, activity: Activity, *, besides: Person | None = None) -> tuple[int, int]:
    """How many `interested_people` there are (but `besides`), and how many of them wait for a seat,
    counted by the database: a 3,000-person training's cancel question loads nobody."""
    query = (select(func.count(), func.count(Rsvp.waitlisted_at)).select_from(Rsvp)
             .join(Person, Person.id == Rsvp.person_id).where(*_interested([activity.id], INTERESTED)))
    if besides is not None:
        query = query.where(Rsvp.person_id != besides.id)
    people, waiting = session.execute(query).one()
    return int(people), int(waiting)


def answered_for_offline(session: Session, activity: Activity) -> dict[int, list[Person]]:
    """Members without LINE answered going or maybe by a leader, by that leader's person id: Saiyai cannot
    tell them of a move or a cancellation, the leader who answered for them can."""
    found: dict[int, list[Person]] = defaultdict(list)
    for proxy_id, person in session.execute(
            select(Rsvp.proxy_by_id, Person).join(Rsvp, Rsvp.person_id == Person.id)
            .where(Rsvp.activity_id == activity.id, Rsvp.answer.in_(list(INTERESTED)),
                   Person.line_user_id.is_(None), Rsvp.proxy_by_id.is_not(None))
            .order_by(Person.id)):
        found[proxy_id].append(person)
    return dict(found)


def interested_contacts(session: Session, activity_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    """`interested_people` of many activities in one query, as (activity_id, line_user_id, language,
    blocked_at) rows: what a reminder needs to 50,000 people, without loading 50,000 Person objects."""
    people: dict[int, list[Row[Any]]] = defaultdict(list)
    if activity_ids:
        for row in session.execute(
                select(Rsvp.activity_id, Person.line_user_id, Person.language, Person.blocked_at)
                .join(Rsvp, Rsvp.person_id == Person.id).where(*_interested(activity_ids, INTERESTED))
                .order_by(Rsvp.activity_id, Person.id)):
            people[row.activity_id].append(row)
    return people
