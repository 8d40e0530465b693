"""Activities and answers made directly with the models, for the follow-up tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import TIMEZONE
from models import Activity, ActivityStatus, Answer, HostState, Rsvp


def bkk(*args: int) -> datetime:
    return datetime(*args, tzinfo=TIMEZONE)


def make_activity(session, district, code, title, starts, *, hours=3, deadline=None, host=None, created=None):
    activity = Activity(code=code, title=title, organization_id=district.org.id, network_id=district.zone1.id,
                        host_community_id=(host or district.wat).id, host_state=HostState.CONFIRMED,
                        starts_at=starts, ends_at=starts + timedelta(hours=hours), place_text="ศาลาวัดบางนา",
                        rsvp_deadline=deadline, status=ActivityStatus.PLANNED, reminder_offsets=[3 * 24 * 60, 120],
                        remind_groups=False, created_at=created or bkk(2026, 11, 25, 8), updated_at=bkk(2026, 11, 25, 8))
    session.add(activity)
    session.flush()
    return activity


def rsvp(session, activity, person, choice, community):
    session.add(Rsvp(activity_id=activity.id, person_id=person.id, community_id=community.id, answer=choice,
                     guests=0, answered_at=bkk(2026, 11, 25, 9)))


def ended_meeting(session, district, now: datetime) -> Activity:
    """RPT1 "ประชุมโซน 1", hosted by ชุมชนวัดบางนา, ended yesterday, the member checked in: ready to report."""
    starts = now - timedelta(days=1)
    activity = Activity(code="RPT1", title="ประชุมโซน 1", organization_id=district.org.id,
                        network_id=district.zone1.id, host_community_id=district.wat.id,
                        host_state=HostState.CONFIRMED, starts_at=starts, ends_at=starts + timedelta(hours=3),
                        place_text="ศาลาวัด", status=ActivityStatus.DONE, reminder_offsets=[], remind_groups=False,
                        created_at=starts, updated_at=starts)
    session.add(activity)
    session.flush()
    session.add(Rsvp(activity_id=activity.id, person_id=district.people["member"].id, community_id=district.wat.id,
                     answer=Answer.GOING, guests=0, answered_at=starts, checked_in_at=starts))
    return activity
