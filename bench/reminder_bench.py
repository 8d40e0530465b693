"""50,000 reminders due in the same minute (500 activities, 100 people going to each), against the fake
LINE API enforcing LINE's rate limits: how late they arrive, against the floor the limits impose.

Run from the repository root (seeding takes a few seconds; the reminders go out in a few more):

    python bench/reminder_bench.py                                  # PostgreSQL, 500 × 100; writes BENCHMARKS.md
    python bench/reminder_bench.py --modes threads processes --dispatchers 1 2   # what BENCHMARKS.md shows
    python bench/reminder_bench.py --activities 50 --people 5000 --no-write    # a small run, printed only
    python bench/reminder_bench.py --db sqlite --no-write           # a fresh SQLite file instead
    python bench/reminder_bench.py --tick 0.02                      # dispatcher polls every 20 ms, not every second

What runs: a fresh database (`alembic upgrade head`), one district seeded with Core bulk inserts (people
and memberships by `bench.common.seed_people`), then for each mode a fresh set of --activities activities
of one zone network, all starting at T + 2 h, each with people / activities members who answered "going"
(each person goes to one activity, so every (activity, person) pair is a distinct LINE user id). The
clock the jobs read is moved so that the 2-hour reminders fall due at the moment the run starts (T is
noon in Bangkok, outside quiet hours). Then the scheduler's real jobs: `scheduler.followups.send_reminders`
once, at the due moment (the scheduler runs it on every minute), and `scheduler.jobs.dispatch_outbox`
(--dispatchers of them; each count given is a run) every --tick seconds from that moment, as
APScheduler's one-second `outbox` job does (a run that overruns skips the ticks it covered). They run
on threads of one process (mode `threads`, one `python -m scheduler`) or each in a process of its own
(mode `processes`). The fake LINE API (`bot.fakeline`) runs in its own process with `rate_limits`
multicast 200/s and push 2,000/s.

Lateness of a delivery is the time the fake LINE API recorded the request that delivered it (its
`Recorded.at`, taken on arrival) minus the moment the reminder fell due, counted per recipient. The
floor is the time LINE's rate limits need for the requests the run produced: multicasts / 200 and
pushes / 2,000 seconds (the two limits are separate, so the larger of the two). Every (activity,
recipient) pair is checked at the fake: delivered once, none missing, none twice. This is a
benchmark, not a test: it is never run by pytest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, insert, literal, select, text  # noqa: E402

from bench import common  # noqa: E402

SECTION = common.section_markers("reminder-bench", "bench/reminder_bench.py")
DB_NAME = "saiyai_reminder_bench"
PUSH_RATE = 2_000         # LINE: push requests per second per channel
REMINDER_MINUTES = 120    # the 2-hour reminder (Activity.reminder_offsets' default is 3 days and 2 hours)
TARGET_MARGIN = 2.0       # issue 5: p99 lateness within 2 s of the floor
TOKEN = "reminder-bench-token"


@dataclass
class Result:
    activities: int
    people: int
    database: str
    mode: str
    dispatchers: int
    tick: float
    rows: int = 0
    multicasts: int = 0
    pushes: int = 0
    too_many: int = 0
    floor: float = 0.0
    p50: float = 0.0
    p99: float = 0.0
    max: float = 0.0
    first: float = 0.0
    queued_after: float = 0.0
    deliveries: int = 0
    pairs: int = 0
    expected_pairs: int = 0
    duplicates: int = 0
    missing: int = 0
    rows_sent: int = 0
    timed_out: bool = False
    peak_rss_mb: float = 0.0
    worker_peak_rss_mb: float | None = None
    saiyai_cpu: float = 0.0
    remind_cpu: float = 0.0
    fake_cpu: float = 0.0
    seed_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def exactly_once(self) -> bool:
        return (self.duplicates == 0 and self.missing == 0 and self.pairs == self.expected_pairs
                and self.rows_sent == self.rows and not self.timed_out)

    @property
    def on_target(self) -> bool:
        return self.exactly_once and self.p99 <= self.floor + TARGET_MARGIN


# --- database ------------------------------------------------------------------------------------

def seed_activities(url: str, org_id: int, activities: int, per_activity: int, due: dt.datetime) -> int:
    """Replace the activities with `activities` fresh ones starting at due + 2 h, each with `per_activity`
    people going (person k goes to activity k // per_activity); returns the expected (activity, person) pairs."""
    from models import Activity, ActivityStatus, Answer, HostState, Membership, Network, OutboxMessage, Person, Rsvp
    from models.db import make_engine

    engine = make_engine(url)
    starts, created = due + dt.timedelta(minutes=REMINDER_MINUTES), due - dt.timedelta(days=1)
    with engine.begin() as conn:
        for table in (OutboxMessage, Rsvp, Activity):  # the previous mode's run
            conn.execute(delete(table))
        network_id = conn.scalar(select(func.min(Network.id)).where(Network.organization_id == org_id))
        host_id = conn.scalar(select(func.min(Membership.community_id)).where(Membership.organization_id == org_id))
        conn.execute(insert(Activity), [{
            "code": f"R{a:06d}", "title": f"ประชุมเครือข่าย ครั้งที่ {a + 1}", "organization_id": org_id,
            "network_id": network_id, "host_community_id": host_id, "host_state": HostState.CONFIRMED,
            "starts_at": starts, "ends_at": starts + dt.timedelta(hours=3), "place_text": f"ศาลาชุมชนที่ {a + 1}",
            "status": ActivityStatus.CONFIRMED, "reminder_offsets": [3 * 24 * 60, REMINDER_MINUTES],
            "remind_groups": False, "created_at": created, "updated_at": created, "revision": 1,
        } for a in range(activities)])
        numbered = select(Activity.id, (func.row_number().over(order_by=Activity.id) - 1).label("k")).subquery()
        first_person = conn.scalar(select(func.min(Person.id)))
        conn.execute(insert(Rsvp).from_select(
            ["activity_id", "person_id", "community_id", "answer", "guests", "answered_at"],
            select(numbered.c.id, Membership.person_id, Membership.community_id, literal(Answer.GOING.value),
                   literal(0), literal(created))
            .select_from(Membership)
            .join(numbered, (Membership.person_id - first_person) // per_activity == numbered.c.k)
            .where(Membership.organization_id == org_id)))
        pairs = conn.scalar(select(func.count()).select_from(Rsvp))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return pairs


# --- the scheduler's two jobs, on threads of this process or in processes of their own -------------

@dataclass
class Go:
    """Sent to every worker when the clock starts: the real time the reminders fall due, and the
    offset that makes the jobs' clock read T then."""

    due: float
    offset: dt.timedelta


def _settled(session_factory) -> int:
    from models import OutboxMessage, OutboxState

    with session_factory() as session:
        return session.scalar(select(func.count()).where(
            OutboxMessage.dedupe_key.like("reminder:%"), OutboxMessage.state.in_([OutboxState.SENT, OutboxState.DEAD])))


def _work(role: str, url: str, fake_url: str, batch: int, concurrency: int, tick: float, expected_rows: int,
          time_limit: float, multicast_rate: float, receive_go) -> dict:
    """One scheduler job: `remind` (send_reminders, once, at the due moment) or `dispatch` (dispatch_outbox
    every `tick` seconds until every reminder row is settled)."""
    from bot.config import TIMEZONE, Config
    from bot.line import LineClient
    from models.db import make_engine, make_session_factory
    from scheduler import followups
    from scheduler.jobs import JobContext, dispatch_outbox

    engine = make_engine(url)
    session_factory = make_session_factory(engine)
    config = Config(channel_secret="reminder-bench-secret", access_token=TOKEN, line_api_base_url=fake_url,
                    line_data_base_url=fake_url, database_url=url, local_mode=False, request_timeout=10.0,
                    outbox_batch=batch, outbox_concurrency=concurrency, multicast_rate=multicast_rate)
    line = LineClient(config, pool_size=max(16, concurrency))
    _settled(session_factory)  # connect now, not on the clock
    go: Go = receive_go()
    ctx = JobContext(session_factory, line, lambda: dt.datetime.now(TIMEZONE) + go.offset, outbox_batch=batch,
                     outbox_concurrency=concurrency)
    time.sleep(max(0.0, go.due - time.time()))
    cpu, thread_cpu = common.process_cpu(), time.thread_time()
    report: dict = {"role": role, "timed_out": False}
    if role == "remind":
        report["rows"] = followups.send_reminders(ctx)
    else:
        while True:
            dispatch_outbox(ctx)
            if _settled(session_factory) >= expected_rows:
                break
            now = time.time()
            if now - go.due > time_limit:
                report["timed_out"] = True
                break
            # APScheduler's interval job: the next tick after this run (ticks it overran are skipped).
            time.sleep(go.due + tick * math.ceil((now - go.due) / tick + 1e-9) - now)
    report.update(finished=time.time(), cpu=common.process_cpu() - cpu, thread_cpu=time.thread_time() - thread_cpu,
                  peak_rss_mb=common.peak_rss_mb())
    line.close()
    engine.dispose()
    return report


def _work_process(conn, *args) -> None:
    def receive_go() -> Go:
        conn.send("ready")
        return conn.recv()

    conn.send(_work(*args, receive_go=receive_go))


# --- one run -------------------------------------------------------------------------------------

def measure(args: argparse.Namespace, url: str, org_id: int, mode: str, dispatchers: int,
            fake: common.FakeLine) -> Result:
    """Fresh activities due at T, then the reminder job and the dispatcher(s); lateness read at the fake."""
    from bot.config import TIMEZONE
    from models import OutboxMessage, OutboxState, Person, Rsvp
    from models.db import make_engine, make_session_factory

    per_activity = args.people // args.activities
    result = Result(activities=args.activities, people=per_activity * args.activities, database=args.db, mode=mode,
                    dispatchers=dispatchers, tick=args.tick)
    clock_due = dt.datetime.now(TIMEZONE).replace(hour=12, minute=0, second=0, microsecond=0)
    result.expected_pairs = seed_activities(url, org_id, args.activities, per_activity, clock_due)
    rows_per_activity = 1 if per_activity == 1 else math.ceil(per_activity / common.MULTICAST_SIZE)
    expected_rows = rows_per_activity * args.activities
    roles = ["remind"] + ["dispatch"] * dispatchers
    # Each dispatcher paces itself to its share of LINE's limit, as the README's LINE_MULTICAST_PER_SECOND says.
    worker_args = (url, fake.url, args.batch, args.concurrency, args.tick, expected_rows, args.time_limit,
                   common.MULTICAST_RATE / dispatchers)

    def go_now() -> Go:
        due = round(time.time() + 0.5, 3)  # every worker is waiting when the reminders fall due
        return Go(due, clock_due - dt.datetime.fromtimestamp(due, TIMEZONE))

    if mode == "processes":
        workers = [common.spawn(_work_process, role, *worker_args) for role in roles]
        for conn, _ in workers:  # each has imported everything and connected before the clock starts
            assert common.receive(conn, 120, "a worker process did not start") == "ready"
        go, cpu = go_now(), common.process_cpu()
        for conn, _ in workers:
            conn.send(go)
        reports = [common.receive(conn, args.time_limit + 60, "a worker process did not finish") for conn, _ in workers]
        for _, process in workers:
            process.join(10)
    else:
        ready = threading.Barrier(len(roles) + 1, timeout=120)
        holder: list[Go] = []

        def receive_go() -> Go:
            ready.wait()  # everyone connected
            ready.wait()  # go is set
            return holder[0]

        reports = []
        threads = [threading.Thread(target=lambda r=role: reports.append(_work(r, *worker_args, receive_go=receive_go)),
                                    name=role, daemon=True) for role in roles]
        for thread in threads:
            thread.start()
        ready.wait()
        go, cpu = go_now(), common.process_cpu()
        holder.append(go)
        ready.wait()
        for thread in threads:
            thread.join(args.time_limit + 60)
    # Threads share this process's CPU time; processes report their own.
    result.saiyai_cpu = sum(r["cpu"] for r in reports) if mode == "processes" else common.process_cpu() - cpu
    if not any(r["role"] == "remind" for r in reports):
        raise RuntimeError("the reminder job did not report (its traceback is above)")
    [remind] = [r for r in reports if r["role"] == "remind"]
    result.remind_cpu = remind["cpu"] if mode == "processes" else remind["thread_cpu"]
    result.queued_after = remind["finished"] - go.due
    result.timed_out = len(reports) < len(roles) or any(r["timed_out"] for r in reports)
    result.peak_rss_mb = common.peak_rss_mb()
    if mode == "processes":
        result.worker_peak_rss_mb = max(r["peak_rss_mb"] for r in reports)

    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        activity_of = {key: int(dedupe.split(":")[1]) for key, dedupe in session.execute(
            select(OutboxMessage.retry_key, OutboxMessage.dedupe_key)
            .where(OutboxMessage.dedupe_key.like("reminder:%")))}
        result.rows = len(activity_of)
        result.rows_sent = session.scalar(select(func.count()).where(
            OutboxMessage.dedupe_key.like("reminder:%"), OutboxMessage.state == OutboxState.SENT))
        expected = {(activity, user) for activity, user in session.execute(
            select(Rsvp.activity_id, Person.line_user_id).join(Person, Person.id == Rsvp.person_id))}
    engine.dispose()
    _read_fake(result, fake.take(), activity_of, expected, go.due)
    print(f"[{result.activities} × {per_activity} {mode}, {dispatchers} dispatcher(s)] p50 {result.p50:.2f} s, "
          f"p99 {result.p99:.2f} s, max {result.max:.2f} s (floor {result.floor:.2f} s; target p99 ≤ "
          f"{result.floor + TARGET_MARGIN:.2f} s: {'pass' if result.on_target else 'FAIL'}), "
          f"queued after {result.queued_after:.2f} s, "
          f"{result.multicasts} multicasts + {result.pushes} pushes ({result.too_many} answered 429), "
          f"{result.deliveries:,} deliveries to {result.pairs:,}/{result.expected_pairs:,} pairs, "
          f"{result.duplicates} duplicates, {result.missing} missing, peak RSS {result.peak_rss_mb:.0f} MB"
          + (f" (largest worker {result.worker_peak_rss_mb:.0f} MB)" if result.worker_peak_rss_mb else "")
          + f", CPU Saiyai {result.saiyai_cpu:.1f} s (reminder job {result.remind_cpu:.1f} s), fake "
          f"{result.fake_cpu:.1f} s", flush=True)
    return result


def _read_fake(result: Result, taken: dict, activity_of: dict[str, int], expected: set[tuple[int, str]],
               due: float) -> None:
    """Lateness per recipient, and every (activity, recipient) pair once, from what the fake recorded."""
    result.fake_cpu = taken["cpu"]
    lateness: list[float] = []
    seen: set[tuple[int, str]] = set()
    for endpoint, status, delivered, retry_key, to, at in taken["requests"]:
        result.too_many += status == 429
        if not delivered:
            continue
        result.multicasts += endpoint == "multicast"
        result.pushes += endpoint == "push"
        activity = activity_of.get(retry_key)
        if activity is None:
            result.notes.append(f"a delivered {endpoint} that is no reminder row (retry key {retry_key})")
            continue
        for user in to if isinstance(to, list) else [to]:
            result.deliveries += 1
            seen.add((activity, user))
            lateness.append(at - due)
    lateness.sort()
    result.p50, result.p99 = common.percentile(lateness, 0.50), common.percentile(lateness, 0.99)
    result.first, result.max = (lateness[0], lateness[-1]) if lateness else (0.0, 0.0)
    result.pairs = len(seen & expected)
    result.duplicates = result.deliveries - len(seen)
    result.missing = len(expected - seen)
    if seen - expected:
        result.notes.append(f"{len(seen - expected)} deliveries to people not going to that activity")
    result.floor = max(result.multicasts / common.MULTICAST_RATE, result.pushes / PUSH_RATE)


# --- report --------------------------------------------------------------------------------------

def report(args: argparse.Namespace, results: list[Result], command: str, load: tuple[float, ...]) -> str:
    per_activity = args.people // args.activities
    lines = [
        SECTION.start,
        "## Reminders due in the same minute (multicast at 200 requests/s)",
        "",
        f"- Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {common.describe_machine(common.machine())}; "
        f"load average when the run started: {common.format_load(load)} (other work shares the machine)",
        f"- Database: {'PostgreSQL' if args.db == 'postgresql' else 'SQLite'}; fake LINE API in its own process "
        f"with `rate_limits={{\"multicast\": {common.MULTICAST_RATE}, \"push\": {PUSH_RATE}}}`",
        f"- Workload: {args.activities:,} activities of one zone network starting at the same moment, "
        f"{per_activity:,} people going to each ({per_activity * args.activities:,} distinct LINE users), "
        "reminders to individuals; the 2-hour reminder falls due at noon Bangkok",
        f"- Settings: OUTBOX_BATCH={args.batch}, OUTBOX_CONCURRENCY={args.concurrency}, each dispatcher running "
        f"every {args.tick:g} s and paced to LINE's 200 multicasts/s shared out among the dispatchers "
        "(LINE_MULTICAST_PER_SECOND = 200 / dispatchers). Mode `threads`: the reminder job and the dispatcher(s) on "
        "threads of one process (one `python -m scheduler`); `processes`: each in a process of its own",
        f"- Code: {common.code_version()}",
        f"- Command: `{command}`",
        "",
        "| reminders | mode | dispatchers | p50 s | p99 s | max s | floor s | p99 − floor s | queued after s "
        "| multicasts | 429s | deliveries | distinct pairs | duplicates | missing | rows sent | peak RSS MB "
        "| CPU s reminder job / dispatching / fake |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rss = f"{r.peak_rss_mb:.0f}" + (f" (workers ≤ {r.worker_peak_rss_mb:.0f})" if r.worker_peak_rss_mb else "")
        lines.append(f"| {r.expected_pairs:,} | {r.mode} | {r.dispatchers} | {r.p50:.2f} | {r.p99:.2f} | "
                     f"{r.max:.2f} | {r.floor:.2f} | {r.p99 - r.floor:+.2f} | {r.queued_after:.2f} | {r.multicasts:,}"
                     + (f" + {r.pushes:,} pushes" if r.pushes else "")
                     + f" | {r.too_many:,} | {r.deliveries:,} | {r.pairs:,}/{r.expected_pairs:,} | {r.duplicates:,} | "
                     f"{r.missing:,} | {r.rows_sent:,}/{r.rows:,} | {rss} | "
                     f"{r.remind_cpu:.1f} / {r.saiyai_cpu - r.remind_cpu:.1f} / {r.fake_cpu:.1f} |")
    lines += ["", f"Target (issue 5): p99 lateness ≤ the floor + {TARGET_MARGIN:g} s, with zero duplicates.", ""]
    for r in results:
        lines.append(f"- {r.expected_pairs:,} ({r.mode}, {r.dispatchers} dispatcher(s)): p99 {r.p99:.2f} s "
                     f"against {r.floor + TARGET_MARGIN:.2f} s — "
                     f"**{'pass' if r.p99 <= r.floor + TARGET_MARGIN else 'fail'}**; every (activity, person) "
                     f"exactly once: **{'yes' if r.exactly_once else 'NO'}**"
                     + (f" ({'; '.join(r.notes)})" if r.notes else ""))
    lines += ["", "Lateness is, for each recipient, the time the fake LINE API recorded the request that delivered "
              "the reminder (on arrival, before it validated the body) minus the moment the reminder fell due; "
              "p50/p99/max are over all recipients. The floor is what LINE's rate limits allow for the requests "
              "the run produced: one multicast of ≤ 500 user ids per activity, 200 multicasts per second (pushes "
              "at 2,000 per second, a separate limit), so no sender could deliver the last reminder earlier than "
              "the floor after it fell due; the p99 recipient can be at most about 1% earlier. The fake's token "
              "bucket starts full, so it accepts the first second's worth at once and a run can end up to a "
              "second under the floor. \"Queued after\" is when the reminder job returned, all its rows committed. "
              "The dispatcher runs every second from the due moment, as the scheduler's `outbox` job does (it "
              "fires together with the reminder job), so the first reminders wait for its next run: about a "
              "second is built into every lateness. The benchmark starts the reminder job at the due moment, as "
              "the scheduler does: it runs the job on every minute (second 0), and activities start on the "
              "minute, so reminders fall due when it runs. CPU seconds are user + "
              "system time during the run: Saiyai's, and the fake's (PostgreSQL's own is not counted).", SECTION.end]
    return "\n".join(lines)


def save_json(args: argparse.Namespace, results: list[Result], command: str, load: tuple[float, ...]) -> Path:
    stamp = dt.datetime.now(dt.timezone.utc)
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = common.RESULTS_DIR / f"reminder-{stamp:%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps({
        "date": stamp.isoformat(), "command": command, "code": common.code_version(), "load_average": load,
        "cpus": os.cpu_count(), "settings": {k: str(v) for k, v in vars(args).items()},
        "results": [asdict(r) | {"exactly_once": r.exactly_once, "on_target": r.on_target} for r in results],
    }, indent=2, ensure_ascii=False) + "\n")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50_000, help="people going, spread evenly over the activities")
    parser.add_argument("--activities", type=int, default=500)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("SAIYAI_TEST_PG_URL") or common.DEFAULT_PG_URL,
                        help=f"server to create the database {DB_NAME} on")
    parser.add_argument("--batch", type=int, default=int(os.environ.get("OUTBOX_BATCH", 200)),
                        help="OUTBOX_BATCH: rows one dispatcher claims at a time")
    parser.add_argument("--concurrency", type=int, default=int(os.environ.get("OUTBOX_CONCURRENCY", 8)),
                        help="OUTBOX_CONCURRENCY: parallel LINE calls per dispatcher")
    parser.add_argument("--dispatchers", type=int, nargs="+", default=[1],
                        help="dispatchers (threads, or processes); several counts are several runs")
    parser.add_argument("--tick", type=float, default=1.0,
                        help="seconds between dispatcher runs (the scheduler's outbox job: 1; notice_bench polls "
                             "every 0.02)")
    parser.add_argument("--modes", nargs="+", choices=("threads", "processes"), default=["threads"],
                        help="threads: the reminder job and the dispatchers on threads of one process (one "
                             "`python -m scheduler`); processes: each in a process of its own")
    parser.add_argument("--time-limit", type=float, default=300.0,
                        help="seconds after the reminders fall due before a run gives up")
    parser.add_argument("--no-write", action="store_true", help="print, do not update BENCHMARKS.md or bench/results")
    parser.add_argument("--workdir", type=Path, default=ROOT / "instance" / "bench")
    args = parser.parse_args()
    if args.activities < 1 or args.people < args.activities:
        parser.error("--people must be at least --activities (each activity needs someone going)")
    if args.tick <= 0:
        parser.error("--tick must be positive")
    args.workdir.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python bench/reminder_bench.py", *sys.argv[1:]])
    load = os.getloadavg()
    common.exit_on_sigterm()
    results: list[Result] = []
    try:
        fake = common.FakeLine(TOKEN, {"multicast": common.MULTICAST_RATE, "push": PUSH_RATE})
        started = time.perf_counter()
        url = common.fresh_database(args.db, args.pg_url, args.workdir, DB_NAME)
        org_id = common.seed_people(url, args.people, dt.datetime.now(dt.timezone.utc))
        seeded = time.perf_counter() - started
        print(f"[{args.people:,}] database and people seeded in {seeded:.1f} s", flush=True)
        runs = [(mode, dispatchers) for mode in args.modes for dispatchers in args.dispatchers]
        for mode, dispatchers in runs:
            time.sleep(1.5)  # a full token bucket at the fake for each run
            results.append(measure(args, url, org_id, mode, dispatchers, fake))
            results[-1].seed_seconds = seeded
        fake.stop()
    finally:
        common.stop_children()
    section = report(args, results, command, load)
    print(section)
    if not args.no_write:
        common.write_section(section, SECTION)
        print(f"results: {save_json(args, results, command, load).relative_to(ROOT)}")
    return 0 if all(r.on_target for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
