"""A host community with no leader on LINE (issue 17, item 3): its report is asked of its zone's chair, who
may report for it, and the escalation after 7 days says so; with no chair on LINE either, it says nobody
could be asked. The clock steps an hour at a time from the meeting to well past the escalation."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from models import Membership, RoleName
from scheduler import followups
from scheduler.jobs import dispatch_outbox
from support.activities import bkk, make_activity
from support.registry import USERS, seed_district
from support.texts import t

WHO = {uid: role for role, uid in USERS.items()}
VALUES = {"title": "ประชุมโซน 1", "code": "HOST", "community": "ชุมชนตลาดบางนา", "zone": "เครือข่ายโซน 1"}


def run(clock, jobs, fake_line) -> list[tuple]:
    log = []
    while clock.now < bkk(2026, 12, 12, 12):
        clock.advance(hours=1)
        followups.request_reports(jobs)
        seen = len(fake_line.state.deliveries())
        dispatch_outbox(jobs)
        for request in fake_line.state.deliveries()[seen:]:
            targets = request.body["to"] if isinstance(request.body["to"], list) else [request.body["to"]]
            for message in request.body["messages"]:
                buttons = [i["action"]["data"] for i in message.get("quickReply", {}).get("items", [])]
                log.extend((clock.now, WHO[target], message["text"], buttons) for target in targets)
    return sorted(log)


@pytest.fixture
def meeting(session_factory, clock):
    """Zone 1's meeting on 1 December 09:00–12:00, hosted by the market community, which has no leader."""
    clock.now = bkk(2026, 12, 1, 8)
    with session_factory() as session, session.begin():
        d = seed_district(session, bkk(2026, 11, 25, 8))
        return make_activity(session, d, "HOST", "ประชุมโซน 1", bkk(2026, 12, 1, 9), host=d.market).id


def test_the_zone_chair_is_asked_for_a_leaderless_hosts_report(meeting, clock, jobs, fake_line, dialog) -> None:
    button = [f"a=report_start&id={meeting}"]
    assert run(clock, jobs, fake_line) == [
        (bkk(2026, 12, 1, 14), "chair", t("followup.report_request_chair", **VALUES), button),
        (bkk(2026, 12, 4, 12), "chair", t("followup.report_reminder_chair", **VALUES), button),
        (bkk(2026, 12, 8, 12), "chair", t("followup.report_escalation_chair", **VALUES), []),
        (bkk(2026, 12, 8, 12), "staff", t("followup.report_escalation_chair", **VALUES), []),
    ]
    # The chair may indeed report for it: the button starts the report.
    assert dialog.postback(USERS["chair"], button[0]) == [
        t("report.ask_attended", title="ประชุมโซน 1", count=0)]


def test_with_no_chair_on_line_either_the_escalation_says_nobody_was_asked(meeting, session_factory, clock, jobs,
                                                                           fake_line) -> None:
    with session_factory() as session, session.begin():
        session.execute(delete(Membership).where(Membership.role == RoleName.NETWORK_CHAIR))
    assert run(clock, jobs, fake_line) == [
        (bkk(2026, 12, 8, 12), "staff", t("followup.report_escalation_nobody", **VALUES), []),
    ]
