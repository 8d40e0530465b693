"""Buttons whose data names no possible row: a clear "unknown" reply, never the generic apology.

Postback data comes from Saiyai's own buttons, but a client can send anything. `str.isdigit` alone let
superscripts ("²", which `int` refuses) and ids too large for the database through, and those ended in
a handler error: the apology, and the event recorded as failed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.catalog import th
from models import EventStatus, NoticeAck, Rsvp, WebhookEvent
from support.registry import USERS

T = th.TEXT
STAFF = USERS["staff"]


@pytest.mark.parametrize("ident", ["²", "99999999999999999999", "๑", "-1", ""], ids=["superscript", "huge", "thai-digit",
                                                                                   "negative", "empty"])
@pytest.mark.parametrize(("data", "key"), [
    ("a=event_cancel&id={}&l=th", "postback.unknown"),
    ("a=host_confirm&id={}", "host.request_unknown"),
    ("a=host_decline&id={}", "host.request_unknown"),
    ("a=report_start&id={}", "postback.unknown"),
    ("a=ack&n={}", "postback.unknown"),
    ("a=alert&n={}&v=safe", "postback.unknown"),
    ("a=rsvp&id={}&v=going", "postback.unknown"),
    ("a=rsvp&id=1&v=going&g={}", "postback.unknown"),
    ("a=checkin&id={}", "postback.unknown"),
    ("a=move&c={}&from=1&ok=1", "postback.unknown"),
    ("a=notice_cancel&n={}", "postback.unknown"),
], ids=lambda value: value.split("&")[0] if isinstance(value, str) and value.startswith("a=") else None)
def test_a_button_naming_no_possible_row_is_unknown(dialog, district, db, data, key, ident) -> None:
    assert dialog.postback(STAFF, data.format(ident)) == [T[key]]
    db.expire_all()
    assert [event.status for event in db.scalars(select(WebhookEvent))] == [EventStatus.DONE]
    assert db.scalars(select(Rsvp)).all() == db.scalars(select(NoticeAck)).all() == []
