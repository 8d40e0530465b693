"""The browser rig: Saiyai in local mode with the demo district, served over HTTP on a free loopback port,
the fake LINE API in a thread, the real scheduler process, and headless Chromium driven by Playwright.

Reuse it for any web page (the simulator, the staff desk, rich menus): `web_stack` is the running
stack (session-wide, one demo district for the whole run), `browser` the shared Chromium, `page` a
fresh browser context per test, and `Sim` drives the simulator page.

Chromium is Debian's (`apt install chromium`, which scripts/test does); Playwright never downloads a
browser here: it is pointed at /usr/bin/chromium. The desk's rig (desk_rig.py, fixtures named desk_*)
serves the test district with a month of activity instead; its fixtures are made available here too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support.web import CHROMIUM, WAIT_MS, Sim, WebStack, launch_chromium, wait_until
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bot import create_app, demo, richmenus
from bot.config import (
    LOCAL_ACCESS_TOKEN,
    LOCAL_CHANNEL_SECRET,
    PROJECT_ROOT,
    TIMEZONE,
    Config,
)
from bot.fakeline import FakeLineServer
from desk_rig import desk_browser, desk_page, desk_stack  # noqa: F401  (the desk's fixtures)
from handlers.services import menus as menu_links
from models import OutboxMessage, OutboxState

DEMO_SEED = 2569


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        """The page polls several times a second."""


def _start_scheduler(database_url: str, fake_url: str, log_path: Path) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items()
           if key not in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN")}
    env.update(SAIYAI_MODE="local", DATABASE_URL=database_url, LINE_API_BASE_URL=fake_url,
               LINE_DATA_API_BASE_URL=fake_url, LINE_REQUEST_TIMEOUT="5")
    with log_path.open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "scheduler"], cwd=PROJECT_ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)


def next_morning(moment: datetime) -> datetime:
    """The next 10:00 in Bangkok after `moment`."""
    morning = moment.astimezone(TIMEZONE).replace(hour=10, minute=0, second=0, microsecond=0)
    return morning if morning > moment else morning + timedelta(days=1)


def _outbox_settled(session_factory) -> bool:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]))) == 0


@pytest.fixture(scope="session")
def web_stack(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebStack]:
    """Saiyai as `scripts/run` runs it (local mode, SQLite, demo district), on free loopback ports."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: scripts/test installs Debian's chromium package")
    workdir = tmp_path_factory.mktemp("web")
    path = workdir / "saiyai.sqlite3"
    shutil.copy(sqlite_template, path)
    database_url = f"sqlite:///{path}"
    with FakeLineServer(access_token=LOCAL_ACCESS_TOKEN) as fake:
        config = Config(channel_secret=LOCAL_CHANNEL_SECRET, access_token=LOCAL_ACCESS_TOKEN,
                        line_api_base_url=fake.url, line_data_base_url=fake.url, database_url=database_url,
                        local_mode=True, request_timeout=5.0, storage_dir=workdir / "storage")
        app = create_app({"SAIYAI_CONFIG": config})
        saiyai = app.extensions["saiyai"]
        # Tests run at any hour, but a notice written at night waits for 07:00 (quiet hours): the stack's
        # day starts at the next 10:00 in Bangkok, moved to on the simulator's own clock.
        saiyai.clock.move_to(next_morning(saiyai.clock()))
        with saiyai.session_factory() as session, session.begin():
            demo.load(session, saiyai.clock(), seed=DEMO_SEED)
        # The rich menus on the fake LINE API and everyone linked to theirs, as scripts/run does
        # (`richmenu sync` and `relink`); the scheduler sends the links.
        with saiyai.session_factory() as session, session.begin():
            richmenus.sync(session, saiyai.line, saiyai.clock())
        with saiyai.session_factory() as session, session.begin():
            menu_links.relink_all(session, saiyai.clock())
        server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
        thread = threading.Thread(target=server.serve_forever, name="saiyai-web", daemon=True)
        thread.start()
        log_path = workdir / "scheduler.log"
        scheduler = _start_scheduler(database_url, fake.url, log_path)
        try:
            # The demo's cards, queued at load, are in their groups before any test starts.
            wait_until(lambda: _outbox_settled(saiyai.session_factory), timeout=60)
            yield WebStack(f"http://127.0.0.1:{server.server_port}", fake, app, saiyai.session_factory,
                           database_url, log_path)
        finally:
            scheduler.terminate()
            try:
                scheduler.wait(timeout=10)
            except subprocess.TimeoutExpired:
                scheduler.kill()
            server.shutdown()
            server.server_close()
            saiyai.line.close()
            app.extensions["saiyai.engine"].dispose()


@pytest.fixture(scope="session")
def browser(web_stack: WebStack):
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser, web_stack: WebStack):
    """A fresh browser context (its own session storage) on an empty page; the test's errors fail it."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="th-TH",
                                  timezone_id="Asia/Bangkok")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], "JavaScript errors on the page"


@pytest.fixture
def sim(page, web_stack: WebStack) -> Sim:
    return Sim(page, web_stack).open()
