"""Saiyai's SQLAlchemy models, one module per aggregate."""

from models.base import Base, UTCDateTime
from models.conversation import Conversation
from models.outbox import ChannelState, OutboxKind, OutboxMessage, OutboxState
from models.webhook import EventStatus, WebhookEvent

__all__ = [
    "Base", "UTCDateTime", "Conversation", "ChannelState", "OutboxKind", "OutboxMessage",
    "OutboxState", "EventStatus", "WebhookEvent",
]
