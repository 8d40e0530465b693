"""Creating, editing and cancelling activities (handlers/events/): deadlines, hosts, who may change what."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.registry import Role
from handlers.services.registry import ROLE_RANK
from models import (
    Activity, ActivityStatus, Community, HostLogKind, HostSlot, HostState, Membership, Network, Person, RoleName,
)
from handlers.services.activities.codes import new_code
from handlers.services.activities.hosts import HostChoice, _log, busy_hosts, next_host, rotation


DEFAULT_DURATION = timedelta(hours=3)
DEFAULT_RSVP_LEAD = timedelta(days=1)
FAIR_ANSWER_TIME = timedelta(days=1)


def default_rsvp_deadline(starts_at: datetime, now: datetime) -> datetime:
    """Answers close a day before the start, when that still leaves a day to answer after the announcement;
    at shorter notice they are taken until the start (created at 10:00 for 14:00 tomorrow, answers close at
    14:00 tomorrow, not four hours after the announcement). The creator may change it (`แก้ไขกิจกรรม`)."""
    deadline = starts_at - DEFAULT_RSVP_LEAD
    return deadline if deadline - now >= FAIR_ANSWER_TIME else starts_at


def create_activity(session: Session, *, title: str, organization_id: int, starts_at: datetime, now: datetime,
                    network_id: int | None = None, community_id: int | None = None, ends_at: datetime | None = None,
                    place_text: str | None = None, place_lat: float | None = None, place_lng: float | None = None,
                    capacity: int | None = None, seats_per_community: int | None = None,
                    created_by: Person | None = None) -> Activity:
    """A planned activity with a fresh code; it ends 3 hours after the start unless told, answers close a
    day before. No host yet: propose one with `propose_host` or `propose_chosen_host`."""
    activity = Activity(code=new_code(session), title=title, organization_id=organization_id, network_id=network_id,
                        community_id=community_id, starts_at=starts_at, ends_at=ends_at or starts_at + DEFAULT_DURATION,
                        place_text=place_text, place_lat=place_lat, place_lng=place_lng, capacity=capacity,
                        seats_per_community=seats_per_community,
                        rsvp_deadline=default_rsvp_deadline(starts_at, now), status=ActivityStatus.PLANNED,
                        host_state=HostState.NONE, reminder_offsets=[3 * 24 * 60, 120], remind_groups=True,
                        created_by_id=created_by.id if created_by else None, created_at=now, updated_at=now,
                        revision=1)
    session.add(activity)
    session.flush()
    return activity


def suggested_host(session: Session, network: Network, now: datetime,
                   slots: Sequence[HostSlot] | None = None) -> HostChoice | None:
    """The host `propose_host` would pick for a new activity of the network, to show before creating it
    (`slots`: its `rotation`, when the caller has read it already)."""
    slots = rotation(session, network) if slots is None else slots
    return next_host(session, network, busy_hosts(session, network, now), slots) or \
        next_host(session, network, slots=slots)


def propose_chosen_host(session: Session, activity: Activity, community: Community, now: datetime,
                        actor: Person | None = None, reason: str | None = None) -> None:
    """The creator named the host instead of the rotation's choice: propose it, logged as such."""
    activity.host_community_id, activity.host_state = community.id, HostState.PROPOSED
    _log(session, activity.network_id, HostLogKind.PROPOSED, now, community_id=community.id, activity=activity,
         reason=reason, actor=actor)


def community_leaders(session: Session, community_id: int) -> list[Person]:
    """The community's leaders who can still be reached (LINE, not blocked): asked to confirm hosting."""
    return list(session.scalars(select(Person).join(Membership, Membership.person_id == Person.id).where(
        Membership.role == "community_leader", Membership.community_id == community_id,
        Person.reachable).distinct().order_by(Person.id)))


def awaiting_host_answer(session: Session, community_id: int, now: datetime, limit: int) -> list[Activity]:
    """Planned activities still to come whose proposed host is this community and that nobody has
    confirmed or declined yet (soonest first)."""
    return list(session.scalars(select(Activity).where(
        Activity.host_community_id == community_id, Activity.host_state == HostState.PROPOSED,
        Activity.status == ActivityStatus.PLANNED, Activity.starts_at > now)
        .order_by(Activity.starts_at, Activity.id).limit(limit)))


def can_change_activity(session: Session, person: Person | None, held: Sequence[Membership],
                        activity: Activity) -> bool:
    """Its creator, a leader of its host community (or of its own community), its network's chair, or
    staff of its organization."""
    if person is None:
        return False
    # The creator keeps the right only while still a leader (or above) in its organization: someone
    # whose role was taken away must not change it through an old button or a conversation in progress.
    if activity.created_by_id is not None and activity.created_by_id == person.id and any(
            m.organization_id == activity.organization_id and ROLE_RANK[RoleName(m.role)] >= Role.COMMUNITY_LEADER
            for m in held):
        return True
    communities = {activity.host_community_id, activity.community_id} - {None}
    return may_plan_series(held, activity) or any(
        m.role == RoleName.COMMUNITY_LEADER and m.community_id in communities for m in held)


def may_plan_series(held: Sequence[Membership], activity: Activity) -> bool:
    """Its network's chair or its organization's staff: who may set its series, and change it in any case."""
    return any((m.role == RoleName.STAFF and m.organization_id == activity.organization_id)
               or (m.role == RoleName.NETWORK_CHAIR and activity.network_id is not None
                   and m.network_id == activity.network_id)
               for m in held)


def locked_activity(session: Session, activity_id: int) -> Activity | None:
    """The activity, locked for this transaction and read afresh, so that two changes (two edits, two
    taps on "cancel", two chairs setting its series) take turns and the second sees what the first did."""
    return session.scalars(select(Activity).where(Activity.id == activity_id).with_for_update()
                           .execution_options(populate_existing=True)).first()
