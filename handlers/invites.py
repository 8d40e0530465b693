"""Invite codes from chat (`สร้างรหัส` / `invite`).

Staff create codes for network chairs and community leaders; a network chair creates codes for the
leaders of the communities in its networks. The person who gets the code sends `รหัส <code>` /
`join <code>` (handlers/registration.py) to take the role.

Only in the 1:1 chat: a code gives a role to whoever sends it first, so it is a secret and must not
be shown to everyone in a group (the dispatcher answers `command.wrong_chat_group` there).
"""

from __future__ import annotations

from collections.abc import Sequence

from linebot.v3.messaging import Message

from handlers.thaitime import format_when_in
from handlers.context import Context
from handlers.registry import ChatKind, Role, clean, command
from handlers.services import registry as reg
from models import Community, InviteCode, Network, RoleName

# The word after the command says which role the code gives. Thai is written without spaces
# ("ผู้นำชุมชนวัดบางนา"), so a Thai word may run straight into the name; English needs a space.
ROLE_WORDS = (
    (RoleName.COMMUNITY_LEADER, ("ผู้นำ", "leader")),
    (RoleName.NETWORK_CHAIR, ("ประธาน", "chair")),
)
QUICK_LIMIT = 12  # LINE allows 13 quick-reply buttons
ECHO_LIMIT = 40


@command("สร้างรหัส", "invite", chats={ChatKind.USER}, min_role=Role.NETWORK_CHAIR)
def invite(ctx: Context) -> list[Message]:
    """สร้างรหัสเชิญผู้นำชุมชนหรือประธานเครือข่าย / Create an invite code for a community leader or network chair"""
    role, name = parse_invite(ctx.args)
    if role is None or not name:
        return [_usage(ctx)]
    organizations = reg.organizations_of(ctx.memberships)
    if role == RoleName.NETWORK_CHAIR:
        match = reg.match_network(ctx.session, name, organizations)
        if match.found is not None:
            return _chair_code(ctx, match.found)
        # "ประธานชุมชน…" is a community's president, who is one of its leaders.
        by_community = reg.match_community(ctx.session, name, organizations)
        if by_community.found is not None:
            return _leader_code(ctx, by_community.found)
        allowed = [n for n in match.suggestions if reg.can_invite_chair(ctx.memberships, n)]
        return [_not_found(ctx, "network", name, allowed, RoleName.NETWORK_CHAIR)]
    match = reg.match_community(ctx.session, name, organizations)
    if match.found is not None:
        return _leader_code(ctx, match.found)
    allowed = [c for c in match.suggestions if reg.can_invite_leader(ctx.session, ctx.memberships, c)]
    return [_not_found(ctx, "community", name, allowed, RoleName.COMMUNITY_LEADER)]


def parse_invite(args: str) -> tuple[RoleName | None, str]:
    """The role word at the start of the arguments and the name after it (role None if there is none)."""
    text = clean(args)
    for role, words in ROLE_WORDS:
        for word in words:
            word = clean(word)  # the same normalisation the dispatcher gave the text
            head, rest = text[:len(word)], text[len(word):]
            if head.casefold() != word.casefold():
                continue
            if word.isascii() and rest and not rest[0].isspace():
                continue  # "leaders" or "chairman" is not the role word
            return role, rest.strip()
    return None, text


def _leader_code(ctx: Context, community: Community) -> list[Message]:
    if not reg.can_invite_leader(ctx.session, ctx.memberships, community):
        return [ctx.text("invites.not_your_community", community=community.name)]
    invite = reg.create_invite(ctx.session, RoleName.COMMUNITY_LEADER, community.organization_id, now=ctx.now,
                               community=community, created_by=ctx.person)
    return _created(ctx, invite, ctx.t("invites.target_leader", community=community.name))


def _chair_code(ctx: Context, network: Network) -> list[Message]:
    if not reg.can_invite_chair(ctx.memberships, network):
        return [ctx.text("invites.chair_staff_only")]
    invite = reg.create_invite(ctx.session, RoleName.NETWORK_CHAIR, network.organization_id, now=ctx.now,
                               network=network, created_by=ctx.person)
    return _created(ctx, invite, ctx.t("invites.target_chair", network=network.name))


def _created(ctx: Context, invite: InviteCode, target: str) -> list[Message]:
    expires = format_when_in(ctx.lang, invite.expires_at)
    # The second message is only the words to send, so it can be forwarded as it is.
    return [ctx.text("invites.created", target=target, code=invite.code, expires=expires),
            ctx.text("invites.forward", code=invite.code)]


def _usage(ctx: Context) -> Message:
    """How to use the command, with buttons for the codes this sender is most likely to need."""
    is_staff = any(m.role == RoleName.STAFF for m in ctx.memberships)
    if is_staff:
        networks = reg.networks_of(ctx.session, reg.organizations_of(ctx.memberships))
        allowed = [n for n in networks if reg.can_invite_chair(ctx.memberships, n)]
        quick = _buttons(ctx, RoleName.NETWORK_CHAIR, allowed)
        text, pick = ctx.t("invites.usage_staff", days=reg.INVITE_TTL.days), "invites.pick_network"
    else:
        quick = _buttons(ctx, RoleName.COMMUNITY_LEADER, reg.chaired_communities(ctx.session, ctx.memberships))
        text, pick = ctx.t("invites.usage_chair", days=reg.INVITE_TTL.days), "invites.pick_community"
    if quick:
        text = f"{text}\n{ctx.t(pick)}"
    return ctx.text_message(text, quick=quick)


def _not_found(ctx: Context, kind: str, name: str, suggestions: Sequence[Community | Network],
               role: RoleName) -> Message:
    echo = name if len(name) <= ECHO_LIMIT else name[:ECHO_LIMIT] + "…"
    if suggestions:
        return ctx.text(f"invites.{kind}_suggest", text=echo, quick=_buttons(ctx, role, suggestions))
    return ctx.text(f"invites.{kind}_unknown", text=echo)


def _buttons(ctx: Context, role: RoleName, targets: Sequence[Community | Network]) -> list[tuple[str, str]]:
    """One quick reply per target: the label is its name, the button sends the whole command."""
    word = ctx.t("invites.word_leader" if role == RoleName.COMMUNITY_LEADER else "invites.word_chair")
    return [(target.name, f"{ctx.keyword} {word} {target.name}") for target in targets[:QUICK_LIMIT]]
