"""Recurring activities: the next occurrence of a series is generated once, on the right day, numbered,
with its host proposed by the rotation (the scheduled job that calls generate_next is another issue's)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import TIMEZONE
from handlers.services import activities as act
from models import Activity, ActivityStatus, Community, HostLog, HostLogKind, HostSlot, HostState, Series
from models.db import make_engine, make_session_factory
from support.registry import seed_district


def bkk(*args: int) -> datetime:
    return datetime(*args, tzinfo=TIMEZONE)


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def district(session: Session):
    """The test district; zone 1's rotation listed วัด then ตลาด."""
    d = seed_district(session, bkk(2026, 12, 1, 9, 0))
    for position, community in enumerate([d.wat, d.market], 1):
        session.add(HostSlot(network_id=d.zone1.id, community_id=community.id, position=position,
                             times_hosted=0, declines=0, owed_turns=0))
    session.flush()
    return d


def series(session: Session, district, rule: str, anchor: datetime, **fields) -> Series:
    values = dict(organization_id=district.org.id, network_id=district.zone1.id, title="ประชุมประจำเดือน",
                  interval_months=act.SERIES_RULES[rule], place_text="ศาลาวัดบางนา", duration_minutes=120,
                  anchor_at=anchor, active=True, created_by_id=district.people["chair"].id,
                  created_at=bkk(2026, 12, 1, 9, 0))
    row = Series(**(values | fields))
    session.add(row)
    session.flush()
    return row


def occurrences(session: Session, row: Series) -> list[tuple[int, datetime]]:
    """(occurrence, start in Bangkok) of every generated activity of the series."""
    return [(a.occurrence, a.starts_at.astimezone(TIMEZONE)) for a in session.scalars(
        select(Activity).where(Activity.series_id == row.id).order_by(Activity.occurrence))]


@pytest.mark.parametrize(
    ("rule", "months"),
    [("ทุกเดือน", 1), ("ทุก 3 เดือน", 3), ("ปีละ 2 ครั้ง", 6), ("ปีละครั้ง", 12),
     ("monthly", 1), ("every 3 months", 3), ("twice a year", 6)],
)
def test_series_rules(rule, months) -> None:
    assert act.SERIES_RULES[rule] == months


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (bkk(2027, 1, 15, 9), 1, bkk(2027, 2, 15, 9)),
        (bkk(2027, 1, 31, 9), 1, bkk(2027, 2, 28, 9)),    # clamped to the month's last day
        (bkk(2028, 1, 31, 9), 1, bkk(2028, 2, 29, 9)),    # leap year
        (bkk(2027, 1, 31, 9), 2, bkk(2027, 3, 31, 9)),    # computed from the anchor, not from 28 Feb
        (bkk(2027, 8, 31, 18, 30), 6, bkk(2028, 2, 29, 18, 30)),
        (bkk(2027, 11, 30, 9), 3, bkk(2028, 2, 29, 9)),   # across the year end
        (bkk(2027, 12, 15, 9), 1, bkk(2028, 1, 15, 9)),
        (bkk(2027, 5, 31, 9), 12, bkk(2028, 5, 31, 9)),
    ],
)
def test_add_months(start, months, expected) -> None:
    assert act.add_months(start, months) == expected


def test_monthly_occurrences_are_numbered_and_generated_once(session, district) -> None:
    row = series(session, district, "ทุกเดือน", bkk(2027, 1, 15, 9, 0))
    now = bkk(2027, 1, 1, 8, 0)
    first = act.generate_next(session, row, now)
    assert (first.occurrence, first.starts_at, first.ends_at) == (1, bkk(2027, 1, 15, 9), bkk(2027, 1, 15, 11))
    assert (first.title, first.network_id, first.place_text, first.status, first.created_by_id) == (
        "ประชุมประจำเดือน", district.zone1.id, "ศาลาวัดบางนา", ActivityStatus.PLANNED, district.people["chair"].id)
    logged = session.scalar(select(func.count()).select_from(HostLog))
    # Idempotent: called again (the scheduler runs often), nothing new while the next one is ahead.
    assert act.generate_next(session, row, now) is None
    assert act.generate_next(session, row, bkk(2027, 1, 14, 8, 0)) is None
    assert occurrences(session, row) == [(1, bkk(2027, 1, 15, 9))]
    assert session.scalar(select(func.count()).select_from(HostLog)) == logged
    # Once it is over, the following one is generated as soon as it comes within the horizon.
    assert act.generate_next(session, row, bkk(2027, 1, 16, 10, 0)).occurrence == 2
    assert act.generate_next(session, row, bkk(2027, 1, 16, 10, 0)) is None
    assert occurrences(session, row) == [(1, bkk(2027, 1, 15, 9)), (2, bkk(2027, 2, 15, 9))]


def test_each_slot_is_created_once_even_when_february_brings_the_next_within_reach(session, district) -> None:
    # February is shorter than the 30-day horizon: on 30 Jan, 1 Mar is within reach while 1 Feb is ahead.
    row = series(session, district, "ทุกเดือน", bkk(2027, 2, 1, 9, 0))
    assert act.generate_next(session, row, bkk(2027, 1, 25, 9, 0)).occurrence == 1
    assert act.generate_next(session, row, bkk(2027, 1, 25, 9, 0)) is None
    assert act.generate_next(session, row, bkk(2027, 1, 30, 9, 0)).occurrence == 2
    assert act.generate_next(session, row, bkk(2027, 1, 30, 9, 0)) is None
    assert occurrences(session, row) == [(1, bkk(2027, 2, 1, 9)), (2, bkk(2027, 3, 1, 9))]


def test_every_three_months(session, district) -> None:
    row = series(session, district, "ทุก 3 เดือน", bkk(2027, 1, 10, 14, 0))
    for now in (bkk(2027, 1, 1), bkk(2027, 3, 20), bkk(2027, 6, 20)):
        act.generate_next(session, row, now)
    assert occurrences(session, row) == [(1, bkk(2027, 1, 10, 14)), (2, bkk(2027, 4, 10, 14)),
                                         (3, bkk(2027, 7, 10, 14))]


def test_twice_a_year(session, district) -> None:
    row = series(session, district, "ปีละ 2 ครั้ง", bkk(2027, 3, 1, 9, 0))
    assert act.generate_next(session, row, bkk(2027, 1, 15)) is None  # 45 days ahead: beyond the horizon
    act.generate_next(session, row, bkk(2027, 2, 15))
    act.generate_next(session, row, bkk(2027, 8, 15))
    act.generate_next(session, row, bkk(2027, 8, 16))   # nothing: 1 Sep is ahead
    act.generate_next(session, row, bkk(2028, 2, 10))
    assert occurrences(session, row) == [(1, bkk(2027, 3, 1, 9)), (2, bkk(2027, 9, 1, 9)), (3, bkk(2028, 3, 1, 9))]


def test_month_end_is_clamped_and_kept(session, district) -> None:
    row = series(session, district, "ทุกเดือน", bkk(2028, 1, 31, 18, 0))
    for now in (bkk(2028, 1, 20), bkk(2028, 2, 1), bkk(2028, 3, 2), bkk(2028, 4, 2)):
        act.generate_next(session, row, now)
    assert occurrences(session, row) == [(1, bkk(2028, 1, 31, 18)), (2, bkk(2028, 2, 29, 18)),
                                         (3, bkk(2028, 3, 31, 18)), (4, bkk(2028, 4, 30, 18))]


def test_the_day_is_the_bangkok_day(session, district) -> None:
    # 00:30 on 31 Jan in Bangkok is still 30 Jan in UTC: clamping must use the Bangkok date.
    row = series(session, district, "ทุกเดือน", bkk(2027, 1, 31, 0, 30).astimezone(timezone.utc))
    act.generate_next(session, row, bkk(2027, 1, 20))
    act.generate_next(session, row, bkk(2027, 2, 1))
    assert occurrences(session, row) == [(1, bkk(2027, 1, 31, 0, 30)), (2, bkk(2027, 2, 28, 0, 30))]


def test_past_occurrences_are_skipped(session, district) -> None:
    row = series(session, district, "ทุกเดือน", bkk(2027, 1, 15, 9, 0))
    act.generate_next(session, row, bkk(2027, 1, 1))
    row.active = False  # paused over several months
    assert act.generate_next(session, row, bkk(2027, 3, 1)) is None
    row.active = True
    # 15 Jun is the second meeting held: Feb–May never happened, and the number counts meetings.
    assert act.generate_next(session, row, bkk(2027, 6, 1)).occurrence == 2
    assert occurrences(session, row) == [(1, bkk(2027, 1, 15, 9)), (2, bkk(2027, 6, 15, 9))]


def test_a_slot_too_soon_to_announce_is_skipped(session, district) -> None:
    row = series(session, district, "ทุกเดือน", bkk(2027, 1, 15, 9, 0))
    act.generate_next(session, row, bkk(2027, 1, 1))
    # The scheduler was down until 12 Feb: 15 Feb is three days away, too late to find a host; 15 Mar is next.
    assert act.generate_next(session, row, bkk(2027, 2, 12)) is None
    assert act.generate_next(session, row, bkk(2027, 2, 14)).starts_at == bkk(2027, 3, 15, 9)


def test_a_series_started_late_begins_at_the_next_date(session, district) -> None:
    row = series(session, district, "ทุก 3 เดือน", bkk(2027, 1, 15, 9, 0))
    assert act.generate_next(session, row, bkk(2027, 7, 1)).occurrence == 1
    assert occurrences(session, row) == [(1, bkk(2027, 7, 15, 9))]


def test_nothing_beyond_the_horizon(session, district) -> None:
    row = series(session, district, "ทุกเดือน", bkk(2027, 3, 15, 9, 0))
    assert act.generate_next(session, row, bkk(2027, 1, 1)) is None
    assert act.generate_next(session, row, bkk(2027, 1, 1), horizon=timedelta(days=90)).occurrence == 1


def test_each_occurrence_gets_the_next_host_from_the_rotation(session, district) -> None:
    row = series(session, district, "ทุกเดือน", bkk(2027, 1, 15, 9, 0))
    first = act.generate_next(session, row, bkk(2027, 1, 1))
    assert (first.host_community_id, first.host_state) == (district.wat.id, HostState.PROPOSED)
    act.confirm_host(session, first, bkk(2027, 1, 2))
    second = act.generate_next(session, row, bkk(2027, 1, 20))
    assert (second.host_community_id, second.host_state) == (district.market.id, HostState.PROPOSED)
    # ตลาด declines: the proposal moves on to วัด, and ตลาด keeps its turn for the third occurrence.
    assert act.decline_host(session, second, "ตรงกับตลาดนัด", bkk(2027, 1, 21)).community.id == district.wat.id
    act.confirm_host(session, second, bkk(2027, 1, 22))
    third = act.generate_next(session, row, bkk(2027, 2, 20))
    assert third.host_community_id == district.market.id
    kinds = [(entry.kind, session.get(Community, entry.community_id).name) for entry in session.scalars(
        select(HostLog).order_by(HostLog.id))]
    assert kinds == [
        (HostLogKind.PROPOSED, "ชุมชนวัดบางนา"), (HostLogKind.CONFIRMED, "ชุมชนวัดบางนา"),
        (HostLogKind.PROPOSED, "ชุมชนตลาดบางนา"), (HostLogKind.DECLINED, "ชุมชนตลาดบางนา"),
        (HostLogKind.PROPOSED, "ชุมชนวัดบางนา"), (HostLogKind.CONFIRMED, "ชุมชนวัดบางนา"),
        (HostLogKind.PROPOSED, "ชุมชนตลาดบางนา"),
    ]
    slots = {s.community_id: (s.times_hosted, s.declines, s.owed_turns)
             for s in session.scalars(select(HostSlot).where(HostSlot.network_id == district.zone1.id))}
    assert slots == {district.wat.id: (2, 0, 0), district.market.id: (0, 1, 1)}


def test_an_unanswered_proposal_is_not_repeated_for_the_next_occurrence(session, district) -> None:
    # The first occurrence runs all day and its host never answered: the second asks the other community.
    row = series(session, district, "ทุกเดือน", bkk(2027, 1, 15, 9, 0), duration_minutes=24 * 60)
    first = act.generate_next(session, row, bkk(2027, 1, 1))
    second = act.generate_next(session, row, bkk(2027, 1, 15, 10, 0), horizon=timedelta(days=45))
    assert (first.host_community_id, second.host_community_id) == (district.wat.id, district.market.id)
