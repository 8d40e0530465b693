"""LINE groups: linking a group to a community or network, welcoming new members, leave and unfollow.

The greeting when the bot itself is added (`join`) and `follow` stay in handlers/help.py.
"""

from __future__ import annotations

from linebot.v3.messaging import Message

from handlers.context import Context
from handlers.registry import ChatKind, Role, command, on_event
from handlers.services import registry as reg
from models import ChatLink, Community, Network, RoleName

SUGGESTION_LIMIT = 6


@command("ผูกกลุ่ม", "link", chats={ChatKind.GROUP, ChatKind.ROOM}, min_role=Role.COMMUNITY_LEADER)
def link(ctx: Context) -> list[Message]:
    """ผูกกลุ่มนี้กับชุมชนหรือเครือข่ายที่คุณดูแล / Link this group to a community or network you look after"""
    text = ctx.args.strip()
    error = None
    if len(text) > reg.NAME_LIMIT:
        error = "link.too_long"
    elif not reg.name_key(text):  # nothing, or only "ชุมชน"
        error = "link.group_usage"
    elif not any(ch.isalpha() for ch in text):  # emoji, digits, punctuation
        error = "link.invalid"
    if error is not None:
        return [ctx.text(error, quick=_choices(ctx, _own_targets(ctx)))]

    match = reg.match_chat_target(ctx.session, text, reg.organizations_of(ctx.memberships))
    target = match.found
    if target is None:
        manageable = [t for t in match.suggestions if _may_link(ctx, t)]
        if manageable:
            return [ctx.text("link.suggest", text=_short(text), quick=_choices(ctx, manageable))]
        return [ctx.text("link.unknown", text=_short(text), quick=_choices(ctx, _own_targets(ctx)))]
    if not _may_link(ctx, target):
        return [ctx.text("link.not_yours", name=target.name, quick=_choices(ctx, _own_targets(ctx)))]

    current = reg.chat_link(ctx.session, ctx.chat_id)
    old = _linked_to(ctx, current)
    if old is not None and type(old) is type(target) and old.id == target.id:
        return [ctx.text("link.already", name=target.name)]
    reg.link_chat(ctx.session, ctx.chat_id, target, ctx.person, ctx.now)
    done = ctx.t("link.done_community" if isinstance(target, Community) else "link.done_network", name=target.name)
    if old is not None:
        done = ctx.t("link.moved_from", old=old.name) + "\n" + done
    return [ctx.text_message(done)]


def _may_link(ctx: Context, target: Community | Network) -> bool:
    """A leader links only its community; a chair its network or a community in it; staff anything in its org."""
    if isinstance(target, Community):
        return reg.can_manage_community(ctx.session, ctx.memberships, target)
    return reg.can_manage_network(ctx.memberships, target)


def _own_targets(ctx: Context) -> list[Community | Network]:
    """The communities a leader leads and the networks a chair chairs: likely answers, offered as buttons."""
    found: list[Community | Network] = []
    for m in ctx.memberships:
        if m.role == RoleName.COMMUNITY_LEADER and m.community_id:
            found.append(ctx.session.get(Community, m.community_id))
        elif m.role == RoleName.NETWORK_CHAIR and m.network_id:
            found.append(ctx.session.get(Network, m.network_id))
    return sorted({(type(t), t.id): t for t in found if t is not None}.values(), key=lambda t: t.name)


def _choices(ctx: Context, targets: list[Community | Network]) -> list[tuple[str, str]]:
    return [(t.name, ctx.t("link.retry_text", name=t.name)) for t in targets[:SUGGESTION_LIMIT]]


def _linked_to(ctx: Context, link: ChatLink | None) -> Community | Network | None:
    if link is None:
        return None
    if link.community_id:
        return ctx.session.get(Community, link.community_id)
    return ctx.session.get(Network, link.network_id) if link.network_id else None


@on_event("memberJoined")
def member_joined(ctx: Context) -> list[Message]:
    """Welcome people who joined a group, with a button that starts their registration (a free reply)."""
    link = reg.chat_link(ctx.session, ctx.chat_id)
    community = ctx.session.get(Community, link.community_id) if link and link.community_id else None
    button = [(ctx.t("welcome.register_label"), ctx.t("welcome.register_text"))]
    if community is not None:
        return [ctx.text("welcome.community", community=community.name, quick=button)]
    return [ctx.text("welcome.group", quick=button)]


@on_event("leave")
def leave(ctx: Context) -> list[Message]:
    """The bot was removed from a group: end its link so nothing is pushed there any more (no reply token)."""
    reg.end_chat_link(ctx.session, ctx.chat_id, ctx.now)
    return []


@on_event("unfollow")
def unfollow(ctx: Context) -> list[Message]:
    """The user blocked the bot: remember it, since LINE refuses pushes to them (no reply token)."""
    if ctx.person is not None:
        ctx.person.blocked_at = ctx.now
    return []


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"
