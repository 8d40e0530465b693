"""The desk's numbers and exports on the test district: overview, CSV (BOM, Thai, audit), ICS feeds, photos,
the printable report, and the move of old photo files into the database."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bot.desk import i18n, stats
from bot.storage import DatabaseStorage
from handlers.services.registry.people import CONSENT_VERSION
from models import Activity, ActivityStatus, Answer, AuditLog, Membership, Person, ReportPhoto, RoleName
from support.activities import bkk
from support.desk import World, csrf_of, post_form, seed_world, sign_in
from support.registry import USERS


@pytest.fixture
def world(session_factory, district, clock) -> World:
    with session_factory() as session, session.begin():
        return seed_world(session, district, clock())


@pytest.fixture
def staff(app, dialog, world):
    client = app.test_client()
    sign_in(client, dialog, USERS["staff"])
    return client


def cells(html: str, table_id: str) -> list[list[str]]:
    """The text of each row of a table (tags dropped), to compare exactly."""
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.DOTALL)[1]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.DOTALL)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)]
            for row in rows]


def one(html: str, element_id: str) -> str:
    return re.sub(r"<[^>]+>", "", re.search(rf'id="{element_id}">(.*?)</', html, re.DOTALL)[1]).strip()


@pytest.mark.parametrize(("moment", "fiscal_year"), [
    (bkk(2026, 9, 30, 23), 2569), (bkk(2026, 10, 1, 0), 2570), (bkk(2027, 9, 30, 12), 2570), (bkk(2027, 1, 1), 2570)])
def test_fiscal_years_run_october_to_september(moment: datetime, fiscal_year: int) -> None:
    assert stats.fiscal_year_of(moment) == fiscal_year
    fy = stats.period("fy", moment)
    assert (fy.start, fy.end) == (bkk(fiscal_year - 544, 10, 1), bkk(fiscal_year - 543, 10, 1))


def test_overview_this_month(staff) -> None:
    html = staff.get("/desk/").get_data(as_text=True)
    assert cells(html, "network-months") == [
        ["เครือข่าย", "พ.ย. 69", "รวม"],
        ["เครือข่ายโซน 1", "2", "2"],       # NOV1 and NEXT (the cancelled one does not count)
        ["เครือข่ายโซน 2", "1", "1"],
        ["เครือข่ายผู้สูงอายุ", "0", "0"],
        ["เครือข่ายที่มีกิจกรรม (≥ 3)", "2", ""],
    ]
    # NOV1: 3 going (the waitlisted one is not counted), 2 came; NOV2: 1 going, 1 came.
    assert (one(html, "attendance"), one(html, "attendance-detail")) == ("75%", "3 จาก 4 คน — เป้าหมาย 90%")
    assert one(html, "ack-rate") == "20%"  # 2 of 10 recipients
    assert (one(html, "reports-missing"), one(html, "reports-overdue")) == ("1", "0")  # NOV2, ended 6 days ago


def test_overview_fiscal_year(staff) -> None:
    html = staff.get("/desk/?period=fy&fy=2570").get_data(as_text=True)
    table = cells(html, "network-months")
    assert table[0] == ["เครือข่าย", "ต.ค. 69", "พ.ย. 69", "ธ.ค. 69", "ม.ค. 70", "ก.พ. 70", "มี.ค. 70", "เม.ย. 70",
                        "พ.ค. 70", "มิ.ย. 70", "ก.ค. 70", "ส.ค. 70", "ก.ย. 70", "รวม"]
    assert table[1] == ["เครือข่ายโซน 1", "1", "2"] + ["0"] * 10 + ["3"]
    assert (one(html, "attendance"), one(html, "reports-missing"), one(html, "reports-overdue")) == ("80%", "2", "1")
    assert "<h1>ภาพรวม — ปีงบประมาณ 2570 (ต.ค.–ก.ย.)</h1>" in html


def test_a_chair_overview_counts_their_network_only(app, dialog, world) -> None:
    client = app.test_client()
    sign_in(client, dialog, USERS["chair"])
    html = client.get("/desk/").get_data(as_text=True)
    assert cells(html, "network-months")[1:] == [["เครือข่ายโซน 1", "2", "2"], ["เครือข่ายที่มีกิจกรรม (≥ 3)", "1", ""]]
    assert one(html, "attendance-detail") == "2 จาก 3 คน — เป้าหมาย 90%"


def test_a_communitys_own_activity_counts_for_its_zone(app, dialog, staff, world, session_factory) -> None:
    """An activity a community holds on its own (no network) counts for the zone network the community
    belongs to (docs/desk.md), not for its issue networks; a cancelled one counts for nobody."""
    district = world.district
    with session_factory() as session, session.begin():
        for code, community, status in [("OWN1", district.canal, ActivityStatus.DONE),
                                         ("OWN2", district.market, ActivityStatus.PLANNED),
                                         ("OWN3", district.canal, ActivityStatus.CANCELLED)]:
            session.add(Activity(code=code, title="ทำความสะอาดคลอง", organization_id=district.org.id,
                                 community_id=community.id, starts_at=bkk(2026, 11, 15, 8),
                                 ends_at=bkk(2026, 11, 15, 11), place_text="ริมคลอง", status=status,
                                 reminder_offsets=[], remind_groups=False, created_at=bkk(2026, 11, 1, 8),
                                 updated_at=bkk(2026, 11, 1, 8)))
    html = staff.get("/desk/").get_data(as_text=True)
    assert cells(html, "network-months") == [
        ["เครือข่าย", "พ.ย. 69", "รวม"],
        ["เครือข่ายโซน 1", "3", "3"],       # NOV1, NEXT and ตลาดบางนา's own
        ["เครือข่ายโซน 2", "2", "2"],       # NOV2 and คลองบางนา's own
        ["เครือข่ายผู้สูงอายุ", "0", "0"],  # คลองบางนา is a member, but reports through its zone
        ["เครือข่ายที่มีกิจกรรม (≥ 3)", "2", ""],
    ]
    chair = app.test_client()
    sign_in(chair, dialog, USERS["chair"])
    assert cells(chair.get("/desk/").get_data(as_text=True), "network-months")[1:] == [
        ["เครือข่ายโซน 1", "3", "3"], ["เครือข่ายที่มีกิจกรรม (≥ 3)", "1", ""]]


def test_activity_detail(staff, world) -> None:
    html = staff.get(f"/desk/activities/{world.activities['NOV1']}").get_data(as_text=True)
    assert cells(html, "by-community") == [
        ["ชุมชน", "ไป", "ยังไม่แน่ใจ", "ไม่ไป", "รอคิว", "เช็คอิน"],
        ["ชุมชนตลาดบางนา", "1", "0", "1", "0", "1"],
        ["ชุมชนวัดบางนา", "2", "0", "0", "1", "1"],
    ]
    assert f'<img src="/desk/photos/{world.photo_id}"' in html
    assert "ตอบแทนโดย คุณleader" in html
    assert "ควรเริ่มตรงเวลา" in html


def test_csv_exports_have_a_bom_thai_and_an_audit_entry(staff, world, db) -> None:
    response = staff.get("/desk/export/attendance.csv?period=month")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "code,activity,starts,network,community,name,answer,waitlisted,checked_in,by_proxy"
    assert lines[1:3] == [
        "NOV1,ประชุมโซน 1 เดือนพฤศจิกายน,2026-11-10T09:00+07:00,เครือข่ายโซน 1,ชุมชนตลาดบางนา,มาลี ศรีสุข,not_going,,,",
        ("NOV1,ประชุมโซน 1 เดือนพฤศจิกายน,2026-11-10T09:00+07:00,เครือข่ายโซน 1,ชุมชนตลาดบางนา,สมชาย แก้วมณี,going,,"
         "2026-11-10T09:00+07:00,"),
    ]
    assert len(lines) == 7  # header and six answers of November
    acks = staff.get(f"/desk/export/acknowledgements/{world.notice_id}.csv").data.decode("utf-8-sig").splitlines()
    assert acks[1:] == ["ชุมชนตลาดบางนา,สมชาย แก้วมณี,acknowledged,2026-11-15T09:00+07:00,",
                        "ชุมชนวัดบางนา,คุณmember,acknowledged,2026-11-15T09:00+07:00,"]
    entries = db.scalars(select(AuditLog).where(AuditLog.action == "export").order_by(AuditLog.id)).all()
    assert [(e.actor_id, e.target, e.detail["rows"]) for e in entries] == [
        (world.district.people["staff"].id, "attendance.csv", 6),
        (world.district.people["staff"].id, "acknowledgements.csv", 2)]


def test_ics_feed_created_read_and_revoked(staff, world, db) -> None:
    zone1 = world.district.zone1.id
    response = post_form(staff, f"/desk/networks/{zone1}", "/desk/feeds", {"network": str(zone1)})
    url = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', response.get_data(as_text=True))[1]
    assert url.startswith("http://127.0.0.1:5000/desk/feeds/")  # SAIYAI_PUBLIC_URL, not the request's host
    path = url.removeprefix("http://127.0.0.1:5000")
    anonymous = type(staff)(staff.application)  # a calendar app: no session
    feed = anonymous.get(path)
    assert feed.mimetype == "text/calendar"
    calendar = Calendar.from_ical(feed.data)
    events = [(str(e["summary"]), e.decoded("dtstart")) for e in calendar.walk("VEVENT")]
    assert events == [("ประชุมโซน 1 เดือนตุลาคม", bkk(2026, 10, 5, 9)),
                      ("ประชุมโซน 1 เดือนพฤศจิกายน", bkk(2026, 11, 10, 9)),
                      ("กีฬาสีโซน 1", bkk(2026, 11, 28, 9))]
    assert str(calendar["x-wr-calname"]) == "สายใย · เครือข่ายโซน 1"
    page = staff.get(f"/desk/networks/{zone1}").get_data(as_text=True)
    feed_id = re.search(r'/desk/feeds/(\d+)/revoke', page)[1]
    assert staff.post(f"/desk/feeds/{feed_id}/revoke", data={"csrf_token": csrf_of(page)}).status_code == 200
    assert anonymous.get(path).status_code == 404
    assert anonymous.get("/desk/feeds/guessed.ics").status_code == 404


def test_a_chair_cannot_make_a_feed_for_another_network(app, dialog, world, db) -> None:
    client = app.test_client()
    sign_in(client, dialog, USERS["chair"])
    zone2 = world.district.zone2.id
    response = post_form(client, f"/desk/networks/{world.district.zone1.id}", "/desk/feeds", {"network": str(zone2)})
    assert response.status_code == 403


def test_a_network_page_links_the_last_twelve_monthly_reports(staff, world) -> None:
    zone1 = world.district.zone1.id
    html = staff.get(f"/desk/networks/{zone1}").get_data(as_text=True)
    links = re.findall(r'<a href="/desk/networks/\d+/report/([0-9-]+)">([^<]+)</a>',
                       re.search(r'id="report-months">(.*?)</p>', html, re.DOTALL)[1])
    assert links[:3] == [("2026-11", "พ.ย. 69"), ("2026-10", "ต.ค. 69"), ("2026-09", "ก.ย. 69")]
    assert (len(links), links[-1]) == (12, ("2025-12", "ธ.ค. 68"))


def test_the_monthly_report_prints_the_network_month(staff, world) -> None:
    html = staff.get(f"/desk/networks/{world.district.zone1.id}/report/2026-11").get_data(as_text=True)
    assert one(html, "report-network") == "เครือข่ายโซน 1 — ประจำเดือน พ.ย. 69"
    assert re.findall(r"<h3>(.*?)</h3>", html) == ["1. ประชุมโซน 1 เดือนพฤศจิกายน (NOV1)", "2. กีฬาสีโซน 1 (NEXT)"]
    assert "@page { size: A4;" in html
    assert re.findall(r"ตอบว่าไป \d+ คน เช็คอิน \d+ คน", html) == ["ตอบว่าไป 3 คน เช็คอิน 2 คน", "ตอบว่าไป 0 คน เช็คอิน 0 คน"]
    assert staff.get(f"/desk/networks/{world.district.zone1.id}/report/2026-13").status_code == 404


def test_photo_files_from_before_move_into_the_database(app, world, session_factory, tmp_path) -> None:
    old = tmp_path / "photos" / "1" / "700001.jpg"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"\xff\xd8old-photo")
    with session_factory() as session, session.begin():
        report_id = session.scalars(select(ReportPhoto.report_id)).first()
        session.add_all([ReportPhoto(report_id=report_id, line_message_id="700001", storage_path=str(old),
                                     received_at=bkk(2026, 11, 10, 15)),
                         ReportPhoto(report_id=report_id, line_message_id="700002",
                                     storage_path=str(tmp_path / "missing.jpg"), received_at=bkk(2026, 11, 10, 15))])
    result = app.test_cli_runner().invoke(args=["desk", "migrate-photos"])
    assert result.output.splitlines()[-1] == "moved 1 photo into the database; 1 could not be read and stay as they were"
    with session_factory() as session:
        paths = dict(session.execute(select(ReportPhoto.line_message_id, ReportPhoto.storage_path)).all())
        assert paths == {"810001": f"db:photos/{world.activities['NOV1']}/810001.jpg",
                         "700001": f"db:photos/{world.activities['NOV1']}/700001.jpg",
                         "700002": str(tmp_path / "missing.jpg")}
        assert DatabaseStorage().get(session, paths["700001"]) == (b"\xff\xd8old-photo", "image/jpeg")


def test_every_desk_text_used_in_templates_exists() -> None:
    from pathlib import Path
    folder = Path(i18n.__file__).parent / "templates" / "desk"
    used = {key for path in folder.glob("*.html")
            for key in re.findall(r"(?<![\w.])t\('([a-z0-9_.]+)'", path.read_text())}
    prefixes = {key for key in used if key.endswith(".")}  # t('status.' ~ activity.status)
    assert used - prefixes - set(i18n.TEXT) == set()
    assert {prefix for prefix in prefixes if not any(k.startswith(prefix) for k in i18n.TEXT)} == set()
    assert {f"status.{s}" for s in ActivityStatus} | {f"answer.{a}" for a in Answer} | {
        f"role.{r}" for r in RoleName} <= set(i18n.TEXT)
    assert all(th and en for th, en in i18n.TEXT.values())


def test_host_turns_owed_show_on_the_overview(staff, world, session_factory) -> None:
    from models import HostSlot
    d = world.district
    with session_factory() as session, session.begin():
        session.add_all([HostSlot(network_id=d.zone1.id, community_id=d.market.id, position=1, owed_turns=2),
                         HostSlot(network_id=d.zone1.id, community_id=d.wat.id, position=0, owed_turns=0)])
    html = staff.get("/desk/").get_data(as_text=True)
    assert re.findall(r"<li>(.*?)</li>", re.search(r'<ul id="host-owed">(.*?)</ul>', html, re.DOTALL)[1]) == [
        "เครือข่ายโซน 1 · ชุมชนตลาดบางนา: 2"]


def test_the_fiscal_year_summary_prints(staff) -> None:
    html = staff.get("/desk/summary/2570").get_data(as_text=True)
    assert one(html, "summary-title") == "สรุปผลการดำเนินงานเครือข่ายชุมชน ปีงบประมาณ 2570"
    assert cells(html, "network-months")[1] == ["เครือข่ายโซน 1", "1", "2"] + ["0"] * 10 + ["3"]
    assert one(html, "attendance") == "80%"
    assert staff.get("/desk/summary/99").status_code == 404


def test_a_leader_makes_a_feed_for_their_community(app, dialog, world) -> None:
    """A community's feed holds the activities of its networks (ชุมชนวัดบางนา: zone 1), not of others."""
    client = app.test_client()
    sign_in(client, dialog, USERS["leader"])
    wat = world.district.wat.id
    response = post_form(client, f"/desk/communities/{wat}", "/desk/feeds", {"community": str(wat)})
    url = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', response.get_data(as_text=True))[1]
    calendar = Calendar.from_ical(client.get(url.removeprefix("http://127.0.0.1:5000")).data)
    assert [str(e["summary"]) for e in calendar.walk("VEVENT")] == [
        "ประชุมโซน 1 เดือนตุลาคม", "ประชุมโซน 1 เดือนพฤศจิกายน", "กีฬาสีโซน 1"]
    market = world.district.market.id
    refused = post_form(client, f"/desk/communities/{wat}", "/desk/feeds", {"community": str(market)})
    assert refused.status_code == 403


def test_the_host_history_says_what_happened_in_the_page_language(staff, world, session_factory) -> None:
    """The network page's host history said "confirmed" / "skipped" (the stored kind) on a Thai page."""
    from models import HostLog, HostLogKind

    zone1, wat = world.district.zone1.id, world.district.wat.id
    with session_factory() as session, session.begin():
        session.add_all([HostLog(network_id=zone1, community_id=wat, kind=HostLogKind.SKIPPED, reason="น้ำท่วม",
                                 at=bkk(2026, 9, 5, 13)),
                         HostLog(network_id=zone1, community_id=wat, kind=HostLogKind.CONFIRMED, at=bkk(2026, 9, 7, 13))])
    html = staff.get(f"/desk/networks/{zone1}").get_data(as_text=True)
    history = re.findall(r"<li>([^<]*?· [^<]*?)</li>", re.search(r'<ul id="host-history">(.*?)</ul>', html, re.DOTALL)[1])
    assert history == ["วันจันทร์ที่ 7 กันยายน 2569 เวลา 13:00 น. · ยืนยันเป็นเจ้าภาพ · ชุมชนวัดบางนา",
                       "วันเสาร์ที่ 5 กันยายน 2569 เวลา 13:00 น. · ข้ามรอบเจ้าภาพ · ชุมชนวัดบางนา — น้ำท่วม"]


def silent_list(html: str) -> list[str]:
    section = re.search(r'<ul id="silent">(.*?)</ul>', html, re.DOTALL)[1]
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", section, re.DOTALL)]


def test_a_notice_page_does_not_list_people_who_registered_after_it_went_out(staff, world, session_factory,
                                                                           clock) -> None:
    """"Not answered" lists whom the notice reached: a member who registered after it was counted never got
    it (the page listed them beside the table's counts, which leave them out)."""
    before = silent_list(staff.get(f"/desk/notices/{world.notice_id}").data.decode())  # counted at this look
    clock.advance(minutes=5)
    with session_factory() as s, s.begin():
        late = Person(line_user_id=f"U{0xD00D:032x}", full_name="มาใหม่ ทีหลัง", consent_version=CONSENT_VERSION,
                      consented_at=clock(), created_at=clock(), updated_at=clock())
        s.add(late)
        s.flush()
        s.add(Membership(person_id=late.id, role=RoleName.MEMBER, organization_id=world.district.org.id,
                         community_id=world.district.wat.id, created_at=clock()))
    after = silent_list(staff.get(f"/desk/notices/{world.notice_id}").data.decode())
    assert before == ["ชุมชนคลองบางนา · คุณother_leader", "ชุมชนคลองบางนา · สมหญิง ทองดี", "ชุมชนตลาดบางนา · มาลี ศรีสุข",
                      "ชุมชนวัดบางนา · คุณchair", "ชุมชนวัดบางนา · คุณleader", "ชุมชนวัดบางนา · คุณpartner",
                      "ชุมชนวัดบางนา · สมศรี ใจดี", "ชุมชนวัดบางนา · สมศักดิ์ ใจดี"]
    assert after == before


def test_answers_for_members_without_line_count_them_as_expected_as_in_line(staff, world, session_factory,
                                                                            clock) -> None:
    """A leader answered for a member without LINE (`ตอบแทน`): nothing reached them, so `ประกาศ สถานะ` counts them
    expected once answered for. The desk's list and overview counted the answer against the LINE recipients
    only (3 of 10; 30%), disagreeing with LINE and with the notice's own page."""
    from models import AckKind, NoticeAck

    with session_factory() as s, s.begin():
        elder = Person(full_name="ยายทองใบ มีสุข", consent_version=CONSENT_VERSION, consented_at=clock(),
                       created_at=clock(), updated_at=clock())
        s.add(elder)
        s.flush()
        s.add(Membership(person_id=elder.id, role=RoleName.MEMBER, organization_id=world.district.org.id,
                         community_id=world.district.wat.id, created_at=clock()))
        s.add(NoticeAck(notice_id=world.notice_id, person_id=elder.id, community_id=world.district.wat.id,
                        kind=AckKind.ACKNOWLEDGED, at=bkk(2026, 11, 15, 10),
                        proxy_by_id=world.district.people["leader"].id))
    listed = cells(staff.get("/desk/notices").get_data(as_text=True), "notices")
    assert listed[1][1:] == ["ประกาศปิดถนนสุขุมวิท", "11", "3"]
    assert one(staff.get("/desk/").get_data(as_text=True), "ack-rate") == "27%"  # 3 of 11
