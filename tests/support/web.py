"""Driving the simulator page in the browser tests (tests/web): the rig's running stack and a page helper."""

from __future__ import annotations

import os

import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bot.fakeline import FakeLineServer

# Debian's Chromium (scripts/test installs it); Playwright is pointed at it and never downloads a browser.
# Without the background-networking flags Chromium keeps calling out to a closed network.
CHROMIUM = os.environ.get("SAIYAI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def launch_chromium():
    """A context manager giving Chromium driven by Playwright: `with launch_chromium() as browser:`."""
    from contextlib import contextmanager

    from playwright.sync_api import sync_playwright

    @contextmanager
    def launched():
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            try:
                yield browser
            finally:
                browser.close()

    return launched()


WAIT_MS = 15_000  # pushes go through the scheduler process (its outbox job runs every second)


@dataclass
class WebStack:
    url: str                   # http://127.0.0.1:<port>
    fake: FakeLineServer
    app: object
    session_factory: sessionmaker[Session]
    database_url: str
    scheduler_log: Path


class Sim:
    """Drives /simulator like a person would: pick a persona and a chat, type, tap."""

    def __init__(self, page, stack: WebStack) -> None:
        self.page, self.stack = page, stack

    def open(self) -> Sim:
        self.page.goto(f"{self.stack.url}/simulator/")
        self.page.wait_for_selector("body[data-ready='1']")
        return self

    # --- who and where --------------------------------------------------------------------------
    def persona(self, user_id: str) -> Sim:
        self.page.select_option("#persona", user_id)
        self.page.wait_for_selector(f"#chats[data-persona='{user_id}']")
        return self

    def new_user(self) -> str:
        before = self.page.input_value("#persona")
        self.page.click("#persona-new")
        self.page.wait_for_function("old => document.getElementById('persona').value !== old", arg=before)
        user = self.page.input_value("#persona")
        self.page.wait_for_selector(f"#chats[data-persona='{user}']")
        return user

    def chat(self, name: str) -> Sim:
        self.page.locator("#chats li", has_text=name).first.click()
        self.page.wait_for_function("name => document.getElementById('chat-title').textContent.startsWith(name)",
                                    arg=name)
        return self

    def unread(self, name: str) -> int:
        badge = self.page.locator("#chats li", has_text=name).first.locator(".badge")
        return int(badge.inner_text()) if badge.count() else 0

    # --- acting: each waits until the bot's reply is on the page --------------------------------------
    def _mark(self) -> tuple[int, int]:
        """Where the page is: actions finished, and messages received so far."""
        return tuple(self.page.evaluate(
            "() => [Number(document.body.dataset.sent || 0), Number(document.body.dataset.seq || 0)]"))

    def _answer(self, mark: tuple[int, int]) -> list[str]:
        """Wait until the action has finished (its reply is on the page); the bot's messages since, in the
        chat now open."""
        self.page.wait_for_function("n => Number(document.body.dataset.sent || 0) > n", arg=mark[0])
        return self.bot_texts(after=mark[1])

    def say(self, text: str) -> list[str]:
        mark = self._mark()
        self.page.fill("#text", text)
        self.page.press("#text", "Enter")
        return self._answer(mark)

    def chip(self, label: str) -> list[str]:
        mark = self._mark()
        self.page.locator("#quick-replies .chip", has_text=label).first.click()
        return self._answer(mark)

    def chips(self) -> list[str]:
        return self.page.locator("#quick-replies .chip").all_inner_texts()

    def tap(self, locator) -> list[str]:
        """Click a button (in a Flex message, or a LINE event) and wait for the answer."""
        mark = self._mark()
        locator.click()
        return self._answer(mark)

    # --- reading ------------------------------------------------------------------------------------
    def bot_messages(self):
        return self.page.locator("#messages .msg.bot")

    def count(self) -> int:
        return self.bot_messages().count()

    def bot_texts(self, after: int = 0) -> list[str]:
        """Each bot message in the open chat (received after message number `after`) as text: a text
        message's text, a Flex message's [flex] marker."""
        return self.page.evaluate("""after => Array.from(document.querySelectorAll('#messages .msg.bot'))
            .filter(m => Number(m.dataset.seq) > after).map(m => {
                const text = m.querySelector(':scope > .bubble-text');
                return text ? text.textContent : '[' + m.dataset.type + ']';
            })""", after)

    def wait_for_bot_text(self, text: str, timeout: float = WAIT_MS) -> None:
        self.page.wait_for_function("""t => Array.from(document.querySelectorAll('#messages .msg.bot > .bubble-text'))
            .some(m => m.textContent === t)""", arg=text, timeout=timeout)

    def move_clock(self, **body) -> dict:
        before = int(self.page.evaluate("() => Number(document.body.dataset.moved || 0)"))
        if body.get("step") == "to":
            self.page.fill("#clock-to", body["moment"])
            self.page.click("#clock-go")
        else:
            self.page.click({"hour": "#clock-hour", "day": "#clock-day", "next": "#clock-next"}[body["step"]])
        self.page.wait_for_function("n => Number(document.body.dataset.moved || 0) > n", arg=before)
        return {"label": self.page.inner_text("#clock-now"), "iso": self.page.get_attribute("#clock-now", "data-iso")}


def wait_until(predicate, timeout: float = WAIT_MS / 1000, interval: float = 0.2):
    """Poll `predicate` until it returns something truthy (then return it), or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {predicate}")
        time.sleep(interval)
