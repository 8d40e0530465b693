"""Small pieces every handler uses: quick-reply buttons and ids read from button data."""

from __future__ import annotations

import pytest

from handlers.context import record_id, text_message


def test_a_long_button_label_is_cut_visibly_and_still_sends_the_whole_name() -> None:
    name = "ชุมชนซอยบางนา-ตราด 25"  # 21 characters: cut at 20 it read as another community, "…ตราด 2"
    message = text_message("คุณอยู่ชุมชนไหนครับ", quick=[(name, name), ("ยกเลิก", "ยกเลิก")])
    first, cancel = [item.action for item in message.quick_reply.items]
    assert (first.label, first.text) == ("ชุมชนซอยบางนา-ตราด…", name)
    assert len(first.label) <= 20
    assert (cancel.label, cancel.text) == ("ยกเลิก", "ยกเลิก")


@pytest.mark.parametrize(("data", "expected"), [
    ("12", 12), ("000000007", 7), ("999999999", 999_999_999),
    ("1234567890", None), ("²", None), ("๑๒", None), ("-1", None), (" 12", None), ("", None), (None, None),
])
def test_record_id_takes_only_what_saiyai_writes_in_buttons(data, expected) -> None:
    assert record_id(data) == expected
