"""Members without LINE who get it later (`ผูกไลน์`, handlers/members.py): link codes, linking, merging."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Community, InviteCode, Membership, NoticeAck, Person, RoleName, Rsvp
from handlers.services.registry.forgetting import _seats_freed, _seats_held
from handlers.services.registry.invites import create_invite
from handlers.services.registry.names import person_key
from handlers.services.registry.people import CONSENT_VERSION


def create_link_code(session: Session, offline: Person, community: Community, by: Person | None,
                     now: datetime) -> InviteCode:
    """A code that links this member without LINE to the LINE of whoever uses it; older codes for them stop
    working, so only the code the leader gave last is valid."""
    session.execute(update(InviteCode).where(InviteCode.person_id == offline.id, InviteCode.used_at.is_(None),
                                             InviteCode.expires_at > now).values(expires_at=now))
    invite = create_invite(session, RoleName.MEMBER, community.organization_id, now=now, community=community,
                           created_by=by)
    invite.person_id = offline.id
    session.flush()
    return invite


def link_line(session: Session, offline: Person, user_id: str, lang: str | None, now: datetime) -> None:
    """Give the member's row this LINE user id: from now on they are reached and answer themselves. They
    agreed in LINE just now, so the consent is theirs, no longer recorded by a leader."""
    offline.line_user_id, offline.language = user_id, lang
    offline.consent_version, offline.consented_at, offline.consent_recorded_by_id = CONSENT_VERSION, now, None
    offline.blocked_at, offline.updated_at = None, now
    session.flush()


def namesakes_without_line(session: Session, community: Community, name: str) -> list[Person]:
    """Members of this community without LINE whom a leader registered under this name (titles forgiven)."""
    key = person_key(name)
    return [p for p in session.scalars(select(Person).join(Membership, Membership.person_id == Person.id).where(
        Membership.community_id == community.id, Person.line_user_id.is_(None)).order_by(Person.id))
        if person_key(p.full_name or "") == key]


def merge_offline(session: Session, offline: Person, person: Person, now: datetime) -> int:
    """Fold a member without LINE into the registered person they turned out to be: their answers move over
    (where the person answered the same activity or notice themselves, their own answer stands), then the
    row without LINE is deleted with its membership. Returns how many answers moved."""
    moved = 0
    holding = _seats_held(session, offline)
    for model, other in ((Rsvp, Rsvp.activity_id), (NoticeAck, NoticeAck.notice_id)):
        own = select(other).where(model.person_id == person.id).scalar_subquery()
        moved += session.execute(update(model).where(model.person_id == offline.id, other.not_in(own))
                                 .values(person_id=person.id).execution_options(synchronize_session=False)).rowcount
    session.execute(update(InviteCode).where(InviteCode.person_id == offline.id, InviteCode.used_at.is_(None))
                    .values(expires_at=now))
    # The number the leader wrote down (often a relative's) stays reachable if they gave none themselves.
    person.phone = person.phone or offline.phone
    person.updated_at = now
    session.delete(offline)  # its remaining answers (those the person gave too) and membership go with it
    session.flush()
    _seats_freed(session, holding, now)  # where both held a seat, one is free now
    return moved
