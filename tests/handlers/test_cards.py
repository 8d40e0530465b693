"""Flex cards for activities: exact buttons (the RSVP, check-in and host handlers read their data),
what each card says, and that LINE's SDK models and OpenAPI description accept them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from linebot.v3.messaging import PushMessageRequest

from handlers import cards
from handlers.catalog import en, th
from handlers.services import activities as svc
from models import Activity, ActivityStatus, Answer, HostState, Person, Rsvp
from support.openapi import OpenApiSpec, require_openapi_dir
from support.registry import seed_district
from support.texts import bangkok

T, E = th.TEXT, en.TEXT
USER = "U" + "9" * 32
PUSH = "/v2/bot/message/push"


@pytest.fixture
def session(session_factory):
    with session_factory() as session:
        yield session
        session.rollback()


@pytest.fixture
def district(session, clock):
    return seed_district(session, clock())


def make(session, district, clock, **fields) -> Activity:
    values = {"title": "ประชุมเครือข่ายโซน 1", "starts_at": bangkok(2026, 12, 20, 14),
              "ends_at": bangkok(2026, 12, 20, 16), "place_text": "ศาลาวัดบางนา"} | fields
    activity = svc.create_activity(session, organization_id=district.org.id, network_id=district.zone1.id,
                                   now=clock(), **values)
    activity.host_community_id, activity.host_state = district.market.id, HostState.PROPOSED
    session.flush()
    return activity


def texts(node: object) -> list[str]:
    """Every text of a card, in reading order."""
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "text" else []
        return own + [t for key, value in node.items() if key != "action" for t in texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in texts(value)]
    return []


def actions(node: object) -> list[dict]:
    if isinstance(node, dict):
        own = [node["action"]] if isinstance(node.get("action"), dict) else []
        return own + [a for key, value in node.items() if key != "action" for a in actions(value)]
    if isinstance(node, list):
        return [a for value in node for a in actions(value)]
    return []


def accepted_by_line(message: cards.FlexJson) -> dict:
    """The push body LINE would get: the same once rebuilt by the SDK's models (the cards are built as
    their JSON, not with them), and valid against LINE's OpenAPI spec."""
    body = {"to": USER, "messages": [message.to_dict()]}
    assert PushMessageRequest.from_dict(body).to_dict()["messages"] == body["messages"]
    spec = OpenApiSpec.load(require_openapi_dir() / "messaging-api.yml")
    assert spec.validate_request("POST", PUSH, body, {"X-Line-Retry-Key": "123e4567-e89b-12d3-a456-426614174000"}) \
        == []
    return body["messages"][0]


@pytest.mark.parametrize(("lang", "start", "end", "expected"), [
    ("th", bangkok(2026, 12, 20, 14), bangkok(2026, 12, 20, 17), "วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00–17:00 น."),
    ("th", bangkok(2026, 12, 20, 14), None, "วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00 น."),
    ("th", bangkok(2026, 12, 31, 20), bangkok(2027, 1, 1, 1),
     "วันพฤหัสบดีที่ 31 ธันวาคม 2569 เวลา 20:00 น. ถึง วันศุกร์ที่ 1 มกราคม 2570 เวลา 01:00 น."),
    ("en", bangkok(2026, 12, 20, 14), bangkok(2026, 12, 20, 17), "Sunday 20 December 2026, 14:00–17:00"),
    ("en", bangkok(2026, 12, 20, 14), None, "Sunday 20 December 2026, 14:00"),
    # Stored in UTC, shown in Bangkok time.
    ("th", datetime(2026, 12, 20, 0, tzinfo=timezone.utc), None,
     "วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 07:00 น."),
])
def test_when_range(lang, start, end, expected) -> None:
    assert cards.when_range(lang, start, end) == expected


def test_the_card_of_an_activity_has_the_three_answer_buttons(session, district, clock) -> None:
    activity = make(session, district, clock, capacity=50, seats_per_community=3)
    message = accepted_by_line(cards.activity_message("th", session, activity))
    assert message["altText"] == "📅 ประชุมเครือข่ายโซน 1 — วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00–16:00 น."
    assert texts(message["contents"]["body"]) == [
        "ประชุมเครือข่ายโซน 1", f"รหัส {activity.code}",
        "วันเวลา", "วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00–16:00 น.",
        "สถานที่", "ศาลาวัดบางนา",
        "เครือข่าย", "เครือข่ายโซน 1",
        "เจ้าภาพ", "ชุมชนตลาดบางนา (รอยืนยัน)",
        "ที่นั่ง", "ตอบว่าไปแล้ว 0/50 ที่ · ชุมชนละไม่เกิน 3 คน",
        "ตอบรับภายใน", "วันเสาร์ที่ 19 ธันวาคม 2569 เวลา 14:00 น.",
    ]
    assert actions(message["contents"]["footer"]) == [
        {"type": "postback", "label": "ไป", "data": f"a=rsvp&id={activity.id}&v=going",
         "displayText": f"ไป {activity.code}"},
        {"type": "postback", "label": "ไม่ไป", "data": f"a=rsvp&id={activity.id}&v=not_going",
         "displayText": f"ไม่ไป {activity.code}"},
        {"type": "postback", "label": "ไม่แน่ใจ", "data": f"a=rsvp&id={activity.id}&v=maybe",
         "displayText": f"ไม่แน่ใจ {activity.code}"},
    ]


def test_the_card_in_english(session, district, clock) -> None:
    activity = make(session, district, clock, place_text=None)
    activity.host_state = HostState.CONFIRMED
    message = accepted_by_line(cards.activity_message("en", session, activity))
    assert texts(message["contents"]["body"])[2:10] == [
        "When", "Sunday 20 December 2026, 14:00–16:00", "Where", "to be announced", "Network", "เครือข่ายโซน 1",
        "Host", "ชุมชนตลาดบางนา"]
    assert [(a["label"], a["displayText"]) for a in actions(message["contents"]["footer"])] == [
        ("Going", f"Going {activity.code}"), ("Not going", f"Not going {activity.code}"),
        ("Maybe", f"Maybe {activity.code}")]


@pytest.mark.parametrize(("mine", "shown"), [
    (None, "คำตอบของคุณ: ยังไม่ได้ตอบ"),
    (Answer.NOT_GOING, "คำตอบของคุณ: ไม่ไป"),
    ("rsvp", "คำตอบของคุณ: ไม่แน่ใจ"),
    ("waitlisted", "คำตอบของคุณ: ไป (อยู่ในรายชื่อสำรอง)"),
    ("guests", "คำตอบของคุณ: ไป (พาผู้ติดตาม 4 คน)"),
])
def test_a_personal_card_shows_my_answer(session, district, clock, mine, shown) -> None:
    activity = make(session, district, clock)
    if mine == "rsvp":
        mine = Rsvp(answer=Answer.MAYBE, guests=0)
    elif mine == "waitlisted":
        mine = Rsvp(answer=Answer.GOING, guests=0, waitlisted_at=clock())
    elif mine == "guests":
        mine = Rsvp(answer=Answer.GOING, guests=4)
    bubble = cards.activity_card("th", session, activity, mine, personal=True)
    assert texts(bubble["body"])[-1] == shown
    # Not personal (a group announcement): no answer line at all.
    assert not any(text.startswith("คำตอบของคุณ") for text in texts(
        cards.activity_card("th", session, activity, mine)["body"]))


def test_going_count_without_a_capacity(session, district, clock) -> None:
    activity = make(session, district, clock)
    member = session.get(Person, district.people["member"].id)
    svc.answer(session, activity, member, Answer.GOING, clock(), guests=2)
    body = cards.activity_card("th", session, activity)["body"]
    assert texts(body)[10:12] == ["ที่นั่ง", "ตอบว่าไปแล้ว 3 คน"]


def test_a_preview_has_no_buttons(session, district, clock) -> None:
    draft = Activity(code=None, title="อบรมอาสาสมัคร", network_id=district.zone1.id,
                     starts_at=bangkok(2026, 12, 20, 9), ends_at=bangkok(2026, 12, 20, 12), place_text=None,
                     host_community_id=district.wat.id, host_state=HostState.PROPOSED,
                     status=ActivityStatus.PLANNED, capacity=20)
    message = accepted_by_line(cards.activity_message("th", session, draft, preview=True))
    assert "footer" not in message["contents"]
    assert texts(message["contents"]["body"])[:2] == ["ตัวอย่างการ์ด — ยังไม่ได้ประกาศ", "อบรมอาสาสมัคร"]
    assert "20 ที่" in texts(message["contents"]["body"])


def test_a_cancelled_card_says_so_and_has_no_buttons(session, district, clock) -> None:
    activity = make(session, district, clock)
    svc.cancel_activity(activity, clock())
    message = accepted_by_line(cards.activity_message("th", session, activity))
    assert message["altText"] == ("❌ ยกเลิกแล้ว: ประชุมเครือข่ายโซน 1 — "
                                  "วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00–16:00 น.")
    assert texts(message["contents"]["body"])[:2] == ["❌ กิจกรรมนี้ยกเลิกแล้ว", "ประชุมเครือข่ายโซน 1"]
    assert "footer" not in message["contents"]


def test_check_in_button_while_check_in_is_open_and_map_for_a_location(session, district, clock) -> None:
    activity = make(session, district, clock, place_lat=13.6676, place_lng=100.6342)
    closed = actions(cards.activity_card("th", session, activity, now=clock())["footer"])
    assert [a["type"] for a in closed] == ["postback", "postback", "postback", "uri"]
    open_now = bangkok(2026, 12, 20, 13, 30)
    message = accepted_by_line(cards.activity_message("th", session, activity, now=open_now))
    found = actions(message["contents"]["footer"])
    assert found[3:] == [
        {"type": "postback", "label": "เช็คอิน", "data": f"a=checkin&id={activity.id}",
         "displayText": f"เช็คอิน {activity.code}"},
        {"type": "uri", "label": "ดูแผนที่", "uri": "https://www.google.com/maps/search/?api=1&query=13.6676,100.6342"},
    ]


def test_a_carousel_holds_at_most_12_cards(session, district, clock) -> None:
    made = [make(session, district, clock, title=f"กิจกรรมที่ {n}", starts_at=bangkok(2026, 12, 1, 9) + timedelta(days=n),
                 ends_at=bangkok(2026, 12, 1, 12) + timedelta(days=n)) for n in range(15)]
    answers = {made[1].id: Rsvp(answer=Answer.GOING, guests=0)}
    message = accepted_by_line(cards.carousel("th", session, made, answers))
    assert message["altText"] == "กิจกรรมที่กำลังจะมาถึง 12 รายการ"
    bubbles = message["contents"]["contents"]
    assert [texts(b["body"])[0] for b in bubbles] == [f"กิจกรรมที่ {n}" for n in range(12)]
    assert [texts(b["body"])[-1] for b in bubbles[:2]] == ["คำตอบของคุณ: ยังไม่ได้ตอบ", "คำตอบของคุณ: ไป"]
    assert cards.carousel("en", session, made[:3]).alt_text == "Upcoming activities: 3"  # no "1 activities"


def test_the_host_request_has_confirm_and_decline(session, district, clock) -> None:
    activity = make(session, district, clock)
    message = accepted_by_line(cards.host_request_message("th", session, activity))
    assert message["altText"] == "🏠 ขอเชิญเป็นเจ้าภาพ: ประชุมเครือข่ายโซน 1"
    assert texts(message["contents"]["body"])[:2] == [
        "🏠 ขอเชิญเป็นเจ้าภาพ",
        "ชุมชนตลาดบางนาได้รับการเสนอให้เป็นเจ้าภาพกิจกรรมนี้ครับ กรุณากดรับเป็นเจ้าภาพ หรือแจ้งว่าไม่สะดวก"]
    assert actions(message["contents"]["footer"]) == [
        {"type": "postback", "label": "รับเป็นเจ้าภาพ", "data": f"a=host_confirm&id={activity.id}",
         "displayText": f"รับเป็นเจ้าภาพ {activity.code}"},
        {"type": "postback", "label": "ไม่สะดวก", "data": f"a=host_decline&id={activity.id}",
         "displayText": f"ไม่สะดวกเป็นเจ้าภาพ {activity.code}"},
    ]


def test_a_long_title_keeps_the_alt_text_within_400(session, district, clock) -> None:
    # Longer than anything stored (titles are 200 at most): the alt text is still cut to LINE's 400.
    activity = Activity(code="K7M2", title="ข" * 400, network_id=district.zone1.id, status=ActivityStatus.PLANNED,
                        starts_at=bangkok(2026, 12, 20, 9), ends_at=bangkok(2026, 12, 20, 12),
                        host_state=HostState.NONE)
    message = cards.activity_message("th", session, activity)
    assert len(message.alt_text) == 400 and message.alt_text.endswith("…")
    accepted_by_line(message)
