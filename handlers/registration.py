"""Registration (`สมัคร` / `register`) and taking a role with an invite code (`รหัส` / `join`).

Nothing about the person is stored before they consent, except the pending conversation row
(which expires). See registration.mmd for the flow.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from linebot.v3.messaging import Message, PostbackAction, QuickReply, QuickReplyItem, TextMessage
from sqlalchemy import select

from bot.messages import MAX_MESSAGES_PER_REQUEST
from handlers import pickers
from handlers.context import PHONE_SKIP_WORDS, Context, Turn, button_label, not_a_name, record_id
from handlers.members import namesake_registered, start_link
from handlers.registry import ChatKind, command, postback, step, strip_polite
from handlers.rotation import waiting_for_new_leader
from handlers.services import menus as menu_links
from handlers.services import registry as reg
from models import ChatLink, Community, Network, WebhookEvent

FLOW = "registration"
MOVE_ACTION = "move"  # a=move&c=<community>&from=<her community>&ok=1|0
YES_WORDS = {"ยินยอม", "ตกลง", "ใช่", "yes", "agree", "i agree"}
NO_WORDS = {"ไม่ยินยอม", "ไม่", "no", "disagree"}


class Step(StrEnum):
    NAME = "awaiting_name"
    COMMUNITY = "awaiting_community"
    PHONE = "awaiting_phone"
    CONSENT = "awaiting_consent"


@command("สมัคร", "ลงทะเบียน", "register", "sign up")
def register(ctx: Context) -> Turn:
    """สมัครเป็นสมาชิกชุมชน / Register as a community member"""
    if ctx.chat_kind == ChatKind.USER:
        return _ask_name(ctx, {})
    if ctx.user_id is None:
        return Turn([ctx.text("register.no_user_id")])
    link = reg.chat_link(ctx.session, ctx.chat_id)
    community = ctx.session.get(Community, link.community_id) if link and link.community_id else None
    if community is None:
        return Turn([ctx.text("register.group_not_linked")])
    if reg.is_registered(ctx.person):
        own = reg.member_community_in(ctx.session, ctx.person, community.organization_id)
        if own is not None and own.id == community.id:
            return Turn([ctx.text("register.group_already", community=community.name)])
        if own is not None:
            # Moving takes her off her own leader's list: only when she says so (MOVE_ACTION).
            return Turn([_ask_move(ctx, own, community)])
        reg.join_community(ctx.session, ctx.person, community, ctx.now)
        return Turn([ctx.text("register.group_joined", community=community.name)])
    # Personal answers belong in the 1:1 chat: the conversation continues there.
    return Turn([ctx.text("register.continue_in_private", community=community.name)],
                flow=FLOW, step=Step.NAME, data={"community_id": community.id, "handover": True}, private=True)


def _ask_move(ctx: Context, own: Community, community: Community) -> TextMessage:
    """Someone registered in another community of the district taps register in this community's group:
    what moving would change, and two buttons (a postback each, so the answer needs no conversation here)."""
    data = f"a={MOVE_ACTION}&c={community.id}&from={own.id}"
    buttons = [(ctx.t("register.move_label", community=community.name), f"{data}&ok=1"),
               (ctx.t("register.stay_label", community=own.name), f"{data}&ok=0")]
    return TextMessage(text=ctx.t("register.move_ask", name=ctx.person.full_name or "-", own=own.name,
                                  community=community.name),
                       quickReply=QuickReply(items=[QuickReplyItem(action=PostbackAction(
                           label=button_label(label), data=value, displayText=label)) for label, value in buttons]))


@postback(MOVE_ACTION)
def register_move(ctx: Context) -> list[Message]:
    """The buttons of `_ask_move`: move to the group's community, or stay."""
    community = ctx.session.get(Community, record_id(ctx.params.get("c")) or 0)
    own = ctx.session.get(Community, record_id(ctx.params.get("from")) or 0)
    if ctx.user_id is None:
        return [ctx.text("register.no_user_id")]
    if community is None or own is None or not reg.is_registered(ctx.person):
        return [ctx.text("postback.unknown")]
    current = reg.member_community_in(ctx.session, ctx.person, community.organization_id)
    if current is None or current.id != own.id:  # moved (or removed) meanwhile: the question no longer holds
        return [ctx.text("register.move_stale", community=current.name if current else "-")]
    if ctx.params.get("ok") != "1":
        return [ctx.text("register.stayed", name=ctx.person.full_name or "-", own=own.name)]
    reg.join_community(ctx.session, ctx.person, community, ctx.now)
    return [ctx.text("register.moved", name=ctx.person.full_name or "-", own=own.name, community=community.name)]


@command("รหัส", "join")
def join(ctx: Context) -> Turn:
    """ใช้รหัสเชิญเพื่อรับบทบาท / Use an invite code to take a role"""
    code = strip_polite(ctx.args)  # "รหัส 6J24-U8EC ครับ"
    if not code:
        return Turn([ctx.text("invite.usage")])
    if ctx.user_id is None:
        return Turn([ctx.text("register.no_user_id")])
    try:
        invite = reg.find_invite(ctx.session, code, ctx.now)
    except reg.InviteError as error:
        used = reg.invite_by_code(ctx.session, code)
        if used is not None and used.person_id is not None and ctx.person is not None \
                and used.used_by_id == ctx.person.id:  # their own link code, typed again: nothing is wrong
            return Turn([ctx.text("link.already_done", name=ctx.person.full_name or "-")])
        return Turn([ctx.text(str(error))])
    if invite.person_id is not None:  # a leader's code for a member without LINE (`ผูกไลน์`)
        return start_link(ctx, invite)
    if not reg.is_registered(ctx.person):
        data: dict[str, Any] = {"invite": invite.code}
        if invite.community_id:
            data["community_id"] = invite.community_id
        return _ask_name(ctx, data, prefix=ctx.t("invite.register_first"))
    try:
        membership = reg.redeem_invite(ctx.session, ctx.person, code, ctx.now)
    except reg.InviteError as error:
        return Turn([ctx.text(str(error))])
    granted = [ctx.text("invite.granted", role=_role_label(ctx, membership))]
    menu_links.refresh(ctx.session, ctx.person, ctx.now)
    return Turn(granted + waiting_for_new_leader(ctx, membership, MAX_MESSAGES_PER_REQUEST - len(granted)))


def _ask_name(ctx: Context, data: dict[str, Any], prefix: str | None = None) -> Turn:
    text = ctx.t("register.ask_name")
    return Turn([ctx.text_message(f"{prefix}\n{text}" if prefix else text, cancel=True)],
                flow=FLOW, step=Step.NAME, data=data, private=True)


@step(FLOW, Step.NAME)
def register_name(ctx: Context) -> Turn:
    # The first message in the 1:1 chat after `บอท สมัคร` in a group may be anything ("สวัสดีค่ะ"): unless it
    # is her name, it is told what is asked and why here.
    handover = ctx.data.pop("handover", False)
    kind = not_a_name(ctx)
    name = reg.person_name(ctx.args)  # "สมปอง แก้วมณี ครับ" is สมปอง แก้วมณี
    refusal = f"register.name_{kind}" if kind else reg.name_refusal(name, "register.name_invalid")
    if refusal is not None:
        community = ctx.session.get(Community, ctx.data.get("community_id")) if handover else None
        if community is not None:
            return Turn([ctx.text("register.handover_ask", community=community.name, cancel=True)], step=Step.NAME)
        return Turn([ctx.text(refusal, cancel=True)], step=Step.NAME)
    ctx.data["full_name"] = name
    if "community_id" in ctx.data:
        return _ask_phone(ctx)
    return _ask_community(ctx)


def _ask_community(ctx: Context, prefix_key: str | None = None, suggestions: list[Community] | None = None,
                   **values: object) -> Turn:
    if suggestions is not None:
        quick, where = [(c.name, c.name) for c in suggestions], None
    else:
        quick, where = pickers.community_buttons(ctx, _choices(ctx))
    # With nothing to offer (a stranger) there are no buttons to point at: only ask for the name.
    default_key = "register.ask_community" if quick else "register.ask_community_typed"
    parts = (ctx.t(prefix_key, **values), where) if prefix_key else (where, ctx.t(default_key))
    return Turn([ctx.text_message("\n".join(p for p in parts if p), quick=quick, cancel=True)], step=Step.COMMUNITY)


def _choices(ctx: Context) -> list[Community]:
    """The communities to offer: the likely ones; with none, all of the district the sender's invite or roles
    are in (staff registering, a chair's invite). A stranger types the name."""
    likely = _likely_communities(ctx)
    if likely:
        return likely
    districts = reg.organizations_of(ctx.memberships)
    if ctx.data.get("invite"):
        try:
            districts.add(reg.find_invite(ctx.session, ctx.data["invite"], ctx.now).organization_id)
        except reg.InviteError:  # used or expired meanwhile: the consent step says so
            pass
    return reg.organization_communities(ctx.session, districts)


def _likely_communities(ctx: Context) -> list[Community]:
    """Communities of the groups where this user has talked to the bot, then their current one."""
    linked = select(ChatLink.community_id).join(WebhookEvent, WebhookEvent.chat_id == ChatLink.chat_id).where(
        WebhookEvent.user_id == ctx.user_id, ChatLink.community_id.is_not(None)).distinct()
    found = list(ctx.session.scalars(select(Community).where(Community.id.in_(linked)).order_by(Community.name)))
    current = reg.member_community(ctx.session, ctx.person)
    if current is not None and current not in found:
        found.insert(0, current)
    return found


@step(FLOW, Step.COMMUNITY)
def register_community(ctx: Context) -> Turn:
    text = ctx.args.strip()
    if not text or pickers.browse(ctx, _choices(ctx)):
        return _ask_community(ctx)
    chosen = pickers.picked(ctx, _choices(ctx))  # "ชุมชนวัดบางนา (สำนักงานเขตคลองสาน)": a district's button
    if chosen is not None:
        ctx.data["community_id"] = chosen.id
        return _ask_phone(ctx)
    match = reg.match_community(ctx.session, text)
    # Part of several names ("บางนา") offers all of them; the narrowing ends with any other answer.
    if pickers.narrow(ctx, match.containing, _short(text)):
        return _ask_community(ctx)
    if match.found is not None:
        ctx.data["community_id"] = match.found.id
        return _ask_phone(ctx)
    if match.suggestions:
        return _ask_community(ctx, "register.community_suggest", list(match.suggestions), text=_short(text))
    return _ask_community(ctx, "register.community_unknown", text=_short(text))


def _ask_phone(ctx: Context) -> Turn:
    return Turn([ctx.text_message(ctx.t("register.ask_phone"), quick=[(ctx.t("register.skip"),) * 2],
                                  cancel=True)], step=Step.PHONE)


@step(FLOW, Step.PHONE)
def register_phone(ctx: Context) -> Turn:
    if ctx.means(PHONE_SKIP_WORDS):
        ctx.data["phone"] = None
    else:
        phone, refusal = reg.phone_answer(ctx.args)
        if refusal is not None:
            return Turn([ctx.text_message(ctx.t(refusal), quick=[(ctx.t("register.skip"),) * 2],
                                          cancel=True)], step=Step.PHONE)
        ctx.data["phone"] = phone
    return _ask_consent(ctx)


def _ask_consent(ctx: Context) -> Turn:
    community = ctx.session.get(Community, ctx.data["community_id"])
    summary = ctx.t("register.summary", name=ctx.data["full_name"], community=community.name if community else "-",
                    phone=ctx.data.get("phone") or ctx.t("register.no_phone"))
    consent = ctx.t("register.consent")
    return Turn([ctx.text_message(f"{summary}\n\n{consent}",
                                  quick=[(ctx.t("register.agree"),) * 2, (ctx.t("register.disagree"),) * 2])],
                step=Step.CONSENT)


@step(FLOW, Step.CONSENT)
def register_consent(ctx: Context) -> Turn:
    if ctx.means(NO_WORDS):
        return Turn([ctx.text("register.declined")])
    if not ctx.means(YES_WORDS):
        again = _ask_consent(ctx)
        return Turn([ctx.text("register.consent_again"), *again.messages], step=Step.CONSENT)
    community = ctx.session.get(Community, ctx.data["community_id"])
    if community is None:  # removed by staff while the person was answering
        ctx.data.pop("community_id")
        return _ask_community(ctx)
    person = reg.register_person(ctx.session, ctx.user_id, full_name=ctx.data["full_name"], community=community,
                                 phone=ctx.data.get("phone"), display_name=None, now=ctx.now)
    messages = [ctx.text("register.done", name=person.full_name, community=community.name)]
    messages += namesake_registered(ctx, person, community)
    if ctx.data.get("invite"):
        try:
            membership = reg.redeem_invite(ctx.session, person, ctx.data["invite"], ctx.now)
            messages.append(ctx.text("invite.granted", role=_role_label(ctx, membership)))
            messages += waiting_for_new_leader(ctx, membership, MAX_MESSAGES_PER_REQUEST - len(messages))
        except reg.InviteError as error:
            messages.append(ctx.text(str(error)))
    menu_links.refresh(ctx.session, person, ctx.now)  # once, for the role the registration ends with
    return Turn(messages)


def _role_label(ctx: Context, membership: Any) -> str:
    scope = ""
    if membership.community_id:
        scope = ctx.session.get(Community, membership.community_id).name
    elif membership.network_id:
        scope = ctx.session.get(Network, membership.network_id).name
    return ctx.t(f"role_name.{membership.role}", scope=scope)


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"
