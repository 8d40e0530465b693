"""After-activity reports (`รายงาน <code>` / `report <code>`): a guided flow for the host's leaders,
and the report shown to everyone in the network afterwards."""

from __future__ import annotations

import re
from enum import StrEnum

from linebot.v3.webhooks import ImageMessageContent
from sqlalchemy import func, select

from bot.thaitime import format_when_in
from handlers.catalog import CATALOGUES
from handlers.context import SKIP_WORDS, Context, Turn, command_refusal, record_id
from handlers.registry import Role, command, normalize, postback, step, strip_polite
from handlers.services import activities as acts
from handlers.services import registry as reg
from models import Activity, ActivityReport, Community, Network, ReportPhoto, Rsvp

FLOW = "report"
# Answers to the photo step that send the report as it is; the done button's label counts too.
DONE_WORDS = SKIP_WORDS | {"เสร็จ", "เสร็จแล้ว", "จบ", "ไม่มีรูป", "done", "finish", "finished", "no photos"}
MAX_PHOTOS = 10
ATTENDED_LIMIT = 100_000
TEXT_LIMIT = 2000
# A head count as people write it: "25", "๒๕ คน", "25 ท่านครับ", "25 people".
HEAD_COUNT = re.compile(r"([0-9]+)\s*(?:คน|ท่าน|people|persons?)?")


class Step(StrEnum):
    ATTENDED = "awaiting_attended"
    SUMMARY = "awaiting_summary"
    LESSONS = "awaiting_lessons"
    PHOTOS = "awaiting_photos"


def may_report(ctx: Context, activity: Activity) -> bool:
    """The host community's leaders, the network's chair, or staff."""
    host = ctx.session.get(Community, activity.host_community_id or activity.community_id or 0)
    if host is not None and reg.can_manage_community(ctx.session, ctx.memberships, host):
        return True
    network = ctx.session.get(Network, activity.network_id) if activity.network_id else None
    return network is not None and reg.can_manage_network(ctx.memberships, network)


def _in_organization(ctx: Context, activity: Activity) -> bool:
    """Reports are for the activity's own district: attendance and lessons are not shown to others."""
    return activity.organization_id in reg.organizations_of(ctx.memberships)


@command("รายงาน", "report", min_role=Role.MEMBER)
def report(ctx: Context) -> Turn:
    """ดูหรือส่งรายงานหลังกิจกรรม (รายงาน รหัส) / See or send an after-activity report (report CODE)"""
    code = strip_polite(ctx.args)  # "รายงาน RPT1 ครับ"
    if not code:
        return Turn([ctx.text("report.usage")])
    activity = acts.find_activity(ctx.session, code)
    if activity is None or not _in_organization(ctx, activity):
        return Turn([ctx.text("report.unknown_code", code=code[:20])])
    existing = ctx.session.scalars(select(ActivityReport).where(ActivityReport.activity_id == activity.id)).first()
    if existing is not None:
        return Turn([ctx.text_message(_show(ctx, activity, existing))])
    return _start(ctx, activity)


@postback("report_start")
def report_start(ctx: Context) -> Turn:
    """The button in the report request."""
    refusal = command_refusal(ctx, ctx.registry.spec_of(report))
    if refusal is not None:
        return Turn([refusal])
    ident = record_id(ctx.params.get("id"))
    activity = ctx.session.get(Activity, ident) if ident is not None else None
    if activity is None or not _in_organization(ctx, activity):
        return Turn([ctx.text("postback.unknown")])
    existing = ctx.session.scalars(select(ActivityReport).where(ActivityReport.activity_id == activity.id)).first()
    if existing is not None:
        return Turn([ctx.text_message(_show(ctx, activity, existing))])
    return _start(ctx, activity)


def _start(ctx: Context, activity: Activity) -> Turn:
    if not may_report(ctx, activity):
        return Turn([ctx.text("report.not_yet", title=activity.title)])
    if activity.ends_at > ctx.now:
        return Turn([ctx.text("report.too_early", title=activity.title)])
    checked_in = ctx.session.scalar(select(func.count()).where(
        Rsvp.activity_id == activity.id, Rsvp.checked_in_at.is_not(None))) or 0
    return Turn([ctx.text("report.ask_attended", title=activity.title, count=checked_in,
                          quick=[(str(checked_in), str(checked_in))], cancel=True)],
                flow=FLOW, step=Step.ATTENDED, data={"activity_id": activity.id, "photos": []}, private=True)


@step(FLOW, Step.ATTENDED)
def report_attended(ctx: Context) -> Turn:
    count = HEAD_COUNT.fullmatch(strip_polite(normalize(ctx.args)).translate(reg.THAI_DIGITS))
    attended = record_id(count[1]) if count else None
    if attended is None or attended > ATTENDED_LIMIT:
        return Turn([ctx.text("report.attended_invalid", max=f"{ATTENDED_LIMIT:,}", cancel=True)], step=Step.ATTENDED)
    ctx.data["attended"] = attended
    return Turn([ctx.text("report.ask_summary", cancel=True)], step=Step.SUMMARY)


@step(FLOW, Step.SUMMARY)
def report_summary(ctx: Context) -> Turn:
    text = ctx.args.strip()
    if not text or len(text) > TEXT_LIMIT:
        return Turn([ctx.text("report.text_invalid", limit=TEXT_LIMIT, cancel=True)], step=Step.SUMMARY)
    ctx.data["summary"] = text
    return Turn([ctx.text("report.ask_lessons", quick=[(ctx.t("event.skip"),) * 2], cancel=True)], step=Step.LESSONS)


@step(FLOW, Step.LESSONS)
def report_lessons(ctx: Context) -> Turn:
    text = ctx.args.strip()
    if not text or len(text) > TEXT_LIMIT:
        return Turn([ctx.text("report.text_invalid", limit=TEXT_LIMIT, cancel=True)], step=Step.LESSONS)
    # "ข้าม" / "skip" (polite or not) means no lessons this time, not lessons that read "ข้ามค่ะ".
    ctx.data["lessons"] = "" if ctx.means(SKIP_WORDS) else text
    return Turn([ctx.text("report.ask_photos", quick=[(ctx.t("report.done_label"),) * 2], cancel=True)],
                step=Step.PHOTOS)


@step(FLOW, Step.PHOTOS)
def report_photos(ctx: Context) -> Turn:
    photos = ctx.data.setdefault("photos", [])
    done = [(ctx.t("report.done_label"),) * 2]
    if isinstance(ctx.message, ImageMessageContent):
        if len(photos) >= MAX_PHOTOS:
            return Turn([ctx.text("report.photos_full", limit=MAX_PHOTOS, quick=done)], step=Step.PHOTOS)
        photos.append(ctx.message.id)
        return Turn([ctx.text("report.photo_received", count=len(photos), quick=done)], step=Step.PHOTOS)
    if _means_done(ctx):
        return _submit(ctx)
    # Typed text is neither a photo nor "done": say so plainly (repeating the prompt read as not listening),
    # keeping the photos received so far.
    if len(photos) >= MAX_PHOTOS:
        reply = ctx.text("report.photos_full", limit=MAX_PHOTOS, quick=done, cancel=True)
    elif photos:
        reply = ctx.text("report.photos_not_text_some", count=len(photos), limit=MAX_PHOTOS, done=done[0][0],
                         quick=done, cancel=True)
    else:
        reply = ctx.text("report.photos_not_text", limit=MAX_PHOTOS, done=done[0][0], quick=done, cancel=True)
    return Turn([reply], step=Step.PHOTOS)


def _means_done(ctx: Context) -> bool:
    """The done button's text (in either language), or a word for "no more photos", polite ending or not."""
    labels = {catalogue["report.done_label"].casefold() for catalogue in CATALOGUES.values()}
    return ctx.means(DONE_WORDS | labels)


def _submit(ctx: Context) -> Turn:
    """Save the report with the photos received; the conversation ends."""
    activity = ctx.session.get(Activity, ctx.data["activity_id"])
    if activity is None:
        return Turn([ctx.text("flow.expired")])
    if ctx.session.scalars(select(ActivityReport).where(ActivityReport.activity_id == activity.id)).first():
        return Turn([ctx.text("report.already_sent", title=activity.title)])  # a co-leader was quicker
    saved = ActivityReport(activity_id=activity.id, reporter_id=ctx.person.id if ctx.person else None,
                           attended=ctx.data["attended"], summary=ctx.data["summary"], lessons=ctx.data["lessons"],
                           submitted_at=ctx.now)
    ctx.session.add(saved)
    ctx.session.flush()
    for message_id in dict.fromkeys(ctx.data.get("photos", [])):
        ctx.session.add(ReportPhoto(report_id=saved.id, line_message_id=message_id, received_at=ctx.now, attempts=0))
    return Turn([ctx.text("report.saved", title=activity.title, code=activity.code,
                          photos=len(ctx.data.get("photos", [])))])


def _show(ctx: Context, activity: Activity, saved: ActivityReport) -> str:
    when = format_when_in(ctx.lang, activity.starts_at)
    return ctx.t("report.show", title=activity.title, when=when, attended=saved.attended, summary=saved.summary,
                 lessons=saved.lessons or "-", photos=len(saved.photos))
