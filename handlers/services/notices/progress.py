"""How far a notice's delivery has come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Notice, OutboxKind, OutboxMessage, OutboxState
from handlers.services.notices.audience import topic_of
from handlers.services.notices.cost import group_people


@dataclass(frozen=True)
class Delivery:
    """People a notice's outbox rows reached, are still waiting for, or LINE refused for good."""

    total: int
    delivered: int
    waiting: int
    failed: int

    @property
    def missing(self) -> int:
        return max(self.total - self.delivered, 0)


def delivery(session: Session, notice: Notice, now: datetime) -> Delivery:
    """Counted by the database from the outbox rows (a group push counts the group's members)."""
    topic = topic_of(notice.id)
    people = {OutboxState.SENT: 0, OutboxState.PENDING: 0, OutboxState.SENDING: 0, OutboxState.DEAD: 0}
    for state, count in session.execute(
            select(OutboxMessage.state, func.coalesce(func.sum(OutboxMessage.recipient_count), 0))
            .where(OutboxMessage.topic == topic, OutboxMessage.kind == OutboxKind.MULTICAST)
            .group_by(OutboxMessage.state)):
        people[OutboxState(state)] += int(count)
    pushes = session.execute(select(OutboxMessage.state, OutboxMessage.target).where(
        OutboxMessage.topic == topic, OutboxMessage.kind == OutboxKind.PUSH)).all()
    sizes = group_people(session, [t for _, t in pushes if t and not t.startswith("U")], now)
    for state, target in pushes:
        people[OutboxState(state)] += sizes.get(target, 1)
    return Delivery(total=notice.recipients, delivered=people[OutboxState.SENT],
                    waiting=people[OutboxState.PENDING] + people[OutboxState.SENDING],
                    failed=people[OutboxState.DEAD])


def unsettled(session: Session, topic: str) -> int:
    """Rows of a topic LINE has not accepted or refused yet."""
    return session.scalar(select(func.count()).where(
        OutboxMessage.topic == topic, OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]))) or 0
