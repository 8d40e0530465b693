"""Answers to activities (RSVP), answers by proxy, who is coming (`ผู้เข้าร่วม`), and check-in.

The buttons on an activity's card send `a=rsvp&id=<activity id>&v=going|not_going|maybe` (optional
`g=<guests>`) and `a=checkin&id=<activity id>`; the text commands (`ไป K7M2 +2`, `เช็คอิน K7M2`) do the same
for people who type. An answer counts for the person's own community whichever group it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from urllib.parse import urlencode

from linebot.v3.messaging import Message, MessageAction, PostbackAction, QuickReply, QuickReplyItem, TextMessage
from sqlalchemy import select

from bot import outbox
from bot.config import TIMEZONE
from handlers.thaitime import format_when_in
from handlers import notices
from handlers.catalog import text_for
from handlers.context import Context, Turn, as_turn, button_label, command_refusal, record_id, text_message
from handlers.dispatcher import FLOW_ACTION
from handlers.registry import ChatKind, Match, Role, command, postback, step, strip_polite
from handlers.services import activities as act
from handlers.services import registry as reg
from models import Activity, Answer, Community, Person, Rsvp

# How many come along, after the code. `+2`, `+2 คน`, `พา 2 คน`, `2 guests`: two guests. `2 คน`, `2 people`: two
# people in all, the sender and one guest, as Thai reads "ไป 2 คน". A bare number is not read: it may be a code's.
_UNIT = r"(?:คน|ท่าน|guests?|people|persons?)"
GUESTS = re.compile(rf"(?:\+|(?<!\S)พา)\s*(?P<guests>\d+)(?:\s*{_UNIT})?"
                    rf"|(?<!\S)(?P<count>\d+)\s*(?P<unit>{_UNIT})", re.IGNORECASE)
ANSWER_WORDS = {"ไป": Answer.GOING, "going": Answer.GOING, "ไม่ไป": Answer.NOT_GOING,
                "not going": Answer.NOT_GOING, "ไม่แน่ใจ": Answer.MAYBE, "maybe": Answer.MAYBE}
# `<member name> <answer>` (a guest count after it is taken off first): the answer is the last word(s), so a
# name may have any number of words.
PROXY_TAIL = re.compile(r"(?P<name>.+?)\s+(?P<answer>not going|going|maybe|ไม่ไป|ไป|ไม่แน่ใจ)", re.IGNORECASE)
# `สมศรี ใจดี (ชุมชนวัดบางนา)`: the form the ambiguous-name list offers, to tell namesakes apart.
NAME_WITH_COMMUNITY = re.compile(r"(?P<name>.+?)\s*\((?P<community>[^()]+)\)")
ECHO_LIMIT = 20
QUICK_LIMIT = 13


# --- answering ----------------------------------------------------------------------------------

@postback("rsvp")
def rsvp(ctx: Context) -> list[Message]:
    """The ไป / ไม่ไป / ไม่แน่ใจ buttons of an activity card."""
    activity = _activity_by_id(ctx)
    choice = _answer_value(ctx.params.get("v", ""))
    guests = record_id(ctx.params.get("g", "0"))
    if activity is None or choice is None or guests is None:
        return [ctx.text("postback.unknown")]
    refusal = _sender_refusal(ctx, activity.code) or _outside(ctx, activity)
    if refusal is not None:
        return [refusal]
    guests_wait = ctx.params.get("w") == "1"
    if "p" not in ctx.params:
        return _record(ctx, activity, ctx.person, choice, guests, guests_wait=guests_wait)
    # A proxy answer's choice (`_party_short`): checked again, the role may have gone since it was asked.
    member = ctx.session.get(Person, record_id(ctx.params["p"]) or 0)
    if ctx.role < Role.COMMUNITY_LEADER or member is None or \
            reg.member_community(ctx.session, member) is None or \
            reg.member_community(ctx.session, member).id not in act.managed_community_ids(ctx.session, ctx.memberships):
        return [ctx.text("postback.unknown")]
    by = ctx.person if member.id != ctx.person.id else None
    replies = _record(ctx, activity, member, choice, guests, proxy_by=by, guests_wait=guests_wait)
    if by is not None and member.reachable:
        _tell_member_of_proxy(ctx, activity, member, by)
    return replies


@command("ไป", "going", "go")
def going(ctx: Context) -> list[Message]:
    """ตอบว่าไปกิจกรรม เช่น “ไป K7M2” หรือพาผู้ติดตาม “ไป K7M2 +2” / Answer going, e.g. “going K7M2 +2”"""
    return _answer_text(ctx, Answer.GOING)


@command("ไม่ไป", "not going")
def not_going(ctx: Context) -> list[Message]:
    """ตอบว่าไม่ไปกิจกรรม เช่น “ไม่ไป K7M2” / Answer not going, e.g. “not going K7M2”"""
    return _answer_text(ctx, Answer.NOT_GOING)


@command("ไม่แน่ใจ", "maybe")
def maybe(ctx: Context) -> list[Message]:
    """ตอบว่ายังไม่แน่ใจ เช่น “ไม่แน่ใจ K7M2” / Answer maybe, e.g. “maybe K7M2”"""
    return _answer_text(ctx, Answer.MAYBE)


def _answer_text(ctx: Context, choice: Answer) -> list[Message]:
    args = strip_polite(ctx.args).translate(reg.THAI_DIGITS)  # "ไป K7M2 2 คนครับ"
    counts = list(GUESTS.finditer(args))
    guests = _guests(counts[0]) if len(counts) == 1 else None if counts else 0
    code = GUESTS.sub(" ", args).strip()
    if not code:
        return [ctx.text("rsvp.usage", keyword=ctx.keyword)]
    # "+-1", "+abc", "+ สอง": a guest count that is not one, not part of a code; "0 คน": nobody at all.
    if "+" in code or guests is None:
        return [ctx.text("rsvp.guests_invalid", max=act.MAX_GUESTS, keyword=ctx.keyword)]
    guests = guests if choice == Answer.GOING else 0
    refusal = _sender_refusal(ctx, code)
    if refusal is not None:
        return [refusal]
    head, _, rest = code.partition(" ")
    if rest and act.find_activity(ctx.session, code) is None and act.find_activity(ctx.session, head):
        # "ไป K7M2 -1", "ไป K7M2 🙏": the code is right, what follows it is not a count: say how to write one.
        if choice == Answer.GOING:
            return [ctx.text("rsvp.guests_invalid", max=act.MAX_GUESTS, keyword=ctx.keyword)]
        return [ctx.text("rsvp.usage", keyword=ctx.keyword)]
    activity = _answerable(ctx, code)
    if not isinstance(activity, Activity):
        return [activity]
    return _record(ctx, activity, ctx.person, choice, guests)


@command("ตอบแทน", "proxy", min_role=Role.COMMUNITY_LEADER)
def proxy(ctx: Context) -> list[Message] | Turn:
    """ตอบกิจกรรมหรือแจ้งเตือนด่วนแทนสมาชิกที่ไม่มีสมาร์ตโฟน / Answer an activity or an alert for a member without a smartphone"""
    alert = notices.PROXY_ALERT.fullmatch(strip_polite(ctx.args))  # `ตอบแทน ยายสมศรี ปลอดภัย`: no code
    if alert is not None:
        found = managed_person(ctx, alert["name"], lambda label: f"{ctx.keyword} {label} {alert['th'] or alert['en']}")
        if isinstance(found, Turn):
            return found
        return notices.answer_alert_for(ctx, found, notices.proxy_alert_kind(alert)) if isinstance(found, Person) \
            else [found]
    code, _, rest = strip_polite(ctx.args).translate(reg.THAI_DIGITS).partition(" ")
    rest = rest.strip()
    count = next((found for found in GUESTS.finditer(rest) if found.end() == len(rest)), None)
    tail = PROXY_TAIL.fullmatch(rest[:count.start()].strip() if count else rest)
    guests = _guests(count) if count else 0
    if not code or tail is None or guests is None:
        return [ctx.text("proxy.usage")]
    activity = _answerable(ctx, code)
    if not isinstance(activity, Activity):
        return [activity]
    choice = ANSWER_WORDS[tail["answer"].casefold()]
    guests = guests if choice == Answer.GOING else 0
    found = managed_person(ctx, tail["name"], lambda label: f"{ctx.keyword} {activity.code} {label} "
                                                             f"{tail['answer']}" + (f" {count[0]}" if count else ""))
    if isinstance(found, Turn):
        return found
    if not isinstance(found, Person):
        return [found]
    by = ctx.person if ctx.person is not None and found.id != ctx.person.id else None
    replies = _record(ctx, activity, found, choice, guests, proxy_by=by)
    if by is not None and found.reachable:
        _tell_member_of_proxy(ctx, activity, found, by)
    return replies


def _tell_member_of_proxy(ctx: Context, activity: Activity, member: Person, leader: Person) -> None:
    """A member on LINE hears that a leader answered for them (their own answer may have been replaced),
    and how to answer again; nothing is said when the answer was refused (closed, full)."""
    rsvp = ctx.session.scalars(select(Rsvp).where(Rsvp.activity_id == activity.id, Rsvp.person_id == member.id)).first()
    if rsvp is None or rsvp.proxy_by_id != leader.id or rsvp.answered_at != ctx.now:
        return
    lang = member.language or "th"
    text = text_for(lang, "rsvp.proxy_told_member", leader=notices.proxy_label(lang, leader), title=activity.title,
                    code=activity.code,
                    when=format_when_in(lang, activity.starts_at), answer=text_for(lang, f"card.answer.{rsvp.answer}"))
    outbox.enqueue(ctx.session, [member.line_user_id], [text_message(text)], now=ctx.now,
                   dedupe_key=f"rsvp-proxy:{rsvp.id}:{ctx.now.timestamp():.6f}")


def _guests(found: re.Match[str]) -> int | None:
    """Guests in a count GUESTS found; None for a number of people in all below one (`0 คน`)."""
    if found["guests"] is not None:
        return int(found["guests"])
    count = int(found["count"])
    if found["unit"].casefold().startswith("guest"):
        return count
    return count - 1 if count >= 1 else None


def _record(ctx: Context, activity: Activity, person: Person, choice: Answer, guests: int,
            proxy_by: Person | None = None, guests_wait: bool = False) -> list[Message]:
    """Record the answer (word to anyone it moved off the waitlist is queued by the service) and say what
    happened."""
    community = reg.member_community(ctx.session, person)
    result = act.answer(ctx.session, activity, person, choice, ctx.now, guests=guests,
                        community_id=community.id if community else None, proxy_by=proxy_by,
                        guests_wait=guests_wait, cause=getattr(ctx.event, "webhook_event_id", None))
    values = {"name": _name(person), "title": activity.title, "when": format_when_in(ctx.lang, activity.starts_at),
              "code": activity.code}
    if result.outcome == "closed":
        reason = act.closed_reason(activity, ctx.now) or "past"
        deadline = activity.rsvp_deadline
        return [ctx.text(f"rsvp.closed_{reason}", **values,
                         deadline=format_when_in(ctx.lang, deadline) if deadline else "")]
    if result.outcome == "too_many_guests":
        return [ctx.text("rsvp.too_many_guests", max=act.MAX_GUESTS)]
    if result.outcome == "community_full":
        left = act.community_seats_left(ctx.session, activity, community.id, exclude_person=person.id)
        key = "rsvp.community_full" if left == 0 else "rsvp.community_short"
        return [ctx.text(key, **values, limit=activity.seats_per_community, community=community.name, left=left)]
    if result.outcome == "party_short":
        return [_party_short(ctx, activity, person, result, guests, values, proxy_by)]
    lines = []
    if result.outcome in ("going", "guests_waitlisted"):
        seated = result.rsvp.guests
        lines.append(ctx.t("rsvp.going_guests" if seated else "rsvp.going", **values, guests=seated))
        if result.outcome == "guests_waitlisted":
            lines.append(ctx.t("rsvp.guests_waitlisted", waiting=result.rsvp.waiting_guests, position=result.position))
        left = act.seats_left(ctx.session, activity)
        if left is not None:
            lines.append(ctx.t("rsvp.seats_left", left=left) if left else ctx.t("rsvp.seats_none"))
    elif result.outcome == "waitlisted":
        lines.append(ctx.t("rsvp.waitlisted", **values, position=result.position))
    elif result.outcome == "maybe" and proxy_by is not None:
        # "Answer again whenever you decide" would speak to the member, who never reads it: tell the leader.
        lines.append(ctx.t("rsvp.maybe_proxy", **values))
    else:
        lines.append(ctx.t(f"rsvp.{result.outcome}", **values))
    if proxy_by is not None:
        lines.append(ctx.t("rsvp.by_proxy", leader=notices.proxy_label(ctx.lang, proxy_by)))
    return [text_message("\n".join(lines))]


def _party_short(ctx: Context, activity: Activity, person: Person, result: act.AnswerResult, guests: int,
                 values: dict[str, str], proxy_by: Person | None) -> Message:
    """The guests asked for do not all fit (nothing changed): how many do, and two buttons, the guests who
    do not fit wait for seats (the person takes or keeps theirs), or the person comes alone."""
    seated = result.rsvp is not None and result.rsvp.answer == Answer.GOING and result.rsvp.waitlisted_at is None
    text = ctx.t("rsvp.party_short_seated" if seated else "rsvp.party_short", **values, left=result.left,
                 fit=result.fit, guests=guests)
    base = f"a=rsvp&id={activity.id}&v=going" + (f"&p={person.id}" if proxy_by is not None else "")
    buttons = [(ctx.t("rsvp.guests_wait_label", fit=result.fit), f"{base}&g={guests}&w=1"),
               (ctx.t("rsvp.alone_label"), f"{base}&g=0")]
    return TextMessage(text=text, quickReply=QuickReply(items=[
        QuickReplyItem(action=PostbackAction(label=button_label(label), data=data, displayText=label))
        for label, data in buttons]))


# --- who is coming ------------------------------------------------------------------------------

@command("ผู้เข้าร่วม", "attendees")
def attendees(ctx: Context) -> list[Message]:
    """ดูจำนวนผู้ตอบรับแยกตามชุมชน เช่น “ผู้เข้าร่วม K7M2” / See answers by community, e.g. “attendees K7M2”"""
    code = ctx.args.translate(reg.THAI_DIGITS).strip()
    if not code:
        return [ctx.text("attendees.usage")]
    activity = act.find_activity(ctx.session, code)
    if activity is None:
        return [ctx.text("rsvp.unknown_code", code=_echo(code))]
    leader = act.sees_names(ctx.session, ctx.memberships, activity)
    # Names are personal: shown to leaders, and only in a 1:1 chat where nobody else reads them.
    names = leader and ctx.chat_kind == ChatKind.USER
    lines = [ctx.t("attendees.header", title=activity.title, code=activity.code,
                   when=format_when_in(ctx.lang, activity.starts_at))]
    if activity.capacity is not None:
        lines.append(ctx.t("attendees.capacity", capacity=activity.capacity,
                           left=act.seats_left(ctx.session, activity)))
    if activity.seats_per_community:
        lines.append(ctx.t("attendees.quota", limit=activity.seats_per_community))
    rows = act.counts_by_community(ctx.session, activity)
    if not rows:
        lines.append(ctx.t("attendees.none"))
        return [text_message("\n".join(lines))]
    by_community: dict[int | None, dict[str, int]] = {}
    for community_id, answer, waitlisted, people in rows:
        slot = "waitlisted" if waitlisted else str(answer)
        counts = by_community.setdefault(community_id, dict.fromkeys(("going", "maybe", "not_going", "waitlisted"), 0))
        counts[slot] += people
    totals = {slot: sum(c[slot] for c in by_community.values()) for slot in ("going", "maybe", "not_going", "waitlisted")}
    lines.append(ctx.t("attendees.totals", **totals))
    communities = {c.id: c for c in ctx.session.scalars(select(Community).where(
        Community.id.in_([i for i in by_community if i is not None])))}
    order = sorted(by_community, key=lambda i: (i is None, communities[i].name if i is not None else ""))
    listed = _names_by_community(ctx, activity) if names else {}
    for community_id in order:
        label = communities[community_id].name if community_id is not None else ctx.t("attendees.no_community")
        lines.append(ctx.t("attendees.community", community=label, **by_community[community_id]))
        for slot, people in listed.get(community_id, {}).items():
            lines.append(ctx.t("attendees.names", label=ctx.t(f"attendees.label.{slot}"), names=", ".join(people)))
    if leader:
        seen = act.attendance(ctx.session, activity)
        if seen.came:
            lines.append(_rate_line(ctx, seen))
    if not names:
        lines.append(ctx.t("attendees.names_private" if leader else "attendees.names_hidden"))
    return [text_message("\n".join(lines))]


def _names_by_community(ctx: Context, activity: Activity) -> dict[int | None, dict[str, list[str]]]:
    """Names per community and answer; guests as (+N), checked in as ✓, the waitlist in its order."""
    rows = ctx.session.execute(select(Rsvp, Person).join(Person, Person.id == Rsvp.person_id)
                               .where(Rsvp.activity_id == activity.id)
                               .order_by(Rsvp.waitlisted_at, Rsvp.answered_at, Rsvp.id)).all()
    listed: dict[int | None, dict[str, list[str]]] = {}
    for rsvp, person in rows:
        slot = "waitlisted" if rsvp.waitlisted_at is not None else str(rsvp.answer)
        name = _name(person) + (f" (+{rsvp.guests})" if rsvp.guests else "") + (" ✓" if rsvp.checked_in_at else "")
        slots = listed.setdefault(rsvp.community_id, {key: [] for key in ("going", "maybe", "not_going", "waitlisted")})
        slots[slot].append(name)
        if rsvp.waiting_guests:  # her guests who did not fit wait; she is seated
            slots["waitlisted"].append(ctx.t("attendees.guests_of", name=_name(person), guests=rsvp.waiting_guests))
    return {c: {slot: people for slot, people in slots.items() if people} for c, slots in listed.items()}


# --- check-in -----------------------------------------------------------------------------------

@command("เช็คอิน", "เช็กอิน", "checkin", "check in")
def checkin(ctx: Context) -> list[Message] | Turn:
    """เช็คอินเมื่อถึงงาน เช่น “เช็คอิน K7M2” (ผู้นำเช็คอินให้สมาชิกได้) / Check in at an activity, e.g. “checkin K7M2”"""
    code, _, name = ctx.args.translate(reg.THAI_DIGITS).partition(" ")
    if not code:
        return [ctx.text("checkin.usage")]
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


# --- shared -------------------------------------------------------------------------------------

def _sender_refusal(ctx: Context, code: str) -> Message | None:
    """Answers and check-ins belong to a registered person: say how to become one."""
    if ctx.user_id is None:
        return ctx.text("rsvp.no_user_id", code=_echo(code))
    if not reg.is_registered(ctx.person):
        return ctx.text("rsvp.not_registered")
    return None


def _outside(ctx: Context, activity: Activity) -> Message | None:
    """Answers and check-ins count for the activity's own organisation (its communities' tallies and
    seats); someone registered only elsewhere is told so rather than counted as "another community"."""
    if activity.organization_id in reg.organizations_of(ctx.memberships):
        return None
    return ctx.text("rsvp.other_district", code=activity.code)


def _answerable(ctx: Context, code: str) -> Activity | Message:
    """The activity a typed answer or check-in names, or the reply saying why it cannot be answered."""
    activity = act.find_activity(ctx.session, code)
    if activity is None:
        return ctx.text("rsvp.unknown_code", code=_echo(code))
    return _outside(ctx, activity) or activity


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
