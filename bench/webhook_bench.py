"""Webhook CPU per event: Saiyai answering `help` against a minimal echo app sending the same reply (the floor).

Run from the repository root (with the defaults: 3 rounds of 3 targets, about 3 minutes on a busy 2-CPU machine;
every run is capped by --time-limit and no further round starts past --budget):

    python bench/webhook_bench.py --pg-url postgresql://postgres@127.0.0.1:PORT/postgres   # writes BENCHMARKS.md
    python bench/webhook_bench.py --events 500 --repeat 1 --no-write --targets echo-help,saiyai-sqlite
    python bench/webhook_bench.py --profile             # + py-spy stacks of the workers (pip install py-spy)

Each target is served by gunicorn with the Procfile's settings (`gunicorn -c gunicorn.conf.py APP`,
gthread, WEB_CONCURRENCY workers, GUNICORN_THREADS threads) on a free loopback port, talking to its
own fresh fake LINE API (`python -m bot.fakeline`). The generator signs every body up front (each
event has its own webhookEventId and replyToken, as LINE's do), warms up, then sends the events from
C threads over keep-alive connections and times each request. Afterwards it asks the fake for the
replies it delivered: every event must have been answered exactly once, or the run counts as failed.

Targets: `echo-help` (bench/echo_app.py: Flask + SDK, no database, replying with the messages Saiyai
sends for `help`, captured from Saiyai at the start of the run: the floor), `saiyai-sqlite` (a fresh
SQLite file), `saiyai-postgresql` (a fresh `saiyai_bench` database on --pg-url; skipped when the server
is not there), and on request `echo` (the same app replying one word).

The verdict is CPU per event, not throughput: Saiyai's app CPU (gunicorn's master and workers) plus,
on PostgreSQL, the database server's CPU, per `help` event, at most TARGET_CPU_RATIO × echo-help's app
CPU per event. Throughput on a 2-CPU machine shared with the load generator, the fake and other work
measures the machine more than the code; CPU per event moves much less. The throughput ratio is still
given beside it. Targets run in alternating rounds (echo-help, sqlite, postgresql, echo-help, …); each
Saiyai run is compared with the echo-help run of its own round, and the report gives the median and the
spread (lowest–highest) of those per-round ratios.

Why the floor replies like Saiyai: the fake LINE API validates every reply with the SDK's models on
the same CPUs, and the `help` reply (14 commands, 13 quick replies) costs it several times what one
word does; the app's own cost of sending a bigger body is also higher.
Results go to a marked section of BENCHMARKS.md and, as JSON, to bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

SECTION = common.section_markers("webhook-bench", "bench/webhook_bench.py")

SECRET = "saiyai-bench-channel-secret"
ACCESS_TOKEN = "saiyai-bench-access-token"
DESTINATION = "U" + "b" * 32
USERS = 100  # distinct senders; every one of them sends `help` in a 1:1 chat
TARGET_CPU_RATIO = 1.5  # Saiyai's app + database CPU per event over echo-help's app CPU per event, at most
MAX_EVENTS = 20_000  # bounds, whatever the command line says
MAX_CLIENTS = 128
PG_BENCH_DB = "saiyai_bench"
TARGETS = ("echo", "echo-help", "saiyai-sqlite", "saiyai-postgresql")
DEFAULT_TARGETS = ("echo-help", "saiyai-sqlite", "saiyai-postgresql")
# The floor Saiyai is measured against: the echo app sending the very reply Saiyai sends for `help`.
FLOOR = "echo-help"
APPS = {"echo": "bench.echo_app:create_app()", "saiyai": "bot:create_app()"}


class BenchError(Exception):
    """Something the benchmark cannot carry on from; the message says what."""


@dataclass
class Result:
    target: str
    app: str
    database: str
    round: int = 1
    events: int = 0
    clients: int = 0
    seconds: float = 0.0
    events_per_s: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    errors: int = 0
    replies_expected: int = 0
    replies_delivered: int = 0
    verified: bool = False
    app_cpu_ms_per_event: float = 0.0
    db_cpu_ms_per_event: float | None = None  # PostgreSQL's server processes, when it runs on this machine
    same_reply: bool | None = None  # every reply identical to echo-help's (None: not compared)
    fake_cpu_ms_per_event: float = 0.0
    loadgen_cpu_ms_per_event: float = 0.0
    skipped: str = ""
    notes: list[str] = field(default_factory=list)


# --- processes -------------------------------------------------------------------------------


class Processes:
    """Subprocesses this run started, each in its own session, stopped by id even on error."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{name}.log", "wb")
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self._procs.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # the group this process leads: gunicorn and its workers
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
        self._procs = [(n, p) for n, p in self._procs if p is not proc]

    def stop_all(self) -> None:
        for _, proc in reversed(list(self._procs)):
            self.stop(proc)

    def tail(self, name: str, lines: int = 20) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen[bytes], procs: Processes, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{name} exited with {proc.returncode}:\n{procs.tail(name)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise BenchError(f"{name} did not answer {url} within {timeout:.0f} s:\n{procs.tail(name)}")


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of processes (all their threads) from /proc; 0 where /proc is not there."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def process_tree(pid: int) -> list[int]:
    """A process and its descendants (gunicorn's master and workers)."""
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                queue.extend(int(c) for c in children)
        except OSError:
            continue
    return pids


# --- databases -------------------------------------------------------------------------------


def prepare_postgres(admin_url: str) -> str:
    """A fresh database for the run; returns its URL. Raises BenchError when the server is not there."""
    try:
        import psycopg
    except ImportError as exc:
        raise BenchError(f"psycopg is not installed ({exc})") from None
    try:
        return common.recreate_database(admin_url, PG_BENCH_DB)
    except psycopg.Error as exc:
        raise BenchError(f"PostgreSQL at {redact(admin_url)}: {str(exc).strip().splitlines()[0]}") from None


def postgres_cpu_reader(admin_url: str) -> Callable[[], float] | None:
    """A function giving the CPU seconds PostgreSQL's server processes have used so far (the postmaster,
    its live children, and through the postmaster's children times the backends that have exited), or
    None when the server's data directory is not readable here (another machine, another user)."""
    try:
        import psycopg

        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            data_dir = conn.execute("SHOW data_directory").fetchone()[0]
        postmaster = int(Path(data_dir, "postmaster.pid").read_text().split()[0])
    except Exception:
        return None
    tick = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
        own_and_exited = sum(int(f) for f in fields[11:15]) / tick  # utime, stime, cutime, cstime
        return own_and_exited + cpu_seconds(process_tree(postmaster)[1:])

    try:
        read()
    except OSError:
        return None
    return read


def drop_postgres(admin_url: str) -> None:
    try:
        common.drop_database(admin_url, PG_BENCH_DB)
    except Exception as exc:  # leaving the database behind is harmless; say so and go on
        print(f"  (could not drop {PG_BENCH_DB}: {exc})", file=sys.stderr)


def migrate(database_url: str, env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT,
                            env={**env, "DATABASE_URL": database_url}, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise BenchError(f"alembic upgrade head failed:\n{result.stdout}{result.stderr}")


def redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    return url


# --- load ------------------------------------------------------------------------------------


def sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def make_events(count: int, start: int) -> list[tuple[bytes, str, str]]:
    """Signed bodies, one `help` text event each, as LINE sends them: (body, signature, reply token)."""
    out = []
    for i in range(start, start + count):
        token = uuid.uuid4().hex
        event = {
            "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": f"U{i % USERS:032x}"},
            "webhookEventId": "01" + uuid.uuid4().hex[:24].upper(),
            "deliveryContext": {"isRedelivery": False},
            "replyToken": token,
            "message": {"id": str(10_000_000 + i), "type": "text", "text": "help", "quoteToken": "q"},
        }
        body = json.dumps({"destination": DESTINATION, "events": [event]}).encode()
        out.append((body, sign(body), token))
    return out


def send_all(port: int, events: list[tuple[bytes, str, str]], clients: int,
             deadline: float) -> tuple[list[float], int, float]:
    """POST every event from `clients` threads on keep-alive connections; (latencies s, errors, wall s)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    source = iter(events)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        mine: list[float] = []
        failed = 0
        try:
            while time.monotonic() < deadline:
                with lock:
                    item = next(source, None)
                if item is None:
                    break
                body, signature, _ = item
                headers = {"Content-Type": "application/json", "X-Line-Signature": signature}
                started = time.perf_counter()
                try:
                    conn.request("POST", "/callback", body, headers)
                    response = conn.getresponse()
                    response.read()
                    ok = response.status == 200
                    if response.getheader("Connection", "").lower() == "close":
                        conn.close()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    ok = False
                mine.append(time.perf_counter() - started)
                failed += 0 if ok else 1
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)
                errors[0] += failed

    threads = [threading.Thread(target=client, name=f"client-{i}", daemon=True) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 20)
    wall = time.perf_counter() - started
    unsent = sum(1 for _ in source)
    return latencies, errors[0] + unsent, wall


def fake_replies(fake_url: str) -> tuple[set[str], int, Counter[str], set[str]]:
    """Reply tokens the fake delivered, how many reply requests it refused, the replies' first lines, and
    the distinct message lists delivered (as canonical JSON)."""
    with urllib.request.urlopen(fake_url + "/__fake__/requests", timeout=30) as response:
        rows = json.load(response)
    delivered: set[str] = set()
    refused = 0
    texts: Counter[str] = Counter()
    bodies: set[str] = set()
    for row in rows:
        if not row["path"].endswith("/reply"):
            continue
        if row["delivered"] and row["status"] == 200:
            delivered.add(row["body"]["replyToken"])
            bodies.add(canonical(row["body"]["messages"]))
            first = row["body"]["messages"][0]
            texts[(first.get("text") or first.get("altText") or first.get("type", "")).split("\n", 1)[0][:60]] += 1
        else:
            refused += 1
    return delivered, refused, texts, bodies


def canonical(messages: Any) -> str:
    return json.dumps(messages, sort_keys=True, ensure_ascii=False)


# --- one target ------------------------------------------------------------------------------


def capture_help_reply(workdir: Path, env: dict[str, str]) -> Path:
    """The messages Saiyai replies to `help` (as the load generator sends it), as LINE received them, in
    a JSON file for the echo-help target; taken from Saiyai itself on a fresh SQLite file and a fake."""
    from bot import create_app
    from bot.config import Config
    from bot.fakeline import FakeLineServer

    database_url = common.fresh_sqlite(workdir / "capture.sqlite3")
    migrate(database_url, env)
    with FakeLineServer(access_token=ACCESS_TOKEN) as fake:
        config = Config(channel_secret=SECRET, access_token=ACCESS_TOKEN, line_api_base_url=fake.url,
                        line_data_base_url=fake.url, database_url=database_url, local_mode=False)
        app = create_app({"SAIYAI_CONFIG": config})
        try:
            body, signature, _ = make_events(1, 0)[0]
            answer = app.test_client().post("/callback", data=body, headers={
                "Content-Type": "application/json", "X-Line-Signature": signature})
            replies = fake.state.deliveries("reply")
        finally:
            app.extensions["saiyai"].line.close()
            app.extensions["saiyai.engine"].dispose()
    if answer.status_code != 200 or len(replies) != 1:
        raise BenchError(f"could not capture Saiyai's reply to help: {answer.status_code}, {len(replies)} replies")
    path = workdir / "help-reply.json"
    path.write_text(json.dumps(replies[0].body["messages"], ensure_ascii=False), encoding="utf-8")
    return path


def run_target(target: str, args: argparse.Namespace, procs: Processes, base_env: dict[str, str],
               workdir: Path) -> Result:
    app_name, _, db_kind = target.partition("-")
    if app_name == "echo":
        db_kind = ""  # echo-help is the echo app with another reply, not a database
    result = Result(target=target, app=APPS[app_name], database=db_kind or "none",
                    events=args.events, clients=args.clients)
    env = {**base_env}
    if target == FLOOR:
        env["ECHO_REPLY_FILE"] = str(workdir / "help-reply.json")
    pg_admin = args.pg_url
    if db_kind == "sqlite":
        database_url = common.fresh_sqlite(workdir / "saiyai-bench.sqlite3")
    elif db_kind == "postgresql":
        try:
            database_url = prepare_postgres(pg_admin)
        except BenchError as exc:
            result.skipped = str(exc)
            return result
    else:
        database_url = f"sqlite:///{workdir / 'unused-by-echo.sqlite3'}"  # load_config wants one; echo never opens it
    if db_kind:
        migrate(database_url, env)

    db_cpu = postgres_cpu_reader(pg_admin) if db_kind == "postgresql" else None
    db_cpu_before = db_cpu() if db_cpu else 0.0
    fake_port, app_port = free_port(), free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    fake = procs.start(f"{target}-fakeline", [sys.executable, "-m", "bot.fakeline", "--port", str(fake_port)], env)
    try:
        wait_http(fake_url + "/__fake__/requests", fake, procs, f"{target}-fakeline")
        env.update(PORT=str(app_port), LINE_API_BASE_URL=fake_url, DATABASE_URL=database_url)
        app = procs.start(target, [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", APPS[app_name]], env)
        try:
            wait_http(f"http://127.0.0.1:{app_port}/healthz", app, procs, target)
            deadline = time.monotonic() + args.time_limit
            warm = make_events(args.warmup, 0)
            _, warm_errors, _ = send_all(app_port, warm, args.clients, deadline)
            if warm_errors:
                raise BenchError(f"{target}: {warm_errors} of {args.warmup} warm-up events failed:\n{procs.tail(target)}")
            events = make_events(args.events, args.warmup)
            app_pids, fake_pids = process_tree(app.pid), process_tree(fake.pid)
            cpu_before = cpu_seconds(app_pids), cpu_seconds(fake_pids), time.process_time()
            spy = start_profiler(target, app.pid, procs, env) if args.profile else None
            latencies, errors, wall = send_all(app_port, events, args.clients, deadline)
            cpu_after = cpu_seconds(app_pids), cpu_seconds(fake_pids), time.process_time()
            if spy is not None:
                stop_profiler(spy, procs)
                result.notes.append(f"profiled (py-spy): see bench/results/profile-{target}.txt")
            delivered, refused, texts, bodies = fake_replies(fake_url)
        finally:
            procs.stop(app)
        if db_cpu is not None:
            # After the app stopped, its backends have exited: their CPU is in the postmaster's children
            # times. This covers the warm-up too, so it is divided by every event sent.
            time.sleep(0.5)
            result.db_cpu_ms_per_event = (db_cpu() - db_cpu_before) * 1000 / max(1, args.warmup + args.events)
    finally:
        procs.stop(fake)
        if db_kind == "postgresql" and not args.keep_db:
            drop_postgres(pg_admin)

    latencies.sort()
    done = len(latencies) - errors
    result.seconds = wall
    result.events_per_s = done / wall if wall else 0.0
    result.p50_ms, result.p90_ms = (common.percentile(latencies, q) * 1000 for q in (0.50, 0.90))
    result.p99_ms, result.max_ms = common.percentile(latencies, 0.99) * 1000, (latencies[-1] * 1000 if latencies else 0.0)
    result.errors = errors
    expected = {token for _, _, token in warm + events}
    result.replies_expected = len(expected)
    result.replies_delivered = len(delivered & expected)
    result.verified = errors == 0 and delivered == expected and refused == 0
    per_event = 1000 / max(1, len(events))
    result.app_cpu_ms_per_event = (cpu_after[0] - cpu_before[0]) * per_event
    result.fake_cpu_ms_per_event = (cpu_after[1] - cpu_before[1]) * per_event
    result.loadgen_cpu_ms_per_event = (cpu_after[2] - cpu_before[2]) * per_event
    if refused:
        result.notes.append(f"the fake refused {refused} reply requests")
    captured = workdir / "help-reply.json"
    if target != "echo" and captured.exists():
        # The floor only means something if Saiyai sent LINE the very messages echo-help sends.
        result.same_reply = bodies == {canonical(json.loads(captured.read_text(encoding="utf-8")))}
    # Every event is the same `help`, so one answer is expected; an apology here means handlers failed.
    for text, count in texts.most_common(3):
        result.notes.append(f"reply ×{count}: {text}")
    if len(texts) > 3:
        result.notes.append(f"… {len(texts)} different replies in all")
    return result


# --- profiling -------------------------------------------------------------------------------


def start_profiler(target: str, pid: int, procs: Processes, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """py-spy sampling gunicorn's workers (on-CPU stacks) into bench/results/profile-TARGET.txt."""
    spy = shutil.which("py-spy")
    if spy is None:
        raise BenchError("--profile needs py-spy: pip install py-spy")
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = common.RESULTS_DIR / f"profile-{target}.txt"
    out.unlink(missing_ok=True)
    proc = procs.start(f"{target}-py-spy", [spy, "record", "--pid", str(pid), "--subprocesses", "--rate", "250",
                                           "--format", "raw", "--nonblocking", "-o", str(out)], env)
    time.sleep(1.0)  # py-spy attaches to every worker before the measured events start
    return proc


def stop_profiler(proc: subprocess.Popen[bytes], procs: Processes) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    procs.stop(proc)


def summarize_profile(path: Path, top: int = 30) -> str:
    """Share of request samples in Saiyai's own functions (and the library calls that tell most), by line."""
    project = ("(bot/", "(handlers/", "(models/", "(bench/")
    telling = ("do_ping", "do_commit", "Event.from_dict", "reply_message_with_http_info")
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if not any("Flask.__call__" in f for f in frames):
            continue  # only samples inside a request, not gunicorn's idle loop
        total += int(count)
        for frame in set(frames):
            if any(p in frame for p in project) or any(t in frame for t in telling):
                inclusive[frame] += int(count)
    if not total:
        return f"{path.name}: no request samples"
    lines = [f"{path.name}: {total} samples inside requests; share that passed through each function (by line)"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    return "\n".join(lines)


# --- report ----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {**common.machine(), "workers": int(os.environ.get("WEB_CONCURRENCY", "2")),
            "threads": int(os.environ.get("GUNICORN_THREADS", "4")), "code": common.code_version(untracked=False)}


def cpu_per_event(r: Result) -> float:
    """What an event costs on this machine's CPUs, the fake and the load generator aside: the app's
    processes, plus the database server's when it was measured (PostgreSQL; SQLite is in the app)."""
    return r.app_cpu_ms_per_event + (r.db_cpu_ms_per_event or 0.0)


@dataclass
class Comparison:
    """One Saiyai target against a floor, round by round (each run with the floor's run of its round)."""

    target: str
    floor: str
    cpu: list[float]         # Saiyai's app + database CPU per event over the floor's app CPU per event
    throughput: list[float]  # Saiyai's events/s over the floor's

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def throughput_median(self) -> float:
        return statistics.median(self.throughput)

    @property
    def passed(self) -> bool:
        return self.cpu_median <= TARGET_CPU_RATIO


def compare(results: list[Result], floor: str = FLOOR) -> list[Comparison]:
    """Each Saiyai target against the floor, pairing runs of the same round; only verified runs count."""
    floors = {r.round: r for r in results if r.target == floor and r.verified}
    out: dict[str, Comparison] = {}
    for r in results:
        base = floors.get(r.round)
        if not r.target.startswith("saiyai") or not r.verified or base is None:
            continue
        if not base.app_cpu_ms_per_event or not base.events_per_s:
            continue
        comparison = out.setdefault(r.target, Comparison(r.target, floor, [], []))
        comparison.cpu.append(cpu_per_event(r) / base.app_cpu_ms_per_event)
        comparison.throughput.append(r.events_per_s / base.events_per_s)
    return list(out.values())


def spread(values: list[float], unit: str = "×") -> str:
    """'1.62× (1.55–1.70×, 3 rounds)': the median, then the lowest and highest."""
    if len(values) == 1:
        return f"{values[0]:.2f}{unit} (1 round)"
    return (f"{statistics.median(values):.2f}{unit} ({min(values):.2f}–{max(values):.2f}{unit}, "
            f"{len(values)} rounds)")


def render_section(results: list[Result], info: dict[str, Any], command: str, started: str,
                   repeat: int) -> str:
    lines = [
        SECTION.start,
        "## Webhook CPU per event: `help` vs. the echo floor",
        "",
        f"- Date: {started}",
        f"- Machine: {common.describe_machine(info)}",
        f"- Server: gunicorn with `gunicorn.conf.py` as in the Procfile (gthread, {info['workers']} workers "
        f"× {info['threads']} threads); fake LINE API `python -m bot.fakeline`; load generator, fake and app share the machine",
        f"- Code: {info['code']}; load average before the run: {info['load']}, after: {info.get('load_after', '?')}",
        f"- Command: `{command}`",
        "",
        f"Target: Saiyai's app + database CPU per `help` event ≤ {TARGET_CPU_RATIO}× `{FLOOR}`'s app CPU per "
        "event (the echo app sending the same messages), every guarantee kept (the event row, the answer stored "
        "before the reply, the sent mark). Median of the per-round ratios; the throughput ratio is information.",
        "",
    ]
    comparisons = compare(results)
    for c in comparisons:
        verdict = "**pass**" if c.passed else "**fail**"
        lines.append(f"- {c.target}: CPU {spread(c.cpu)} of {FLOOR}'s — {verdict}; throughput "
                     f"{spread(c.throughput)}")
    for c in compare(results, "echo"):
        lines.append(f"- against the one-word `echo`: {c.target} CPU {spread(c.cpu)}, throughput {spread(c.throughput)}")
    unverified = [f"{r.target} (round {r.round})" for r in results if not r.skipped and not r.verified]
    if unverified:
        lines.append(f"- Not every event was answered exactly once in: {', '.join(unverified)} — those runs do not count.")
    lines += [
        "",
        "| round | target | app CPU ms/event | PostgreSQL CPU ms/event | app + database ms/event | × floor (CPU) "
        "| events/s | × floor (events/s) | p50 ms | p99 ms | errors | replies delivered | same reply as echo-help "
        "| fake LINE CPU ms/event |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    floors = {r.round: r for r in results if r.target == FLOOR and r.verified}
    for r in results:
        if r.skipped:
            lines.append(f"| {r.round} | {r.target} | skipped: {r.skipped} | | | | | | | | | | | |")
            continue
        base = floors.get(r.round)
        if base is not None and base.app_cpu_ms_per_event and base.events_per_s:
            cpu_x = f"{cpu_per_event(r) / base.app_cpu_ms_per_event:.2f}"
            tput_x = f"{r.events_per_s / base.events_per_s:.2f}"
        else:
            cpu_x = tput_x = "-"
        check = "" if r.verified else " ✗"
        lines.append(f"| {r.round} | {r.target} | {r.app_cpu_ms_per_event:.2f} | "
                     f"{'-' if r.db_cpu_ms_per_event is None else f'{r.db_cpu_ms_per_event:.2f}'} | "
                     f"{cpu_per_event(r):.2f} | {cpu_x} | {r.events_per_s:.0f} | {tput_x} | {r.p50_ms:.1f} | "
                     f"{r.p99_ms:.1f} | {r.errors} | {r.replies_delivered}/{r.replies_expected}{check} | "
                     f"{'-' if r.same_reply is None else ('yes' if r.same_reply else '**no**')} | "
                     f"{r.fake_cpu_ms_per_event:.2f} |")
    lines += [
        "",
        f"Each run sent {results[0].events} measured events (after a warm-up) from {results[0].clients} "
        "keep-alive clients; every event has its own webhookEventId and replyToken, and the run checks at the "
        "fake that each reply token was answered exactly once. "
        f"`{FLOOR}` replies with the messages Saiyai sent for `help` in this run (captured from Saiyai first), "
        "encoded to JSON once at start-up and posted as bytes on the SDK's connection pool, only the reply token "
        "spliced in per event: the least work that reply can cost. "
        f"The targets ran in {repeat} alternating round(s); each Saiyai run is compared with the floor's run of "
        "the same round. \"App CPU ms/event\" is the CPU time (user + system, all threads) of gunicorn's master "
        "and workers during the measured events divided by their number. \"PostgreSQL CPU ms/event\" is the "
        "whole database server's CPU (postmaster, its background processes and backends, read from /proc; "
        "nothing else uses that server during the run) from before the app started to after it stopped, over "
        "every event sent, warm-up included. \"Fake LINE CPU\" is the fake's process over the measured events; "
        "it is the same work for every target and not part of the ratio. Throughput (events/s) shares two CPUs "
        "with the load generator, the fake and whatever else runs on the machine.",
        SECTION.end,
    ]
    return "\n".join(lines) + "\n"


def print_table(results: list[Result]) -> None:
    print(f"\n{'round':>5} {'target':<20}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'replies':>14}"
          f"{'app ms/ev':>11}{'db ms/ev':>10}")
    for r in results:
        if r.skipped:
            print(f"{r.round:>5} {r.target:<20}skipped: {r.skipped}")
            continue
        print(f"{r.round:>5} {r.target:<20}{r.events_per_s:>10.0f}{r.p50_ms:>9.1f}{r.p99_ms:>9.1f}{r.errors:>8}"
              f"{f'{r.replies_delivered}/{r.replies_expected}':>14}{r.app_cpu_ms_per_event:>11.2f}"
              + (f"{'-':>10}" if r.db_cpu_ms_per_event is None else f"{r.db_cpu_ms_per_event:>10.2f}")
              + f"  (fake {r.fake_cpu_ms_per_event:.2f} ms/ev)"
              + ("" if r.same_reply is not False else "  REPLY DIFFERS FROM echo-help's")
              + ("" if r.verified else "  NOT VERIFIED"))
        for note in r.notes:
            print(f"{'':<26}{note}")
    for c in compare(results):
        print(f"{c.target} / {FLOOR}: CPU {spread(c.cpu, 'x')} ({'pass' if c.passed else 'FAIL'} vs "
              f"{TARGET_CPU_RATIO}x); throughput {spread(c.throughput, 'x')}")
    for c in compare(results, "echo"):
        print(f"{c.target} / echo (one word): CPU {spread(c.cpu, 'x')}; throughput {spread(c.throughput, 'x')}")


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="measured events per run (default 2000)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent keep-alive clients (default 16)")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up events per target, not measured")
    parser.add_argument("--repeat", type=int, default=3,
                        help="alternating rounds of every target (default 3); median and spread are reported")
    parser.add_argument("--targets", default=",".join(DEFAULT_TARGETS),
                        help=f"comma-separated, from {', '.join(TARGETS)} (default {','.join(DEFAULT_TARGETS)})")
    parser.add_argument("--pg-url", default=os.environ.get("SAIYAI_BENCH_PG_URL", common.DEFAULT_PG_URL),
                        help=f"an admin URL of a PostgreSQL server; the bench creates {PG_BENCH_DB} on it")
    parser.add_argument("--time-limit", type=float, default=90, help="seconds allowed per run (warm-up + measure)")
    parser.add_argument("--budget", type=float, default=480,
                        help="no further round starts when it would end past this many seconds (default 480)")
    parser.add_argument("--keep-db", action="store_true", help=f"leave {PG_BENCH_DB} behind for inspection")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    parser.add_argument("--profile", action="store_true",
                        help="sample the workers with py-spy while measuring (slows them: implies --no-write)")
    args = parser.parse_args(argv)
    args.no_write = args.no_write or args.profile
    args.events = max(1, min(args.events, MAX_EVENTS))
    args.warmup = max(0, min(args.warmup, MAX_EVENTS))
    args.clients = max(1, min(args.clients, MAX_CLIENTS))
    args.repeat = max(1, min(args.repeat, 5))
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s): {', '.join(unknown)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = "python bench/webhook_bench.py" + ("" if argv is None and len(sys.argv) == 1 else " " + " ".join(
        sys.argv[1:] if argv is None else argv))
    base_env = {k: v for k, v in os.environ.items() if k not in ("GUNICORN_ACCESS_LOG", "SAIYAI_MODE")}
    base_env.update(LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN, PYTHONUNBUFFERED="1")
    common.exit_on_sigterm()  # the finally blocks below stop our subprocesses

    results: list[Result] = []
    rounds = 0
    load_before = common.format_load(os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    with tempfile.TemporaryDirectory(prefix="saiyai-bench-") as tmp:
        workdir = Path(tmp)
        procs = Processes(workdir)
        try:
            if FLOOR in args.targets:
                capture_help_reply(workdir, base_env)
            runs: dict[str, list[Result]] = {target: [] for target in args.targets}
            # Rounds (echo, sqlite, postgresql, echo, ...) rather than one target at a time, so a
            # busy spell on a shared machine does not land on one target only.
            began = time.monotonic()
            for attempt in range(args.repeat):
                spent = time.monotonic() - began
                if attempt and spent / attempt * (attempt + 1) > args.budget:
                    print(f"stopping after {attempt} round(s): another would pass the {args.budget:.0f} s budget")
                    break
                for target in args.targets:
                    if runs[target] and runs[target][-1].skipped:
                        continue
                    print(f"{target}: run {attempt + 1}/{args.repeat}, {args.events} events, {args.clients} clients…",
                          flush=True)
                    result = run_target(target, args, procs, base_env, workdir)
                    result.round = attempt + 1
                    runs[target].append(result)
                    if result.skipped:
                        print(f"  skipped: {result.skipped}")
                        continue
                    print(f"  {result.events_per_s:.0f} events/s, p50 {result.p50_ms:.1f} ms, "
                          f"p99 {result.p99_ms:.1f} ms, verified={result.verified}", flush=True)
            rounds = max(len(r) for r in runs.values()) if runs else 0
            # Every run, in the order it ran: the verdict takes the median of per-round ratios.
            results = sorted((r for target in args.targets for r in runs[target]),
                             key=lambda r: (r.round, args.targets.index(r.target)))
        except BenchError as exc:
            print(f"benchmark failed: {exc}", file=sys.stderr)
            return 1
        finally:
            procs.stop_all()

    print_table(results)
    if args.profile:
        for r in results:
            path = common.RESULTS_DIR / f"profile-{r.target}.txt"
            if not r.skipped and path.exists():
                print("\n" + summarize_profile(path))
    info = {**machine(), "load": load_before,
            "load_after": common.format_load(os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"}
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (common.RESULTS_DIR / f"webhook-{stamp}.json").write_text(json.dumps(
        {"date": started, "command": command, "machine": info, "comparisons": [asdict(c) for c in compare(results)],
         "results": [asdict(r) for r in results]}, indent=2, ensure_ascii=False))
    if not args.no_write:
        common.write_section(render_section(results, info, command, started, rounds), SECTION)
        print(f"wrote {common.BENCHMARKS_MD.relative_to(ROOT)}")
    return 0 if all(r.verified for r in results if not r.skipped) else 1


if __name__ == "__main__":
    sys.exit(main())
