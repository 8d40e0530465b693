"""Configuration from the environment, and how the web and scheduler processes refuse a bad one."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import text

from bot.config import (
    LOCAL_ACCESS_TOKEN,
    LOCAL_CHANNEL_SECRET,
    PROJECT_ROOT,
    ConfigError,
    load_config,
)
from support.testapp import PG_URL
from models.db import make_engine

SECRET_ONLY_ERROR = ("Saiyai cannot start in production mode: set LINE_CHANNEL_ACCESS_TOKEN "
                     "(from the LINE Developers console), or unset both for local mode.")


def summary(config) -> tuple:
    return (config.local_mode, config.channel_secret, config.access_token,
            config.line_api_base_url, config.line_data_base_url)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, (True, LOCAL_CHANNEL_SECRET, LOCAL_ACCESS_TOKEN, "http://127.0.0.1:8765", "http://127.0.0.1:8765")),
        ({"LINE_CHANNEL_SECRET": "  ", "LINE_CHANNEL_ACCESS_TOKEN": ""},   # blank counts as unset
         (True, LOCAL_CHANNEL_SECRET, LOCAL_ACCESS_TOKEN, "http://127.0.0.1:8765", "http://127.0.0.1:8765")),
        ({"LINE_CHANNEL_SECRET": "s3cret", "LINE_CHANNEL_ACCESS_TOKEN": "t0ken"},
         (False, "s3cret", "t0ken", "https://api.line.me", "https://api-data.line.me")),
        ({"LINE_CHANNEL_SECRET": " s3cret\n", "LINE_CHANNEL_ACCESS_TOKEN": " t0ken "},  # pasted with whitespace
         (False, "s3cret", "t0ken", "https://api.line.me", "https://api-data.line.me")),
        ({"SAIYAI_MODE": "Production", "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"},
         (False, "s", "t", "https://api.line.me", "https://api-data.line.me")),
        ({"SAIYAI_MODE": "local", "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"},
         (True, "s", "t", "http://127.0.0.1:8765", "http://127.0.0.1:8765")),
        ({"LINE_API_BASE_URL": "http://127.0.0.1:9000/"},   # the data API follows the fake in local mode
         (True, LOCAL_CHANNEL_SECRET, LOCAL_ACCESS_TOKEN, "http://127.0.0.1:9000", "http://127.0.0.1:9000")),
        ({"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "LINE_API_BASE_URL": "https://proxy.example/"},
         (False, "s", "t", "https://proxy.example", "https://api-data.line.me")),
        ({"LINE_DATA_API_BASE_URL": "http://127.0.0.1:9001"},
         (True, LOCAL_CHANNEL_SECRET, LOCAL_ACCESS_TOKEN, "http://127.0.0.1:8765", "http://127.0.0.1:9001")),
        ({"FAKE_LINE_PORT": "8865"},   # a second local copy beside the first
         (True, LOCAL_CHANNEL_SECRET, LOCAL_ACCESS_TOKEN, "http://127.0.0.1:8865", "http://127.0.0.1:8865")),
        ({"FAKE_LINE_PORT": "8865", "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"},  # local only
         (False, "s", "t", "https://api.line.me", "https://api-data.line.me")),
    ],
    ids=["no creds", "blank creds", "both creds", "creds with whitespace", "mode production",
         "mode local with creds", "fake url override", "production url override", "data url override",
         "fake port", "fake port ignored in production"],
)
def test_load_config(env: dict[str, str], expected: tuple) -> None:
    assert summary(load_config(env)) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LINE_CHANNEL_SECRET": "s"}, SECRET_ONLY_ERROR),
        ({"LINE_CHANNEL_ACCESS_TOKEN": "t"},
         "Saiyai cannot start in production mode: set LINE_CHANNEL_SECRET "
         "(from the LINE Developers console), or unset both for local mode."),
        ({"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "   "}, SECRET_ONLY_ERROR),
        ({"SAIYAI_MODE": "production"},
         "Saiyai cannot start in production mode: set LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN "
         "(from the LINE Developers console), or unset both for local mode."),
        ({"SAIYAI_MODE": "staging"}, "SAIYAI_MODE must be 'local' or 'production', not 'staging'."),
        ({"LINE_API_BASE_URL": "api.line.me"},
         "LINE_API_BASE_URL must start with http:// or https://, got 'api.line.me'."),
        ({"LINE_API_BASE_URL": "ftp://127.0.0.1"},
         "LINE_API_BASE_URL must start with http:// or https://, got 'ftp://127.0.0.1'."),
        ({"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "LINE_DATA_API_BASE_URL": "api-data.line.me"},
         "LINE_DATA_API_BASE_URL must start with http:// or https://, got 'api-data.line.me'."),
        ({"LINE_REQUEST_TIMEOUT": "ten"}, "LINE_REQUEST_TIMEOUT must be a number, got 'ten'."),
        ({"LINE_REQUEST_TIMEOUT": "0"}, "LINE_REQUEST_TIMEOUT must be greater than zero, got '0'."),
        ({"OUTBOX_BATCH": "-5"}, "OUTBOX_BATCH must be greater than zero, got '-5'."),
        ({"LINE_REQUEST_TIMEOUT": "25"},
         "LINE_REQUEST_TIMEOUT must be at most 20 seconds: a reply must end well inside the 30 seconds "
         "the outbox waits before pushing it instead."),
        ({"WEBHOOK_REPLY_BUDGET_SECONDS": "2"},
         "WEBHOOK_REPLY_BUDGET_SECONDS must be under LINE's 2-second wait for the webhook, got 2."),
    ],
    ids=["secret only", "token only", "blank token", "production without creds", "unknown mode",
         "url without scheme", "ftp url", "bad data url", "timeout not a number", "zero timeout", "negative batch",
         "timeout past the reply grace", "reply budget past LINE's wait"],
)
def test_bad_configuration_is_one_clear_error(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(env)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, (10.0, 200, 8, 1.0, 16)),
        ({"LINE_REQUEST_TIMEOUT": "2.5", "OUTBOX_BATCH": "50", "OUTBOX_CONCURRENCY": "4",
          "WEBHOOK_REPLY_BUDGET_SECONDS": "0.5", "WEBHOOK_REPLY_THREADS": "4"}, (2.5, 50, 4, 0.5, 4)),
    ],
)
def test_numeric_settings(env: dict[str, str], expected: tuple) -> None:
    config = load_config(env)
    assert (config.request_timeout, config.outbox_batch, config.outbox_concurrency, config.reply_budget,
            config.reply_concurrency) == expected


@pytest.mark.parametrize(
    ("name", "raw"),
    [("OUTBOX_BATCH", "nan"), ("OUTBOX_BATCH", "inf"), ("OUTBOX_BATCH", "0.5"),
     ("OUTBOX_CONCURRENCY", "0.5"), ("LINE_REQUEST_TIMEOUT", "nan"), ("LINE_REQUEST_TIMEOUT", "inf")],
)
def test_numbers_that_are_not_usable_are_a_config_error(name: str, raw: str) -> None:
    with pytest.raises(ConfigError, match=f"^{name} "):
        load_config({name: raw})


def test_database_url_defaults_to_sqlite_under_instance() -> None:
    assert load_config({}).database_url == f"sqlite:///{PROJECT_ROOT / 'instance' / 'saiyai.sqlite3'}"
    assert load_config({"DATABASE_URL": " postgresql://db/saiyai "}).database_url == "postgresql://db/saiyai"


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgres://u:p@db.example:5432/saiyai", "postgresql+psycopg"),      # the form Heroku-style hosts give
        ("postgresql://u:p@db.example:5432/saiyai", "postgresql+psycopg"),
        ("postgresql+psycopg://u:p@db.example:5432/saiyai", "postgresql+psycopg"),
    ],
)
def test_make_engine_accepts_postgres_urls(url: str, driver: str) -> None:
    engine = make_engine(url)
    try:
        assert engine.url.drivername == driver
        assert (engine.url.host, engine.url.port, engine.url.database) == ("db.example", 5432, "saiyai")
    finally:
        engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="no PostgreSQL server: set SAIYAI_TEST_PG_URL")
def test_a_postgres_url_connects() -> None:
    engine = make_engine(re.sub(r"^postgresql://", "postgres://", PG_URL))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


# --- the processes refuse to start with one line -----------------------------------------------

def secret_only_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LINE_", "SAIYAI_", "DATABASE_URL", "OUTBOX_", "GUNICORN_", "WEB_CONCURRENCY"))}
    env.update(LINE_CHANNEL_SECRET="s3cret", PORT="0")
    return env


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=PROJECT_ROOT, env=secret_only_env(),
                          capture_output=True, text=True, timeout=60)


def test_the_scheduler_refuses_to_start_with_one_line() -> None:
    result = run("-m", "scheduler")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"saiyai scheduler: {SECRET_ONLY_ERROR}"]
    assert result.stdout == ""


def test_gunicorn_refuses_to_start_with_one_line() -> None:
    result = run("-m", "gunicorn", "-c", "gunicorn.conf.py", "bot:create_app()")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if "LINE_CHANNEL_ACCESS_TOKEN" in line] == [
        f"saiyai web: {SECRET_ONLY_ERROR}"]
    assert "Booting worker" not in result.stderr
    assert result.stdout == ""
