"""`สมาชิก` in a district too big for a chat list: counts by zone, a community's own pages, a name search.

The district here is made up for these tests (not the sample): 20 communities in three zones, 260 people
whose names share parts, as real names do (สม-, -ศรี, ใจดี)."""

from __future__ import annotations

import pytest

from handlers.services import registry as reg
from models import Community, Network, NetworkKind
from support.registry import USERS
from support.texts import t

STAFF, CHAIR = USERS["staff"], USERS["chair"]
FIRST = ["สมศรี", "สมศักดิ์", "สมชาย", "ศรีสุดา", "บุญมี", "มาลี", "ทองดี", "ประยูร", "สมปอง", "อำไพ", "Somsri", "บัวผัน", "จันทร์เพ็ญ"]
LAST = ["ใจดี", "มีสุข", "ศรีสุข", "แก้วมณี", "ทองคำ", "พูลผล", "บุญมา", "สุขใจ", "Jaidee", "รุ่งเรือง"]


@pytest.fixture
def big(district, session_factory, clock):
    """district's three communities plus 17 in two more zones; 13 people in each new community."""
    with session_factory() as session, session.begin():
        org = district.org
        east = Network(organization_id=org.id, name="เครือข่ายโซนตะวันออก", kind=NetworkKind.ZONE)
        west = Network(organization_id=org.id, name="เครือข่ายโซนตะวันตก", kind=NetworkKind.ZONE)
        session.add_all([east, west])
        session.flush()
        n = 0
        for i in range(17):
            community = Community(organization_id=org.id, name=f"ชุมชนหมู่{i + 1:02d}",
                                  zone_id=(east if i < 9 else west).id)
            session.add(community)
            session.flush()
            for j in range(13):
                name = f"{FIRST[(i + j) % len(FIRST)]} {LAST[(i * 3 + j) % len(LAST)]}"
                reg.register_person(session, f"U{n:032x}", full_name=name, community=community, phone=None,
                                    display_name=None, now=clock())
                n += 1
    return district


def test_staff_of_a_big_district_get_counts_by_zone_and_how_to_look_up(dialog, big) -> None:
    dialog.run([(STAFF, "สมาชิก", [
        "สมาชิกในความดูแลของคุณ 227 คน จาก 20 ชุมชน\n"
        "• เครือข่ายโซน 1: 2 ชุมชน 5 คน\n"
        "• เครือข่ายโซน 2: 1 ชุมชน 1 คน\n"
        "• เครือข่ายโซนตะวันตก: 8 ชุมชน 104 คน\n"
        "• เครือข่ายโซนตะวันออก: 9 ชุมชน 117 คน",
        t("members.search_hint", example="ชุมชนคลองบางนา")])])
    # Pages still work when asked for, one screen each.
    [page] = dialog.say(STAFF, "สมาชิก 23")
    assert page.split("\n")[0] == "รายชื่อ หน้า 23/23"
    assert len(page.split("\n")) == 1 + 7


def test_a_community_by_name_gets_its_own_pages(dialog, big, fake_line) -> None:
    [summary, page1] = dialog.say(STAFF, "สมาชิก หมู่05")
    assert summary == "สมาชิกในความดูแลของคุณ 13 คน จาก 1 ชุมชน\n• ชุมชนหมู่05: 13 คน (สมาชิก 13)"
    assert page1.split("\n")[0] == "รายชื่อ หน้า 1/2"
    assert {line.split(" — ")[1] for line in page1.split("\n")[1:]} == {"ชุมชนหมู่05 (สมาชิก)"}
    assert dialog.quick_replies() == ["หน้าถัดไป"]
    assert fake_line.state.requests[-1].body["messages"][-1]["quickReply"]["items"][0]["action"]["text"] == (
        "สมาชิก ชุมชนหมู่05 2")
    [page2] = dialog.say(STAFF, "สมาชิก ชุมชนหมู่05 2")
    assert page2.split("\n")[:2] == ["รายชื่อ หน้า 2/2", page2.split("\n")[1]]
    assert page2.split("\n")[1].startswith("11. ")
    assert len(page2.split("\n")) == 1 + 3
    dialog.run([(STAFF, "สมาชิก ชุมชนหมู่05 3", "รายชื่อของชุมชนหมู่05 มีทั้งหมด 2 หน้าครับ "
                                             "พิมพ์ “สมาชิก ชุมชนหมู่05 2” เพื่อดูหน้าสุดท้าย")])


def test_a_name_search_finds_the_person_among_many_alike(dialog, big) -> None:
    [found] = dialog.say(STAFF, "สมาชิก ศรีสุดา ทองคำ")
    lines = found.split("\n")
    assert lines[0] == "ผู้ที่ชื่อมี “ศรีสุดา ทองคำ” ในชุมชนที่คุณดูแล"
    assert all("ศรีสุดา ทองคำ" in line for line in lines[1:]) and len(lines) > 1
    # Part of a name shared by many: one screen, the first ten, and how to narrow it.
    [many] = dialog.say(STAFF, "สมาชิก สม")
    assert len(many.split("\n")) == 1 + 10 + 1
    assert many.split("\n")[-1] == t("members.found_more", count=10)
    [english] = dialog.say(STAFF, "members Jaidee")
    assert english.split("\n")[0] == "People whose name holds “Jaidee” in the communities you look after"


def test_a_chair_finds_nobody_outside_their_network(dialog, big) -> None:
    # Zone 1's chair: the new zones are not theirs, so neither their people nor their communities are found.
    dialog.run([
        (CHAIR, "สมาชิก บัวผัน", "ไม่พบชุมชนหรือผู้ที่ชื่อมี “บัวผัน” ในชุมชนที่คุณดูแลครับ "
                                   "พิมพ์ “สมาชิก” เพื่อดูจำนวนสมาชิกของแต่ละชุมชน"),
        (CHAIR, "members ชุมชนหมู่05", "No community or person called “ชุมชนหมู่05” among those you look after. "
                                       "Type “members” for the count in each community."),
    ])
    [summary, _] = dialog.say(CHAIR, "สมาชิก")
    assert summary.split("\n")[0] == "สมาชิกในความดูแลของคุณ 5 คน จาก 2 ชุมชน"


@pytest.mark.parametrize("text", ["ชุมชน", "สร้างรหัส ผู้นำ ชุมชนหมู่05", "สมาชิก หมู่05", "สมาชิก สม"])
def test_commands_over_20_communities_cost_a_few_statements(dialog, big, statements, text) -> None:
    # Before: a look-up by community name loaded each community's aliases with its own statement (20
    # here, 2,063 in Bangkok), and ชุมชน counted members once per zone.
    dialog.say(STAFF, text)
    assert len(statements) <= 14, statements


def test_the_rotation_of_a_big_network_costs_a_few_statements(dialog, big, statements) -> None:
    # เครือข่ายโซนตะวันออก has 9 communities; each was fetched with a statement of its own before. The
    # first look puts them in the rotation (one insert each); the next one only reads.
    dialog.say(STAFF, "เจ้าภาพ เครือข่ายโซนตะวันออก")
    statements.clear()
    dialog.say(STAFF, "เจ้าภาพ เครือข่ายโซนตะวันออก")
    assert len(statements) <= 14, [s[:60] for s in statements]


@pytest.fixture
def people_loaded():
    """How many Person rows the app turns into objects: a name look-up must not read the whole district."""
    from sqlalchemy import event

    from models import Person

    loaded: list[int] = []

    def count(target, context) -> None:
        loaded.append(target.id)

    event.listen(Person, "load", count)
    yield loaded
    event.remove(Person, "load", count)


@pytest.mark.parametrize("text", ["ลบสมาชิก บัวผัน มีสุข", "ผูกไลน์ จันทร์เพ็ญ ศรีสุข", "ตอบแทน สมศรี ปลอดภัย"])
def test_a_name_is_looked_up_without_reading_the_district(dialog, big, people_loaded, text) -> None:
    # 227 people in the staff's 20 communities; before, every one of them was loaded and keyed in Python.
    # Now only those the name names are read (17 people here are called สมศรี).
    dialog.say(STAFF, text)
    assert len(people_loaded) <= 20, len(people_loaded)


def test_attendees_of_a_big_training_fit_a_screen_and_are_listed_by_community(dialog, big, session_factory) -> None:
    from sqlalchemy import select

    from models import Answer, Membership
    from support.activities import bkk, make_activity, rsvp

    with session_factory() as session, session.begin():
        training = make_activity(session, big, "TRN1", "อบรมอาสาสมัคร", bkk(2026, 12, 10, 9))
        training.network_id = None  # a district-wide training: every community's people may answer
        training.community_id = big.wat.id
        members = session.execute(select(Membership.person_id, Membership.community_id).where(
            Membership.role == "member", Membership.community_id.is_not(None))).all()
        people = {pid: cid for pid, cid in members}
        from models import Community, Person
        for pid, cid in people.items():
            rsvp(session, training, session.get(Person, pid), Answer.GOING, session.get(Community, cid))
    [reply] = dialog.say(STAFF, "ผู้เข้าร่วม TRN1")
    lines = reply.split("\n")
    # 227 answers in 20 communities: the counts of each community, no names, and how to see them.
    assert len(lines) <= 2 + 1 + 20 + 1
    assert lines[-1] == t("attendees.names_by_community", count=227, code="TRN1", example="ชุมชนคลองบางนา")
    assert not any(line.startswith("   ไป:") for line in lines)
    [one] = dialog.say(STAFF, "ผู้เข้าร่วม TRN1 หมู่05")
    names_line = [line for line in one.split("\n") if line.startswith("   ไป:")]
    assert len(names_line) == 1 and len(names_line[0].split(", ")) == 13
    assert [line for line in one.split("\n") if line.startswith("• ")] == [
        "• ชุมชนหมู่05: ไป 13 · ไม่แน่ใจ 0 · ไม่ไป 0 · สำรอง 0"]
    dialog.run([(STAFF, "ผู้เข้าร่วม TRN1 ไม่มีชุมชนนี้", t("attendees.community_unknown", text="ไม่มีชุมชนนี้",
                                                          code="TRN1"))])


def test_a_name_search_with_a_polite_ending_finds_the_same_people(dialog, big) -> None:
    """"สมาชิก มาลี ค่ะ" looked for names holding "มาลี ค่ะ" and found nobody."""
    [plain] = dialog.say(STAFF, "สมาชิก ศรีสุดา ทองคำ")
    [polite] = dialog.say(STAFF, "สมาชิก ศรีสุดา ทองคำ ค่ะ")
    assert polite == plain
