"""Saiyai's SQLAlchemy models, one module per aggregate."""

from models.activities import (
    Activity,
    ActivityStatus,
    Answer,
    HostLog,
    HostLogKind,
    HostSlot,
    HostState,
    Rsvp,
    Series,
)
from models.base import Base, UTCDateTime
from models.conversation import Conversation
from models.desk import AuditLog, CalendarFeed, DeskLink, StoredFile
from models.followups import ActivityReport, ReportPhoto
from models.notices import AckKind, Notice, NoticeAck, NoticeAudience, NoticeScope, NoticeStatus, RoleFilter
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
from models.richmenus import RichMenu
from models.webhook import EventStatus, WebhookEvent

__all__ = [
    "Base", "UTCDateTime", "Conversation", "ChannelState", "OutboxKind", "OutboxMessage",
    "OutboxState", "EventStatus", "WebhookEvent", "ChatLink", "InviteCode", "Membership", "Person",
    "RoleName", "Alias", "Community", "Network", "NetworkKind", "Organization", "Partner", "PartnerSector",
    "community_issue_network", "partner_network", "Activity", "ActivityStatus", "Answer", "HostLog",
    "HostLogKind", "HostSlot", "HostState", "Rsvp", "Series", "ActivityReport", "ReportPhoto",
    "AckKind", "Notice", "NoticeAck", "NoticeAudience", "NoticeScope", "NoticeStatus", "RoleFilter",
    "RichMenu",
    "AuditLog", "CalendarFeed", "DeskLink", "StoredFile",
]
