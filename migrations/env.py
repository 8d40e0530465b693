"""Alembic environment: the database comes from DATABASE_URL (or the SQLite default), like the app."""

from __future__ import annotations

import sys
from logging.config import fileConfig

from alembic import context

from bot.config import ConfigError, default_database_url
from models import Base
from models.db import make_engine

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    """An explicit URL from the caller (tests) wins over the environment."""
    import os

    url = config.attributes.get("database_url") or os.environ.get("DATABASE_URL", "").strip()
    return url or default_database_url()


def run_migrations() -> None:
    try:
        engine = make_engine(database_url())
    except ConfigError as exc:
        sys.exit(f"alembic: {exc}")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
