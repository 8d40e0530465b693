"""A Bangkok-size Saiyai database on PostgreSQL, through the real migrations, in minutes.

    bench/bangkok_pg.sh start                      # a throw-away cluster on 127.0.0.1:54340 (optional)
    python bench/bangkok_seed.py --scale 0.1       # 5 districts, 210 k people: a quick run
    python bench/bangkok_seed.py                   # 50 districts, 2,063 communities, 2.1 M people

The database (default `saiyai_bangkok`) is dropped and created, `alembic upgrade head` builds the schema,
then every table is filled server-side with INSERT … SELECT generate_series (the small registry tables
with COPY from here), with foreign-key triggers off (session_replication_role = replica: the rows are
consistent by construction) and the secondary indexes of the big tables dropped during the load and
rebuilt after it, then VACUUM ANALYZE. Everything is deterministic: the same scale gives the same rows.

Shape (at --scale 1; --scale s scales the number of districts and every count with it, so a district
looks the same at every scale and only whole-table effects grow):
- 50 districts (organizations), 2,063 communities of ~1,018 people; district sizes vary 0.5–2× (the
  first district is the biggest: 80 communities, ~81 k people), ~5 zone networks per district (one per
  ~8 communities) and 2 issue networks (elderly, youth) joined by a quarter and a fifth of its communities;
  a third of the communities have an alias, half a linked LINE group, every zone a linked group;
- 2.1 M people, each with a member membership in one community; names built from lists of common given
  names and surname parts (bench/thai_names.py), one in ten with a title (นาย, ยาย, …), so names repeat
  and share substrings; 2 % have no LINE (registered by their community's chair), 1 % blocked the bot;
- roles, ~5 % of people (--role-share): per community 2–3 titled leaders (ประธาน, รองประธาน,
  เลขานุการ) and a committee (กรรมการ) up to the share; 2 chairs per zone, one per issue network;
  4 staff per district;
- 100 k activities over the past 11 months and the next one (80 % of a community, 20 % of a zone network
  with a host community, some proposed), ~5.3 M answers (1 in 500 network activities is a 3,000-person
  training), check-ins and proxy answers, host log rows and after-activity reports;
- 60 notices per district (community, zone, district scope; one recent urgent alert) with ~3 M
  acknowledgements or safe / need-help answers;
- a year of webhook events (6.3 M) and outbox rows (3 M; sent rows carry no text, as today's code leaves
  them; 1 in 300 is a dead row that still holds its message) — what a database holds when nothing
  prunes them (today's code purges both after 30 days; a year is the worst case the issue measured).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.thai_names import DISTRICTS, GIVEN, PLACES, SURNAME_FIRST, SURNAME_SECOND, TITLES  # noqa: E402

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # handlers.services.registry.INVITE_ALPHABET
BIG_TABLES = ["person", "membership", "rsvp", "notice_ack", "webhook_event", "outbox_message", "activity",
              "host_log", "activity_report"]
TITLES_OF_LEADERS = ["ประธาน", "รองประธาน", "เลขานุการ"]
ACTIVITY_TITLES = ["ประชุมประจำเดือน", "อบรมอาสาสมัคร", "แข่งกีฬาสี", "ทำความสะอาดคลอง", "ตรวจสุขภาพผู้สูงอายุ",
                   "ศึกษาดูงาน", "ประชุมเครือข่าย", "ทำบุญตักบาตร", "ซ้อมแผนอัคคีภัย", "ปลูกต้นไม้"]
NOTICE_TEXTS = ["ขอเชิญประชุมคณะกรรมการชุมชน", "แจ้งปิดถนนเพื่อซ่อมท่อระบายน้ำ", "ขอเชิญร่วมฉีดวัคซีนไข้หวัดใหญ่",
                "แจ้งเก็บขยะชิ้นใหญ่วันเสาร์นี้", "ประกาศรับสมัครอาสาสมัครป้องกันภัย"]


def code_of(i: int) -> str:
    """Activity i's 4-character code: a bijection of i (< 31**4) into the app's alphabet."""
    x = (i * 7919 + 12345) % len(ALPHABET) ** 4
    out = []
    for _ in range(4):
        x, r = divmod(x, len(ALPHABET))
        out.append(ALPHABET[r])
    return "".join(out)


class Plan:
    """Every count the seed uses, from the scale."""

    def __init__(self, scale: float, role_share: float) -> None:
        self.scale = scale
        self.districts = max(1, round(50 * scale))
        self.communities = max(self.districts, round(2063 * scale))
        self.per_community = max(20, round(2_100_000 * scale / self.communities))  # R
        self.people = self.communities * self.per_community
        self.leaders = max(3, round(role_share * self.per_community))             # K: ranks 0..K-1
        self.first_member_rank = self.leaders + 3                                 # K: chairs, K+1 issue, K+2 staff
        self.activities = max(100, round(100_000 * scale))
        self.notices_per_district = 60
        self.events = round(6_300_000 * scale)
        self.outbox = round(3_000_000 * scale)
        weights = [2.0] + [0.5 + ((d * 37) % 50) / 49 for d in range(1, self.districts)]
        raw = [w * self.communities / sum(weights) for w in weights]
        counts = [max(1, int(x)) for x in raw]
        for d in sorted(range(self.districts), key=lambda d: raw[d] - int(raw[d]), reverse=True):
            if sum(counts) >= self.communities:
                break
            counts[d] += 1
        self.communities_of = counts
        self.communities = sum(counts)
        self.people = self.communities * self.per_community


def _copy(cur, table: str, columns: list[str], rows: list[tuple]) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def registry(cur, plan: Plan, now: dt.datetime) -> dict:
    """Organizations, networks, communities, aliases, issue-network links, host slots, groups, series;
    and the helper table `seed_comm` the big INSERTs join to."""
    orgs, networks, communities, aliases, issue_links, slots, links, series = [], [], [], [], [], [], [], []
    comm_rows = []  # c_idx, community_id, org_id, j, zone_id, zone_pos, elderly_id, youth_id
    network_id, c_idx = 0, 0
    K, C = plan.leaders, plan.communities

    def person(c: int, rank: int) -> int:
        return c + 1 + C * rank

    for d in range(plan.districts):
        org_id = d + 1
        name = DISTRICTS[d % len(DISTRICTS)] + ("" if d < len(DISTRICTS) else f" {d // len(DISTRICTS) + 1}")
        orgs.append((org_id, f"สำนักงานเขต{name}", now - dt.timedelta(days=800)))
        k = plan.communities_of[d]
        zones = max(1, round(k / 8.25))
        zone_ids = []
        for z in range(zones):
            network_id += 1
            zone_ids.append(network_id)
            networks.append((network_id, org_id, f"เครือข่ายโซน {z + 1}", "zone", None))
        elderly, youth = network_id + 1, network_id + 2
        network_id += 2
        networks += [(elderly, org_id, "เครือข่ายผู้สูงอายุ", "issue", None),
                     (youth, org_id, "เครือข่ายเยาวชน", "issue", None)]
        zone_fill = [0] * zones
        first_of_zone = {}
        for j in range(k):
            cid = c_idx + 1
            zone = j % zones
            zone_pos = zone_fill[zone]
            zone_fill[zone] += 1
            first_of_zone.setdefault(zone, c_idx)
            cname = f"ชุมชน{PLACES[j % len(PLACES)]}{SURNAME_FIRST[(j // len(PLACES)) % len(SURNAME_FIRST)]}"
            if j >= len(PLACES) * len(SURNAME_FIRST):
                cname += f" {j // (len(PLACES) * len(SURNAME_FIRST)) + 1}"
            if j % 3 == 0:
                cname += name
            communities.append((cid, org_id, cname, zone_ids[zone]))
            if j % 3 == 1:
                aliases.append((cid, f"{PLACES[j % len(PLACES)]}{SURNAME_FIRST[(j // len(PLACES)) % len(SURNAME_FIRST)]} {name}"))
            if j % 4 == 0:
                issue_links.append((cid, elderly))
            if j % 5 == 1:
                issue_links.append((cid, youth))
            slots.append((zone_ids[zone], cid, zone_pos, (j * 7) % 5,
                          now - dt.timedelta(days=30 * ((j * 7) % 12) + 3) if (j * 7) % 5 else None))
            if j % 2 == 0:
                links.append((f"C{cid:032x}", org_id, cid, None, person(c_idx, 0), now - dt.timedelta(days=400)))
            comm_rows.append((c_idx, cid, org_id, j, zone_ids[zone], zone_pos, elderly, youth))
            c_idx += 1
        for z, zid in enumerate(zone_ids):
            links.append((f"C{zid:08x}{'0' * 24}", org_id, None, zid, person(first_of_zone[z], K),
                          now - dt.timedelta(days=400)))
            series.append((org_id, zid, "ประชุมเครือข่ายประจำเดือน", 1, "ศาลาประชาคม", 180,
                           now - dt.timedelta(days=330), 0, 11, True, person(first_of_zone[z], K),
                           now - dt.timedelta(days=335)))
    _copy(cur, "organization", ["id", "name", "created_at"], orgs)
    _copy(cur, "network", ["id", "organization_id", "name", "kind", "parent_id"], networks)
    _copy(cur, "community", ["id", "organization_id", "name", "zone_id"], communities)
    _copy(cur, "alias", ["community_id", "name"], aliases)
    _copy(cur, "community_issue_network", ["community_id", "network_id"], issue_links)
    _copy(cur, "host_slot", ["network_id", "community_id", "position", "times_hosted", "last_hosted_at",
                             "declines", "owed_turns"], [s[:5] + (0, 0) for s in slots])
    _copy(cur, "chat_link", ["chat_id", "organization_id", "community_id", "network_id", "linked_by_id",
                             "linked_at"], links)
    _copy(cur, "series", ["organization_id", "network_id", "title", "interval_months", "place_text",
                          "duration_minutes", "anchor_at", "base_months", "last_slot", "active",
                          "created_by_id", "created_at"], series)
    cur.execute("CREATE UNLOGGED TABLE seed_comm (c_idx int PRIMARY KEY, community_id int, org_id int, j int, "
                "zone_id int, zone_pos int, elderly_id int, youth_id int)")
    _copy(cur, "seed_comm", ["c_idx", "community_id", "org_id", "j", "zone_id", "zone_pos", "elderly_id",
                             "youth_id"], comm_rows)
    cur.execute("CREATE INDEX ON seed_comm (zone_id, zone_pos)")
    cur.execute("CREATE INDEX ON seed_comm (org_id, j)")
    cur.execute("CREATE UNLOGGED TABLE seed_size AS SELECT zone_id AS id, count(*)::int AS n FROM seed_comm "
                "GROUP BY zone_id UNION ALL SELECT -org_id, count(*)::int FROM seed_comm GROUP BY org_id")
    cur.execute("CREATE UNIQUE INDEX ON seed_size (id)")
    cur.execute("ANALYZE seed_comm; ANALYZE seed_size")
    return {"organizations": len(orgs), "networks": len(networks), "communities": len(communities)}


def people(cur, plan: Plan, now: dt.datetime) -> None:
    """person and membership, all server-side."""
    C, K, M = plan.communities, plan.leaders, plan.first_member_rank
    params = {"given": GIVEN, "g": len(GIVEN), "sf": SURNAME_FIRST, "ss": SURNAME_SECOND, "titles": TITLES, "now": now,
              "n": plan.people, "c": C, "m": M}
    # rank = (p-1) / C, community index = (p-1) % C: people of a community are spread over the table,
    # as registrations over time interleave them.
    cur.execute("""
        INSERT INTO person (id, line_user_id, display_name, full_name, phone, language, consent_version,
                            consented_at, consent_recorded_by_id, blocked_at, created_at, updated_at)
        SELECT p,
               CASE WHEN nol THEN NULL ELSE 'U' || lpad(to_hex(p), 32, '0') END,
               CASE WHEN NOT nol AND p %% 3 = 0 THEN given END,
               CASE
                 WHEN (h / (%(g)s::bigint * 1600)) %% 10 = 3
                 THEN (%(titles)s::text[])[1 + ((h / (%(g)s::bigint * 16000)) %% 6)::int] ELSE '' END
                 || given || ' ' || (%(sf)s::text[])[1 + ((h / %(g)s::bigint) %% 40)::int]
                 || (%(ss)s::text[])[1 + ((h / (%(g)s::bigint * 40)) %% 40)::int],
               CASE WHEN p %% 4 = 0 THEN '08' || lpad(((p::bigint * 7919) %% 100000000)::text, 8, '0') END,
               CASE WHEN p %% 5 = 0 THEN 'th' WHEN p %% 97 = 0 THEN 'en' END,
               '2026-11', created, CASE WHEN nol THEN (p - 1) %% %(c)s::int + 1 END,
               CASE WHEN p %% 100 = 11 AND NOT nol THEN %(now)s - interval '20 days' END,
               created, created
        FROM (SELECT p, (p - 1) / %(c)s::int >= %(m)s::int AND p %% 50 = 7 AS nol,
                     (%(given)s::text[])[1 + (h %% %(g)s::bigint)::int] AS given, h,
                     %(now)s - make_interval(days => 30 + ((p::bigint * 7919) %% 700)::int) AS created
              FROM generate_series(1, %(n)s::int) p
              -- h: a hash of p (a multiplier modulo a prime: distinct for every p); its digits pick the
              -- given name (130), the two surname parts (40 × 40) and a title, independently of each other.
              CROSS JOIN LATERAL (SELECT (p::bigint * 2654435761) %% 4294967291 AS h) hash) s
    """, params)
    cur.execute("""
        INSERT INTO membership (person_id, role, organization_id, network_id, community_id, title, created_at)
        SELECT p, 'member', sc.org_id, NULL, sc.community_id, NULL, %(now)s - make_interval(days => 30 + ((p::bigint * 7919) %% 700)::int)
        FROM generate_series(1, %(n)s::int) p JOIN seed_comm sc ON sc.c_idx = (p - 1) %% %(c)s::int
    """, params)
    # Leaders: ranks 0..K-1 of every community (ประธาน, รองประธาน, เลขานุการ in half of them, then กรรมการ).
    cur.execute("""
        INSERT INTO membership (person_id, role, organization_id, network_id, community_id, title, created_at)
        SELECT sc.c_idx + 1 + %(c)s::int * r, 'community_leader', sc.org_id, NULL, sc.community_id,
               CASE WHEN r = 0 THEN 'ประธาน' WHEN r = 1 THEN 'รองประธาน'
                    WHEN r = 2 AND sc.c_idx %% 2 = 0 THEN 'เลขานุการ' ELSE 'กรรมการ' END,
               %(now)s - interval '400 days'
        FROM seed_comm sc, generate_series(0, %(k)s::int - 1) r
    """, {**params, "k": K})
    # Chairs: rank K of the first two communities of every zone, rank K+1 of communities 0 and 1 of a
    # district for its two issue networks; staff: rank K+2 of its first four communities.
    cur.execute("""
        INSERT INTO membership (person_id, role, organization_id, network_id, community_id, title, created_at)
        SELECT sc.c_idx + 1 + %(c)s::int * %(k)s::int, 'network_chair', sc.org_id, sc.zone_id, NULL::int, 'ประธานเครือข่าย',
               %(now)s - interval '400 days' FROM seed_comm sc WHERE sc.zone_pos < 2
        UNION ALL
        SELECT sc.c_idx + 1 + %(c)s::int * (%(k)s::int + 1), 'network_chair', sc.org_id,
               CASE WHEN sc.j = 0 THEN sc.elderly_id ELSE sc.youth_id END, NULL, 'ประธานเครือข่าย',
               %(now)s - interval '400 days' FROM seed_comm sc WHERE sc.j < 2
        UNION ALL
        SELECT sc.c_idx + 1 + %(c)s::int * (%(k)s::int + 2), 'staff', sc.org_id, NULL, NULL, NULL::text,
               %(now)s - interval '400 days' FROM seed_comm sc WHERE sc.j < 4
    """, {**params, "k": K})


def activities(cur, plan: Plan, now: dt.datetime) -> None:
    """Activities (COPY from here: their codes and sizes are easier in Python), then answers, host log
    rows and reports server-side."""
    cur.execute("SELECT c_idx, community_id, zone_id FROM seed_comm ORDER BY c_idx")
    comms = cur.fetchall()
    cur.execute("SELECT zone_id, community_id FROM seed_comm ORDER BY zone_id, zone_pos")
    zone_members: dict[int, list[int]] = {}
    for zid, cid in cur.fetchall():
        zone_members.setdefault(zid, []).append(cid)
    zones = sorted(zone_members)
    C, A = plan.communities, plan.activities
    start = now - dt.timedelta(days=335)
    rows, sizes = [], []
    for i in range(1, A + 1):
        when = start + dt.timedelta(days=365 * (i - 1) / A)
        when = when.replace(minute=0, second=0, microsecond=0)
        when = when.replace(hour=2 + (i % 6))  # 09:00–14:00 in Bangkok (UTC+7)
        past = when < now
        network = i % 5 == 0
        if network:
            zid = zones[(i * 31) % len(zones)]
            host = zone_members[zid][(i // 5) % len(zone_members[zid])]
            community, network_id = None, zid
            n = 3000 if i % 2500 == 0 else 40 + (i * 53) % 80
            host_state = "confirmed" if past or i % 3 else "proposed"
        else:
            c_idx, host, _zid = comms[(i * 7919) % C]
            community, network_id = host, None
            n = 20 + (i * 37) % 50
            host_state = "confirmed"
        if i % 20 == 0:
            status = "cancelled"
        elif past:
            status = "done"
        else:
            status = "confirmed" if host_state == "confirmed" and i % 2 else "planned"
        creator = (host - 1) + 1  # the host community's ประธาน: rank 0, id = c_idx + 1
        rows.append((i, code_of(i), ACTIVITY_TITLES[i % len(ACTIVITY_TITLES)], _org_of(cur, host), network_id,
                     community, host, host_state, when, when + dt.timedelta(hours=3), "ศาลาชุมชน",
                     3000 if n == 3000 else (100 if i % 7 == 0 else None), status, "[4320, 120]", False,
                     creator, when - dt.timedelta(days=14), 1, when - dt.timedelta(days=14)))
        sizes.append((i, min(n, plan.per_community if not network else n), (i * 97) % plan.per_community))
    _copy(cur, "activity", ["id", "code", "title", "organization_id", "network_id", "community_id",
                            "host_community_id", "host_state", "starts_at", "ends_at", "place_text", "capacity",
                            "status", "reminder_offsets", "remind_groups", "created_by_id", "created_at",
                            "revision", "updated_at"], rows)
    cur.execute("CREATE UNLOGGED TABLE seed_act (id int PRIMARY KEY, n int, off int)")
    _copy(cur, "seed_act", ["id", "n", "off"], sizes)
    cur.execute("ANALYZE activity; ANALYZE seed_act")
    params = {"c": C, "r": plan.per_community}
    # Answer r of activity a: a community activity's r-th person from an offset; a network activity's
    # from its zone's communities in turn. Person (community index x, rank y) is x + 1 + C * y.
    for network in (False, True):
        pick = ("JOIN seed_size zs ON zs.id = a.network_id "
                "JOIN seed_comm sc ON sc.zone_id = a.network_id AND sc.zone_pos = r %% zs.n" if network else
                "JOIN seed_comm sc ON sc.c_idx = a.community_id - 1")
        rank = "(r / zs.n + t.off) %% %(r)s::int" if network else "(r + t.off) %% %(r)s::int"
        cur.execute(f"""
            INSERT INTO rsvp (activity_id, person_id, community_id, answer, guests, waitlisted_at, proxy_by_id,
                              checked_in_at, checked_in_by_id, answered_at)
            SELECT a.id, sc.c_idx + 1 + %(c)s::int * ({rank}), sc.community_id,
                   CASE WHEN r %% 10 < 7 THEN 'going' WHEN r %% 10 < 9 THEN 'not_going' ELSE 'maybe' END,
                   CASE WHEN r %% 13 = 0 THEN 1 ELSE 0 END, NULL,
                   CASE WHEN r %% 40 = 5 THEN sc.c_idx + 1 END,
                   CASE WHEN a.status = 'done' AND r %% 10 < 7 AND r %% 2 = 0 THEN a.starts_at + interval '10 minutes' END,
                   CASE WHEN a.status = 'done' AND r %% 10 < 7 AND r %% 8 = 0 THEN sc.c_idx + 1 END,
                   a.starts_at - make_interval(hours => 1 + r %% 300)
            FROM seed_act t JOIN activity a ON a.id = t.id
            CROSS JOIN LATERAL generate_series(0, t.n - 1) r
            {pick}
            WHERE (a.network_id IS NOT NULL) = {network}
        """, params)
    cur.execute("""
        INSERT INTO host_log (network_id, community_id, other_community_id, activity_id, kind, reason, actor_id,
                              by_person, at)
        SELECT a.network_id, a.host_community_id, NULL, a.id, k.kind, NULL, NULL, false, a.created_at
        FROM activity a CROSS JOIN (VALUES ('proposed'), ('confirmed')) k(kind)
        WHERE a.network_id IS NOT NULL AND (k.kind = 'proposed' OR a.host_state = 'confirmed')
    """)
    cur.execute("""
        INSERT INTO activity_report (activity_id, reporter_id, attended, summary, lessons, submitted_at)
        SELECT a.id, a.created_by_id, t.n / 2, 'จัดกิจกรรมเรียบร้อย มีผู้เข้าร่วมตามเป้าหมาย',
               'ควรแจ้งล่วงหน้าให้มากขึ้น', a.ends_at + interval '1 day'
        FROM activity a JOIN seed_act t ON t.id = a.id WHERE a.status = 'done' AND a.id % 3 = 0
    """)


_org_cache: dict[int, int] = {}


def _org_of(cur, community_id: int) -> int:
    if not _org_cache:
        cur.execute("SELECT community_id, org_id FROM seed_comm")
        _org_cache.update(cur.fetchall())
    return _org_cache[community_id]


def notices(cur, plan: Plan, now: dt.datetime) -> None:
    """60 notices per district over the year (42 community, 15 zone, 2 district, 1 recent urgent alert) and
    their answers."""
    cur.execute("SELECT org_id, c_idx, community_id, zone_id, j FROM seed_comm ORDER BY org_id, j")
    by_org: dict[int, list[tuple]] = {}
    for org_id, c_idx, cid, zid, j in cur.fetchall():
        by_org.setdefault(org_id, []).append((c_idx, cid, zid, j))
    C, K = plan.communities, plan.leaders
    rows, sizes, nid = [], [], 0
    for org_id, comms in by_org.items():
        staff = comms[0][0] + 1 + C * (K + 2)
        for i in range(plan.notices_per_district):
            nid += 1
            send_at = now - dt.timedelta(days=365 * (1 - i / plan.notices_per_district), hours=org_id)
            c_idx, cid, zid, _ = comms[(i * 7) % len(comms)]
            urgent = i == plan.notices_per_district - 1
            if urgent:
                scope, network, community, author, n = "organization", None, None, staff, len(comms) * 250
                send_at = now - dt.timedelta(days=2, hours=org_id % 24)
            elif i % 30 == 0:
                scope, network, community, author, n = "organization", None, None, staff, len(comms) * 120
            elif i % 4 == 1:
                scope, network, community, author, n = "network", zid, None, c_idx + 1 + C * K, 2000
            else:
                scope, network, community, author, n = "community", None, cid, c_idx + 1, 300
            text = NOTICE_TEXTS[i % len(NOTICE_TEXTS)] if not urgent else "แจ้งเตือนด่วน: น้ำท่วมฉับพลัน โปรดแจ้งสถานะ"
            rows.append((nid, org_id, author, scope, network, community, "leaders" if i % 10 == 3 else "everyone",
                         i % 3 == 0, text, urgent, "sent", send_at, n * 3, n, send_at + dt.timedelta(minutes=1),
                         send_at - dt.timedelta(hours=2)))
            sizes.append((nid, n, (nid * 131) % plan.per_community, -org_id if scope == "organization"
                          else (network or 0), community or 0))
    _copy(cur, "notice", ["id", "organization_id", "author_id", "scope", "network_id", "community_id",
                          "role_filter", "via_groups", "text", "urgent", "status", "send_at", "recipients", "cost",
                          "sent_at", "created_at"], rows)
    cur.execute("CREATE UNLOGGED TABLE seed_notice (id int PRIMARY KEY, n int, off int, audience int, community int)")
    _copy(cur, "seed_notice", ["id", "n", "off", "audience", "community"], sizes)
    cur.execute("ANALYZE notice; ANALYZE seed_notice")
    picks = {
        "community": ("JOIN seed_comm sc ON sc.community_id = t.community", "(r + t.off) %% %(r)s::int", "t.community <> 0"),
        "network": ("JOIN seed_size zs ON zs.id = t.audience "
                    "JOIN seed_comm sc ON sc.zone_id = t.audience AND sc.zone_pos = r %% zs.n",
                    "(r / zs.n + t.off) %% %(r)s::int", "t.audience > 0"),
        "organization": ("JOIN seed_size zs ON zs.id = t.audience "
                         "JOIN seed_comm sc ON sc.org_id = -t.audience AND sc.j = r %% zs.n",
                         "(r / zs.n + t.off) %% %(r)s::int", "t.audience < 0"),
    }
    for pick, rank, where in picks.values():
        cur.execute(f"""
            INSERT INTO notice_ack (notice_id, person_id, community_id, kind, proxy_by_id, latitude, longitude,
                                    address, at)
            SELECT no.id, sc.c_idx + 1 + %(c)s::int * ({rank}), sc.community_id,
                   CASE WHEN NOT no.urgent THEN 'acknowledged' WHEN r %% 10 = 0 THEN 'need_help' ELSE 'safe' END,
                   CASE WHEN r %% 50 = 7 THEN sc.c_idx + 1 END,
                   CASE WHEN no.urgent AND r %% 10 = 0 THEN 13.7 + (r %% 100) / 1000.0 END,
                   CASE WHEN no.urgent AND r %% 10 = 0 THEN 100.5 + (r %% 100) / 1000.0 END,
                   CASE WHEN no.urgent AND r %% 10 = 0 THEN 'บ้านเลขที่ ' || r || ' ซอย 3' END,
                   no.send_at + make_interval(secs => 30 + r)
            FROM seed_notice t JOIN notice no ON no.id = t.id
            CROSS JOIN LATERAL generate_series(0, t.n - 1) r
            {pick}
            WHERE {where}
        """, {"c": C, "r": plan.per_community})


def logs(cur, plan: Plan, now: dt.datetime) -> None:
    """A year of webhook events and outbox rows."""
    C, K = plan.communities, plan.leaders
    params = {"now": now, "n": plan.people, "c": C, "k": K, "e": plan.events, "o": plan.outbox}
    # One event in five comes from a leader (they use Saiyai most); the rest from anyone; one in seven in a
    # community's group.
    cur.execute("""
        INSERT INTO webhook_event (event_key, event_type, chat_kind, chat_id, user_id, is_redelivery, status,
                                   error, received_at)
        SELECT '01' || upper(lpad(to_hex(i), 24, '0')),
               CASE WHEN i %% 10 < 8 THEN 'message' WHEN i %% 10 = 8 THEN 'postback'
                    WHEN i %% 100 = 9 THEN 'follow' ELSE 'message' END,
               CASE WHEN i %% 7 = 0 THEN 'group' ELSE 'user' END,
               CASE WHEN i %% 7 = 0 THEN 'C' || lpad(to_hex((p - 1) %% %(c)s::int + 1), 32, '0')
                    ELSE 'U' || lpad(to_hex(p), 32, '0') END,
               'U' || lpad(to_hex(p), 32, '0'), false, 'done', NULL,
               %(now)s - make_interval(secs => (365 * 86400.0) * (%(e)s::int - i) / %(e)s::int)
        FROM (SELECT i, CASE WHEN i %% 5 = 0 THEN ((i::bigint * 48271) %% %(c)s::int)::int + 1 + %(c)s::int * ((i / 5) %% %(k)s::int)
                             ELSE ((i::bigint * 48271) %% %(n)s::int)::int + 1 END AS p
              FROM generate_series(1, %(e)s::int) i) s
    """, params)
    cur.execute("""
        INSERT INTO outbox_message (kind, target, recipients, recipient_count, messages, reply_token, retry_key,
                                    dedupe_key, topic, state, due_at, attempts, claimed_at, sent_at, last_error,
                                    created_at)
        SELECT CASE WHEN i %% 10 = 0 THEN 'multicast' ELSE 'push' END,
               CASE WHEN i %% 10 = 0 OR (i %% 10 < 7 AND i %% 300 <> 0) THEN NULL
                    ELSE 'U' || lpad(to_hex(p), 32, '0') END,
               NULL, CASE WHEN i %% 10 = 0 THEN 500 END,
               CASE WHEN i %% 300 = 0 THEN
                    json_build_array(json_build_object('type', 'text', 'text',
                        'คุณ' || (SELECT full_name FROM person WHERE id = p) || ' โทร 08' || lpad((p %% 100000000)::text, 8, '0')))
                    ELSE '[]'::json END,
               NULL, md5(i::text)::uuid::text,
               CASE WHEN i %% 10 = 1 THEN 'reminder:' || i END,
               CASE WHEN i %% 10 = 0 THEN 'notice:' || (1 + i %% 3000) END,
               CASE WHEN i %% 300 = 0 THEN 'dead' ELSE 'sent' END,
               created, 1, NULL, CASE WHEN i %% 300 <> 0 THEN created + interval '1 second' END,
               CASE WHEN i %% 300 = 0 THEN 'LINE answered 400: The user has blocked the account' END,
               created
        FROM (SELECT i, ((i::bigint * 48271) %% %(n)s::int)::int + 1 AS p,
                     %(now)s - make_interval(secs => (365 * 86400.0) * (%(o)s::int - i) / %(o)s::int) AS created
              FROM generate_series(1, %(o)s::int) i) s
    """, params)


def drop_secondary_indexes(cur) -> list[str]:
    """Drop the non-constraint indexes of the big tables; returns their definitions to rebuild them."""
    cur.execute("""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
    """, (BIG_TABLES,))
    found = cur.fetchall()
    for name, _ in found:
        cur.execute(f"DROP INDEX {name}")
    return [definition for _, definition in found]


def name_keys(cur) -> None:
    """person.name_key and given_key, as the model sets them when a name is saved (models/names.py): computed
    in Python, written back through COPY into a temporary table and one UPDATE."""
    from models.names import given_name_key, person_key

    cur.execute("CREATE TEMP TABLE seed_keys (id bigint PRIMARY KEY, name_key text, given_key text)")
    cur.execute("SELECT id, full_name FROM person WHERE full_name IS NOT NULL")
    rows = [(pid, person_key(name), given_name_key(name)) for pid, name in cur.fetchall()]
    with cur.copy("COPY seed_keys (id, name_key, given_key) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cur.execute("UPDATE person SET name_key = k.name_key, given_key = k.given_key FROM seed_keys k WHERE k.id = person.id")
    cur.execute("DROP TABLE seed_keys")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:54340/postgres",
                        help="any database on the server (the seed's database is created next to it)")
    parser.add_argument("--database", default="saiyai_bangkok")
    parser.add_argument("--scale", type=float, default=1.0, help="1 = Bangkok (2.1 M people); 0.1 for a quick run")
    parser.add_argument("--role-share", type=float, default=0.05, help="share of people holding a role")
    args = parser.parse_args(argv)
    import psycopg

    plan = Plan(args.scale, args.role_share)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    timings: dict[str, float] = {}
    began = time.perf_counter()

    def step(name: str, fn, *a):
        t0 = time.perf_counter()
        result = fn(*a)
        timings[name] = round(time.perf_counter() - t0, 1)
        print(f"  {name}: {timings[name]} s", flush=True)
        return result

    print(f"seeding {args.database}: {plan.districts} districts, {plan.communities} communities, "
          f"{plan.people:,} people, {plan.activities:,} activities", flush=True)
    url = common.database_url(args.server_url, args.database)

    def create() -> None:
        common.recreate_database(args.server_url, args.database)
        common.upgrade(url)
    step("create + alembic upgrade head", create)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # no FK triggers during the load
        cur.execute("SET work_mem = '256MB'")
        definitions = drop_secondary_indexes(cur)
        step("registry", registry, cur, plan, now)
        step("people + memberships", people, cur, plan, now)
        conn.commit()
        step("name keys", name_keys, cur)
        conn.commit()
        step("activities + answers", activities, cur, plan, now)
        conn.commit()
        step("notices + acknowledgements", notices, cur, plan, now)
        conn.commit()
        step("webhook events + outbox", logs, cur, plan, now)
        conn.commit()

        def rebuild():
            for definition in definitions:
                cur.execute(definition)
            cur.execute("""
                SELECT table_name, column_name, pg_get_serial_sequence(table_name, column_name)
                FROM information_schema.columns
                WHERE table_schema = 'public' AND column_default LIKE 'nextval%%'
            """)
            for table, column, sequence in cur.fetchall():
                cur.execute(f"SELECT setval('{sequence}', GREATEST((SELECT max({column}) FROM {table}), 1))")
            cur.execute("DROP TABLE seed_comm, seed_size, seed_act, seed_notice")
        step("indexes + sequences", rebuild)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        step("vacuum analyze", lambda: conn.execute("VACUUM ANALYZE"))
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ["organization", "network", "community", "person", "membership", "activity", "rsvp",
                            "notice", "notice_ack", "webhook_event", "outbox_message", "host_log"]}
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    total = round(time.perf_counter() - began, 1)
    print(f"done in {total} s; database {size}")
    for table, n in counts.items():
        print(f"  {table}: {n:,}")
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (common.RESULTS_DIR / f"bangkok_seed_{args.database}.json").write_text(json.dumps({
        "scale": args.scale, "database": args.database, "seconds": total, "steps": timings, "size": size,
        "rows": counts, "load_before": list(os.getloadavg()),
        "command": "python bench/bangkok_seed.py" + (f" --scale {args.scale}" if args.scale != 1 else ""),
        "at": now.isoformat()}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
