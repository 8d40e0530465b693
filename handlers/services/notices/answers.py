"""Answers to a notice (acknowledged / safe / need help), their tallies, and who is told of a need for help."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handlers.services import registry as reg
from models import AckKind, Community, Membership, Notice, NoticeAck, Person, RoleName
from handlers.services.notices.audience import (
    Audience, NEWS_SCAN, is_recipient, membership_condition, person_community,
)
from handlers.services.notices.news import SHOWN


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


def need_help(session: Session, notice: Notice,
              limit: int | None = None) -> list[tuple[Person, NoticeAck, str | None, Person | None]]:
    """Who asked for help on an alert, with their answer, community name and the leader who answered for
    them (None: they answered themselves), latest first; the first `limit` when given."""
    query = (select(Person, NoticeAck).join(NoticeAck, NoticeAck.person_id == Person.id)
             .where(NoticeAck.notice_id == notice.id, NoticeAck.kind == AckKind.NEED_HELP)
             .order_by(NoticeAck.at.desc(), NoticeAck.id.desc()))
    rows = session.execute(query if limit is None else query.limit(limit)).all()
    return _with_names(session, rows)


def answered_for(session: Session, notice: Notice, kind: AckKind,
                 limit: int) -> list[tuple[Person, NoticeAck, str | None, Person | None]]:
    """Answers of this kind a leader gave for members without LINE: the person, the answer, their
    community's name and who answered, latest first (at most `limit`)."""
    rows = session.execute(select(Person, NoticeAck).join(NoticeAck, NoticeAck.person_id == Person.id).where(
        NoticeAck.notice_id == notice.id, NoticeAck.kind == kind, NoticeAck.proxy_by_id.is_not(None))
        .order_by(NoticeAck.at.desc(), NoticeAck.id.desc()).limit(limit)).all()
    return _with_names(session, rows)


def _with_names(session: Session, rows) -> list[tuple[Person, NoticeAck, str | None, Person | None]]:
    """Each (person, answer) with their community's name and the leader who answered for them, in two
    statements whatever the number of rows."""
    names = dict(session.execute(select(Community.id, Community.name).where(
        Community.id.in_({ack.community_id for _, ack in rows if ack.community_id}))).all()) if rows else {}
    leader_ids = {ack.proxy_by_id for _, ack in rows if ack.proxy_by_id is not None}
    leaders = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(leader_ids)))} if leader_ids else {}
    return [(person, ack, names.get(ack.community_id), leaders.get(ack.proxy_by_id)) for person, ack in rows]


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
