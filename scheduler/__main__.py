"""`python -m scheduler`: start APScheduler's BlockingScheduler with Saiyai's jobs.

On PostgreSQL several schedulers may run at once (row locks and dedupe keys make every job safe). On
SQLite only one may: the database has a single writer, so a second scheduler's jobs fail with "database
is locked". A second scheduler on the same SQLite file therefore stops at start-up with one line,
kept out by an exclusive lock on `<database>.scheduler.lock` beside the file (docs/followups.md).
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import IO

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.engine import make_url

from bot.config import TIMEZONE, ConfigError, bangkok_now, load_config
from bot.line import LineClient
from bot.storage import DatabaseStorage, Storage
from models.db import make_engine, make_session_factory
from scheduler import followups, notices
from scheduler.jobs import JobContext, dispatch_outbox, purge_expired_conversations


def build_scheduler(ctx: JobContext, storage: Storage, followup_seconds: float = 0.0) -> BlockingScheduler:
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


class AlreadyRunning(Exception):
    """Another scheduler holds the SQLite database's scheduler lock."""


def sqlite_scheduler_lock(database_url: str) -> IO[str] | None:
    """On a SQLite file, hold an exclusive lock beside it for as long as the process runs (the returned
    file must stay open); raises AlreadyRunning if another process holds it. None on other databases.
    The operating system drops the lock when the process ends, however it ends."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database).resolve()
    path = path.with_name(path.name + ".scheduler.lock")
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise AlreadyRunning(f"another scheduler (process {holder}) already runs on this SQLite database "
                             f"(lock: {path}); SQLite allows one scheduler, use PostgreSQL to run several") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs every run of the one-second outbox job; keep its warnings only.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"saiyai scheduler: {exc}", file=sys.stderr)
        return 2
    try:
        lock = sqlite_scheduler_lock(config.database_url)  # noqa: F841 (held open until the process ends)
    except AlreadyRunning as exc:
        print(f"saiyai scheduler: {exc}", file=sys.stderr)
        return 3
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
        build_scheduler(ctx, DatabaseStorage(), config.followup_interval).start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
