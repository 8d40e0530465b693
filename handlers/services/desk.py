"""The web desk's services: one-time sign-in links (made in the chat by handlers/desk.py, spent on the web
by bot/desk/auth.py) and the audit log.

Only the SHA-256 of a token is stored, so a copy of the database signs nobody in. A link works once,
for ten minutes, and only for the LINE user it was sent to.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from models import AuditLog, DeskLink, Person

LINK_TTL = timedelta(minutes=10)
# More refused sign-ins than this from one address within the window, and that address is refused for a while.
FAILURE_LIMIT = 10
FAILURE_WINDOW = timedelta(minutes=10)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_link(session: Session, person: Person, now: datetime) -> str:
    """A fresh token for this person's LINE user; the caller puts it in a URL. Their links that can no
    longer be used go (sign-ins are in the audit log), so the table holds a few rows per person at most."""
    session.execute(delete(DeskLink).where(DeskLink.person_id == person.id,
                                           or_(DeskLink.used_at.is_not(None), DeskLink.expires_at <= now)))
    token = secrets.token_urlsafe(32)
    session.add(DeskLink(token_hash=token_hash(token), person_id=person.id, line_user_id=person.line_user_id,
                         created_at=now, expires_at=now + LINK_TTL))
    return token


@dataclass(frozen=True)
class LinkCheck:
    link: DeskLink | None
    problem: str | None  # None: usable; "unknown", "used", "expired", "unbound"


def check_link(session: Session, token: str, now: datetime) -> LinkCheck:
    """Whether the token can sign in now (reading only: opening the page must not spend it, because
    LINE and mail scanners fetch links to preview them)."""
    if not token or len(token) > 100:
        return LinkCheck(None, "unknown")
    link = session.scalars(select(DeskLink).where(DeskLink.token_hash == token_hash(token))).first()
    if link is None:
        return LinkCheck(None, "unknown")
    if link.used_at is not None:
        return LinkCheck(link, "used")
    if link.expires_at <= now:
        return LinkCheck(link, "expired")
    person = session.get(Person, link.person_id)
    if person is None or person.line_user_id != link.line_user_id:
        return LinkCheck(link, "unbound")
    return LinkCheck(link, None)


def spend_link(session: Session, link: DeskLink, now: datetime) -> bool:
    """Mark the link used; False when another request spent it first (one UPDATE decides the race)."""
    spent = session.execute(update(DeskLink).where(DeskLink.id == link.id, DeskLink.used_at.is_(None))
                            .values(used_at=now))
    return spent.rowcount == 1


def recent_failures(session: Session, ip: str | None, now: datetime) -> int:
    """Refused sign-ins from this address within the window."""
    return session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "signin_refused", AuditLog.ip == ip, AuditLog.at > now - FAILURE_WINDOW)) or 0


def audit(session: Session, action: str, now: datetime, *, actor_id: int | None = None,
          organization_id: int | None = None, target: str | None = None, detail: dict | None = None,
          ip: str | None = None) -> AuditLog:
    """Record one entry of the audit log in the caller's transaction."""
    entry = AuditLog(at=now, actor_id=actor_id, organization_id=organization_id, action=action,
                     target=target, detail=detail, ip=ip)
    session.add(entry)
    return entry
