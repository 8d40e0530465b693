"""The demo district: generated from a seed through the real services, loaded once, never beside a real
organization unless forced."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import demo
from bot.demo import names
from bot.simulator.views import _personas
from handlers.services.activities import linked_chats
from models import (
    AckKind,
    Activity,
    ActivityReport,
    Answer,
    ChatLink,
    Community,
    HostLog,
    HostLogKind,
    Membership,
    Network,
    Notice,
    NoticeAck,
    Organization,
    OutboxMessage,
    Person,
    RoleName,
    Rsvp,
    Series,
)
from models.db import make_engine, make_session_factory


def snapshot(session: Session) -> list[tuple]:
    """What must be the same for the same seed: people, their roles, groups and activity codes."""
    people = session.execute(select(Person.full_name, Person.line_user_id, Person.language)
                             .order_by(Person.id)).all()
    roles = session.execute(select(Membership.person_id, Membership.role, Membership.title)
                            .order_by(Membership.id)).all()
    chats = session.execute(select(ChatLink.chat_id, ChatLink.community_id, ChatLink.network_id)
                            .order_by(ChatLink.id)).all()
    codes = session.execute(select(Activity.code, Activity.title, Activity.host_community_id)
                            .order_by(Activity.id)).all()
    return [*people, *roles, *chats, *codes]


def count(session: Session, what, *where) -> int:
    return session.scalar(select(func.count()).select_from(what).where(*where))


def test_the_district_has_what_the_issue_lists(session_factory, clock, db) -> None:
    with session_factory() as session, session.begin():
        report = demo.load(session, clock())
    assert report.created and report.organization == names.DISTRICT
    assert sorted(db.scalars(select(Network.name).where(Network.kind == "zone"))) == names.ZONES
    assert sorted(db.scalars(select(Network.name).where(Network.kind == "issue"))) == sorted(names.ISSUES)
    assert count(db, Community) == 38
    members = count(db, Membership, Membership.role == RoleName.MEMBER)
    assert 300 <= members <= 380
    assert count(db, Person, Person.line_user_id.is_(None)) == report.counts["members without LINE"] > 0
    assert count(db, Person, Person.language == "en") == len(names.ENGLISH_NAMES)
    for role in (RoleName.STAFF, RoleName.NETWORK_CHAIR, RoleName.COMMUNITY_LEADER, RoleName.PARTNER):
        assert count(db, Membership, Membership.role == role) > 0
    assert count(db, ChatLink, ChatLink.network_id.is_not(None)) == 7
    assert count(db, ChatLink, ChatLink.community_id.is_not(None)) > 20
    # The rotation's history holds confirmations, and at least one decline or skip.
    kinds = set(db.scalars(select(HostLog.kind)))
    assert {HostLogKind.PROPOSED, HostLogKind.CONFIRMED} <= kinds and kinds & {HostLogKind.DECLINED,
                                                                               HostLogKind.SKIPPED}
    now = clock()
    past = db.scalars(select(Activity).where(Activity.starts_at < now)).all()
    assert len(past) == 5 * demo.PAST_MEETINGS
    assert count(db, ActivityReport) == len(past)
    assert count(db, Rsvp, Rsvp.checked_in_at.is_not(None)) > 0
    # The full activity: 20 seats, 23 said ไป, three wait in line.
    [full] = db.scalars(select(Activity).where(Activity.capacity == 20)).all()
    assert full.starts_at > now
    assert count(db, Rsvp, Rsvp.activity_id == full.id, Rsvp.answer == Answer.GOING,
                 Rsvp.waitlisted_at.is_(None)) == 20
    assert count(db, Rsvp, Rsvp.activity_id == full.id, Rsvp.waitlisted_at.is_not(None)) == 3
    [series] = db.scalars(select(Series)).all()
    assert series.interval_months == 1
    [alert] = db.scalars(select(Notice).where(Notice.urgent.is_(True))).all()
    assert alert.send_at < now
    assert set(db.scalars(select(NoticeAck.kind).where(NoticeAck.notice_id == alert.id))) == {
        AckKind.SAFE, AckKind.NEED_HELP}
    assert count(db, NoticeAck, NoticeAck.kind == AckKind.ACKNOWLEDGED) > 0
    # Loading sends nothing but the upcoming activities' cards, once to each of their groups.
    upcoming = db.scalars(select(Activity).where(Activity.starts_at > now)).all()
    expected = sorted((link.chat_id, f"activity:{a.id}:announce") for a in upcoming for link in linked_chats(db, a))
    assert len(expected) > len(upcoming)
    assert sorted((row.target, row.dedupe_key.split("/")[0]) for row in db.scalars(select(OutboxMessage))) == expected
    assert {row.kind for row in db.scalars(select(OutboxMessage))} == {"push"}


@pytest.mark.parametrize("seed", [demo.DEFAULT_SEED, 7])
def test_every_persona_is_listed_once_under_a_name_of_their_own(session_factory, clock, db, seed) -> None:
    """First and last names drawn independently met again: the simulator listed "ละเอียด ศรีบางสายใย —
    ชุมชนเคหะสายใย" twice, two people nobody could tell apart (nor a leader's `ตอบแทน` by name)."""
    with session_factory() as session, session.begin():
        demo.load(session, clock(), seed=seed)
    full_names = list(db.scalars(select(Person.full_name)))
    assert len(full_names) == count(db, Person) > 300
    assert sorted(name for name, times in Counter(full_names).items() if times > 1) == []
    listed = [(p["name"], p["community"]) for p in _personas(db)]
    assert len(listed) == count(db, Person, Person.line_user_id.is_not(None))
    assert sorted(entry for entry, times in Counter(listed).items() if times > 1) == []


def test_loading_again_changes_nothing(session_factory, clock, db) -> None:
    with session_factory() as session, session.begin():
        demo.load(session, clock())
    before = snapshot(db)
    with session_factory() as session, session.begin():
        again = demo.load(session, clock())
    assert (again.created, again.line()) == (False, f"demo district already loaded: {names.DISTRICT}")
    db.expire_all()
    assert snapshot(db) == before


def test_the_same_seed_gives_the_same_district(session_factory, clock, db, sqlite_template, tmp_path) -> None:
    with session_factory() as session, session.begin():
        demo.load(session, clock(), seed=7)
    path = tmp_path / "other.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        with make_session_factory(engine)() as other:
            with other.begin():
                demo.load(other, clock(), seed=7)
            assert snapshot(other) == snapshot(db)
        with make_session_factory(engine)() as other, other.begin():
            other.execute(Organization.__table__.delete())
            other.execute(Person.__table__.delete())
        with make_session_factory(engine)() as other:
            with other.begin():
                demo.load(other, clock(), seed=8)
            assert snapshot(other)[:5] != snapshot(db)[:5]
    finally:
        engine.dispose()


def test_a_real_organization_is_left_alone_unless_forced(session_factory, clock, db) -> None:
    with session_factory() as session, session.begin():
        session.add(Organization(name="สำนักงานเขตบางนา", created_at=clock()))
    with session_factory() as session, session.begin(), pytest.raises(demo.DemoRefused, match="สำนักงานเขตบางนา"):
        demo.load(session, clock())
    assert list(db.scalars(select(Organization.name))) == ["สำนักงานเขตบางนา"]
    with session_factory() as session, session.begin():
        assert demo.load(session, clock(), force=True).created
    db.expire_all()
    assert sorted(db.scalars(select(Organization.name))) == sorted(["สำนักงานเขตบางนา", names.DISTRICT])


def test_the_command_loads_once_and_refuses_a_real_organization(app, db, clock) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"demo district loaded: {names.DISTRICT} (7 networks, 38 communities,")
    assert runner.invoke(args=["demo", "load", "--if-empty"]).output == ""
    assert runner.invoke(args=["demo", "load"]).output == f"demo district already loaded: {names.DISTRICT}\n"
    with app.extensions["saiyai"].session_factory() as session, session.begin():
        session.execute(Organization.__table__.delete().where(Organization.name == names.DISTRICT))
        session.add(Organization(name="เขตจริง", created_at=clock()))
    refused = runner.invoke(args=["demo", "load"])
    assert refused.exit_code == 1
    assert refused.output == ("Error: this database holds เขตจริง: the demo district is not loaded beside a real "
                              "organization (use --force to load it anyway)\n")
