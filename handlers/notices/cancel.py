"""`ยกเลิกประกาศ` / `cancel notice`: take back a notice still waiting for its send time."""

from __future__ import annotations

import re
from typing import Any

from linebot.v3.messaging import Message, PostbackAction, QuickReply, QuickReplyItem, TextMessage
from sqlalchemy import select

from bot import outbox
from handlers.thaitime import format_when_in
from handlers.catalog import CATALOGUES, text_for
from handlers.context import Context, button_label, command_refusal, record_id
from handlers.registry import Role, command, postback
from handlers.services import notices as svc
from handlers.services import registry as reg
from models import Community, Network, Notice, NoticeScope, NoticeStatus, Organization, Person
from handlers.notices.answers import _name
from handlers.notices.flow import ONLY_1_1, _short


CANCEL_LIST_LIMIT = 12  # one quick-reply button per notice (LINE allows 13)
NUMBER = re.compile(r"(?:เลขที่|เลข|no\.?|number)?\s*#?\s*(\d{1,9})", re.IGNORECASE)


@command("ยกเลิกประกาศ", "ยกเลิก ประกาศ", "cancel notice", chats=ONLY_1_1, min_role=Role.COMMUNITY_LEADER)
def cancel_notice(ctx: Context) -> list[Message]:
    """ยกเลิกประกาศที่ตั้งเวลาไว้ก่อนถึงเวลาส่ง / Cancel a scheduled notice before it goes out"""
    if not ctx.args:
        return [_cancellable_list(ctx)]
    found = NUMBER.fullmatch(ctx.args.translate(reg.THAI_DIGITS))
    if found is None:
        return [ctx.text("notice.cancel_usage", keyword=_cancel_keyword(ctx))]
    notice = ctx.session.get(Notice, int(found.group(1)))
    if notice is None:
        return [ctx.text("notice.cancel_unknown", number=int(found.group(1)), keyword=_cancel_keyword(ctx))]
    return [_ask_cancel(ctx, notice)]


def _cancel_spec(ctx: Context) -> Any:
    """The registered `cancel notice` command."""
    return ctx.registry.spec_of(cancel_notice)


def _cancel_keyword(ctx: Context) -> str:
    """The cancel command as the sender would type it."""
    return _cancel_spec(ctx).keyword_for(ctx.lang)


def _quick_postback(ctx: Context, label: str, data: str, display: str) -> QuickReplyItem:
    """A quick-reply postback button that remembers the language it was shown in."""
    return QuickReplyItem(action=PostbackAction(label=button_label(label), data=f"{data}&l={ctx.lang}", display_text=display))


def _cancel_button(ctx: Context, notice: Notice, label: str) -> QuickReplyItem:
    return _quick_postback(ctx, label, f"a=notice_cancel_ask&n={notice.id}",
                           ctx.t("notice.cancel_choose_display", number=notice.id))


def _notice_target(ctx: Context, notice: Notice) -> str:
    scope = NoticeScope(notice.scope)
    model, ident = {NoticeScope.ORGANIZATION: (Organization, notice.organization_id),
                    NoticeScope.NETWORK: (Network, notice.network_id),
                    NoticeScope.COMMUNITY: (Community, notice.community_id)}[scope]
    place = ctx.session.get(model, ident) if ident is not None else None
    return ctx.t(f"notice.target.{scope}", name=place.name if place is not None else "-")


def _notice_lines(ctx: Context, notice: Notice) -> list[str]:
    """A scheduled notice in a few lines: number and send time, text, to whom, and its author if not the sender."""
    lines = [ctx.t("notice.cancel_item", number=notice.id, when=format_when_in(ctx.lang, notice.send_at),
                   text=_short(notice.text)),
             ctx.t("notice.preview_to", roles=ctx.t(f"notice.role.{notice.role_filter}"),
                   target=_notice_target(ctx, notice))]
    if ctx.person is None or notice.author_id != ctx.person.id:
        author = ctx.session.get(Person, notice.author_id) if notice.author_id else None
        lines.append(ctx.t("notice.cancel_author", name=_name(author) if author else "-"))
    return lines


def _cancellable_list(ctx: Context) -> Message:
    found, count = svc.cancellable(ctx.session, ctx.memberships, ctx.person, CANCEL_LIST_LIMIT)
    if not found:
        return ctx.text("notice.cancel_none")
    blocks = [ctx.t("notice.cancel_list_header", count=count)]
    blocks += ["\n".join(_notice_lines(ctx, notice)) for notice in found]
    if count > len(found):
        blocks.append(ctx.t("notice.cancel_list_more", count=count - len(found), limit=CANCEL_LIST_LIMIT))
    buttons = [_cancel_button(ctx, notice, ctx.t("notice.cancel_choose", number=notice.id)) for notice in found]
    return TextMessage(text="\n\n".join(blocks), quickReply=QuickReply(items=buttons))


def _cancel_refusal(ctx: Context, notice: Notice) -> Message | None:
    """Why the sender may not cancel this notice now (None when they may). Buttons get the checks the
    dispatcher gives the typed command, too: a stale or forwarded one is not a way around them."""
    refusal = command_refusal(ctx, _cancel_spec(ctx))
    if refusal is not None:
        return refusal
    if not svc.may_cancel(ctx.memberships, ctx.person, notice):
        return ctx.text("notice.cancel_not_yours", number=notice.id)
    status = NoticeStatus(notice.status)
    if status == NoticeStatus.CANCELLED:
        return ctx.text("notice.cancel_already", number=notice.id)
    if status == NoticeStatus.SENT:
        return ctx.text("notice.cancel_sent", number=notice.id,
                        when=format_when_in(ctx.lang, notice.sent_at or notice.send_at))
    if status != NoticeStatus.SCHEDULED:  # sending, or stopped part-way by LINE's quota
        return ctx.text("notice.cancel_sending", number=notice.id)
    return None


def _ask_cancel(ctx: Context, notice: Notice) -> Message:
    refusal = _cancel_refusal(ctx, notice)
    if refusal is not None:
        return refusal
    text = "\n".join([ctx.t("notice.ask_cancel"), *_notice_lines(ctx, notice),
                      ctx.t("notice.ask_cancel_note", people=f"{notice.recipients:,}")])
    buttons = [_quick_postback(ctx, ctx.t("notice.cancel_yes"), f"a=notice_cancel&n={notice.id}",
                               ctx.t("notice.cancel_yes_display", number=notice.id)),
               _quick_postback(ctx, ctx.t("notice.cancel_no"), f"a=notice_keep&n={notice.id}",
                               ctx.t("notice.cancel_no"))]
    return TextMessage(text=text, quickReply=QuickReply(items=buttons))


def _posted_notice(ctx: Context, *, lock: bool = False) -> Notice | None:
    """The notice a button names; locked and read afresh when it is about to change, so a cancel and
    the scheduler starting to queue it take turns (PostgreSQL) and the loser sees what the winner did."""
    ident = record_id(ctx.params.get("n"))
    if ident is None:
        return None
    if not lock:
        return ctx.session.get(Notice, ident)
    return ctx.session.scalars(select(Notice).where(Notice.id == ident).with_for_update()
                               .execution_options(populate_existing=True)).first()


@postback("notice_cancel_ask")
def notice_cancel_ask(ctx: Context) -> list[Message]:
    """A notice chosen from the cancel list (or the button under "scheduled"): ask to confirm."""
    ctx.use_button_lang()
    notice = _posted_notice(ctx)
    if notice is None:
        return [ctx.text("postback.unknown")]
    return [_ask_cancel(ctx, notice)]


@postback("notice_cancel")
def notice_cancel(ctx: Context) -> list[Message]:
    """ยืนยันยกเลิก: the notice is cancelled and its author told, if someone else cancelled it."""
    ctx.use_button_lang()
    notice = _posted_notice(ctx, lock=True)
    if notice is None:
        return [ctx.text("postback.unknown")]
    refusal = _cancel_refusal(ctx, notice)
    if refusal is not None:
        return [refusal]
    if not svc.cancel_notice(ctx.session, notice):  # the scheduler started it meanwhile
        return [_cancel_refusal(ctx, notice) or ctx.text("postback.unknown")]
    lines = [ctx.t("notice.cancelled", number=notice.id, text=_short(notice.text))]
    author = ctx.session.get(Person, notice.author_id) if notice.author_id else None
    if author is not None and author.reachable and (ctx.person is None or author.id != ctx.person.id):
        # Staff cancelled someone else's notice: its author would otherwise think it is still going out.
        lang = author.language if author.language in CATALOGUES else "th"
        outbox.enqueue(ctx.session, [author.line_user_id], [TextMessage(text=text_for(
            lang, "notice.cancelled_author", number=notice.id, text=_short(notice.text),
            when=format_when_in(lang, notice.send_at), name=_name(ctx.person) if ctx.person else "-"))],
            now=ctx.now, quiet_hours=True, dedupe_key=f"notice_cancelled:{notice.id}",
            topic=svc.topic_of(notice.id) + ":cancelled")
        lines.append(ctx.t("notice.cancel_author_told", name=_name(author)))
    return [ctx.text_message("\n".join(lines))]


@postback("notice_keep")
def notice_keep(ctx: Context) -> list[Message]:
    """ไม่ยกเลิก: nothing changes."""
    ctx.use_button_lang()
    notice = _posted_notice(ctx)
    if notice is None:
        return [ctx.text("postback.unknown")]
    return [ctx.text("notice.cancel_kept", number=notice.id)]
