"""Notice jobs: queue due notices page by page, settle them (sent, or stopped by LINE's monthly quota,
with a plain-Thai report to the author and staff), the one-time nudge to those who did not
acknowledge, and fetching what only LINE knows (quota, consumption, member counts of linked groups).

Like the follow-up jobs, everything is derived from rows at the clock's time: a notice's queueing
cursor and its outbox rows are written in one transaction, reports carry dedupe keys, so a crash or
a second scheduler neither repeats nor skips anybody.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from linebot.v3.messaging import Message, TextMessage
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.line import SendResult
from handlers.thaitime import format_when_in
from handlers.catalog import CATALOGUES, text_for
from handlers.notices import notice_messages, nudge_messages, tell_offline_leaders
from handlers.services import notices as svc
from models import ChannelState, Notice, NoticeStatus, Person
from scheduler.followups import staff_of
from scheduler.jobs import JobContext

log = logging.getLogger(__name__)

GROUP_REFRESH = timedelta(minutes=10)  # member counts older than this are fetched again
GROUP_FETCH_LIMIT = 200                # group counts fetched per run (LINE allows 2,000 requests/s)
SNIPPET = 40


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET else text[:SNIPPET] + "…"


# --- what only LINE knows -----------------------------------------------------------------------

def refresh_line_facts(ctx: JobContext) -> int:
    """Fetch the monthly quota and its consumption, and stale member counts of linked groups, into
    channel_state (the compose preview reads them there); returns how many facts were stored."""
    stored = 0
    limit, used = ctx.line.quota(), ctx.line.consumption()
    if isinstance(limit, SendResult) or isinstance(used, SendResult):
        failed = limit if isinstance(limit, SendResult) else used
        log.warning("could not read LINE's quota: %s %s", failed.status, failed.detail)
    else:
        with ctx.session_factory() as session, session.begin():
            svc.store_quota(session, limit, used, ctx.clock())
        stored += 1
    with ctx.session_factory() as session:
        stale = svc.stale_group_links(session, ctx.clock() - GROUP_REFRESH)[:GROUP_FETCH_LIMIT]
    for chat_id in stale:
        count = ctx.line.group_member_count(chat_id)
        if isinstance(count, SendResult):
            log.warning("could not read the member count of %s: %s %s", chat_id, count.status, count.detail)
            continue
        with ctx.session_factory() as session, session.begin():
            svc.store_group_size(session, chat_id, count, ctx.clock())
        stored += 1
    return stored


# --- queueing -----------------------------------------------------------------------------------

def send_notices(ctx: JobContext, page: int = svc.PAGE) -> int:
    """Queue every due notice into the outbox, one page of recipients per transaction; returns people queued."""
    with ctx.session_factory() as session:
        due = svc.notices_to_queue(session, ctx.clock())
    queued = 0
    for notice_id in due:
        while True:
            try:
                with ctx.session_factory() as session, session.begin():
                    result = svc.queue_page(session, notice_id, ctx.clock(), notice_messages, page)
            except RuntimeError as exc:  # another scheduler moved the cursor first: it carries on
                log.info("%s", exc)
                break
            if result is None:
                break
            queued += result.people
            if result.done:
                log.info("notice %s queued", notice_id)
                _tell_offline_leaders(ctx, notice_id)
                break
    return queued


def _tell_offline_leaders(ctx: JobContext, notice_id: int) -> None:
    """After an alert is queued, its leaders hear which of their members without LINE to phone (once: the
    notes carry dedupe keys, so a second scheduler or a rerun adds nothing)."""
    with ctx.session_factory() as session, session.begin():
        notice = session.get(Notice, notice_id)
        if notice is not None and notice.urgent:
            told = tell_offline_leaders(session, notice, ctx.clock())
            if told:
                log.info("alert %s: %s leaders told of members without LINE", notice_id, told)


# --- settling and reporting ---------------------------------------------------------------------

def _report(session: Session, people: Iterable[Person], dedupe_key: str, now: datetime,
            build: Callable[[str], Message], topic: str) -> int:
    """Queue one message per language for these people (once per dedupe key)."""
    by_lang: dict[str, list[str]] = defaultdict(list)
    for person in {p.id: p for p in people}.values():
        if person.reachable:
            by_lang[person.language if person.language in CATALOGUES else "th"].append(person.line_user_id)
    added = 0
    for lang, user_ids in sorted(by_lang.items()):
        added += len(outbox.enqueue(session, user_ids, [build(lang)], now=now, dedupe_key=f"{dedupe_key}:{lang}",
                                    topic=topic))
    return added


def _author_and_staff(session: Session, notice: Notice) -> list[Person]:
    people = staff_of(session, notice.organization_id)
    author = session.get(Person, notice.author_id) if notice.author_id else None
    return ([author] if author is not None else []) + people


def settle_notices(ctx: JobContext) -> int:
    """Mark queued notices sent once LINE has every row; when LINE's monthly quota stopped pushing, mark
    them stopped and tell the author and staff how many got it and how many did not. Returns notices changed."""
    now, changed = ctx.clock(), 0
    with ctx.session_factory() as session, session.begin():
        blocked = outbox.quota_blocked_until(session, now)
        reason = session.get(ChannelState, outbox.QUOTA_KEY).value if blocked is not None else None
        for notice in session.scalars(select(Notice).where(
                Notice.status.in_([NoticeStatus.SENDING, NoticeStatus.STOPPED])).order_by(Notice.id)):
            if session.get(ChannelState, svc.QUEUE_CURSOR + str(notice.id)) is not None:
                continue  # still being queued
            if svc.unsettled(session, svc.topic_of(notice.id)) == 0:
                sent = svc.delivery(session, notice, now)
                notice.status, notice.sent_at = NoticeStatus.SENT, now
                changed += 1
                if sent.failed:
                    _report(session, _author_and_staff(session, notice), f"notice_failed:{notice.id}", now,
                            lambda lang, n=notice, s=sent: TextMessage(text=text_for(
                                lang, "notice.failed_report", text=_snippet(n.text), delivered=f"{s.delivered:,}",
                                failed=f"{s.failed:,}")), svc.topic_of(notice.id) + ":report")
            elif blocked is not None and notice.status == NoticeStatus.SENDING:
                sent = svc.delivery(session, notice, now)
                notice.status, notice.stop_reason = NoticeStatus.STOPPED, reason
                changed += 1
                log.warning("notice %s stopped by the monthly quota: %s of %s delivered", notice.id,
                            sent.delivered, sent.total)
                _report(session, _author_and_staff(session, notice),
                        f"notice_stopped:{notice.id}:{blocked:%Y-%m}", now,
                        lambda lang, n=notice, s=sent: TextMessage(text=text_for(
                            lang, "notice.quota_report", text=_snippet(n.text), delivered=f"{s.delivered:,}",
                            missing=f"{s.missing:,}", when=format_when_in(lang, now),
                            until=format_when_in(lang, blocked))),
                        svc.topic_of(notice.id) + ":report")
    return changed


# --- the one-time nudge -------------------------------------------------------------------------

def nudge_unacknowledged(ctx: JobContext, page: int = svc.PAGE) -> int:
    """N hours after a notice went out (default 24), remind once those who have not acknowledged it.
    Not while LINE's monthly quota is used up: the nudge waits and goes out once it is lifted."""
    now, queued = ctx.clock(), 0
    with ctx.session_factory() as session:
        if outbox.quota_blocked_until(session, now) is not None:
            return 0
        candidates = [n.id for n in session.scalars(select(Notice).where(
            Notice.status.in_([NoticeStatus.SENDING, NoticeStatus.SENT]), Notice.urgent.is_(False),
            Notice.nudge_after_hours.is_not(None), Notice.nudged_at.is_(None), Notice.send_at <= now)
            .order_by(Notice.id)) if n.send_at + timedelta(hours=n.nudge_after_hours) <= now]
    for notice_id in candidates:
        while True:
            with ctx.session_factory() as session, session.begin():
                result = _nudge_page(session, notice_id, ctx.clock(), page)
            if result is None:
                break
            queued += result.people
            if result.done:
                break
    return queued


def _nudge_page(session: Session, notice_id: int, now: datetime, size: int) -> svc.Queued | None:
    notice = session.scalars(select(Notice).where(Notice.id == notice_id).with_for_update(skip_locked=True)).first()
    if notice is None or notice.nudged_at is not None:
        return None
    if session.get(ChannelState, svc.QUEUE_CURSOR + str(notice.id)) is not None:
        return None  # not all queued yet
    key = svc.NUDGE_CURSOR + str(notice.id)
    cursor = session.get(ChannelState, key)
    if cursor is None:
        cursor = ChannelState(key=key, value="0", until=None, updated_at=now)
        session.add(cursor)
    after = int(cursor.value)
    # "เตือนอีกครั้ง: คุณยังไม่ได้กดรับทราบ" only to people the notice reached, not to those who registered since.
    rows = svc.recipient_page(session, svc.Audience.of(notice), after, size, unanswered_notice=notice.id,
                              registered_by=notice.counted_at)
    by_lang: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_lang[row.language if row.language in CATALOGUES else "th"].append(row.line_user_id)
    for lang, user_ids in sorted(by_lang.items()):
        outbox.enqueue(session, user_ids, nudge_messages(session, notice, lang), now=now, quiet_hours=True,
                       topic=svc.nudge_topic_of(notice.id))
    done = len(rows) < size
    if done:
        session.delete(cursor)
        notice.nudged_at = now
    else:
        cursor.value, cursor.updated_at = str(rows[-1].id), now
    session.flush()
    return svc.Queued(len(rows), done)


def register_jobs(scheduler, ctx: JobContext) -> None:
    """Add the notice jobs (each runs once at a time; a missed run just runs late)."""
    scheduler.add_job(send_notices, "interval", seconds=5, args=[ctx], id="notices")
    scheduler.add_job(settle_notices, "interval", seconds=30, args=[ctx], id="notices_settle")
    scheduler.add_job(nudge_unacknowledged, "interval", minutes=5, args=[ctx], id="notices_nudge")
    scheduler.add_job(refresh_line_facts, "interval", minutes=2, args=[ctx], id="line_facts")
