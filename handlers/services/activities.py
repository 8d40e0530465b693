"""Activity services: codes, who hosts next (the rotation), answers with waitlist and quotas, check-in,
recurring series. Database only; handlers and scheduler jobs call these.
"""

from __future__ import annotations

import calendar
import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, func, or_, select
from sqlalchemy.orm import Session, object_session

from bot.config import TIMEZONE
from handlers.registry import Role, strip_polite
from handlers.services.registry import INVITE_ALPHABET, ROLE_RANK, THAI_DIGITS, person_key
from handlers.services.seats import Waiting, seats_freed, seats_taken, waitlist_position
from models import (
    Activity,
    ActivityStatus,
    Answer,
    ChatLink,
    Community,
    HostLog,
    HostLogKind,
    HostSlot,
    HostState,
    Membership,
    Network,
    NetworkKind,
    OutboxMessage,
    OutboxState,
    Person,
    RoleName,
    Rsvp,
    Series,
    community_issue_network,
)

CHECK_IN_OPENS = timedelta(hours=1)
UPCOMING_LIMIT = 12  # a Flex carousel holds at most 12 bubbles


def new_code(session: Session) -> str:
    """A short code people can type (`ไป K7M2`), unique among activities."""
    while True:
        code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(4))
        if session.scalar(select(func.count()).where(Activity.code == code)) == 0:
            return code


def find_activity(session: Session, code: str) -> Activity | None:
    """The activity with this code (case and spaces forgiven)."""
    cleaned = code.strip().upper().replace(" ", "")
    return session.scalars(select(Activity).where(Activity.code == cleaned)).first() if cleaned else None


def network_communities(session: Session, network: Network) -> list[Community]:
    """The communities of a network: a zone's own communities, or an issue network's members."""
    if network.kind == NetworkKind.ZONE:
        query = select(Community).where(Community.zone_id == network.id)
    else:
        query = select(Community).join(community_issue_network,
                                       community_issue_network.c.community_id == Community.id).where(
            community_issue_network.c.network_id == network.id)
    return list(session.scalars(query.order_by(Community.name)))


# --- host rotation ----------------------------------------------------------------------------

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


def next_host(session: Session, network: Network, exclude: set[int] = frozenset()) -> HostChoice | None:
    """The community that should host next, and why (None when every community is excluded)."""
    ordered = [s for s in host_order(rotation(session, network)) if s.community_id not in exclude]
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
    choice = next_host(session, network, passed | busy_hosts(session, network, now, activity)) or \
        next_host(session, network, passed)
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


# --- answers ----------------------------------------------------------------------------------

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
    for rsvp in session.scalars(select(Rsvp).where(Rsvp.activity_id == activity.id)):
        totals[(rsvp.community_id, Answer(rsvp.answer), rsvp.waitlisted_at is not None)] += 1 + rsvp.guests
        if rsvp.waiting_guests:
            totals[(rsvp.community_id, Answer(rsvp.answer), True)] += rsvp.waiting_guests
    return [(c, a, w, n) for (c, a, w), n in totals.items()]


# --- check-in ---------------------------------------------------------------------------------

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
    came = answered = came_answered = 0
    for rsvp in session.scalars(select(Rsvp).where(Rsvp.activity_id == activity.id)):
        came += rsvp.checked_in_at is not None
        # An answer recorded at or after the check-in is the check-in's (a walk-in), not a promise kept.
        promised = rsvp.answer == Answer.GOING and rsvp.waitlisted_at is None and \
            (rsvp.checked_in_at is None or rsvp.answered_at < rsvp.checked_in_at)
        answered += promised
        came_answered += promised and rsvp.checked_in_at is not None
    return Attendance(came, answered, came_answered)


# --- who sees what ----------------------------------------------------------------------------

def networks_of_person(session: Session, person: Person | None) -> set[int]:
    """Networks the person belongs to through their communities, or chairs (staff: all of their organization)."""
    if person is None:
        return set()
    held = list(session.scalars(select(Membership).where(Membership.person_id == person.id)))
    ids: set[int] = set()
    for m in held:
        if m.role == "staff":
            ids.update(session.scalars(select(Network.id).where(Network.organization_id == m.organization_id)))
        if m.network_id:
            ids.add(m.network_id)
        if m.community_id:
            community = session.get(Community, m.community_id)
            ids.add(community.zone_id)
            ids.update(session.scalars(select(community_issue_network.c.network_id).where(
                community_issue_network.c.community_id == community.id)))
    return ids


def communities_of_person(session: Session, person: Person | None) -> set[int]:
    if person is None:
        return set()
    return set(session.scalars(select(Membership.community_id).where(
        Membership.person_id == person.id, Membership.community_id.is_not(None))))


def upcoming_for(session: Session, person: Person | None, now: datetime,
                 limit: int = UPCOMING_LIMIT) -> list[Activity]:
    """Planned or confirmed activities ahead, of the person's networks and communities, soonest first."""
    networks, communities = networks_of_person(session, person), communities_of_person(session, person)
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


def interested_people(session: Session, activity: Activity, answers: Sequence[Answer] = INTERESTED
                      ) -> list[Person]:
    """People who answered going or maybe (reachable): told about edits and cancellation, reminded."""
    return list(session.scalars(select(Person).join(Rsvp, Rsvp.person_id == Person.id)
                                .where(*_interested([activity.id], answers)).order_by(Person.id)))


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


# --- recurring series -------------------------------------------------------------------------

SERIES_RULES = {"ทุกเดือน": 1, "รายเดือน": 1, "ทุก 2 เดือน": 2, "ทุก 3 เดือน": 3, "ทุกไตรมาส": 3,
                "ปีละ 2 ครั้ง": 6, "ทุก 6 เดือน": 6, "ปีละครั้ง": 12, "ทุกปี": 12,
                "monthly": 1, "every month": 1, "every 2 months": 2, "every 3 months": 3, "quarterly": 3,
                "twice a year": 6, "every 6 months": 6, "yearly": 12, "every year": 12, "once a year": 12}


SERIES_HORIZON = timedelta(days=30)  # how long before it starts each next occurrence is created
SERIES_MIN_LEAD = timedelta(days=7)  # a slot sooner than this is skipped: too late to announce and find a host
_RULES_COMPACT = {"".join(rule.casefold().split()): months for rule, months in SERIES_RULES.items()}
_RULES_COMPACT |= {"เดือนละครั้ง": 1, "เดือนละ1ครั้ง": 1, "everyothermonth": 2}
_EVERY_N_MONTHS = re.compile(r"(?:ทุก|every)(\d{1,2})(?:เดือน|months?)")
_TIMES_A_YEAR = re.compile(r"(?:ปีละ(\d{1,2})ครั้ง|(\d{1,2})timesayear)")


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (the month's last day when it is shorter)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def read_series_rule(text: str) -> int | None:
    """Months between occurrences from `ทุกเดือน`, `ทุก ๆ 3 เดือน`, `ปีละ 4 ครั้ง`, `every 2 months`...
    (spacing, ๆ, Thai digits and a polite ending forgiven; 1 to 12 months), or None."""
    cleaned = "".join(strip_polite(text).translate(THAI_DIGITS).replace("ๆ", "").casefold().split())
    if cleaned in _RULES_COMPACT:
        return _RULES_COMPACT[cleaned]
    every = _EVERY_N_MONTHS.fullmatch(cleaned)
    if every:
        return int(every[1]) if 1 <= int(every[1]) <= 12 else None
    times = _TIMES_A_YEAR.fullmatch(cleaned)
    count = int(times[1] or times[2]) if times else 0
    return 12 // count if count and 12 % count == 0 else None  # 5 times a year has no fixed month interval


def slot_start(series: Series, slot: int) -> datetime:
    """When the series' rule puts slot `slot` of its current rule (Bangkok time). Always counted from the
    first start, so the day of the month never drifts (31 Jan, 28 Feb, 31 Mar)."""
    return add_months(series.anchor_at.astimezone(TIMEZONE), series.base_months + series.interval_months * slot)


def next_slot(series: Series, latest: Activity | None, now: datetime) -> tuple[int, datetime]:
    """The slot the next occurrence goes in: the first after the latest's, at least SERIES_MIN_LEAD ahead
    (a slot too soon to announce is skipped), and after the day the latest actually takes place (one moved
    onto the next slot's day fills it)."""
    slot = series.last_slot + 1 if latest is not None else 0
    earliest = now + SERIES_MIN_LEAD
    if latest is not None and latest.status != ActivityStatus.CANCELLED:
        day_after = datetime.combine(latest.starts_at.astimezone(TIMEZONE).date() + timedelta(days=1),
                                     datetime.min.time(), TIMEZONE)
        earliest = max(earliest, day_after)
    while slot_start(series, slot) < earliest:
        slot += 1
    return slot, slot_start(series, slot)


def latest_occurrence(session: Session, series: Series) -> Activity | None:
    return session.scalars(select(Activity).where(Activity.series_id == series.id)
                           .order_by(Activity.occurrence.desc())).first()


def locked_series(session: Session, series_id: int) -> Series | None:
    """The series, locked and read afresh: the hourly job and a chair stopping or changing it take turns,
    so nothing is created after the chair was told it stopped."""
    return session.scalars(select(Series).where(Series.id == series_id).with_for_update()
                           .execution_options(populate_existing=True)).first()


def repeat(session: Session, activity: Activity, interval_months: int, person: Person | None,
           now: datetime) -> Series:
    """Make the activity's series repeat every `interval_months` from its latest occurrence (a new series
    with this activity as occurrence 1 when it has none). One series per chain of occurrences: stopping
    and starting again, or changing the interval, keep the numbering and never repeat a date. Setting the
    same interval again after the latest occurrence was moved moves the schedule to it."""
    activity = locked_activity(session, activity.id)  # two taps at once: the second sees the first's series
    series = locked_series(session, activity.series_id) if activity.series_id else None
    if series is None:
        series = Series(organization_id=activity.organization_id, network_id=activity.network_id,
                        title=activity.title, interval_months=interval_months, place_text=activity.place_text,
                        duration_minutes=_minutes(activity), anchor_at=activity.starts_at, base_months=0,
                        last_slot=0, active=True, created_by_id=person.id if person is not None else None,
                        created_at=now)
        session.add(series)
        session.flush()
        activity.series_id, activity.occurrence = series.id, 1
        return series
    latest = latest_occurrence(session, series)
    if (latest is not None and series.interval_months == interval_months
            and latest.starts_at != slot_start(series, series.last_slot)):
        series.anchor_at, series.base_months = latest.starts_at, 0   # the chair moved the schedule
    else:
        series.base_months += series.interval_months * series.last_slot  # the latest slot becomes slot 0
    series.interval_months, series.last_slot, series.active = interval_months, 0, True
    return series


def _minutes(activity: Activity) -> int:
    return max(1, int((activity.ends_at - activity.starts_at).total_seconds() // 60))


def generate_next(session: Session, series: Series, now: datetime, horizon: timedelta = SERIES_HORIZON,
                  actor: Person | None = None) -> Activity | None:
    """Create the series' next occurrence once its slot is within the horizon, with its host proposed.
    Safe to call again: it goes in the slot after the latest's, and (series, occurrence) is unique.

    Numbered after the latest (slots skipped while the series was stopped are not counted). Details come
    from the latest occurrence, so an edit to it (title, place, seats, reminders) carries on."""
    if not series.active:
        return None
    last = latest_occurrence(session, series)
    slot, starts = next_slot(series, last, now)
    if starts > now + horizon:
        return None
    minutes = _minutes(last) if last is not None else series.duration_minutes
    activity = Activity(code=new_code(session), title=last.title if last else series.title,
                        organization_id=series.organization_id, network_id=series.network_id, starts_at=starts,
                        ends_at=starts + timedelta(minutes=minutes),
                        place_text=last.place_text if last else series.place_text,
                        place_lat=last.place_lat if last else None, place_lng=last.place_lng if last else None,
                        capacity=last.capacity if last else None,
                        seats_per_community=last.seats_per_community if last else None,
                        rsvp_deadline=default_rsvp_deadline(starts, now), status=ActivityStatus.PLANNED,
                        series_id=series.id, occurrence=(last.occurrence if last else 0) + 1,
                        reminder_offsets=list(last.reminder_offsets) if last and last.reminder_offsets is not None
                        else [3 * 24 * 60, 120],
                        remind_groups=last.remind_groups if last else True, host_state=HostState.PROPOSED,
                        created_by_id=series.created_by_id, created_at=now, updated_at=now, revision=1)
    session.add(activity)
    session.flush()
    series.last_slot = slot
    propose_host(session, activity, now, actor)
    return activity


# --- for the RSVP and check-in commands -----------------------------------------------------------

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


def managed_people_named(session: Session, held: Sequence[Membership], name: str,
                         only: Callable[[Person], bool] | None = None) -> list[Person]:
    """Registered people of the communities these roles manage (those `only` keeps), by full name compared
    with `person_key` (a title such as คุณ, ยาย or นาง is forgiven either way): the exact matches, else
    those whose name contains the text (a first name alone)."""
    ids = managed_community_ids(session, held)
    key = person_key(name)
    if not ids or not key:
        return []
    people = sorted((p for p in session.scalars(select(Person).where(Person.consent_version.is_not(None), Person.id.in_(
        select(Membership.person_id).where(Membership.community_id.in_(ids))))) if only is None or only(p)),
        key=lambda p: (p.full_name or "", p.id))  # sorted here: database collations order Thai differently
    keyed = [(person_key(p.full_name or ""), p) for p in people]
    same = [p for k, p in keyed if k == key]
    # Two people entered before titles were forgiven ("สมศรี" and "ยายสมศรี") are told apart as written.
    as_written = [p for p in same if _spelled(p.full_name or "") == _spelled(name)]
    return as_written or same or [p for k, p in keyed if key in k]


def _spelled(name: str) -> str:
    return " ".join(name.casefold().split())


# --- for creating, editing and cancelling activities (handlers/events.py) --------------------------

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


def suggested_host(session: Session, network: Network, now: datetime) -> HostChoice | None:
    """The host `propose_host` would pick for a new activity of the network, to show before creating it."""
    return next_host(session, network, busy_hosts(session, network, now)) or next_host(session, network)


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


# --- follow-ups about an activity (queued by scheduler/followups.py) ---------------------------------

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
