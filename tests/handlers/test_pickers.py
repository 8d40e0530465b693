"""Choosing a community among more than LINE's 13 quick replies (handlers/pickers.py): a staff member of a
38-community district picks the zone network, then the community; typing a name or part of it still works."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import read_registry_csv
from bot.demo.names import DISTRICT as DEMO_DISTRICT
from handlers import pickers
from handlers.context import BUTTON_LABEL_LIMIT, graphemes
from handlers.services import registry as reg
from models import Community, Organization, Person, RoleName
from support.dialog import Dialog
from support.texts import e, t

DATA = Path(__file__).resolve().parents[1] / "data" / "bangna_communities.csv"
STAFF = "U" + "9" * 32     # staff of the 38-community district, granted from the CLI (not registered)
CHAIR = "U" + "8" * 32     # chair of its zone 1 (8 communities)
ZONE_SIZES = {1: 8, 2: 8, 3: 7, 4: 8, 5: 7}


@pytest.fixture
def dialog(checked_dialog: Dialog) -> Dialog:
    return checked_dialog


@pytest.fixture
def bangna(session_factory, clock) -> int:
    """The sample district (tests/data/bangna_communities.csv: 38 communities in 5 zones), its staff and a chair."""
    rows, _ = read_registry_csv(DATA)
    with session_factory() as session, session.begin():
        org = Organization(name="สำนักงานเขตตัวอย่าง", created_at=clock())
        session.add(org)
        session.flush()
        assert reg.import_communities(session, org, rows, clock()).errors == []
        reg.grant(session, reg.ensure_person(session, STAFF, clock()), RoleName.STAFF, org, now=clock())
        chair = reg.register_person(session, CHAIR, full_name="ประธานโซนหนึ่ง", community=None, phone=None,
                                    display_name=None, now=clock())
        zone1 = next(n for n in reg.zone_networks(session, org.id) if n.name == "เครือข่ายโซน 1")
        reg.grant(session, chair, RoleName.NETWORK_CHAIR, org, network=zone1, now=clock())
        return org.id


def sent(dialog: Dialog) -> list[str]:
    """What each quick-reply button of the bot's last message sends (tapping it says that)."""
    last = dialog.fake_line.state.requests[-1].body["messages"][-1]
    return [item["action"]["text"] for item in last["quickReply"]["items"]]


def zone_buttons() -> list[str]:
    return [t("picker.zone_label", zone=f"เครือข่ายโซน {n}", count=size) for n, size in ZONE_SIZES.items()]


def zone_communities(db, org_id: int, zone: str) -> list[str]:
    return sorted(c.name for c in db.scalars(select(Community).where(Community.organization_id == org_id))
                  if c.zone.name == zone)


def test_staff_reach_every_community_through_its_zone_when_adding_a_member(dialog, bangna, db) -> None:
    question = t("offline.ask_community")
    dialog.run([
        (STAFF, "เพิ่มสมาชิก", t("offline.ask_name")),
        (STAFF, "บุญมา ศรีสุข", t("picker.choose_zone", count=38) + "\n" + question),
    ])
    assert dialog.quick_replies() == [*zone_buttons(), "ยกเลิก"]
    zone5 = zone_communities(db, bangna, "เครือข่ายโซน 5")
    dialog.run([(STAFF, sent(dialog)[4], t("picker.in_zone", zone="เครือข่ายโซน 5", count=7) + "\n" + question)])
    assert sent(dialog) == [*zone5, t("picker.other_zones"), "ยกเลิก"]
    dialog.run([
        # Back to the zones, or a zone typed by its short name.
        (STAFF, t("picker.other_zones"), t("picker.choose_zone", count=38) + "\n" + question),
        (STAFF, "โซน 3 ครับ", t("picker.in_zone", zone="เครือข่ายโซน 3", count=7) + "\n" + question),
    ])
    assert sent(dialog)[:-2] == zone_communities(db, bangna, "เครือข่ายโซน 3")
    # ชุมชนแสงทองพัฒนา (zone 5) sorts after the first twelve communities: no button used to reach it.
    dialog.run([(STAFF, zone5[-1], t("offline.ask_phone"))])
    dialog.say(STAFF, "ข้าม")
    dialog.say(STAFF, "ยินยอมแล้ว")
    assert added(db) == [("บุญมา ศรีสุข", "ชุมชนแสงทองพัฒนา")]


def added(db) -> list[tuple[str, str]]:
    """(name, community) of every member without LINE."""
    db.expire_all()
    return [(p.full_name, reg.member_community(db, p).name)
            for p in db.scalars(select(Person).where(Person.line_user_id.is_(None)))]


def test_part_of_a_name_offers_the_communities_it_may_be(dialog, bangna) -> None:
    dialog.say(STAFF, "เพิ่มสมาชิก")
    dialog.say(STAFF, "บุญมา ศรีสุข")
    dialog.run([(STAFF, "ทุ่งพัฒนา", t("register.community_suggest", text="ทุ่งพัฒนา") + "\n"
                 + t("offline.ask_community"))])
    assert "ชุมชนบ้านทุ่งพัฒนา" in sent(dialog)
    dialog.run([(STAFF, "ชุมชนบ้านทุ่งพัฒนา", t("offline.ask_phone"))])


def test_a_zone_with_more_communities_than_buttons_pages_through_them(dialog, bangna, session_factory,
                                                                        db) -> None:
    with session_factory() as session, session.begin():
        zone1 = next(n for n in reg.zone_networks(session, bangna) if n.name == "เครือข่ายโซน 1")
        session.add_all([Community(organization_id=bangna, name=f"ชุมชนซอย {n}", zone_id=zone1.id)
                         for n in range(10, 16)])
    question = t("offline.ask_community")
    dialog.say(STAFF, "เพิ่มสมาชิก")
    dialog.say(STAFF, "บุญมา ศรีสุข")
    dialog.run([(STAFF, "เครือข่ายโซน 1", t("picker.in_zone", zone="เครือข่ายโซน 1", count=14) + "\n" + question)])
    zone1_names = zone_communities(db, bangna, "เครือข่ายโซน 1")
    more, back = t("picker.more"), t("picker.other_zones")
    assert sent(dialog) == [*zone1_names[:10], more, back, "ยกเลิก"]
    dialog.run([(STAFF, more, t("picker.in_zone", zone="เครือข่ายโซน 1", count=14) + "\n" + question)])
    assert sent(dialog) == [*zone1_names[10:], more, back, "ยกเลิก"]
    dialog.run([(STAFF, zone1_names[-1], t("offline.ask_phone"))])


def test_a_chair_with_few_communities_gets_them_as_buttons_and_no_other_zone(dialog, bangna, db) -> None:
    question = t("offline.ask_community")
    dialog.say(CHAIR, "เพิ่มสมาชิก")
    dialog.run([(CHAIR, "บุญมา ศรีสุข", question)])
    assert sent(dialog) == [*zone_communities(db, bangna, "เครือข่ายโซน 1"), "ยกเลิก"]
    dialog.run([(CHAIR, "โซน 5", t("offline.community_unknown", text="โซน 5") + "\n" + question)])


def test_staff_registering_themselves_choose_their_community_by_zone(dialog, bangna, db) -> None:
    question = t("register.ask_community")
    dialog.run([
        (STAFF, "สมัคร", t("register.ask_name")),
        (STAFF, "สมชาย เจ้าหน้าที่", t("picker.choose_zone", count=38) + "\n" + question),
    ])
    assert dialog.quick_replies() == [*zone_buttons(), "ยกเลิก"]
    dialog.run([
        (STAFF, "เครือข่ายโซน 4", t("picker.in_zone", zone="เครือข่ายโซน 4", count=8) + "\n" + question),
        (STAFF, "ชุมชนหมู่บ้านเศรษฐกิจ", t("register.ask_phone")),
    ])


def test_in_english_the_picker_s_buttons_are_english_and_work(dialog, bangna) -> None:
    question = e("offline.ask_community")
    dialog.say(STAFF, "add member")
    dialog.run([
        (STAFF, "Boonma Srisuk", e("picker.choose_zone", count=38) + "\n" + question),
        (STAFF, "zone 2", e("picker.in_zone", zone="เครือข่ายโซน 2", count=8) + "\n" + question),
        (STAFF, e("picker.other_zones"), e("picker.choose_zone", count=38) + "\n" + question),
    ])
    assert dialog.quick_replies()[-1] == "Cancel"


def test_staff_reach_every_community_through_its_zone_for_a_notice(dialog, bangna, db, session_factory,
                                                                    clock) -> None:
    with session_factory() as session, session.begin():
        far = session.scalars(select(Community).where(Community.name == "ชุมชนแสงทองพัฒนา")).one()
        reg.register_person(session, "U" + "a" * 32, full_name="สมาชิกแสงทอง", community=far, phone=None,
                            display_name=None, now=clock())
    question = t("notice.ask_community")
    dialog.say(STAFF, "ประกาศ")
    dialog.run([(STAFF, "ชุมชน", t("picker.choose_zone", count=38) + "\n" + question)])
    assert dialog.quick_replies() == [*zone_buttons(), "ยกเลิก"]
    zone5 = zone_communities(db, bangna, "เครือข่ายโซน 5")
    dialog.run([(STAFF, sent(dialog)[4], t("picker.in_zone", zone="เครือข่ายโซน 5", count=7) + "\n" + question)])
    assert sent(dialog) == [*zone5, t("picker.other_zones"), "ยกเลิก"]
    dialog.run([(STAFF, "ชุมชนแสงทองพัฒนา", t("notice.ask_roles", target="ชุมชนแสงทองพัฒนา"))])


# Communities of the sample district whose name holds บางนา (16) or คลอง (6), by zone.
BANGNA_BY_ZONE = {1: 6, 3: 2, 4: 5, 5: 3}


def names_with(db, org_id: int, part: str, zone: str | None = None) -> list[str]:
    return sorted(c.name for c in db.scalars(select(Community).where(Community.organization_id == org_id))
                  if part in c.name and (zone is None or c.zone.name == zone))


def test_part_of_many_names_offers_all_of_them_zone_first_when_adding_a_member(dialog, bangna, db) -> None:
    question = t("offline.ask_community")
    dialog.say(STAFF, "เพิ่มสมาชิก")
    dialog.say(STAFF, "บุญมา ศรีสุข")
    # Not "not found" with three fuzzy guesses: all 16, through their zones (4 of the 5).
    dialog.run([(STAFF, "บางนา", t("picker.matching_zones", count=16, text="บางนา") + "\n" + question)])
    assert dialog.quick_replies() == [
        *(t("picker.zone_label", zone=f"เครือข่ายโซน {n}", count=size) for n, size in BANGNA_BY_ZONE.items()), "ยกเลิก"]
    dialog.run([(STAFF, "โซน 4", t("picker.matching_in_zone", zone="เครือข่ายโซน 4", count=5, text="บางนา")
                 + "\n" + question)])
    zone4 = names_with(db, bangna, "บางนา", "เครือข่ายโซน 4")
    assert sent(dialog) == [*zone4, t("picker.other_zones"), "ยกเลิก"]
    # Back to the other zones of the 16; from there, back to every community's zones.
    dialog.run([
        (STAFF, t("picker.other_zones"), t("picker.matching_zones", count=16, text="บางนา") + "\n" + question),
        (STAFF, "เครือข่ายอื่นครับ", t("picker.choose_zone", count=38) + "\n" + question),
    ])
    assert dialog.quick_replies() == [*zone_buttons(), "ยกเลิก"]
    # Another part of a name replaces the first: six fit as buttons.
    dialog.run([(STAFF, "บางนา", t("picker.matching_zones", count=16, text="บางนา") + "\n" + question),
                (STAFF, "คลอง", t("picker.matching", count=6, text="คลอง") + "\n" + question)])
    canals = names_with(db, bangna, "คลอง")
    assert sent(dialog) == [*canals, "ยกเลิก"] and len(canals) == 6
    dialog.run([(STAFF, "ชุมชนคลองหนองบัว", t("offline.ask_phone"))])
    dialog.say(STAFF, "ข้าม")
    dialog.say(STAFF, "ยินยอมแล้ว")
    assert added(db) == [("บุญมา ศรีสุข", "ชุมชนคลองหนองบัว")]


def test_staff_registering_choose_among_the_names_holding_what_they_typed(dialog, bangna, db) -> None:
    dialog.say(STAFF, "register")
    dialog.say(STAFF, "Somchai Staff")
    question = e("register.ask_community")
    dialog.run([
        (STAFF, "บางนา ครับ", e("picker.matching_zones", count=16, text="บางนา") + "\n" + question),
        (STAFF, "zone 5", e("picker.matching_in_zone", zone="เครือข่ายโซน 5", count=3, text="บางนา") + "\n" + question),
    ])
    assert sent(dialog) == [*names_with(db, bangna, "บางนา", "เครือข่ายโซน 5"), e("picker.other_zones"), "Cancel"]
    dialog.run([
        # Part of one name gets the fuzzy guesses, as a typo does; nothing close, the not-found reply.
        (STAFF, "บางนาเหน", e("register.community_suggest", text="บางนาเหน")),
    ])
    assert "ชุมชนบางนาเหนือ" in sent(dialog) and len(sent(dialog)) <= 4
    dialog.run([
        (STAFF, "ไม่มีชื่อนี้แน่นอน", e("register.community_unknown", text="ไม่มีชื่อนี้แน่นอน") + "\n"
         + e("picker.choose_zone", count=38)),
        (STAFF, "บางนาใต้", e("register.ask_phone")),   # one exact name: chosen at once
    ])


@pytest.mark.parametrize(("district", "community", "label"), [
    ("สำนักงานเขตคลองสาน", "ชุมชนวัดทองนพคุณ", "เขตคลองสาน วัดทองนพคุณ"),  # 20 clusters: whole
    # The demo's district: cut to what the community's name leaves, not the name asked for pushed out.
    (DEMO_DISTRICT, "ชุมชนวัดทองนพคุณ", "เขตบางสาย… วัดทองนพคุณ"),
    (DEMO_DISTRICT, "ชุมชนวัดบางนา", "เขตบางสายใย… วัดบางนา"),
    # Both long: the district keeps its first 7 clusters, and the whole is cut at LINE's 20.
    (DEMO_DISTRICT, "ชุมชนหมู่บ้านสุขสันต์พัฒนาใหม่", "เขตบางส… หมู่บ้านสุขสันต์…"),
])
def test_a_district_labelled_button_keeps_the_community_and_fits_line(district, community, label) -> None:
    """Two districts with a community of one name: the button names the district first, cut between grapheme
    clusters so that a long district name (the demo's) leaves the community's name readable."""
    org, twin = Organization(name=district), Organization(name="สำนักงานเขตบางนา")
    mine, theirs = Community(name=community, organization=org), Community(name=community, organization=twin)
    assert pickers.button(mine, [mine, theirs]) == (label, f"{community} ({district})")
    assert len(graphemes(label)) <= BUTTON_LABEL_LIMIT
    assert pickers.button(mine, [mine]) == (community, community)  # a name of its own: no district
