"""The outbox: messages are written in the same transaction as the change that caused them,
then sent by the scheduler's dispatcher, exactly once, whatever crashes in between.

Exactly-once rests on three things:
- a row is claimed by one atomic UPDATE (on PostgreSQL through `FOR UPDATE SKIP LOCKED`), so two
  dispatchers never hold the same row;
- every attempt for a row carries the row's own `X-Line-Retry-Key`, so if a dispatcher dies after
  LINE accepted a message but before it wrote "sent", the retry is answered 409 and counted as sent;
- a claim is a lease: a row left in `sending` by a dead process is claimed again when the lease ends.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache
from datetime import datetime, timedelta
from typing import Any

from linebot.v3.messaging import Message
from sqlalchemy import Connection, Engine, Insert, Update, and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot import messages as fitting
from bot.config import TIMEZONE
from bot.line import MULTICAST_MAX, LineClient, Outcome, SendResult, Wire
from models import ChannelState, OutboxKind, OutboxMessage, OutboxState, RichMenu

log = logging.getLogger(__name__)

MULTICAST_LIMIT = MULTICAST_MAX
# A reply token lives about a minute; until then the web worker owns the row (see enqueue_reply).
REPLY_GRACE = timedelta(seconds=30)
# Longer than any single LINE request can take (the client's timeout is 10 s by default).
LEASE = timedelta(seconds=60)
MAX_BACKOFF = timedelta(seconds=300)
MAX_ATTEMPTS = 12
RATE_LIMITED = timedelta(seconds=1)  # the wait after LINE's rate-limit 429 (200 multicasts/s and the like)
RATE_LIMITED_FOR = timedelta(hours=1)  # then a 429 counts as a failed attempt like a 5xx
QUOTA_KEY = "monthly_quota_exhausted"
RETRY_KEY_NAMESPACE = uuid.UUID("6f2d1c52-9a0e-4c55-8a43-5a1f3f6a7a11")


def enqueue(
    session: Session,
    targets: Iterable[str | None],
    messages: Sequence[Message],
    *,
    now: datetime,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
    quiet_hours: bool = False,
    topic: str | None = None,
) -> list[OutboxMessage]:
    """Queue messages for users, groups and rooms: users are multicast 500 at a time, groups and rooms pushed.

    With a dedupe_key the rows are unique per key (the caller's job, target and occurrence); queueing
    the same key twice adds nothing, and the retry key is derived from it so it is stable too.
    `quiet_hours=True` (non-urgent follow-ups) holds a message due 21:00–07:00 Bangkok until 07:00.
    """
    if quiet_hours:
        due_at = after_quiet_hours(due_at or now)
    rows = _plan(targets, messages, now, due_at, dedupe_key)
    for row in rows:
        row["topic"] = topic
    return _add(session, rows, dedupe_key is not None)


def _plan(targets: Iterable[str | None], messages: Sequence[Message], now: datetime, due_at: datetime | None,
          dedupe_key: str | None) -> list[dict[str, Any]]:
    """The rows for these targets: users multicast 500 at a time (one alone is pushed), groups pushed.
    A member without LINE has no user id (None): nothing can reach them, so they are left out."""
    users: list[str] = []
    rows: list[dict[str, Any]] = []
    for target in dict.fromkeys(t for t in targets if t):  # keeps order, drops repeats
        if target.startswith("U"):
            users.append(target)
        else:
            rows.extend(_rows(OutboxKind.PUSH, target, None, messages, now, due_at, dedupe_key))
    if len(users) == 1:
        rows.extend(_rows(OutboxKind.PUSH, users[0], None, messages, now, due_at, dedupe_key))
    elif users:
        for start in range(0, len(users), MULTICAST_LIMIT):
            chunk = users[start:start + MULTICAST_LIMIT]
            key = f"{dedupe_key}#{start // MULTICAST_LIMIT}" if dedupe_key else None
            rows.extend(_rows(OutboxKind.MULTICAST, None, chunk, messages, now, due_at, key))
    return rows


QUIET_START, QUIET_END = 21, 7


def in_quiet_hours(moment: datetime) -> bool:
    """21:00–07:00 in Bangkok, when non-urgent messages wait."""
    hour = moment.astimezone(TIMEZONE).hour
    return hour >= QUIET_START or hour < QUIET_END


def after_quiet_hours(moment: datetime) -> datetime:
    """The moment itself, or 07:00 Bangkok after it when it falls in quiet hours."""
    if not in_quiet_hours(moment):
        return moment
    local = moment.astimezone(TIMEZONE)
    morning = local.replace(hour=QUIET_END, minute=0, second=0, microsecond=0)
    return morning if local.hour < QUIET_END else morning + timedelta(days=1)


@dataclass(frozen=True)
class PendingReply:
    """A reply recorded in the outbox, to be sent by the web worker once the transaction commits."""

    row_id: int
    reply_token: str
    messages: list[Wire]  # as stored in the row: LINE's JSON


def enqueue_reply(session: Session, reply_token: str, target: str, messages: Sequence[Message],
                  *, now: datetime) -> PendingReply | None:
    """Record a reply before it is sent: the web worker replies after commit; if it cannot, the row is pushed.

    This runs for every answered event, so it writes with one Core INSERT … RETURNING rather than
    through the ORM's unit of work (about a millisecond less per event, BENCHMARKS.md).
    """
    batches = fitting.batches(fitting.fit(messages))
    if not batches:
        return None
    # Only the first five messages fit in the reply; any more are pushed straight away.
    rows = [_values(OutboxKind.PUSH, target, None, batch, now, now + REPLY_GRACE if index == 0 else now, None,
                    reply_token if index == 0 else None)
            for index, batch in enumerate(batches)]
    # On the transaction's connection, not through Session.execute (about 40 µs less per event): the row
    # stands alone (no foreign key), so objects the handler left pending need not be flushed before it;
    # they are flushed at commit, in the same transaction, as before.
    connection = session.connection()
    first_id = connection.execute(_INSERT_RETURNING_ID, rows[:1]).scalar_one()
    if rows[1:]:
        connection.execute(_INSERT, rows[1:])
    return PendingReply(first_id, reply_token, rows[0]["messages"])


def _rows(kind: OutboxKind, target: str | None, recipients: list[str] | None, messages: Sequence[Message],
          now: datetime, due_at: datetime | None, dedupe_key: str | None) -> list[dict[str, Any]]:
    parts = fitting.batches(fitting.fit(messages))
    return [
        _values(kind, target, recipients, batch, now, due_at or now,
             f"{dedupe_key}/{target or ''}/{i}" if dedupe_key else None, None)
        for i, batch in enumerate(parts)
    ]


def _values(kind: OutboxKind, target: str | None, recipients: list[str] | None, batch: Sequence[Message],
            now: datetime, due_at: datetime, dedupe_key: str | None, reply_token: str | None) -> dict[str, Any]:
    retry_key = str(uuid.uuid5(RETRY_KEY_NAMESPACE, dedupe_key) if dedupe_key else uuid.uuid4())
    return dict(kind=kind, target=target, recipients=recipients, messages=fitting.to_json(batch),
                recipient_count=len(recipients) if recipients is not None else None,
                reply_token=reply_token, retry_key=retry_key, dedupe_key=dedupe_key,
                state=OutboxState.PENDING, due_at=due_at, attempts=0, created_at=now)


MENU_KINDS = (OutboxKind.MENU_LINK, OutboxKind.MENU_UNLINK)


def enqueue_menu(session: Session, user_ids: Sequence[str], menu: str | None, *, now: datetime) -> int:
    """Queue linking users to a rich menu (its models.RichMenu key), or with None unlinking them (back to
    the default menu); retried like a push, never lost. One user a row, or 500 a row (LINE's bulk calls).

    A newer link for one user replaces one still waiting: only the last change counts, and two rows of the
    same user sent side by side could arrive in the wrong order. Returns the rows added."""
    users = list(dict.fromkeys(u for u in user_ids if u))
    if not users:
        return 0
    kind = OutboxKind.MENU_UNLINK if menu is None else OutboxKind.MENU_LINK
    if len(users) == 1:
        session.execute(delete(_TABLE).where(_TABLE.c.kind.in_(MENU_KINDS), _TABLE.c.target == users[0],
                                             _TABLE.c.state == OutboxState.PENDING))
        chunks: list[tuple[str | None, list[str] | None]] = [(users[0], None)]
    else:
        chunks = [(None, users[start:start + MULTICAST_LIMIT]) for start in range(0, len(users), MULTICAST_LIMIT)]
    session.execute(_INSERT, [dict(kind=kind, target=target, recipients=recipients, messages=[], rich_menu=menu,
                                   reply_token=None, retry_key=str(uuid.uuid4()), dedupe_key=None,
                                   state=OutboxState.PENDING, due_at=now, attempts=0, created_at=now)
                              for target, recipients in chunks])
    return len(chunks)


_TABLE = OutboxMessage.__table__
_INSERT = insert(_TABLE)
_INSERT_RETURNING_ID = insert(_TABLE).returning(_TABLE.c.id)
# Settling a reply: only a row still pending (the dispatcher has not taken it over) is changed. Sent,
# it needs no address any more (no user id kept where none is needed); failed, it is pushed at once.
_PENDING_REPLY = update(_TABLE).where(_TABLE.c.id == bindparam("row_id"), _TABLE.c.state == OutboxState.PENDING)
# What a sent row no longer needs: its text and who it went to (names and ids erasure would have to find).
_FORGET_WHEN_SENT = dict(messages=[], recipients=None)
_REPLY_SENT = _PENDING_REPLY.values(state=OutboxState.SENT, sent_at=bindparam("at"), target=None, reply_token=None,
                                    **_FORGET_WHEN_SENT)
_REPLY_FAILED = _PENDING_REPLY.values(due_at=bindparam("at"), last_error=bindparam("error"), reply_token=None)


def _add(session: Session, rows: list[dict[str, Any]], deduplicated: bool) -> list[OutboxMessage]:
    """Write the rows in one INSERT … RETURNING; with dedupe keys, only those whose key is new.

    Core, not the ORM's unit of work: a notice to two million people is 4,200 rows of 500 user ids
    each. The answer is not attached to the session (callers count the rows or read their ids)."""
    if not rows:
        return []
    if not deduplicated:
        ids = session.execute(_INSERT_RETURNING_ID.execution_options(sort_by_parameter_order=True), rows).scalars()
        return [OutboxMessage(**row, id=row_id) for row, row_id in zip(rows, ids, strict=True)]
    # An existing key is the normal case for a job that runs again (every minute, for hours): one
    # INSERT … ON CONFLICT DO NOTHING for all rows, not a savepoint and an IntegrityError per row. On
    # PostgreSQL a concurrent twin waits for the first insert to commit, then inserts nothing.
    inserted: dict[str, int] = dict(session.execute(_insert_new(session.get_bind().dialect.name), rows).all())
    skipped = len(rows) - len(inserted)
    if skipped:
        log.debug("%s outbox row(s) already queued", skipped)
    return [OutboxMessage(**row, id=inserted[row["dedupe_key"]]) for row in rows if row["dedupe_key"] in inserted]


@cache
def _insert_new(dialect: str) -> Insert:
    insert_for = {"postgresql": pg_insert, "sqlite": sqlite_insert}[dialect]
    return (insert_for(_TABLE).on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(_TABLE.c.dedupe_key, _TABLE.c.id))


def send_reply(bind: Engine | Connection, line: LineClient, pending: PendingReply | None,
               now: Callable[[], datetime], fresh: Engine | None = None) -> bool:
    """Send a committed reply from the web worker; on failure leave its row for the dispatcher to push.

    The outcome is one UPDATE, on `bind` (a connection, or an engine: on PostgreSQL one in autocommit,
    see bot/replies.py). `fresh` records it if that connection died during the reply: a reply LINE
    accepted must not be pushed again.

    A reply that timed out may still have reached LINE; it is pushed anyway (replies carry no retry
    key, so LINE cannot tell): a rare second copy rather than an answer lost (docs/operations.md)."""
    if pending is None:
        return True
    result = line.reply(pending.reply_token, pending.messages)
    try:
        _settle_reply(bind, pending.row_id, result, now())
    except DBAPIError:
        if fresh is None:
            raise
        log.warning("could not record reply %s on its connection; trying a fresh one", pending.row_id)
        _settle_reply(fresh, pending.row_id, result, now())
    return result.delivered


def hand_over_reply(bind: Engine | Connection, row_id: int, at: datetime, reason: str) -> None:
    """Give a reply that was not sent to the dispatcher now, without its token: it is pushed."""
    _settle(bind, _REPLY_FAILED, {"row_id": row_id, "at": at, "error": reason[:1000]})


def _settle_reply(bind: Engine | Connection, row_id: int, result: SendResult, at: datetime) -> None:
    if result.delivered:
        _settle(bind, _REPLY_SENT, {"row_id": row_id, "at": at})
    else:
        # The token is spent or stale: fall back to a push right away, nothing is lost.
        log.warning("reply failed (%s %s); outbox row %s will be pushed", result.status, result.detail, row_id)
        hand_over_reply(bind, row_id, at, f"reply failed: {result.status} {result.detail}")


def _settle(bind: Engine | Connection, statement: Update, params: dict[str, Any]) -> None:
    # On a given connection, or a new one of the engine's; rolled back if it fails, so the
    # connection is left clean for `fresh` to retry.
    opened = nullcontext(bind) if isinstance(bind, Connection) else bind.connect()
    with opened as connection, connection.begin():
        connection.execute(statement, params)


def claim_due(session: Session, now: datetime, limit: int, lease: timedelta = LEASE) -> list[OutboxMessage]:
    """Atomically take up to `limit` due rows (and rows whose lease ran out) for this dispatcher.

    The ids are locked and chosen once, in a MATERIALIZED CTE, and the UPDATE takes those ids. Written
    as `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`, PostgreSQL may plan a nested
    loop semi join that runs the subquery again for each outer row: with statistics older than the
    rows (analysed while empty, autovacuum behind) a claim of 50 took all 5,000 due rows, held them
    past its lease, and a second dispatcher sent them again. A CTE is evaluated once whatever the plan.
    """
    due = or_(
        and_(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.due_at <= now),
        and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.claimed_at <= now - lease),
    )
    claimable = (
        select(OutboxMessage.id).where(due).order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit).with_for_update(skip_locked=True)
        .cte("claimable").prefix_with("MATERIALIZED", dialect="postgresql")
    )
    claimed = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(select(claimable.c.id)), due)
        .values(state=OutboxState.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1,
                reply_token=None)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(claimed, key=lambda row: (row.due_at, row.id))


def quota_blocked_until(session: Session, now: datetime) -> datetime | None:
    """When LINE said the monthly quota is used up: the start of next month (Bangkok), else None."""
    state = session.get(ChannelState, QUOTA_KEY)
    if state is None or state.until is None or state.until <= now:
        return None
    return state.until


def dispatch_due(session_factory: sessionmaker[Session], line: LineClient, now: Callable[[], datetime],
                 *, limit: int = 200, concurrency: int = 8, lease: timedelta = LEASE,
                 max_backoff: timedelta = MAX_BACKOFF) -> dict[str, int]:
    """Claim due rows, send them concurrently, record each outcome; returns counts per outcome."""
    with session_factory() as session, session.begin():
        if quota_blocked_until(session, now()) is not None:
            return {}
        rows = claim_due(session, now(), limit, lease)
        menu_keys = {row.rich_menu for row in rows if row.rich_menu}
        menus = dict(session.execute(select(RichMenu.key, RichMenu.rich_menu_id)
                                     .where(RichMenu.key.in_(menu_keys))).all()) if menu_keys else {}
    if not rows:
        return {}
    counts: dict[str, int] = {}
    # A request started later than this could still be under way when the lease runs out and another
    # dispatcher takes the row: such rows are released unsent instead (LINE is slow, the batch too big).
    send_by = time.monotonic() + max(lease.total_seconds() - line.timeout, lease.total_seconds() / 2)

    def send(row: OutboxMessage) -> tuple[OutboxMessage, SendResult]:
        if time.monotonic() > send_by:
            return row, SendResult(Outcome.DEFERRED, None, "not sent before the lease ran short")
        return row, _send(line, row, menus)

    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(rows)))) as pool:
        results = list(pool.map(send, rows))
    with session_factory() as session, session.begin():
        settled_at = now()
        for row, result in results:
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
            if not result.delivered:
                _record(session, row, result, settled_at, max_backoff)
        # The usual case, every row delivered, is one UPDATE for the batch, not one per row.
        _mark_sent(session, [row for row, result in results if result.delivered], settled_at)
    return counts


def _mark_sent(session: Session, rows: list[OutboxMessage], now: datetime) -> None:
    """Settle delivered rows; as in _record, only while this dispatcher's lease on them holds."""
    claims: dict[datetime, list[int]] = {}
    for row in rows:
        claims.setdefault(row.claimed_at, []).append(row.id)
    for claimed_at, ids in claims.items():
        session.execute(update(_TABLE).where(_TABLE.c.id.in_(ids), _TABLE.c.state == OutboxState.SENDING,
                                             _TABLE.c.claimed_at == claimed_at)
                        .values(state=OutboxState.SENT, sent_at=now, last_error=None, **_FORGET_WHEN_SENT))


def _send(line: LineClient, row: OutboxMessage, menus: dict[str, str] | None = None) -> SendResult:
    if row.kind in MENU_KINDS:
        return _send_menu(line, row, menus or {})
    payload = row.messages  # stored as LINE's JSON: sent as it is, not rebuilt into models
    if row.kind == OutboxKind.MULTICAST:
        return line.multicast(row.recipients or [], payload, row.retry_key)
    return line.push(row.target or "", payload, row.retry_key)


def _send_menu(line: LineClient, row: OutboxMessage, menus: dict[str, str]) -> SendResult:
    users = [row.target] if row.target else list(row.recipients or [])
    if not users:  # everyone in it asked to be forgotten (registry.forget_user takes them out)
        return SendResult(Outcome.SENT, None, "no users left")
    if row.kind == OutboxKind.MENU_UNLINK:
        return line.unlink_menu(users[0]) if row.target else line.unlink_menus(users)
    menu_id = menus.get(row.rich_menu or "")
    if menu_id is None:  # only `richmenu sync` puts menus on LINE; `richmenu relink` then links everyone
        return SendResult(Outcome.REJECTED, None, f"rich menu {row.rich_menu!r} is not on LINE: "
                                                  "run `flask --app bot richmenu sync`")
    return line.link_menu(users[0], menu_id) if row.target else line.link_menus(users, menu_id)


def _record(session: Session, row: OutboxMessage, result: SendResult, now: datetime,
            max_backoff: timedelta) -> None:
    values: dict[str, Any]
    if result.outcome == Outcome.DEFERRED:  # never tried: due again at once, the attempt not counted
        values = {"state": OutboxState.PENDING, "due_at": now, "attempts": OutboxMessage.attempts - 1}
    elif result.outcome == Outcome.QUOTA:
        reason = f"LINE monthly message quota reached: {result.detail}"
        values = {"state": OutboxState.PENDING, "due_at": now, "last_error": reason[:1000]}
        _block_for_quota(session, reason, now)
    elif result.outcome == Outcome.RETRY and result.status == 429 and now - row.created_at < RATE_LIMITED_FOR:
        # LINE's rate limit (not the monthly quota): flow control, not a failure. Try again in about
        # a second, without the growing backoff, and without using up the row's attempts for 5xx and
        # timeouts. Bounded in time: past RATE_LIMITED_FOR the row goes on like any retry (and dies
        # after its last attempt) rather than outliving the retry key's 24 hours.
        values = {"state": OutboxState.PENDING, "due_at": now + RATE_LIMITED * random.uniform(0.5, 1.0),
                  "attempts": OutboxMessage.attempts - 1, "last_error": f"429: {result.detail}"[:1000]}
        if now - row.created_at > RATE_LIMITED_FOR / 6:  # minutes of refusals: LINE or a proxy is wrong
            log.warning("outbox row %s still refused by a rate limit after %s: %s", row.id,
                        now - row.created_at, result.detail)
    elif result.outcome == Outcome.RETRY and row.attempts < MAX_ATTEMPTS:
        values = {"state": OutboxState.PENDING, "due_at": now + backoff(row.attempts, max_backoff),
                  "last_error": f"{result.status or 'no answer'}: {result.detail}"[:1000]}
    else:
        values = {"state": OutboxState.DEAD, "last_error": f"{result.status}: {result.detail}"[:1000]}
        log.error("outbox row %s dead after %s attempts: %s", row.id, row.attempts, values["last_error"])
    # Only the claimant's lease may be settled: if it ran out and another dispatcher took the row,
    # that dispatcher's result wins (both carry the same retry key, so LINE delivered it once).
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.state == OutboxState.SENDING,
               OutboxMessage.claimed_at == row.claimed_at)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def backoff(attempts: int, cap: timedelta = MAX_BACKOFF) -> timedelta:
    """Exponential backoff with jitter: about 1, 2, 4 … seconds, at most `cap` (five minutes)."""
    base = min(2.0 ** max(attempts - 1, 0), cap.total_seconds())
    return timedelta(seconds=base * random.uniform(0.75, 1.25))


def _block_for_quota(session: Session, reason: str, now: datetime) -> None:
    local = now.astimezone(TIMEZONE)
    next_month = (local.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)).replace(day=1)
    state = session.get(ChannelState, QUOTA_KEY)
    if state is None:
        session.add(ChannelState(key=QUOTA_KEY, value=reason, until=next_month, updated_at=now))
    else:
        state.value, state.until, state.updated_at = reason, next_month, now
    log.error("pushing stopped until %s: %s", next_month.isoformat(), reason)


RETENTION = timedelta(days=30)


def purge_settled(session: Session, now: datetime, retention: timedelta = RETENTION) -> int:
    """Delete sent and dead rows older than the retention period: they hold user ids and message text."""
    result = session.execute(delete(OutboxMessage).where(
        OutboxMessage.state.in_([OutboxState.SENT, OutboxState.DEAD]), OutboxMessage.created_at < now - retention))
    return result.rowcount or 0


def resume_after_quota(session: Session) -> bool:
    """Lift the quota stop (e.g. after upgrading the LINE plan); returns whether one was in force."""
    state = session.get(ChannelState, QUOTA_KEY)
    if state is None:
        return False
    session.delete(state)
    return True
