"""Activity codes people type, finding an activity by its code, and a network's communities."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.registry import strip_polite
from handlers.services.registry import INVITE_ALPHABET
from models import Activity, Community, Membership, Network, NetworkKind, community_issue_network


CHECK_IN_OPENS = timedelta(hours=1)
UPCOMING_LIMIT = 12  # a Flex carousel holds at most 12 bubbles


def new_code(session: Session) -> str:
    """A short code people can type (`ไป K7M2`), unique among activities."""
    while True:
        code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(4))
        if session.scalar(select(func.count()).where(Activity.code == code)) == 0:
            return code


def find_activity(session: Session, memberships: Sequence[Membership], code: str, *,
                  lock: bool = False) -> Activity | None:
    """The activity with this code (case, spaces and a polite ending forgiven: "k7m2 ครับ") that the sender
    holding these memberships may ask about: one of their own organizations'. Every command that takes a code
    looks it up here, so another district's activity is not found, like a code nobody has: its title, counts,
    network or existence are never told outside it (as another district's community or notice is not).
    With `lock`, its row is locked for the caller's change and read afresh (PostgreSQL), in the same statement."""
    cleaned = strip_polite(code).upper().replace(" ", "")
    organizations = {m.organization_id for m in memberships}
    if not cleaned or not organizations:
        return None
    query = select(Activity).where(Activity.code == cleaned, Activity.organization_id.in_(organizations))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).first()


def network_communities(session: Session, network: Network) -> list[Community]:
    """The communities of a network: a zone's own communities, or an issue network's members."""
    if network.kind == NetworkKind.ZONE:
        query = select(Community).where(Community.zone_id == network.id)
    else:
        query = select(Community).join(community_issue_network,
                                       community_issue_network.c.community_id == Community.id).where(
            community_issue_network.c.network_id == network.id)
    return list(session.scalars(query.order_by(Community.name)))
