"""Telling about an activity: announcing it in groups, asking its host, and telling those who answered
and the host's leaders of a change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple

from linebot.v3.messaging import Message
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from handlers import cards, series
from handlers.catalog import CATALOGUES, text_for
from handlers.context import Context, text_message
from handlers.services import activities as svc
from models import Activity, Community, HostState, Person


def _announce(ctx: Context, activity: Activity, reason: Callable[[str], str] | None = None) -> list[Message]:
    """Push the card to every linked group and the host request (saying why that host was proposed) to the
    host's leaders; reply to the creator."""
    session = ctx.session
    groups = announce_in_groups(session, activity, ctx.now, except_chat=ctx.chat_id)
    lines = [ctx.t("event.created", title=activity.title, code=activity.code),
             ctx.t("event.announced", count=len(groups)) if groups else ctx.t("event.no_groups")]
    messages: list[Message] = []
    if activity.network_id and activity.host_community_id and activity.host_state == HostState.PROPOSED:
        host = session.get(Community, activity.host_community_id)
        leaders = svc.community_leaders(session, host.id)
        others = [p for p in leaders if ctx.person is None or p.id != ctx.person.id]
        for lang, people in _by_language(others).items():
            outbox.enqueue(session, [p.line_user_id for p in people],
                           [cards.host_request_message(lang, session, activity, reason(lang) if reason else None)],
                           now=ctx.now,
                           dedupe_key=f"activity:{activity.id}:host:{host.id}:{lang}")
        if leaders:
            lines.append(ctx.t("event.host_asked", community=host.name, count=len(leaders)))
        else:
            lines.append(ctx.t("event.host_no_leader", community=host.name))
        if len(others) < len(leaders):  # the creator leads the host community: ask them right here
            messages.append(cards.host_request_message(ctx, session, activity, reason(ctx.lang) if reason else None))
    if activity.network_id and svc.may_plan_series(ctx.memberships, activity):
        # The network's monthly meeting is created once, then repeated (handlers/series.py).
        lines.append(ctx.t("event.repeat_hint", keyword=ctx.keyword_of(series.repeat), code=activity.code))
    return [text_message("\n".join(lines)), cards.activity_message(ctx, session, activity, now=ctx.now), *messages]


def announce_in_groups(session: Session, activity: Activity, now: datetime, *, except_chat: str | None = None,
                       quiet_hours: bool = False) -> list[str]:
    """Queue the activity's card to every group linked to it (but the chat it was created in, which
    gets it as the reply), once per activity; returns those groups."""
    groups = _groups_of(session, activity, except_chat)
    if groups:
        # Groups have no single language: Saiyai speaks Thai there.
        outbox.enqueue(session, groups, [cards.activity_message("th", session, activity)], now=now,
                       dedupe_key=f"activity:{activity.id}:announce", quiet_hours=quiet_hours)
    return groups


def tell_groups(session: Session, activity: Activity, message: Message, now: datetime, occasion: str, *,
                except_chat: str | None = None) -> list[str]:
    """Queue a change of the activity to the groups it is announced in (but the chat the change was made
    in, which gets the reply), once per occasion, held through quiet hours; returns those groups."""
    groups = _groups_of(session, activity, except_chat)
    if groups:
        outbox.enqueue(session, groups, [message], now=now, quiet_hours=True,
                       dedupe_key=f"activity:{activity.id}:{occasion}:groups")
    return groups


def ask_host_later(session: Session, activity: Activity, now: datetime) -> int:
    """Queue the confirm / decline card to the proposed host's leaders, held through quiet hours, once per
    proposal and time revision (a follow-up: withdrawn if the activity changes before it is sent)."""
    added = 0
    for lang, people in _by_language(svc.community_leaders(session, activity.host_community_id)).items():
        added += len(outbox.enqueue(
            session, [p.line_user_id for p in people], [cards.host_request_message(lang, session, activity)],
            now=now, quiet_hours=True, topic=svc.followup_topic(activity.id),
            dedupe_key=svc.followup_key("host_request", activity, activity.host_community_id, lang)))
    return added


def _groups_of(session: Session, activity: Activity, except_chat: str | None) -> list[str]:
    return [link.chat_id for link in svc.linked_chats(session, activity) if link.chat_id != except_chat]


def _by_language(people: Sequence[Person]) -> dict[str, list[Person]]:
    grouped: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        grouped[person.language if person.language in CATALOGUES else "th"].append(person)
    return dict(grouped)


def _told(ctx: Context, answered: Answered, groups: Sequence[str],
          host: tuple[Community, int] | None = None) -> list[str]:
    """The reply's lines on who hears of a change: those who answered, the host's leaders, the groups, or nobody."""
    lines = _answered_parts(ctx, answered, "event.notified", "event.notified_waitlisted")
    if host is not None and host[1]:
        lines.append(ctx.t("event.host_notified", community=host[0].name, count=host[1]))
    if groups:
        later = outbox.in_quiet_hours(ctx.now)  # tell_groups holds it until the morning
        lines.append(ctx.t("event.groups_notified_later" if later else "event.groups_notified", count=len(groups)))
    return lines or [ctx.t("event.nobody_to_notify")]


def _people(session: Session, person_ids: Sequence[int]) -> list[Person]:
    if not person_ids:
        return []
    return list(session.scalars(select(Person).where(Person.id.in_(list(person_ids)), Person.reachable)))


class Answered(NamedTuple):
    """Those told of a change because they answered going or maybe, and how many of them are on the waitlist
    (going, without a seat yet: told too, but not counted as going)."""
    people: list[Person]
    waitlisted: int


def _answered(ctx: Context, activity: Activity) -> Answered:
    """Those who answered going or maybe (the waitlisted among them), but the sender."""
    found = [(p, waiting) for p, waiting in svc.interested_people(ctx.session, activity)
             if ctx.person is None or p.id != ctx.person.id]
    return Answered([p for p, _ in found], sum(waiting for _, waiting in found))


def _answered_parts(ctx: Context, answered: Answered, seated_key: str, waiting_key: str) -> list[str]:
    """Those who answered, in words: going or maybe, and the waitlisted apart."""
    seated = len(answered.people) - answered.waitlisted
    return ([ctx.t(seated_key, count=seated)] if seated else []) + \
        ([ctx.t(waiting_key, count=answered.waitlisted)] if answered.waitlisted else [])


def _tell_host(ctx: Context, activity: Activity, told: Sequence[Person], key: str, occasion: str, *,
               with_card: bool, values: Callable[[str], dict[str, object]]) -> tuple[Community, int] | None:
    """Tell the leaders of the host community (confirmed or still asked) of a move or a cancellation: they plan
    to host on the old date or place, and may not have answered. Not the sender, nor those `told` already."""
    host = _host_leaders(ctx, activity, told)
    if host is None:
        return None
    community, leaders = host
    return community, _notify(ctx, activity, leaders, key, f"{occasion}:host", with_card=with_card, values=values)


def _host_leaders(ctx: Context, activity: Activity, told: Sequence[Person]) -> tuple[Community, list[Person]] | None:
    """The host community and those of its leaders `_tell_host` tells; None when it has no host to tell."""
    if activity.host_community_id is None or activity.host_state not in (HostState.CONFIRMED, HostState.PROPOSED):
        return None
    skip = {p.id for p in told} | ({ctx.person.id} if ctx.person is not None else set())
    leaders = [p for p in svc.community_leaders(ctx.session, activity.host_community_id) if p.id not in skip]
    return ctx.session.get(Community, activity.host_community_id), leaders


def _notify(ctx: Context, activity: Activity, people: Sequence[Person], key: str, occasion: str, *,
            with_card: bool, values: Callable[[str], dict[str, object]]) -> int:
    """Tell these people of a change, one multicast per language, once per occasion."""
    for lang, group in _by_language(people).items():
        messages: list[Message] = [text_message(text_for(lang, key, title=activity.title, code=activity.code,
                                                         **values(lang)))]
        if with_card:
            messages.append(cards.activity_message(lang, ctx.session, activity))
        outbox.enqueue(ctx.session, [p.line_user_id for p in group], messages, now=ctx.now,
                       dedupe_key=f"activity:{activity.id}:{occasion}:{lang}")
    return len(people)


def _tell_proxies(ctx: Context, activity: Activity, occasion: str) -> list[str]:
    """Ask each leader who answered going or maybe for members without LINE to phone them of this move or
    cancellation (they had the change notice, as host leaders or as going, or not at all). The sender's own
    such members: the line for the reply, returned."""
    mine: list[str] = []
    for proxy_id, people in svc.answered_for_offline(ctx.session, activity).items():
        if ctx.person is not None and proxy_id == ctx.person.id:
            mine.append(_offline_to_tell(ctx.lang, activity, people))
            continue
        leader = ctx.session.get(Person, proxy_id)
        if leader is None or not leader.reachable:
            continue
        lang = leader.language if leader.language in CATALOGUES else "th"
        outbox.enqueue(ctx.session, [leader.line_user_id], [text_message(_offline_to_tell(lang, activity, people))],
                       now=ctx.now, dedupe_key=f"activity:{activity.id}:{occasion}:offline:{proxy_id}")
    return mine


def _offline_to_tell(lang: str, activity: Activity, people: Sequence[Person]) -> str:
    names = ", ".join(text_for(lang, "event.offline_name", name=p.full_name)
                      + (text_for(lang, "event.offline_phone", phone=p.phone) if p.phone else "") for p in people)
    return text_for(lang, "event.offline_to_tell", title=activity.title, code=activity.code, names=names)
