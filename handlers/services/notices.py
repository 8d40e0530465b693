"""Notice service functions: who a notice reaches, how (linked groups or each person), what it costs,
queueing it into the outbox page by page, answers (acknowledged / safe / need help) and their tallies.

Handlers and scheduler jobs call these; they only touch the database. Recipients are never loaded
whole: they are read in keyset pages (`Person.id > last`), and every count is done by the database.
What LINE knows (the monthly quota, its consumption, the member count of each linked group) is
fetched by the scheduler (`scheduler/notices.py`) and kept in `channel_state` for a few minutes,
so every web worker reads the same figures and no handler calls LINE.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from linebot.v3.messaging import Message
from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import outbox
from bot.messages import serialized
from handlers.services import registry as reg
from models import (
    AckKind,
    ChannelState,
    ChatLink,
    Community,
    Membership,
    Network,
    Notice,
    NoticeAck,
    NoticeScope,
    NoticeStatus,
    OutboxKind,
    OutboxMessage,
    OutboxState,
    Person,
    RoleFilter,
    RoleName,
    community_issue_network,
)

PAGE = 10_000                     # recipients queued per transaction: 20 multicast rows of 500
QUOTA_KEY = "line_quota"          # channel_state: {"limit": int | null, "used": int}
QUOTA_TTL = timedelta(minutes=5)  # older figures are not shown as current
GROUP_SIZE_PREFIX = "group_members:"
GROUP_SIZE_TTL = timedelta(hours=1)
QUEUE_CURSOR = "notice_queue:"    # channel_state: the last person id queued, while a notice is being queued
NUDGE_CURSOR = "notice_nudge:"
TEXT_LIMIT = 2000
NEWS_LIMIT = 5
DEFAULT_NUDGE_HOURS = 24
NEWS_SCAN = 200                   # latest notices looked at when picking someone's news

ROLE_FILTERS: dict[RoleFilter, tuple[RoleName, ...] | None] = {
    RoleFilter.EVERYONE: None,
    RoleFilter.LEADERS: (RoleName.COMMUNITY_LEADER, RoleName.NETWORK_CHAIR, RoleName.STAFF),
    RoleFilter.COMMITTEE: (RoleName.COMMUNITY_LEADER,),
    RoleFilter.PARTNERS: (RoleName.PARTNER,),
}


@dataclass(frozen=True)
class Audience:
    """Who a notice is for: a scope in one organization, a role filter, and the author left out."""

    organization_id: int
    scope: NoticeScope
    network_id: int | None = None
    community_id: int | None = None
    role_filter: RoleFilter = RoleFilter.EVERYONE
    author_id: int | None = None

    @classmethod
    def of(cls, notice: Notice) -> Audience:
        return cls(notice.organization_id, NoticeScope(notice.scope), notice.network_id, notice.community_id,
                   RoleFilter(notice.role_filter), notice.author_id)


def topic_of(notice_id: int) -> str:
    """The outbox topic of a notice's rows (nudges have their own)."""
    return f"notice:{notice_id}"


def nudge_topic_of(notice_id: int) -> str:
    return f"notice_nudge:{notice_id}"


# --- who ----------------------------------------------------------------------------------------

def network_community_ids(network_id: int):
    """A select of the ids of a network's communities: its zone's, or those that joined the issue network."""
    joined = select(community_issue_network.c.community_id).where(community_issue_network.c.network_id == network_id)
    return select(Community.id).where(or_(Community.zone_id == network_id, Community.id.in_(joined)))


def _scope_condition(a: Audience):
    if a.scope == NoticeScope.ORGANIZATION:
        return Membership.organization_id == a.organization_id
    if a.scope == NoticeScope.NETWORK:
        return or_(Membership.network_id == a.network_id,
                   Membership.community_id.in_(network_community_ids(a.network_id)))
    return Membership.community_id == a.community_id


def membership_condition(a: Audience):
    """Memberships that put their holder in the audience: in scope, and of a role the filter keeps."""
    roles = ROLE_FILTERS[RoleFilter(a.role_filter)]
    scope = _scope_condition(a)
    return scope if roles is None else and_(scope, Membership.role.in_([str(r) for r in roles]))


def _person_conditions(a: Audience, answered: Any = None) -> list[Any]:
    # Only people who consented and whom a push reaches (LINE, not blocked); the author is not counted.
    # `answered`: a condition that also counts someone a push does not reach (answered for by a leader).
    reachable = Person.reachable if answered is None else or_(Person.reachable, answered)
    conditions = [Person.consent_version.is_not(None), reachable]
    if a.author_id is not None:
        conditions.append(Person.id != a.author_id)
    return conditions


def recipients_query(a: Audience, after: int = 0):
    """A select of (id, LINE user id, language) of everyone the audience covers with an id above `after`,
    one row per person. The bound is given to both sides so the database starts both scans there."""
    members = select(Membership.person_id).where(membership_condition(a))
    if after:
        members = members.where(Membership.person_id > after)
    query = select(Person.id, Person.line_user_id, Person.language).where(
        *_person_conditions(a), Person.id.in_(members))
    return query.where(Person.id > after) if after else query


def recipient_page(session: Session, a: Audience, after: int = 0, size: int = PAGE, *,
                   unanswered_notice: int | None = None) -> list[Any]:
    """The next `size` recipients with an id above `after`, by id (keyset pagination).

    With `unanswered_notice`, only those who have not answered that notice (for the nudge)."""
    query = recipients_query(a, after)
    if unanswered_notice is not None:
        query = query.where(~exists().where(NoticeAck.notice_id == unanswered_notice,
                                            NoticeAck.person_id == Person.id))
    # Core rows through the session's connection: plain columns need none of the ORM's loading.
    return session.connection().execute(query.order_by(Person.id).limit(size)).all()


def page_by_language(session: Session, a: Audience, after: int, size: int) -> tuple[dict[str, list[str]], int, int | None]:
    """The next page of recipients as {language: LINE user ids}, how many, and the last id.

    On PostgreSQL the database groups the page (`array_agg`), so a notice to two million people does
    not build two million result rows in Python; elsewhere the page is grouped here."""
    if session.get_bind().dialect.name != "postgresql":
        page = recipient_page(session, a, after, size)
        by_lang: dict[str, list[str]] = {}
        for _, user_id, lang in page:
            by_lang.setdefault(lang or "th", []).append(user_id)
        return by_lang, len(page), (page[-1][0] if page else None)
    sub = recipients_query(a, after).order_by(Person.id).limit(size).subquery()
    lang = func.coalesce(sub.c.language, "th")
    # No ORDER BY inside array_agg: that would make PostgreSQL sort the page by language first (about
    # a third of the query's time for 10,000 people); the order of ids within a multicast means nothing
    # to LINE, and the cursor is the page's max(id), not the last id of a list.
    groups = session.execute(select(lang, func.array_agg(sub.c.line_user_id), func.count(), func.max(sub.c.id))
                             .group_by(lang).order_by(lang)).all()
    last = max((g[3] for g in groups), default=None)
    return {g[0]: g[1] for g in groups}, sum(g[2] for g in groups), last


def iter_recipients(session: Session, a: Audience, size: int = PAGE) -> Iterator[list[Any]]:
    """Every recipient, a page at a time; never more than one page in memory."""
    after = 0
    while True:
        page = recipient_page(session, a, after, size)
        if not page:
            return
        yield page
        if len(page) < size:
            return
        after = page[-1].id


def without_line(session: Session, a: Audience, limit: int, *,
                 unanswered_notice: int | None = None) -> tuple[int, list[Person]]:
    """Members the audience covers who have no LINE (a leader registered them): nothing reaches them, so
    the sender is told who they are, to tell them in person. How many, and the first `limit` of them.

    With `unanswered_notice`, only those nobody has answered that alert for yet."""
    members = select(Membership.person_id).where(membership_condition(a))
    query = select(Person).where(Person.line_user_id.is_(None), Person.consent_version.is_not(None),
                                 Person.id.in_(members))
    if unanswered_notice is not None:
        query = query.where(~exists().where(NoticeAck.notice_id == unanswered_notice,
                                            NoticeAck.person_id == Person.id))
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return count, list(session.scalars(query.order_by(Person.id).limit(limit))) if count else []


def count_recipients(session: Session, a: Audience) -> int:
    return session.scalar(select(func.count()).select_from(recipients_query(a).subquery())) or 0


def is_recipient(session: Session, a: Audience, held: Sequence[Membership]) -> bool:
    """Whether someone holding these memberships is in the audience (checked without a query per notice)."""
    roles = ROLE_FILTERS[RoleFilter(a.role_filter)]
    for m in held:
        if roles is not None and RoleName(m.role) not in roles:
            continue
        if a.scope == NoticeScope.ORGANIZATION and m.organization_id == a.organization_id:
            return True
        if a.scope == NoticeScope.COMMUNITY and m.community_id == a.community_id:
            return True
        if a.scope == NoticeScope.NETWORK:
            if m.network_id == a.network_id:
                return True
            community = session.get(Community, m.community_id) if m.community_id else None
            if community is not None and a.network_id in reg.community_networks(session, community):
                return True
    return False


def may_answer(session: Session, notice: Notice, held: Sequence[Membership], group_id: str | None) -> bool:
    """Whether someone may answer a notice's card: its audience, or anyone in a linked group it was posted
    in (a card in a group is for the whole group: a neighbour registered in another community, staff)."""
    audience = Audience.of(notice)
    if is_recipient(session, audience, held):
        return True
    if not notice.via_groups or group_id is None:
        return False
    link = reg.chat_link(session, group_id)
    return link is not None and link.community_id in target_community_ids(session, audience)


def target_community_ids(session: Session, a: Audience) -> list[int]:
    if a.scope == NoticeScope.COMMUNITY:
        return [a.community_id]
    if a.scope == NoticeScope.NETWORK:
        return list(session.scalars(network_community_ids(a.network_id)))
    return list(session.scalars(select(Community.id).where(Community.organization_id == a.organization_id)))


def person_community(session: Session, a: Audience, person_id: int) -> int | None:
    """The community someone is counted under for a notice: their first community in its scope."""
    return session.scalar(select(func.min(Membership.community_id)).where(
        Membership.person_id == person_id, membership_condition(a)))


# --- how, and at what cost ----------------------------------------------------------------------

@dataclass(frozen=True)
class Quota:
    """LINE's monthly figures as last fetched: limit None means the plan has none."""

    limit: int | None
    used: int
    as_of: datetime

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


def store_quota(session: Session, limit: int | None, used: int, now: datetime) -> None:
    _put(session, QUOTA_KEY, json.dumps({"limit": limit, "used": used}), now + QUOTA_TTL, now)


def cached_quota(session: Session, now: datetime) -> Quota | None:
    """The quota figures if fetched within the last few minutes, else None."""
    state = session.get(ChannelState, QUOTA_KEY)
    if state is None or state.until is None or state.until <= now:
        return None
    data = json.loads(state.value)
    return Quota(data.get("limit"), int(data.get("used", 0)), state.updated_at)


def store_group_size(session: Session, chat_id: str, count: int, now: datetime) -> None:
    _put(session, GROUP_SIZE_PREFIX + chat_id, str(count), now + GROUP_SIZE_TTL, now)


def group_sizes(session: Session, chat_ids: Sequence[str], now: datetime) -> dict[str, int]:
    """Cached member counts of these groups (those not fetched lately are missing)."""
    keys = {GROUP_SIZE_PREFIX + chat_id: chat_id for chat_id in chat_ids}
    if not keys:
        return {}
    rows = session.scalars(select(ChannelState).where(ChannelState.key.in_(list(keys)), ChannelState.until > now))
    return {keys[row.key]: int(row.value) for row in rows}


def stale_group_links(session: Session, refresh_before: datetime) -> list[str]:
    """Linked groups whose member count was never fetched or was fetched before `refresh_before`."""
    fresh = {key.removeprefix(GROUP_SIZE_PREFIX) for key in session.scalars(select(ChannelState.key).where(
        ChannelState.key.like(GROUP_SIZE_PREFIX + "%"), ChannelState.updated_at >= refresh_before))}
    linked = session.scalars(select(ChatLink.chat_id).where(
        ChatLink.left_at.is_(None), ChatLink.community_id.is_not(None)).order_by(ChatLink.chat_id))
    return [chat_id for chat_id in linked if chat_id not in fresh]


def _put(session: Session, key: str, value: str, until: datetime | None, now: datetime) -> None:
    state = session.get(ChannelState, key)
    if state is None:
        session.add(ChannelState(key=key, value=value, until=until, updated_at=now))
    else:
        state.value, state.until, state.updated_at = value, until, now
    session.flush()


def community_groups(session: Session, community_ids: Sequence[int]) -> dict[int, list[str]]:
    """The linked groups of each community (only communities that have one)."""
    found: dict[int, list[str]] = {}
    if not community_ids:
        return found
    for community_id, chat_id in session.execute(
            select(ChatLink.community_id, ChatLink.chat_id)
            .where(ChatLink.community_id.in_(list(community_ids)), ChatLink.left_at.is_(None))
            .order_by(ChatLink.chat_id)):
        found.setdefault(community_id, []).append(chat_id)
    return found


@dataclass(frozen=True)
class Plan:
    """How a notice would go out: through linked groups (one push each) or to each person (multicast)."""

    via_groups: bool
    groups: tuple[str, ...]
    people: int      # people reached (a group counts all its members)
    cost: int        # messages counted against LINE's monthly quota
    estimated: bool  # some group's member count unknown: its registered members were counted instead


def plan(session: Session, a: Audience, now: datetime) -> Plan:
    """Groups when every target community has a linked group and the notice is for everyone, else individuals."""
    if RoleFilter(a.role_filter) == RoleFilter.EVERYONE:
        communities = target_community_ids(session, a)
        groups = community_groups(session, communities)
        if communities and all(c in groups for c in communities):
            chat_ids = [chat for c in communities for chat in groups[c]]
            known = group_sizes(session, chat_ids, now)
            people = sum(group_people(session, chat_ids, now).values())
            return Plan(True, tuple(chat_ids), people, people, len(known) < len(chat_ids))
    people = count_recipients(session, a)
    return Plan(False, (), people, people, False)


# --- creating and queueing ----------------------------------------------------------------------

def create_notice(session: Session, a: Audience, *, text: str, now: datetime, send_at: datetime | None = None,
                  urgent: bool = False, nudge_after_hours: int | None = DEFAULT_NUDGE_HOURS,
                  attachment: dict[str, Any] | None = None, planned: Plan | None = None) -> Notice:
    """Save a notice to be queued by the scheduler at `send_at` (now when not given)."""
    planned = planned or plan(session, a, now)
    attachment = attachment or {}
    notice = Notice(
        organization_id=a.organization_id, author_id=a.author_id, scope=a.scope, network_id=a.network_id,
        community_id=a.community_id, role_filter=a.role_filter, via_groups=planned.via_groups, text=text,
        image_url=attachment.get("image_url"), location_title=attachment.get("location_title"),
        location_address=attachment.get("location_address"), latitude=attachment.get("latitude"),
        longitude=attachment.get("longitude"), urgent=urgent, status=NoticeStatus.SCHEDULED,
        send_at=send_at or now, recipients=planned.people, cost=planned.cost,
        nudge_after_hours=None if urgent else nudge_after_hours, created_at=now)
    session.add(notice)
    session.flush()
    return notice


MessagesFor = Callable[[Session, Notice, str], Sequence[Message]]


def notices_to_queue(session: Session, now: datetime) -> list[int]:
    """Notices due and not yet queued, and notices part-way through queueing (a crash or a big one)."""
    due = session.scalars(select(Notice.id).where(Notice.status == NoticeStatus.SCHEDULED, Notice.send_at <= now)
                          .order_by(Notice.urgent.desc(), Notice.send_at, Notice.id)).all()
    started = [int(key.removeprefix(QUEUE_CURSOR)) for key in
               session.scalars(select(ChannelState.key).where(ChannelState.key.like(QUEUE_CURSOR + "%")))]
    return list(dict.fromkeys([*sorted(started), *due]))


@dataclass(frozen=True)
class Queued:
    people: int
    done: bool


def queue_page(session: Session, notice_id: int, now: datetime, messages_for: MessagesFor,
               size: int = PAGE) -> Queued | None:
    """Queue the next page of a due notice, in the caller's transaction; None if there is nothing to do
    (not due, finished, cancelled, or another scheduler holds it).

    The page's outbox rows and the cursor (the last person id queued) are written in one transaction,
    so a crash repeats nothing and skips nobody."""
    notice = session.scalars(select(Notice).where(Notice.id == notice_id).with_for_update(skip_locked=True)).first()
    if notice is None:
        return None
    key = QUEUE_CURSOR + str(notice.id)
    cursor = session.get(ChannelState, key)
    if notice.status == NoticeStatus.SCHEDULED:
        if notice.send_at > now:
            return None
        # Conditional, as in cancel_notice: a notice cancelled since it was read (SQLite has no row locks)
        # stays cancelled and gets no outbox row.
        started = session.execute(update(Notice).where(Notice.id == notice.id,
                                                       Notice.status == NoticeStatus.SCHEDULED)
                                  .values(status=NoticeStatus.SENDING).execution_options(synchronize_session=False))
        if started.rowcount != 1:
            return None
        a = Audience.of(notice)
        if notice.via_groups:
            # Linked groups may have changed since the preview: fall back to individuals if one is gone.
            notice.via_groups = plan(session, a, now).via_groups
        notice.status, notice.recipients, notice.cost = NoticeStatus.SENDING, 0, 0
        cursor = ChannelState(key=key, value="0", until=None, updated_at=now)
        session.add(cursor)
        session.flush()
    elif cursor is None:
        return None
    a = Audience.of(notice)
    messages: dict[str, Sequence[Message]] = {}

    def enqueue(targets: list[str], lang: str) -> None:
        if lang not in messages:
            messages[lang] = serialized(messages_for(session, notice, lang))
        outbox.enqueue(session, targets, messages[lang], now=now, quiet_hours=not notice.urgent,
                       topic=topic_of(notice.id))

    after = int(cursor.value)
    if notice.via_groups:
        communities = target_community_ids(session, a)
        chat_ids = [chat for chats in community_groups(session, communities).values() for chat in chats]
        enqueue(chat_ids, "th")
        people = sum(group_people(session, chat_ids, now).values())
        last, done = after, True
    else:
        by_lang, people, last = page_by_language(session, a, after, size)
        for lang, user_ids in by_lang.items():
            enqueue(user_ids, lang)
        last, done = last or after, people < size
    # Another scheduler that read the same cursor loses here and rolls back (SQLite has no row locks).
    moved = session.execute(update(ChannelState).where(ChannelState.key == key, ChannelState.value == str(after))
                            .values(value=str(last), updated_at=now).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise RuntimeError(f"notice {notice.id} was queued by someone else meanwhile")
    notice.recipients += people
    notice.cost += people
    if done:
        session.execute(ChannelState.__table__.delete().where(ChannelState.key == key))
    return Queued(people, done)


def group_people(session: Session, chat_ids: Sequence[str], now: datetime) -> dict[str, int]:
    """Members of each group: LINE's count as last fetched, else the registered members of its community."""
    sizes = group_sizes(session, chat_ids, now)
    unknown = [chat for chat in chat_ids if chat not in sizes]
    if unknown:
        links = dict(session.execute(select(ChatLink.chat_id, ChatLink.community_id)
                                     .where(ChatLink.chat_id.in_(unknown))).all())
        registered = reg.member_counts(session, [c for c in set(links.values()) if c is not None])
        sizes.update({chat: registered.get(links.get(chat), 0) for chat in unknown})
    return sizes


# --- cancelling -----------------------------------------------------------------------------------

def may_cancel(held: Sequence[Membership], person: Person | None, notice: Notice) -> bool:
    """The notice's author, or staff of its organization."""
    if person is not None and notice.author_id == person.id:
        return True
    return any(m.role == RoleName.STAFF and m.organization_id == notice.organization_id for m in held)


def cancellable(session: Session, held: Sequence[Membership], person: Person | None,
                limit: int) -> tuple[list[Notice], int]:
    """Scheduled notices someone may cancel, the next to go out first (at most `limit`), and how many there are."""
    mine = [Notice.organization_id.in_([m.organization_id for m in held if m.role == RoleName.STAFF])]
    if person is not None:
        mine.append(Notice.author_id == person.id)
    condition = and_(Notice.status == NoticeStatus.SCHEDULED, or_(*mine))
    count = session.scalar(select(func.count()).select_from(Notice).where(condition)) or 0
    found = session.scalars(select(Notice).where(condition).order_by(Notice.send_at, Notice.id).limit(limit)).all()
    return list(found), count


def cancel_notice(session: Session, notice: Notice) -> bool:
    """Cancel a notice that is only scheduled; False (nothing changed) once it has started going out.

    A notice gets its first outbox rows in the transaction that moves it from scheduled to sending
    (queue_page). Both moves are conditional updates, so whichever commits first wins: a cancelled
    notice never has an outbox row, and a notice with rows is never marked cancelled."""
    moved = session.execute(update(Notice).where(Notice.id == notice.id, Notice.status == NoticeStatus.SCHEDULED)
                            .values(status=NoticeStatus.CANCELLED).execution_options(synchronize_session=False))
    session.refresh(notice)
    return moved.rowcount == 1


# --- delivery -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    """People a notice's outbox rows reached, are still waiting for, or LINE refused for good."""

    total: int
    delivered: int
    waiting: int
    failed: int

    @property
    def missing(self) -> int:
        return max(self.total - self.delivered, 0)


def delivery(session: Session, notice: Notice, now: datetime) -> Delivery:
    """Counted by the database from the outbox rows (a group push counts the group's members)."""
    topic = topic_of(notice.id)
    people = {OutboxState.SENT: 0, OutboxState.PENDING: 0, OutboxState.SENDING: 0, OutboxState.DEAD: 0}
    for state, count in session.execute(
            select(OutboxMessage.state, func.coalesce(func.sum(OutboxMessage.recipient_count), 0))
            .where(OutboxMessage.topic == topic, OutboxMessage.kind == OutboxKind.MULTICAST)
            .group_by(OutboxMessage.state)):
        people[OutboxState(state)] += int(count)
    pushes = session.execute(select(OutboxMessage.state, OutboxMessage.target).where(
        OutboxMessage.topic == topic, OutboxMessage.kind == OutboxKind.PUSH)).all()
    sizes = group_people(session, [t for _, t in pushes if t and not t.startswith("U")], now)
    for state, target in pushes:
        people[OutboxState(state)] += sizes.get(target, 1)
    return Delivery(total=notice.recipients, delivered=people[OutboxState.SENT],
                    waiting=people[OutboxState.PENDING] + people[OutboxState.SENDING],
                    failed=people[OutboxState.DEAD])


def unsettled(session: Session, topic: str) -> int:
    """Rows of a topic LINE has not accepted or refused yet."""
    return session.scalar(select(func.count()).where(
        OutboxMessage.topic == topic, OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]))) or 0


# --- answers and tallies ------------------------------------------------------------------------

def record_answer(session: Session, notice: Notice, person: Person, kind: AckKind, now: datetime, *,
                  proxy_by: Person | None = None) -> NoticeAck:
    """Acknowledged, safe or need help; one row per person and notice, the latest answer wins.

    `proxy_by`: the leader who phoned a member without LINE and answered for them."""
    proxy_by_id = proxy_by.id if proxy_by is not None else None
    query = select(NoticeAck).where(NoticeAck.notice_id == notice.id, NoticeAck.person_id == person.id)
    ack = session.scalars(query.with_for_update()).first()
    if ack is None:
        ack = NoticeAck(notice_id=notice.id, person_id=person.id,
                        community_id=person_community(session, Audience.of(notice), person.id), kind=kind, at=now,
                        proxy_by_id=proxy_by_id)
        try:
            with session.begin_nested():  # a double tap handled by two workers at once: the second updates
                session.add(ack)
            return ack
        except IntegrityError:
            ack = session.scalars(query.with_for_update()).one()
    ack.kind, ack.at, ack.proxy_by_id = kind, now, proxy_by_id
    session.flush()
    return ack


def answer_of(session: Session, notice: Notice, person: Person) -> tuple[AckKind, datetime] | None:
    """Someone's current answer to a notice and when it was given, if any (read before it is replaced)."""
    row = session.execute(select(NoticeAck.kind, NoticeAck.at).where(
        NoticeAck.notice_id == notice.id, NoticeAck.person_id == person.id)).first()
    return (AckKind(row[0]), row[1]) if row is not None else None


def answered_themselves(session: Session, notice: Notice, person: Person) -> bool:
    """Whether the person's answer to this notice is their own (not one a leader gave for them)."""
    return session.scalar(select(NoticeAck.id).where(NoticeAck.notice_id == notice.id, NoticeAck.person_id == person.id,
                                                    NoticeAck.proxy_by_id.is_(None))) is not None


def record_location(session: Session, ack: NoticeAck, latitude: float, longitude: float, address: str | None,
                    now: datetime) -> None:
    ack.latitude, ack.longitude, ack.address, ack.at = latitude, longitude, (address or None), now
    session.flush()


@dataclass(frozen=True)
class CommunityTally:
    community_id: int | None
    name: str | None
    expected: int       # recipients counted under this community
    acknowledged: int   # any answer (acknowledged, safe or need help)
    safe: int
    need_help: int

    @property
    def silent(self) -> int:
        return self.expected - self.acknowledged


def tally(session: Session, notice: Notice) -> list[CommunityTally]:
    """Per community (by name, people outside any community last): recipients and their answers.

    A member without LINE got nothing and is not expected; once a leader answered for them, they count."""
    a = Audience.of(notice)
    assigned = (select(Membership.person_id.label("person_id"),
                       func.min(Membership.community_id).label("community_id"))
                .where(membership_condition(a)).group_by(Membership.person_id).subquery())
    rows = session.execute(
        select(assigned.c.community_id, func.count(), func.count(NoticeAck.id),
               func.coalesce(func.sum(case((NoticeAck.kind == AckKind.SAFE, 1), else_=0)), 0),
               func.coalesce(func.sum(case((NoticeAck.kind == AckKind.NEED_HELP, 1), else_=0)), 0))
        .select_from(assigned).join(Person, Person.id == assigned.c.person_id)
        .outerjoin(NoticeAck, and_(NoticeAck.notice_id == notice.id, NoticeAck.person_id == Person.id))
        .where(*_person_conditions(a, answered=NoticeAck.id.is_not(None)))
        .group_by(assigned.c.community_id)).all()
    names = dict(session.execute(select(Community.id, Community.name).where(
        Community.id.in_([r[0] for r in rows if r[0] is not None]))).all()) if rows else {}
    found = [CommunityTally(cid, names.get(cid), int(n), int(acked), int(safe), int(help_))
             for cid, n, acked, safe, help_ in rows]
    return sorted(found, key=lambda t: (t.name is None, t.name or "", t.community_id or 0))


def unanswered(session: Session, notice: Notice, limit: int = 30) -> tuple[list[str], int]:
    """Names of recipients who have not answered and how many there are: the first `limit` to have
    registered, sorted by name in Python (databases order Thai differently)."""
    a = Audience.of(notice)
    silent = recipients_query(a).where(~exists().where(NoticeAck.notice_id == notice.id,
                                                        NoticeAck.person_id == Person.id)).subquery()
    count = session.scalar(select(func.count()).select_from(silent)) or 0
    names = session.scalars(select(Person.full_name).where(Person.id.in_(select(silent.c.id)))
                            .order_by(Person.id).limit(limit)).all()
    return sorted(name or "-" for name in names), count


def need_help(session: Session, notice: Notice) -> list[tuple[Person, NoticeAck, str | None]]:
    """Who asked for help on an alert, with their answer and community name, latest first."""
    rows = session.execute(select(Person, NoticeAck).join(NoticeAck, NoticeAck.person_id == Person.id).where(
        NoticeAck.notice_id == notice.id, NoticeAck.kind == AckKind.NEED_HELP)
        .order_by(NoticeAck.at.desc(), NoticeAck.id.desc())).all()
    names = {c.id: c.name for c in session.scalars(select(Community).where(
        Community.id.in_([ack.community_id for _, ack in rows if ack.community_id])))}
    return [(person, ack, names.get(ack.community_id)) for person, ack in rows]


def answered_for(session: Session, notice: Notice, kind: AckKind,
                 limit: int) -> list[tuple[Person, NoticeAck, str | None, Person | None]]:
    """Answers of this kind a leader gave for members without LINE: the person, the answer, their
    community's name and who answered, latest first (at most `limit`)."""
    rows = session.execute(select(Person, NoticeAck).join(NoticeAck, NoticeAck.person_id == Person.id).where(
        NoticeAck.notice_id == notice.id, NoticeAck.kind == kind, NoticeAck.proxy_by_id.is_not(None))
        .order_by(NoticeAck.at.desc(), NoticeAck.id.desc()).limit(limit)).all()
    names = {c.id: c.name for c in session.scalars(select(Community).where(
        Community.id.in_([ack.community_id for _, ack in rows if ack.community_id])))}
    return [(person, ack, names.get(ack.community_id), session.get(Person, ack.proxy_by_id))
            for person, ack in rows]


def latest_alert_for(session: Session, person: Person) -> Notice | None:
    """The newest alert that has gone out to someone's community (or network, or district), if any."""
    held = list(session.scalars(select(Membership).where(Membership.person_id == person.id)))
    organizations = reg.organizations_of(held)
    if not organizations:
        return None
    for notice in session.scalars(select(Notice).where(Notice.organization_id.in_(organizations),
                                                       Notice.urgent.is_(True), Notice.status.in_(SHOWN))
                                  .order_by(Notice.send_at.desc(), Notice.id.desc()).limit(NEWS_SCAN)):
        if is_recipient(session, Audience.of(notice), held):
            return notice
    return None


@dataclass(frozen=True)
class OfflineNote:
    """Whom one leader (or chair) should phone after an alert; `for_communities`: the communities without a
    leader on LINE they stand in for as the zone's chair (empty for a leader's own community)."""

    leader: Person
    people: list[Person]
    for_communities: list[str]


def offline_by_leader(session: Session, notice: Notice) -> list[OfflineNote]:
    """For an alert: each reachable leader of a community with members the alert cannot reach (no LINE),
    with those members, so the leader can phone them and answer for them. A community with no reachable
    leader falls to the chair(s) of its zone, who may answer for its members too (`can_manage_community`).
    Leaders and chairs by id, members by name."""
    a = Audience.of(notice)
    community = (select(func.min(Membership.community_id))
                 .where(Membership.person_id == Person.id, membership_condition(a)).scalar_subquery())
    offline = session.execute(select(Person, community).where(
        Person.line_user_id.is_(None), Person.consent_version.is_not(None),
        Person.id.in_(select(Membership.person_id).where(membership_condition(a))))).all()
    by_community: dict[int, list[Person]] = {}
    for person, community_id in offline:
        if community_id is not None:
            by_community.setdefault(community_id, []).append(person)
    if not by_community:
        return []
    leaders: dict[int, tuple[Person, list[Person], list[str]]] = {}
    led: set[int] = set()
    for leader, community_id in session.execute(
            select(Person, Membership.community_id).join(Membership, Membership.person_id == Person.id)
            .where(Membership.role == RoleName.COMMUNITY_LEADER, Membership.community_id.in_(list(by_community)),
                   Person.reachable).order_by(Person.id, Membership.community_id)):
        leaders.setdefault(leader.id, (leader, [], []))[1].extend(by_community[community_id])
        led.add(community_id)
    leaderless = [c for c in session.scalars(select(Community).where(
        Community.id.in_([cid for cid in by_community if cid not in led])).order_by(Community.name, Community.id))]
    for community in leaderless:
        for chair in session.scalars(select(Person).join(Membership, Membership.person_id == Person.id).where(
                Membership.role == RoleName.NETWORK_CHAIR, Membership.network_id == community.zone_id,
                Person.reachable).order_by(Person.id)):
            held = list(session.scalars(select(Membership).where(Membership.person_id == chair.id)))
            if reg.can_manage_community(session, held, community):  # the same check `ตอบแทน` makes
                entry = leaders.setdefault(chair.id, (chair, [], []))
                entry[1].extend(by_community[community.id])
                entry[2].append(community.name)
    return [OfflineNote(leader, sorted({p.id: p for p in people}.values(), key=lambda p: (p.full_name or "", p.id)),
                        names) for leader, people, names in leaders.values()]


def helpers_for(session: Session, notice: Notice, community_id: int | None) -> list[Person]:
    """Who is told at once when someone needs help: staff of the organization and the chair of their zone."""
    roles = [and_(Membership.role == RoleName.STAFF, Membership.organization_id == notice.organization_id)]
    community = session.get(Community, community_id) if community_id else None
    if community is not None:
        roles.append(and_(Membership.role == RoleName.NETWORK_CHAIR, Membership.network_id == community.zone_id))
    return list(session.scalars(select(Person).where(
        Person.reachable, Person.id.in_(select(Membership.person_id).where(or_(*roles))))
        .order_by(Person.id)))


# --- reading notices ----------------------------------------------------------------------------

SHOWN = (NoticeStatus.SENDING, NoticeStatus.SENT, NoticeStatus.STOPPED)


def news_for(session: Session, held: Sequence[Membership], limit: int = NEWS_LIMIT) -> list[Notice]:
    """The latest notices that were for someone holding these memberships (newest first)."""
    organizations = reg.organizations_of(held)
    if not organizations:
        return []
    found = []
    for notice in session.scalars(select(Notice).where(Notice.organization_id.in_(organizations),
                                                       Notice.status.in_(SHOWN))
                                  .order_by(Notice.send_at.desc(), Notice.id.desc()).limit(NEWS_SCAN)):
        if is_recipient(session, Audience.of(notice), held):
            found.append(notice)
            if len(found) == limit:
                break
    return found


def news_for_link(session: Session, link: ChatLink, limit: int = NEWS_LIMIT) -> list[Notice]:
    """The latest notices for everyone that covered a linked group's community or network."""
    conditions = [and_(Notice.scope == NoticeScope.ORGANIZATION, Notice.organization_id == link.organization_id)]
    if link.community_id:
        community = session.get(Community, link.community_id)
        conditions.append(Notice.community_id == community.id)
        conditions.append(and_(Notice.scope == NoticeScope.NETWORK,
                               Notice.network_id.in_(reg.community_networks(session, community))))
    else:
        conditions.append(and_(Notice.scope == NoticeScope.NETWORK, Notice.network_id == link.network_id))
    return list(session.scalars(select(Notice).where(
        or_(*conditions), Notice.role_filter == RoleFilter.EVERYONE, Notice.status.in_(SHOWN))
        .order_by(Notice.send_at.desc(), Notice.id.desc()).limit(limit)))


def may_view(session: Session, held: Sequence[Membership], person: Person | None, notice: Notice) -> bool:
    """The author, staff of its organization, or whoever manages its network or community."""
    if may_cancel(held, person, notice):
        return True
    if notice.scope == NoticeScope.NETWORK:
        network = session.get(Network, notice.network_id)
        return network is not None and reg.can_manage_network(held, network)
    if notice.scope == NoticeScope.COMMUNITY:
        community = session.get(Community, notice.community_id)
        return community is not None and reg.can_manage_community(session, held, community)
    return False


def visible_notices(session: Session, held: Sequence[Membership], person: Person | None, *, urgent: bool,
                    limit: int) -> list[Notice]:
    """The latest notices (or alerts) someone may see the status of, newest first."""
    organizations = reg.organizations_of(held)
    found = []
    for notice in session.scalars(select(Notice).where(Notice.organization_id.in_(organizations),
                                                       Notice.urgent.is_(urgent))
                                  .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(NEWS_SCAN)):
        if may_view(session, held, person, notice):
            found.append(notice)
            if len(found) == limit:
                break
    return found
