"""Members without LINE (`เพิ่มสมาชิก` / `ลบสมาชิก` / `ผูกไลน์`): a leader registers, and removes, a member who
has no smartphone, so that the leader can answer activities for them (`ตอบแทน`); and when the member
gets LINE later, gives them a code that links it to the same row (`รหัส CODE`, see start_link).

Such a member has no LINE user id: nothing is ever sent to them (Person.reachable), and they cannot
see or erase their data themselves, so the leader who manages their community does it for them. Their
consent is given in person, and the leader records it: the flow does not store anything before the
leader confirms that the member agreed, and the person row says who recorded it.
"""

from __future__ import annotations

from enum import StrEnum

from linebot.v3.messaging import Message

from bot import outbox
from handlers.thaitime import format_when_in
from handlers import pickers
from handlers.catalog import text_for
from handlers.context import PHONE_SKIP_WORDS, Context, Turn, not_a_name, text_message
from handlers.registry import ChatKind, Role, command, step, strip_polite
from handlers.rsvp import managed_person, proxy
from handlers.services import activities as act
from handlers.services import menus as menu_links
from handlers.services import registry as reg
from models import Community, InviteCode, Person, RoleName

ADD, REMOVE, LINK = "add_member", "remove_member", "link_line"
AGREED_WORDS = frozenset({"ยินยอมแล้ว", "ยินยอม", "ตกลง", "ใช่", "yes", "agreed", "agree", "they agreed"})
NOT_AGREED_WORDS = frozenset({"ยังไม่ยินยอม", "ไม่ยินยอม", "ไม่", "no", "not yet", "did not agree"})
REMOVE_WORDS = frozenset({"ลบ", "ยืนยัน", "ใช่", "remove", "yes", "confirm"})
KEEP_WORDS = frozenset({"ไม่ลบ", "ไม่", "keep", "no"})
CONSENT_WORDS = frozenset({"ยินยอม", "ตกลง", "ใช่", "yes", "agree", "i agree"})
REFUSE_WORDS = frozenset({"ไม่ยินยอม", "ไม่", "no", "disagree"})
MERGE_WORDS = frozenset({"รวมข้อมูล", "รวม", "ใช่", "merge", "yes"})
NO_MERGE_WORDS = frozenset({"ไม่รวม", "ไม่", "ไม่ใช่", "don't merge", "no"})


class AddStep(StrEnum):
    NAME = "awaiting_name"
    COMMUNITY = "awaiting_community"
    PHONE = "awaiting_phone"
    CONSENT = "awaiting_consent"


class RemoveStep(StrEnum):
    CONFIRM = "awaiting_confirm"


class LinkStep(StrEnum):
    CONSENT = "awaiting_consent"  # the member, new to LINE, agrees in their own name
    MERGE = "awaiting_merge"      # the member had registered in LINE meanwhile: fold the two rows


# --- adding -------------------------------------------------------------------------------------

@command("เพิ่มสมาชิก", "add member", chats={ChatKind.USER}, min_role=Role.COMMUNITY_LEADER)
def add_member(ctx: Context) -> Turn:
    """ลงทะเบียนสมาชิกที่ไม่มี LINE (เมื่อเจ้าตัวยินยอม) / Register a member who has no LINE (with their consent)"""
    if not _communities(ctx):
        return Turn([ctx.text("offline.no_community")])
    if ctx.args.strip():  # "เพิ่มสมาชิก ยายทองใบ มีสุข": the name given with the command, as ลบสมาชิก takes it
        ctx.data = {}
        turn = add_member_name(ctx)
        turn.flow, turn.data = ADD, ctx.data
        return turn
    return Turn([ctx.text("offline.ask_name", cancel=True)], flow=ADD, step=AddStep.NAME, data={})


@step(ADD, AddStep.NAME)
def add_member_name(ctx: Context) -> Turn:
    kind = not_a_name(ctx)
    name = reg.person_name(ctx.args)  # "บุญมา ศรีสุข ครับ" is บุญมา ศรีสุข
    refusal = f"offline.name_{kind}" if kind else reg.name_refusal(name, "offline.name_invalid")
    if refusal is not None:
        return Turn([ctx.text(refusal, cancel=True)], step=AddStep.NAME)
    ctx.data["full_name"] = name
    communities = _communities(ctx)
    if len(communities) == 1:
        return _took_community(ctx, communities[0])
    return _ask_community(ctx, communities)


def _ask_community(ctx: Context, communities: list[Community], prefix: str | None = None) -> Turn:
    quick, where = pickers.community_buttons(ctx, communities)
    text = "\n".join(part for part in (prefix, where, ctx.t("offline.ask_community")) if part)
    return Turn([ctx.text_message(text, quick=quick, cancel=True)], step=AddStep.COMMUNITY)


@step(ADD, AddStep.COMMUNITY)
def add_member_community(ctx: Context) -> Turn:
    communities = _communities(ctx)
    if not communities:  # the sender's role was taken away meanwhile
        return Turn([ctx.text("offline.no_community")])
    if pickers.browse(ctx, communities):
        return _ask_community(ctx, communities)
    match = reg.match_community(ctx.session, ctx.args, {c.organization_id for c in communities})
    answer = ctx.args.strip()
    answer = answer if len(answer) <= 40 else answer[:40] + "…"
    # Part of several names ("บางนา") offers every one the sender looks after, as registration does.
    if pickers.narrow(ctx, [c for c in match.containing if c in communities], answer):
        return _ask_community(ctx, communities)
    if match.found is None or match.found not in communities:
        # A typo, or part of one name ("ทุ่งพัฒนา"), offers the communities it may be.
        close = [c for c in match.suggestions if c in communities]
        if close:
            return _ask_community(ctx, close, ctx.t("register.community_suggest", text=answer))
        return _ask_community(ctx, communities, ctx.t("offline.community_unknown", text=answer))
    return _took_community(ctx, match.found)


def _took_community(ctx: Context, community: Community) -> Turn:
    ctx.data["community_id"] = community.id
    twins = [p for p in act.managed_people_named(ctx.session, ctx.memberships, ctx.data["full_name"])
             if reg.person_key(p.full_name or "") == reg.person_key(ctx.data["full_name"])
             and reg.member_community(ctx.session, p) == community]
    if twins:
        # The same name twice in one community makes `ตอบแทน` ambiguous; most often it is the same person.
        return Turn([ctx.text("offline.already_there", name=ctx.data["full_name"], community=community.name,
                              cancel=True)], step=AddStep.NAME)
    return _ask_phone(ctx)


def _ask_phone(ctx: Context, key: str = "offline.ask_phone") -> Turn:
    return Turn([ctx.text(key, quick=[(ctx.t("register.skip"),) * 2], cancel=True)], step=AddStep.PHONE)


@step(ADD, AddStep.PHONE)
def add_member_phone(ctx: Context) -> Turn:
    if ctx.means(PHONE_SKIP_WORDS):
        ctx.data["phone"] = None
    else:
        phone, refusal = reg.phone_answer(ctx.args)
        if refusal is not None:
            return _ask_phone(ctx, refusal)
        ctx.data["phone"] = phone
    return _ask_consent(ctx)


def _ask_consent(ctx: Context, prefix: str | None = None) -> Turn:
    community = ctx.session.get(Community, ctx.data["community_id"])
    summary = ctx.t("register.summary", name=ctx.data["full_name"], community=community.name if community else "-",
                    phone=ctx.data.get("phone") or ctx.t("register.no_phone"))
    kept = ctx.t("offline.kept_phone" if ctx.data.get("phone") else "offline.kept_no_phone")
    consent = ctx.t("offline.consent", name=ctx.data["full_name"], kept=kept)
    text = "\n\n".join(part for part in (prefix, summary, consent) if part)
    return Turn([ctx.text_message(text, quick=[(ctx.t("offline.agreed"),) * 2, (ctx.t("offline.not_agreed"),) * 2],
                                  cancel=True)], step=AddStep.CONSENT)


@step(ADD, AddStep.CONSENT)
def add_member_consent(ctx: Context) -> Turn:
    if ctx.means(NOT_AGREED_WORDS):
        return Turn([ctx.text("offline.not_stored", name=ctx.data["full_name"])])
    if not ctx.means(AGREED_WORDS):
        return _ask_consent(ctx, ctx.t("offline.consent_again"))
    community = ctx.session.get(Community, ctx.data["community_id"])
    if community is None or community not in _communities(ctx):  # removed, or the role taken away, meanwhile
        return Turn([ctx.text("offline.no_longer_yours")])
    person = Person(line_user_id=None, full_name=ctx.data["full_name"], phone=ctx.data.get("phone"),
                    consent_version=reg.CONSENT_VERSION, consented_at=ctx.now,
                    consent_recorded_by_id=ctx.person.id if ctx.person else None,
                    created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(person)
    ctx.session.flush()
    reg.join_community(ctx.session, person, community, ctx.now)
    return Turn([ctx.text("offline.added", name=person.full_name, community=community.name,
                          proxy=ctx.keyword_of(proxy), remove=ctx.keyword_of(remove_member),
                          link=ctx.keyword_of(link_code))])


def _communities(ctx: Context) -> list[Community]:
    return reg.managed_communities(ctx.session, ctx.memberships)


# --- removing -----------------------------------------------------------------------------------

@command("ลบสมาชิก", "remove member", chats={ChatKind.USER}, min_role=Role.COMMUNITY_LEADER)
def remove_member(ctx: Context) -> Turn:
    """ลบข้อมูลสมาชิกที่ไม่มี LINE (ลบสมาชิก ชื่อ) / Erase a member without LINE (remove member NAME)"""
    name = strip_polite(ctx.args).strip()
    if not name:
        return Turn([ctx.text("offline.remove_usage")])
    found = managed_person(ctx, name, lambda label: f"{ctx.keyword} {label}", only=_without_line)
    if isinstance(found, Turn):
        return found
    if not isinstance(found, Person):
        return Turn([found])
    community = reg.member_community(ctx.session, found)
    return Turn([ctx.text("offline.remove_ask", name=found.full_name, community=community.name if community else "-",
                          quick=[(ctx.t("offline.remove_label"),) * 2, (ctx.t("offline.keep_label"),) * 2])],
                flow=REMOVE, step=RemoveStep.CONFIRM, data={"person_id": found.id})


@step(REMOVE, RemoveStep.CONFIRM)
def remove_member_confirm(ctx: Context) -> Turn:
    if ctx.means(KEEP_WORDS):
        return Turn([ctx.text("offline.kept")])
    if not ctx.means(REMOVE_WORDS):
        return Turn([ctx.text("offline.remove_again", quick=[(ctx.t("offline.remove_label"),) * 2,
                                                             (ctx.t("offline.keep_label"),) * 2], cancel=True)],
                    step=RemoveStep.CONFIRM)
    person = ctx.session.get(Person, ctx.data.get("person_id"))
    # Checked again: someone else may have removed them, or the sender lost the role, meanwhile.
    community = reg.member_community(ctx.session, person) if person is not None else None
    if community is None or not _without_line(person) or \
            not reg.can_manage_community(ctx.session, ctx.memberships, community):
        return Turn([ctx.text("offline.already_gone")])
    name = person.full_name
    reg.forget_person(ctx.session, person, ctx.now)
    return Turn([ctx.text("offline.removed", name=name)])


def _without_line(person: Person) -> bool:
    return person.line_user_id is None


# --- linking LINE later -------------------------------------------------------------------------
# The leader gets a code for the member (`ผูกไลน์ ชื่อ`), the member sends `รหัส CODE` from their own
# LINE. Anyone could type a name, so only the code proves who someone is: registering with the same
# name never takes over the row. The member then agrees in their own name; if they had registered
# meanwhile, the two rows are folded into their registered one after they confirm.

@command("ผูกไลน์", "ผูก LINE", "line code", chats={ChatKind.USER}, min_role=Role.COMMUNITY_LEADER)
def link_code(ctx: Context) -> Turn:
    """ให้รหัสผูก LINE แก่สมาชิกที่ไม่มี LINE เมื่อเขามี LINE แล้ว (ผูกไลน์ ชื่อ) / Give a member without LINE a code for their new LINE (line code NAME)"""
    name = strip_polite(ctx.args).strip()
    if not name:
        return Turn([ctx.text("line_link.usage")])
    found = managed_person(ctx, name, lambda label: f"{ctx.keyword} {label}", only=_without_line)
    if isinstance(found, Turn):
        return found
    if not isinstance(found, Person):
        linked = act.people_named(ctx.session, ctx.memberships, name).exact
        if len(linked) == 1:  # they have LINE already (linked before, or registered themselves)
            return Turn([ctx.text("link.already_linked", name=linked[0].full_name or "-")])
        return Turn([found])
    community = reg.member_community(ctx.session, found)
    invite = reg.create_link_code(ctx.session, found, community, ctx.person, ctx.now)
    return Turn([ctx.text("link.code", name=found.full_name, community=community.name, code=invite.code,
                          until=format_when_in(ctx.lang, invite.expires_at)),
                 ctx.text("link.forward", code=invite.code)])


def start_link(ctx: Context, invite: InviteCode) -> Turn:
    """`รหัส CODE` with a link code: a newcomer agrees to the consent text; someone registered merges."""
    offline = ctx.session.get(Person, invite.person_id)
    community = reg.member_community(ctx.session, offline) if offline is not None else None
    if community is None or not _without_line(offline):
        return Turn([ctx.text("link.gone")])
    if ctx.chat_kind != ChatKind.USER:  # the consent text and the member's details are not for a group
        return Turn([ctx.text("link.private_only")])
    if ctx.person is not None and (ctx.person.id == invite.created_by_id or _holds_a_role(ctx)):
        # Whoever looks after members is not the member without LINE: a forwarded code typed by mistake
        # must not turn staff or a leader into them (nor merge the member into them).
        return Turn([ctx.text("link.own_code", name=offline.full_name)])
    data = {"code": invite.code}
    if not reg.is_registered(ctx.person):
        return _ask_link_consent(ctx, offline, community, data)
    if community.id not in {m.community_id for m in ctx.memberships}:
        own = reg.member_community(ctx.session, ctx.person)
        return Turn([ctx.text("link.other_community", offline=offline.full_name, community=community.name,
                              own=own.name if own else "-")])
    return _ask_merge(ctx, offline, community, data)


def _holds_a_role(ctx: Context) -> bool:
    return any(m.role != RoleName.MEMBER for m in ctx.memberships)


def _ask_link_consent(ctx: Context, offline: Person, community: Community, data: dict | None = None,
                      prefix: str | None = None) -> Turn:
    text = ctx.t("link.ask_consent", name=offline.full_name, community=community.name,
                 consent=ctx.t("register.consent"))
    return Turn([ctx.text_message(f"{prefix}\n\n{text}" if prefix else text,
                                  quick=[(ctx.t("register.agree"),) * 2, (ctx.t("register.disagree"),) * 2])],
                flow=LINK if data is not None else None, step=LinkStep.CONSENT, data=data, private=True)


def _ask_merge(ctx: Context, offline: Person, community: Community, data: dict | None = None,
               prefix: str | None = None) -> Turn:
    text = ctx.t("link.ask_merge", offline=offline.full_name, community=community.name,
                 name=ctx.person.full_name or "-")
    return Turn([ctx.text_message(f"{prefix}\n\n{text}" if prefix else text,
                                  quick=[(ctx.t("link.merge_label"),) * 2, (ctx.t("link.keep_label"),) * 2])],
                flow=LINK if data is not None else None, step=LinkStep.MERGE, data=data, private=True)


def _checked_link(ctx: Context) -> tuple[InviteCode, Person, Community] | str:
    """The code, its member and their community, checked again when the answer comes (or why not)."""
    try:
        invite = reg.find_invite(ctx.session, ctx.data.get("code", ""), ctx.now)
    except reg.InviteError as error:  # nothing typed now: "check the letters" would not fit
        return "link.gone" if str(error) == "invite.unknown" else str(error)
    offline = ctx.session.get(Person, invite.person_id) if invite.person_id is not None else None
    community = reg.member_community(ctx.session, offline) if offline is not None else None
    if community is None or not _without_line(offline):
        return "link.gone"
    return invite, offline, community


@step(LINK, LinkStep.CONSENT)
def link_consent(ctx: Context) -> Turn:
    if ctx.means(REFUSE_WORDS):
        return Turn([ctx.text("link.declined")])
    checked = _checked_link(ctx)
    if isinstance(checked, str):
        return Turn([ctx.text(checked)])
    invite, offline, community = checked
    if not ctx.means(CONSENT_WORDS):
        return _ask_link_consent(ctx, offline, community, prefix=ctx.t("link.consent_again"))
    if reg.is_registered(ctx.person) or _holds_a_role(ctx):  # registered, or given a role, meanwhile
        return start_link(ctx, invite)
    reg.take_invite(ctx.session, invite, offline, ctx.now)
    lang = None
    if ctx.person is not None:  # a row with no consent (a language chosen, say): the member's row takes over
        lang = ctx.person.language
        ctx.session.delete(ctx.person)
        ctx.session.flush()  # before the user id moves to the member's row: it is unique
    reg.link_line(ctx.session, offline, ctx.user_id, lang, ctx.now)
    menu_links.refresh(ctx.session, offline, ctx.now)
    _tell_leader(ctx, invite, offline, community)
    return Turn([ctx.text("link.done", name=offline.full_name, community=community.name)])


@step(LINK, LinkStep.MERGE)
def link_merge(ctx: Context) -> Turn:
    if ctx.means(NO_MERGE_WORDS):
        return Turn([ctx.text("link.not_merged")])
    checked = _checked_link(ctx)
    if isinstance(checked, str):
        return Turn([ctx.text(checked)])
    invite, offline, community = checked
    if not ctx.means(MERGE_WORDS):
        return _ask_merge(ctx, offline, community, prefix=ctx.t("link.merge_again"))
    if not reg.is_registered(ctx.person) or _holds_a_role(ctx) or \
            community.id not in {m.community_id for m in ctx.memberships}:
        return start_link(ctx, invite)  # erased their data, moved, or given a role, meanwhile: ask what fits now
    reg.take_invite(ctx.session, invite, ctx.person, ctx.now)
    name = offline.full_name
    moved = reg.merge_offline(ctx.session, offline, ctx.person, ctx.now)
    _tell_leader(ctx, invite, ctx.person, community)
    return Turn([ctx.text("link.merged" if moved else "link.merged_nothing_to_move", offline=name,
                          name=ctx.person.full_name or "-", moved=moved)])


def namesake_registered(ctx: Context, person: Person, community: Community) -> list[Message]:
    """Someone just registered under the name of a member without LINE of their community: perhaps the
    same person. Only the leader's code may join the two, so the newcomer is told to ask for one, and
    the community's leaders are told to give it if it is them."""
    if not reg.namesakes_without_line(ctx.session, community, person.full_name or ""):
        return []
    for leader in act.community_leaders(ctx.session, community.id):
        if leader.id == person.id:
            continue
        lang = leader.language or "th"
        text = text_for(lang, "link.namesake_leader", name=person.full_name, community=community.name,
                        command=ctx.registry.spec_of(link_code).keyword_for(lang))
        outbox.enqueue(ctx.session, [leader.line_user_id], [text_message(text)], now=ctx.now,
                       dedupe_key=f"link-namesake:{person.id}:{leader.id}")
    return [ctx.text("link.namesake_hint", name=person.full_name, community=community.name)]


def _tell_leader(ctx: Context, invite: InviteCode, member: Person, community: Community) -> None:
    """The leader who gave the code learns it worked: they need not answer for this member any more."""
    leader = ctx.session.get(Person, invite.created_by_id) if invite.created_by_id else None
    if leader is None or not leader.reachable or leader.line_user_id == ctx.user_id:
        return
    text = text_for(leader.language or "th", "link.done_leader", name=member.full_name or "-",
                    community=community.name)
    outbox.enqueue(ctx.session, [leader.line_user_id], [text_message(text)], now=ctx.now,
                   dedupe_key=f"link-done:{invite.id}")

