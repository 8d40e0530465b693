"""`สร้างกิจกรรม` / `new event`: the guided conversation from title to preview and confirm."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from linebot.v3.messaging import TextMessage
from sqlalchemy import select

from bot.config import TIMEZONE
from handlers import cards
from handlers.catalog import text_for
from handlers.context import Context, Turn
from handlers.registry import ChatKind, Role, command, step
from handlers.services import activities as svc
from handlers.services import registry as reg
from models import Activity, ActivityStatus, Community, HostState, Network, RoleName
from handlers.events.flow import CHANGE_TIME_WORDS, DEFAULT_START, NEW, NewStep, YES_WORDS
from handlers.events.prompts import _ask_time, _ask_when, _date_text, _invalid_text, _say
from handlers.events.reading import (
    DateOnly, Invalid, When, _answer, _invalid, _name_readings, _short, read_count, read_place, read_title,
    read_when,
)
from handlers.events.telling import _announce


@command("สร้างกิจกรรม", "new event", min_role=Role.COMMUNITY_LEADER)
def new_event(ctx: Context) -> Turn:
    """สร้างกิจกรรมใหม่และประกาศในกลุ่มของเครือข่าย / Create an activity and announce it to the network's groups"""
    data: dict[str, Any] = {}
    if ctx.chat_kind != ChatKind.USER:
        data["origin_chat"] = ctx.chat_id
        # A long guided conversation would flood the group: it continues in the 1:1 chat.
        return Turn([ctx.text("event.continue_in_private")], flow=NEW, step=NewStep.TITLE, data=data, private=True)
    return Turn([ask_title(ctx)], flow=NEW, step=NewStep.TITLE, data=data, private=True)


def ask_title(ctx: Context) -> TextMessage:
    """The title question, its example named for the sender's own network (the first they see)."""
    networks = reg.member_networks(ctx.session, ctx.memberships)
    if not networks:
        return ctx.text("event.ask_title_plain", cancel=True)
    return ctx.text("event.ask_title", network=networks[0].name, cancel=True)


@step(NEW, NewStep.TITLE)
def new_event_title(ctx: Context) -> Turn:
    title = read_title(_answer(ctx))
    if isinstance(title, Invalid):
        return Turn([_invalid_text(ctx, title)], step=NewStep.TITLE)
    ctx.data["title"] = title
    return Turn([_ask_when(ctx)], step=NewStep.WHEN)


@step(NEW, NewStep.WHEN)
def new_event_when(ctx: Context) -> Turn:
    return _took_when(ctx, read_when(ctx))


@step(NEW, NewStep.TIME)
def new_event_time(ctx: Context) -> Turn:
    return _took_when(ctx, read_when(ctx, date.fromisoformat(ctx.data["day"])))


def _when_again(ctx: Context, invalid: Invalid) -> Turn:
    """Ask again at the same step: for the whole date and time, or for the time of the date given."""
    if ctx.step == NewStep.TIME:
        day = date.fromisoformat(ctx.data["day"])
        return Turn([_say(ctx, ctx.t(invalid.key, **invalid.values),
                          picker=datetime.combine(day, DEFAULT_START, TIMEZONE))], step=ctx.step)
    return Turn([_ask_when(ctx, invalid)], step=ctx.step)


def _took_when(ctx: Context, when: When | DateOnly | Invalid) -> Turn:
    if isinstance(when, Invalid):
        return _when_again(ctx, when)
    if isinstance(when, DateOnly):
        ctx.data["day"] = when.day.isoformat()
        return Turn([_ask_time(ctx, when.day)], step=NewStep.TIME)
    ctx.data.pop("day", None)
    ctx.data["starts_at"] = when.starts_at.isoformat()
    ctx.data["ends_at"] = (when.ends_at or when.starts_at + svc.DEFAULT_DURATION).isoformat()
    # The parsed result is shown back, with a way to correct it before going on.
    text = ctx.t("event.when_set", when=_draft_when(ctx)) + "\n" + ctx.t("event.ask_place")
    return Turn([_say(ctx, text, [(ctx.t("event.skip"),) * 2, (ctx.t("event.change_time"),) * 2], location=True)],
                step=NewStep.PLACE)


def _draft_when(ctx: Context) -> str:
    return cards.when_range(ctx.lang, datetime.fromisoformat(ctx.data["starts_at"]),
                            datetime.fromisoformat(ctx.data["ends_at"]))


@step(NEW, NewStep.PLACE)
def new_event_place(ctx: Context) -> Turn:
    if ctx.message is None and ctx.means(CHANGE_TIME_WORDS):
        return Turn([_ask_when(ctx)], step=NewStep.WHEN)
    place = read_place(ctx)
    if isinstance(place, Invalid):
        return Turn([_invalid_text(ctx, place, quick=[(ctx.t("event.skip"),) * 2], location=True)],
                    step=NewStep.PLACE)
    ctx.data.update(place)
    return _ask_scope(ctx)


@dataclass(frozen=True)
class Scope:
    """Where an activity belongs: a network (host rotates) or a single community."""

    kind: str   # "network" or "community"
    id: int
    name: str
    button: bool = True  # offered as a quick reply; the others (staff's and chairs' communities) are typed

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


def creatable_scopes(ctx: Context) -> list[Scope]:
    """Networks the sender may create for (staff: their organization's; chairs: theirs; leaders: their
    community's networks), then the communities for a single-community activity: a leader's own (offered
    as buttons), and those staff (their district's) and chairs (their network's) may type by name."""
    session = ctx.session
    networks: dict[int, Network] = {}
    own: dict[int, Community] = {}
    typed: dict[int, Community] = {}
    for m in ctx.memberships:
        if m.role == RoleName.STAFF:
            networks.update((n.id, n) for n in session.scalars(
                select(Network).where(Network.organization_id == m.organization_id)))
            typed.update((c.id, c) for c in session.scalars(
                select(Community).where(Community.organization_id == m.organization_id)))
        elif m.role == RoleName.NETWORK_CHAIR and m.network_id:
            network = session.get(Network, m.network_id)
            networks[network.id] = network
            typed.update((c.id, c) for c in svc.network_communities(session, network))
        elif m.role == RoleName.COMMUNITY_LEADER and m.community_id:
            community = session.get(Community, m.community_id)
            own[community.id] = community
            for network_id in reg.community_networks(session, community):
                networks[network_id] = session.get(Network, network_id)
    # Buttons only for networks and a leader's own community: a district has dozens of communities.
    return ([Scope("network", n.id, n.name) for n in sorted(networks.values(), key=lambda n: n.name)]
            + [Scope("community", c.id, c.name) for c in sorted(own.values(), key=lambda c: c.name)]
            + [Scope("community", c.id, c.name, button=False)
               for c in sorted(typed.values(), key=lambda c: c.name) if c.id not in own])


def _scope_buttons(scopes: Sequence[Scope]) -> list[tuple[str, str]]:
    return [(s.name, s.name) for s in scopes if s.button]


def _ask_scope(ctx: Context) -> Turn:
    scopes = creatable_scopes(ctx)
    if not scopes:
        return Turn([ctx.text("event.no_scope")])
    origin = reg.chat_link(ctx.session, ctx.data["origin_chat"]) if ctx.data.get("origin_chat") else None
    preset = next((s for s in scopes if origin is not None and s.kind == "network" and s.id == origin.network_id),
                  None)
    if preset is None and len(scopes) == 1:
        preset = scopes[0]
    if preset is not None:
        return _took_scope(ctx, preset)
    return Turn([_say(ctx, ctx.t("event.ask_network"), _scope_buttons(scopes))], step=NewStep.SCOPE)


@step(NEW, NewStep.SCOPE)
def new_event_network(ctx: Context) -> Turn:
    scopes = creatable_scopes(ctx)
    found: list[Scope] = []
    for text in _name_readings(_answer(ctx)):
        key = reg.name_key(text)
        found = [s for s in scopes if key and reg.name_key(s.name) == key]
        if len(found) != 1:
            # Forgive typos: the registry's fuzzy match, kept only when it is one of the sender's choices.
            match = reg.match_network(ctx.session, text)
            if match.found is None:
                match = reg.match_community(ctx.session, text)
            kind = "network" if isinstance(match.found, Network) else "community"
            found = [s for s in scopes if match.found is not None and (s.kind, s.id) == (kind, match.found.id)]
        if len(found) == 1:
            break
    if len(found) != 1:
        return Turn([_say(ctx, ctx.t("event.network_unknown", text=_short(_answer(ctx))),
                          _scope_buttons(scopes))], step=NewStep.SCOPE)
    return _took_scope(ctx, found[0])


def _took_scope(ctx: Context, scope: Scope) -> Turn:
    ctx.data["scope"] = scope.key
    if scope.kind == "community":
        ctx.data["host_id"], ctx.data["host_default"] = scope.id, False
        return _ask_capacity(ctx, ctx.t("event.scope_community", community=scope.name))
    network = ctx.session.get(Network, scope.id)
    choice = svc.suggested_host(ctx.session, network, ctx.now)
    if choice is None:
        ctx.data["host_id"], ctx.data["host_default"] = None, False
        return _ask_capacity(ctx, ctx.t("event.no_host", network=network.name))
    ctx.data["host_id"], ctx.data["host_default"] = choice.community.id, True
    text = ctx.t("event.ask_host", network=network.name, community=choice.community.name,
                 reason=_host_reason(ctx, choice))
    return Turn([_say(ctx, text, _host_buttons(ctx, network, choice.community.id))], step=NewStep.HOST)


def _host_reason(ctx: Context, choice: svc.HostChoice) -> str:
    return host_reason(ctx.lang, choice=choice)


def host_reason(lang: str, choice: svc.HostChoice) -> str:
    """The rotation's reason in the rotation's own words (host.reason.* in the catalogue)."""
    last = choice.slot.last_hosted_at
    return text_for(lang, choice.reason, **{"last": _date_text(lang, last) if last else text_for(lang, "host.never"),
                                            **choice.values})


def _host_buttons(ctx: Context, network: Network, proposed_id: int) -> list[tuple[str, str]]:
    others = [c for c in svc.network_communities(ctx.session, network) if c.id != proposed_id]
    return [(ctx.t("event.accept"),) * 2] + [(c.name, c.name) for c in others]


@step(NEW, NewStep.HOST)
def new_event_host(ctx: Context) -> Turn:
    network = ctx.session.get(Network, _scope(ctx.data)[1])
    answer = _answer(ctx)
    if ctx.means(YES_WORDS):
        return _ask_capacity(ctx)
    members = {c.id for c in svc.network_communities(ctx.session, network)}
    matches = (reg.match_community(ctx.session, text, [network.organization_id]).found
               for text in _name_readings(answer))
    found = next((c for c in matches if c is not None and c.id in members), None)
    if found is None:
        return Turn([_say(ctx, ctx.t("event.host_unknown", text=_short(answer), network=network.name),
                          _host_buttons(ctx, network, ctx.data["host_id"]))], step=NewStep.HOST)
    ctx.data["host_default"] = found.id == ctx.data["host_id"]
    ctx.data["host_id"] = found.id
    return _ask_capacity(ctx, ctx.t("event.host_chosen", community=found.name))


def _ask_capacity(ctx: Context, prefix: str | None = None) -> Turn:
    text = ctx.t("event.ask_capacity")
    return Turn([_say(ctx, f"{prefix}\n{text}" if prefix else text, [(ctx.t("event.skip"),) * 2])],
                step=NewStep.CAPACITY)


@step(NEW, NewStep.CAPACITY)
def new_event_capacity(ctx: Context) -> Turn:
    capacity = read_count(_answer(ctx))
    if isinstance(capacity, Invalid):
        return Turn([_invalid_text(ctx, capacity, quick=[(ctx.t("event.skip"),) * 2])], step=NewStep.CAPACITY)
    ctx.data["capacity"] = capacity
    if _scope(ctx.data)[0] == "community":
        ctx.data["seats"] = None
        return _preview(ctx)
    return Turn([_say(ctx, ctx.t("event.ask_seats"), [(ctx.t("event.skip"),) * 2])], step=NewStep.SEATS)


@step(NEW, NewStep.SEATS)
def new_event_seats(ctx: Context) -> Turn:
    seats = read_count(_answer(ctx), "event.seats_invalid")
    capacity = ctx.data.get("capacity")
    if isinstance(seats, int) and capacity is not None and seats > capacity:
        seats = _invalid("event.seats_over_capacity", seats=seats, capacity=capacity)
    if isinstance(seats, Invalid):
        return Turn([_invalid_text(ctx, seats, quick=[(ctx.t("event.skip"),) * 2])], step=NewStep.SEATS)
    ctx.data["seats"] = seats
    return _preview(ctx)


def _scope(data: dict[str, Any]) -> tuple[str, int]:
    kind, _, ident = data["scope"].partition(":")
    return kind, int(ident)


def _draft(ctx: Context) -> Activity:
    """The activity as it would be saved; never added to the session."""
    kind, ident = _scope(ctx.data)
    starts_at = datetime.fromisoformat(ctx.data["starts_at"])
    host_id = ctx.data.get("host_id")
    if kind == "community":
        host_state = HostState.CONFIRMED
    else:
        host_state = HostState.PROPOSED if host_id else HostState.NONE
    return Activity(
        code=None, title=ctx.data["title"], network_id=ident if kind == "network" else None,
        community_id=ident if kind == "community" else None, starts_at=starts_at,
        ends_at=datetime.fromisoformat(ctx.data["ends_at"]), place_text=ctx.data.get("place_text"),
        place_lat=ctx.data.get("place_lat"), place_lng=ctx.data.get("place_lng"),
        capacity=ctx.data.get("capacity"), seats_per_community=ctx.data.get("seats"),
        rsvp_deadline=svc.default_rsvp_deadline(starts_at, ctx.now), status=ActivityStatus.PLANNED,
        host_community_id=host_id, host_state=host_state, occurrence=None)


def _preview(ctx: Context) -> Turn:
    card = cards.activity_message(ctx, ctx.session, _draft(ctx), preview=True)
    return Turn([card, _say(ctx, ctx.t("event.preview"), [(ctx.t("event.confirm"),) * 2])], step=NewStep.CONFIRM)


@step(NEW, NewStep.CONFIRM)
def new_event_confirm(ctx: Context) -> Turn:
    if not ctx.means(YES_WORDS):
        return Turn([_say(ctx, ctx.t("event.confirm_again"), [(ctx.t("event.confirm"),) * 2])],
                    step=NewStep.CONFIRM)
    starts_at = datetime.fromisoformat(ctx.data["starts_at"])
    if starts_at <= ctx.now:  # the conversation may have waited past the start
        return Turn([_ask_when(ctx, _invalid("event.when_past", when=cards.when_range(ctx.lang, starts_at)))],
                    step=NewStep.WHEN)
    if ctx.data["scope"] not in {s.key for s in creatable_scopes(ctx)}:  # the role was taken away meanwhile
        return Turn([ctx.text("event.no_scope")])
    activity, reason = _create(ctx, *_scope(ctx.data))
    return Turn(_announce(ctx, activity, reason))


def _create(ctx: Context, kind: str, ident: int) -> tuple[Activity, Callable[[str], str] | None]:
    """The activity, and why its host was proposed, in a language (None without a proposed host)."""
    session = ctx.session
    owner = session.get(Network if kind == "network" else Community, ident)
    activity = svc.create_activity(
        session, title=ctx.data["title"], organization_id=owner.organization_id,
        network_id=ident if kind == "network" else None, community_id=ident if kind == "community" else None,
        starts_at=datetime.fromisoformat(ctx.data["starts_at"]), ends_at=datetime.fromisoformat(ctx.data["ends_at"]),
        place_text=ctx.data.get("place_text"), place_lat=ctx.data.get("place_lat"),
        place_lng=ctx.data.get("place_lng"), capacity=ctx.data.get("capacity"),
        seats_per_community=ctx.data.get("seats"), created_by=ctx.person, now=ctx.now)
    host_id = ctx.data.get("host_id")
    reason: Callable[[str], str] | None = None
    if kind == "community":
        # The community's own activity (its leader, a chair or staff created it): it hosts; no rotation turn.
        activity.host_community_id, activity.host_state = ident, HostState.CONFIRMED
    elif host_id and ctx.data.get("host_default"):
        choice = svc.propose_host(session, activity, ctx.now, ctx.person)
        if choice is not None:
            reason = partial(host_reason, choice=choice)
    elif host_id:
        svc.propose_chosen_host(session, activity, session.get(Community, host_id), ctx.now, ctx.person,
                                reason=text_for("th", "event.host_chosen_reason"))
        reason = partial(text_for, key="event.host_chosen_reason")
    session.flush()
    return activity, reason
