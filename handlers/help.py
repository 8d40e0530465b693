"""Help and greetings: what the bot says when it does not know what else to say."""

from __future__ import annotations

from linebot.v3.messaging import Message

from bot.messages import serialized
from handlers.catalog import CATALOGUES
from handlers.context import Context, text_message
from handlers.registry import ChatKind, command, on_event
from handlers.services import registry as reg


@command("ช่วยเหลือ", "วิธีใช้", "help", "menu")
def help(ctx: Context) -> list[Message]:
    """ดูคำสั่งทั้งหมดที่คุณใช้ได้ / See every command you can use"""
    return help_messages(ctx)


def help_messages(ctx: Context, prefix: str | None = None) -> list[Message]:
    """The command list, built from the registry, limited to the sender's role and this kind of chat.

    Without a prefix it depends only on the registry, the language, the role and the chat kind, and
    `help` is the most frequent command there is: it is built and serialised once per combination
    (see bot/messages.py Serialized). With a prefix (the answer to an unknown message, which quotes
    it) it is built each time."""
    if prefix is not None:
        return [_build(ctx, prefix)]
    key = ("help", ctx.lang, ctx.role, ctx.chat_kind, _registered(ctx))
    if key not in ctx.registry.memo:
        ctx.registry.memo[key] = serialized([_build(ctx, None)])  # every piece, should fit() ever split it
    return list(ctx.registry.memo[key])


def _build(ctx: Context, prefix: str | None) -> Message:
    lines = [prefix] if prefix else []
    lines.append(ctx.t("help.header"))
    visible = [spec for spec in ctx.registry.commands
               if spec.min_role <= ctx.role and ctx.chat_kind in spec.chats]
    registered = _registered(ctx)
    for spec in visible:
        # A command that does something else for someone already registered says so (registering again
        # in the 1:1 chat changes their details): its catalogue text for them, if it has one.
        own = f"help.registered.{spec.name}"
        text = ctx.t(own) if registered and own in CATALOGUES[ctx.lang] else \
            spec.help_th if ctx.lang == "th" else spec.help_en
        lines.append(ctx.t("help.line", keyword=spec.keyword_for(ctx.lang), help=text))
    if ctx.chat_kind != ChatKind.USER:
        lines.append(ctx.t("help.group_hint"))
    # In a group a button must call the bot like any message there ("บอท กิจกรรม"), or it is not read.
    quick = [(spec.keyword_for(ctx.lang), ctx.command_text(spec.keyword_for(ctx.lang)))
             for spec in visible if spec.name != "help"]
    return text_message("\n".join(lines), quick=quick)


def _registered(ctx: Context) -> bool:
    """Whether the help is for someone already registered, in the 1:1 chat (in a group, registering
    there joins the group's community, which is what the usual text says)."""
    return ctx.chat_kind == ChatKind.USER and reg.is_registered(ctx.person)


@on_event("follow")
def follow(ctx: Context) -> list[Message]:
    """Greet a user who added (or unblocked) the bot; a reply, so it costs no quota."""
    if ctx.person is not None:
        ctx.person.blocked_at = None  # set by `unfollow` (handlers/groups.py): pushes reach them again
    return [ctx.text("greeting.follow")]


@on_event("join")
def join(ctx: Context) -> list[Message]:
    """Introduce the bot to a group that just added it."""
    return [ctx.text("greeting.join")]
