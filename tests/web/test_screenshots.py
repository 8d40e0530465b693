"""docs/img/simulator.png: a member taps ไป on an activity card in their community's group.

Run by `scripts/screenshots` (SAIYAI_SCREENSHOTS=1); skipped in the normal test run, which must not
rewrite a file in docs/. The same demo seed and clock-independent steps give the same picture.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from bot.config import PROJECT_ROOT
from handlers.thaitime import format_when_in
from handlers.catalog import text_for
from models import (
    Activity,
    ChatLink,
    Community,
    Membership,
    Network,
    Person,
    RoleName,
    Rsvp,
)

SCREENSHOT = PROJECT_ROOT / "docs" / "img" / "simulator.png"

pytestmark = [
    pytest.mark.screenshot,
    pytest.mark.skipif(not os.environ.get("SAIYAI_SCREENSHOTS"), reason="scripts/screenshots writes docs/img"),
]


def test_member_taps_going_on_a_card_in_a_group(sim, web_stack) -> None:
    with web_stack.session_factory() as session:
        now = web_stack.app.extensions["saiyai"].clock()
        zone = session.scalars(select(Network).where(Network.name == "เครือข่ายโซน 1")).one()
        activity = session.scalars(select(Activity).where(Activity.network_id == zone.id, Activity.starts_at > now)
                                   .order_by(Activity.starts_at)).first()
        answered = set(session.scalars(select(Rsvp.person_id).where(Rsvp.activity_id == activity.id)))
        grouped = select(ChatLink.community_id).where(ChatLink.community_id.is_not(None))
        member, community = next(session.execute(
            select(Person, Community).join(Membership, Membership.person_id == Person.id)
            .join(Community, Community.id == Membership.community_id)
            .where(Membership.role == RoleName.MEMBER, Community.zone_id == zone.id, Community.id.in_(grouped),
                   Person.line_user_id.is_not(None), Person.language == "th", Person.id.not_in(answered),
                   Person.id.not_in(select(Membership.person_id).where(Membership.role != RoleName.MEMBER)))
            .order_by(Person.id)))
    sim.persona(member.line_user_id).chat(f"กลุ่ม {community.name}")
    card = sim.page.locator("#messages .msg.bot", has=sim.page.locator(f".flex-text:text-is('{activity.title}')"))
    card.first.wait_for()
    replies = sim.tap(card.first.locator(".flex-button", has_text="ไป").first)
    assert replies == [text_for("th", "rsvp.going", name=member.full_name, title=activity.title,
                                when=format_when_in("th", activity.starts_at))]
    sim.page.locator("#text").fill("ไปด้วยครับ พาแม่ไปด้วย")  # what a member might type next, not sent
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    sim.page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 20_000
