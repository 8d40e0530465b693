"""Directory commands: what Saiyai holds about the sender (and erasing it), members, communities, language.

Personal listings (`me`, `members`) and erasing work in the 1:1 chat only, so nothing personal is
ever shown to a whole group.
"""

from __future__ import annotations

import math
import re

from sqlalchemy import select
from linebot.v3.messaging import Message, PostbackAction, QuickReply, QuickReplyItem, TextMessage

from handlers.thaitime import format_when_in
from handlers.catalog import LANGUAGES
from handlers.context import Context
from handlers.registry import ChatKind, Role, clean, command, postback, strip_polite
from handlers.services import menus as menu_links
from handlers.services import registry as reg
from handlers.services import roster
from models import Community, Membership, Network, Organization, RoleName

PAGE_SIZE = 10
PAGE_ARG = re.compile(r"(?:หน้า|page)?\s*(\d{1,4})", re.IGNORECASE)
QUERY_PAGE = re.compile(r"(.*?\S)\s+(?:หน้า|page)?\s*(\d{1,4})", re.IGNORECASE)  # ชุมชน… 2
SEARCH_LIMIT = 100
SEARCH_RESULTS = 10
# More communities than this (a district officer's 38) are summed up by zone, with no page of names.
SUMMARY_COMMUNITIES = 12
FORGET_ACTION = "forget"


# --- me -----------------------------------------------------------------------------------------

@command("ข้อมูลของฉัน", "me", chats={ChatKind.USER})
def me(ctx: Context) -> list[Message]:
    """ดูข้อมูลทั้งหมดที่สายใยเก็บไว้เกี่ยวกับคุณ / See everything Saiyai holds about you"""
    person = ctx.person
    if person is None or (not reg.is_registered(person) and not ctx.memberships):
        return [ctx.text("me.nothing", quick=[_register_button(ctx)])]
    not_given = ctx.t("me.not_given")
    lines = [ctx.t("me.header"), ctx.t("me.name", value=person.full_name or not_given)]
    if person.display_name:
        lines.append(ctx.t("me.display_name", value=person.display_name))
    lines.append(ctx.t("me.phone", value=person.phone or not_given))
    lines.append(ctx.t("me.language", value=ctx.t(f"me.lang.{person.language or 'none'}")))
    if person.consented_at is not None:
        lines.append(ctx.t("me.consent", when=format_when_in(ctx.lang, person.consented_at)))
    else:
        lines.append(ctx.t("me.no_consent"))
    if ctx.memberships:
        lines.append(ctx.t("me.roles"))
        lines.extend(_role_line(ctx, m) for m in sorted(
            ctx.memberships, key=lambda m: (-reg.ROLE_RANK[RoleName(m.role)], m.id)))
    else:
        lines.append(ctx.t("me.no_roles"))
    lines.append(ctx.t("me.log", count=reg.command_log_count(ctx.session, ctx.user_id)))
    lines.append(ctx.t("me.footer"))
    return [ctx.text_message("\n".join(lines))]


def _role_line(ctx: Context, membership: Membership) -> str:
    if membership.community_id:
        scope = ctx.session.get(Community, membership.community_id).name
    elif membership.network_id:
        scope = ctx.session.get(Network, membership.network_id).name
    else:
        scope = ctx.session.get(Organization, membership.organization_id).name
    role = ctx.t(f"directory.role.{membership.role}", scope=scope)
    if membership.title:
        return ctx.t("me.role_line_titled", role=role, title=membership.title)
    return ctx.t("me.role_line", role=role)


def _register_button(ctx: Context) -> tuple[str, str]:
    """A quick reply that starts registration; in a group it must be addressed to the bot."""
    label = ctx.t("directory.register_label")
    return (label, label if ctx.chat_kind == ChatKind.USER else ctx.t("welcome.register_text"))


# --- forget me ----------------------------------------------------------------------------------

@command("ลบข้อมูลของฉัน", "forget me", chats={ChatKind.USER})
def forget_me(ctx: Context) -> list[Message]:
    """ลบข้อมูลทั้งหมดของคุณออกจากสายใย / Erase everything Saiyai holds about you"""
    # Even a stranger has a log of the commands they sent (times and chat ids): they may erase it too.
    text = ctx.t("forget.ask" if ctx.person is not None else "forget.ask_unknown")
    buttons = [
        ("forget.confirm_label", "forget.confirm_display", "1"),
        ("forget.cancel_label", "forget.cancel_display", "0"),
    ]
    items = [QuickReplyItem(action=PostbackAction(
        label=ctx.t(label), displayText=ctx.t(display), data=f"a={FORGET_ACTION}&confirm={confirm}&l={ctx.lang}"))
        for label, display, confirm in buttons]
    return [TextMessage(text=text, quickReply=QuickReply(items=items))]


@postback(FORGET_ACTION)
def forget_answer(ctx: Context) -> list[Message]:
    """The confirm or cancel button of `forget me`: erase in this event's transaction, or keep everything."""
    if ctx.params.get("l") in LANGUAGES and (ctx.person is None or ctx.person.language is None):
        ctx.lang = ctx.params["l"]  # the language the question was asked in
    if ctx.user_id is None:
        return [ctx.text("register.no_user_id")]
    if ctx.params.get("confirm") != "1":
        return [ctx.text("forget.kept")]
    had_menu = ctx.person is not None and ctx.person.rich_menu is not None
    reg.forget_user(ctx.session, ctx.user_id, ctx.now)
    menu_links.forgotten(ctx.session, ctx.user_id, had_menu, ctx.now)
    return [ctx.text("forget.done")]


# --- members ------------------------------------------------------------------------------------

@command("สมาชิก", "members", chats={ChatKind.USER}, min_role=Role.COMMUNITY_LEADER)
def members(ctx: Context) -> list[Message]:
    """ดูสมาชิกของชุมชนที่คุณดูแล / See the members of the communities you look after"""
    query, page = _members_args(ctx.args)
    if page is None:
        return [ctx.text("members.usage")]
    communities = reg.managed_communities(ctx.session, ctx.memberships)
    if query:
        match = reg.match_community(ctx.session, query, reg.organizations_of(ctx.memberships))
        if match.found is not None and match.found in communities:
            return _members_pages(ctx, [match.found], page, query=match.found.name)
        if page != 1:
            return [ctx.text("members.usage")]
        return _members_search(ctx, communities, query)
    return _members_pages(ctx, communities, page)


def _members_args(args: str) -> tuple[str, int | None]:
    """(text to look for, page): `สมาชิก`, `สมาชิก 2`, `สมาชิก ชื่อ…`, `สมาชิก ชุมชน… 2`. No page: bad input."""
    text = strip_polite(clean(args)).translate(reg.THAI_DIGITS) if args.strip() else ""  # "สมาชิก มาลี ค่ะ"
    if not text:
        return "", 1
    if match := PAGE_ARG.fullmatch(text):
        page = int(match.group(1))
        return "", page if page >= 1 else None
    if len(text) > SEARCH_LIMIT or not any(ch.isalpha() for ch in text):
        return "", None
    if match := QUERY_PAGE.fullmatch(text):
        page = int(match.group(2))
        return match.group(1), page if page >= 1 else None
    return text, 1


def _members_pages(ctx: Context, communities: list[Community], page: int, query: str = "") -> list[Message]:
    """The summary (on the first page) and one page of names, counted and cut by the database."""
    summary = page == 1 and len(communities) <= SUMMARY_COMMUNITIES  # by role, community by community
    counted, people = roster.counts(ctx.session, [c.id for c in communities], by_role=summary)
    total = sum(entry.people for entry in counted.values())
    if not total:
        return [ctx.text("members.none")]
    pages = math.ceil(total / PAGE_SIZE)
    if page > pages:
        key = "members.no_page_in" if query else "members.no_page"
        return [ctx.text(key, pages=pages, community=query)]
    messages: list[Message] = []
    if page == 1:
        messages.append(ctx.text_message(_summary(ctx, communities, counted, people)))
        if len(communities) > SUMMARY_COMMUNITIES:
            # A district's worth of names is no chat reply: the counts above, then look one up.
            return messages + [ctx.text("members.search_hint", example=communities[0].name)]
    entries = roster.page(ctx.session, communities, (page - 1) * PAGE_SIZE, PAGE_SIZE,
                          {cid: entry.people for cid, entry in counted.items()})
    lines = [ctx.t("members.page_header", page=page, pages=pages)]
    lines.extend(_name_line(ctx, n, entry) for n, entry in enumerate(entries, start=(page - 1) * PAGE_SIZE + 1))
    if page < pages:
        next_text = (ctx.t("members.next_text_in", community=query, page=page + 1) if query
                     else ctx.t("members.next_text", page=page + 1))
        quick = [(ctx.t("members.next_label"), next_text)]
    else:
        quick = []
    messages.append(ctx.text_message("\n".join(lines), quick=quick))
    return messages


def _members_search(ctx: Context, communities: list[Community], query: str) -> list[Message]:
    found = roster.search(ctx.session, communities, query, SEARCH_RESULTS + 1)
    if not found:
        return [ctx.text("members.not_found", text=query)]
    lines = [ctx.t("members.found_header", text=query)]
    lines.extend(_name_line(ctx, n, entry) for n, entry in enumerate(found[:SEARCH_RESULTS], start=1))
    if len(found) > SEARCH_RESULTS:
        lines.append(ctx.t("members.found_more", count=SEARCH_RESULTS))
    return [ctx.text_message("\n".join(lines))]


def _name_line(ctx: Context, n: int, entry: reg.RosterEntry) -> str:
    line = ctx.t("members.name_line", n=n, name=entry.person.full_name or ctx.t("members.no_name"),
                 community=entry.community.name, roles=_roles(ctx, entry.roles))
    return line + (ctx.t("members.no_line") if entry.person.line_user_id is None else "")


def _summary(ctx: Context, communities: list[Community], counted: dict[int, roster.Counts], people: int) -> str:
    lines = [ctx.t("members.summary", people=people, communities=len(communities))]
    if len(communities) > SUMMARY_COMMUNITIES:
        zones: dict[int, list[Community]] = {}
        for community in communities:
            zones.setdefault(community.zone_id, []).append(community)
        names = {n.id: n.name for n in ctx.session.scalars(select(Network).where(Network.id.in_(list(zones))))}
        for zone_id, listed in sorted(zones.items(), key=lambda z: (names.get(z[0], ""), z[0])):
            lines.append(ctx.t("members.zone_line", zone=names.get(zone_id, ""), communities=len(listed),
                               count=sum(counted[c.id].people for c in listed if c.id in counted)))
        return "\n".join(lines)
    for community in communities:
        entry = counted.get(community.id)
        if entry is None:
            lines.append(ctx.t("members.community_empty", community=community.name))
            continue
        roles = ", ".join(ctx.t("members.role_count", role=ctx.t(f"members.role.{role}"), count=entry.by_role[role])
                          for role in reg.ROLES_BY_RANK if entry.by_role.get(role))
        lines.append(ctx.t("members.community_line", community=community.name, count=entry.people, roles=roles))
    return "\n".join(lines)


def _roles(ctx: Context, roles: list[RoleName]) -> str:
    return ", ".join(ctx.t(f"members.role.{role}") for role in roles)


# --- communities --------------------------------------------------------------------------------

@command("ชุมชน", "communities", min_role=Role.MEMBER)
def communities(ctx: Context) -> list[Message]:
    """ดูชุมชนในเครือข่ายของคุณและจำนวนสมาชิก / See the communities of your network and their members"""
    networks = reg.member_networks(ctx.session, ctx.memberships)
    if not networks:
        return [ctx.text("communities.none")]
    blocks = []
    listed_by_network = {network.id: reg.network_communities(ctx.session, network) for network in networks}
    # One count for every network's communities, not one per network.
    counts = reg.member_counts(ctx.session, [c.id for listed in listed_by_network.values() for c in listed])
    for network in networks:
        listed = listed_by_network[network.id]
        if not listed:
            blocks.append(ctx.t("communities.empty_network", network=network.name))
            continue
        lines = [ctx.t("communities.header", network=network.name, count=len(listed))]
        lines.extend(ctx.t("communities.line", community=c.name, count=counts.get(c.id, 0)) for c in listed)
        blocks.append("\n".join(lines))
    return [ctx.text_message("\n\n".join(blocks))]


# --- language -----------------------------------------------------------------------------------

@command("ภาษาอังกฤษ", "english")
def english(ctx: Context) -> list[Message]:
    """ให้สายใยตอบเป็นภาษาอังกฤษ / Have Saiyai reply in English"""
    return _choose_language(ctx, "en")


@command("ภาษาไทย", "thai")
def thai(ctx: Context) -> list[Message]:
    """ให้สายใยตอบเป็นภาษาไทย / Have Saiyai reply in Thai"""
    return _choose_language(ctx, "th")


def _choose_language(ctx: Context, lang: str) -> list[Message]:
    # The choice is kept only on a person Saiyai already knows: a stranger gets no row just for this.
    ctx.lang = lang
    if ctx.person is None:
        return [ctx.text("language.not_kept", quick=[_register_button(ctx)])]
    reg.set_language(ctx.person, lang, ctx.now)
    menu_links.refresh(ctx.session, ctx.person, ctx.now)  # the same menu in the chosen language
    return [ctx.text("language.set")]
