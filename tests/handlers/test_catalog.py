"""How catalogue texts are filled in: a name that already carries a Thai title gets no second "คุณ"."""

from __future__ import annotations

import pytest

from handlers.catalog import _glued_fields, counted, text_for, th


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("สมศรี มีสุข", "คุณสมศรี มีสุข"),
        ("นางสมศรี มีสุข", "นางสมศรี มีสุข"),
        ("นายสมชาย ใจดี", "นายสมชาย ใจดี"),
        ("นางสาวมาลี ศรีสุข", "นางสาวมาลี ศรีสุข"),
        ("น.ส.มาลี ศรีสุข", "น.ส.มาลี ศรีสุข"),
        ("ด.ญ.ใบเตย", "ด.ญ.ใบเตย"),
        ("พ.ต.ท.สมศักดิ์", "พ.ต.ท.สมศักดิ์"),
        ("คุณป้าแดง", "คุณป้าแดง"),
        ("Somsri", "คุณSomsri"),
    ],
)
def test_a_titled_name_gets_no_second_honorific(name: str, shown: str) -> None:
    assert text_for("th", "rsvp.not_going", name=name, title="ประชุม") == (
        f"บันทึกแล้วครับ {shown} ไม่ไป “ประชุม” ขอบคุณที่แจ้งให้ทราบครับ")


def test_only_the_name_loses_it_and_english_is_unchanged() -> None:
    # "ที่คุณตอบแทนไว้" addresses the reader, not the member: it stays.
    assert text_for("th", "rsvp.promoted_proxy", name="นางมาลี", community="ชุมชนวัดบางนา", title="ประชุม",
                    when="พรุ่งนี้", code="K7M2").startswith(
        "มีที่ว่างแล้วครับ 🎉 นางมาลี (ชุมชนวัดบางนา) ที่คุณตอบแทนไว้ได้ที่นั่งใน “ประชุม” พรุ่งนี้ จากรายชื่อสำรอง "
        "ช่วยแจ้งนางมาลีด้วยนะครับ")
    assert text_for("en", "rsvp.not_going", name="นางมาลี", title="x").startswith("Saved: นางมาลี is not going")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("เครือข่ายโซน 1", "ผูกกลุ่มนี้กับเครือข่ายโซน 1 เรียบร้อยครับ"),       # a number: set off by a space
        ("Zone A", "ผูกกลุ่มนี้กับZone A เรียบร้อยครับ"),                         # a Latin word too
        ("ชุมชนซอย 5 (ริมคลอง)", "ผูกกลุ่มนี้กับชุมชนซอย 5 (ริมคลอง) เรียบร้อยครับ"),  # a bracket
        ("เครือข่ายผู้สูงอายุ", "ผูกกลุ่มนี้กับเครือข่ายผู้สูงอายุเรียบร้อยครับ"),     # Thai runs on, as Thai does
    ],
)
def test_a_value_ending_in_a_digit_or_latin_letter_is_not_glued_to_the_thai_after_it(name: str, shown: str) -> None:
    assert text_for("th", "link.done_network", name=name).startswith(shown)


def test_fields_with_a_format_and_english_texts_are_left_alone() -> None:
    # A number formatted as "{count:,}" must stay a number for its format: no space is added to it.
    assert _glued_fields("{count:,}คน {name}แล้ว {title} ครับ") == {"name"}
    assert text_for("en", "link.done_network", name="Zone 1").startswith("This group is now linked to Zone 1;")


def test_a_value_glued_to_thai_once_gets_its_space_only_there() -> None:
    # "{community}มี…" needs the space after a name ending in a digit; "“สมาชิก {community} {pages}”" must not
    # get a second one (the value itself used to carry the space everywhere in the text).
    assert text_for("th", "members.no_page_in", community="ชุมชนหมู่05", pages=2) == (
        "รายชื่อของชุมชนหมู่05 มีทั้งหมด 2 หน้าครับ พิมพ์ “สมาชิก ชุมชนหมู่05 2” เพื่อดูหน้าสุดท้าย")


def test_a_count_of_one_has_its_own_text_where_english_needs_it() -> None:
    assert [text_for("en", counted("news.header", n), count=n) for n in (1, 2)] == [
        "📰 The latest notice (reading it here costs nothing)",
        "📰 Latest 2 notices (reading them here costs nothing)"]
    assert [text_for("th", counted("news.header", n), count=n) for n in (1, 2)] == [
        "📰 ประกาศล่าสุด 1 รายการ (ดูที่นี่ไม่เสียโควตา)", "📰 ประกาศล่าสุด 2 รายการ (ดูที่นี่ไม่เสียโควตา)"]
    assert counted("news.item", 1) == "news.item"  # no text of its own for one: the usual one


def test_every_text_for_one_has_the_usual_text_beside_it() -> None:
    assert sorted(key for key in th.TEXT if key.endswith(".one") and key[:-4] not in th.TEXT) == []
