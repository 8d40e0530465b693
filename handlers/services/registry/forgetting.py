"""`ลืมฉัน` / `forget me`: erasing a person and scrubbing their name and phone from queued messages.

What a queued message may hold of a person, and what erasing does with it (docs/decisions/erasure.md):
- their LINE id as the target (the row goes) or among a multicast's recipients (taken out; a row left
  with nobody goes);
- their name or phone in the text of a message to others: replaced by "—", but only where it is theirs.
  Their name inside someone else's longer name ("สมศรี" in "สมศรี ใจดี", another registered member) is
  left alone.
Only rows LINE has not accepted can hold any of it (a sent row keeps no text and no recipients,
bot/outbox.py), and the database picks out the rows that mention the person: Python reads those only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Integer, Text, case, cast, delete, or_, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from handlers.services import seats
from models import Activity, Answer, Conversation, OutboxMessage, OutboxState, Person, Rsvp, WebhookEvent
from models.names import person_key
from handlers.services.registry.membership import ensure_person
from handlers.services.registry.people import find_person


# Rows that still hold text and recipients: a sent row keeps neither (bot/outbox.py), so erasure reads the
# backlog only (the state index), never the whole outbox.
_UNSENT = (OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING, OutboxState.DEAD]),)

# Names and phones shorter than this are not scrubbed: they would cut unrelated words.
MIN_SCRUB_LENGTH = 3
SCRUBBED = "—"
_BATCH = 200  # queued rows read into Python at a time (a member list may be 40 kB of JSON)


def forget_person(session: Session, person: Person, now: datetime) -> None:
    """Erase everything personal about someone, in the caller's transaction; counts elsewhere stay anonymous.

    Answers to meetings that have ended stay, without the person, so past attendance (counts, check-ins,
    the monthly summary) does not change; answers to meetings still to come go with them, freeing a seat.
    Their name and phone are scrubbed from messages still queued for others."""
    user_id = person.line_user_id
    secrets_ = _secrets(person)
    ended = select(Activity.id).where(Activity.ends_at <= now)
    session.execute(update(Rsvp).where(Rsvp.person_id == person.id, Rsvp.activity_id.in_(ended))
                    .values(person_id=None, proxy_by_id=None).execution_options(synchronize_session=False))
    holding = _seats_held(session, person)
    if user_id is not None:  # a member without LINE has no chats, log or messages (`== None` would match all)
        _forget_user_id(session, user_id)
    session.delete(person)
    session.flush()
    _seats_freed(session, holding, now)
    _scrub_queued(session, user_id, secrets_)


def forget_user(session: Session, line_user_id: str, now: datetime) -> bool:
    """`forget me`: erase a LINE user, known person or not, and scrub their name and phone from messages
    queued for others (a leader's member list, a nudge). True if a person was erased."""
    person = find_person(session, line_user_id)
    # A stranger's traces (conversation state, event log) go the same way as a person's.
    forget_person(session, person if person is not None else ensure_person(session, line_user_id, now), now)
    return person is not None


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
    """Erase what is kept under a LINE user id: conversations, the command log's ids, messages to them."""
    session.execute(delete(Conversation).where(or_(Conversation.user_id == user_id, Conversation.chat_id == user_id)))
    # A 1:1 chat's id is its user's id, so one indexed statement clears both.
    session.execute(update(WebhookEvent).where(WebhookEvent.user_id == user_id).values(
        user_id=None, chat_id=case((WebhookEvent.chat_id == user_id, None), else_=WebhookEvent.chat_id)))
    session.execute(delete(OutboxMessage).where(OutboxMessage.target == user_id))


# --- the queued messages -------------------------------------------------------------------------

def _secrets(person: Person) -> list[str]:
    """What identifies the person in a text: the name messages print (the full name, else the LINE name:
    `full_name or display_name` everywhere) and the phone."""
    name = person.full_name or person.display_name
    return [s for s in (name, person.phone) if s and len(s.strip()) >= MIN_SCRUB_LENGTH]


def _scrub_queued(session: Session, user_id: str | None, secrets_: Sequence[str]) -> None:
    """Take the user out of the recipients of unsent rows and their name and phone out of unsent texts.

    The database chooses the rows (a substring test on the stored JSON, in both the escaped form the app
    writes and plain UTF-8), so only rows that mention the person are read into Python, a batch at a time."""
    if not secrets_ and user_id is None:
        return
    # Each row's JSON is read (detoasted) once, in a fenced subquery (OFFSET 0), however many strings are
    # looked for in it: the texts of a queued member list are long.
    columns = [OutboxMessage.id]
    if secrets_:
        columns.append(cast(OutboxMessage.messages, Text).label("text"))
    if user_id is not None:  # a member without LINE is in no list of recipients
        columns.append(cast(OutboxMessage.recipients, Text).label("recipients"))
    stored = select(*columns).where(*_UNSENT).offset(0).subquery()
    found = [_position(stored.c.text, form) > 0 for secret in secrets_ for form in _stored_forms(secret)]
    if user_id is not None:
        found.append(_position(stored.c.recipients, json.dumps(user_id)) > 0)
    ids = list(session.scalars(select(stored.c.id).where(or_(*found)).order_by(stored.c.id)))
    # A bare given name may be in a thousand long member lists: read them a batch at a time.
    for i in range(0, len(ids), _BATCH):
        rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids[i:i + _BATCH]))
                                    .order_by(OutboxMessage.id)))
        others = _others_names(session, rows, secrets_)
        for row in rows:
            if user_id is not None and row.recipients and user_id in row.recipients:
                row.recipients = [r for r in row.recipients if r != user_id]
                row.recipient_count = len(row.recipients)
                if not row.recipients:  # it was for them alone: nothing left to send
                    session.delete(row)
                    continue
            scrubbed = _scrub(row.messages, secrets_, others)
            if scrubbed != row.messages:
                row.messages = scrubbed
        session.flush()


def _stored_forms(secret: str) -> list[str]:
    """How the secret may stand in stored JSON: escaped as json.dumps writes it (the app), or as it is."""
    return list(dict.fromkeys([json.dumps(secret)[1:-1], secret]))


class _position(FunctionElement):
    """Where a string first occurs in a text (1-based, 0 if nowhere): a plain substring search, several
    times cheaper than LIKE '%…%' on PostgreSQL for the long escaped JSON of a queued member list."""

    type = Integer()
    inherit_cache = True


@compiles(_position)
def _instr(element, compiler, **kw) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(_position, "postgresql")
def _strpos(element, compiler, **kw) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


# A name in Thai text has no spaces around it ("คุณสมศรีครับ", "โดยสมศรี ใจดี"), so whether an occurrence is
# the erased person's or part of a longer name is decided by the names registered: the letters glued to it
# on the left (from any of them), then nothing, the letters glued on the right, or those and the word after
# a space, are tried against every person's name key.
_LETTERS = re.compile(r"[\w\u0e00-\u0e7f]")
_REACH = 12  # letters looked at on either side of an occurrence: longer than any title or given name


def _occurrences(text: str, name: str) -> Iterable[tuple[int, tuple[str, str, str, str]]]:
    """Each occurrence of the name in the text with its surroundings: (name, glued left, glued right, next word)."""
    start = text.find(name)
    while start >= 0:
        end = start + len(name)
        left = start
        while left > 0 and start - left < _REACH and _LETTERS.match(text[left - 1]):
            left -= 1
        right = end
        while right < len(text) and right - end < _REACH and _LETTERS.match(text[right]):
            right += 1
        stop = right + 1
        if right < len(text) and text[right] == " ":
            while stop < len(text) and stop - right <= _REACH and _LETTERS.match(text[stop]):
                stop += 1
        yield start, (name, text[left:start], text[end:right], text[right + 1:stop])
        start = text.find(name, end)


def _candidates(around: tuple[str, str, str, str]) -> list[str]:
    """The longer strings around an occurrence that could be someone else's whole name."""
    name, left, right, word = around
    afters = [""] + ([right] if right else []) + ([f"{right} {word}"] if word else [])
    befores = [left[i:] for i in range(len(left))] + [""]
    return [b + name + a for b in befores for a in afters if b or a]


def _strings(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _others_names(session: Session, rows: Sequence[OutboxMessage], secrets_: Sequence[str]) -> set[tuple]:
    """The surroundings in which an occurrence of the erased name is part of a registered person's longer
    name (one look-up of person.name_key, indexed, per 5,000 keys). The person's own key does not count: a
    namesake cannot be told apart in a text, and erasure wins."""
    own = {person_key(s) for s in secrets_}
    keys: dict[tuple, set[str]] = {}
    for text in (t for row in rows for t in _strings(row.messages)):
        for secret in (s for s in secrets_ if not s.isdigit()):
            for _, around in _occurrences(text, secret):
                if around not in keys:
                    keys[around] = {person_key(c) for c in _candidates(around)} - own - {""}
    wanted = sorted(set().union(*keys.values())) if keys else []
    registered: set[str] = set()
    for i in range(0, len(wanted), 5000):
        registered.update(session.scalars(select(Person.name_key).where(Person.name_key.in_(wanted[i:i + 5000]))))
    return {around for around, found in keys.items() if found & registered}


def _scrub(value, secrets_: Sequence[str], others: set[tuple]):
    """The same JSON value with every secret string replaced where it is the person's (a new object, so the
    change is saved): a phone where no digit continues it, a name where it is not part of another's name."""
    if isinstance(value, str):
        for secret in secrets_:
            value = _scrub_text(value, secret, others)
        return value
    if isinstance(value, list):
        return [_scrub(item, secrets_, others) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, secrets_, others) for key, item in value.items()}
    return value


def _scrub_text(text: str, secret: str, others: set[tuple]) -> str:
    if secret.isdigit():
        return re.sub(rf"(?<!\d){re.escape(secret)}(?!\d)", SCRUBBED, text)
    parts, last = [], 0
    for start, around in _occurrences(text, secret):
        if around in others:
            continue
        parts += [text[last:start], SCRUBBED]
        last = start + len(secret)
    return "".join(parts) + text[last:]
