"""Who hosts next: the rotation of a network's communities, proposing, confirming, declining, skipping and swapping hosts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Activity, ActivityStatus, Community, HostLog, HostLogKind, HostSlot, HostState, Network, Person
from handlers.services.activities.codes import network_communities


def rotation(session: Session, network: Network) -> list[HostSlot]:
    """The network's rotation in list order; communities new to the network join at the end."""
    slots = list(session.scalars(select(HostSlot).where(HostSlot.network_id == network.id)
                                 .order_by(HostSlot.position)))
    known = {slot.community_id for slot in slots}
    position = max((slot.position for slot in slots), default=0)
    for community in network_communities(session, network):
        if community.id not in known:
            position += 1
            slot = HostSlot(network_id=network.id, community_id=community.id, position=position,
                            times_hosted=0, declines=0, owed_turns=0)
            session.add(slot)
            slots.append(slot)
    session.flush()
    return slots


def host_order(slots: Sequence[HostSlot]) -> list[HostSlot]:
    """Who should host first: fewest turns hosted, then longest since last hosting (never = longest),
    then the network's list order."""
    def key(slot: HostSlot) -> tuple[int, int, float, int]:
        last = slot.last_hosted_at
        return (slot.times_hosted, 0 if last is None else 1, last.timestamp() if last else 0.0, slot.position)

    return sorted(slots, key=key)


@dataclass(frozen=True)
class HostChoice:
    slot: HostSlot
    community: Community
    reason: str          # catalogue key: host.reason.least / host.reason.longest / host.reason.order
    values: dict[str, object] = field(default_factory=dict)


def next_host(session: Session, network: Network, exclude: set[int] = frozenset(),
              slots: Sequence[HostSlot] | None = None) -> HostChoice | None:
    """The community that should host next, and why (None when every community is excluded); `slots`:
    the network's `rotation` when the caller has read it already."""
    slots = rotation(session, network) if slots is None else slots
    ordered = [s for s in host_order(slots) if s.community_id not in exclude]
    if not ordered:
        return None
    first = ordered[0]
    ties = [s for s in ordered if s.times_hosted == first.times_hosted]
    if len(ties) == 1:
        reason = "host.reason.least"
    elif first.last_hosted_at != ties[1].last_hosted_at:
        reason = "host.reason.longest"
    else:
        reason = "host.reason.order"
    return HostChoice(first, session.get(Community, first.community_id), reason,
                      {"times": first.times_hosted, "position": first.position})


def _log(session: Session, network_id: int, kind: HostLogKind, now: datetime, *, community_id: int | None = None,
         other_id: int | None = None, activity: Activity | None = None, reason: str | None = None,
         actor: Person | None = None) -> None:
    session.add(HostLog(network_id=network_id, community_id=community_id, other_community_id=other_id,
                        activity_id=activity.id if activity else None, kind=kind, reason=reason,
                        actor_id=actor.id if actor else None, by_person=actor is not None, at=now))


def first_proposed_host(session: Session, activity: Activity) -> int | None:
    """The host first proposed for the activity (None if it had none): the one its card in the groups shows."""
    return session.scalar(select(HostLog.community_id).where(
        HostLog.activity_id == activity.id, HostLog.kind == HostLogKind.PROPOSED).order_by(HostLog.id).limit(1))


def passed_over(session: Session, activity: Activity) -> set[int]:
    """Communities that declined or were skipped for this activity: not proposed again for it."""
    return set(session.scalars(select(HostLog.community_id).where(
        HostLog.activity_id == activity.id, HostLog.kind.in_([HostLogKind.DECLINED, HostLogKind.SKIPPED]))))


def busy_hosts(session: Session, network: Network, now: datetime, activity: Activity | None = None) -> set[int]:
    """Communities proposed for another open activity of the network, still waiting for their answer."""
    query = select(Activity.host_community_id).where(
        Activity.network_id == network.id, Activity.host_state == HostState.PROPOSED,
        Activity.host_community_id.is_not(None), Activity.ends_at > now,
        Activity.status.in_([ActivityStatus.PLANNED, ActivityStatus.CONFIRMED]))
    if activity is not None and activity.id is not None:
        query = query.where(Activity.id != activity.id)
    return set(session.scalars(query))


def propose_host(session: Session, activity: Activity, now: datetime, actor: Person | None = None) -> HostChoice | None:
    """Propose the next host for an activity of a network, passing over those who declined it."""
    network = session.get(Network, activity.network_id)
    passed = passed_over(session, activity)
    # A community already asked for another open activity is not asked twice at once (both could be
    # confirmed and it would host twice in a row); only when nobody else is left is it asked again.
    slots = rotation(session, network)
    choice = next_host(session, network, passed | busy_hosts(session, network, now, activity), slots) or \
        next_host(session, network, passed, slots)
    if choice is None:
        activity.host_community_id, activity.host_state = None, HostState.NONE
        return None
    activity.host_community_id, activity.host_state = choice.community.id, HostState.PROPOSED
    _log(session, network.id, HostLogKind.PROPOSED, now, community_id=choice.community.id, activity=activity,
         actor=actor)
    return choice


def _slot(session: Session, network_id: int, community_id: int) -> HostSlot:
    """A community's ledger row, locked for the change the caller makes (PostgreSQL): two activities of
    the same host confirmed at once must both be counted, not one overwrite the other."""
    query = (select(HostSlot).where(HostSlot.network_id == network_id, HostSlot.community_id == community_id)
             .with_for_update().execution_options(populate_existing=True))
    slot = session.scalars(query).first()
    if slot is None:
        rotation(session, session.get(Network, network_id))
        slot = session.scalars(query).one()
    return slot


def confirm_host(session: Session, activity: Activity, now: datetime, actor: Person | None = None) -> None:
    """The proposed host accepts: its turn is counted."""
    slot = _slot(session, activity.network_id, activity.host_community_id)
    slot.times_hosted += 1
    # Activities may be confirmed out of date order: the latest hosting date stays the latest.
    if slot.last_hosted_at is None or activity.starts_at > slot.last_hosted_at:
        slot.last_hosted_at = activity.starts_at
    slot.owed_turns = max(0, slot.owed_turns - 1)
    activity.host_state = HostState.CONFIRMED
    _log(session, activity.network_id, HostLogKind.CONFIRMED, now, community_id=slot.community_id,
         activity=activity, actor=actor)


def decline_host(session: Session, activity: Activity, reason: str, now: datetime,
                 actor: Person | None = None) -> HostChoice | None:
    """The proposed host declines (with a reason): its turn stays owed, the proposal moves on."""
    slot = _slot(session, activity.network_id, activity.host_community_id)
    slot.declines += 1
    slot.owed_turns += 1
    _log(session, activity.network_id, HostLogKind.DECLINED, now, community_id=slot.community_id,
         activity=activity, reason=reason, actor=actor)
    return propose_host(session, activity, now)  # the rotation picks the next host, not the person declining


def skip_host(session: Session, activity: Activity, reason: str, now: datetime,
              actor: Person | None = None) -> HostChoice | None:
    """A chair or staff passes over the proposed host with a reason; its turn stays owed."""
    slot = _slot(session, activity.network_id, activity.host_community_id)
    slot.owed_turns += 1
    _log(session, activity.network_id, HostLogKind.SKIPPED, now, community_id=slot.community_id,
         activity=activity, reason=reason, actor=actor)
    return propose_host(session, activity, now)  # the rotation picks the next host


def swap_hosts(session: Session, network: Network, first: Community, second: Community, reason: str | None,
               now: datetime, actor: Person | None = None) -> None:
    """Swap two communities' places in the list order (the tie-breaker)."""
    a, b = _slot(session, network.id, first.id), _slot(session, network.id, second.id)
    a.position, b.position = b.position, a.position
    _log(session, network.id, HostLogKind.SWAPPED, now, community_id=first.id, other_id=second.id,
         reason=reason, actor=actor)


def host_history(session: Session, network: Network, limit: int = 20) -> list[HostLog]:
    """The latest rotation changes, newest first."""
    return list(session.scalars(select(HostLog).where(HostLog.network_id == network.id)
                                .order_by(HostLog.at.desc(), HostLog.id.desc()).limit(limit)))
