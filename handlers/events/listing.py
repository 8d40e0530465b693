"""`กิจกรรม` / `events`: the activities ahead, as cards."""

from __future__ import annotations

from linebot.v3.messaging import Message

from handlers import cards
from handlers.context import Context
from handlers.registry import Role, command
from handlers.services import activities as svc
from handlers.services import registry as reg
from handlers.events.create import new_event
from handlers.events.flow import CODE
from handlers.events.reading import _answer


@command("กิจกรรม", "events")
def events(ctx: Context) -> list[Message]:
    """ดูกิจกรรมที่กำลังจะมาถึงและคำตอบของคุณ / See upcoming activities and your answers"""
    code = _answer(ctx)
    single = None
    if CODE.fullmatch(code):
        if not ctx.memberships:  # no district yet, so no activity of theirs: how to have one, not "no such code"
            return [ctx.text("event.list_none_register")]
        single = svc.find_activity(ctx.session, ctx.memberships, code)
        if single is None:
            return [ctx.text("event.unknown_code", code=code)]
    activities = [single] if single is not None else svc.upcoming_for(ctx.session, ctx.person, ctx.now)
    if not activities:
        if ctx.role >= Role.COMMUNITY_LEADER:
            return [ctx.text("event.list_none_leader", keyword=ctx.keyword_of(new_event))]
        if not reg.is_registered(ctx.person):
            return [ctx.text("event.list_none_register")]
        return [ctx.text("event.list_none")]
    answers = svc.answers_of(ctx.session, ctx.person, [a.id for a in activities])
    if single is not None:
        return [cards.activity_message(ctx, ctx.session, single, answers.get(single.id),
                                       personal=ctx.person is not None, now=ctx.now)]
    return [cards.carousel(ctx, ctx.session, activities, answers, personal=ctx.person is not None, now=ctx.now)]
