"""From a parsed LINE event to the handler that answers it.

`route` decides, reading only, whether an event is for the bot at all: in groups only messages
addressed to it (a leading `บอท`/`bot`, a mention of the bot) or answers in a conversation the
sender started count. Anything else is never stored. `run` then calls the handler inside the
event's transaction and keeps the conversation row in step.

Another command typed in the middle of a conversation is not taken as the answer: the sender is asked
whether to stop and go there (handlers/switching.py), unless the step offered that very word as a quick
reply ("ชุมชน" is a notice's scope). Only a message that is a keyword alone (polite ending or not), or a
keyword and one existing activity or invite code, counts: free text that merely starts with a keyword
("ประชุมประจำเดือน", "ข่าว น้ำท่วมซอย 5") is still the answer.
"""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from linebot.v3.messaging import Message
from linebot.v3.webhooks import Event, MessageEvent, PostbackEvent, TextMessageContent
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from handlers.catalog import CATALOGUES
from handlers.context import Context, Turn, as_turn, command_refusal, is_greeting, record_id
from handlers.help import help_messages
from handlers.registry import THAI_CHARS, ChatKind, Match, Registry, Role, clean, normalize, strip_polite, word_in
from handlers.switching import POSTBACK_DATA_LIMIT as POSTBACK_DATA_LIMIT  # re-exported: LINE's limit, read by tests
from handlers.switching import STAY_ACTION, SWITCH_ACTION, ask_to_switch, asked_of, doing, question_again, switches
from models import Conversation

# Ways people call the bot in a busy group; matched case-insensitively at the start.
BOT_PREFIXES = ("@บอท", "บอท", "@bot", "bot", "@สายใย", "สายใย", "@saiyai", "saiyai")
CANCEL_WORDS = frozenset({"ยกเลิก", "cancel", "เลิก", "stop"})
FLOW_ACTION = "flow"  # postback action that answers the current conversation step
CONVERSATION_TTL = timedelta(minutes=30)
ECHO_LIMIT = 40
SWITCH_TEXT_LIMIT = 48       # longer text is an answer, never a command (the longest keyword and a code fit)
# One activity code (K7M2) or invite code (6J24-U8EC) after a keyword: "กิจกรรม K7M2" mid-flow is the command.
CODE_ARGUMENT = re.compile(r"[A-Za-z0-9]{4}(?:-?[A-Za-z0-9]{4})?")
# Conversation.data key the dispatcher keeps its own under, hidden from handlers: a random token of the turn
# (a question's "stop" button works only while the conversation is where it was asked), and the step's question,
# its text and quick replies (what its buttons send is an answer there; "ทำต่อ" asks it again).
ASKED_KEY = "_asked"


UNREAD: Any = object()  # Profile.conversation when the loader did not read it


@dataclass(frozen=True)
class Profile:
    """What the registry knows about a sender: chosen language (None if never chosen) and role.

    A loader may read the sender's conversation in this chat (an OpenConversation, or None) in the same
    query (the registry's does: one round trip per message instead of two); one that leaves it UNREAD
    has the dispatcher read it."""

    lang: str | None = None
    role: Role = Role.ANYONE
    person: Any = None
    memberships: tuple[Any, ...] = ()
    conversation: Any = UNREAD


ProfileLoader = Callable[[Session, "Source"], Profile]


def no_profile(session: Session, source: "Source") -> Profile:
    """Profile loader for a deployment without the registry: everyone is an anonymous user."""
    return Profile()


@dataclass(frozen=True)
class Source:
    chat_kind: ChatKind
    chat_id: str
    user_id: str | None


@dataclass
class Route:
    """A decision to handle an event: which function, with which prepared context values."""

    source: Source
    handler: Callable[..., Any] | None
    kind: str                        # command, step, postback, event, cancel, fallback
    lang_hint: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    conversation_id: int | None = None
    profile: Profile | None = None   # when routing already loaded it


def read_source(event: Event) -> Source | None:
    """Chat kind, chat id and user id of an event (None for events without a source)."""
    source = getattr(event, "source", None)
    if source is None:
        return None
    user_id = getattr(source, "user_id", None)
    kind = getattr(source, "type", None)
    if kind == "group":
        return Source(ChatKind.GROUP, source.group_id, user_id)
    if kind == "room":
        return Source(ChatKind.ROOM, source.room_id, user_id)
    if kind == "user" and user_id:
        return Source(ChatKind.USER, user_id, user_id)
    return None


def strip_address(content: TextMessageContent, chat_kind: ChatKind, registry: Registry | None = None) -> str | None:
    """The text meant for the bot: all of it in 1:1; in groups only after a bot prefix or mention.

    Thai is written without spaces, so "บอทช่วยเหลือ" calls the bot when the registry (if given) knows
    the command after a Thai prefix; "บอทนี้ดีจัง" is chatter about the bot, "bottle" no call at all."""
    text = content.text or ""
    if chat_kind == ChatKind.USER:
        return clean(text)
    mention = getattr(content, "mention", None)
    for mentionee in getattr(mention, "mentionees", None) or []:
        if getattr(mentionee, "is_self", False):
            start, length = mentionee.index, mentionee.length
            return clean(text[:start] + " " + text[start + length:])
    cleaned = clean(text)
    folded = cleaned.casefold()
    for prefix in BOT_PREFIXES:
        if folded.startswith(prefix):
            rest = cleaned[len(prefix):]
            if not rest or not rest[0].isalnum():  # "บอท ช่วยเหลือ", "bot, help" but not "bottle"
                return rest.lstrip(" ,:;.!-")
            if registry is not None and THAI_CHARS.match(prefix[-1]) and registry.match(rest) is not None:
                return rest
    return None


@dataclass(frozen=True)
class OpenConversation:
    """What routing needs of a sender's conversation row (run() locks and loads the row itself)."""

    id: int
    flow: str
    step: str
    lang: str
    expires_at: datetime


# The columns routing reads of a conversation: plain columns, not an ORM object, because this is read
# for every message a group says (built once: constructing a statement costs more than running it).
CONVERSATION_COLUMNS = (Conversation.id, Conversation.flow, Conversation.step, Conversation.lang,
                        Conversation.expires_at)
_CONVERSATION = select(*CONVERSATION_COLUMNS).where(Conversation.chat_id == bindparam("chat"),
                                                   Conversation.user_id == bindparam("user"))


def _live(conversation: OpenConversation | None, now: datetime) -> OpenConversation | None:
    """The conversation, unless it has expired."""
    return conversation if conversation is not None and conversation.expires_at > now else None


class Dispatcher:
    """Routes events to the registry's handlers; never calls LINE, only returns messages."""

    def __init__(self, registry: Registry, profile_loader: ProfileLoader = no_profile,
                 settings: dict[str, Any] | None = None) -> None:
        self.registry = registry
        self.profile_loader = profile_loader
        self.settings = dict(settings or {})  # handed to every handler as ctx.settings
        help_spec = registry.keywords.get("help")
        self._help_words = frozenset(normalize(k) for k in help_spec.keywords) if help_spec else frozenset()

    def route(self, session: Session, event: Event, now: datetime) -> Route | None:
        """Decide whether and how to handle an event, reading only; None means ignore and store nothing."""
        source = read_source(event)
        if source is None:
            return None
        if isinstance(event, MessageEvent):
            return self._route_message(session, event, source, now)
        if isinstance(event, PostbackEvent):
            return self._route_postback(session, event, source, now)
        handler = self.registry.events.get(getattr(event, "type", ""))
        return Route(source, handler, "event") if handler else None

    def _route_message(self, session: Session, event: MessageEvent, source: Source, now: datetime) -> Route | None:
        content = event.message
        is_text = isinstance(content, TextMessageContent)
        addressed = strip_address(content, source.chat_kind, self.registry) if is_text else None
        profile = stale = None
        if addressed is None and source.chat_kind != ChatKind.USER:
            # Group chatter, most of what a group says: only an open conversation makes it ours, so
            # only that is read (the profile is loaded if it turns out to be an answer).
            conversation = self._conversation(session, source, now)
        else:
            profile, found = self._sender(session, source)
            conversation = _live(found, now)
            stale = found if conversation is None else None
        if conversation is not None:
            # In a conversation the sender's next message is the answer, even without "บอท" in a group.
            answer = addressed if addressed is not None else (clean(content.text or "") if is_text else "")
            if is_text and word_in(answer, CANCEL_WORDS):
                return Route(source, None, "cancel", conversation.lang, conversation_id=conversation.id,
                             profile=profile)
            if is_text and word_in(answer, self._help_words):
                # "ช่วยเหลือ" mid-flow is a call for help, never an answer (it was stored as a title): say how to
                # go on or stop, and keep the step. Other keywords can be answers ("ชุมชน" is a notice scope).
                return Route(source, None, "help_in_flow", conversation.lang, conversation_id=conversation.id,
                             profile=profile)
            handler = self.registry.steps.get((conversation.flow, conversation.step))
            fields: dict[str, Any] = {"args": answer, "message": None if is_text else content}
            command = self._command_in(answer) if is_text else None
            if command is not None:
                fields["switch"] = command  # run() decides, with the step's buttons at hand: answer or question
            return Route(source, handler, "step", conversation.lang, fields,
                         conversation_id=conversation.id, profile=profile)
        if addressed is None:
            if not is_text and source.chat_kind == ChatKind.USER:
                return Route(source, None, "not_text", profile=profile)
            return None
        word = word_in(addressed, CANCEL_WORDS)
        if word is not None:
            return Route(source, None, "cancel", "en" if word in ("cancel", "stop") else "th", profile=profile)
        if not addressed:
            return Route(source, self.registry.keywords["help"].func, "command", None,
                         {"args": "", "keyword": "ช่วยเหลือ", "spec": self.registry.keywords["help"]}, profile=profile)
        match = self.registry.match(addressed)
        if match is None and stale is not None and source.chat_kind == ChatKind.USER:
            # Text that is no command, after the sender's conversation here expired, was most likely its next
            # answer: say it expired (as a button does) rather than "not understood" and the whole help. Only
            # in 1:1, where every message is for the bot, and only once: run() deletes the stale row, which
            # the purge job would otherwise keep for a day, so later chatter gets the usual reply.
            return Route(source, None, "expired", stale.lang, conversation_id=stale.id, profile=profile)
        if match is None:
            # No language hint: ASCII alone says nothing (a code "K7M2", a phone number, a URL are what Thai
            # users type too). English comes only from an English command word or the person's choice.
            return Route(source, None, "fallback", None, {"args": addressed}, profile=profile)
        return Route(source, match.spec.func, "command", match.lang,
                     {"args": match.args, "keyword": match.keyword, "spec": match.spec}, profile=profile)

    def _route_postback(self, session: Session, event: PostbackEvent, source: Source, now: datetime) -> Route | None:
        params = dict(parse_qsl(event.postback.data or "", keep_blank_values=True))
        for name, value in (event.postback.params or {}).items():
            params[name] = value  # date / time / datetime from the datetime picker, no zone
        action = params.get("a", "")
        if action in (SWITCH_ACTION, STAY_ACTION):
            return self._route_switch(session, source, params, action, now)
        if action == FLOW_ACTION:
            profile, found = self._sender(session, source)
            conversation = _live(found, now)
            if conversation is None:
                return Route(source, None, "expired", fields={"params": params}, profile=profile)
            handler = self.registry.steps.get((conversation.flow, conversation.step))
            return Route(source, handler, "step", conversation.lang, {"params": params},
                         conversation_id=conversation.id, profile=profile)
        handler = self.registry.postbacks.get(action)
        return Route(source, handler, "postback" if handler else "unknown_postback", fields={"params": params})

    def _command_in(self, answer: str) -> Match | None:
        """The command an answer mid-conversation may be: a keyword alone, polite ending or not ("กิจกรรมค่ะ"),
        or a keyword and one code ("กิจกรรม K7M2"); run() then checks the code exists and that the step did
        not offer the word as a button. Anything longer or else is free text: an answer."""
        if len(answer) > SWITCH_TEXT_LIMIT:
            return None
        match = self.registry.match(answer)
        if match is None:
            return None
        args = strip_polite(match.args)
        if args and not CODE_ARGUMENT.fullmatch(args):
            return None
        return Match(match.spec, match.keyword, args)

    def _route_switch(self, session: Session, source: Source, params: dict[str, str], action: str,
                      now: datetime) -> Route:
        """The buttons of the question asked when a command was typed mid-conversation. Each names the
        conversation it was asked in (and "stop and go" the turn, checked in run()): pressed again, after
        it expired or after another answer, it runs nothing and says so."""
        ident = record_id(params.get("c"))
        match = self.registry.match(params.get("t", "")) if action == SWITCH_ACTION else None
        if ident is None or (action == SWITCH_ACTION and match is None):
            return Route(source, None, "unknown_postback", fields={"params": params})
        profile, found = self._sender(session, source)
        conversation = _live(found, now)
        hint = params.get("l") if params.get("l") in CATALOGUES else None
        current = conversation is not None and conversation.id == ident
        if action == STAY_ACTION:
            if not current:
                return Route(source, None, "switch_gone", hint, {"params": params}, profile=profile)
            return Route(source, None, "stay", conversation.lang, {"params": params},
                         conversation_id=conversation.id, profile=profile)
        command = _echo(params["t"])
        if not current:
            return Route(source, None, "switch_stale", hint, {"command": command}, profile=profile)
        return Route(source, match.spec.func, "switch", match.lang,
                     {"args": match.args, "keyword": match.keyword, "spec": match.spec, "turn": params.get("v", ""),
                      "command": command}, conversation_id=conversation.id, profile=profile)

    def _sender(self, session: Session, source: Source) -> tuple[Profile, OpenConversation | None]:
        """The sender's profile and conversation, expired or not: one query with the registry's loader."""
        profile = self.profile_loader(session, source)
        if profile.conversation is UNREAD:
            return profile, self._stored_conversation(session, source)
        return profile, profile.conversation

    def _conversation(self, session: Session, source: Source, now: datetime) -> OpenConversation | None:
        """The sender's live conversation in this chat."""
        return _live(self._stored_conversation(session, source), now)

    def _stored_conversation(self, session: Session, source: Source) -> OpenConversation | None:
        if source.user_id is None:
            return None
        row = session.execute(_CONVERSATION, {"chat": source.chat_id, "user": source.user_id}).first()
        return OpenConversation(*row) if row is not None else None

    def run(self, session: Session, route: Route, event: Event, now: datetime) -> list[Message]:
        """Call the handler inside the caller's transaction; returns the messages to send back."""
        profile = route.profile or self.profile_loader(session, route.source)
        ctx = Context(
            session=session, now=now, registry=self.registry, chat_kind=route.source.chat_kind,
            chat_id=route.source.chat_id, user_id=route.source.user_id,
            lang=profile.lang or route.lang_hint or "th", role=profile.role, event=event,
            person=profile.person, memberships=list(profile.memberships),
            args=route.fields.get("args", ""), keyword=route.fields.get("keyword", ""),
            params=route.fields.get("params", {}), message=route.fields.get("message"),
            settings=self.settings,
        )
        conversation = None
        asked: dict[str, Any] = {}
        if route.conversation_id is not None:
            # Lock the row so two workers handling two quick answers take turns (PostgreSQL).
            conversation = session.scalars(
                select(Conversation).where(Conversation.id == route.conversation_id).with_for_update()).first()
            if conversation is None:
                # Gone since routing: another worker took the same button, answer or cancel first.
                if route.kind == "switch":
                    return [ctx.text("flow.switch_stale", command=route.fields["command"])]
                return [ctx.text("flow.switch_gone" if route.kind == "stay" else "flow.expired")]
            data = dict(conversation.data or {})
            asked = data.pop(ASKED_KEY, None) or {}  # the dispatcher's, not the handler's
            # A deep copy: a handler appending to a list inside must not change the loaded row's value
            # in place, or SQLAlchemy would see no difference and not save it.
            ctx.data, ctx.step = copy.deepcopy(data), conversation.step

        if route.kind == "cancel":
            if conversation is None:
                return [ctx.text("flow.nothing_to_cancel")]
            session.delete(conversation)
            return [ctx.text("flow.cancelled")]
        if route.kind == "not_text":
            return [ctx.text("help.not_text")]
        if route.kind == "help_in_flow":
            # Which conversation is open, and its question again with its buttons: the way on from here.
            return [question_again(ctx, asked, ctx.t("flow.help_in_flow", doing=doing(ctx, conversation.flow)))]
        if route.kind == "expired":
            if conversation is not None:
                session.delete(conversation)  # said once; see _route_message
            return [ctx.text("flow.expired")]
        if route.kind == "unknown_postback":
            return [ctx.text("postback.unknown")]
        if route.kind == "fallback":
            # Most people open a chat with a greeting: greet back, then what Saiyai can do.
            prefix = ctx.t("help.greeting") if is_greeting(ctx.args) else ctx.t("help.unknown", text=_echo(ctx.args))
            return help_messages(ctx, prefix)
        if route.kind == "stay":
            # A new turn token: having chosen to go on, the question's "stop" button must not drop the answers so far.
            conversation.data = {**ctx.data, ASKED_KEY: {**asked, "v": secrets.token_urlsafe(6)}}
            return [question_again(ctx, asked, ctx.t("flow.switch_stayed"))]
        if route.kind == "switch_gone":
            return [ctx.text("flow.switch_gone")]
        if route.kind == "switch_stale" or (route.kind == "switch" and asked.get("v", "") != route.fields["turn"]):
            # Pressed twice (the command may have started a conversation since), or the conversation moved on.
            return [ctx.text("flow.switch_stale", command=route.fields["command"])]
        if route.kind in ("command", "switch"):
            refusal = command_refusal(ctx, route.fields["spec"])
            if refusal is not None:
                return [refusal]  # a switch keeps the conversation: nothing was stopped
        if route.kind == "switch" and conversation is not None:
            # Stop the conversation, then run the command as if typed with nothing in progress.
            session.delete(conversation)
            session.flush()  # before the command may start another conversation for the same (chat, user)
            conversation, ctx.data, ctx.step = None, {}, None
        if route.handler is None:  # a flow step that no longer exists after a deploy
            if conversation is not None:
                session.delete(conversation)
            return [ctx.text("flow.expired")]
        command = route.fields.get("switch")
        if route.kind == "step" and command is not None and conversation is not None and \
                switches(session, ctx.args, command, asked):
            question = ask_to_switch(ctx, conversation, command, asked)
            if question is not None:
                return question

        turn = as_turn(route.handler(ctx))
        self._keep_conversation(session, ctx, conversation, turn, now)
        return turn.messages

    def _keep_conversation(self, session: Session, ctx: Context, conversation: Conversation | None,
                           turn: Turn, now: datetime) -> None:
        if turn.step is None:
            if conversation is not None:
                session.delete(conversation)
            return
        if ctx.user_id is None:
            return  # without a user id there is nobody to continue with; the handler said so in its reply
        data = turn.data if turn.data is not None else ctx.data
        # A flow started in a group may continue in the sender's 1:1 chat (personal answers).
        chat_id = ctx.user_id if turn.private else ctx.chat_id
        data = {**data, ASKED_KEY: asked_of(turn.messages, chat_id == ctx.chat_id)}
        if conversation is None or conversation.chat_id != chat_id:
            if conversation is not None:
                session.delete(conversation)
            session.execute(delete(Conversation).where(
                Conversation.chat_id == chat_id, Conversation.user_id == ctx.user_id))
            conversation = Conversation(chat_id=chat_id, user_id=ctx.user_id, flow=turn.flow or "",
                                        step=turn.step, data=data, lang=ctx.lang,
                                        expires_at=now + CONVERSATION_TTL, updated_at=now)
            session.add(conversation)
            return
        if turn.flow:
            conversation.flow = turn.flow
        conversation.step, conversation.data, conversation.lang = turn.step, data, ctx.lang
        conversation.expires_at, conversation.updated_at = now + CONVERSATION_TTL, now


def _echo(text: str) -> str:
    return text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT] + "…"
