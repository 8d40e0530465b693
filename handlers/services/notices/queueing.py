"""Creating a notice and queueing its recipients into the outbox page by page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from linebot.v3.messaging import Message
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import outbox
from bot.messages import serialized
from models import ChannelState, Notice, NoticeStatus
from handlers.services.notices.audience import (
    Audience, DEFAULT_NUDGE_HOURS, PAGE, QUEUE_CURSOR, page_by_language, target_community_ids, topic_of,
)
from handlers.services.notices.cost import Plan, community_groups, group_people, plan
from handlers.services.notices.tally import count_audience


def create_notice(session: Session, a: Audience, *, text: str, now: datetime, send_at: datetime | None = None,
                  urgent: bool = False, nudge_after_hours: int | None = DEFAULT_NUDGE_HOURS,
                  attachment: dict[str, Any] | None = None, planned: Plan | None = None) -> Notice:
    """Save a notice to be queued by the scheduler at `send_at` (now when not given)."""
    planned = planned or plan(session, a, now)
    attachment = attachment or {}
    notice = Notice(
        organization_id=a.organization_id, author_id=a.author_id, scope=a.scope, network_id=a.network_id,
        community_id=a.community_id, role_filter=a.role_filter, via_groups=planned.via_groups, text=text,
        image_url=attachment.get("image_url"), location_title=attachment.get("location_title"),
        location_address=attachment.get("location_address"), latitude=attachment.get("latitude"),
        longitude=attachment.get("longitude"), urgent=urgent, status=NoticeStatus.SCHEDULED,
        send_at=send_at or now, recipients=planned.people, cost=planned.cost,
        nudge_after_hours=None if urgent else nudge_after_hours, created_at=now)
    session.add(notice)
    session.flush()
    return notice


MessagesFor = Callable[[Session, Notice, str], Sequence[Message]]


def notices_to_queue(session: Session, now: datetime) -> list[int]:
    """Notices due and not yet queued, and notices part-way through queueing (a crash or a big one)."""
    due = session.scalars(select(Notice.id).where(Notice.status == NoticeStatus.SCHEDULED, Notice.send_at <= now)
                          .order_by(Notice.urgent.desc(), Notice.send_at, Notice.id)).all()
    started = [int(key.removeprefix(QUEUE_CURSOR)) for key in
               session.scalars(select(ChannelState.key).where(ChannelState.key.like(QUEUE_CURSOR + "%")))]
    return list(dict.fromkeys([*sorted(started), *due]))


@dataclass(frozen=True)
class Queued:
    people: int
    done: bool


def queue_page(session: Session, notice_id: int, now: datetime, messages_for: MessagesFor,
               size: int = PAGE) -> Queued | None:
    """Queue the next page of a due notice, in the caller's transaction; None if there is nothing to do
    (not due, finished, cancelled, or another scheduler holds it).

    The page's outbox rows and the cursor (the last person id queued) are written in one transaction,
    so a crash repeats nothing and skips nobody."""
    notice = session.scalars(select(Notice).where(Notice.id == notice_id).with_for_update(skip_locked=True)).first()
    if notice is None:
        return None
    key = QUEUE_CURSOR + str(notice.id)
    cursor = session.get(ChannelState, key)
    if notice.status == NoticeStatus.SCHEDULED:
        if notice.send_at > now:
            return None
        # Conditional, as in cancel_notice: a notice cancelled since it was read (SQLite has no row locks)
        # stays cancelled and gets no outbox row.
        started = session.execute(update(Notice).where(Notice.id == notice.id,
                                                       Notice.status == NoticeStatus.SCHEDULED)
                                  .values(status=NoticeStatus.SENDING).execution_options(synchronize_session=False))
        if started.rowcount != 1:
            return None
        a = Audience.of(notice)
        if notice.via_groups:
            # Linked groups may have changed since the preview: fall back to individuals if one is gone.
            notice.via_groups = plan(session, a, now).via_groups
        notice.status, notice.recipients, notice.cost = NoticeStatus.SENDING, 0, 0
        count_audience(session, notice, now)  # who it reaches, by community, for `ประกาศ สถานะ`
        cursor = ChannelState(key=key, value="0", until=None, updated_at=now)
        session.add(cursor)
        session.flush()
    elif cursor is None:
        return None
    a = Audience.of(notice)
    messages: dict[str, Sequence[Message]] = {}

    def enqueue(targets: list[str], lang: str) -> None:
        if lang not in messages:
            messages[lang] = serialized(messages_for(session, notice, lang))
        outbox.enqueue(session, targets, messages[lang], now=now, quiet_hours=not notice.urgent,
                       topic=topic_of(notice.id))

    after = int(cursor.value)
    if notice.via_groups:
        communities = target_community_ids(session, a)
        chat_ids = [chat for chats in community_groups(session, communities).values() for chat in chats]
        enqueue(chat_ids, "th")
        people = sum(group_people(session, chat_ids, now).values())
        last, done = after, True
    else:
        by_lang, people, last = page_by_language(session, a, after, size)
        for lang, user_ids in by_lang.items():
            enqueue(user_ids, lang)
        last, done = last or after, people < size
    # Another scheduler that read the same cursor loses here and rolls back (SQLite has no row locks).
    moved = session.execute(update(ChannelState).where(ChannelState.key == key, ChannelState.value == str(after))
                            .values(value=str(last), updated_at=now).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise RuntimeError(f"notice {notice.id} was queued by someone else meanwhile")
    notice.recipients += people
    notice.cost += people
    if done:
        session.execute(ChannelState.__table__.delete().where(ChannelState.key == key))
    return Queued(people, done)
