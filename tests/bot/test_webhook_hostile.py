"""Signed bodies LINE never sends: nesting too deep, chunked and too large, ids too long, NUL characters.
A forged-yet-signed body must never make the webhook answer 500, nor block the valid events beside it."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, OperationalError

from models import Conversation, EventStatus, OutboxMessage, WebhookEvent
from support import events as ev

USER = "U" + "1" * 32
HELP_TH = "สายใยช่วยอะไรได้บ้างครับ"


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def replies(fake_line) -> list[str]:
    return [r.body["messages"][0]["text"] for r in fake_line.state.deliveries("reply")]


# --- item 6: bodies the parser cannot take ------------------------------------------------------

def test_json_nested_deeper_than_the_parser_goes_is_a_bad_request(webhook, db, fake_line) -> None:
    payload = b'{"events": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    response = webhook.post(raw=payload)
    assert (response.status_code, response.text) == (400, "malformed webhook body\n")
    assert (count(db, WebhookEvent), count(db, OutboxMessage), fake_line.state.requests) == (0, 0, [])


def test_an_event_with_a_deeply_nested_field_is_still_handled(webhook, db, fake_line) -> None:
    """Nesting the parser can read, inside an event LINE could send: the event is answered as usual."""
    event = ev.text("ช่วยเหลือ", user=USER)
    nested: list = []
    for _ in range(400):
        nested = [nested]
    event["message"]["extra"] = nested
    assert webhook.post(event).status_code == 200
    assert replies(fake_line)[0].startswith(HELP_TH)


def _chunked(webhook, payload: bytes):
    """A chunked body as gunicorn hands it over: no Content-Length, the server ends the stream."""
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked",
               "X-Line-Signature": ev.sign(webhook.secret, payload)}
    return webhook.client.post("/callback", input_stream=io.BytesIO(payload), headers=headers,
                               environ_overrides={"wsgi.input_terminated": True})


def test_a_chunked_body_over_the_limit_is_too_large_not_a_forgery(webhook, db, fake_line, caplog) -> None:
    """Werkzeug stops reading a chunked body at MAX_CONTENT_LENGTH without a word; the truncated body then
    failed the signature check (400, logged as a forgery). It is refused as too large, as with a Content-Length."""
    event = ev.text("ช่วยเหลือ", user=USER)
    event["message"]["padding"] = "x" * (1024 * 1024)
    caplog.set_level(logging.WARNING, logger="bot.webhook")
    response = _chunked(webhook, ev.body(event))
    assert (response.status_code, response.text) == (413, "body too large\n")
    assert [r.getMessage() for r in caplog.records if "invalid signature" in r.getMessage()] == []
    assert (count(db, WebhookEvent), count(db, OutboxMessage), fake_line.state.requests) == (0, 0, [])


def test_a_small_chunked_body_is_handled(webhook, db, fake_line) -> None:
    response = _chunked(webhook, ev.body(ev.text("ช่วยเหลือ", user=USER)))
    assert response.status_code == 200
    assert replies(fake_line)[0].startswith(HELP_TH)


# --- item 7: events that can never be recorded ---------------------------------------------------

@pytest.mark.parametrize("field", ["userId", "groupId", "replyToken"])
def test_an_id_longer_than_its_column_is_skipped_and_the_next_event_handled(webhook, db, fake_line, field,
                                                                           caplog) -> None:
    """On PostgreSQL such an event failed to record, then failed to record its failure: 503 on every
    delivery, and the valid event after it never handled. It is logged and skipped, on both databases."""
    poison = ev.text("ช่วยเหลือ", user=USER, group="C" + "2" * 32 if field == "groupId" else None)
    if field == "replyToken":
        poison["replyToken"] = "r" * 5000
    else:
        poison["source"][field] = field[0].upper() + "x" * 4999
    valid = ev.text("ช่วยเหลือ", user=USER)
    caplog.set_level(logging.WARNING, logger="bot.pipeline")
    response = webhook.post(poison, valid)
    assert (response.status_code, response.text) == (200, "OK\n")
    assert db.scalars(select(WebhookEvent.event_key)).all() == [valid["webhookEventId"]]
    assert [r.body["replyToken"] for r in fake_line.state.deliveries("reply")] == [valid["replyToken"]]
    assert [r.getMessage() for r in caplog.records if "cannot be stored" in r.getMessage()] == [
        f"skipping event {poison['webhookEventId']} that cannot be stored: "
        + ("replyToken is 5000 characters long (at most 128)" if field == "replyToken"
           else f"source.{field} is 5000 characters long (at most 64)")]


def _failing_route(webhook, monkeypatch, error: Exception, poisoned: str) -> None:
    dispatcher = webhook.client.application.extensions["saiyai"].dispatcher
    route = dispatcher.route

    def refuse(session, event, now):
        if event.webhook_event_id == poisoned:
            raise error
        return route(session, event, now)

    monkeypatch.setattr(dispatcher, "route", refuse)


def test_data_the_database_refuses_for_good_skips_the_event(webhook, db, fake_line, monkeypatch) -> None:
    """Whatever else the database refuses about an event (not its being down): skipped, the others handled."""
    poison, valid = ev.text("ช่วยเหลือ", user=USER), ev.text("ช่วยเหลือ", user=USER)
    refused = DataError("INSERT …", {}, Exception("value too long for type character varying(64)"))
    _failing_route(webhook, monkeypatch, refused, poison["webhookEventId"])
    assert webhook.post(poison, valid).status_code == 200
    assert db.scalars(select(WebhookEvent.event_key)).all() == [valid["webhookEventId"]]
    assert len(fake_line.state.deliveries("reply")) == 1


def test_a_database_that_is_down_still_gets_the_body_delivered_again(webhook, db, fake_line, monkeypatch) -> None:
    poison, valid = ev.text("ช่วยเหลือ", user=USER), ev.text("ช่วยเหลือ", user=USER)
    down = OperationalError("SELECT …", {}, Exception("server closed the connection unexpectedly"))
    _failing_route(webhook, monkeypatch, down, poison["webhookEventId"])
    assert webhook.post(poison, valid).status_code == 503
    assert (count(db, WebhookEvent), fake_line.state.requests) == (0, [])


def test_nul_characters_are_stripped_at_the_edge(webhook, db, fake_line) -> None:
    """PostgreSQL refuses NUL in text and JSON: a name holding one failed its handler there, every time."""
    assert webhook.post(ev.text("ลงทะเบียน", user=USER)).status_code == 200
    assert webhook.post(ev.text("สม\x00ศรี ใจ\x00ดี", user=USER)).status_code == 200
    conversation = db.scalars(select(Conversation)).one()
    assert conversation.data["full_name"] == "สมศรี ใจดี"
    assert db.scalars(select(WebhookEvent.status)).all() == [EventStatus.DONE, EventStatus.DONE]
    assert webhook.post(ev.text("ช่วย\x00เหลือ", user=USER)).status_code == 200
    assert replies(fake_line)[-1] == (  # "ช่วยเหลือ" read as such: help mid-flow, not a name
        "ตอนนี้คุณกำลังสมัครสมาชิกอยู่ครับ ตอบคำถามด้านล่างต่อได้เลย หรือพิมพ์ “ยกเลิก” เพื่อหยุดก่อน "
        "แล้วพิมพ์ “ช่วยเหลือ” อีกครั้ง\nคุณอยู่ชุมชนไหนครับ พิมพ์ชื่อชุมชนตามที่ใช้ในเขตได้เลยครับ พิมพ์แค่บางส่วนของชื่อก็ได้")
