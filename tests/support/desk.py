"""The web desk in tests: signing in the way a person does (ask in the LINE chat, open the link, press the
button), and a district with a month of activity to look at."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from bot.storage import DatabaseStorage, photo_key
from models import (
    Activity,
    ActivityReport,
    ActivityStatus,
    AckKind,
    Answer,
    HostState,
    Notice,
    NoticeAck,
    NoticeScope,
    NoticeStatus,
    Person,
    ReportPhoto,
    Rsvp,
)
from support.activities import bkk
from support.dialog import Dialog
from support.registry import MORE_MEMBERS, District, seed_members

LINK = re.compile(r"^http://127\.0\.0\.1:5000(/desk/signin/[A-Za-z0-9_-]+)$")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def ask_link(dialog: Dialog, user: str) -> str:
    """The path of the one-time link the bot sends for `เข้าเว็บ`."""
    replies = dialog.say(user, "เข้าเว็บ")
    assert len(replies) == 2, replies
    match = LINK.match(replies[1])
    assert match is not None, replies
    return match[1]


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match is not None, "no CSRF token on the page"
    return match[1]


def sign_in(client, dialog: Dialog, user: str) -> str:
    """Sign the test client in as `user`; returns the (now spent) link path."""
    path = ask_link(dialog, user)
    page = client.get(path)
    assert page.status_code == 200
    response = client.post(path, data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    assert (response.status_code, response.headers["Location"]) == (302, "/desk/")
    return path


def post_form(client, page_path: str, action: str, data: dict) -> object:
    """POST a form found on a page, with that page's CSRF token."""
    page = client.get(page_path)
    assert page.status_code == 200, page_path
    return client.post(action, data={"csrf_token": csrf_of(page.get_data(as_text=True)), **data})


# --- a district with a month of activity ---------------------------------------------------------

PHOTO = b"\xff\xd8\xff\xe0desk-photo"


@dataclass
class World:
    district: District
    activities: dict[str, int]
    photo_id: int
    notice_id: int


def _activity(session, district, code, title, network, starts, status=ActivityStatus.DONE, host=None):
    activity = Activity(code=code, title=title, organization_id=district.org.id, network_id=network.id,
                        host_community_id=host.id if host else None, host_state=HostState.CONFIRMED,
                        starts_at=starts, ends_at=starts + timedelta(hours=3), place_text="ศาลาวัดบางนา",
                        status=status, reminder_offsets=[], remind_groups=False, created_at=bkk(2026, 10, 1, 8),
                        updated_at=bkk(2026, 10, 1, 8))
    session.add(activity)
    session.flush()
    return activity


def seed_world(session, district: District, now) -> World:
    """The test district (clock: 21 Nov 2026) with activities in October and November 2026, answers,
    check-ins, one report with a photo in the database, and a district notice with two acknowledgements."""
    seed_members(session, district, now)
    people = {key: session.scalars(select(Person).where(Person.line_user_id == uid)).one()
              for key, (uid, _, _) in MORE_MEMBERS.items()}
    people["member"] = district.people["member"]
    zone1_nov = _activity(session, district, "NOV1", "ประชุมโซน 1 เดือนพฤศจิกายน", district.zone1, bkk(2026, 11, 10, 9),
                          host=district.wat)
    zone1_oct = _activity(session, district, "OCT1", "ประชุมโซน 1 เดือนตุลาคม", district.zone1, bkk(2026, 10, 5, 9))
    zone2_nov = _activity(session, district, "NOV2", "ประชุมโซน 2", district.zone2, bkk(2026, 11, 15, 9),
                          host=district.canal)
    upcoming = _activity(session, district, "NEXT", "กีฬาสีโซน 1", district.zone1, bkk(2026, 11, 28, 9),
                         status=ActivityStatus.PLANNED)
    cancelled = _activity(session, district, "GONE", "อบรมผู้สูงอายุ", district.elderly, bkk(2026, 11, 12, 9),
                          status=ActivityStatus.CANCELLED)
    answers = [  # (activity, person, community, answer, waitlisted, checked in)
        (zone1_nov, "member", district.wat, Answer.GOING, False, True),
        (zone1_nov, "somsri", district.wat, Answer.GOING, False, False),
        (zone1_nov, "somsak", district.wat, Answer.GOING, True, False),
        (zone1_nov, "somchai", district.market, Answer.GOING, False, True),
        (zone1_nov, "malee", district.market, Answer.NOT_GOING, False, False),
        (zone2_nov, "somying", district.canal, Answer.GOING, False, True),
        (zone1_oct, "member", district.wat, Answer.GOING, False, True),
    ]
    for activity, key, community, answer, waitlisted, came in answers:
        session.add(Rsvp(activity_id=activity.id, person_id=people[key].id, community_id=community.id, answer=answer,
                         guests=0, answered_at=activity.starts_at - timedelta(days=2),
                         waitlisted_at=activity.starts_at - timedelta(days=2) if waitlisted else None,
                         proxy_by_id=district.people["leader"].id if key == "somsri" else None,
                         checked_in_at=activity.starts_at if came else None))
    report = ActivityReport(activity_id=zone1_nov.id, reporter_id=district.people["leader"].id, attended=14,
                            summary="ประชุมเรื่องขยะในคลอง", lessons="ควรเริ่มตรงเวลา", submitted_at=bkk(2026, 11, 10, 15))
    session.add(report)
    session.flush()
    photo = ReportPhoto(report_id=report.id, line_message_id="810001", received_at=bkk(2026, 11, 10, 15),
                        attempts=1, fetched_at=bkk(2026, 11, 10, 15, 1))
    photo.storage_path = DatabaseStorage().put(session, photo_key(zone1_nov.id, "810001"), PHOTO, "image/jpeg", now)
    session.add(photo)
    notice = Notice(organization_id=district.org.id, author_id=district.people["staff"].id,
                    scope=NoticeScope.ORGANIZATION, text="ประกาศปิดถนนสุขุมวิท", status=NoticeStatus.SENT,
                    send_at=bkk(2026, 11, 15, 8), sent_at=bkk(2026, 11, 15, 8), recipients=10,
                    created_at=bkk(2026, 11, 15, 8))
    session.add(notice)
    session.flush()
    for key, community in (("member", district.wat), ("somchai", district.market)):
        session.add(NoticeAck(notice_id=notice.id, person_id=people[key].id, community_id=community.id,
                              kind=AckKind.ACKNOWLEDGED, at=bkk(2026, 11, 15, 9)))
    session.flush()
    codes = {a.code: a.id for a in (zone1_nov, zone1_oct, zone2_nov, upcoming, cancelled)}
    return World(district, codes, photo.id, notice.id)

