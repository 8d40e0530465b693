"""Answers to a notice or an alert: รับทราบ, safe or need help (for oneself or for someone), the location."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from linebot.v3.messaging import LocationMessage, Message, MessageAction, QuickReply, QuickReplyItem, TextMessage
from linebot.v3.webhooks import LocationMessageContent
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot import outbox
from handlers.thaitime import format_when_in
from handlers.catalog import CATALOGUES, text_for
from handlers.context import Context, Turn, button_label, record_id
from handlers.registry import ChatKind, Role, command, postback, step
from handlers.rotation import actor_name
from handlers.services import notices as svc
from handlers.services import registry as reg
from models import AckKind, Community, Conversation, Notice, NoticeAck, Person
from handlers.notices.flow import HELP_FLOW, HelpStep, LOCATION_LIMIT, SKIP_WORDS, _say, _short


def _notice_from(ctx: Context) -> Notice | None:
    """The sent notice a card's button names (a notice not yet sent has no card to answer)."""
    ident = record_id(ctx.params.get("n"))
    notice = ctx.session.get(Notice, ident) if ident is not None else None
    return notice if notice is not None and notice.status in svc.SHOWN else None


def _may_answer(ctx: Context, notice: Notice) -> bool:
    group_id = ctx.chat_id if ctx.chat_kind != ChatKind.USER else None
    return svc.may_answer(ctx.session, notice, ctx.memberships, group_id)


def _name(person: Person) -> str:
    return person.full_name or person.display_name or "-"


def proxy_label(lang: str, person: Person | None) -> str:
    """Who answered for a member, as shown after "บันทึกแทนโดย": "คุณ<name>" (registered, else their LINE
    name), else their role (staff granted from the CLI never registered a name): never "คุณ-"."""
    if person is None:
        return "-"
    name = person.full_name or person.display_name
    if name:
        return text_for(lang, "proxy.named", name=name)
    return actor_name(lang, person)  # their role word, as the host history shows it


@postback("ack")
def acknowledge(ctx: Context) -> Turn:
    """The รับทราบ button on a notice."""
    notice = _notice_from(ctx)
    if notice is None or notice.urgent:
        return Turn([ctx.text("postback.unknown")])
    if ctx.user_id is None:
        return Turn([ctx.text("register.no_user_id")])
    if not reg.is_registered(ctx.person):
        return Turn([ctx.text("notice.ack_unregistered")])
    if not _may_answer(ctx, notice):  # a forwarded card or a hand-made postback
        return Turn([ctx.text("notice.ack_not_recipient")])
    svc.record_answer(ctx.session, notice, ctx.person, AckKind.ACKNOWLEDGED, ctx.now)
    return Turn([ctx.text("notice.acknowledged", name=_name(ctx.person))])


@postback("alert")
def alert_answer(ctx: Context) -> Turn:
    """The ปลอดภัย / ต้องการความช่วยเหลือ buttons on an urgent alert."""
    notice = _notice_from(ctx)
    answer = ctx.params.get("v", "")
    if notice is None or not notice.urgent or answer not in (AckKind.SAFE, AckKind.NEED_HELP):
        return Turn([ctx.text("postback.unknown")])
    if ctx.user_id is None:
        return Turn([ctx.text("register.no_user_id")])
    if not reg.is_registered(ctx.person):
        return Turn([ctx.text("alert.unregistered")])
    if not _may_answer(ctx, notice):
        # Never forward someone's name and phone to staff (perhaps of another district) the alert was
        # not theirs to answer; point them to the emergency numbers instead.
        return Turn([ctx.text("alert.not_recipient")])
    return _record_alert_answer(ctx, notice, answer)


# Typed instead of tapped ("ปลอดภัยค่ะ", "ช่วยด้วย"): the newest alert that reached the sender, if it went out
# within this many days; an older one is over, and the answer would tell staff of an emergency long past.
TYPED_ALERT_DAYS = 3
SAFE_WORDS = ("ปลอดภัย", "ปลอดภัยดี", "safe")


@command("ปลอดภัย", "ปลอดภัยดี", "ต้องการความช่วยเหลือ", "ขอความช่วยเหลือ", "ช่วยด้วย", "safe", "need help",
         chats={ChatKind.USER})
def typed_alert_answer(ctx: Context) -> Turn:
    """ตอบแจ้งเตือนด่วนล่าสุดว่าปลอดภัยหรือต้องการความช่วยเหลือ (แทนการกดปุ่ม) / Answer the latest urgent alert: safe or need help"""
    answer = AckKind.SAFE if ctx.keyword.casefold() in SAFE_WORDS else AckKind.NEED_HELP
    if ctx.user_id is None:
        return Turn([ctx.text("register.no_user_id")])
    if not reg.is_registered(ctx.person):
        return Turn([ctx.text("alert.unregistered")])
    notice = svc.latest_alert_for(ctx.session, ctx.person)
    if notice is None or notice.send_at < ctx.now - timedelta(days=TYPED_ALERT_DAYS):
        return Turn([ctx.text("alert.typed_no_alert")])
    return _record_alert_answer(ctx, notice, answer)


def _record_alert_answer(ctx: Context, notice: Notice, answer: str) -> Turn:
    """Record the sender's own answer to an alert they may answer, and tell whom it concerns."""
    before = svc.answer_of(ctx.session, notice, ctx.person)
    ack = svc.record_answer(ctx.session, notice, ctx.person, AckKind(answer), ctx.now)
    if answer == AckKind.SAFE:
        if before is not None and before[0] == AckKind.NEED_HELP:
            _end_help_conversations(ctx, notice)
            _tell_now_safe(ctx, notice, ctx.person, ack, before[1])
        return Turn([ctx.text("alert.safe_recorded", name=_name(ctx.person))])
    community = ctx.session.get(Community, ack.community_id) if ack.community_id else None
    told = _tell_helpers(ctx, notice, community, lambda lang: [TextMessage(text=text_for(
        lang, "alert.help_forward", name=_name(ctx.person), community=_community_name(lang, community),
        phone=ctx.person.phone or text_for(lang, "alert.no_phone"), text=_short(notice.text)))])
    key = "alert.help_recorded" if told else "alert.help_recorded_nobody"
    # The location may be sent where the button was tapped (a group too): the answer is awaited there.
    return Turn([_say(ctx, ctx.t(key), [(ctx.t("notice.skip"),) * 2], location=True, cancel=False)],
                flow=HELP_FLOW, step=HelpStep.LOCATION, data={"notice_id": notice.id, "ack_id": ack.id})


# `ตอบแทน <member name> ปลอดภัย` (typed by a leader who phoned a member without LINE): Thai answers may
# follow the name without a space, as Thai is written.
PROXY_ALERT = re.compile(r"(?P<name>.+?)(?:\s*(?P<th>ปลอดภัย|ต้องการความช่วยเหลือ|ขอความช่วยเหลือ)"
                         r"|\s+(?P<en>safe|needs? help))", re.IGNORECASE)


def proxy_alert_kind(found: re.Match[str]) -> AckKind:
    """The answer a PROXY_ALERT match carries."""
    word = (found["th"] or found["en"]).casefold()
    return AckKind.SAFE if word in ("ปลอดภัย", "safe") else AckKind.NEED_HELP


def answer_alert_for(ctx: Context, person: Person, kind: AckKind) -> list[Message]:
    """A leader answers the newest alert for a member they manage (found by `ตอบแทน`'s own lookup, which
    checks the sender may manage that member's community) after phoning them: most often a member
    without LINE; also one with LINE who has not answered it themselves (they linked LINE after it went
    out, or cannot use its buttons). Their own answer is never replaced: a leader's word would hide it."""
    notice = svc.latest_alert_for(ctx.session, person)
    if notice is None:
        return [ctx.text("alert.proxy_no_alert", name=_name(person))]
    if person.line_user_id is not None and svc.answered_themselves(ctx.session, notice, person):
        return [ctx.text("alert.proxy_has_line", name=_name(person))]
    before = svc.answer_of(ctx.session, notice, person)
    ack = svc.record_answer(ctx.session, notice, person, kind, ctx.now, proxy_by=ctx.person)
    values = {"name": _name(person), "text": _short(notice.text), "when": format_when_in(ctx.lang, notice.send_at),
              "leader": proxy_label(ctx.lang, ctx.person)}
    if kind == AckKind.SAFE:
        if before is not None and before[0] == AckKind.NEED_HELP:
            _tell_now_safe(ctx, notice, person, ack, before[1], proxy_by=ctx.person)
        return [ctx.text("alert.proxy_safe", **values)]
    community = ctx.session.get(Community, ack.community_id) if ack.community_id else None
    # The member's own phone first, then who answered for them and how to reach that person: never read as
    # the leader having no LINE, nor leave it unclear whose number is whose.
    told = _tell_helpers(ctx, notice, community, lambda lang: [TextMessage(text=text_for(
        lang, "alert.help_forward_proxy", name=_name(person), community=_community_name(lang, community),
        phone=person.phone or text_for(lang, "alert.proxy_no_phone"), text=_short(notice.text),
        leader=proxy_label(lang, ctx.person), role=text_for(lang, f"role_one.{_role_word(ctx)}"),
        leader_phone=text_for(lang, "alert.proxy_leader_phone", phone=ctx.person.phone) if ctx.person.phone
        else ""))])
    if not told:
        return [ctx.text("alert.proxy_help_nobody", **values)]
    # Only the numbers that were really sent.
    sent = {(True, True): "both", (True, False): "member", (False, True): "leader",
            (False, False): "none"}[(bool(person.phone), bool(ctx.person.phone))]
    return [ctx.text("alert.proxy_help", sent=ctx.t(f"alert.proxy_sent.{sent}", name=_name(person)), **values)]


def _role_word(ctx: Context) -> int:
    """The sender's role as a `role_one.N` key: those who may answer for a member are leaders and up."""
    return min(max(int(ctx.role), int(Role.COMMUNITY_LEADER)), int(Role.STAFF))


OFFLINE_NOTE_NAMES = 10   # members without LINE named in a leader's note; buttons for the first few
OFFLINE_NOTE_BUTTONS = 6  # two quick replies each (LINE allows 13)


def tell_offline_leaders(session: Session, notice: Notice, now: datetime) -> int:
    """Once an alert has gone out: tell each leader which of their members have no LINE and so got
    nothing, and how to answer for them after a phone call (buttons for the first few); a community with no
    leader on LINE is told to its zone's chair instead. Returns leaders (and chairs) told."""
    told = 0
    for note in svc.offline_by_leader(session, notice):
        leader, people = note.leader, note.people
        lang = leader.language if leader.language in CATALOGUES else "th"
        shown = people[:OFFLINE_NOTE_NAMES]
        if note.for_communities:  # a zone chair, standing in for communities with no leader on LINE
            lines = [text_for(lang, "alert.offline_note_chair", text=_short(notice.text), count=len(people),
                              communities=", ".join(note.for_communities))]
        else:
            lines = [text_for(lang, "alert.offline_note", text=_short(notice.text), count=len(people))]
        lines += [text_for(lang, "alert.offline_note_line", name=_name(p),
                           phone=p.phone or text_for(lang, "alert.no_phone")) for p in shown]
        if len(people) > len(shown):
            lines.append(text_for(lang, "alert.status_offline_more", count=len(people) - len(shown)))
        example = _name(shown[0])
        lines.append(text_for(lang, "alert.offline_note_how", safe=text_for(lang, "alert.proxy_safe_command",
                                                                             name=example),
                              help=text_for(lang, "alert.proxy_help_command", name=example)))
        items = []
        for p in shown[:OFFLINE_NOTE_BUTTONS]:
            for mark, key in (("✅", "alert.proxy_safe_command"), ("🆘", "alert.proxy_help_command")):
                items.append(QuickReplyItem(action=MessageAction(label=button_label(f"{mark} {_name(p)}"),
                                                                 text=text_for(lang, key, name=_name(p)))))
        message = TextMessage(text="\n".join(lines), quickReply=QuickReply(items=items))
        outbox.enqueue(session, [leader.line_user_id], [message], now=now,
                       dedupe_key=f"alert_offline:{notice.id}:{leader.id}", topic=f"alert_offline:{notice.id}")
        told += 1
    return told


def _community_name(lang: str, community: Community | None) -> str:
    return community.name if community is not None else text_for(lang, "notice.no_community")


def _tell_helpers(ctx: Context, notice: Notice, community: Community | None,
                  build: Callable[[str], list[Message]], *, dedupe_key: str | None = None) -> int:
    """Push to staff and the zone chair at once (urgent: quiet hours do not apply); returns how many.

    With `dedupe_key`, queueing the same news twice (a double tap on two workers) pushes it once."""
    helpers = [p for p in svc.helpers_for(ctx.session, notice, community.id if community else None)
               if ctx.person is None or p.id != ctx.person.id]
    by_lang: dict[str, list[str]] = defaultdict(list)
    for person in helpers:
        by_lang[person.language if person.language in CATALOGUES else "th"].append(person.line_user_id)
    for lang, user_ids in by_lang.items():
        outbox.enqueue(ctx.session, user_ids, build(lang), now=ctx.now, topic=f"alert_help:{notice.id}",
                       dedupe_key=f"{dedupe_key}:{lang}" if dedupe_key else None)
    return len(helpers)


def _tell_now_safe(ctx: Context, notice: Notice, person: Person, ack: NoticeAck, help_at: datetime, *,
                   proxy_by: Person | None = None) -> None:
    """Someone who asked for help is now safe: those who were pushed the 🆘 are told, so nobody goes out for
    nothing. The key names the need-help answer it follows, so a double tap pushes once."""
    community = ctx.session.get(Community, ack.community_id) if ack.community_id else None

    def build(lang: str) -> list[Message]:
        values = {"name": _name(person), "community": _community_name(lang, community), "text": _short(notice.text)}
        if proxy_by is None:
            return [TextMessage(text=text_for(lang, "alert.safe_forward", **values))]
        return [TextMessage(text=text_for(lang, "alert.safe_forward_proxy",
                                           leader=proxy_label(lang, proxy_by), **values))]

    _tell_helpers(ctx, notice, community, build,
                  dedupe_key=f"alert_safe:{notice.id}:{person.id}:{help_at.timestamp():.0f}")


def _end_help_conversations(ctx: Context, notice: Notice) -> None:
    """The sender answered "safe" after "need help": the location step of that alert is over, in whichever
    chat it was waiting (the need-help button may have been tapped in a group)."""
    if ctx.user_id is None:
        return
    open_ = ctx.session.execute(select(Conversation.id, Conversation.data).where(
        Conversation.user_id == ctx.user_id, Conversation.flow == HELP_FLOW)).all()
    ended = [ident for ident, data in open_ if (data or {}).get("notice_id") == notice.id]
    if ended:
        ctx.session.execute(delete(Conversation).where(Conversation.id.in_(ended))
                            .execution_options(synchronize_session=False))


@step(HELP_FLOW, HelpStep.LOCATION)
def alert_location(ctx: Context) -> Turn:
    notice = ctx.session.get(Notice, ctx.data["notice_id"])
    ack = ctx.session.get(NoticeAck, ctx.data["ack_id"])
    if notice is None or ack is None:
        return Turn([ctx.text("flow.expired")])
    message = ctx.message
    if isinstance(message, LocationMessageContent):
        svc.record_location(ctx.session, ack, message.latitude, message.longitude, message.address, ctx.now)
        community = ctx.session.get(Community, ack.community_id) if ack.community_id else None
        name = _name(ctx.person) if ctx.person else "-"

        def build(lang: str) -> list[Message]:
            title = text_for(lang, "alert.location_title", name=name)
            return [TextMessage(text=text_for(lang, "alert.location_forward", name=name,
                                              community=_community_name(lang, community),
                                              phone=ctx.person.phone if ctx.person and ctx.person.phone
                                              else text_for(lang, "alert.no_phone"))),
                    LocationMessage(title=_short(title, LOCATION_LIMIT - 1),
                                    address=_short(message.address or f"{message.latitude:.5f}, "
                                                   f"{message.longitude:.5f}", LOCATION_LIMIT - 1),
                                    latitude=message.latitude, longitude=message.longitude)]

        _tell_helpers(ctx, notice, community, build)
        return Turn([ctx.text("alert.location_sent")])
    if message is None and ctx.means(SKIP_WORDS):
        return Turn([ctx.text("alert.location_skipped")])
    return Turn([_say(ctx, ctx.t("alert.location_again"), [(ctx.t("notice.skip"),) * 2], location=True,
                      cancel=False)], step=HelpStep.LOCATION)
