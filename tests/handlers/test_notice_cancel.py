"""Cancelling a scheduled notice (`ยกเลิกประกาศ` / `cancel notice`) as conversation tables, with exact
catalogue texts: who may, the buttons, bad input, and that the scheduler then sends nothing of it.

The scheduler's jobs run by hand with the test clock (`send_notices` queues, `dispatch_outbox` sends,
`settle_notices` settles); what LINE received is read back from the fake LINE server.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import event, func, select

from handlers.catalog import en, th
from handlers.notices import notice_messages
from handlers.services import notices as svc
from models import ChannelState, Conversation, Notice, NoticeScope, NoticeStatus, OutboxMessage, Person
from scheduler import notices as notice_jobs
from scheduler.jobs import dispatch_outbox
from support.dialog import Dialog
from support.registry import USERS
from support.texts import bangkok, e, t

T, E = th.TEXT, en.TEXT
LEADER, MEMBER, CHAIR, STAFF = USERS["leader"], USERS["member"], USERS["chair"], USERS["staff"]
PARTNER, STRANGER, CANAL_LEADER = USERS["partner"], USERS["stranger"], USERS["other_leader"]
GROUP = "C" + "a" * 32
SUNDAY_TH = "วันอาทิตย์ที่ 22 พฤศจิกายน 2569 เวลา 09:00 น."
SUNDAY_EN = "Sunday 22 November 2026, 09:00"
MONDAY_TH = "วันจันทร์ที่ 23 พฤศจิกายน 2569 เวลา 08:30 น."


@pytest.fixture
def dialog(fake_line, webhook, second_worker):
    yield Dialog(fake_line, webhook, second_worker)
    # LINE (the fake, validating with the SDK's models) accepted every reply, push and multicast.
    assert [(r.path, r.status) for r in fake_line.state.requests if r.status != 200] == []


SCHEDULED_AT = bangkok(2026, 11, 21, 10)


def schedule(session_factory, district, author: str, text: str, send_at: datetime, *,
             community: str = "wat", now: datetime = SCHEDULED_AT) -> int:
    """A notice from `author` to everyone in a community, waiting for `send_at`; returns its number."""
    with session_factory() as session, session.begin():
        audience = svc.Audience(district.org.id, NoticeScope.COMMUNITY, community_id=getattr(district, community).id,
                                author_id=district.people[author].id)
        return svc.create_notice(session, audience, text=text, now=now, send_at=send_at).id


def status_of(db, number: int) -> NoticeStatus:
    db.expire_all()
    return NoticeStatus(db.get(Notice, number).status)


def quick(fake_line) -> list[tuple[str, str]]:
    """(label, postback data or text) of the quick-reply buttons on the bot's last message."""
    last = fake_line.state.requests[-1].body["messages"][-1]
    return [(item["action"]["label"], item["action"].get("data") or item["action"].get("text"))
            for item in (last.get("quickReply") or {}).get("items", [])]


def delivered(fake_line, since: int) -> list[tuple[str, dict]]:
    """(recipient, message) of every push and multicast LINE accepted after request number `since`."""
    found = []
    for r in fake_line.state.requests[since:]:
        if r.delivered and r.path in ("/v2/bot/message/push", "/v2/bot/message/multicast"):
            recipients = r.body["to"] if isinstance(r.body["to"], list) else [r.body["to"]]
            found.extend((to, m) for to in recipients for m in r.body["messages"])
    return found


def send_all(jobs) -> dict[str, int]:
    """What the scheduler does every few seconds: queue due notices, send the outbox, settle."""
    notice_jobs.send_notices(jobs)
    counts = dispatch_outbox(jobs)
    notice_jobs.settle_notices(jobs)
    return counts


def confirmation(lang: str, number: int, text: str, when: str, people: int, author: str | None = None) -> str:
    cat = T if lang == "th" else E
    lines = [cat["notice.ask_cancel"], cat["notice.cancel_item"].format(number=number, when=when, text=text),
             cat["notice.preview_to"].format(roles=cat["notice.role.everyone"], target="ชุมชนวัดบางนา")]
    if author:
        lines.append(cat["notice.cancel_author"].format(name=author))
    return "\n".join(lines + [cat["notice.ask_cancel_note"].format(people=people)])


# --- the whole way: schedule, cancel, and nothing goes out ----------------------------------------

def test_a_leader_cancels_from_the_scheduled_reply_and_the_scheduler_sends_nothing(dialog, district, db, jobs,
                                                                                   clock, fake_line) -> None:
    # Composing, step by step with its exact replies, is test_notices.py's; here it only leads to "ส่ง".
    for answer in ("ประกาศ", "ทุกคน", "ประชุมชุมชนวันอาทิตย์", "ข้าม", "พรุ่งนี้ 9 โมง"):
        dialog.say(LEADER, answer)
    dialog.run([(LEADER, "ส่ง", t("notice.scheduled", when=SUNDAY_TH, people="4", keyword="ยกเลิกประกาศ",
                                    number=1))])
    assert quick(fake_line) == [("ยกเลิกประกาศนี้", "a=notice_cancel_ask&n=1&l=th")]
    assert dialog.postback(LEADER, "a=notice_cancel_ask&n=1&l=th") == [
        "ยืนยันยกเลิกประกาศนี้ไหมครับ\n"
        "เลขที่ 1 · ส่งวันอาทิตย์ที่ 22 พฤศจิกายน 2569 เวลา 09:00 น.\n"
        "“ประชุมชุมชนวันอาทิตย์”\n"
        "ถึง: ทุกคน · ชุมชนวัดบางนา\n"
        "เมื่อยกเลิกแล้ว ประกาศนี้จะไม่ถูกส่งถึงผู้รับทั้ง 4 คน"]
    assert quick(fake_line) == [("ยืนยันยกเลิก", "a=notice_cancel&n=1&l=th"), ("ไม่ยกเลิก", "a=notice_keep&n=1&l=th")]
    assert status_of(db, 1) == NoticeStatus.SCHEDULED  # asking changes nothing
    assert dialog.postback(LEADER, "a=notice_cancel&n=1&l=th") == [
        "❌ ยกเลิกประกาศเลขที่ 1 “ประชุมชุมชนวันอาทิตย์” แล้วครับ ประกาศนี้จะไม่ถูกส่งถึงใคร"]
    assert status_of(db, 1) == NoticeStatus.CANCELLED
    assert db.scalar(select(func.count()).select_from(Conversation)) == 0

    # The send time comes and goes, and a day after it (the nudge): LINE gets nothing of it.
    before = len(fake_line.state.requests)
    clock.now = bangkok(2026, 11, 22, 9)
    assert send_all(jobs) == {}
    clock.now = bangkok(2026, 11, 23, 10)
    assert send_all(jobs) == {}
    assert notice_jobs.nudge_unacknowledged(jobs) == 0
    assert delivered(fake_line, before) == []
    assert db.scalars(select(OutboxMessage.topic).where(OutboxMessage.topic.like("notice:%"))).all() == []
    assert status_of(db, 1) == NoticeStatus.CANCELLED
    # The status and the list say so; a second tap on the old button changes nothing.
    dialog.run([
        (LEADER, "ประกาศ สถานะ", "\n\n".join([T["notice.status_header"], t(
            "notice.status_item", text="ประชุมชุมชนวันอาทิตย์", state=T["notice.state.cancelled"])])),
        (LEADER, "ยกเลิกประกาศ", T["notice.cancel_none"]),
    ])
    assert dialog.postback(LEADER, "a=notice_cancel&n=1&l=th") == [t("notice.cancel_already", number=1)]
    dialog.run([(MEMBER, "ข่าว", T["news.none"])])  # nor is it anyone's news


def test_the_list_shows_the_senders_own_scheduled_notices_next_first(dialog, district, session_factory, db, jobs,
                                                                     clock, fake_line) -> None:
    later = schedule(session_factory, district, "leader", "ตรวจสุขภาพผู้สูงอายุ", bangkok(2026, 11, 23, 8, 30))
    sooner = schedule(session_factory, district, "leader", "ประชุมชุมชนวันอาทิตย์", bangkok(2026, 11, 22, 9))
    sent = schedule(session_factory, district, "leader", "ส่งไปแล้ว", bangkok(2026, 11, 21, 10))
    schedule(session_factory, district, "other_leader", "ลอกคลอง", bangkok(2026, 11, 22, 9), community="canal")
    send_all(jobs)  # the one due now goes out
    assert status_of(db, sent) == NoticeStatus.SENT
    dialog.run([(LEADER, "ยกเลิกประกาศ", "\n\n".join([
        t("notice.cancel_list_header", count=2),
        "\n".join([t("notice.cancel_item", number=sooner, when=SUNDAY_TH, text="ประชุมชุมชนวันอาทิตย์"),
                   t("notice.preview_to", roles="ทุกคน", target="ชุมชนวัดบางนา")]),
        "\n".join([t("notice.cancel_item", number=later, when=MONDAY_TH, text="ตรวจสุขภาพผู้สูงอายุ"),
                   t("notice.preview_to", roles="ทุกคน", target="ชุมชนวัดบางนา")])]))])
    assert quick(fake_line) == [(f"ยกเลิก เลขที่ {sooner}", f"a=notice_cancel_ask&n={sooner}&l=th"),
                                (f"ยกเลิก เลขที่ {later}", f"a=notice_cancel_ask&n={later}&l=th")]
    # Chosen, then kept: nothing changes.
    assert dialog.postback(LEADER, f"a=notice_cancel_ask&n={later}&l=th") == [
        confirmation("th", later, "ตรวจสุขภาพผู้สูงอายุ", MONDAY_TH, 4)]
    assert dialog.postback(LEADER, f"a=notice_keep&n={later}&l=th") == [t("notice.cancel_kept", number=later)]
    assert status_of(db, later) == NoticeStatus.SCHEDULED
    # Typed with its number (spaced keyword, Thai digits, "เลขที่" all work), then confirmed.
    asked = confirmation("th", sooner, "ประชุมชุมชนวันอาทิตย์", SUNDAY_TH, 4)
    dialog.run([
        (LEADER, f"ยกเลิกประกาศ {sooner}", asked),
        (LEADER, f"ยกเลิก ประกาศ เลขที่ {str(sooner).translate(str.maketrans('0123456789', '๐๑๒๓๔๕๖๗๘๙'))}", asked),
    ])
    assert dialog.postback(LEADER, f"a=notice_cancel&n={sooner}&l=th") == [
        t("notice.cancelled", number=sooner, text="ประชุมชุมชนวันอาทิตย์")]
    assert [status_of(db, n) for n in (sooner, later, sent)] == [
        NoticeStatus.CANCELLED, NoticeStatus.SCHEDULED, NoticeStatus.SENT]
    # The other notice still goes out on time, the cancelled one never.
    before = len(fake_line.state.requests)
    clock.now = bangkok(2026, 11, 23, 8, 30)
    assert send_all(jobs) == {"sent": 1}
    texts = {m["altText"] for _, m in delivered(fake_line, before)}
    assert texts == {t("notice.alt", text="ตรวจสุขภาพผู้สูงอายุ")}


def test_staff_cancel_a_leaders_notice_in_english_and_the_author_is_told(dialog, district, session_factory, db,
                                                                        jobs, fake_line) -> None:
    wat = schedule(session_factory, district, "leader", "ประชุมชุมชนวันอาทิตย์", bangkok(2026, 11, 22, 9))
    canal = schedule(session_factory, district, "other_leader", "ลอกคลอง", bangkok(2026, 11, 23, 8, 30),
                     community="canal")
    dialog.run([(STAFF, "cancel notice", "\n\n".join([
        e("notice.cancel_list_header", count=2),
        "\n".join([e("notice.cancel_item", number=wat, when=SUNDAY_EN, text="ประชุมชุมชนวันอาทิตย์"),
                   e("notice.preview_to", roles="Everyone", target="ชุมชนวัดบางนา"),
                   e("notice.cancel_author", name="คุณleader")]),
        "\n".join([e("notice.cancel_item", number=canal, when="Monday 23 November 2026, 08:30", text="ลอกคลอง"),
                   e("notice.preview_to", roles="Everyone", target="ชุมชนคลองบางนา"),
                   e("notice.cancel_author", name="คุณother_leader")])]))])
    assert quick(fake_line) == [(f"Cancel No. {wat}", f"a=notice_cancel_ask&n={wat}&l=en"),
                                (f"Cancel No. {canal}", f"a=notice_cancel_ask&n={canal}&l=en")]
    assert dialog.postback(STAFF, f"a=notice_cancel_ask&n={wat}&l=en") == [
        confirmation("en", wat, "ประชุมชุมชนวันอาทิตย์", SUNDAY_EN, 4, author="คุณleader")]
    assert quick(fake_line) == [("Yes, cancel it", f"a=notice_cancel&n={wat}&l=en"),
                                ("Keep it", f"a=notice_keep&n={wat}&l=en")]
    assert dialog.postback(STAFF, f"a=notice_cancel&n={wat}&l=en") == ["\n".join([
        e("notice.cancelled", number=wat, text="ประชุมชุมชนวันอาทิตย์"),
        e("notice.cancel_author_told", name="คุณleader")])]
    assert status_of(db, wat) == NoticeStatus.CANCELLED
    # The author, who chose no language, is told in Thai; nothing of the notice goes out.
    before = len(fake_line.state.requests)
    assert dispatch_outbox(jobs) == {"sent": 1}
    assert [(to, m["text"]) for to, m in delivered(fake_line, before)] == [(LEADER, (
        f"❌ ประกาศเลขที่ {wat} “ประชุมชุมชนวันอาทิตย์” ที่คุณตั้งเวลาส่งวันอาทิตย์ที่ 22 พฤศจิกายน 2569 เวลา 09:00 น. "
        "ถูกยกเลิกโดยคุณstaff จึงจะไม่ถูกส่งครับ"))]
    assert status_of(db, canal) == NoticeStatus.SCHEDULED


def test_plain_cancel_still_ends_a_conversation_and_the_new_command_is_reachable(dialog, district, session_factory,
                                                                                 fake_line) -> None:
    number = schedule(session_factory, district, "leader", "ประชุมชุมชนวันอาทิตย์", bangkok(2026, 11, 22, 9))
    asked = confirmation("th", number, "ประชุมชุมชนวันอาทิตย์", SUNDAY_TH, 4)
    dialog.run([
        (LEADER, "ประกาศ", t("notice.ask_roles", target="ชุมชนวัดบางนา")),
        (LEADER, "ยกเลิก", T["flow.cancelled"]),
        (LEADER, "ยกเลิก", T["flow.nothing_to_cancel"]),
        (LEADER, "cancel", E["flow.nothing_to_cancel"]),
        (LEADER, f"ยกเลิกประกาศ {number}", asked),
        (LEADER, f"  ยกเลิกประกาศ   {number} ", asked),
        (LEADER, f"Cancel Notice #{number}", confirmation("en", number, "ประชุมชุมชนวันอาทิตย์", SUNDAY_EN, 4)),
        (LEADER, f"cancel notice no. {number}", confirmation("en", number, "ประชุมชุมชนวันอาทิตย์", SUNDAY_EN, 4)),
    ])


def test_the_list_shows_twelve_with_a_button_each_and_counts_the_rest(dialog, district, session_factory,
                                                                      fake_line) -> None:
    numbers = [schedule(session_factory, district, "staff", f"ประกาศที่ {n}", bangkok(2026, 11, 22, 9, n))
               for n in range(13)]
    replies = dialog.say(STAFF, "ยกเลิกประกาศ")
    assert replies[0].split("\n\n")[0] == t("notice.cancel_list_header", count=13)
    assert replies[0].split("\n\n")[-1] == t("notice.cancel_list_more", count=1, limit=12)
    buttons = quick(fake_line)
    assert [data for _, data in buttons] == [f"a=notice_cancel_ask&n={n}&l=th" for n in numbers[:12]]
    assert all(len(label) <= 20 for label, _ in buttons)


# --- who may cancel -------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["stranger", "member", "partner"])
def test_below_leaders_the_command_and_its_buttons_are_refused(dialog, district, session_factory, db, who) -> None:
    number = schedule(session_factory, district, "leader", "ประชุมชุมชนวันอาทิตย์", bangkok(2026, 11, 22, 9))
    user = USERS[who]
    refused_th = t("command.refused", keyword="ยกเลิกประกาศ", role=T["role.3"])
    refused_en = e("command.refused", keyword="cancel notice", role=E["role.3"])
    dialog.run([
        (user, "ยกเลิกประกาศ", refused_th),
        (user, f"ยกเลิกประกาศ {number}", refused_th),
        (user, f"cancel notice {number}", refused_en),
    ])
    assert dialog.postback(user, f"a=notice_cancel_ask&n={number}&l=th") == [refused_th]
    assert dialog.postback(user, f"a=notice_cancel&n={number}&l=en") == [refused_en]
    assert status_of(db, number) == NoticeStatus.SCHEDULED


def test_the_refusal_reads_well(dialog, district, session_factory) -> None:
    number = schedule(session_factory, district, "leader", "ประชุม", bangkok(2026, 11, 22, 9))
    dialog.run([
        (MEMBER, f"ยกเลิกประกาศ {number}", "ขออภัยครับ คำสั่ง “ยกเลิกประกาศ” สงวนไว้สำหรับผู้นำชุมชนครับ"),
        (CANAL_LEADER, f"ยกเลิกประกาศ {number}",
         f"ขออภัยครับ ประกาศเลขที่ {number} ยกเลิกได้เฉพาะผู้ส่งประกาศและเจ้าหน้าที่เขตครับ"),
    ])


@pytest.mark.parametrize("who", ["other_leader", "chair"])
def test_a_leader_or_chair_who_did_not_send_it_is_refused(dialog, district, session_factory, db, fake_line,
                                                          who) -> None:
    number = schedule(session_factory, district, "leader", "ประชุมชุมชนวันอาทิตย์", bangkok(2026, 11, 22, 9))
    user = USERS[who]
    dialog.run([
        (user, "ยกเลิกประกาศ", T["notice.cancel_none"]),  # someone else's notice is not listed
        (user, f"ยกเลิกประกาศ {number}", t("notice.cancel_not_yours", number=number)),
        (user, f"cancel notice {number}", e("notice.cancel_not_yours", number=number)),
    ])
    assert dialog.postback(user, f"a=notice_cancel_ask&n={number}&l=th") == [
        t("notice.cancel_not_yours", number=number)]
    assert dialog.postback(user, f"a=notice_cancel&n={number}&l=th") == [t("notice.cancel_not_yours", number=number)]
    assert status_of(db, number) == NoticeStatus.SCHEDULED
    assert [r for r in fake_line.state.requests if r.path != "/v2/bot/message/reply"] == []  # nobody told anything


def test_cancelling_stays_out_of_groups(dialog, district, session_factory, db) -> None:
    number = schedule(session_factory, district, "leader", "ประชุมชุมชนวันอาทิตย์", bangkok(2026, 11, 22, 9))
    wrong_chat = t("command.wrong_chat_group", keyword="ยกเลิกประกาศ")
    dialog.run([(LEADER, f"บอท ยกเลิกประกาศ {number}", wrong_chat, GROUP)])
    # A button tapped in a group (forwarded, or an old one) would show the notice to the whole group.
    assert dialog.postback(LEADER, f"a=notice_cancel_ask&n={number}&l=th", group=GROUP) == [wrong_chat]
    assert dialog.postback(LEADER, f"a=notice_cancel&n={number}&l=th", group=GROUP) == [wrong_chat]
    assert status_of(db, number) == NoticeStatus.SCHEDULED


# --- bad input and stale buttons ------------------------------------------------------------------

@pytest.mark.parametrize(("text", "reply"), [
    ("ยกเลิกประกาศ ประชุม", t("notice.cancel_usage", keyword="ยกเลิกประกาศ")),
    ("ยกเลิกประกาศ 1 2", t("notice.cancel_usage", keyword="ยกเลิกประกาศ")),
    ("ยกเลิกประกาศ 1234567890", t("notice.cancel_usage", keyword="ยกเลิกประกาศ")),
    ("cancel notice -1", e("notice.cancel_usage", keyword="cancel notice")),
    ("ยกเลิกประกาศ 999", t("notice.cancel_unknown", number=999, keyword="ยกเลิกประกาศ")),
    ("cancel notice 999", e("notice.cancel_unknown", number=999, keyword="cancel notice")),
], ids=["words", "two-numbers", "too-long", "negative", "unknown", "unknown-en"])
def test_bad_input_gets_a_polite_reply_and_changes_nothing(dialog, district, session_factory, db, text,
                                                           reply) -> None:
    number = schedule(session_factory, district, "leader", "ประชุม", bangkok(2026, 11, 22, 9))
    dialog.run([(LEADER, text, reply)])
    assert status_of(db, number) == NoticeStatus.SCHEDULED


@pytest.mark.parametrize("data", ["a=notice_cancel&n=999", "a=notice_cancel&n=x", "a=notice_cancel",
                                  "a=notice_cancel&n=99999999999", "a=notice_cancel_ask&n=999",
                                  "a=notice_keep&n=999", "a=notice_cancel&n=๑"])
def test_a_button_naming_no_notice_is_unknown(dialog, district, session_factory, db, data) -> None:
    number = schedule(session_factory, district, "leader", "ประชุม", bangkok(2026, 11, 22, 9))
    assert dialog.postback(LEADER, data) == [T["postback.unknown"]]
    assert status_of(db, number) == NoticeStatus.SCHEDULED


def test_a_notice_that_went_out_or_is_going_out_cannot_be_cancelled(dialog, district, session_factory, db, jobs,
                                                                    clock, fake_line) -> None:
    number = schedule(session_factory, district, "leader", "ประชุมชุมชนวันอาทิตย์", bangkok(2026, 11, 22, 9))
    asked = confirmation("th", number, "ประชุมชุมชนวันอาทิตย์", SUNDAY_TH, 4)
    dialog.run([(LEADER, f"ยกเลิกประกาศ {number}", asked)])
    # The send time comes while the confirmation waits: the scheduler queues it (no LINE call yet).
    clock.now = bangkok(2026, 11, 22, 9)
    assert notice_jobs.send_notices(jobs) == 4
    assert status_of(db, number) == NoticeStatus.SENDING
    sending = t("notice.cancel_sending", number=number)
    assert dialog.postback(LEADER, f"a=notice_cancel&n={number}&l=th") == [sending]
    dialog.run([(LEADER, f"ยกเลิกประกาศ {number}", sending), (LEADER, "ยกเลิกประกาศ", T["notice.cancel_none"])])
    assert status_of(db, number) == NoticeStatus.SENDING
    # ...and it goes out to everyone as queued.
    before = len(fake_line.state.requests)
    assert dispatch_outbox(jobs) == {"sent": 1}
    assert sorted(to for to, _ in delivered(fake_line, before)) == sorted([CHAIR, MEMBER, PARTNER, STAFF])
    notice_jobs.settle_notices(jobs)
    assert status_of(db, number) == NoticeStatus.SENT
    dialog.run([(LEADER, f"ยกเลิกประกาศ {number}", t("notice.cancel_sent", number=number, when=SUNDAY_TH)),
                (LEADER, f"cancel notice {number}", e("notice.cancel_sent", number=number, when=SUNDAY_EN))])
    assert dialog.postback(LEADER, f"a=notice_cancel&n={number}&l=en") == [
        e("notice.cancel_sent", number=number, when=SUNDAY_EN)]


# --- the race with the scheduler ------------------------------------------------------------------

def test_a_cancel_committed_while_the_scheduler_queues_the_notice_wins(district, session_factory, db, clock,
                                                                      db_url) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL: the scheduler holds the notice's row lock, so the cancel waits and sees it sending")
    number = schedule(session_factory, district, "leader", "ประชุม", clock())  # due now
    cancelled = []

    def cancel_meanwhile(state) -> None:
        # After queue_page has read the notice as scheduled and before it writes anything: SQLite has
        # no row locks, so a web worker's cancel can commit right there.
        if not cancelled and state.is_select and ChannelState in {m.class_ for m in state.all_mappers}:
            with session_factory() as web, web.begin():
                cancelled.append(svc.cancel_notice(web, web.get(Notice, number)))

    with session_factory() as scheduler, scheduler.begin():
        event.listen(scheduler, "do_orm_execute", cancel_meanwhile)
        assert svc.queue_page(scheduler, number, clock(), notice_messages) is None
    assert cancelled == [True]
    assert status_of(db, number) == NoticeStatus.CANCELLED
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db.get(ChannelState, svc.QUEUE_CURSOR + str(number)) is None


def test_a_notice_the_scheduler_started_is_not_cancelled(district, session_factory, db, clock) -> None:
    number = schedule(session_factory, district, "leader", "ประชุม", clock())
    with session_factory() as web, web.begin():
        notice = web.get(Notice, number)  # read before the scheduler starts it
        with session_factory() as scheduler, scheduler.begin():
            assert svc.queue_page(scheduler, number, clock(), notice_messages).people == 4
        assert svc.cancel_notice(web, notice) is False
        assert notice.status == NoticeStatus.SENDING  # read afresh for the reply
    assert status_of(db, number) == NoticeStatus.SENDING


def test_only_scheduled_notices_of_the_senders_own_or_their_staff_organization_are_cancellable(
        district, session_factory, db, clock) -> None:
    mine = schedule(session_factory, district, "leader", "ของผู้นำ", bangkok(2026, 11, 22, 9))
    theirs = schedule(session_factory, district, "other_leader", "ของชุมชนอื่น", bangkok(2026, 11, 22, 8),
                      community="canal")
    with session_factory() as session:
        leader, staff = (session.get(Person, district.people[key].id) for key in ("leader", "staff"))
        assert svc.cancellable(session, leader.memberships, leader, 12) == ([session.get(Notice, mine)], 1)
        assert svc.cancellable(session, staff.memberships, staff, 12) == (
            [session.get(Notice, theirs), session.get(Notice, mine)], 2)
        assert svc.cancellable(session, [], None, 12) == ([], 0)
        assert svc.may_cancel(staff.memberships, staff, session.get(Notice, theirs))
        assert not svc.may_cancel(leader.memberships, leader, session.get(Notice, theirs))
