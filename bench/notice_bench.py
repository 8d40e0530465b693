"""A notice to a whole district (39,000 people) and to all Bangkok community residents (2,100,000),
against the fake LINE API enforcing LINE's 200 multicast requests per second.

Run from the repository root (a 2,100,000 run seeds for 1-2 minutes, then sends for under a minute):

    python bench/notice_bench.py                                   # PostgreSQL, 39,000 and 2,100,000; writes BENCHMARKS.md
    python bench/notice_bench.py --modes threads processes --dispatchers 2   # what BENCHMARKS.md shows
    python bench/notice_bench.py --people 39000 --no-write         # one size only, printed
    python bench/notice_bench.py --db sqlite --people 39000        # a fresh SQLite file instead
    python bench/notice_bench.py --batch 200 --concurrency 8       # OUTBOX_BATCH / OUTBOX_CONCURRENCY

What runs: a fresh database (`alembic upgrade head`), people and memberships seeded with Core bulk
inserts (`INSERT … SELECT generate_series` on PostgreSQL, executemany on SQLite), one organization-wide
notice for everyone created with `handlers.services.notices.create_notice`, then the scheduler's real
jobs: `scheduler.notices.send_notices` (recipients in keyset pages, straight into the outbox) and
`scheduler.jobs.dispatch_outbox` (--dispatchers of them), either on threads of one process (mode
`threads`, as one `python -m scheduler`) or each in a process of its own (mode `processes`, as
several scheduler processes). The fake LINE API (`bot.fakeline`, validating every body with the SDK's
models) runs in its own process, so its memory and CPU are not Saiyai's.

Wall time runs from the notice falling due to the last multicast the fake accepted; the floor is what
the rate limit allows: people / 500 / 200 seconds. Memory is the peak resident set (VmHWM) of each
Saiyai process, and with --tracemalloc (threads mode) the peak of Python allocations (slower). The fake
checks that every recipient got the notice exactly once. This is a benchmark, not a test: it is never
run by pytest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import sys
import threading
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench import common  # noqa: E402

SECTION = common.section_markers("notice-bench", "bench/notice_bench.py")
TOKEN = "notice-bench-token"


@dataclass
class Result:
    people: int
    database: str
    mode: str = "threads"
    seconds: float = 0.0
    floor: float = 0.0
    queue_seconds: float = 0.0
    requests: int = 0
    too_many: int = 0
    delivered: int = 0
    unique: int = 0
    rows_sent: int = 0
    rows_total: int = 0
    peak_rss_mb: float = 0.0
    rss_before_mb: float = 0.0
    traced_peak_mb: float | None = None
    seed_seconds: float = 0.0
    saiyai_cpu: float = 0.0
    queue_cpu: float = 0.0
    fake_cpu: float = 0.0
    queue_peak_rss_mb: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor if self.floor else 0.0

    @property
    def verified(self) -> bool:
        return self.delivered == self.unique == self.people and self.rows_sent == self.rows_total


def multicast_totals(requests: list) -> dict:
    """FakeLine's summary for a notice, made in the fake's process: multicast requests, 429s, recipients
    delivered (and distinct), the first request and the last delivery."""
    sends = [r for r in requests if r.path.endswith("/multicast")]
    delivered = [r for r in sends if r.delivered]
    seen: set[str] = set()
    count = 0
    for r in delivered:
        count += len(r.body["to"])
        seen.update(r.body["to"])
    return {"requests": len(sends), "too_many": sum(r.status == 429 for r in sends), "delivered": count,
            "unique": len(seen), "first": min((r.at for r in sends), default=0.0),
            "last": max((r.at for r in delivered), default=0.0)}


# --- the scheduler's two jobs, on threads of this process or in processes of their own -------------

def _done(session_factory, notice_id: int) -> bool:
    """Queued completely (no cursor left) and every row settled."""
    from handlers.services import notices as svc
    from models import ChannelState, Notice, NoticeStatus

    with session_factory() as session:
        notice = session.get(Notice, notice_id)
        return (notice.status != NoticeStatus.SCHEDULED
                and session.get(ChannelState, svc.QUEUE_CURSOR + str(notice_id)) is None
                and svc.unsettled(session, svc.topic_of(notice_id)) == 0)


def _work(role: str, url: str, fake_url: str, batch: int, concurrency: int, page: int, offset: dt.timedelta,
          notice_id: int, pool: int, multicast_rate: float, queued: Any, go: threading.Event | None = None,
          conn=None) -> dict:
    """One scheduler job until the notice is done: `queue` (send_notices) or `dispatch` (dispatch_outbox).

    `queued` (a threading or multiprocessing Event) is set when the queueing job has returned: until
    then the notice cannot be done, so the dispatchers do not spend queries (and the CPU the jobs
    share) asking."""
    from bot.config import TIMEZONE, Config
    from bot.line import LineClient
    from models import ChannelState
    from models.db import make_engine, make_session_factory
    from scheduler import notices as notice_jobs
    from scheduler.jobs import JobContext, dispatch_outbox

    engine = make_engine(url)
    session_factory = make_session_factory(engine)
    config = Config(channel_secret="notice-bench-secret", access_token=TOKEN, line_api_base_url=fake_url,
                    line_data_base_url=fake_url, database_url=url, local_mode=False, request_timeout=10.0,
                    outbox_batch=batch, outbox_concurrency=concurrency, multicast_rate=multicast_rate)
    line = LineClient(config, pool_size=pool)
    ctx = JobContext(session_factory, line, lambda: dt.datetime.now(TIMEZONE) + offset, outbox_batch=batch,
                     outbox_concurrency=concurrency)
    with session_factory() as session:  # connect now, not on the clock
        session.execute(select(func.count()).select_from(ChannelState))
    if conn is not None:
        conn.send("ready")
        conn.recv()  # go
    elif go is not None:
        go.wait()
    cpu, thread_cpu = common.process_cpu(), time.thread_time()
    if role == "queue":
        try:
            notice_jobs.send_notices(ctx, page=page)
        finally:
            queued.set()  # also when it failed: the dispatchers then stop once nothing is left to send
    else:
        while True:
            if dispatch_outbox(ctx):
                continue
            if queued.is_set() and _done(session_factory, notice_id):
                break
            time.sleep(0.02)  # idle: the real job runs every second; this polls faster
    report = {"role": role, "finished": time.time(), "cpu": common.process_cpu() - cpu,
              "thread_cpu": time.thread_time() - thread_cpu, "peak_rss_mb": common.peak_rss_mb()}
    line.close()
    engine.dispose()
    if conn is not None:
        conn.send(report)
    return report


def _work_process(conn, *args) -> None:
    _work(*args, conn=conn)


# --- one run -------------------------------------------------------------------------------------

def run(args: argparse.Namespace, people: int, workdir: Path, fake: common.FakeLine) -> list[Result]:
    """Seed once, then send one notice per mode (threads of one process, or processes)."""
    from bot.config import TIMEZONE

    # Saiyai holds non-urgent notices in quiet hours (21:00-07:00 Bangkok): the run's clock reads noon.
    real = dt.datetime.now(TIMEZONE)
    offset = real.replace(hour=12, minute=0, second=0, microsecond=0) - real
    started = time.perf_counter()
    url = common.fresh_database(args.db, args.pg_url, workdir, f"saiyai_notice_bench_{people}")
    org_id = common.seed_people(url, people, real + offset)
    seeded = time.perf_counter() - started
    print(f"[{people:,}] seeded in {seeded:.1f} s", flush=True)
    results = []
    for mode in args.modes:
        results.append(measure(args, people, url, org_id, offset, mode, fake))
        results[-1].seed_seconds = seeded
        time.sleep(1.5)  # a full token bucket at the fake for the next notice
    return results


def measure(args: argparse.Namespace, people: int, url: str, org_id: int, offset: dt.timedelta, mode: str,
            fake: common.FakeLine) -> Result:
    from bot.config import TIMEZONE
    from handlers.services import notices as svc
    from models import NoticeScope, OutboxMessage, OutboxState
    from models.db import make_engine, make_session_factory

    processes = mode == "processes"
    result = Result(people=people, database=args.db, mode=mode,
                    floor=people / common.MULTICAST_SIZE / common.MULTICAST_RATE)
    engine = make_engine(url)
    session_factory = make_session_factory(engine)
    with session_factory() as session, session.begin():
        notice = svc.create_notice(session, svc.Audience(org_id, NoticeScope.ORGANIZATION),
                                   text="ประกาศทดสอบ: ประชุมประจำเดือนวันเสาร์นี้ 9 โมง ที่ศาลาชุมชน",
                                   now=dt.datetime.now(TIMEZONE) + offset, nudge_after_hours=None,
                                   planned=svc.Plan(False, (), people, people, False))
        notice_id = notice.id
    roles = ["queue"] + ["dispatch"] * args.dispatchers
    # Each dispatcher paces itself to its share of LINE's limit, as the README's LINE_MULTICAST_PER_SECOND says.
    queued = (multiprocessing.get_context("spawn").Event() if processes else threading.Event())
    worker_args = (url, fake.url, args.batch, args.concurrency, args.page, offset, notice_id, max(16, args.concurrency),
                   common.MULTICAST_RATE / args.dispatchers, queued)
    reports: list[dict] = []
    result.rss_before_mb = common.peak_rss_mb()
    if processes:
        workers = [common.spawn(_work_process, role, *worker_args) for role in roles]
        for conn, _ in workers:  # each has imported everything and connected before the clock starts
            assert common.receive(conn, 120, "a worker process did not start") == "ready"
        due, cpu = time.time(), common.process_cpu()
        for conn, _ in workers:
            conn.send("go")
        reports = [conn.recv() for conn, _ in workers]
        for _, process in workers:
            process.join(10)
    else:
        if args.tracemalloc:
            tracemalloc.start()
        go = threading.Event()
        threads = [threading.Thread(target=lambda r=role: reports.append(_work(r, *worker_args, go=go)), name=role)
                   for role in roles]
        for thread in threads:
            thread.start()
        time.sleep(1)
        due, cpu = time.time(), common.process_cpu()
        go.set()
        for thread in threads:
            thread.join()
        if args.tracemalloc:
            result.traced_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
    finished = time.time()
    # Threads share this process's CPU time; processes report their own.
    result.saiyai_cpu = sum(r["cpu"] for r in reports) if processes else common.process_cpu() - cpu
    # The queueing job runs on one thread (its own process's, or one of this one's); dispatching is the rest.
    [queue_report] = [r for r in reports if r["role"] == "queue"]
    result.queue_cpu = queue_report["cpu"] if processes else queue_report["thread_cpu"]
    result.peak_rss_mb = common.peak_rss_mb()
    if processes:
        result.queue_peak_rss_mb = max(r["peak_rss_mb"] for r in reports)
    queue_finished = queue_report["finished"]

    summary = fake.take()
    result.seconds = (summary["last"] or finished) - due
    result.queue_seconds = queue_finished - due
    result.requests, result.too_many = summary["requests"], summary["too_many"]
    result.delivered, result.unique = summary["delivered"], summary["unique"]
    result.fake_cpu = summary["cpu"]
    with session_factory() as session:
        topic = svc.topic_of(notice_id)
        result.rows_total = session.scalar(select(func.count()).where(OutboxMessage.topic == topic))
        result.rows_sent = session.scalar(select(func.count()).where(OutboxMessage.topic == topic,
                                                                     OutboxMessage.state == OutboxState.SENT))
    engine.dispose()
    print(f"[{people:,} {mode}] {result.seconds:.2f} s (floor {result.floor:.2f} s, {result.ratio:.2f}×), queued in "
          f"{result.queue_seconds:.2f} s, {result.requests} multicast requests ({result.too_many} answered 429), "
          f"delivered {result.delivered:,} to {result.unique:,} distinct users, peak RSS {result.peak_rss_mb:.0f} MB"
          + (f" (largest worker process {result.queue_peak_rss_mb:.0f} MB)" if result.queue_peak_rss_mb else "")
          + f", CPU Saiyai {result.saiyai_cpu:.1f} s (queueing {result.queue_cpu:.1f} s), fake {result.fake_cpu:.1f} s"
          + (f", traced peak {result.traced_peak_mb:.0f} MB" if result.traced_peak_mb is not None else ""),
          flush=True)
    return result


# --- report --------------------------------------------------------------------------------------

def report(args: argparse.Namespace, results: list[Result], command: str, load: tuple[float, ...]) -> str:
    lines = [
        SECTION.start,
        "## A notice to a district and to all of Bangkok (multicast at 200 requests/s)",
        "",
        f"- Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {common.describe_machine(common.machine())}; "
        f"load average when the run started: {common.format_load(load)} (other work shares the machine)",
        f"- Database: {'PostgreSQL' if args.db == 'postgresql' else 'SQLite'}; fake LINE API in its own process "
        f"with `rate_limits={{\"multicast\": {common.MULTICAST_RATE}}}`",
        f"- Settings: OUTBOX_BATCH={args.batch}, OUTBOX_CONCURRENCY={args.concurrency}, "
        f"{args.dispatchers} dispatcher(s), each paced to {common.MULTICAST_RATE / args.dispatchers:g} multicasts/s "
        f"(LINE_MULTICAST_PER_SECOND: LINE's limit shared out), {args.page:,} recipients queued per transaction. "
        "Mode `threads`: the "
        "queueing job and the dispatcher(s) on threads of one process (one `python -m scheduler`); `processes`: "
        "each in a process of its own (several scheduler processes)",
        f"- Code: {common.code_version()}",
        f"- Command: `{command}`",
        "",
        "| people | mode | wall s | floor s | × floor | queued after s | multicast requests | 429s | delivered "
        "| distinct | rows sent | RSS MB before → peak | traced peak MB | CPU s queueing / dispatching / fake |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        traced = f"{r.traced_peak_mb:.0f}" if r.traced_peak_mb is not None else "-"
        rss = f"{r.rss_before_mb:.0f} → {r.peak_rss_mb:.0f}" + (
            f" (workers ≤ {r.queue_peak_rss_mb:.0f})" if r.queue_peak_rss_mb else "")
        lines.append(f"| {r.people:,} | {r.mode} | {r.seconds:.2f} | {r.floor:.2f} | {r.ratio:.2f} | {r.queue_seconds:.2f} | "
                     f"{r.requests:,} | {r.too_many:,} | {r.delivered:,} | {r.unique:,} | "
                     f"{r.rows_sent:,}/{r.rows_total:,} | {rss} | {traced} | "
                     f"{r.queue_cpu:.1f} / {r.saiyai_cpu - r.queue_cpu:.1f} / {r.fake_cpu:.1f} |")
    lines += ["", "Targets: wall time ≤ 1.1× the floor (people / 500 / 200 s), peak memory < 300 MB.", ""]
    for r in results:
        time_ok = r.ratio <= 1.1
        memory_ok = max(r.peak_rss_mb, r.queue_peak_rss_mb or 0) < 300
        lines.append(f"- {r.people:,} ({r.mode}): {r.ratio:.2f}× the floor — **{'pass' if time_ok else 'fail'}**; "
                     f"{max(r.peak_rss_mb, r.queue_peak_rss_mb or 0):.0f} MB — **{'pass' if memory_ok else 'fail'}**; "
                     f"every recipient exactly once: "
                     f"**{'yes' if r.verified else 'NO'}**")
    lines += ["", "Wall time is from the notice falling due to the last multicast the fake accepted; \"queued after\" "
              "is when the last page of recipients was in the outbox (dispatch starts with the first page). "
              "RSS is the benchmark process's peak resident set (VmHWM) before the notice and at the end "
              "(it never goes down: in a later row it includes the earlier runs; seeding runs in the database "
              "server); in `processes` mode each worker reports its own. The fake LINE API's memory is not in it. CPU seconds are "
              "user + system time during the run: Saiyai's processes, and the fake's (PostgreSQL's own is not "
              "counted); when they add up to more than the CPUs can give in the floor's time, the floor cannot "
              "be reached on this machine.", SECTION.end]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=[39_000, 2_100_000])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("SAIYAI_TEST_PG_URL") or common.DEFAULT_PG_URL)
    parser.add_argument("--batch", type=int, default=int(os.environ.get("OUTBOX_BATCH", 200)),
                        help="OUTBOX_BATCH: rows one dispatcher claims at a time")
    parser.add_argument("--concurrency", type=int, default=int(os.environ.get("OUTBOX_CONCURRENCY", 8)),
                        help="OUTBOX_CONCURRENCY: parallel LINE calls per dispatcher")
    parser.add_argument("--dispatchers", type=int, default=1, help="dispatchers (threads, or processes)")
    parser.add_argument("--page", type=int, default=10_000, help="recipients queued per transaction")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    parser.add_argument("--modes", nargs="+", choices=("threads", "processes"), default=["threads"],
                        help="threads: the queueing job and the dispatchers on threads of one process (one "
                             "`python -m scheduler`); processes: each in a process of its own")
    parser.add_argument("--no-write", action="store_true", help="print, do not update BENCHMARKS.md")
    parser.add_argument("--workdir", type=Path, default=ROOT / "instance" / "bench")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    command = "python bench/notice_bench.py " + " ".join(sys.argv[1:])
    load = os.getloadavg()
    results = []
    try:
        fake = common.FakeLine(TOKEN, {"multicast": common.MULTICAST_RATE}, multicast_totals)
        for people in args.people:
            results.extend(run(args, people, args.workdir, fake))
        fake.stop()
    finally:
        common.stop_children()
    section = report(args, results, command.strip(), load)
    print(section)
    if not args.no_write:
        common.write_section(section, SECTION)
    return 0 if all(r.verified for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
