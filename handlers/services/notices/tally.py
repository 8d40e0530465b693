"""How many people a notice reached in each community, and how many of them answered.

The audience is counted once, when the notice goes out (`count_audience`, called as queueing starts),
into `notice_audience`. A look at a notice's status then reads those few rows and counts the answers by
the community stored on each (`notice_ack.community_id`, the same rule: someone's first community in
the notice's scope). Deriving the audience again at every look joined every membership of a district
to its people: 1-3 s for a district of 80,000 people, against a few milliseconds now (BENCHMARKS.md).

What "expected" means, per community:
- everyone the notice reached when it went out (consented, on LINE and not blocking the bot, the author
  left out); people who join later are not expected, people who block or erase their data later stay
  expected (the notice did reach them);
- plus members without LINE a leader answered for (`ตอบแทน`): nothing reached them, but once a leader
  phoned them they count;
- never fewer than the answers (someone who linked LINE after a leader answered for them, a neighbour
  who answered a card in a linked group).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from models import AckKind, Community, Membership, Notice, NoticeAck, NoticeAudience, Person
from handlers.services.notices.audience import (
    Audience, membership_condition, not_answered, recipients_query, registered_in_time,
)
from handlers.services.notices.news import SHOWN


@dataclass(frozen=True)
class CommunityTally:
    community_id: int | None
    name: str | None
    expected: int       # people counted under this community (see the module's docstring)
    acknowledged: int   # any answer (acknowledged, safe or need help)
    safe: int
    need_help: int
    offline_silent: int = 0  # members without LINE nobody has answered for yet

    @property
    def silent(self) -> int:
        return self.expected - self.acknowledged


def answered_by_phone():
    """The answers that make someone expected whom the notice could not reach: a leader phoned a member
    without LINE and answered for them (`ตอบแทน`). With notice_ack joined to person."""
    return and_(NoticeAck.proxy_by_id.is_not(None), Person.line_user_id.is_(None))


def _reached_by_community(a: Audience, notice_id: int):
    """A select of (notice id, community id, people reached, members without LINE) for `a`, one row per
    community."""
    assigned = (select(Membership.person_id.label("person_id"),
                       func.min(Membership.community_id).label("community_id"))
                .where(membership_condition(a)).group_by(Membership.person_id).subquery())
    conditions = [Person.consent_version.is_not(None)]
    if a.author_id is not None:
        conditions.append(Person.id != a.author_id)
    return (select(literal(notice_id), assigned.c.community_id,
                   func.coalesce(func.sum(case((Person.reachable, 1), else_=0)), 0),
                   func.coalesce(func.sum(case((Person.line_user_id.is_(None), 1), else_=0)), 0))
            .select_from(assigned).join(Person, Person.id == assigned.c.person_id)
            .where(*conditions).group_by(assigned.c.community_id))


def count_audience(session: Session, notice: Notice, now: datetime) -> bool:
    """Count who the notice reaches, by community, once: in the database (one INSERT … SELECT), in the
    caller's transaction. False if it was counted already (by another worker meanwhile, too)."""
    claimed = session.execute(update(Notice).where(Notice.id == notice.id, Notice.counted_at.is_(None))
                              .values(counted_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return False
    session.execute(insert(NoticeAudience).from_select(
        ["notice_id", "community_id", "reached", "offline"], _reached_by_community(Audience.of(notice), notice.id)))
    set_committed_value(notice, "counted_at", now)
    return True


def tally(session: Session, notice: Notice, now: datetime) -> list[CommunityTally]:
    """Per community (by name, people outside any community last): who was expected to answer, and the
    answers. A notice sent before the counts were kept is counted now, once."""
    if notice.counted_at is None and notice.status in SHOWN:
        count_audience(session, notice, now)
    reached: dict[int | None, int] = {}
    offline: dict[int | None, int] = {}
    for community_id, people, without_line in session.execute(
            select(NoticeAudience.community_id, func.sum(NoticeAudience.reached), func.sum(NoticeAudience.offline))
            .where(NoticeAudience.notice_id == notice.id).group_by(NoticeAudience.community_id)):
        reached[community_id], offline[community_id] = int(people), int(without_line)
    answers = {row[0]: row[1:] for row in session.execute(
        select(NoticeAck.community_id, func.count(),
               func.coalesce(func.sum(case((NoticeAck.kind == AckKind.SAFE, 1), else_=0)), 0),
               func.coalesce(func.sum(case((NoticeAck.kind == AckKind.NEED_HELP, 1), else_=0)), 0))
        .where(NoticeAck.notice_id == notice.id).group_by(NoticeAck.community_id))}
    # Members without LINE a leader answered for: the few answers given by someone else, joined to
    # their person by primary key.
    phoned = dict(session.execute(
        select(NoticeAck.community_id, func.count()).join(Person, Person.id == NoticeAck.person_id)
        .where(NoticeAck.notice_id == notice.id, answered_by_phone())
        .group_by(NoticeAck.community_id)).all())
    ids = [cid for cid in {*reached, *answers} if cid is not None]
    names = dict(session.execute(select(Community.id, Community.name).where(Community.id.in_(ids))).all()) if ids else {}
    found = []
    for cid in {*reached, *answers}:
        acked, safe, help_ = (int(n) for n in answers.get(cid, (0, 0, 0)))
        answered_for = int(phoned.get(cid, 0))
        expected = max(reached.get(cid, 0) + answered_for, acked)
        found.append(CommunityTally(cid, names.get(cid), expected, acked, safe, help_,
                                    max(offline.get(cid, 0) - answered_for, 0)))
    return sorted(found, key=lambda t: (t.name is None, t.name or "", t.community_id or 0))


def silent_recipients(notice: Notice):
    """A select of (id, LINE user id, language) of the people the notice reached who have not answered.
    Someone who registered after it went out was not counted in its audience and never got it: not
    listed as silent (the count said 2 and the names were 3)."""
    query = recipients_query(Audience.of(notice)).where(not_answered(notice.id))
    return query.where(registered_in_time(notice.counted_at)) if notice.counted_at is not None else query


def unanswered_names(session: Session, notice: Notice, limit: int = 30) -> list[str]:
    """Names of up to `limit` people the notice reached who have not answered: the first to have
    registered, sorted by name in Python (databases order Thai differently). How many there are in all
    comes from `tally` (its `silent`), so the two never disagree."""
    silent = silent_recipients(notice).with_only_columns(Person.full_name)
    names = session.scalars(silent.order_by(Person.id).limit(limit)).all()
    return sorted(name or "-" for name in names)


def offline_silent(session: Session, notice: Notice, community_ids: list[int], limit: int) -> list[Person]:
    """Up to `limit` members without LINE of these communities (in this order, then by registration) whom
    the notice covers and nobody has answered for: read from the communities' memberships by index, so
    the cost follows the communities asked about, not the district (or the person table) as a whole."""
    if not community_ids:
        return []
    a = Audience.of(notice)
    rows = session.execute(
        select(Person, Membership.community_id).join(Membership, Membership.person_id == Person.id)
        .where(membership_condition(a), Membership.community_id.in_(community_ids), Person.line_user_id.is_(None),
               Person.consent_version.is_not(None), not_answered(notice.id))
        .order_by(Membership.community_id, Person.id).limit(limit * 2)).all()
    rank = {cid: n for n, cid in enumerate(community_ids)}
    found: dict[int, Person] = {}
    for person, _community in sorted(rows, key=lambda r: (rank[r[1]], r[0].id)):
        found.setdefault(person.id, person)
    return list(found.values())[:limit]
