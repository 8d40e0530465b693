"""Saiyai's SQLAlchemy models, one module per aggregate."""

from models.base import Base, UTCDateTime
from models.conversation import Conversation
from models.outbox import ChannelState, OutboxKind, OutboxMessage, OutboxState
from models.people import ChatLink, InviteCode, Membership, Person, RoleName
from models.registry import (
    Alias,
    Community,
    Network,
    NetworkKind,
    Organization,
    Partner,
    PartnerSector,
    community_issue_network,
    partner_network,
)
from models.webhook import EventStatus, WebhookEvent

__all__ = [
    "Base", "UTCDateTime", "Conversation", "ChannelState", "OutboxKind", "OutboxMessage",
    "OutboxState", "EventStatus", "WebhookEvent", "ChatLink", "InviteCode", "Membership", "Person",
    "RoleName", "Alias", "Community", "Network", "NetworkKind", "Organization", "Partner", "PartnerSector",
    "community_issue_network", "partner_network",
]
