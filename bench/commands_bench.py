"""Every command and button, for each role, in the biggest district of a Bangkok-size database.

    bench/bangkok_pg.sh start && python bench/bangkok_seed.py          # once: the database
    python bench/commands_bench.py                                      # the table into BENCHMARKS.md

Each command of the command table (`python -m handlers`) and the buttons (RSVP, acknowledge, alert
answers, host confirm) is sent as a signed POST /callback through the real app (create_app, Flask's test
client, the fake LINE API on loopback in a thread: the reply to LINE is part of the request), by a staff
officer, a zone chair, a community leader (ประธาน) and a member of the biggest district, 50 times each (or
as many as fit in --budget seconds), one request at a time; server time is the POST's wall time.
Commands that open a conversation (สมัคร, สร้างกิจกรรม, …) time the first step; the conversation is
removed between requests, outside the timing. The registration row times the name step (after `สมัคร`).

Every SQL statement the app runs is timed too (SQLAlchemy cursor events): the table shows statements per
request and the slowest one; for the slowest commands, that statement is run again under
EXPLAIN (ANALYZE, BUFFERS) (inside a rolled-back transaction) into bench/results/bangkok_explain.md.

`ลบข้อมูลของฉัน` (confirmed) erases 50 different members and `ลบสมาชิก` (confirmed) 50 different members
without LINE: the bench changes the database; seed again for a clean run. Their memory is the growth of
this process's peak RSS over the request (VmHWM reset before it) and, in a few extra requests, Python's
tracemalloc peak.

Fixtures the bench adds (so it does not depend on what the seed happened to put where): an activity of the
leader's community in 3 days, a 3,000-person training of the chair's zone in 5 days proposed to the
leader's community as host, a district notice sent an hour ago (without answers); the district's latest
urgent alert is the seed's.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import secrets
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

SECRET = "bench-channel-secret"
TOKEN = "bench-access-token"
ROLES = ["staff", "chair", "leader", "member"]
LEADERS = ["staff", "chair", "leader"]
CHAIRS = ["staff", "chair"]
MARKERS = common.section_markers("bangkok-bench", "bench/commands_bench.py")
EXPLAIN_MD = common.RESULTS_DIR / "bangkok_explain.md"


@dataclass
class Cell:
    """One command (or button) for one role: its timings and what SQL it ran."""

    label: str
    role: str
    times_ms: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)     # time in SQL statements, per request
    slowest_sql: tuple[float, str, Any] | None = None   # of the slowest request: (ms, statement, parameters)
    slowest_request_ms: float = 0.0
    sample_reply: str = ""
    rss_growth_mb: list[float] = field(default_factory=list)
    tracemalloc_mb: list[float] = field(default_factory=list)

    def p(self, q: float) -> float:
        return common.percentile(sorted(self.times_ms), q)


class Bench:
    def __init__(self, url: str, budget: float, requests: int) -> None:
        from sqlalchemy import create_engine, event

        from bot import create_app
        from bot.config import Config
        from bot.fakeline import FakeLineServer

        self.budget, self.requests = budget, requests
        self.fake = FakeLineServer(access_token=TOKEN)
        self.fake.__enter__()
        config = Config(channel_secret=SECRET, access_token=TOKEN, line_api_base_url=self.fake.url,
                        line_data_base_url=self.fake.url, database_url=url, local_mode=False, request_timeout=10.0)
        self.app = create_app({"SAIYAI_CONFIG": config})
        self.client = self.app.test_client()
        self.admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
        self.engine = self.app.extensions["saiyai.engine"]
        self.capture: list[tuple[float, str, Any]] | None = None
        self.profile = 0  # > 0: profile each cell's requests and print that many functions
        self.warmup = 2   # requests of each cell run before measuring

        @event.listens_for(self.engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            conn.info["bench_t0"] = time.perf_counter()

        @event.listens_for(self.engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            if self.capture is not None:
                self.capture.append(((time.perf_counter() - conn.info.pop("bench_t0")) * 1000, statement,
                                     None if executemany else parameters))

    def close(self) -> None:
        self.app.extensions["saiyai"].line.close()
        self.engine.dispose()
        self.admin.dispose()
        self.fake.__exit__(None, None, None)

    # --- talking to the app ---------------------------------------------------------------------

    def post(self, event: dict) -> tuple[float, list[tuple[float, str, Any]], dict | None]:
        """One signed webhook; returns the server time in ms, the statements it ran, and the reply sent."""
        from bot.simulate import body, sign

        payload = body(event)
        headers = {"Content-Type": "application/json", "X-Line-Signature": sign(SECRET, payload)}
        with self.fake.state.lock:
            self.fake.state.requests.clear()
        self.capture = []
        t0 = time.perf_counter()
        response = self.client.post("/callback", data=payload, headers=headers)
        elapsed = (time.perf_counter() - t0) * 1000
        captured, self.capture = self.capture, None
        if response.status_code != 200:
            raise RuntimeError(f"/callback answered {response.status_code}: {response.data[:200]!r}")
        with self.fake.state.lock:
            replies = [r.body for r in self.fake.state.requests if r.path.endswith("/reply")]
        return elapsed, captured, (replies[-1] if replies else None)

    def sql(self, statement: str, **params: Any) -> list[Any]:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            result = conn.execute(text(statement), params)
            return result.fetchall() if result.returns_rows else []

    def forget_conversations(self, user: str) -> None:
        self.sql("DELETE FROM conversation WHERE user_id = :u", u=user)

    # --- measuring ------------------------------------------------------------------------------

    def run(self, label: str, role: str, make: Callable[[int], dict], *, before: Callable[[int], None] | None = None,
            after: Callable[[int], None] | None = None, user: str | None = None, count: int | None = None,
            memory: bool = False) -> Cell:
        cell = Cell(label, role)
        profiler = cProfile.Profile() if self.profile else None
        started = time.perf_counter()
        for i in range((self.requests if count is None else count) + self.warmup):
            if i > self.warmup and time.perf_counter() - started > self.budget:
                break
            if before:
                before(i)
            if memory:
                _reset_peak_rss()
                rss_before = _rss_mb()
            event = make(i)
            if profiler is not None:
                profiler.enable()
            elapsed, captured, reply = self.post(event)
            if profiler is not None:
                profiler.disable()
            if i < self.warmup:  # the first requests of a command compile its statements: not measured
                if user:
                    self.forget_conversations(user)
                if after:
                    after(i)
                continue
            if memory:
                cell.rss_growth_mb.append(max(0.0, _peak_rss_mb() - rss_before))
            cell.times_ms.append(elapsed)
            cell.statements.append(len(captured))
            cell.sql_ms.append(sum(c[0] for c in captured))
            if elapsed >= cell.slowest_request_ms and captured:
                cell.slowest_request_ms = elapsed
                cell.slowest_sql = max(captured, key=lambda c: c[0])
            if not cell.sample_reply:
                cell.sample_reply = _reply_text(reply)
            if user:
                self.forget_conversations(user)
            if after:
                after(i)
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(self.profile)
        if not cell.times_ms:  # e.g. no unique names left to remove: earlier runs erased them
            print(f"  {label} [{role}]: n=0, nothing left to measure in this database", flush=True)
            return cell
        print(f"  {label} [{role}]: n={len(cell.times_ms)} p50={cell.p(0.5):.0f} p99={cell.p(0.99):.0f} ms, "
              f"{statistics.median(cell.statements):.0f} statements; {cell.sample_reply[:70]!r}", flush=True)
        return cell

    def explain(self, cell: Cell) -> str:
        """EXPLAIN (ANALYZE, BUFFERS) of the cell's slowest statement, in a transaction that is rolled back."""
        if cell.slowest_sql is None or cell.slowest_sql[2] is None:
            return "(no single statement to explain)"
        _, statement, parameters = cell.slowest_sql
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plan = "\n".join(row[0] for row in cur.fetchall())
            raw.rollback()
        finally:
            raw.close()
        return plan


def _reply_text(reply: dict | None) -> str:
    if not reply:
        return "(no reply)"
    texts = []
    for message in reply.get("messages", []):
        texts.append(message.get("text") or message.get("altText") or message.get("type", "?"))
    return " | ".join(t.replace("\n", " ") for t in texts)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak_rss() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux)
    except OSError:
        pass


# --- the district and its fixtures --------------------------------------------------------------

@dataclass
class District:
    org: int
    zone: int
    community: int
    users: dict[str, str]           # role -> LINE user id
    person_ids: dict[str, int]
    offline_name: str               # a member without LINE of the leader's community, unique name
    soon: str                       # code: the leader's community's activity in 3 days
    training: str                   # code: 3,000-person training of the zone, host proposed to the community
    training_id: int
    past: str                       # code: a done activity of the community
    community_name: str
    neighbour_name: str             # another community of the zone
    notice: int                     # a district notice sent an hour ago
    alert: int                      # the district's latest urgent alert
    forget_users: list[str]
    remove_names: list[str]


def find_district(bench: Bench) -> District:
    from handlers.services.registry import INVITE_ALPHABET

    (org,), = bench.sql("SELECT organization_id FROM community GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
    (staff,), = bench.sql("SELECT person_id FROM membership WHERE organization_id = :o AND role = 'staff' "
                          "ORDER BY person_id LIMIT 1", o=org)
    # The chair of the zone with the most communities, the ประธาน of its first community with a no-LINE member.
    (chair, zone), = bench.sql("""
        SELECT m.person_id, m.network_id FROM membership m JOIN network n ON n.id = m.network_id
        WHERE m.organization_id = :o AND m.role = 'network_chair' AND n.kind = 'zone'
        ORDER BY (SELECT count(*) FROM community c WHERE c.zone_id = n.id) DESC, m.person_id LIMIT 1""", o=org)
    (leader, community), = bench.sql("""
        SELECT m.person_id, m.community_id FROM membership m JOIN community c ON c.id = m.community_id
        WHERE c.zone_id = :z AND m.role = 'community_leader' AND m.title = 'ประธาน'
        ORDER BY c.id LIMIT 1""", z=zone)
    (member,), = bench.sql("""
        SELECT p.id FROM person p JOIN membership m ON m.person_id = p.id AND m.role = 'member'
        WHERE m.community_id = :c AND p.line_user_id IS NOT NULL AND p.blocked_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM membership r WHERE r.person_id = p.id AND r.role <> 'member')
        ORDER BY p.id LIMIT 1""", c=community)
    ids = {"staff": staff, "chair": chair, "leader": leader, "member": member}
    users = {role: bench.sql("SELECT line_user_id FROM person WHERE id = :p", p=pid)[0][0] for role, pid in ids.items()}
    # Names unique in the district, so a look-up by name finds one person, as a leader would type it.
    unique = """
        SELECT p.full_name FROM person p JOIN membership m ON m.person_id = p.id AND m.role = 'member'
        JOIN community c ON c.id = m.community_id
        WHERE {where} AND p.line_user_id IS NULL
          AND (SELECT count(*) FROM person q JOIN membership qm ON qm.person_id = q.id AND qm.role = 'member'
               WHERE qm.organization_id = :o AND q.full_name = p.full_name) = 1
        ORDER BY p.id LIMIT :n"""
    offline = bench.sql(unique.format(where="m.community_id = :c"), c=community, o=org, n=1)[0][0]
    remove_names = [r[0] for r in bench.sql(unique.format(where="c.zone_id = :z AND m.community_id <> :c"),
                                            z=zone, c=community, o=org, n=bench.requests + 5)]
    if len(remove_names) < bench.requests + 5:
        # Earlier runs removed the zone's members with names of their own: register new ones (members
        # without LINE, as a leader adds them) in the zone's other communities, names unique by a tag.
        from handlers.services.registry import CONSENT_VERSION
        from models.names import given_name_key, person_key

        others = [r[0] for r in bench.sql("SELECT id FROM community WHERE zone_id = :z AND id <> :c ORDER BY id",
                                          z=zone, c=community)]
        tag = secrets.token_hex(3)
        for n in range(bench.requests + 5 - len(remove_names)):
            full_name = f"สมาชิกทดลอง{tag} ลำดับ{n:03d}"
            (pid,), = bench.sql("""
                INSERT INTO person (full_name, name_key, given_key, consent_version, consented_at, created_at,
                                    updated_at)
                VALUES (:f, :k, :g, :v, now(), now(), now()) RETURNING id""", v=CONSENT_VERSION,
                                f=full_name, k=person_key(full_name), g=given_name_key(full_name))
            bench.sql("INSERT INTO membership (person_id, role, organization_id, community_id, created_at) "
                      "VALUES (:p, 'member', :o, :c, now())", p=pid, o=org, c=others[n % len(others)])
            remove_names.append(full_name)
    forget_users = [r[0] for r in bench.sql("""
        SELECT p.line_user_id FROM person p JOIN membership m ON m.person_id = p.id AND m.role = 'member'
        WHERE m.organization_id = :o AND p.line_user_id IS NOT NULL AND p.id NOT IN :ids
          AND NOT EXISTS (SELECT 1 FROM membership r WHERE r.person_id = p.id AND r.role <> 'member')
        ORDER BY p.id DESC LIMIT :n""".replace(":ids", "(" + ",".join(map(str, ids.values())) + ")"),
        o=org, n=bench.requests + 5)]
    used = {r[0] for r in bench.sql("SELECT code FROM activity")}

    def new_code() -> str:
        while (code := "".join(secrets.choice(INVITE_ALPHABET) for _ in range(4))) in used:
            pass
        used.add(code)
        return code

    now = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    soon, training = new_code(), new_code()
    insert = """
        INSERT INTO activity (code, title, organization_id, network_id, community_id, host_community_id, host_state,
                              starts_at, ends_at, place_text, capacity, status, reminder_offsets, remind_groups,
                              created_by_id, created_at, revision, updated_at)
        VALUES (:code, :title, :o, :net, :comm, :c, :hs, :at, :at + interval '3 hours', 'ศาลาชุมชน', :cap, 'planned',
                '[4320, 120]', false, :by, :now, 1, :now) RETURNING id"""
    bench.sql(insert, code=soon, title="ประชุมประจำเดือน (bench)", o=org, net=None, comm=community, c=community,
              hs="confirmed", at=now + dt.timedelta(days=3), cap=None, by=leader, now=now)
    (training_id,), = bench.sql(insert, code=training, title="อบรมอาสาสมัครป้องกันภัย (bench)", o=org, net=zone,
                                comm=None, c=community, hs="proposed", at=now + dt.timedelta(days=5), cap=3500,
                                by=chair, now=now)
    # 3,000 answers from the zone's people (not the four bench users), spread over its communities.
    bench.sql("""
        INSERT INTO rsvp (activity_id, person_id, community_id, answer, guests, answered_at)
        SELECT :a, x.person_id, x.community_id, CASE WHEN x.n % 10 < 8 THEN 'going' ELSE 'maybe' END, 0, :now
        FROM (SELECT m.person_id, m.community_id, row_number() OVER (PARTITION BY m.community_id ORDER BY m.person_id) n
              FROM membership m JOIN community c ON c.id = m.community_id
              WHERE c.zone_id = :z AND m.role = 'member' AND m.person_id NOT IN (:s, :ch, :l, :m)) x
        WHERE x.n <= 3000 / (SELECT count(*) FROM community WHERE zone_id = :z) + 1
        LIMIT 3000""", a=training_id, now=now, z=zone, s=staff, ch=chair, l=leader, m=member)
    past = bench.sql("SELECT code FROM activity WHERE community_id = :c AND status = 'done' ORDER BY starts_at DESC "
                     "LIMIT 1", c=community)
    (notice,), = bench.sql("""
        INSERT INTO notice (organization_id, author_id, scope, role_filter, via_groups, text, urgent, status, send_at,
                            recipients, cost, sent_at, created_at)
        VALUES (:o, :s, 'organization', 'everyone', false, 'ขอเชิญร่วมประชุมประชาคมเขต (bench)', false, 'sent',
                :at, 0, 0, :at, :at) RETURNING id""", o=org, s=staff, at=now - dt.timedelta(hours=1))
    (alert,), = bench.sql("SELECT id FROM notice WHERE organization_id = :o AND urgent ORDER BY send_at DESC LIMIT 1",
                          o=org)
    # What queueing does once when a notice goes out (the seed's notices are counted the same way, or at
    # their first look): count who it reaches by community. Untimed here; its cost is printed.
    from handlers.services.notices import count_audience
    from models import Notice

    latest = [row[0] for row in bench.sql(
        "SELECT id FROM notice WHERE organization_id = :o AND NOT urgent AND status IN ('sending', 'sent', 'stopped') "
        "ORDER BY created_at DESC, id DESC LIMIT 5", o=org)]
    for notice_id in dict.fromkeys([notice, *latest, alert]):
        started = time.perf_counter()
        with bench.app.extensions["saiyai"].session_factory() as session, session.begin():
            counted = count_audience(session, session.get(Notice, notice_id), now)
        if counted:
            print(f"counted notice {notice_id}'s audience by community in {(time.perf_counter() - started) * 1000:.0f} ms "
                  "(once, as queueing does)", flush=True)
    bench.sql("ANALYZE activity; ANALYZE rsvp")
    (name,), = bench.sql("SELECT name FROM community WHERE id = :c", c=community)
    (neighbour,), = bench.sql("SELECT name FROM community WHERE zone_id = :z AND id <> :c ORDER BY id LIMIT 1",
                              z=zone, c=community)
    return District(org, zone, community, users, ids, offline, soon, training, training_id,
                    past[0][0] if past else soon, name, neighbour, notice, alert, forget_users, remove_names)


# --- the plan: every command and button ----------------------------------------------------------

def measure(bench: Bench, d: District, only: list[str]) -> tuple[list[Cell], list[Cell]]:
    from bot.simulate import postback, text
    from handlers.catalog import text_for

    cells: list[Cell] = []

    def wanted(label: str) -> bool:
        return not only or any(part in label for part in only)
    group = "C" + "be" * 16  # a group nobody linked: `ผูกกลุ่ม` offers the sender's communities

    def say(label: str, words: str | Callable[[int], str], roles: list[str], *, in_group: bool = False,
            before: Callable[[str, int], None] | None = None, after: Callable[[str, int], None] | None = None) -> None:
        if not wanted(label):
            return
        words_of = words if callable(words) else (lambda _i, w=words: w)
        for role in roles:
            user = d.users[role]
            make = ((lambda i, u=user: text("บอท " + words_of(i), user=u, group=group)) if in_group
                    else (lambda i, u=user: text(words_of(i), user=u)))
            cells.append(bench.run(label, role, make, user=user,
                                   before=(lambda i, u=user: before(u, i)) if before else None,
                                   after=(lambda i, u=user: after(u, i)) if after else None))

    def button(label: str, data: str, roles: list[str], *, after: Callable[[str, int], None] | None = None) -> None:
        if not wanted(label):
            return
        for role in roles:
            user = d.users[role]
            cells.append(bench.run(label, role, lambda i, u=user: postback(data, user=u), user=user,
                                   after=(lambda i, u=user: after(u, i)) if after else None))

    def untimed(user: str, words: str) -> None:
        bench.post(text(words, user=user))

    def reset_language(user: str, _i: int) -> None:
        bench.sql("UPDATE person SET language = NULL WHERE line_user_id = :u", u=user)

    def reproposed(_u: str, _i: int) -> None:
        bench.sql("UPDATE activity SET host_state = 'proposed', host_community_id = :c WHERE id = :a",
                  c=d.community, a=d.training_id)
        bench.sql("DELETE FROM host_log WHERE activity_id = :a", a=d.training_id)

    print("commands:", flush=True)
    say("`ช่วยเหลือ`", "ช่วยเหลือ", ROLES)
    say("`สมัคร`", "สมัคร", ROLES)
    say("registration: the name step", "สมชาย ทดสอบระบบ", ROLES, before=lambda u, i: untimed(u, "สมัคร"))
    say("`รหัส <code>` (unknown code)", "รหัส ZZZZ-ZZZZ", ROLES)
    say("`สร้างรหัส`", "สร้างรหัส", CHAIRS)
    say("`ผูกกลุ่ม <community>` (unlinked group)", f"ผูกกลุ่ม {d.community_name}", LEADERS, in_group=True,
        after=lambda u, i: bench.sql("DELETE FROM chat_link WHERE chat_id = :g", g=group))
    say("`ข้อมูลของฉัน`", "ข้อมูลของฉัน", ROLES)
    say("`ลบข้อมูลของฉัน` (the question)", "ลบข้อมูลของฉัน", ROLES)
    say("`สมาชิก`", "สมาชิก", LEADERS)
    say("`ชุมชน`", "ชุมชน", ROLES)
    say("`ภาษาอังกฤษ`", "ภาษาอังกฤษ", ROLES, after=reset_language)
    say("`ภาษาไทย`", "ภาษาไทย", ROLES, after=reset_language)
    say("`เพิ่มสมาชิก`", "เพิ่มสมาชิก", LEADERS)
    say("`ลบสมาชิก <name>`", f"ลบสมาชิก {d.offline_name}", LEADERS)
    say("`ผูกไลน์ <name>`", f"ผูกไลน์ {d.offline_name}", LEADERS)
    say("`สร้างกิจกรรม`", "สร้างกิจกรรม", LEADERS)
    say("`กิจกรรม`", "กิจกรรม", ROLES)
    say("`แก้ไขกิจกรรม <code>`", f"แก้ไขกิจกรรม {d.training}", LEADERS)
    say("`ยกเลิกกิจกรรม <code>` (preview, 3,000 answers)", f"ยกเลิกกิจกรรม {d.training}", LEADERS)
    say("`จัดซ้ำ`", "จัดซ้ำ", CHAIRS)
    say("`ไป <code>`", f"ไป {d.soon}", ROLES)
    say("`ไม่ไป <code>`", f"ไม่ไป {d.soon}", ROLES)
    say("`ไม่แน่ใจ <code>`", f"ไม่แน่ใจ {d.soon}", ROLES)
    say("`ตอบแทน <code> <name> ไป`", f"ตอบแทน {d.soon} {d.offline_name} ไป", LEADERS)
    say("`ตอบแทน <name> ปลอดภัย`", f"ตอบแทน {d.offline_name} ปลอดภัย", LEADERS)
    say("`ผู้เข้าร่วม <code>` (3,000 answers)", f"ผู้เข้าร่วม {d.training}", ROLES)
    say("`เช็คอิน <code>`", f"เช็คอิน {d.soon}", ROLES)
    say("`เจ้าภาพ`", "เจ้าภาพ", ROLES)
    say("`เจ้าภาพ ประวัติ`", "เจ้าภาพ ประวัติ", ROLES)
    say("`สลับเจ้าภาพ <A> กับ <B>`", f"สลับเจ้าภาพ {d.community_name} กับ {d.neighbour_name} ตรงกับงานวัด", CHAIRS)
    say("`ข้ามเจ้าภาพ <code> <reason>`", f"ข้ามเจ้าภาพ {d.training} ชุมชนประสบน้ำท่วม", CHAIRS,
        after=lambda u, i: reproposed(u, i))
    say("`รายงาน <code>` (a past activity)", f"รายงาน {d.past}", ROLES)
    say("`ประกาศ`", "ประกาศ", LEADERS)
    say("`แจ้งเตือนด่วน`", "แจ้งเตือนด่วน", ["staff"])
    say("`ประกาศ สถานะ`", "ประกาศ สถานะ", LEADERS)
    say("`แจ้งเตือนด่วน สถานะ`", "แจ้งเตือนด่วน สถานะ", ["staff"])
    say("`ปลอดภัย` typed (answers the latest alert)", "ปลอดภัยค่ะ", ROLES)
    say("`ยกเลิกประกาศ`", "ยกเลิกประกาศ", LEADERS)
    say("`ข่าว`", "ข่าว", ROLES)
    say("`กิจกรรม` (zone group)", "กิจกรรม", ROLES, in_group=True)

    print("buttons:", flush=True)
    button("RSVP button (going)", f"a=rsvp&id={d.training_id}&v=going", ROLES)
    button("acknowledge button", f"a=ack&n={d.notice}", ROLES)
    button("alert: safe", f"a=alert&n={d.alert}&v=safe", ROLES)
    button("alert: need help", f"a=alert&n={d.alert}&v=need_help", ROLES)

    button("host confirm button", f"a=host_confirm&id={d.training_id}&c={d.community}", ["leader"], after=reproposed)

    print("erasure:", flush=True)
    erasure: list[Cell] = []
    if not wanted("confirmed"):
        return cells, erasure
    forget = iter(d.forget_users)
    current: dict[str, str] = {}

    def ask_forget(_i: int) -> None:
        current["u"] = next(forget)
        untimed(current["u"], "ลบข้อมูลของฉัน")
    erasure.append(bench.run("`ลบข้อมูลของฉัน` confirmed", "member", lambda i: postback(
        "a=forget&confirm=1&l=th", user=current["u"]), before=ask_forget, memory=True,
        count=min(bench.requests, len(d.forget_users) - 3 - bench.warmup)))
    names = iter(d.remove_names)
    chair = d.users["chair"]
    remove = text_for("th", "offline.remove_label")
    erasure.append(bench.run("`ลบสมาชิก <name>` confirmed", "chair", lambda i: text(remove, user=chair),
                             before=lambda i: untimed(chair, f"ลบสมาชิก {next(names)}"), user=chair, memory=True,
                             count=min(bench.requests, len(d.remove_names) - 3 - bench.warmup)))
    # Python's own allocation peak, in three more erasures each (tracemalloc slows Python down: not timed above).
    for cell, make, before in [
        (erasure[0], lambda i: postback("a=forget&confirm=1&l=th", user=current["u"]), ask_forget),
        (erasure[1], lambda i: text(remove, user=chair), lambda i: untimed(chair, f"ลบสมาชิก {next(names)}")),
    ]:
        for i in range(3):
            try:
                before(i)
            except StopIteration:
                break
            tracemalloc.start()
            bench.post(make(i))
            cell.tracemalloc_mb.append(tracemalloc.get_traced_memory()[1] / 2**20)
            tracemalloc.stop()
            bench.forget_conversations(chair)
    return cells, erasure


# --- the report -----------------------------------------------------------------------------------

def report(cells: list[Cell], erasure: list[Cell], seed: dict | None, info: dict[str, Any], explained: list[tuple[Cell, str]]) -> str:
    lines = [MARKERS.start, "## Bangkok scale: every command in a 2.1 M-person database", ""]
    lines.append(f"- Date: {info['date']}; code: {info['code']}")
    lines.append(f"- Machine: {common.describe_machine(info['machine'])}; load average before / after the run: "
                 f"{common.format_load(info['load_before'])} / {common.format_load(info['load_after'])} "
                 f"(other agents share the 2 CPUs)")
    if seed:
        rows = seed["rows"]
        lines.append(f"- Database: `{seed['command']}` (scale {seed['scale']}) took {seed['seconds']:.0f} s, "
                     f"{seed['size']}: {rows['organization']} districts, {rows['community']:,} communities, "
                     f"{rows['person']:,} people, {rows['membership']:,} memberships, {rows['activity']:,} activities, "
                     f"{rows['rsvp']:,} answers, {rows['notice_ack']:,} notice answers, "
                     f"{rows['webhook_event']:,} webhook events, {rows['outbox_message']:,} outbox rows")
    lines.append(f"- District measured: the biggest ({info['district']})")
    lines.append(f"- Command: `{info['command']}`; PostgreSQL {info['pg_version']} on loopback "
                 "(bench/bangkok_pg.sh: fsync off, shared_buffers 512 MB)")
    lines += ["", "Server time of one signed POST /callback (Flask test client, reply to the fake LINE API "
              f"included), one request at a time, after {info['warmup']} unmeasured warm-up requests per cell; "
              f"n = requests measured ({info['requests']}, or fewer when the cell's time "
              f"budget of {info['budget']:.0f} s ran out). SQL: statements per request (median) and the slowest "
              "statement of the slowest request; in SQL: the median share of the request's time spent in SQL "
              "statements (the rest is Python: loading rows into objects, building the reply). Sorted by p99.", "",
              "| command | who | n | p50 ms | p99 ms | max ms | SQL / request | in SQL | slowest SQL ms | first reply (start) |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for cell in sorted(cells, key=lambda c: -c.p(0.99)):
        slow = f"{cell.slowest_sql[0]:.1f}" if cell.slowest_sql else "-"
        reply = cell.sample_reply[:48].replace("|", "/")
        lines.append(f"| {cell.label} | {cell.role} | {len(cell.times_ms)} | {cell.p(0.5):,.0f} | {cell.p(0.99):,.0f} | "
                     f"{max(cell.times_ms):,.0f} | {statistics.median(cell.statements):.0f} | {_share(cell)} | {slow} | "
                     f"{reply} |")
    over = [c for c in cells if c.p(0.99) >= 50]
    lines += ["", f"{len(over)} of {len(cells)} command × role cells are at or over 50 ms p99.", "",
              "Erasure (each request erases a different person; peak memory: growth of this process's peak RSS "
              "over the request, and tracemalloc's peak in 3 extra requests):", "",
              "| action | who | n | p50 ms | p99 ms | max ms | SQL / request | peak RSS growth MB (max) | tracemalloc peak MB (max) |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for cell in erasure:
        lines.append(f"| {cell.label} | {cell.role} | {len(cell.times_ms)} | {cell.p(0.5):,.0f} | {cell.p(0.99):,.0f} | "
                     f"{max(cell.times_ms):,.0f} | {statistics.median(cell.statements):.0f} | "
                     f"{max(cell.rss_growth_mb, default=0):,.1f} | {max(cell.tracemalloc_mb, default=0):,.1f} |")
    if explained:
        lines += ["", "Slowest statements of the slowest commands, under EXPLAIN (ANALYZE, BUFFERS): "
                  "`bench/results/bangkok_explain.md` (not committed), summarised in docs/scale.md."]
    lines.append(MARKERS.end)
    return "\n".join(lines) + "\n"


def _share(cell: Cell) -> str:
    return f"{statistics.median(s / t for s, t in zip(cell.sql_ms, cell.times_ms, strict=True)):.0%}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:54340/postgres")
    parser.add_argument("--database", default="saiyai_bangkok")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--budget", type=float, default=45.0, help="seconds per command × role at most")
    parser.add_argument("--explain", type=int, default=5, help="EXPLAIN the slowest statement of this many commands")
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing BENCHMARKS.md")
    parser.add_argument("--only", default="", help="comma-separated parts of labels: measure only those "
                        "(e.g. --only 'สถานะ,confirmed' --no-write --explain-file …)")
    parser.add_argument("--explain-file", type=Path, default=EXPLAIN_MD)
    parser.add_argument("--warmup", type=int, default=2, help="requests of each cell run first and not measured "
                        "(the first request of a command compiles its statements and fills caches)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the N functions with the most cumulative time over each measured cell (cProfile)")
    args = parser.parse_args(argv)
    common.exit_on_sigterm()
    import logging
    url = common.database_url(args.server_url, args.database)
    seed_file = common.RESULTS_DIR / f"bangkok_seed_{args.database}.json"
    seed = json.loads(seed_file.read_text()) if seed_file.exists() else None
    info: dict[str, Any] = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                            "code": common.code_version(untracked=False), "machine": common.machine(),
                            "load_before": os.getloadavg(), "budget": args.budget,
                            "warmup": args.warmup, "requests": args.requests,
                            "command": "python bench/commands_bench.py" + "".join(
                                f" {a}" for a in (argv if argv is not None else sys.argv[1:]))}
    bench = Bench(url, args.budget, args.requests)
    bench.profile, bench.warmup = args.profile, args.warmup
    logging.getLogger().setLevel(logging.WARNING)  # the app logs every event at INFO
    try:
        info["pg_version"] = bench.sql("SHOW server_version")[0][0]
        district = find_district(bench)
        (name,), = bench.sql("SELECT name FROM organization WHERE id = :o", o=district.org)
        (people,), = bench.sql("SELECT count(DISTINCT person_id) FROM membership WHERE organization_id = :o", o=district.org)
        (communities,), = bench.sql("SELECT count(*) FROM community WHERE organization_id = :o", o=district.org)
        info["district"] = f"{name}: {communities} communities, {people:,} people"
        print(f"district: {info['district']}; users {district.person_ids}", flush=True)
        cells, erasure = measure(bench, district, [part for part in args.only.split(",") if part])
        erasure = [cell for cell in erasure if cell.times_ms]  # a cell with nothing left to erase is left out
        info["load_after"] = os.getloadavg()
        explained: list[tuple[Cell, str]] = []
        seen: set[str] = set()
        for cell in sorted(cells + erasure, key=lambda c: -c.p(0.99)):
            if len(explained) >= args.explain:
                break
            if cell.label in seen or cell.slowest_sql is None:
                continue
            seen.add(cell.label)
            try:
                explained.append((cell, bench.explain(cell)))
            except Exception as error:  # noqa: BLE001 - a statement that cannot be re-run is reported, not fatal
                explained.append((cell, f"(could not explain: {error})"))
    finally:
        bench.close()
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    parts = [f"# EXPLAIN of the slowest statements ({info['date']}, {info['district']})\n"]
    for cell, plan in explained:
        ms, statement, params = cell.slowest_sql
        parts.append(f"## {cell.label} [{cell.role}]: p50 {cell.p(0.5):.0f} ms, p99 {cell.p(0.99):.0f} ms; "
                     f"slowest statement {ms:.1f} ms\n\n```sql\n{statement}\n```\n\nparameters: `{params!r}`\n\n"
                     f"```\n{plan}\n```\n")
    args.explain_file.write_text("\n".join(parts))
    (common.RESULTS_DIR / "bangkok_commands.json").write_text(json.dumps({
        "info": {**info, "machine": info["machine"]},
        "cells": [{"label": c.label, "role": c.role, "times_ms": c.times_ms, "statements": c.statements,
                   "sql_ms": c.sql_ms,
                   "slowest_sql_ms": c.slowest_sql[0] if c.slowest_sql else None,
                   "slowest_sql": c.slowest_sql[1] if c.slowest_sql else None, "reply": c.sample_reply,
                   "rss_growth_mb": c.rss_growth_mb, "tracemalloc_mb": c.tracemalloc_mb} for c in cells + erasure]},
        ensure_ascii=False, indent=1, default=str))
    section = report(cells, erasure, seed, info, explained)
    if args.no_write:
        print(section)
    else:
        common.write_section(section, MARKERS)
        print(f"wrote {common.BENCHMARKS_MD} and {args.explain_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
