"""`ประกาศ สถานะ` / `notice status` and `แจ้งเตือนด่วน สถานะ` / `alert status`: who received, read and answered."""

from __future__ import annotations

from linebot.v3.messaging import Message

from handlers.thaitime import format_when_in
from handlers.context import Context
from handlers.registry import Role, command
from handlers.services import notices as svc
from handlers.services import registry as reg
from models import AckKind, Notice, NoticeStatus
from handlers.notices.answers import _name, proxy_label
from handlers.notices.compose import OFFLINE_LINES
from handlers.notices.flow import COMMUNITY_LINES, ONLY_1_1, PENDING_NAMES, STATUS_LIMIT, _short


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
            rows = svc.tally(ctx.session, notice, ctx.now)
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
                count = sum(row.silent for row in rows)
                names = svc.unanswered_names(ctx.session, notice, PENDING_NAMES) if count else []
                if count == 0:
                    # Nobody left to expect (every recipient erased their data) is not "everyone acknowledged".
                    if any(row.expected for row in rows):
                        lines.append(ctx.t("notice.status_all_acked"))
                elif not names:  # everyone still silent has since left (blocked the bot, erased their data)
                    lines.append(ctx.t("notice.status_pending_count", count=count))
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
    rows = svc.tally(ctx.session, notice, ctx.now)
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
    # Who needs help, latest first: one screen of them (each line a name, a phone and where), the rest on
    # the web desk, which lists them all.
    for person, ack, community, leader in svc.need_help(ctx.session, notice, limit=OFFLINE_LINES):
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
    if helped > OFFLINE_LINES:
        lines.append(ctx.t("alert.status_help_more", count=helped - OFFLINE_LINES))
    # Members without LINE a leader phoned and answered for: counted above, named here with who answered.
    for person, _ack, community, leader in svc.answered_for(ctx.session, notice, AckKind.SAFE, OFFLINE_LINES):
        lines.append(ctx.t("alert.status_proxy_safe_line", name=_name(person),
                           community=community or ctx.t("notice.no_community"))
                     + ctx.t("alert.status_by_proxy", leader=proxy_label(ctx.lang, leader)))
    # Members without LINE got nothing and cannot answer: staff (or their leaders) check on them in person
    # and answer for them; those already answered for are not listed again. How many: from the counts kept
    # when the alert went out; who: the first of them, with their communities in one statement.
    count, chosen = 0, []
    for row in sorted(rows, key=lambda r: (r.name is None, r.name or "")):  # by community name, as staff read
        if row.offline_silent and row.community_id is not None:
            if count < OFFLINE_LINES:
                chosen.append(row.community_id)
            count += row.offline_silent
    offline = svc.offline_silent(ctx.session, notice, chosen, OFFLINE_LINES)
    if offline:
        count = max(count, len(offline))
        communities = reg.member_communities(ctx.session, offline)
        lines.append(ctx.t("alert.status_offline", count=count))
        for person in offline:
            community = communities.get(person.id)
            lines.append(ctx.t("alert.status_offline_line", name=_name(person),
                               community=community.name if community else ctx.t("notice.no_community"),
                               phone=person.phone or ctx.t("alert.no_phone")))
        if count > len(offline):
            lines.append(ctx.t("alert.status_offline_more", count=count - len(offline)))
        example = _name(offline[0])
        lines.append(ctx.t("alert.offline_note_how", safe=ctx.t("alert.proxy_safe_command", name=example),
                           help=ctx.t("alert.proxy_help_command", name=example)))
    return [ctx.text_message("\n".join(lines))]
