"""On SQLite one scheduler at a time (issue 17, item 18): a second `python -m scheduler` on the same file
stops at start-up with one clear line, instead of logging "database is locked" from every job."""

from __future__ import annotations

import time

import pytest

from scheduler.__main__ import AlreadyRunning, sqlite_scheduler_lock
from support.schedulers import start_scheduler

pytestmark = pytest.mark.slow


def test_a_second_scheduler_on_the_same_sqlite_file_stops_with_one_line(db_url, fake_line, tmp_path) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL runs several schedulers safely (test_exactly_once)")
    first = start_scheduler(db_url, fake_line.url, tmp_path / "first.log")
    try:
        time.sleep(2)  # started and holding the lock
        assert first.poll() is None
        second = start_scheduler(db_url, fake_line.url, tmp_path / "second.log")
        assert second.wait(timeout=30) == 3
        lock = db_url.removeprefix("sqlite:///") + ".scheduler.lock"
        assert (tmp_path / "second.log").read_text().splitlines() == [
            f"saiyai scheduler: another scheduler (process {first.pid}) already runs on this SQLite database "
            f"(lock: {lock}); SQLite allows one scheduler, use PostgreSQL to run several"]
        assert first.poll() is None  # the first one goes on
    finally:
        first.terminate()
        first.wait(timeout=30)
    # Once it has stopped, another may start.
    third = start_scheduler(db_url, fake_line.url, tmp_path / "third.log")
    try:
        time.sleep(2)
        assert third.poll() is None
    finally:
        third.terminate()
        third.wait(timeout=30)


def test_the_lock_is_per_sqlite_file_and_none_elsewhere(tmp_path) -> None:
    held = sqlite_scheduler_lock(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    try:
        with pytest.raises(AlreadyRunning):
            sqlite_scheduler_lock(f"sqlite:///{tmp_path / 'a.sqlite3'}")
        other = sqlite_scheduler_lock(f"sqlite:///{tmp_path / 'b.sqlite3'}")
        other.close()
    finally:
        held.close()
    sqlite_scheduler_lock(f"sqlite:///{tmp_path / 'a.sqlite3'}").close()  # closed (the process ended): free
    assert sqlite_scheduler_lock("sqlite:///:memory:") is None
    assert sqlite_scheduler_lock("postgresql+psycopg://saiyai@127.0.0.1/saiyai") is None
