"""`python -m scheduler`: start APScheduler's BlockingScheduler with Saiyai's jobs."""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from pathlib import Path

from apscheduler.schedulers.blocking import BlockingScheduler

from bot.config import TIMEZONE, ConfigError, bangkok_now, load_config
from bot.line import LineClient
from models.db import make_engine, make_session_factory
from scheduler import followups, notices
from scheduler.jobs import JobContext, dispatch_outbox, purge_expired_conversations


def build_scheduler(ctx: JobContext, storage: Path, followup_seconds: float = 0.0) -> BlockingScheduler:
    """The scheduler with every periodic job; one instance of each job at a time. A `followup_seconds`
    runs every follow-up job that often instead (tests and demos cannot wait minutes or hours)."""
    scheduler = BlockingScheduler(timezone=TIMEZONE, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
    scheduler.add_job(dispatch_outbox, "interval", seconds=1, args=[ctx], id="outbox")
    scheduler.add_job(purge_expired_conversations, "interval", hours=1, args=[ctx], id="purge_conversations")
    others = {job.id for job in scheduler.get_jobs()}
    followups.register_jobs(scheduler, ctx, storage)
    if followup_seconds:
        for job_id in {job.id for job in scheduler.get_jobs()} - others:
            scheduler.reschedule_job(job_id, trigger="interval", seconds=followup_seconds)
    notices.register_jobs(scheduler, ctx)
    return scheduler


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs every run of the one-second outbox job; keep its warnings only.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"saiyai scheduler: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(config.database_url)
    clock = bangkok_now
    if config.local_mode:  # the simulator may have moved the clock (bot/simulator/clock.py)
        from bot.simulator.clock import SimulatedClock

        clock = SimulatedClock(engine)
    ctx = JobContext(session_factory=make_session_factory(engine), line=LineClient(config),
                     clock=clock, outbox_batch=config.outbox_batch,
                     outbox_concurrency=config.outbox_concurrency,
                     outbox_lease=timedelta(seconds=config.outbox_lease),
                     outbox_max_backoff=timedelta(seconds=config.outbox_max_backoff))
    logging.getLogger("scheduler").info("scheduler started; LINE API at %s", config.line_api_base_url)
    try:
        build_scheduler(ctx, config.storage_dir, config.followup_interval).start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
