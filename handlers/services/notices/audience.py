"""Who a notice reaches: its audience, the recipients read in keyset pages, who may answer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from handlers.services import registry as reg
from models import (
    Community,
    Membership,
    Notice,
    NoticeAck,
    NoticeScope,
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


def not_answered(notice_id: int):
    """Someone (Person) who has not answered this notice."""
    return ~exists().where(NoticeAck.notice_id == notice_id, NoticeAck.person_id == Person.id)


def registered_in_time(moment: datetime):
    """Someone (Person) who had registered (consented) by then: a notice counted at that moment reached them."""
    return func.coalesce(Person.consented_at, Person.created_at) <= moment


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
                   unanswered_notice: int | None = None, registered_by: datetime | None = None) -> list[Any]:
    """The next `size` recipients with an id above `after`, by id (keyset pagination).

    With `unanswered_notice`, only those who have not answered that notice (for the nudge); with
    `registered_by`, only those who had registered by then (the nudge's notice reached nobody who came later)."""
    query = recipients_query(a, after)
    if unanswered_notice is not None:
        query = query.where(not_answered(unanswered_notice))
    if registered_by is not None:
        query = query.where(registered_in_time(registered_by))
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
        query = query.where(not_answered(unanswered_notice))
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
