"""Bootstrap: organizations, the CSV import of communities, who may create invite codes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from handlers.registry import clean
from models import Alias, Community, Membership, Network, NetworkKind, Organization, RoleName, community_issue_network
from handlers.services.registry.names import name_key
from handlers.services.registry.people import NAME_LIMIT, can_manage_community


# (Used by `flask --app bot org ...` in bot/cli.py and by handlers/invites.py.)

def find_organization(session: Session, name: str) -> Organization | None:
    """The organization with this name, forgiving spacing and width."""
    key = name_key(name)
    if not key:
        return None
    return next((o for o in session.scalars(select(Organization).order_by(Organization.id))
                 if name_key(o.name) == key), None)


def create_organization(session: Session, name: str, now: datetime) -> tuple[Organization, bool]:
    """The organization with this name, created if new; the flag says whether it was created."""
    existing = find_organization(session, name)
    if existing is not None:
        return existing, False
    organization = Organization(name=clean(name), created_at=now)
    session.add(organization)
    session.flush()
    return organization, True


@dataclass(frozen=True)
class CommunityRow:
    """One row of a registry CSV: a community, its zone, other spellings and issue networks."""

    line: int
    community: str
    zone: str
    aliases: tuple[str, ...] = ()
    issue_networks: tuple[str, ...] = ()


@dataclass
class ImportReport:
    """What an import did (or, with errors, why it did nothing)."""

    errors: list[str]
    rows: int = 0
    zones_created: int = 0
    zones_existing: int = 0
    issues_created: int = 0
    issues_existing: int = 0
    communities_created: int = 0
    communities_moved: int = 0
    communities_unchanged: int = 0
    aliases_added: int = 0
    aliases_known: int = 0
    issue_links_added: int = 0


def import_communities(session: Session, organization: Organization, rows: Sequence[CommunityRow],
                       now: datetime) -> ImportReport:
    """Create zone and issue networks, communities and aliases; idempotent, and all or nothing.

    Names are compared with `name_key` (so "ชุมชน", spacing and Thai digits do not make a new
    community) but never fuzzily: two similar names are two communities. Existing names are kept;
    a community listed under another zone moves there; aliases and issue links are only added.
    Any bad row means nothing is written and every problem comes back in `errors`.
    """
    report = ImportReport(errors=[], rows=len(rows))
    networks = {name_key(n.name): n for n in session.scalars(
        select(Network).where(Network.organization_id == organization.id))}
    communities = {name_key(c.name): c for c in session.scalars(
        select(Community).where(Community.organization_id == organization.id))}
    alias_owner = {name_key(a.name): key for key, c in communities.items() for a in c.aliases}

    planned: dict[str, dict] = {}      # community key -> what the file says about it
    zones: dict[str, str] = {}         # zone key -> name as first written
    issues: dict[str, str] = {}
    errors = report.errors
    for row in rows:
        name, zone = clean(row.community), clean(row.zone)
        key, zone_key = name_key(name), name_key(zone)
        where = f"line {row.line}"
        if not name:
            errors.append(f"{where}: the community name is empty")
        elif not key:
            errors.append(f"{where}: “{name}” is not a community name")
        elif len(name) > NAME_LIMIT:
            errors.append(f"{where}: the community name is longer than {NAME_LIMIT} characters")
        if not zone:
            errors.append(f"{where}: the zone is empty" + (f" (community “{name}”)" if name else ""))
        elif not zone_key or len(zone) > NAME_LIMIT:
            errors.append(f"{where}: “{zone[:40]}” is not a zone name")
        if not key or not zone_key or len(name) > NAME_LIMIT or len(zone) > NAME_LIMIT:
            continue
        existing_zone = networks.get(zone_key)
        if existing_zone is not None and existing_zone.kind != NetworkKind.ZONE:
            article = "an" if existing_zone.kind[0] in "aeiou" else "a"
            errors.append(f"{where}: “{zone}” is {article} {existing_zone.kind} network, not a zone")
        zones.setdefault(zone_key, zone)
        if key in alias_owner and alias_owner[key] != key:
            errors.append(f"{where}: “{name}” is already another name of "
                          f"“{_community_name(alias_owner[key], communities, planned)}”")
            continue
        entry = planned.setdefault(key, {"name": name, "zone": zone_key, "line": row.line,
                                         "aliases": [], "issues": []})
        if entry["zone"] != zone_key:
            errors.append(f"{where}: “{name}” is in zone “{zone}” here but in "
                          f"“{zones[entry['zone']]}” on line {entry['line']}")
        for alias in map(clean, row.aliases):
            alias_key = name_key(alias)
            if not alias_key:
                continue
            owner = alias_owner.get(alias_key, key)
            if alias_key != key and (alias_key in communities or alias_key in planned):
                errors.append(f"{where}: “{alias}”, given as another name of “{name}”, is the name of "
                              f"another community")
            elif owner != key:
                errors.append(f"{where}: “{alias}”, given as another name of “{name}”, already belongs to "
                              f"“{_community_name(owner, communities, planned)}”")
            else:
                alias_owner[alias_key] = key
                entry["aliases"].append(alias)
        for issue in map(clean, row.issue_networks):
            issue_key = name_key(issue)
            if not issue_key:
                continue
            existing_issue = networks.get(issue_key)
            if issue_key in zones or (existing_issue is not None and existing_issue.kind == NetworkKind.ZONE):
                errors.append(f"{where}: “{issue}” is a zone, not an issue network")
                continue
            issues.setdefault(issue_key, issue)
            entry["issues"].append(issue_key)
    # A name first seen as a zone and later as an issue network (or the other way round).
    for issue_key, issue in issues.items():
        if issue_key in zones:
            errors.append(f"“{issue}” is used both as a zone and as an issue network")
    if errors:
        return report

    for zone_key, zone in zones.items():
        if zone_key in networks:
            report.zones_existing += 1
            continue
        networks[zone_key] = Network(organization_id=organization.id, name=zone, kind=NetworkKind.ZONE)
        session.add(networks[zone_key])
        report.zones_created += 1
    for issue_key, issue in issues.items():
        if issue_key in networks:
            report.issues_existing += 1
            continue
        networks[issue_key] = Network(organization_id=organization.id, name=issue, kind=NetworkKind.ISSUE)
        session.add(networks[issue_key])
        report.issues_created += 1
    session.flush()

    for key, entry in planned.items():
        zone_network = networks[entry["zone"]]
        community = communities.get(key)
        if community is None:
            community = Community(organization_id=organization.id, name=entry["name"], zone_id=zone_network.id)
            session.add(community)
            communities[key] = community
            report.communities_created += 1
        elif community.zone_id != zone_network.id:
            community.zone_id = zone_network.id
            report.communities_moved += 1
        else:
            report.communities_unchanged += 1
        known = {key, *(name_key(a.name) for a in community.aliases)}
        for alias in entry["aliases"]:
            if name_key(alias) in known:
                report.aliases_known += 1
                continue
            known.add(name_key(alias))
            community.aliases.append(Alias(name=alias))
            report.aliases_added += 1
        for issue_key in dict.fromkeys(entry["issues"]):
            network = networks[issue_key]
            if network not in community.issue_networks:
                community.issue_networks.append(network)
                report.issue_links_added += 1
    session.flush()
    return report


def _community_name(key: str, communities: dict[str, Community], planned: dict[str, dict]) -> str:
    return communities[key].name if key in communities else planned[key]["name"]


def can_invite_leader(session: Session, held: Sequence[Membership], community: Community) -> bool:
    """Staff of its organization or the chair of one of its networks (a leader does not invite leaders)."""
    inviters = [m for m in held if m.role in (RoleName.STAFF, RoleName.NETWORK_CHAIR)]
    return can_manage_community(session, inviters, community)


def can_invite_chair(held: Sequence[Membership], network: Network) -> bool:
    """Only staff of the network's organization create codes for network chairs."""
    return any(m.role == RoleName.STAFF and m.organization_id == network.organization_id for m in held)


def chaired_communities(session: Session, held: Sequence[Membership]) -> list[Community]:
    """The communities in every network the person chairs (zone or issue), by name."""
    chaired = [m.network_id for m in held if m.role == RoleName.NETWORK_CHAIR and m.network_id]
    if not chaired:
        return []
    in_issue = select(community_issue_network.c.community_id).where(
        community_issue_network.c.network_id.in_(chaired))
    found = session.scalars(select(Community).where(or_(Community.zone_id.in_(chaired), Community.id.in_(in_issue))))
    return sorted(found, key=lambda c: c.name)  # in Python: the same order on every database's collation


def organization_communities(session: Session, organization_ids: Iterable[int]) -> list[Community]:
    """Every community of these organizations, by name (sorted here: collations order Thai differently)."""
    ids = list(organization_ids)
    if not ids:
        return []
    return sorted(session.scalars(select(Community).where(Community.organization_id.in_(ids))),
                  key=lambda c: (c.name, c.id))


def networks_of(session: Session, organization_ids: Iterable[int]) -> list[Network]:
    """The networks of these organizations: zones first, then by name."""
    found = session.scalars(select(Network).where(Network.organization_id.in_(list(organization_ids))))
    return sorted(found, key=lambda n: (n.kind != NetworkKind.ZONE, n.name))
