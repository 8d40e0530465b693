"""The desk's pages: overview, networks and communities, activities, notices, members."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import abort, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import and_, func, or_, select

from bot.desk import blueprint, stats
from bot.desk.auth import client_ip, db, lang, now, signed_in, staff_only
from bot.desk.i18n import t
from bot.desk.scope import (
    activities_clause,
    communities_clause,
    may_see_activity,
    may_see_community,
    may_see_network,
    may_see_notice,
    networks_clause,
    notices_clause,
    related_network_ids,
    visible_community_ids,
)
from handlers.thaitime import format_when_in
from handlers.services import desk as desk_service
from handlers.services import notices as notice_service
from handlers.services import registry as reg
from models import (
    Activity,
    ActivityReport,
    ActivityStatus,
    Answer,
    AuditLog,
    CalendarFeed,
    ChatLink,
    Community,
    HostLog,
    HostSlot,
    Membership,
    Network,
    Notice,
    Organization,
    Person,
    ReportPhoto,
    RoleName,
    Rsvp,
)
from models.registry import community_issue_network as cin

PAGE_SIZE = 50


@blueprint.app_template_filter("desk_when")
def _when(value: Any) -> str:
    return format_when_in(lang(), value) if value is not None else "-"


@blueprint.app_template_filter("desk_pct")
def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@blueprint.context_processor
def _globals() -> dict[str, Any]:
    return {"t": lambda key, **values: t(lang(), key, **values), "lang": lang(), "viewer": g.get("viewer")}


@blueprint.errorhandler(403)
def _forbidden(_error: Exception) -> tuple[str, int]:
    return render_template("desk/error.html", message=t(lang(), "error.403")), 403


@blueprint.errorhandler(CSRFError)
def _no_csrf(_error: Exception) -> tuple[str, int]:
    """A form without its token (forged, or from before the session ended): nothing was changed."""
    return render_template("desk/error.html", message=t(lang(), "error.csrf")), 400


@blueprint.get("/")
@signed_in
def overview() -> str:
    key = request.args.get("period", "month")
    key = key if key in stats.PERIODS else "month"
    fiscal_year = request.args.get("fy", type=int)
    current = now()
    if fiscal_year is not None and not 2500 <= fiscal_year <= 2700:
        fiscal_year = None
    p = stats.period(key, current, fiscal_year)
    data = stats.overview(db(), g.viewer, p, current)
    labels = [stats.month_label(lang(), m) for m in data.months]
    chart = {
        "labels": labels,
        "networks": [{"label": r.name, "data": r.per_month} for r in data.networks],
        "attendance": [None if v is None else round(v * 100, 1) for v in data.attendance_per_month],
        "acks": [None if v is None else round(v * 100, 1) for v in data.ack_per_month],
        "target": stats.ATTENDANCE_TARGET * 100,
        "activeNetworks": data.active_networks,
        "networksTarget": stats.NETWORKS_ACTIVE_TARGET,
        "text": {"activities": t(lang(), "chart.activities"), "attendance": t(lang(), "chart.attendance"),
                 "target": t(lang(), "chart.target"), "active": t(lang(), "chart.active_networks"),
                 "acks": t(lang(), "chart.acks")},
    }
    return render_template("desk/overview.html", data=data, labels=labels, chart=chart, period=p,
                           viewable=stats.viewable_network_ids(db(), g.viewer),
                           targets={"attendance": stats.ATTENDANCE_TARGET, "networks": stats.NETWORKS_ACTIVE_TARGET},
                           fiscal_now=stats.fiscal_year_of(current))


# --- networks and communities -----------------------------------------------------------------

@blueprint.get("/networks")
@signed_in
def networks() -> str:
    session = db()
    nets = session.execute(select(Network.id, Network.name, Network.kind).where(networks_clause(g.viewer))
                           .order_by(Network.kind.desc(), Network.name)).all()
    communities = session.execute(select(Community.id, Community.name, Network.name)
                                  .join(Network, Network.id == Community.zone_id)
                                  .where(communities_clause(g.viewer)).order_by(Network.name, Community.name)).all()
    counts = reg.member_counts(session, [c[0] for c in communities])
    return render_template("desk/networks.html", networks=nets, communities=communities, counts=counts)


def _role_counts(session, community_ids: list[int]) -> dict[int, dict[str, int]]:
    rows = session.execute(select(Membership.community_id, Membership.role, func.count(func.distinct(Membership.person_id)))
                           .where(Membership.community_id.in_(community_ids))
                           .group_by(Membership.community_id, Membership.role)).all()
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for community_id, role, count in rows:
        found[community_id][role] = count
    return found


@blueprint.get("/networks/<int:network_id>")
@signed_in
def network(network_id: int) -> str:
    session = db()
    if not may_see_network(session, g.viewer, network_id):
        abort(403)
    net = session.get(Network, network_id)
    communities = session.scalars(select(Community).where(or_(
        Community.zone_id == network_id,
        Community.id.in_(select(cin.c.community_id).where(cin.c.network_id == network_id))))
        .order_by(Community.name)).all()
    roles = _role_counts(session, [c.id for c in communities])
    chairs = session.scalars(select(Person).join(Membership, Membership.person_id == Person.id).where(
        Membership.role == RoleName.NETWORK_CHAIR, Membership.network_id == network_id).order_by(Person.full_name)).all()
    groups = session.scalars(select(ChatLink).where(ChatLink.left_at.is_(None), or_(
        ChatLink.network_id == network_id, ChatLink.community_id.in_([c.id for c in communities])))).all()
    names = {c.id: c.name for c in communities}
    slots = session.scalars(select(HostSlot).where(HostSlot.network_id == network_id).order_by(HostSlot.position)).all()
    history = session.scalars(select(HostLog).where(HostLog.network_id == network_id)
                              .order_by(HostLog.at.desc(), HostLog.id.desc()).limit(20)).all()
    feeds = session.scalars(select(CalendarFeed).where(CalendarFeed.network_id == network_id,
                                                       CalendarFeed.revoked_at.is_(None))).all()
    this_month = stats.month_start(now())
    months = [stats.add_months(this_month, -n) for n in range(12)]  # the reports people look for: recent months
    return render_template("desk/network.html", network=net, communities=communities, roles=roles, chairs=chairs,
                           groups=groups, names=names, slots=slots, history=history, feeds=feeds,
                           months=[(m.strftime("%Y-%m"), stats.month_label(lang(), m)) for m in months])


@blueprint.get("/communities/<int:community_id>")
@signed_in
def community(community_id: int) -> str:
    session = db()
    if not may_see_community(session, g.viewer, community_id):
        abort(403)
    item = session.get(Community, community_id)
    people = session.execute(select(Person, Membership.role, Membership.title)
                             .join(Membership, Membership.person_id == Person.id)
                             .where(Membership.community_id == community_id)
                             .order_by(Membership.role, Person.full_name, Person.id)).all()
    groups = session.scalars(select(ChatLink).where(ChatLink.community_id == community_id,
                                                    ChatLink.left_at.is_(None))).all()
    activities = session.scalars(select(Activity).where(or_(
        Activity.community_id == community_id, Activity.host_community_id == community_id))
        .order_by(Activity.starts_at.desc()).limit(20)).all()
    feeds = session.scalars(select(CalendarFeed).where(CalendarFeed.community_id == community_id,
                                                       CalendarFeed.revoked_at.is_(None))).all()
    return render_template("desk/community.html", community=item, people=people, groups=groups,
                           activities=activities, feeds=feeds)


# --- activities -------------------------------------------------------------------------------

@blueprint.get("/activities")
@signed_in
def activities() -> str:
    session = db()
    query = select(Activity).where(activities_clause(g.viewer))
    network_id = request.args.get("network", type=int)
    status = request.args.get("status", "")
    month = request.args.get("month", "")
    if network_id:
        query = query.where(Activity.network_id == network_id)
    if status in set(ActivityStatus):
        query = query.where(Activity.status == status)
    if month:
        try:
            start = stats.month_start(now()).replace(year=int(month[:4]), month=int(month[5:7]))
        except ValueError:
            start = None
        if start is not None:
            query = query.where(Activity.starts_at >= start, Activity.starts_at < stats.add_months(start, 1))
    rows = session.scalars(query.order_by(Activity.starts_at.desc()).limit(PAGE_SIZE)).all()
    nets = session.execute(select(Network.id, Network.name).where(
        Network.id.in_(related_network_ids(g.viewer))).order_by(Network.name)).all()
    names = dict(nets)
    reported = set(session.scalars(select(ActivityReport.activity_id).where(
        ActivityReport.activity_id.in_([a.id for a in rows]))))
    return render_template("desk/activities.html", activities=rows, networks=nets, names=names, reported=reported,
                           filters={"network": network_id, "status": status, "month": month},
                           statuses=list(ActivityStatus))


@blueprint.get("/activities/<int:activity_id>")
@signed_in
def activity(activity_id: int) -> str:
    session = db()
    if not may_see_activity(session, g.viewer, activity_id):
        abort(403)
    item = session.get(Activity, activity_id)
    # RSVPs of the communities the viewer may see (a leader sees their own community's people only).
    rows = session.execute(select(Rsvp, Person, Community.name).outerjoin(Person, Person.id == Rsvp.person_id)
                           .outerjoin(Community, Community.id == Rsvp.community_id)
                           .where(Rsvp.activity_id == activity_id, or_(
                               Rsvp.community_id.in_(visible_community_ids(g.viewer)),
                               and_(Rsvp.community_id.is_(None), g.viewer.is_staff)))
                           .order_by(Community.name, Rsvp.answered_at)).all()
    proxies = {p.id: p for p in session.scalars(select(Person).where(
        Person.id.in_([r.proxy_by_id for r, _, _ in rows if r.proxy_by_id])))}
    by_community: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for rsvp, _, name in rows:
        bucket = by_community[name or "-"]
        if rsvp.waitlisted_at is not None:
            bucket["waitlist"] += 1
        else:
            bucket[rsvp.answer] += 1 + (rsvp.guests if rsvp.answer == Answer.GOING else 0)
        if rsvp.checked_in_at is not None:
            bucket["checked_in"] += 1
    report = session.scalars(select(ActivityReport).where(ActivityReport.activity_id == activity_id)).first()
    photos = session.scalars(select(ReportPhoto).where(ReportPhoto.report_id == report.id,
                                                       ReportPhoto.storage_path.is_not(None))
                             .order_by(ReportPhoto.id)).all() if report else []
    network_name = session.scalar(select(Network.name).where(Network.id == item.network_id)) if item.network_id else None
    host = session.get(Community, item.host_community_id) if item.host_community_id else None
    return render_template("desk/activity.html", activity=item, rows=rows, proxies=proxies,
                           by_community=by_community, report=report, photos=photos, network_name=network_name,
                           host=host)


# --- notices ----------------------------------------------------------------------------------

@blueprint.get("/notices")
@signed_in
def notices() -> str:
    session = db()
    acked, expected = stats.notice_answers()
    rows = session.execute(select(Notice, acked, expected).where(notices_clause(g.viewer))
                           .order_by(Notice.send_at.desc()).limit(PAGE_SIZE)).all()
    return render_template("desk/notices.html", rows=rows)


@blueprint.get("/notices/<int:notice_id>")
@signed_in
def notice(notice_id: int) -> str:
    session = db()
    if not may_see_notice(session, g.viewer, notice_id):
        abort(403)
    item = session.get(Notice, notice_id)
    visible = set(session.scalars(visible_community_ids(g.viewer)))
    counted = item.counted_at is not None
    tallies = [row for row in notice_service.tally(session, item, now())
               if row.community_id in visible or (row.community_id is None and g.viewer.is_staff)]
    if not counted and item.counted_at is not None:
        session.commit()  # a notice sent before the counts were kept: counted once, kept for the next look
    silent = _not_answered(session, item, visible)
    offline = [note for note in notice_service.offline_by_leader(session, item)] if item.urgent else []
    helpers = [(p, ack, name) for p, ack, name, _leader in notice_service.need_help(session, item)
               if ack.community_id in visible or g.viewer.is_staff] if item.urgent else []
    return render_template("desk/notice.html", notice=item, tallies=tallies, silent=silent, offline=offline,
                           helpers=helpers)


def _not_answered(session, item: Notice, visible: set[int]) -> list[tuple[str, str]]:
    """(community, name) of recipients in the viewer's communities who have not answered, by community."""
    silent = notice_service.silent_recipients(item).subquery()
    rows = session.execute(select(Person.full_name, Community.name)
                           .join(Membership, Membership.person_id == Person.id)
                           .join(Community, Community.id == Membership.community_id)
                           .where(Person.id.in_(select(silent.c.id)), Membership.role == RoleName.MEMBER,
                                  Community.id.in_(visible)).limit(500)).all()
    return sorted({(community, name or "-") for name, community in rows})


# --- members (staff) --------------------------------------------------------------------------

ASSIGNABLE = (RoleName.MEMBER, RoleName.COMMUNITY_LEADER, RoleName.NETWORK_CHAIR, RoleName.STAFF)


@blueprint.get("/members")
@staff_only
def members() -> str:
    session = db()
    text = request.args.get("q", "").strip()[:100]
    query = (select(Person, Membership).join(Membership, Membership.person_id == Person.id)
             .where(Membership.organization_id.in_(g.viewer.staff_orgs)))
    if text:
        like = f"%{text}%"
        query = query.where(or_(Person.full_name.ilike(like), Person.phone.ilike(like)))
    rows = session.execute(query.order_by(Person.full_name, Person.id, Membership.id).limit(200)).all()
    people: dict[int, tuple[Person, list[Membership]]] = {}
    for person, membership in rows:
        people.setdefault(person.id, (person, []))[1].append(membership)
    names = _scope_names(session, [m for _, held in people.values() for m in held])
    networks_ = session.execute(select(Network.id, Network.name).where(
        Network.organization_id.in_(g.viewer.staff_orgs)).order_by(Network.name)).all()
    communities_ = session.execute(select(Community.id, Community.name).where(
        Community.organization_id.in_(g.viewer.staff_orgs)).order_by(Community.name)).all()
    return render_template("desk/members.html", people=list(people.values()), names=names, q=text,
                           networks=networks_, communities=communities_, roles=ASSIGNABLE)


def _scope_names(session, held: list[Membership]) -> dict[tuple[str, int], str]:
    names = {("c", cid): name for cid, name in session.execute(select(Community.id, Community.name).where(
        Community.id.in_({m.community_id for m in held if m.community_id})))}
    names |= {("n", nid): name for nid, name in session.execute(select(Network.id, Network.name).where(
        Network.id.in_({m.network_id for m in held if m.network_id})))}
    return names


def _describe(session, held: list[Membership]) -> list[str]:
    names = _scope_names(session, held)
    out = []
    for m in sorted(held, key=lambda m: (m.role, m.id)):
        where = names.get(("c", m.community_id)) or names.get(("n", m.network_id)) or ""
        out.append(f"{m.role}:{where}" if where else str(m.role))
    return out


@blueprint.post("/members/<int:person_id>/role")
@staff_only
def change_role(person_id: int) -> Any:
    """Give one role in the staff's organization (member, leader of a community, chair of a network, staff)
    in place of the person's present roles above member there; the audit log keeps from what to what."""
    role = request.form.get("role", "")
    kind, _, raw_id = request.form.get("target", "").partition(":")
    target_id = int(raw_id) if raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 9 else None
    session = db()
    person = session.get(Person, person_id)
    held = session.scalars(select(Membership).where(Membership.person_id == person_id,
                                                    Membership.organization_id.in_(g.viewer.staff_orgs))).all()
    if person is None or not held:
        abort(403)  # not someone of this district: the same answer as any other id outside it
    if role not in ASSIGNABLE or person_id == g.viewer.person_id:
        abort(400)
    org_id = held[0].organization_id
    organization = session.get(Organization, org_id)
    community = network = None
    if role == RoleName.COMMUNITY_LEADER:
        community = session.get(Community, target_id) if target_id and kind == "c" else None
        if community is None or community.organization_id != org_id:
            abort(400)
    if role == RoleName.NETWORK_CHAIR:
        network = session.get(Network, target_id) if target_id and kind == "n" else None
        if network is None or network.organization_id != org_id:
            abort(400)
    before = _describe(session, list(held))
    for m in held:
        if m.role in (RoleName.STAFF, RoleName.NETWORK_CHAIR, RoleName.COMMUNITY_LEADER):
            session.delete(m)
    session.flush()
    if role != RoleName.MEMBER:
        reg.grant(session, person, RoleName(role), organization, community=community, network=network, now=now())
    session.flush()
    after = _describe(session, list(session.scalars(select(Membership).where(
        Membership.person_id == person_id, Membership.organization_id == org_id))))
    desk_service.audit(session, "role_change", now(), actor_id=g.viewer.person_id, organization_id=org_id,
                       target=f"person:{person_id}", detail={"from": before, "to": after}, ip=client_ip())
    session.commit()
    return redirect(url_for("desk.members", q=request.form.get("q", "")))


@blueprint.get("/audit")
@staff_only
def audit_log() -> str:
    """The district's audit log: sign-ins, role changes, exports and calendar links of its people."""
    session = db()
    people = select(Membership.person_id).where(Membership.organization_id.in_(g.viewer.staff_orgs))
    rows = session.execute(select(AuditLog, Person.full_name).outerjoin(Person, Person.id == AuditLog.actor_id)
                           .where(or_(AuditLog.organization_id.in_(g.viewer.staff_orgs),
                                      AuditLog.actor_id.in_(people)))
                           .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(200)).all()
    return render_template("desk/audit.html", rows=rows)
