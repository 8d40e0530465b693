"""Notices and urgent alerts as conversation tables through signed webhooks, with exact catalogue texts.

The scheduler's jobs run by hand (`send_notices` queues, `dispatch_outbox` sends, `settle_notices`
marks them sent); what LINE received is read back from the fake LINE server, which validates every
body with the SDK's models (and, after the test, LINE's OpenAPI description).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.simulate import location
from handlers.catalog import en, th
from handlers.services import notices as svc
from handlers.services import registry as reg
from models import (
    AckKind,
    Conversation,
    Notice,
    NoticeAck,
    NoticeScope,
    NoticeStatus,
    OutboxMessage,
    Person,
    RoleFilter,
    RoleName,
)
from scheduler import notices as notice_jobs
from scheduler.jobs import dispatch_outbox
from support import events as ev
from support.dialog import Dialog
from support.registry import MARKET_LEADER, OUTSIDER, USERS, seed_district, seed_market_leader, seed_outsider
from support.texts import bangkok, e, t

T, E = th.TEXT, en.TEXT
LEADER, MEMBER, CHAIR, STAFF = USERS["leader"], USERS["member"], USERS["chair"], USERS["staff"]
PARTNER, STRANGER, CANAL_LEADER = USERS["partner"], USERS["stranger"], USERS["other_leader"]
GROUP_WAT = "C" + "a" * 32      # linked to ชุมชนวัดบางนา
GROUP_MARKET = "C" + "b" * 32   # linked to ชุมชนตลาดบางนา
GROUP_ZONE = "C" + "c" * 32     # linked to เครือข่ายโซน 1 (a network link: not a community's group)
FLEX = "[flex]"
NOW_TH = "วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 10:00 น."


@pytest.fixture
def district(session_factory, clock):
    """The test district, a leader for ชุมชนตลาดบางนา, and linked groups for two communities of zone 1."""
    with session_factory() as session, session.begin():
        d = seed_district(session, clock())
        seed_market_leader(session, d, clock())
        reg.link_chat(session, GROUP_WAT, d.wat, None, clock())
        reg.link_chat(session, GROUP_MARKET, d.market, None, clock())
        reg.link_chat(session, GROUP_ZONE, d.zone1, None, clock())
    return d



@pytest.fixture
def line_facts(fake_line, jobs, district):
    """LINE's quota (1,000, 250 used) and the linked groups' member counts, fetched as the scheduler does."""
    fake_line.state.monthly_quota, fake_line.state.consumed = 1000, 250
    fake_line.state.group_sizes.update({GROUP_WAT: 40, GROUP_MARKET: 25})
    assert notice_jobs.refresh_line_facts(jobs) == 3  # the quota and the two communities' groups
    return fake_line.state



@pytest.fixture
def dialog(fake_line, webhook, second_worker):
    yield Dialog(fake_line, webhook, second_worker)
    # LINE (the fake, validating with the SDK's models) accepted every reply, push and multicast.
    assert [(r.path, r.status) for r in fake_line.state.requests if r.status != 200] == []


def post(dialog: Dialog, event: dict) -> list[str]:
    """Post any event (a location, an image) the way Dialog.say posts text; returns the texts sent back."""
    seen = len(dialog.fake_line.state.requests)
    assert dialog.webhooks[0].post(event).status_code == 200
    return [m.get("text", f"[{m.get('type')}]") for r in dialog.fake_line.state.requests[seen:]
            for m in r.body.get("messages", [])]


def notices(db) -> list[Notice]:
    db.expire_all()
    return list(db.scalars(select(Notice).order_by(Notice.id)))


def sent_to(fake_line, since: int = 0) -> list[tuple[str, dict]]:
    """(recipient, message) for every push and multicast LINE delivered after request number `since`."""
    found = []
    for r in fake_line.state.requests[since:]:
        if r.delivered and r.path in ("/v2/bot/message/push", "/v2/bot/message/multicast"):
            recipients = r.body["to"] if isinstance(r.body["to"], list) else [r.body["to"]]
            found.extend((to, m) for to in recipients for m in r.body["messages"])
    return found


def walk(node: object, found: list, pick) -> list:
    if isinstance(node, dict):
        value = pick(node)
        if value is not None:
            found.append(value)
        for child in node.values():
            walk(child, found, pick)
    elif isinstance(node, list):
        for child in node:
            walk(child, found, pick)
    return found


def postback_data(message: dict) -> list[str]:
    return walk(message.get("contents"), [], lambda n: n["action"]["data"] if isinstance(n.get("action"), dict)
                and n["action"].get("type") == "postback" else None)


def card_texts(message: dict) -> list[str]:
    """The texts of a Flex card, then its buttons' labels."""
    texts = walk(message.get("contents"), [], lambda n: n["text"] if n.get("type") == "text" else None)
    return texts + walk(message.get("contents"), [], lambda n: n["action"]["label"] if n.get("type") == "button"
                        else None)


def quick_labels(fake_line) -> list[str]:
    last = fake_line.state.requests[-1].body["messages"][-1]
    return [item["action"]["label"] for item in (last.get("quickReply") or {}).get("items", [])]


def send_all(jobs) -> dict[str, int]:
    """What the scheduler does every few seconds: queue due notices, send the outbox, settle."""
    notice_jobs.send_notices(jobs)
    counts = dispatch_outbox(jobs)
    notice_jobs.settle_notices(jobs)
    return counts


def preview(lang: str, *, to: tuple[str, str], text: str, path: str, people: int, cost: int | None = None,
            groups: int = 0, when: str | None = None, quiet: str | None = None, attachment: str | None = None,
            quota: tuple[int, int] | None = (750, 1000), urgent: bool = False, extra: tuple[str, ...] = ()) -> str:
    """The preview text, line by line from the catalogue."""
    cat = T if lang == "th" else E

    def c(key: str, **values: object) -> str:
        return cat[key].format(**values)

    cost = people if cost is None else cost
    lines = [c("alert.preview_header" if urgent else "notice.preview_header"),
             c("notice.preview_to", roles=to[0], target=to[1]), c("notice.preview_text", text=text)]
    if attachment:
        lines.append(attachment)
    if urgent:
        lines.append(c("alert.preview_when"))
    elif quiet:  # one line: when it really goes out, and why (not "now" and then "it waits")
        lines.append(c("notice.preview_quiet", when=quiet))
    else:
        lines.append(c("notice.preview_when", when=when) if when else c("notice.preview_now"))
    if path == "groups":
        lines.append(c("notice.preview_groups", people=f"{people:,}", groups=groups))
    else:
        lines.append(c("notice.preview_people", people=f"{people:,}"))
    lines.extend(extra)
    if quota is None:
        lines.append(c("notice.preview_cost_unknown", cost=f"{cost:,}"))
    else:
        lines.append(c("notice.preview_cost", cost=f"{cost:,}", remaining=f"{quota[0]:,}", limit=f"{quota[1]:,}",
                       time="10:00"))
    if not urgent:
        lines.append(c("notice.preview_nudge", hours=24))
    return "\n".join(lines)


# --- compose: each scope and each role filter ------------------------------------------------------

def test_a_leader_announces_to_their_community_through_its_group(dialog, district, line_facts, db, jobs,
                                                                 fake_line) -> None:
    dialog.run([
        # A leader looks after one community: the scope is not asked.
        (LEADER, "ประกาศ", t("notice.ask_roles", target="ชุมชนวัดบางนา")),
    ])
    assert quick_labels(fake_line) == ["ทุกคน", "ผู้นำและเจ้าหน้าที่", "กรรมการชุมชน", "ภาคีเครือข่าย", "ยกเลิก"]
    dialog.run([
        (LEADER, "ทุกคน", t("notice.ask_text", limit=2000)),
        (LEADER, "ประชุมชุมชนวันเสาร์นี้ 9 โมง ที่ศาลาวัด", T["notice.ask_attachment"]),
        (LEADER, "ข้าม", T["notice.ask_when"]),
        (LEADER, "ส่งทันที", preview("th", to=("ทุกคน", "ชุมชนวัดบางนา"),
                                     text="ประชุมชุมชนวันเสาร์นี้ 9 โมง ที่ศาลาวัด", path="groups", people=40,
                                     groups=1)),
    ])
    assert quick_labels(fake_line) == ["ส่ง", "ส่ง ไม่เตือนซ้ำ", "ยกเลิก"]
    assert notices(db) == []  # nothing saved before the confirmation
    dialog.run([(LEADER, "ส่ง", t("notice.queued", people="40"))])
    [notice] = notices(db)
    assert (notice.scope, notice.community_id, notice.network_id, notice.role_filter, notice.via_groups) == (
        NoticeScope.COMMUNITY, district.wat.id, None, RoleFilter.EVERYONE, True)
    assert (notice.status, notice.recipients, notice.cost, notice.nudge_after_hours, notice.urgent) == (
        NoticeStatus.SCHEDULED, 40, 40, 24, False)
    assert (notice.author_id, notice.send_at) == (district.people["leader"].id, bangkok(2026, 11, 21, 10))
    assert db.scalar(select(func.count()).select_from(Conversation)) == 0

    # Queued but not yet sent: the status counts what LINE has taken so far.
    notice_jobs.send_notices(jobs)
    dialog.run([(LEADER, "ประกาศ สถานะ", "\n".join([
        T["notice.status_header"], "",
        t("notice.status_item", text="ประชุมชุมชนวันเสาร์นี้ 9 โมง ที่ศาลาวัด", state=T["notice.state.sending"]),
        t("notice.status_delivery", delivered="0", total="40"),
        t("notice.status_community", community="ชุมชนวัดบางนา", acked=0, expected=4, rate="0%"),
        t("notice.status_pending", count=4, names="คุณchair, คุณmember, คุณpartner, คุณstaff")]))])
    before, consumed = len(fake_line.state.requests), fake_line.state.consumed
    assert send_all(jobs) == {"sent": 1}
    [(to, card)] = sent_to(fake_line, before)
    assert to == GROUP_WAT
    assert card["altText"] == t("notice.alt", text="ประชุมชุมชนวันเสาร์นี้ 9 โมง ที่ศาลาวัด")
    assert card_texts(card) == [t("notice.card_header", org="สำนักงานเขตบางนา"),
                                "ประชุมชุมชนวันเสาร์นี้ 9 โมง ที่ศาลาวัด", T["notice.ack_button"]]
    assert postback_data(card) == [f"a=ack&n={notice.id}"]
    assert fake_line.state.consumed - consumed == 40  # the group push counts every member, as the preview said
    [notice] = notices(db)
    assert (notice.status, notice.sent_at, notice.recipients) == (NoticeStatus.SENT, bangkok(2026, 11, 21, 10), 40)
    assert send_all(jobs) == {}  # sent once


def test_a_chair_schedules_a_notice_for_the_leaders_of_their_network_in_english(dialog, district, line_facts,
                                                                                db, jobs, clock, fake_line) -> None:
    dialog.run([
        (CHAIR, "announce", E["notice.ask_scope"]),
    ])
    assert quick_labels(fake_line) == ["A network", "A community", "Cancel"]
    when = "Sunday 22 November 2026, 09:00"
    dialog.run([
        # A chair has one network: choosing "a network" picks it.
        (CHAIR, "A network", e("notice.ask_roles", target="เครือข่ายโซน 1")),
        (CHAIR, "Leaders and staff", e("notice.ask_text", limit=2000)),
        (CHAIR, "Zone meeting: bring the household survey forms", E["notice.ask_attachment"]),
        (CHAIR, "skip", E["notice.ask_when"]),
        (CHAIR, "tomorrow 9am", preview("en", to=("Leaders and staff", "เครือข่ายโซน 1"),
                                        text="Zone meeting: bring the household survey forms", path="people",
                                        people=2, when=when)),
        (CHAIR, "Send", e("notice.scheduled", when=when, people="2", keyword="cancel notice", number=1)),
    ])
    # Until it goes out it can be taken back (tests/handlers/test_notice_cancel.py).
    assert quick_labels(fake_line) == ["Cancel this notice"]
    [notice] = notices(db)
    assert (notice.scope, notice.network_id, notice.role_filter, notice.via_groups, notice.send_at) == (
        NoticeScope.NETWORK, district.zone1.id, RoleFilter.LEADERS, False, bangkok(2026, 11, 22, 9))
    before = len(fake_line.state.requests)
    assert send_all(jobs) == {}  # not yet
    clock.now = bangkok(2026, 11, 22, 9)
    assert send_all(jobs) == {"sent": 1}
    delivered = sent_to(fake_line, before)
    # The leaders of both zone-1 communities (the chair wrote it and is not sent it).
    assert sorted(to for to, _ in delivered) == sorted([LEADER, MARKET_LEADER])
    # Groups have no single language, people do: both leaders chose none, so the card is in Thai.
    assert {card["altText"] for _, card in delivered} == {t("notice.alt", text="Zone meeting: bring the household "
                                                                                "survey forms")}


def test_staff_send_to_every_committee_with_a_location_waiting_out_quiet_hours(dialog, district, line_facts, db,
                                                                               jobs, clock, fake_line) -> None:
    dialog.run([
        (STAFF, "ประกาศ", T["notice.ask_scope"]),
    ])
    assert quick_labels(fake_line) == ["ทั้งเขต", "เครือข่าย", "ชุมชน", "ยกเลิก"]
    dialog.run([
        (STAFF, "ทั้งเขต", t("notice.ask_roles", target="ทุกชุมชนในสำนักงานเขตบางนา")),
        (STAFF, "กรรมการชุมชน", t("notice.ask_text", limit=2000)),
        (STAFF, "ส่งแบบสำรวจครัวเรือนภายในวันศุกร์", T["notice.ask_attachment"]),
    ])
    replies = post(dialog, location(13.6681, 100.6045, title="สำนักงานเขตบางนา", address="ถนนบางนา-ตราด",
                                    user=STAFF))
    assert replies == [T["notice.ask_when"]]
    night = "วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 22:00 น."
    morning = "วันอาทิตย์ที่ 22 พฤศจิกายน 2569 เวลา 07:00 น."
    dialog.run([
        (STAFF, "คืนนี้ 4 ทุ่ม", preview("th", to=("กรรมการชุมชน", "ทุกชุมชนในสำนักงานเขตบางนา"),
                                        text="ส่งแบบสำรวจครัวเรือนภายในวันศุกร์", path="people", people=3,
                                        when=night, quiet=morning,
                                        attachment=t("notice.preview_location", place="สำนักงานเขตบางนา"))),
        # 22:00 is in quiet hours: the notice is scheduled for 07:00, when it would go out anyway.
        (STAFF, "ส่ง ไม่เตือนซ้ำ", T["notice.held_for_quiet_hours"] + "\n"
         + t("notice.scheduled", when=morning, people="3", keyword="ยกเลิกประกาศ", number=1)),
    ])
    [notice] = notices(db)
    assert (notice.scope, notice.role_filter, notice.nudge_after_hours) == (
        NoticeScope.ORGANIZATION, RoleFilter.COMMITTEE, None)
    assert (notice.location_title, notice.location_address, notice.latitude, notice.longitude) == (
        "สำนักงานเขตบางนา", "ถนนบางนา-ตราด", 13.6681, 100.6045)
    clock.now = bangkok(2026, 11, 21, 22)
    assert send_all(jobs) == {}  # nothing at 22:00: it waits until 07:00
    [notice] = notices(db)
    assert notice.status == NoticeStatus.SCHEDULED
    clock.now = bangkok(2026, 11, 22, 7)
    before = len(fake_line.state.requests)
    assert send_all(jobs) == {"sent": 1}
    delivered = sent_to(fake_line, before)
    assert sorted({to for to, _ in delivered}) == sorted([LEADER, CANAL_LEADER, MARKET_LEADER])
    assert [m["type"] for to, m in delivered if to == LEADER] == ["flex", "location"]
    [place] = [m for to, m in delivered if to == LEADER and m["type"] == "location"]
    assert (place["title"], place["address"], place["latitude"], place["longitude"]) == (
        "สำนักงานเขตบางนา", "ถนนบางนา-ตราด", 13.6681, 100.6045)


def test_staff_send_to_the_partners_of_a_typed_network_with_a_picture(dialog, district, line_facts, db, jobs,
                                                                      fake_line) -> None:
    dialog.run([
        (STAFF, "announce เครือข่ายโซน 1", e("notice.ask_roles", target="เครือข่ายโซน 1")),
        (STAFF, "Partners", e("notice.ask_text", limit=2000)),
        (STAFF, "Health fair on Sunday: please bring your volunteers", E["notice.ask_attachment"]),
        (STAFF, "https://example.org/flyers/health-fair.png", E["notice.ask_when"]),
        (STAFF, "now", preview("en", to=("Partners", "เครือข่ายโซน 1"),
                               text="Health fair on Sunday: please bring your volunteers", path="people", people=1,
                               attachment=e("notice.preview_image", url="https://example.org/flyers/health-fair.png"))),
        (STAFF, "Send", e("notice.queued", people="1")),
    ])
    before = len(fake_line.state.requests)
    assert send_all(jobs) == {"sent": 1}
    delivered = sent_to(fake_line, before)
    assert [(to, m["type"]) for to, m in delivered] == [(PARTNER, "flex"), (PARTNER, "image")]
    assert delivered[1][1]["originalContentUrl"] == "https://example.org/flyers/health-fair.png"


def test_staff_send_to_everyone_in_the_district_each_person_when_a_community_has_no_group(
        dialog, district, line_facts, db, jobs, fake_line) -> None:
    dialog.run([
        (STAFF, "ประกาศ", T["notice.ask_scope"]),
        (STAFF, "ทั้งเขต", t("notice.ask_roles", target="ทุกชุมชนในสำนักงานเขตบางนา")),
        (STAFF, "ทุกคน", t("notice.ask_text", limit=2000)),
        (STAFF, "งดจ่ายน้ำประปาวันพุธ 9:00–15:00 น.", T["notice.ask_attachment"]),
        (STAFF, "ข้าม", T["notice.ask_when"]),
        # ชุมชนคลองบางนา has no linked group: each of the six registered people (staff wrote it).
        (STAFF, "ส่งทันที", preview("th", to=("ทุกคน", "ทุกชุมชนในสำนักงานเขตบางนา"),
                                    text="งดจ่ายน้ำประปาวันพุธ 9:00–15:00 น.", path="people", people=6)),
        (STAFF, "ส่ง", t("notice.queued", people="6")),
    ])
    before = len(fake_line.state.requests)
    assert send_all(jobs) == {"sent": 1}
    [request] = [r for r in fake_line.state.requests[before:] if r.delivered]
    assert request.path == "/v2/bot/message/multicast"
    assert sorted(request.body["to"]) == sorted([CHAIR, LEADER, MEMBER, PARTNER, CANAL_LEADER, MARKET_LEADER])


def test_staff_choose_a_community_by_a_forgiving_name(dialog, district, line_facts, db, fake_line) -> None:
    dialog.run([
        (STAFF, "ประกาศ", T["notice.ask_scope"]),
        (STAFF, "ชุมชน", T["notice.ask_community"]),
    ])
    assert quick_labels(fake_line) == ["ชุมชนคลองบางนา", "ชุมชนตลาดบางนา", "ชุมชนวัดบางนา", "ยกเลิก"]
    dialog.run([
        (STAFF, "ตลาดบางนาา", t("notice.ask_roles", target="ชุมชนตลาดบางนา")),
        (STAFF, "ผู้นำและเจ้าหน้าที่", t("notice.ask_text", limit=2000)),
    ])


# --- preview arithmetic ---------------------------------------------------------------------------

def test_group_pushes_count_every_member_and_unknown_sizes_are_estimated(dialog, district, line_facts, db, jobs,
                                                                        fake_line, session_factory) -> None:
    dialog.run([
        (CHAIR, "ประกาศ", T["notice.ask_scope"]),
        (CHAIR, "เครือข่าย", t("notice.ask_roles", target="เครือข่ายโซน 1")),
        (CHAIR, "ทุกคน", t("notice.ask_text", limit=2000)),
        (CHAIR, "ประชุมโซน", T["notice.ask_attachment"]),
        (CHAIR, "ข้าม", T["notice.ask_when"]),
        # Both communities of zone 1 have a group: 40 + 25 members, each counted against the quota.
        (CHAIR, "ส่งทันที", preview("th", to=("ทุกคน", "เครือข่ายโซน 1"), text="ประชุมโซน", path="groups",
                                    people=65, groups=2)),
        (CHAIR, "ส่ง", t("notice.queued", people="65")),
    ])
    consumed = fake_line.state.consumed
    assert send_all(jobs) == {"sent": 2}
    assert fake_line.state.consumed - consumed == 65
    jobs.clock.advance(minutes=2)
    assert notice_jobs.refresh_line_facts(jobs) == 1  # LINE now says 685 are left
    # A newly linked group whose size LINE has not told yet: its community's registered members count.
    with session_factory() as session, session.begin():
        reg.link_chat(session, "C" + "d" * 32, district.canal, None, jobs.clock())
    dialog.run([
        (STAFF, "ประกาศ ชุมชนคลองบางนา", t("notice.ask_roles", target="ชุมชนคลองบางนา")),
        (STAFF, "ทุกคน", t("notice.ask_text", limit=2000)),
        (STAFF, "ลอกคลอง", T["notice.ask_attachment"]),
        (STAFF, "ข้าม", T["notice.ask_when"]),
        (STAFF, "ส่งทันที", preview("th", to=("ทุกคน", "ชุมชนคลองบางนา"), text="ลอกคลอง", path="groups",
                                    people=1, groups=1, quota=(685, 1000),
                                    extra=(T["notice.preview_estimated"],)).replace("10:00", "10:02")),
    ])


def test_the_cost_warns_when_over_the_remaining_quota_or_when_it_is_unknown(dialog, district, line_facts,
                                                                             fake_line, jobs, clock) -> None:
    fake_line.state.consumed = 995  # 5 left
    clock.advance(minutes=3)
    assert notice_jobs.refresh_line_facts(jobs) == 1  # the quota; group sizes are still fresh
    compose = [
        (STAFF, "ประกาศ", T["notice.ask_scope"]),
        (STAFF, "ทั้งเขต", t("notice.ask_roles", target="ทุกชุมชนในสำนักงานเขตบางนา")),
        (STAFF, "ทุกคน", t("notice.ask_text", limit=2000)),
        (STAFF, "ทดสอบ", T["notice.ask_attachment"]),
        (STAFF, "ข้าม", T["notice.ask_when"]),
    ]
    unknown = preview("th", to=("ทุกคน", "ทุกชุมชนในสำนักงานเขตบางนา"), text="ทดสอบ", path="people", people=6,
                      quota=None)
    over = t("notice.preview_cost", cost="6", remaining="5", limit="1,000", time="10:03") + "\n" + t(
        "notice.preview_over_quota", remaining="5")
    dialog.run([*compose, (STAFF, "ส่งทันที", unknown.replace(t("notice.preview_cost_unknown", cost="6"), over)),
                (STAFF, "ยกเลิก", T["flow.cancelled"])])
    # Figures fetched more than five minutes ago are not shown as current.
    clock.advance(minutes=6)
    dialog.run([*compose, (STAFF, "ส่งทันที", unknown)])


# --- acknowledgement ------------------------------------------------------------------------------

@pytest.fixture
def sent_notice(district, session_factory, clock, jobs):
    """A notice from the leader to everyone in ชุมชนวัดบางนา, already pushed to its group."""
    with session_factory() as session, session.begin():
        audience = svc.Audience(district.org.id, NoticeScope.COMMUNITY, community_id=district.wat.id,
                                author_id=district.people["leader"].id)
        notice = svc.create_notice(session, audience, text="ประชุมชุมชนวันเสาร์นี้", now=clock())
    send_all(jobs)
    return notice


def test_acknowledgements_are_recorded_per_person(dialog, district, sent_notice, db) -> None:
    ack = f"a=ack&n={sent_notice.id}"
    assert dialog.postback(MEMBER, ack, group=GROUP_WAT) == [t("notice.acknowledged", name="คุณmember")]
    assert dialog.postback(MEMBER, ack, group=GROUP_WAT) == [t("notice.acknowledged", name="คุณmember")]
    assert dialog.postback(PARTNER, ack) == [t("notice.acknowledged", name="คุณpartner")]
    assert dialog.postback(STRANGER, ack, group=GROUP_WAT) == [T["notice.ack_unregistered"]]
    assert dialog.postback(MEMBER, "a=ack&n=999") == [T["postback.unknown"]]
    assert dialog.postback(MEMBER, "a=ack&n=x") == [T["postback.unknown"]]
    db.expire_all()
    assert sorted((a.person_id, a.community_id, a.kind) for a in db.scalars(select(NoticeAck))) == sorted([
        (district.people["member"].id, district.wat.id, AckKind.ACKNOWLEDGED),
        (district.people["partner"].id, district.wat.id, AckKind.ACKNOWLEDGED)])


def test_answers_with_a_polite_ending_work_at_every_step(dialog, district, line_facts, db) -> None:
    dialog.run([
        (LEADER, "ประกาศครับ", t("notice.ask_roles", target="ชุมชนวัดบางนา")),
        (LEADER, "ทุกคนครับ", t("notice.ask_text", limit=2000)),
        (LEADER, "ประชุมชุมชนวันเสาร์นี้นะครับ", T["notice.ask_attachment"]),  # the text is kept as typed
        (LEADER, "ข้ามค่ะ", T["notice.ask_when"]),
        (LEADER, "ส่งทันทีครับ", preview("th", to=("ทุกคน", "ชุมชนวัดบางนา"), text="ประชุมชุมชนวันเสาร์นี้นะครับ",
                                         path="groups", people=40, groups=1)),
        (LEADER, "ส่งครับ", t("notice.queued", people="40")),
    ])
    assert [n.text for n in notices(db)] == ["ประชุมชุมชนวันเสาร์นี้นะครับ"]


def test_send_now_in_quiet_hours_is_scheduled_for_seven_and_can_still_be_cancelled(dialog, district, db, clock,
                                                                                  jobs) -> None:
    """At 21:02 "ส่งทันที" could only go out at 07:00: it is scheduled for then, says so, and can be cancelled."""
    clock.now = bangkok(2026, 11, 21, 21, 2)
    morning = "วันอาทิตย์ที่ 22 พฤศจิกายน 2569 เวลา 07:00 น."
    dialog.run([
        (LEADER, "ประกาศ", t("notice.ask_roles", target="ชุมชนวัดบางนา")),
        (LEADER, "ทุกคน", t("notice.ask_text", limit=2000)),
        (LEADER, "ประชุมด่วนพรุ่งนี้", T["notice.ask_attachment"]),
        (LEADER, "ข้าม", T["notice.ask_when"]),
        (LEADER, "ส่งทันที", preview("th", to=("ทุกคน", "ชุมชนวัดบางนา"), text="ประชุมด่วนพรุ่งนี้", path="groups",
                                     people=5, groups=1, quiet=morning, quota=None,
                                     extra=(T["notice.preview_estimated"],))),
        (LEADER, "ส่ง", T["notice.held_for_quiet_hours"] + "\n"
         + t("notice.scheduled", when=morning, people="5", keyword="ยกเลิกประกาศ", number=1)),
    ])
    assert send_all(jobs) == {}
    assert notices(db)[0].status == NoticeStatus.SCHEDULED
    [reply] = dialog.say(LEADER, "ประกาศ สถานะ")
    assert t("notice.status_item", text="ประชุมด่วนพรุ่งนี้", state=t("notice.state.scheduled", when=morning)) in reply
    clock.now = bangkok(2026, 11, 21, 23)
    assert dialog.postback(LEADER, "a=notice_cancel&n=1&l=th") == [
        t("notice.cancelled", number=1, text="ประชุมด่วนพรุ่งนี้")]
    assert notices(db)[0].status == NoticeStatus.CANCELLED
    clock.now = bangkok(2026, 11, 22, 7)
    assert send_all(jobs) == {}


def test_notice_status_shows_rates_per_community_and_the_author_who_has_not_acknowledged(
        dialog, district, sent_notice, db) -> None:
    dialog.postback(MEMBER, f"a=ack&n={sent_notice.id}", group=GROUP_WAT)
    item = t("notice.status_item", text="ประชุมชุมชนวันเสาร์นี้", state=t("notice.state.sent", when=NOW_TH))
    rate = t("notice.status_community", community="ชุมชนวัดบางนา", acked=1, expected=4, rate="25%")
    dialog.run([
        # The author sees who has not acknowledged.
        (LEADER, "ประกาศ สถานะ", "\n".join([
            T["notice.status_header"], "", item, rate,
            t("notice.status_pending", count=3, names="คุณchair, คุณpartner, คุณstaff")])),
        # Staff see the rates, not the names.
        (STAFF, "notice status", "\n".join([
            E["notice.status_header"], "",
            e("notice.status_item", text="ประชุมชุมชนวันเสาร์นี้",
              state=e("notice.state.sent", when="Saturday 21 November 2026, 10:00")),
            e("notice.status_community", community="ชุมชนวัดบางนา", acked=1, expected=4, rate="25%")])),
        # The chair of the zone manages the community too; the leader of another community does not.
        (CANAL_LEADER, "ประกาศ สถานะ", T["notice.status_none"]),
    ])
    for user in (CHAIR, STAFF, PARTNER):
        dialog.postback(user, f"a=ack&n={sent_notice.id}")
    [reply] = dialog.say(LEADER, "ประกาศ สถานะ")
    assert reply.endswith(t("notice.status_community", community="ชุมชนวัดบางนา", acked=4, expected=4,
                            rate="100%") + "\n" + T["notice.status_all_acked"])


def test_a_status_with_nobody_left_to_acknowledge_does_not_celebrate(dialog, district, sent_notice, clock,
                                                                     session_factory) -> None:
    """Every recipient but the author erased their data after it went out: it still reached them (the
    counts are kept from when it was sent), nobody answered, and no name is left to show."""
    with session_factory() as s, s.begin():
        for user in (MEMBER, CHAIR, PARTNER, STAFF):
            reg.forget_person(s, s.scalars(select(Person).where(Person.line_user_id == user)).one(), clock())
    dialog.run([(LEADER, "ประกาศ สถานะ", "\n".join([T["notice.status_header"], "", t(
        "notice.status_item", text="ประชุมชุมชนวันเสาร์นี้", state=t("notice.state.sent", when=NOW_TH)),
        t("notice.status_community", community="ชุมชนวัดบางนา", acked=0, expected=4, rate="0%"),
        t("notice.status_pending_count", count=4)]))])


def test_the_status_counts_whom_the_notice_reached_when_it_went_out(dialog, district, sent_notice, clock,
                                                                   session_factory, db) -> None:
    """The audience is counted once, by community, as the notice is queued (not derived again from every
    person of the district at each look): someone who joins afterwards was not sent it and is not expected."""
    from models import NoticeAudience

    assert [(row.community_id, row.reached) for row in db.scalars(select(NoticeAudience))] == [(district.wat.id, 4)]
    with session_factory() as s, s.begin():
        reg.register_person(s, f"U{0xD00D:032x}", full_name="มาใหม่ ทีหลัง", community=district.wat, phone=None,
                            display_name=None, now=clock())
    dialog.postback(MEMBER, f"a=ack&n={sent_notice.id}")
    [reply] = dialog.say(STAFF, "ประกาศ สถานะ")
    assert reply.split("\n")[3:] == [t("notice.status_community", community="ชุมชนวัดบางนา", acked=1, expected=4,
                                        rate="25%")]


def test_someone_who_registered_after_the_notice_is_not_named_as_not_acknowledging(
        dialog, district, sent_notice, clock, session_factory) -> None:
    """The author's list of who has not acknowledged names only people the notice reached: it said
    "ยังไม่รับทราบ 3 คน" followed by four names, one of them a member who registered the next day."""
    clock.advance(days=1)
    with session_factory() as s, s.begin():
        reg.register_person(s, f"U{0xD00D:032x}", full_name="มาใหม่ ทีหลัง", community=district.wat, phone=None,
                            display_name=None, now=clock())
    dialog.postback(MEMBER, f"a=ack&n={sent_notice.id}", group=GROUP_WAT)
    [reply] = dialog.say(LEADER, "ประกาศ สถานะ")
    assert reply.split("\n")[3:] == [
        t("notice.status_community", community="ชุมชนวัดบางนา", acked=1, expected=4, rate="25%"),
        t("notice.status_pending", count=3, names="คุณchair, คุณpartner, คุณstaff")]


def test_a_notice_sent_before_counts_were_kept_is_counted_at_its_first_look(dialog, district, session_factory,
                                                                             clock, db) -> None:
    """A notice that went out before the upgrade (no counts, `counted_at` empty) is counted the first time
    its status is read, and the counts are kept."""
    from models import NoticeAudience

    with session_factory() as s, s.begin():
        audience = svc.Audience(district.org.id, NoticeScope.COMMUNITY, community_id=district.wat.id,
                                author_id=district.people["leader"].id)
        notice = svc.create_notice(s, audience, text="ประชุมก่อนอัปเกรด", now=clock())
        notice.status, notice.sent_at = NoticeStatus.SENT, clock()
    [reply] = dialog.say(LEADER, "ประกาศ สถานะ")
    assert t("notice.status_community", community="ชุมชนวัดบางนา", acked=0, expected=4, rate="0%") in reply
    db.expire_all()
    assert db.get(Notice, notice.id).counted_at is not None
    assert [(row.community_id, row.reached) for row in db.scalars(select(NoticeAudience))] == [(district.wat.id, 4)]


def test_a_district_wide_status_lists_twenty_communities_and_sums_the_rest(dialog, district, session_factory,
                                                                           clock, jobs) -> None:
    from models import Community

    with session_factory() as session, session.begin():
        for n in range(22):  # 22 more communities of zone 2, one member each
            community = Community(organization_id=district.org.id, name=f"ชุมชนที่ {n + 1:02d}",
                                  zone_id=district.zone2.id)
            session.add(community)
            session.flush()
            reg.register_person(session, f"U{0xC000 + n:032x}", full_name=f"สมาชิก {n}", community=community,
                                phone=None, display_name=None, now=clock())
        notice = svc.create_notice(session, svc.Audience(district.org.id, NoticeScope.ORGANIZATION,
                                                         author_id=district.people["staff"].id),
                                   text="ประชุมใหญ่", now=clock(), nudge_after_hours=None)
    send_all(jobs)
    dialog.postback(CANAL_LEADER, f"a=ack&n={notice.id}")
    [reply] = dialog.say(STAFF, "ประกาศ สถานะ")
    lines = reply.split("\n")
    # By name (ค, ต, ท, ว): คลองบางนา, ตลาดบางนา, ที่ 01 … 18 shown; ที่ 19 … 22 and วัดบางนา summed.
    assert lines[3:6] == [t("notice.status_community", community="ชุมชนคลองบางนา", acked=1, expected=1, rate="100%"),
                          t("notice.status_community", community="ชุมชนตลาดบางนา", acked=0, expected=1, rate="0%"),
                          t("notice.status_community", community="ชุมชนที่ 01", acked=0, expected=1, rate="0%")]
    assert lines[22:24] == [t("notice.status_community", community="ชุมชนที่ 18", acked=0, expected=1, rate="0%"),
                            t("notice.status_other_communities", count=5, acked=0, expected=8, rate="0%")]
    names = sorted(["คุณchair", "คุณleader", "คุณmember", "คุณpartner", "คุณประธานตลาด"]
                   + [f"สมาชิก {n}" for n in range(22)])
    assert lines[24:] == [t("notice.status_pending", count=27, names=", ".join(names))]


# --- news: pull instead of push -------------------------------------------------------------------

def test_news_replies_with_the_latest_notices_for_the_sender(dialog, district, session_factory, clock, jobs,
                                                             fake_line) -> None:
    with session_factory() as session, session.begin():
        people = district.people
        for n in range(6):
            svc.create_notice(session, svc.Audience(district.org.id, NoticeScope.COMMUNITY,
                                                    community_id=district.wat.id, author_id=people["leader"].id),
                              text=f"ข่าวชุมชน {n + 1}", now=clock())
            clock.advance(minutes=1)
        # Not for the member: leaders only, and another community.
        svc.create_notice(session, svc.Audience(district.org.id, NoticeScope.NETWORK, network_id=district.zone1.id,
                                                role_filter=RoleFilter.LEADERS, author_id=people["staff"].id),
                          text="เฉพาะผู้นำ", now=clock())
        svc.create_notice(session, svc.Audience(district.org.id, NoticeScope.COMMUNITY,
                                                community_id=district.canal.id), text="ข่าวคลอง", now=clock())
    send_all(jobs)
    dialog.postback(MEMBER, "a=ack&n=6")

    def items(cat, first: int, answered: int | None = None) -> str:
        lines = [cat["news.header"].format(count=5)]
        for n, number in enumerate(range(first, first - 5, -1), 1):
            when = "วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 10:0" if cat is T else "Saturday 21 November 2026, 10:0"
            when += f"{number - 1}" + (" น." if cat is T else "")
            mark = cat["news.acknowledged"] if number == answered else ""
            lines.append(cat["news.item"].format(n=n, when=when, text=f"ข่าวชุมชน {number}") + mark)
        return "\n\n".join(lines)

    dialog.run([(MEMBER, "ข่าว", items(T, 6, answered=6))])
    # Each notice not yet acknowledged has a free acknowledge button.
    assert quick_labels(fake_line) == ["รับทราบ ข้อ 2", "รับทราบ ข้อ 3", "รับทราบ ข้อ 4", "รับทราบ ข้อ 5"]
    assert dialog.postback(MEMBER, "a=ack&n=5") == [t("notice.acknowledged", name="คุณmember")]
    dialog.run([
        (STRANGER, "ข่าว", T["news.unregistered"]),
        (STRANGER, "news", E["news.unregistered"]),
        # In a linked group: the notices for everyone there; elsewhere the group is not linked.
        (STRANGER, "บอท ข่าว", items(T, 6), GROUP_WAT),
        (STRANGER, "bot news", E["news.group_unlinked"], "C" + "e" * 32),
        (CANAL_LEADER, "news", "\n\n".join([
            "📰 The latest notice (reading it here costs nothing)",  # one: not “Latest 1 notices”
            e("news.item", n=1, when="Saturday 21 November 2026, 10:06", text="ข่าวคลอง")])),
    ])
    assert fake_line.state.requests[-1].path == "/v2/bot/message/reply"  # free: a reply, never a push


# --- urgent alerts --------------------------------------------------------------------------------

def test_an_urgent_alert_ignores_quiet_hours_and_need_help_forwards_the_location(
        dialog, district, line_facts, db, jobs, clock, fake_line) -> None:
    clock.now = bangkok(2026, 11, 21, 23, 30)
    notice_jobs.refresh_line_facts(jobs)
    text = "น้ำท่วมสูงในซอยวัดบางนา ขนย้ายของขึ้นที่สูงและเตรียมอพยพ"
    dialog.run([
        (STAFF, "แจ้งเตือนด่วน", T["alert.ask_scope"]),
        (STAFF, "ทั้งเขต", t("notice.target_set", target="ทุกชุมชนในสำนักงานเขตบางนา") + "\n"
         + t("notice.ask_text", limit=2000)),
        (STAFF, text, T["notice.ask_attachment"]),
        (STAFF, "ข้าม", preview("th", to=("ทุกคน", "ทุกชุมชนในสำนักงานเขตบางนา"), text=text, path="people",
                                people=6, urgent=True).replace("เวลา 10:00", "เวลา 23:30")),
    ])
    assert quick_labels(fake_line) == ["ส่ง", "ยกเลิก"]
    dialog.run([(STAFF, "ส่ง", t("alert.queued", people="6"))])
    [alert] = notices(db)
    assert (alert.urgent, alert.nudge_after_hours, alert.role_filter) == (True, None, RoleFilter.EVERYONE)
    before = len(fake_line.state.requests)
    assert send_all(jobs) == {"sent": 1}  # at 23:30: urgent alerts do not wait for the morning
    [(_, card)] = sent_to(fake_line, before)[:1]
    assert card_texts(card) == [t("alert.card_header", org="สำนักงานเขตบางนา"), text, T["alert.safe_button"],
                                T["alert.help_button"]]
    assert postback_data(card) == [f"a=alert&n={alert.id}&v=safe", f"a=alert&n={alert.id}&v=need_help"]

    assert dialog.postback(MEMBER, f"a=alert&n={alert.id}&v=safe") == [t("alert.safe_recorded", name="คุณmember")]
    assert dialog.postback(LEADER, f"a=alert&n={alert.id}&v=need_help") == [T["alert.help_recorded"]]
    assert quick_labels(fake_line) == ["ส่งตำแหน่ง", "ข้าม"]
    before = len(fake_line.state.requests)
    assert dispatch_outbox(jobs) == {"sent": 1}  # at once, to staff and the chair of zone 1
    forward = t("alert.help_forward", name="คุณleader", community="ชุมชนวัดบางนา", phone=T["alert.no_phone"],
                text="น้ำท่วมสูงในซอยวัดบางนา ขนย้ายของขึ้นที่สูงและเตรียมอพยพ"[:40] + "…")
    assert sorted((to, m["text"]) for to, m in sent_to(fake_line, before)) == sorted([(STAFF, forward),
                                                                                      (CHAIR, forward)])
    replies = post(dialog, location(13.6701, 100.6102, title="บ้านเลขที่ 12", address="ซอยวัดบางนา", user=LEADER))
    assert replies == [T["alert.location_sent"]]
    before = len(fake_line.state.requests)
    assert dispatch_outbox(jobs) == {"sent": 1}
    delivered = sent_to(fake_line, before)
    assert sorted(to for to, _ in delivered) == sorted([STAFF, STAFF, CHAIR, CHAIR])
    [text_message, place] = [m for to, m in delivered if to == CHAIR]
    assert text_message["text"] == t("alert.location_forward", name="คุณleader", community="ชุมชนวัดบางนา",
                                     phone=T["alert.no_phone"])
    assert (place["type"], place["title"], place["address"], place["latitude"], place["longitude"]) == (
        "location", t("alert.location_title", name="คุณleader"), "ซอยวัดบางนา", 13.6701, 100.6102)

    dialog.run([
        (STAFF, "แจ้งเตือนด่วน สถานะ", "\n".join([
            t("alert.status_header", text="น้ำท่วมสูงในซอยวัดบางนา ขนย้ายของขึ้นที่สูงและเตรียมอพยพ"[:40] + "…",
              when="วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 23:30 น."),
            # Where people need help comes first, then by how many have not answered, then by name.
            t("alert.status_community", community="ชุมชนวัดบางนา", safe=1, help=1, silent=2),
            t("alert.status_community", community="ชุมชนคลองบางนา", safe=0, help=0, silent=1),
            t("alert.status_community", community="ชุมชนตลาดบางนา", safe=0, help=0, silent=1),
            t("alert.status_total", safe=1, help=1, silent=4),
            t("alert.status_help_line", name="คุณleader", community="ชุมชนวัดบางนา", phone=T["alert.no_phone"],
              where=t("alert.status_map", lat="13.67010", lng="100.61020"))])),
        (CHAIR, "แจ้งเตือนด่วน สถานะ", t("command.refused", keyword="แจ้งเตือนด่วน สถานะ", role=T["role.5"])),
    ])
    db.expire_all()
    [help_ack] = db.scalars(select(NoticeAck).where(NoticeAck.kind == AckKind.NEED_HELP))
    assert (help_ack.latitude, help_ack.longitude, help_ack.address) == (13.6701, 100.6102, "ซอยวัดบางนา")


def wat_alert(session_factory, district, clock) -> Notice:
    """An urgent alert ("ไฟไหม้") from staff to everyone in ชุมชนวัดบางนา, saved to be sent now."""
    with session_factory() as session, session.begin():
        return svc.create_notice(session, svc.Audience(district.org.id, NoticeScope.COMMUNITY,
                                                       community_id=district.wat.id,
                                                       author_id=district.people["staff"].id),
                                 text="ไฟไหม้", now=clock(), urgent=True)


def test_an_alert_may_be_answered_by_typing(dialog, district, session_factory, clock, jobs, db) -> None:
    """Someone who types "ปลอดภัยค่ะ" or "ช่วยด้วย" under the alert instead of tapping a button answers the newest
    alert that reached them; it was "not understood" and a list of every command."""
    dialog.run([
        (MEMBER, "ปลอดภัย", T["alert.typed_no_alert"]),                     # no alert yet: nothing recorded
        (STRANGER, "ช่วยด้วย", T["alert.unregistered"]),
    ])
    with session_factory() as session, session.begin():
        seed_outsider(session, clock())
    wat_alert(session_factory, district, clock)
    send_all(jobs)
    dialog.run([
        (MEMBER, "ปลอดภัยค่ะ", t("alert.safe_recorded", name="คุณmember")),
        (PARTNER, "ช่วยด้วยครับ", T["alert.help_recorded"]),
        (PARTNER, "ข้าม", T["alert.location_skipped"]),
        (OUTSIDER, "ปลอดภัย", T["alert.typed_no_alert"]),                  # another district's member
    ])
    db.expire_all()
    assert sorted((a.person_id, a.kind) for a in db.scalars(select(NoticeAck))) == sorted([
        (district.people["member"].id, AckKind.SAFE), (district.people["partner"].id, AckKind.NEED_HELP)])
    clock.advance(days=4)  # an alert days old is over: typing no longer answers it
    dialog.run([(LEADER, "ปลอดภัย", T["alert.typed_no_alert"])])
    assert len(db.scalars(select(NoticeAck)).all()) == 2


def test_need_help_in_a_group_takes_the_location_there_or_a_skip(dialog, district, session_factory, clock, jobs,
                                                                 fake_line) -> None:
    alert = wat_alert(session_factory, district, clock)
    send_all(jobs)
    assert dialog.postback(MEMBER, f"a=alert&n={alert.id}&v=need_help", group=GROUP_WAT) == [
        T["alert.help_recorded"]]
    # The next message in the group from the same person is the answer (no "บอท" needed).
    assert post(dialog, ev.sticker(user=MEMBER, group=GROUP_WAT)) == [T["alert.location_again"]]
    dialog.run([(MEMBER, "ข้าม", T["alert.location_skipped"], GROUP_WAT)])
    assert dialog.postback(STRANGER, f"a=alert&n={alert.id}&v=need_help") == [T["alert.unregistered"]]
    assert dialog.postback(MEMBER, f"a=alert&n={alert.id}&v=maybe") == [T["postback.unknown"]]
    assert dialog.postback(MEMBER, f"a=ack&n={alert.id}") == [T["postback.unknown"]]


@pytest.mark.parametrize("group", [None, GROUP_WAT], ids=["1:1", "group"])
def test_safe_after_need_help_ends_the_location_step_and_tells_those_who_got_the_sos(
        dialog, district, session_factory, clock, jobs, fake_line, db, group) -> None:
    alert = wat_alert(session_factory, district, clock)
    send_all(jobs)
    assert dialog.postback(MEMBER, f"a=alert&n={alert.id}&v=need_help", group=group) == [
        T["alert.help_recorded"]]
    dispatch_outbox(jobs)
    before = len(fake_line.state.requests)
    safe = t("alert.safe_recorded", name="คุณmember")
    assert dialog.postback(MEMBER, f"a=alert&n={alert.id}&v=safe", group=group) == [safe]
    # A double tap (or a second worker) pushes nothing more; safe again after safe tells nobody anything new.
    assert dialog.postback(MEMBER, f"a=alert&n={alert.id}&v=safe", group=group) == [safe]
    assert dispatch_outbox(jobs) == {"sent": 1}
    now_safe = t("alert.safe_forward", name="คุณmember", community="ชุมชนวัดบางนา", text="ไฟไหม้")
    assert sorted((to, m["text"]) for to, m in sent_to(fake_line, before)) == sorted([(STAFF, now_safe),
                                                                                      (CHAIR, now_safe)])
    # The location is no longer asked for: the next message is an ordinary one.
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Conversation)) == 0
    replies = dialog.say(MEMBER, "ข้าม", group=group)
    if group:
        assert replies == []  # in a group, not addressed to the bot: nobody waits for this person's answer
    else:
        assert replies[0].split("\n")[0] == t("help.unknown", text="ข้าม")
    assert dispatch_outbox(jobs) == {}


def test_only_the_audience_may_answer_a_notice_or_an_alert(dialog, district, sent_notice, session_factory, clock,
                                                         jobs, fake_line, db) -> None:
    """A forwarded card or a hand-made button: the tallies count the audience only, and nobody's name and
    phone reaches staff for an alert that was not theirs (another district's staff least of all)."""
    with session_factory() as session, session.begin():
        seed_outsider(session, clock())
        alert = svc.create_notice(session, svc.Audience(district.org.id, NoticeScope.COMMUNITY,
                                                        community_id=district.canal.id,
                                                        author_id=district.people["staff"].id),
                                  text="ไฟไหม้ที่ชุมชนคลองบางนา", now=clock(), urgent=True)
        later = svc.create_notice(session, svc.Audience(district.org.id, NoticeScope.COMMUNITY,
                                                        community_id=district.wat.id,
                                                        author_id=district.people["leader"].id),
                                  text="ประชุมเดือนหน้า", now=clock(), send_at=clock() + timedelta(days=3))
    send_all(jobs)
    before = len(fake_line.state.requests)
    assert dialog.postback(OUTSIDER, f"a=ack&n={sent_notice.id}") == [T["notice.ack_not_recipient"]]
    assert dialog.postback(OUTSIDER, f"a=alert&n={alert.id}&v=need_help") == [T["alert.not_recipient"]]
    # Of the same district, but the alert was for ชุมชนคลองบางนา only.
    assert dialog.postback(MEMBER, f"a=alert&n={alert.id}&v=need_help") == [T["alert.not_recipient"]]
    # A notice not sent yet has no card to answer.
    assert dialog.postback(MEMBER, f"a=ack&n={later.id}") == [T["postback.unknown"]]
    assert dispatch_outbox(jobs) == {}
    assert sent_to(fake_line, before) == []
    db.expire_all()
    assert db.scalars(select(NoticeAck)).all() == []
    assert db.scalars(select(Conversation)).all() == []
    # The audience still may.
    assert dialog.postback(CANAL_LEADER, f"a=alert&n={alert.id}&v=safe") == [
        t("alert.safe_recorded", name="คุณother_leader")]


# --- validation, cancel -----------------------------------------------------------------------------

def to_text_step(dialog) -> None:
    dialog.run([
        (LEADER, "ประกาศ", t("notice.ask_roles", target="ชุมชนวัดบางนา")),
        (LEADER, "ทุกคน", t("notice.ask_text", limit=2000)),
    ])


def test_a_card_posted_in_a_group_may_be_answered_by_anyone_there(dialog, district, line_facts, session_factory,
                                                                  clock, jobs, db) -> None:
    """A neighbour registered in another community, or staff, sees the alert in the community's group."""
    alert = wat_alert(session_factory, district, clock)
    send_all(jobs)
    assert notices(db)[-1].via_groups
    assert dialog.postback(CANAL_LEADER, f"a=alert&n={alert.id}&v=need_help", group=GROUP_WAT) == [
        T["alert.help_recorded"]]
    # The same person in their 1:1 chat, or in another community's group, was not sent it.
    assert dialog.postback(CANAL_LEADER, f"a=alert&n={alert.id}&v=safe") == [T["alert.not_recipient"]]
    assert dialog.postback(CANAL_LEADER, f"a=alert&n={alert.id}&v=safe", group=GROUP_MARKET) == [
        T["alert.not_recipient"]]
    db.expire_all()
    assert [(a.person_id, a.kind) for a in db.scalars(select(NoticeAck))] == [
        (district.people["other_leader"].id, AckKind.NEED_HELP)]


def test_a_send_time_too_far_ahead_is_asked_again(dialog, district, db) -> None:
    to_text_step(dialog)
    dialog.run([
        (LEADER, "ประชุมชุมชน", T["notice.ask_attachment"]),
        (LEADER, "ข้าม", T["notice.ask_when"]),
        (LEADER, "31/12/2571 10:00", t("notice.when_too_far", when="วันอาทิตย์ที่ 31 ธันวาคม 2571 เวลา 10:00 น.")
         + "\n" + T["notice.ask_when"]),
    ])
    # A hand-made picker value at datetime's very end, once an overflow in the quiet-hours arithmetic.
    assert dialog.postback(LEADER, "a=flow", params={"datetime": "9999-12-31T23:59"}) == [
        t("notice.when_too_far", when="วันศุกร์ที่ 31 ธันวาคม 10542 เวลา 23:59 น.") + "\n" + T["notice.ask_when"]]
    assert notices(db) == []


@pytest.mark.parametrize(("answer", "reply"), [
    ("🙂🙂", t("notice.text_invalid", limit=2000)),
    ("ก" * 2001, t("notice.text_invalid", limit=2000)),
], ids=["emoji-only", "too-long"])
def test_a_bad_notice_text_is_asked_again(dialog, district, answer, reply) -> None:
    to_text_step(dialog)
    dialog.run([(LEADER, answer, reply)])


def test_a_notice_keeps_its_line_breaks(dialog, district, line_facts, db) -> None:
    to_text_step(dialog)
    dialog.run([
        (LEADER, "ประชุมชุมชน\n\nวันเสาร์  9 โมง\u200b\nที่ศาลาวัด", T["notice.ask_attachment"]),
        (LEADER, "ข้าม", T["notice.ask_when"]),
        (LEADER, "ส่งทันที", preview("th", to=("ทุกคน", "ชุมชนวัดบางนา"),
                                     text="ประชุมชุมชน\n\nวันเสาร์ 9 โมง\nที่ศาลาวัด", path="groups", people=40,
                                     groups=1)),
        (LEADER, "ส่ง", t("notice.queued", people="40")),
    ])
    assert [n.text for n in notices(db)] == ["ประชุมชุมชน\n\nวันเสาร์ 9 โมง\nที่ศาลาวัด"]


@pytest.mark.parametrize(("answer", "reply"), [
    # A link LINE cannot show as a picture is told apart from words it does not understand.
    ("http://example.org/a.png", T["notice.image_link_invalid"]),
    ("https://example.org/a.pdf", T["notice.image_link_invalid"]),
    ("www.facebook.com/bangna/photos", T["notice.image_link_invalid"]),
    ("แผนที่", T["notice.attachment_invalid"]),
], ids=["not-https", "not-a-picture", "a-web-page", "words"])
def test_a_bad_attachment_is_asked_again(dialog, district, answer, reply) -> None:
    to_text_step(dialog)
    dialog.run([(LEADER, "ประชุม", T["notice.ask_attachment"]), (LEADER, answer, reply)])


def test_a_picture_sent_in_the_chat_gets_a_clear_note(dialog, district) -> None:
    to_text_step(dialog)
    dialog.run([(LEADER, "ประชุม", T["notice.ask_attachment"])])
    image = ev.sticker(user=LEADER)
    image["message"] = {"id": "424242", "type": "image", "quoteToken": "q",
                        "contentProvider": {"type": "line"}}
    assert post(dialog, image) == [T["notice.image_note"]]
    dialog.run([(LEADER, "ข้าม", T["notice.ask_when"])])


@pytest.mark.parametrize(("answer", "reply"), [
    ("เมื่อวาน 9 โมง", t("notice.when_past", when="วันศุกร์ที่ 20 พฤศจิกายน 2569 เวลา 09:00 น.") + "\n"
     + T["notice.ask_when"]),
    ("วันนี้ 8 โมง", t("notice.when_past", when="วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 08:00 น.") + "\n"
     + T["notice.ask_when"]),
    ("เร็ว ๆ นี้", t("notice.when_unknown", text="เร็ว ๆ นี้") + "\n" + T["notice.ask_when"]),
], ids=["yesterday", "earlier-today", "not-a-time"])
def test_a_send_time_must_be_understood_and_ahead(dialog, district, answer, reply) -> None:
    to_text_step(dialog)
    dialog.run([(LEADER, "ประชุม", T["notice.ask_attachment"]), (LEADER, "ข้าม", T["notice.ask_when"]),
                (LEADER, answer, reply)])


@pytest.mark.parametrize("steps", [1, 2, 3, 4, 5], ids=["roles", "text", "attachment", "when", "confirm"])
def test_cancel_works_at_every_step(dialog, district, line_facts, db, steps) -> None:
    answers = ["ประกาศ", "ทุกคน", "ประชุม", "ข้าม", "ส่งทันที"]
    for answer in answers[:steps]:
        dialog.say(LEADER, answer)
    dialog.run([(LEADER, "ยกเลิก", T["flow.cancelled"])])
    assert notices(db) == []
    assert db.scalar(select(func.count()).select_from(Conversation)) == 0


def test_a_role_nobody_is_in_is_refused_when_it_is_chosen(dialog, district, db, fake_line) -> None:
    ask_roles = t("notice.ask_roles", target="ชุมชนวัดบางนา")
    dialog.run([
        (LEADER, "ประกาศ", ask_roles),
        # The leader is the only committee member of ชุมชนวัดบางนา, and the author is not sent it: said now,
        # before the text is written, and another group may be chosen.
        (LEADER, "กรรมการชุมชน", t("notice.role_no_line", role="กรรมการชุมชน", target="ชุมชนวัดบางนา") + "\n"
         + ask_roles),
    ])
    assert quick_labels(fake_line) == ["ทุกคน", "ผู้นำและเจ้าหน้าที่", "กรรมการชุมชน", "ภาคีเครือข่าย", "ยกเลิก"]
    dialog.run([
        (LEADER, "ทุกคน", t("notice.ask_text", limit=2000)),
        (LEADER, "ยกเลิก", T["flow.cancelled"]),
        (LEADER, "announce", e("notice.ask_roles", target="ชุมชนวัดบางนา")),
        (LEADER, "Committee", e("notice.role_no_line", role="Committee", target="ชุมชนวัดบางนา") + "\n"
         + e("notice.ask_roles", target="ชุมชนวัดบางนา")),
    ])
    assert notices(db) == []


# --- the permission matrix ------------------------------------------------------------------------

ROLE_USERS = {"stranger": STRANGER, "member": MEMBER, "partner": PARTNER, "leader": LEADER, "chair": CHAIR}
COMMANDS = [  # (Thai, English, lowest role, who is below it)
    ("ประกาศ", "announce", 3, ("stranger", "member", "partner")),
    ("ประกาศ สถานะ", "notice status", 3, ("stranger", "member", "partner")),
    ("แจ้งเตือนด่วน", "alert", 5, ("stranger", "member", "partner", "leader", "chair")),
    ("แจ้งเตือนด่วน สถานะ", "alert status", 5, ("stranger", "member", "partner", "leader", "chair")),
    ("ยกเลิกประกาศ", "cancel notice", 3, ("stranger", "member", "partner")),
]
MATRIX = [pytest.param(th_kw, en_kw, role, who, id=f"{en_kw}-{who}")
          for th_kw, en_kw, role, below in COMMANDS for who in below]


@pytest.mark.parametrize(("th_keyword", "en_keyword", "role", "who"), MATRIX)
def test_lower_roles_are_refused(dialog, district, db, th_keyword, en_keyword, role, who) -> None:
    dialog.run([
        (ROLE_USERS[who], th_keyword, t("command.refused", keyword=th_keyword, role=T[f"role.{role}"])),
        (ROLE_USERS[who], en_keyword, e("command.refused", keyword=en_keyword, role=E[f"role.{role}"])),
    ])
    assert notices(db) == []
    assert db.scalar(select(func.count()).select_from(Conversation)) == 0


@pytest.mark.parametrize(("keyword", "reply"), [
    ("ประกาศ", t("command.wrong_chat_group", keyword="ประกาศ")),
    ("แจ้งเตือนด่วน", t("command.wrong_chat_group", keyword="แจ้งเตือนด่วน")),
    ("ประกาศ สถานะ", t("command.wrong_chat_group", keyword="ประกาศ สถานะ")),
    ("ยกเลิกประกาศ", t("command.wrong_chat_group", keyword="ยกเลิกประกาศ")),
])
def test_composing_and_status_stay_out_of_groups(dialog, district, keyword, reply) -> None:
    dialog.run([(STAFF, f"บอท {keyword}", reply, GROUP_WAT)])


@pytest.mark.parametrize("text", ["ประกาศ โซน 1 ครับ", "ประกาศ เครือข่ายโซน 1ค่ะ"])
def test_a_network_typed_with_a_polite_ending_is_found(dialog, district, db, text) -> None:
    dialog.run([(STAFF, text, t("notice.ask_roles", target="เครือข่ายโซน 1"))])


SCOPE_REFUSALS = [
    pytest.param(LEADER, "ประกาศ ชุมชนคลองบางนา",
                 t("notice.scope_unknown", text="ชุมชนคลองบางนา") + "\n" + T["notice.ask_scope"],
                 id="leader-other-community"),
    pytest.param(CHAIR, "announce เครือข่ายโซน 2",
                 e("notice.scope_unknown", text="เครือข่ายโซน 2") + "\n" + E["notice.ask_scope"],
                 id="chair-other-network"),
    pytest.param(CHAIR, "ประกาศ ชุมชนคลองบางนา",
                 t("notice.scope_unknown", text="ชุมชนคลองบางนา") + "\n" + T["notice.ask_scope"],
                 id="chair-community-of-other-zone"),
    pytest.param(CANAL_LEADER, "ประกาศ เครือข่ายโซน 2",
                 t("notice.scope_unknown", text="เครือข่ายโซน 2") + "\n" + T["notice.ask_scope"],
                 id="leader-their-own-zone"),
]


@pytest.mark.parametrize(("user", "text", "reply"), SCOPE_REFUSALS)
def test_outside_their_scope_people_are_refused(dialog, district, db, user, text, reply) -> None:
    dialog.run([(user, text, reply)])
    assert notices(db) == []


def test_whole_district_is_not_offered_below_staff(dialog, district, fake_line) -> None:
    dialog.run([(CHAIR, "ประกาศ", T["notice.ask_scope"])])
    assert "ทั้งเขต" not in quick_labels(fake_line)
    # Typed anyway, it is not a choice the chair has.
    dialog.run([(CHAIR, "ทั้งเขต", t("notice.scope_unknown", text="ทั้งเขต") + "\n" + T["notice.ask_scope"])])


def test_a_role_taken_away_while_composing_sends_nothing(dialog, district, line_facts, session_factory, db) -> None:
    dialog.run([
        (LEADER, "ประกาศ", t("notice.ask_roles", target="ชุมชนวัดบางนา")),
        (LEADER, "ทุกคน", t("notice.ask_text", limit=2000)),
        (LEADER, "ประชุม", T["notice.ask_attachment"]),
        (LEADER, "ข้าม", T["notice.ask_when"]),
    ])
    dialog.say(LEADER, "ส่งทันที")
    with session_factory() as session, session.begin():
        from models import Membership
        session.execute(Membership.__table__.delete().where(Membership.role == RoleName.COMMUNITY_LEADER,
                                                            Membership.community_id == district.wat.id))
    dialog.run([(LEADER, "ส่ง", T["notice.scope_gone"])])
    assert notices(db) == []


def test_outbox_rows_of_a_notice_carry_its_topic(district, sent_notice, db) -> None:
    assert db.scalars(select(OutboxMessage.topic).where(OutboxMessage.target == GROUP_WAT)).all() == [
        f"notice:{sent_notice.id}"]
