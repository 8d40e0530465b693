"""Property: whatever mix of hostings, declines, skips and swaps a network goes through, the rotation
stays fair, the ledger counts each hosting once and the audit log records each action once.

The invariant, checked after every single action, for every community c of the network:

    max(times hosted) - times_hosted(c) <= 1 + declines(c) + skips(c)

where declines(c) is the ledger's count of c's own declines and skips(c) the audit log's count of
skips recorded against c. Without declines and skips this is "nobody is ever more than one turn
behind"; each decline or skip lets c fall at most one more turn behind, never anything else.
Each proposal is also compared with an independent model of the rule (fewest hostings, then the
longest since the last one, never hosted first, then list order; passing over those who declined or
were skipped for this activity).

Runs on SQLite only, against a migrated database from the `db_url` fixture; each example works in
its own transaction and rolls it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import TIMEZONE
from handlers.services import activities as act
from models import (
    Activity,
    ActivityStatus,
    Community,
    HostLog,
    HostLogKind,
    HostSlot,
    HostState,
    Network,
    NetworkKind,
    Organization,
)
from models.db import make_engine, make_session_factory

FIRST_START = datetime(2027, 1, 10, 9, 0, tzinfo=TIMEZONE)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=TIMEZONE)

# An activity: the answers its proposed hosts give in turn until one confirms (or nobody is left).
HOSTING = st.tuples(st.just("host"), st.lists(st.sampled_from(["decline", "skip"]), max_size=9))
SWAP = st.tuples(st.just("swap"), st.integers(0, 7), st.integers(1, 7))
PROGRAMS = st.lists(st.one_of(HOSTING, HOSTING, SWAP), max_size=16)
EXAMPLES = 25  # about 500 checked actions: a few seconds on SQLite


@dataclass
class Model:
    """What the rotation should look like, kept without the database."""

    n: int
    times: list[int] = field(default_factory=list)
    last: list[datetime | None] = field(default_factory=list)
    position: list[int] = field(default_factory=list)
    declines: list[int] = field(default_factory=list)
    skips: list[int] = field(default_factory=list)
    owed: list[int] = field(default_factory=list)
    log: dict[HostLogKind, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.times, self.last = [0] * self.n, [None] * self.n
        self.position = list(range(1, self.n + 1))
        self.declines, self.skips, self.owed = [0] * self.n, [0] * self.n, [0] * self.n

    def choice(self, passed: set[int]) -> int | None:
        candidates = [c for c in range(self.n) if c not in passed]
        if not candidates:
            return None
        return min(candidates, key=lambda c: (self.times[c], self.last[c] is not None,
                                              self.last[c] or FIRST_START, self.position[c]))

    def logged(self, *kinds: HostLogKind) -> None:
        for kind in kinds:
            self.log[kind] = self.log.get(kind, 0) + 1


class Rotation:
    """The real services on one network of n communities, checked against the model after each action."""

    def __init__(self, session: Session, n: int) -> None:
        self.session, self.model = session, Model(n)
        org = Organization(name="เขตทดสอบ", created_at=NOW)
        session.add(org)
        session.flush()
        self.network = Network(organization_id=org.id, name="เครือข่ายทดสอบ", kind=NetworkKind.ZONE)
        session.add(self.network)
        session.flush()
        self.communities = [Community(organization_id=org.id, name=f"ชุมชนที่ {i + 1}", zone_id=self.network.id)
                            for i in range(n)]
        session.add_all(self.communities)
        session.flush()
        self.index = {c.id: i for i, c in enumerate(self.communities)}
        for i, community in enumerate(self.communities):
            session.add(HostSlot(network_id=self.network.id, community_id=community.id, position=i + 1,
                                 times_hosted=0, declines=0, owed_turns=0))
        self.org_id, self.hosted = org.id, 0
        self.seen_log_id = 0
        self.kinds: dict[HostLogKind, int] = {}   # audit rows read back from the database, by kind
        self.skipped: dict[int, int] = {}         # SKIPPED rows per community id

    # --- actions ---

    def host(self, answers: list[str]) -> None:
        """One activity: proposed, answered by declines and skips in turn, confirmed by whoever is left."""
        starts = FIRST_START + timedelta(days=30 * self.hosted)
        self.hosted += 1
        activity = Activity(code=f"P{self.hosted:03d}", title=f"กิจกรรมที่ {self.hosted}", organization_id=self.org_id,
                            network_id=self.network.id, starts_at=starts, ends_at=starts + timedelta(hours=3),
                            status=ActivityStatus.PLANNED, host_state=HostState.PROPOSED, created_at=NOW,
                            updated_at=NOW, revision=1)
        self.session.add(activity)
        self.session.flush()
        passed: set[int] = set()
        self.act(lambda: act.propose_host(self.session, activity, NOW), activity, passed, [])
        for answer in answers:
            if activity.host_state != HostState.PROPOSED:
                return  # everybody declined or was skipped: no host this time
            c = self.index[activity.host_community_id]
            passed.add(c)
            self.model.owed[c] += 1
            if answer == "decline":
                self.model.declines[c] += 1
                self.act(lambda: act.decline_host(self.session, activity, "ไม่สะดวก", NOW), activity, passed,
                         [(HostLogKind.DECLINED, c)])
            else:
                self.model.skips[c] += 1
                self.act(lambda: act.skip_host(self.session, activity, "ข้ามโดยประธาน", NOW), activity, passed,
                         [(HostLogKind.SKIPPED, c)])
        if activity.host_state == HostState.PROPOSED:
            self.confirm(activity)

    def act(self, action, activity: Activity, passed: set[int], rows: list[tuple[HostLogKind, int]]) -> None:
        """Run a propose / decline / skip; check who was proposed and the audit rows it wrote."""
        expected = self.model.choice(passed)
        choice = action()
        assert (None if choice is None else self.index[choice.community.id]) == expected
        assert (activity.host_state, activity.host_community_id) == (
            (HostState.NONE, None) if expected is None else (HostState.PROPOSED, self.communities[expected].id))
        if expected is not None:
            rows = [*rows, (HostLogKind.PROPOSED, expected)]
        self.model.logged(*(kind for kind, _ in rows))
        assert self.new_log_rows() == [(kind, self.communities[c].id) for kind, c in rows]
        self.check()

    def confirm(self, activity: Activity) -> None:
        c = self.index[activity.host_community_id]
        ledger_before = self.ledger()
        act.confirm_host(self.session, activity, NOW)
        self.model.times[c] += 1
        self.model.last[c] = activity.starts_at
        self.model.owed[c] = max(0, self.model.owed[c] - 1)
        self.model.logged(HostLogKind.CONFIRMED)
        ledger_after = self.ledger()
        # Exactly one ledger moved, by one hosting, and it is the confirmed host's.
        changed = [i for i in range(self.model.n) if ledger_after[i][0] != ledger_before[i][0]]
        assert changed == [c]
        assert ledger_after[c][0] == ledger_before[c][0] + 1
        assert self.new_log_rows() == [(HostLogKind.CONFIRMED, activity.host_community_id)]
        assert activity.host_state == HostState.CONFIRMED
        self.check()

    def swap(self, i: int, j: int) -> None:
        first, second = self.communities[i], self.communities[j]
        act.swap_hosts(self.session, self.network, first, second, "ตรงกับงานประจำปี", NOW)
        self.model.position[i], self.model.position[j] = self.model.position[j], self.model.position[i]
        self.model.logged(HostLogKind.SWAPPED)
        assert self.new_log_rows() == [(HostLogKind.SWAPPED, first.id)]
        self.check()

    # --- state ---

    def ledger(self) -> list[tuple[int, datetime | None, int, int, int]]:
        """Per community, in index order: (times hosted, last hosted, declines, owed turns, position)."""
        slots = {s.community_id: s for s in self.session.scalars(
            select(HostSlot).where(HostSlot.network_id == self.network.id))}
        return [(s.times_hosted, s.last_hosted_at, s.declines, s.owed_turns, s.position)
                for s in (slots[c.id] for c in self.communities)]

    def new_log_rows(self) -> list[tuple[HostLogKind, int]]:
        """Audit rows written since the last call, oldest first; tallied for check()."""
        rows = self.session.execute(select(HostLog.id, HostLog.kind, HostLog.community_id).where(
            HostLog.network_id == self.network.id, HostLog.id > self.seen_log_id).order_by(HostLog.id)).all()
        for row_id, kind, community_id in rows:
            self.seen_log_id = row_id
            self.kinds[HostLogKind(kind)] = self.kinds.get(HostLogKind(kind), 0) + 1
            if kind == HostLogKind.SKIPPED:
                self.skipped[community_id] = self.skipped.get(community_id, 0) + 1
        return [(HostLogKind(kind), community_id) for _, kind, community_id in rows]

    def check(self) -> None:
        m = self.model
        ledger = self.ledger()
        assert [(t, None if last is None else last.timestamp(), d, o, p) for t, last, d, o, p in ledger] == [
            (m.times[c], None if m.last[c] is None else m.last[c].timestamp(), m.declines[c], m.owed[c],
             m.position[c]) for c in range(m.n)]
        most = max(t for t, *_ in ledger)
        for c, (times, _, declines, _, _) in enumerate(ledger):
            skips = self.skipped.get(self.communities[c].id, 0)
            assert most - times <= 1 + declines + skips, (c, ledger, self.skipped)
        # One audit row per action, and nothing else; one hosting per confirmation.
        assert self.kinds == m.log
        assert sum(t for t, *_ in ledger) == m.log.get(HostLogKind.CONFIRMED, 0)


def run(session: Session, n: int, program: list[tuple]) -> Model:
    rotation = Rotation(session, n)
    for step in program:
        if step[0] == "host":
            rotation.host(step[1])
        else:
            i = step[1] % n
            rotation.swap(i, (i + step[2]) % n if (i + step[2]) % n != i else (i + 1) % n)
    return rotation.model


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the migrated SQLite database, for the whole test (every example rolls back its own work)."""
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


def check_program(sessions: sessionmaker[Session], n: int, program: list[tuple]) -> Model:
    with sessions() as session:
        try:
            return run(session, n, program)
        finally:
            session.rollback()  # the next example starts from the empty migrated database


# The fixture is made once per test, not per example: safe because each example rolls back.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@settings(deadline=None, max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(3, 8), program=PROGRAMS)
def test_the_rotation_stays_fair(sessions, n: int, program: list[tuple]) -> None:
    check_program(sessions, n, program)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_without_declines_or_skips_nobody_is_ever_a_turn_behind(sessions) -> None:
    model = check_program(sessions, 5, [("swap", 0, 2)] + [("host", [])] * 7)
    # The first round follows the list order with the first and third swapped, then the second round starts.
    assert model.times == [1, 2, 2, 1, 1]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_community_that_keeps_declining_falls_behind_only_by_its_declines(sessions) -> None:
    model = check_program(sessions, 3, [("host", ["decline"])] * 6)
    # The first in line is asked first every time and declines; the others share the hostings.
    assert (model.times, model.declines) == ([0, 3, 3], [6, 0, 0])
