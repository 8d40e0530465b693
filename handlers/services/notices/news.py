"""Reading notices: the news for a person or a group, and the notices a sender may see."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from handlers.services import registry as reg
from models import (
    ChatLink, Community, Membership, Notice, NoticeScope, NoticeStatus, Person, RoleFilter, RoleName,
    community_issue_network,
)
from handlers.services.notices.audience import Audience, NEWS_LIMIT, NEWS_SCAN, is_recipient


SHOWN = (NoticeStatus.SENDING, NoticeStatus.SENT, NoticeStatus.STOPPED)


def news_for(session: Session, held: Sequence[Membership], limit: int = NEWS_LIMIT) -> list[Notice]:
    """The latest notices that were for someone holding these memberships (newest first)."""
    organizations = reg.organizations_of(held)
    if not organizations:
        return []
    found = []
    for notice in session.scalars(select(Notice).where(Notice.organization_id.in_(organizations),
                                                       Notice.status.in_(SHOWN))
                                  .order_by(Notice.send_at.desc(), Notice.id.desc()).limit(NEWS_SCAN)):
        if is_recipient(session, Audience.of(notice), held):
            found.append(notice)
            if len(found) == limit:
                break
    return found


def news_for_link(session: Session, link: ChatLink, limit: int = NEWS_LIMIT) -> list[Notice]:
    """The latest notices for everyone that covered a linked group's community or network."""
    conditions = [and_(Notice.scope == NoticeScope.ORGANIZATION, Notice.organization_id == link.organization_id)]
    if link.community_id:
        community = session.get(Community, link.community_id)
        conditions.append(Notice.community_id == community.id)
        conditions.append(and_(Notice.scope == NoticeScope.NETWORK,
                               Notice.network_id.in_(reg.community_networks(session, community))))
    else:
        conditions.append(and_(Notice.scope == NoticeScope.NETWORK, Notice.network_id == link.network_id))
    return list(session.scalars(select(Notice).where(
        or_(*conditions), Notice.role_filter == RoleFilter.EVERYONE, Notice.status.in_(SHOWN))
        .order_by(Notice.send_at.desc(), Notice.id.desc()).limit(limit)))


def visible_notices(session: Session, held: Sequence[Membership], person: Person | None, *, urgent: bool,
                    limit: int) -> list[Notice]:
    """The latest notices (or alerts) someone may see the status of, newest first: its author, staff of
    its organization, the chair of its network, or whoever manages its community (a leader of it, the
    chair of its zone or of an issue network it joined). One statement, so the cost does not grow with
    the notices of a district."""
    organizations = reg.organizations_of(held)
    if not organizations:
        return []
    visible = []
    staff_of = [m.organization_id for m in held if m.role == RoleName.STAFF]
    if staff_of:
        visible.append(Notice.organization_id.in_(staff_of))
    if person is not None:
        visible.append(Notice.author_id == person.id)
    chaired = [m.network_id for m in held if m.role == RoleName.NETWORK_CHAIR and m.network_id is not None]
    led = [m.community_id for m in held if m.role == RoleName.COMMUNITY_LEADER and m.community_id is not None]
    if chaired:
        visible.append(and_(Notice.scope == NoticeScope.NETWORK, Notice.network_id.in_(chaired)))
        joined = select(community_issue_network.c.community_id).where(community_issue_network.c.network_id.in_(chaired))
        led_or_chaired = or_(Notice.community_id.in_(led), Notice.community_id.in_(
            select(Community.id).where(or_(Community.zone_id.in_(chaired), Community.id.in_(joined)))))
        visible.append(and_(Notice.scope == NoticeScope.COMMUNITY, led_or_chaired))
    elif led:
        visible.append(and_(Notice.scope == NoticeScope.COMMUNITY, Notice.community_id.in_(led)))
    if not visible:
        return []
    return list(session.scalars(select(Notice).where(Notice.organization_id.in_(organizations),
                                                     Notice.urgent.is_(urgent), or_(*visible))
                                .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit)))
