"""Replies against a slow LINE: the webhook answers within LINE's deadline, every answer arrives once;
and what a crash between a reply and its record does (docs/operations.md, "Exactly once")."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot import outbox
from bot.replies import ReplySender
from models import OutboxMessage, OutboxState
from scheduler.jobs import dispatch_outbox
from support import events as ev

USERS = [f"U{i:032x}" for i in range(10)]
HELP = "สายใยช่วยอะไรได้บ้างครับ"


def sender(webhook) -> ReplySender:
    return webhook.client.application.extensions["saiyai.replies"]


def rows(db) -> list[OutboxMessage]:
    db.expire_all()
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def first_text(request) -> str:
    return request.body["messages"][0]["text"]


@pytest.mark.parametrize("latency", [0.5, 1.5])
def test_ten_events_against_a_slow_reply_api_are_answered_within_lines_deadline(webhook, db, fake_line,
                                                                                latency) -> None:
    """Sent one after another, the replies took 5 and 15 seconds; now LINE has its 200 within the
    one-second budget (plus the handling), and each user still gets one reply, none pushed."""
    fake_line.state.latency["reply"] = latency
    events = [ev.text("ช่วยเหลือ", user=user) for user in USERS]
    payload = ev.body(*events)
    headers = {"Content-Type": "application/json", "X-Line-Signature": ev.sign(webhook.secret, payload)}
    started = time.monotonic()
    response = webhook.client.post("/callback", data=payload, headers=headers)  # as LINE: no waiting after
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < 1.6, f"answered LINE after {elapsed:.2f} s"
    if latency > 1.0:  # the budget: LINE was answered while the replies were still under way
        assert not sender(webhook).drain(timeout=0)
    assert sender(webhook).drain(timeout=10)
    requests = fake_line.state.requests
    assert sorted(r.body["replyToken"] for r in requests) == sorted(e["replyToken"] for e in events)
    assert [(r.path, r.status, first_text(r)[:len(HELP)]) for r in requests] == [
        ("/v2/bot/message/reply", 200, HELP)] * 10
    assert [(r.state, r.target, r.reply_token) for r in rows(db)] == [(OutboxState.SENT, None, None)] * 10


def test_replies_to_one_chat_keep_their_order(webhook, fake_line) -> None:
    fake_line.state.latency["reply"] = 0.1
    events = [ev.text(text, user=USERS[0]) for text in ("ช่วยเหลือ", "help", "ช่วยเหลือ")]
    assert webhook.post(*events).status_code == 200
    assert sender(webhook).drain(timeout=10)
    requests = fake_line.state.requests
    assert [r.body["replyToken"] for r in requests] == [e["replyToken"] for e in events]
    # each one asked only after LINE answered the one before
    assert all(later.at - earlier.at >= 0.1 for earlier, later in zip(requests, requests[1:], strict=False))


def test_a_reply_that_cannot_start_in_time_is_pushed_instead(webhook, db, fake_line, jobs, clock) -> None:
    """One reply thread, a reply API taking 0.5 s, replies allowed to start within 0.3 s: the first user
    is replied to; the others' replies are not attempted, and the dispatcher pushes them at once."""
    old = sender(webhook)
    webhook.client.application.extensions["saiyai.replies"] = ReplySender(
        old.line, old.engine, old.clock, budget=1.0, concurrency=1, request_timeout=2.0, start_within=0.3)
    fake_line.state.latency["reply"] = 0.5
    events = [ev.text("ช่วยเหลือ", user=user) for user in USERS[:3]]
    assert webhook.post(*events).status_code == 200
    assert sender(webhook).drain(timeout=10)
    assert [(r.state, r.reply_token, r.target, r.due_at) for r in rows(db)] == [
        (OutboxState.SENT, None, None, clock() + outbox.REPLY_GRACE)] + [(OutboxState.PENDING, None, user, clock()) for user in USERS[1:3]]
    assert dispatch_outbox(jobs) == {"sent": 2}
    # The dispatcher sends its batch in parallel: the two pushes may arrive in either order.
    requests = [(r.path, r.body.get("to"), r.status) for r in fake_line.state.requests]
    assert requests[0] == ("/v2/bot/message/reply", None, 200)
    assert sorted(requests[1:]) == [("/v2/bot/message/push", USERS[1], 200), ("/v2/bot/message/push", USERS[2], 200)]
    assert {first_text(r)[:len(HELP)] for r in fake_line.state.requests} == {HELP}


def test_a_reply_delivered_but_never_recorded_is_pushed_once_after_the_grace(webhook, db, fake_line, jobs, clock,
                                                                             monkeypatch) -> None:
    """The behaviour docs/operations.md ("Exactly once") chooses: LINE's reply API takes no retry key,
    so when the worker or the database dies between LINE's 200 and the sent mark, nothing can tell
    whether the reply arrived. The row is pushed when REPLY_GRACE ends: the user reads the answer
    twice, never zero times; and only once more, however often the dispatcher runs."""
    def database_gone(*args, **kwargs):
        raise OperationalError("UPDATE outbox_message …", {}, Exception("server closed the connection"))

    monkeypatch.setattr(outbox, "_settle_reply", database_gone)
    event = ev.text("ช่วยเหลือ", user=USERS[0])
    assert webhook.post(event).status_code == 200
    assert sender(webhook).drain(timeout=10)
    monkeypatch.undo()
    [row] = rows(db)
    assert (row.state, row.reply_token, row.due_at) == (OutboxState.PENDING, event["replyToken"],
                                                        clock() + outbox.REPLY_GRACE)
    clock.advance(seconds=outbox.REPLY_GRACE.total_seconds() - 1)
    assert dispatch_outbox(jobs) == {}  # within the grace the web worker still owns the reply
    clock.advance(seconds=1)
    assert dispatch_outbox(jobs) == {"sent": 1}
    clock.advance(minutes=10)
    assert dispatch_outbox(jobs) == {}
    requests = fake_line.state.requests
    assert [(r.path, r.body.get("to"), r.status) for r in requests] == [
        ("/v2/bot/message/reply", None, 200), ("/v2/bot/message/push", USERS[0], 200)]
    assert first_text(requests[0]) == first_text(requests[1])
    assert requests[1].retry_key == row.retry_key
    assert [(r.state, r.attempts) for r in rows(db)] == [(OutboxState.SENT, 1)]
