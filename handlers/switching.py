"""Another command typed in the middle of a conversation: whether it is one, the question whether to stop and
go there, and what a step asked (kept in the conversation row so it can be asked again).

The dispatcher (handlers/dispatcher.py) calls these; the two buttons are its own postbacks, no handler's.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from linebot.v3.messaging import Action, Message, MessageAction, PostbackAction, QuickReply, QuickReplyItem, TextMessage
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.catalog import CATALOGUES
from handlers.context import Context, button_label, command_refusal
from handlers.registry import Match, normalize, word_in
from models import Activity, Conversation, InviteCode

# Another command typed mid-conversation: the question's two buttons (dispatcher postbacks, no handler's).
SWITCH_ACTION = "flow_go"    # stop the conversation and run the command: a=flow_go&c=<id>&v=<turn>&t=<command>
STAY_ACTION = "flow_stay"    # keep going: the step's question again, a=flow_stay&c=<id>
POSTBACK_DATA_LIMIT = 300    # LINE's limit for a postback action's data


def switches(session: Session, answer: str, command: Match, asked: dict[str, Any]) -> bool:
    """Whether an answer that reads as a command is one: not when the step offered it as a button ("ชุมชน"
    as a notice's scope, polite ending or not), and a code after the keyword must name an activity or an
    invite ("ข่าว 2568" stays a notice's text)."""
    if word_in(answer, offered(asked)) is not None:
        return False
    if not command.args:
        return True
    code = command.args.upper().replace("-", "")
    if len(code) == 4:
        # Only whether the text reads as a command, for any sender: a stranger registering who types a card's
        # code is asked to switch, and the command then answers as their scope allows (activities.find_activity).
        found = session.scalar(select(Activity.id).where(Activity.code == code).limit(1))
    else:
        found = session.scalar(select(InviteCode.id).where(InviteCode.code == f"{code[:4]}-{code[4:]}").limit(1))
    return found is not None


def ask_to_switch(ctx: Context, conversation: Conversation, command: Match,
                  asked: dict[str, Any]) -> list[Message] | None:
    """Ask whether to stop the conversation and run the command; the row stays as it is until a button is
    pressed. A command this sender may not use here is refused at once, and the step's question repeated.
    None (the step takes the text) for a command too long for a button's data."""
    refusal = command_refusal(ctx, command.spec)
    if refusal is not None:
        return [refusal, question_again(ctx, asked)]
    text = f"{command.keyword} {command.args}".strip()
    go = urlencode({"a": SWITCH_ACTION, "c": conversation.id, "v": asked.get("v", ""), "l": ctx.lang, "t": text})
    if len(go) > POSTBACK_DATA_LIMIT:  # no keyword is that long (a test checks)
        return None
    what = doing(ctx, conversation.flow)
    go_label, stay_label = ctx.t("flow.switch_go", command=text), ctx.t("flow.switch_stay")
    buttons = QuickReply(items=[
        QuickReplyItem(action=PostbackAction(label=button_label(go_label), data=go, displayText=go_label)),
        QuickReplyItem(action=PostbackAction(
            label=button_label(stay_label), displayText=stay_label,
            data=urlencode({"a": STAY_ACTION, "c": conversation.id, "l": ctx.lang}))),
    ])
    return [TextMessage(text=ctx.t("flow.switch_ask", doing=what, command=text), quickReply=buttons)]


def asked_of(messages: list[Message], here: bool) -> dict[str, Any]:
    """What the dispatcher keeps of a turn: a fresh random token, and the step's question when it was asked
    `here`, in the conversation's chat: the last message's text and quick replies (LINE shows quick replies on
    the last message only). Read attribute by attribute: this runs at every step, and a pydantic `to_dict` of
    twelve buttons costs about a millisecond; only a picker or location button takes one."""
    asked: dict[str, Any] = {"v": secrets.token_urlsafe(6)}
    last = messages[-1] if messages else None
    if here and isinstance(last, TextMessage):
        items = last.quick_reply.items if last.quick_reply is not None else []
        asked["text"] = last.text
        asked["quick"] = [{"type": "message", "label": item.action.label, "text": item.action.text}
                          if isinstance(item.action, MessageAction) else item.action.to_dict() for item in items]
    return asked


def doing(ctx: Context, flow: str) -> str:
    """What the open conversation is doing, in words ("สมัครสมาชิก"); a flow without its own words gets general ones."""
    key = f"flow.doing.{flow}"
    return ctx.t(key if key in CATALOGUES.get(ctx.lang, CATALOGUES["th"]) else "flow.doing")


def offered(asked: dict[str, Any]) -> frozenset[str]:
    """What the step's quick-reply buttons send, normalized: answers at that step even when a keyword."""
    return frozenset(normalize(action.get("text") or "") for action in asked.get("quick", ())
                     if action.get("type") == "message")


def question_again(ctx: Context, asked: dict[str, Any], prefix: str | None = None) -> TextMessage:
    """The step's question once more, with its buttons (when it is not kept, asked in a group for a
    conversation in the 1:1 chat or from before it was kept: how to go on, and the cancel button)."""
    if "text" not in asked:
        return ctx.text("flow.still_waiting", cancel=True)
    items = [QuickReplyItem(action=Action.from_dict(action)) for action in asked.get("quick", ())]
    text = f"{prefix}\n{asked['text']}" if prefix else asked["text"]
    return TextMessage(text=text, quickReply=QuickReply(items=items) if items else None)
