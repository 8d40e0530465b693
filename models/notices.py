"""District notices and urgent alerts, and who acknowledged them (or answered safe / need help)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class NoticeScope(StrEnum):
    ORGANIZATION = "organization"  # everyone in the district
    NETWORK = "network"
    COMMUNITY = "community"


class RoleFilter(StrEnum):
    EVERYONE = "everyone"
    LEADERS = "leaders"        # community leaders, chairs and staff
    COMMITTEE = "committee"    # community leaders (president, secretary, committee)
    PARTNERS = "partners"


class NoticeStatus(StrEnum):
    SCHEDULED = "scheduled"    # waiting for its send time
    SENDING = "sending"        # queued in the outbox
    SENT = "sent"
    STOPPED = "stopped"        # LINE's monthly quota ran out part-way; staff were told what went out
    CANCELLED = "cancelled"


class Notice(Base):
    """A notice sent to a scope of people, through their linked groups or to each person."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_status_send_at", "status", "send_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    scope: Mapped[NoticeScope] = mapped_column(String(16))
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    role_filter: Mapped[RoleFilter] = mapped_column(String(16), default=RoleFilter.EVERYONE)
    via_groups: Mapped[bool] = mapped_column(default=False)  # push once per linked group instead of per person
    text: Mapped[str] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(String(1000))
    location_title: Mapped[str | None] = mapped_column(String(200))
    location_address: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    urgent: Mapped[bool] = mapped_column(default=False)  # an alert: ignores quiet hours, asks safe / need help
    status: Mapped[NoticeStatus] = mapped_column(String(16), default=NoticeStatus.SCHEDULED)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recipients: Mapped[int] = mapped_column(default=0)     # people reached (group members counted)
    cost: Mapped[int] = mapped_column(default=0)           # messages counted against LINE's quota
    nudge_after_hours: Mapped[int | None]                  # one reminder to those who did not acknowledge
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stop_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the people it reached were counted by community (notice_audience); None: not yet.
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NoticeAudience(Base):
    """How many people a notice reached in one community, counted once when it went out.

    `ประกาศ สถานะ` compares these with the answers (counted by `notice_ack.community_id`) instead of
    deriving the audience again from every membership and person of a district at each look."""

    __tablename__ = "notice_audience"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="SET NULL"))
    reached: Mapped[int]  # consented people a push reaches, the author left out, counted under this community
    offline: Mapped[int]  # consented members without LINE it could not reach (a leader phones them)


class AckKind(StrEnum):
    ACKNOWLEDGED = "acknowledged"  # รับทราบ
    SAFE = "safe"                  # ปลอดภัย (urgent alerts)
    NEED_HELP = "need_help"        # ต้องการความช่วยเหลือ


class NoticeAck(Base):
    """One person's answer to a notice; the latest answer wins."""

    __tablename__ = "notice_ack"
    __table_args__ = (
        UniqueConstraint("notice_id", "person_id", name="uq_notice_ack_notice_person"),
        # An alert's status: the latest people needing help (and the latest safe), one screen of them.
        Index("ix_notice_ack_notice_id_kind_at", "notice_id", "kind", "at"),
        # Answers a leader gave for members without LINE: few, found without reading the others.
        Index("ix_notice_ack_answered_for", "notice_id", "at", postgresql_where=text("proxy_by_id IS NOT NULL"),
              sqlite_where=text("proxy_by_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="SET NULL"))
    kind: Mapped[AckKind] = mapped_column(String(16))
    # A leader who phoned a member without LINE and answered an alert for them (None: they answered).
    proxy_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    address: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
