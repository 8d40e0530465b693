"""Taking back a notice still waiting for its send time."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from models import Membership, Notice, NoticeStatus, Person, RoleName


def may_cancel(held: Sequence[Membership], person: Person | None, notice: Notice) -> bool:
    """The notice's author, or staff of its organization."""
    if person is not None and notice.author_id == person.id:
        return True
    return any(m.role == RoleName.STAFF and m.organization_id == notice.organization_id for m in held)


def cancellable(session: Session, held: Sequence[Membership], person: Person | None,
                limit: int) -> tuple[list[Notice], int]:
    """Scheduled notices someone may cancel, the next to go out first (at most `limit`), and how many there are."""
    mine = [Notice.organization_id.in_([m.organization_id for m in held if m.role == RoleName.STAFF])]
    if person is not None:
        mine.append(Notice.author_id == person.id)
    condition = and_(Notice.status == NoticeStatus.SCHEDULED, or_(*mine))
    count = session.scalar(select(func.count()).select_from(Notice).where(condition)) or 0
    found = session.scalars(select(Notice).where(condition).order_by(Notice.send_at, Notice.id).limit(limit)).all()
    return list(found), count


def cancel_notice(session: Session, notice: Notice) -> bool:
    """Cancel a notice that is only scheduled; False (nothing changed) once it has started going out.

    A notice gets its first outbox rows in the transaction that moves it from scheduled to sending
    (queue_page). Both moves are conditional updates, so whichever commits first wins: a cancelled
    notice never has an outbox row, and a notice with rows is never marked cancelled."""
    moved = session.execute(update(Notice).where(Notice.id == notice.id, Notice.status == NoticeStatus.SCHEDULED)
                            .values(status=NoticeStatus.CANCELLED).execution_options(synchronize_session=False))
    session.refresh(notice)
    return moved.rowcount == 1
