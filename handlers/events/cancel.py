"""`ยกเลิกกิจกรรม` / `cancel event`: confirm with buttons, then cancel and tell."""

from __future__ import annotations

from linebot.v3.messaging import Message, PostbackAction, QuickReply, QuickReplyItem, TextMessage

from handlers import cards
from handlers.catalog import text_for
from handlers.context import Context, record_id, text_message
from handlers.registry import Role, command, postback
from handlers.services import activities as svc
from models import Activity
from handlers.events.edit import _activity_to_change, _refusal
from handlers.events.flow import GROUP_LANG
from handlers.events.reading import _answer
from handlers.events.telling import _answered, _notify, _tell_host, _tell_proxies, _told, tell_groups


@command("ยกเลิกกิจกรรม", "cancel event", min_role=Role.COMMUNITY_LEADER)
def cancel_event(ctx: Context) -> list[Message]:
    """ยกเลิกกิจกรรมและแจ้งผู้ที่ตอบรับ / Cancel an activity and tell those who answered"""
    found = _activity_to_change(ctx, _answer(ctx), "event.cancel_usage")
    if not isinstance(found, Activity):
        return [found]
    # Those `_answered` will tell, and the waitlisted among them, counted without loading them.
    people, waitlisted = svc.interested_count(ctx.session, found, besides=ctx.person)
    lang = f"&l={ctx.lang}"
    # Buttons, not a conversation: "ยกเลิก" typed in a conversation would only end the conversation.
    buttons = QuickReply(items=[
        QuickReplyItem(action=PostbackAction(label=ctx.t("event.cancel_yes"), data=f"a=event_cancel&id={found.id}{lang}",
                                             display_text=ctx.t("event.cancel_yes_display", code=found.code))),
        QuickReplyItem(action=PostbackAction(label=ctx.t("event.cancel_no"), data=f"a=event_keep&id={found.id}{lang}",
                                             display_text=ctx.t("event.cancel_no"))),
    ])
    text = ctx.t("event.ask_cancel", title=found.title, when=cards.when_range(ctx.lang, found.starts_at),
                 count=people - waitlisted)
    if waitlisted:
        text += "\n" + ctx.t("event.ask_cancel_waitlisted", count=waitlisted)
    return [TextMessage(text=text, quickReply=buttons)]


def _postback_activity(ctx: Context, *, lock: bool = False) -> Activity | None:
    ident = record_id(ctx.params.get("id"))
    if ident is None:
        return None
    return svc.locked_activity(ctx.session, ident) if lock else ctx.session.get(Activity, ident)


@postback("event_cancel")
def event_cancel(ctx: Context) -> list[Message]:
    ctx.use_button_lang()
    activity = _postback_activity(ctx, lock=True)
    if activity is None:
        return [ctx.text("postback.unknown")]
    # The same question the typed command and the edit flow ask: may this person change this activity
    # now (can_change_activity: its organization's staff, the network's chair, the host's leaders, or
    # its creator while still a leader), stricter than the command's minimum role alone.
    refusal = _refusal(ctx, activity)
    if refusal is not None:
        return [refusal]
    svc.cancel_activity(activity, ctx.now)

    def values(lang: str) -> dict[str, object]:
        return {"when": cards.when_range(lang, activity.starts_at, activity.ends_at)}

    answered = _answered(ctx, activity)
    _notify(ctx, activity, answered.people, "event.cancel_notice", "cancelled", with_card=False, values=values)
    host = _tell_host(ctx, activity, answered.people, "event.cancel_notice", "cancelled", with_card=False, values=values)
    notice = text_for(GROUP_LANG, "event.cancel_notice", title=activity.title, code=activity.code,
                      when=cards.when_range(GROUP_LANG, activity.starts_at, activity.ends_at))
    groups = tell_groups(ctx.session, activity, text_message(notice), ctx.now, "cancelled", except_chat=ctx.chat_id)
    lines = [ctx.t("event.cancelled", title=activity.title), *_told(ctx, answered, groups, host),
             *_tell_proxies(ctx, activity, "cancelled")]
    return [text_message("\n".join(lines))]


@postback("event_keep")
def event_keep(ctx: Context) -> list[Message]:
    ctx.use_button_lang()
    activity = _postback_activity(ctx)
    return [ctx.text("event.cancel_kept", title=activity.title if activity else "-")]
