"""Activities: create, list, edit and cancel, as conversation tables through signed webhooks.

Announcements, host requests and change notices go through the outbox: the tests run the scheduler's
dispatcher and read what the fake LINE server received (each body validated by the SDK's models and,
after the test, by LINE's OpenAPI description).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from handlers import events
from handlers.catalog import en, text_for, th
from handlers.context import text_message
from handlers.services import activities as svc
from handlers.services import registry as reg
from models import (
    Activity,
    ActivityStatus,
    Answer,
    Conversation,
    HostLog,
    HostLogKind,
    HostState,
    Membership,
    Person,
    RoleName,
    Rsvp,
)
from scheduler.jobs import dispatch_outbox
from support import events as ev
from support.dialog import flex_texts, flex_values
from support.registry import (
    GROUP_CANAL,
    GROUP_MARKET,
    GROUP_ZONE,
    MARKET_LEADER,
    MORE_MEMBERS,
    USERS,
    seed_linked_district,
    seed_members,
)
from support.texts import bangkok, e, t

T, E = th.TEXT, en.TEXT
LEADER, MEMBER, CHAIR, STAFF = USERS["leader"], USERS["member"], USERS["chair"], USERS["staff"]
PARTNER, STRANGER, CANAL_LEADER = USERS["partner"], USERS["stranger"], USERS["other_leader"]
FLEX = "[flex]"
WHEN_20_DEC = "วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00–16:00 น."


@pytest.fixture
def district(session_factory, clock):
    """The test district, a leader for ชุมชนตลาดบางนา, and three linked groups (GROUP_ZONE, ...)."""
    with session_factory() as session, session.begin():
        return seed_linked_district(session, clock())



@pytest.fixture
def dialog(checked_dialog):
    return checked_dialog



def activities(db) -> list[Activity]:
    db.expire_all()
    return list(db.scalars(select(Activity).order_by(Activity.id)))


def last_message(fake_line) -> dict:
    return fake_line.state.requests[-1].body["messages"][-1]


def sent_to(fake_line, since: int = 0) -> list[tuple[str, dict]]:
    """(recipient, message) for every push and multicast LINE delivered after request number `since`."""
    found = []
    for r in fake_line.state.requests[since:]:
        if r.delivered and r.path in ("/v2/bot/message/push", "/v2/bot/message/multicast"):
            recipients = r.body["to"] if isinstance(r.body["to"], list) else [r.body["to"]]
            found.extend((to, m) for to in recipients for m in r.body["messages"])
    return found


def postback_data(message: dict) -> list[str]:
    """Every postback data string inside a Flex message."""
    return flex_values(message, lambda node: node["action"]["data"] if isinstance(node.get("action"), dict)
                       and node["action"].get("type") == "postback" else None)


def ask_place(when: str, lang: str = "th") -> str:
    cat = T if lang == "th" else E
    return cat["event.when_set"].format(when=when) + "\n" + cat["event.ask_place"]


def ask_host_zone1() -> str:
    # Both communities of zone 1 never hosted: the list order decides, and ตลาด comes first.
    reason = t("host.reason.order", times=0, position=1, last=T["host.never"])
    return t("event.ask_host", network="เครือข่ายโซน 1", community="ชุมชนตลาดบางนา", reason=reason)


def created_lines(title: str, code: str, groups: int, community: str, leaders: int, lang: str = "th") -> str:
    cat = T if lang == "th" else E
    return "\n".join([cat["event.created"].format(title=title, code=code),
                      cat["event.announced"].format(count=groups),
                      cat["event.host_asked"].format(community=community, count=leaders)])


# --- create -----------------------------------------------------------------------------------------

def test_create_in_thai_announces_in_every_linked_group_and_asks_the_host(dialog, district, db, jobs,
                                                                         fake_line) -> None:
    dialog.run([
        (LEADER, "สร้างกิจกรรม", t("event.ask_title", network="เครือข่ายโซน 1")),
        (LEADER, "ประชุมเครือข่ายโซน 1", T["event.ask_when"]),
        (LEADER, "20 ธ.ค. 69 14.00-16.00 น.", ask_place(WHEN_20_DEC)),
        (LEADER, "ศาลาวัดบางนา", T["event.ask_network"]),
    ])
    assert dialog.quick_replies() == ["เครือข่ายโซน 1", "ชุมชนวัดบางนา", "ยกเลิก"]
    dialog.run([
        (LEADER, "เครือข่ายโซน 1", ask_host_zone1()),
    ])
    assert dialog.quick_replies() == ["ตกลง", "ชุมชนวัดบางนา", "ยกเลิก"]
    dialog.run([
        (LEADER, "ตกลง", T["event.ask_capacity"]),
        (LEADER, "๕๐ คน", T["event.ask_seats"]),
        (LEADER, "3", [FLEX, T["event.preview"]]),
    ])
    assert activities(db) == []  # nothing saved before the confirmation
    preview = fake_line.state.requests[-1].body["messages"][0]
    assert postback_data(preview) == []  # a preview has no buttons to tap
    assert flex_texts(preview)[:2] == [T["card.preview"], "ประชุมเครือข่ายโซน 1"]

    replies = dialog.say(LEADER, "ยืนยัน")
    [activity] = activities(db)
    assert replies == [created_lines("ประชุมเครือข่ายโซน 1", activity.code, 2, "ชุมชนตลาดบางนา", 1), FLEX]
    assert (activity.title, activity.place_text, activity.capacity, activity.seats_per_community) == (
        "ประชุมเครือข่ายโซน 1", "ศาลาวัดบางนา", 50, 3)
    assert (activity.starts_at, activity.ends_at, activity.rsvp_deadline) == (
        bangkok(2026, 12, 20, 14), bangkok(2026, 12, 20, 16), bangkok(2026, 12, 19, 14))
    assert (activity.network_id, activity.community_id, activity.status, activity.revision) == (
        district.zone1.id, None, ActivityStatus.PLANNED, 1)
    assert (activity.host_community_id, activity.host_state) == (district.market.id, HostState.PROPOSED)
    assert activity.created_by_id == district.people["leader"].id
    assert [(log.kind, log.community_id) for log in db.scalars(select(HostLog))] == [
        (HostLogKind.PROPOSED, district.market.id)]
    assert db.scalar(select(func.count()).select_from(Conversation)) == 0

    before = len(fake_line.state.requests)
    assert dispatch_outbox(jobs) == {"sent": 3}
    delivered = sent_to(fake_line, before)
    assert sorted(to for to, _ in delivered) == sorted([GROUP_ZONE, GROUP_MARKET, MARKET_LEADER])
    rsvp = [f"a=rsvp&id={activity.id}&v={v}" for v in ("going", "not_going", "maybe")]
    for group in (GROUP_ZONE, GROUP_MARKET):
        [card] = [m for to, m in delivered if to == group]
        assert card["type"] == "flex"
        assert card["altText"] == f"📅 ประชุมเครือข่ายโซน 1 — {WHEN_20_DEC}"
        assert postback_data(card) == rsvp
    [request] = [m for to, m in delivered if to == MARKET_LEADER]
    assert postback_data(request) == [f"a=host_confirm&id={activity.id}", f"a=host_decline&id={activity.id}"]
    # The first request says why this community was proposed, as the request after a decline does.
    assert flex_texts(request)[:3] == [
        T["card.host_request.title"], t("card.host_request.body", community="ชุมชนตลาดบางนา"),
        "เหตุผลที่เสนอ: " + t("host.reason.order", times=0, position=1, last=T["host.never"])]
    assert dispatch_outbox(jobs) == {}  # each went out once

    # The buttons work with the RSVP and rotation handlers: a member taps ไป in the other group,
    # the host's leader accepts, and the member's own list shows the answer.
    dialog.postback(MEMBER, f"a=rsvp&id={activity.id}&v=going", group=GROUP_MARKET)
    dialog.postback(MARKET_LEADER, f"a=host_confirm&id={activity.id}")
    db.expire_all()
    assert [(r.person_id, r.answer) for r in db.scalars(select(Rsvp))] == [(district.people["member"].id,
                                                                            Answer.GOING)]
    assert db.get(Activity, activity.id).host_state == HostState.CONFIRMED
    dialog.run([(MEMBER, "กิจกรรม", FLEX)])
    [bubble] = last_message(fake_line)["contents"]["contents"]
    assert flex_texts({"contents": bubble})[-1] == t("card.my_answer", answer=T["card.answer.going"])


def test_next_saturday_typed_on_a_saturday_afternoon_is_seven_days_later(dialog, district, clock) -> None:
    """Regression: on Saturday 15:44, "เสาร์หน้า บ่ายสองโมง" was read as two Saturdays ahead."""
    clock.advance(hours=5, minutes=44)  # Saturday 21 November 2026, 15:44
    dialog.run([
        (LEADER, "สร้างกิจกรรม", t("event.ask_title", network="เครือข่ายโซน 1")),
        (LEADER, "ประชุมเครือข่ายโซน 1", T["event.ask_when"]),
        (LEADER, "เสาร์หน้า บ่ายสองโมง", ask_place("วันเสาร์ที่ 28 พฤศจิกายน 2569 เวลา 14:00–17:00 น.")),
    ])


def test_create_in_english_with_the_only_host_of_a_zone(dialog, district, db, jobs, fake_line) -> None:
    dialog.run([
        (STAFF, "new event", e("event.ask_title", network="เครือข่ายโซน 1")),
        (STAFF, "Canal clean-up day", E["event.ask_when"]),
        (STAFF, "20 December 2026 8:00", ask_place("Sunday 20 December 2026, 08:00–11:00", "en")),
        (STAFF, "skip", E["event.ask_network"]),
    ])
    assert dialog.quick_replies() == ["เครือข่ายผู้สูงอายุ", "เครือข่ายโซน 1", "เครือข่ายโซน 2", "Cancel"]
    reason = e("host.reason.least", times=0, position=1, last=E["host.never"])
    dialog.run([
        (STAFF, "เครือข่ายโซน 2", e("event.ask_host", network="เครือข่ายโซน 2", community="ชุมชนคลองบางนา",
                                      reason=reason)),
        (STAFF, "OK", E["event.ask_capacity"]),
        (STAFF, "skip", E["event.ask_seats"]),
        (STAFF, "skip", [FLEX, E["event.preview"]]),
    ])
    replies = dialog.say(STAFF, "confirm")
    [activity] = activities(db)
    # Staff may make a network's activity repeat: the reply says how (a leader's does not: tests above).
    hint = e("event.repeat_hint", keyword="repeat", code=activity.code)
    assert replies == [created_lines("Canal clean-up day", activity.code, 1, "ชุมชนคลองบางนา", 1, "en") + "\n" + hint,
                       FLEX]
    assert (activity.place_text, activity.capacity, activity.seats_per_community) == (None, None, None)
    assert dispatch_outbox(jobs) == {"sent": 2}
    assert sorted(to for to, _ in sent_to(fake_line)) == sorted([GROUP_CANAL, CANAL_LEADER])


def test_create_with_the_datetime_picker(dialog, district, db) -> None:
    dialog.run([
        (LEADER, "สร้างกิจกรรม", t("event.ask_title", network="เครือข่ายโซน 1")),
        (LEADER, "อบรมอาสาสมัคร", T["event.ask_when"]),
    ])
    [picker] = [item["action"] for item in last_message(dialog.fake_line)["quickReply"]["items"]
                if item["action"]["type"] == "datetimepicker"]
    # Tomorrow 9:00 first; nothing before the next minute can be picked.
    assert picker == {"type": "datetimepicker", "label": "เลือกวันเวลา", "data": "a=flow", "mode": "datetime",
                      "initial": "2026-11-22T09:00", "min": "2026-11-21T10:01"}
    replies = dialog.postback(LEADER, "a=flow", params={"datetime": "2026-12-20T14:00"})
    assert replies == [ask_place("วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00–17:00 น.")]
    # A picked time already past (the picker's minimum is only advice to LINE's app).
    dialog.say(LEADER, "เปลี่ยนวันเวลา")
    replies = dialog.postback(LEADER, "a=flow", params={"datetime": "2026-11-21T09:00"})
    assert replies == [t("event.when_past", when="วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 09:00 น.") + "\n"
                       + T["event.ask_when"]]


def test_a_start_too_far_ahead_is_asked_again(dialog, district, db) -> None:
    dialog.run([
        (LEADER, "สร้างกิจกรรม", t("event.ask_title", network="เครือข่ายโซน 1")),
        (LEADER, "อบรมอาสาสมัคร", T["event.ask_when"]),
        (LEADER, "31/12/2571 10:00", t("event.when_too_far", when="วันอาทิตย์ที่ 31 ธันวาคม 2571 เวลา 10:00 น.")
         + "\n" + T["event.ask_when"]),
    ])
    # A hand-made picker value at datetime's very end, once an overflow adding the default three hours.
    assert dialog.postback(LEADER, "a=flow", params={"datetime": "9999-12-31T23:59"}) == [
        t("event.when_too_far", when="วันศุกร์ที่ 31 ธันวาคม 10542 เวลา 23:59 น.") + "\n" + T["event.ask_when"]]
    assert activities(db) == []


def test_a_date_without_a_time_asks_for_the_time(dialog, district) -> None:
    dialog.run([
        (LEADER, "สร้างกิจกรรม", t("event.ask_title", network="เครือข่ายโซน 1")),
        (LEADER, "ประชุม", T["event.ask_when"]),
        (LEADER, "20/12/2569", t("event.ask_time", date="วันอาทิตย์ที่ 20 ธันวาคม 2569")),
        (LEADER, "ไม่รู้", t("event.time_unknown", text="ไม่รู้")),
        (LEADER, "บ่ายสองโมง", ask_place("วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00–17:00 น.")),
    ])


def test_a_location_message_is_the_place(dialog, district, db, webhook, fake_line) -> None:
    for text in ["สร้างกิจกรรม", "ประชุม", "20 ธ.ค. 69 14:00"]:
        dialog.say(LEADER, text)
    event = ev.text("-", user=LEADER)
    event["message"] = {"id": "325708", "type": "location", "title": "วัดบางนานอก",
                        "address": "ถนนบางนา-ตราด กรุงเทพฯ", "latitude": 13.6676, "longitude": 100.6342}
    before = len(fake_line.state.requests)
    assert webhook.post(event).status_code == 200
    assert [m["text"] for r in fake_line.state.requests[before:] for m in r.body["messages"]] == [
        T["event.ask_network"]]
    dialog.run([
        (LEADER, "ชุมชนวัดบางนา", t("event.scope_community", community="ชุมชนวัดบางนา") + "\n"
         + T["event.ask_capacity"]),
        (LEADER, "ข้าม", [FLEX, T["event.preview"]]),
    ])
    replies = dialog.say(LEADER, "ยืนยัน")
    [activity] = activities(db)
    # A community's own activity: hosted by it, announced only where it is linked, no host request.
    assert replies == [t("event.created", title="ประชุม", code=activity.code) + "\n" + T["event.no_groups"], FLEX]
    assert (activity.place_text, activity.place_lat, activity.place_lng) == (
        "วัดบางนานอก, ถนนบางนา-ตราด กรุงเทพฯ", 13.6676, 100.6342)
    assert (activity.network_id, activity.community_id, activity.host_community_id, activity.host_state) == (
        None, district.wat.id, district.wat.id, HostState.CONFIRMED)
    card = last_message(fake_line)
    assert postback_data(card) == [f"a=rsvp&id={activity.id}&v={v}" for v in ("going", "not_going", "maybe")]
    assert [a for a in _actions(card) if a["type"] == "uri"] == [
        {"type": "uri", "label": "ดูแผนที่", "uri": "https://www.google.com/maps/search/?api=1&query=13.6676,100.6342"}]


def _actions(message: dict) -> list[dict]:
    found: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("action"), dict):
                found.append(node["action"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message["contents"])
    return found


def test_started_in_a_linked_group_it_continues_in_private_with_the_groups_network(dialog, district, db,
                                                                                   jobs) -> None:
    dialog.run([
        (LEADER, "บอท สร้างกิจกรรม", T["event.continue_in_private"], GROUP_ZONE),
        (LEADER, "แข่งกีฬาสี", T["event.ask_when"]),   # now in the 1:1 chat
        (LEADER, "พรุ่งนี้ 9 โมงเช้า", ask_place("วันอาทิตย์ที่ 22 พฤศจิกายน 2569 เวลา 09:00–12:00 น.")),
        # The group is zone 1's: no question about the network.
        (LEADER, "สนามโรงเรียน", ask_host_zone1()),
        (LEADER, "ชุมชนวัดบางนา", t("event.host_chosen", community="ชุมชนวัดบางนา") + "\n" + T["event.ask_capacity"]),
        (LEADER, "ข้าม", T["event.ask_seats"]),
        (LEADER, "ข้าม", [FLEX, T["event.preview"]]),
    ])
    replies = dialog.say(LEADER, "ยืนยัน")
    [activity] = activities(db)
    # The creator leads the chosen host: the host request comes in the reply, not as a push.
    assert replies == [created_lines("แข่งกีฬาสี", activity.code, 2, "ชุมชนวัดบางนา", 1), FLEX, FLEX]
    assert (activity.host_community_id, activity.host_state) == (district.wat.id, HostState.PROPOSED)
    [log] = db.scalars(select(HostLog)).all()
    assert (log.kind, log.community_id, log.reason) == (HostLogKind.PROPOSED, district.wat.id,
                                                        T["event.host_chosen_reason"])
    before = len(dialog.fake_line.state.requests)
    assert dispatch_outbox(jobs) == {"sent": 2}
    assert sorted(to for to, _ in sent_to(dialog.fake_line, before)) == sorted([GROUP_ZONE, GROUP_MARKET])


@pytest.mark.parametrize(("who", "text", "lang"), [
    (MEMBER, "สร้างกิจกรรม", "th"), (PARTNER, "สร้างกิจกรรม", "th"), (STRANGER, "new event", "en"),
    (MEMBER, "แก้ไขกิจกรรม ABCD", "th"), (MEMBER, "cancel event ABCD", "en"),
])
def test_members_and_partners_may_not_create_edit_or_cancel(dialog, district, db, who, text, lang) -> None:
    keyword = " ".join(text.split()[:2]) if lang == "en" else text.split()[0]
    cat = T if lang == "th" else E
    dialog.run([(who, text, cat["command.refused"].format(keyword=keyword, role=cat["role.3"]))])
    assert activities(db) == []


def test_cancel_at_any_step_stores_nothing(dialog, district, db) -> None:
    for answer in ["สร้างกิจกรรม", "ประชุม", "20 ธ.ค. 69 14:00", "ศาลา", "เครือข่ายโซน 1", "ตกลง", "10", "ข้าม"]:
        dialog.say(LEADER, answer)
    dialog.run([(LEADER, "ยกเลิก", T["flow.cancelled"])])
    assert activities(db) == []
    assert db.scalar(select(func.count()).select_from(Conversation)) == 0


# --- bad input ------------------------------------------------------------------------------------

def reach(dialog, step: str) -> None:
    answers = {"title": [], "when": ["ประชุม"], "place": ["ประชุม", "20 ธ.ค. 69 14:00"],
               "capacity": ["ประชุม", "20 ธ.ค. 69 14:00", "ศาลา", "เครือข่ายโซน 1", "ตกลง"]}[step]
    for answer in ["สร้างกิจกรรม", *answers]:
        dialog.say(LEADER, answer)


@pytest.mark.parametrize(("step", "answer", "reply"), [
    ("title", "ก" * 121, t("event.title_too_long", length=121)),
    ("title", "🙂🙂", T["event.title_empty"]),
    ("when", "1 พ.ย. 69 10:00", t("event.when_past", when="วันอาทิตย์ที่ 1 พฤศจิกายน 2569 เวลา 10:00 น.")
     + "\n" + T["event.ask_when"]),
    ("when", "เมื่อวาน 9 โมงเช้า", t("event.when_past", when="วันศุกร์ที่ 20 พฤศจิกายน 2569 เวลา 09:00 น.")
     + "\n" + T["event.ask_when"]),
    ("when", "เร็ว ๆ นี้", t("event.when_unknown", text="เร็ว ๆ นี้") + "\n" + T["event.ask_when"]),
    ("when", "31 เม.ย. 69 10:00", t("event.when_unknown", text="31 เม.ย. 69 10:00") + "\n" + T["event.ask_when"]),
    ("place", "😀", T["event.place_invalid"]),
    ("capacity", "0", t("event.capacity_invalid", text="0", max="10,000")),
    ("capacity", "-5", t("event.capacity_invalid", text="-5", max="10,000")),
    ("capacity", "ห้าสิบ", t("event.capacity_invalid", text="ห้าสิบ", max="10,000")),
    ("capacity", "2.5", t("event.capacity_invalid", text="2.5", max="10,000")),
    ("capacity", "1000000000000", t("event.capacity_invalid", text="1000000000000", max="10,000")),
])
def test_bad_answers_are_asked_again_and_change_nothing(dialog, district, db, step, answer, reply) -> None:
    reach(dialog, step)
    dialog.run([(LEADER, answer, reply)])
    assert activities(db) == []
    db.expire_all()
    assert db.scalars(select(Conversation.step)).one() == f"awaiting_{step}"


def test_seats_per_community_over_capacity_is_refused(dialog, district, db) -> None:
    reach(dialog, "capacity")
    dialog.run([
        (LEADER, "10", T["event.ask_seats"]),
        (LEADER, "20", t("event.seats_over_capacity", seats=20, capacity=10)),
        (LEADER, "0", t("event.seats_invalid", text="0", max="10,000")),
        (LEADER, "5", [FLEX, T["event.preview"]]),
        (LEADER, "อืม", T["event.confirm_again"]),
    ])
    assert activities(db) == []


def test_polite_endings_are_read_in_every_create_step(dialog, district, db) -> None:
    dialog.run([
        (LEADER, "สร้างกิจกรรม", t("event.ask_title", network="เครือข่ายโซน 1")),
        (LEADER, "ประชุมเครือข่ายโซน 1", T["event.ask_when"]),
        (LEADER, "20 ธ.ค. 69 14.00-16.00 น.", ask_place(WHEN_20_DEC)),
        (LEADER, "เปลี่ยนวันเวลาครับ", T["event.ask_when"]),
        (LEADER, "20 ธ.ค. 69 14.00-16.00 น. ครับ", ask_place(WHEN_20_DEC)),
        (LEADER, "ข้ามค่ะ", T["event.ask_network"]),
        (LEADER, "เครือข่ายโซน 1 ครับ", ask_host_zone1()),
        (LEADER, "ชุมชนวัดบางนา ครับ", t("event.host_chosen", community="ชุมชนวัดบางนา") + "\n"
         + T["event.ask_capacity"]),
        (LEADER, "๕๐ คนครับ", T["event.ask_seats"]),
        (LEADER, "๓ คน นะคะ", [FLEX, T["event.preview"]]),
    ])
    replies = dialog.say(LEADER, "ยืนยันครับ")
    [activity] = activities(db)
    assert replies == [created_lines("ประชุมเครือข่ายโซน 1", activity.code, 2, "ชุมชนวัดบางนา", 1), FLEX, FLEX]
    assert (activity.place_text, activity.host_community_id, activity.capacity, activity.seats_per_community) == (
        None, district.wat.id, 50, 3)


@pytest.mark.parametrize(("answer", "reply"), [
    ("ตกลงครับ", T["event.ask_capacity"]),
    ("ชุมชนวัดบางนา ค่ะ", t("event.host_chosen", community="ชุมชนวัดบางนา") + "\n" + T["event.ask_capacity"]),
    ("ชุมชนคลองบางนา ครับ", t("event.host_unknown", text="ชุมชนคลองบางนา ครับ", network="เครือข่ายโซน 1")),
])
def test_the_host_answer_may_end_politely(dialog, district, answer, reply) -> None:
    for said in ["สร้างกิจกรรม", "ประชุม", "20 ธ.ค. 69 14:00", "ศาลา", "เครือข่ายโซน 1"]:
        dialog.say(LEADER, said)
    dialog.run([(LEADER, answer, reply)])


def test_an_unknown_network_and_host_are_asked_again(dialog, district) -> None:
    for answer in ["สร้างกิจกรรม", "ประชุม", "20 ธ.ค. 69 14:00"]:
        dialog.say(LEADER, answer)
    dialog.run([
        (LEADER, "ศาลา", T["event.ask_network"]),
        (LEADER, "เครือข่ายโซน 2", t("event.network_unknown", text="เครือข่ายโซน 2")),  # not the leader's
        (LEADER, "เครือข่ายโซน 1", ask_host_zone1()),
        (LEADER, "ชุมชนคลองบางนา", t("event.host_unknown", text="ชุมชนคลองบางนา", network="เครือข่ายโซน 1")),
    ])


def test_staff_create_a_one_community_activity_by_typing_its_name(dialog, district, db, jobs, fake_line) -> None:
    for answer in ["สร้างกิจกรรม", "ตลาดนัดชุมชน", "20 ธ.ค. 69 14:00"]:
        dialog.say(STAFF, answer)
    dialog.run([(STAFF, "ศาลา", T["event.ask_network"])])
    # The buttons stay the networks: a district's dozens of communities are typed, as the question says.
    assert dialog.quick_replies() == ["เครือข่ายผู้สูงอายุ", "เครือข่ายโซน 1", "เครือข่ายโซน 2", "ยกเลิก"]
    dialog.run([
        (STAFF, "ชุมชนตลาดบางนา", t("event.scope_community", community="ชุมชนตลาดบางนา") + "\n"
         + T["event.ask_capacity"]),
        (STAFF, "ข้าม", [FLEX, T["event.preview"]]),
    ])
    replies = dialog.say(STAFF, "ยืนยัน")
    [activity] = activities(db)
    assert replies == [t("event.created", title="ตลาดนัดชุมชน", code=activity.code) + "\n"
                       + t("event.announced", count=1), FLEX]
    assert (activity.network_id, activity.community_id, activity.host_community_id, activity.host_state) == (
        None, district.market.id, district.market.id, HostState.CONFIRMED)
    assert dispatch_outbox(jobs) == {"sent": 1}
    assert [to for to, _ in sent_to(fake_line)] == [GROUP_MARKET]  # the group linked to that community


def test_a_chair_may_type_a_community_of_their_network_only(dialog, district, db) -> None:
    for answer in ["สร้างกิจกรรม", "ประชุมชุมชน", "20 ธ.ค. 69 14:00"]:
        dialog.say(CHAIR, answer)
    dialog.run([(CHAIR, "ศาลา", T["event.ask_network"])])
    assert dialog.quick_replies() == ["เครือข่ายโซน 1", "ยกเลิก"]
    dialog.run([
        (CHAIR, "ชุมชนคลองบางนา", t("event.network_unknown", text="ชุมชนคลองบางนา")),  # zone 2's
        (CHAIR, "ชุมชนวัดบางนา ครับ", t("event.scope_community", community="ชุมชนวัดบางนา") + "\n"
         + T["event.ask_capacity"]),
        (CHAIR, "ข้าม", [FLEX, T["event.preview"]]),
    ])
    replies = dialog.say(CHAIR, "ยืนยัน")
    [activity] = activities(db)
    assert replies == [t("event.created", title="ประชุมชุมชน", code=activity.code) + "\n" + T["event.no_groups"],
                       FLEX]
    assert (activity.community_id, activity.host_community_id) == (district.wat.id, district.wat.id)


@pytest.mark.parametrize(("who", "answers", "reply"), [
    (LEADER, ["28 พ.ย. 18:00-17:00"], t("event.end_before_start", end="17:00", start="18:00") + "\n"
     + T["event.ask_when"]),
    (LEADER, ["20 ธ.ค. 69 ๑๘.๐๐ ถึง ๑๘.๐๐ น."], t("event.end_before_start", end="18:00", start="18:00") + "\n"
     + T["event.ask_when"]),
    (LEADER, ["20/12/2569", "18:00-17:00"], t("event.end_before_start", end="17:00", start="18:00")),  # the time asked
    (STAFF, ["20 December 2026 18:00-17:00"], e("event.end_before_start", end="17:00", start="18:00") + "\n"
     + E["event.ask_when"]),
])
def test_an_end_before_the_start_is_refused(dialog, district, db, who, answers, reply) -> None:
    for answer in ["สร้างกิจกรรม" if who == LEADER else "new event", "ประชุม", *answers[:-1]]:
        dialog.say(who, answer)
    db.expire_all()
    step = db.scalars(select(Conversation.step)).one()
    dialog.run([(who, answers[-1], reply)])
    assert activities(db) == []
    db.expire_all()
    assert db.scalars(select(Conversation.step)).one() == step  # asked again at the same step


# --- seeded activities for listing, editing and cancelling ---------------------------------------

def seed_activity(session_factory, clock, district, *, title: str = "ประชุมใหญ่", days: int = 29,
                  capacity: int | None = None, seats: int | None = None, answers: dict[str, Answer] | None = None
                  ) -> tuple[int, str]:
    """An activity of zone 1 created by the leader, hosted by ตลาด, with answers; returns (id, code)."""
    with session_factory() as session, session.begin():
        starts = bangkok(2026, 11, 21, 14) + timedelta(days=days)
        leader = session.get(Person, district.people["leader"].id)
        activity = svc.create_activity(session, title=title, organization_id=district.org.id,
                                       network_id=district.zone1.id, starts_at=starts, now=clock(),
                                       place_text="ศาลาวัด", capacity=capacity, seats_per_community=seats,
                                       created_by=leader)
        activity.host_community_id, activity.host_state = district.market.id, HostState.PROPOSED
        for who, choice in (answers or {}).items():
            person = session.scalars(select(Person).where(Person.line_user_id == USERS[who])).one()
            svc.answer(session, activity, person, choice, clock(), community_id=district.wat.id)
        return activity.id, activity.code


OLD_WHEN = "วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00–17:00 น."  # seed_activity's
ANSWERS = {"member": Answer.GOING, "partner": Answer.MAYBE, "other_leader": Answer.NOT_GOING}
# seed_activity's host, ชุมชนตลาดบางนา, has one leader (MARKET_LEADER): told when the activity moves or is cancelled.
HOST_TOLD = t("event.host_notified", community="ชุมชนตลาดบางนา", count=1)
HOST_TOLD_EN = e("event.host_notified", community="ชุมชนตลาดบางนา", count=1)


def test_events_shows_a_carousel_of_at_most_12_with_my_answers(dialog, district, session_factory, clock,
                                                                fake_line) -> None:
    first, _ = seed_activity(session_factory, clock, district, title="กิจกรรมที่ 1", days=1,
                             answers={"member": Answer.GOING})
    for n in range(2, 15):
        seed_activity(session_factory, clock, district, title=f"กิจกรรมที่ {n}", days=n)
    dialog.run([(MEMBER, "กิจกรรม", FLEX)])
    message = last_message(fake_line)
    assert message["altText"] == t("card.carousel_alt", count=12)
    bubbles = message["contents"]["contents"]
    assert len(bubbles) == 12
    first_texts = flex_texts({"contents": bubbles[0]})
    assert first_texts[0] == "กิจกรรมที่ 1"
    assert t("card.my_answer", answer=T["card.answer.going"]) in first_texts
    assert t("card.my_answer", answer=T["card.answer.none"]) in flex_texts({"contents": bubbles[1]})
    assert postback_data({"contents": bubbles[0]})[0] == f"a=rsvp&id={first}&v=going"
    dialog.run([(MEMBER, "events", FLEX)])
    assert last_message(fake_line)["altText"] == e("card.carousel_alt", count=12)


def test_events_with_a_code_shows_that_card(dialog, district, session_factory, clock, fake_line) -> None:
    ident, code = seed_activity(session_factory, clock, district, answers={"partner": Answer.MAYBE})
    dialog.run([(PARTNER, f"กิจกรรม {code.lower()}", FLEX), (PARTNER, "กิจกรรม ZZZZ", t("event.unknown_code",
                                                                                         code="ZZZZ"))])
    assert t("card.my_answer", answer=T["card.answer.maybe"]) in flex_texts(fake_line.state.requests[-2].body[
        "messages"][0])


def test_events_when_there_are_none(dialog, district) -> None:
    dialog.run([
        (LEADER, "กิจกรรม", t("event.list_none_leader", keyword="สร้างกิจกรรม")),
        (LEADER, "events", e("event.list_none_leader", keyword="new event")),
        (MEMBER, "กิจกรรม", T["event.list_none"]),
        (STRANGER, "กิจกรรม", T["event.list_none_register"]),
    ])


# --- edit -----------------------------------------------------------------------------------------

def notices(fake_line, since: int) -> list[tuple[str, list[str]]]:
    """(recipient, message types or texts) of every push and multicast after `since`."""
    grouped: dict[str, list[str]] = {}
    for to, message in sent_to(fake_line, since):
        grouped.setdefault(to, []).append(message.get("text", f"[{message['type']}]"))
    return sorted(grouped.items())


def edit_preview(field: str, old: str, new: str, who: str, *, title: str = "ประชุมใหญ่", lang: str = "th") -> str:
    """What an edit shows before anything is saved or sent: the field, old and new, and who will be told."""
    return text_for(lang, "event.edit_preview", title=title, field=field, old=old, new=new, who=who)


def who_answered(count: int, lang: str = "th") -> str:
    """A title or seat count is told only to those who answered (`_answered`), not to groups or the host."""
    return text_for(lang, "event.who", who=text_for(lang, "event.who.answered", count=count))


# Who hears of a move of seed_activity with ANSWERS: its zone's two groups, the two who answered and the host's leader.
WHO_MOVED = "จะแจ้งกลุ่ม LINE 2 กลุ่ม ผู้ที่ตอบว่าไปหรือไม่แน่ใจ 2 คน และผู้นำชุมชนตลาดบางนา (ชุมชนเจ้าภาพ) 1 คน"


def test_edit_the_title_tells_going_and_maybe_once(dialog, district, db, session_factory, clock, jobs,
                                                   fake_line) -> None:
    ident, code = seed_activity(session_factory, clock, district, answers=ANSWERS)
    dialog.run([
        (LEADER, f"แก้ไขกิจกรรม {code}", t("event.ask_field", title="ประชุมใหญ่")),
        (LEADER, "อะไรนะ", T["event.field_unknown"]),
        (LEADER, "ชื่อ", t("event.ask_new_title", title="ประชุมใหญ่")),
        (LEADER, "ก" * 121, t("event.title_too_long", length=121)),
        (LEADER, "ประชุมใหญ่ประจำปี", edit_preview("ชื่อ", "ประชุมใหญ่", "ประชุมใหญ่ประจำปี", who_answered(2))),
        (LEADER, "ยืนยัน", [t("event.edited", title="ประชุมใหญ่ประจำปี", field="ชื่อ", value="ประชุมใหญ่ประจำปี")
                            + "\n" + t("event.notified", count=2), FLEX]),
    ])
    [activity] = activities(db)
    assert (activity.title, activity.revision, activity.updated_at) == ("ประชุมใหญ่ประจำปี", 2, clock())
    before = len(fake_line.state.requests)
    assert dispatch_outbox(jobs) == {"sent": 1}
    notice = t("event.edit_notice", title="ประชุมใหญ่ประจำปี", code=code, field="ชื่อ", value="ประชุมใหญ่ประจำปี")
    assert notices(fake_line, before) == [(MEMBER, [notice, FLEX]), (PARTNER, [notice, FLEX])]
    assert [r.path for r in fake_line.state.requests[before:]] == ["/v2/bot/message/multicast"]
    assert dispatch_outbox(jobs) == {}


def test_edit_the_time_keeps_the_length_and_moves_the_deadline(dialog, district, db, session_factory, clock,
                                                               jobs, fake_line) -> None:
    ident, code = seed_activity(session_factory, clock, district, answers=ANSWERS)
    new_when = "วันอาทิตย์ที่ 27 ธันวาคม 2569 เวลา 09:00–12:00 น."
    dialog.run([
        (CHAIR, f"แก้ไขกิจกรรม {code}", t("event.ask_field", title="ประชุมใหญ่")),
        (CHAIR, "วันเวลา", T["event.ask_when"]),
        (CHAIR, "เมื่อวาน 9:00", t("event.when_past", when="วันศุกร์ที่ 20 พฤศจิกายน 2569 เวลา 09:00 น.") + "\n"
         + T["event.ask_when"]),
        (CHAIR, "27 ธ.ค. 69 9:00", edit_preview("วันเวลา", OLD_WHEN, new_when, WHO_MOVED)),
        (CHAIR, "ยืนยันครับ", [t("event.edited", title="ประชุมใหญ่", field="วันเวลา", value=new_when) + "\n"
                               + t("event.notified", count=2) + "\n" + HOST_TOLD + "\n"
                               + t("event.groups_notified", count=2), FLEX]),
    ])
    [activity] = activities(db)
    assert (activity.starts_at, activity.ends_at, activity.rsvp_deadline, activity.revision) == (
        bangkok(2026, 12, 27, 9), bangkok(2026, 12, 27, 12), bangkok(2026, 12, 26, 9), 2)
    before = len(fake_line.state.requests)
    assert dispatch_outbox(jobs) == {"sent": 4}
    notice = t("event.edit_notice", title="ประชุมใหญ่", code=code, field="วันเวลา", value=new_when)
    # The zone's groups, shown the card at creation, are told what moved (zone 2's group is not); so is the
    # leader of the host community, asked to host on the old date.
    moved = t("event.group_change_notice", title="ประชุมใหญ่", code=code, field="วันเวลา", old=OLD_WHEN, new=new_when)
    assert notices(fake_line, before) == [(GROUP_ZONE, [moved]), (GROUP_MARKET, [moved]), (MEMBER, [notice, FLEX]),
                                          (PARTNER, [notice, FLEX]), (MARKET_LEADER, [notice, FLEX])]
    assert dispatch_outbox(jobs) == {}


def staff_moves_to_the_district_office(code: str, *, later: bool = False) -> list[tuple]:
    """Staff move an activity with two answers, a host leader and two linked groups, in English (`later`: in
    quiet hours, when the groups are told at 07:00)."""
    groups = "2 LINE group(s) (at 07:00)" if later else "2 LINE group(s)"
    who = (f"Saiyai will tell {groups}, 2 people who answered going or maybe and 1 leader(s) of ชุมชนตลาดบางนา "
           "(the host).")
    return [
        (STAFF, f"edit event {code}", e("event.ask_field", title="ประชุมใหญ่")),
        (STAFF, "place", E["event.ask_new_place"]),
        (STAFF, "Bang Na district office", edit_preview("place", "ศาลาวัด", "Bang Na district office", who,
                                                        lang="en")),
        (STAFF, "Confirm", [e("event.edited", title="ประชุมใหญ่", field="place", value="Bang Na district office")
                            + "\n" + e("event.notified", count=2) + "\n" + HOST_TOLD_EN + "\n"
                            + e("event.groups_notified_later" if later else "event.groups_notified", count=2), FLEX]),
    ]


def test_edit_place_and_capacity_in_english(dialog, district, db, session_factory, clock, jobs, fake_line) -> None:
    ident, code = seed_activity(session_factory, clock, district, capacity=5, seats=2, answers=ANSWERS)
    dialog.run([
        *staff_moves_to_the_district_office(code),
        (STAFF, f"edit event {code}", e("event.ask_field", title="ประชุมใหญ่")),
        (STAFF, "seats", e("event.ask_new_capacity", current="5 people")),
        (STAFF, "1", e("event.seats_over_capacity", seats=2, capacity=1)),
        (STAFF, "lots", e("event.capacity_invalid", text="lots", max="10,000")),
        (STAFF, "40", edit_preview("seats", "5 people", "40 people", who_answered(2, "en"), lang="en")),
        (STAFF, "ok", [e("event.edited", title="ประชุมใหญ่", field="seats", value="40 people") + "\n"
                       + e("event.notified", count=2), FLEX]),
    ])
    [activity] = activities(db)
    assert (activity.place_text, activity.capacity, activity.revision) == ("Bang Na district office", 40, 3)
    # One multicast per edit; the groups and the host's leader hear of the new place, not of the seats (the card
    # they have shows those).
    assert dispatch_outbox(jobs) == {"sent": 5}
    # The people told read Thai: they never chose English; groups are told in Thai too.
    # (The messages go out concurrently.)
    assert sorted(m.get("text") for to, m in sent_to(fake_line) if m["type"] == "text" and to == MEMBER) == sorted([
        t("event.edit_notice", title="ประชุมใหญ่", code=code, field="สถานที่", value="Bang Na district office"),
        t("event.edit_notice", title="ประชุมใหญ่", code=code, field="จำนวนที่นั่ง", value="40 คน")])
    assert [m.get("text") for to, m in sent_to(fake_line) if m["type"] == "text" and to == MARKET_LEADER] == [
        t("event.edit_notice", title="ประชุมใหญ่", code=code, field="สถานที่", value="Bang Na district office")]
    moved = t("event.group_change_notice", title="ประชุมใหญ่", code=code, field="สถานที่", old="ศาลาวัด",
              new="Bang Na district office")
    assert sorted((to, m["text"]) for to, m in sent_to(fake_line) if to.startswith("C")) == sorted([
        (GROUP_ZONE, moved), (GROUP_MARKET, moved)])


def test_a_move_typed_in_a_linked_group_is_pushed_to_the_other_groups(dialog, district, db, session_factory, clock,
                                                                     jobs, fake_line) -> None:
    ident, code = seed_activity(session_factory, clock, district)  # nobody has answered yet
    new_when = "วันศุกร์ที่ 25 ธันวาคม 2569 เวลา 14:00–17:00 น."
    dialog.run([
        (LEADER, f"บอท แก้ไขกิจกรรม {code}", t("event.ask_field", title="ประชุมใหญ่"), GROUP_ZONE),
        (LEADER, "วันเวลาครับ", T["event.ask_when"], GROUP_ZONE),
        # Nobody answered, but the other group of the zone is told: the reply says so, not "nobody needed telling".
        # The group it is typed in gets the reply, so the preview counts only the zone's other group.
        (LEADER, "๒๕ ธ.ค. ๖๙ บ่ายสองโมง", edit_preview(
            "วันเวลา", OLD_WHEN, new_when, "จะแจ้งกลุ่ม LINE 1 กลุ่ม และผู้นำชุมชนตลาดบางนา (ชุมชนเจ้าภาพ) 1 คน"),
         GROUP_ZONE),
        (LEADER, "ตกลงค่ะ", [t("event.edited", title="ประชุมใหญ่", field="วันเวลา", value=new_when)
                             + "\n" + HOST_TOLD + "\n" + t("event.groups_notified", count=1), FLEX], GROUP_ZONE),
    ])
    before = len(fake_line.state.requests)
    assert dispatch_outbox(jobs) == {"sent": 2}
    # The group it was typed in has the reply; the other group gets one push saying what moved, and the host's
    # leader is told too.
    moved = t("event.group_change_notice", title="ประชุมใหญ่", code=code, field="วันเวลา", old=OLD_WHEN, new=new_when)
    notice = t("event.edit_notice", title="ประชุมใหญ่", code=code, field="วันเวลา", value=new_when)
    assert notices(fake_line, before) == [(GROUP_MARKET, [moved]), (MARKET_LEADER, [notice, FLEX])]
    assert dispatch_outbox(jobs) == {}


def test_groups_hear_of_a_change_after_quiet_hours_and_once(dialog, district, db, session_factory, clock, jobs,
                                                            fake_line) -> None:
    ident, code = seed_activity(session_factory, clock, district, answers=ANSWERS)
    clock.advance(hours=12, minutes=30)  # 22:30 in Bangkok
    dialog.run([
        *staff_moves_to_the_district_office(code, later=True),
        # The same place again changes nothing a group needs to hear: the preview says so.
        (STAFF, f"edit event {code}", e("event.ask_field", title="ประชุมใหญ่")),
        (STAFF, "place", E["event.ask_new_place"]),
        (STAFF, "Bang Na district office", edit_preview("place", "Bang Na district office", "Bang Na district office",
                                                        who_answered(2, "en"), lang="en")),
        (STAFF, "confirm", [e("event.edited", title="ประชุมใหญ่", field="place", value="Bang Na district office")
                            + "\n" + e("event.notified", count=2), FLEX]),
    ])
    before = len(fake_line.state.requests)
    # Those who answered: one multicast per edit, now; the host's leader of the move only.
    assert dispatch_outbox(jobs) == {"sent": 3}
    assert {to for to, _ in sent_to(fake_line, before)} == {MEMBER, PARTNER, MARKET_LEADER}
    clock.now = bangkok(2026, 11, 22, 7)
    before = len(fake_line.state.requests)
    assert dispatch_outbox(jobs) == {"sent": 2}
    moved = t("event.group_change_notice", title="ประชุมใหญ่", code=code, field="สถานที่", old="ศาลาวัด",
              new="Bang Na district office")
    assert notices(fake_line, before) == [(GROUP_ZONE, [moved]), (GROUP_MARKET, [moved])]
    # Queued again for the same change (a redelivered event), it is not sent again.
    with session_factory() as session, session.begin():
        activity = session.get(Activity, ident)
        assert events.tell_groups(session, activity, text_message(moved), clock(), f"r{activity.revision - 1}") == [
            GROUP_ZONE, GROUP_MARKET]
    assert dispatch_outbox(jobs) == {}


def test_the_host_leaders_hear_of_a_move_and_a_cancellation_in_their_language_once(
        dialog, district, db, session_factory, clock, jobs, fake_line) -> None:
    ident, code = seed_activity(session_factory, clock, district, answers={"member": Answer.GOING})
    somchai = MORE_MEMBERS["somchai"][0]
    with session_factory() as session, session.begin():
        seed_members(session, district, clock())
        activity = session.get(Activity, ident)
        activity.host_state = HostState.CONFIRMED
        session.scalars(select(Person).where(Person.line_user_id == MARKET_LEADER)).one().language = "en"
        # A second leader of the host community who also answered: told once, as one who answered.
        second = session.scalars(select(Person).where(Person.line_user_id == somchai)).one()
        reg.grant(session, second, RoleName.COMMUNITY_LEADER, district.org, community=district.market, now=clock())
        svc.answer(session, activity, second, Answer.MAYBE, clock(), community_id=district.market.id)
    new_when = "วันอาทิตย์ที่ 27 ธันวาคม 2569 เวลา 09:00–12:00 น."
    dialog.run([
        (CHAIR, f"แก้ไขกิจกรรม {code}", t("event.ask_field", title="ประชุมใหญ่")),
        (CHAIR, "วันเวลา", T["event.ask_when"]),
        # somchai answered and leads the host: counted once, as one who answered.
        (CHAIR, "27 ธ.ค. 69 9:00", edit_preview("วันเวลา", OLD_WHEN, new_when, WHO_MOVED)),
        (CHAIR, "ยืนยัน", [t("event.edited", title="ประชุมใหญ่", field="วันเวลา", value=new_when) + "\n"
                           + t("event.notified", count=2) + "\n" + HOST_TOLD + "\n"
                           + t("event.groups_notified", count=2), FLEX]),
    ])
    before = len(fake_line.state.requests)
    assert dispatch_outbox(jobs) == {"sent": 4}
    notice = t("event.edit_notice", title="ประชุมใหญ่", code=code, field="วันเวลา", value=new_when)
    notice_en = e("event.edit_notice", title="ประชุมใหญ่", code=code, field="time",
                  value="Sunday 27 December 2026, 09:00–12:00")
    moved = t("event.group_change_notice", title="ประชุมใหญ่", code=code, field="วันเวลา", old=OLD_WHEN, new=new_when)
    assert notices(fake_line, before) == sorted([(GROUP_ZONE, [moved]), (GROUP_MARKET, [moved]), (MEMBER, [notice, FLEX]),
                                                 (somchai, [notice, FLEX]), (MARKET_LEADER, [notice_en, FLEX])])
    assert dispatch_outbox(jobs) == {}

    # The host's leader cancels it: those who answered and the groups are told, the leader is not told their own news.
    dialog.run([(MARKET_LEADER, f"cancel event {code}", e("event.ask_cancel", title="ประชุมใหญ่",
                                                          when="Sunday 27 December 2026, 09:00", count=2))])
    assert dialog.postback(MARKET_LEADER, f"a=event_cancel&id={ident}&l=en") == [
        e("event.cancelled", title="ประชุมใหญ่") + "\n" + e("event.notified", count=2) + "\n"
        + e("event.groups_notified", count=2)]
    before = len(fake_line.state.requests)
    assert dispatch_outbox(jobs) == {"sent": 3}
    cancelled = t("event.cancel_notice", title="ประชุมใหญ่", code=code, when=new_when)
    assert notices(fake_line, before) == sorted([(GROUP_ZONE, [cancelled]), (GROUP_MARKET, [cancelled]),
                                                 (MEMBER, [cancelled]), (somchai, [cancelled])])


def test_capacity_below_the_seats_taken_is_refused(dialog, district, db, session_factory, clock) -> None:
    ident, code = seed_activity(session_factory, clock, district, capacity=5,
                                answers={"member": Answer.GOING, "leader": Answer.GOING})
    dialog.run([
        (LEADER, f"แก้ไขกิจกรรม {code}", t("event.ask_field", title="ประชุมใหญ่")),
        (LEADER, "จำนวนที่นั่ง", t("event.ask_new_capacity", current="5 คน")),
        (LEADER, "1", t("event.capacity_below_taken", taken=2)),
        (LEADER, "ไม่จำกัด", edit_preview("จำนวนที่นั่ง", "5 คน", "ไม่จำกัด", who_answered(1))),
        (LEADER, "ยืนยัน", [t("event.edited", title="ประชุมใหญ่", field="จำนวนที่นั่ง", value="ไม่จำกัด") + "\n"
                            + t("event.notified", count=1), FLEX]),
    ])
    assert activities(db)[0].capacity is None


# --- edit: the preview and its confirmation ---------------------------------------------------------

def conversations(db) -> int:
    db.expire_all()
    return db.scalars(select(func.count()).select_from(Conversation)).one()


def test_a_move_is_previewed_and_nothing_is_saved_or_sent_until_confirmed(dialog, district, db, session_factory,
                                                                          clock, jobs, fake_line) -> None:
    ident, code = seed_activity(session_factory, clock, district, answers=ANSWERS)
    dialog.run([
        (CHAIR, f"แก้ไขกิจกรรม {code}", t("event.ask_field", title="ประชุมใหญ่")),
        (CHAIR, "วันเวลา", T["event.ask_when"]),
        (CHAIR, "27 ธ.ค. 69 9:00",
         "ตรวจสอบก่อนบันทึกนะครับ: แก้ไขวันเวลาของ “ประชุมใหญ่”\n"
         "เดิม: วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00–17:00 น.\n"
         "ใหม่: วันอาทิตย์ที่ 27 ธันวาคม 2569 เวลา 09:00–12:00 น.\n"
         "จะแจ้งกลุ่ม LINE 2 กลุ่ม ผู้ที่ตอบว่าไปหรือไม่แน่ใจ 2 คน และผู้นำชุมชนตลาดบางนา (ชุมชนเจ้าภาพ) 1 คน\n"
         "กด “ยืนยัน” เพื่อบันทึก “เปลี่ยน” เพื่อพิมพ์วันเวลาใหม่ หรือ “ยกเลิก” ถ้าไม่แก้ไขครับ"),
    ])
    assert [(item["action"]["label"], item["action"]["text"]) for item in last_message(fake_line)["quickReply"][
        "items"]] == [("✓ ยืนยัน", "ยืนยัน"), ("เปลี่ยน", "เปลี่ยน"), ("ยกเลิก", "ยกเลิก")]
    # An answer that is none of the three asks again, politely, and changes nothing either.
    dialog.run([(CHAIR, "28 ธ.ค. 69 9:00", T["event.edit_confirm_again"])])
    assert dialog.quick_replies() == ["✓ ยืนยัน", "เปลี่ยน", "ยกเลิก"]
    [activity] = activities(db)
    assert (activity.starts_at, activity.revision) == (bangkok(2026, 12, 20, 14), 1)
    assert dispatch_outbox(jobs) == {}
    assert sent_to(fake_line) == []
    dialog.run([(CHAIR, "ยืนยันครับ", [t("event.edited", title="ประชุมใหญ่", field="วันเวลา",
                                         value="วันอาทิตย์ที่ 27 ธันวาคม 2569 เวลา 09:00–12:00 น.") + "\n"
                                       + t("event.notified", count=2) + "\n" + HOST_TOLD + "\n"
                                       + t("event.groups_notified", count=2), FLEX])])
    [activity] = activities(db)
    assert (activity.starts_at, activity.revision) == (bangkok(2026, 12, 27, 9), 2)
    assert dispatch_outbox(jobs) == {"sent": 4}
    assert {to for to, _ in sent_to(fake_line)} == {GROUP_ZONE, GROUP_MARKET, MEMBER, PARTNER, MARKET_LEADER}
    assert conversations(db) == 0


def test_change_at_the_preview_asks_again_and_the_weekday_shows_which_saturday(dialog, district, db,
                                                                               session_factory, clock, jobs,
                                                                               fake_line) -> None:
    ident, code = seed_activity(session_factory, clock, district, answers=ANSWERS)
    clock.advance(days=1)  # Sunday 22 November
    saturday = "วันเสาร์ที่ 28 พฤศจิกายน 2569 เวลา 09:00–12:00 น."
    dialog.run([
        (CHAIR, f"แก้ไขกิจกรรม {code}", t("event.ask_field", title="ประชุมใหญ่")),
        (CHAIR, "วันเวลา", T["event.ask_when"]),
        # On a Sunday "เสาร์หน้า" is read as the Saturday after next: the preview names the day and date in full,
        # so the leader sees it before any group does, and changes it.
        (CHAIR, "เสาร์หน้า 9:00", edit_preview("วันเวลา", OLD_WHEN, "วันเสาร์ที่ 5 ธันวาคม 2569 เวลา 09:00–12:00 น.",
                                               WHO_MOVED)),
        (CHAIR, "เปลี่ยนครับ", T["event.ask_when"]),
        (CHAIR, "28 พ.ย. 69 9:00", edit_preview("วันเวลา", OLD_WHEN, saturday, WHO_MOVED)),
        (CHAIR, "ยืนยัน", [t("event.edited", title="ประชุมใหญ่", field="วันเวลา", value=saturday) + "\n"
                           + t("event.notified", count=2) + "\n" + HOST_TOLD + "\n"
                           + t("event.groups_notified", count=2), FLEX]),
    ])
    assert activities(db)[0].starts_at == bangkok(2026, 11, 28, 9)
    assert dispatch_outbox(jobs) == {"sent": 4}
    moved = t("event.group_change_notice", title="ประชุมใหญ่", code=code, field="วันเวลา", old=OLD_WHEN, new=saturday)
    assert sorted((to, m["text"]) for to, m in sent_to(fake_line) if to.startswith("C")) == sorted([
        (GROUP_ZONE, moved), (GROUP_MARKET, moved)])
    # "Change" at a place's preview asks the place again, with its location button.
    dialog.run([
        (STAFF, f"edit event {code}", e("event.ask_field", title="ประชุมใหญ่")),
        (STAFF, "place", E["event.ask_new_place"]),
        (STAFF, "Bang Na district office", edit_preview(
            "place", "ศาลาวัด", "Bang Na district office", "Saiyai will tell 2 LINE group(s), 2 people who answered "
            "going or maybe and 1 leader(s) of ชุมชนตลาดบางนา (the host).", lang="en")),
        (STAFF, "Change", E["event.ask_new_place"]),
    ])
    assert dialog.quick_replies() == ["Send location", "Cancel"]
    assert activities(db)[0].place_text == "ศาลาวัด"


@pytest.mark.parametrize("word", ["ยกเลิก", "ยกเลิกค่ะ", "เลิกครับ"])
def test_cancel_at_the_preview_changes_nothing_and_tells_nobody(dialog, district, db, session_factory, clock, jobs,
                                                                fake_line, word) -> None:
    ident, code = seed_activity(session_factory, clock, district, answers=ANSWERS)
    dialog.run([
        (LEADER, f"แก้ไขกิจกรรม {code}", t("event.ask_field", title="ประชุมใหญ่")),
        (LEADER, "สถานที่", T["event.ask_new_place"]),
        (LEADER, "หอประชุมเขตบางนา", edit_preview("สถานที่", "ศาลาวัด", "หอประชุมเขตบางนา", WHO_MOVED)),
        (LEADER, word, T["flow.cancelled"]),
    ])
    [activity] = activities(db)
    assert (activity.place_text, activity.revision, activity.updated_at) == ("ศาลาวัด", 1, activity.created_at)
    assert conversations(db) == 0
    # Nothing was queued, and LINE delivered no push or multicast to anyone: groups, answers or the host.
    assert dispatch_outbox(jobs) == {}
    assert sent_to(fake_line) == []
    assert {r.path for r in fake_line.state.requests if r.path.startswith("/v2/bot/message/")} == {
        "/v2/bot/message/reply"}


@pytest.mark.parametrize("word", ["ยืนยันครับ", "ตกลงค่ะ", "โอเคค่ะ", "ยืนยัน นะคะ", "OK"])
def test_a_polite_confirmation_saves_the_edit(dialog, district, db, session_factory, clock, jobs, word) -> None:
    ident, code = seed_activity(session_factory, clock, district, answers=ANSWERS)
    dialog.run([
        (LEADER, f"แก้ไขกิจกรรม {code}", t("event.ask_field", title="ประชุมใหญ่")),
        (LEADER, "ชื่อค่ะ", t("event.ask_new_title", title="ประชุมใหญ่")),
        (LEADER, "ประชุมใหญ่ประจำปี", edit_preview("ชื่อ", "ประชุมใหญ่", "ประชุมใหญ่ประจำปี", who_answered(2))),
        (LEADER, word, [t("event.edited", title="ประชุมใหญ่ประจำปี", field="ชื่อ", value="ประชุมใหญ่ประจำปี")
                        + "\n" + t("event.notified", count=2), FLEX]),
    ])
    assert (activities(db)[0].title, activities(db)[0].revision) == ("ประชุมใหญ่ประจำปี", 2)
    assert dispatch_outbox(jobs) == {"sent": 1}


def test_the_field_may_be_named_after_the_code(dialog, district, db, session_factory, clock, jobs) -> None:
    """"แก้ไขกิจกรรม K7M2 วันเวลา", as the help reads ("แก้ไขชื่อ วันเวลา สถานที่ …"), asks the new time at once;
    it was read as the code "K7M2 วันเวลา" and refused as unknown."""
    ident, code = seed_activity(session_factory, clock, district, answers=ANSWERS)
    dialog.run([
        (LEADER, f"แก้ไขกิจกรรม {code.lower()} ที่นั่งค่ะ", t("event.ask_new_capacity", current="ไม่จำกัด")),
        (LEADER, "ยกเลิก", T["flow.cancelled"]),
        (LEADER, f"แก้ไขกิจกรรม {code} ชื่อ", t("event.ask_new_title", title="ประชุมใหญ่")),
        (LEADER, "ประชุมใหญ่ประจำปี", edit_preview("ชื่อ", "ประชุมใหญ่", "ประชุมใหญ่ประจำปี", who_answered(2))),
        (LEADER, "ยืนยัน", [t("event.edited", title="ประชุมใหญ่ประจำปี", field="ชื่อ", value="ประชุมใหญ่ประจำปี")
                             + "\n" + t("event.notified", count=2), FLEX]),
    ])
    assert (activities(db)[0].title, activities(db)[0].revision) == ("ประชุมใหญ่ประจำปี", 2)


def test_an_activity_cancelled_while_the_preview_was_read_is_not_edited(dialog, district, db, session_factory,
                                                                        clock, jobs, fake_line) -> None:
    ident, code = seed_activity(session_factory, clock, district, answers=ANSWERS)
    dialog.run([
        (CHAIR, f"แก้ไขกิจกรรม {code}", t("event.ask_field", title="ประชุมใหญ่")),
        (CHAIR, "วันเวลา", T["event.ask_when"]),
        (CHAIR, "27 ธ.ค. 69 9:00", edit_preview("วันเวลา", OLD_WHEN,
                                                "วันอาทิตย์ที่ 27 ธันวาคม 2569 เวลา 09:00–12:00 น.", WHO_MOVED)),
    ])
    with session_factory() as session, session.begin():  # another leader cancels it meanwhile
        svc.cancel_activity(session.get(Activity, ident), clock())
    dialog.run([(CHAIR, "ยืนยัน", t("event.already_cancelled", title="ประชุมใหญ่"))])
    [activity] = activities(db)
    assert (activity.status, activity.starts_at, activity.revision) == (
        ActivityStatus.CANCELLED, bangkok(2026, 12, 20, 14), 2)
    assert conversations(db) == 0
    assert dispatch_outbox(jobs) == {}
    assert sent_to(fake_line) == []


def test_a_change_made_by_someone_else_meanwhile_is_shown_again_before_saving(dialog, district, db, session_factory,
                                                                              clock) -> None:
    ident, code = seed_activity(session_factory, clock, district, answers=ANSWERS)
    dialog.run([
        (LEADER, f"แก้ไขกิจกรรม {code}", t("event.ask_field", title="ประชุมใหญ่")),
        (LEADER, "สถานที่", T["event.ask_new_place"]),
        (LEADER, "หอประชุมเขตบางนา", edit_preview("สถานที่", "ศาลาวัด", "หอประชุมเขตบางนา", WHO_MOVED)),
    ])
    with session_factory() as session, session.begin():  # the chair moves it to the temple's hall meanwhile
        activity = session.get(Activity, ident)
        activity.place_text = "ศาลาการเปรียญ"
        svc.touch(activity, clock())
    dialog.run([
        (LEADER, "ยืนยัน", T["event.edit_changed_meanwhile"] + "\n"
         + edit_preview("สถานที่", "ศาลาการเปรียญ", "หอประชุมเขตบางนา", WHO_MOVED)),
        (LEADER, "ยืนยัน", [t("event.edited", title="ประชุมใหญ่", field="สถานที่", value="หอประชุมเขตบางนา") + "\n"
                            + t("event.notified", count=2) + "\n" + HOST_TOLD + "\n"
                            + t("event.groups_notified", count=2), FLEX]),
    ])
    [activity] = activities(db)
    assert (activity.place_text, activity.revision) == ("หอประชุมเขตบางนา", 3)


def test_a_value_no_longer_possible_on_confirming_is_asked_again(dialog, district, db, session_factory,
                                                                 clock) -> None:
    ident, code = seed_activity(session_factory, clock, district, capacity=5, answers={"member": Answer.GOING})
    dialog.run([
        (LEADER, f"แก้ไขกิจกรรม {code}", t("event.ask_field", title="ประชุมใหญ่")),
        (LEADER, "จำนวนที่นั่ง", t("event.ask_new_capacity", current="5 คน")),
        (LEADER, "2", edit_preview("จำนวนที่นั่ง", "5 คน", "2 คน", who_answered(1))),
    ])
    with session_factory() as session, session.begin():  # two more answer going while the preview is read
        activity = session.get(Activity, ident)
        for who in ("partner", "other_leader"):
            person = session.scalars(select(Person).where(Person.line_user_id == USERS[who])).one()
            svc.answer(session, activity, person, Answer.GOING, clock(), community_id=district.wat.id)
    dialog.run([
        (LEADER, "ยืนยัน", t("event.capacity_below_taken", taken=3) + "\n"
         + t("event.ask_new_capacity", current="5 คน")),
        (LEADER, "3", edit_preview("จำนวนที่นั่ง", "5 คน", "3 คน", who_answered(3))),
        (LEADER, "ยืนยัน", [t("event.edited", title="ประชุมใหญ่", field="จำนวนที่นั่ง", value="3 คน") + "\n"
                            + t("event.notified", count=3), FLEX]),
    ])
    assert activities(db)[0].capacity == 3
    # A start that passed while the preview was read is asked again too.
    dialog.run([
        (LEADER, f"แก้ไขกิจกรรม {code}", t("event.ask_field", title="ประชุมใหญ่")),
        (LEADER, "วันเวลา", T["event.ask_when"]),
        (LEADER, "21 พ.ย. 69 10:20", edit_preview(
            "วันเวลา", OLD_WHEN, "วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 10:20–13:20 น.",
            "จะแจ้งกลุ่ม LINE 2 กลุ่ม ผู้ที่ตอบว่าไปหรือไม่แน่ใจ 3 คน และผู้นำชุมชนตลาดบางนา (ชุมชนเจ้าภาพ) 1 คน")),
    ])
    clock.advance(minutes=25)
    dialog.run([(LEADER, "ยืนยัน", t("event.when_past", when="วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 10:20 น.") + "\n"
                 + T["event.ask_when"])])
    assert activities(db)[0].starts_at == bangkok(2026, 12, 20, 14)


@pytest.mark.parametrize(("who", "text", "reply"), [
    (LEADER, "แก้ไขกิจกรรม", t("event.edit_usage", command="แก้ไขกิจกรรม")),
    (LEADER, "แก้ไขกิจกรรม QQQQ", t("event.unknown_code", code="QQQQ")),
    (LEADER, "ยกเลิกกิจกรรม QQQQ", t("event.unknown_code", code="QQQQ")),
    (LEADER, "ยกเลิกกิจกรรม", t("event.cancel_usage", command="ยกเลิกกิจกรรม")),
    (CANAL_LEADER, "แก้ไขกิจกรรม {code}", T["event.change_refused"]),   # leads another zone's community
    (CANAL_LEADER, "ยกเลิกกิจกรรม {code}", T["event.change_refused"]),
    (CANAL_LEADER, "แก้ไขกิจกรรม {code} วันเวลา", T["event.change_refused"]),   # naming the field changes nothing
    (LEADER, "แก้ไขกิจกรรม QQQQ วันเวลา", t("event.unknown_code", code="QQQQ")),
    (LEADER, "แก้ไขกิจกรรม QQQQ ZZ", t("event.unknown_code", code="QQQQ ZZ")),
    (MARKET_LEADER, "edit event {code}", e("event.ask_field", title="ประชุมใหญ่")),  # the host's leader may
])
def test_edit_and_cancel_need_a_known_code_and_the_right(dialog, district, db, session_factory, clock,
                                                          who, text, reply) -> None:
    ident, code = seed_activity(session_factory, clock, district)
    dialog.run([(who, text.format(code=code), reply)])
    assert activities(db)[0].revision == 1


# --- cancel ---------------------------------------------------------------------------------------

def test_cancel_tells_going_and_maybe_once(dialog, district, db, session_factory, clock, jobs, fake_line) -> None:
    ident, code = seed_activity(session_factory, clock, district, answers=ANSWERS)
    when = "วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00 น."
    dialog.run([(LEADER, f"ยกเลิกกิจกรรม {code}", t("event.ask_cancel", title="ประชุมใหญ่", when=when, count=2))])
    buttons = [item["action"] for item in last_message(fake_line)["quickReply"]["items"]]
    assert buttons == [
        {"type": "postback", "label": "ยืนยันยกเลิก", "data": f"a=event_cancel&id={ident}&l=th",
         "displayText": f"ยืนยันยกเลิกกิจกรรม {code}"},
        {"type": "postback", "label": "ไม่ยกเลิก", "data": f"a=event_keep&id={ident}&l=th", "displayText": "ไม่ยกเลิก"},
    ]
    assert activities(db)[0].status == ActivityStatus.PLANNED  # asking changes nothing
    # Someone else in the chat taps the button: refused.
    assert dialog.postback(MEMBER, f"a=event_cancel&id={ident}&l=th") == [T["event.change_refused"]]
    assert dialog.postback(LEADER, f"a=event_cancel&id={ident}&l=th") == [
        t("event.cancelled", title="ประชุมใหญ่") + "\n" + t("event.notified", count=2) + "\n" + HOST_TOLD + "\n"
        + t("event.groups_notified", count=2)]
    [activity] = activities(db)
    assert (activity.status, activity.revision) == (ActivityStatus.CANCELLED, 2)
    # A second tap cancels nothing more and tells nobody again.
    assert dialog.postback(LEADER, f"a=event_cancel&id={ident}&l=th") == [
        t("event.already_cancelled", title="ประชุมใหญ่")]
    before = len(fake_line.state.requests)
    assert dispatch_outbox(jobs) == {"sent": 4}
    notice = t("event.cancel_notice", title="ประชุมใหญ่", code=code, when=OLD_WHEN)
    # The zone's groups were shown the card, the host's leader was asked to host: they are told too, once.
    assert notices(fake_line, before) == [(GROUP_ZONE, [notice]), (GROUP_MARKET, [notice]), (MEMBER, [notice]),
                                          (PARTNER, [notice]), (MARKET_LEADER, [notice])]
    assert dispatch_outbox(jobs) == {}
    # A cancelled activity is no longer listed, nor editable.
    dialog.run([
        (MEMBER, "กิจกรรม", T["event.list_none"]),
        (LEADER, f"แก้ไขกิจกรรม {code}", t("event.already_cancelled", title="ประชุมใหญ่")),
    ])


# One seat: the member has it, the partner waits for it, the other leader may come.
WAITING = {"member": Answer.GOING, "partner": Answer.GOING, "other_leader": Answer.MAYBE}


def test_a_move_and_a_cancellation_count_the_waitlisted_apart(dialog, district, db, session_factory, clock, jobs,
                                                             fake_line) -> None:
    """Someone on the waitlist answered going but has no seat: told of the move like the others, but counted
    as waitlisted, not among those going or maybe (as attendees and the card say it)."""
    ident, code = seed_activity(session_factory, clock, district, capacity=1, answers=WAITING)
    dialog.run([
        (LEADER, f"แก้ไขกิจกรรม {code}", t("event.ask_field", title="ประชุมใหญ่")),
        (LEADER, "สถานที่", T["event.ask_new_place"]),
        (LEADER, "หอประชุมเขตบางนา", edit_preview(
            "สถานที่", "ศาลาวัด", "หอประชุมเขตบางนา",
            "จะแจ้งกลุ่ม LINE 2 กลุ่ม ผู้ที่ตอบว่าไปหรือไม่แน่ใจ 2 คน ผู้ที่อยู่ในรายชื่อสำรอง 1 คน "
            "และผู้นำชุมชนตลาดบางนา (ชุมชนเจ้าภาพ) 1 คน")),
        (LEADER, "ยืนยัน", [t("event.edited", title="ประชุมใหญ่", field="สถานที่", value="หอประชุมเขตบางนา") + "\n"
                            + "แจ้งผู้ที่ตอบว่าไปหรือไม่แน่ใจแล้ว 2 คน\nแจ้งผู้ที่อยู่ในรายชื่อสำรองแล้ว 1 คน\n"
                            + HOST_TOLD + "\n" + t("event.groups_notified", count=2), FLEX]),
    ])
    before = len(fake_line.state.requests)
    dispatch_outbox(jobs)
    assert [to for to, _ in notices(fake_line, before)] == sorted([GROUP_ZONE, GROUP_MARKET, MEMBER, PARTNER,
                                                                   CANAL_LEADER, MARKET_LEADER])
    dialog.run([(STAFF, f"cancel event {code}", e("event.ask_cancel", title="ประชุมใหญ่",
                                                  when="Sunday 20 December 2026, 14:00", count=2)
                 + "\nThe 1 people on the waiting list will be told too.")])
    assert dialog.postback(STAFF, f"a=event_cancel&id={ident}&l=en") == [
        e("event.cancelled", title="ประชุมใหญ่") + "\nTold the 2 people who answered going or maybe.\n"
        "Told the 1 people on the waiting list.\n" + HOST_TOLD_EN + "\n" + e("event.groups_notified", count=2)]


def test_cancel_in_english_and_keep(dialog, district, db, session_factory, clock) -> None:
    ident, code = seed_activity(session_factory, clock, district)
    dialog.run([(STAFF, f"cancel event {code}", e("event.ask_cancel", title="ประชุมใหญ่",
                                                  when="Sunday 20 December 2026, 14:00", count=0))])
    assert dialog.postback(STAFF, f"a=event_keep&id={ident}&l=en") == [e("event.cancel_kept", title="ประชุมใหญ่")]
    assert activities(db)[0].status == ActivityStatus.PLANNED
    # Nobody answered, but the host's leader and the zone's two groups are told: the reply says so, not that
    # nobody was.
    assert dialog.postback(STAFF, f"a=event_cancel&id={ident}&l=en") == [
        e("event.cancelled", title="ประชุมใหญ่") + "\n" + HOST_TOLD_EN + "\n" + e("event.groups_notified", count=2)]
    # A button for an activity that no longer exists.
    assert dialog.postback(STAFF, f"a=event_cancel&id={ident + 1000}&l=en") == [E["postback.unknown"]]


def test_a_creator_whose_role_was_taken_away_cannot_cancel_it_with_an_old_button(dialog, district, db,
                                                                                session_factory, clock) -> None:
    ident, _ = seed_activity(session_factory, clock, district)  # created by the leader of วัด, hosted by ตลาด
    with session_factory() as session, session.begin():
        session.execute(delete(Membership).where(Membership.person_id == district.people["leader"].id,
                                                 Membership.role == RoleName.COMMUNITY_LEADER))
    assert dialog.postback(LEADER, f"a=event_cancel&id={ident}&l=th") == [T["event.change_refused"]]
    assert activities(db)[0].status == ActivityStatus.PLANNED


def test_an_activity_that_is_over_cannot_be_changed(dialog, district, session_factory, clock) -> None:
    ident, code = seed_activity(session_factory, clock, district, days=1)
    clock.advance(days=2)
    dialog.run([(LEADER, f"แก้ไขกิจกรรม {code}", t("event.already_over", title="ประชุมใหญ่"))])

