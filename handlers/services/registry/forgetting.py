"""`ลืมฉัน` / `forget me`: erasing a person and scrubbing their name and phone from queued messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.orm import Session

from handlers.services import seats
from models import Activity, Answer, Conversation, OutboxMessage, OutboxState, Person, Rsvp, WebhookEvent
from handlers.services.registry.membership import ensure_person
from handlers.services.registry.people import find_person


# Rows that still hold text and recipients: a sent row keeps neither (bot/outbox.py), so erasure reads the
# backlog only (the state index), never the whole outbox.
_UNSENT = (OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING, OutboxState.DEAD]),)

def forget_person(session: Session, person: Person, now: datetime) -> None:
    """Erase everything personal about someone, in the caller's transaction; counts elsewhere stay anonymous.

    Answers to meetings that have ended stay, without the person, so past attendance (counts, check-ins,
    the monthly summary) does not change; answers to meetings still to come go with them, freeing a seat."""
    user_id = person.line_user_id
    ended = select(Activity.id).where(Activity.ends_at <= now)
    session.execute(update(Rsvp).where(Rsvp.person_id == person.id, Rsvp.activity_id.in_(ended))
                    .values(person_id=None, proxy_by_id=None).execution_options(synchronize_session=False))
    holding = _seats_held(session, person)
    if user_id is not None:  # a member without LINE has no chats, log or messages (`== None` would match all)
        _forget_user_id(session, user_id)
    session.delete(person)
    session.flush()
    _seats_freed(session, holding, now)


def _seats_held(session: Session, person: Person) -> list[Activity]:
    """Activities still to come where the person's answer holds or waits for seats: those the person's
    leaving may free (read before the answers go)."""
    return list(session.scalars(select(Activity).where(Activity.id.in_(
        select(Rsvp.activity_id).where(Rsvp.person_id == person.id, Rsvp.answer == Answer.GOING)),
        Activity.capacity.is_not(None)).order_by(Activity.id)))


def _seats_freed(session: Session, activities: Sequence[Activity], now: datetime) -> None:
    """The seats of answers that went are given to the waitlist, in this transaction (seats.py)."""
    for activity in activities:
        if activity.ends_at > now:
            seats.seats_freed(session, activity, now)


def _forget_user_id(session: Session, user_id: str) -> None:
    """Erase what is kept under a LINE user id: conversations, the command log's ids, queued messages."""
    session.execute(delete(Conversation).where(or_(Conversation.user_id == user_id, Conversation.chat_id == user_id)))
    # A 1:1 chat's id is its user's id, so one indexed statement clears both.
    session.execute(update(WebhookEvent).where(WebhookEvent.user_id == user_id).values(
        user_id=None, chat_id=case((WebhookEvent.chat_id == user_id, None), else_=WebhookEvent.chat_id)))
    session.execute(delete(OutboxMessage).where(OutboxMessage.target == user_id))
    # Multicast rows list many users: take this one out of every list still holding it. Sent rows keep
    # no list (bot/outbox.py), so only the backlog is read, not the month of history.
    for row in session.scalars(select(OutboxMessage).where(*_UNSENT, OutboxMessage.recipients.is_not(None))):
        if row.recipients and user_id in row.recipients:
            row.recipients = [r for r in row.recipients if r != user_id]
            row.recipient_count = len(row.recipients)


# forget_user scrubs names and phones from outgoing messages; shorter strings would cut unrelated words.
MIN_SCRUB_LENGTH = 3
SCRUBBED = "—"


def forget_user(session: Session, line_user_id: str, now: datetime) -> bool:
    """`forget me`: erase a LINE user, known person or not, and scrub their name and phone from messages
    queued or sent to others (a leader's member list, a nudge). True if a person was erased."""
    person = find_person(session, line_user_id)
    known = person is not None
    secrets_ = [] if person is None else [s for s in (person.full_name, person.display_name, person.phone)
                                          if s and len(s.strip()) >= MIN_SCRUB_LENGTH]
    # A stranger's traces (conversation state, event log) go the same way as a person's.
    forget_person(session, person if person is not None else ensure_person(session, line_user_id, now), now)
    if secrets_:
        for row in session.scalars(select(OutboxMessage).where(*_UNSENT)):
            scrubbed = _scrub(row.messages, secrets_)
            if scrubbed != row.messages:
                row.messages = scrubbed
        session.flush()
    return known


def _scrub(value, secrets_: Sequence[str]):
    """The same JSON value with every secret string replaced (a new object, so the change is saved)."""
    if isinstance(value, str):
        for secret in secrets_:
            value = value.replace(secret, SCRUBBED)
        return value
    if isinstance(value, list):
        return [_scrub(item, secrets_) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, secrets_) for key, item in value.items()}
    return value
