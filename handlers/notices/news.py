"""`ข่าว` / `news`: the latest notices, pulled instead of pushed."""

from __future__ import annotations

from linebot.v3.messaging import Message, PostbackAction, QuickReply, QuickReplyItem, TextMessage
from sqlalchemy import select

from handlers.thaitime import format_when_in
from handlers.catalog import counted
from handlers.context import Context
from handlers.registry import ChatKind, command
from handlers.services import notices as svc
from handlers.services import registry as reg
from models import Notice, NoticeAck
from handlers.notices.flow import _clip


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
    lines = [ctx.t(counted("news.header", len(found)), count=len(found))]
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
