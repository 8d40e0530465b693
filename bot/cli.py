"""Operator commands on the app factory: `flask --app bot <command>`."""

from __future__ import annotations

import csv
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import requests
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot import outbox, richmenus, simulate
from bot.demo import cli as demo_cli
from handlers.thaitime import format_when
from handlers.registry import clean
from handlers.services import menus as menu_links
from handlers.services import registry as reg
from models import (
    Community,
    InviteCode,
    Membership,
    Network,
    NetworkKind,
    Organization,
    OutboxMessage,
    RoleName,
)


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(outbox_group)
    app.cli.add_command(say)
    app.cli.add_command(org_group)
    app.cli.add_command(richmenus.richmenu_group)
    app.cli.add_command(demo_cli.demo_group)


@click.command("say", help="Local mode: send TEXT to the running bot as a LINE user and print its answers, "
                            "with their buttons (a button's --postback line presses it).")
@click.argument("text", required=False)
@click.option("--user", default="U" + "0" * 31 + "1", show_default=True, help="LINE user id of the sender.")
@click.option("--group", default=None, help="Send it in this group (C...) instead of a 1:1 chat.")
@click.option("--postback", "data", default=None,
              help="Press a button instead of typing: its postback data, as printed under an answer.")
@click.option("--picked", default=None, help="With --postback: the date/time a date picker gives, e.g. 2026-12-20T14:00.")
@click.option("--url", default=lambda: f"http://127.0.0.1:{os.environ.get('PORT', '5000')}/callback",
              show_default="http://127.0.0.1:$PORT/callback, PORT 5000 unless set", help="The bot's webhook.")
@with_appcontext
def say(text: str | None, user: str, group: str | None, data: str | None, picked: str | None, url: str) -> None:
    config = current_app.config["SAIYAI"]
    if not config.local_mode:
        raise click.ClickException("`say` is for local mode only: it would sign with the real channel secret.")
    if (text is None) == (data is None):
        raise click.UsageError("give TEXT to type, or --postback DATA to press a button (one of the two)")
    fake = config.line_api_base_url
    seen = len(_fake_requests(fake))
    if data is not None:
        mode = {5: "time", 10: "date"}.get(len(picked or ""), "datetime")  # as LINE's picker names them
        params = {mode: picked} if picked else None
        event = simulate.postback(data, user=user, group=group, params=params)
    else:
        event = simulate.text(text or "", user=user, group=group)
    payload = simulate.body(event)
    response = requests.post(url, data=payload, timeout=10, headers={
        "Content-Type": "application/json", "X-Line-Signature": simulate.sign(config.channel_secret, payload)})
    if response.status_code != 200:
        raise click.ClickException(f"the webhook answered {response.status_code}: {response.text.strip()}")
    for request in _answers(fake, seen, event.get("replyToken")):
        body = request["body"] or {}
        # The answer to this event is the reply with its token; anything else meanwhile (the scheduler's
        # pushes) is shown as such.
        pushed = body.get("replyToken") != event.get("replyToken")
        for message in body.get("messages", []):
            shown = message.get("text") or message.get("altText") or f"[{message.get('type')}]"
            click.echo(f"[push to {body.get('to')}] {shown}" if pushed else shown)
            for label, action in _buttons(message):
                click.echo(f"  ({label}) {action}")


def _buttons(node: object) -> list[tuple[str, str]]:
    """Every button in a message (quick replies, cards, templates): its label and how to press it here."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        action_type = node.get("type")
        if action_type in ("message", "postback", "datetimepicker", "uri", "location") and "label" in node:
            if action_type == "message":
                found.append((node["label"], f"say {node.get('text', '')!r}"))
            elif action_type == "postback":
                found.append((node["label"], f"say --postback {node.get('data', '')!r}"))
            elif action_type == "datetimepicker":
                found.append((node["label"], f"say --postback {node.get('data', '')!r} --picked "
                                             f"{node.get('initial') or 'YYYY-MM-DDTHH:MM'}"))
            elif action_type == "uri":
                found.append((node["label"], f"open {node.get('uri', '')}"))
            else:
                found.append((node["label"], "send a location (not available in `say`)"))
            return found
        for value in node.values():
            found.extend(_buttons(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_buttons(value))
    return found


def _answers(fake_url: str, seen: int, reply_token: str | None, wait: float = 1.0) -> list[dict]:
    """What the fake LINE API got since `seen`, once the reply to this event is among it.

    The reply may be sent just after the webhook answers; an event the bot does not answer (group
    chatter) shows what came within `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        got = _fake_requests(fake_url)[seen:]
        if time.monotonic() >= deadline or any((r["body"] or {}).get("replyToken") == reply_token for r in got):
            return got
        time.sleep(0.02)


def _fake_requests(fake_url: str) -> list[dict]:
    try:
        return requests.get(f"{fake_url}/__fake__/requests", timeout=5).json()
    except requests.RequestException as exc:
        raise click.ClickException(f"the fake LINE API at {fake_url} is not answering ({exc}); start scripts/run first") from exc


@click.group("outbox", help="Inspect and steer the outgoing-message queue.")
def outbox_group() -> None:
    pass


@outbox_group.command("status", help="Count outbox rows by state and show a quota stop, if any.")
def outbox_status() -> None:
    saiyai = current_app.extensions["saiyai"]
    with saiyai.session_factory() as session:
        rows = session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()
        for state, count in sorted(rows):
            click.echo(f"{state}: {count}")
        until = outbox.quota_blocked_until(session, saiyai.clock())
        if until is not None:
            click.echo(f"pushing stopped until {until.isoformat()} (LINE monthly quota reached)")


@outbox_group.command("resume", help="Lift the monthly-quota stop, e.g. after upgrading the LINE plan.")
def outbox_resume() -> None:
    saiyai = current_app.extensions["saiyai"]
    with saiyai.session_factory() as session, session.begin():
        lifted = outbox.resume_after_quota(session)
    click.echo("quota stop lifted" if lifted else "no quota stop was in force")


# --- the community registry: `flask --app bot org ...` ------------------------------------------

# Accepted spellings of each CSV column (compared case-insensitively, spaces read as "_").
CSV_COLUMNS = {
    "community": ("community", "community_name", "name", "ชุมชน", "ชื่อชุมชน"),
    "zone": ("zone", "zone_network", "network", "โซน", "เครือข่าย", "เครือข่ายโซน"),
    "aliases": ("aliases", "alias", "other_names", "ชื่ออื่น", "ชื่อเรียกอื่น"),
    "issue_networks": ("issue_networks", "issue_network", "issues", "เครือข่ายประเด็น"),
}
LIST_SEPARATOR = re.compile(r"[|;]")
LINE_USER_ID = re.compile(r"U[0-9a-f]{32}")
ROLE_CHOICES = {"leader": RoleName.COMMUNITY_LEADER, "chair": RoleName.NETWORK_CHAIR}


@click.group("org", cls=AppGroup, help="Set up the community registry: organizations, networks, "
                                      "communities, staff and invite codes.")
def org_group() -> None:
    pass


@contextmanager
def _transaction() -> Iterator[Session]:
    """One transaction for the command; a database failure becomes one line, not a traceback."""
    saiyai = current_app.extensions["saiyai"]
    try:
        with saiyai.session_factory() as session, session.begin():
            yield session
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise click.ClickException(f"database error: {reason} (is the database migrated? alembic upgrade head)") from exc


def _now():
    return current_app.extensions["saiyai"].clock()


def _organization(session: Session, name: str) -> Organization:
    organization = reg.find_organization(session, name)
    if organization is None:
        known = sorted(o.name for o in session.scalars(select(Organization)))
        hint = f"; known: {', '.join(known)}" if known else "; create it first with `org create NAME`"
        raise click.ClickException(f"no organization named {name}{hint}")
    return organization


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@org_group.command("create", help="Create an organization, e.g. a district office (nothing happens if it exists).")
@click.argument("name")
def org_create(name: str) -> None:
    name = clean(name)
    if not reg.name_key(name):
        raise click.ClickException("the organization needs a name")
    if len(name) > reg.NAME_LIMIT:
        raise click.ClickException(f"the name is longer than {reg.NAME_LIMIT} characters")
    with _transaction() as session:
        organization, created = reg.create_organization(session, name, _now())
    click.echo(f"created organization {organization.name}" if created
               else f"organization {organization.name} already exists")


def read_registry_csv(path: Path) -> tuple[list[reg.CommunityRow], list[str]]:
    """The rows of a registry CSV (UTF-8, with or without Excel's BOM) and the columns it ignores."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{path.name} is not UTF-8: save it from the spreadsheet as “CSV UTF-8”") from None
    reader = csv.reader(text.splitlines(keepends=True))
    header = next(reader, None)
    if not header:
        raise click.ClickException(f"{path.name} is empty")
    wanted = {"_".join(clean(h).casefold().split()): column
              for column, spellings in CSV_COLUMNS.items() for h in spellings}
    index: dict[str, int] = {}
    ignored = []
    for position, title in enumerate(header):
        column = wanted.get("_".join(clean(title).casefold().split()))
        if column is None:
            if title.strip():
                ignored.append(title.strip())
        elif column in index:
            raise click.ClickException(f"{path.name}: two columns are read as {column}: "
                                       f"{header[index[column]]} and {title}")
        else:
            index[column] = position
    missing = [column for column in ("community", "zone") if column not in index]
    if missing:
        raise click.ClickException(f"{path.name} needs the columns community and zone (or ชุมชน and โซน); "
                                   f"missing {' and '.join(missing)}, found: {', '.join(h for h in header if h)}")

    def cell(fields: list[str], column: str) -> str:
        position = index.get(column)
        return fields[position] if position is not None and position < len(fields) else ""

    def items(value: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in LIST_SEPARATOR.split(value) if part.strip())

    rows = []
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise click.ClickException(f"{path.name} line {line}: {exc}") from None
        if not any(field.strip() for field in fields):
            continue
        rows.append(reg.CommunityRow(line=line, community=cell(fields, "community"), zone=cell(fields, "zone"),
                                     aliases=items(cell(fields, "aliases")),
                                     issue_networks=items(cell(fields, "issue_networks"))))
    return rows, ignored


@org_group.command("import", help="Import zone networks, communities and their other names from a CSV file "
                                  "(columns community, zone, optional aliases and issue_networks, lists separated "
                                  "by | or ;). Importing again adds only what is new; a bad row imports nothing.")
@click.argument("organization")
@click.argument("csv_file", metavar="CSV", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def org_import(organization: str, csv_file: Path) -> None:
    rows, ignored = read_registry_csv(csv_file)
    if not rows:
        raise click.ClickException(f"{csv_file.name} has no rows to import")
    with _transaction() as session:
        org = _organization(session, organization)
        report = reg.import_communities(session, org, rows, _now())
        if report.errors:  # raising inside the transaction rolls everything back
            for error in report.errors:
                click.echo(error, err=True)
            raise click.ClickException(f"nothing imported: {_plural(len(report.errors), 'problem', 'problems')} "
                                       f"in {csv_file.name}")
    click.echo(f"imported {_plural(report.rows, 'row', 'rows')} from {csv_file.name} into {org.name}")
    if ignored:
        click.echo(f"ignored columns: {', '.join(ignored)}")
    click.echo(f"zone networks: {report.zones_created} created, {report.zones_existing} already there")
    click.echo(f"issue networks: {report.issues_created} created, {report.issues_existing} already there")
    click.echo(f"communities: {report.communities_created} created, {report.communities_moved} moved to another "
               f"zone, {report.communities_unchanged} unchanged")
    click.echo(f"aliases: {report.aliases_added} added, {report.aliases_known} already known")
    click.echo(f"issue network links: {report.issue_links_added} added")


@org_group.command("grant-staff", help="Make a LINE user (U + 32 hex digits) district staff of the organization.")
@click.argument("organization")
@click.argument("line_user_id")
def org_grant_staff(organization: str, line_user_id: str) -> None:
    line_user_id = line_user_id.strip()
    if not LINE_USER_ID.fullmatch(line_user_id):
        raise click.ClickException(
            f"{line_user_id} is not a LINE user id: that is U and 32 hex digits, as LINE sends it (e.g. “Your user "
            f"ID” in the LINE Developers console), not the @ID people type in the LINE app")
    with _transaction() as session:
        org = _organization(session, organization)
        person = reg.ensure_person(session, line_user_id, _now())
        had = any(m.role == RoleName.STAFF and m.organization_id == org.id for m in reg.memberships(session, person))
        reg.grant(session, person, RoleName.STAFF, org, now=_now())
        menu_links.refresh(session, person, _now())  # the staff menu, through the outbox
    click.echo(f"{line_user_id} was already staff of {org.name}" if had
               else f"{line_user_id} is now staff of {org.name}")


@org_group.command("invite", help="Print single-use invite codes for a community leader or a network chair.")
@click.argument("organization")
@click.option("--role", type=click.Choice(sorted(ROLE_CHOICES)), required=True,
              help="leader (needs --community) or chair (needs --network).")
@click.option("--community", default=None, help="The community whose leader is invited.")
@click.option("--network", default=None, help="The network whose chair is invited.")
@click.option("--count", type=click.IntRange(1, 50), default=1, show_default=True, help="How many codes.")
def org_invite(organization: str, role: str, community: str | None, network: str | None, count: int) -> None:
    if role == "leader" and (community is None or network is not None):
        raise click.ClickException("--role leader needs --community NAME (and no --network)")
    if role == "chair" and (network is None or community is not None):
        raise click.ClickException("--role chair needs --network NAME (and no --community)")
    now = _now()
    with _transaction() as session:
        org = _organization(session, organization)
        if role == "leader":
            target = _find(reg.match_community(session, community, [org.id]), "community", community, org)
            scope, what = {"community": target}, f"a leader of {target.name}"
        else:
            target = _find(reg.match_network(session, network, [org.id]), "network", network, org)
            scope, what = {"network": target}, f"the chair of {target.name}"
        codes = [reg.create_invite(session, ROLE_CHOICES[role], org.id, now=now, **scope) for _ in range(count)]
    click.echo(f"{_plural(count, 'invite code', 'invite codes')} for {what} ({org.name}), each usable once:")
    for invite in codes:
        click.echo(f"{invite.code}  expires {format_when(invite.expires_at)}")
    click.echo("the person sends “รหัส <code>” (or “join <code>”) to Saiyai in a 1:1 chat")


def _find(match: reg.NameMatch, kind: str, name: str, org: Organization) -> Community | Network:
    if match.found is None:
        hint = f"; did you mean: {', '.join(s.name for s in match.suggestions)}" if match.suggestions else ""
        raise click.ClickException(f"no {kind} named {name} in {org.name}{hint}")
    return match.found


@org_group.command("targets", help="Show or set the monthly targets staff's summary measures against: how many "
                                   "networks hold an activity each month, and the attendance (check-ins per "
                                   "answer going, per cent). Defaults: 3 networks, 90 %.")
@click.argument("organization")
@click.option("--networks", type=click.IntRange(0, 1000), default=None,
              help="Networks that should hold at least one activity a month.")
@click.option("--attendance", type=click.IntRange(0, 100), default=None,
              help="Attendance to reach, in per cent of those who answered going.")
def org_targets(organization: str, networks: int | None, attendance: int | None) -> None:
    with _transaction() as session:
        org = _organization(session, organization)
        if networks is not None:
            org.target_active_networks = networks
        if attendance is not None:
            org.target_attendance_percent = attendance
        held = len(reg.networks_of(session, [org.id]))
        line = (f"{org.name}: at least {_plural(org.target_active_networks, 'network', 'networks')} with an "
                f"activity a month, attendance {org.target_attendance_percent} %")
        warning = (f"note: it has only {_plural(held, 'network', 'networks')}, so the network target cannot be met"
                   if org.target_active_networks > held else None)
    click.echo(("set " if networks is not None or attendance is not None else "") + line)
    if warning:
        click.echo(warning)


@org_group.command("show", help="Print the organization's networks, communities and counts.")
@click.argument("organization")
def org_show(organization: str) -> None:
    now = _now()
    with _transaction() as session:
        org = _organization(session, organization)
        networks = reg.networks_of(session, [org.id])
        communities = list(session.scalars(select(Community).where(Community.organization_id == org.id)
                                           .order_by(Community.name)))
        people = reg.member_counts(session, [c.id for c in communities])
        in_org = Membership.organization_id == org.id
        total_people = session.scalar(select(func.count(func.distinct(Membership.person_id))).where(in_org))
        roles = dict(session.execute(select(Membership.role, func.count(func.distinct(Membership.person_id)))
                                     .where(in_org).group_by(Membership.role)).all())
        open_codes = session.scalar(select(func.count()).select_from(InviteCode).where(
            InviteCode.organization_id == org.id, InviteCode.used_at.is_(None), InviteCode.expires_at > now))
        zones = [n for n in networks if n.kind == NetworkKind.ZONE]
        lines = [
            org.name,
            f"networks: {len(networks)} ({len(zones)} zone, {len(networks) - len(zones)} other); "
            f"communities: {len(communities)}; people: {total_people}; open invite codes: {open_codes}",
            "roles: " + ", ".join(f"{role} {roles.get(role, 0)}" for role in RoleName),
        ]
        for network in networks:
            is_zone = network.kind == NetworkKind.ZONE
            members = network.zone_communities if is_zone else network.issue_communities
            members = sorted(members, key=lambda c: c.name)
            lines.append(f"{network.kind} {network.name}: {_plural(len(members), 'community', 'communities')}")
            for community in members:
                also = f" (also {', '.join(sorted(a.name for a in community.aliases))})" if community.aliases else ""
                count = f": {_plural(people.get(community.id, 0), 'person', 'people')}" if is_zone else ""
                lines.append(f"  {community.name}{also}{count}")
    for line in lines:
        click.echo(line)
