"""How catalogue texts are filled in: a name that already carries a Thai title gets no second "คุณ"."""

from __future__ import annotations

import pytest

from handlers.catalog import text_for


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
