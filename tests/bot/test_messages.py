"""Fitting messages to LINE's limits: UTF-16 length, splitting long texts, five messages a request."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from linebot.v3.messaging import StickerMessage, TextMessage
from sqlalchemy import select

from bot import create_app
from bot.messages import MAX_TEXT_UNITS, fit, split_text, utf16_len
from support.testapp import SECRET, WebhookClient
from handlers.context import Context, text_message
from handlers.dispatcher import Dispatcher
from handlers.registry import Registry, command
from models import OutboxMessage, OutboxState
from scheduler.jobs import JobContext, dispatch_outbox
from support import events as ev

USER = "U" + "7" * 32


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("", 0),
        ("abc", 3),
        ("สวัสดี", 6),          # ส ว ั ส ด ี: the vowel marks are code points of their own
        ("น้ำ", 3),             # น ้ ำ
        ("ที่นี่", 6),
        ("๑๒๓", 3),
        ("🙂", 2),              # outside the BMP: a surrogate pair
        ("ก🙂", 3),
        ("👍🏽", 4),             # emoji + skin tone modifier
        ("👨‍👩‍👧", 8),            # three emoji joined by two zero-width joiners
        ("🇹🇭", 4),
    ],
)
def test_utf16_len(text: str, units: int) -> None:
    assert utf16_len(text) == units


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("สวัสดีครับ", ["สวัสดีครับ"]),
        ("a" * 5000, ["a" * 5000]),
        ("a" * 5001, ["a" * 5000, "a"]),
        ("🙂" * 2500, ["🙂" * 2500]),
        ("🙂" * 2501, ["🙂" * 2500, "🙂"]),
        ("a" * 4999 + "🙂b", ["a" * 4999, "🙂b"]),                      # the pair does not straddle the limit
        ("x" * 3000 + "\n" + "y" * 3000, ["x" * 3000, "y" * 3000]),     # the line break goes
        ("x" * 3000 + " " + "y" * 3000, ["x" * 3000 + " ", "y" * 3000]),  # a space stays
        ("x" * 2600 + "\n" + "y" * 2000 + " " + "z" * 2000,             # a line break wins over a later space
         ["x" * 2600, "y" * 2000 + " " + "z" * 2000]),
        ("x" * 100 + "\n" + "y" * 4000 + " " + "z" * 2000,              # a line break too early to use
         ["x" * 100 + "\n" + "y" * 4000 + " ", "z" * 2000]),
        ("ก" * 4990 + "\n" + "ข" * 20, ["ก" * 4990, "ข" * 20]),
    ],
    ids=["short", "exactly 5000", "5001", "2500 emoji", "2501 emoji", "emoji at the limit", "line break",
         "space", "line break over space", "early line break", "thai lines"],
)
def test_split_text(text: str, pieces: list[str]) -> None:
    assert split_text(text) == pieces


def test_a_long_thai_report_splits_at_line_breaks() -> None:
    lines = [f"{n}. นายสมชาย ใจดี ชุมชนบ้านหนองบัว เข้าร่วมประชุมโซน {n % 7} เรียบร้อยแล้ว 🙂" for n in range(1, 400)]
    text = "\n".join(lines)
    pieces = split_text(text)
    assert [utf16_len(piece) for piece in pieces] == [4958, 4933, 4963, 4963, 4963, 4233]
    assert "\n".join(pieces) == text          # every cut was at a line break, so nothing else changed
    assert all(piece.split("\n")[0] in lines for piece in pieces)


# Code points that make splitting hard: Thai marks, astral emoji and modifiers, joiners, separators.
TRICKY = st.sampled_from(["a", "ก", "่", "ำ", "ั", "๑", " ", "\n", "🙂", "🏽", "\u200d", "🇹", "🇭"])


# Hypothesis's failure report imports mypy_extensions, which warns; the report must still show.
@pytest.mark.filterwarnings("ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")
@settings(database=None, max_examples=300, deadline=None)
@given(text=st.text(alphabet=TRICKY, max_size=400), limit=st.integers(min_value=2, max_value=60))
def test_split_text_properties(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    if utf16_len(text) <= limit:
        assert pieces == [text]
        return
    for piece in pieces:
        assert 0 < utf16_len(piece) <= limit
        piece.encode("utf-16-le")  # no lone surrogate: a pair is never cut in two
    # The pieces are the text in order, with only newlines removed at the cuts (a piece of nothing
    # but newlines disappears, even at the start).
    assert re.fullmatch(r"\n*" + r"\n*".join(re.escape(piece) for piece in pieces) + r"\n*", text)


def test_split_text_keeps_thai_marks_with_their_consonant() -> None:
    pieces = split_text("ที่" * 2000)   # 6000 units, no space or line break to cut at
    assert [unicodedata.category(piece[0]) for piece in pieces] == ["Lo", "Lo"]


def test_fit_keeps_the_quick_reply_on_the_last_piece_only() -> None:
    message = text_message("ข้อความยาว " * 1200, quick=[("ช่วยเหลือ", "ช่วยเหลือ")])  # 13,200 units
    fitted = fit([message])
    assert [utf16_len(m.text) for m in fitted] == [4994, 4994, 3212]
    assert [m.quick_reply for m in fitted] == [None, None, message.quick_reply]
    assert "".join(m.text for m in fitted) == message.text


def test_fit_leaves_short_and_non_text_messages_alone() -> None:
    short = text_message("ก" * MAX_TEXT_UNITS, quick=[("a", "a")])
    sticker = StickerMessage(packageId="446", stickerId="1988")
    assert fit([short, sticker]) == [short, sticker]
    assert fit([short, sticker])[0] is short


# --- through the webhook: more than five messages --------------------------------------------------

@command("เจ็ด", "seven")
def seven(ctx: Context) -> list[TextMessage]:
    """ส่งเจ็ดข้อความ / Send seven messages"""
    return [text_message(f"ข้อความที่ {n}") for n in range(1, 8)]


LONG_TEXT = "\n".join("บรรทัด" + "ก" * 93 for _ in range(260))  # 25,999 units: six pieces of at most 4,999


@command("ยาว", "long")
def long_text(ctx: Context) -> list[TextMessage]:
    """ส่งข้อความยาว / Send a long message"""
    return [text_message(LONG_TEXT)]


@pytest.fixture
def client(config, clock, fake_line):
    dispatcher = Dispatcher(Registry.build([sys.modules[__name__]]))
    app = create_app({"SAIYAI_CONFIG": config, "CLOCK": clock, "DISPATCHER": dispatcher})
    yield app
    app.extensions["saiyai"].line.close()
    app.extensions["saiyai.engine"].dispose()


@pytest.mark.parametrize(("keyword", "replied", "pushed"), [("เจ็ด", 5, 2), ("ยาว", 5, 1)])
def test_more_than_five_messages_are_one_reply_and_a_push(client, fake_line, clock, keyword, replied, pushed) -> None:
    response = WebhookClient(client.test_client(), SECRET).post(ev.text(keyword, user=USER))
    assert response.status_code == 200
    assert [(r.path, len(r.body["messages"])) for r in fake_line.state.deliveries()] == [
        ("/v2/bot/message/reply", replied)]

    services = client.extensions["saiyai"]
    with services.session_factory() as session:
        waiting = session.scalars(select(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING)).one()
        assert (waiting.target, waiting.reply_token, len(waiting.messages)) == (USER, None, pushed)

    assert dispatch_outbox(JobContext(services.session_factory, services.line, clock)) == {"sent": 1}
    deliveries = fake_line.state.deliveries()
    assert [(r.path, len(r.body["messages"])) for r in deliveries] == [
        ("/v2/bot/message/reply", replied), ("/v2/bot/message/push", pushed)]
    assert deliveries[1].body["to"] == USER
    if keyword == "เจ็ด":
        assert fake_line.state.texts() == [f"ข้อความที่ {n}" for n in range(1, 8)]
    else:
        assert "\n".join(fake_line.state.texts()) == LONG_TEXT
    assert all(utf16_len(text) <= MAX_TEXT_UNITS for text in fake_line.state.texts())
