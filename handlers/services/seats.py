"""Seats of an activity with a capacity: who holds one, who waits, and the one mechanism that fills a seat
when it is freed. Database only (and the outbox, for word to those given a seat).

A person's answer holds seats for them and their `guests`, or waits whole (`waitlisted_at`). A person who
holds a seat may also have `waiting_guests` waiting for seats of their own (`guests_waitlisted_at`): the
guests who did not fit when they asked. The waitlist is both kinds, in the order they started waiting.

Whatever frees a seat — an answer changed, a capacity raised, a person erased, removed or merged — calls
`seats_freed` in the same transaction, so the waitlist never sits beside a free seat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from linebot.v3.messaging import TextMessage
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import outbox
from handlers.thaitime import format_when_in
from handlers.catalog import text_for
from models import Activity, Answer, Community, Person, Rsvp


@dataclass(frozen=True)
class Waiting:
    """One place on the waitlist: a whole party (`guests_only` False) or a seated person's waiting guests."""

    rsvp: Rsvp
    guests_only: bool
    size: int
    since: datetime


def seats_taken(session: Session, activity: Activity, community_id: int | None = None,
                exclude_person: int | None = None) -> int:
    """People (and their seated guests) answering going and not waitlisted."""
    query = select(func.coalesce(func.sum(1 + Rsvp.guests), 0)).where(
        Rsvp.activity_id == activity.id, Rsvp.answer == Answer.GOING, Rsvp.waitlisted_at.is_(None))
    if community_id is not None:
        query = query.where(Rsvp.community_id == community_id)
    if exclude_person is not None:
        query = query.where(Rsvp.person_id != exclude_person)
    return int(session.scalar(query))


def seats_taken_of(session: Session, activity_ids: Sequence[int]) -> dict[int, int]:
    """`seats_taken` of many activities in one statement (an activity nobody holds a seat of: 0)."""
    taken = dict.fromkeys(activity_ids, 0)
    if taken:
        taken.update((activity_id, int(seats)) for activity_id, seats in session.execute(
            select(Rsvp.activity_id, func.sum(1 + Rsvp.guests)).where(
                Rsvp.activity_id.in_(list(taken)), Rsvp.answer == Answer.GOING, Rsvp.waitlisted_at.is_(None))
            .group_by(Rsvp.activity_id)))
    return taken


def waitlist(session: Session, activity: Activity) -> list[Waiting]:
    """Everyone waiting, first in line first: whole parties and seated people's guests, by when they began."""
    rows = session.scalars(select(Rsvp).where(
        Rsvp.activity_id == activity.id, Rsvp.answer == Answer.GOING,
        Rsvp.waitlisted_at.is_not(None) | (Rsvp.waiting_guests > 0))).all()
    places = []
    for rsvp in rows:
        if rsvp.waitlisted_at is not None:
            places.append(Waiting(rsvp, False, 1 + rsvp.guests, rsvp.waitlisted_at))
        elif rsvp.waiting_guests and rsvp.guests_waitlisted_at is not None:
            places.append(Waiting(rsvp, True, rsvp.waiting_guests, rsvp.guests_waitlisted_at))
    return sorted(places, key=lambda place: (place.since, place.rsvp.id))


def waitlist_position(session: Session, rsvp: Rsvp) -> int | None:
    """1 for the first in line (None when this answer does not wait)."""
    activity = session.get(Activity, rsvp.activity_id)
    return next((n for n, place in enumerate(waitlist(session, activity), start=1) if place.rsvp.id == rsvp.id), None)


def promote_waitlist(session: Session, activity: Activity) -> list[Waiting]:
    """Give free seats to the waitlist in order (skipping those whose party no longer fits, or whose
    community's quota would be passed); returns the places that got seats."""
    if activity.capacity is None:
        return []
    promoted = []
    free = activity.capacity - seats_taken(session, activity)
    limit = activity.seats_per_community
    for place in waitlist(session, activity):
        rsvp = place.rsvp
        # Never over a community's quota (it may have been lowered since this answer was waitlisted).
        if limit and rsvp.community_id is not None and \
                seats_taken(session, activity, rsvp.community_id) + place.size > limit:
            continue
        if place.size <= free:
            if place.guests_only:
                rsvp.guests, rsvp.waiting_guests, rsvp.guests_waitlisted_at = rsvp.guests + place.size, 0, None
            else:
                rsvp.waitlisted_at = None
            session.flush()
            free -= place.size
            promoted.append(place)
    session.flush()
    return promoted


def seats_freed(session: Session, activity: Activity, now: datetime, *, told: Rsvp | None = None,
                cause: str | None = None) -> list[Waiting]:
    """A seat may have been freed: promote the waitlist and queue word to each person given seats (to the
    leader who answered for them, if a leader did: that member has no smartphone). `told` is the answer
    whose sender reads the outcome in the reply: no push for them. Each message is queued once per time the
    place waited, and per `cause` (the webhook event that freed the seat) when given."""
    promoted = promote_waitlist(session, activity)
    for place in promoted:
        if told is not None and place.rsvp.id == told.id:
            continue
        _tell(session, activity, place, now, cause)
    return promoted


def _tell(session: Session, activity: Activity, place: Waiting, now: datetime, cause: str | None) -> None:
    rsvp = place.rsvp
    person = session.get(Person, rsvp.person_id) if rsvp.person_id else None
    leader = session.get(Person, rsvp.proxy_by_id) if rsvp.proxy_by_id else None
    target = leader if leader is not None else person
    if person is None or target is None or not target.reachable:
        return
    if place.guests_only:
        key = "rsvp.promoted_guests_proxy" if leader is not None else "rsvp.promoted_guests"
    else:
        key = "rsvp.promoted_proxy" if leader is not None else "rsvp.promoted"
    lang = target.language or "th"
    community = session.get(Community, rsvp.community_id) if rsvp.community_id else None
    text = text_for(lang, key, name=person.full_name or person.display_name or "-", title=activity.title,
                    code=activity.code, when=format_when_in(lang, activity.starts_at), guests=place.size,
                    community=community.name if community else "-")
    # Once per time they waited: a later wait and promotion is told again.
    kind = "g" if place.guests_only else "p"
    outbox.enqueue(session, [target.line_user_id], [TextMessage(text=text)], now=now,
                   dedupe_key=f"rsvp-promoted:{rsvp.id}:{kind}:{cause or f'{place.since.timestamp():.6f}'}")
