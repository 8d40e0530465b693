"""The community registry: organizations, their networks, communities and partner organizations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime


class NetworkKind(StrEnum):
    ZONE = "zone"      # area network: every community belongs to exactly one
    ISSUE = "issue"    # elderly care, disaster relief, youth, ...
    SECTOR = "sector"  # e.g. health-service partners


class PartnerSector(StrEnum):
    GOVERNMENT = "government"
    PRIVATE = "private"
    CIVIL_SOCIETY = "civil_society"
    MASS_GROUP = "mass_group"


community_issue_network = Table(
    "community_issue_network",
    Base.metadata,
    Column("community_id", ForeignKey("community.id", ondelete="CASCADE"), primary_key=True),
    Column("network_id", ForeignKey("network.id", ondelete="CASCADE"), primary_key=True),
)

partner_network = Table(
    "partner_network",
    Base.metadata,
    Column("partner_id", ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True),
    Column("network_id", ForeignKey("network.id", ondelete="CASCADE"), primary_key=True),
)


class Organization(Base):
    """A district office (or any body that coordinates networks)."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The monthly targets the summary measures against (`flask --app bot org targets`): how many networks
    # hold at least one activity a month, and the share of those going who check in (per cent).
    target_active_networks: Mapped[int] = mapped_column(default=3, server_default="3")
    target_attendance_percent: Mapped[int] = mapped_column(default=90, server_default="90")

    networks: Mapped[list[Network]] = relationship(back_populates="organization")
    communities: Mapped[list[Community]] = relationship(back_populates="organization")


class Network(Base):
    """A zone, issue or sector network of communities and partners."""

    __tablename__ = "network"
    __table_args__ = (UniqueConstraint("organization_id", "name", name="uq_network_org_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[NetworkKind] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("network.id", ondelete="SET NULL"))

    organization: Mapped[Organization] = relationship(back_populates="networks")
    zone_communities: Mapped[list[Community]] = relationship(back_populates="zone")
    issue_communities: Mapped[list[Community]] = relationship(
        secondary=community_issue_network, back_populates="issue_networks")


class Community(Base):
    """A registered community; belongs to exactly one zone network."""

    __tablename__ = "community"
    __table_args__ = (UniqueConstraint("organization_id", "name", name="uq_community_org_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    zone_id: Mapped[int] = mapped_column(ForeignKey("network.id"), index=True)

    organization: Mapped[Organization] = relationship(back_populates="communities")
    zone: Mapped[Network] = relationship(back_populates="zone_communities")
    issue_networks: Mapped[list[Network]] = relationship(
        secondary=community_issue_network, back_populates="issue_communities")
    aliases: Mapped[list[Alias]] = relationship(back_populates="community", cascade="all, delete-orphan")


class Alias(Base):
    """Another spelling of a community's or a partner's name, as found in real documents."""

    __tablename__ = "alias"
    __table_args__ = (
        CheckConstraint("(community_id IS NULL) != (partner_id IS NULL)", name="one_owner"),
        UniqueConstraint("community_id", "partner_id", "name", name="uq_alias_owner_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))

    community: Mapped[Community | None] = relationship(back_populates="aliases")
    partner: Mapped[Partner | None] = relationship(back_populates="aliases")


class Partner(Base):
    """A partner organization (police, hospital, school, firm) with a representative."""

    __tablename__ = "partner"
    __table_args__ = (UniqueConstraint("organization_id", "name", name="uq_partner_org_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[PartnerSector] = mapped_column(String(16))
    representative_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)

    networks: Mapped[list[Network]] = relationship(secondary=partner_network)
    aliases: Mapped[list[Alias]] = relationship(back_populates="partner", cascade="all, delete-orphan")
