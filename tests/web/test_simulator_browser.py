"""The simulator in a real browser (headless Chromium), against the demo district: every action goes
through a signed POST /callback and the real outbox, and the page shows what the fake LINE received.

The tests share one running stack and one clock; the one that moves the clock comes last.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from support.web import wait_until

from bot.config import TIMEZONE
from handlers.thaitime import format_when_in
from handlers.cards import when_range
from handlers.catalog import text_for
from handlers.catalog.th import TEXT as T
from models import (
    Activity,
    Answer,
    ChatLink,
    Community,
    Membership,
    Network,
    Notice,
    NoticeAck,
    NoticeStatus,
    Person,
    RoleName,
    Rsvp,
)

THAI_MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]


def thai_date(moment: datetime) -> str:
    """`17 ธ.ค. 69 14:00`, the way people type a date in LINE."""
    return f"{moment.day} {THAI_MONTHS[moment.month - 1]} {(moment.year + 543) % 100:02d} {moment:%H:%M}"


def people_of(session, role: RoleName, zone: str, *, with_group: bool = True, exclude: set[int] = frozenset()):
    """(person, community) holding `role` in a community of `zone`, whose community has a linked group.
    A member is someone holding no other role (every leader is a member of their community too)."""
    query = (select(Person, Community).join(Membership, Membership.person_id == Person.id)
             .join(Community, Community.id == Membership.community_id).join(Network, Network.id == Community.zone_id)
             .where(Membership.role == role, Network.name == zone, Person.line_user_id.is_not(None))
             .order_by(Person.id))
    if role == RoleName.MEMBER:
        query = query.where(Person.id.not_in(only_members()))
    found = []
    for person, community in session.execute(query):
        if community.id in exclude:
            continue
        has_group = session.scalar(select(ChatLink.id).where(ChatLink.community_id == community.id)) is not None
        if has_group == with_group:
            found.append((person, community))
    return found


def only_members():
    """Ids of people holding a role above member."""
    return select(Membership.person_id).where(Membership.role != RoleName.MEMBER)


def test_a_new_member_registers_in_1_1_by_typing_and_tapping(sim, web_stack) -> None:
    user = sim.new_user()
    sim.chat("Saiyai (แชท 1:1)")
    assert sim.say("สมัคร") == [T["register.ask_name"]]
    assert sim.say("บุญชู ทดลองใช้") == [T["register.ask_community_typed"]]
    assert sim.say("คลองสองพี่น้อง") == [T["register.ask_phone"]]
    assert sim.chips() == ["ข้าม", "ยกเลิก"]
    [summary] = sim.chip("ข้าม")
    assert summary == (T["register.summary"].format(name="บุญชู ทดลองใช้", community="ชุมชนคลองสองพี่น้อง",
                                                    phone="ไม่ระบุ") + "\n\n" + T["register.consent"])
    assert sim.chips() == ["ยินยอม", "ไม่ยินยอม"]
    assert sim.chip("ยินยอม") == [text_for("th", "register.done", name="บุญชู ทดลองใช้",
                                            community="ชุมชนคลองสองพี่น้อง")]
    assert sim.chips() == []  # quick replies go once they are answered
    with web_stack.session_factory() as session:
        person = session.scalars(select(Person).where(Person.line_user_id == user)).one()
        assert (person.full_name, person.phone) == ("บุญชู ทดลองใช้", None)
        [membership] = session.scalars(select(Membership).where(Membership.person_id == person.id)).all()
        assert (membership.role, session.get(Community, membership.community_id).name) == (
            RoleName.MEMBER, "ชุมชนคลองสองพี่น้อง")
    # The page now lists them as a member of their community (no reload).
    assert sim.page.inner_text("#persona-info").startswith("บุญชู ทดลองใช้ · สมาชิก (member) · ชุมชนคลองสองพี่น้อง")
    # The page's user messages are what the person typed and tapped, in order, on the right.
    assert sim.page.locator("#messages .msg.user .bubble-text").all_inner_texts() == [
        "สมัคร", "บุญชู ทดลองใช้", "คลองสองพี่น้อง", "ข้าม", "ยินยอม"]


def test_the_datetime_picker_sends_its_postback_with_params(sim, web_stack) -> None:
    with web_stack.session_factory() as session:
        leader, _ = people_of(session, RoleName.COMMUNITY_LEADER, "เครือข่ายโซน 2")[0]
    sim.persona(leader.line_user_id).chat("Saiyai (แชท 1:1)")
    assert sim.say("สร้างกิจกรรม") == [text_for("th", "event.ask_title", network="เครือข่ายโซน 2")]
    assert sim.say("ตลาดนัดชุมชน") == [T["event.ask_when"]]
    assert sim.chips() == ["เลือกวันเวลา", "ยกเลิก"]
    sim.page.locator("#quick-replies .chip", has_text="เลือกวันเวลา").click()
    assert sim.page.get_attribute("#picker-input", "type") == "datetime-local"
    sim.page.fill("#picker-input", "2027-01-09T08:30")
    starts = datetime(2027, 1, 9, 8, 30, tzinfo=TIMEZONE)
    replies = sim.tap(sim.page.locator("#picker-send"))
    assert replies == [T["event.when_set"].format(when=when_range("th", starts, starts + timedelta(hours=3)))
                       + "\n" + T["event.ask_place"]]
    assert sim.chip("ยกเลิก") == [T["flow.cancelled"]]


def test_a_flex_carousel_and_its_buttons_work_by_clicking(sim, web_stack) -> None:
    with web_stack.session_factory() as session:
        now = web_stack.app.extensions["saiyai"].clock()
        zone3 = session.scalars(select(Network).where(Network.name == "เครือข่ายโซน 3")).one()
        upcoming = session.scalars(select(Activity).where(Activity.network_id == zone3.id, Activity.starts_at > now)
                                   .order_by(Activity.starts_at)).all()
        assert len(upcoming) == 2  # the full first-aid training, then the zone meeting
        answered = set(session.scalars(select(Rsvp.person_id).where(Rsvp.activity_id.in_([a.id for a in upcoming]))))
        member = next(p for p, _ in people_of(session, RoleName.MEMBER, "เครือข่ายโซน 3") if p.id not in answered)
        meeting = upcoming[1]
    sim.persona(member.line_user_id).chat("Saiyai (แชท 1:1)")
    assert sim.say("กิจกรรม") == ["[flex]"]
    bubbles = sim.bot_messages().last.locator(".flex-carousel > .flex-bubble")
    assert bubbles.count() == 2
    assert bubbles.nth(1).locator(".flex-text").first.inner_text() == meeting.title
    replies = sim.tap(bubbles.nth(1).locator(".flex-button", has_text="ไป").first)
    assert replies == [text_for("th", "rsvp.going", name=member.full_name, title=meeting.title,
                                when=format_when_in("th", meeting.starts_at))]
    with web_stack.session_factory() as session:
        rsvp = session.scalars(select(Rsvp).where(Rsvp.activity_id == meeting.id, Rsvp.person_id == member.id)).one()
        assert (rsvp.answer, rsvp.waitlisted_at) == (Answer.GOING, None)


def test_staff_sends_a_notice_to_one_zone_and_the_acknowledgements_rise(sim, web_stack) -> None:
    with web_stack.session_factory() as session:
        staff = session.scalars(select(Person).join(Membership, Membership.person_id == Person.id)
                                .where(Membership.role == RoleName.STAFF).order_by(Person.id)).first()
        member, community = people_of(session, RoleName.MEMBER, "เครือข่ายโซน 4")[0]
        outsider, _ = people_of(session, RoleName.MEMBER, "เครือข่ายโซน 5")[0]
    text = "ขอเชิญประชุมใหญ่โซน 4 เรื่องงบประมาณกองทุนชุมชน วันเสาร์นี้ 9:00 น. ที่ศาลาชุมชน"
    sim.persona(staff.line_user_id).chat("Saiyai (แชท 1:1)")
    sim.say("ประกาศ")
    sim.chip("เครือข่าย")
    sim.chip("เครือข่ายโซน 4")
    assert sim.chip("ทุกคน") == [T["notice.ask_text"].format(limit=2000)]
    sim.say(text)
    sim.chip("ข้าม")
    sim.chip("ส่งทันที")
    sim.chip("ส่ง")
    with web_stack.session_factory() as session:
        notice = session.scalars(select(Notice).where(Notice.text == text)).one()
        expected = notice.recipients
    assert notice.via_groups is False  # not every community of zone 4 has a group: each person gets it

    def acknowledged() -> int:
        with web_stack.session_factory() as session:
            return len(session.scalars(select(NoticeAck).where(NoticeAck.notice_id == notice.id)).all())

    def status_line() -> str:
        """The member's community's line of `ประกาศ สถานะ`: `• ชุมชน…: รับทราบ 0/12 (0%)`."""
        [reply] = sim.say("ประกาศ สถานะ")
        [block] = [block for block in reply.split("\n\n") if block.startswith(f"📢 “{text[:20]}")]
        [line] = [line for line in block.split("\n") if line.startswith(f"• {community.name}: รับทราบ ")]
        return line

    def queued() -> bool:  # the scheduler process picks the notice up (its job runs every 5 s)
        with web_stack.session_factory() as session:
            return session.get(Notice, notice.id).status != NoticeStatus.SCHEDULED

    wait_until(queued)
    before = status_line()
    assert acknowledged() == 0
    # The member of zone 4 gets the notice pushed (by the scheduler's outbox) and taps รับทราบ.
    sim.persona(member.line_user_id).chat("Saiyai (แชท 1:1)")
    sim.page.wait_for_selector("#messages .msg.bot .flex-button:has-text('รับทราบ')")
    replies = sim.tap(sim.bot_messages().last.locator(".flex-button", has_text="รับทราบ"))
    assert replies == [text_for("th", "notice.acknowledged", name=member.full_name)]
    assert acknowledged() == 1
    # Zone 5 got nothing.
    sim.persona(outsider.line_user_id).chat("Saiyai (แชท 1:1)")
    assert sim.page.locator("#messages .flex-button:has-text('รับทราบ')").count() == 0
    sim.persona(staff.line_user_id).chat("Saiyai (แชท 1:1)")
    after = status_line()
    assert expected > 1
    acked_before, expected_before = before.removeprefix(f"• {community.name}: รับทราบ ").split(" ")[0].split("/")
    acked_after, expected_after = after.removeprefix(f"• {community.name}: รับทราบ ").split(" ")[0].split("/")
    assert (int(acked_before), int(acked_after)) == (0, 1) and expected_before == expected_after


def test_the_rich_menu_is_under_the_1_1_chat_and_its_areas_and_tabs_work(sim, web_stack) -> None:
    with web_stack.session_factory() as session:
        leader, _ = people_of(session, RoleName.COMMUNITY_LEADER, "เครือข่ายโซน 5")[0]
        member, community = people_of(session, RoleName.MEMBER, "เครือข่ายโซน 5")[0]
    sim.persona(member.line_user_id).chat("Saiyai (แชท 1:1)")
    menu = sim.page.locator("#richmenu")
    menu.locator(".richmenu-area").first.wait_for()
    assert sim.page.inner_text("#richmenu-bar").startswith(T["menu.chat_bar"])
    # The member's menu: one page, the everyday commands; "ช่วยเหลือ" sends the keyword as a message.
    labels = menu.locator(".richmenu-area").evaluate_all("areas => areas.map(a => a.getAttribute('aria-label'))")
    assert labels == [T[f"menu.label.{name}"] for name in ("events", "news", "host_next", "report", "me", "help")]
    [help_text] = sim.tap(menu.get_by_label(T["menu.label.help"], exact=True))
    assert help_text.split("\n")[0] == T["help.header"]
    assert sim.page.locator("#messages .msg.user .bubble-text").all_inner_texts()[-1] == "ช่วยเหลือ"
    # No rich menu in a group (LINE shows it only in the 1:1 chat with the account).
    sim.chat(f"กลุ่ม {community.name}")
    assert menu.is_hidden()
    # A leader's menu has two tabs; tapping the second switches the picture and answers nothing.
    sim.persona(leader.line_user_id).chat("Saiyai (แชท 1:1)")
    menu.locator(".richmenu-area").first.wait_for()
    first = menu.get_attribute("data-menu")
    assert sim.tap(menu.get_by_label(T["menu.tab.everyday"], exact=True)) == []
    sim.page.wait_for_function("old => document.getElementById('richmenu').dataset.menu !== old", arg=first)
    assert menu.locator(".richmenu-area").evaluate_all(
        "areas => areas.map(a => a.getAttribute('aria-label'))")[2:] == [
        T[f"menu.label.{name}"] for name in ("events", "news", "host_next", "report", "me", "help")]


def test_a_leader_announces_a_member_answers_in_a_group_and_the_reminder_comes_once(sim, web_stack) -> None:
    with web_stack.session_factory() as session:
        leader, home = people_of(session, RoleName.COMMUNITY_LEADER, "เครือข่ายโซน 1")[0]
        member, other = people_of(session, RoleName.MEMBER, "เครือข่ายโซน 1", exclude={home.id})[0]
    now = web_stack.app.extensions["saiyai"].clock()
    starts = (now + timedelta(days=12)).replace(hour=14, minute=0, second=0, microsecond=0)
    title = "ประชุมเตรียมงานลอยกระทงโซน 1"
    sim.persona(leader.line_user_id).chat("Saiyai (แชท 1:1)")
    sim.say("สร้างกิจกรรม")
    sim.say(title)
    assert sim.say(thai_date(starts)) == [
        T["event.when_set"].format(when=when_range("th", starts, starts + timedelta(hours=3))) + "\n"
        + T["event.ask_place"]]
    sim.say("ศาลาอเนกประสงค์")
    sim.chip("เครือข่ายโซน 1")
    sim.chip("ตกลง")
    sim.chip("ข้าม")
    assert sim.chip("ข้าม") == ["[flex]", T["event.preview"]]
    unread = sim.unread(f"กลุ่ม {home.name}")
    created = sim.chip("ยืนยัน")
    # The card is pushed to the groups a moment later (the scheduler's outbox): the group's unread count
    # goes up while the leader stays in the 1:1 chat, without reloading the page.
    wait_until(lambda: sim.unread(f"กลุ่ม {home.name}") == unread + 1)
    with web_stack.session_factory() as session:
        activity = session.scalars(select(Activity).where(Activity.title == title)).one()
        groups = session.scalars(select(ChatLink).where(ChatLink.left_at.is_(None))).all()
        zone1 = session.scalars(select(Network).where(Network.name == "เครือข่ายโซน 1")).one()
        zone_groups = [g for g in groups if g.network_id == zone1.id or
                       (g.community_id and session.get(Community, g.community_id).zone_id == zone1.id)]
    assert created[0].startswith(text_for("th", "event.created", title=title, code=activity.code) + "\n"
                                 + text_for("th", "event.announced", count=len(zone_groups)))
    alt = f"📅 {title} — {when_range('th', activity.starts_at, activity.ends_at)}"
    home_group = next(g.chat_id for g in groups if g.community_id == home.id)
    zone_group = next(g.chat_id for g in groups if g.network_id == zone1.id)

    # The card arrives (pushed through the outbox) in the leader's two groups: the community's and the zone's.
    for group in (f"กลุ่ม {home.name}", "กลุ่ม เครือข่ายโซน 1"):
        sim.chat(group)
        sim.page.wait_for_selector(f"#messages .msg.bot .flex-bubble .flex-text:text-is('{title}')")
    cards = {r.body["to"] for r in web_stack.fake.state.deliveries("push")
             if r.body["messages"][0].get("altText") == alt}
    assert cards == {g.chat_id for g in zone_groups} and {home_group, zone_group} <= cards

    # A member of another community taps ไป on the card in their own group.
    sim.persona(member.line_user_id).chat(f"กลุ่ม {other.name}")
    card = sim.page.locator("#messages .msg.bot", has=sim.page.locator(f".flex-text:text-is('{title}')")).last
    replies = sim.tap(card.locator(".flex-button", has_text="ไป").first)
    assert replies == [text_for("th", "rsvp.going", name=member.full_name, title=title,
                                when=format_when_in("th", activity.starts_at))]

    # The leader sees the count.
    sim.persona(leader.line_user_id).chat("Saiyai (แชท 1:1)")
    [attendees] = sim.say(f"ผู้เข้าร่วม {activity.code}")
    assert text_for("th", "attendees.totals", going=1, maybe=0, not_going=0, waitlisted=0) in attendees.split("\n")

    # Move the clock to a minute after the two-hour reminder: it arrives once in the group.
    sim.chat(f"กลุ่ม {home.name}")
    reminder = text_for("th", "followup.reminder", title=title, when=format_when_in("th", activity.starts_at),
                        place="ศาลาอเนกประสงค์", code=activity.code)
    moment = (activity.starts_at - timedelta(minutes=119)).astimezone(TIMEZONE)
    sim.move_clock(step="to", moment=moment.strftime("%Y-%m-%dT%H:%M"))
    sim.wait_for_bot_text(reminder)
    sim.move_clock(step="hour")
    sim.page.wait_for_timeout(2500)  # the scheduler process runs its reminder job too: still once
    assert sim.bot_texts().count(reminder) == 1
    assert [r.body["to"] for r in web_stack.fake.state.deliveries("push")
            if r.body["to"] == home_group and r.body["messages"][0].get("text") == reminder] == [home_group]


def test_line_events_follow_member_joined_and_join(sim, web_stack) -> None:
    with web_stack.session_factory() as session:
        link = session.scalars(select(ChatLink).where(ChatLink.community_id.is_not(None)).order_by(ChatLink.id)).first()
        community = session.get(Community, link.community_id)
    sim.new_user()
    sim.page.click("summary")  # เหตุการณ์ของ LINE
    assert sim.tap(sim.page.locator("[data-event='follow']")) == [T["greeting.follow"]]
    # The new user joins the community's group: welcomed there, with a button to register.
    sim.page.select_option("#group-pick", link.chat_id)
    assert sim.tap(sim.page.locator("[data-event='memberJoined']")) == [
        text_for("th", "welcome.community", community=community.name)]
    assert sim.page.inner_text("#chat-title").startswith(f"กลุ่ม {community.name}")
    assert sim.chips() == [T["welcome.register_label"]]
    # Saiyai is added to a new group nobody has linked yet: it introduces itself.
    sim.page.click("#new-group")
    assert sim.tap(sim.page.locator("[data-event='join']")) == [T["greeting.join"]]
    assert sim.page.inner_text("#chat-title").startswith("กลุ่มใหม่ ")
    assert sim.page.locator("#messages .msg.system .bubble-text").all_inner_texts()[-1].endswith(
        "เชิญ Saiyai เข้ากลุ่ม (join)")
