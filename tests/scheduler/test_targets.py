"""The monthly targets are each district's own (issue 17, item 17): set with `flask --app bot org targets`,
measured by staff's monthly summary."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Answer, Organization, Rsvp
from scheduler import followups
from support.activities import bkk, make_activity, rsvp
from support.registry import seed_district

ORG = "สำนักงานเขตบางนา"


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["org", "targets", *args])


@pytest.fixture
def november(session_factory, clock):
    """Both zones held a meeting in November; 4 answered going to zone 1's, 3 of them checked in (75 %)."""
    with session_factory() as session, session.begin():
        d = seed_district(session, bkk(2026, 11, 1, 8))
        first = make_activity(session, d, "ZON1", "ประชุมโซน 1", bkk(2026, 11, 10, 9))
        second = make_activity(session, d, "ZON2", "ประชุมโซน 2", bkk(2026, 11, 12, 9), host=d.canal)
        second.network_id = d.zone2.id
        for role in ("member", "leader", "chair", "partner"):
            rsvp(session, first, d.people[role], Answer.GOING, d.wat)
        session.flush()
        for row in session.scalars(select(Rsvp).where(Rsvp.activity_id == first.id)).all()[:3]:
            row.checked_in_at = bkk(2026, 11, 10, 9)
    return d


def summary(session_factory) -> list[str]:
    with session_factory() as session:
        org = session.scalars(select(Organization)).one()
        return followups.monthly_summary(session, org, bkk(2026, 11, 1), bkk(2026, 12, 1), "th").splitlines()[-3:-1]


def test_a_district_sets_its_own_targets_and_the_summary_measures_against_them(cli, november,
                                                                               session_factory) -> None:
    # The defaults: 3 networks (this district has 2 zones and an issue network: 2 held one), 90 %.
    assert cli(ORG).output == f"{ORG}: at least 3 networks with an activity a month, attendance 90 %\n"
    assert summary(session_factory) == [
        "อัตราการเข้าร่วม (เช็คอิน ÷ ตอบว่าไป): 75% — เป้าหมาย 90% ⚠️ ยังไม่ถึง",
        "เครือข่ายที่มีกิจกรรม: 2 — เป้าหมายอย่างน้อย 3 ⚠️ ยังไม่ถึง",
    ]
    result = cli(ORG, "--networks", "2", "--attendance", "75")
    assert (result.exit_code, result.output) == (
        0, f"set {ORG}: at least 2 networks with an activity a month, attendance 75 %\n")
    assert summary(session_factory) == [
        "อัตราการเข้าร่วม (เช็คอิน ÷ ตอบว่าไป): 75% — เป้าหมาย 75% ✅ ผ่าน",
        "เครือข่ายที่มีกิจกรรม: 2 — เป้าหมายอย่างน้อย 2 ✅ ผ่าน",
    ]
    # A target the district cannot meet is kept, with a warning.
    assert cli(ORG, "--networks", "4").output == (
        f"set {ORG}: at least 4 networks with an activity a month, attendance 75 %\n"
        "note: it has only 3 networks, so the network target cannot be met\n")


@pytest.mark.parametrize("args, error", [
    (["--attendance", "150"], "Invalid value for '--attendance': 150 is not in the range 0<=x<=100."),
    (["--networks", "-1"], "Invalid value for '--networks': -1 is not in the range 0<=x<=1000."),
    (["--networks", "สาม"], "Invalid value for '--networks': 'สาม' is not a valid integer range."),
])
def test_bad_targets_are_refused_and_change_nothing(cli, november, session_factory, args, error) -> None:
    result = cli(ORG, *args)
    assert result.exit_code == 2 and result.output.splitlines()[-1] == f"Error: {error}"
    with session_factory() as session:
        org = session.scalars(select(Organization)).one()
        assert (org.target_active_networks, org.target_attendance_percent) == (3, 90)


def test_an_unknown_district_is_named(cli, november) -> None:
    result = cli("เขตไม่มี")
    assert (result.exit_code, result.output) == (1, f"Error: no organization named เขตไม่มี; known: {ORG}\n")
