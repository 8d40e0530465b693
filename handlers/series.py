"""Recurring activities: `จัดซ้ำ K7M2 ทุกเดือน` / `repeat K7M2 every month`, and `จัดซ้ำ K7M2 หยุด` to stop.

The activity becomes occurrence 1 of a series. The scheduler's hourly `series` job creates each next
occurrence 30 days before it starts (scheduler/followups.py): it announces it in the network's linked
groups and asks the host the rotation proposes to confirm, as a new activity does. Each occurrence takes
its details (title, place, seats, reminders) from the one before, so an edit carries on.

Decisions:
- Only the network's chair or the organization's staff may start, change or stop a series. A recurring
  schedule commits every community of the network to host in turn: that is the network's decision,
  not one community leader's (a leader can still create each activity once).
- Only a network's activity repeats: a single community's own activity has no rotation to follow.
- Any occurrence's code stands for its whole series. Changing the interval, or starting again after a
  stop, goes on from the latest occurrence's slot (services: next_slot): ครั้งที่ counts the meetings
  held, no date is created twice, and the day of the month never drifts (31 Jan, 28 Feb, 31 Mar).
- A date less than 7 days away is skipped, too late to announce and find a host. Setting the same
  interval again after the latest occurrence was moved (แก้ไขกิจกรรม) moves the schedule to it;
  otherwise a moved meeting is a one-off and the schedule stays.
- Without an interval (`จัดซ้ำ K7M2`) the reply shows the current state and one button per interval.
"""

from __future__ import annotations

from linebot.v3.messaging import Message

from handlers import cards
from handlers.context import Context
from handlers.registry import Role, command, strip_polite
from handlers.services import activities as svc
from models import Activity, ActivityStatus, Series

OFFERED = (1, 3, 6, 12)  # the intervals offered as buttons; any 1–12 months may be typed
STOP_WORDS = frozenset({"หยุด", "หยุดจัดซ้ำ", "ไม่จัดซ้ำ", "ไม่ซ้ำ", "เลิก", "stop", "off", "no", "none"})


@command("จัดซ้ำ", "repeat", min_role=Role.NETWORK_CHAIR)
def repeat(ctx: Context) -> list[Message]:
    """ตั้งให้กิจกรรมของเครือข่ายจัดซ้ำ เช่น ทุกเดือน หรือหยุด / Repeat a network's activity, e.g. monthly, or stop"""
    code, _, rule = ctx.args.strip().partition(" ")
    rule = strip_polite(rule)
    if not code:
        return [ctx.usage("series.usage")]
    activity = svc.find_activity(ctx.session, ctx.memberships, code)
    if activity is None:
        return [ctx.text("event.unknown_code", code=code[:20])]
    if not svc.may_plan_series(ctx.memberships, activity):
        return [ctx.text("series.refused")]
    if activity.network_id is None:
        return [ctx.text("series.network_only", title=activity.title)]
    # Locked (the activity, then its series): two taps at once, or a stop and the hourly job, take turns
    # and each sees what the other did.
    activity = svc.locked_activity(ctx.session, activity.id)
    series = svc.locked_series(ctx.session, activity.series_id) if activity.series_id else None
    if series is None and activity.status == ActivityStatus.CANCELLED:
        return [ctx.text("event.already_cancelled", title=activity.title)]
    # Any occurrence's code stands for the series, so the replies name it by its latest occurrence: an
    # old code still shows the title the network uses now (each occurrence copies the one before).
    latest = svc.latest_occurrence(ctx.session, series) if series is not None else None
    title = (latest or activity).title
    if not rule:
        return [_choices(ctx, activity, series, ctx.t("series.ask_rule", title=title, code=activity.code))]
    if rule.casefold() in STOP_WORDS:
        return [_stop(ctx, title, series, latest)]
    months = svc.read_series_rule(rule)
    if months is None:
        return [_choices(ctx, activity, series, ctx.t("series.rule_unknown", text=rule[:40]))]
    if series is not None and series.active and series.interval_months == months and _on_schedule(series, latest):
        return [ctx.text("series.already", title=title, rule=cards.series_rule(ctx.lang, months),
                         **_next(ctx, series))]
    series = svc.repeat(ctx.session, activity, months, ctx.person, ctx.now)
    stop = ctx.command_text(f"{ctx.keyword_of(repeat)} {activity.code} {ctx.t('series.stop_word')}")
    return [ctx.text("series.started", title=title, rule=cards.series_rule(ctx.lang, months),
                     days=svc.SERIES_HORIZON.days, stop=stop, **_next(ctx, series))]


def _on_schedule(series: Series, latest: Activity | None) -> bool:
    """Whether the latest occurrence is where the series' rule puts it: once someone moved it (แก้ไขกิจกรรม),
    setting the same interval again re-anchors the schedule there."""
    return latest is None or latest.starts_at == svc.slot_start(series, series.last_slot)


def _stop(ctx: Context, title: str, series: Series | None, latest: Activity | None) -> Message:
    if series is None or not series.active:
        return ctx.text("series.not_repeating", title=title)
    series.active = False
    if latest is not None and latest.starts_at > ctx.now and latest.status != ActivityStatus.CANCELLED:
        # Occurrences already announced stay: stopping the schedule is not cancelling a meeting.
        return ctx.text("series.stopped_kept", title=title, code=latest.code,
                        when=cards.when_range(ctx.lang, latest.starts_at))
    return ctx.text("series.stopped", title=title)


def _choices(ctx: Context, activity: Activity, series: Series | None, first_line: str) -> Message:
    """The question with one button per interval (and stop, while it repeats), each sending the command."""
    lines = [first_line]
    active = series is not None and series.active
    if active:
        rule = cards.series_rule(ctx.lang, series.interval_months)
        lines.append(ctx.t("series.now", rule=rule, **_next(ctx, series)))
    prefix = f"{ctx.keyword_of(repeat)} {activity.code}"
    rules = [cards.series_rule(ctx.lang, months) for months in OFFERED]
    quick = [(rule, ctx.command_text(f"{prefix} {rule}")) for rule in rules]
    if active:
        quick.append((ctx.t("series.stop_label"), ctx.command_text(f"{prefix} {ctx.t('series.stop_word')}")))
    return ctx.text_message("\n".join(lines), quick=quick)


def _next(ctx: Context, series: Series) -> dict[str, object]:
    """The number and start of the occurrence Saiyai will create next (the job's own rule: svc.next_slot)."""
    latest = svc.latest_occurrence(ctx.session, series)
    _, starts = svc.next_slot(series, latest, ctx.now)
    return {"number": (latest.occurrence if latest else 0) + 1, "next": cards.when_range(ctx.lang, starts)}
