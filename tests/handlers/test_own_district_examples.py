"""Prompts give examples from the sender's own district, never the sample district's names (ชุมชนวัดบางนา,
เครือข่ายโซน 1). A district of our own making, through signed webhooks."""

from __future__ import annotations

import pytest

from handlers.services import registry as reg
from models import Community, Network, NetworkKind, Organization, RoleName
from support.dialog import Dialog
from support.texts import t

STAFF, CHAIR, LEADER, STRANGER = ("U" + c * 32 for c in "5432")


@pytest.fixture
def dialog(checked_dialog: Dialog) -> Dialog:
    return checked_dialog


@pytest.fixture
def own_district(session_factory, clock) -> None:
    """สำนักงานเขตพระโขนง: one zone, two communities, a staff member, a chair and a community leader."""
    now = clock()
    with session_factory() as session, session.begin():
        org = Organization(name="สำนักงานเขตพระโขนง", created_at=now)
        session.add(org)
        session.flush()
        zone = Network(organization_id=org.id, name="เครือข่ายริมคลองพระโขนง", kind=NetworkKind.ZONE)
        session.add(zone)
        session.flush()
        north = Community(organization_id=org.id, name="ชุมชนพระโขนงเหนือ", zone_id=zone.id)
        south = Community(organization_id=org.id, name="ชุมชนพระโขนงใต้", zone_id=zone.id)
        session.add_all([north, south])
        session.flush()
        staff = reg.register_person(session, STAFF, full_name="สมพร ใจงาม", community=None, phone=None,
                                    display_name=None, now=now)
        reg.grant(session, staff, RoleName.STAFF, org, now=now)
        chair = reg.register_person(session, CHAIR, full_name="ประยูร มีสุข", community=north, phone=None,
                                    display_name=None, now=now)
        reg.grant(session, chair, RoleName.NETWORK_CHAIR, org, network=zone, now=now)
        leader = reg.register_person(session, LEADER, full_name="อำไพ รักดี", community=south, phone=None,
                                     display_name=None, now=now)
        reg.grant(session, leader, RoleName.COMMUNITY_LEADER, org, community=south, now=now)


def test_examples_name_the_senders_own_network_and_communities(dialog, own_district) -> None:
    dialog.run([
        (LEADER, "สร้างกิจกรรม", "สร้างกิจกรรมใหม่ครับ 📅 กิจกรรมชื่ออะไรครับ (เช่น “ประชุมเครือข่ายริมคลองพระโขนง”)"),
        (LEADER, "ยกเลิก", t("flow.cancelled")),
        (CHAIR, "สลับเจ้าภาพ", "พิมพ์ “สลับเจ้าภาพ <ชุมชน A> กับ <ชุมชน B> [เหตุผล]” "
                               "เช่น “สลับเจ้าภาพ ชุมชนพระโขนงเหนือ กับ ชุมชนพระโขนงใต้ ตรงกับงานวัด” ครับ"),
        # Staff belong to no zone: the example is a network of their district.
        (STAFF, "เจ้าภาพ", "ยังไม่ทราบว่าคุณอยู่เครือข่ายใดครับ พิมพ์ “เจ้าภาพ” ตามด้วยชื่อเครือข่าย "
                           "เช่น “เจ้าภาพ เครือข่ายริมคลองพระโขนง” ครับ"),
    ])


def test_a_stranger_is_given_no_other_districts_names(dialog, own_district) -> None:
    dialog.run([
        (STRANGER, "สมัคร", t("register.ask_name")),
        (STRANGER, "สมศรี ใจดี", "คุณอยู่ชุมชนไหนครับ พิมพ์ชื่อชุมชนตามที่ใช้ในเขตได้เลยครับ พิมพ์แค่บางส่วนของชื่อก็ได้"),
    ])
