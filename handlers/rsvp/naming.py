"""Which activity and which person a command names: refusals shared by the commands, a managed member by
name, and confirming a name that was only part of someone's."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from urllib.parse import urlencode

from linebot.v3.messaging import Message, MessageAction, PostbackAction, QuickReply, QuickReplyItem, TextMessage

from handlers.context import Context, Turn, as_turn, button_label, command_refusal, record_id
from handlers.dispatcher import FLOW_ACTION
from handlers.events.listing import events
from handlers.registry import ChatKind, Match, step
from handlers.services import activities as act
from handlers.services import registry as reg
from models import Activity, Answer, Community, Person


# `สมศรี ใจดี (ชุมชนวัดบางนา)`: the form the ambiguous-name list offers, to tell namesakes apart.
NAME_WITH_COMMUNITY = re.compile(r"(?P<name>.+?)\s*\((?P<community>[^()]+)\)")
ECHO_LIMIT = 20
QUICK_LIMIT = 13


def _sender_refusal(ctx: Context, code: str) -> Message | None:
    """Answers and check-ins belong to a registered person: say how to become one."""
    if ctx.user_id is None:
        return ctx.text("rsvp.no_user_id", code=_echo(code))
    if not reg.is_registered(ctx.person):
        return ctx.text("rsvp.not_registered")
    return None


def _outside(ctx: Context, activity: Activity) -> Message | None:
    """Answers and check-ins count for the activity's own organisation (its communities' tallies and
    seats); someone registered only elsewhere who taps a card's button (they hold the card: a typed code of
    another district is simply not found) is told so rather than counted as "another community"."""
    if activity.organization_id in reg.organizations_of(ctx.memberships):
        return None
    return ctx.text("rsvp.other_district", code=activity.code)


def _answerable(ctx: Context, code: str) -> Activity | Message:
    """The activity a typed answer or check-in names (of the sender's organization), or the reply saying
    there is none."""
    activity = act.find_activity(ctx.session, ctx.memberships, code)
    return _unknown_code(ctx, code) if activity is None else activity


def _unknown_code(ctx: Context, code: str) -> Message:
    """No such activity: where to see the codes, written as this chat needs it ("บอท กิจกรรม" in a group)."""
    return ctx.text("rsvp.unknown_code", code=_echo(code), events=_events_command(ctx))


def _usage(ctx: Context, key: str) -> Message:
    """How to write the command just typed, written as this chat needs it: "บอท ผู้เข้าร่วม K7M2" in a group,
    where a message is read only after "บอท"."""
    return ctx.usage(key, events=_events_command(ctx))


def _events_command(ctx: Context) -> str:
    return ctx.command_text(ctx.keyword_of(events))


def managed_person(ctx: Context, text: str, command_for,
                   only: Callable[[Person], bool] | None = None) -> Person | Message | Turn:
    """The one registered person of the sender's communities clearly named by this text (among those `only`
    keeps), or the reply saying why not: nobody; several, listed with buttons that repeat the command for
    each; or only names holding the text ("มี" in "ทองดี มีสุข"), a Turn that asks the sender to confirm with a
    button (see pick_person). A name that is not clearly someone's is never acted on directly: a leader's
    answer, an emergency report with a phone number, an erasure or a LINE code would go to the wrong person."""
    people: list[tuple[Person, Community | None]] = []
    partial: list[tuple[Person, Community | None]] = []
    written = NAME_WITH_COMMUNITY.fullmatch(text.strip())
    if written:
        wanted = reg.name_key(written["community"])
        exact, close = _named(ctx, written["name"], only)
        people = [(p, c) for p, c in exact if c is not None and reg.name_key(c.name) == wanted]
        partial = [(p, c) for p, c in close if c is not None and reg.name_key(c.name) == wanted]
    if not people and not partial:  # no community written, or the brackets were part of the name
        people, partial = _named(ctx, text, only)
    confirmed = record_id(ctx.params.get(CONFIRMED))
    if confirmed is not None:  # the sender tapped one of the suggestions: that person, if still theirs to name
        chosen = next((p for p, _ in people + partial if p.id == confirmed), None)
        if chosen is not None:
            return chosen
        return ctx.text("proxy.not_found" if only is None else "offline.not_found", name=_echo(text.strip()))
    if not people and partial:
        return _suggest(ctx, text, partial)
    if not people:
        return ctx.text("proxy.not_found" if only is None else "offline.not_found", name=_echo(text.strip()))
    if len(people) == 1:
        return people[0][0]
    labels = [f"{_name(p)} ({c.name if c else '-'})" for p, c in people]
    return ctx.text_message(ctx.t("proxy.ambiguous", name=_echo(text.strip()),
                                  people="\n".join(f"• {label}" for label in labels)),
                            quick=[(label, ctx.command_text(command_for(label))) for label in labels[:QUICK_LIMIT]])


def _named(ctx: Context, name: str, only: Callable[[Person], bool] | None
           ) -> tuple[list[tuple[Person, Community | None]], list[tuple[Person, Community | None]]]:
    found = act.people_named(ctx.session, ctx.memberships, name.strip(), only)
    return ([(p, reg.member_community(ctx.session, p)) for p in found.exact],
            [(p, reg.member_community(ctx.session, p)) for p in found.partial])


# --- confirming a name that was only part of someone's --------------------------------------------------
# The suggestion's buttons are postbacks answering a conversation of the sender's in this chat: someone else
# tapping them in a group answers no conversation of theirs, and the first tap ends it, so a button acts once,
# for the sender only. The tap runs the sender's command again, with the person chosen (CONFIRMED), and the
# command checks everything again: the sender's role, the activity, the person still being theirs to name.

PICK = "pick_person"
CONFIRMED = "confirmed_person"  # set by pick_person only: commands get their params from nowhere else
PICK_LIMIT = 12                 # LINE's 13 quick replies, one kept for cancel


class PickStep(StrEnum):
    CHOICE = "awaiting_choice"


def _suggest(ctx: Context, text: str, partial: list[tuple[Person, Community | None]]) -> Turn:
    labels = [(p, f"{_name(p)} ({c.name if c else '-'})") for p, c in partial]
    items = [QuickReplyItem(action=PostbackAction(label=button_label(label), displayText=label,
                                                  data=urlencode({"a": FLOW_ACTION, "p": p.id})))
             for p, label in labels[:PICK_LIMIT]]
    items.append(QuickReplyItem(action=MessageAction(label=ctx.t("flow.cancel_label"), text=ctx.t("flow.cancel_label"))))
    message = TextMessage(text=ctx.t("proxy.suggest", name=_echo(text.strip()),
                                     people="\n".join(f"• {label}" for _, label in labels)),
                          quickReply=QuickReply(items=items))
    return Turn([message], flow=PICK, step=PickStep.CHOICE,
                data={"command": f"{ctx.keyword} {ctx.args}", "ids": [p.id for p, _ in labels[:PICK_LIMIT]]})


@step(PICK, PickStep.CHOICE)
def pick_person(ctx: Context) -> Turn:
    chosen = record_id(ctx.params.get("p"))
    if chosen is None:  # typed rather than tapped: a command runs as typed; anything else drops the question
        typed = ctx.registry.match(ctx.args) if ctx.args else None
        if typed is not None:
            return _run_again(ctx, typed, {})
        return Turn([ctx.text("proxy.pick_dropped")] if ctx.chat_kind == ChatKind.USER else [])
    command = ctx.registry.match(ctx.data.get("command", ""))
    if command is None or chosen not in ctx.data.get("ids", []):
        return Turn([ctx.text("postback.unknown")])
    return _run_again(ctx, command, {CONFIRMED: str(chosen)})


def _run_again(ctx: Context, command: Match, params: dict[str, str]) -> Turn:
    """Run a command from within the pick step, as if it were typed with nothing in progress."""
    refusal = command_refusal(ctx, command.spec)
    if refusal is not None:
        return Turn([refusal])
    ctx.args, ctx.keyword, ctx.params, ctx.data, ctx.step = command.args, command.keyword, params, {}, None
    return as_turn(command.spec.func(ctx))


def _activity_by_id(ctx: Context) -> Activity | None:
    activity_id = record_id(ctx.params.get("id"))
    return ctx.session.get(Activity, activity_id) if activity_id is not None else None


def _answer_value(value: str) -> Answer | None:
    try:
        return Answer(value)
    except ValueError:
        return None


def _name(person: Person) -> str:
    return person.full_name or person.display_name or "-"


def _echo(text: str) -> str:
    return text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT] + "…"
