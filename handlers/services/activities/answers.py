"""Answers with waitlist and guests, and what the RSVP and check-in commands read: seats left, who may see names,
people by name."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from handlers.services.registry import person_key
from handlers.services.seats import Waiting, seats_freed, seats_taken, waitlist_position
from models import (
    Activity,
    ActivityStatus,
    Answer,
    Community,
    Membership,
    Network,
    Person,
    Rsvp,
    community_issue_network,
)
from handlers.services.activities.codes import network_communities


@dataclass
class AnswerResult:
    """What happened to an answer: recorded as asked, waitlisted (with position), refused, or a question."""

    rsvp: Rsvp | None
    # going, waitlisted, not_going, maybe, community_full, closed, too_many_guests; party_short: the guests do
    # not all fit and nothing changed (the sender chooses: guests wait, or come alone)
    outcome: str
    position: int | None = None        # place on the waitlist (of the whole party, or of the waiting guests)
    promoted: list[Waiting] = field(default_factory=list)  # given seats from the waitlist, told by push
    left: int = 0                      # party_short: seats free now (besides the sender's own)
    fit: int = 0                       # party_short: guests who would fit now


MAX_GUESTS = 10


def answer(session: Session, activity: Activity, person: Person, choice: Answer, now: datetime, *,
           guests: int = 0, community_id: int | None = None, proxy_by: Person | None = None,
           guests_wait: bool = False, cause: str | None = None) -> AnswerResult:
    """Record an answer; a party beyond capacity waits, or (asked for with `guests_wait`) its guests who do
    not fit wait while the person takes a seat; a freed seat promotes the waitlist (`seats_freed`).

    A person who holds a seat never loses it by asking for more guests than fit, and someone for whom a seat
    is free is not put in line because of guests: both get `party_short` (nothing changed) and choose."""
    # One answer at a time per activity, so two last seats are not both given away (PostgreSQL).
    session.execute(select(Activity.id).where(Activity.id == activity.id).with_for_update())
    if activity.status in (ActivityStatus.CANCELLED, ActivityStatus.DONE) or activity.ends_at <= now:
        return AnswerResult(None, "closed")
    if activity.rsvp_deadline is not None and now > activity.rsvp_deadline:
        return AnswerResult(None, "closed")
    if guests < 0 or guests > MAX_GUESTS:
        return AnswerResult(None, "too_many_guests")
    rsvp = session.scalars(select(Rsvp).where(Rsvp.activity_id == activity.id, Rsvp.person_id == person.id)).first()
    if choice == Answer.GOING and activity.seats_per_community and community_id is not None:
        # The quota counts the community's waitlist too: a place in line the quota can never seat is a
        # false promise, and promoting it later would push the community over its limit.
        taken = community_going(session, activity, community_id, exclude_person=person.id)
        if taken + 1 + guests > activity.seats_per_community:
            return AnswerResult(rsvp, "community_full", position=activity.seats_per_community)
    seated = rsvp is not None and rsvp.answer == Answer.GOING and rsvp.waitlisted_at is None
    waiting_since = rsvp.waitlisted_at or rsvp.guests_waitlisted_at if rsvp is not None else None
    seat_guests, wait_guests, waits = guests, 0, False
    if choice == Answer.GOING and activity.capacity is not None:
        free = activity.capacity - seats_taken(session, activity, exclude_person=person.id)
        if 1 + guests > free:
            if not seated and free < 1:
                waits = True  # no seat even for the person: the whole party waits (in its old place, if any)
            elif not guests_wait:
                return AnswerResult(rsvp, "party_short", left=max(0, free - (1 + rsvp.guests if seated else 0)),
                                    fit=max(0, min(guests, free - 1)))
            else:
                seat_guests = max(0, min(guests, free - 1))
                wait_guests = guests - seat_guests
    if rsvp is None:
        rsvp = Rsvp(activity_id=activity.id, person_id=person.id, answer=choice, guests=0, answered_at=now)
        session.add(rsvp)
    rsvp.answer, rsvp.answered_at = choice, now
    rsvp.guests = seat_guests if choice == Answer.GOING else 0
    rsvp.waitlisted_at = (rsvp.waitlisted_at or now) if waits else None
    rsvp.waiting_guests = wait_guests
    rsvp.guests_waitlisted_at = (waiting_since or now) if wait_guests else None
    rsvp.community_id = community_id
    rsvp.proxy_by_id = proxy_by.id if proxy_by else None
    session.flush()
    # A waitlisted person answering again may fit now (fewer guests): the same promotion, in order, gives the
    # seat, and the reply says so (no push for them).
    result = AnswerResult(rsvp, str(choice), promoted=seats_freed(session, activity, now, told=rsvp, cause=cause))
    if rsvp.answer == Answer.GOING and (rsvp.waitlisted_at is not None or rsvp.waiting_guests):
        result.outcome = "waitlisted" if rsvp.waitlisted_at is not None else "guests_waitlisted"
        result.position = waitlist_position(session, rsvp)
    return result


def counts_by_community(session: Session, activity: Activity) -> list[tuple[int | None, Answer, bool, int]]:
    """(community id, answer, waitlisted, people incl. guests) for an activity; a seated person's waiting
    guests count as waitlisted."""
    totals: dict[tuple[int | None, Answer, bool], int] = defaultdict(int)
    # Counted by the database: a 3,000-person training is a few rows here, not 3,000 objects.
    waitlisted = case((Rsvp.waitlisted_at.is_(None), False), else_=True).label("waitlisted")
    for community_id, answer, waits, people, waiting_guests in session.execute(
            select(Rsvp.community_id, Rsvp.answer, waitlisted, func.sum(1 + Rsvp.guests),
                   func.sum(func.coalesce(Rsvp.waiting_guests, 0)))
            .where(Rsvp.activity_id == activity.id).group_by(Rsvp.community_id, Rsvp.answer, waitlisted)):
        totals[(community_id, Answer(answer), bool(waits))] += int(people)
        if waiting_guests:
            totals[(community_id, Answer(answer), True)] += int(waiting_guests)
    return [(c, a, w, n) for (c, a, w), n in totals.items()]


def answer_count(session: Session, activity: Activity) -> int:
    """How many people answered an activity (any answer)."""
    return session.scalar(select(func.count()).select_from(Rsvp).where(Rsvp.activity_id == activity.id)) or 0


def community_going(session: Session, activity: Activity, community_id: int,
                    exclude_person: int | None = None) -> int:
    """People (and guests) of one community answering going, seated or waiting: what its quota counts."""
    query = select(func.coalesce(func.sum(1 + Rsvp.guests + Rsvp.waiting_guests), 0)).where(
        Rsvp.activity_id == activity.id, Rsvp.answer == Answer.GOING, Rsvp.community_id == community_id)
    if exclude_person is not None:
        query = query.where(Rsvp.person_id != exclude_person)
    return int(session.scalar(query))


def seats_left(session: Session, activity: Activity) -> int | None:
    """Free seats (None without a capacity; never below zero)."""
    if activity.capacity is None:
        return None
    return max(0, activity.capacity - seats_taken(session, activity))


def community_seats_left(session: Session, activity: Activity, community_id: int | None,
                         exclude_person: int | None = None) -> int | None:
    """Places a community still has under the seats-per-community limit (None without a limit)."""
    if not activity.seats_per_community or community_id is None:
        return None
    return max(0, activity.seats_per_community - community_going(session, activity, community_id, exclude_person))


def closed_reason(activity: Activity, now: datetime) -> str | None:
    """Why answers are no longer taken: cancelled, past or deadline (None while open); as `answer` decides."""
    if activity.status == ActivityStatus.CANCELLED:
        return "cancelled"
    if activity.status == ActivityStatus.DONE or activity.ends_at <= now:
        return "past"
    if activity.rsvp_deadline is not None and now > activity.rsvp_deadline:
        return "deadline"
    return None


def sees_names(session: Session, held: Sequence[Membership], activity: Activity) -> bool:
    """Leaders and above for this activity: staff of its organization, a chair of its network, a leader of
    one of its communities (for a single community's activity: whoever manages that community)."""
    if activity.network_id is not None:
        network = session.get(Network, activity.network_id)
        networks = {network.id}
        communities = {c.id for c in network_communities(session, network)}
    else:
        community = session.get(Community, activity.community_id)
        networks = {community.zone_id, *session.scalars(select(community_issue_network.c.network_id).where(
            community_issue_network.c.community_id == community.id))}
        communities = {community.id}
    return any(
        (m.role == "staff" and m.organization_id == activity.organization_id)
        or (m.role == "network_chair" and m.network_id in networks)
        or (m.role == "community_leader" and m.community_id in communities)
        for m in held
    )


def managed_community_ids(session: Session, held: Sequence[Membership]) -> set[int]:
    """Communities whose members these roles may act for: staff's organization, a chair's network, a
    leader's own community (the same scope as `can_manage_community`)."""
    ids: set[int] = set()
    for m in held:
        if m.role == "staff":
            ids.update(session.scalars(select(Community.id).where(Community.organization_id == m.organization_id)))
        elif m.role == "network_chair" and m.network_id is not None:
            ids.update(c.id for c in network_communities(session, session.get(Network, m.network_id)))
        elif m.role == "community_leader" and m.community_id is not None:
            ids.add(m.community_id)
    return ids


# At most this many people are offered for a piece of a name; the buttons say to type more.
PARTIAL_LIMIT = 30


@dataclass(frozen=True)
class PeopleNamed:
    """Who a typed name may mean: `exact` is clearly named (the same `person_key`, else the same given name);
    `partial` only holds the text ("มี" is in "ทองดี มีสุข" and "บุญมี ศรีสุข"), filled when nobody is exact: a suggestion, never an act."""

    exact: list[Person]
    partial: list[Person]


def people_named(session: Session, held: Sequence[Membership], name: str,
                 only: Callable[[Person], bool] | None = None) -> PeopleNamed:
    """Registered people of the communities these roles manage (those `only` keeps), by full name compared
    with `person_key` (a title such as คุณ, ยาย or นาง is forgiven either way): the exact matches, else
    those whose name contains the text (a first name alone, or any part of a name).

    Looked up by the stored keys (Person.name_key, given_key: indexed), never by reading the whole scope:
    a district officer's scope is 40,000 people."""
    ids = managed_community_ids(session, held)
    key = person_key(name)
    if not ids or not key:
        return PeopleNamed([], [])
    in_scope = select(Membership.person_id).where(Membership.community_id.in_(ids))

    def found(condition, limit: int | None = None) -> list[Person]:
        query = select(Person).where(condition, Person.consent_version.is_not(None), Person.id.in_(in_scope))
        people = [p for p in session.scalars(query.limit(limit) if limit else query) if only is None or only(p)]
        return sorted(people, key=lambda p: (p.full_name or "", p.id))  # sorted here: collations order Thai differently

    same = found(Person.name_key == key)
    # Two people entered before titles were forgiven ("สมศรี" and "ยายสมศรี") are told apart as written.
    as_written = [p for p in same if _spelled(p.full_name or "") == _spelled(name)]
    # Or the whole given name, as people call each other ("บุญมา" for "บุญมา ศรีสุข"); a piece of a word
    # ("มี" in "บุญมี" or "มีสุข") is no name at all.
    exact = as_written or same or found(Person.given_key == key)
    if exact:
        return PeopleNamed(exact, [])
    pattern = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return PeopleNamed([], found(Person.name_key.like(pattern, escape="\\"), limit=PARTIAL_LIMIT))


def managed_people_named(session: Session, held: Sequence[Membership], name: str,
                         only: Callable[[Person], bool] | None = None) -> list[Person]:
    """`people_named`'s exact matches, else its partial ones (for checks that act on nobody)."""
    found = people_named(session, held, name, only)
    return found.exact or found.partial


def _spelled(name: str) -> str:
    return " ".join(name.casefold().split())
