"""How a notice goes out and at what cost: LINE's quota and group sizes as the scheduler stored them, the plan."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.services import registry as reg
from models import ChannelState, ChatLink, RoleFilter
from handlers.services.notices.audience import (
    Audience, GROUP_SIZE_PREFIX, GROUP_SIZE_TTL, QUOTA_KEY, QUOTA_TTL, count_recipients, target_community_ids,
)


@dataclass(frozen=True)
class Quota:
    """LINE's monthly figures as last fetched: limit None means the plan has none."""

    limit: int | None
    used: int
    as_of: datetime

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


def store_quota(session: Session, limit: int | None, used: int, now: datetime) -> None:
    _put(session, QUOTA_KEY, json.dumps({"limit": limit, "used": used}), now + QUOTA_TTL, now)


def cached_quota(session: Session, now: datetime) -> Quota | None:
    """The quota figures if fetched within the last few minutes, else None."""
    state = session.get(ChannelState, QUOTA_KEY)
    if state is None or state.until is None or state.until <= now:
        return None
    data = json.loads(state.value)
    return Quota(data.get("limit"), int(data.get("used", 0)), state.updated_at)


def store_group_size(session: Session, chat_id: str, count: int, now: datetime) -> None:
    _put(session, GROUP_SIZE_PREFIX + chat_id, str(count), now + GROUP_SIZE_TTL, now)


def group_sizes(session: Session, chat_ids: Sequence[str], now: datetime) -> dict[str, int]:
    """Cached member counts of these groups (those not fetched lately are missing)."""
    keys = {GROUP_SIZE_PREFIX + chat_id: chat_id for chat_id in chat_ids}
    if not keys:
        return {}
    rows = session.scalars(select(ChannelState).where(ChannelState.key.in_(list(keys)), ChannelState.until > now))
    return {keys[row.key]: int(row.value) for row in rows}


def stale_group_links(session: Session, refresh_before: datetime) -> list[str]:
    """Linked groups whose member count was never fetched or was fetched before `refresh_before`."""
    fresh = {key.removeprefix(GROUP_SIZE_PREFIX) for key in session.scalars(select(ChannelState.key).where(
        ChannelState.key.like(GROUP_SIZE_PREFIX + "%"), ChannelState.updated_at >= refresh_before))}
    linked = session.scalars(select(ChatLink.chat_id).where(
        ChatLink.left_at.is_(None), ChatLink.community_id.is_not(None)).order_by(ChatLink.chat_id))
    return [chat_id for chat_id in linked if chat_id not in fresh]


def _put(session: Session, key: str, value: str, until: datetime | None, now: datetime) -> None:
    state = session.get(ChannelState, key)
    if state is None:
        session.add(ChannelState(key=key, value=value, until=until, updated_at=now))
    else:
        state.value, state.until, state.updated_at = value, until, now
    session.flush()


def community_groups(session: Session, community_ids: Sequence[int]) -> dict[int, list[str]]:
    """The linked groups of each community (only communities that have one)."""
    found: dict[int, list[str]] = {}
    if not community_ids:
        return found
    for community_id, chat_id in session.execute(
            select(ChatLink.community_id, ChatLink.chat_id)
            .where(ChatLink.community_id.in_(list(community_ids)), ChatLink.left_at.is_(None))
            .order_by(ChatLink.chat_id)):
        found.setdefault(community_id, []).append(chat_id)
    return found


@dataclass(frozen=True)
class Plan:
    """How a notice would go out: through linked groups (one push each) or to each person (multicast)."""

    via_groups: bool
    groups: tuple[str, ...]
    people: int      # people reached (a group counts all its members)
    cost: int        # messages counted against LINE's monthly quota
    estimated: bool  # some group's member count unknown: its registered members were counted instead


def plan(session: Session, a: Audience, now: datetime) -> Plan:
    """Groups when every target community has a linked group and the notice is for everyone, else individuals."""
    if RoleFilter(a.role_filter) == RoleFilter.EVERYONE:
        communities = target_community_ids(session, a)
        groups = community_groups(session, communities)
        if communities and all(c in groups for c in communities):
            chat_ids = [chat for c in communities for chat in groups[c]]
            known = group_sizes(session, chat_ids, now)
            people = sum(group_people(session, chat_ids, now).values())
            return Plan(True, tuple(chat_ids), people, people, len(known) < len(chat_ids))
    people = count_recipients(session, a)
    return Plan(False, (), people, people, False)


def group_people(session: Session, chat_ids: Sequence[str], now: datetime) -> dict[str, int]:
    """Members of each group: LINE's count as last fetched, else the registered members of its community."""
    sizes = group_sizes(session, chat_ids, now)
    unknown = [chat for chat in chat_ids if chat not in sizes]
    if unknown:
        links = dict(session.execute(select(ChatLink.chat_id, ChatLink.community_id)
                                     .where(ChatLink.chat_id.in_(unknown))).all())
        registered = reg.member_counts(session, [c for c in set(links.values()) if c is not None])
        sizes.update({chat: registered.get(links.get(chat), 0) for chat in unknown})
    return sizes
