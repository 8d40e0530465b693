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
from conftest import PG_URL
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
