"""Members without LINE (`เพิ่มสมาชิก` / `ลบสมาชิก`): a leader registers, and removes, a member who has no
smartphone, so that the leader can answer activities for them (`ตอบแทน`).

Such a member has no LINE user id: nothing is ever sent to them (Person.reachable), and they cannot
see or erase their data themselves, so the leader who manages their community does it for them. Their
consent is given in person, and the leader records it: the flow does not store anything before the
leader confirms that the member agreed, and the person row says who recorded it.
"""

from __future__ import annotations

from enum import StrEnum


from handlers import pickers
from handlers.context import SKIP_WORDS, Context, Turn
from handlers.registry import ChatKind, Role, command, step, strip_polite
from handlers.rsvp import managed_person, proxy
from handlers.services import activities as act
from handlers.services import registry as reg
from models import Community, Person

ADD, REMOVE = "add_member", "remove_member"
AGREED_WORDS = frozenset({"ยินยอมแล้ว", "ยินยอม", "ตกลง", "ใช่", "yes", "agreed", "agree", "they agreed"})
NOT_AGREED_WORDS = frozenset({"ยังไม่ยินยอม", "ไม่ยินยอม", "ไม่", "no", "not yet", "did not agree"})
REMOVE_WORDS = frozenset({"ลบ", "ยืนยัน", "ใช่", "remove", "yes", "confirm"})
KEEP_WORDS = frozenset({"ไม่ลบ", "ไม่", "keep", "no"})


class AddStep(StrEnum):
    NAME = "awaiting_name"
    COMMUNITY = "awaiting_community"
    PHONE = "awaiting_phone"
    CONSENT = "awaiting_consent"


class RemoveStep(StrEnum):
    CONFIRM = "awaiting_confirm"


# --- adding -------------------------------------------------------------------------------------

@command("เพิ่มสมาชิก", "add member", chats={ChatKind.USER}, min_role=Role.COMMUNITY_LEADER)
def add_member(ctx: Context) -> Turn:
    """ลงทะเบียนสมาชิกที่ไม่มี LINE (เมื่อเจ้าตัวยินยอม) / Register a member who has no LINE (with their consent)"""
    if not _communities(ctx):
        return Turn([ctx.text("offline.no_community")])
    return Turn([ctx.text("offline.ask_name", cancel=True)], flow=ADD, step=AddStep.NAME, data={})


@step(ADD, AddStep.NAME)
def add_member_name(ctx: Context) -> Turn:
    name = ctx.args.strip()
    refusal = reg.name_refusal(name, "offline.name_invalid")
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
    if match.found is None or match.found not in communities:
        answer = ctx.args.strip()
        answer = answer if len(answer) <= 40 else answer[:40] + "…"
        # Part of a name ("ทุ่งพัฒนา") offers the communities it may be, as registration does.
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
    if ctx.means(SKIP_WORDS):
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
                          proxy=ctx.keyword_of(proxy), remove=ctx.keyword_of(remove_member))])


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

