"""Recurring activities: `จัดซ้ำ K7M2 ทุกเดือน` / `repeat K7M2 monthly`, and `จัดซ้ำ K7M2 หยุด` to stop.

The activity becomes occurrence 1 of a series. The scheduler's hourly `series` job creates each next
occurrence 30 days before it starts (scheduler/followups.py): it announces it in the network's linked
groups and asks the host the rotation proposes to confirm, as a new activity does.

Decisions:
- Only the network's chair or the organization's staff may start, change or stop a series. A recurring
  schedule commits every community of the network to host in turn: that is the network's decision,
  not one community leader's (a leader can still create each activity once).
- Only a network's activity repeats: a single community's own activity has no rotation to follow.
- Changing the interval starts a new series from the series' latest occurrence (numbered 1 again).
  Occurrences are counted from the series' first start, so an interval cannot change in the middle.
- Without an interval (`จัดซ้ำ K7M2`) the reply shows the current state and one button per interval.
"""

from __future__ import annotations

from linebot.v3.messaging import Message

from handlers import cards
from handlers.context import Context
from handlers.registry import Role, command
from handlers.services import activities as svc
from models import Activity, ActivityStatus, Series

OFFERED = (1, 3, 6, 12)  # the intervals offered as buttons; any 1–12 months may be typed
STOP_WORDS = frozenset({"หยุด", "หยุดจัดซ้ำ", "ไม่จัดซ้ำ", "ไม่ซ้ำ", "stop", "off", "no", "none"})


@command("จัดซ้ำ", "repeat", min_role=Role.NETWORK_CHAIR)
def repeat(ctx: Context) -> list[Message]:
    """ตั้งให้กิจกรรมของเครือข่ายจัดซ้ำ เช่น ทุกเดือน ทุก 3 เดือน หรือหยุด / Repeat a network's activity (monthly, every 3 months) or stop"""
    code, _, rule = ctx.args.strip().partition(" ")
    rule = rule.strip()
    if not code:
        return [ctx.text("series.usage")]
    activity = svc.find_activity(ctx.session, code)
    if activity is None:
        return [ctx.text("event.unknown_code", code=code[:20])]
    activity = svc.locked_activity(ctx.session, activity.id)  # two chairs at once take turns
    if not svc.may_plan_series(ctx.memberships, activity):
        return [ctx.text("series.refused")]
    if activity.network_id is None:
        return [ctx.text("series.network_only", title=activity.title)]
    if activity.status == ActivityStatus.CANCELLED:
        return [ctx.text("event.already_cancelled", title=activity.title)]
    current = ctx.session.get(Series, activity.series_id) if activity.series_id else None
    current = current if current is not None and current.active else None
    if not rule:
        return [_choices(ctx, activity, current, ctx.t("series.ask_rule", title=activity.title, code=activity.code))]
    if rule.casefold() in STOP_WORDS:
        return [_stop(ctx, activity, current)]
    months = svc.read_series_rule(rule)
    if months is None:
        return [_choices(ctx, activity, current, ctx.t("series.rule_unknown", text=rule[:40]))]
    if current is not None and current.interval_months == months:
        return [ctx.text("series.already", title=activity.title, rule=cards.series_rule(ctx.lang, months),
                         next=_next_date(ctx, current, activity))]
    if current is not None:
        latest = svc.latest_occurrence(ctx.session, current)
        if latest.id != activity.id:
            return [ctx.text("series.not_latest", code=latest.code)]
    series = svc.start_series(ctx.session, activity, months, ctx.person, ctx.now)
    return [ctx.text("series.started", title=activity.title, rule=cards.series_rule(ctx.lang, months),
                     next=_next_date(ctx, series, activity), days=svc.SERIES_HORIZON.days,
                     stop=f"{_keyword(ctx)} {activity.code} {ctx.t('series.stop_word')}")]


def _stop(ctx: Context, activity: Activity, current: Series | None) -> Message:
    if current is None:
        return ctx.text("series.not_repeating", title=activity.title)
    current.active = False
    latest = svc.latest_occurrence(ctx.session, current)
    if latest.starts_at > ctx.now and latest.status != ActivityStatus.CANCELLED:
        # Occurrences already announced stay: stopping the schedule is not cancelling a meeting.
        return ctx.text("series.stopped_kept", title=activity.title, code=latest.code,
                        when=cards.when_range(ctx.lang, latest.starts_at))
    return ctx.text("series.stopped", title=activity.title)


def _choices(ctx: Context, activity: Activity, current: Series | None, first_line: str) -> Message:
    """The question with one button per interval (and stop, while it repeats), each sending the command."""
    lines = [first_line]
    if current is not None:
        lines.append(ctx.t("series.now", rule=cards.series_rule(ctx.lang, current.interval_months),
                           next=_next_date(ctx, current, activity)))
    prefix = f"{_keyword(ctx)} {activity.code}"
    quick = [(cards.series_rule(ctx.lang, months), f"{prefix} {cards.series_rule(ctx.lang, months)}")
             for months in OFFERED]
    if current is not None:
        quick.append((ctx.t("series.stop_label"), f"{prefix} {ctx.t('series.stop_word')}"))
    return ctx.text_message("\n".join(lines), quick=quick)


def _next_date(ctx: Context, series: Series, activity: Activity) -> str:
    """When the occurrence after the series' latest one starts."""
    latest = svc.latest_occurrence(ctx.session, series) or activity
    _, starts = svc.next_occurrence(series, latest.occurrence or 1, ctx.now)
    return cards.when_range(ctx.lang, starts)


def _keyword(ctx: Context) -> str:
    return ctx.registry.spec_of(repeat).keyword_for(ctx.lang)
