"""How long the demo district takes to load (`flask --app bot demo load`), on SQLite and, when a server
is given, PostgreSQL. Target: under 20 s on this machine. Writes its section of BENCHMARKS.md.

    python bench/demo_bench.py [--pg-url postgresql://postgres@127.0.0.1:54330/postgres] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

TARGET_SECONDS = 20.0


def measure(url: str) -> tuple[float, str]:
    from bot import demo
    from bot.config import bangkok_now
    from models.db import make_engine, make_session_factory

    engine = make_engine(url)
    try:
        started = time.perf_counter()
        with make_session_factory(engine)() as session, session.begin():
            report = demo.load(session, bangkok_now())
        return time.perf_counter() - started, report.line()
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg-url", default=os.environ.get("SAIYAI_BENCH_PG_URL", ""))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        kinds = ["sqlite"] + (["postgresql"] if args.pg_url else [])
        for kind in kinds:
            times, line = [], ""
            for attempt in range(args.repeat):
                url = common.fresh_database(kind, args.pg_url, Path(workdir), f"saiyai_demo_bench_{attempt}")
                seconds, line = measure(url)
                times.append(seconds)
                if kind == "postgresql":
                    common.drop_database(args.pg_url, f"saiyai_demo_bench_{attempt}")
            rows.append((kind, min(times), max(times), line))
            print(f"{kind}: best {min(times):.1f} s, worst {max(times):.1f} s — {line}")
    markers = common.section_markers("demo-bench", "bench/demo_bench.py")
    table = "\n".join(f"| {kind} | {best:.1f} | {worst:.1f} | {'pass' if worst < TARGET_SECONDS else '**fail**'} |"
                      for kind, best, worst, _ in rows)
    section = f"""{markers.start}
## Demo district load (`flask --app bot demo load`)

- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC
- Machine: {common.describe_machine(common.machine())}
- Code: {common.code_version()}; load average before the run: {common.format_load(load_before)}
- Command: `python bench/demo_bench.py --repeat {args.repeat}{' --pg-url …' if args.pg_url else ''}`

| database | best s | worst s | under {TARGET_SECONDS:.0f} s |
|---|---:|---:|---|
{table}

What loads: {rows[0][3].removeprefix('demo district loaded: ')}. One transaction from an empty, migrated database;
the time is `demo.load` alone (migrations not counted), as `scripts/run` spends it on a first start.
{markers.end}
"""
    common.write_section(section, markers)
    return 0 if all(worst < TARGET_SECONDS for _, _, worst, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
