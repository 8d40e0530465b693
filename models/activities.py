"""Activities, their answers (RSVP) and check-ins, recurring series, and the host rotation."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime


class ActivityStatus(StrEnum):
    PLANNED = "planned"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    DONE = "done"


class HostState(StrEnum):
    PROPOSED = "proposed"    # the host community's leader has been asked
    CONFIRMED = "confirmed"
    NONE = "none"            # nobody could be proposed (every community declined or was skipped)


class Answer(StrEnum):
    GOING = "going"
    NOT_GOING = "not_going"
    MAYBE = "maybe"


class Series(Base):
    """A recurring activity of a network (ทุกเดือน, ทุก 3 เดือน, ปีละ 2 ครั้ง)."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    interval_months: Mapped[int]
    place_text: Mapped[str | None] = mapped_column(String(500))
    duration_minutes: Mapped[int] = mapped_column(default=180)
    # The first start: its day of the month and time hold for every slot. Slot k of the current rule is
    # `base_months + interval_months * k` months after it (add_months, so 31 Jan, 28 Feb, 31 Mar). The
    # latest occurrence is in slot `last_slot`; changing the interval makes that slot the new slot 0 (its
    # months go into `base_months`), so the numbering goes on and no date is ever created twice.
    anchor_at: Mapped[datetime] = mapped_column(UTCDateTime())
    base_months: Mapped[int] = mapped_column(default=0, server_default="0")
    last_slot: Mapped[int] = mapped_column(default=0, server_default="0")
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Activity(Base):
    """A meeting, sports day, study visit or training, hosted by one community of a network."""

    __tablename__ = "activity"
    __table_args__ = (
        UniqueConstraint("series_id", "occurrence", name="uq_activity_series_occurrence"),
        Index("ix_activity_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # typed in text commands: ไป K7M2
    title: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    host_community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="SET NULL"), index=True)
    host_state: Mapped[HostState] = mapped_column(String(16), default=HostState.PROPOSED)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    place_text: Mapped[str | None] = mapped_column(String(500))
    place_lat: Mapped[float | None]
    place_lng: Mapped[float | None]
    capacity: Mapped[int | None]
    seats_per_community: Mapped[int | None]
    rsvp_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[ActivityStatus] = mapped_column(String(16), default=ActivityStatus.PLANNED)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id", ondelete="SET NULL"))
    occurrence: Mapped[int | None]
    # Follow-up settings read by the scheduler (minutes before the start; groups or individuals).
    reminder_offsets: Mapped[list[int]] = mapped_column(JSON, default=lambda: [3 * 24 * 60, 120])
    remind_groups: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Bumped by every edit: the edit notices are keyed by it, so each change is announced once.
    revision: Mapped[int] = mapped_column(default=1)
    # Bumped only when the time moves (`reschedule`): every follow-up about the activity (reminders,
    # nudges, report requests, host requests) is keyed by it, so a move brings the follow-ups of the new
    # time, once, and `time_set_at` (when the current time was set) keeps those already past from going
    # out at once. Follow-ups queued but unsent are withdrawn on a move or a cancel (scheduler/followups.py).
    time_revision: Mapped[int] = mapped_column(default=1, server_default="1")
    time_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    rsvps: Mapped[list[Rsvp]] = relationship(back_populates="activity", cascade="all, delete-orphan")


class Rsvp(Base):
    """One person's answer to one activity; waitlisted answers wait in `waitlisted_at` order."""

    __tablename__ = "rsvp"
    __table_args__ = (UniqueConstraint("activity_id", "person_id", name="uq_rsvp_activity_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    # None once the person erased their data (forget_person): the answer to a past meeting stays as a count.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="SET NULL"))
    answer: Mapped[Answer] = mapped_column(String(16))
    guests: Mapped[int] = mapped_column(default=0)
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Guests of a seated person still waiting for seats of their own (handlers/services/seats.py), and since when.
    waiting_guests: Mapped[int] = mapped_column(default=0, server_default="0")
    guests_waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A leader answering for a member without a smartphone.
    proxy_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())

    activity: Mapped[Activity] = relationship(back_populates="rsvps")


class HostSlot(Base):
    """A community's place in its network's host rotation, with its ledger."""

    __tablename__ = "host_slot"
    __table_args__ = (UniqueConstraint("network_id", "community_id", name="uq_host_slot_network_community"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    position: Mapped[int]
    times_hosted: Mapped[int] = mapped_column(default=0)
    last_hosted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    declines: Mapped[int] = mapped_column(default=0)
    # Turns the community is owed: it was skipped by a chair or declined, so it stays ahead next time.
    owed_turns: Mapped[int] = mapped_column(default=0)


class HostLogKind(StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    SKIPPED = "skipped"
    SWAPPED = "swapped"
    HOSTED = "hosted"


class HostLog(Base):
    """Every change to a rotation, shown by `เจ้าภาพ ประวัติ` / `host history`."""

    __tablename__ = "host_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="SET NULL"))
    other_community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="SET NULL"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"), index=True)
    kind: Mapped[HostLogKind] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    # Whether a person did it (Saiyai's own proposals have no actor): once that person's data is erased,
    # actor_id is cleared but the history still says "a person whose name was erased", not "Saiyai".
    by_person: Mapped[bool] = mapped_column(default=False, server_default=false())
    at: Mapped[datetime] = mapped_column(UTCDateTime())
