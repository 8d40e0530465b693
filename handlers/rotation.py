"""Host rotation: who hosts next and why (`เจ้าภาพ` / `host`), the proposed host's confirm and decline
buttons, a chair's swap and skip (`สลับเจ้าภาพ`, `ข้ามเจ้าภาพ`) and the audit log (`เจ้าภาพ ประวัติ`).

The decisions live in handlers/services/activities/ (hosts.py); this module parses, checks who may act,
answers, and queues the requests to the next host's leaders and the notices to the chair.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from enum import StrEnum

from linebot.v3.messaging import ConfirmTemplate, Message, PostbackAction, TemplateMessage, TextMessage
from sqlalchemy import select

from bot import outbox
from handlers.thaitime import ENGLISH_MONTHS, TZ, format_date, format_when_in
from handlers import cards, events
from handlers.catalog import counted, text_for
from handlers.context import Context, Turn, record_id
from handlers.registry import ChatKind, Role, command, postback, step
from handlers.services import activities as act
from handlers.services import registry as reg
from models import (
    Activity,
    ActivityStatus,
    Community,
    HostLog,
    HostSlot,
    HostState,
    Membership,
    Network,
    NetworkKind,
    Person,
    RoleName,
)

FLOW = "host_decline"
CONFIRM_ACTION = "host_confirm"
DECLINE_ACTION = "host_decline"
REASON_LIMIT = 500
CONFIRM_TEXT_LIMIT = 240  # LINE's limit for a confirm template's text
ALT_TEXT_LIMIT = 400
ECHO_LIMIT = 40
# "A with B" between two community names; Thai often writes กับ without spaces around it.
WITH = re.compile(r"\s*กับ\s*|\s+with\s+", re.IGNORECASE)
# Changes Saiyai makes on its own (proposing the next host); the others are always someone's.
class Step(StrEnum):
    REASON = "awaiting_reason"


# --- seeing the rotation ----------------------------------------------------------------------

@command("เจ้าภาพ", "host", min_role=Role.MEMBER)
def host_next(ctx: Context) -> list[Message]:
    """ดูลำดับเจ้าภาพ และชุมชนที่จะเป็นเจ้าภาพครั้งต่อไป / See the host rotation and who hosts next"""
    network = _network(ctx)
    if isinstance(network, TextMessage):
        return [network]
    return [ctx.text_message(_rotation_text(ctx, network))]


@command("เจ้าภาพ ประวัติ", "host history", min_role=Role.MEMBER)
def host_history(ctx: Context) -> list[Message]:
    """ดูประวัติการเปลี่ยนแปลงเจ้าภาพ / See the history of host changes"""
    network = _network(ctx)
    if isinstance(network, TextMessage):
        return [network]
    entries = act.host_history(ctx.session, network)
    if not entries:
        return [ctx.text("host.history_empty", network=network.name)]
    lines = [ctx.t("host.history_header", network=network.name)]
    loaded = [*_preload(ctx, Activity, [e.activity_id for e in entries]),  # noqa: F841
              *_preload(ctx, Community, [i for e in entries for i in (e.community_id, e.other_community_id)]),
              *_preload(ctx, Person, [e.actor_id for e in entries])]
    lines.extend(_history_line(ctx, entry) for entry in entries)
    return [ctx.text_message("\n".join(lines))]


def _preload(ctx: Context, model: type, ids: Iterable[int | None]) -> list:
    """Load these rows in one statement, so each `session.get` finds them without a query of its own.
    The caller keeps the list while it works: the session's identity map holds its objects only weakly."""
    wanted = {i for i in ids if i is not None}
    return list(ctx.session.scalars(select(model).where(model.id.in_(wanted)))) if wanted else []


def _network(ctx: Context) -> Network | TextMessage:
    """The network named after the keyword, else the sender's own; or the reply saying why not."""
    text = ctx.args.strip()
    if not text:
        network = _default_network(ctx)
        return network if network is not None else _network_needed(ctx)
    match = reg.match_network(ctx.session, text, reg.organizations_of(ctx.memberships))
    if match.found is None:
        if match.suggestions:
            return ctx.text("host.network_suggest", text=_short(text),
                            quick=[(n.name, ctx.command_text(f"{ctx.keyword} {n.name}")) for n in match.suggestions])
        return ctx.text("host.network_unknown", text=_short(text))
    network = match.found
    # Chairs and staff may look at any network of their district; others at the networks they belong to.
    if ctx.role < Role.NETWORK_CHAIR and network.id not in act.networks_of_person(ctx.session, ctx.person):
        return ctx.text("host.network_not_yours", network=network.name)
    return network


def _network_needed(ctx: Context) -> TextMessage:
    """Name a network, with one of the sender's district as the example (none for a stranger)."""
    networks = reg.networks_of(ctx.session, reg.organizations_of(ctx.memberships))
    if not networks:
        return ctx.text("host.network_needed_plain", keyword=ctx.keyword)
    return ctx.text("host.network_needed", keyword=ctx.keyword, example=networks[0].name)


def _default_network(ctx: Context) -> Network | None:
    """The network of the group the command was sent in, else the sender's zone, else the one they chair."""
    if ctx.chat_kind != ChatKind.USER:
        link = reg.chat_link(ctx.session, ctx.chat_id)
        if link is not None:
            network_id = link.network_id or ctx.session.get(Community, link.community_id).zone_id
            return ctx.session.get(Network, network_id)
    community = reg.member_community(ctx.session, ctx.person)
    if community is not None:
        return ctx.session.get(Network, community.zone_id)
    chaired = [m.network_id for m in ctx.memberships if m.role == RoleName.NETWORK_CHAIR and m.network_id]
    return ctx.session.get(Network, min(chaired)) if chaired else None


def _rotation_text(ctx: Context, network: Network) -> str:
    slots = act.rotation(ctx.session, network)
    if not slots:
        return ctx.t("host.no_communities", network=network.name)
    rank = {slot.community_id: n for n, slot in enumerate(slots, 1)}
    waiting = _waiting(ctx, network)
    loaded = _preload(ctx, Community, [*rank, *(a.host_community_id for a in waiting)])  # noqa: F841
    lines = [ctx.t("host.header", network=network.name)]
    for n, slot in enumerate(slots, 1):
        owed = ctx.t(counted("host.owed", slot.owed_turns), owed=slot.owed_turns) if slot.owed_turns else ""
        if slot.last_hosted_at is None and not slot.times_hosted:  # "hosted 0 times, never hosted" says it twice
            lines.append(ctx.t("host.line_never", n=n, community=_name(ctx, slot.community_id), owed=owed))
            continue
        last = ctx.t("host.last", date=_date(ctx, slot.last_hosted_at)) if slot.last_hosted_at else ctx.t("host.never")
        lines.append(ctx.t(counted("host.line", slot.times_hosted), n=n, community=_name(ctx, slot.community_id),
                           times=slot.times_hosted, last=last, owed=owed))
    for activity in waiting:
        lines.append(ctx.t("host.waiting", community=_name(ctx, activity.host_community_id), title=activity.title,
                           date=_date(ctx, activity.starts_at)))
    choice = _next_for_new_activity(ctx, network, slots)
    lines.append(ctx.t("host.next", community=choice.community.name, reason=_reason(ctx, choice, rank)))
    return "\n".join(lines)


def _next_for_new_activity(ctx: Context, network: Network, slots: Sequence[HostSlot] | None = None) -> act.HostChoice:
    """The choice propose_host would make for a new activity now (those still to answer come last); `slots`:
    the network's rotation, when read already."""
    return act.suggested_host(ctx.session, network, ctx.now, slots)


def _waiting(ctx: Context, network: Network) -> list[Activity]:
    """Open activities whose proposed host has not answered yet (the ones busy_hosts counts)."""
    return list(ctx.session.scalars(select(Activity).where(
        Activity.network_id == network.id, Activity.host_state == HostState.PROPOSED,
        Activity.host_community_id.is_not(None), Activity.ends_at > ctx.now,
        Activity.status.in_([ActivityStatus.PLANNED, ActivityStatus.CONFIRMED])).order_by(Activity.starts_at)))


def _reason(ctx: Context, choice: act.HostChoice, rank: dict[int, int] | None = None) -> str:
    """The catalogue text of the rotation's reason, with the last hosting date and the list place."""
    last = choice.slot.last_hosted_at
    values = {"last": _date(ctx, last) if last else ctx.t("host.never"), **choice.values}
    if rank is not None and choice.community.id in rank:
        values["position"] = rank[choice.community.id]  # the place shown in the list above
    return ctx.t(choice.reason, **values)


def _history_line(ctx: Context, entry: HostLog) -> str:
    activity = ctx.session.get(Activity, entry.activity_id) if entry.activity_id else None
    text = ctx.t(f"host.history.{entry.kind}", community=_name(ctx, entry.community_id),
                 other=_name(ctx, entry.other_community_id), title=activity.title if activity else "-")
    if entry.reason:
        text += ctx.t("host.history.reason", reason=entry.reason)
    actor = ctx.session.get(Person, entry.actor_id) if entry.actor_id else None
    if actor is None and entry.by_person:
        who = ctx.t("host.actor.unknown")  # this person's data was erased (forget_person)
    else:
        who = actor_name(ctx.lang, actor)
    return ctx.t("host.history.line", date=_date(ctx, entry.at), text=text, actor=who)


# --- the proposed host answers ----------------------------------------------------------------

@postback(CONFIRM_ACTION)
def host_confirm(ctx: Context) -> list[Message]:
    """The proposed host's leader (or the network's chair or staff) accepts."""
    found = _open_proposal(ctx, ctx.params.get("id", ""), ctx.params.get("c"))
    if isinstance(found, TextMessage):
        return [found]
    activity, community = found
    shown = act.first_proposed_host(ctx.session, activity)
    act.confirm_host(ctx.session, activity, ctx.now, actor=ctx.person)
    reply = ctx.t("host.confirmed", community=community.name, title=activity.title,
                  when=format_when_in(ctx.lang, activity.starts_at))
    # The groups' card names the host first proposed, "awaiting confirmation": after a decline or a skip, tell
    # them once who hosts now (its buttons still work; only the host line is out of date).
    groups = _tell_groups_host(ctx, activity, community, shown) if shown != community.id else []
    if groups:
        later = outbox.in_quiet_hours(ctx.now)
        reply += "\n" + ctx.t("event.groups_notified_later" if later else "event.groups_notified", count=len(groups))
    return [ctx.text_message(reply)]


def _tell_groups_host(ctx: Context, activity: Activity, community: Community, shown: int | None) -> list[str]:
    """Tell the activity's linked groups (in Thai, as groups are) that this community now hosts it, once."""
    old = ctx.session.get(Community, shown) if shown is not None else None
    lang = events.GROUP_LANG
    text = text_for(lang, "host.groups_confirmed", title=activity.title, code=activity.code, community=community.name,
                    when=cards.when_range(lang, activity.starts_at, activity.ends_at))
    if old is not None:
        text += "\n" + text_for(lang, "host.groups_instead", community=old.name)
    return events.tell_groups(ctx.session, activity, TextMessage(text=text), ctx.now, f"host_confirmed:{community.id}",
                              except_chat=ctx.chat_id)


@postback(DECLINE_ACTION)
def host_decline(ctx: Context) -> Turn:
    """The proposed host's leader declines: first ask why (a reason is kept in the audit log)."""
    found = _open_proposal(ctx, ctx.params.get("id", ""), ctx.params.get("c"))
    if isinstance(found, TextMessage):
        return Turn([found])
    activity, community = found
    return _ask_reason(ctx, "host.ask_reason", {"activity_id": activity.id, "community_id": community.id},
                       community=community.name, title=activity.title)


def _ask_reason(ctx: Context, key: str, data: dict[str, int] | None = None, **values: object) -> Turn:
    options = [(option, option) for option in ctx.t("host.reason_options").split("|")]
    return Turn([ctx.text(key, quick=options, cancel=True, **values)], flow=FLOW, step=Step.REASON, data=data)


@step(FLOW, Step.REASON)
def host_decline_reason(ctx: Context) -> Turn:
    reason = ctx.args.strip()
    if not reason:
        return _ask_reason(ctx, "host.reason_needed")
    if len(reason) > REASON_LIMIT:
        return _ask_reason(ctx, "host.reason_too_long", limit=REASON_LIMIT)
    # Someone else may have answered or skipped while this person was typing.
    found = _open_proposal(ctx, str(ctx.data.get("activity_id", "")), str(ctx.data.get("community_id", "")))
    if isinstance(found, TextMessage):
        return Turn([found])
    activity, community = found
    choice = act.decline_host(ctx.session, activity, reason, ctx.now, actor=ctx.person)
    network = ctx.session.get(Network, activity.network_id)
    asked = ask_host(ctx.session, activity, choice, ctx.now)
    _tell_chairs(ctx.session, network, ctx.person, ctx.now, lambda lang: [_notice(
        lang, "host.chair_declined", activity, choice, asked, community=community.name, reason=reason)])
    reply = ctx.t("host.declined", community=community.name, title=activity.title, reason=reason)
    return Turn([ctx.text_message(reply + "\n" + _moved_on(ctx.lang, choice, asked))])


def _open_proposal(ctx: Context, activity_id: str, community_id: str | None) -> tuple[Activity, Community] | TextMessage:
    """The activity whose proposed host the sender may answer for, or the reply saying why not."""
    if ctx.user_id is None:
        return ctx.text("register.no_user_id")
    # Locked: two leaders tapping at once (or a tap racing a chair's skip) take turns (PostgreSQL).
    ident = record_id(activity_id)
    activity = ctx.session.get(Activity, ident, with_for_update=True) if ident is not None else None
    if activity is None or activity.network_id is None:
        return ctx.text("host.request_unknown")
    if activity.status in (ActivityStatus.CANCELLED, ActivityStatus.DONE) or activity.ends_at <= ctx.now:
        return ctx.text("host.activity_closed", title=activity.title)
    host = ctx.session.get(Community, activity.host_community_id) if activity.host_community_id else None
    if activity.host_state == HostState.CONFIRMED and host is not None:
        return ctx.text("host.already_confirmed", community=host.name, title=activity.title)
    if host is None or activity.host_state != HostState.PROPOSED:
        return ctx.text("host.request_stale_none", title=activity.title)
    if community_id and community_id != str(host.id):
        return ctx.text("host.request_stale", title=activity.title, community=host.name)
    network = ctx.session.get(Network, activity.network_id)
    if not (_leads(ctx.memberships, host) or reg.can_manage_network(ctx.memberships, network)):
        return ctx.text("host.not_yours", community=host.name)
    return activity, host


def _leads(held: Iterable[Membership], community: Community) -> bool:
    return any(m.role == RoleName.COMMUNITY_LEADER and m.community_id == community.id for m in held)


# --- a chair's swap and skip ------------------------------------------------------------------

@command("สลับเจ้าภาพ", "swap host", min_role=Role.NETWORK_CHAIR)
def host_swap(ctx: Context) -> list[Message]:
    """สลับลำดับเจ้าภาพของสองชุมชน / Swap two communities in the host order"""
    parsed = _parse_swap(ctx)
    if isinstance(parsed, TextMessage):
        return [parsed]
    first, second, reason = parsed
    if first.id == second.id:
        return [ctx.text("host.swap_same", community=first.name)]
    shared = reg.community_networks(ctx.session, first) & reg.community_networks(ctx.session, second)
    networks = sorted((ctx.session.get(Network, n) for n in shared),
                      key=lambda n: (n.kind != NetworkKind.ZONE, n.name))
    if not networks:
        return [ctx.text("host.swap_no_network", first=first.name, second=second.name)]
    mine = [n for n in networks if reg.can_manage_network(ctx.memberships, n)]
    if not mine:
        return [ctx.text("host.not_your_network", network=networks[0].name)]
    network = mine[0]  # the zone when both share it: the rotation people mean by default
    act.swap_hosts(ctx.session, network, first, second, reason, ctx.now, actor=ctx.person)
    rotation = act.rotation(ctx.session, network)
    slots = {slot.community_id: n for n, slot in enumerate(rotation, 1)}
    reply = ctx.t("host.swapped", network=network.name, first=first.name, second=second.name,
                  first_place=slots[first.id], second_place=slots[second.id])
    choice = _next_for_new_activity(ctx, network, rotation)
    next_line = ctx.t("host.next", community=choice.community.name, reason=_reason(ctx, choice, slots))
    return [ctx.text_message(reply + "\n" + next_line)]


def _parse_swap(ctx: Context) -> tuple[Community, Community, str | None] | TextMessage:
    """`<A> กับ <B> [เหตุผล]`: A is what comes before a กับ / with; B the longest run of words naming one."""
    text = ctx.args.strip()
    match = reg.community_matcher(ctx.session, reg.organizations_of(ctx.memberships))
    unknown: str | None = None
    for separator in WITH.finditer(text):
        left, rest = text[:separator.start()].strip(), text[separator.end():].strip()
        if not left or not rest:
            continue
        first = match(left).found
        if first is None:
            unknown = unknown or left
            continue
        words = rest.split()
        for k in range(len(words), 0, -1):
            second = match(" ".join(words[:k])).found
            if second is not None:
                return first, second, " ".join(words[k:]) or None
        unknown = words[0]
    if unknown is not None:
        return ctx.text("host.community_unknown", text=_short(unknown))
    # The example names two communities of the sender's own network.
    network = _default_network(ctx)
    communities = act.network_communities(ctx.session, network) if network is not None else []
    if len(communities) < 2:
        return ctx.text("host.swap_usage_plain")
    return ctx.text("host.swap_usage", first=communities[0].name, second=communities[1].name)


@command("ข้ามเจ้าภาพ", "skip host", min_role=Role.NETWORK_CHAIR)
def host_skip(ctx: Context) -> list[Message]:
    """ข้ามชุมชนที่ถูกเสนอเป็นเจ้าภาพ พร้อมเหตุผล / Pass over the proposed host, with a reason"""
    code, _, reason = ctx.args.strip().partition(" ")
    reason = reason.strip()
    if not code or not reason:
        return [ctx.usage("host.skip_usage")]
    if len(reason) > REASON_LIMIT:
        return [ctx.text("host.reason_too_long", limit=REASON_LIMIT)]
    activity = act.find_activity(ctx.session, ctx.memberships, code, lock=True)
    if activity is None or activity.network_id is None:
        return [ctx.text("host.code_unknown", code=_short(code))]
    network = ctx.session.get(Network, activity.network_id)
    if not reg.can_manage_network(ctx.memberships, network):
        return [ctx.text("host.not_your_network", network=network.name)]
    if activity.status in (ActivityStatus.CANCELLED, ActivityStatus.DONE) or activity.ends_at <= ctx.now:
        return [ctx.text("host.activity_closed", title=activity.title)]
    host = ctx.session.get(Community, activity.host_community_id) if activity.host_community_id else None
    if activity.host_state == HostState.CONFIRMED and host is not None:
        # Its turn is already counted; skipping now would leave a hosting on the ledger that never happens.
        return [ctx.text("host.skip_confirmed", community=host.name, title=activity.title)]
    if host is None or activity.host_state != HostState.PROPOSED:
        return [ctx.text("host.request_stale_none", title=activity.title)]
    choice = act.skip_host(ctx.session, activity, reason, ctx.now, actor=ctx.person)
    asked = ask_host(ctx.session, activity, choice, ctx.now)
    _tell_chairs(ctx.session, network, ctx.person, ctx.now, lambda lang: [_notice(
        lang, "host.chair_skipped", activity, choice, asked, community=host.name, reason=reason,
        actor=actor_name(lang, ctx.person))])
    reply = ctx.t("host.skipped", community=host.name, title=activity.title, reason=reason)
    return [ctx.text_message(reply + "\n" + _moved_on(ctx.lang, choice, asked))]


# --- asking the next host and telling the chair -----------------------------------------------

def waiting_for_new_leader(ctx: Context, membership: Membership, room: int) -> list[Message]:
    """The hosting requests a new leader's community has not answered, as cards to answer now.

    A request goes to a community's leaders when it is proposed as host; a community with no leader yet
    is proposed all the same, and its first leader (from an invite code) would otherwise never be asked.
    `room` is how many messages the reply still holds (LINE's five), so the soonest requests are shown; a
    community rarely has more than one waiting."""
    if membership.role != RoleName.COMMUNITY_LEADER or membership.community_id is None or room <= 0:
        return []
    waiting = act.awaiting_host_answer(ctx.session, membership.community_id, ctx.now, room)
    return [cards.host_request_message(ctx, ctx.session, activity) for activity in waiting]


def ask_host(session, activity: Activity, choice: act.HostChoice | None, now: datetime) -> bool:
    """Queue the confirm / decline request to the proposed host's leaders; False when it has none."""
    if choice is None:
        return False
    leaders = act.community_leaders(session, choice.community.id)
    _push(session, leaders, now, lambda lang: host_request(lang, activity, choice))
    return bool(leaders)


def host_request(lang: str, activity: Activity, choice: act.HostChoice) -> list[Message]:
    """The request a host's leaders get: the details, then confirm / decline buttons."""
    community = choice.community
    last = choice.slot.last_hosted_at
    reason = text_for(lang, choice.reason, **{"last": _date_in(lang, last) if last else text_for(lang, "host.never"),
                                              **choice.values})
    details = text_for(lang, "host.ask", community=community.name, title=activity.title,
                       when=format_when_in(lang, activity.starts_at), reason=reason)
    data = f"id={activity.id}&c={community.id}"
    question = text_for(lang, "host.ask_question", community=community.name)[:CONFIRM_TEXT_LIMIT]
    buttons = TemplateMessage(altText=details[:ALT_TEXT_LIMIT], template=ConfirmTemplate(text=question, actions=[
        PostbackAction(label=text_for(lang, "host.confirm_label"), data=f"a={CONFIRM_ACTION}&{data}",
                       displayText=text_for(lang, "host.confirm_display")),
        PostbackAction(label=text_for(lang, "host.decline_label"), data=f"a={DECLINE_ACTION}&{data}",
                       displayText=text_for(lang, "host.decline_display")),
    ]))
    return [TextMessage(text=details), buttons]


def _tell_chairs(session, network: Network, actor: Person | None, now: datetime,
                 build: Callable[[str], list[Message]]) -> None:
    """The network's chairs (or, when it has none, the district's staff), except whoever acted."""
    def holders(condition) -> list[Person]:
        query = select(Person).join(Membership, Membership.person_id == Person.id).where(condition)
        return [p for p in _people(session, query) if actor is None or p.id != actor.id]

    chairs = holders((Membership.role == RoleName.NETWORK_CHAIR) & (Membership.network_id == network.id))
    if not chairs and not session.scalars(select(Membership.id).where(
            Membership.role == RoleName.NETWORK_CHAIR, Membership.network_id == network.id)).first():
        chairs = holders((Membership.role == RoleName.STAFF) & (Membership.organization_id == network.organization_id))
    _push(session, chairs, now, build)


def _notice(lang: str, key: str, activity: Activity, choice: act.HostChoice | None, asked: bool,
            **values: object) -> TextMessage:
    head = text_for(lang, key, title=activity.title, when=format_when_in(lang, activity.starts_at), **values)
    return TextMessage(text=head + "\n" + _moved_on(lang, choice, asked))


def _moved_on(lang: str, choice: act.HostChoice | None, asked: bool) -> str:
    if choice is None:
        return text_for(lang, "host.nobody_left")
    return text_for(lang, "host.moved_on" if asked else "host.moved_on_no_leader", next=choice.community.name)


def _people(session, query) -> list[Person]:
    """People who can be pushed to (LINE, not blocked), each once, in a stable order."""
    return list(session.scalars(query.where(Person.reachable).distinct().order_by(Person.id)))


def _push(session, people: list[Person], now: datetime, build: Callable[[str], list[Message]]) -> None:
    by_lang: dict[str, list[str]] = {}
    for person in people:
        by_lang.setdefault(person.language or "th", []).append(person.line_user_id)
    for lang, users in by_lang.items():
        outbox.enqueue(session, users, build(lang), now=now)


# --- small helpers ----------------------------------------------------------------------------

def _name(ctx: Context, community_id: int | None) -> str:
    community = ctx.session.get(Community, community_id) if community_id else None
    return community.name if community else "-"


def actor_name(lang: str, person: Person | None) -> str:
    """Who made a change: their name; else their role (staff granted with `flask org grant-staff` may never
    register a name); no one at all is Saiyai itself (the scheduler proposing a host)."""
    if person is None:
        return text_for(lang, "host.history.system")
    name = person.full_name or person.display_name
    if name:
        return name
    roles = [RoleName(m.role) for m in person.memberships]
    if not roles:
        return text_for(lang, "host.actor.unknown")
    return text_for(lang, f"host.actor.{max(roles, key=reg.ROLE_RANK.__getitem__)}")


def _date(ctx: Context, moment: datetime) -> str:
    return _date_in(ctx.lang, moment)


def _date_in(lang: str, moment: datetime) -> str:
    """Thai long date (พ.ศ.), or an English one."""
    if lang == "th":
        return format_date(moment)
    day = moment.astimezone(TZ)
    return f"{day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}"


def _short(text: str) -> str:
    return text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT] + "…"
