"""POST /callback as LINE calls it: signatures, bad bodies, redelivery, failures, health."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.fakeline import Fault
from handlers.context import text_message
from handlers.dispatcher import Dispatcher
from handlers.registry import Registry, command
from models import EventStatus, OutboxMessage, OutboxState, WebhookEvent
from support import events as ev
from support.openapi import require_openapi_dir

USER = "U" + "1" * 32
GROUP = "C" + "2" * 32


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_official_signature_vector() -> None:
    # LINE-NOTES: secret "channel_secret", body "bodybodybodybody".
    assert ev.sign("channel_secret", b"bodybodybodybody") == "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k="


@pytest.mark.parametrize(
    ("signature", "raw", "status"),
    [
        ("", None, 400),                                             # missing
        ("AAAA", None, 400),                                         # forged
        (ev.sign("another-secret", ev.body(ev.text("ช่วยเหลือ"))), None, 400),  # signed with another secret
        ("valid", b'{"events": [', 400),                             # valid signature, broken JSON
        ("valid", b'{"destination": "x"}', 400),                     # no events
        ("valid", b"\xff\xfe not utf-8", 400),
        ("valid", b'{"events": [' + b'{"type": "x"},' * 100_000 + b'{}]}', 413),  # 2 MB body
    ],
    # Stable ids: the third signature is over a random event id, and xdist needs the same ids everywhere.
    ids=["missing", "forged", "other-secret", "broken-json", "no-events", "not-utf8", "too-large"],
)
def test_bad_requests_are_refused_and_change_nothing(webhook, db, fake_line, signature, raw, status) -> None:
    payload = raw if raw is not None else ev.body(ev.text("ช่วยเหลือ", user=USER))
    if signature == "valid":
        signature = ev.sign(webhook.secret, payload)
    response = webhook.post(raw=payload, signature=signature)
    assert response.status_code == status
    assert count(db, WebhookEvent) == 0
    assert count(db, OutboxMessage) == 0
    assert fake_line.state.requests == []


def test_verify_with_no_events_answers_200(webhook, db, fake_line) -> None:
    response = webhook.post()
    assert response.status_code == 200
    assert count(db, WebhookEvent) == 0
    assert fake_line.state.requests == []


def test_help_is_answered_with_a_free_reply(webhook, db, fake_line) -> None:
    response = webhook.post(ev.text("ช่วยเหลือ", user=USER))
    assert response.status_code == 200
    [request] = fake_line.state.requests
    assert request.path == "/v2/bot/message/reply"
    assert request.body["messages"][0]["text"].startswith("สายใยช่วยอะไรได้บ้างครับ")
    row = db.scalars(select(OutboxMessage)).one()
    assert (row.state, row.reply_token) == (OutboxState.SENT, None)


def test_the_same_event_three_times_has_one_effect(webhook, db, fake_line) -> None:
    first = ev.text("help", user=USER, event_id="01HREDELIVERYTEST0000000001")
    again = {**first, "replyToken": "another-token", "deliveryContext": {"isRedelivery": True}}
    for event in (first, again, again):
        assert webhook.post(event).status_code == 200
    assert [r.path for r in fake_line.state.requests] == ["/v2/bot/message/reply"]
    assert fake_line.state.texts()[0].startswith("Here is what Saiyai can do.")
    assert count(db, WebhookEvent) == 1
    assert count(db, OutboxMessage) == 1


def test_group_chatter_is_ignored_and_never_stored(webhook, db, fake_line) -> None:
    assert webhook.post(ev.text("ใครไปตลาดบ้าง ช่วยเหลือด้วย", user=USER, group=GROUP)).status_code == 200
    assert count(db, WebhookEvent) == 0
    assert fake_line.state.requests == []


def test_a_failing_handler_apologises_and_the_other_events_still_run(config, clock, fake_line, db_url) -> None:
    from bot import create_app
    from conftest import SECRET, WebhookClient

    registry = Registry()
    registry.keywords.clear()

    @command("พัง", "boom")
    def boom(ctx):
        """ทดสอบ / test"""
        raise RuntimeError("handler bug")

    @command("ปกติ", "fine")
    def fine(ctx):
        """ทดสอบ / test"""
        return [text_message("ok")]

    registry._add("command", boom._saiyai_tags[0][1], boom)
    registry._add("command", fine._saiyai_tags[0][1], fine)
    app = create_app({"SAIYAI_CONFIG": config, "CLOCK": clock, "DISPATCHER": Dispatcher(registry)})
    client = WebhookClient(app.test_client(), SECRET)
    response = client.post(ev.text("พัง", user=USER), ev.text("ปกติ", user=USER))
    assert response.status_code == 200
    assert fake_line.state.texts() == [
        "ขออภัยครับ ระบบขัดข้องชั่วคราว สายใยบันทึกปัญหาไว้แล้ว กรุณาลองใหม่อีกครั้งในอีกสักครู่ครับ",
        "ok",
    ]
    with app.extensions["saiyai"].session_factory() as db:
        rows = db.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()
        assert [(r.status, r.error) for r in rows] == [
            (EventStatus.FAILED, "RuntimeError: handler bug"), (EventStatus.DONE, None)]
    app.extensions["saiyai"].line.close()
    app.extensions["saiyai.engine"].dispose()


def test_a_handler_failing_after_an_answered_event_leaves_nothing_half_written(config, clock, fake_line) -> None:
    # On PostgreSQL the reply of the first event is marked sent in autocommit (one round trip): the pooled
    # connection must be transactional again for the next event, or its half-done writes would stay.
    # (The SQLite case, which never switches, guards the same behaviour there.)
    from bot import create_app
    from conftest import SECRET, WebhookClient
    from models import Conversation

    registry = Registry()
    registry.keywords.clear()

    @command("ปกติ", "fine")
    def fine(ctx):
        """ทดสอบ / test"""
        return [text_message("ok")]

    @command("ครึ่งทาง", "half")
    def half(ctx):
        """ทดสอบ / test"""
        ctx.session.add(Conversation(chat_id=ctx.chat_id, user_id=ctx.user_id, flow="x", step="y", data={},
                                     lang="th", expires_at=ctx.now, updated_at=ctx.now))
        ctx.session.flush()
        raise RuntimeError("handler bug after a write")

    registry._add("command", fine._saiyai_tags[0][1], fine)
    registry._add("command", half._saiyai_tags[0][1], half)
    app = create_app({"SAIYAI_CONFIG": config, "CLOCK": clock, "DISPATCHER": Dispatcher(registry)})
    client = WebhookClient(app.test_client(), SECRET)
    try:
        for text in ("ปกติ", "ครึ่งทาง", "ปกติ", "ครึ่งทาง"):  # one request each: the pooled connection is reused
            assert client.post(ev.text(text, user=USER)).status_code == 200
        apology = "ขออภัยครับ ระบบขัดข้องชั่วคราว สายใยบันทึกปัญหาไว้แล้ว กรุณาลองใหม่อีกครั้งในอีกสักครู่ครับ"
        assert fake_line.state.texts() == ["ok", apology, "ok", apology]
        with app.extensions["saiyai"].session_factory() as db:
            assert count(db, Conversation) == 0
            assert [r.status for r in db.scalars(select(WebhookEvent).order_by(WebhookEvent.id))] == [
                EventStatus.DONE, EventStatus.FAILED, EventStatus.DONE, EventStatus.FAILED]
            assert {r.state for r in db.scalars(select(OutboxMessage))} == {OutboxState.SENT}
    finally:
        app.extensions["saiyai"].line.close()
        app.extensions["saiyai.engine"].dispose()


def test_a_failed_reply_is_pushed_instead(webhook, db, fake_line, clock) -> None:
    from scheduler.jobs import JobContext, dispatch_outbox

    fake_line.state.faults.append(Fault(status=500))
    assert webhook.post(ev.text("ช่วยเหลือ", user=USER)).status_code == 200
    row = db.scalars(select(OutboxMessage)).one()
    assert (row.state, row.reply_token, row.target) == (OutboxState.PENDING, None, USER)
    app_services = webhook.client.application.extensions["saiyai"]
    dispatch_outbox(JobContext(app_services.session_factory, app_services.line, clock))
    assert [(r.path, r.status) for r in fake_line.state.requests] == [
        ("/v2/bot/message/reply", 500), ("/v2/bot/message/push", 200)]
    assert fake_line.state.requests[1].body["to"] == USER
    db.expire_all()
    assert db.scalars(select(OutboxMessage)).one().state == OutboxState.SENT


def test_console_verify_dummy_token_is_not_an_error(webhook, db, fake_line) -> None:
    event = ev.text("help", user="Udeadbeefdeadbeefdeadbeefdeadbeef", reply_token="0" * 32)
    assert webhook.post(event).status_code == 200
    assert fake_line.state.requests == []  # the dummy token is never sent to LINE
    assert db.scalars(select(WebhookEvent)).one().status == EventStatus.DONE


def test_healthz(app) -> None:
    assert app.test_client().get("/healthz").status_code == 200


def test_healthz_without_database(config, clock, tmp_path) -> None:
    from dataclasses import replace

    from bot import create_app

    broken = replace(config, database_url="postgresql://nobody@127.0.0.1:1/none")
    app = create_app({"SAIYAI_CONFIG": broken, "CLOCK": clock})
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.text) == (503, "database unreachable\n")


def test_sdk_fixture_replays_without_errors(webhook, db, fake_line) -> None:
    """LINE's own SDK fixture (every event kind), signed: 200 and no handler error."""
    fixture = json.loads((require_openapi_dir() / "sdk-webhook-fixture.json").read_text())
    # As published, all 28 events share one webhookEventId: one effect, the rest are repeats.
    assert webhook.post(raw=json.dumps(fixture).encode()).status_code == 200
    assert count(db, WebhookEvent) == 1

    # With ids of their own, as LINE really sends them, every event is looked at.
    for n, event in enumerate(fixture["events"]):
        event["webhookEventId"] = f"01FIXTURE{n:017d}"
    assert webhook.post(raw=json.dumps(fixture).encode()).status_code == 200
    rows = db.scalars(select(WebhookEvent).where(WebhookEvent.event_key.like("01FIXTURE%"))).all()
    assert [r.error for r in rows if r.status != EventStatus.DONE] == []
    # Group and room chatter without "บอท" is not stored; beacons and unknown types are ignored.
    assert sorted({(r.event_type, r.chat_kind) for r in rows}) == [
        ("follow", "user"), ("join", "group"), ("leave", "group"), ("memberJoined", "group"),
        ("message", "user"), ("postback", "user"), ("unfollow", "user")]


def test_database_down_answers_503_and_the_redelivered_event_is_answered(webhook, db, fake_line, monkeypatch) -> None:
    """Nothing a user sent is lost: when not even the failure can be recorded, LINE is asked to deliver again."""
    from sqlalchemy.exc import OperationalError

    dispatcher = webhook.client.application.extensions["saiyai"].dispatcher

    def database_down(*_args, **_kwargs):
        raise OperationalError("SELECT …", {}, Exception("server closed the connection unexpectedly"))

    event = ev.text("ช่วยเหลือ", user=USER)
    monkeypatch.setattr(dispatcher, "route", database_down)
    response = webhook.post(event)
    assert (response.status_code, response.text) == (503, "database unavailable, deliver again\n")
    assert (count(db, WebhookEvent), count(db, OutboxMessage), fake_line.state.requests) == (0, 0, [])

    monkeypatch.undo()
    event["deliveryContext"] = {"isRedelivery": True}
    assert webhook.post(event).status_code == 200
    replies = fake_line.state.deliveries("reply")
    assert len(replies) == 1 and replies[0].body["messages"][0]["text"].startswith("สายใยช่วยอะไรได้บ้างครับ")
    assert db.scalars(select(WebhookEvent)).one().status == EventStatus.DONE


@pytest.mark.postgres_only
def test_a_connection_the_server_dropped_costs_no_event(webhook, db, db_url, fake_line, monkeypatch, caplog) -> None:
    """PostgreSQL restarts or failovers drop pooled connections: the event is handled on a fresh one."""
    import models.db
    from sqlalchemy import create_engine, text

    engine = webhook.client.application.extensions["saiyai.engine"]
    admin = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")

    def drop_pooled_connections() -> None:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))

    assert webhook.post(ev.text("ช่วยเหลือ", user=USER)).status_code == 200
    db.close()
    # Used a moment ago, so not pinged: the first statement fails and the event is handled again.
    drop_pooled_connections()
    assert webhook.post(ev.text("ช่วยเหลือ", user=USER)).status_code == 200
    # Idle long enough to be pinged on checkout: the dead connection is replaced before use.
    drop_pooled_connections()
    monkeypatch.setattr(models.db, "IDLE_PING_AFTER", 0.0)
    assert webhook.post(ev.text("ช่วยเหลือ", user=USER)).status_code == 200
    admin.dispose()

    assert len(fake_line.state.deliveries("reply")) == 3
    retried = [r for r in caplog.records if "trying again" in r.getMessage()]
    assert len(retried) == 1  # the second drop was caught by the ping, before any statement failed
    with engine.connect() as conn:
        statuses = conn.execute(select(WebhookEvent.status)).scalars().all()
    assert statuses == [EventStatus.DONE] * 3


def test_events_after_one_the_database_could_not_record_wait_for_the_redelivery(webhook, db, fake_line,
                                                                                monkeypatch) -> None:
    """Three events; the database goes away at the second: the third is not handled before it, and the
    redelivered body answers the second and the third in order, the first not again."""
    from sqlalchemy.exc import OperationalError

    dispatcher = webhook.client.application.extensions["saiyai"].dispatcher
    route = dispatcher.route
    seen: list[str] = []

    def down_at_second(session, event, now):
        seen.append(event.webhook_event_id)
        if len(seen) in (2, 3):  # the second event, and its _fail attempt
            raise OperationalError("SELECT …", {}, Exception("server closed the connection unexpectedly"))
        return route(session, event, now)

    events = [ev.text(text, user=USER) for text in ("ช่วยเหลือ", "help", "ช่วยเหลือ")]
    monkeypatch.setattr(dispatcher, "route", down_at_second)
    assert webhook.post(*events).status_code == 503
    assert seen == [events[0]["webhookEventId"], events[1]["webhookEventId"], events[1]["webhookEventId"]]
    assert len(fake_line.state.deliveries("reply")) == 1

    monkeypatch.undo()
    for event in events:
        event["deliveryContext"] = {"isRedelivery": True}
    assert webhook.post(*events).status_code == 200
    replies = [r.body["replyToken"] for r in fake_line.state.deliveries("reply")]
    assert replies == [e["replyToken"] for e in events]
    assert count(db, WebhookEvent) == 3
