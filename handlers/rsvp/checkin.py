"""`เช็คอิน` / `checkin` and the card's check-in button."""

from __future__ import annotations

from linebot.v3.messaging import Message
from sqlalchemy import select

from bot.config import TIMEZONE
from handlers.thaitime import format_when_in
from handlers.context import Context, Turn, text_message
from handlers.registry import Role, command, postback, strip_polite
from handlers.services import activities as act
from handlers.services import registry as reg
from models import Activity, Person, Rsvp
from handlers.rsvp.naming import (
    _activity_by_id, _answerable, _name, _outside, _sender_refusal, _usage, managed_person,
)


@command("เช็คอิน", "เช็กอิน", "checkin", "check in")
def checkin(ctx: Context) -> list[Message] | Turn:
    """เช็คอินเมื่อถึงงาน เช่น “เช็คอิน K7M2” (ผู้นำเช็คอินให้สมาชิกได้) / Check in at an activity, e.g. “checkin K7M2”"""
    code, _, name = ctx.args.translate(reg.THAI_DIGITS).partition(" ")
    name = strip_polite(name)  # "เช็คอิน K7M2 สมศรี ใจดี ครับ"; "เช็คอิน K7M2 ค่ะ" is oneself
    if not code:
        return [_usage(ctx, "checkin.usage")]
    refusal = _sender_refusal(ctx, code)
    if refusal is not None:
        return [refusal]
    activity = _answerable(ctx, code)
    if not isinstance(activity, Activity):
        return [activity]
    if not name.strip():
        return _check_in(ctx, activity, ctx.person)
    if ctx.role < Role.COMMUNITY_LEADER:
        return [ctx.text("checkin.others_refused", code=activity.code)]
    found = managed_person(ctx, name, lambda label: f"{ctx.keyword} {activity.code} {label}")
    if isinstance(found, Turn):
        return found
    if not isinstance(found, Person):
        return [found]
    return _check_in(ctx, activity, found, by=ctx.person if found.id != ctx.person.id else None)


@postback("checkin")
def checkin_button(ctx: Context) -> list[Message]:
    """The check-in button of an activity card."""
    activity = _activity_by_id(ctx)
    if activity is None:
        return [ctx.text("postback.unknown")]
    refusal = _sender_refusal(ctx, activity.code) or _outside(ctx, activity)
    if refusal is not None:
        return [refusal]
    return _check_in(ctx, activity, ctx.person)


def _check_in(ctx: Context, activity: Activity, person: Person, by: Person | None = None) -> list[Message]:
    values = {"name": _name(person), "title": activity.title}
    if act.closed_reason(activity, ctx.now) == "cancelled":
        return [ctx.text("checkin.cancelled", **values)]
    if not act.check_in_open(activity, ctx.now):
        if ctx.now < activity.starts_at:
            return [ctx.text("checkin.not_yet", **values,
                             opens=format_when_in(ctx.lang, activity.starts_at - act.CHECK_IN_OPENS))]
        return [ctx.text("checkin.ended", **values)]
    earlier = ctx.session.scalars(select(Rsvp).where(Rsvp.activity_id == activity.id, Rsvp.person_id == person.id,
                                                     Rsvp.checked_in_at.is_not(None))).first()
    if earlier is not None:
        lines = [ctx.t("checkin.already", **values, time=f"{earlier.checked_in_at.astimezone(TIMEZONE):%H:%M}")]
    else:
        community = reg.member_community(ctx.session, person)
        act.check_in(ctx.session, activity, person, ctx.now, by=by, community_id=community.id if community else None)
        lines = [ctx.t("checkin.done_for" if by else "checkin.done", **values)]
    if act.sees_names(ctx.session, ctx.memberships, activity):
        lines.append(_rate_line(ctx, act.attendance(ctx.session, activity)))
    return [text_message("\n".join(lines))]


def _rate_line(ctx: Context, seen: act.Attendance) -> str:
    """Who came against who answered going; those who came without having answered going are said apart."""
    if seen.rate is None:
        return ctx.t("checkin.rate_none", came=seen.came)
    if seen.came == seen.came_answered:
        return ctx.t("checkin.rate", came=seen.came, going=seen.answered, percent=round(seen.rate * 100))
    return ctx.t("checkin.rate_walk_ins", came=seen.came, came_answered=seen.came_answered, going=seen.answered,
                 percent=round(seen.rate * 100), others=seen.came - seen.came_answered)
