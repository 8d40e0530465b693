"""Who sees what: staff their district, a chair their network, a leader their community; anything else 403,
including ids guessed in URLs."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models import AuditLog, Membership, RoleName
from support.desk import PHOTO, World, post_form, seed_world, sign_in
from support.registry import USERS, seed_outsider


@pytest.fixture
def world(session_factory, district, clock) -> World:
    with session_factory() as session, session.begin():
        world = seed_world(session, district, clock())
        seed_outsider(session, clock())
    return world


def pages(world: World) -> dict[str, str]:
    d, a = world.district, world.activities
    return {
        "zone1": f"/desk/networks/{d.zone1.id}",
        "zone2": f"/desk/networks/{d.zone2.id}",
        "wat": f"/desk/communities/{d.wat.id}",
        "market": f"/desk/communities/{d.market.id}",
        "canal": f"/desk/communities/{d.canal.id}",
        "activity_zone1": f"/desk/activities/{a['NOV1']}",
        "activity_zone2": f"/desk/activities/{a['NOV2']}",
        "photo_zone1": f"/desk/photos/{world.photo_id}",
        "notice": f"/desk/notices/{world.notice_id}",
        "members": "/desk/members",
        "members_csv": "/desk/export/members.csv",
        "audit": "/desk/audit",
        "report_zone1": f"/desk/networks/{d.zone1.id}/report/2026-11",
        "report_zone2": f"/desk/networks/{d.zone2.id}/report/2026-11",
        "guessed_activity": "/desk/activities/999999",
        "guessed_photo": "/desk/photos/999999",
        "guessed_network": "/desk/networks/999999",
        "guessed_community": "/desk/communities/999999",
    }


EXPECTED = {  # page: (staff, chair of zone 1, leader of ชุมชนวัดบางนา)
    "zone1": (200, 200, 403),
    "zone2": (200, 403, 403),
    "wat": (200, 200, 200),
    "market": (200, 200, 403),
    "canal": (200, 403, 403),
    "activity_zone1": (200, 200, 200),
    "activity_zone2": (200, 403, 403),
    "photo_zone1": (200, 200, 200),
    "notice": (200, 200, 200),
    "members": (200, 403, 403),
    "members_csv": (200, 403, 403),
    "audit": (200, 403, 403),
    "report_zone1": (200, 200, 403),
    "report_zone2": (200, 403, 403),
    "guessed_activity": (403, 403, 403),
    "guessed_photo": (403, 403, 403),
    "guessed_network": (403, 403, 403),
    "guessed_community": (403, 403, 403),
}


@pytest.mark.parametrize(("who", "column"), [("staff", 0), ("chair", 1), ("leader", 2)])
def test_each_role_sees_its_scope_only(app, dialog, world, who, column) -> None:
    client = app.test_client()
    sign_in(client, dialog, USERS[who])
    urls = pages(world)
    got = {name: client.get(url).status_code for name, url in urls.items()}
    assert got == {name: statuses[column] for name, statuses in EXPECTED.items()}


def test_the_photo_is_served_from_the_database(app, dialog, world) -> None:
    client = app.test_client()
    sign_in(client, dialog, USERS["leader"])
    response = client.get(f"/desk/photos/{world.photo_id}")
    assert (response.status_code, response.mimetype, response.data) == (200, "image/jpeg", PHOTO)


def test_signed_out_people_see_nothing(app, world) -> None:
    client = app.test_client()
    for url in pages(world).values():
        assert client.get(url).headers.get("Location") == "/desk/signed-out", url


def test_staff_of_another_district_sees_nothing_here(app, dialog, world, session_factory, clock) -> None:
    from handlers.services import registry as reg
    from models import Organization
    with session_factory() as session, session.begin():
        outsider = reg.find_person(session, "U" + "0a" * 16)
        other = session.scalars(select(Organization).where(Organization.name == "สำนักงานเขตพระโขนง")).one()
        reg.grant(session, outsider, RoleName.STAFF, other, now=clock())
    client = app.test_client()
    sign_in(client, dialog, "U" + "0a" * 16)
    own_lists = ("members", "members_csv", "audit")  # their own district's, without Bang Na's people
    got = {name: client.get(url).status_code for name, url in pages(world).items() if name not in own_lists}
    assert set(got.values()) == {403}
    assert client.get("/desk/members").status_code == 200
    assert "คุณstaff" not in client.get("/desk/members?q=คุณ").get_data(as_text=True)
    assert client.get("/desk/export/members.csv").get_data(as_text=True).splitlines()[1:] == [
        "คุณนอกเขต,0812345678,ชุมชนพระโขนงเหนือ,,member,,yes,2026-11-21T10:00+07:00",
        "คุณนอกเขต,0812345678,,,staff,,yes,2026-11-21T10:00+07:00"]


def test_a_leader_sees_only_their_community_in_an_activity(app, dialog, world) -> None:
    client = app.test_client()
    sign_in(client, dialog, USERS["leader"])
    html = client.get(f"/desk/activities/{world.activities['NOV1']}").get_data(as_text=True)
    assert ("สมศรี ใจดี" in html, "สมชาย แก้วมณี" in html) == (True, False)  # วัด yes, ตลาด no


def test_staff_change_a_role_with_an_audit_entry(app, dialog, world, db) -> None:
    d = world.district
    client = app.test_client()
    sign_in(client, dialog, USERS["staff"])
    member = d.people["member"].id
    response = post_form(client, "/desk/members", f"/desk/members/{member}/role",
                         {"role": "community_leader", "target": f"c:{d.market.id}"})
    assert response.status_code == 302
    held = db.scalars(select(Membership).where(Membership.person_id == member).order_by(Membership.id)).all()
    assert [(m.role, m.community_id) for m in held] == [("member", d.wat.id), ("community_leader", d.market.id)]
    entry = db.scalars(select(AuditLog).where(AuditLog.action == "role_change")).one()
    assert (entry.actor_id, entry.target, entry.detail) == (
        d.people["staff"].id, f"person:{member}",
        {"from": ["member:ชุมชนวัดบางนา"], "to": ["community_leader:ชุมชนตลาดบางนา", "member:ชุมชนวัดบางนา"]})
    html = client.get("/desk/audit").get_data(as_text=True)
    rows = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>", html)
    assert rows == [("คุณstaff", "role_change"), ("คุณstaff", "signin")]


@pytest.mark.parametrize("form", [
    {"role": "community_leader", "target": "n:1"},      # a leader needs a community
    {"role": "network_chair", "target": ""},           # a chair needs a network
    {"role": "king", "target": ""},
])
def test_a_bad_role_change_changes_nothing(app, dialog, world, db, form) -> None:
    client = app.test_client()
    sign_in(client, dialog, USERS["staff"])
    member = world.district.people["member"].id
    before = db.scalars(select(Membership.role).where(Membership.person_id == member)).all()
    assert post_form(client, "/desk/members", f"/desk/members/{member}/role", form).status_code == 400
    db.expire_all()
    assert db.scalars(select(Membership.role).where(Membership.person_id == member)).all() == before
    assert db.scalars(select(AuditLog).where(AuditLog.action == "role_change")).all() == []


def test_a_chair_cannot_change_roles(app, dialog, world, db) -> None:
    client = app.test_client()
    sign_in(client, dialog, USERS["chair"])
    member = world.district.people["member"].id
    response = post_form(client, f"/desk/networks/{world.district.zone1.id}", f"/desk/members/{member}/role",
                         {"role": "staff", "target": ""})
    assert response.status_code == 403
    assert db.scalars(select(Membership.role).where(Membership.person_id == member)).all() == ["member"]
