"""What the activity commands cost as a district grows: the SQL statements of `กิจกรรม` do not grow with the
cards it shows, and `ยกเลิกกิจกรรม`'s question counts those who answered without loading them.

The replies themselves are pinned in test_events.py and test_cards.py; here only their cost and the count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from handlers.services import activities as svc
from models import Answer, HostState, Person, Rsvp
from support.registry import GROUP_ZONE, USERS, seed_linked_district
from support.texts import bangkok, t

LEADER, MEMBER, CHAIR, STAFF = USERS["leader"], USERS["member"], USERS["chair"], USERS["staff"]


@pytest.fixture
def district(session_factory, clock):
    with session_factory() as session, session.begin():
        return seed_linked_district(session, clock())


def add_activities(session_factory, clock, district, start: int, count: int) -> None:
    """Activities unlike each other in everything a card looks up: network or community, host, seats taken,
    series."""
    with session_factory() as session, session.begin():
        member = session.get(Person, district.people["member"].id)
        hosts = [district.wat, district.market, district.canal]
        for n in range(start, start + count):
            starts = bangkok(2026, 11, 25, 9) + timedelta(days=n)
            if n % 3 == 2:  # the member's own community's activity
                activity = svc.create_activity(session, title=f"กิจกรรมชุมชน {n}", organization_id=district.org.id,
                                               community_id=district.wat.id, starts_at=starts, now=clock())
            else:
                activity = svc.create_activity(session, title=f"กิจกรรมเครือข่าย {n}", organization_id=district.org.id,
                                               network_id=district.zone1.id, starts_at=starts, now=clock(),
                                               capacity=20 + n if n % 2 else None)
            activity.host_community_id = hosts[n % 3].id
            activity.host_state = HostState.CONFIRMED if n % 2 else HostState.PROPOSED
            session.flush()
            if n % 2:
                svc.answer(session, activity, member, Answer.GOING, clock(), guests=n % 3)
            if n % 4 == 1 and activity.network_id:
                svc.repeat(session, activity, 3, None, clock())


def listed(dialog, statements, user: str, group: str | None = None) -> int:
    statements.clear()
    [reply] = dialog.say(user, "บอท กิจกรรม" if group else "กิจกรรม", group=group)
    assert reply == "[flex]"
    return len(statements)


@pytest.mark.parametrize(("who", "group"), [(MEMBER, None), (MEMBER, GROUP_ZONE), (LEADER, None),
                                            (CHAIR, GROUP_ZONE), (STAFF, None)])
def test_the_list_costs_the_same_statements_for_3_or_12_cards(dialog, district, session_factory, clock, statements,
                                                              fake_line, who, group) -> None:
    # Before: each card looked up its network or community, its host, its seats taken and its series one
    # by one (46 statements for 12 cards at Bangkok size).
    add_activities(session_factory, clock, district, 0, 3)
    three = listed(dialog, statements, who, group)
    assert len(fake_line.state.requests[-1].body["messages"][0]["contents"]["contents"]) == 3
    add_activities(session_factory, clock, district, 3, 12)
    twelve = listed(dialog, statements, who, group)
    assert len(fake_line.state.requests[-1].body["messages"][0]["contents"]["contents"]) == 12
    assert three == twelve
    # The event, the sender, their memberships and networks, the activities, their answers, the cards'
    # names, series and seats, the reply in the outbox and its settling.
    assert twelve == (12 if who == STAFF else 11), statements


def test_the_cancel_question_counts_without_loading_anyone(dialog, district, session_factory, clock, app) -> None:
    with session_factory() as session, session.begin():
        activity = svc.create_activity(session, title="อบรมใหญ่", organization_id=district.org.id,
                                       network_id=district.zone1.id, starts_at=bangkok(2026, 12, 20, 9), now=clock())
        # The zone's chair answered going too: the sender is not told of their own cancellation.
        session.add(Rsvp(activity_id=activity.id, person_id=district.people["chair"].id, answer=Answer.GOING, guests=0,
                         answered_at=clock()))
        # 30 going or maybe with LINE, told; 4 without LINE and 3 who blocked the bot, not; 5 not going.
        kinds = ["going"] * 20 + ["maybe"] * 10 + ["offline"] * 4 + ["blocked"] * 3 + ["not_going"] * 5
        for n, kind in enumerate(kinds):
            person = Person(line_user_id=None if kind == "offline" else f"U{n:032x}", full_name=f"คนที่ {n}",
                            blocked_at=clock() if kind == "blocked" else None, created_at=clock(),
                            updated_at=clock())
            session.add(person)
            session.flush()
            answer = Answer.NOT_GOING if kind == "not_going" else Answer.MAYBE if kind == "maybe" else Answer.GOING
            session.add(Rsvp(activity_id=activity.id, person_id=person.id, answer=answer, guests=0,
                             answered_at=clock()))
        code = activity.code
    loaded: list[int] = []

    def person_loaded(target, context) -> None:
        loaded.append(target.id)

    event.listen(Person, "load", person_loaded)
    try:
        dialog.run([(CHAIR, f"ยกเลิกกิจกรรม {code}", t("event.ask_cancel", title="อบรมใหญ่",
                                                        when="วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 09:00 น.", count=30))])
    finally:
        event.remove(Person, "load", person_loaded)
    # Only the sender is read (before: all 31 who answered going or maybe, to count them).
    assert loaded == [district.people["chair"].id]
