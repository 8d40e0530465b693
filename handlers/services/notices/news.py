"""Reading notices: the news for a person or a group, and the notices a sender may see."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from handlers.services import registry as reg
from models import ChatLink, Community, Membership, Network, Notice, NoticeScope, NoticeStatus, Person, RoleFilter
from handlers.services.notices.audience import Audience, NEWS_LIMIT, NEWS_SCAN, is_recipient
from handlers.services.notices.cancelling import may_cancel


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


def may_view(session: Session, held: Sequence[Membership], person: Person | None, notice: Notice) -> bool:
    """The author, staff of its organization, or whoever manages its network or community."""
    if may_cancel(held, person, notice):
        return True
    if notice.scope == NoticeScope.NETWORK:
        network = session.get(Network, notice.network_id)
        return network is not None and reg.can_manage_network(held, network)
    if notice.scope == NoticeScope.COMMUNITY:
        community = session.get(Community, notice.community_id)
        return community is not None and reg.can_manage_community(session, held, community)
    return False


def visible_notices(session: Session, held: Sequence[Membership], person: Person | None, *, urgent: bool,
                    limit: int) -> list[Notice]:
    """The latest notices (or alerts) someone may see the status of, newest first."""
    organizations = reg.organizations_of(held)
    found = []
    for notice in session.scalars(select(Notice).where(Notice.organization_id.in_(organizations),
                                                       Notice.urgent.is_(urgent))
                                  .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(NEWS_SCAN)):
        if may_view(session, held, person, notice):
            found.append(notice)
            if len(found) == limit:
                break
    return found
