"""`ประกาศ` / `announce` and `แจ้งเตือนด่วน` / `alert`: the guided conversation from scope to preview and send."""

from __future__ import annotations

from datetime import datetime

from linebot.v3.messaging import QuickReply, TextMessage
from linebot.v3.webhooks import ImageMessageContent, LocationMessageContent

from bot import outbox
from handlers.thaitime import format_when_in, from_picker_value, parse_when, too_far_ahead
from handlers import pickers
from handlers.context import Context, Turn
from handlers.registry import Role, clean, command, step, word_in
from handlers.services import notices as svc
from models import Community, NoticeScope, RoleFilter
from handlers.notices.answers import _name
from handlers.notices.cancel import _cancel_button, _cancel_keyword
from handlers.notices.flow import (
    FLOW, IMAGE_URL, LINK, LOCATION_LIMIT, NOW_WORDS, ONLY_1_1, QUICK_LIMIT, ROLE_CHOICES, SCOPE_KINDS, SKIP_WORDS,
    Step, _say, _short,
)
from handlers.notices.targets import Target, _label_is, _match_target, _of_kind, targets


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
