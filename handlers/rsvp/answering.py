"""`ไป` / `going`, `ไม่ไป` / `not going`, `ไม่แน่ใจ` / `maybe` and the card's buttons, for oneself or, by a leader,
for a member (`ตอบแทน` / `proxy`)."""

from __future__ import annotations

import re

from linebot.v3.messaging import Message, PostbackAction, QuickReply, QuickReplyItem, TextMessage
from sqlalchemy import select

from bot import outbox
from handlers.thaitime import format_when_in
from handlers import notices
from handlers.catalog import text_for
from handlers.context import Context, Turn, button_label, record_id, text_message
from handlers.registry import Role, command, postback, strip_polite
from handlers.services import activities as act
from handlers.services import registry as reg
from models import Activity, Answer, Person, Rsvp
from handlers.rsvp.naming import (
    _activity_by_id, _answer_value, _answerable, _name, _outside, _sender_refusal, _usage, managed_person,
)


# How many come along, after the code. `+2`, `+2 คน`, `พา 2 คน`, `พาหลาน 2 คน`, `2 guests`: two guests. `2 คน`, `2 people`: two
# people in all, the sender and one guest, as Thai reads "ไป 2 คน". A bare number is not read: it may be a code's.
_UNIT = r"(?:คน|ท่าน|guests?|people|persons?)"
# Whom one brings, named between พา and the count: "พาหลาน 2 คน", "พาลูกไปด้วย 2 คน" are two guests.
_KIN = r"(?:ลูกหลาน|หลาน|ลูก|เด็ก|เพื่อน|แฟน|ภรรยา|ภริยา|สามี|พ่อ|แม่|ญาติ|น้อง|พี่|ครอบครัว|ผู้ติดตาม)"
GUESTS = re.compile(rf"(?:\+|(?<!\S)พา(?:\s*{_KIN})?(?:\s*(?:ไป|มา))?(?:\s*ด้วย)?)\s*(?P<guests>\d+)(?:\s*{_UNIT})?"
                    rf"|(?<!\S)(?P<count>\d+)\s*(?P<unit>{_UNIT})", re.IGNORECASE)
# Words after the count are a note to whoever reads them, not part of the code ("+3 ครับ พาหลานไปด้วย"); a note with
# a number or a + in it may be a second count or a code, and is read as before (refused as unclear).
NOTE = re.compile(r"[^\d+]*")
ANSWER_WORDS = {"ไป": Answer.GOING, "going": Answer.GOING, "ไม่ไป": Answer.NOT_GOING,
                "not going": Answer.NOT_GOING, "ไม่แน่ใจ": Answer.MAYBE, "maybe": Answer.MAYBE}
# `<member name> <answer>` (a guest count after it is taken off first): the answer is the last word(s), so a
# name may have any number of words.
PROXY_TAIL = re.compile(r"(?P<name>.+?)\s+(?P<answer>not going|going|maybe|ไม่ไป|ไป|ไม่แน่ใจ)", re.IGNORECASE)


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
    if len(counts) == 1 and args[:counts[0].start()].strip() and NOTE.fullmatch(args[counts[0].end():]):
        code = args[:counts[0].start()].strip()  # "ไป K7M2 +3 ครับ พาหลานไปด้วย": the words after the count
    if not code:
        # "ไป" alone: how to write it, and a button per activity they may answer, which answers it.
        upcoming = act.upcoming_for(ctx.session, ctx.person, ctx.now) if ctx.person is not None else []
        quick = [(f"{a.code} {a.title}", ctx.command_text(f"{ctx.keyword} {a.code}")) for a in upcoming[:12]]
        usage = _answer_usage(ctx, choice)
        return [text_message(usage.text, quick=quick)]
    # "+-1", "+abc", "+ สอง": a guest count that is not one, not part of a code; "0 คน": nobody at all.
    if "+" in code or guests is None:
        return [ctx.text("rsvp.guests_invalid", max=act.MAX_GUESTS, command=ctx.command_text(ctx.keyword))]
    guests = guests if choice == Answer.GOING else 0
    refusal = _sender_refusal(ctx, code)
    if refusal is not None:
        return [refusal]
    head, _, rest = code.partition(" ")
    if rest and act.find_activity(ctx.session, ctx.memberships, code) is None and \
            act.find_activity(ctx.session, ctx.memberships, head):
        # "ไป K7M2 -1", "ไป K7M2 🙏": the code is right, what follows it is not a count: say how to write one.
        if choice == Answer.GOING:
            return [ctx.text("rsvp.guests_invalid", max=act.MAX_GUESTS, command=ctx.command_text(ctx.keyword))]
        return [_answer_usage(ctx, choice)]
    activity = _answerable(ctx, code)
    if not isinstance(activity, Activity):
        return [activity]
    return _record(ctx, activity, ctx.person, choice, guests)


def _answer_usage(ctx: Context, choice: Answer) -> TextMessage:
    """How to write this answer (as this chat needs it: "บอท ไป" in a group), and guests only for going, the
    one answer that brings any."""
    return _usage(ctx, "rsvp.usage_going" if choice == Answer.GOING else "rsvp.usage")


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
        return [_usage(ctx, "proxy.usage")]
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
