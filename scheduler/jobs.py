"""The scheduler's jobs; each opens its own session and derives everything from database rows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import outbox
from bot.line import LineClient
from handlers.thaitime import fiscal_year_start
from models import Conversation, Notice, NoticeAck, WebhookEvent

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    """What every job needs: sessions, the LINE client and the (injectable) clock."""

    session_factory: sessionmaker[Session]
    line: LineClient
    clock: Callable[[], datetime]
    outbox_batch: int = 200
    outbox_concurrency: int = 8
    outbox_lease: timedelta = outbox.LEASE
    outbox_max_backoff: timedelta = outbox.MAX_BACKOFF


def dispatch_outbox(ctx: JobContext) -> dict[str, int]:
    """Send what is due, batch after batch, until nothing due is left (or a quota stop)."""
    totals: dict[str, int] = {}
    while True:
        counts = outbox.dispatch_due(ctx.session_factory, ctx.line, ctx.clock,
                                     limit=ctx.outbox_batch, concurrency=ctx.outbox_concurrency,
                                     lease=ctx.outbox_lease, max_backoff=ctx.outbox_max_backoff)
        if not counts:
            return totals
        for outcome, count in counts.items():
            totals[outcome] = totals.get(outcome, 0) + count


# Webhook events are kept to recognise LINE's redeliveries (which come within hours) and to show people
# their own command log; a month covers both, and nothing personal is kept longer than that.
EVENT_RETENTION = timedelta(days=30)
PURGE_BATCH = 5000  # rows per statement: short transactions, no long lock on a busy table


def purge_expired_conversations(ctx: JobContext) -> int:
    """Forget guided conversations abandoned more than a day ago (their answers may be personal),
    outbox rows settled more than 30 days ago (they hold user ids and message text) and webhook events
    older than EVENT_RETENTION. Deleting is idempotent, so two schedulers running it do no harm."""
    with ctx.session_factory() as session, session.begin():
        result = session.execute(delete(Conversation).where(
            Conversation.expires_at < ctx.clock() - timedelta(days=1)))
        purged = outbox.purge_settled(session, ctx.clock())
    return (result.rowcount or 0) + purged + purge_old_events(ctx) + purge_old_answers(ctx)


# Where someone was when they answered an alert matters while help is on its way, not after.
ALERT_LOCATION_RETENTION = timedelta(days=30)


def purge_old_answers(ctx: JobContext) -> int:
    """Acknowledgements are the evidence districts report upward: kept for this fiscal year and the one
    before it, then deleted. The locations sent with alert answers are cleared after 30 days."""
    now = ctx.clock()
    this_year = fiscal_year_start(now)
    keep_from = this_year.replace(year=this_year.year - 1)
    total = 0
    with ctx.session_factory() as session, session.begin():
        located = select(Notice.id).where(Notice.urgent.is_(True))
        total += session.execute(update(NoticeAck).where(
            NoticeAck.notice_id.in_(located), NoticeAck.at < now - ALERT_LOCATION_RETENTION,
            or_(NoticeAck.latitude.is_not(None), NoticeAck.address.is_not(None))).values(
            latitude=None, longitude=None, address=None)).rowcount or 0
    return total + _delete_in_batches(ctx, NoticeAck, NoticeAck.at < keep_from)


def purge_old_events(ctx: JobContext, retention: timedelta = EVENT_RETENTION) -> int:
    """Delete webhook events older than the retention, a batch per transaction."""
    return _delete_in_batches(ctx, WebhookEvent, WebhookEvent.received_at < ctx.clock() - retention)


def _delete_in_batches(ctx: JobContext, model: type, condition) -> int:
    """Delete the rows that meet `condition`, PURGE_BATCH per transaction (no long lock on a busy table)."""
    total = 0
    while True:
        with ctx.session_factory() as session, session.begin():
            batch = select(model.id).where(condition).limit(PURGE_BATCH)
            deleted = session.execute(delete(model).where(model.id.in_(batch.scalar_subquery()))).rowcount or 0
        total += deleted
        if deleted < PURGE_BATCH:
            return total
