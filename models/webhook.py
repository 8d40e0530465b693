"""Webhook events already seen, so a redelivered event has no second effect."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class EventStatus(StrEnum):
    DONE = "done"
    FAILED = "failed"


class WebhookEvent(Base):
    """One LINE webhook event that was addressed to the bot; no message text is kept."""

    __tablename__ = "webhook_event"
    __table_args__ = (
        # `ข้อมูลของฉัน`, registration's likely communities and erasure read one user's events.
        Index("ix_webhook_event_user_id", "user_id"),
        # the daily purge reads by age (events are kept EVENT_RETENTION, bot/pipeline.py)
        Index("ix_webhook_event_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # LINE's ULID; the unique constraint is what makes redelivery harmless.
    event_key: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(32))
    chat_kind: Mapped[str | None] = mapped_column(String(8))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    is_redelivery: Mapped[bool] = mapped_column(default=False)
    status: Mapped[EventStatus] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
