"""A small district to test with: one organization, zones, communities with aliases, people in roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.services import registry as reg
from models import Alias, Community, Network, NetworkKind, Organization, Person, RoleName

USERS = {
    "staff": "U" + "5" * 32,
    "chair": "U" + "4" * 32,
    "leader": "U" + "3" * 32,
    "member": "U" + "2" * 32,
    "partner": "U" + "6" * 32,
    "stranger": "U" + "1" * 32,
    "other_leader": "U" + "7" * 32,
}


@dataclass
class District:
    org: Organization
    zone1: Network
    zone2: Network
    elderly: Network
    wat: Community       # ชุมชนวัดบางนา (zone 1)
    market: Community    # ชุมชนตลาดบางนา (zone 1)
    canal: Community     # ชุมชนคลองบางนา (zone 2)
    people: dict[str, Person]


def seed_district(session, now: datetime) -> District:
    """Bang Na-like district: 2 zones, 3 communities, an issue network, one person per role."""
    org = Organization(name="สำนักงานเขตบางนา", created_at=now)
    session.add(org)
    session.flush()
    zone1 = Network(organization_id=org.id, name="เครือข่ายโซน 1", kind=NetworkKind.ZONE)
    zone2 = Network(organization_id=org.id, name="เครือข่ายโซน 2", kind=NetworkKind.ZONE)
    elderly = Network(organization_id=org.id, name="เครือข่ายผู้สูงอายุ", kind=NetworkKind.ISSUE)
    session.add_all([zone1, zone2, elderly])
    session.flush()
    wat = Community(organization_id=org.id, name="ชุมชนวัดบางนา", zone_id=zone1.id)
    market = Community(organization_id=org.id, name="ชุมชนตลาดบางนา", zone_id=zone1.id)
    canal = Community(organization_id=org.id, name="ชุมชนคลองบางนา", zone_id=zone2.id)
    session.add_all([wat, market, canal])
    session.flush()
    session.add(Alias(community_id=wat.id, name="วัดบางนานอก"))
    canal.issue_networks.append(elderly)
    people = {}
    for key, user_id in USERS.items():
        if key == "stranger":
            continue
        people[key] = reg.register_person(session, user_id, full_name=f"คุณ{key}", community=wat if key != "other_leader" else canal,
                                          phone=None, display_name=None, now=now)
    reg.grant(session, people["staff"], RoleName.STAFF, org, now=now)
    reg.grant(session, people["chair"], RoleName.NETWORK_CHAIR, org, network=zone1, now=now)
    reg.grant(session, people["leader"], RoleName.COMMUNITY_LEADER, org, community=wat, title="ประธาน", now=now)
    reg.grant(session, people["other_leader"], RoleName.COMMUNITY_LEADER, org, community=canal, now=now)
    reg.grant(session, people["partner"], RoleName.PARTNER, org, network=zone1, now=now)
    session.flush()
    return District(org, zone1, zone2, elderly, wat, market, canal, people)


# Five more members across three communities, for answer and check-in tests.
MORE_MEMBERS = {
    "somsri": ("U" + "a" * 32, "สมศรี ใจดี", "wat"),
    "somsak": ("U" + "b" * 32, "สมศักดิ์ ใจดี", "wat"),
    "somchai": ("U" + "c" * 32, "สมชาย แก้วมณี", "market"),
    "malee": ("U" + "d" * 32, "มาลี ศรีสุข", "market"),
    "somying": ("U" + "e" * 32, "สมหญิง ทองดี", "canal"),
}
MARKET_LEADER = "U" + "8" * 32


def seed_members(session, district: District, now: datetime) -> None:
    """Register MORE_MEMBERS into their communities."""
    for user_id, name, community in MORE_MEMBERS.values():
        reg.register_person(session, user_id, full_name=name, community=getattr(district, community),
                            phone=None, display_name=None, now=now)


def seed_market_leader(session, district: District, now: datetime) -> Person:
    """A registered leader for ชุมชนตลาดบางนา (the seed has leaders only for วัด and คลอง)."""
    leader = reg.register_person(session, MARKET_LEADER, full_name="คุณประธานตลาด", community=district.market,
                                 phone=None, display_name=None, now=now)
    reg.grant(session, leader, RoleName.COMMUNITY_LEADER, district.org, community=district.market, now=now)
    return leader


OUTSIDER = "U" + "0a" * 16  # registered, with a phone number, in another district only


def seed_outsider(session, now: datetime) -> Person:
    """A member of a community of another organization (สำนักงานเขตพระโขนง): buttons and codes of the
    test district must not work for them."""
    org = Organization(name="สำนักงานเขตพระโขนง", created_at=now)
    session.add(org)
    session.flush()
    zone = Network(organization_id=org.id, name="เครือข่ายพระโขนง 1", kind=NetworkKind.ZONE)
    session.add(zone)
    session.flush()
    community = Community(organization_id=org.id, name="ชุมชนพระโขนงเหนือ", zone_id=zone.id)
    session.add(community)
    session.flush()
    return reg.register_person(session, OUTSIDER, full_name="คุณนอกเขต", community=community, phone="0812345678",
                               display_name=None, now=now)


# Groups linked by seed_linked_district, as the activity tests use them.
GROUP_ZONE = "C" + "a" * 32     # linked to เครือข่ายโซน 1
GROUP_MARKET = "C" + "b" * 32   # linked to ชุมชนตลาดบางนา, a community of zone 1
GROUP_CANAL = "C" + "c" * 32    # linked to ชุมชนคลองบางนา (zone 2): never told about zone 1


def seed_linked_district(session, now: datetime) -> District:
    """The test district, a leader for ชุมชนตลาดบางนา, and the three linked groups above."""
    district = seed_district(session, now)
    seed_market_leader(session, district, now)
    reg.link_chat(session, GROUP_ZONE, district.zone1, None, now)
    reg.link_chat(session, GROUP_MARKET, district.market, None, now)
    reg.link_chat(session, GROUP_CANAL, district.canal, None, now)
    return district
