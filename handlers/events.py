"""Activities: create (`สร้างกิจกรรม` / `new event`), list (`กิจกรรม` / `events`), edit and cancel.

Creating is a guided conversation; in a group it continues in the sender's 1:1 chat:

    title → when (typed, or the datetime picker; a date alone asks for the time; shown back)
          → place (text or a LINE location; "เปลี่ยนวันเวลา" goes back to when)
          → network (asked only when the sender may choose; a leader may pick their own community,
            staff any community of their district and a chair one of their network's, typed by name)
          → host (the rotation's suggestion with its reason, or another community of the network)
          → capacity → seats per community (networks only) → preview card → confirm

`ยกเลิก` ends it at any step (the dispatcher does that). Editing asks the field, then its value, then
shows the change (old → new, a date in full with its weekday) and who will be told, and saves and tells
only on `ยืนยัน` (`เปลี่ยน` asks the value again; `ยกเลิก` leaves everything as it was).
Announcements to groups, host requests and change notices go through the outbox; the reply to the
person acting carries their own card, which is free. The groups an activity was announced in are told
when it moves, changes place or is cancelled (`tell_groups`), as well as those who answered and the
leaders of its host community (`_tell_host`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import partial
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from types import SimpleNamespace
from typing import Any

from linebot.v3.messaging import (
    DatetimePickerAction,
    LocationAction,
    Message,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)
from linebot.v3.webhooks import LocationMessageContent
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.config import TIMEZONE
from handlers.thaitime import (
    ENGLISH_MONTHS,
    ENGLISH_WEEKDAYS,
    format_date,
    from_picker_value,
    parse_when,
    parse_when_parts,
    to_picker_value,
    too_far_ahead,
)
from handlers import cards, series
from handlers.catalog import CATALOGUES, text_for
from handlers.context import SKIP_WORDS as COMMON_SKIP_WORDS
from handlers.context import Context, Turn, button_label, record_id, text_message
from handlers.registry import ChatKind, Role, command, postback, step, strip_polite
from handlers.services import activities as svc
from handlers.services import registry as reg
from models import Activity, ActivityStatus, Community, HostState, Network, Person, RoleName

NEW = "new_event"
EDIT = "edit_event"
TITLE_LIMIT = 120
PLACE_LIMIT = 500
COUNT_LIMIT = 10_000
QUICK_LIMIT = 12           # quick replies besides the cancel button (LINE allows 13)
DEFAULT_START = time(9, 0)  # what the datetime picker offers first
SKIP_WORDS = COMMON_SKIP_WORDS | {"ไม่จำกัด", "no limit", "unlimited"}  # seats: "no limit" skips too
YES_WORDS = frozenset({"ยืนยัน", "ตกลง", "ใช่", "โอเค", "ok", "okay", "yes", "confirm"})
CHANGE_TIME_WORDS = frozenset({"เปลี่ยนวันเวลา", "change time"})
CHANGE_WORDS = frozenset({"เปลี่ยน", "แก้", "แก้ไข", "change", "edit"})  # at an edit's preview: type it again
CODE = re.compile(r"[A-Za-z0-9]{4,8}")
COUNT = re.compile(r"(\d+)\s*(?:คน|ที่|ท่าน|people|persons|seats)?")
# "13:00-16:00 น.", "9.00 ถึง 12.00": parse_when takes the first time; the second is the end.
TIME_RANGE = re.compile(r"(\d{1,2})[:.](\d{2})\s*(?:น\.?)?\s*(?:-|–|ถึง|to|until)\s*(\d{1,2})[:.](\d{2})")
FIELDS = {
    "title": ("ชื่อ", "ชื่อกิจกรรม", "title", "name"),
    "when": ("วันเวลา", "เวลา", "วัน", "วันที่", "when", "time", "date"),
    "place": ("สถานที่", "ที่", "place", "where", "location"),
    "capacity": ("จำนวนที่นั่ง", "ที่นั่ง", "จำนวน", "capacity", "seats"),
    "deadline": ("ปิดรับคำตอบ", "วันปิดรับ", "ปิดรับ", "ตอบรับภายใน", "กำหนดตอบ", "deadline", "answers close",
                 "answer deadline"),
}
# Groups hear of a change that decides whether and where their members turn up: a new time or place (and a
# cancellation). A new title or seat count is not pushed to them: the card they were shown keeps its code and
# buttons, which still work and show the new details, and each push to a group costs the channel's quota.
GROUP_FIELDS = frozenset({"when", "place"})
GROUP_LANG = "th"  # groups have no single language: Saiyai speaks Thai there


class NewStep(StrEnum):
    TITLE = "awaiting_title"
    WHEN = "awaiting_when"
    TIME = "awaiting_time"
    PLACE = "awaiting_place"
    SCOPE = "awaiting_network"
    HOST = "awaiting_host"
    CAPACITY = "awaiting_capacity"
    SEATS = "awaiting_seats"
    CONFIRM = "awaiting_confirm"


class EditStep(StrEnum):
    FIELD = "awaiting_field"
    TITLE = "awaiting_title"
    WHEN = "awaiting_when"
    TIME = "awaiting_time"
    PLACE = "awaiting_place"
    CAPACITY = "awaiting_capacity"
    DEADLINE = "awaiting_deadline"
    DEADLINE_TIME = "awaiting_deadline_time"
    CONFIRM = "awaiting_confirm"


# --- reading answers ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Invalid:
    """Why an answer cannot be used: a catalogue key and its values."""

    key: str
    values: dict[str, object]


@dataclass(frozen=True)
class DateOnly:
    """A date without a time: ask for the time."""

    day: date


@dataclass(frozen=True)
class When:
    starts_at: datetime
    ends_at: datetime | None


def _answer(ctx: Context) -> str:
    """The sender's answer, trimmed (the dispatcher already normalised it: see registry.clean)."""
    return ctx.args.strip()


def _name_readings(text: str) -> list[str]:
    """A name to look up: without a polite ending first ("ชุมชนวัดบางนา ครับ"), then as typed, in case the
    name itself ends like one."""
    return list(dict.fromkeys(t for t in (strip_polite(text), text.strip()) if t))


def _invalid(key: str, **values: object) -> Invalid:
    return Invalid(key, values)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def read_title(text: str) -> str | Invalid:
    title = text.strip()
    if not title or not any(ch.isalnum() for ch in title):
        return _invalid("event.title_empty")
    if len(title) > TITLE_LIMIT:
        return _invalid("event.title_too_long", length=len(title))
    return title


def read_when(ctx: Context, day: date | None = None) -> When | DateOnly | Invalid:
    """The start (and an end, from a range like 13:00-16:00) typed or picked; `day` is a date already given."""
    picked = ctx.params.get("datetime")
    text = _answer(ctx)
    if picked is not None:
        starts_at = from_picker_value(picked)
        if starts_at is None:
            return _invalid("event.when_unknown", text=_short(picked))
        ends_at = None
    else:
        parts = parse_when_parts(text, ctx.now) if text else None
        if parts is None:
            return _invalid("event.time_unknown" if day else "event.when_unknown", text=_short(text))
        if parts.time is None:
            return DateOnly(parts.date)
        if parts.date is None and day is not None:
            starts_at = datetime.combine(day, parts.time, TIMEZONE)
        else:
            starts_at = parse_when(text, ctx.now)
        ends_at = _range_end(text, starts_at)
        if isinstance(ends_at, Invalid):
            return ends_at
    if starts_at <= ctx.now:
        return _invalid("event.when_past", when=cards.when_range(ctx.lang, starts_at))
    if too_far_ahead(starts_at, ctx.now):
        return _invalid("event.when_too_far", when=cards.when_range(ctx.lang, starts_at))
    return When(starts_at, ends_at)


def _range_end(text: str, starts_at: datetime) -> datetime | Invalid | None:
    """The end of a typed range on the start's day; an end not after the start is refused, not dropped
    ("18:00-17:00" is a slip, and the default three hours would hide it)."""
    match = TIME_RANGE.search(unicodedata.normalize("NFC", text).translate(reg.THAI_DIGITS))
    if match is None:
        return None
    hour, minute = int(match[3]), int(match[4])
    if hour > 23 or minute > 59:
        return None
    ends_at = datetime.combine(starts_at.date(), time(hour, minute), TIMEZONE)
    if ends_at <= starts_at:
        return _invalid("event.end_before_start", end=f"{hour:02d}:{minute:02d}",
                        start=starts_at.astimezone(TIMEZONE).strftime("%H:%M"))
    return ends_at


def read_place(ctx: Context) -> dict[str, Any] | Invalid:
    """A typed place, a LINE location (title, address and coordinates), or skip (not known yet)."""
    message = ctx.message
    if isinstance(message, LocationMessageContent):
        text = ", ".join(p for p in (message.title, message.address) if p) or ctx.t("event.pinned_location")
        return {"place_text": _short(text, PLACE_LIMIT - 1), "place_lat": message.latitude,
                "place_lng": message.longitude}
    text = _answer(ctx)
    if message is not None or not any(ch.isalnum() for ch in text):  # a sticker, an emoji alone
        return _invalid("event.place_invalid")
    if strip_polite(text).casefold() in SKIP_WORDS:  # the place itself is kept as typed
        return {"place_text": None, "place_lat": None, "place_lng": None}
    if len(text) > PLACE_LIMIT:
        return _invalid("event.place_too_long", length=len(text))
    return {"place_text": text, "place_lat": None, "place_lng": None}


def read_count(text: str, invalid_key: str = "event.capacity_invalid") -> int | None | Invalid:
    """A positive number of people (Thai digits and `คน` allowed); None for skip / no limit."""
    cleaned = strip_polite(unicodedata.normalize("NFC", text).translate(reg.THAI_DIGITS)).casefold()
    if cleaned in SKIP_WORDS:
        return None
    match = COUNT.fullmatch(cleaned)
    if match is None or not 0 < int(match[1]) <= COUNT_LIMIT:
        return _invalid(invalid_key, text=_short(text), max=f"{COUNT_LIMIT:,}")
    return int(match[1])


# --- prompts --------------------------------------------------------------------------------------

def _say(ctx: Context, text: str, quick: Sequence[tuple[str, str]] = (), *, picker: datetime | None = None,
         location: bool = False, cancel: bool = True) -> TextMessage:
    """A text with quick replies: optional datetime picker or location button, texts, and cancel."""
    items: list[QuickReplyItem] = []
    if picker is not None:
        earliest = ctx.now + timedelta(minutes=1)
        items.append(QuickReplyItem(action=DatetimePickerAction(
            label=ctx.t("event.picker_label"), data="a=flow", mode="datetime",
            initial=to_picker_value(max(picker, earliest)), min=to_picker_value(earliest))))
    if location:
        items.append(QuickReplyItem(action=LocationAction(label=ctx.t("event.location_label"))))
    buttons = list(quick)[:QUICK_LIMIT - len(items)]
    if cancel:
        buttons.append((ctx.t("flow.cancel_label"), ctx.t("flow.cancel_label")))
    items.extend(QuickReplyItem(action=MessageAction(label=button_label(label), text=value)) for label, value in buttons)
    return TextMessage(text=text, quickReply=QuickReply(items=items) if items else None)


def _tomorrow_morning(ctx: Context) -> datetime:
    return datetime.combine(ctx.now.astimezone(TIMEZONE).date() + timedelta(days=1), DEFAULT_START, TIMEZONE)


def _ask_when(ctx: Context, prefix: Invalid | None = None) -> TextMessage:
    text = ctx.t("event.ask_when")
    if prefix is not None:
        text = ctx.t(prefix.key, **prefix.values) + "\n" + text
    return _say(ctx, text, picker=_tomorrow_morning(ctx))


def _ask_time(ctx: Context, day: date) -> TextMessage:
    return _say(ctx, ctx.t("event.ask_time", date=_date_text(ctx.lang, day)),
                picker=datetime.combine(day, DEFAULT_START, TIMEZONE))


def _date_text(lang: str, day: date) -> str:
    """A long date: Thai (พ.ศ.) or English; a datetime is first moved to Bangkok."""
    if isinstance(day, datetime):
        day = day.astimezone(TIMEZONE).date()
    if lang == "en":
        return f"{ENGLISH_WEEKDAYS[day.weekday()]} {day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}"
    return format_date(day)


def _invalid_text(ctx: Context, invalid: Invalid, *, quick: Sequence[tuple[str, str]] = (),
                  location: bool = False) -> TextMessage:
    return _say(ctx, ctx.t(invalid.key, **invalid.values), quick, location=location)


# --- create ---------------------------------------------------------------------------------------

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


# --- list -----------------------------------------------------------------------------------------

@command("กิจกรรม", "events")
def events(ctx: Context) -> list[Message]:
    """ดูกิจกรรมที่กำลังจะมาถึงและคำตอบของคุณ / See upcoming activities and your answers"""
    code = _answer(ctx)
    single = None
    if CODE.fullmatch(code):
        single = svc.find_activity(ctx.session, code)
        if single is None:
            return [ctx.text("event.unknown_code", code=code)]
    activities = [single] if single is not None else svc.upcoming_for(ctx.session, ctx.person, ctx.now)
    if not activities:
        if ctx.role >= Role.COMMUNITY_LEADER:
            return [ctx.text("event.list_none_leader", keyword=ctx.keyword_of(new_event))]
        if not reg.is_registered(ctx.person):
            return [ctx.text("event.list_none_register")]
        return [ctx.text("event.list_none")]
    answers = svc.answers_of(ctx.session, ctx.person, [a.id for a in activities])
    if single is not None:
        return [cards.activity_message(ctx, ctx.session, single, answers.get(single.id),
                                       personal=ctx.person is not None, now=ctx.now)]
    return [cards.carousel(ctx, ctx.session, activities, answers, personal=ctx.person is not None, now=ctx.now)]


# --- edit and cancel ------------------------------------------------------------------------------

def _activity_to_change(ctx: Context, code: str, usage_key: str) -> Activity | Message:
    """The activity the sender may change, or the reply saying why not."""
    if not code:
        return ctx.text(usage_key)
    activity = svc.find_activity(ctx.session, code)
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
    found = _activity_to_change(ctx, _answer(ctx), "event.edit_usage")
    if not isinstance(found, Activity):
        return Turn([found])
    return Turn([_say(ctx, ctx.t("event.ask_field", title=found.title), _field_buttons(ctx))],
                flow=EDIT, step=EditStep.FIELD, data={"activity_id": found.id})


def _field_buttons(ctx: Context) -> list[tuple[str, str]]:
    return [(ctx.t(f"event.field.{name}"),) * 2 for name in FIELDS]


@step(EDIT, EditStep.FIELD)
def edit_event_field(ctx: Context) -> Turn:
    field = next((name for name, words in FIELDS.items()
                  if ctx.means({*words, ctx.t(f"event.field.{name}").casefold()})), None)
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
    leaders = _host_leaders(ctx, activity, answered) if moved else None
    host = (leaders[0], len(leaders[1])) if leaders is not None else None
    groups = _groups_of(ctx.session, activity, ctx.chat_id) if moved else []
    text = ctx.t("event.edit_preview", title=activity.title, field=ctx.t(f"event.field.{field}"),
                 old=_value(ctx.lang, field, activity), new=_value(ctx.lang, field, _proposed(activity, edit)),
                 who=_will_tell(ctx, len(answered), groups, host))
    return Turn([_say(ctx, f"{prefix}\n{text}" if prefix else text, _edit_buttons(ctx))], step=EditStep.CONFIRM)


def _will_tell(ctx: Context, people: int, groups: Sequence[str], host: tuple[Community, int] | None) -> str:
    """Who will hear of the change, in one sentence: the preview's counterpart of `_told`."""
    later = outbox.in_quiet_hours(ctx.now)  # tell_groups holds it until the morning
    parts = [ctx.t("event.who.groups_later" if later else "event.who.groups", count=len(groups))] if groups else []
    if people:
        parts.append(ctx.t("event.who.answered", count=people))
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
    told = _notify(ctx, activity, answered, "event.edit_notice", f"r{activity.revision}", with_card=True, values=values)
    host = _tell_host(ctx, activity, answered, "event.edit_notice", f"r{activity.revision}", with_card=True,
                      values=values) if moved else None
    groups: list[str] = []
    if moved:
        notice = text_for(GROUP_LANG, "event.group_change_notice", title=activity.title, code=activity.code,
                          field=field_names[GROUP_LANG], old=was, new=_value(GROUP_LANG, field, activity))
        groups = tell_groups(ctx.session, activity, text_message(notice), ctx.now, f"r{activity.revision}",
                             except_chat=ctx.chat_id)
    lines = [ctx.t("event.edited", title=activity.title, field=field_names[ctx.lang],
                   value=_value(ctx.lang, field, activity)),
             *_told(ctx, told, groups, host)]
    return Turn([text_message("\n".join(lines)), cards.activity_message(ctx, ctx.session, activity, now=ctx.now)])


def _told(ctx: Context, people: int, groups: Sequence[str], host: tuple[Community, int] | None = None) -> list[str]:
    """The reply's lines on who hears of a change: those who answered, the host's leaders, the groups, or nobody."""
    lines = [ctx.t("event.notified", count=people)] if people else []
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


def _answered(ctx: Context, activity: Activity) -> list[Person]:
    """Those who answered going or maybe, but the sender."""
    return [p for p in svc.interested_people(ctx.session, activity) if ctx.person is None or p.id != ctx.person.id]


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


@command("ยกเลิกกิจกรรม", "cancel event", min_role=Role.COMMUNITY_LEADER)
def cancel_event(ctx: Context) -> list[Message]:
    """ยกเลิกกิจกรรมและแจ้งผู้ที่ตอบรับ / Cancel an activity and tell those who answered"""
    found = _activity_to_change(ctx, _answer(ctx), "event.cancel_usage")
    if not isinstance(found, Activity):
        return [found]
    count = len(_answered(ctx, found))
    lang = f"&l={ctx.lang}"
    # Buttons, not a conversation: "ยกเลิก" typed in a conversation would only end the conversation.
    buttons = QuickReply(items=[
        QuickReplyItem(action=PostbackAction(label=ctx.t("event.cancel_yes"), data=f"a=event_cancel&id={found.id}{lang}",
                                             display_text=ctx.t("event.cancel_yes_display", code=found.code))),
        QuickReplyItem(action=PostbackAction(label=ctx.t("event.cancel_no"), data=f"a=event_keep&id={found.id}{lang}",
                                             display_text=ctx.t("event.cancel_no"))),
    ])
    text = ctx.t("event.ask_cancel", title=found.title, when=cards.when_range(ctx.lang, found.starts_at), count=count)
    return [TextMessage(text=text, quickReply=buttons)]


def _postback_activity(ctx: Context, *, lock: bool = False) -> Activity | None:
    ident = record_id(ctx.params.get("id"))
    if ident is None:
        return None
    return svc.locked_activity(ctx.session, ident) if lock else ctx.session.get(Activity, ident)


@postback("event_cancel")
def event_cancel(ctx: Context) -> list[Message]:
    ctx.use_button_lang()
    activity = _postback_activity(ctx, lock=True)
    if activity is None:
        return [ctx.text("postback.unknown")]
    # The same question the typed command and the edit flow ask: may this person change this activity
    # now (can_change_activity: its organization's staff, the network's chair, the host's leaders, or
    # its creator while still a leader), stricter than the command's minimum role alone.
    refusal = _refusal(ctx, activity)
    if refusal is not None:
        return [refusal]
    svc.cancel_activity(activity, ctx.now)

    def values(lang: str) -> dict[str, object]:
        return {"when": cards.when_range(lang, activity.starts_at, activity.ends_at)}

    answered = _answered(ctx, activity)
    told = _notify(ctx, activity, answered, "event.cancel_notice", "cancelled", with_card=False, values=values)
    host = _tell_host(ctx, activity, answered, "event.cancel_notice", "cancelled", with_card=False, values=values)
    notice = text_for(GROUP_LANG, "event.cancel_notice", title=activity.title, code=activity.code,
                      when=cards.when_range(GROUP_LANG, activity.starts_at, activity.ends_at))
    groups = tell_groups(ctx.session, activity, text_message(notice), ctx.now, "cancelled", except_chat=ctx.chat_id)
    lines = [ctx.t("event.cancelled", title=activity.title), *_told(ctx, told, groups, host)]
    return [text_message("\n".join(lines))]


@postback("event_keep")
def event_keep(ctx: Context) -> list[Message]:
    ctx.use_button_lang()
    activity = _postback_activity(ctx)
    return [ctx.text("event.cancel_kept", title=activity.title if activity else "-")]
