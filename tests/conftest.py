"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot import create_app
from bot.config import PROJECT_ROOT, Config
from bot.fakeline import FakeLineServer
from support.clock import Clock
from support.dialog import Dialog
from support.openapi import OpenApiSpec, openapi_dir
from support.registry import District, seed_district
from support.testapp import PG_URL, SECRET, TOKEN, WebhookClient



def alembic_upgrade(url: str) -> None:
    """`alembic upgrade head` against the given database, as the Procfile's release step does."""
    cfg = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


def _pg_admin_url() -> str:
    return PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    alembic_upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if not PG_URL:
        if os.environ.get("SAIYAI_REQUIRE_PG"):
            pytest.fail("SAIYAI_REQUIRE_PG is set but SAIYAI_TEST_PG_URL is not: the PostgreSQL tests cannot run")
        pytest.skip("no PostgreSQL server: set SAIYAI_TEST_PG_URL (scripts/test starts one)")
    name = f"saiyai_tpl_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    alembic_upgrade(PG_URL.rsplit("/", 1)[0] + f"/{name}")
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(engine) -> None:
    """Empty every table of a test database and restart its ids, as a fresh copy of the template would be.

    Connections a test left open (an app not disposed, a killed scheduler's session) are ended first:
    TRUNCATE waits for every lock on the tables otherwise."""
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        names = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                  "AND tablename <> 'alembic_version'")).scalars().all()
        if names:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def pg_worker_db(pg_template: str) -> Iterator[tuple[str, object]]:
    """One PostgreSQL database per test process, copied once from the template and emptied after each test.

    Creating and dropping a database per test cost a third of the suite's time; per-test SAVEPOINT rollback
    cannot work because the app, a second worker and scheduler processes use connections of their own."""
    name = f"saiyai_w_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    # pre_ping: a test that kills every connection to its database (the database-down tests) kills this one too.
    cleaner = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                            isolation_level="AUTOCOMMIT", pool_pre_ping=True, pool_size=1)
    yield url, cleaner
    cleaner.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database holding no rows, for one test."""
    if request.param == "sqlite":
        if request.node.get_closest_marker("postgres_only"):
            pytest.skip("needs PostgreSQL (row locks between processes); the PostgreSQL run covers it")
        path = tmp_path / "saiyai.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url, cleaner = request.getfixturevalue("pg_worker_db")
    yield url
    _truncate_all(cleaner)


@pytest.fixture
def fake_line() -> Iterator[FakeLineServer]:
    """The fake LINE API on loopback; afterwards every request it got must match LINE's OpenAPI spec."""
    with FakeLineServer(access_token=TOKEN) as server:
        yield server
    spec_dir = openapi_dir()
    if spec_dir is not None:
        spec = OpenApiSpec.load(spec_dir / "messaging-api.yml")
        problems = [
            f"{r.method} {r.path}: {error}"
            for r in server.state.requests
            for error in spec.validate_request(r.method, r.path, r.body, r.headers)
        ]
        assert problems == [], "requests that LINE's OpenAPI description rejects"


@pytest.fixture
def config(db_url: str, fake_line: FakeLineServer) -> Config:
    return Config(channel_secret=SECRET, access_token=TOKEN, line_api_base_url=fake_line.url,
                  line_data_base_url=fake_line.url, database_url=db_url, local_mode=False,
                  # Long enough for a loaded 2-CPU machine running two test processes (a reply
                  # that times out is pushed instead, and a dialog then misses it), short enough
                  # for the tests of a timed-out call (tests/bot/test_outbox.py waits past it).
                  request_timeout=4.0)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(config: Config, clock: Clock):
    app = create_app({"SAIYAI_CONFIG": config, "CLOCK": clock, "TESTING": True})
    yield app
    app.extensions["saiyai.replies"].close()
    app.extensions["saiyai"].line.close()
    app.extensions["saiyai.engine"].dispose()


@pytest.fixture
def session_factory(app) -> sessionmaker[Session]:
    return app.extensions["saiyai"].session_factory


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for assertions; opened fresh so it sees what the app committed."""
    with session_factory() as session:
        yield session


@pytest.fixture
def webhook(app) -> WebhookClient:
    return WebhookClient(app.test_client(), SECRET)


@pytest.fixture
def second_worker(config: Config, clock: Clock):
    """Another app instance on the same database: a second gunicorn worker."""
    app = create_app({"SAIYAI_CONFIG": config, "CLOCK": clock})
    yield WebhookClient(app.test_client(), SECRET)
    app.extensions["saiyai.replies"].close()
    app.extensions["saiyai"].line.close()
    app.extensions["saiyai.engine"].dispose()


@pytest.fixture
def jobs(app):
    """What a scheduler job gets (sessions, LINE client, the test clock), over the test app's services."""
    from scheduler.jobs import JobContext

    services = app.extensions["saiyai"]
    return JobContext(services.session_factory, services.line, services.clock)


# Shared by most handler tests; a module that needs more (members, linked groups, a second worker)
# defines its own `district` or `dialog`, which takes precedence.

@pytest.fixture
def district(session_factory, clock) -> District:
    """The test district (support/registry.py): two zones, three communities, one person per role."""
    with session_factory() as session, session.begin():
        return seed_district(session, clock())


@pytest.fixture
def dialog(fake_line, webhook) -> Dialog:
    """Conversation tables through one app instance (support/dialog.py)."""
    return Dialog(fake_line, webhook)


@pytest.fixture
def checked_dialog(fake_line, webhook, second_worker) -> Iterator[Dialog]:
    """Turns alternating between two workers; afterwards, LINE (the fake, validating with the SDK's
    models) must have accepted every reply, push and multicast."""
    yield Dialog(fake_line, webhook, second_worker)
    assert [(r.path, r.status) for r in fake_line.state.requests if r.status != 200] == []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Multi-process tests first: with several test processes (xdist) they then overlap the rest."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture
def statements(app):
    """Counts the SQL statements the app runs, to show a command's cost does not grow with the district."""
    from sqlalchemy import event

    engine = app.extensions["saiyai.engine"]
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)
