"""People, the roles they hold, invite codes, and LINE groups linked to communities or networks."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, Index, String, UniqueConstraint, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from models.base import Base, UTCDateTime
from models.names import given_name_key, person_key


class RoleName(StrEnum):
    STAFF = "staff"                        # district officer: everything in its organization
    NETWORK_CHAIR = "network_chair"        # its network
    COMMUNITY_LEADER = "community_leader"  # president, vice-president, secretary, committee: its community
    MEMBER = "member"
    PARTNER = "partner"


class Person(Base):
    """Someone Saiyai knows by LINE user id; personal fields are filled only after consent.

    A member without LINE (no smartphone, often the elderly) has no user id: a leader registered them
    (`เพิ่มสมาชิก`), recording the consent they gave in person, and answers for them (`ตอบแทน`).
    Nothing is ever sent to them."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    full_name: Mapped[str | None] = mapped_column(String(200))
    # The full name and the given name reduced by person_key / given_name_key (models/names.py), kept with
    # the name so that `ตอบแทน ยายมาลี`, `ลบสมาชิก`, `ผูกไลน์` find a person by index among a district's 40,000.
    name_key: Mapped[str | None] = mapped_column(String(200), index=True)
    given_key: Mapped[str | None] = mapped_column(String(200), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(2))  # None until the person chooses
    consent_version: Mapped[str | None] = mapped_column(String(16))
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The leader who recorded the consent of a member without LINE; None when the person gave it in LINE.
    consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    # Set on `unfollow`: LINE refuses pushes to a user who blocked the bot, and each try costs.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The rich menu last queued for them (models.RichMenu.key of its first page); None: the default one.
    rich_menu: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    memberships: Mapped[list[Membership]] = relationship(back_populates="person", cascade="all, delete-orphan")

    @validates("full_name")
    def _keep_name_keys(self, _key: str, full_name: str | None) -> str | None:
        self.name_key = person_key(full_name) if full_name else None
        self.given_key = given_name_key(full_name) if full_name else None
        return full_name

    @hybrid_property
    def reachable(self) -> bool:
        """Whether a push can reach them: they have LINE and have not blocked the bot."""
        return self.line_user_id is not None and self.blocked_at is None

    @reachable.inplace.expression
    @classmethod
    def _reachable_expression(cls) -> ColumnElement[bool]:
        return and_(cls.line_user_id.is_not(None), cls.blocked_at.is_(None))


class Membership(Base):
    """A role a person holds, scoped to an organization and, below staff, a network or community."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("person_id", "role", "organization_id", "network_id", "community_id",
                         name="uq_membership_scope"),
        # An SOS finds a district's staff and chairs by role.
        Index("ix_membership_organization_id_role", "organization_id", "role"),
        # สมาชิก and ชุมชน count a scope's people per community and role from the index alone.
        Index("ix_membership_community_id_role_person_id", "community_id", "role", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[RoleName] = mapped_column(String(20))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(50))  # ประธาน, รองประธาน, เลขานุการ, กรรมการ
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    person: Mapped[Person] = relationship(back_populates="memberships")


class InviteCode(Base):
    """A single-use, expiring code that gives its user a role, or (with `person_id`) that links the
    user's LINE to a member a leader registered without LINE (`ผูกไลน์`, handlers/members.py)."""

    __tablename__ = "invite_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    role: Mapped[RoleName] = mapped_column(String(20))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A link code's member without LINE; the code goes with them if they are removed.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)


class ChatLink(Base):
    """A LINE group or room linked to one community or one network."""

    __tablename__ = "chat_link"
    __table_args__ = (
        CheckConstraint("(community_id IS NULL) != (network_id IS NULL)", name="one_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set on `leave`: the bot is no longer in the group, so nothing is pushed there.
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
