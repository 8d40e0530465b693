"""Follow-up jobs: reminders, nudges through leaders, report requests and escalation, the monthly
activity check and summary, recurring series, and fetching report photos.

Every job derives what to send from database rows at the clock's time, so a restart loses nothing
and a run missed while the scheduler was down happens when it is back (if still meaningful). Each
message is queued with a dedupe key naming (job, target, occurrence): the outbox's unique constraint,
not a check, makes it once-only, even with two schedulers.

A follow-up about an activity is keyed by the activity's time revision (`followup_key`) and queued
under the activity's topic (`followup_topic`): moving the activity makes a new revision, whose
follow-ups go out once, at their new moments; moving or cancelling it withdraws what is queued and
not yet sent (`withdraw_followups`), so a reminder held by quiet hours never goes out with the old
time, or for a cancelled activity (all three in handlers/services/activities/followups.py). When each
follow-up happens: docs/followups.md.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from linebot.v3.messaging import Message, PostbackAction, QuickReply, QuickReplyItem, TextMessage
from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from bot import outbox
from bot.config import TIMEZONE
from bot.line import Outcome
from bot.storage import Storage, photo_key
from handlers.thaitime import format_when_in
from handlers.catalog import text_for
from handlers import events
from handlers.services import activities as acts
from models import (
    Activity,
    ActivityReport,
    ActivityStatus,
    Answer,
    Community,
    HostState,
    Membership,
    Network,
    Organization,
    Person,
    ReportPhoto,
    RoleName,
    Rsvp,
    Series,
)
from scheduler.jobs import JobContext

log = logging.getLogger(__name__)

NUDGE_BEFORE_DEADLINE = timedelta(days=2)
REPORT_AFTER_END = timedelta(hours=2)
REPORT_REMINDER_AFTER = timedelta(days=3)
REPORT_ESCALATION_AFTER = timedelta(days=7)
PHOTO_ATTEMPTS = 5
LOOKBACK = timedelta(days=8)  # older activities have nothing left to follow up


def _lang_groups(people: Iterable[Person | Row]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for person in people:
        if person.line_user_id is not None and person.blocked_at is None:  # Person.reachable, for rows too
            groups[person.language or "th"].append(person.line_user_id)
    return groups


def _send(session: Session, people: Iterable[Person | Row], dedupe_key: str, now: datetime,
          build: Callable[[str], Message], topic: str | None = None) -> int:
    """Queue one message per language (built by `build(lang)`) for these people; returns rows added."""
    added = 0
    for lang, user_ids in _lang_groups(people).items():
        added += len(outbox.enqueue(session, user_ids, [build(lang)], now=now, dedupe_key=f"{dedupe_key}:{lang}",
                                    quiet_hours=True, topic=topic))
    return added


def _time_set(activity: Activity) -> datetime:
    """When the activity's current time was set: follow-ups whose moment came before it are not sent."""
    return activity.time_set_at or activity.created_at


def _text(key: str, **values: object) -> Callable[[str], Message]:
    return lambda lang: TextMessage(text=text_for(lang, key, **values))


def chairs_of(session: Session, network_id: int) -> list[Person]:
    return list(session.scalars(select(Person).join(Membership).where(
        Membership.role == RoleName.NETWORK_CHAIR, Membership.network_id == network_id).order_by(Person.id).distinct()))


def staff_of(session: Session, organization_id: int) -> list[Person]:
    return list(session.scalars(select(Person).join(Membership).where(
        Membership.role == RoleName.STAFF, Membership.organization_id == organization_id)
        .order_by(Person.id).distinct()))


def _open_activities(session: Session, now: datetime, ids: list[int] | None = None) -> list[Activity]:
    """Activities still to come and not cancelled; with `ids`, only those, read afresh from the database."""
    query = select(Activity).where(Activity.status.in_([ActivityStatus.PLANNED, ActivityStatus.CONFIRMED]),
                                   Activity.starts_at > now).order_by(Activity.starts_at, Activity.id)
    if ids is not None:
        query = query.where(Activity.id.in_(ids)).execution_options(populate_existing=True)
    return list(session.scalars(query))


# --- reminders --------------------------------------------------------------------------------

# Activities whose reminders are queued in one transaction: the dispatcher can send the first ones
# while the job queues the rest (500 activities starting together is 50,000 reminders in one minute).
REMINDER_PAGE = 25


def _due_reminder(activity: Activity, now: datetime) -> int | None:
    """The reminder offset (minutes before the start) due now, if any."""
    due = [o for o in activity.reminder_offsets or []
           if activity.starts_at - timedelta(minutes=o) <= now
           and activity.starts_at - timedelta(minutes=o) >= _time_set(activity)]
    return min(due) if due else None  # a missed earlier reminder is superseded by the latest one due


def _queue_reminder(session: Session, activity: Activity, offset: int, chats: list[str], people: list[Row],
                    now: datetime) -> int:
    """Queue one activity's due reminder, to its groups or to those going or maybe; returns rows added."""
    dedupe = acts.followup_key("reminder", activity, offset)
    values = {"title": activity.title, "place": activity.place_text or "-", "code": activity.code}
    topic = acts.followup_topic(activity.id)
    if chats:
        message = TextMessage(text=text_for("th", "followup.reminder", when=format_when_in("th", activity.starts_at),
                                            **values))
        return len(outbox.enqueue(session, chats, [message], now=now, dedupe_key=dedupe, quiet_hours=True,
                                  topic=topic))
    return _send(session, people, dedupe, now, lambda lang: TextMessage(
        text=text_for(lang, "followup.reminder", when=format_when_in(lang, activity.starts_at), **values)), topic)


def send_reminders(ctx: JobContext) -> int:
    """Before each activity (default 3 days and 2 hours), remind its groups, or those going or maybe.

    An activity that reminds its groups but has no linked group (or the bot left them all) reminds the
    people going or maybe instead: a reminder with nowhere to go would leave them with none at all."""
    now, added = ctx.clock(), 0
    with ctx.session_factory() as session:
        with session.begin():
            due = [activity.id for activity in _open_activities(session, now)
                   if _due_reminder(activity, now) is not None]
        for start in range(0, len(due), REMINDER_PAGE):
            with session.begin():
                # Read again in the page's own transaction: one cancelled or moved since the list was
                # read is skipped or reminded with its new details, never with the old ones.
                fresh = _open_activities(session, now, due[start:start + REMINDER_PAGE])
                # One that quiet hours would hold until after the activity has begun is dropped (a 2-hour
                # reminder of a 06:00 alms-giving falls due at 04:00: at 07:00 it would only be noise).
                page = [(activity, offset) for activity in fresh
                        if (offset := _due_reminder(activity, now)) is not None
                        and outbox.after_quiet_hours(now) < activity.starts_at]
                chats = {activity.id: [link.chat_id for link in acts.linked_chats(session, activity)]
                         if activity.remind_groups else [] for activity, _ in page}
                people = acts.interested_contacts(session, [a.id for a, _ in page if not chats[a.id]])
                for activity, offset in page:
                    added += _queue_reminder(session, activity, offset, chats[activity.id], people[activity.id],
                                             now)
    return added


# --- nudges through leaders -------------------------------------------------------------------

def nudge_leaders(ctx: JobContext) -> int:
    """Before the RSVP deadline, each leader gets one message listing their members who have not answered.

    The nudge waits for NUDGE_BEFORE_DEADLINE before the deadline, and at least half the time between the
    activity's creation (or its move) and its deadline: an activity announced at short notice is not followed within
    minutes by a nudge, before anyone could answer. Leaders are not listed: they are the ones chasing."""
    now, added = ctx.clock(), 0
    with ctx.session_factory() as session, session.begin():
        for activity in _open_activities(session, now):
            deadline = activity.rsvp_deadline
            if deadline is None:
                continue
            announced = _time_set(activity)
            opens = max(deadline - NUDGE_BEFORE_DEADLINE, announced + (deadline - announced) / 2)
            if not (opens <= now < deadline) or outbox.after_quiet_hours(now) >= deadline:
                continue  # (held by quiet hours until after the deadline, a nudge could only be noise)
            if activity.network_id:
                communities = acts.network_communities(session, session.get(Network, activity.network_id))
            else:
                communities = [session.get(Community, activity.community_id)]
            answered = select(Rsvp.person_id).where(Rsvp.activity_id == activity.id, Rsvp.person_id.is_not(None))
            for community in communities:
                leaders = select(Membership.person_id).where(Membership.community_id == community.id,
                                                             Membership.role == RoleName.COMMUNITY_LEADER)
                silent = session.scalars(select(Person.full_name).join(Membership).where(
                    Membership.community_id == community.id, Membership.role == RoleName.MEMBER,
                    Person.consent_version.is_not(None), Person.id.not_in(answered),
                    Person.id.not_in(leaders)).order_by(Person.full_name)).all()
                if not silent:
                    continue
                names = "\n".join(f"• {name}" for name in silent[:30])
                more = len(silent) - 30
                for leader in acts.community_leaders(session, community.id):
                    lang = leader.language or "th"
                    text = text_for(lang, "followup.nudge", community=community.name, title=activity.title,
                                    when=format_when_in(lang, activity.starts_at), count=len(silent), names=names,
                                    deadline=format_when_in(lang, deadline),
                                    code=activity.code)
                    if more > 0:
                        text += "\n" + text_for(lang, "followup.nudge_more", count=more)
                    added += len(outbox.enqueue(session, [leader.line_user_id], [TextMessage(text=text)], now=now,
                                                dedupe_key=acts.followup_key("nudge", activity, community.id),
                                                quiet_hours=True, topic=acts.followup_topic(activity.id)))
    return added


# --- reports ----------------------------------------------------------------------------------

def report_button(lang: str, activity: Activity) -> QuickReply:
    label = text_for(lang, "followup.report_button")
    return QuickReply(items=[QuickReplyItem(action=PostbackAction(
        label=label, data=f"a=report_start&id={activity.id}", displayText=label))])


def request_reports(ctx: JobContext) -> int:
    """Ask the host's leaders (or, with none on LINE, its zone's chair) for a report 2 h after the end; remind
    after 3 days; tell the network's chair and staff after 7, saying who was asked."""
    now, added = ctx.clock(), 0
    with ctx.session_factory() as session, session.begin():
        reported = select(ActivityReport.activity_id)
        ended = session.scalars(select(Activity).where(
            Activity.status.in_([ActivityStatus.PLANNED, ActivityStatus.CONFIRMED, ActivityStatus.DONE]),
            Activity.ends_at <= now - REPORT_AFTER_END, Activity.ends_at > now - LOOKBACK - REPORT_ESCALATION_AFTER,
            Activity.id.not_in(reported))).all()
        for activity in ended:
            if activity.status != ActivityStatus.DONE:
                activity.status = ActivityStatus.DONE
            host_id = activity.host_community_id or activity.community_id
            host = session.get(Community, host_id) if host_id else None
            asked, standing_in = report_answerers(session, host)
            values = {"title": activity.title, "code": activity.code, "community": host.name if host else "-",
                      "zone": session.get(Network, host.zone_id).name if host else "-"}
            since_end = now - activity.ends_at
            if since_end >= REPORT_ESCALATION_AFTER:
                people = chairs_of(session, activity.network_id) if activity.network_id else []
                people += staff_of(session, activity.organization_id)
                # Say who was asked: a chair standing in for a host with no leader on LINE, or nobody at all.
                escalation = ("followup.report_escalation" if not standing_in else
                              "followup.report_escalation_chair" if asked else "followup.report_escalation_nobody")
                added += _send(session, people, acts.followup_key("report_escalation", activity), now,
                               _text(escalation, **values), acts.followup_topic(activity.id))
            stage = "report_reminder" if since_end >= REPORT_REMINDER_AFTER else "report_request"
            key = f"followup.{stage}_chair" if standing_in else f"followup.{stage}"
            added += _send(session, asked, acts.followup_key(stage, activity), now,
                           lambda lang, a=activity, k=key, v=values: TextMessage(
                               text=text_for(lang, k, **v), quickReply=report_button(lang, a)),
                           acts.followup_topic(activity.id))
    return added


def report_answerers(session: Session, host: Community | None) -> tuple[list[Person], bool]:
    """Who is asked for an activity's report: the host community's leaders on LINE; for a host with none,
    the chairs of its zone, who may report for it (as they answer alerts for its members). The flag says
    the chairs stand in (even when there are none to ask either)."""
    if host is None:
        return [], False
    leaders = acts.community_leaders(session, host.id)
    if leaders:
        return leaders, False
    return [p for p in chairs_of(session, host.zone_id) if p.reachable], True


def fetch_report_photos(ctx: JobContext, storage: Storage) -> int:
    """Download images sent in report flows from LINE's content API into storage (the database by
    default: the web desk, another process, serves them)."""
    fetched = 0
    with ctx.session_factory() as session:
        pending = session.scalars(select(ReportPhoto).where(ReportPhoto.storage_path.is_(None),
                                                            ReportPhoto.attempts < PHOTO_ATTEMPTS).limit(50)).all()
        work = [(p.id, p.line_message_id, p.report.activity_id) for p in pending]
    for photo_id, message_id, activity_id in work:
        result = ctx.line.content(message_id)
        with ctx.session_factory() as session, session.begin():
            photo = session.get(ReportPhoto, photo_id)
            photo.attempts += 1
            if isinstance(result, bytes | bytearray):
                ref = storage.put(session, photo_key(activity_id, message_id), bytes(result), "image/jpeg", ctx.clock())
                photo.storage_path, photo.fetched_at, photo.last_error = ref, ctx.clock(), None
                fetched += 1
            else:
                photo.last_error = f"{result.status}: {result.detail}"[:500]
                if result.outcome == Outcome.REJECTED:
                    photo.attempts = PHOTO_ATTEMPTS  # LINE no longer has it: stop asking
    return fetched


# --- monthly check and summary ----------------------------------------------------------------

def _month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    local = moment.astimezone(TIMEZONE)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start, acts.add_months(start, 1)


THAI_MONTHS = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม",
               "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"]


def _month_label(lang: str, start: datetime) -> str:
    if lang == "th":
        return f"{THAI_MONTHS[start.month - 1]} {start.year + 543}"
    return start.strftime("%B %Y")


def monthly_check(ctx: JobContext) -> int:
    """From the 20th, chairs of networks with no activity this month get one nudge; from the 1st (to the 7th),
    staff get last month's summary."""
    now, added = ctx.clock(), 0
    local = now.astimezone(TIMEZONE)
    with ctx.session_factory() as session, session.begin():
        if local.day >= 20:
            start, end = _month_bounds(now)
            month = f"{start:%Y-%m}"
            for network in session.scalars(select(Network).order_by(Network.id)):
                count = session.scalar(select(func.count()).where(
                    Activity.network_id == network.id, Activity.status != ActivityStatus.CANCELLED,
                    Activity.starts_at >= start, Activity.starts_at < end))
                if count == 0:
                    added += _send(session, chairs_of(session, network.id), f"monthly_nudge:{network.id}:{month}",
                                   now, lambda lang, n=network, s=start: TextMessage(text=text_for(
                                       lang, "followup.monthly_nudge", network=n.name, month=_month_label(lang, s))))
        if local.day <= 7:
            start, end = _month_bounds(acts.add_months(local.replace(day=1), -1))
            for organization in session.scalars(select(Organization).order_by(Organization.id)):
                added += _send(session, staff_of(session, organization.id),
                               f"monthly_summary:{organization.id}:{start:%Y-%m}", now,
                               lambda lang, o=organization, s=start, e=end: TextMessage(
                                   text=monthly_summary(session, o, s, e, lang)))
    return added


def monthly_summary(session: Session, organization: Organization, start: datetime, end: datetime, lang: str) -> str:
    """Activities per network, attendance and active networks against the district's own targets
    (`Organization.target_attendance_percent`, `target_active_networks`), missing reports."""
    lines = [text_for(lang, "followup.summary_header", month=_month_label(lang, start), org=organization.name)]
    active_networks = going_total = came_total = 0
    missing: list[str] = []
    for network in session.scalars(select(Network).where(Network.organization_id == organization.id)
                                   .order_by(Network.name)):
        activities = session.scalars(select(Activity).where(
            Activity.network_id == network.id, Activity.status != ActivityStatus.CANCELLED,
            Activity.starts_at >= start, Activity.starts_at < end)).all()
        going = came = 0
        for activity in activities:
            going += session.scalar(select(func.count()).where(
                Rsvp.activity_id == activity.id, Rsvp.answer == Answer.GOING, Rsvp.waitlisted_at.is_(None)))
            came += session.scalar(select(func.count()).where(
                Rsvp.activity_id == activity.id, Rsvp.checked_in_at.is_not(None)))
            if session.scalar(select(func.count()).where(ActivityReport.activity_id == activity.id)) == 0:
                missing.append(f"{activity.title} ({activity.code})")
        active_networks += bool(activities)
        going_total, came_total = going_total + going, came_total + came
        rate = f"{came / going:.0%}" if going else "-"
        lines.append(text_for(lang, "followup.summary_network", network=network.name, count=len(activities),
                              rate=rate))
    overall = came_total / going_total if going_total else None
    lines.append(text_for(lang, "followup.summary_attendance",
                          rate=f"{overall:.0%}" if overall is not None else "-",
                          target=organization.target_attendance_percent,
                          verdict=text_for(lang, "followup.target_met" if overall is not None and
                                           overall * 100 >= organization.target_attendance_percent
                                           else "followup.target_missed")))
    target = organization.target_active_networks
    lines.append(text_for(lang, "followup.summary_networks", count=active_networks, target=target,
                          verdict=text_for(lang, "followup.target_met" if active_networks >= target
                                           else "followup.target_missed")))
    lines.append(text_for(lang, "followup.summary_missing", count=len(missing),
                          names=", ".join(missing) if missing else "-"))
    return "\n".join(lines)


# --- recurring series -------------------------------------------------------------------------

def generate_series(ctx: JobContext, horizon: timedelta = acts.SERIES_HORIZON) -> int:
    """Create each series' next occurrence 30 days ahead, announce it in its groups and ask its proposed
    host to confirm."""
    now, created = ctx.clock(), 0
    with ctx.session_factory() as session, session.begin():
        # Locked: a chair stopping a series waits for this run, or this run sees it stopped.
        for series in session.scalars(select(Series).where(Series.active.is_(True)).order_by(Series.id)
                                      .with_for_update().execution_options(populate_existing=True)):
            with session.begin_nested():
                activity = acts.generate_next(session, series, now, horizon)
            if activity is None:
                continue
            created += 1
            # Like a new activity: its card in the network's groups, and its proposed host asked.
            events.announce_in_groups(session, activity, now, quiet_hours=True)
            if activity.host_state == HostState.PROPOSED and activity.host_community_id:
                events.ask_host_later(session, activity, now)
    return created


def register_jobs(scheduler, ctx: JobContext, storage: Storage) -> None:
    """Add the follow-up jobs to the scheduler (each runs once at a time; a missed run just runs late)."""
    # On the minute, not a minute after whenever the scheduler started: activities start on the
    # minute, so reminders fall due on it, and are queued the moment they do (BENCHMARKS.md).
    scheduler.add_job(send_reminders, "cron", second=0, args=[ctx], id="reminders")
    scheduler.add_job(nudge_leaders, "interval", minutes=5, args=[ctx], id="nudges")
    scheduler.add_job(request_reports, "interval", minutes=5, args=[ctx], id="reports")
    scheduler.add_job(fetch_report_photos, "interval", minutes=1, args=[ctx, storage], id="photos")
    scheduler.add_job(monthly_check, "interval", minutes=30, args=[ctx], id="monthly")
    scheduler.add_job(generate_series, "interval", hours=1, args=[ctx], id="series")
