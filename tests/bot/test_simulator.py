"""The simulator's server side: only in local mode, CSRF on its API, events signed as LINE signs them,
the fake LINE's record turned into chats, and a clock every process moves together."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from linebot.v3 import SignatureValidator
from sqlalchemy import select
from support.clock import Clock

from bot import create_app, demo
from bot.config import LOCAL_ACCESS_TOKEN, LOCAL_CHANNEL_SECRET, TIMEZONE, Config
from bot.simulator import transcript
from bot.simulator.clock import OFFSET_KEY, SimulatedClock
from handlers.thaitime import format_when_in
from handlers.catalog import text_for
from handlers.services.activities import linked_chats
from models import Activity, ChannelState


@pytest.fixture
def local_app(db_url, fake_line):
    """The app as `scripts/run` builds it: local mode, no injected clock (the simulator's own)."""
    config = Config(channel_secret=LOCAL_CHANNEL_SECRET, access_token=LOCAL_ACCESS_TOKEN,
                    line_api_base_url=fake_line.url, line_data_base_url=fake_line.url, database_url=db_url,
                    local_mode=True, request_timeout=2.0)
    fake_line.state.access_token = LOCAL_ACCESS_TOKEN
    app = create_app({"SAIYAI_CONFIG": config})
    yield app
    app.extensions["saiyai"].line.close()
    app.extensions["saiyai.engine"].dispose()


def csrf_token(client) -> str:
    page = client.get("/simulator/")
    assert page.status_code == 200
    return re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True)).group(1)


@pytest.mark.parametrize("path", ["/simulator/", "/simulator/api/personas", "/simulator/api/clock",
                                  "/simulator/static/simulator.js"])
def test_with_real_credentials_the_simulator_does_not_exist(app, path) -> None:
    # `app` (tests/conftest.py) has LINE credentials: production mode.
    assert app.config["SAIYAI"].local_mode is False
    assert app.test_client().get(path).status_code == 404
    assert "simulator" not in app.blueprints
    assert app.test_client().post("/simulator/api/sign", json={"kind": "text"}).status_code == 404


def test_in_local_mode_the_page_is_served_with_its_own_script(local_app) -> None:
    client = local_app.test_client()
    page = client.get("/simulator/").get_data(as_text=True)
    # Everything the page loads comes from the app itself: no CDN.
    assert re.findall(r'(?:src|href)="([^"]+)"', page) == [
        "/static/favicon.png", "/simulator/static/simulator.css", "/simulator/static/simulator.js"]
    script = client.get("/simulator/static/simulator.js")
    script.close()  # a file response: its handle closes with it
    assert (script.status_code, script.mimetype) == (200, "text/javascript")
    with client.get("/static/favicon.png") as icon, client.get("/simulator/static/simulator.css") as css:
        assert (icon.status_code, icon.mimetype, css.status_code) == (200, "image/png", 200)


def test_the_api_refuses_a_post_without_the_csrf_token(local_app, fake_line) -> None:
    client = local_app.test_client()
    event = {"kind": "text", "user": "U" + "1" * 32, "text": "ช่วยเหลือ"}
    assert client.post("/simulator/api/sign", json=event).status_code == 400
    assert client.post("/simulator/api/clock", json={"step": "hour"}).status_code == 400
    assert fake_line.state.said == []


def test_a_signed_event_passes_the_webhook_and_the_answer_lands_in_its_chat(local_app, fake_line) -> None:
    client = local_app.test_client()
    token = csrf_token(client)
    user = "U" + "1" * 32
    signed = client.post("/simulator/api/sign", json={"kind": "text", "user": user, "chat": None, "name": "สมชาย",
                                                       "text": "ช่วยเหลือ"}, headers={"X-CSRFToken": token}).get_json()
    assert SignatureValidator(LOCAL_CHANNEL_SECRET).validate(signed["body"], signed["signature"])
    # The webhook itself needs no CSRF token: LINE's signature is its proof.
    answer = client.post("/callback", data=signed["body"].encode(),
                         headers={"X-Line-Signature": signed["signature"], "Content-Type": "application/json"})
    assert answer.status_code == 200
    [reply] = fake_line.state.deliveries("reply")
    assert transcript.chat_of_token(reply.body["replyToken"]) == user
    feed = client.get("/simulator/api/feed?since=0&said=0").get_json()
    assert [(item["chat"], item["from"], item["message"]["type"]) for item in feed["items"]] == [
        (user, user, "text"), *[(user, "bot", m["type"]) for m in reply.body["messages"]]]
    assert feed["items"][0]["message"]["text"] == "ช่วยเหลือ"
    assert (feed["since"], feed["said"]) == (len(fake_line.state.requests), 1)
    assert client.get(f"/simulator/api/feed?since={feed['since']}&said=1").get_json()["items"] == []


@pytest.mark.parametrize("event", [
    {"kind": "text", "user": "U" + "1" * 32, "text": "   "},
    {"kind": "poke", "user": "U" + "1" * 32},
    {"kind": "text", "user": "someone", "text": "hi"},
    {"kind": "text", "user": "U" + "1" * 32, "chat": "X123", "text": "hi"},
    {"kind": "location", "user": "U" + "1" * 32, "latitude": "north"},
])
def test_odd_events_are_refused(local_app, fake_line, event) -> None:
    client = local_app.test_client()
    assert client.post("/simulator/api/sign", json=event, headers={"X-CSRFToken": csrf_token(client)}).status_code == 400
    assert fake_line.state.said == []


def test_the_transcript_puts_replies_pushes_and_multicasts_in_their_chats() -> None:
    u1, u2, group = "U" + "1" * 32, "U" + "2" * 32, "C" + "3" * 32
    sent = [
        {"method": "POST", "path": "/v2/bot/message/reply", "delivered": True,
         "body": {"replyToken": transcript.reply_token(u1), "messages": [{"type": "text", "text": "a"}]}},
        {"method": "POST", "path": "/v2/bot/message/push", "delivered": False,  # refused: LINE showed nothing
         "body": {"to": group, "messages": [{"type": "text", "text": "lost"}]}},
        {"method": "POST", "path": "/v2/bot/message/push", "delivered": True,
         "body": {"to": group, "messages": [{"type": "text", "text": "b"}, {"type": "text", "text": "c"}]}},
        {"method": "POST", "path": "/v2/bot/message/multicast", "delivered": True,
         "body": {"to": [u1, u2], "messages": [{"type": "text", "text": "d"}]}},
        {"method": "GET", "path": "/v2/bot/message/quota", "delivered": False, "body": None},
    ]
    # "hi" was said before any of these requests, "yo" right after the first (the reply).
    said = [{"chat": u1, "user": u1, "name": "ก", "type": "text", "text": "hi", "after": 10},
            {"chat": group, "user": u2, "name": "ข", "type": "text", "text": "yo", "after": 11}]
    items = transcript.items(sent, 10, said, 0)
    assert [(i["chat"], i["from"], i["message"].get("text")) for i in items] == [
        (u1, u1, "hi"), (u1, "bot", "a"), (group, u2, "yo"), (group, "bot", "b"), (group, "bot", "c"),
        (u1, "bot", "d"), (u2, "bot", "d")]
    assert transcript.chat_of_token("0123456789abcdef") is None  # a token LINE made, not the simulator


def test_the_clock_moves_for_every_process_on_the_database(local_app) -> None:
    engine = local_app.extensions["saiyai.engine"]
    real = Clock()
    web, scheduler = SimulatedClock(engine, base=real, ttl=0), SimulatedClock(engine, base=real, ttl=0)
    assert web() == scheduler() == real()
    moved = web.advance(timedelta(days=1))
    assert moved == scheduler() == real() + timedelta(days=1)
    real.advance(minutes=5)  # real time goes on under the offset
    assert scheduler() == real() + timedelta(days=1)
    assert web.move_to(real() - timedelta(hours=3)) == real() + timedelta(days=1)  # never backwards
    with local_app.extensions["saiyai"].session_factory() as session:
        assert session.get(ChannelState, OFFSET_KEY).value == str(timedelta(days=1).total_seconds())


def test_moving_the_clock_runs_the_due_reminder_once(local_app, fake_line) -> None:
    """The clock control moves the app's clock and runs due jobs: the demo's full training is reminded
    in its zone's groups when its two-hour reminder falls due."""
    saiyai = local_app.extensions["saiyai"]
    with saiyai.session_factory() as session, session.begin():
        demo.load(session, saiyai.clock())
    with saiyai.session_factory() as session:
        full = session.scalars(select(Activity).where(Activity.capacity == 20)).one()
    client = local_app.test_client()
    token = csrf_token(client)
    moment = (full.starts_at - timedelta(minutes=110)).astimezone(TIMEZONE)
    moved = client.post("/simulator/api/clock", json={"step": "to", "moment": moment.strftime("%Y-%m-%dT%H:%M")},
                        headers={"X-CSRFToken": token}).get_json()
    assert moved["local"] == moment.strftime("%Y-%m-%dT%H:%M")
    reminders = [r for r in fake_line.state.deliveries("push") if "เตือนความจำ" in r.body["messages"][0].get("text", "")]
    assert moved["ran"]["send_reminders"] == len(reminders) > 0
    again = client.post("/simulator/api/clock", json={"step": "hour"}, headers={"X-CSRFToken": token}).get_json()
    assert again["ran"]["send_reminders"] == 0
    assert len([r for r in fake_line.state.deliveries("push")
                if "เตือนความจำ" in r.body["messages"][0].get("text", "")]) == len(reminders)
    assert client.post("/simulator/api/clock", json={"step": "sideways"},
                       headers={"X-CSRFToken": token}).status_code == 400



def test_the_next_reminder_button_goes_to_the_soonest_reminder_and_sends_it(local_app, fake_line) -> None:
    saiyai = local_app.extensions["saiyai"]
    with saiyai.session_factory() as session, session.begin():
        demo.load(session, saiyai.clock())
    with saiyai.session_factory() as session:
        now = saiyai.clock()
        upcoming = session.scalars(select(Activity).where(Activity.starts_at > now)).all()
        due = sorted((a.starts_at - timedelta(minutes=offset), a.id) for a in upcoming for offset in a.reminder_offsets
                     if a.starts_at - timedelta(minutes=offset) >= a.created_at)
        moment, activity_id = due[0]
        activity = session.get(Activity, activity_id)
        groups = sorted(link.chat_id for link in linked_chats(session, activity))
    client = local_app.test_client()
    moved = client.post("/simulator/api/clock", json={"step": "next"},
                        headers={"X-CSRFToken": csrf_token(client)}).get_json()
    # Real time goes on under the offset while the jobs run: the same minute.
    assert moved["local"] == moment.astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M")
    reminder = text_for("th", "followup.reminder", title=activity.title, when=format_when_in("th", activity.starts_at),
                        place=activity.place_text, code=activity.code)
    assert sorted(r.body["to"] for r in fake_line.state.deliveries("push")
                  if r.body["messages"][0].get("text") == reminder) == groups


def test_with_no_reminder_ahead_the_clock_stays(local_app) -> None:
    client = local_app.test_client()
    before = client.get("/simulator/api/clock").get_json()
    answer = client.post("/simulator/api/clock", json={"step": "next"}, headers={"X-CSRFToken": csrf_token(client)})
    assert answer.status_code == 409
    assert client.get("/simulator/api/clock").get_json()["offsetSeconds"] == before["offsetSeconds"] == 0


@pytest.mark.parametrize(("event", "shown", "line_type"), [
    ({"kind": "image"}, {"type": "image"}, "image"),
    ({"kind": "location", "latitude": "13.66", "longitude": "100.60", "title": "ศาลา"},
     {"type": "location", "latitude": 13.66, "longitude": 100.6, "title": "ศาลา", "address": ""}, "location"),
    ({"kind": "postback", "data": "a=flow", "params": {"datetime": "2027-01-09T08:30", "evil": "x"}},
     {"type": "text", "text": "2027-01-09T08:30"}, None),
])
def test_photos_locations_and_picked_dates_become_the_events_line_sends(local_app, fake_line, event, shown,
                                                                        line_type) -> None:
    client = local_app.test_client()
    user = "U" + "1" * 32
    signed = client.post("/simulator/api/sign", json={**event, "user": user, "name": "ก"},
                         headers={"X-CSRFToken": csrf_token(client)}).get_json()
    [sent] = json.loads(signed["body"])["events"]
    if line_type is not None:
        assert (sent["type"], sent["message"]["type"]) == ("message", line_type)
    else:
        assert sent["postback"] == {"data": "a=flow", "params": {"datetime": "2027-01-09T08:30"}}
    assert sent["replyToken"].startswith(f"sim.{user}.")
    assert fake_line.state.said == [{**shown, "chat": user, "user": user, "name": "ก", "after": 0}]
    answer = client.post("/callback", data=signed["body"].encode(),
                         headers={"X-Line-Signature": signed["signature"], "Content-Type": "application/json"})
    assert answer.status_code == 200


def test_staff_granted_before_registering_are_listed_by_a_label_not_a_bare_user_id(local_app, fake_line) -> None:
    """`flask org grant-staff` makes staff of a LINE user id alone: the persona list showed that bare id."""
    runner, staff = local_app.test_cli_runner(), "U" + "0123456789abcdef" * 2
    assert runner.invoke(args=["org", "create", "เขตสายใย"]).exit_code == 0
    assert runner.invoke(args=["org", "grant-staff", "เขตสายใย", staff]).exit_code == 0
    assert local_app.test_client().get("/simulator/api/personas").get_json() == [{
        "user": staff, "name": "ผู้ใช้ LINE …cdef (ยังไม่มีชื่อ · no name yet)", "district": "เขตสายใย",
        "role": "staff", "roleLabel": "เจ้าหน้าที่เขต (staff)", "title": None, "community": None, "network": None,
        "lang": "th", "blocked": False, "communityGroup": False}]


def test_the_root_address_leads_to_the_simulator_locally_and_to_the_desk_in_production(local_app, app) -> None:
    # A newcomer opens http://127.0.0.1:5000/ first: it answered 404.
    local = local_app.test_client().get("/")
    assert (local.status_code, local.headers["Location"]) == (302, "/simulator/")
    production = app.test_client().get("/")
    assert (production.status_code, production.headers["Location"]) == (302, "/desk/")
    signed_out = app.test_client().get("/desk/", follow_redirects=True)  # explains signing in from LINE
    assert signed_out.status_code == 200 and "เข้าเว็บ" in signed_out.get_data(as_text=True)
