"""The scheduler's jobs; each opens its own session and derives everything from database rows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from bot import outbox
from bot.line import LineClient
from models import Conversation

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


def purge_expired_conversations(ctx: JobContext) -> int:
    """Forget guided conversations abandoned more than a day ago (their answers may be personal),
    and outbox rows settled more than 30 days ago (they hold user ids and message text)."""
    with ctx.session_factory() as session, session.begin():
        result = session.execute(delete(Conversation).where(
            Conversation.expires_at < ctx.clock() - timedelta(days=1)))
        purged = outbox.purge_settled(session, ctx.clock())
    return (result.rowcount or 0) + purged
