"""Outgoing messages waiting to be sent, sent, or given up on — the durable half of sending."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class OutboxKind(StrEnum):
    PUSH = "push"            # one user, group or room
    MULTICAST = "multicast"  # up to 500 user ids
    # Rich menus: `rich_menu` names the menu (models.RichMenu.key); `target` is one user, or `recipients`
    # up to 500 (LINE's bulk link). Linking is idempotent, so a retry can do no harm.
    MENU_LINK = "menu_link"
    MENU_UNLINK = "menu_unlink"  # back to the default menu (the stranger's)


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"   # claimed by a dispatcher; reclaimed when its lease runs out
    SENT = "sent"
    DEAD = "dead"         # LINE refused it for good (4xx); last_error says why


class OutboxMessage(Base):
    """Up to five LINE messages for one target; retried with the same retry key until LINE accepts."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_state_due_at", "state", "due_at"),
                      # the hourly purge of settled rows reads by age
                      Index("ix_outbox_message_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OutboxKind] = mapped_column(String(16))
    # push: the user, group or room id; multicast: null (see recipients). Indexed: erasing a user deletes
    # the rows addressed to them.
    target: Mapped[str | None] = mapped_column(String(64), index=True)
    # Who a multicast goes to and what it says are kept only until LINE accepts it: a sent row keeps
    # how many it reached (recipient_count), not who or what, so erasing a person never reads sent rows.
    recipients: Mapped[list[str] | None] = mapped_column(JSON)
    recipient_count: Mapped[int | None]
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    rich_menu: Mapped[str | None] = mapped_column(String(32))  # menu rows only: the menu to link
    # Set while a reply token may still be used: the web worker replies (free) and marks the
    # row sent; if it cannot, the row is pushed to `target` once it falls due.
    reply_token: Mapped[str | None] = mapped_column(String(128))
    # The X-Line-Retry-Key, reused on every attempt so LINE never delivers a row twice.
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    # Set by jobs that must send a thing once per (job, target, occurrence).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # What the row belongs to (e.g. "notice:17"), to tell staff what was and was not delivered.
    topic: Mapped[str | None] = mapped_column(String(64), index=True)
    state: Mapped[OutboxState] = mapped_column(String(16), default=OutboxState.PENDING)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChannelState(Base):
    """Facts about the LINE channel that every process must see, e.g. a used-up monthly quota."""

    __tablename__ = "channel_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
