"""`ผู้เข้าร่วม` / `attendees`: who is coming, by community."""

from __future__ import annotations

from linebot.v3.messaging import Message
from sqlalchemy import select

from handlers.thaitime import format_when_in
from handlers.context import Context, text_message
from handlers.registry import ChatKind, command, strip_polite
from handlers.services import activities as act
from handlers.services import registry as reg
from models import Activity, Community, Person, Rsvp
from handlers.rsvp.checkin import _rate_line
from handlers.rsvp.naming import _echo, _name, _unknown_code, _usage

# A chat reply stays within a screen or two: names only for up to this many answers (else by community),
# community lines up to COMMUNITY_LINES, and at most NAMES_LIMIT names per answer of one community.
NAMES_LIMIT = 60
COMMUNITY_LINES = 20


@command("ผู้เข้าร่วม", "attendees")
def attendees(ctx: Context) -> list[Message]:
    """ดูจำนวนผู้ตอบรับแยกตามชุมชน เช่น “ผู้เข้าร่วม K7M2” / See answers by community, e.g. “attendees K7M2”"""
    code, _, wanted = strip_polite(ctx.args.translate(reg.THAI_DIGITS)).strip().partition(" ")
    if not code:
        return [_usage(ctx, "attendees.usage")]
    activity = act.find_activity(ctx.session, ctx.memberships, code)
    if activity is None:
        return [_unknown_code(ctx, code)]
    leader = act.sees_names(ctx.session, ctx.memberships, activity)
    # Names are personal: shown to leaders, and only in a 1:1 chat where nobody else reads them.
    names = leader and ctx.chat_kind == ChatKind.USER
    lines = [ctx.t("attendees.header", title=activity.title, code=activity.code,
                   when=format_when_in(ctx.lang, activity.starts_at))]
    if activity.capacity is not None:
        lines.append(ctx.t("attendees.capacity", capacity=activity.capacity,
                           left=act.seats_left(ctx.session, activity)))
    if activity.seats_per_community:
        lines.append(ctx.t("attendees.quota", limit=activity.seats_per_community))
    rows = act.counts_by_community(ctx.session, activity)
    if not rows:
        lines.append(ctx.t("attendees.none"))
        return [text_message("\n".join(lines))]
    by_community: dict[int | None, dict[str, int]] = {}
    for community_id, answer, waitlisted, people in rows:
        slot = "waitlisted" if waitlisted else str(answer)
        counts = by_community.setdefault(community_id, dict.fromkeys(("going", "maybe", "not_going", "waitlisted"), 0))
        counts[slot] += people
    totals = {slot: sum(c[slot] for c in by_community.values()) for slot in ("going", "maybe", "not_going", "waitlisted")}
    lines.append(ctx.t("attendees.totals", **totals))
    communities = {c.id: c for c in ctx.session.scalars(select(Community).where(
        Community.id.in_([i for i in by_community if i is not None])))}
    order = sorted(by_community, key=lambda i: (i is None, communities[i].name if i is not None else ""))
    # One screen: a 3,000-person training of 80 communities is counted, and its names are asked for by community.
    only: Community | None = None
    if wanted.strip():
        match = reg.match_community(ctx.session, wanted, [activity.organization_id])
        if match.found is None or match.found.id not in by_community:
            return [ctx.text("attendees.community_unknown", text=_echo(wanted.strip()), code=activity.code)]
        only, order = match.found, [match.found.id]
    answers = act.answer_count(ctx.session, activity)
    listed: dict[int | None, dict[str, list[str]]] = {}
    if names and (only is not None or answers <= NAMES_LIMIT):
        listed = _names_by_community(ctx, activity, only.id if only is not None else None)
    shown = order if only is not None else order[:COMMUNITY_LINES]
    for community_id in shown:
        label = communities[community_id].name if community_id is not None else ctx.t("attendees.no_community")
        lines.append(ctx.t("attendees.community", community=label, **by_community[community_id]))
        for slot, people in listed.get(community_id, {}).items():
            more = len(people) - NAMES_LIMIT
            text = ", ".join(people[:NAMES_LIMIT]) + (ctx.t("attendees.more_names", count=more) if more > 0 else "")
            lines.append(ctx.t("attendees.names", label=ctx.t(f"attendees.label.{slot}"), names=text))
    if len(shown) < len(order):
        lines.append(ctx.t("attendees.more_communities", count=len(order) - len(shown)))
    if names and only is None and answers > NAMES_LIMIT:
        lines.append(ctx.t("attendees.names_by_community", count=answers, code=activity.code,
                           example=communities[order[0]].name if order[0] is not None else ""))
    if leader:
        seen = act.attendance(ctx.session, activity)
        if seen.came:
            lines.append(_rate_line(ctx, seen))
    if not names:
        lines.append(ctx.t("attendees.names_private" if leader else "attendees.names_hidden"))
    return [text_message("\n".join(lines))]


def _names_by_community(ctx: Context, activity: Activity,
                        community_id: int | None = None) -> dict[int | None, dict[str, list[str]]]:
    """Names per community (or of one) and answer; guests as (+N), checked in as ✓, the waitlist in its order."""
    query = (select(Rsvp, Person).join(Person, Person.id == Rsvp.person_id).where(Rsvp.activity_id == activity.id)
             .order_by(Rsvp.waitlisted_at, Rsvp.answered_at, Rsvp.id))
    if community_id is not None:
        query = query.where(Rsvp.community_id == community_id)
    rows = ctx.session.execute(query).all()
    listed: dict[int | None, dict[str, list[str]]] = {}
    for rsvp, person in rows:
        slot = "waitlisted" if rsvp.waitlisted_at is not None else str(rsvp.answer)
        name = _name(person) + (f" (+{rsvp.guests})" if rsvp.guests else "") + (" ✓" if rsvp.checked_in_at else "")
        slots = listed.setdefault(rsvp.community_id, {key: [] for key in ("going", "maybe", "not_going", "waitlisted")})
        slots[slot].append(name)
        if rsvp.waiting_guests:  # her guests who did not fit wait; she is seated
            slots["waitlisted"].append(ctx.t("attendees.guests_of", name=_name(person), guests=rsvp.waiting_guests))
    return {c: {slot: people for slot, people in slots.items() if people} for c, slots in listed.items()}
