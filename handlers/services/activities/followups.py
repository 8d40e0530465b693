"""Follow-ups about an activity (queued by scheduler/followups.py), and the changes that withdraw or re-time them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, object_session

from models import Activity, ActivityStatus, HostSlot, HostState, OutboxMessage, OutboxState, Person, Rsvp
from handlers.services.activities.hosts import _slot
from handlers.services.activities.planning import DEFAULT_RSVP_LEAD, FAIR_ANSWER_TIME


def followup_topic(activity_id: int) -> str:
    """The outbox topic of every follow-up about one activity: what `withdraw_followups` takes back."""
    return f"followup:{activity_id}"


def followup_key(kind: str, activity: Activity, *rest: object) -> str:
    """The exactly-once key of a follow-up about an activity, for the time it is about (its time revision)."""
    return ":".join([kind, str(activity.id), f"t{activity.time_revision}", *map(str, rest)])


def withdraw_followups(session: Session, activity_id: int) -> list[str]:
    """Take back the activity's follow-ups queued and not yet sent (held by quiet hours, or waiting to be
    retried): `touch` calls it for every change, whatever path moves, edits or cancels. Returns their keys.

    The rows are deleted, not marked: their keys are free again, so a job that still finds the follow-up
    due queues it afresh, with the activity as it now is. A row a dispatcher has already claimed is sent."""
    rows = delete(OutboxMessage).where(OutboxMessage.topic == followup_topic(activity_id),
                                       OutboxMessage.state == OutboxState.PENDING)
    return list(session.scalars(rows.returning(OutboxMessage.dedupe_key)))


def touch(activity: Activity, now: datetime) -> list[str]:
    """Record a change (a move, a cancel, any edit): the revision keys the edit notices, so each change is
    announced once. Its follow-ups queued and not yet sent are withdrawn: the jobs queue again what is still
    due, with the activity as it now is (nothing, once cancelled). Returns the withdrawn rows' keys."""
    activity.revision += 1
    activity.updated_at = now
    return withdraw_followups(object_session(activity), activity.id)


def reschedule(activity: Activity, starts_at: datetime, ends_at: datetime | None, now: datetime) -> None:
    """Move an activity, keeping its length (unless an end is given) and how long before it answers close.

    A move is a new time revision: the follow-ups of the new time go out once each, at their moments
    (those whose moment is already past when it moves are not sent); `touch` withdraws the old ones."""
    lead = activity.starts_at - activity.rsvp_deadline if activity.rsvp_deadline else DEFAULT_RSVP_LEAD
    duration = activity.ends_at - activity.starts_at
    was = (activity.starts_at, activity.ends_at)
    activity.starts_at, activity.ends_at = starts_at, ends_at or starts_at + duration
    deadline = starts_at - lead
    # As for a new activity: the same lead if it leaves a day to answer after the move, else until the start.
    activity.rsvp_deadline = deadline if deadline - now >= FAIR_ANSWER_TIME else starts_at
    if (activity.starts_at, activity.ends_at) != was:
        activity.time_revision += 1
        activity.time_set_at = now
    slot = _confirmed_slot(activity)
    if slot is not None:
        slot.last_hosted_at = _last_hosted(object_session(activity), slot)


def cancel_activity(activity: Activity, now: datetime) -> None:
    """Cancelled: no more answers or reminders; the answers stay on record.

    A confirmed host gets its turn back: it was ready to host and the network called the meeting off, so
    the turn is not counted, its last hosting date is the one before, and it is owed a turn (first in line
    again, as after a decline)."""
    activity.status = ActivityStatus.CANCELLED
    touch(activity, now)
    slot = _confirmed_slot(activity)
    if slot is not None:
        slot.times_hosted = max(0, slot.times_hosted - 1)
        slot.owed_turns += 1
        slot.last_hosted_at = _last_hosted(object_session(activity), slot)


def _confirmed_slot(activity: Activity) -> HostSlot | None:
    """The rotation slot a confirmed host's turn was counted in (confirm_host), if any."""
    if activity.network_id is None or activity.host_community_id is None or activity.host_state != HostState.CONFIRMED:
        return None
    return _slot(object_session(activity), activity.network_id, activity.host_community_id)


def _last_hosted(session: Session, slot: HostSlot) -> datetime | None:
    """The start of the latest meeting the community hosts or hosted for the network, as confirm_host records
    it: confirmed and not cancelled (the session flushes the change being made first)."""
    return session.scalar(select(func.max(Activity.starts_at)).where(
        Activity.network_id == slot.network_id, Activity.host_community_id == slot.community_id,
        Activity.host_state == HostState.CONFIRMED, Activity.status != ActivityStatus.CANCELLED))


def answers_of(session: Session, person: Person | None, activity_ids: Sequence[int]) -> dict[int, Rsvp]:
    """The person's answer to each of these activities (missing when they did not answer)."""
    if person is None or not activity_ids:
        return {}
    return {r.activity_id: r for r in session.scalars(select(Rsvp).where(
        Rsvp.person_id == person.id, Rsvp.activity_id.in_(list(activity_ids))))}
