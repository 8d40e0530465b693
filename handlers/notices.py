"""District notices and urgent alerts.

`ประกาศ` / `announce` (leaders and up) and `แจ้งเตือนด่วน` / `alert` (staff) are guided conversations in
the 1:1 chat: scope → (network or community) → role filter → text → attachment → send time →
preview → send (an alert skips the role filter and the send time).
The preview counts the people reached, the delivery path and the cost against LINE's remaining
monthly quota; sending only saves the notice: the scheduler queues its recipients page by page into
the outbox (scheduler/notices.py), so a notice to two million people does not hold up a webhook.

Buttons on a notice: `a=ack&n=<id>` (รับทราบ); on an alert `a=alert&n=<id>&v=safe|need_help`. "Need
help" tells staff and the zone chair at once and asks for the person's location (a LINE location
message), which is forwarded to them as soon as it arrives.

`ยกเลิกประกาศ` / `cancel notice` takes back a notice still waiting for its send time (its author, or
staff of its organization): it lists them with a button each, or takes a notice number, and asks
for confirmation with buttons — not a conversation, where a typed `ยกเลิก` would only end the
conversation. Once the scheduler has started queueing a notice it can no longer be cancelled.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from linebot.v3.messaging import (
    DatetimePickerAction,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexSeparator,
    FlexText,
    ImageMessage,
    LocationAction,
    LocationMessage,
    Message,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)
from linebot.v3.webhooks import ImageMessageContent, LocationMessageContent
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot import outbox
from handlers.thaitime import (
    format_when_in,
    from_picker_value,
    parse_when,
    to_picker_value,
    too_far_ahead,
)
from handlers import pickers
from handlers.catalog import CATALOGUES, text_for
from handlers.context import SKIP_WORDS as COMMON_SKIP_WORDS
from handlers.context import Context, Turn, button_label, command_refusal, record_id
from handlers.registry import ChatKind, Role, clean, command, normalize, postback, step, word_in
from handlers.rotation import actor_name
from handlers.services import notices as svc
from handlers.services import registry as reg
from models import (
    AckKind,
    Community,
    Conversation,
    Network,
    Notice,
    NoticeAck,
    NoticeScope,
    NoticeStatus,
    Organization,
    Person,
    RoleFilter,
    RoleName,
)

FLOW = "notice"
HELP_FLOW = "alert_help"
QUICK_LIMIT = 12          # quick replies besides the cancel button (LINE allows 13)
SNIPPET = 40
NEWS_TEXT_LIMIT = 500
ALT_TEXT_LIMIT = 400
STATUS_LIMIT = 3
PENDING_NAMES = 30
COMMUNITY_LINES = 20   # per notice in the status reply; the rest are summed in one line
LOCATION_LIMIT = 100      # LINE: a location message's title and address
SKIP_WORDS = COMMON_SKIP_WORDS | {"no"}
NOW_WORDS = frozenset({"ส่งทันที", "ทันที", "ตอนนี้", "now", "send now", "right now"})
IMAGE_URL = re.compile(r"https://\S+\.(?:jpe?g|png)(?:\?\S*)?", re.IGNORECASE)
LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)  # a link, but not one LINE can show as a picture
ACCENT = "#06C755"
URGENT = "#D93025"
ONLY_1_1 = frozenset({ChatKind.USER})


class Step(StrEnum):
    SCOPE = "awaiting_scope"
    TARGET = "awaiting_target"
    ROLES = "awaiting_roles"
    TEXT = "awaiting_text"
    ATTACHMENT = "awaiting_attachment"
    WHEN = "awaiting_when"
    CONFIRM = "awaiting_confirm"


class HelpStep(StrEnum):
    LOCATION = "awaiting_location"


SCOPE_KINDS = (NoticeScope.ORGANIZATION, NoticeScope.NETWORK, NoticeScope.COMMUNITY)
ROLE_CHOICES = (RoleFilter.EVERYONE, RoleFilter.LEADERS, RoleFilter.COMMITTEE, RoleFilter.PARTNERS)


# --- what a sender may address --------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    kind: NoticeScope
    id: int
    name: str
    organization_id: int

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


def targets(ctx: Context) -> list[Target]:
    """Staff: their organization, its networks and communities; chairs: their networks and those
    networks' communities; leaders: their communities. Networks and communities by name."""
    session = ctx.session
    organizations: dict[int, Organization] = {}
    networks: dict[int, Network] = {}
    communities: dict[int, Community] = {}
    for m in ctx.memberships:
        if m.role == RoleName.STAFF:
            organizations[m.organization_id] = session.get(Organization, m.organization_id)
            networks.update((n.id, n) for n in session.scalars(
                select(Network).where(Network.organization_id == m.organization_id)))
            communities.update((c.id, c) for c in session.scalars(
                select(Community).where(Community.organization_id == m.organization_id)))
        elif m.role == RoleName.NETWORK_CHAIR and m.network_id:
            network = session.get(Network, m.network_id)
            networks[network.id] = network
            communities.update((c.id, c) for c in reg.network_communities(session, network))
        elif m.role == RoleName.COMMUNITY_LEADER and m.community_id:
            communities[m.community_id] = session.get(Community, m.community_id)
    found = [Target(NoticeScope.ORGANIZATION, o.id, o.name, o.id) for o in sorted(organizations.values(),
                                                                                   key=lambda o: o.id)]
    found += [Target(NoticeScope.NETWORK, n.id, n.name, n.organization_id)
              for n in sorted(networks.values(), key=lambda n: (n.name, n.id))]
    found += [Target(NoticeScope.COMMUNITY, c.id, c.name, c.organization_id)
              for c in sorted(communities.values(), key=lambda c: (c.name, c.id))]
    return found


def _of_kind(found: Sequence[Target], kind: NoticeScope) -> list[Target]:
    return [t for t in found if t.kind == kind]


def _match_target(ctx: Context, text: str, allowed: Sequence[Target]) -> Target | None:
    """A typed network or community name among the sender's targets, forgiving spacing and small typos."""
    key = reg.name_key(text)
    if not key:
        return None
    exact = [t for t in allowed if reg.name_key(t.name) == key]
    if len(exact) == 1:
        return exact[0]
    match = reg.match_chat_target(ctx.session, text, {t.organization_id for t in allowed})
    if match.found is None:
        return None
    kind = NoticeScope.COMMUNITY if isinstance(match.found, Community) else NoticeScope.NETWORK
    return next((t for t in allowed if (t.kind, t.id) == (kind, match.found.id)), None)


def _label_is(ctx: Context, text: str, key: str) -> bool:
    """Whether the answer is a button's label, in either language, forgiving case, width, spacing and a polite
    ending ("ส่งครับ")."""
    return word_in(text, {normalize(catalogue[key]) for catalogue in CATALOGUES.values()}) is not None


# --- prompts ------------------------------------------------------------------------------------

def _say(ctx: Context, text: str, quick: Sequence[tuple[str, str]] = (), *, location: bool = False,
         picker: bool = False, cancel: bool = True) -> TextMessage:
    """A text with quick replies: a location or datetime-picker button, texts, then cancel."""
    items: list[QuickReplyItem] = []
    if location:
        items.append(QuickReplyItem(action=LocationAction(label=ctx.t("notice.location_label"))))
    if picker:
        earliest = to_picker_value(ctx.now)
        items.append(QuickReplyItem(action=DatetimePickerAction(
            label=ctx.t("notice.picker_label"), data="a=flow", mode="datetime", initial=earliest, min=earliest)))
    buttons = list(quick)[:QUICK_LIMIT - len(items)]
    if cancel:
        buttons.append((ctx.t("flow.cancel_label"), ctx.t("flow.cancel_label")))
    items.extend(QuickReplyItem(action=MessageAction(label=button_label(label), text=value)) for label, value in buttons)
    return TextMessage(text=text, quickReply=QuickReply(items=items) if items else None)


def _short(text: str, limit: int = SNIPPET) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _clip(text: str, limit: int = NEWS_TEXT_LIMIT) -> str:
    """The text as written (line breaks kept), cut to `limit` characters."""
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


# --- compose ------------------------------------------------------------------------------------

@command("ประกาศ", "announce", chats=ONLY_1_1, min_role=Role.COMMUNITY_LEADER)
def announce(ctx: Context) -> Turn:
    """ส่งประกาศถึงสมาชิก พร้อมปุ่มรับทราบ / Send a notice with an acknowledge button"""
    return _start(ctx, urgent=False)


@command("แจ้งเตือนด่วน", "alert", chats=ONLY_1_1, min_role=Role.STAFF)
def alert(ctx: Context) -> Turn:
    """แจ้งเตือนด่วน ส่งทันทีพร้อมปุ่มปลอดภัย/ขอความช่วยเหลือ / Urgent alert: sent at once, with safe / need help"""
    return _start(ctx, urgent=True)


def _start(ctx: Context, urgent: bool) -> Turn:
    found = targets(ctx)
    if not found:
        return Turn([ctx.text("notice.no_scope")])
    ctx.data = {"urgent": urgent}
    if ctx.args:
        target = _match_target(ctx, ctx.args, found)
        if target is None:
            return _ask_scope(ctx, found, ctx.t("notice.scope_unknown", text=_short(ctx.args)))
        return _took_target(ctx, target)
    return _ask_scope(ctx, found)


def _ask_scope(ctx: Context, found: list[Target], prefix: str | None = None) -> Turn:
    kinds = [kind for kind in SCOPE_KINDS if _of_kind(found, kind)]
    if len(kinds) == 1 and prefix is None:
        return _ask_target(ctx, kinds[0], found)
    intro = ctx.t("alert.ask_scope" if ctx.data.get("urgent") else "notice.ask_scope")
    text = f"{prefix}\n{intro}" if prefix else intro
    quick = [(ctx.t(f"notice.scope.{kind}"),) * 2 for kind in kinds]
    return Turn([_say(ctx, text, quick)], flow=FLOW, step=Step.SCOPE, data=ctx.data, private=True)


def _ask_target(ctx: Context, kind: NoticeScope, found: list[Target], prefix: str | None = None) -> Turn:
    of_kind = _of_kind(found, kind)
    if len(of_kind) == 1 and prefix is None:
        return _took_target(ctx, of_kind[0])
    ctx.data["kind"] = str(kind)
    if kind == NoticeScope.COMMUNITY:  # staff: 38 communities, zone first (handlers/pickers.py)
        quick, where = pickers.community_buttons(ctx, _communities_of(ctx, of_kind))
    else:
        quick, where = [(t.name, t.name) for t in of_kind[:QUICK_LIMIT]], None
    text = "\n".join(part for part in (prefix, where, ctx.t(f"notice.ask_{kind}")) if part)
    return Turn([_say(ctx, text, quick)], flow=FLOW, step=Step.TARGET, data=ctx.data, private=True)


def _communities_of(ctx: Context, found: list[Target]) -> list[Community]:
    return [c for c in (ctx.session.get(Community, t.id) for t in found) if c is not None]


@step(FLOW, Step.SCOPE)
def notice_scope(ctx: Context) -> Turn:
    found = targets(ctx)
    answer = ctx.args.strip()
    for kind in SCOPE_KINDS:
        if _label_is(ctx, answer, f"notice.scope.{kind}") and _of_kind(found, kind):
            return _ask_target(ctx, kind, found)
    target = _match_target(ctx, answer, found) if ctx.message is None else None
    if target is None:
        return _ask_scope(ctx, found, ctx.t("notice.scope_unknown", text=_short(answer) or "-"))
    return _took_target(ctx, target)


@step(FLOW, Step.TARGET)
def notice_target(ctx: Context) -> Turn:
    found = targets(ctx)
    kind = NoticeScope(ctx.data["kind"])
    answer = ctx.args.strip()
    if kind == NoticeScope.COMMUNITY and ctx.message is None and \
            pickers.browse(ctx, _communities_of(ctx, _of_kind(found, kind))):
        return _ask_target(ctx, kind, found)
    target = _match_target(ctx, answer, _of_kind(found, kind)) if ctx.message is None else None
    if target is None:
        return _ask_target(ctx, kind, found, ctx.t("notice.scope_unknown", text=_short(answer) or "-"))
    return _took_target(ctx, target)


def _took_target(ctx: Context, target: Target) -> Turn:
    ctx.data.pop("kind", None)
    refusal = _no_line_there(ctx, target)
    if refusal is not None:
        # Said now, not after the text is written: another audience, or telling them in person.
        others = [t for t in targets(ctx) if t.key != target.key]
        if not others:
            return Turn([ctx.text_message(refusal)])
        return _ask_scope(ctx, others, refusal)
    ctx.data.update(scope=str(target.kind), target_id=target.id, organization_id=target.organization_id)
    if ctx.data.get("urgent"):
        ctx.data["role"] = str(RoleFilter.EVERYONE)
        return _ask_text(ctx, ctx.t("notice.target_set", target=_target_text(ctx, target)))
    return _ask_roles(ctx, target)


def _no_line_there(ctx: Context, target: Target, role: RoleFilter = RoleFilter.EVERYONE) -> str | None:
    """Why nothing can be sent to this audience (narrowed to a role), when nobody in it (besides the sender)
    is on LINE with Saiyai: named, with its members without LINE if there are some to tell in person; None
    otherwise."""
    audience = svc.Audience(target.organization_id, target.kind,
                            network_id=target.id if target.kind == NoticeScope.NETWORK else None,
                            community_id=target.id if target.kind == NoticeScope.COMMUNITY else None,
                            role_filter=role, author_id=ctx.person.id if ctx.person else None)
    if svc.plan(ctx.session, audience, ctx.now).people:
        return None
    offline = _offline_line(ctx, audience)
    if role == RoleFilter.EVERYONE:
        text = ctx.t("notice.scope_no_line", target=_target_text(ctx, target))
    else:
        text = ctx.t("notice.role_no_line", role=ctx.t(f"notice.role.{role}"), target=_target_text(ctx, target))
    return f"{text}\n{offline}" if offline else text


def _target_text(ctx: Context, target: Target) -> str:
    return ctx.t(f"notice.target.{target.kind}", name=target.name)


def _ask_roles(ctx: Context, target: Target, prefix: str | None = None) -> Turn:
    text = ctx.t("notice.ask_roles", target=_target_text(ctx, target))
    quick = [(ctx.t(f"notice.role.{role}"),) * 2 for role in ROLE_CHOICES]
    return Turn([_say(ctx, f"{prefix}\n{text}" if prefix else text, quick)],
                flow=FLOW, step=Step.ROLES, data=ctx.data, private=True)


def _chosen_target(ctx: Context) -> Target | None:
    """The target the conversation chose, if the sender may still address it."""
    key = f"{ctx.data['scope']}:{ctx.data['target_id']}"
    return next((t for t in targets(ctx) if t.key == key), None)


@step(FLOW, Step.ROLES)
def notice_roles(ctx: Context) -> Turn:
    target = _chosen_target(ctx)
    if target is None:
        return Turn([ctx.text("notice.scope_gone")])
    role = next((r for r in ROLE_CHOICES if _label_is(ctx, ctx.args, f"notice.role.{r}")), None)
    if role is None:
        return _ask_roles(ctx, target, ctx.t("notice.roles_unknown"))
    refusal = _no_line_there(ctx, target, role)
    if refusal is not None:  # said now, not after the text is written
        return _ask_roles(ctx, target, refusal)
    ctx.data["role"] = str(role)
    return _ask_text(ctx)


def _ask_text(ctx: Context, prefix: str | None = None) -> Turn:
    text = ctx.t("notice.ask_text", limit=svc.TEXT_LIMIT)
    return Turn([_say(ctx, f"{prefix}\n{text}" if prefix else text)], flow=FLOW, step=Step.TEXT,
                data=ctx.data, private=True)


@step(FLOW, Step.TEXT)
def notice_text(ctx: Context) -> Turn:
    # Each line cleaned as the dispatcher cleans answers, but the line breaks kept: they belong to a notice.
    raw = getattr(getattr(ctx.event, "message", None), "text", None)
    text = "\n".join(clean(line) for line in raw.splitlines()).strip() if isinstance(raw, str) else ctx.args
    if ctx.message is not None or not any(ch.isalnum() for ch in text) or len(text) > svc.TEXT_LIMIT:
        return Turn([_say(ctx, ctx.t("notice.text_invalid", limit=svc.TEXT_LIMIT))], step=Step.TEXT)
    ctx.data["text"] = text
    return _ask_attachment(ctx)


def _ask_attachment(ctx: Context, key: str = "notice.ask_attachment") -> Turn:
    return Turn([_say(ctx, ctx.t(key), [(ctx.t("notice.skip"),) * 2], location=True)], step=Step.ATTACHMENT)


@step(FLOW, Step.ATTACHMENT)
def notice_attachment(ctx: Context) -> Turn:
    message = ctx.message
    if isinstance(message, LocationMessageContent):
        ctx.data["attachment"] = {
            "location_title": _short(message.title or ctx.t("notice.pinned_location"), LOCATION_LIMIT - 1),
            "location_address": _short(message.address or f"{message.latitude:.5f}, {message.longitude:.5f}",
                                       LOCATION_LIMIT - 1),
            "latitude": message.latitude, "longitude": message.longitude}
    elif isinstance(message, ImageMessageContent):
        return _ask_attachment(ctx, "notice.image_note")
    elif message is not None:
        return _ask_attachment(ctx, "notice.attachment_invalid")
    elif ctx.means(SKIP_WORDS):
        ctx.data["attachment"] = None
    elif IMAGE_URL.fullmatch(ctx.args.strip()):
        ctx.data["attachment"] = {"image_url": ctx.args.strip()}
    elif LINK.fullmatch(ctx.args.strip()):
        return _ask_attachment(ctx, "notice.image_link_invalid")
    else:
        return _ask_attachment(ctx, "notice.attachment_invalid")
    if ctx.data.get("urgent"):
        ctx.data["send_at"] = None
        return _preview(ctx)
    return _ask_when(ctx)


def _ask_when(ctx: Context, prefix: str | None = None) -> Turn:
    text = ctx.t("notice.ask_when")
    return Turn([_say(ctx, f"{prefix}\n{text}" if prefix else text, [(ctx.t("notice.now"),) * 2], picker=True)],
                step=Step.WHEN)


@step(FLOW, Step.WHEN)
def notice_when(ctx: Context) -> Turn:
    picked = ctx.params.get("datetime")
    answer = ctx.args.strip()
    if picked is None and word_in(answer, NOW_WORDS):
        ctx.data["send_at"] = None
        return _preview(ctx)
    when = from_picker_value(picked) if picked is not None else (parse_when(answer, ctx.now) if answer else None)
    if when is None:
        return _ask_when(ctx, ctx.t("notice.when_unknown", text=_short(picked or answer) or "-"))
    if when <= ctx.now:
        return _ask_when(ctx, ctx.t("notice.when_past", when=format_when_in(ctx.lang, when)))
    if too_far_ahead(when, ctx.now):
        return _ask_when(ctx, ctx.t("notice.when_too_far", when=format_when_in(ctx.lang, when)))
    ctx.data["send_at"] = when.isoformat()
    return _preview(ctx)


def _audience(ctx: Context) -> svc.Audience:
    scope = NoticeScope(ctx.data["scope"])
    return svc.Audience(
        organization_id=ctx.data["organization_id"], scope=scope,
        network_id=ctx.data["target_id"] if scope == NoticeScope.NETWORK else None,
        community_id=ctx.data["target_id"] if scope == NoticeScope.COMMUNITY else None,
        role_filter=RoleFilter(ctx.data["role"]), author_id=ctx.person.id if ctx.person else None)


def _send_at(ctx: Context) -> datetime | None:
    return datetime.fromisoformat(ctx.data["send_at"]) if ctx.data.get("send_at") else None


def _preview(ctx: Context) -> Turn:
    target = _chosen_target(ctx)
    if target is None:
        return Turn([ctx.text("notice.scope_gone")])
    urgent = bool(ctx.data.get("urgent"))
    audience = _audience(ctx)
    planned = svc.plan(ctx.session, audience, ctx.now)
    offline = _offline_line(ctx, audience)
    if planned.people == 0:
        nobody = ctx.t("notice.nobody", target=_target_text(ctx, target))
        return Turn([ctx.text_message(f"{nobody}\n{offline}" if offline else nobody)])
    t = ctx.t
    lines = [t("alert.preview_header" if urgent else "notice.preview_header"),
             t("notice.preview_to", roles=t(f"notice.role.{audience.role_filter}"),
               target=_target_text(ctx, target)),
             t("notice.preview_text", text=ctx.data["text"])]
    attachment = ctx.data.get("attachment") or {}
    if attachment.get("image_url"):
        lines.append(t("notice.preview_image", url=attachment["image_url"]))
    if attachment.get("latitude") is not None:
        lines.append(t("notice.preview_location", place=attachment["location_title"]))
    send_at = _send_at(ctx)
    if urgent:
        lines.append(t("alert.preview_when"))
    elif outbox.in_quiet_hours(send_at or ctx.now):
        # One line saying when it really goes out (07:00) and why: never "now" beside "it waits".
        moment = outbox.after_quiet_hours(send_at or ctx.now)
        lines.append(t("notice.preview_quiet", when=format_when_in(ctx.lang, moment)))
    else:
        lines.append(t("notice.preview_when", when=format_when_in(ctx.lang, send_at)) if send_at
                     else t("notice.preview_now"))
    if planned.via_groups:
        lines.append(t("notice.preview_groups", people=f"{planned.people:,}", groups=len(planned.groups)))
        if planned.estimated:
            lines.append(t("notice.preview_estimated"))
    else:
        lines.append(t("notice.preview_people", people=f"{planned.people:,}"))
    if offline:
        lines.append(offline)
    lines.extend(_cost_lines(ctx, planned.cost))
    quick = [(t("notice.send"),) * 2]
    if not urgent:
        lines.append(t("notice.preview_nudge", hours=svc.DEFAULT_NUDGE_HOURS))
        quick.append((t("notice.send_no_nudge"),) * 2)
    return Turn([_say(ctx, "\n".join(lines), quick)], step=Step.CONFIRM)


OFFLINE_NAMES = 10  # members without LINE named in a preview; an alert's status lists up to OFFLINE_LINES
OFFLINE_LINES = 30


def _offline_line(ctx: Context, audience: svc.Audience) -> str | None:
    """Members of the audience without LINE, named: Saiyai cannot reach them, the sender tells them."""
    count, people = svc.without_line(ctx.session, audience, OFFLINE_NAMES)
    if not count:
        return None
    names = ", ".join(_name(p) for p in people) + ("…" if count > len(people) else "")
    return ctx.t("notice.preview_offline", count=count, names=names)


def _cost_lines(ctx: Context, cost: int) -> list[str]:
    blocked = outbox.quota_blocked_until(ctx.session, ctx.now)
    quota = svc.cached_quota(ctx.session, ctx.now)
    if quota is None:
        lines = [ctx.t("notice.preview_cost_unknown", cost=f"{cost:,}")]
    elif quota.limit is None:
        lines = [ctx.t("notice.preview_cost_unlimited", cost=f"{cost:,}")]
    else:
        lines = [ctx.t("notice.preview_cost", cost=f"{cost:,}", remaining=f"{quota.remaining:,}",
                       limit=f"{quota.limit:,}", time=f"{quota.as_of.astimezone(ctx.now.tzinfo):%H:%M}")]
        if cost > quota.remaining and blocked is None:
            lines.append(ctx.t("notice.preview_over_quota", remaining=f"{quota.remaining:,}"))
    if blocked is not None:
        lines.append(ctx.t("notice.preview_blocked", until=format_when_in(ctx.lang, blocked)))
    return lines


@step(FLOW, Step.CONFIRM)
def notice_confirm(ctx: Context) -> Turn:
    answer = ctx.args.strip()
    urgent = bool(ctx.data.get("urgent"))
    no_nudge = not urgent and _label_is(ctx, answer, "notice.send_no_nudge")
    if not (no_nudge or _label_is(ctx, answer, "notice.send") or word_in(answer, {"ยืนยัน", "confirm", "ok"})):
        quick = [(ctx.t("notice.send"),) * 2] + ([] if urgent else [(ctx.t("notice.send_no_nudge"),) * 2])
        return Turn([_say(ctx, ctx.t("notice.confirm_again"), quick)], step=Step.CONFIRM)
    target = _chosen_target(ctx)
    if target is None:  # the role was taken away while the sender was writing
        return Turn([ctx.text("notice.scope_gone")])
    send_at = _send_at(ctx)
    if send_at is not None and send_at <= ctx.now:  # the conversation waited past the chosen time
        return _ask_when(ctx, ctx.t("notice.when_past", when=format_when_in(ctx.lang, send_at)))
    held = not urgent and outbox.in_quiet_hours(send_at or ctx.now)
    if held:
        # The outbox would hold it until 07:00 anyway (quiet hours). Scheduled for then, it can still be
        # cancelled overnight, and its status says when it goes out rather than "sending" all night.
        send_at = outbox.after_quiet_hours(send_at or ctx.now)
    audience = _audience(ctx)
    planned = svc.plan(ctx.session, audience, ctx.now)
    notice = svc.create_notice(ctx.session, audience, text=ctx.data["text"], now=ctx.now, send_at=send_at,
                               urgent=urgent, nudge_after_hours=None if no_nudge else svc.DEFAULT_NUDGE_HOURS,
                               attachment=ctx.data.get("attachment"), planned=planned)
    if urgent:
        return Turn([ctx.text("alert.queued", people=f"{notice.recipients:,}")])
    if send_at is not None:
        text = ctx.t("notice.scheduled", when=format_when_in(ctx.lang, send_at), people=f"{notice.recipients:,}",
                     number=notice.id, keyword=_cancel_keyword(ctx))
        if held:
            text = ctx.t("notice.held_for_quiet_hours") + "\n" + text
        button = _cancel_button(ctx, notice, ctx.t("notice.cancel_this"))
        return Turn([TextMessage(text=text, quickReply=QuickReply(items=[button]))])
    return Turn([ctx.text("notice.queued", people=f"{notice.recipients:,}")])


# --- the notice as LINE shows it ----------------------------------------------------------------

def notice_messages(session: Session, notice: Notice, lang: str, *, nudge: bool = False) -> list[Message]:
    """The card with its buttons (รับทราบ, or ปลอดภัย / ต้องการความช่วยเหลือ), then any image or location."""
    def t(key: str, **values: object) -> str:
        return text_for(lang, key, **values)

    organization = session.get(Organization, notice.organization_id)
    header = t("alert.card_header" if notice.urgent else "notice.card_header", org=organization.name)
    body: list[Any] = [FlexText(text=header, weight="bold", size="md", wrap=True,
                                color=URGENT if notice.urgent else ACCENT)]
    if nudge:
        body.append(FlexText(text=t("notice.card_nudge"), size="xs", wrap=True, color=URGENT))
    body += [FlexSeparator(margin="md"), FlexText(text=notice.text, size="md", wrap=True, margin="md")]
    if notice.urgent:
        buttons = [_button(t("alert.safe_button"), f"a=alert&n={notice.id}&v=safe", t("alert.safe_display"),
                           "primary", ACCENT),
                   _button(t("alert.help_button"), f"a=alert&n={notice.id}&v=need_help", t("alert.help_display"),
                           "primary", URGENT)]
    else:
        buttons = [_button(t("notice.ack_button"), f"a=ack&n={notice.id}", t("notice.ack_display"), "primary",
                           ACCENT)]
    alt = t("alert.alt" if notice.urgent else "notice.alt", text=_short(notice.text, 200))
    messages: list[Message] = [FlexMessage(
        alt_text=alt[:ALT_TEXT_LIMIT],
        contents=FlexBubble(body=FlexBox(layout="vertical", contents=body),
                            footer=FlexBox(layout="vertical", spacing="sm", contents=buttons)))]
    if notice.image_url:
        messages.append(ImageMessage(original_content_url=notice.image_url, preview_image_url=notice.image_url))
    if notice.latitude is not None and notice.longitude is not None:
        messages.append(LocationMessage(title=notice.location_title or t("notice.pinned_location"),
                                        address=notice.location_address or "-",
                                        latitude=notice.latitude, longitude=notice.longitude))
    return messages


def nudge_messages(session: Session, notice: Notice, lang: str) -> list[Message]:
    return notice_messages(session, notice, lang, nudge=True)[:1]


def _button(label: str, data: str, display: str, style: str, color: str) -> FlexButton:
    return FlexButton(style=style, height="sm", color=color,
                      action=PostbackAction(label=label, data=data, display_text=display))


# --- answers ------------------------------------------------------------------------------------

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


# --- status -------------------------------------------------------------------------------------

def _rate(part: int, whole: int) -> str:
    return f"{part * 100 // whole}%" if whole else "-"


def _state(ctx: Context, notice: Notice) -> str:
    status = NoticeStatus(notice.status)
    if status == NoticeStatus.SCHEDULED:
        return ctx.t("notice.state.scheduled", when=format_when_in(ctx.lang, notice.send_at))
    if status == NoticeStatus.SENT:
        return ctx.t("notice.state.sent", when=format_when_in(ctx.lang, notice.sent_at or notice.send_at))
    return ctx.t(f"notice.state.{status}")


@command("ประกาศ สถานะ", "notice status", chats=ONLY_1_1, min_role=Role.COMMUNITY_LEADER)
def notice_status(ctx: Context) -> list[Message]:
    """ดูว่าใครรับทราบประกาศล่าสุดแล้วบ้าง / See who acknowledged the latest notices"""
    notices = svc.visible_notices(ctx.session, ctx.memberships, ctx.person, urgent=False, limit=STATUS_LIMIT)
    if not notices:
        return [ctx.text("notice.status_none")]
    blocks = [ctx.t("notice.status_header")]
    for notice in notices:
        lines = [ctx.t("notice.status_item", text=_short(notice.text), state=_state(ctx, notice))]
        if notice.status in svc.SHOWN:
            if notice.status != NoticeStatus.SENT:
                # Counted from its outbox rows, which are purged a month after they settle: only while
                # the notice is going out or stopped (a sent one reported any failure when it settled).
                sent = svc.delivery(ctx.session, notice, ctx.now)
                lines.append(ctx.t("notice.status_delivery", delivered=f"{sent.delivered:,}",
                                   total=f"{sent.total:,}"))
                if notice.status == NoticeStatus.STOPPED:
                    lines.append(ctx.t("notice.status_stopped", missing=f"{sent.missing:,}"))
            rows = svc.tally(ctx.session, notice)
            for row in rows[:COMMUNITY_LINES]:
                lines.append(ctx.t("notice.status_community", community=_community_label(ctx, row),
                                   acked=row.acknowledged, expected=row.expected,
                                   rate=_rate(row.acknowledged, row.expected)))
            rest = rows[COMMUNITY_LINES:]
            if rest:  # a district-wide notice: the first communities by name, the others summed up
                acked, expected = sum(r.acknowledged for r in rest), sum(r.expected for r in rest)
                lines.append(ctx.t("notice.status_other_communities", count=len(rest), acked=acked,
                                   expected=expected, rate=_rate(acked, expected)))
            if ctx.person is not None and notice.author_id == ctx.person.id:
                names, count = svc.unanswered(ctx.session, notice, PENDING_NAMES)
                if count == 0:
                    # Nobody left to expect (every recipient erased their data) is not "everyone acknowledged".
                    if any(row.expected for row in rows):
                        lines.append(ctx.t("notice.status_all_acked"))
                else:
                    more = ctx.t("notice.status_more", count=count - len(names)) if count > len(names) else ""
                    lines.append(ctx.t("notice.status_pending", count=count, names=", ".join(names)) + more)
        blocks.append("\n".join(lines))
    return [ctx.text_message("\n\n".join(blocks))]


def _community_label(ctx: Context, row: svc.CommunityTally) -> str:
    return row.name if row.name is not None else ctx.t("notice.no_community")


@command("แจ้งเตือนด่วน สถานะ", "alert status", chats=ONLY_1_1, min_role=Role.STAFF)
def alert_status(ctx: Context) -> list[Message]:
    """ดูคำตอบของแจ้งเตือนด่วนล่าสุดแยกตามชุมชน / See the answers to the latest alert by community"""
    found = svc.visible_notices(ctx.session, ctx.memberships, ctx.person, urgent=True, limit=1)
    if not found:
        return [ctx.text("alert.status_none")]
    notice = found[0]
    lines = [ctx.t("alert.status_header", text=_short(notice.text), when=format_when_in(ctx.lang, notice.send_at))]
    rows = svc.tally(ctx.session, notice)
    # Communities with people asking for help or not answering come first: that is where to go.
    rows.sort(key=lambda r: (-r.need_help, -(r.expected - r.safe - r.need_help)))
    for row in rows[:COMMUNITY_LINES]:
        lines.append(ctx.t("alert.status_community", community=_community_label(ctx, row), safe=row.safe,
                           help=row.need_help, silent=row.expected - row.safe - row.need_help))
    if len(rows) > COMMUNITY_LINES:
        lines.append(ctx.t("alert.status_other_communities", count=len(rows) - COMMUNITY_LINES))
    safe, helped = sum(r.safe for r in rows), sum(r.need_help for r in rows)
    silent = sum(r.expected - r.safe - r.need_help for r in rows)
    lines.append(ctx.t("alert.status_total", safe=safe, help=helped, silent=silent))
    for person, ack, community in svc.need_help(ctx.session, notice):
        leader = ctx.session.get(Person, ack.proxy_by_id) if ack.proxy_by_id is not None else None
        proxy = proxy_label(ctx.lang, leader)
        located = ack.latitude is not None and ack.longitude is not None
        if located:
            where = ctx.t("alert.status_map", lat=f"{ack.latitude:.5f}", lng=f"{ack.longitude:.5f}")
        elif ack.proxy_by_id is not None:  # answered for by phone: no location will ever come
            where = ctx.t("alert.status_proxy_where", leader=proxy)
        else:
            where = ctx.t("alert.status_no_location")
        line = ctx.t("alert.status_help_line", name=_name(person), community=community or ctx.t("notice.no_community"),
                     phone=person.phone or ctx.t("alert.no_phone"), where=where)
        if ack.proxy_by_id is not None and located:
            line += ctx.t("alert.status_by_proxy", leader=proxy)
        lines.append(line)
    # Members without LINE a leader phoned and answered for: counted above, named here with who answered.
    for person, _ack, community, leader in svc.answered_for(ctx.session, notice, AckKind.SAFE, OFFLINE_LINES):
        lines.append(ctx.t("alert.status_proxy_safe_line", name=_name(person),
                           community=community or ctx.t("notice.no_community"))
                     + ctx.t("alert.status_by_proxy", leader=proxy_label(ctx.lang, leader)))
    # Members without LINE got nothing and cannot answer: staff (or their leaders) check on them in person
    # and answer for them; those already answered for are not listed again.
    count, offline = svc.without_line(ctx.session, svc.Audience.of(notice), OFFLINE_LINES,
                                      unanswered_notice=notice.id)
    if count:
        lines.append(ctx.t("alert.status_offline", count=count))
        for person in offline:
            community = reg.member_community(ctx.session, person)
            lines.append(ctx.t("alert.status_offline_line", name=_name(person),
                               community=community.name if community else ctx.t("notice.no_community"),
                               phone=person.phone or ctx.t("alert.no_phone")))
        if count > len(offline):
            lines.append(ctx.t("alert.status_offline_more", count=count - len(offline)))
        example = _name(offline[0])
        lines.append(ctx.t("alert.offline_note_how", safe=ctx.t("alert.proxy_safe_command", name=example),
                           help=ctx.t("alert.proxy_help_command", name=example)))
    return [ctx.text_message("\n".join(lines))]


# --- cancel a scheduled notice ------------------------------------------------------------------

CANCEL_LIST_LIMIT = 12  # one quick-reply button per notice (LINE allows 13)
NUMBER = re.compile(r"(?:เลขที่|เลข|no\.?|number)?\s*#?\s*(\d{1,9})", re.IGNORECASE)


@command("ยกเลิกประกาศ", "ยกเลิก ประกาศ", "cancel notice", chats=ONLY_1_1, min_role=Role.COMMUNITY_LEADER)
def cancel_notice(ctx: Context) -> list[Message]:
    """ยกเลิกประกาศที่ตั้งเวลาไว้ก่อนถึงเวลาส่ง / Cancel a scheduled notice before it goes out"""
    if not ctx.args:
        return [_cancellable_list(ctx)]
    found = NUMBER.fullmatch(ctx.args.translate(reg.THAI_DIGITS))
    if found is None:
        return [ctx.text("notice.cancel_usage", keyword=_cancel_keyword(ctx))]
    notice = ctx.session.get(Notice, int(found.group(1)))
    if notice is None:
        return [ctx.text("notice.cancel_unknown", number=int(found.group(1)), keyword=_cancel_keyword(ctx))]
    return [_ask_cancel(ctx, notice)]


def _cancel_spec(ctx: Context) -> Any:
    """The registered `cancel notice` command."""
    return ctx.registry.spec_of(cancel_notice)


def _cancel_keyword(ctx: Context) -> str:
    """The cancel command as the sender would type it."""
    return _cancel_spec(ctx).keyword_for(ctx.lang)


def _quick_postback(ctx: Context, label: str, data: str, display: str) -> QuickReplyItem:
    """A quick-reply postback button that remembers the language it was shown in."""
    return QuickReplyItem(action=PostbackAction(label=button_label(label), data=f"{data}&l={ctx.lang}", display_text=display))


def _cancel_button(ctx: Context, notice: Notice, label: str) -> QuickReplyItem:
    return _quick_postback(ctx, label, f"a=notice_cancel_ask&n={notice.id}",
                           ctx.t("notice.cancel_choose_display", number=notice.id))


def _notice_target(ctx: Context, notice: Notice) -> str:
    scope = NoticeScope(notice.scope)
    model, ident = {NoticeScope.ORGANIZATION: (Organization, notice.organization_id),
                    NoticeScope.NETWORK: (Network, notice.network_id),
                    NoticeScope.COMMUNITY: (Community, notice.community_id)}[scope]
    place = ctx.session.get(model, ident) if ident is not None else None
    return ctx.t(f"notice.target.{scope}", name=place.name if place is not None else "-")


def _notice_lines(ctx: Context, notice: Notice) -> list[str]:
    """A scheduled notice in a few lines: number and send time, text, to whom, and its author if not the sender."""
    lines = [ctx.t("notice.cancel_item", number=notice.id, when=format_when_in(ctx.lang, notice.send_at),
                   text=_short(notice.text)),
             ctx.t("notice.preview_to", roles=ctx.t(f"notice.role.{notice.role_filter}"),
                   target=_notice_target(ctx, notice))]
    if ctx.person is None or notice.author_id != ctx.person.id:
        author = ctx.session.get(Person, notice.author_id) if notice.author_id else None
        lines.append(ctx.t("notice.cancel_author", name=_name(author) if author else "-"))
    return lines


def _cancellable_list(ctx: Context) -> Message:
    found, count = svc.cancellable(ctx.session, ctx.memberships, ctx.person, CANCEL_LIST_LIMIT)
    if not found:
        return ctx.text("notice.cancel_none")
    blocks = [ctx.t("notice.cancel_list_header", count=count)]
    blocks += ["\n".join(_notice_lines(ctx, notice)) for notice in found]
    if count > len(found):
        blocks.append(ctx.t("notice.cancel_list_more", count=count - len(found), limit=CANCEL_LIST_LIMIT))
    buttons = [_cancel_button(ctx, notice, ctx.t("notice.cancel_choose", number=notice.id)) for notice in found]
    return TextMessage(text="\n\n".join(blocks), quickReply=QuickReply(items=buttons))


def _cancel_refusal(ctx: Context, notice: Notice) -> Message | None:
    """Why the sender may not cancel this notice now (None when they may). Buttons get the checks the
    dispatcher gives the typed command, too: a stale or forwarded one is not a way around them."""
    refusal = command_refusal(ctx, _cancel_spec(ctx))
    if refusal is not None:
        return refusal
    if not svc.may_cancel(ctx.memberships, ctx.person, notice):
        return ctx.text("notice.cancel_not_yours", number=notice.id)
    status = NoticeStatus(notice.status)
    if status == NoticeStatus.CANCELLED:
        return ctx.text("notice.cancel_already", number=notice.id)
    if status == NoticeStatus.SENT:
        return ctx.text("notice.cancel_sent", number=notice.id,
                        when=format_when_in(ctx.lang, notice.sent_at or notice.send_at))
    if status != NoticeStatus.SCHEDULED:  # sending, or stopped part-way by LINE's quota
        return ctx.text("notice.cancel_sending", number=notice.id)
    return None


def _ask_cancel(ctx: Context, notice: Notice) -> Message:
    refusal = _cancel_refusal(ctx, notice)
    if refusal is not None:
        return refusal
    text = "\n".join([ctx.t("notice.ask_cancel"), *_notice_lines(ctx, notice),
                      ctx.t("notice.ask_cancel_note", people=f"{notice.recipients:,}")])
    buttons = [_quick_postback(ctx, ctx.t("notice.cancel_yes"), f"a=notice_cancel&n={notice.id}",
                               ctx.t("notice.cancel_yes_display", number=notice.id)),
               _quick_postback(ctx, ctx.t("notice.cancel_no"), f"a=notice_keep&n={notice.id}",
                               ctx.t("notice.cancel_no"))]
    return TextMessage(text=text, quickReply=QuickReply(items=buttons))


def _posted_notice(ctx: Context, *, lock: bool = False) -> Notice | None:
    """The notice a button names; locked and read afresh when it is about to change, so a cancel and
    the scheduler starting to queue it take turns (PostgreSQL) and the loser sees what the winner did."""
    ident = record_id(ctx.params.get("n"))
    if ident is None:
        return None
    if not lock:
        return ctx.session.get(Notice, ident)
    return ctx.session.scalars(select(Notice).where(Notice.id == ident).with_for_update()
                               .execution_options(populate_existing=True)).first()


@postback("notice_cancel_ask")
def notice_cancel_ask(ctx: Context) -> list[Message]:
    """A notice chosen from the cancel list (or the button under "scheduled"): ask to confirm."""
    ctx.use_button_lang()
    notice = _posted_notice(ctx)
    if notice is None:
        return [ctx.text("postback.unknown")]
    return [_ask_cancel(ctx, notice)]


@postback("notice_cancel")
def notice_cancel(ctx: Context) -> list[Message]:
    """ยืนยันยกเลิก: the notice is cancelled and its author told, if someone else cancelled it."""
    ctx.use_button_lang()
    notice = _posted_notice(ctx, lock=True)
    if notice is None:
        return [ctx.text("postback.unknown")]
    refusal = _cancel_refusal(ctx, notice)
    if refusal is not None:
        return [refusal]
    if not svc.cancel_notice(ctx.session, notice):  # the scheduler started it meanwhile
        return [_cancel_refusal(ctx, notice) or ctx.text("postback.unknown")]
    lines = [ctx.t("notice.cancelled", number=notice.id, text=_short(notice.text))]
    author = ctx.session.get(Person, notice.author_id) if notice.author_id else None
    if author is not None and author.reachable and (ctx.person is None or author.id != ctx.person.id):
        # Staff cancelled someone else's notice: its author would otherwise think it is still going out.
        lang = author.language if author.language in CATALOGUES else "th"
        outbox.enqueue(ctx.session, [author.line_user_id], [TextMessage(text=text_for(
            lang, "notice.cancelled_author", number=notice.id, text=_short(notice.text),
            when=format_when_in(lang, notice.send_at), name=_name(ctx.person) if ctx.person else "-"))],
            now=ctx.now, quiet_hours=True, dedupe_key=f"notice_cancelled:{notice.id}",
            topic=svc.topic_of(notice.id) + ":cancelled")
        lines.append(ctx.t("notice.cancel_author_told", name=_name(author)))
    return [ctx.text_message("\n".join(lines))]


@postback("notice_keep")
def notice_keep(ctx: Context) -> list[Message]:
    """ไม่ยกเลิก: nothing changes."""
    ctx.use_button_lang()
    notice = _posted_notice(ctx)
    if notice is None:
        return [ctx.text("postback.unknown")]
    return [ctx.text("notice.cancel_kept", number=notice.id)]


# --- news: pull instead of push -----------------------------------------------------------------

@command("ข่าว", "news")
def news(ctx: Context) -> list[Message]:
    """ดูประกาศล่าสุดของชุมชนและเครือข่ายของคุณ (ไม่เสียโควตา) / See the latest notices for your communities"""
    if ctx.chat_kind != ChatKind.USER:
        link = reg.chat_link(ctx.session, ctx.chat_id)
        if link is None:
            return [ctx.text("news.group_unlinked")]
        return _news_reply(ctx, svc.news_for_link(ctx.session, link), answered=set())
    if not reg.is_registered(ctx.person):
        return [ctx.text("news.unregistered")]
    found = svc.news_for(ctx.session, ctx.memberships)
    answered = set(ctx.session.scalars(select(NoticeAck.notice_id).where(
        NoticeAck.person_id == ctx.person.id, NoticeAck.notice_id.in_([n.id for n in found])))) \
        if found else set()
    return _news_reply(ctx, found, answered)


def _news_reply(ctx: Context, found: list[Notice], answered: set[int]) -> list[Message]:
    if not found:
        return [ctx.text("news.none")]
    lines = [ctx.t("news.header", count=len(found))]
    buttons: list[QuickReplyItem] = []
    for n, notice in enumerate(found, 1):
        key = "news.item_urgent" if notice.urgent else "news.item"
        mark = ctx.t("news.acknowledged") if notice.id in answered else ""
        lines.append(ctx.t(key, n=n, when=format_when_in(ctx.lang, notice.send_at), text=_clip(notice.text)) + mark)
        if ctx.chat_kind == ChatKind.USER and not notice.urgent and notice.id not in answered:
            label = ctx.t("news.ack_label", n=n)
            buttons.append(QuickReplyItem(action=PostbackAction(label=label, data=f"a=ack&n={notice.id}",
                                                                display_text=label)))
    return [TextMessage(text="\n\n".join(lines), quickReply=QuickReply(items=buttons) if buttons else None)]
