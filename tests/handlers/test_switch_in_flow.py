"""Another command typed in the middle of a guided conversation: asked about, never taken as the answer.

Conversation tables through signed webhooks on two workers, with the real handlers. The question's two
buttons are pressed as LINE sends them (postbacks with the data the bot put on them), again and late.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from sqlalchemy import select

from handlers import REGISTRY, events, followups, notices, registration
from handlers.context import SKIP_WORDS
from handlers.dispatcher import POSTBACK_DATA_LIMIT, ASKED_KEY, SWITCH_ACTION, Dispatcher
from models import Conversation, Person
from support.activities import bkk, make_activity
from support.dialog import Dialog
from support.registry import USERS
from support.texts import e, t

NEW = "U" + "a" * 32
STAFF, LEADER = USERS["staff"], USERS["leader"]


@pytest.fixture
def dialog(checked_dialog: Dialog) -> Dialog:
    """Two workers; LINE (the fake, validating with the SDK's models) must accept every reply and push."""
    return checked_dialog


def buttons(dialog: Dialog) -> dict[str, str]:
    """Label → postback data (or the text a message button sends) of the quick replies on the bot's last message."""
    last = dialog.fake_line.state.requests[-1].body["messages"][-1]
    return {item["action"]["label"]: item["action"].get("data") or item["action"].get("text")
            for item in (last.get("quickReply") or {}).get("items", [])}


def conversation(db) -> tuple[str, str, dict] | None:
    """The only conversation: its flow, step and the handler's data."""
    db.expire_all()
    rows = db.scalars(select(Conversation)).all()
    assert len(rows) <= 1
    if not rows:
        return None
    row = rows[0]
    return row.flow, row.step, {k: v for k, v in row.data.items() if k != ASKED_KEY}


def asked(doing: str, command: str) -> str:
    return t("flow.switch_ask", doing=t(f"flow.doing.{doing}"), command=command)


def test_a_command_at_the_name_step_is_asked_about_and_no_name_is_stored(dialog, district, db) -> None:
    dialog.run([
        (NEW, "สมัคร", t("register.ask_name")),
        (NEW, "กิจกรรม", asked("registration", "กิจกรรม")),
    ])
    assert list(buttons(dialog)) == ["หยุดแล้วไป กิจกรรม", "ทำต่อ"]
    assert conversation(db) == ("registration", "awaiting_name", {})  # the row is as it was


def test_stop_and_go_runs_the_command_once_and_the_conversation_is_gone(dialog, district, db) -> None:
    dialog.run([(NEW, "สมัคร", t("register.ask_name")), (NEW, "กิจกรรมค่ะ", asked("registration", "กิจกรรม"))])
    go = buttons(dialog)["หยุดแล้วไป กิจกรรม"]
    assert dialog.postback(NEW, go) == [t("event.list_none_register")]
    assert conversation(db) is None
    # Pressed again (or on the second worker): nothing runs twice, and the reply says how to get there.
    assert dialog.postback(NEW, go) == [t("flow.switch_stale", command="กิจกรรม")]
    assert dialog.postback(NEW, buttons_of_question(dialog, NEW)["ทำต่อ"]) == [t("flow.switch_gone")]
    assert db.scalars(select(Person).where(Person.line_user_id == NEW)).first() is None


def buttons_of_question(dialog: Dialog, user: str) -> dict[str, str]:
    """Ask the question again in a fresh registration, then cancel it: the buttons of a gone conversation."""
    dialog.run([(user, "สมัคร", t("register.ask_name")), (user, "กิจกรรม", asked("registration", "กิจกรรม"))])
    found = buttons(dialog)
    dialog.run([(user, "ยกเลิก", t("flow.cancelled"))])
    return found


def test_keep_going_asks_the_step_again_and_the_next_answer_is_taken(dialog, district, db) -> None:
    dialog.run([(NEW, "สมัคร", t("register.ask_name")), (NEW, "กิจกรรม", asked("registration", "กิจกรรม"))])
    question = buttons(dialog)
    assert dialog.postback(NEW, question["ทำต่อ"]) == [t("flow.switch_stayed") + "\n" + t("register.ask_name")]
    assert list(buttons(dialog)) == ["ยกเลิก"]  # the step's own buttons, as it offered them
    assert dialog.postback(NEW, question["ทำต่อ"]) == [t("flow.switch_stayed") + "\n" + t("register.ask_name")]
    # Having chosen to go on, the question's "stop" button no longer stops it (it would lose the answers so far).
    assert dialog.postback(NEW, question["หยุดแล้วไป กิจกรรม"]) == [t("flow.switch_stale", command="กิจกรรม")]
    assert conversation(db) == ("registration", "awaiting_name", {})
    dialog.run([(NEW, "สมศรี ใจดี", t("register.ask_community_typed"))])
    assert conversation(db) == ("registration", "awaiting_community", {"full_name": "สมศรี ใจดี"})
    # The conversation moved on: the old "stop" button no longer stops it.
    assert dialog.postback(NEW, question["หยุดแล้วไป กิจกรรม"]) == [t("flow.switch_stale", command="กิจกรรม")]
    assert conversation(db) == ("registration", "awaiting_community", {"full_name": "สมศรี ใจดี"})


def test_the_buttons_after_the_conversation_expired(dialog, district, db, clock) -> None:
    dialog.run([(NEW, "สมัคร", t("register.ask_name")), (NEW, "กิจกรรม", asked("registration", "กิจกรรม"))])
    question = buttons(dialog)
    clock.advance(minutes=31)
    assert dialog.postback(NEW, question["หยุดแล้วไป กิจกรรม"]) == [t("flow.switch_stale", command="กิจกรรม")]
    assert dialog.postback(NEW, question["ทำต่อ"]) == [t("flow.switch_gone")]


def test_community_at_the_notice_scope_step_is_the_answer_but_not_at_the_text_step(dialog, district, db) -> None:
    dialog.run([
        (STAFF, "ประกาศ", t("notice.ask_scope")),
        (STAFF, "ชุมชนค่ะ", t("notice.ask_community")),      # offered there as a button: the answer
    ])
    dialog.run([(STAFF, "ยกเลิก", t("flow.cancelled")),
                (STAFF, "ประกาศ", t("notice.ask_scope")),
                (STAFF, "ชุมชน", t("notice.ask_community")),
                (STAFF, "วัดบางนา", t("notice.ask_roles", target=t("notice.target.community", name="ชุมชนวัดบางนา"))),
                (STAFF, "ทุกคน", t("notice.ask_text", limit=2000)),
                (STAFF, "ชุมชน", asked("notice", "ชุมชน"))])           # no button says it here: a command
    assert conversation(db)[1] == "awaiting_text"


def test_free_text_that_starts_with_a_keyword_stays_the_answer(dialog, district, db) -> None:
    dialog.run([
        (STAFF, "ประกาศ", t("notice.ask_scope")),
        (STAFF, "ทั้งเขต", t("notice.ask_roles", target=t("notice.target.organization", name="สำนักงานเขตบางนา"))),
        (STAFF, "ทุกคน", t("notice.ask_text", limit=2000)),
        (STAFF, "ประกาศ ปิดถนนหน้าวัดวันเสาร์นี้ครับ", t("notice.ask_attachment")),
    ])
    assert conversation(db)[2]["text"] == "ประกาศ ปิดถนนหน้าวัดวันเสาร์นี้ครับ"
    dialog.run([(STAFF, "ยกเลิก", t("flow.cancelled")),
                (STAFF, "ประกาศ", t("notice.ask_scope")),
                (STAFF, "ทั้งเขต", t("notice.ask_roles", target=t("notice.target.organization",
                                                                   name="สำนักงานเขตบางนา"))),
                (STAFF, "ทุกคน", t("notice.ask_text", limit=2000)),
                (STAFF, "ข่าว 2568", t("notice.ask_attachment"))])  # no activity 2568: not "ข่าว" with a code
    assert conversation(db)[2]["text"] == "ข่าว 2568"


def test_a_keyword_with_an_activity_code_is_the_command(dialog, district, db, session_factory) -> None:
    with session_factory() as session, session.begin():
        make_activity(session, district, "K7M2", "ประชุมเครือข่าย", bkk(2026, 12, 20, 14))
    dialog.run([(NEW, "สมัคร", t("register.ask_name")),
                (NEW, "กิจกรรม K7M2 ครับ", asked("registration", "กิจกรรม K7M2"))])
    question = buttons(dialog)
    assert list(question) == ["หยุดแล้วไป กิจกรรม K7M2", "ทำต่อ"]  # 23 code points, LINE's 20 clusters: whole
    # The command runs: someone with no district yet is told how to see its activities (not shown the card).
    assert dialog.postback(NEW, question["หยุดแล้วไป กิจกรรม K7M2"]) == [t("event.list_none_register")]
    assert conversation(db) is None


def test_the_command_may_start_another_conversation(dialog, district, db) -> None:
    dialog.say(LEADER, "ประกาศ")
    assert conversation(db)[:2] == ("notice", "awaiting_roles")
    dialog.run([(LEADER, "สร้างกิจกรรม", asked("notice", "สร้างกิจกรรม"))])
    go = buttons(dialog)["หยุดแล้วไป สร้างกิจกรรม"]
    assert dialog.postback(LEADER, go) == [t("event.ask_title", network="เครือข่ายโซน 1")]
    assert conversation(db) == ("new_event", "awaiting_title", {})
    assert dialog.postback(LEADER, go) == [t("flow.switch_stale", command="สร้างกิจกรรม")]  # not started twice
    assert conversation(db) == ("new_event", "awaiting_title", {})
    # A title that is a command alone is asked about too; one that says more is the title.
    dialog.run([(LEADER, "กิจกรรม", asked("new_event", "กิจกรรม"))])
    dialog.say(LEADER, "กิจกรรมวันเด็ก")
    assert conversation(db)[1:] == ("awaiting_when", {"title": "กิจกรรมวันเด็ก"})


def test_a_command_the_sender_may_not_use_is_refused_and_the_step_asked_again(dialog, district, db) -> None:
    dialog.run([
        (NEW, "สมัคร", t("register.ask_name")),
        (NEW, "ประกาศ", [t("command.refused", keyword="ประกาศ", role=t("role.3")), t("register.ask_name")]),
    ])
    assert conversation(db) == ("registration", "awaiting_name", {})


def test_an_english_speaker_is_asked_in_english(dialog, district, db) -> None:
    dialog.run([
        (NEW, "register", e("register.ask_name")),
        (NEW, "events", e("flow.switch_ask", doing=e("flow.doing.registration"), command="events")),
    ])
    question = buttons(dialog)
    assert list(question) == ["Go to events", "Keep going"]
    assert dialog.postback(NEW, question["Keep going"]) == [e("flow.switch_stayed") + "\n" + e("register.ask_name")]
    assert dialog.postback(NEW, question["Go to events"]) == [e("flow.switch_stale", command="events")]
    dialog.run([(NEW, "events", e("flow.switch_ask", doing=e("flow.doing.registration"), command="events"))])
    assert dialog.postback(NEW, buttons(dialog)["Go to events"]) == [e("event.list_none_register")]
    assert conversation(db) is None


def test_every_keyword_and_a_code_fit_the_buttons_data() -> None:
    from urllib.parse import urlencode

    for spec in REGISTRY.commands:
        for keyword in spec.keywords:
            data = urlencode({"a": SWITCH_ACTION, "c": 2_147_483_647, "v": 10 ** 17, "l": "th",
                              "t": f"{keyword} 6J24-U8EC"})
            assert len(data) <= POSTBACK_DATA_LIMIT, keyword
            assert dict(parse_qsl(data))["t"] == f"{keyword} 6J24-U8EC"


@pytest.mark.parametrize("words", [
    registration.YES_WORDS, registration.NO_WORDS, SKIP_WORDS, followups.DONE_WORDS, notices.NOW_WORDS,
    notices.SKIP_WORDS, events.YES_WORDS, events.SKIP_WORDS, events.CHANGE_TIME_WORDS,
    *[set(words) for words in events.FIELDS.values()],
], ids=lambda words: sorted(words)[0])
def test_no_word_a_step_takes_typed_is_a_command(words) -> None:
    """Answers a step reads without offering them as buttons must never be asked about (buttons are safe:
    what a step's buttons send is its answer there)."""
    dispatcher = Dispatcher(REGISTRY)
    assert [word for word in words if dispatcher._command_in(word) is not None] == []


def test_keep_going_gives_back_the_step_s_picker_and_location_buttons(dialog, district, db) -> None:
    dialog.run([(LEADER, "สร้างกิจกรรม", t("event.ask_title", network="เครือข่ายโซน 1")),
                (LEADER, "ประชุมเครือข่าย", t("event.ask_when"))])
    offered = buttons(dialog)
    dialog.run([(LEADER, "ข่าว", asked("new_event", "ข่าว"))])
    assert dialog.postback(LEADER, buttons(dialog)["ทำต่อ"]) == [t("flow.switch_stayed") + "\n" + t("event.ask_when")]
    assert buttons(dialog) == offered                # the datetime picker too, as LINE accepted it then
    assert conversation(db) == ("new_event", "awaiting_when", {"title": "ประชุมเครือข่าย"})


def test_help_mid_flow_says_what_is_open_and_asks_its_question_again(dialog, district, db) -> None:
    dialog.run([
        (NEW, "สมัคร", t("register.ask_name")),
        (NEW, "ช่วยเหลือค่ะ", t("flow.help_in_flow", doing=t("flow.doing.registration")) + "\n"
         + t("register.ask_name")),
    ])
    assert list(buttons(dialog)) == ["ยกเลิก"]  # the step's own buttons
    assert conversation(db) == ("registration", "awaiting_name", {})
