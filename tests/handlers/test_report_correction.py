"""Correcting a sent after-activity report (`รายงาน <code> แก้ไข` / the button under the report)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from handlers.thaitime import format_when, format_when_en
from handlers.catalog import en, th
from handlers.services import registry as reg
from models import ActivityReport, Person, ReportPhoto, RoleName
from support import events as ev
from support.activities import ended_meeting
from support.registry import OUTSIDER, USERS, seed_district, seed_outsider

T, E = th.TEXT, en.TEXT
LEADER, MEMBER, OTHER, CHAIR, STAFF = (USERS[k] for k in ("leader", "member", "other_leader", "chair", "staff"))
TITLE = "ประชุมโซน 1"
WHEN = "วันศุกร์ที่ 20 พฤศจิกายน 2569 เวลา 10:00 น."  # the activity's start (the report shows it)
SUMMARY, LESSONS = "ประชุมเรื่องน้ำท่วม", "ควรแจ้งล่วงหน้า"


@pytest.fixture
def activity_id(session_factory, clock):
    """RPT1, ended yesterday, hosted by the leader's community, with a report sent an hour ago
    (35 people, two photos, one of them already fetched)."""
    with session_factory() as session, session.begin():
        d = seed_district(session, clock())
        activity = ended_meeting(session, d, clock())
        sent = clock() - timedelta(hours=1)
        report = ActivityReport(activity_id=activity.id, reporter_id=d.people["leader"].id, attended=35,
                                summary=SUMMARY, lessons=LESSONS, submitted_at=sent)
        report.photos = [
            ReportPhoto(line_message_id="70001", received_at=sent, attempts=1, storage_path="/x/70001.jpg",
                        fetched_at=sent),
            ReportPhoto(line_message_id="70002", received_at=sent, attempts=0),
        ]
        session.add(report)
        return activity.id


def image(user: str, message_id: str) -> dict:
    event = ev.sticker(user=user)
    event["message"] = {"id": message_id, "type": "image", "quoteToken": "q", "contentProvider": {"type": "line"}}
    return event


def shown(attended: int = 35, summary: str = SUMMARY, lessons: str = LESSONS, photos: int = 2,
          corrected: datetime | None = None) -> str:
    text = T["report.show"].format(title=TITLE, when=WHEN, attended=attended, summary=summary, lessons=lessons,
                                   photos=photos)
    return text if corrected is None else text + "\n" + T["report.show_corrected"].format(when=format_when(corrected))


def the_report(db) -> ActivityReport:
    db.expire_all()
    return db.scalars(select(ActivityReport)).one()


def person_id(db, user: str) -> int:
    return db.scalars(select(Person.id).where(Person.line_user_id == user)).one()


def last_buttons(fake_line) -> list[dict]:
    last = fake_line.state.requests[-1].body["messages"][-1]
    return [item["action"] for item in (last.get("quickReply") or {}).get("items", [])]


def fix_attended(attended: int = 35, C: dict = T) -> str:
    return C["report.fix_attended"].format(title=TITLE, attended=attended, keep=C["report.keep_label"])


def fix_summary(summary: str = SUMMARY, C: dict = T) -> str:
    return C["report.fix_summary"].format(summary=summary, keep=C["report.keep_label"])


def fix_lessons(lessons: str = LESSONS, C: dict = T) -> str:
    return C["report.fix_lessons"].format(lessons=lessons, keep=C["report.keep_label"], none=C["report.none_label"])


def fix_photos(count: int = 2, C: dict = T) -> str:
    return C["report.fix_photos"].format(count=count, room=10 - count, done=C["report.done_label"])


def saved(*changes: str, C: dict = T) -> str:
    return C["report.fix_saved"].format(title=TITLE, code="RPT1", changes=", ".join(changes))


# --- who sees the way to correct --------------------------------------------------------------

def test_the_host_leader_sees_the_report_with_a_correct_button(dialog, activity_id, fake_line, clock) -> None:
    until = format_when(clock() - timedelta(hours=1) + timedelta(days=30))
    dialog.run([(LEADER, "รายงาน RPT1", shown() + "\n\n" + T["report.correct_hint"].format(code="RPT1", until=until))])
    assert last_buttons(fake_line) == [{"type": "postback", "label": "แก้ไขรายงาน",
                                        "data": f"a=report_correct&id={activity_id}&l=th",
                                        "displayText": "แก้ไขรายงาน RPT1"}]


@pytest.mark.parametrize("user", [MEMBER, OTHER])
def test_members_and_other_leaders_just_see_the_report(dialog, activity_id, user) -> None:
    dialog.run([(user, "รายงาน RPT1", shown())])
    assert dialog.quick_replies() == []


# --- correcting -------------------------------------------------------------------------------

def test_a_leader_corrects_the_head_count_and_lessons_and_adds_a_photo(dialog, activity_id, webhook, fake_line, db,
                                                                      clock) -> None:
    before = the_report(db)
    sent_at, first_id = before.submitted_at, before.id
    clock.advance(hours=2)
    assert dialog.postback(LEADER, f"a=report_correct&id={activity_id}&l=th") == [fix_attended()]
    assert dialog.quick_replies() == ["ไม่เปลี่ยน", "ยกเลิก"]
    dialog.run([(LEADER, "๔๐ คน", fix_summary())])
    assert dialog.quick_replies() == ["ไม่เปลี่ยน", "ยกเลิก"]
    dialog.run([(LEADER, "ไม่เปลี่ยน", fix_lessons())])
    assert dialog.quick_replies() == ["ไม่เปลี่ยน", "ไม่มี", "ยกเลิก"]
    dialog.run([(LEADER, "ควรแจ้งล่วงหน้าอย่างน้อย 1 สัปดาห์", fix_photos())])
    assert dialog.quick_replies() == ["เสร็จ", "ยกเลิก"]
    assert webhook.post(image(LEADER, "70003")).status_code == 200
    assert fake_line.state.texts()[-1] == T["report.fix_photo_received"].format(count=1, total=3, done="เสร็จ")
    dialog.run([(LEADER, "เสร็จ", saved("ผู้มาร่วม 40 คน", "บทเรียน", "รูปเพิ่ม 1 รูป"))])

    report = the_report(db)
    assert report.id == first_id and db.scalars(select(ActivityReport)).all() == [report]  # in place, one row
    assert (report.attended, report.summary, report.lessons) == (40, SUMMARY, "ควรแจ้งล่วงหน้าอย่างน้อย 1 สัปดาห์")
    assert (report.reporter_id, report.submitted_at) == (person_id(db, LEADER), sent_at)
    assert (report.corrected_by_id, report.corrected_at) == (person_id(db, LEADER), clock())
    # The photos already there stay as they were (the fetched one keeps its file); the new one waits to be fetched.
    assert [(p.line_message_id, p.storage_path) for p in report.photos] == [
        ("70001", "/x/70001.jpg"), ("70002", None), ("70003", None)]
    # Everyone sees the corrected report and when it was corrected (พ.ศ.); nobody was pushed anything.
    dialog.run([(MEMBER, "รายงาน RPT1", shown(attended=40, lessons="ควรแจ้งล่วงหน้าอย่างน้อย 1 สัปดาห์", photos=3,
                                              corrected=clock()))])
    assert "แก้ไขเมื่อวันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 12:00 น." in fake_line.state.texts()[-1]
    assert {r.path for r in fake_line.state.requests} == {"/v2/bot/message/reply"}


@pytest.mark.parametrize("typed", ["รายงาน RPT1 แก้ไข", "รายงาน rpt1 แก้ไขครับ", "รายงาน แก้ไข RPT1"])
def test_the_typed_form_starts_the_correction(dialog, activity_id, typed) -> None:
    dialog.run([(LEADER, typed, fix_attended())])


def test_a_correction_in_english(dialog, activity_id, db) -> None:
    dialog.run([
        (LEADER, "report RPT1 correct", fix_attended(C=E)),
        (LEADER, "keep", fix_summary(C=E)),
        (LEADER, "Short meeting about the flood", fix_lessons(C=E)),
        (LEADER, "none", fix_photos(C=E)),
        (LEADER, "done", saved("summary", "lessons", C=E)),
    ])
    report = the_report(db)
    assert (report.attended, report.summary, report.lessons) == (35, "Short meeting about the flood", "")


def test_the_english_button_answers_in_english(dialog, activity_id, fake_line) -> None:
    dialog.run([(LEADER, "report RPT1", E["report.show"].format(
        title=TITLE, when="Friday 20 November 2026, 10:00", attended=35, summary=SUMMARY, lessons=LESSONS, photos=2)
        + "\n\n" + E["report.correct_hint"].format(code="RPT1", until="Monday 21 December 2026, 09:00"))])
    data = last_buttons(fake_line)[0]["data"]
    assert data.endswith("&l=en")
    assert dialog.postback(LEADER, data) == [fix_attended(C=E)]


@pytest.mark.parametrize("keep", ["ไม่เปลี่ยน", "ไม่เปลี่ยนครับ", "ข้าม", "เหมือนเดิมค่ะ", "keep"])
def test_keeping_everything_changes_nothing(dialog, activity_id, db, keep) -> None:
    dialog.run([
        (LEADER, "รายงาน RPT1 แก้ไข", fix_attended()),
        (LEADER, keep, fix_summary()),
        (LEADER, keep, fix_lessons()),
        (LEADER, keep, fix_photos()),
        (LEADER, keep, T["report.fix_unchanged"].format(title=TITLE)),
    ])
    report = the_report(db)
    assert (report.attended, report.summary, report.lessons, report.corrected_at) == (35, SUMMARY, LESSONS, None)
    dialog.run([(MEMBER, "รายงาน RPT1", shown())])  # no "corrected" line


def test_the_same_value_typed_again_is_no_change(dialog, activity_id, db) -> None:
    dialog.run([
        (LEADER, "รายงาน RPT1 แก้ไข", fix_attended()),
        (LEADER, "35", fix_summary()),
        (LEADER, SUMMARY, fix_lessons()),
        (LEADER, LESSONS, fix_photos()),
        (LEADER, "เสร็จ", T["report.fix_unchanged"].format(title=TITLE)),
    ])
    assert the_report(db).corrected_at is None


def test_lessons_can_be_taken_out(dialog, activity_id, db) -> None:
    dialog.run([
        (LEADER, "รายงาน RPT1 แก้ไข", fix_attended()),
        (LEADER, "ไม่เปลี่ยน", fix_summary()),
        (LEADER, "ไม่เปลี่ยน", fix_lessons()),
        (LEADER, "ไม่มี", fix_photos()),
        (LEADER, "เสร็จ", saved("บทเรียน")),
    ])
    assert the_report(db).lessons == ""
    dialog.run([(LEADER, "รายงาน RPT1 แก้ไข", fix_attended()),
                (LEADER, "ไม่เปลี่ยน", fix_summary()),
                (LEADER, "ไม่เปลี่ยน", fix_lessons(lessons="-"))])


def test_a_bad_head_count_is_asked_again_with_the_keep_button(dialog, activity_id, db) -> None:
    dialog.run([(LEADER, "รายงาน RPT1 แก้ไข", fix_attended()),
                (LEADER, "สี่สิบ", T["report.attended_invalid"].format(max="100,000"))])
    assert dialog.quick_replies() == ["ไม่เปลี่ยน", "ยกเลิก"]
    dialog.run([(LEADER, "ไม่เปลี่ยน", fix_summary()),
                (LEADER, "ก" * 2001, T["report.text_invalid"].format(limit=2000))])
    assert dialog.quick_replies() == ["ไม่เปลี่ยน", "ยกเลิก"]


@pytest.mark.parametrize("answers", [[], ["40"], ["40", "สรุปใหม่"], ["40", "สรุปใหม่", "บทเรียนใหม่"],
                                     ["40", "สรุปใหม่", "บทเรียนใหม่", "รูป"]])
def test_cancel_at_any_step_changes_nothing(dialog, activity_id, webhook, db, answers) -> None:
    dialog.say(LEADER, "รายงาน RPT1 แก้ไข")
    for answer in answers:
        if answer == "รูป":
            assert webhook.post(image(LEADER, "70003")).status_code == 200
        else:
            dialog.say(LEADER, answer)
    dialog.run([(LEADER, "ยกเลิก", T["flow.cancelled"])])
    report = the_report(db)
    assert (report.attended, report.summary, report.lessons, report.corrected_at) == (35, SUMMARY, LESSONS, None)
    assert [p.line_message_id for p in report.photos] == ["70001", "70002"]


def test_photos_stop_at_ten_in_all(dialog, activity_id, webhook, fake_line, db) -> None:
    dialog.run([(LEADER, "รายงาน RPT1 แก้ไข", fix_attended()),
                (LEADER, "ไม่เปลี่ยน", fix_summary()),
                (LEADER, "ไม่เปลี่ยน", fix_lessons()),
                (LEADER, "ไม่เปลี่ยน", fix_photos())])
    for n in range(9):
        assert webhook.post(image(LEADER, f"7100{n}")).status_code == 200
    assert fake_line.state.texts()[-2:] == [T["report.fix_photo_received"].format(count=8, total=10, done="เสร็จ"),
                                            T["report.photos_full"].format(limit=10)]
    dialog.run([(LEADER, "ส่งเลย", T["report.photos_full"].format(limit=10)),
                (LEADER, "เสร็จ", saved("รูปเพิ่ม 8 รูป"))])
    assert len(the_report(db).photos) == 10
    # A report with ten photos asks for no more: the lessons answer saves the correction.
    dialog.run([(LEADER, "รายงาน RPT1 แก้ไข", fix_attended()),
                (LEADER, "36", fix_summary()),
                (LEADER, "ไม่เปลี่ยน", fix_lessons()),
                (LEADER, "ไม่เปลี่ยน", saved("ผู้มาร่วม 36 คน"))])


def test_text_at_the_photo_step_says_what_is_awaited(dialog, activity_id, webhook) -> None:
    dialog.run([(LEADER, "รายงาน RPT1 แก้ไข", fix_attended()),
                (LEADER, "ไม่เปลี่ยน", fix_summary()),
                (LEADER, "ไม่เปลี่ยน", fix_lessons()),
                (LEADER, "ไม่เปลี่ยน", fix_photos())])
    assert webhook.post(image(LEADER, "70003")).status_code == 200
    dialog.run([(LEADER, "รูปอยู่ในอีกเครื่อง", T["report.fix_photos_not_text"].format(room=7, done="เสร็จ"))])
    assert dialog.quick_replies() == ["เสร็จ", "ยกเลิก"]


def test_answers_kept_leave_a_co_leaders_correction_alone(dialog, activity_id, db, clock) -> None:
    """Two people correcting at once: each changes only what they answered, the last one is recorded."""
    dialog.run([(LEADER, "รายงาน RPT1 แก้ไข", fix_attended()),
                (LEADER, "40", fix_summary())])
    dialog.run([(CHAIR, "รายงาน RPT1 แก้ไข", fix_attended()),
                (CHAIR, "ไม่เปลี่ยน", fix_summary()),
                (CHAIR, "สรุปโดยประธาน", fix_lessons()),
                (CHAIR, "ไม่เปลี่ยน", fix_photos()),
                (CHAIR, "เสร็จ", saved("สรุป"))])
    clock.advance(minutes=5)
    dialog.run([(LEADER, "ไม่เปลี่ยน", fix_lessons()),  # each step shows the report as it is now
                (LEADER, "ไม่เปลี่ยน", fix_photos()),
                (LEADER, "เสร็จ", saved("ผู้มาร่วม 40 คน"))])
    report = the_report(db)
    assert (report.attended, report.summary) == (40, "สรุปโดยประธาน")
    assert (report.corrected_by_id, report.corrected_at) == (person_id(db, LEADER), clock())


# --- who may not, and when ----------------------------------------------------------------------

@pytest.mark.parametrize("user", [MEMBER, OTHER])
def test_a_member_or_another_communitys_leader_is_refused_politely(dialog, activity_id, db, user) -> None:
    refused = T["report.correct_refused"].format(title=TITLE)
    assert dialog.postback(user, f"a=report_correct&id={activity_id}&l=th") == [refused]
    dialog.run([(user, "รายงาน RPT1 แก้ไข", refused)])
    report = the_report(db)
    assert (report.attended, report.corrected_at) == (35, None)


def test_buttons_outside_the_district_do_nothing(dialog, activity_id, session_factory, clock, db) -> None:
    with session_factory() as session, session.begin():
        seed_outsider(session, clock())
    assert dialog.postback(USERS["stranger"], f"a=report_correct&id={activity_id}") == [
        T["command.refused"].format(keyword="รายงาน", role=T["role.1"])]
    assert dialog.postback(OUTSIDER, f"a=report_correct&id={activity_id}") == [T["postback.unknown"]]
    assert dialog.postback(LEADER, "a=report_correct&id=x") == [T["postback.unknown"]]
    assert the_report(db).corrected_at is None


def test_a_role_lost_meanwhile_saves_nothing(dialog, activity_id, session_factory, db) -> None:
    dialog.run([(LEADER, "รายงาน RPT1 แก้ไข", fix_attended()),
                (LEADER, "40", fix_summary()),
                (LEADER, "ไม่เปลี่ยน", fix_lessons()),
                (LEADER, "ไม่เปลี่ยน", fix_photos())])
    with session_factory() as session, session.begin():
        person = session.scalars(select(Person).where(Person.line_user_id == LEADER)).one()
        for membership in reg.memberships(session, person):
            if membership.role == RoleName.COMMUNITY_LEADER:
                session.delete(membership)
    dialog.run([(LEADER, "เสร็จ", T["report.correct_refused"].format(title=TITLE))])
    assert the_report(db).attended == 35


def test_leaders_may_correct_for_thirty_days_staff_any_time(dialog, activity_id, fake_line, db, clock) -> None:
    sent = clock() - timedelta(hours=1)
    clock.now = sent + timedelta(days=30, seconds=-1)
    dialog.run([(CHAIR, "รายงาน RPT1 แก้ไข", fix_attended())])  # the chair may, like the host's leaders
    dialog.say(CHAIR, "ยกเลิก")
    clock.now = sent + timedelta(days=30)
    dialog.run([(LEADER, "รายงาน RPT1", shown())])  # no button once it is closed
    assert dialog.quick_replies() == []
    dialog.run([(LEADER, "รายงาน RPT1 แก้ไข", T["report.correct_closed"].format(
        title=TITLE, days=30, until=format_when(sent + timedelta(days=30))))])
    assert dialog.postback(LEADER, f"a=report_correct&id={activity_id}") == [T["report.correct_closed"].format(
        title=TITLE, days=30, until=format_when(sent + timedelta(days=30)))]
    # District staff keep the records: they may correct at any time.
    clock.advance(days=300)
    dialog.run([(STAFF, "รายงาน RPT1", shown() + "\n\n" + T["report.correct_hint_staff"].format(code="RPT1"))])
    assert [b["label"] for b in last_buttons(fake_line)] == ["แก้ไขรายงาน"]
    dialog.run([(STAFF, "รายงาน RPT1 แก้ไข", fix_attended()),
                (STAFF, "34", fix_summary()),
                (STAFF, "ไม่เปลี่ยน", fix_lessons()),
                (STAFF, "ไม่เปลี่ยน", fix_photos()),
                (STAFF, "ไม่เปลี่ยน", saved("ผู้มาร่วม 34 คน"))])
    assert the_report(db).corrected_by_id == person_id(db, STAFF)
    assert format_when_en(clock()) in dialog.say(MEMBER, "report RPT1")[0]  # shown in English the English way


def test_correct_before_any_report_starts_the_report(dialog, activity_id, session_factory, db) -> None:
    with session_factory() as session, session.begin():
        session.delete(session.scalars(select(ActivityReport)).one())
    dialog.run([(LEADER, "รายงาน RPT1 แก้ไข", T["report.ask_attended"].format(title=TITLE, count=1))])


def test_an_erased_corrector_leaves_the_date(dialog, activity_id, session_factory, db, clock) -> None:
    dialog.run([(CHAIR, "รายงาน RPT1 แก้ไข", fix_attended()),
                (CHAIR, "36", fix_summary()),
                (CHAIR, "ไม่เปลี่ยน", fix_lessons()),
                (CHAIR, "ไม่เปลี่ยน", fix_photos()),
                (CHAIR, "เสร็จ", saved("ผู้มาร่วม 36 คน"))])
    with session_factory() as session, session.begin():
        reg.forget_person(session, session.scalars(select(Person).where(Person.line_user_id == CHAIR)).one(), clock())
    report = the_report(db)
    assert (report.attended, report.corrected_by_id, report.corrected_at) == (36, None, clock())
