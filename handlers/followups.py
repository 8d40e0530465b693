"""After-activity reports (`รายงาน <code>` / `report <code>`): a guided flow for the host's leaders,
and the report shown to everyone in the network afterwards.

Those who may report may also correct a sent report (`รายงาน <code> แก้ไข`, or the button under the
report): the same steps, each showing the current value with a "keep" button; photos are only added.
The row changes in place and records who corrected it and when; nobody is told again (the report
says when it was corrected). Leaders and chairs may correct it for CORRECTION_WINDOW after it was
sent, the district's staff at any time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum

from linebot.v3.messaging import PostbackAction, QuickReply, QuickReplyItem, TextMessage
from linebot.v3.webhooks import ImageMessageContent
from sqlalchemy import func, select

from handlers.thaitime import format_when_in
from handlers.catalog import CATALOGUES
from handlers.context import SKIP_WORDS, Context, Turn, button_label, command_refusal, record_id
from handlers.events.listing import events
from handlers.registry import Role, command, normalize, postback, step, strip_polite
from handlers.services import activities as acts
from handlers.services import registry as reg
from models import Activity, ActivityReport, Community, Network, ReportPhoto, RoleName, Rsvp

FLOW = "report"
# Answers to the photo step that send the report as it is; the done button's label counts too.
DONE_WORDS = SKIP_WORDS | {"เสร็จ", "เสร็จแล้ว", "จบ", "ไม่มีรูป", "done", "finish", "finished", "no photos"}
MAX_PHOTOS = 10
ATTENDED_LIMIT = 100_000
TEXT_LIMIT = 2000
# A head count as people write it: "25", "๒๕ คน", "25 ท่านครับ", "25 people".
HEAD_COUNT = re.compile(r"([0-9]+)\s*(?:คน|ท่าน|people|persons?)?")
# `รายงาน K7M2 แก้ไข` (or `รายงาน แก้ไข K7M2`) asks to correct a sent report.
CORRECT_WORDS = frozenset({"แก้ไข", "แก้", "correct", "correction", "edit", "fix"})
# Answers that keep the current value while correcting; "ข้าม" / "skip" skip the question, so they keep it too.
KEEP_WORDS = frozenset({"ไม่เปลี่ยน", "เหมือนเดิม", "คงเดิม", "ไม่แก้", "ข้าม", "keep", "no change", "unchanged",
                        "same", "skip"})
# Leaders and chairs may correct a report this long after it was sent (staff: any time).
CORRECTION_WINDOW = timedelta(days=30)


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
    code, correcting = _code_and_intent(strip_polite(ctx.args))  # "รายงาน RPT1 ครับ", "รายงาน RPT1 แก้ไข"
    if not code:
        return Turn([ctx.usage("report.usage", events=ctx.command_text(ctx.keyword_of(events)))])
    activity = acts.find_activity(ctx.session, ctx.memberships, code)
    if activity is None:
        return Turn([ctx.text("report.unknown_code", code=code[:20])])
    existing = _report_of(ctx, activity)
    if existing is None:
        return _start(ctx, activity)  # nothing to correct yet: "แก้ไข" too starts the report
    if correcting:
        return _start_correction(ctx, activity, existing)
    return Turn([_shown(ctx, activity, existing)])


@postback("report_start")
def report_start(ctx: Context) -> Turn:
    """The button in the report request."""
    activity = _button_activity(ctx)
    if not isinstance(activity, Activity):
        return activity
    existing = _report_of(ctx, activity)
    if existing is not None:
        return Turn([_shown(ctx, activity, existing)])
    return _start(ctx, activity)


@postback("report_correct")
def report_correct(ctx: Context) -> Turn:
    """The correct button under a report shown to one who may correct it; asks what the typed form asks."""
    ctx.use_button_lang()
    activity = _button_activity(ctx)
    if not isinstance(activity, Activity):
        return activity
    existing = _report_of(ctx, activity)
    if existing is None:
        return _start(ctx, activity)
    return _start_correction(ctx, activity, existing)


def _button_activity(ctx: Context) -> Activity | Turn:
    """The activity a report button names, or the refusal: the sender's role as for `รายงาน`, then the
    activity, which must be of the sender's district."""
    refusal = command_refusal(ctx, ctx.registry.spec_of(report))
    if refusal is not None:
        return Turn([refusal])
    ident = record_id(ctx.params.get("id"))
    activity = ctx.session.get(Activity, ident) if ident is not None else None
    if activity is None or not _in_organization(ctx, activity):
        return Turn([ctx.text("postback.unknown")])
    return activity


def _code_and_intent(text: str) -> tuple[str, bool]:
    """The code typed, and whether a correction word came with it (before or after the code)."""
    words = text.split()
    if len(words) >= 2:
        if normalize(words[-1]) in CORRECT_WORDS:
            return " ".join(words[:-1]), True
        if normalize(words[0]) in CORRECT_WORDS:
            return " ".join(words[1:]), True
    return text, False


def _report_of(ctx: Context, activity: Activity) -> ActivityReport | None:
    return ctx.session.scalars(select(ActivityReport).where(ActivityReport.activity_id == activity.id)).first()


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
    if _correcting(ctx) and _means_keep(ctx):
        return _ask_summary(ctx)
    count = HEAD_COUNT.fullmatch(strip_polite(normalize(ctx.args)).translate(reg.THAI_DIGITS))
    attended = record_id(count[1]) if count else None
    if attended is None or attended > ATTENDED_LIMIT:
        return Turn([ctx.text("report.attended_invalid", max=f"{ATTENDED_LIMIT:,}", quick=_keep(ctx), cancel=True)],
                    step=Step.ATTENDED)
    ctx.data["attended"] = attended
    return _ask_summary(ctx)


@step(FLOW, Step.SUMMARY)
def report_summary(ctx: Context) -> Turn:
    if _correcting(ctx) and _means_keep(ctx):
        return _ask_lessons(ctx)
    text = ctx.args.strip()
    if not text or len(text) > TEXT_LIMIT:
        return Turn([ctx.text("report.text_invalid", limit=TEXT_LIMIT, quick=_keep(ctx), cancel=True)],
                    step=Step.SUMMARY)
    ctx.data["summary"] = text
    return _ask_lessons(ctx)


@step(FLOW, Step.LESSONS)
def report_lessons(ctx: Context) -> Turn:
    if _correcting(ctx) and _means_keep(ctx):
        return _ask_photos(ctx)
    text = ctx.args.strip()
    if not text or len(text) > TEXT_LIMIT:
        return Turn([ctx.text("report.text_invalid", limit=TEXT_LIMIT, quick=_keep(ctx), cancel=True)],
                    step=Step.LESSONS)
    # "ข้าม" / "skip" (polite or not) means no lessons this time, not lessons that read "ข้ามค่ะ"; while
    # correcting, "ข้าม" keeps them (above) and "ไม่มี" / "none" / "-" takes them out.
    ctx.data["lessons"] = "" if ctx.means(SKIP_WORDS) else text
    return _ask_photos(ctx)


def _ask_summary(ctx: Context) -> Turn:
    if not _correcting(ctx):
        return Turn([ctx.text("report.ask_summary", cancel=True)], step=Step.SUMMARY)
    saved = _report_corrected(ctx)
    if saved is None:
        return _gone(ctx)
    return Turn([ctx.text("report.fix_summary", summary=saved.summary, keep=_keep(ctx)[0][0], quick=_keep(ctx),
                          cancel=True)], step=Step.SUMMARY)


def _ask_lessons(ctx: Context) -> Turn:
    if not _correcting(ctx):
        return Turn([ctx.text("report.ask_lessons", quick=[(ctx.t("event.skip"),) * 2], cancel=True)],
                    step=Step.LESSONS)
    saved = _report_corrected(ctx)
    if saved is None:
        return _gone(ctx)
    keep, none = ctx.t("report.keep_label"), ctx.t("report.none_label")
    return Turn([ctx.text("report.fix_lessons", lessons=saved.lessons or "-", keep=keep, none=none,
                          quick=[(keep, keep), (none, none)], cancel=True)], step=Step.LESSONS)


def _ask_photos(ctx: Context) -> Turn:
    done = ctx.t("report.done_label")
    if not _correcting(ctx):
        return Turn([ctx.text("report.ask_photos", quick=[(done, done)], cancel=True)], step=Step.PHOTOS)
    saved = _report_corrected(ctx)
    if saved is None:
        return _gone(ctx)
    room = MAX_PHOTOS - len(saved.photos)
    if room <= 0:
        return _submit(ctx)  # the report already has all the photos it may have: nothing to ask
    return Turn([ctx.text("report.fix_photos", count=len(saved.photos), room=room, done=done, quick=[(done, done)],
                          cancel=True)], step=Step.PHOTOS)


@step(FLOW, Step.PHOTOS)
def report_photos(ctx: Context) -> Turn:
    photos = ctx.data.setdefault("photos", [])
    done = [(ctx.t("report.done_label"),) * 2]
    if _correcting(ctx):
        return _more_photos(ctx, photos, done)
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


def _more_photos(ctx: Context, photos: list[str], done: list[tuple[str, str]]) -> Turn:
    """The photo step of a correction: the report's photos stay; new ones are added, up to MAX_PHOTOS in all."""
    saved = _report_corrected(ctx)
    if saved is None:
        return _gone(ctx)
    room = MAX_PHOTOS - len(saved.photos)
    if isinstance(ctx.message, ImageMessageContent):
        if len(photos) >= room:
            return Turn([ctx.text("report.photos_full", limit=MAX_PHOTOS, quick=done)], step=Step.PHOTOS)
        photos.append(ctx.message.id)
        return Turn([ctx.text("report.fix_photo_received", count=len(photos), total=len(saved.photos) + len(photos),
                              done=done[0][0], quick=done)], step=Step.PHOTOS)
    if _means_done(ctx) or _means_keep(ctx):
        return _submit(ctx)
    if len(photos) >= room:
        reply = ctx.text("report.photos_full", limit=MAX_PHOTOS, quick=done, cancel=True)
    else:
        reply = ctx.text("report.fix_photos_not_text", room=room - len(photos), done=done[0][0], quick=done,
                         cancel=True)
    return Turn([reply], step=Step.PHOTOS)


def _means_done(ctx: Context) -> bool:
    """The done button's text (in either language), or a word for "no more photos", polite ending or not."""
    labels = {catalogue["report.done_label"].casefold() for catalogue in CATALOGUES.values()}
    return ctx.means(DONE_WORDS | labels)


def _submit(ctx: Context) -> Turn:
    """Save the report with the photos received; the conversation ends."""
    if _correcting(ctx):
        return _submit_correction(ctx)
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
    text = ctx.t("report.show", title=activity.title, when=when, attended=saved.attended, summary=saved.summary,
                 lessons=saved.lessons or "-", photos=len(saved.photos))
    if saved.corrected_at is not None:
        text += "\n" + ctx.t("report.show_corrected", when=format_when_in(ctx.lang, saved.corrected_at))
    return text


def _shown(ctx: Context, activity: Activity, saved: ActivityReport) -> TextMessage:
    """The report; for one who may correct it now, with a line saying how and a button."""
    text = _show(ctx, activity, saved)
    if not may_report(ctx, activity):
        return ctx.text_message(text)
    closes = _correction_closes(ctx, activity, saved)
    if closes is not None and ctx.now >= closes:
        return ctx.text_message(text)
    hint = ctx.t("report.correct_hint_staff", code=activity.code) if closes is None else \
        ctx.t("report.correct_hint", code=activity.code, until=format_when_in(ctx.lang, closes))
    button = QuickReplyItem(action=PostbackAction(
        label=button_label(ctx.t("report.correct_label")), data=f"a=report_correct&id={activity.id}&l={ctx.lang}",
        display_text=ctx.t("report.correct_display", code=activity.code)))
    return TextMessage(text=f"{text}\n\n{hint}", quickReply=QuickReply(items=[button]))


# --- corrections ------------------------------------------------------------------------------

def _correction_closes(ctx: Context, activity: Activity, saved: ActivityReport) -> datetime | None:
    """Until when the sender may correct this report; None: any time (the district's staff)."""
    if any(m.role == RoleName.STAFF and m.organization_id == activity.organization_id for m in ctx.memberships):
        return None
    return saved.submitted_at + CORRECTION_WINDOW


def _start_correction(ctx: Context, activity: Activity, saved: ActivityReport) -> Turn:
    if not may_report(ctx, activity):
        return Turn([ctx.text("report.correct_refused", title=activity.title)])
    closes = _correction_closes(ctx, activity, saved)
    if closes is not None and ctx.now >= closes:
        return Turn([ctx.text("report.correct_closed", title=activity.title, days=CORRECTION_WINDOW.days,
                              until=format_when_in(ctx.lang, closes))])
    keep = _keep_button(ctx)
    return Turn([ctx.text("report.fix_attended", title=activity.title, attended=saved.attended, keep=keep[0][0],
                          quick=keep, cancel=True)],
                flow=FLOW, step=Step.ATTENDED, private=True,
                data={"activity_id": activity.id, "report_id": saved.id, "photos": []})


def _correcting(ctx: Context) -> bool:
    """Whether this report conversation corrects a sent report (it names the report) rather than sending one."""
    return ctx.data.get("report_id") is not None


def _keep_button(ctx: Context) -> list[tuple[str, str]]:
    return [(ctx.t("report.keep_label"),) * 2]


def _keep(ctx: Context) -> list[tuple[str, str]]:
    """The keep button, while correcting."""
    return _keep_button(ctx) if _correcting(ctx) else []


def _means_keep(ctx: Context) -> bool:
    labels = {catalogue["report.keep_label"].casefold() for catalogue in CATALOGUES.values()}
    return ctx.means(KEEP_WORDS | labels)


def _report_corrected(ctx: Context, *, lock: bool = False) -> ActivityReport | None:
    """The report being corrected, read afresh (a co-leader may have corrected it meanwhile); locked to save."""
    query = select(ActivityReport).where(ActivityReport.id == ctx.data["report_id"])
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return ctx.session.scalars(query).first()


def _gone(ctx: Context) -> Turn:
    """The report (its activity) was deleted meanwhile: the conversation ends."""
    return Turn([ctx.text("flow.expired")])


def _submit_correction(ctx: Context) -> Turn:
    """Change what was answered (not kept) in place, add the new photos, and record who and when."""
    saved = _report_corrected(ctx, lock=True)
    activity = ctx.session.get(Activity, saved.activity_id) if saved is not None else None
    if saved is None or activity is None:
        return _gone(ctx)
    if not may_report(ctx, activity):  # their role went while they were answering
        return Turn([ctx.text("report.correct_refused", title=activity.title)])
    changes = []
    for field in ("attended", "summary", "lessons"):
        if field in ctx.data and ctx.data[field] != getattr(saved, field):
            setattr(saved, field, ctx.data[field])
            changes.append(ctx.t(f"report.field.{field}", value=ctx.data[field]))
    have = {photo.line_message_id for photo in saved.photos}
    new = [m for m in dict.fromkeys(ctx.data.get("photos", [])) if m not in have]
    if new:  # never a message id another report holds (the column is unique)
        taken = set(ctx.session.scalars(select(ReportPhoto.line_message_id)
                                        .where(ReportPhoto.line_message_id.in_(new))))
        new = [m for m in new if m not in taken][:max(0, MAX_PHOTOS - len(saved.photos))]
    if not changes and not new:
        return Turn([ctx.text("report.fix_unchanged", title=activity.title)])
    for message_id in new:
        saved.photos.append(ReportPhoto(line_message_id=message_id, received_at=ctx.now, attempts=0))
    if new:
        changes.append(ctx.t("report.field.photos", count=len(new)))
    saved.corrected_at, saved.corrected_by_id = ctx.now, ctx.person.id if ctx.person else None
    return Turn([ctx.text("report.fix_saved", title=activity.title, code=activity.code, changes=", ".join(changes))])
