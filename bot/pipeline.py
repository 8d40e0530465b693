"""One webhook event, start to finish: route, record once, handle, reply (or queue a push)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from datetime import datetime
from typing import Any

from linebot.v3.messaging import Message
from linebot.v3.webhooks import Event
from sqlalchemy import Engine, Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from bot import outbox
from bot.line import LineClient
from bot.replies import ReplyBatch
from handlers.catalog import text_for
from handlers.context import text_message
from handlers.dispatcher import Dispatcher, Route
from models import EventStatus, OutboxMessage, WebhookEvent

log = logging.getLogger(__name__)


@dataclass
class Saiyai:
    """The process-wide services the web app and the scheduler share; built by their entry points."""

    session_factory: sessionmaker[Session]
    line: LineClient
    dispatcher: Dispatcher
    clock: Callable[[], datetime]

    @property
    def engine(self) -> Engine:
        """The engine the sessions are made on."""
        return self.session_factory.kw["bind"]


def event_key(raw: dict[str, Any]) -> str:
    """LINE's webhookEventId; very old payloads lack it, so fall back to a digest of the event."""
    key = raw.get("webhookEventId")
    if isinstance(key, str) and key:
        return key[:64]
    return "sha256:" + hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()[:56]


def strip_nul(value: Any) -> Any:
    """The event with every NUL character taken out of its strings (keys too): PostgreSQL refuses NUL in
    text and JSON, so a name or a message holding one would fail its handler there, every delivery.
    Iterative, so a deeply nested (signed, but not LINE's) value cannot exhaust the stack."""
    def clean(item: Any) -> Any:
        if isinstance(item, str):
            return item.replace("\x00", "") if "\x00" in item else item
        if isinstance(item, dict):
            return {clean(k): v for k, v in item.items()}
        if isinstance(item, list):
            return list(item)
        return item

    root = clean(value)
    pending = [root] if isinstance(root, (dict, list)) else []
    while pending:
        container = pending.pop()
        keys = container.keys() if isinstance(container, dict) else range(len(container))
        for key in keys:
            container[key] = clean(container[key])
            if isinstance(container[key], (dict, list)):
                pending.append(container[key])
    return root


# Where an event's ids are stored; LINE's are 33 characters. Longer ones can only come from a forged (yet
# signed) body: such an event could never be recorded, so it is skipped, not failed again on each delivery.
_ID_LIMITS = {"userId": WebhookEvent.__table__.c.user_id.type.length,
              "groupId": WebhookEvent.__table__.c.chat_id.type.length,
              "roomId": WebhookEvent.__table__.c.chat_id.type.length}
_REPLY_TOKEN_LIMIT = OutboxMessage.__table__.c.reply_token.type.length


def unrecordable(raw: dict[str, Any]) -> str | None:
    """Why this event can never be stored (an id or reply token longer than its column), or None."""
    source = raw.get("source") if isinstance(raw.get("source"), dict) else {}
    for name, limit in _ID_LIMITS.items():
        value = source.get(name)
        if isinstance(value, str) and len(value) > limit:
            return f"source.{name} is {len(value)} characters long (at most {limit})"
    token = raw.get("replyToken")
    if isinstance(token, str) and len(token) > _REPLY_TOKEN_LIMIT:
        return f"replyToken is {len(token)} characters long (at most {_REPLY_TOKEN_LIMIT})"
    return None


def database_unavailable(exc: BaseException) -> bool:
    """Whether an error says the database is unreachable or busy (worth LINE delivering again), rather
    than refusing this event's data for good (a value too long, a NUL, a constraint): only the former
    earns a 503; for the latter, delivering again would fail the same way forever."""
    if isinstance(exc, (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def process_event(app: Saiyai, event: Event, raw: dict[str, Any], replies: ReplyBatch) -> str:
    """Handle one event exactly once; returns what happened (ignored, duplicate, done, failed, skipped,
    unrecorded).

    The answer is committed to the outbox with the event; a reply is then handed to `replies`, which
    sends it without holding up the next event (bot/replies.py).
    "unrecorded" means the database could not even record the failure: the webhook then answers 503
    so that LINE delivers the event again (redelivery is on, see README), rather than losing it.
    "skipped" means the event can never be recorded (a forged-yet-signed body): it is logged, and the
    others in its body are handled.
    """
    problem = unrecordable(raw)
    if problem is not None:
        log.warning("skipping event %s that cannot be stored: %s", event_key(raw), problem)
        return "skipped"
    for attempt in (1, 2):
        try:
            return _process(app, event, raw, replies)
        except DBAPIError as exc:
            # A pooled connection the server dropped (restart, failover): once more on a fresh one.
            if attempt == 1 and exc.connection_invalidated:
                log.warning("database connection lost handling event %s; trying again", event_key(raw))
                continue
            return _fail(app, event, raw, exc, replies)
        except Exception as exc:  # one bad event must not cost the others in the same body
            return _fail(app, event, raw, exc, replies)
    raise AssertionError("unreachable")


def _process(app: Saiyai, event: Event, raw: dict[str, Any], replies: ReplyBatch) -> str:
    now = app.clock()
    key = event_key(raw)
    reply_token = getattr(event, "reply_token", None)
    redelivery = bool((raw.get("deliveryContext") or {}).get("isRedelivery"))
    try:
        with app.session_factory() as session, session.begin():
            route = app.dispatcher.route(session, event, now)
            if route is None:
                return "ignored"  # not addressed to the bot: nothing is stored
            _record(session, key, raw, route, redelivery, EventStatus.DONE, None, now)
            messages = app.dispatcher.run(session, route, event, now)
            pending = _queue_answer(session, route, reply_token, messages, now)
    except _Duplicate:
        log.info("event %s already handled; redelivery=%s", key, redelivery)
        return "duplicate"
    replies.send(route.source.chat_id, pending)
    return "done"


class _Duplicate(Exception):
    pass


@cache
def _insert_event(dialect: str) -> Insert:
    insert = {"postgresql": pg_insert, "sqlite": sqlite_insert}[dialect]
    table = WebhookEvent.__table__
    return insert(table).on_conflict_do_nothing(index_elements=["event_key"]).returning(table.c.id)


def _record(session: Session, key: str, raw: dict[str, Any], route: Route, redelivery: bool,
            status: EventStatus, error: str | None, now: datetime) -> None:
    values = dict(event_key=key, event_type=str(raw.get("type", ""))[:32], chat_kind=route.source.chat_kind,
                  chat_id=route.source.chat_id, user_id=route.source.user_id, is_redelivery=redelivery,
                  status=status, error=error, received_at=now)
    # The unique event_key is the guard: a concurrent twin waits on PostgreSQL, then inserts nothing.
    # Built once per dialect, as a Core statement on the transaction's connection: this runs for every
    # event, and Session.execute adds about 40 µs of ORM bookkeeping (autoflush, ORM execution state) to
    # a statement that needs none: routing only read (see BENCHMARKS.md).
    connection = session.connection()
    inserted = connection.execute(_insert_event(connection.dialect.name), values).first()
    if inserted is None:
        raise _Duplicate()


def _queue_answer(session: Session, route: Route, reply_token: str | None, messages: list[Message],
                  now: datetime) -> outbox.PendingReply | None:
    """Record the answer in the outbox; a reply is then sent from here, anything else by the dispatcher."""
    if not messages:
        return None
    if reply_token:
        return outbox.enqueue_reply(session, reply_token, route.source.chat_id, messages, now=now)
    outbox.enqueue(session, [route.source.chat_id], messages, now=now)
    return None


def _fail(app: Saiyai, event: Event, raw: dict[str, Any], exc: Exception, replies: ReplyBatch) -> str:
    """Record the event as failed and apologise; "unrecorded" when even that cannot be done."""
    now = app.clock()
    key = event_key(raw)
    log.error("handler failed for event %s", key, exc_info=exc)
    redelivery = bool((raw.get("deliveryContext") or {}).get("isRedelivery"))
    error = f"{type(exc).__name__}: {exc}"[:2000]
    reply_token = getattr(event, "reply_token", None)
    try:
        with app.session_factory() as session, session.begin():
            route = app.dispatcher.route(session, event, now)
            if route is None:
                return "failed"
            _record(session, key, raw, route, redelivery, EventStatus.FAILED, error, now)
            profile = app.dispatcher.profile_loader(session, route.source)
            apology = text_for(profile.lang or route.lang_hint or "th", "error.apology")
            pending = _queue_answer(session, route, reply_token, [text_message(apology)], now)
    except _Duplicate:
        return "duplicate"
    except Exception as failure:
        if not database_unavailable(failure):
            log.exception("event %s cannot be recorded, for a reason another delivery would not change; "
                          "skipped", key)
            return "skipped"
        log.exception("could not even record the failure of event %s; LINE will deliver it again", key)
        return "unrecorded"
    replies.send(route.source.chat_id, pending)
    return "failed"
