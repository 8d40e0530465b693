"""After-activity reports (with photos fetched from LINE's content API)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime


class ActivityReport(Base):
    """What the host community reports after an activity: who came, what happened, lessons learned.

    One per activity: a correction changes this row in place and records who made it and when."""

    __tablename__ = "activity_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), unique=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    attended: Mapped[int]
    summary: Mapped[str] = mapped_column(Text)
    lessons: Mapped[str] = mapped_column(Text)  # ถอดบทเรียน
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The latest correction (`รายงาน <code> แก้ไข`): when and by whom; the first sender and time stay as they were.
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)

    photos: Mapped[list[ReportPhoto]] = relationship(back_populates="report", cascade="all, delete-orphan",
                                                     order_by="ReportPhoto.id")


class ReportPhoto(Base):
    """An image sent during the report flow: kept by its LINE message id until fetched into storage."""

    __tablename__ = "report_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("activity_report.id", ondelete="CASCADE"), index=True)
    line_message_id: Mapped[str] = mapped_column(String(64), unique=True)
    storage_path: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    report: Mapped[ActivityReport] = relationship(back_populates="photos")
