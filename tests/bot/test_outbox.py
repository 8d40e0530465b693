"""The outbox: batching, retries with one retry key, 409, dead letters, the quota stop, leases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot import outbox
from bot.fakeline import MONTHLY_LIMIT, Fault
from handlers.context import text_message
from models import ChannelState, OutboxKind, OutboxMessage, OutboxState
from scheduler.jobs import dispatch_outbox

GROUP = "C" + "9" * 32


def users(n: int) -> list[str]:
    return [f"U{i:032x}" for i in range(n)]


def queue(session_factory, clock, targets, text="ประกาศ", **kwargs) -> list[OutboxMessage]:
    with session_factory() as session, session.begin():
        return outbox.enqueue(session, targets, [text_message(text)], now=clock(), **kwargs)


def rows(session_factory) -> list[OutboxMessage]:
    with session_factory() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_users_are_multicast_500_at_a_time_and_groups_pushed_once(session_factory, clock, jobs, fake_line) -> None:
    queue(session_factory, clock, users(1201) + [GROUP, GROUP])
    assert [(r.kind, len(r.recipients or []), r.target) for r in rows(session_factory)] == [
        (OutboxKind.PUSH, 0, GROUP),
        (OutboxKind.MULTICAST, 500, None), (OutboxKind.MULTICAST, 500, None), (OutboxKind.MULTICAST, 201, None),
    ]
    assert dispatch_outbox(jobs) == {"sent": 4}
    assert sorted(len(r.body["to"]) if r.path.endswith("multicast") else 1
                  for r in fake_line.state.deliveries()) == [1, 201, 500, 500]
    assert {r.state for r in rows(session_factory)} == {OutboxState.SENT}


def test_a_5xx_is_retried_later_with_the_same_retry_key(session_factory, clock, jobs, fake_line) -> None:
    queue(session_factory, clock, users(1))
    fake_line.state.faults.append(Fault(status=503, message="busy"))
    assert dispatch_outbox(jobs) == {"retry": 1}
    [row] = rows(session_factory)
    assert (row.state, row.attempts, row.last_error) == (OutboxState.PENDING, 1, "503: busy")
    assert row.due_at > clock()
    assert dispatch_outbox(jobs) == {}  # not due yet
    clock.advance(seconds=2)
    assert dispatch_outbox(jobs) == {"sent": 1}
    keys = [r.retry_key for r in fake_line.state.requests]
    assert keys == [row.retry_key, row.retry_key]


def test_a_timeout_after_delivery_is_not_sent_twice(session_factory, clock, jobs, fake_line, config) -> None:
    queue(session_factory, clock, users(1), text="ครั้งเดียว")
    # LINE delivered it, but answered after our timeout (the test config's request_timeout).
    fake_line.state.faults.append(Fault(deliver=True, delay=config.request_timeout + 0.5))
    assert dispatch_outbox(jobs) == {"retry": 1}
    clock.advance(seconds=2)
    assert dispatch_outbox(jobs) == {"already_sent": 1}
    assert [(r.delivered, r.retry_key) for r in fake_line.state.requests] == [
        (True, rows(session_factory)[0].retry_key), (False, rows(session_factory)[0].retry_key)]
    assert fake_line.state.requests[1].status == 409
    assert fake_line.state.texts() == ["ครั้งเดียว"]
    assert rows(session_factory)[0].state == OutboxState.SENT


def test_other_4xx_is_dead_lettered_with_lines_message(session_factory, clock, jobs, fake_line) -> None:
    queue(session_factory, clock, users(1))
    fake_line.state.faults.append(Fault(status=400, message="The property, 'to', in the request body is invalid"))
    assert dispatch_outbox(jobs) == {"rejected": 1}
    [row] = rows(session_factory)
    assert (row.state, row.last_error) == (
        OutboxState.DEAD, "400: The property, 'to', in the request body is invalid")
    clock.advance(hours=1)
    assert dispatch_outbox(jobs) == {}


def test_the_monthly_quota_stops_pushing_until_next_month(session_factory, clock, jobs, fake_line) -> None:
    fake_line.state.monthly_quota = 1
    queue(session_factory, clock, ["U" + "1" * 32], text="แรก")
    queue(session_factory, clock, ["U" + "2" * 32], text="สอง")
    queue(session_factory, clock, ["U" + "3" * 32], text="สาม")
    outcomes = dispatch_outbox(jobs)
    assert outcomes == {"sent": 1, "quota": 2}
    [first] = fake_line.state.texts()  # the three go out concurrently: any one may be the last allowed
    assert first in ("แรก", "สอง", "สาม")
    with session_factory() as session:
        stop = session.get(ChannelState, outbox.QUOTA_KEY)
        assert stop.value == f"LINE monthly message quota reached: {MONTHLY_LIMIT}"
        assert stop.until.astimezone(clock().tzinfo).isoformat() == "2026-12-01T00:00:00+07:00"
    waiting = [r for r in rows(session_factory) if r.state == OutboxState.PENDING]
    assert [r.last_error for r in waiting] == [f"LINE monthly message quota reached: {MONTHLY_LIMIT}"] * 2
    before = len(fake_line.state.requests)
    clock.advance(days=1)
    assert dispatch_outbox(jobs) == {}
    assert len(fake_line.state.requests) == before  # nothing more is tried while stopped
    # Staff raise the plan and lift the stop: the waiting messages go out, nothing was lost.
    fake_line.state.monthly_quota = None
    with session_factory() as session, session.begin():
        assert outbox.resume_after_quota(session) is True
    assert dispatch_outbox(jobs) == {"sent": 2}
    assert sorted(fake_line.state.texts()) == sorted(["แรก", "สอง", "สาม"])


def test_a_row_left_sending_by_a_dead_dispatcher_is_taken_over(session_factory, clock, jobs, fake_line) -> None:
    [row] = queue(session_factory, clock, users(1), text="ไม่หาย")
    # A dispatcher claimed it, LINE accepted it, then the process died before writing "sent".
    with session_factory() as session, session.begin():
        claimed = outbox.claim_due(session, clock(), 10)
    assert [r.id for r in claimed] == [row.id]
    assert jobs.line.push(row.target, [text_message("ไม่หาย")], row.retry_key).delivered
    assert dispatch_outbox(jobs) == {}  # the lease still holds
    clock.advance(seconds=61)
    assert dispatch_outbox(jobs) == {"already_sent": 1}
    assert fake_line.state.texts() == ["ไม่หาย"]
    assert rows(session_factory)[0].state == OutboxState.SENT


def test_retries_give_up_after_the_last_attempt(session_factory, clock, jobs, fake_line) -> None:
    [row] = queue(session_factory, clock, users(1))
    with session_factory() as session, session.begin():
        session.execute(update(OutboxMessage).values(attempts=outbox.MAX_ATTEMPTS - 1))
    fake_line.state.faults.append(Fault(status=502, message="bad gateway"))
    assert dispatch_outbox(jobs) == {"retry": 1}
    [row] = rows(session_factory)
    assert (row.state, row.last_error) == (OutboxState.DEAD, "502: bad gateway")


def test_a_rate_limit_429_is_retried_in_a_second_and_never_dead_lettered(session_factory, clock, jobs,
                                                                        fake_line) -> None:
    [row] = queue(session_factory, clock, users(2))
    with session_factory() as session, session.begin():
        session.execute(update(OutboxMessage).values(attempts=outbox.MAX_ATTEMPTS + 5))
    fake_line.state.faults.append(Fault(status=429, message="Too Many Requests"))
    assert dispatch_outbox(jobs) == {"retry": 1}
    [row] = rows(session_factory)
    assert (row.state, row.last_error) == (OutboxState.PENDING, "429: Too Many Requests")
    assert clock() + timedelta(seconds=0.5) <= row.due_at <= clock() + timedelta(seconds=1)
    clock.advance(seconds=1)
    assert dispatch_outbox(jobs) == {"sent": 1}
    assert [r.retry_key for r in fake_line.state.requests] == [row.retry_key] * 2
    assert len(fake_line.state.deliveries("multicast")) == 1


def test_dedupe_key_queues_once_and_fixes_the_retry_key(session_factory, clock) -> None:
    first = queue(session_factory, clock, ["U" + "1" * 32], dedupe_key="reminder:activity-7:3d")
    again = queue(session_factory, clock, ["U" + "1" * 32], dedupe_key="reminder:activity-7:3d")
    assert (len(first), again) == (1, [])
    [row] = rows(session_factory)
    assert row.retry_key == first[0].retry_key
    assert row.dedupe_key == f"reminder:activity-7:3d/{'U' + '1' * 32}/0"


def test_backoff_grows_and_is_capped() -> None:
    assert timedelta(seconds=0.75) <= outbox.backoff(1) <= timedelta(seconds=1.25)
    assert timedelta(seconds=6) <= outbox.backoff(4) <= timedelta(seconds=10)
    assert outbox.backoff(30) <= timedelta(seconds=375)


def test_the_client_sends_stored_json_as_it_is_and_refuses_an_oversized_multicast(jobs, fake_line) -> None:
    stored = [text_message("ประกาศ", quick=[("รับทราบ", "รับทราบ")]).to_dict()]
    assert jobs.line.multicast(users(500), stored, "3f9e0c1a-0000-4000-8000-000000000001").delivered
    refused = jobs.line.multicast(users(501), stored, "3f9e0c1a-0000-4000-8000-000000000002")
    assert (refused.outcome, refused.detail) == ("rejected", "a multicast takes 1 to 500 user ids, not 501")
    sent = fake_line.state.requests
    assert len(sent) == 1  # the oversized one never reached LINE
    assert sent[0].body == {"to": users(500), "messages": stored}
    assert sent[0].retry_key == "3f9e0c1a-0000-4000-8000-000000000001"


def test_multicasts_keep_to_lines_rate_limit_so_none_is_refused(session_factory, clock, config, fake_line) -> None:
    """Sixty multicasts due at once against a LINE that allows 40 a second: paced, none answered 429.

    The client keeps to 36 a second: the fake counts a request when its thread gets to it, and on a
    loaded two-CPU machine (the whole suite running) a stall there bunches requests paced exactly at 40
    into more than 40 in a second. The headroom is for the fake's scheduling, not for the limiter."""
    from dataclasses import replace

    from bot.line import LineClient

    fake_line.state.rate_limits = {"multicast": 40}
    for n in range(60):
        queue(session_factory, clock, [f"U{n:016x}{m:016x}" for m in range(2)])
    line = LineClient(replace(config, multicast_rate=36))
    try:
        assert outbox.dispatch_due(session_factory, line, clock, limit=200, concurrency=8) == {"sent": 60}
    finally:
        line.close()
    assert [r.status for r in fake_line.state.requests] == [200] * 60
    assert {row.state for row in rows(session_factory)} == {OutboxState.SENT}


def test_a_tls_or_connection_error_is_retried_not_dead_lettered() -> None:
    from bot.line import Outcome, classify_error

    # The SDK raises ApiException(status=0) for an SSLError: a network failure, not LINE's refusal.
    assert classify_error(0, "(SSLError) EOF occurred in violation of protocol").outcome == Outcome.RETRY
    assert classify_error(400, '{"message": "The request body has 1 error(s)"}').outcome == Outcome.REJECTED


def test_a_row_rate_limited_for_over_an_hour_counts_its_attempts_again(session_factory, clock, jobs,
                                                                       fake_line) -> None:
    """Never refused for ever: past an hour a 429 is a failed attempt, and the last attempt dead-letters
    the row (its retry key protects only 24 hours)."""
    queue(session_factory, clock, users(2))
    with session_factory() as session, session.begin():
        session.execute(update(OutboxMessage).values(attempts=outbox.MAX_ATTEMPTS - 1))
    clock.advance(hours=1, seconds=1)
    fake_line.state.faults.append(Fault(status=429, message="Too Many Requests"))
    assert dispatch_outbox(jobs) == {"retry": 1}
    [row] = rows(session_factory)
    assert (row.state, row.last_error) == (OutboxState.DEAD, "429: Too Many Requests")
