"""The fake LINE API refuses what LINE refuses: a multicast's 500 ids are checked without pydantic."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from bot.fakeline import FakeLineServer

TEXT = {"type": "text", "text": "ประชุมวันเสาร์ 9 โมง"}


@pytest.fixture
def fake() -> Iterator[FakeLineServer]:
    # Not the suite's fake_line fixture: that one fails a test whose requests LINE's OpenAPI rejects,
    # and these requests are meant to be rejected.
    with FakeLineServer(access_token="t") as server:
        yield server


def multicast(fake: FakeLineServer, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    answer = urllib3.request("POST", fake.url + "/v2/bot/message/multicast", body=json.dumps(body),
                             headers={"Authorization": "Bearer t", "Content-Type": "application/json"})
    return answer.status, json.loads(answer.data)


def users(n: int) -> list[str]:
    return [f"U{i:032x}" for i in range(n)]


def test_a_multicast_to_500_users_is_delivered_to_all_of_them(fake: FakeLineServer) -> None:
    status, _ = multicast(fake, {"to": users(500), "messages": [TEXT]})
    assert status == 200
    [sent] = fake.state.deliveries("multicast")
    assert sent.body["to"] == users(500)  # recorded whole, not the one id the model checked


@pytest.mark.parametrize("to, why", [
    (users(501), "between 1 and 500 items, not 501"),
    ([], "between 1 and 500 items, not 0"),
    (users(3) + [12345] + users(2), "to -> 3: str type expected"),
    ("U" + "0" * 32, "not a valid list"),  # one id, not a list: the SDK's model says no
])
def test_a_multicast_with_wrong_recipients_is_refused_and_not_delivered(
        fake: FakeLineServer, to: Any, why: str) -> None:
    status, error = multicast(fake, {"to": to, "messages": [TEXT]})
    assert status == 400
    assert why in error["details"][0]["message"]
    assert fake.state.deliveries() == []


def test_the_messages_of_a_500_user_multicast_are_still_validated(fake: FakeLineServer) -> None:
    status, error = multicast(fake, {"to": users(500), "messages": [{"type": "text"}]})
    assert status == 400
    assert "text" in error["details"][0]["message"]
    assert fake.state.deliveries() == []


def test_the_record_is_read_from_a_cursor_and_keeps_what_people_said_in_order(fake: FakeLineServer) -> None:
    """The simulator polls `?since=` and notes what people typed (`/__fake__/said`) between the requests."""
    multicast(fake, {"to": users(2), "messages": [TEXT]})
    said = urllib3.request("POST", fake.url + "/__fake__/said", body=json.dumps({"chat": "U1", "text": "สวัสดี"}),
                           headers={"Content-Type": "application/json"})
    assert (said.status, json.loads(said.data)) == (200, {"said": 1})
    multicast(fake, {"to": users(3), "messages": [TEXT]})
    rows = json.loads(urllib3.request("GET", fake.url + "/__fake__/requests?since=1").data)
    assert [len(row["body"]["to"]) for row in rows] == [3]
    assert json.loads(urllib3.request("GET", fake.url + "/__fake__/requests").data)[0]["body"]["to"] == users(2)
    assert json.loads(urllib3.request("GET", fake.url + "/__fake__/said?since=0").data) == [
        {"chat": "U1", "text": "สวัสดี", "after": 1}]
    assert json.loads(urllib3.request("GET", fake.url + "/__fake__/said?since=1").data) == []
    refused = urllib3.request("POST", fake.url + "/__fake__/said", body=b"[1]", headers={"Content-Type": "application/json"})
    assert refused.status == 400
    fake.state.reset()
    assert fake.state.said == []
