"""The desk in headless Chromium: sign in through the chat link, a reused link refused, the overview's numbers
checked against the database, a chart with Thai labels, a CSV download, the monthly report printed to PDF,
and a chair refused another network's page."""

from __future__ import annotations

import csv
import io
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import TIMEZONE
from models import Activity, ActivityStatus, Answer, Community, Network, Notice, NoticeAck, Rsvp
from support.registry import USERS
from support.texts import t

PDFTOTEXT = "/usr/bin/pdftotext"


def chat_link(stack, who: str) -> str:
    replies = stack.dialog.say(USERS[who], "เข้าเว็บ")
    assert replies[0] == t("desk.link", minutes=10)
    assert replies[1].startswith(f"{stack.url}/desk/signin/")
    return replies[1]


def sign_in(page, stack, who: str) -> str:
    link = chat_link(stack, who)
    page.goto(link)
    page.click("#signin")
    page.wait_for_url(f"{stack.url}/desk/")
    return link


def test_sign_in_through_the_chat_link_and_a_reused_link_is_refused(desk_page, desk_browser, desk_stack) -> None:
    link = sign_in(desk_page, desk_stack, "staff")
    assert desk_page.inner_text("h1") == "ภาพรวม — เดือนนี้"
    other = desk_browser.new_context()
    try:
        again = other.new_page()
        response = again.goto(link)
        assert response.status == 410
        assert again.inner_text("#refused") == (
            "ลิงก์นี้ถูกใช้ไปแล้ว ลิงก์แต่ละอันใช้ได้ครั้งเดียว กรุณาพิมพ์ “เข้าเว็บ” ในแชตกับสายใยเพื่อรับลิงก์ใหม่")
        assert again.goto(f"{desk_stack.url}/desk/").url == f"{desk_stack.url}/desk/signed-out"
    finally:
        other.close()


def test_a_form_posted_without_its_csrf_token_is_refused(desk_page, desk_stack) -> None:
    sign_in(desk_page, desk_stack, "staff")
    status = desk_page.evaluate("""async () => (await fetch('/desk/logout', {method: 'POST'})).status""")
    assert status == 400
    assert desk_page.goto(f"{desk_stack.url}/desk/networks").url == f"{desk_stack.url}/desk/networks"  # still in


def expected_from_database(stack) -> tuple[dict[str, int], int, int]:
    """This month's activities per network, and going / came, counted straight from the rows."""
    now = stack.clock()
    month = (now.year, now.month)
    with stack.session_factory() as session:
        names = dict(session.execute(select(Network.id, Network.name)).all())
        per_network = Counter({name: 0 for name in names.values()})
        going = came = 0
        for activity in session.scalars(select(Activity)):
            local = activity.starts_at.astimezone(TIMEZONE)
            if (local.year, local.month) != month or activity.status == ActivityStatus.CANCELLED:
                continue
            # A community's own activity counts for its zone (docs/desk.md).
            network_id = activity.network_id or session.get(Community, activity.community_id).zone_id
            per_network[names[network_id]] += 1
            if activity.starts_at <= now:
                for rsvp in session.scalars(select(Rsvp).where(Rsvp.activity_id == activity.id)):
                    going += rsvp.answer == Answer.GOING and rsvp.waitlisted_at is None
                    came += rsvp.checked_in_at is not None
    return dict(per_network), going, came


def test_the_overview_shows_the_database_numbers_and_a_thai_chart(desk_page, desk_stack) -> None:
    sign_in(desk_page, desk_stack, "staff")
    per_network, going, came = expected_from_database(desk_stack)
    rows = desk_page.eval_on_selector_all(
        "#network-months tbody tr", "rows => rows.map(r => [r.cells[0].innerText, Number(r.cells[1].innerText)])")
    assert dict(rows) == per_network
    assert desk_page.inner_text("#attendance") == f"{came / going:.0%}"
    assert desk_page.inner_text("#attendance-detail") == f"{came} จาก {going} คน — เป้าหมาย 90%"
    chart = desk_page.evaluate("""async () => {
        const c = window.deskCharts.activities;
        const faces = await document.fonts.load('16px Sarabun', 'เครือข่าย');
        const pixels = c.canvas.getContext('2d').getImageData(0, 0, c.canvas.width, c.canvas.height).data;
        let painted = 0; for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) painted++;
        return {labels: c.data.labels, sets: c.data.datasets.map(d => d.label), painted,
                font: faces.map(f => [f.family.replaceAll('"', ''), f.weight, f.status]),
                chartFont: Chart.defaults.font.family};
    }""")
    assert chart["labels"] == ["พ.ย. 69"]
    assert chart["sets"][:3] == [name for name, _ in rows]  # the networks, in the table's order
    assert chart["painted"] > 1000
    # The Thai labels are drawn with the Sarabun font shipped in static/, loaded, not a fallback.
    assert chart["font"] == [["Sarabun", "400", "loaded"]]
    assert chart["chartFont"].startswith('Sarabun, ') or chart["chartFont"].startswith('"Sarabun"')
    with desk_stack.session_factory() as session:
        sent = session.scalars(select(Notice)).all()
        answers = session.scalar(select(func.count()).select_from(NoticeAck))
    acks = desk_page.evaluate("window.deskCharts.acks.data.datasets[0].data")
    assert acks == [round(100 * answers / sum(n.recipients for n in sent), 1)]


def test_a_csv_downloads_with_thai_intact(desk_page, desk_stack) -> None:
    sign_in(desk_page, desk_stack, "staff")
    with desk_page.expect_download() as download:
        desk_page.click("text=ดาวน์โหลด CSV การเข้าร่วม")
    data = download.value.path().read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    with desk_stack.session_factory() as session:
        november = session.scalars(select(Activity.id).where(Activity.code.in_(["NOV1", "NOV2"]))).all()
        count = len(session.scalars(select(Rsvp).where(Rsvp.activity_id.in_(november))).all())
    assert len(rows) == count
    assert {row["network"] for row in rows} == {"เครือข่ายโซน 1", "เครือข่ายโซน 2"}
    assert "สมศรี ใจดี" in {row["name"] for row in rows}


@pytest.mark.skipif(not Path(PDFTOTEXT).exists(), reason="needs poppler-utils (pdftotext)")
def test_the_monthly_report_prints_to_pdf_with_thai_names(desk_page, desk_stack, tmp_path) -> None:
    sign_in(desk_page, desk_stack, "chair")
    zone1 = desk_stack.world.district.zone1.id
    desk_page.goto(f"{desk_stack.url}/desk/networks/{zone1}/report/2026-11")
    desk_page.evaluate("document.fonts.ready")
    pdf = tmp_path / "report.pdf"
    desk_page.pdf(path=str(pdf), format="A4", print_background=True)
    text = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    assert "แบบรายงานการจัดกิจกรรมของเครือข่ายชุมชน" in text
    assert "เครือข่ายโซน 1" in text
    assert "ประชุมโซน 1 เดือนพฤศจิกายน" in text


def test_a_chair_gets_403_on_another_network_and_a_leader_on_another_community(desk_page, desk_browser,
                                                                                desk_stack) -> None:
    district = desk_stack.world.district
    sign_in(desk_page, desk_stack, "chair")
    assert desk_page.goto(f"{desk_stack.url}/desk/networks/{district.zone2.id}").status == 403
    assert desk_page.inner_text("h1") == "ขออภัย คุณไม่มีสิทธิ์ดูหน้านี้"
    assert desk_page.goto(f"{desk_stack.url}/desk/networks/{district.zone1.id}").status == 200
    leader = desk_browser.new_context()
    try:
        page = leader.new_page()
        sign_in(page, desk_stack, "leader")
        assert page.goto(f"{desk_stack.url}/desk/communities/{district.market.id}").status == 403
        assert page.goto(f"{desk_stack.url}/desk/communities/{district.wat.id}").status == 200
    finally:
        leader.close()


def test_the_overview_fits_a_phone(desk_browser, desk_stack) -> None:
    phone = desk_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = phone.new_page()
        sign_in(page, desk_stack, "staff")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        phone.close()



def test_last_months_evidence_for_a_network_in_three_clicks(desk_page, desk_stack) -> None:
    """As a new staff member would look: overview → the network → last month's report."""
    sign_in(desk_page, desk_stack, "staff")
    desk_page.click("#network-months >> text=เครือข่ายโซน 1")
    desk_page.click("#report-months >> text=ต.ค. 69")
    assert desk_page.inner_text("#report-network") == "เครือข่ายโซน 1 — ประจำเดือน ต.ค. 69"
    assert desk_page.locator("h3").all_inner_texts() == ["1. ประชุมโซน 1 เดือนตุลาคม (OCT1)"]
