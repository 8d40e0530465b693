"""The after-activity report flow (`รายงาน <code>` / the report button) as conversation tables."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.catalog import en, th
from models import Activity, ActivityReport, ReportPhoto
from support import events as ev
from support.activities import ended_meeting
from support.registry import OUTSIDER, USERS, seed_district, seed_outsider

T, E = th.TEXT, en.TEXT
LEADER, MEMBER, OTHER = USERS["leader"], USERS["member"], USERS["other_leader"]


@pytest.fixture
def activity_id(session_factory, clock):
    with session_factory() as session, session.begin():
        return ended_meeting(session, seed_district(session, clock()), clock()).id


def image(user: str, message_id: str) -> dict:
    event = ev.sticker(user=user)
    event["message"] = {"id": message_id, "type": "image", "quoteToken": "q",
                        "contentProvider": {"type": "line"}}
    return event


def test_the_host_leader_reports_with_photos(dialog, activity_id, webhook, fake_line, db, clock) -> None:
    dialog.run([
        (LEADER, "รายงาน rpt1", T["report.ask_attended"].format(title="ประชุมโซน 1", count=1)),
        (LEADER, "๓๕", T["report.ask_summary"]),
        (LEADER, "ประชุมเรื่องน้ำท่วม มีผู้นำมาครบ", T["report.ask_lessons"]),
        (LEADER, "ควรแจ้งล่วงหน้าให้นานขึ้น", T["report.ask_photos"]),
    ])
    for message_id in ("70001", "70002"):
        assert webhook.post(image(LEADER, message_id)).status_code == 200
    assert fake_line.state.texts()[-2:] == [T["report.photo_received"].format(count=1),
                                            T["report.photo_received"].format(count=2)]
    dialog.run([(LEADER, "เสร็จ", T["report.saved"].format(title="ประชุมโซน 1", code="RPT1", photos=2))])
    report = db.scalars(select(ActivityReport)).one()
    assert (report.attended, report.summary, report.lessons) == (35, "ประชุมเรื่องน้ำท่วม มีผู้นำมาครบ",
                                                                 "ควรแจ้งล่วงหน้าให้นานขึ้น")
    assert [p.line_message_id for p in db.scalars(select(ReportPhoto).order_by(ReportPhoto.id))] == ["70001", "70002"]
    # Anyone in the network can read it afterwards.
    dialog.run([(MEMBER, "รายงาน RPT1", T["report.show"].format(
        title="ประชุมโซน 1", when="วันศุกร์ที่ 20 พฤศจิกายน 2569 เวลา 10:00 น.", attended=35,
        summary="ประชุมเรื่องน้ำท่วม มีผู้นำมาครบ", lessons="ควรแจ้งล่วงหน้าให้นานขึ้น", photos=2))])


def test_lessons_may_be_skipped(dialog, activity_id, db) -> None:
    dialog.run([
        (LEADER, "รายงาน RPT1", T["report.ask_attended"].format(title="ประชุมโซน 1", count=1)),
        (LEADER, "12", T["report.ask_summary"]),
        (LEADER, "ประชุมสั้น ๆ", T["report.ask_lessons"]),
    ])
    assert dialog.quick_replies() == ["ข้าม", "ยกเลิก"]
    dialog.run([(LEADER, "ข้าม", T["report.ask_photos"]),
                (LEADER, "เสร็จ", T["report.saved"].format(title="ประชุมโซน 1", code="RPT1", photos=0))])
    assert db.scalars(select(ActivityReport)).one().lessons == ""
    dialog.run([(MEMBER, "รายงาน RPT1", T["report.show"].format(
        title="ประชุมโซน 1", when="วันศุกร์ที่ 20 พฤศจิกายน 2569 เวลา 10:00 น.", attended=12,
        summary="ประชุมสั้น ๆ", lessons="-", photos=0))])


def test_the_report_button_starts_the_flow_and_cancel_ends_it(dialog, activity_id, db) -> None:
    assert dialog.postback(LEADER, f"a=report_start&id={activity_id}") == [
        T["report.ask_attended"].format(title="ประชุมโซน 1", count=1)]
    dialog.run([(LEADER, "cancel", T["flow.cancelled"])])  # the flow was started in Thai
    assert db.scalars(select(ActivityReport)).all() == []


@pytest.mark.parametrize("typed", ["25 คน", "๒๕ คน", "25คนครับ", "๒๕ ท่านค่ะ", "25 ครับ", "25 People"])
def test_a_head_count_may_say_people(dialog, activity_id, db, typed) -> None:
    dialog.say(LEADER, "รายงาน RPT1")
    dialog.run([(LEADER, typed, T["report.ask_summary"]),
                (LEADER, "ประชุมสั้น ๆ", T["report.ask_lessons"]),
                (LEADER, "ข้าม", T["report.ask_photos"]),
                (LEADER, "เสร็จ", T["report.saved"].format(title="ประชุมโซน 1", code="RPT1", photos=0))])
    assert db.scalars(select(ActivityReport.attended)).one() == 25


def test_a_code_with_a_polite_ending_starts_the_report(dialog, activity_id) -> None:
    dialog.run([(LEADER, "รายงาน RPT1 ครับ", T["report.ask_attended"].format(title="ประชุมโซน 1", count=1))])


def test_a_head_count_in_english(dialog, activity_id, db) -> None:
    dialog.run([(LEADER, "report RPT1", E["report.ask_attended"].format(title="ประชุมโซน 1", count=1)),
                (LEADER, "25 people", E["report.ask_summary"])])


@pytest.mark.parametrize(("command", "skip"), [("รายงาน RPT1", "ข้ามค่ะ"), ("รายงาน RPT1", "ไม่มี ครับ"),
                                               ("report RPT1", "Skip")])
def test_a_polite_skip_leaves_no_lessons(dialog, activity_id, db, command, skip) -> None:
    C = T if command.startswith("รายงาน") else E
    dialog.run([
        (LEADER, command, C["report.ask_attended"].format(title="ประชุมโซน 1", count=1)),
        (LEADER, "12", C["report.ask_summary"]),
        (LEADER, "ประชุมสั้น ๆ ครับ", C["report.ask_lessons"]),
        (LEADER, skip, C["report.ask_photos"]),
        (LEADER, "เสร็จค่ะ", C["report.saved"].format(title="ประชุมโซน 1", code="RPT1", photos=0)),
    ])
    report = db.scalars(select(ActivityReport)).one()
    assert (report.summary, report.lessons) == ("ประชุมสั้น ๆ ครับ", "")  # free text stays as typed


@pytest.mark.parametrize(
    ("answers", "reply"),
    [
        (["abc"], T["report.attended_invalid"].format(max="100,000")),
        (["25 คนนะ 30"], T["report.attended_invalid"].format(max="100,000")),
        (["คน"], T["report.attended_invalid"].format(max="100,000")),
        (["99999999"], T["report.attended_invalid"].format(max="100,000")),
        (["²"], T["report.attended_invalid"].format(max="100,000")),
        (["12", ""], T["report.ask_summary"]),
        (["12", "ก" * 2001], T["report.text_invalid"].format(limit=2000)),
    ],
)
def test_bad_answers_are_asked_again(dialog, activity_id, db, answers, reply) -> None:
    dialog.say(LEADER, "รายงาน RPT1")
    for answer in answers[:-1]:
        dialog.say(LEADER, answer)
    if answers[-1]:
        dialog.run([(LEADER, answers[-1], reply)])
    assert db.scalars(select(ActivityReport)).all() == []


@pytest.mark.parametrize(
    ("user", "text", "reply"),
    [
        (MEMBER, "รายงาน RPT1", T["report.not_yet"].format(title="ประชุมโซน 1")),   # not the host's leader
        (OTHER, "รายงาน RPT1", T["report.not_yet"].format(title="ประชุมโซน 1")),    # another community's leader
        (LEADER, "รายงาน", T["report.usage"].format(command="รายงาน", events="กิจกรรม")),
        (LEADER, "รายงาน ZZZZ", T["report.unknown_code"].format(code="ZZZZ")),
        (USERS["stranger"], "รายงาน RPT1", T["command.refused"].format(keyword="รายงาน", role=T["role.1"])),
    ],
)
def test_who_may_report_and_bad_input(dialog, activity_id, db, user, text, reply) -> None:
    dialog.run([(user, text, reply)])
    assert db.scalars(select(ActivityReport)).all() == []


def test_the_report_button_and_code_are_for_members_of_the_district(dialog, activity_id, session_factory, clock,
                                                                   db) -> None:
    with session_factory() as session, session.begin():
        seed_outsider(session, clock())
    # The button asks what the command asks (a registered member at least) ...
    assert dialog.postback(USERS["stranger"], f"a=report_start&id={activity_id}") == [
        T["command.refused"].format(keyword="รายงาน", role=T["role.1"])]
    # ... and, like the code, shows nothing of another district's activity.
    assert dialog.postback(OUTSIDER, f"a=report_start&id={activity_id}") == [T["postback.unknown"]]
    dialog.run([(OUTSIDER, "รายงาน RPT1", T["report.unknown_code"].format(code="RPT1"))])
    assert db.scalars(select(ActivityReport)).all() == []


def test_no_report_before_the_activity_ends(dialog, activity_id, session_factory, clock, db) -> None:
    with session_factory() as session, session.begin():
        activity = session.get(Activity, activity_id)
        activity.ends_at = clock() + timedelta(hours=1)
    dialog.run([(LEADER, "report RPT1", E["report.too_early"].format(title="ประชุมโซน 1"))])


def to_photos(dialog, command: str = "รายงาน RPT1") -> None:
    """The leader answers every step before the photos (in English when the command was)."""
    C = T if command.startswith("รายงาน") else E
    dialog.run([
        (LEADER, command, C["report.ask_attended"].format(title="ประชุมโซน 1", count=1)),
        (LEADER, "35", C["report.ask_summary"]),
        (LEADER, "ประชุมเรื่องน้ำท่วม", C["report.ask_lessons"]),
        (LEADER, "ควรแจ้งล่วงหน้า", C["report.ask_photos"]),
    ])


def test_text_at_the_photo_step_says_what_is_awaited_and_keeps_the_photos(dialog, activity_id, webhook, db) -> None:
    to_photos(dialog)
    dialog.run([(LEADER, "ส่งเลย", T["report.photos_not_text"].format(limit=10, done="เสร็จ"))])
    assert dialog.quick_replies() == ["เสร็จ", "ยกเลิก"]
    assert webhook.post(image(LEADER, "70001")).status_code == 200
    dialog.run([(LEADER, "รูปอยู่ในอีกเครื่อง", T["report.photos_not_text_some"].format(count=1, limit=10,
                                                                                      done="เสร็จ"))])
    assert db.scalars(select(ActivityReport)).all() == []
    dialog.run([(LEADER, "เสร็จ", T["report.saved"].format(title="ประชุมโซน 1", code="RPT1", photos=1))])
    assert [p.line_message_id for p in db.scalars(select(ReportPhoto))] == ["70001"]


@pytest.mark.parametrize("word", ["ไม่มีรูป", "ไม่มีรูปครับ", "เสร็จแล้วค่ะ", "-", "ไม่มี", "Done"])
def test_done_and_skip_words_send_the_report(dialog, activity_id, db, word) -> None:
    to_photos(dialog)
    dialog.run([(LEADER, word, T["report.saved"].format(title="ประชุมโซน 1", code="RPT1", photos=0))])
    report = db.scalars(select(ActivityReport)).one()
    assert (report.attended, report.summary, report.lessons) == (35, "ประชุมเรื่องน้ำท่วม", "ควรแจ้งล่วงหน้า")


def test_the_photo_step_in_english(dialog, activity_id, db) -> None:
    to_photos(dialog, "report RPT1")
    dialog.run([(LEADER, "send now", E["report.photos_not_text"].format(limit=10, done="done")),
                (LEADER, "no photos", E["report.saved"].format(title="ประชุมโซน 1", code="RPT1", photos=0))])
    assert db.scalars(select(ActivityReport)).one().attended == 35
