"""Slow clients against gunicorn alone and behind nginx (deploy/nginx.conf): does LINE still get its
answers within 2 s? Loopback only; about 30 seconds, capped by --time-limit.

    python bench/slow_clients.py                      # both targets; writes BENCHMARKS.md
    python bench/slow_clients.py --no-write --targets gunicorn

Each target gets a fresh SQLite database, its own fake LINE API (`python -m bot.fakeline`) and gunicorn
with the Procfile's settings (`gunicorn -c gunicorn.conf.py`, gthread, 2 workers × 4 threads). For
`nginx`, the nginx binary serves deploy/nginx.conf itself, with its TLS lines replaced by a plain
listener on a loopback port, in a temporary prefix (skipped when nginx is not installed).

Then --slow-clients connections each send a webhook's headers and dribble its body, one byte every
--drip seconds, for --hold seconds: what a slow or hostile client does. Meanwhile a probe posts a
signed `help` webhook, as LINE does, every --probe-every seconds, each on a new connection, and waits
for the answer up to 5 s. A target passes when every probe is answered 200 within LINE's 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.webhook_bench import (  # noqa: E402
    ACCESS_TOKEN,
    SECRET,
    BenchError,
    Processes,
    free_port,
    make_events,
    migrate,
    wait_http,
)

SECTION = common.section_markers("slow-clients", "bench/slow_clients.py")
TARGETS = ("gunicorn", "nginx")
LINE_DEADLINE = 2.0
PROBE_TIMEOUT = 5.0
NGINX_SITE = ROOT / "deploy" / "nginx.conf"
SITE_UPSTREAM = "server 127.0.0.1:5000;"


@dataclass
class Result:
    target: str
    slow_clients: int
    probes: int = 0
    within_deadline: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    skipped: str = ""

    @property
    def passed(self) -> bool:
        return not self.skipped and self.probes > 0 and self.within_deadline == self.probes


# --- the two kinds of client -------------------------------------------------------------------

def slow_client(port: int, drip: float, stop: threading.Event, opened: threading.Semaphore) -> None:
    """Headers at once, then the body a byte at a time until told to stop; never finishes it."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"POST /callback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"X-Line-Signature: slow\r\nContent-Length: 65536\r\n\r\n{")
            opened.release()
            while not stop.wait(drip):
                sock.sendall(b" ")
    except OSError:
        opened.release()  # cut off (nginx's client_body_timeout) or refused: either way it stops here


def probe(port: int, body: bytes, signature: str, out: list[tuple[float, str, float]], lock: threading.Lock) -> None:
    """One webhook as LINE posts it; records (seconds, outcome, when it started)."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=PROBE_TIMEOUT)
    try:
        connection.request("POST", "/callback", body=body, headers={
            "Content-Type": "application/json", "X-Line-Signature": signature})
        response = connection.getresponse()
        response.read()
        outcome = str(response.status)
    except (OSError, http.client.HTTPException) as exc:
        outcome = type(exc).__name__
    finally:
        connection.close()
    with lock:
        out.append((time.monotonic() - started, outcome, started))


# --- one target --------------------------------------------------------------------------------

def nginx_config(workdir: Path, port: int, app_port: int) -> Path:
    """deploy/nginx.conf with a loopback listener instead of TLS, inside a minimal main configuration."""
    lines, listening = [], False
    for line in NGINX_SITE.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("listen "):
            if not listening:
                lines.append(f"    listen 127.0.0.1:{port};")
                listening = True
            continue
        if stripped.startswith("ssl_"):
            continue
        lines.append(line.replace(SITE_UPSTREAM, f"server 127.0.0.1:{app_port};"))
    site = "\n".join(lines)
    if f"server 127.0.0.1:{app_port};" not in site or not listening:
        raise BenchError(f"{NGINX_SITE} no longer has the `{SITE_UPSTREAM}` and `listen` lines this script replaces")
    (workdir / "saiyai-site.conf").write_text(site + "\n")
    main = workdir / "nginx.conf"
    temp = workdir / "nginx-temp"
    temp.mkdir(exist_ok=True)
    main.write_text(f"""worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {workdir}/saiyai-site.conf;
}}
""")
    return main


def run_target(target: str, args: argparse.Namespace, procs: Processes, base_env: dict[str, str],
               workdir: Path, deadline: float) -> Result:
    result = Result(target, args.slow_clients)
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if target == "nginx" and nginx is None:
        result.skipped = "nginx is not installed"
        return result
    env = dict(base_env)
    database_url = common.fresh_sqlite(workdir / f"{target}.sqlite3")
    migrate(database_url, env)
    fake_port, app_port = free_port(), free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    started = []
    try:
        fake = procs.start(f"{target}-fakeline", [sys.executable, "-m", "bot.fakeline", "--port", str(fake_port)], env)
        started.append(fake)
        wait_http(fake_url + "/__fake__/requests", fake, procs, f"{target}-fakeline")
        env.update(PORT=str(app_port), LINE_API_BASE_URL=fake_url, DATABASE_URL=database_url,
                   WEB_CONCURRENCY=str(args.workers), GUNICORN_THREADS=str(args.threads))
        app = procs.start(f"{target}-gunicorn", [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                                 "bot:create_app()"], env)
        started.append(app)
        wait_http(f"http://127.0.0.1:{app_port}/healthz", app, procs, f"{target}-gunicorn")
        port = app_port
        if target == "nginx":
            port = free_port()
            config = nginx_config(workdir, port, app_port)
            proxy = procs.start("nginx", [nginx, "-p", str(workdir), "-e", str(workdir / "nginx-error.log"),
                                          "-c", str(config), "-g", "daemon off;"], env)
            started.append(proxy)
            wait_http(f"http://127.0.0.1:{port}/healthz", proxy, procs, "nginx")
        measure(result, port, args, deadline)
    finally:
        for proc in reversed(started):
            procs.stop(proc)
    return result


def measure(result: Result, port: int, args: argparse.Namespace, deadline: float) -> None:
    hold = min(args.hold, max(1.0, deadline - time.monotonic() - PROBE_TIMEOUT))
    stop, opened, lock = threading.Event(), threading.Semaphore(0), threading.Lock()
    slow = [threading.Thread(target=slow_client, args=(port, args.drip, stop, opened), daemon=True)
            for _ in range(args.slow_clients)]
    for thread in slow:  # one after another, as clients arrive: a burst lands on whichever worker wakes first
        thread.start()
        opened.acquire(timeout=5)
        time.sleep(args.stagger)
    time.sleep(0.5)  # the servers have read the headers and sit waiting for the body
    outcomes: list[tuple[float, str, float]] = []
    probes = []
    bodies = make_events(max(1, int(hold / args.probe_every)), 0)
    began = time.monotonic()
    for n, (body, signature, _token) in enumerate(bodies):
        time.sleep(max(0.0, began + n * args.probe_every - time.monotonic()))
        thread = threading.Thread(target=probe, args=(port, body, signature, outcomes, lock), daemon=True)
        thread.start()
        probes.append(thread)
    for thread in probes:
        thread.join(PROBE_TIMEOUT + 1)
    stop.set()
    for thread in slow:
        thread.join(5)
    if args.verbose:  # when each probe started (s into the run), how long it took, what it got
        print("  " + ", ".join(f"{t0 - began:.1f}: {t:.2f} s {o}" for t, o, t0 in sorted(outcomes, key=lambda x: x[2])))
    result.probes = len(bodies)
    result.latencies_ms = sorted(seconds * 1000 for seconds, *_ in outcomes)
    result.within_deadline = sum(1 for seconds, outcome, _ in outcomes if outcome == "200" and seconds < LINE_DEADLINE)
    failures: dict[str, int] = {}
    for seconds, outcome, _ in outcomes:
        if outcome != "200" or seconds >= LINE_DEADLINE:
            key = outcome if outcome != "200" else "200 after the deadline"
            failures[key] = failures.get(key, 0) + 1
    result.failures = [f"{count}× {what}" for what, count in failures.items()]
    if len(outcomes) < len(bodies):
        result.failures.append(f"{len(bodies) - len(outcomes)} probe(s) never returned")


# --- report ------------------------------------------------------------------------------------

def render(results: list[Result], args: argparse.Namespace, command: str, started: str, load: str) -> str:
    rows = []
    for r in results:
        if r.skipped:
            rows.append(f"| {r.target} | {r.slow_clients} | - | - | - | - | skipped: {r.skipped} |")
            continue
        lat = r.latencies_ms
        rows.append(f"| {r.target} | {r.slow_clients} | {r.probes} | {r.within_deadline} | "
                    f"{common.percentile(lat, 0.5):.0f} | {lat[-1] if lat else 0:.0f} | "
                    f"{'; '.join(r.failures) or '-'} |")
    verdict = "\n".join(f"- {r.target}: {'**pass**' if r.passed else '**fail**'}"
                        + (f" ({r.skipped})" if r.skipped else "") for r in results)
    return f"""{SECTION.start}
## Slow clients: gunicorn alone vs. behind nginx

- Date: {started}
- Machine: {common.describe_machine(common.machine())}; load average before the run: {load}
- Server: gunicorn with `gunicorn.conf.py` (gthread, 2 workers × 4 threads), SQLite; `nginx` = nginx serving `deploy/nginx.conf` (TLS replaced by a loopback listener) in front of the same gunicorn
- Code: {common.code_version()}
- Command: `{command}`

| target | slow clients | probes | answered 200 within 2 s | p50 ms | max ms | failures |
|---|---:|---:|---:|---:|---:|---|
{chr(10).join(rows)}

{verdict}

Each slow client sends a webhook's headers, then its body one byte every {args.drip:g} s for {args.hold:g} s, never
finishing it. During that time a probe posts a signed `help` webhook every {args.probe_every:g} s on a new
connection, as LINE does, and gives up after {PROBE_TIMEOUT:g} s. gthread lends a worker thread to a connection
while its request is read, so a worker whose threads all hold slow clients answers nothing else until
they finish or give up: a probe it accepted times out. How many probes get through depends on how the
kernel spreads connections over the workers (here unevenly: one worker took most of the slow clients);
with one worker (`--workers 1 --slow-clients 4`) not one probe is answered. nginx reads each request
in full on its event loop first and hands gunicorn only complete ones. Hence a deployment puts a
buffering proxy in front of gunicorn (docs/operations.md).
{SECTION.end}"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", default=",".join(TARGETS),
                        type=lambda s: [t for t in s.split(",") if t in TARGETS] or list(TARGETS))
    parser.add_argument("--slow-clients", type=int, default=16,
                        help="slow connections (default 16: twice the threads, as connections spread unevenly over workers)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (the Procfile's default: 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (the Procfile's default: 4)")
    parser.add_argument("--hold", type=float, default=8.0, help="seconds the slow clients keep dribbling")
    parser.add_argument("--drip", type=float, default=0.5, help="seconds between two bytes of a slow body")
    parser.add_argument("--probe-every", type=float, default=0.5)
    parser.add_argument("--stagger", type=float, default=0.05, help="seconds between two slow clients connecting")
    parser.add_argument("--time-limit", type=float, default=120.0, help="the whole run stops by then")
    parser.add_argument("--verbose", action="store_true", help="print every probe")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    args.slow_clients = max(1, min(args.slow_clients, 256))
    args.hold = max(2.0, min(args.hold, 30.0))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    deadline = time.monotonic() + args.time_limit
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = "python bench/slow_clients.py" + ("".join(" " + a for a in (sys.argv[1:] if argv is None else argv)))
    load = common.format_load(os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    base_env = {k: v for k, v in os.environ.items() if k not in ("GUNICORN_ACCESS_LOG", "SAIYAI_MODE",
                                                                 "GUNICORN_CMD_ARGS")}
    base_env.update(LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN, PYTHONUNBUFFERED="1")
    common.exit_on_sigterm()
    results = []
    with tempfile.TemporaryDirectory(prefix="saiyai-slow-") as tmp:
        workdir = Path(tmp)
        os.chmod(workdir, 0o755)  # nginx's worker (nobody, when started as root) reads the site file
        procs = Processes(workdir)
        try:
            for target in args.targets:
                if time.monotonic() > deadline:
                    break
                print(f"{target}: {args.slow_clients} slow clients for {args.hold:g} s…", flush=True)
                result = run_target(target, args, procs, base_env, workdir, deadline)
                results.append(result)
                print(f"  {result.skipped or f'{result.within_deadline}/{result.probes} probes answered within 2 s'}"
                      + (f"; {'; '.join(result.failures)}" if result.failures else ""), flush=True)
        except BenchError as exc:
            print(f"benchmark failed: {exc}", file=sys.stderr)
            return 1
        finally:
            procs.stop_all()
    if not args.no_write:
        common.write_section(render(results, args, command, started, load), SECTION)
        print(f"wrote {common.BENCHMARKS_MD.relative_to(ROOT)}")
    # The expected outcome: gunicorn alone fails, nginx in front passes.
    return 0 if all(r.passed for r in results if r.target == "nginx") else 1


if __name__ == "__main__":
    sys.exit(main())
