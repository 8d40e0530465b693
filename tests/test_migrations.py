"""The Alembic revisions build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from bot.config import PROJECT_ROOT
from support.testapp import PG_URL
from models import Base
from models.db import make_engine

TABLES = sorted(Base.metadata.tables)


def alembic_config(url: str) -> AlembicConfig:
    """The project's alembic.ini pointed at one database, as conftest.alembic_upgrade does."""
    cfg = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    return cfg


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (conftest's db_url is already migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    if not PG_URL:
        if os.environ.get("SAIYAI_REQUIRE_PG"):
            pytest.fail("SAIYAI_REQUIRE_PG is set but SAIYAI_TEST_PG_URL is not")
        pytest.skip("no PostgreSQL server: set SAIYAI_TEST_PG_URL (scripts/test starts one)")
    name = f"saiyai_m_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def differences(url: str) -> list:
    """What autogenerate would put in a new revision: nothing, when models and migrations agree."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def tables(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_revisions_have_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, "two revisions share a parent: merge them"


def test_upgrade_head_on_an_empty_database_matches_the_models(empty_db_url: str) -> None:
    assert tables(empty_db_url) == []
    command.upgrade(alembic_config(empty_db_url), "head")
    assert tables(empty_db_url) == sorted([*TABLES, "alembic_version"])
    assert differences(empty_db_url) == []


def test_downgrade_to_base_and_upgrade_again(empty_db_url: str) -> None:
    cfg = alembic_config(empty_db_url)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    assert tables(empty_db_url) == ["alembic_version"]
    command.upgrade(cfg, "head")
    assert tables(empty_db_url) == sorted([*TABLES, "alembic_version"])
    assert differences(empty_db_url) == []


def test_the_host_log_learns_which_changes_were_a_persons(empty_db_url: str) -> None:
    """245e7a61c412 adds host_log.by_person: Saiyai's own proposals stay Saiyai's, while a change by a person
    whose data was erased before the revision (actor_id cleared) is still known to be a person's."""
    cfg = alembic_config(empty_db_url)
    command.upgrade(cfg, "bc5aa7d87f07")
    engine = make_engine(empty_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO organization (id, name, created_at) VALUES (1, 'เขต', '2026-11-01')"))
            conn.execute(text("INSERT INTO network (id, organization_id, name, kind) VALUES (1, 1, 'โซน 1', 'zone')"))
            conn.execute(text("INSERT INTO person (id, line_user_id, created_at, updated_at) VALUES (1, 'U1', '2026-11-01', '2026-11-01')"))
            for ident, kind, actor in [(1, "proposed", None), (2, "proposed", 1), (3, "swapped", None),
                                       (4, "confirmed", 1), (5, "hosted", None)]:
                conn.execute(text("INSERT INTO host_log (id, network_id, kind, actor_id, at) "
                                  "VALUES (:id, 1, :kind, :actor, '2026-11-02')"),
                             {"id": ident, "kind": kind, "actor": actor})
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, by_person FROM host_log ORDER BY id")).all()
    finally:
        engine.dispose()
    assert [(ident, bool(by_person)) for ident, by_person in rows] == [
        (1, False), (2, True), (3, True), (4, True), (5, False)]
