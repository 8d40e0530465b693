"""Small pieces every handler uses: quick-reply buttons and ids read from button data."""

from __future__ import annotations

import pytest

from handlers.context import button_label, graphemes, record_id, text_message


def test_a_long_button_label_is_cut_visibly_and_still_sends_the_whole_name() -> None:
    name = "ชุมชนซอยบางนา-ตราด 251"  # 21 clusters: cut at 20 without a mark it read as another, "…ตราด 25"
    message = text_message("คุณอยู่ชุมชนไหนครับ", quick=[(name, name), ("ยกเลิก", "ยกเลิก")])
    first, cancel = [item.action for item in message.quick_reply.items]
    assert (first.label, first.text) == ("ชุมชนซอยบางนา-ตราด 2…", name)
    assert len(graphemes(first.label)) == 20
    assert (cancel.label, cancel.text) == ("ยกเลิก", "ยกเลิก")


@pytest.mark.parametrize(("label", "limit", "shown"), [
    # LINE counts what a reader sees: a consonant with its vowel and tone marks is one. 20 clusters, 22 code
    # points: it fits, whole (cut by code points it lost "คุณ").
    ("เขตคลองสาน วัดทองนพคุณ", 20, "เขตคลองสาน วัดทองนพคุณ"),
    ("ชุมชนซอยบางนา-ตราด 25", 20, "ชุมชนซอยบางนา-ตราด 25"),
    # Cut between clusters: the ิ of ธิ and the ้ำ of น้ำ stay with their consonant, or go with it.
    ("เขตบางสายใย (สาธิต)", 17, "เขตบางสายใย (สาธิ…"),
    ("เขตบางสายใย (สาธิต)", 15, "เขตบางสายใย (ส…"),
    ("ชุมชนริมน้ำเจ้าพระยา", 8, "ชุมชนริมน้ำ…"),
    ("ชุมชนริมน้ำเจ้าพระยา", 10, "ชุมชนริมน้ำเจ้…"),
    ("ทีม 👨‍👩‍👧 🇹🇭 ตลาดน้ำ", 7, "ทีม 👨‍👩‍👧 🇹🇭…"),
    ("ปุ่ม", 20, "ปุ่ม"),
])
def test_a_label_counts_and_cuts_grapheme_clusters(label, limit, shown) -> None:
    assert button_label(label, limit) == shown
    assert len(graphemes(shown)) <= limit
    assert label.startswith(shown.removesuffix("…"))


@pytest.mark.parametrize(("data", "expected"), [
    ("12", 12), ("000000007", 7), ("999999999", 999_999_999),
    ("1234567890", None), ("²", None), ("๑๒", None), ("-1", None), (" 12", None), ("", None), (None, None),
])
def test_record_id_takes_only_what_saiyai_writes_in_buttons(data, expected) -> None:
    assert record_id(data) == expected
