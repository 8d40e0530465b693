"""An alert's status in a district bigger than a chat screen: counts kept from when it went out, one
screen of names, and a cost in statements that does not grow with the answers.

The district is made up here (not the sample): the test district plus ชุมชนริมคลองสาน with 40 members on
LINE and 4 elders without LINE, two of them sharing a surname."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.catalog import th
from handlers.services import notices as svc
from handlers.services import registry as reg
from models import AckKind, Community, Membership, Notice, NoticeScope, Person, RoleName
from scheduler import notices as notice_jobs
from scheduler.jobs import dispatch_outbox
from support.registry import USERS
from support.texts import t

STAFF = USERS["staff"]
T = th.TEXT
ELDERS = [("ยายสมศรี ริมคลอง", "0811111111"), ("ตาบุญมา ริมคลอง", None), ("ป้าทองดี ใจงาม", "0822222222"),
          ("ลุงประยูร แก้วมณี", None)]


@pytest.fixture
def canal(district, session_factory, clock):
    """ชุมชนริมคลองสาน in zone 2: 40 members on LINE, 4 without; then an alert to the district, sent."""
    with session_factory() as session, session.begin():
        community = Community(organization_id=district.org.id, name="ชุมชนริมคลองสาน", zone_id=district.zone2.id)
        session.add(community)
        session.flush()
        for n in range(40):
            reg.register_person(session, f"U{0xCA0000 + n:032x}", full_name=f"ชาวคลอง ที่{n + 1:02d}",
                                community=community, phone=f"08{n:08d}", display_name=None, now=clock())
        for name, phone in ELDERS:
            elder = Person(line_user_id=None, full_name=name, phone=phone, consent_version=reg.CONSENT_VERSION,
                           created_at=clock(), updated_at=clock())
            session.add(elder)
            session.flush()
            session.add(Membership(person_id=elder.id, role=RoleName.MEMBER, organization_id=district.org.id,
                                   community_id=community.id, created_at=clock()))
        alert = svc.create_notice(session, svc.Audience(district.org.id, NoticeScope.ORGANIZATION,
                                                        author_id=district.people["staff"].id),
                                  text="น้ำขึ้นสูง โปรดแจ้งสถานะ", now=clock(), urgent=True)
        community_id, alert_id = community.id, alert.id
    return community_id, alert_id


def send(jobs) -> None:
    notice_jobs.send_notices(jobs)
    dispatch_outbox(jobs)
    notice_jobs.settle_notices(jobs)


def answer(session_factory, clock, alert_id: int, names: list[str], kind: AckKind) -> None:
    with session_factory() as session, session.begin():
        alert = session.get(Notice, alert_id)
        for name in names:
            person = session.scalars(select(Person).where(Person.full_name == name)).one()
            svc.record_answer(session, alert, person, kind, clock())


def test_an_alert_status_shows_one_screen_of_people_needing_help_and_the_rest_on_the_desk(
        dialog, canal, jobs, session_factory, clock, statements) -> None:
    _community_id, alert_id = canal
    send(jobs)
    answer(session_factory, clock, alert_id, [f"ชาวคลอง ที่{n + 1:02d}" for n in range(3)], AckKind.NEED_HELP)
    statements.clear()
    [few] = dialog.say(STAFF, "แจ้งเตือนด่วน สถานะ")
    few_statements = len(statements)
    assert t("alert.status_community", community="ชุมชนริมคลองสาน", safe=0, help=3, silent=37) in few.split("\n")

    answer(session_factory, clock, alert_id, [f"ชาวคลอง ที่{n + 1:02d}" for n in range(3, 34)], AckKind.NEED_HELP)
    statements.clear()
    [many] = dialog.say(STAFF, "แจ้งเตือนด่วน สถานะ")
    lines = many.split("\n")
    # Before: every one of the 34 was listed (Bangkok's seed: 2,000 lines split over several messages).
    helping = [line for line in lines if line.startswith("🆘 ") and "ชาวคลอง" in line]
    assert len(helping) == 30
    assert t("alert.status_help_more", count=4) in lines
    # The latest answers come first; the 4 left out are the earliest.
    assert not any(f"ชาวคลอง ที่{n:02d} " in line for n in (1, 2, 3, 4) for line in helping)
    assert len(statements) == few_statements, [s[:70] for s in statements]


def test_elders_without_line_are_counted_from_the_alert_and_named_with_their_community(
        dialog, canal, jobs, session_factory, clock, district) -> None:
    _community_id, alert_id = canal
    send(jobs)
    [before] = dialog.say(STAFF, "แจ้งเตือนด่วน สถานะ")
    assert t("alert.status_offline", count=4) in before.split("\n")
    for name, phone in ELDERS:
        assert t("alert.status_offline_line", name=name, community="ชุมชนริมคลองสาน",
                 phone=phone or T["alert.no_phone"]) in before.split("\n")

    # A leader phoned two of them: they are counted as answered, not listed again, and the others' line says 2.
    with session_factory() as session, session.begin():
        alert = session.get(Notice, alert_id)
        leader = session.get(Person, district.people["leader"].id)
        for name in ("ยายสมศรี ริมคลอง", "ตาบุญมา ริมคลอง"):
            elder = session.scalars(select(Person).where(Person.full_name == name)).one()
            svc.record_answer(session, alert, elder, AckKind.SAFE, clock(), proxy_by=leader)
    [after] = dialog.say(STAFF, "แจ้งเตือนด่วน สถานะ")
    lines = after.split("\n")
    assert t("alert.status_offline", count=2) in lines
    assert not any("ยายสมศรี" in line and "โทร" in line for line in lines)
    assert t("alert.status_community", community="ชุมชนริมคลองสาน", safe=2, help=0, silent=40) in lines


def test_who_sees_which_notice_s_status(district, session_factory, clock) -> None:
    """The status a sender sees: staff all of their district; the author their own; a chair their network's
    and its communities' (a zone's, and those that joined an issue network they chair); a leader their
    community's. Read with one statement now, so each case is pinned here."""
    people = district.people
    with session_factory() as session, session.begin():
        elderly_chair = reg.register_person(session, f"U{0xE1DE:032x}", full_name="ประธานผู้สูงอายุ", community=None,
                                            phone=None, display_name=None, now=clock())
        reg.grant(session, elderly_chair, RoleName.NETWORK_CHAIR, district.org, network=district.elderly, now=clock())
        notices = {}
        for key, scope, target in (("wat", NoticeScope.COMMUNITY, {"community_id": district.wat.id}),
                                   ("canal", NoticeScope.COMMUNITY, {"community_id": district.canal.id}),
                                   ("zone1", NoticeScope.NETWORK, {"network_id": district.zone1.id}),
                                   ("elderly", NoticeScope.NETWORK, {"network_id": district.elderly.id}),
                                   ("district", NoticeScope.ORGANIZATION, {})):
            author = people["other_leader"] if key == "canal" else people["staff"]
            notice = svc.create_notice(session, svc.Audience(district.org.id, scope, author_id=author.id, **target),
                                       text=key, now=clock())
            notice.status = svc.SHOWN[1]
            notices[notice.id] = key
        elderly_chair_id = elderly_chair.id

    def seen(person_id: int) -> set[str]:
        with session_factory() as session:
            person = session.get(Person, person_id)
            held = list(session.scalars(select(Membership).where(Membership.person_id == person_id)))
            return {notices[n.id] for n in svc.visible_notices(session, held, person, urgent=False, limit=10)}

    assert seen(people["staff"].id) == {"wat", "canal", "zone1", "elderly", "district"}
    assert seen(people["chair"].id) == {"wat", "zone1"}                 # zone 1 and its communities
    assert seen(elderly_chair_id) == {"canal", "elderly"}               # คลองบางนา joined the issue network
    assert seen(people["leader"].id) == {"wat"}
    assert seen(people["other_leader"].id) == {"canal"}                 # their community, and they wrote it
    assert seen(people["member"].id) == set()
