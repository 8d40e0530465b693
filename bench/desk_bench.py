"""Server time of every desk page for one district's staff: the test district alone, and the same district
inside a Bangkok-size database (2,063 other communities, 2,100,000 people, a year of their activities).

Run from the repository root (the Bangkok-size seed takes one to two minutes on PostgreSQL):

    python bench/desk_bench.py                          # PostgreSQL, 0 and 2,100,000 other people; writes BENCHMARKS.md
    python bench/desk_bench.py --people 0 --no-write    # the district alone, printed
    python bench/desk_bench.py --db sqlite --people 0   # a fresh SQLite file instead

What runs: a fresh database (`alembic upgrade head`); with --people, bench.common.seed_people's organization
(communities of 1,000 people, zones of 40 communities) and one activity per zone per month for a year with
30 answers each; then the test district of tests/support (three communities, a month of activities, answers,
a report with a photo, a notice). The app is built with create_app and the district's staff signs in through a
one-time link as in LINE. Each page is requested through Flask's test client (in process: the time is the
server's, without a network) after two warm-up requests, --repeat times; the table keeps the median and the
slowest. Targets: under 300 ms for the district alone, under 1 s inside the Bangkok-size database.
This is a benchmark, not a test: pytest never runs it.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench import common  # noqa: E402

SECTION = common.section_markers("desk-bench", "bench/desk_bench.py")
TARGETS_MS = {0: 300.0}  # the district alone; any Bangkok-size run: 1,000 ms
BANGKOK_TARGET_MS = 1000.0
NOW = datetime(2026, 11, 21, 10, 0)


def seed_activities(url: str, org_id: int, now: datetime) -> int:
    """One activity per zone per month for the twelve months before `now`, 30 answers each (checked in)."""
    from sqlalchemy import insert, select

    from models import Activity, Network, Rsvp
    from models.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        zones = conn.scalars(select(Network.id).where(Network.organization_id == org_id)).all()
        first_person = 1
        rows, answers = [], []
        for month in range(12):
            starts = now - timedelta(days=30 * (month + 1))
            for zone in zones:
                rows.append({"code": f"B{len(rows):06d}", "title": f"ประชุมโซน {zone}", "organization_id": org_id,
                             "network_id": zone, "host_state": "confirmed", "starts_at": starts,
                             "ends_at": starts + timedelta(hours=3), "status": "done", "reminder_offsets": [],
                             "remind_groups": False, "created_at": starts, "updated_at": starts, "revision": 1})
        conn.execute(insert(Activity), rows)
        ids = conn.scalars(select(Activity.id).where(Activity.organization_id == org_id)).all()
        for activity_id in ids:
            for n in range(30):
                answers.append({"activity_id": activity_id, "person_id": first_person + n, "answer": "going",
                                "guests": 0, "answered_at": now, "checked_in_at": now})
            first_person += 30
        conn.execute(insert(Rsvp), answers)
    engine.dispose()
    return len(ids)


def pages(world) -> list[tuple[str, str]]:
    d, a = world.district, world.activities
    return [
        ("overview, this month", "/desk/"),
        ("overview, 12 months", "/desk/?period=12m"),
        ("overview, fiscal year", "/desk/?period=fy&fy=2570"),
        ("networks and communities", "/desk/networks"),
        ("a network", f"/desk/networks/{d.zone1.id}"),
        ("a community", f"/desk/communities/{d.wat.id}"),
        ("activities", "/desk/activities"),
        ("an activity", f"/desk/activities/{a['NOV1']}"),
        ("notices", "/desk/notices"),
        ("a notice", f"/desk/notices/{world.notice_id}"),
        ("members", "/desk/members"),
        ("members, search", "/desk/members?q=%E0%B8%AA%E0%B8%A1"),
        ("attendance CSV, 12 months", "/desk/export/attendance.csv?period=12m"),
        ("monthly report (print)", f"/desk/networks/{d.zone1.id}/report/2026-11"),
        ("fiscal-year summary (print)", "/desk/summary/2570"),
        ("a photo", f"/desk/photos/{world.photo_id}"),
    ]


def measure(url: str, repeat: int) -> list[tuple[str, float, float]]:
    from bot import create_app
    from bot.config import TIMEZONE, Config
    from handlers.services import desk as desk_service
    from support.clock import Clock
    from support.desk import seed_world
    from support.registry import seed_district

    clock = Clock(NOW.replace(tzinfo=TIMEZONE))
    config = Config(channel_secret="bench", access_token="bench", line_api_base_url="http://127.0.0.1:9",
                    line_data_base_url="http://127.0.0.1:9", database_url=url, local_mode=True)
    app = create_app({"SAIYAI_CONFIG": config, "CLOCK": clock})
    factory = app.extensions["saiyai"].session_factory
    with factory() as session, session.begin():
        district = seed_district(session, clock())
        world = seed_world(session, district, clock())
        token = desk_service.create_link(session, district.people["staff"], clock())
    client = app.test_client()
    page = client.get(f"/desk/signin/{token}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert client.post(f"/desk/signin/{token}", data={"csrf_token": csrf}).status_code == 302
    results = []
    for name, path in pages(world):
        for _ in range(2):
            assert client.get(path).status_code == 200, path
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, path
        results.append((name, statistics.median(times), max(times)))
    app.extensions["saiyai"].line.close()
    app.extensions["saiyai.engine"].dispose()
    return results


def report(runs: dict[int, list[tuple[str, float, float]]], db: str, command: str, load: tuple[float, ...],
           seeded: dict[int, int]) -> str:
    sizes = sorted(runs)
    lines = [SECTION.start, "## Web desk: server time per page for one district's staff", "",
             f"- Date: {datetime.utcnow():%Y-%m-%d %H:%M} UTC",
             f"- Machine: {common.describe_machine(common.machine())}; database: {db}",
             f"- Code: {common.code_version()}; load average before the run: {common.format_load(load)}",
             f"- Command: `{command}`", ""]
    header = "| page | " + " | ".join(f"{size:,} other people: median ms | max ms" for size in sizes) + " |"
    lines += [header, "|---|" + "---:|---:|" * len(sizes)]
    for i, (name, _, _) in enumerate(runs[sizes[0]]):
        cells = " | ".join(f"{runs[s][i][1]:.1f} | {runs[s][i][2]:.1f}" for s in sizes)
        lines.append(f"| {name} | {cells} |")
    lines.append("")
    for size in sizes:
        target = TARGETS_MS.get(size, BANGKOK_TARGET_MS)
        worst = max(m for _, m, _ in runs[size])
        extra = f" ({seeded[size]:,} activities of the others)" if seeded.get(size) else ""
        lines.append(f"- {size:,} other people{extra}: slowest median {worst:.1f} ms, target under {target:.0f} ms — "
                     f"**{'pass' if worst < target else 'fail'}**")
    lines += ["", "Each page was requested in process through Flask's test client (no network: server time), after two "
              "warm-up requests; the median and the slowest of the timed requests are shown. Every query is scoped "
              "to the district in SQL (bot/desk/scope.py), so the other people in the database should not matter.",
              SECTION.end]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=[0, 2_100_000],
                        help="people of the rest of Bangkok around the district (0: the district alone)")
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("SAIYAI_TEST_PG_URL") or common.DEFAULT_PG_URL)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-write", action="store_true", help="print, do not update BENCHMARKS.md")
    parser.add_argument("--workdir", type=Path, default=ROOT / "instance" / "bench")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    runs, seeded = {}, {}
    from bot.config import TIMEZONE
    for people in args.people:
        url = common.fresh_database(args.db, args.pg_url, args.workdir, f"saiyai_desk_bench_{people}")
        if people:
            started = time.perf_counter()
            org_id = common.seed_people(url, people, NOW.replace(tzinfo=TIMEZONE))
            seeded[people] = seed_activities(url, org_id, NOW.replace(tzinfo=TIMEZONE))
            print(f"seeded {people:,} people and {seeded[people]:,} activities in {time.perf_counter() - started:.0f} s")
        runs[people] = measure(url, args.repeat)
        for name, median, worst in runs[people]:
            print(f"{people:>9,} {name:<32} {median:7.1f} ms  max {worst:7.1f} ms")
        if args.db == "postgresql":
            common.drop_database(args.pg_url, f"saiyai_desk_bench_{people}")
    section = report(runs, args.db, "python " + " ".join(sys.argv), load, seeded)
    if args.no_write:
        print(section)
    else:
        common.write_section(section, SECTION)


if __name__ == "__main__":
    main()
