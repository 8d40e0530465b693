"""Recurring series: reading a rule (`ทุกเดือน`), the next slot, and creating the next occurrence."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import TIMEZONE
from handlers.registry import strip_polite
from handlers.services.registry import THAI_DIGITS
from models import Activity, ActivityStatus, HostState, Person, Series
from handlers.services.activities.codes import new_code
from handlers.services.activities.hosts import propose_host
from handlers.services.activities.planning import default_rsvp_deadline, locked_activity


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
