"""What leaves the desk: CSV files, calendar feeds, report photos and the printable monthly report.

Every CSV with people's names in it is recorded in the audit log (who, when, which file, how many rows).
"""

from __future__ import annotations

import csv
import io
import secrets
from datetime import datetime, timedelta

from flask import Response, abort, current_app, g, render_template, request
from icalendar import Calendar, Event
from sqlalchemy import and_, case, func, or_, select

from bot.desk import blueprint, stats
from bot.desk.auth import client_ip, db, lang, now, signed_in, staff_only
from bot.desk.scope import (
    activities_clause,
    may_see_activity,
    may_see_community,
    may_see_network,
    may_see_notice,
    visible_community_ids,
)
from bot.storage import DatabaseStorage
from handlers.services import desk as desk_service
from models import (
    Activity,
    ActivityReport,
    ActivityStatus,
    Answer,
    CalendarFeed,
    Community,
    Membership,
    Network,
    NoticeAck,
    Person,
    ReportPhoto,
    Rsvp,
)
from models.registry import community_issue_network as cin

FEED_PAST = timedelta(days=90)  # a feed also shows the last three months, so a calendar keeps what happened
CSV_TYPE = "text/csv; charset=utf-8"


def _csv(filename: str, header: list[str], rows: list[list[object]], what: str, detail: dict) -> Response:
    """A CSV download in UTF-8 with a BOM (so Excel reads Thai), recorded in the audit log."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    session = db()
    desk_service.audit(session, "export", now(), actor_id=g.viewer.person_id, target=what,
                       detail={**detail, "rows": len(rows)}, ip=client_ip(),
                       organization_id=min(g.viewer.organizations) if g.viewer.organizations else None)
    session.commit()
    return Response(out.getvalue().encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Content-Type": CSV_TYPE, "Cache-Control": "no-store"})


def _iso(value: datetime | None) -> str:
    return value.astimezone(stats.TIMEZONE).isoformat(timespec="minutes") if value else ""


@blueprint.get("/export/members.csv")
@staff_only
def export_members() -> Response:
    session = db()
    rows = session.execute(select(Person, Membership, Community.name, Network.name)
                           .join(Membership, Membership.person_id == Person.id)
                           .outerjoin(Community, Community.id == Membership.community_id)
                           .outerjoin(Network, Network.id == Membership.network_id)
                           .where(Membership.organization_id.in_(g.viewer.staff_orgs))
                           .order_by(Person.full_name, Person.id, Membership.role, Membership.id)).all()
    body = [[p.full_name or "", p.phone or "", community or "", network or "", m.role, m.title or "",
             "yes" if p.line_user_id else "no", _iso(m.created_at)] for p, m, community, network in rows]
    return _csv("members.csv", ["name", "phone", "community", "network", "role", "title", "line", "since"], body,
                "members.csv", {})


@blueprint.get("/export/attendance.csv")
@signed_in
def export_attendance() -> Response:
    key = request.args.get("period", "month")
    p = stats.period(key if key in stats.PERIODS else "month", now(), request.args.get("fy", type=int))
    session = db()
    rows = session.execute(select(Activity, Network.name, Community.name, Person.full_name, Rsvp)
                           .join(Rsvp, Rsvp.activity_id == Activity.id)
                           .outerjoin(Network, Network.id == Activity.network_id)
                           .outerjoin(Community, Community.id == Rsvp.community_id)
                           .outerjoin(Person, Person.id == Rsvp.person_id)
                           .where(activities_clause(g.viewer), Activity.starts_at >= p.start,
                                  Activity.starts_at < p.end,
                                  Rsvp.community_id.in_(visible_community_ids(g.viewer)))
                           .order_by(Activity.starts_at, Community.name, Person.full_name)).all()
    body = [[a.code, a.title, _iso(a.starts_at), network or "", community or "", name or "", r.answer,
             "yes" if r.waitlisted_at else "", _iso(r.checked_in_at), "yes" if r.proxy_by_id else ""]
            for a, network, community, name, r in rows]
    return _csv(f"attendance-{p.key}.csv", ["code", "activity", "starts", "network", "community", "name", "answer",
                                            "waitlisted", "checked_in", "by_proxy"], body,
                "attendance.csv", {"period": p.key, "from": _iso(p.start)})


@blueprint.get("/export/acknowledgements/<int:notice_id>.csv")
@signed_in
def export_acks(notice_id: int) -> Response:
    session = db()
    if not may_see_notice(session, g.viewer, notice_id):
        abort(403)
    rows = session.execute(select(Community.name, Person.full_name, NoticeAck)
                           .join(Person, Person.id == NoticeAck.person_id)
                           .outerjoin(Community, Community.id == NoticeAck.community_id)
                           .where(NoticeAck.notice_id == notice_id,
                                  or_(NoticeAck.community_id.in_(visible_community_ids(g.viewer)),
                                      NoticeAck.community_id.is_(None) & g.viewer.is_staff))
                           .order_by(Community.name, Person.full_name)).all()
    body = [[community or "", name or "", ack.kind, _iso(ack.at), "yes" if ack.proxy_by_id else ""]
            for community, name, ack in rows]
    return _csv(f"acknowledgements-{notice_id}.csv", ["community", "name", "answer", "at", "by_proxy"], body,
                "acknowledgements.csv", {"notice": notice_id})


# --- photos -----------------------------------------------------------------------------------

@blueprint.get("/photos/<int:photo_id>")
@signed_in
def photo(photo_id: int) -> Response:
    session = db()
    row = session.execute(select(ReportPhoto.storage_path, ActivityReport.activity_id)
                          .join(ActivityReport, ActivityReport.id == ReportPhoto.report_id)
                          .where(ReportPhoto.id == photo_id)).first()
    if row is None or not may_see_activity(session, g.viewer, row.activity_id):
        abort(403)  # the same answer for a photo that does not exist: ids reveal nothing
    found = DatabaseStorage().get(session, row.storage_path or "")
    if found is None:
        abort(404)
    data, content_type = found
    return Response(data, mimetype=content_type, headers={"Cache-Control": "private, max-age=3600"})


# --- calendar feeds ---------------------------------------------------------------------------

@blueprint.post("/feeds")
@signed_in
def create_feed() -> str:
    """A new feed URL for a network or a community the viewer may see; shown once (only its hash is kept)."""
    session = db()
    network_id = request.form.get("network", type=int)
    community_id = request.form.get("community", type=int)
    if network_id and may_see_network(session, g.viewer, network_id):
        org = session.get(Network, network_id).organization_id
    elif community_id and may_see_community(session, g.viewer, community_id):
        org, network_id = session.get(Community, community_id).organization_id, None
    else:
        abort(403)
    token = secrets.token_urlsafe(24)
    session.add(CalendarFeed(token_hash=desk_service.token_hash(token), organization_id=org, network_id=network_id,
                             community_id=None if network_id else community_id, created_by_id=g.viewer.person_id,
                             created_at=now()))
    desk_service.audit(session, "feed_created", now(), actor_id=g.viewer.person_id, organization_id=org,
                       target=f"network:{network_id}" if network_id else f"community:{community_id}", ip=client_ip())
    session.commit()
    # The configured address: behind a proxy, the request's own host may be an internal one.
    base = current_app.config["SAIYAI"].public_url or request.host_url.rstrip("/")
    return render_template("desk/feed_created.html", url=f"{base}/desk/feeds/{token}.ics",
                           back=request.referrer or "")


@blueprint.post("/feeds/<int:feed_id>/revoke")
@signed_in
def revoke_feed(feed_id: int) -> Response | str:
    session = db()
    feed = session.get(CalendarFeed, feed_id)
    allowed = feed is not None and (may_see_network(session, g.viewer, feed.network_id) if feed.network_id
                                    else may_see_community(session, g.viewer, feed.community_id or 0))
    if not allowed:
        abort(403)
    feed.revoked_at = feed.revoked_at or now()
    desk_service.audit(session, "feed_revoked", now(), actor_id=g.viewer.person_id,
                       organization_id=feed.organization_id, target=f"feed:{feed_id}", ip=client_ip())
    session.commit()
    return render_template("desk/feed_revoked.html", back=request.referrer or "")


@blueprint.get("/feeds/<token>.ics")
def feed(token: str) -> Response:
    """The calendar itself: no session (calendar apps have none), the unguessable token is the key."""
    session = db()
    row = session.scalars(select(CalendarFeed).where(CalendarFeed.token_hash == desk_service.token_hash(token),
                                                     CalendarFeed.revoked_at.is_(None))).first()
    if row is None:
        abort(404)
    if row.network_id:
        scope = Activity.network_id == row.network_id
        name = session.get(Network, row.network_id).name
    else:
        community = session.get(Community, row.community_id)
        name = community.name
        networks = select(cin.c.network_id).where(cin.c.community_id == community.id)
        scope = or_(Activity.community_id == community.id, Activity.network_id == community.zone_id,
                    Activity.network_id.in_(networks))
    activities = session.scalars(select(Activity).where(scope, Activity.status != ActivityStatus.CANCELLED,
                                                        Activity.ends_at >= now() - FEED_PAST)
                                 .order_by(Activity.starts_at).limit(500)).all()
    calendar = Calendar()
    calendar.add("prodid", "-//Saiyai//desk//TH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"สายใย · {name}")
    calendar.add("x-wr-timezone", "Asia/Bangkok")
    for activity in activities:
        event = Event()
        event.add("uid", f"activity-{activity.id}@saiyai")
        event.add("summary", activity.title)
        event.add("dtstart", activity.starts_at.astimezone(stats.TIMEZONE))
        event.add("dtend", activity.ends_at.astimezone(stats.TIMEZONE))
        event.add("dtstamp", activity.updated_at)
        event.add("sequence", activity.revision)
        if activity.place_text:
            event.add("location", activity.place_text)
        event.add("description", f"{activity.code}")
        calendar.add_component(event)
    return Response(calendar.to_ical(), mimetype="text/calendar",
                    headers={"Content-Type": "text/calendar; charset=utf-8", "Cache-Control": "private, max-age=300"})


# --- printable monthly report -----------------------------------------------------------------

@blueprint.get("/networks/<int:network_id>/report/<month>")
@signed_in
def monthly_report(network_id: int, month: str) -> str:
    """The network's activity report for one month (แบบรายงานการจัดกิจกรรมของเครือข่ายชุมชน), A4, for print."""
    session = db()
    if not may_see_network(session, g.viewer, network_id):
        abort(403)
    try:
        start = stats.month_start(now()).replace(year=int(month[:4]), month=int(month[5:7]))
    except ValueError:
        abort(404)
    if len(month) != 7 or month[4] != "-":
        abort(404)
    network = session.get(Network, network_id)
    activities = session.scalars(select(Activity).where(
        Activity.network_id == network_id, Activity.status != ActivityStatus.CANCELLED,
        Activity.starts_at >= start, Activity.starts_at < stats.add_months(start, 1)).order_by(Activity.starts_at)).all()
    reports = {r.activity_id: r for r in session.scalars(select(ActivityReport).where(
        ActivityReport.activity_id.in_([a.id for a in activities])))}
    photos = {}
    for photo_row in session.scalars(select(ReportPhoto).where(
            ReportPhoto.report_id.in_([r.id for r in reports.values()]), ReportPhoto.storage_path.is_not(None))
            .order_by(ReportPhoto.id)):
        photos.setdefault(photo_row.report_id, []).append(photo_row)
    hosts = dict(session.execute(select(Community.id, Community.name).where(
        Community.id.in_([a.host_community_id for a in activities if a.host_community_id]))).all())
    going = func.sum(case((and_(Rsvp.answer == Answer.GOING, Rsvp.waitlisted_at.is_(None)), 1), else_=0))
    came = func.sum(case((Rsvp.checked_in_at.is_not(None), 1), else_=0))
    counts = {activity_id: (int(g or 0), int(c or 0)) for activity_id, g, c in session.execute(
        select(Rsvp.activity_id, going, came).where(Rsvp.activity_id.in_([a.id for a in activities]))
        .group_by(Rsvp.activity_id))}
    return render_template("desk/report_print.html", network=network, month=stats.month_label(lang(), start),
                           month_long=start, activities=activities, reports=reports, photos=photos, hosts=hosts,
                           counts=counts, no_answers=(0, 0))



@blueprint.get("/summary/<int:year>")
@signed_in
def fiscal_summary(year: int) -> str:
    """The fiscal year's summary (October–September, พ.ศ.) for print: the overview's numbers on A4."""
    if not 2500 <= year <= 2700:
        abort(404)
    current = now()
    p = stats.period("fy", current, year)
    data = stats.overview(db(), g.viewer, p, current)
    return render_template("desk/summary_print.html", data=data, year=year,
                           labels=[stats.month_label(lang(), m) for m in data.months],
                           targets={"attendance": stats.ATTENDANCE_TARGET, "networks": stats.NETWORKS_ACTIVE_TARGET})
