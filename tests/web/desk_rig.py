"""The desk's browser rig: Saiyai served over HTTP on a free loopback port with the test district and a month
of activity, the fake LINE API in a thread, and Debian's headless Chromium driven by Playwright.

Every fixture here is named desk_* and made available by tests/web/conftest.py (test modules import their
shared names from support.testapp, so a second conftest.py shadows nothing). Playwright never downloads a
browser: it is pointed at /usr/bin/chromium.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bot import create_app
from bot.config import Config
from bot.fakeline import FakeLineServer
from support.clock import Clock
from support.desk import World, seed_world
from support.testapp import WebhookClient
from support.web import CHROMIUM, launch_chromium
from support.dialog import Dialog
from support.registry import seed_district

WAIT_MS = 10_000
SECRET, TOKEN = "desk-web-channel-secret", "desk-web-access-token"


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        """No line per request in the test output."""


@dataclass
class DeskStack:
    url: str
    app: Flask
    session_factory: sessionmaker[Session]
    dialog: Dialog
    world: World
    clock: Clock


@pytest.fixture(scope="module")
def desk_stack(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskStack]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: scripts/test installs Debian's chromium package")
    workdir = tmp_path_factory.mktemp("desk-web")
    path = workdir / "saiyai.sqlite3"
    shutil.copy(sqlite_template, path)
    holder: dict[str, Flask] = {}
    # The port is known only once the server listens, and the app's sign-in links must carry it.
    server: BaseWSGIServer = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start),
                                         threaded=True, request_handler=_Quiet)
    url = f"http://127.0.0.1:{server.server_port}"
    clock = Clock()
    with FakeLineServer(access_token=TOKEN) as fake:
        config = Config(channel_secret=SECRET, access_token=TOKEN, line_api_base_url=fake.url,
                        line_data_base_url=fake.url, database_url=f"sqlite:///{path}", local_mode=True,
                        request_timeout=5.0, public_url=url)
        app = holder["app"] = create_app({"SAIYAI_CONFIG": config, "CLOCK": clock})
        factory = app.extensions["saiyai"].session_factory
        with factory() as session, session.begin():
            world = seed_world(session, seed_district(session, clock()), clock())
        thread = threading.Thread(target=server.serve_forever, name="desk-web", daemon=True)
        thread.start()
        try:
            yield DeskStack(url, app, factory, Dialog(fake, WebhookClient(app.test_client(), SECRET)), world, clock)
        finally:
            server.shutdown()
            server.server_close()
            app.extensions["saiyai"].line.close()
            app.extensions["saiyai.engine"].dispose()


@pytest.fixture(scope="module")
def desk_browser(desk_stack: DeskStack):
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture
def desk_page(desk_browser, desk_stack: DeskStack):
    """A fresh browser context (its own cookies) on an empty page; JavaScript errors fail the test."""
    context = desk_browser.new_context(viewport={"width": 1280, "height": 900}, locale="th-TH",
                                       timezone_id="Asia/Bangkok", accept_downloads=True)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], "JavaScript errors on the page"
