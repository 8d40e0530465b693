"""Run the scheduler's jobs that are due at the simulator's clock, once, right after it moved.

The scheduler process (`python -m scheduler`) runs them too, on its own timers and the same clock;
each job queues with dedupe keys, so running it here as well sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.config import Config
from bot.pipeline import Saiyai
from models import Activity, ActivityStatus
from scheduler import followups, notices
from scheduler.jobs import JobContext, dispatch_outbox

# In the order a day unfolds: new occurrences and notices first, then what follows from them.
JOBS = (followups.generate_series, notices.send_notices, followups.send_reminders, followups.nudge_leaders,
        followups.request_reports, followups.monthly_check, notices.nudge_unacknowledged)


def run_due(saiyai: Saiyai, config: Config) -> dict[str, Any]:
    """Run every follow-up and notice job at the current (simulated) time, then send what they queued."""
    ctx = JobContext(session_factory=saiyai.session_factory, line=saiyai.line, clock=saiyai.clock,
                     outbox_batch=config.outbox_batch, outbox_concurrency=config.outbox_concurrency,
                     outbox_lease=timedelta(seconds=config.outbox_lease),
                     outbox_max_backoff=timedelta(seconds=config.outbox_max_backoff))
    ran: dict[str, Any] = {job.__name__: job(ctx) for job in JOBS}
    ran["outbox"] = dispatch_outbox(ctx)
    ran["settle_notices"] = notices.settle_notices(ctx)
    return ran


def next_reminder(saiyai: Saiyai) -> datetime | None:
    """When the next activity reminder falls due (the clock's "next reminder" button), if any is ahead."""
    now = saiyai.clock()
    with saiyai.session_factory() as session:
        activities = session.scalars(select(Activity).where(
            Activity.status.in_([ActivityStatus.PLANNED, ActivityStatus.CONFIRMED]), Activity.starts_at > now))
        moments = [moment for activity in activities for offset in activity.reminder_offsets or []
                   if (moment := activity.starts_at - timedelta(minutes=offset)) >= activity.created_at]
    # As send_reminders decides: due from its moment on, and only for moments after the activity was made.
    ahead = [moment for moment in moments if moment > now]
    return min(ahead, default=None)
