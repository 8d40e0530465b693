"""Host rotation as conversation tables: the order and why, confirm, decline with a reason, swap, skip,
history; refusals change nothing. Pushes are checked at the fake LINE server after the outbox runs."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import create_app
from bot.config import TIMEZONE
from handlers.thaitime import format_when_en
from handlers.catalog import en, text_for, th
from handlers.services import activities as act
from handlers.services import registry as reg
from models import (
    Activity,
    OutboxKind,
    ActivityStatus,
    Community,
    Conversation,
    HostLog,
    HostLogKind,
    HostSlot,
    HostState,
    Organization,
    OutboxMessage,
    Person,
    RoleName,
)
from support.testapp import SECRET, WebhookClient
from scheduler.jobs import dispatch_outbox
from support import events as ev
from support.registry import USERS, seed_district
from support.texts import t

T, E = th.TEXT, en.TEXT
MARKET_LEADER = "U" + "8" * 32
CHAIR2 = "U" + "9" * 32  # chair of zone 2
TITLE = "ประชุมเครือข่ายโซน 1"
STARTS = datetime(2026, 12, 20, 14, 0, tzinfo=TIMEZONE)
WHEN = "วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00 น."
WAT, MARKET, GARDEN, CANAL = "ชุมชนวัดบางนา", "ชุมชนตลาดบางนา", "ชุมชนสวนบางนา", "ชุมชนคลองบางนา"
ZONE1, ZONE2 = "เครือข่ายโซน 1", "เครือข่ายโซน 2"


@dataclass
class World:
    org: int
    zone1: int
    zone2: int
    ids: dict[str, int]  # community name → id


@pytest.fixture
def world(session_factory, clock) -> World:
    """The test district plus ชุมชนสวนบางนา in zone 1, a leader for the market, a chair for zone 2,
    and zone 1's rotation listed วัด, ตลาด, สวน."""
    now = clock()
    with session_factory() as s, s.begin():
        d = seed_district(s, now)
        garden = Community(organization_id=d.org.id, name=GARDEN, zone_id=d.zone1.id)
        s.add(garden)
        s.flush()
        market_leader = reg.register_person(s, MARKET_LEADER, full_name="คุณแม่ค้า", community=d.market,
                                            phone=None, display_name=None, now=now)
        reg.grant(s, market_leader, RoleName.COMMUNITY_LEADER, d.org, community=d.market, now=now)
        chair2 = reg.register_person(s, CHAIR2, full_name="คุณประธานโซนสอง", community=d.canal,
                                     phone=None, display_name=None, now=now)
        reg.grant(s, chair2, RoleName.NETWORK_CHAIR, d.org, network=d.zone2, now=now)
        for position, community in enumerate([d.wat, d.market, garden], 1):
            s.add(HostSlot(network_id=d.zone1.id, community_id=community.id, position=position,
                           times_hosted=0, declines=0, owed_turns=0))
        ids = {c.name: c.id for c in (d.wat, d.market, garden, d.canal)}
        return World(d.org.id, d.zone1.id, d.zone2.id, ids)


def set_ledger(session_factory, world: World, **rows: tuple[int, datetime | None, int, int]) -> None:
    """Ledger rows by community key (wat, market, garden): (times hosted, last hosted, declines, owed)."""
    names = {"wat": WAT, "market": MARKET, "garden": GARDEN}
    with session_factory() as s, s.begin():
        for key, (times, last, declines, owed) in rows.items():
            slot = s.scalars(select(HostSlot).where(HostSlot.network_id == world.zone1,
                                                    HostSlot.community_id == world.ids[names[key]])).one()
            slot.times_hosted, slot.last_hosted_at, slot.declines, slot.owed_turns = times, last, declines, owed


def new_activity(session_factory, clock, world: World, *, network: int | None = None, code: str = "HST1",
                 title: str = TITLE, starts: datetime = STARTS) -> int:
    """An activity made directly with the models, its host proposed by the rotation as events.py does."""
    now = clock()
    with session_factory() as s, s.begin():
        activity = Activity(code=code, title=title, organization_id=world.org, network_id=network or world.zone1,
                            starts_at=starts, ends_at=starts + timedelta(hours=3), status=ActivityStatus.PLANNED,
                            host_state=HostState.PROPOSED, created_at=now, updated_at=now, revision=1)
        s.add(activity)
        s.flush()
        act.propose_host(s, activity, now)
        return activity.id


def set_language(session_factory, user_id: str, lang: str) -> None:
    with session_factory() as s, s.begin():
        s.scalars(select(Person).where(Person.line_user_id == user_id)).one().language = lang


def ledger(db, world: World) -> dict[str, tuple[int, object, int, int, int]]:
    """name → (position, times hosted, last hosted date, declines, owed)."""
    db.expire_all()
    slots = db.scalars(select(HostSlot).where(HostSlot.network_id == world.zone1))
    names = {v: k for k, v in world.ids.items()}
    return {names[s.community_id]: (s.position, s.times_hosted,
                                    s.last_hosted_at.astimezone(TIMEZONE).date() if s.last_hosted_at else None,
                                    s.declines, s.owed_turns) for s in slots}


def host_of(db, activity_id: int) -> tuple[str | None, HostState]:
    db.expire_all()
    activity = db.get(Activity, activity_id)
    community = db.get(Community, activity.host_community_id) if activity.host_community_id else None
    return (community.name if community else None), activity.host_state


def log(db) -> list[tuple[str, str | None, str | None, str | None]]:
    """(kind, community, reason, actor's name) in the order written."""
    db.expire_all()
    rows = []
    for entry in db.scalars(select(HostLog).order_by(HostLog.id)):
        community = db.get(Community, entry.community_id) if entry.community_id else None
        actor = db.get(Person, entry.actor_id) if entry.actor_id else None
        rows.append((entry.kind, community.name if community else None, entry.reason,
                     actor.full_name if actor else None))
    return rows


def pushes(fake_line) -> dict[tuple[str, ...], list[dict]]:
    """Every push and multicast the fake LINE server delivered, by recipients (rows are sent concurrently,
    so their order is not fixed)."""
    out = {}
    for r in fake_line.state.deliveries():
        if r.path.endswith("/push"):
            out[(r.body["to"],)] = r.body["messages"]
        elif r.path.endswith("/multicast"):
            out[tuple(r.body["to"])] = r.body["messages"]
    return out


def request_messages(lang: str, activity_id: int, community: str, community_id: int, reason: str,
                     title: str = TITLE) -> list[dict]:
    """The confirm / decline request a proposed host's leaders get."""
    C = T if lang == "th" else E
    when = WHEN if lang == "th" else format_when_en(STARTS)
    details = text_for(lang, "host.ask", community=community, title=title, when=when, reason=reason)
    data = f"id={activity_id}&c={community_id}"
    return [
        {"type": "text", "text": details},
        {"type": "template", "altText": details, "template": {
            "type": "confirm", "text": text_for(lang, "host.ask_question", community=community),
            "actions": [
                {"type": "postback", "label": C["host.confirm_label"], "data": f"a=host_confirm&{data}",
                 "displayText": C["host.confirm_display"]},
                {"type": "postback", "label": C["host.decline_label"], "data": f"a=host_decline&{data}",
                 "displayText": C["host.decline_display"]},
            ]}},
    ]


def order_reason(lang: str, times: int, position: int) -> str:
    return text_for(lang, "host.reason.order", times=times, position=position)


def counts(db, sender: str) -> tuple[int, int, int]:
    """(log rows, rows queued for anyone but the sender, conversations): a refusal leaves all three alone
    (its reply is itself an outbox row, to the sender's chat, which drops its address once sent)."""
    db.expire_all()
    sent_reply = (OutboxMessage.kind == OutboxKind.PUSH) & OutboxMessage.target.is_(None)
    others = select(func.count()).select_from(OutboxMessage).where(
        ~sent_reply, OutboxMessage.target.is_(None) | (OutboxMessage.target != sender))
    return (db.scalar(select(func.count()).select_from(HostLog)), db.scalar(others),
            db.scalar(select(func.count()).select_from(Conversation)))


# --- seeing the rotation ----------------------------------------------------------------------

def test_host_shows_the_order_the_ledger_and_who_is_next(dialog, world, session_factory) -> None:
    set_ledger(session_factory, world, wat=(1, datetime(2026, 8, 15, 9, tzinfo=TIMEZONE), 0, 0),
               market=(1, datetime(2026, 10, 10, 9, tzinfo=TIMEZONE), 1, 1))
    dialog.run([(USERS["member"], "เจ้าภาพ",
                 "ลำดับเจ้าภาพของเครือข่ายโซน 1\n"
                 "1. ชุมชนวัดบางนา: เป็นเจ้าภาพ 1 ครั้ง, ล่าสุดวันเสาร์ที่ 15 สิงหาคม 2569\n"
                 "2. ชุมชนตลาดบางนา: เป็นเจ้าภาพ 1 ครั้ง, ล่าสุดวันเสาร์ที่ 10 ตุลาคม 2569, ค้าง 1 รอบ\n"
                 "3. ชุมชนสวนบางนา: ยังไม่เคยเป็นเจ้าภาพ\n"
                 "➡️ เจ้าภาพครั้งต่อไป: ชุมชนสวนบางนา\n"
                 "เหตุผล: เป็นเจ้าภาพน้อยที่สุด (0 ครั้ง)")])


def test_host_in_english(dialog, world, session_factory) -> None:
    set_ledger(session_factory, world, wat=(1, datetime(2026, 8, 15, 9, tzinfo=TIMEZONE), 0, 0),
               market=(1, datetime(2026, 10, 10, 9, tzinfo=TIMEZONE), 1, 1))
    dialog.run([(USERS["leader"], "host",
                 "Host rotation of เครือข่ายโซน 1\n"
                 "1. ชุมชนวัดบางนา: hosted once, last on 15 August 2026\n"
                 "2. ชุมชนตลาดบางนา: hosted once, last on 10 October 2026, owed 1 turn\n"
                 "3. ชุมชนสวนบางนา: never hosted\n"
                 "➡️ Next host: ชุมชนสวนบางนา\n"
                 "Why: it has hosted the fewest times (0)")])


AUG = datetime(2026, 8, 15, 9, tzinfo=TIMEZONE)
SEP = datetime(2026, 9, 12, 9, tzinfo=TIMEZONE)
OCT = datetime(2026, 10, 10, 9, tzinfo=TIMEZONE)


@pytest.mark.parametrize(
    ("rows", "expected_next", "reason"),
    [
        # All hosted once: the one that waited longest.
        ({"wat": (1, SEP, 0, 0), "market": (1, AUG, 0, 0), "garden": (1, OCT, 0, 0)}, MARKET,
         t("host.reason.longest", times=1, last="วันเสาร์ที่ 15 สิงหาคม 2569")),
        # Never hosted counts as the longest wait.
        ({"wat": (1, SEP, 0, 0), "market": (0, None, 0, 0), "garden": (1, OCT, 0, 0)}, MARKET,
         t("host.reason.least", times=0)),
        ({"wat": (2, SEP, 0, 0), "market": (1, OCT, 0, 0), "garden": (1, None, 0, 0)}, GARDEN,
         t("host.reason.longest", times=1, last=T["host.never"])),
        # Same count, same (no) last date: the list order decides.
        ({"wat": (1, SEP, 0, 0)}, MARKET, order_reason("th", 0, 2)),
        ({}, WAT, order_reason("th", 0, 1)),
    ],
    ids=["longest", "least", "never-is-longest", "order", "order-first"],
)
def test_the_reason_for_the_next_host(dialog, world, session_factory, rows, expected_next, reason) -> None:
    set_ledger(session_factory, world, **rows)
    [reply] = dialog.say(USERS["member"], "เจ้าภาพ")
    assert reply.split("\n")[-2:] == [f"➡️ เจ้าภาพครั้งต่อไป: {expected_next}", f"เหตุผล: {reason}"]


def test_a_community_waiting_to_answer_is_shown_and_not_proposed_twice(dialog, world, session_factory, clock,
                                                                      db) -> None:
    set_ledger(session_factory, world, wat=(1, SEP, 0, 0), market=(1, AUG, 0, 0))
    first = new_activity(session_factory, clock, world)
    assert host_of(db, first) == (GARDEN, HostState.PROPOSED)
    [reply] = dialog.say(USERS["member"], "เจ้าภาพ")
    assert reply.split("\n")[-3:] == [
        t("host.waiting", community=GARDEN, title=TITLE, date="วันอาทิตย์ที่ 20 ธันวาคม 2569"),
        f"➡️ เจ้าภาพครั้งต่อไป: {MARKET}",
        "เหตุผล: " + t("host.reason.longest", times=1, last="วันเสาร์ที่ 15 สิงหาคม 2569"),
    ]
    # A second activity while สวน has not answered goes to the next in line, not to สวน again.
    second = new_activity(session_factory, clock, world, code="HST2", starts=STARTS + timedelta(days=30))
    assert host_of(db, second) == (MARKET, HostState.PROPOSED)


@pytest.mark.parametrize(
    ("user", "text", "expected"),
    [
        (USERS["chair"], "เจ้าภาพ เครือข่ายโซน 2",
         "ลำดับเจ้าภาพของเครือข่ายโซน 2\n1. ชุมชนคลองบางนา: ยังไม่เคยเป็นเจ้าภาพ\n"
         "➡️ เจ้าภาพครั้งต่อไป: ชุมชนคลองบางนา\nเหตุผล: เป็นเจ้าภาพน้อยที่สุด (0 ครั้ง)"),
        (USERS["staff"], "เจ้าภาพ เครือข่ายผู้สูงอายุ",
         "ลำดับเจ้าภาพของเครือข่ายผู้สูงอายุ\n1. ชุมชนคลองบางนา: ยังไม่เคยเป็นเจ้าภาพ\n"
         "➡️ เจ้าภาพครั้งต่อไป: ชุมชนคลองบางนา\nเหตุผล: เป็นเจ้าภาพน้อยที่สุด (0 ครั้ง)"),
        # The canal's leader belongs to zone 2 and to the elderly network: both are theirs to see.
        (USERS["other_leader"], "เจ้าภาพ เครือข่ายผู้สูงอายุ",
         "ลำดับเจ้าภาพของเครือข่ายผู้สูงอายุ\n1. ชุมชนคลองบางนา: ยังไม่เคยเป็นเจ้าภาพ\n"
         "➡️ เจ้าภาพครั้งต่อไป: ชุมชนคลองบางนา\nเหตุผล: เป็นเจ้าภาพน้อยที่สุด (0 ครั้ง)"),
        (USERS["member"], "เจ้าภาพ เครือข่ายโซน 2", t("host.network_not_yours", network=ZONE2)),
        (USERS["member"], "เจ้าภาพ ทะเลสาบ", t("host.network_unknown", text="ทะเลสาบ")),
        (USERS["chair"], "เจ้าภาพ โซน", t("host.network_suggest", text="โซน")),
        (USERS["other_leader"], "เจ้าภาพ",  # default: the sender's own zone
         "ลำดับเจ้าภาพของเครือข่ายโซน 2\n1. ชุมชนคลองบางนา: ยังไม่เคยเป็นเจ้าภาพ\n"
         "➡️ เจ้าภาพครั้งต่อไป: ชุมชนคลองบางนา\nเหตุผล: เป็นเจ้าภาพน้อยที่สุด (0 ครั้ง)"),
        ("U" + "1" * 32, "เจ้าภาพ", t("command.refused", keyword="เจ้าภาพ", role=T["role.1"])),
        ("U" + "1" * 32, "host history", E["command.refused"].format(keyword="host history", role=E["role.1"])),
    ],
    ids=["chair-names-zone2", "staff-names-issue-network", "leader-own-issue-network", "member-other-network",
         "unknown", "suggest", "default-zone", "stranger", "stranger-history"],
)
def test_which_network(dialog, world, user, text, expected) -> None:
    dialog.run([(user, text, expected)])


def test_the_suggestions_are_buttons(dialog, world) -> None:
    dialog.say(USERS["chair"], "เจ้าภาพ โซน")
    assert sorted(dialog.quick_replies()) == [ZONE1, ZONE2]


def test_host_in_a_linked_group_shows_that_groups_network(dialog, world, session_factory, clock) -> None:
    group = "C" + "5" * 32
    with session_factory() as s, s.begin():
        reg.link_chat(s, group, s.get(Community, world.ids[CANAL]), None, clock())
    [reply] = dialog.say(USERS["member"], "บอท เจ้าภาพ", group=group)
    assert reply.split("\n")[0] == "ลำดับเจ้าภาพของเครือข่ายโซน 2"


# --- confirm ----------------------------------------------------------------------------------

def test_the_proposed_hosts_leader_confirms(dialog, world, session_factory, clock, db) -> None:
    activity = new_activity(session_factory, clock, world)
    assert host_of(db, activity) == (WAT, HostState.PROPOSED)
    clock.advance(days=1)
    data = f"a=host_confirm&id={activity}"  # the button events.py sends
    assert dialog.postback(USERS["leader"], data) == [
        f"ขอบคุณครับ 🙏 บันทึกแล้วว่าชุมชนวัดบางนาเป็นเจ้าภาพ “{TITLE}” {WHEN}"]
    assert host_of(db, activity) == (WAT, HostState.CONFIRMED)
    assert ledger(db, world)[WAT] == (1, 1, STARTS.date(), 0, 0)
    assert log(db) == [(HostLogKind.PROPOSED, WAT, None, None), (HostLogKind.CONFIRMED, WAT, None, "คุณleader")]
    # Pressing again counts nothing twice.
    assert dialog.postback(USERS["leader"], data) == [t("host.already_confirmed", community=WAT, title=TITLE)]
    assert ledger(db, world)[WAT] == (1, 1, STARTS.date(), 0, 0)
    assert len(log(db)) == 2


@pytest.mark.postgres_only
def test_two_taps_at_once_count_one_hosting(world, session_factory, clock, db, config, webhook, fake_line) -> None:
    """The leader and the chair tap confirm at the same moment, on two workers: one hosting is counted."""
    activity = new_activity(session_factory, clock, world)
    other = create_app({"SAIYAI_CONFIG": config, "CLOCK": clock})
    workers = [webhook, WebhookClient(other.test_client(), SECRET)]
    start = threading.Barrier(2)

    def tap(worker, user: str) -> None:
        start.wait()
        assert worker.post(ev.postback(f"a=host_confirm&id={activity}", user=user)).status_code == 200

    threads = [threading.Thread(target=tap, args=(w, u)) for w, u in zip(workers, [USERS["leader"], USERS["chair"]], strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.extensions["saiyai"].line.close()
    other.extensions["saiyai.engine"].dispose()
    assert sorted(fake_line.state.texts()) == sorted([
        t("host.confirmed", community=WAT, title=TITLE, when=WHEN),
        t("host.already_confirmed", community=WAT, title=TITLE)])
    assert ledger(db, world)[WAT] == (1, 1, STARTS.date(), 0, 0)
    assert [row[0] for row in log(db)] == [HostLogKind.PROPOSED, HostLogKind.CONFIRMED]


@pytest.mark.parametrize("user", [USERS["chair"], USERS["staff"]])
def test_the_chair_or_staff_may_confirm_for_the_host(dialog, world, session_factory, clock, db, user) -> None:
    activity = new_activity(session_factory, clock, world)
    assert dialog.postback(user, f"a=host_confirm&id={activity}") == [
        t("host.confirmed", community=WAT, title=TITLE, when=WHEN)]
    assert host_of(db, activity) == (WAT, HostState.CONFIRMED)


def test_confirm_in_english(dialog, world, session_factory, clock, db) -> None:
    set_language(session_factory, USERS["leader"], "en")
    activity = new_activity(session_factory, clock, world)
    assert dialog.postback(USERS["leader"], f"a=host_confirm&id={activity}") == [
        "Thank you 🙏 ชุมชนวัดบางนา is now the host of “ประชุมเครือข่ายโซน 1” on Sunday 20 December 2026, 14:00."]


@pytest.mark.parametrize(
    ("user", "action"),
    [(u, a) for u in ("other_leader", "member", "partner", "market_leader", "chair2", "stranger")
     for a in ("host_confirm", "host_decline")],
)
def test_only_the_hosts_leaders_chair_or_staff_may_answer(dialog, world, session_factory, clock, db,
                                                          user, action) -> None:
    users = USERS | {"market_leader": MARKET_LEADER, "chair2": CHAIR2}
    activity = new_activity(session_factory, clock, world)
    before = (counts(db, users[user]), ledger(db, world))
    assert dialog.postback(users[user], f"a={action}&id={activity}") == [
        "ขออภัยครับ คำขอนี้สำหรับผู้นำชุมชนวัดบางนา ประธานเครือข่าย หรือเจ้าหน้าที่เขตเท่านั้นครับ"]
    assert (counts(db, users[user]), ledger(db, world)) == before
    assert host_of(db, activity) == (WAT, HostState.PROPOSED)


@pytest.mark.parametrize(
    ("setup", "data", "expected"),
    [
        ("none", "a=host_confirm&id=999999", T["host.request_unknown"]),
        ("none", "a=host_confirm&id=abc", T["host.request_unknown"]),
        ("cancelled", "a=host_confirm&id={id}", t("host.activity_closed", title=TITLE)),
        ("over", "a=host_decline&id={id}", t("host.activity_closed", title=TITLE)),
        ("moved", "a=host_confirm&id={id}&c={wat}",
         t("host.request_stale", title=TITLE, community=MARKET)),
        ("nobody", "a=host_decline&id={id}", t("host.request_stale_none", title=TITLE)),
    ],
)
def test_answers_that_no_longer_apply(dialog, world, session_factory, clock, db, setup, data, expected) -> None:
    activity = new_activity(session_factory, clock, world)
    with session_factory() as s, s.begin():
        row = s.get(Activity, activity)
        if setup == "cancelled":
            row.status = ActivityStatus.CANCELLED
        elif setup == "moved":  # วัด declined earlier: the request now belongs to ตลาด
            act.decline_host(s, row, "ติดงานบวช", clock())
        elif setup == "nobody":
            row.host_community_id, row.host_state = None, HostState.NONE
    if setup == "over":
        clock.advance(days=60)
    before = counts(db, USERS["leader"])
    assert dialog.postback(USERS["leader"], data.format(id=activity, wat=world.ids[WAT])) == [expected]
    assert counts(db, USERS["leader"]) == before


# --- decline ----------------------------------------------------------------------------------

def test_decline_asks_a_reason_then_moves_the_proposal_on(dialog, world, session_factory, clock, db, jobs,
                                                          fake_line) -> None:
    activity = new_activity(session_factory, clock, world)
    clock.advance(days=1)
    assert dialog.postback(USERS["leader"], f"a=host_decline&id={activity}") == [
        f"ขอทราบเหตุผลที่ชุมชนวัดบางนาไม่สะดวกเป็นเจ้าภาพ “{TITLE}” ครับ พิมพ์สั้น ๆ หรือเลือกจากปุ่ม "
        "(เหตุผลจะบันทึกไว้ในประวัติเจ้าภาพ)"]
    assert dialog.quick_replies() == ["ติดภารกิจในวันนั้น", "สถานที่ไม่พร้อม", "งบประมาณไม่พอ", "ยกเลิก"]
    assert host_of(db, activity) == (WAT, HostState.PROPOSED)  # nothing changes before the reason
    dialog.run([(USERS["leader"], "ตรงกับงานบวชในชุมชน",
                 f"รับทราบครับ บันทึกแล้วว่าชุมชนวัดบางนาไม่สะดวกเป็นเจ้าภาพ “{TITLE}” (เหตุผล: ตรงกับงานบวชในชุมชน) "
                 "ชุมชนวัดบางนายังคงได้สิทธิ์เป็นเจ้าภาพก่อนในรอบถัดไปครับ\n"
                 "สายใยเสนอชุมชนตลาดบางนาเป็นเจ้าภาพแทน และส่งคำขอให้ผู้นำชุมชนแล้วครับ")])
    assert host_of(db, activity) == (MARKET, HostState.PROPOSED)
    assert ledger(db, world)[WAT] == (1, 0, None, 1, 1)  # the turn stays owed
    assert log(db) == [
        (HostLogKind.PROPOSED, WAT, None, None),
        (HostLogKind.DECLINED, WAT, "ตรงกับงานบวชในชุมชน", "คุณleader"),
        (HostLogKind.PROPOSED, MARKET, None, None),  # the rotation's choice, not the leader's
    ]
    assert db.scalar(select(func.count()).select_from(Conversation)) == 0

    fake_line.state.reset()
    assert dispatch_outbox(jobs) == {"sent": 2}
    assert pushes(fake_line) == {
        (MARKET_LEADER,): request_messages("th", activity, MARKET, world.ids[MARKET], order_reason("th", 0, 2)),
        (USERS["chair"],): [{"type": "text", "text":
                             f"แจ้งเรื่องเจ้าภาพครับ: ชุมชนวัดบางนาไม่สะดวกเป็นเจ้าภาพ “{TITLE}” {WHEN} "
                             "(เหตุผล: ตรงกับงานบวชในชุมชน)\n"
                             "สายใยเสนอชุมชนตลาดบางนาเป็นเจ้าภาพแทน และส่งคำขอให้ผู้นำชุมชนแล้วครับ"}],
    }

    # The market's leader answers with the button just pushed; วัด's old button is refused.
    assert dialog.postback(USERS["leader"], f"a=host_confirm&id={activity}") == [
        t("host.not_yours", community=MARKET)]
    assert dialog.postback(MARKET_LEADER, f"a=host_confirm&id={activity}&c={world.ids[MARKET]}") == [
        t("host.confirmed", community=MARKET, title=TITLE, when=WHEN)]
    assert host_of(db, activity) == (MARKET, HostState.CONFIRMED)
    assert {name: row[1:4] for name, row in ledger(db, world).items()} == {
        WAT: (0, None, 1), MARKET: (1, STARTS.date(), 0), GARDEN: (0, None, 0)}
    # วัด's turn is still owed: the next activity asks วัด first.
    nxt = new_activity(session_factory, clock, world, code="HST2", starts=STARTS + timedelta(days=60))
    assert host_of(db, nxt) == (WAT, HostState.PROPOSED)


def test_decline_in_english(dialog, world, session_factory, clock, db, jobs, fake_line) -> None:
    set_language(session_factory, USERS["leader"], "en")
    set_language(session_factory, MARKET_LEADER, "en")
    activity = new_activity(session_factory, clock, world)
    assert dialog.postback(USERS["leader"], f"a=host_decline&id={activity}") == [
        E["host.ask_reason"].format(community=WAT, title=TITLE)]
    assert dialog.quick_replies() == ["Busy that day", "Venue not ready", "No budget", "Cancel"]
    dialog.run([
        (USERS["leader"], "", E["host.reason_needed"]),
        (USERS["leader"], "x" * 501, E["host.reason_too_long"].format(limit=500)),
        (USERS["leader"], "Busy that day",
         f"Noted: ชุมชนวัดบางนา cannot host “{TITLE}” (reason: Busy that day). ชุมชนวัดบางนา keeps its place "
         "first in line for a later turn.\nSaiyai has proposed ชุมชนตลาดบางนา instead and asked its leaders."),
    ])
    fake_line.state.reset()
    dispatch_outbox(jobs)
    assert pushes(fake_line)[(MARKET_LEADER,)] == request_messages(
        "en", activity, MARKET, world.ids[MARKET], order_reason("en", 0, 2))


def test_cancel_while_giving_a_reason_changes_nothing(dialog, world, session_factory, clock, db) -> None:
    activity = new_activity(session_factory, clock, world)
    dialog.postback(USERS["leader"], f"a=host_decline&id={activity}")
    before = ledger(db, world)
    dialog.run([(USERS["leader"], "ยกเลิก", T["flow.cancelled"])])
    assert host_of(db, activity) == (WAT, HostState.PROPOSED)
    assert ledger(db, world) == before
    assert [row[0] for row in log(db)] == [HostLogKind.PROPOSED]
    assert counts(db, USERS["leader"]) == (1, 0, 0)  # the proposal only; nothing queued, no conversation left


def test_a_reason_given_after_someone_else_answered_is_not_applied(dialog, world, session_factory, clock,
                                                                   db) -> None:
    activity = new_activity(session_factory, clock, world)
    dialog.postback(USERS["leader"], f"a=host_decline&id={activity}")
    assert dialog.postback(USERS["chair"], f"a=host_confirm&id={activity}") == [
        t("host.confirmed", community=WAT, title=TITLE, when=WHEN)]
    dialog.run([(USERS["leader"], "ติดงาน", t("host.already_confirmed", community=WAT, title=TITLE))])
    assert ledger(db, world)[WAT] == (1, 1, STARTS.date(), 0, 0)


def test_when_nobody_is_left_the_staff_of_a_chairless_network_are_told(dialog, world, session_factory, clock,
                                                                       db, jobs, fake_line) -> None:
    # Zone 2 has one community (คลอง); its chair is told, or, once it has none, the district's staff.
    with session_factory() as s, s.begin():
        chair2 = s.scalars(select(Person).where(Person.line_user_id == CHAIR2)).one()
        s.delete(chair2)
    activity = new_activity(session_factory, clock, world, network=world.zone2, title="ประชุมโซน 2")
    assert host_of(db, activity) == (CANAL, HostState.PROPOSED)
    dialog.postback(USERS["other_leader"], f"a=host_decline&id={activity}")
    dialog.run([(USERS["other_leader"], "น้ำท่วม",
                 t("host.declined", community=CANAL, title="ประชุมโซน 2", reason="น้ำท่วม") + "\n"
                 + T["host.nobody_left"])])
    assert host_of(db, activity) == (None, HostState.NONE)
    fake_line.state.reset()
    assert dispatch_outbox(jobs) == {"sent": 1}
    assert pushes(fake_line) == {(USERS["staff"],): [{"type": "text", "text": t("host.chair_declined",
        community=CANAL, title="ประชุมโซน 2", when=WHEN, reason="น้ำท่วม") + "\n" + T["host.nobody_left"]}]}


# --- swap -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("สลับเจ้าภาพ ชุมชนวัดบางนา กับ ชุมชนสวนบางนา ตรงกับงานวัด", "ตรงกับงานวัด"),
        ("สลับเจ้าภาพ วัดบางนากับสวนบางนา", None),  # Thai without spaces, short names, no reason
    ],
)
def test_the_chair_swaps_two_communities(dialog, world, session_factory, clock, db, text, reason) -> None:
    dialog.run([(USERS["chair"], text,
                 "สลับลำดับเจ้าภาพของเครือข่ายโซน 1 แล้วครับ: ตอนนี้ชุมชนวัดบางนาอยู่ลำดับที่ 3 และชุมชนสวนบางนาอยู่ลำดับที่ 1\n"
                 "➡️ เจ้าภาพครั้งต่อไป: ชุมชนสวนบางนา\nเหตุผล: " + order_reason("th", 0, 1))])
    assert {name: row[0] for name, row in ledger(db, world).items()} == {WAT: 3, MARKET: 2, GARDEN: 1}
    assert log(db) == [(HostLogKind.SWAPPED, WAT, reason, "คุณchair")]


def test_staff_swap_in_english(dialog, world, db) -> None:
    dialog.run([(USERS["staff"], "swap host ตลาดบางนา with ชุมชนวัดบางนา market day",
                 "Swapped in the host order of เครือข่ายโซน 1: ชุมชนตลาดบางนา is now place 1 and ชุมชนวัดบางนา "
                 "place 2.\n➡️ Next host: ชุมชนตลาดบางนา\nWhy: " + order_reason("en", 0, 1))])
    assert log(db) == [(HostLogKind.SWAPPED, MARKET, "market day", "คุณstaff")]


@pytest.mark.parametrize(
    ("user", "text", "expected"),
    [
        (USERS["leader"], "สลับเจ้าภาพ วัดบางนา กับ ตลาดบางนา",
         "ขออภัยครับ คำสั่ง “สลับเจ้าภาพ” สงวนไว้สำหรับประธานเครือข่ายครับ"),
        (USERS["member"], "swap host วัดบางนา with ตลาดบางนา", E["command.refused"].format(
            keyword="swap host", role=E["role.4"])),
        (CHAIR2, "สลับเจ้าภาพ วัดบางนา กับ ตลาดบางนา",
         "ขออภัยครับ เฉพาะประธานเครือข่ายโซน 1 หรือเจ้าหน้าที่เขตเท่านั้นที่เปลี่ยนเจ้าภาพของเครือข่ายโซน 1 ได้ครับ"),
        (USERS["chair"], "สลับเจ้าภาพ วัดบางนา กับ คลองบางนา",
         t("host.swap_no_network", first=WAT, second=CANAL)),
        (USERS["chair"], "สลับเจ้าภาพ วัดบางนา กับ วัดบางนานอก", t("host.swap_same", community=WAT)),
        (USERS["chair"], "สลับเจ้าภาพ วัดบางนา กับ หนองน้ำ", t("host.community_unknown", text="หนองน้ำ")),
        (USERS["chair"], "สลับเจ้าภาพ หนองน้ำ กับ วัดบางนา", t("host.community_unknown", text="หนองน้ำ")),
        (USERS["chair"], "สลับเจ้าภาพ วัดบางนา", t("host.swap_usage", first="ชุมชนตลาดบางนา", second="ชุมชนวัดบางนา")),
        (USERS["chair"], "สลับเจ้าภาพ", t("host.swap_usage", first="ชุมชนตลาดบางนา", second="ชุมชนวัดบางนา")),
    ],
    ids=["leader", "member-en", "chair-of-another-network", "no-common-network", "same", "unknown-second",
         "unknown-first", "one-community", "empty"],
)
def test_swap_refusals_change_nothing(dialog, world, db, user, text, expected) -> None:
    before = (counts(db, user), ledger(db, world))
    dialog.run([(user, text, expected)])
    assert (counts(db, user), ledger(db, world)) == before


def test_a_swap_reads_the_communities_and_the_rotation_once(dialog, world, statements) -> None:
    # Before: the district's communities and their aliases were read for every reading tried of what was
    # typed (three here: "ตรงกับงานวัด" holds a กับ too), and the rotation twice (22 statements).
    dialog.say(USERS["chair"], "สลับเจ้าภาพ ชุมชนวัดบางนา กับ ชุมชนสวนบางนา ตรงกับงานวัด")
    assert len(statements) == 16, [" ".join(s.split())[:50] for s in statements]


# --- skip -------------------------------------------------------------------------------------

def test_the_chair_skips_the_proposed_host(dialog, world, session_factory, clock, db, jobs, fake_line) -> None:
    activity = new_activity(session_factory, clock, world)
    clock.advance(days=1)
    dialog.run([(USERS["chair"], "ข้ามเจ้าภาพ hst1 ชุมชนประสบน้ำท่วม",
                 f"ข้ามชุมชนวัดบางนาจากการเป็นเจ้าภาพ “{TITLE}” แล้วครับ (เหตุผล: ชุมชนประสบน้ำท่วม) "
                 "ชุมชนวัดบางนายังคงได้สิทธิ์เป็นเจ้าภาพก่อนในรอบถัดไป\n"
                 "สายใยเสนอชุมชนตลาดบางนาเป็นเจ้าภาพแทน และส่งคำขอให้ผู้นำชุมชนแล้วครับ")])
    assert host_of(db, activity) == (MARKET, HostState.PROPOSED)
    assert ledger(db, world)[WAT] == (1, 0, None, 0, 1)
    assert log(db)[1:] == [(HostLogKind.SKIPPED, WAT, "ชุมชนประสบน้ำท่วม", "คุณchair"),
                           (HostLogKind.PROPOSED, MARKET, None, None)]
    fake_line.state.reset()
    assert dispatch_outbox(jobs) == {"sent": 1}  # the chair acted: nobody else to tell
    assert pushes(fake_line) == {
        (MARKET_LEADER,): request_messages("th", activity, MARKET, world.ids[MARKET], order_reason("th", 0, 2))}


def test_a_skip_reads_the_activity_and_the_rotation_once(dialog, world, session_factory, clock, statements) -> None:
    # Every other community of zone 1 is already asked to host something else: the rotation is asked twice
    # (anyone not busy? then anyone at all), and read once for both. The activity is found and locked in
    # one statement (it took two, and the rotation two more).
    new_activity(session_factory, clock, world)
    new_activity(session_factory, clock, world, code="HST2", starts=STARTS + timedelta(days=7))
    new_activity(session_factory, clock, world, code="HST3", starts=STARTS + timedelta(days=14))
    statements.clear()
    [reply] = dialog.say(USERS["chair"], "ข้ามเจ้าภาพ hst1 ชุมชนประสบน้ำท่วม")
    assert reply.startswith(f"ข้ามชุมชนวัดบางนาจากการเป็นเจ้าภาพ “{TITLE}” แล้วครับ")
    assert len(statements) == 21, [" ".join(s.split())[:50] for s in statements]


def test_staff_skip_in_english_tells_the_chair(dialog, world, session_factory, clock, db, jobs, fake_line) -> None:
    activity = new_activity(session_factory, clock, world)
    dialog.run([(USERS["staff"], "skip host HST1 flooded",
                 E["host.skipped"].format(community=WAT, title=TITLE, reason="flooded") + "\n"
                 + E["host.moved_on"].format(next=MARKET))])
    fake_line.state.reset()
    assert dispatch_outbox(jobs) == {"sent": 2}
    assert pushes(fake_line) == {
        (MARKET_LEADER,): request_messages("th", activity, MARKET, world.ids[MARKET], order_reason("th", 0, 2)),
        (USERS["chair"],): [{"type": "text", "text": t("host.chair_skipped",
            actor="คุณstaff", community=WAT, title=TITLE, when=WHEN, reason="flooded") + "\n"
            + t("host.moved_on", next=MARKET)}],
    }
    assert host_of(db, activity) == (MARKET, HostState.PROPOSED)


@pytest.mark.parametrize(
    ("user", "text", "expected"),
    [
        (USERS["leader"], "ข้ามเจ้าภาพ HST1 น้ำท่วม", "ขออภัยครับ คำสั่ง “ข้ามเจ้าภาพ” สงวนไว้สำหรับประธานเครือข่ายครับ"),
        (USERS["partner"], "skip host HST1 flooded", "Sorry, “skip host” is for network chairs only."),
        (CHAIR2, "ข้ามเจ้าภาพ HST1 น้ำท่วม", t("host.not_your_network", network=ZONE1)),
        (USERS["chair"], "ข้ามเจ้าภาพ HST1", t("host.skip_usage", command="ข้ามเจ้าภาพ")),  # a reason is required
        (USERS["chair"], "ข้ามเจ้าภาพ", t("host.skip_usage", command="ข้ามเจ้าภาพ")),
        (USERS["chair"], "ข้ามเจ้าภาพ ZZZZ น้ำท่วม", t("host.code_unknown", code="ZZZZ")),
        (USERS["chair"], "ข้ามเจ้าภาพ HST1 " + "ก" * 501, t("host.reason_too_long", limit=500)),
    ],
    ids=["leader", "partner-en", "chair-of-another-network", "no-reason", "empty", "unknown-code", "long-reason"],
)
def test_skip_refusals_change_nothing(dialog, world, session_factory, clock, db, user, text, expected) -> None:
    activity = new_activity(session_factory, clock, world)
    before = (counts(db, user), ledger(db, world))
    dialog.run([(user, text, expected)])
    assert (counts(db, user), ledger(db, world)) == before
    assert host_of(db, activity) == (WAT, HostState.PROPOSED)


def test_a_confirmed_host_cannot_be_skipped(dialog, world, session_factory, clock, db) -> None:
    new_activity(session_factory, clock, world)
    dialog.postback(USERS["leader"], "a=host_confirm&id=" + str(db.scalars(select(Activity.id)).one()))
    before = (counts(db, USERS["chair"]), ledger(db, world))
    dialog.run([(USERS["chair"], "ข้ามเจ้าภาพ HST1 น้ำท่วม", t("host.skip_confirmed", community=WAT, title=TITLE))])
    assert (counts(db, USERS["chair"]), ledger(db, world)) == before


def test_skipping_the_last_one_leaves_no_host(dialog, world, session_factory, clock, db) -> None:
    activity = new_activity(session_factory, clock, world, network=world.zone2, title="ประชุมโซน 2")
    dialog.run([(CHAIR2, "ข้ามเจ้าภาพ HST1 ไม่มีสถานที่",
                 t("host.skipped", community=CANAL, title="ประชุมโซน 2", reason="ไม่มีสถานที่") + "\n"
                 + T["host.nobody_left"])])
    assert host_of(db, activity) == (None, HostState.NONE)


def test_a_move_updates_the_hosting_date_and_a_cancellation_gives_the_turn_back(world, session_factory, clock,
                                                                              db) -> None:
    """วัด hosted 20 Dec and confirms a second meeting on 10 Jan. Moving that one to 17 Jan moves its last
    hosting date; cancelling it takes the turn back: one time hosted, last on 20 Dec, and a turn owed."""
    first = new_activity(session_factory, clock, world)
    with session_factory() as s, s.begin():
        act.confirm_host(s, s.get(Activity, first), clock())
    second = new_activity(session_factory, clock, world, code="HST2", starts=STARTS + timedelta(days=21))
    with session_factory() as s, s.begin():
        activity = s.get(Activity, second)
        act.propose_chosen_host(s, activity, s.get(Community, world.ids[WAT]), clock())
        act.confirm_host(s, activity, clock())
    assert ledger(db, world)[WAT] == (1, 2, datetime(2027, 1, 10).date(), 0, 0)
    with session_factory() as s, s.begin():
        activity = s.get(Activity, second)
        act.reschedule(activity, STARTS + timedelta(days=28), None, clock())
    assert ledger(db, world)[WAT] == (1, 2, datetime(2027, 1, 17).date(), 0, 0)
    with session_factory() as s, s.begin():
        act.cancel_activity(s.get(Activity, second), clock())
    assert ledger(db, world)[WAT] == (1, 1, STARTS.date(), 0, 1)
    with session_factory() as s, s.begin():
        act.cancel_activity(s.get(Activity, first), clock())
    assert ledger(db, world)[WAT] == (1, 0, None, 0, 2)


# --- history ----------------------------------------------------------------------------------

def history_world(dialog, session_factory, clock, world) -> int:
    """Proposed วัด (21 Nov), วัด declines (22 Nov), ตลาด confirms (23 Nov), the chair swaps (24 Nov)."""
    activity = new_activity(session_factory, clock, world)
    clock.advance(days=1)
    dialog.postback(USERS["leader"], f"a=host_decline&id={activity}")
    dialog.say(USERS["leader"], "ตรงกับงานบวช")
    clock.advance(days=1)
    dialog.postback(MARKET_LEADER, f"a=host_confirm&id={activity}&c={world.ids[MARKET]}")
    clock.advance(days=1)
    dialog.say(USERS["chair"], "สลับเจ้าภาพ วัดบางนา กับ สวนบางนา")
    return activity


def test_history_newest_first_with_dates_actors_and_reasons(dialog, world, session_factory, clock) -> None:
    history_world(dialog, session_factory, clock, world)
    dialog.run([(USERS["member"], "เจ้าภาพ ประวัติ",
                 "ประวัติเจ้าภาพของเครือข่ายโซน 1 (ล่าสุดก่อน)\n"
                 "• วันอังคารที่ 24 พฤศจิกายน 2569: สลับลำดับเจ้าภาพระหว่างชุมชนวัดบางนากับชุมชนสวนบางนา — โดยคุณchair\n"
                 f"• วันจันทร์ที่ 23 พฤศจิกายน 2569: ชุมชนตลาดบางนายืนยันเป็นเจ้าภาพ “{TITLE}” — โดยคุณแม่ค้า\n"
                 f"• วันอาทิตย์ที่ 22 พฤศจิกายน 2569: เสนอชุมชนตลาดบางนาเป็นเจ้าภาพ “{TITLE}” — โดยสายใย (อัตโนมัติ)\n"
                 f"• วันอาทิตย์ที่ 22 พฤศจิกายน 2569: ชุมชนวัดบางนาไม่สะดวกเป็นเจ้าภาพ “{TITLE}” "
                 "เหตุผล: ตรงกับงานบวช — โดยคุณleader\n"
                 f"• วันเสาร์ที่ 21 พฤศจิกายน 2569: เสนอชุมชนวัดบางนาเป็นเจ้าภาพ “{TITLE}” — โดยสายใย (อัตโนมัติ)")])


def test_history_in_english_for_a_named_network(dialog, world, session_factory, clock) -> None:
    history_world(dialog, session_factory, clock, world)
    [reply] = dialog.say(USERS["staff"], "host history เครือข่ายโซน 1")
    assert reply.split("\n")[:3] == [
        "Host history of เครือข่ายโซน 1 (newest first)",
        "• 24 November 2026: ชุมชนวัดบางนา and ชุมชนสวนบางนา swapped places — by คุณchair",
        f"• 23 November 2026: ชุมชนตลาดบางนา confirmed hosting “{TITLE}” — by คุณแม่ค้า",
    ]
    assert reply.split("\n")[4] == (f"• 22 November 2026: ชุมชนวัดบางนา declined hosting “{TITLE}” "
                                    "Reason: ตรงกับงานบวช — by คุณleader")


NAMELESS_STAFF = "U" + "f0" * 16  # granted with `flask org grant-staff`: never registered a name


def grant_nameless_staff(session_factory, clock, world: World) -> None:
    with session_factory() as s, s.begin():
        reg.grant(s, reg.ensure_person(s, NAMELESS_STAFF, clock()), RoleName.STAFF, s.get(Organization, world.org),
                  now=clock())


def test_history_names_nameless_staff_by_role_and_saiyai_for_its_own_proposals(dialog, world, session_factory,
                                                                                clock) -> None:
    grant_nameless_staff(session_factory, clock, world)
    new_activity(session_factory, clock, world)  # the rotation proposes วัด: nobody acted
    clock.advance(days=1)
    dialog.say(NAMELESS_STAFF, "สลับเจ้าภาพ วัดบางนา กับ สวนบางนา")
    dialog.run([
        (USERS["member"], "เจ้าภาพ ประวัติ",
         "ประวัติเจ้าภาพของเครือข่ายโซน 1 (ล่าสุดก่อน)\n"
         "• วันอาทิตย์ที่ 22 พฤศจิกายน 2569: สลับลำดับเจ้าภาพระหว่างชุมชนวัดบางนากับชุมชนสวนบางนา — โดยเจ้าหน้าที่เขต\n"
         f"• วันเสาร์ที่ 21 พฤศจิกายน 2569: เสนอชุมชนวัดบางนาเป็นเจ้าภาพ “{TITLE}” — โดยสายใย (อัตโนมัติ)"),
        (USERS["staff"], "host history เครือข่ายโซน 1",
         "Host history of เครือข่ายโซน 1 (newest first)\n"
         "• 22 November 2026: ชุมชนวัดบางนา and ชุมชนสวนบางนา swapped places — by district staff\n"
         f"• 21 November 2026: ชุมชนวัดบางนา proposed to host “{TITLE}” — by Saiyai (automatic)"),
    ])


def test_the_chair_is_told_nameless_staff_skipped_by_role(dialog, world, session_factory, clock, jobs,
                                                          fake_line) -> None:
    grant_nameless_staff(session_factory, clock, world)
    new_activity(session_factory, clock, world)
    dialog.say(NAMELESS_STAFF, "ข้ามเจ้าภาพ HST1 น้ำท่วม")
    fake_line.state.reset()
    assert dispatch_outbox(jobs) == {"sent": 2}
    assert pushes(fake_line)[(USERS["chair"],)] == [{"type": "text", "text": t("host.chair_skipped",
        actor="เจ้าหน้าที่เขต", community=WAT, title=TITLE, when=WHEN, reason="น้ำท่วม") + "\n"
        + t("host.moved_on", next=MARKET)}]


def test_a_change_by_someone_since_forgotten_is_not_saiyais(dialog, world, session_factory, clock) -> None:
    dialog.say(USERS["chair"], "สลับเจ้าภาพ วัดบางนา กับ สวนบางนา")
    with session_factory() as s, s.begin():
        reg.forget_person(s, s.scalars(select(Person).where(Person.line_user_id == USERS["chair"])).one(), clock())
    dialog.run([(USERS["member"], "เจ้าภาพ ประวัติ",
                 "ประวัติเจ้าภาพของเครือข่ายโซน 1 (ล่าสุดก่อน)\n"
                 "• วันเสาร์ที่ 21 พฤศจิกายน 2569: สลับลำดับเจ้าภาพระหว่างชุมชนวัดบางนากับชุมชนสวนบางนา "
                 "— โดยผู้ใช้ที่ไม่ระบุชื่อ")])


def test_a_proposal_by_someone_since_forgotten_is_not_saiyais(dialog, world, session_factory, clock) -> None:
    """The chair named the host (as the create flow lets them); erasing the chair keeps it a person's proposal,
    while the rotation's own proposal after a decline stays Saiyai's."""
    activity = new_activity(session_factory, clock, world)
    clock.advance(days=1)
    with session_factory() as s, s.begin():
        chair = s.scalars(select(Person).where(Person.line_user_id == USERS["chair"])).one()
        act.propose_chosen_host(s, s.get(Activity, activity), s.get(Community, world.ids[MARKET]), clock(), actor=chair)
    clock.advance(days=1)
    dialog.postback(MARKET_LEADER, f"a=host_decline&id={activity}")
    dialog.say(MARKET_LEADER, "ติดงานวัด")
    with session_factory() as s, s.begin():
        reg.forget_person(s, s.scalars(select(Person).where(Person.line_user_id == USERS["chair"])).one(), clock())
    [reply] = dialog.say(USERS["member"], "เจ้าภาพ ประวัติ")
    assert reply.split("\n")[2:4] == [
        f"• วันจันทร์ที่ 23 พฤศจิกายน 2569: ชุมชนตลาดบางนาไม่สะดวกเป็นเจ้าภาพ “{TITLE}” เหตุผล: ติดงานวัด — โดยคุณแม่ค้า",
        f"• วันอาทิตย์ที่ 22 พฤศจิกายน 2569: เสนอชุมชนตลาดบางนาเป็นเจ้าภาพ “{TITLE}” — โดยผู้ใช้ที่ไม่ระบุชื่อ",
    ]
    assert reply.split("\n")[1].endswith("— โดยสายใย (อัตโนมัติ)")


@pytest.mark.parametrize(
    ("user", "text", "expected"),
    [
        (USERS["member"], "เจ้าภาพ ประวัติ", t("host.history_empty", network=ZONE1)),
        (USERS["member"], "เจ้าภาพ ประวัติ เครือข่ายโซน 2", t("host.network_not_yours", network=ZONE2)),
        (CHAIR2, "host history", E["host.history_empty"].format(network=ZONE2)),
    ],
)
def test_history_empty_and_refused(dialog, world, user, text, expected) -> None:
    dialog.run([(user, text, expected)])


@pytest.mark.postgres_only
def test_two_turns_of_one_host_confirmed_at_once_are_both_counted(world, session_factory, clock, db) -> None:
    """Two activities hosted by the same community, confirmed in two transactions at the same time:
    the ledger row is locked, so the second confirmation waits and counts on top of the first."""
    first = new_activity(session_factory, clock, world, code="HST1")
    second = new_activity(session_factory, clock, world, code="HST2", starts=STARTS + timedelta(days=7))
    with session_factory() as s, s.begin():
        s.get(Activity, second).host_community_id = world.ids[WAT]

    def confirm(activity_id: int) -> None:
        with session_factory() as s, s.begin():
            act.confirm_host(s, s.get(Activity, activity_id), clock())

    with session_factory() as s, s.begin():
        act.confirm_host(s, s.get(Activity, first), clock())
        racer = threading.Thread(target=confirm, args=(second,))
        racer.start()
        racer.join(0.5)
        assert racer.is_alive()  # waiting for the ledger row the first confirmation holds
    racer.join(10)
    assert ledger(db, world)[WAT][1] == 2


# --- the groups hear who hosts, once (issue 17, item 15) ----------------------------------------

GROUP = "C" + "a" * 32
WHEN_RANGE = "วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00–17:00 น."


def link_zone_group(session_factory, clock, world: World) -> None:
    with session_factory() as s, s.begin():
        reg.link_chat(s, GROUP, s.get(Community, world.ids[WAT]), None, clock())


@pytest.mark.parametrize("how", ["decline", "skip"])
def test_a_host_confirmed_after_a_decline_or_skip_is_told_to_the_groups_once(dialog, world, session_factory, clock,
                                                                             db, jobs, fake_line, how) -> None:
    """The groups' card named วัด "awaiting confirmation"; วัด declines (or the chair skips it) and ตลาด
    confirms: the linked group is told once who hosts now; the confirmer is told the group heard."""
    link_zone_group(session_factory, clock, world)
    activity = new_activity(session_factory, clock, world)
    if how == "decline":
        dialog.postback(USERS["leader"], f"a=host_decline&id={activity}")
        dialog.say(USERS["leader"], "ตรงกับงานบวชในชุมชน")
    else:
        dialog.say(USERS["chair"], "ข้ามเจ้าภาพ HST1 ศาลาซ่อมอยู่")
    assert dialog.postback(MARKET_LEADER, f"a=host_confirm&id={activity}&c={world.ids[MARKET]}") == [
        t("host.confirmed", community=MARKET, title=TITLE, when=WHEN) + "\n" + t("event.groups_notified", count=1)]
    fake_line.state.reset()
    dispatch_outbox(jobs)
    told = t("host.groups_confirmed", title=TITLE, code="HST1", community=MARKET, when=WHEN_RANGE) + "\n" + \
        t("host.groups_instead", community=WAT)
    assert pushes(fake_line)[(GROUP,)] == [{"type": "text", "text": told}]
    # A second tap (another leader, another worker) tells nobody again.
    assert dialog.postback(MARKET_LEADER, f"a=host_confirm&id={activity}&c={world.ids[MARKET]}") == [
        t("host.already_confirmed", community=MARKET, title=TITLE)]
    fake_line.state.reset()
    assert dispatch_outbox(jobs) == {}


def test_the_host_the_card_named_confirming_tells_the_groups_nothing(dialog, world, session_factory, clock, db, jobs,
                                                                     fake_line) -> None:
    link_zone_group(session_factory, clock, world)
    activity = new_activity(session_factory, clock, world)
    assert dialog.postback(USERS["leader"], f"a=host_confirm&id={activity}") == [
        t("host.confirmed", community=WAT, title=TITLE, when=WHEN)]
    fake_line.state.reset()
    assert dispatch_outbox(jobs) == {}
