"""The numbers staff report upward: activities per network per month, attendance, acknowledgements,
missing reports — for this month, the last 12 months, or a fiscal year (October–September, พ.ศ.).

Every query is scoped by bot/desk/scope.py in SQL and aggregated there where it can be; only the month
of an activity is worked out in Python (Bangkok months do not line up with UTC ones in SQL portably),
over the one row per activity of the period, which is small for one district.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from bot.config import TIMEZONE
from bot.desk.scope import Viewer, activities_clause, networks_clause, notices_clause, related_network_ids
from handlers.thaitime import BUDDHIST_ERA_OFFSET, THAI_MONTH_ABBREVIATIONS, fiscal_year_of
from handlers.services.activities import add_months
from handlers.services.notices import answered_by_phone
from models import (
    Activity,
    ActivityReport,
    ActivityStatus,
    Answer,
    Community,
    HostSlot,
    Network,
    Notice,
    NoticeAck,
    NoticeStatus,
    Person,
    Rsvp,
)

def notice_answers():
    """Correlated to Notice: (answers, people expected to answer), counted as `ประกาศ สถานะ` counts them
    (handlers/services/notices/tally.py): those it reached, plus members without LINE a leader answered for
    after phoning them (nothing reached them; their answers were counted against the LINE recipients only,
    so an alert read 3 of 6 answered on the desk and 3 of 8 in LINE)."""
    answers = (select(func.count(NoticeAck.id)).where(NoticeAck.notice_id == Notice.id)
               .correlate(Notice).scalar_subquery())
    phoned = (select(func.count(NoticeAck.id)).join(Person, Person.id == NoticeAck.person_id)
              .where(NoticeAck.notice_id == Notice.id, answered_by_phone()).correlate(Notice).scalar_subquery())
    return answers, Notice.recipients + phoned


ATTENDANCE_TARGET = 0.9        # checked in ÷ answered "going" (as the monthly summary in LINE counts it)
NETWORKS_ACTIVE_TARGET = 3     # networks with at least one activity in a month
REPORT_DUE_AFTER = timedelta(hours=2)     # the host is asked for the report then (scheduler/followups.py)
REPORT_OVERDUE_AFTER = timedelta(days=7)  # and staff are told it is missing then
ENGLISH_MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
PERIODS = ("month", "12m", "fy")


@dataclass(frozen=True)
class Period:
    key: str
    start: datetime  # Bangkok midnight on the first of a month
    end: datetime    # exclusive
    fiscal_year: int  # พ.ศ. of the fiscal year the period's start falls in

    @property
    def months(self) -> list[datetime]:
        months, month = [], self.start
        while month < self.end:
            months.append(month)
            month = add_months(month, 1)
        return months


def month_start(moment: datetime) -> datetime:
    return moment.astimezone(TIMEZONE).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def period(key: str, now: datetime, fiscal_year: int | None = None) -> Period:
    """This month, the last twelve months (this one included) or a fiscal year (this one unless given)."""
    this_month = month_start(now)
    if key == "12m":
        return Period(key, add_months(this_month, -11), add_months(this_month, 1), fiscal_year_of(now))
    if key == "fy":
        year = fiscal_year or fiscal_year_of(now)
        start = this_month.replace(year=year - BUDDHIST_ERA_OFFSET - 1, month=10)
        return Period(key, start, add_months(start, 12), year)
    return Period("month", this_month, add_months(this_month, 1), fiscal_year_of(now))


def month_label(lang: str, month: datetime) -> str:
    if lang == "th":
        return f"{THAI_MONTH_ABBREVIATIONS[month.month - 1]} {(month.year + BUDDHIST_ERA_OFFSET) % 100:02d}"
    return f"{ENGLISH_MONTH_ABBREVIATIONS[month.month - 1]} {month.year}"


@dataclass
class NetworkRow:
    id: int
    name: str
    kind: str
    per_month: list[int]

    @property
    def total(self) -> int:
        return sum(self.per_month)

    @property
    def months_met(self) -> int:
        return sum(1 for n in self.per_month if n >= 1)


@dataclass
class Overview:
    period: Period
    months: list[datetime]
    networks: list[NetworkRow]
    active_networks: list[int]          # per month: networks with ≥ 1 activity
    going: int
    came: int
    attendance_per_month: list[float | None]
    notices: list[tuple[int, str, int, int]]  # (id, text, recipients, acknowledged)
    ack_per_month: list[float | None]
    reports_missing: list[tuple[Activity, bool]] = field(default_factory=list)  # (activity, overdue)
    host_owed: list[tuple[str, str, int]] = field(default_factory=list)  # (network, community, turns owed)

    @property
    def attendance(self) -> float | None:
        return self.came / self.going if self.going else None

    @property
    def ack_rate(self) -> float | None:
        recipients = sum(r for _, _, r, _ in self.notices)
        return sum(min(a, r) for _, _, r, a in self.notices) / recipients if recipients else None

    @property
    def months_meeting_target(self) -> int:
        return sum(1 for n in self.active_networks if n >= NETWORKS_ACTIVE_TARGET)


def _month_index(months: list[datetime], moment: datetime) -> int:
    local = moment.astimezone(TIMEZONE)
    return (local.year - months[0].year) * 12 + local.month - months[0].month


def overview(session: Session, viewer: Viewer, p: Period, now: datetime) -> Overview:
    """Everything the overview page shows, for the networks the viewer's roles cover."""
    months = p.months
    networks = session.execute(select(Network.id, Network.name, Network.kind)
                               .where(Network.id.in_(related_network_ids(viewer)))
                               .order_by(Network.kind.desc(), Network.name)).all()
    rows = {nid: NetworkRow(nid, name, kind, [0] * len(months)) for nid, name, kind in networks}
    in_period = and_(Activity.starts_at >= p.start, Activity.starts_at < p.end,
                     Activity.status != ActivityStatus.CANCELLED, activities_clause(viewer))
    # A community's own activity (no network) counts for its community's zone: the network that community
    # belongs to and reports through (docs/desk.md), or a zone whose communities meet on their own showed none.
    network_of = func.coalesce(Activity.network_id, Community.zone_id)
    for network_id, starts_at in session.execute(
            select(network_of, Activity.starts_at).outerjoin(Community, Community.id == Activity.community_id)
            .where(in_period, network_of.is_not(None))):
        if network_id in rows:
            rows[network_id].per_month[_month_index(months, starts_at)] += 1
    active = [sum(1 for r in rows.values() if r.per_month[i] >= 1) for i in range(len(months))]

    # Attendance: checked in ÷ answered "going" (not waitlisted), for activities that have started.
    going_expr = func.sum(case((and_(Rsvp.answer == Answer.GOING, Rsvp.waitlisted_at.is_(None)), 1), else_=0))
    came_expr = func.sum(case((Rsvp.checked_in_at.is_not(None), 1), else_=0))
    per_activity = session.execute(
        select(Activity.starts_at, going_expr, came_expr).join(Rsvp, Rsvp.activity_id == Activity.id)
        .where(in_period, Activity.starts_at <= now).group_by(Activity.id, Activity.starts_at)).all()
    going_month, came_month = defaultdict(int), defaultdict(int)
    for starts_at, going, came in per_activity:
        index = _month_index(months, starts_at)
        going_month[index] += going or 0
        came_month[index] += came or 0
    attendance = [came_month[i] / going_month[i] if going_month[i] else None for i in range(len(months))]

    acked, expected = notice_answers()
    notices = session.execute(select(Notice.id, Notice.text, expected, acked, Notice.sent_at).where(
        notices_clause(viewer), Notice.status.in_((NoticeStatus.SENT, NoticeStatus.STOPPED)),
        Notice.sent_at >= p.start, Notice.sent_at < p.end).order_by(Notice.sent_at.desc())).all()
    sent_month, acked_month = defaultdict(int), defaultdict(int)
    for _, _, recipients, answers, sent_at in notices:
        index = _month_index(months, sent_at)
        sent_month[index] += recipients
        acked_month[index] += min(answers, recipients)
    ack_per_month = [acked_month[i] / sent_month[i] if sent_month[i] else None for i in range(len(months))]

    missing = session.scalars(select(Activity).where(
        in_period, Activity.ends_at <= now - REPORT_DUE_AFTER,
        ~select(ActivityReport.id).where(ActivityReport.activity_id == Activity.id).exists())
        .order_by(Activity.starts_at)).all()
    owed = session.execute(select(Network.name, Community.name, HostSlot.owed_turns)
                           .join(Network, Network.id == HostSlot.network_id)
                           .join(Community, Community.id == HostSlot.community_id)
                           .where(HostSlot.owed_turns > 0, HostSlot.network_id.in_(related_network_ids(viewer)))
                           .order_by(Network.name, Community.name)).all()
    return Overview(p, months, list(rows.values()), active, sum(going_month.values()), sum(came_month.values()),
                    attendance, [tuple(n[:4]) for n in notices], ack_per_month,
                    [(a, a.ends_at <= now - REPORT_OVERDUE_AFTER) for a in missing], [tuple(o) for o in owed])


def viewable_network_ids(session: Session, viewer: Viewer) -> set[int]:
    return set(session.scalars(select(Network.id).where(networks_clause(viewer))))
