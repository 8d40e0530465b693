"""What the benchmark scripts share: measuring this process, describing the machine and the code,
fresh databases, the fake LINE API in a process of its own, and their sections of BENCHMARKS.md.

Importing it does nothing but define names; the scripts put the repository root on sys.path first.
"""

from __future__ import annotations

import datetime as dt
import math
import multiprocessing
import os
import platform
import resource
import signal
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
RESULTS_DIR = ROOT / "bench" / "results"
BENCHMARKS_HEADER = ("# Benchmarks\n\nResults written by the scripts in `bench/`; each section says how to reproduce "
                     "it.\n\n")
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:54330/postgres"
MULTICAST_RATE = 200      # LINE: multicast requests per second per channel
MULTICAST_SIZE = 500      # LINE: user ids per multicast
PEOPLE_PER_COMMUNITY = 1_000
COMMUNITIES_PER_ZONE = 40
SQLITE_CHUNK = 50_000

# Processes started with spawn(); stop_children() ends those still running (on an error, or SIGTERM).
children: list[multiprocessing.process.BaseProcess] = []


# --- this process ------------------------------------------------------------------------------

def peak_rss_mb() -> float:
    """This process's peak resident set: VmHWM (reset by exec, so a spawned worker's own), else getrusage."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_cpu() -> float:
    """User + system CPU seconds this process has used, all its threads together."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


def exit_on_sigterm() -> None:
    """Make SIGTERM (a CI timeout, `kill`) unwind through `finally` blocks, so they stop the children."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


# --- the machine and the code, for a report ----------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """CPUs, Python and platform, as a report's "Machine:" line shows them (see describe_machine)."""
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "cpu": cpu_model()}


def describe_machine(info: dict[str, Any]) -> str:
    return f"{info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, {info['platform']}"


def format_load(load: tuple[float, ...]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


def code_version(untracked: bool = True) -> str:
    """The commit measured, and whether the working tree had changes on top of it (read-only git);
    `untracked`: whether files git does not track yet count as changes."""
    status = ["git", "status", "--porcelain"] + ([] if untracked else ["--untracked-files=no"])
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(status, cwd=ROOT, capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head or "unknown") + (" + uncommitted changes" if dirty else "")


# --- BENCHMARKS.md -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Markers:
    """The comments around one benchmark's section of BENCHMARKS.md."""

    start: str
    end: str


def section_markers(name: str, script: str) -> Markers:
    """The markers of section `name` (e.g. "notice-bench"), written by `script` (e.g. "bench/notice_bench.py")."""
    return Markers(f"<!-- {name}:start (written by {script}; edit the script, not this) -->", f"<!-- {name}:end -->")


def write_section(section: str, markers: Markers, path: Path = BENCHMARKS_MD) -> None:
    """Replace the marked section in place, or append it at the end; nothing else in the file changes.

    `section` runs from markers.start to markers.end; newlines around it are dropped, the file's own kept."""
    section = section.strip("\n")
    current = path.read_text() if path.exists() else BENCHMARKS_HEADER
    start, end = current.find(markers.start), current.find(markers.end)
    if 0 <= start < end:
        path.write_text(current[:start] + section + current[end + len(markers.end):])
    else:
        path.write_text(current.rstrip("\n") + "\n\n" + section + "\n")


# --- databases ---------------------------------------------------------------------------------

def database_url(server_url: str, name: str) -> str:
    """The URL of database `name` on the server of `server_url` (another database's URL there)."""
    parts = urllib.parse.urlsplit(server_url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def recreate_database(admin_url: str, name: str) -> str:
    """Drop database `name` if it is there (closing its connections) and create it empty; returns its URL.
    Raises ImportError without psycopg, psycopg.Error when the server is not there."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_sqlite(path: Path) -> str:
    """Remove the SQLite file at `path` and its journal files; returns its URL."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def upgrade(url: str) -> None:
    """`alembic upgrade head` on `url`, in this process."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    alembic_cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    alembic_cfg.attributes.update(database_url=url, configure_logger=False)
    command.upgrade(alembic_cfg, "head")


def fresh_database(kind: str, pg_url: str, workdir: Path, name: str) -> str:
    """An empty database `name` at Alembic's head: on the server of `pg_url` (kind "postgresql"), or a
    SQLite file `name`.sqlite3 in `workdir`; returns its URL."""
    url = fresh_sqlite(workdir / f"{name}.sqlite3") if kind == "sqlite" else recreate_database(pg_url, name)
    upgrade(url)
    return url


def seed_people(url: str, people: int, now: dt.datetime) -> int:
    """One organization, its zones and communities, and `people` consented members; returns the organization id."""
    from sqlalchemy import Text, func, insert, literal, select, text

    from models import Community, Membership, Network, NetworkKind, Organization, Person
    from models.db import make_engine

    engine = make_engine(url)
    communities = max(1, people // PEOPLE_PER_COMMUNITY)
    zones = max(1, communities // COMMUNITIES_PER_ZONE)
    with engine.begin() as conn:
        org_id = conn.execute(insert(Organization).values(name=f"กรุงเทพมหานคร {people}", created_at=now)
                              .returning(Organization.id)).scalar_one()
        zone_ids = [conn.execute(insert(Network).values(organization_id=org_id, name=f"โซน {z + 1}",
                                                        kind=NetworkKind.ZONE).returning(Network.id)).scalar_one()
                    for z in range(zones)]
        conn.execute(insert(Community), [{"organization_id": org_id, "name": f"ชุมชนที่ {c + 1}",
                                          "zone_id": zone_ids[c % zones]} for c in range(communities)])
        first_community = conn.scalar(select(func.min(Community.id)).where(Community.organization_id == org_id))
        if engine.dialect.name == "postgresql":
            series = select(func.generate_series(1, people).column_valued("g")).subquery()
            g = series.c.g
            conn.execute(insert(Person).from_select(
                ["line_user_id", "full_name", "consent_version", "consented_at", "created_at", "updated_at"],
                select(literal("U") + func.lpad(func.to_hex(g), 32, "0"), literal("สมาชิก ") + g.cast(Text),
                       literal("2026-11"), literal(now), literal(now), literal(now))))
        else:
            for start in range(0, people, SQLITE_CHUNK):
                rows = range(start + 1, min(start + SQLITE_CHUNK, people) + 1)
                conn.execute(insert(Person), [{"line_user_id": f"U{n:032x}", "full_name": f"สมาชิก {n}",
                                               "consent_version": "2026-11", "consented_at": now,
                                               "created_at": now, "updated_at": now} for n in rows])
        conn.execute(insert(Membership).from_select(
            ["person_id", "role", "organization_id", "community_id", "created_at"],
            select(Person.id, literal("member"), literal(org_id),
                   literal(first_community) + Person.id % communities, literal(now))))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return org_id


# --- processes of our own, and the fake LINE API in one -----------------------------------------

def spawn(target: Callable[..., Any], *args: Any) -> tuple[Any, multiprocessing.process.BaseProcess]:
    """Start target(conn, *args) in a fresh (spawned) daemon process; returns this end of the pipe and the process."""
    context = multiprocessing.get_context("spawn")
    conn, child = context.Pipe()
    process = context.Process(target=target, args=(child, *args), daemon=True)
    process.start()
    children.append(process)
    child.close()  # the child's end: if it dies, this end reads EOF instead of waiting forever
    return conn, process


def receive(conn: Any, timeout: float, failure: str) -> Any:
    """The next message from a child process, or an error if it died or went quiet."""
    try:
        if conn.poll(timeout):
            return conn.recv()
    except EOFError:
        pass
    raise RuntimeError(failure)


def stop_children() -> None:
    for process in children:
        if process.is_alive():
            process.terminate()
            process.join(5)
    children.clear()


def every_request(requests: list[Any]) -> dict[str, Any]:
    """FakeLine's default summary: (endpoint, status, delivered, retry key, to, arrival time) of every request."""
    return {"requests": [(r.path.rsplit("/", 1)[-1], r.status, r.delivered, r.retry_key,
                          (r.body or {}).get("to") if isinstance(r.body, dict) else None, r.at) for r in requests]}


def _fake_main(conn: Any, token: str, limits: dict[str, float],
               summarize: Callable[[list[Any]], dict[str, Any]]) -> None:
    from bot.fakeline import FakeLineServer

    server = FakeLineServer(access_token=token)
    server.state.rate_limits.update(limits)
    state, cpu = server.state, process_cpu()
    with server:
        conn.send(server.url)
        while conn.recv() == "take":
            with state.lock:
                taken = list(state.requests)
                state.requests.clear()
                state.accepted_retry_keys.clear()  # the next run's rows are new rows: nothing to remember
            summary = summarize(taken)
            conn.send({**summary, "cpu": process_cpu() - cpu})
            cpu = process_cpu()


class FakeLine:
    """bot.fakeline's server with LINE's rate limits (endpoint → requests per second), in a process of its
    own, so its memory and CPU are not Saiyai's.

    `summarize` (a module-level function, so the child can import it) turns the requests the fake recorded
    since the last take into a dict, in the fake's process: only that crosses the pipe."""

    def __init__(self, token: str, limits: dict[str, float],
                 summarize: Callable[[list[Any]], dict[str, Any]] = every_request) -> None:
        self.conn, self.process = spawn(_fake_main, token, limits, summarize)
        self.url = receive(self.conn, 60, "the fake LINE API did not start")

    def take(self) -> dict[str, Any]:
        """`summarize` of every request since the last take, with "cpu": the fake's CPU seconds since then."""
        self.conn.send("take")
        return receive(self.conn, 60, "the fake LINE API did not answer")

    def stop(self) -> None:
        try:
            self.conn.send("stop")
        except OSError:  # it has gone already
            pass
        self.process.join(10)
