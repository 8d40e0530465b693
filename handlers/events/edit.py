"""`แก้ไขกิจกรรม` / `edit event`: the field, its new value, a preview of the change and who will be told, then save and tell."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from linebot.v3.messaging import Message, TextMessage

from bot import outbox
from bot.config import TIMEZONE
from handlers import cards
from handlers.catalog import CATALOGUES, text_for
from handlers.context import Context, Turn, text_message
from handlers.registry import Role, command, step, word_in
from handlers.services import activities as svc
from models import Activity, ActivityStatus, Community, HostState
from handlers.events.create import _when_again
from handlers.events.flow import (
    CHANGE_WORDS, DEFAULT_START, EDIT, EditStep, FIELDS, GROUP_FIELDS, GROUP_LANG, YES_WORDS,
)
from handlers.events.prompts import _ask_time, _ask_when, _date_text, _invalid_text, _say
from handlers.events.reading import (
    DateOnly, Invalid, When, _answer, _invalid, _short, read_count, read_place, read_title, read_when,
)
from handlers.events.telling import (
    Answered, _answered, _answered_parts, _groups_of, _host_leaders, _notify, _tell_host, _tell_proxies, _told,
    ask_host_later, tell_groups,
)


def _activity_to_change(ctx: Context, code: str, usage_key: str) -> Activity | Message:
    """The activity the sender may change, or the reply saying why not."""
    if not code:
        return ctx.usage(usage_key)
    activity = svc.find_activity(ctx.session, ctx.memberships, code)
    if activity is None:
        return ctx.text("event.unknown_code", code=_short(code, 20))
    refusal = _refusal(ctx, activity)
    return activity if refusal is None else refusal


def _refusal(ctx: Context, activity: Activity) -> Message | None:
    """Why the sender may not change this activity now (None when they may)."""
    if not svc.can_change_activity(ctx.session, ctx.person, ctx.memberships, activity):
        return ctx.text("event.change_refused")
    if activity.status == ActivityStatus.CANCELLED:
        return ctx.text("event.already_cancelled", title=activity.title)
    if activity.status == ActivityStatus.DONE or activity.ends_at <= ctx.now:
        return ctx.text("event.already_over", title=activity.title)
    return None


@command("แก้ไขกิจกรรม", "edit event", min_role=Role.COMMUNITY_LEADER)
def edit_event(ctx: Context) -> Turn:
    """แก้ไขชื่อ วันเวลา สถานที่ จำนวนที่นั่ง หรือวันปิดรับคำตอบของกิจกรรม / Change an activity's title, time, place, seats or answer deadline"""
    code, field = _code_and_field(ctx, _answer(ctx))
    found = _activity_to_change(ctx, code, "event.edit_usage")
    if not isinstance(found, Activity):
        return Turn([found])
    if field is not None:  # "แก้ไขกิจกรรม K7M2 วันเวลา": the field named after the code
        turn = _ask_new(ctx, field, found)
        turn.flow, turn.data = EDIT, {"activity_id": found.id}
        return turn
    return Turn([_say(ctx, ctx.t("event.ask_field", title=found.title), _field_buttons(ctx))],
                flow=EDIT, step=EditStep.FIELD, data={"activity_id": found.id})


def _field_named(ctx: Context, text: str) -> str | None:
    """The field these words name ("วันเวลา", "ที่นั่งครับ", or a button's label), or None."""
    return next((name for name, words in FIELDS.items()
                 if word_in(text, {*words, ctx.t(f"event.field.{name}").casefold()}) is not None), None)


def _code_and_field(ctx: Context, text: str) -> tuple[str, str | None]:
    """The activity code and the field typed after it, if the words after the code name one: "K7M2 วันเวลา"
    is K7M2's time; anything else is all code, as before (an unknown code is said back as typed)."""
    code, _, rest = text.strip().partition(" ")
    field = _field_named(ctx, rest) if rest.strip() else None
    return (code, field) if field is not None else (text, None)


def _field_buttons(ctx: Context) -> list[tuple[str, str]]:
    return [(ctx.t(f"event.field.{name}"),) * 2 for name in FIELDS]


@step(EDIT, EditStep.FIELD)
def edit_event_field(ctx: Context) -> Turn:
    field = _field_named(ctx, ctx.args)
    if field is None:
        return Turn([_say(ctx, ctx.t("event.field_unknown"), _field_buttons(ctx))], step=EditStep.FIELD)
    return _ask_new(ctx, field, ctx.session.get(Activity, ctx.data["activity_id"]))


def _ask_new(ctx: Context, field: str, activity: Activity, invalid: Invalid | None = None) -> Turn:
    """Ask the field's new value (after the reason the last one cannot be used, if any)."""
    if field == "when":
        return Turn([_ask_when(ctx, invalid)], step=EditStep.WHEN)
    if field == "deadline":
        return Turn([_ask_deadline(ctx, activity, invalid)], step=EditStep.DEADLINE)
    quick: list[tuple[str, str]] = []
    if field == "title":
        text, next_step = ctx.t("event.ask_new_title", title=activity.title), EditStep.TITLE
    elif field == "place":
        text, next_step = ctx.t("event.ask_new_place"), EditStep.PLACE
    else:
        text, next_step = ctx.t("event.ask_new_capacity", current=_capacity_text(ctx.lang, activity)), \
            EditStep.CAPACITY
        quick = [(ctx.t("event.unlimited"),) * 2]
    if invalid is not None:
        text = ctx.t(invalid.key, **invalid.values) + "\n" + text
    return Turn([_say(ctx, text, quick, location=field == "place")], step=next_step)


@step(EDIT, EditStep.TITLE)
def edit_event_title(ctx: Context) -> Turn:
    title = read_title(_answer(ctx))
    if isinstance(title, Invalid):
        return Turn([_invalid_text(ctx, title)], step=EditStep.TITLE)
    return _preview_edit(ctx, {"field": "title", "title": title})


@step(EDIT, EditStep.WHEN)
def edit_event_when(ctx: Context) -> Turn:
    return _edit_when(ctx, read_when(ctx))


@step(EDIT, EditStep.TIME)
def edit_event_time(ctx: Context) -> Turn:
    return _edit_when(ctx, read_when(ctx, date.fromisoformat(ctx.data["day"])))


def _edit_when(ctx: Context, when: When | DateOnly | Invalid) -> Turn:
    if isinstance(when, Invalid):
        return _when_again(ctx, when)
    if isinstance(when, DateOnly):
        ctx.data["day"] = when.day.isoformat()
        return Turn([_ask_time(ctx, when.day)], step=EditStep.TIME)
    ctx.data.pop("day", None)
    return _preview_edit(ctx, {"field": "when", "starts_at": when.starts_at.isoformat(),
                               "ends_at": when.ends_at.isoformat() if when.ends_at else None})


def _ask_deadline(ctx: Context, activity: Activity, invalid: Invalid | None = None) -> TextMessage:
    text = ctx.t("event.ask_new_deadline", current=_value(ctx.lang, "deadline", activity),
                 start=cards.when_range(ctx.lang, activity.starts_at))
    if invalid is not None:
        text = ctx.t(invalid.key, **invalid.values) + "\n" + text
    return _say(ctx, text, picker=min(activity.starts_at, max(activity.rsvp_deadline or activity.starts_at, ctx.now)))


@step(EDIT, EditStep.DEADLINE)
def edit_event_deadline(ctx: Context) -> Turn:
    return _edit_deadline(ctx, read_when(ctx))


@step(EDIT, EditStep.DEADLINE_TIME)
def edit_event_deadline_time(ctx: Context) -> Turn:
    return _edit_deadline(ctx, read_when(ctx, date.fromisoformat(ctx.data["day"])))


def _edit_deadline(ctx: Context, when: When | DateOnly | Invalid) -> Turn:
    """A new answer deadline: a moment still ahead, no later than the start (a range's end is ignored)."""
    activity = ctx.session.get(Activity, ctx.data["activity_id"])
    if activity is None:
        return Turn([ctx.text("flow.expired")])
    if isinstance(when, DateOnly):
        ctx.data["day"] = when.day.isoformat()
        return Turn([_say(ctx, ctx.t("event.ask_deadline_time", date=_date_text(ctx.lang, when.day)),
                          picker=datetime.combine(when.day, DEFAULT_START, TIMEZONE))], step=EditStep.DEADLINE_TIME)
    edit = {"field": "deadline", "rsvp_deadline": when.starts_at.isoformat()} if isinstance(when, When) else None
    invalid = when if isinstance(when, Invalid) else _edit_invalid(ctx, activity, edit)
    if invalid is not None:
        return Turn([_ask_deadline(ctx, activity, invalid)], step=ctx.step)
    ctx.data.pop("day", None)
    return _preview_edit(ctx, edit)


@step(EDIT, EditStep.PLACE)
def edit_event_place(ctx: Context) -> Turn:
    place = read_place(ctx)
    if isinstance(place, Invalid):
        return Turn([_invalid_text(ctx, place, location=True)], step=EditStep.PLACE)
    return _preview_edit(ctx, {"field": "place", **place})


@step(EDIT, EditStep.CAPACITY)
def edit_event_capacity(ctx: Context) -> Turn:
    capacity = read_count(_answer(ctx))
    edit = {"field": "capacity", "capacity": capacity}
    invalid = capacity if isinstance(capacity, Invalid) else \
        _edit_invalid(ctx, ctx.session.get(Activity, ctx.data["activity_id"]), edit)
    if invalid is not None:
        return Turn([_invalid_text(ctx, invalid, quick=[(ctx.t("event.unlimited"),) * 2])],
                    step=EditStep.CAPACITY)
    return _preview_edit(ctx, edit)


def _capacity_text(lang: str, activity: Any) -> str:
    if activity.capacity is None:
        return text_for(lang, "event.unlimited")
    return text_for(lang, "event.people", count=activity.capacity)


# An edit waiting for its confirmation is kept in the conversation's data as plain values ("edit"): the field
# and what it becomes, e.g. {"field": "when", "starts_at": "2026-12-27T09:00:00+07:00", "ends_at": None}.

def _value(lang: str, field: str, activity: Any) -> str:
    """The field's value in words: the activity's, or (of `_proposed`) the one an edit would give it."""
    if field == "title":
        return activity.title
    if field == "when":
        return cards.when_range(lang, activity.starts_at, activity.ends_at)
    if field == "place":
        return activity.place_text or text_for(lang, "card.place_unknown")
    if field == "deadline":
        deadline = activity.rsvp_deadline
        return cards.when_range(lang, deadline) if deadline else text_for(lang, "event.deadline_none")
    return _capacity_text(lang, activity)


def _proposed(activity: Activity, edit: dict[str, Any]) -> SimpleNamespace:
    """The activity's fields as the edit would leave them, without changing it (svc.reschedule keeps the
    length when no end is given)."""
    fields = {"title": activity.title, "starts_at": activity.starts_at, "ends_at": activity.ends_at,
              "place_text": activity.place_text, "capacity": activity.capacity,
              "rsvp_deadline": activity.rsvp_deadline}
    if edit["field"] == "when":
        starts_at = datetime.fromisoformat(edit["starts_at"])
        ends_at = datetime.fromisoformat(edit["ends_at"]) if edit["ends_at"] else \
            starts_at + (activity.ends_at - activity.starts_at)
        fields.update(starts_at=starts_at, ends_at=ends_at)
    elif edit["field"] == "deadline":
        fields["rsvp_deadline"] = datetime.fromisoformat(edit["rsvp_deadline"])
    else:
        fields.update((k, v) for k, v in edit.items() if k in fields)
    return SimpleNamespace(**fields)


def _change(ctx: Context, activity: Activity, edit: dict[str, Any]) -> None:
    """Make the edit."""
    field = edit["field"]
    if field == "when":
        ends_at = datetime.fromisoformat(edit["ends_at"]) if edit["ends_at"] else None
        svc.reschedule(activity, datetime.fromisoformat(edit["starts_at"]), ends_at, ctx.now)
    elif field == "place":
        activity.place_text, activity.place_lat, activity.place_lng = (
            edit["place_text"], edit["place_lat"], edit["place_lng"])
    elif field == "deadline":
        activity.rsvp_deadline = datetime.fromisoformat(edit["rsvp_deadline"])
    else:
        setattr(activity, field, edit[field])


def _edit_invalid(ctx: Context, activity: Activity, edit: dict[str, Any]) -> Invalid | None:
    """Why the new value cannot be used now: checked when typed and again on confirming, since the start may
    have passed and answers come in meanwhile."""
    if edit["field"] == "when":
        starts_at = datetime.fromisoformat(edit["starts_at"])
        if starts_at <= ctx.now:
            return _invalid("event.when_past", when=cards.when_range(ctx.lang, starts_at))
    if edit["field"] == "deadline":
        deadline = datetime.fromisoformat(edit["rsvp_deadline"])
        if deadline <= ctx.now:
            return _invalid("event.when_past", when=cards.when_range(ctx.lang, deadline))
        if deadline > activity.starts_at:
            return _invalid("event.deadline_after_start", deadline=cards.when_range(ctx.lang, deadline),
                            start=cards.when_range(ctx.lang, activity.starts_at))
    capacity = edit.get("capacity") if edit["field"] == "capacity" else None
    if capacity is not None:
        if activity.seats_per_community and activity.seats_per_community > capacity:
            return _invalid("event.seats_over_capacity", seats=activity.seats_per_community, capacity=capacity)
        taken = svc.seats_taken(ctx.session, activity)
        if taken > capacity:
            return _invalid("event.capacity_below_taken", taken=taken)
    return None


def _moves(activity: Activity, edit: dict[str, Any]) -> bool:
    """Whether the groups and the host's leaders are to hear of it: a time or place that really changes."""
    field = edit["field"]
    return field in GROUP_FIELDS and \
        _value(GROUP_LANG, field, _proposed(activity, edit)) != _value(GROUP_LANG, field, activity)


def _edit_buttons(ctx: Context) -> list[tuple[str, str]]:
    return [(ctx.t("event.edit_confirm_label"), ctx.t("event.confirm")), (ctx.t("event.change"),) * 2]


def _preview_edit(ctx: Context, edit: dict[str, Any], prefix: str | None = None) -> Turn:
    """Show the change (old → new, dates in full with the weekday) and who will be told, before anything is
    saved or sent: a slip in a date pushed to every group of a network cannot be taken back."""
    activity = ctx.session.get(Activity, ctx.data["activity_id"])
    if activity is None:
        return Turn([ctx.text("flow.expired")])
    refusal = _refusal(ctx, activity)  # cancelled, over or no longer allowed while the sender was typing
    if refusal is not None:
        return Turn([refusal])
    ctx.data["edit"], ctx.data["revision"] = edit, activity.revision
    field = edit["field"]
    answered = _answered(ctx, activity)
    moved = _moves(activity, edit)
    leaders = _host_leaders(ctx, activity, answered.people) if moved else None
    host = (leaders[0], len(leaders[1])) if leaders is not None else None
    groups = _groups_of(ctx.session, activity, ctx.chat_id) if moved else []
    text = ctx.t("event.edit_preview", title=activity.title, field=ctx.t(f"event.field.{field}"),
                 old=_value(ctx.lang, field, activity), new=_value(ctx.lang, field, _proposed(activity, edit)),
                 who=_will_tell(ctx, answered, groups, host))
    return Turn([_say(ctx, f"{prefix}\n{text}" if prefix else text, _edit_buttons(ctx))], step=EditStep.CONFIRM)


def _will_tell(ctx: Context, answered: Answered, groups: Sequence[str], host: tuple[Community, int] | None) -> str:
    """Who will hear of the change, in one sentence: the preview's counterpart of `_told`."""
    later = outbox.in_quiet_hours(ctx.now)  # tell_groups holds it until the morning
    parts = [ctx.t("event.who.groups_later" if later else "event.who.groups", count=len(groups))] if groups else []
    parts += _answered_parts(ctx, answered, "event.who.answered", "event.who.waitlisted")
    if host is not None and host[1]:
        parts.append(ctx.t("event.who.host", community=host[0].name, count=host[1]))
    if not parts:
        return ctx.t("event.who.nobody")
    listed = parts[0] if len(parts) == 1 else \
        ctx.t("event.who.and", rest=ctx.t("event.who.separator").join(parts[:-1]), last=parts[-1])
    return ctx.t("event.who", who=listed)


@step(EDIT, EditStep.CONFIRM)
def edit_event_confirm(ctx: Context) -> Turn:
    edit = ctx.data["edit"]
    if ctx.means(CHANGE_WORDS | {ctx.t("event.change").casefold()}):
        activity = ctx.session.get(Activity, ctx.data["activity_id"])
        return _ask_new(ctx, edit["field"], activity) if activity is not None else Turn([ctx.text("flow.expired")])
    if not ctx.means(YES_WORDS):
        return Turn([_say(ctx, ctx.t("event.edit_confirm_again"), _edit_buttons(ctx))], step=EditStep.CONFIRM)
    activity = svc.locked_activity(ctx.session, ctx.data["activity_id"])
    if activity is None:
        return Turn([ctx.text("flow.expired")])
    refusal = _refusal(ctx, activity)  # cancelled, over or no longer allowed while the preview was read
    if refusal is not None:
        return Turn([refusal])
    invalid = _edit_invalid(ctx, activity, edit)
    if invalid is not None:
        return _ask_new(ctx, edit["field"], activity, invalid)
    if activity.revision != ctx.data["revision"]:  # someone else changed it: the preview's "old" may be wrong
        return _preview_edit(ctx, edit, ctx.t("event.edit_changed_meanwhile"))
    return _apply(ctx, activity, edit)


def _apply(ctx: Context, activity: Activity, edit: dict[str, Any]) -> Turn:
    """Make the confirmed edit of the locked activity, bump the revision, tell those going or maybe (and, of a
    move, the host's leaders and the groups), reply with the card."""
    field = edit["field"]
    was = _value(GROUP_LANG, field, activity)
    _change(ctx, activity, edit)
    withdrawn = svc.touch(activity, ctx.now)
    if activity.host_state == HostState.PROPOSED and activity.host_community_id and any(
            (key or "").startswith("host_request:") for key in withdrawn):
        ask_host_later(ctx.session, activity, ctx.now)  # the request held for the morning showed the old details
    if field == "capacity":  # a larger room: the waitlist moves up, each told (the one mechanism, seats.py)
        svc.seats_freed(ctx.session, activity, ctx.now, cause=f"r{activity.revision}")
    field_names = {lang: text_for(lang, f"event.field.{field}") for lang in CATALOGUES}
    moved = field in GROUP_FIELDS and _value(GROUP_LANG, field, activity) != was

    def values(lang: str) -> dict[str, object]:
        return {"field": field_names[lang], "value": _value(lang, field, activity)}

    answered = _answered(ctx, activity)
    _notify(ctx, activity, answered.people, "event.edit_notice", f"r{activity.revision}", with_card=True, values=values)
    host = _tell_host(ctx, activity, answered.people, "event.edit_notice", f"r{activity.revision}", with_card=True,
                      values=values) if moved else None
    groups: list[str] = []
    if moved:
        notice = text_for(GROUP_LANG, "event.group_change_notice", title=activity.title, code=activity.code,
                          field=field_names[GROUP_LANG], old=was, new=_value(GROUP_LANG, field, activity))
        groups = tell_groups(ctx.session, activity, text_message(notice), ctx.now, f"r{activity.revision}",
                             except_chat=ctx.chat_id)
    lines = [ctx.t("event.edited", title=activity.title, field=field_names[ctx.lang],
                   value=_value(ctx.lang, field, activity)),
             *_told(ctx, answered, groups, host)]
    if moved:
        lines.extend(_tell_proxies(ctx, activity, f"r{activity.revision}"))
    return Turn([text_message("\n".join(lines)), cards.activity_message(ctx, ctx.session, activity, now=ctx.now)])
