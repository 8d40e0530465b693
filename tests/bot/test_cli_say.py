"""`flask --app bot say`: the README's way to talk to the bot in local mode, typed text and buttons.

The app is served on loopback (werkzeug, in a thread) as `scripts/run` serves it, and `say` posts signed
events to it; the answers are read back from the fake LINE API, as `say` reads them.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from bot import create_app
from bot.config import PROJECT_ROOT
from handlers.catalog import th
from handlers.services import notices as svc
from models import Notice, NoticeScope, NoticeStatus
from support.registry import USERS, seed_district

T = th.TEXT
STAFF = USERS["staff"]


@pytest.fixture
def local_app(config, clock):
    app = create_app({"SAIYAI_CONFIG": dataclasses.replace(config, local_mode=True), "CLOCK": clock,
                      "TESTING": True})
    yield app
    app.extensions["saiyai"].line.close()
    app.extensions["saiyai.engine"].dispose()


@pytest.fixture
def served(local_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, local_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/callback"
    server.shutdown()
    thread.join(5)


def say(local_app, url: str, *args: str) -> list[str]:
    result = local_app.test_cli_runner().invoke(args=["say", *args, "--url", url])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_each_say_gets_its_own_answer_as_a_reply(local_app, served, fake_line) -> None:
    first = say(local_app, served, "ช่วยเหลือ")
    second = say(local_app, served, "ช่วยเหลือ")
    assert first == second
    assert first[0].startswith(T["help.header"].split("\n")[0][:10])
    assert not any(line.startswith("[push") for line in first + second)
    # Two replies with two tokens, both accepted: nothing fell back to a push.
    replies = fake_line.state.deliveries("reply")
    assert len(replies) == 2 and replies[0].body["replyToken"] != replies[1].body["replyToken"]
    # Quick-reply buttons are listed with the command that presses them.
    assert "  (สมัคร) say 'สมัคร'" in first


def test_a_button_is_pressed_with_postback(local_app, served, session_factory, clock, db) -> None:
    with session_factory() as session, session.begin():
        district = seed_district(session, clock())
        audience = svc.Audience(district.org.id, NoticeScope.COMMUNITY, community_id=district.wat.id,
                                author_id=district.people["staff"].id)
        notice = svc.create_notice(session, audience, text="ประชุมเดือนหน้า", now=clock(),
                                   send_at=clock() + timedelta(days=3))
    lines = say(local_app, served, "ยกเลิกประกาศ", "--user", STAFF)
    label = T["notice.cancel_choose"].format(number=notice.id)
    [press] = [line for line in lines if line.startswith(f"  ({label}) ")]
    assert press == f"  ({label}) say --postback 'a=notice_cancel_ask&n={notice.id}&l=th'"
    # Pressing it as printed asks for the confirmation, with its own two buttons.
    confirm = say(local_app, served, "--postback", f"a=notice_cancel_ask&n={notice.id}&l=th", "--user", STAFF)
    assert [line for line in confirm if line.startswith("  (")] == [
        f"  ({T['notice.cancel_yes']}) say --postback 'a=notice_cancel&n={notice.id}&l=th'",
        f"  ({T['notice.cancel_no']}) say --postback 'a=notice_keep&n={notice.id}&l=th'"]
    db.expire_all()
    assert db.get(Notice, notice.id).status == NoticeStatus.SCHEDULED  # asking changes nothing


def test_text_or_postback_not_both(local_app, served) -> None:
    result = local_app.test_cli_runner().invoke(args=["say", "ช่วยเหลือ", "--postback", "a=ack", "--url", served])
    assert result.exit_code != 0
    assert "one of the two" in result.output


def test_reply_tokens_differ_across_processes() -> None:
    """`flask say` is a new process per message: a per-process counter gave every one the same token,
    which LINE (and the fake) refuse the second time."""
    code = "from bot import simulate; print(simulate.text('x')['replyToken'])"
    tokens = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             cwd=PROJECT_ROOT).stdout.strip() for _ in range(2)}
    assert len(tokens) == 2
