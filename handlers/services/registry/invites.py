"""Invite codes: create, find, take and redeem."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Community, InviteCode, Membership, Network, Organization, Person, RoleName
from handlers.services.registry.membership import grant
from handlers.services.registry.people import INVITE_ALPHABET, INVITE_TTL


def create_invite(session: Session, role: RoleName, organization_id: int, *, now: datetime,
                  network: Network | None = None, community: Community | None = None,
                  created_by: Person | None = None, ttl: timedelta = INVITE_TTL) -> InviteCode:
    """A fresh single-use code for a leader (of a community) or a chair (of a network)."""
    invite = InviteCode(code="-".join("".join(secrets.choice(INVITE_ALPHABET) for _ in range(4)) for _ in range(2)),
                        role=role, organization_id=organization_id,
                        network_id=network.id if network else None,
                        community_id=community.id if community else None,
                        created_by_id=created_by.id if created_by else None,
                        expires_at=now + ttl, created_at=now)
    session.add(invite)
    session.flush()
    return invite


class InviteError(Exception):
    """Why a code cannot be used: unknown, used or expired (the message is a catalogue key)."""


def invite_by_code(session: Session, code: str) -> InviteCode | None:
    """The code that was typed (spacing, dashes and case forgiven), used or not."""
    cleaned = re.sub(r"[\s\-]", "", code.upper())
    if len(cleaned) != 8:
        return None
    return session.scalars(select(InviteCode).where(InviteCode.code == f"{cleaned[:4]}-{cleaned[4:]}")).first()


def find_invite(session: Session, code: str, now: datetime) -> InviteCode:
    """The usable code that was typed, without using it; InviteError says why not."""
    invite = invite_by_code(session, code)
    if invite is None:
        raise InviteError("invite.unknown")
    if invite.used_at is not None:
        raise InviteError("invite.used")
    if invite.expires_at <= now:
        raise InviteError("invite.expired")
    return invite


def take_invite(session: Session, invite: InviteCode, person: Person, now: datetime) -> None:
    """Use a code once: a conditional update, so two people cannot both take it."""
    taken = session.execute(update(InviteCode).where(InviteCode.id == invite.id, InviteCode.used_at.is_(None))
                            .values(used_at=now, used_by_id=person.id))
    if taken.rowcount != 1:
        raise InviteError("invite.used")


def redeem_invite(session: Session, person: Person, code: str, now: datetime) -> Membership:
    """Use a code that gives a role: single-use and unexpired."""
    invite = find_invite(session, code, now)
    if invite.person_id is not None:  # a link code (`ผูกไลน์`) gives no role: handlers/members.py takes it
        raise InviteError("invite.unknown")
    take_invite(session, invite, person, now)
    organization = session.get(Organization, invite.organization_id)
    network = session.get(Network, invite.network_id) if invite.network_id else None
    community = session.get(Community, invite.community_id) if invite.community_id else None
    return grant(session, person, RoleName(invite.role), organization, network=network, community=community, now=now)
