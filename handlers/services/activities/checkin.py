"""Check-in at an activity, and who attended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from models import Activity, ActivityStatus, Answer, Person, Rsvp
from handlers.services.activities.codes import CHECK_IN_OPENS


def check_in_open(activity: Activity, now: datetime) -> bool:
    """From an hour before the start to the end."""
    return activity.starts_at - CHECK_IN_OPENS <= now <= activity.ends_at and \
        activity.status not in (ActivityStatus.CANCELLED,)


def check_in(session: Session, activity: Activity, person: Person, now: datetime, *,
             by: Person | None = None, community_id: int | None = None) -> Rsvp:
    """Mark someone present (walk-ins get an answer of going recorded with the check-in)."""
    rsvp = session.scalars(select(Rsvp).where(Rsvp.activity_id == activity.id, Rsvp.person_id == person.id)).first()
    if rsvp is None:
        rsvp = Rsvp(activity_id=activity.id, person_id=person.id, answer=Answer.GOING, guests=0,
                    community_id=community_id, answered_at=now)
        session.add(rsvp)
    if rsvp.checked_in_at is None:
        # The first check-in is the record; checking in again changes neither when nor by whom.
        rsvp.checked_in_at, rsvp.checked_in_by_id = now, (by.id if by else None)
    if rsvp.answer != Answer.GOING:
        # Someone who said maybe or no and came: going after all, recorded now, so `attendance` tells them
        # from those who answered going beforehand.
        rsvp.answer, rsvp.answered_at = Answer.GOING, now
    if rsvp.waitlisted_at is not None:  # waiting for a seat, and came: seated (the answer was a promise)
        rsvp.waitlisted_at = None
    session.flush()
    return rsvp


@dataclass(frozen=True)
class Attendance:
    """Who came, against who said they would: `answered` answered going (with a seat) before coming or not,
    `came_answered` of them checked in; `came` counts everyone checked in, walk-ins too (someone who answered
    maybe or no, or nothing, and came: their going is recorded at the check-in, see `check_in`)."""

    came: int
    answered: int
    came_answered: int

    @property
    def rate(self) -> float | None:
        """Checked in ÷ answered going, among those who answered going (None when nobody did)."""
        return self.came_answered / self.answered if self.answered else None


def attendance(session: Session, activity: Activity) -> Attendance:
    """The attendance of an activity: see `Attendance`."""
    # Counted by the database (a 3,000-person training is one row here). An answer recorded at or after the
    # check-in is the check-in's (a walk-in), not a promise kept.
    came = Rsvp.checked_in_at.is_not(None)
    promised = and_(Rsvp.answer == Answer.GOING, Rsvp.waitlisted_at.is_(None),
                    or_(Rsvp.checked_in_at.is_(None), Rsvp.answered_at < Rsvp.checked_in_at))
    row = session.execute(select(
        func.coalesce(func.sum(case((came, 1), else_=0)), 0),
        func.coalesce(func.sum(case((promised, 1), else_=0)), 0),
        func.coalesce(func.sum(case((and_(promised, came), 1), else_=0)), 0)).where(
        Rsvp.activity_id == activity.id)).one()
    return Attendance(int(row[0]), int(row[1]), int(row[2]))
