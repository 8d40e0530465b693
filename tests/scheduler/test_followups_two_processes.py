"""Two real `python -m scheduler` processes on PostgreSQL run the follow-up jobs every second against a
LINE API failing 30 % of calls, and one of them is killed and restarted: every reminder, nudge, report
request, escalation and monthly check due now by the real clock reaches each recipient exactly once.

The clock is the real one, so the test may run in quiet hours (21:00–07:00 Bangkok): then the
follow-ups must be held until 07:00 untouched; the test checks that, then brings the morning forward
(sets their due time to now) and checks they are still delivered exactly once.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.config import TIMEZONE, bangkok_now
from bot.outbox import after_quiet_hours, in_quiet_hours
from handlers.thaitime import format_when
from handlers.catalog import text_for
from handlers.services import activities as acts
from handlers.services import registry as reg
from models import Activity, Answer, Community, OutboxMessage, OutboxState, Person, RoleName
from models.db import make_engine, make_session_factory
from scheduler import followups
from support.activities import make_activity, rsvp
from support.registry import MARKET_LEADER, MORE_MEMBERS, seed_district, seed_market_leader, seed_members
from support.schedulers import flaky, start_scheduler

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]
EVERY = 1          # seconds between two runs of each follow-up job (SAIYAI_FOLLOWUP_INTERVAL_SECONDS)
RUNS = 4           # runs of every follow-up job each scheduler process makes, at least
KILL_AFTER = 2.5   # seconds after start-up: the first process dies after two or three runs


@dataclass(frozen=True)
class Followup:
    """One outbox row the jobs must queue: its dedupe key up to the target, its recipients, its text."""

    key: str
    recipients: tuple[str, ...]
    text: str


def seed_people(session, d, now: datetime) -> tuple[dict[str, Person], dict[str, Community]]:
    """Everyone of the district, the extra members and the market leader, with their home community;
    the leader of the canal also chairs zone 2 (nudged in months without a zone-2 activity)."""
    seed_members(session, d, now)
    seed_market_leader(session, d, now)
    reg.grant(session, d.people["other_leader"], RoleName.NETWORK_CHAIR, d.org, network=d.zone2, now=now)
    people = {**d.people, "market_leader": reg.find_person(session, MARKET_LEADER)}
    home = {**dict.fromkeys(d.people, d.wat), "other_leader": d.canal, "market_leader": d.market}
    for key, (user_id, _, community) in MORE_MEMBERS.items():
        people[key], home[key] = reg.find_person(session, user_id), getattr(d, community)
    return people, home


def seed(session_factory, now: datetime) -> list[Followup]:
    """A district where, at `now`, each kind of follow-up is due once; returns what must be sent."""
    created = now - timedelta(days=10)

    def at(**delta: float) -> datetime:
        return now + timedelta(**delta)

    with session_factory() as session, session.begin():
        d = seed_district(session, created)
        people, home = seed_people(session, d, created)
        uid = {key: person.line_user_id for key, person in people.items()}

        def add(code: str, title: str, starts: datetime, **options) -> Activity:
            return make_activity(session, d, code, title, starts, created=created, **options)

        def answers(activity: Activity, **choices: Answer) -> None:
            for key, choice in choices.items():
                rsvp(session, activity, people[key], choice, home[key])

        # The 12-hour reminder is due 30 s ago (the 3-day one, also past, is superseded by it). Not a 2-hour one:
        # this test runs on the real clock, and in quiet hours a 2-hour reminder would be held past the start
        # and so dropped by design (test_followups); a 12-hour one is only held until 07:00, never dropped.
        soon = add("SOON", "ประชุมโซน 1", at(hours=12, seconds=-30))
        soon.reminder_offsets = [3 * 24 * 60, 12 * 60]
        answers(soon, member=Answer.GOING, somsri=Answer.MAYBE, somsak=Answer.NOT_GOING, somchai=Answer.GOING)
        # The 3-day reminder is due 30 s ago.
        three = add("THREE", "กีฬาสี", at(days=3, seconds=-30))
        answers(three, malee=Answer.GOING)
        # Answers close in a day: each zone-1 leader is nudged about their one silent member.
        vote = add("VOTE", "อบรมอาสาสมัคร", at(days=5), deadline=at(days=1))
        answers(vote, staff=Answer.GOING, chair=Answer.GOING, leader=Answer.GOING, member=Answer.NOT_GOING,
                partner=Answer.MAYBE, somsri=Answer.GOING, somchai=Answer.GOING, market_leader=Answer.GOING)
        # Ended 2 h 1 min, 3 days 1 h and 7 days 1 h ago (3-hour activities), never reported.
        done = add("DONE", "ปลูกต้นไม้", at(hours=-5, minutes=-1))
        late = add("LATE", "ลอกคลอง", at(days=-3, hours=-4), host=d.market)
        old = add("OLD", "ทัศนศึกษา", at(days=-7, hours=-4))

        def reminder(activity: Activity) -> str:
            return text_for("th", "followup.reminder", title=activity.title, when=format_when(activity.starts_at),
                                                 place="ศาลาวัดบางนา", code=activity.code)

        def nudge(community: Community, name: str) -> str:
            return text_for("th", "followup.nudge",
                community=community.name, title=vote.title, when=format_when(vote.starts_at), count=1,
                deadline=format_when(vote.rsvp_deadline), names=f"• {name}", code=vote.code)

        def report(stage: str, activity: Activity) -> str:
            return text_for("th", f"followup.{stage}", title=activity.title, code=activity.code)

        escalation = text_for("th", "followup.report_escalation", title=old.title, code=old.code, community=d.wat.name)
        expected = [
            Followup(f"reminder:{soon.id}:t1:720:th", (uid["member"], uid["somsri"], uid["somchai"]), reminder(soon)),
            Followup(f"reminder:{three.id}:t1:4320:th", (uid["malee"],), reminder(three)),
            Followup(f"nudge:{vote.id}:t1:{d.wat.id}", (uid["leader"],), nudge(d.wat, "สมศักดิ์ ใจดี")),
            Followup(f"nudge:{vote.id}:t1:{d.market.id}", (uid["market_leader"],), nudge(d.market, "มาลี ศรีสุข")),
            Followup(f"report_request:{done.id}:t1:th", (uid["leader"],), report("report_request", done)),
            Followup(f"report_reminder:{late.id}:t1:th", (uid["market_leader"],), report("report_reminder", late)),
            Followup(f"report_reminder:{old.id}:t1:th", (uid["leader"],), report("report_reminder", old)),
            Followup(f"report_escalation:{old.id}:t1:th", (uid["chair"], uid["staff"]), escalation),
        ]
        return expected + monthly_followups(session, d, now, uid)


def monthly_followups(session, district, now: datetime, uid: dict[str, str]) -> list[Followup]:
    """From the 20th zone 2 (no activity this month) has its chair nudged; to the 7th staff get last
    month's summary (its wording is test_followups' concern: here it is built by the job's own function)."""
    local = now.astimezone(TIMEZONE)
    this_month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if local.day >= 20:
        month = f"{followups.THAI_MONTHS[local.month - 1]} {local.year + 543}"
        return [Followup(f"monthly_nudge:{district.zone2.id}:{local:%Y-%m}:th", (uid["other_leader"],),
                         text_for("th", "followup.monthly_nudge", month=month, network=district.zone2.name))]
    if local.day <= 7:
        last_month = acts.add_months(this_month, -1)
        text = followups.monthly_summary(session, district.org, last_month, this_month, "th")
        return [Followup(f"monthly_summary:{district.org.id}:{last_month:%Y-%m}:th", (uid["staff"],), text)]
    return []


def wait_out_midnight() -> None:
    """The monthly checks depend on the Bangkok date: do not let it change while the test runs."""
    local = bangkok_now()
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight - local < timedelta(minutes=1):  # the jobs first run a few seconds after seeding
        time.sleep((midnight - local).total_seconds() + 1)


def wait_for_start(log_path, proc, deadline_s: float = 30) -> float:
    """The monotonic time at which this process's scheduler logged that it started."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if "Scheduler started" in log_path.read_text(errors="replace"):
            return time.monotonic()
        assert proc.poll() is None, f"the scheduler exited: {log_path.read_text(errors='replace')}"
        time.sleep(0.1)
    raise AssertionError(f"the scheduler did not start: {log_path.read_text(errors='replace')}")


def rows_in(session_factory, *conditions) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(*conditions))


def wait_until(condition, procs, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition():
        assert all(p.poll() is None for p in procs), "a scheduler process exited by itself"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def release_held(session_factory) -> tuple[set[str], float]:
    """Rows held for quiet hours (never tried, due at 07:00) are made due now: the morning comes early."""
    now = bangkok_now()
    with session_factory() as session, session.begin():
        held = session.scalars(select(OutboxMessage).where(
            OutboxMessage.state == OutboxState.PENDING, OutboxMessage.attempts == 0,
            OutboxMessage.due_at > now + timedelta(seconds=30))).all()
        for row in held:
            assert in_quiet_hours(row.created_at) and row.due_at == after_quiet_hours(row.created_at)
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_([row.id for row in held]))
                        .values(due_at=now))
        return {row.retry_key for row in held}, time.time()


def occurrence(row: OutboxMessage, sent_to: dict[str, list[str]]) -> tuple[str, tuple[str, ...]]:
    """A follow-up row as (job:occurrence:language, recipients): its dedupe key without the target part.
    A sent row keeps no recipients (bot/outbox.py): who it reached is what LINE got under its retry key."""
    return row.dedupe_key.split("/")[0].split("#")[0], tuple(sorted(sent_to.get(row.retry_key, [])))


def test_two_schedulers_send_each_due_followup_once(db_url, fake_line, tmp_path, monkeypatch) -> None:
    wait_out_midnight()
    engine = make_engine(db_url)
    session_factory = make_session_factory(engine)
    expected = seed(session_factory, bangkok_now())
    flaky(fake_line)
    monkeypatch.setenv("SAIYAI_FOLLOWUP_INTERVAL_SECONDS", str(EVERY))
    logs = [tmp_path / "scheduler0.log", tmp_path / "scheduler1.log", tmp_path / "scheduler0-restarted.log"]
    procs = [start_scheduler(db_url, fake_line.url, log) for log in logs[:2]]
    try:
        started = [wait_for_start(log, proc) for log, proc in zip(logs, procs, strict=False)]
        time.sleep(max(0.0, started[0] + KILL_AFTER - time.monotonic()))
        procs[0].send_signal(signal.SIGKILL)  # mid-run: its jobs and dispatcher run every second
        procs[0].wait(10)
        procs[0] = start_scheduler(db_url, fake_line.url, logs[2])
        restarted = wait_for_start(logs[2], procs[0])
        wait_until(lambda: rows_in(session_factory) >= len(expected)
                   and time.monotonic() > restarted + RUNS * EVERY + 0.5, procs, 40)
        released, released_at = release_held(session_factory)
        wait_until(lambda: rows_in(session_factory, OutboxMessage.state == OutboxState.SENT) >= len(expected),
                   procs, 60)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)
    with session_factory() as session:
        rows = session.scalars(select(OutboxMessage)).all()
    engine.dispose()
    deliveries = fake_line.state.deliveries()
    sent_to = {r.retry_key: r.body["to"] if isinstance(r.body["to"], list) else [r.body["to"]] for r in deliveries}
    # One row per (job, target, occurrence), nothing else queued, all sent.
    assert sorted(occurrence(row, sent_to) for row in rows) == sorted(
        (f.key, tuple(sorted(f.recipients))) for f in expected)
    assert {row.state for row in rows} == {OutboxState.SENT}
    # Each text reached each of its recipients exactly once.
    received = Counter((to, message["text"]) for r in deliveries
                       for to in (r.body["to"] if isinstance(r.body["to"], list) else [r.body["to"]])
                       for message in r.body["messages"])
    assert received == Counter((to, f.text) for f in expected for to in f.recipients)
    assert sorted(r.retry_key for r in deliveries) == sorted(row.retry_key for row in rows)
    # Quiet hours: nothing was even tried before 07:00 (or before the test brought the morning forward).
    not_before = {row.retry_key: released_at if row.retry_key in released else
                  after_quiet_hours(row.created_at).timestamp() for row in rows}
    assert [r for r in fake_line.state.requests if r.retry_key and r.at < not_before[r.retry_key]] == []
    assert [r for r in fake_line.state.requests if r.status != 200] != []  # the faults really happened
    for log in logs:
        assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")
