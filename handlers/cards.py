"""Flex cards for activities: the announcement with one-tap answers, the carousel, the host request.

Built with the SDK's models only, so a card that LINE would refuse fails here, not at LINE. The
answer buttons carry exactly `a=rsvp&id=<id>&v=going|not_going|maybe` (handlers/rsvp/ reads them),
the check-in button `a=checkin&id=<id>`, the host buttons `a=host_confirm&id=<id>` /
`a=host_decline&id=<id>` (handlers/rotation.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexCarousel,
    FlexComponent,
    FlexMessage,
    FlexSeparator,
    FlexText,
    PostbackAction,
    URIAction,
)
from sqlalchemy.orm import Session

from bot.config import TIMEZONE
from handlers.thaitime import format_date, format_when, format_when_en
from handlers.catalog import CATALOGUES, text_for
from handlers.services import activities as svc
from models import Activity, ActivityStatus, Answer, Community, HostState, Network, Rsvp, Series

CAROUSEL_LIMIT = 12      # LINE: at most 12 bubbles in a carousel
ALT_TEXT_LIMIT = 400     # LINE: altText up to 400 characters
ANSWERS = (Answer.GOING, Answer.NOT_GOING, Answer.MAYBE)
MUTED = "#8C8C8C"
ACCENT = "#06C755"       # LINE green
CANCELLED = "#D93025"


def lang_of(ctx_or_lang: object) -> str:
    """A Context's language, or the language given as a string."""
    return ctx_or_lang if isinstance(ctx_or_lang, str) else getattr(ctx_or_lang, "lang", "th")


def when_range(lang: str, starts_at: datetime, ends_at: datetime | None = None) -> str:
    """`วันอาทิตย์ที่ 20 ธันวาคม 2569 เวลา 14:00–17:00 น.` (the end's date too when it is another day)."""
    start = starts_at.astimezone(TIMEZONE)
    end = ends_at.astimezone(TIMEZONE) if ends_at is not None else None
    if lang == "en":
        if end is None:
            return format_when_en(start)
        return f"{format_when_en(start)}–{end:%H:%M}" if end.date() == start.date() else \
            f"{format_when_en(start)} – {format_when_en(end)}"
    if end is None:
        return format_when(start)
    if end.date() == start.date():
        return f"{format_date(start.date())} เวลา {start:%H:%M}–{end:%H:%M} น."
    return f"{format_when(start)} ถึง {format_when(end)}"


def series_rule(lang: str, months: int) -> str:
    """How often a series repeats: `ทุกเดือน`, `ทุก 3 เดือน`, `ปีละ 2 ครั้ง`, `ปีละครั้ง`, `ทุก 4 เดือน`."""
    key = f"series.rule.{months}"
    return text_for(lang, key) if key in CATALOGUES.get(lang, CATALOGUES["th"]) else \
        text_for(lang, "series.rule.n", n=months)


def answer_label(lang: str, answer: Answer | Rsvp | None) -> str:
    """The sender's own answer in words (waitlisted answers say so)."""
    if answer is None:
        return text_for(lang, "card.answer.none")
    if isinstance(answer, Rsvp):
        going = answer.answer == Answer.GOING
        if going and answer.waitlisted_at is not None:
            label = text_for(lang, "card.answer.waitlisted")
        else:
            label = text_for(lang, f"card.answer.{Answer(answer.answer)}")
        return text_for(lang, "card.answer.with_guests", answer=label, guests=answer.guests) if going and \
            answer.guests else label
    return text_for(lang, f"card.answer.{answer}")


def activity_card(ctx_or_lang: object, session: Session, activity: Activity, my_answer: Answer | Rsvp | None = None,
                  *, personal: bool = False, preview: bool = False, now: datetime | None = None) -> FlexBubble:
    """One activity as a bubble: what, when, where, who hosts, seats, and the answer buttons.

    `personal` adds the reader's own answer (`my_answer`, or "not answered"); `preview` shows the
    card of an activity not saved yet (no buttons); with `now` a check-in button appears while
    check-in is open.
    """
    lang = lang_of(ctx_or_lang)
    t = _translator(lang)
    contents: list[FlexComponent] = []
    if preview:
        contents.append(_small(t("card.preview"), ACCENT, bold=True))
    if activity.status == ActivityStatus.CANCELLED:
        contents.append(_small(t("card.cancelled"), CANCELLED, bold=True))
    contents.append(FlexText(text=activity.title, weight="bold", size="lg", wrap=True))
    subtitle = [t("card.code", code=activity.code)] if activity.code else []
    if activity.occurrence:
        subtitle.append(t("card.occurrence", n=activity.occurrence))
        series = session.get(Series, activity.series_id) if activity.series_id else None
        if series is not None and series.active:
            subtitle.append(series_rule(lang, series.interval_months))
    if subtitle:
        contents.append(_small(" · ".join(subtitle), MUTED))
    contents.append(FlexSeparator(margin="md"))

    rows = [(t("card.when"), when_range(lang, activity.starts_at, activity.ends_at)),
            (t("card.place"), activity.place_text or t("card.place_unknown")),
            _scope_row(t, session, activity),
            (t("card.host"), _host_text(t, session, activity))]
    seats = _seats_text(t, session, activity)
    if seats:
        rows.append((t("card.seats"), seats))
    if activity.rsvp_deadline is not None and activity.status != ActivityStatus.CANCELLED:
        rows.append((t("card.deadline"), when_range(lang, activity.rsvp_deadline)))
    contents.append(FlexBox(layout="vertical", margin="md", spacing="sm",
                            contents=[_row(label, value) for label, value in rows]))
    if personal:
        contents.append(FlexText(text=t("card.my_answer", answer=answer_label(lang, my_answer)),
                                 weight="bold", size="sm", color=ACCENT, margin="md", wrap=True))

    footer = None if preview else _footer(t, activity, now)
    return FlexBubble(body=FlexBox(layout="vertical", spacing="sm", contents=contents), footer=footer)


def activity_message(ctx_or_lang: object, session: Session, activity: Activity, my_answer: Answer | Rsvp | None = None,
                     **options: object) -> FlexMessage:
    """The card as a message; the alt text (what notifications and old phones show) names title and time."""
    lang = lang_of(ctx_or_lang)
    return FlexMessage(alt_text=alt_text(lang, activity),
                       contents=activity_card(lang, session, activity, my_answer, **options))


def carousel(ctx_or_lang: object, session: Session, activities: Sequence[Activity],
             answers: Mapping[int, Answer | Rsvp] | None = None, *, personal: bool = True,
             now: datetime | None = None) -> FlexMessage:
    """Up to 12 activity cards side by side, each with the reader's own answer."""
    lang = lang_of(ctx_or_lang)
    shown = list(activities)[:CAROUSEL_LIMIT]
    answers = answers or {}
    bubbles = [activity_card(lang, session, a, answers.get(a.id), personal=personal, now=now) for a in shown]
    return FlexMessage(alt_text=_fit(text_for(lang, "card.carousel_alt", count=len(shown))),
                       contents=FlexCarousel(contents=bubbles))


def host_request_message(ctx_or_lang: object, session: Session, activity: Activity,
                         reason: str | None = None) -> FlexMessage:
    """Asks a leader of the proposed host community to confirm or decline hosting (and why it was proposed)."""
    lang = lang_of(ctx_or_lang)
    t = _translator(lang)
    community = session.get(Community, activity.host_community_id) if activity.host_community_id else None
    name = community.name if community else "-"
    body = FlexBox(layout="vertical", spacing="sm", contents=[
        FlexText(text=t("card.host_request.title"), weight="bold", size="lg", wrap=True),
        FlexText(text=t("card.host_request.body", community=name), size="sm", wrap=True),
        *([FlexText(text=t("card.host_request.reason", reason=reason), size="sm", wrap=True)] if reason else []),
        FlexSeparator(margin="md"),
        FlexBox(layout="vertical", margin="md", spacing="sm", contents=[
            _row(t("card.activity"), activity.title),
            _row(t("card.when"), when_range(lang, activity.starts_at, activity.ends_at)),
            _row(t("card.place"), activity.place_text or t("card.place_unknown")),
            _row(t("card.code_label"), activity.code),
        ]),
    ])
    footer = FlexBox(layout="vertical", spacing="sm", contents=[
        _button(t("card.host_request.confirm"), f"a=host_confirm&id={activity.id}",
                t("card.host_request.confirm_display", code=activity.code), "primary"),
        _button(t("card.host_request.decline"), f"a=host_decline&id={activity.id}",
                t("card.host_request.decline_display", code=activity.code), "secondary"),
    ])
    return FlexMessage(alt_text=_fit(t("card.host_request.alt", title=activity.title)),
                       contents=FlexBubble(body=body, footer=footer))


def alt_text(lang: str, activity: Activity) -> str:
    key = "card.alt_cancelled" if activity.status == ActivityStatus.CANCELLED else "card.alt"
    return _fit(text_for(lang, key, title=activity.title, when=when_range(lang, activity.starts_at, activity.ends_at)))


# --- pieces -------------------------------------------------------------------------------------

def _translator(lang: str):
    return lambda key, **values: text_for(lang, key, **values)


def _fit(text: str) -> str:
    return text if len(text) <= ALT_TEXT_LIMIT else text[:ALT_TEXT_LIMIT - 1] + "…"


def _small(text: str, color: str, *, bold: bool = False) -> FlexText:
    return FlexText(text=text, size="xs", color=color, wrap=True, weight="bold" if bold else None)


def _row(label: str, value: str) -> FlexBox:
    return FlexBox(layout="baseline", spacing="sm", contents=[
        FlexText(text=label, size="sm", color=MUTED, flex=2, wrap=True),
        FlexText(text=value or "-", size="sm", flex=5, wrap=True),
    ])


def _button(label: str, data: str, display: str, style: str) -> FlexButton:
    return FlexButton(style=style, height="sm",
                      action=PostbackAction(label=label, data=data, display_text=display))


def _scope_row(t, session: Session, activity: Activity) -> tuple[str, str]:
    if activity.network_id:
        network = session.get(Network, activity.network_id)
        return t("card.network"), network.name if network else "-"
    community = session.get(Community, activity.community_id) if activity.community_id else None
    return t("card.community"), community.name if community else "-"


def _host_text(t, session: Session, activity: Activity) -> str:
    community = session.get(Community, activity.host_community_id) if activity.host_community_id else None
    if community is None or activity.host_state == HostState.NONE:
        return t("card.host_none")
    if activity.host_state == HostState.PROPOSED:
        return t("card.host_proposed", community=community.name)
    return community.name


def _seats_text(t, session: Session, activity: Activity) -> str | None:
    parts = []
    taken = svc.seats_taken(session, activity) if activity.id is not None else None
    if activity.capacity is not None:
        parts.append(t("card.seats_taken", taken=taken, capacity=activity.capacity) if taken is not None
                     else t("card.seats_total", capacity=activity.capacity))
    elif taken:
        parts.append(t("card.going_count", count=taken))
    if activity.seats_per_community:
        parts.append(t("card.seats_per_community", seats=activity.seats_per_community))
    return " · ".join(parts) or None


def _footer(t, activity: Activity, now: datetime | None) -> FlexBox | None:
    if activity.id is None or activity.status in (ActivityStatus.CANCELLED, ActivityStatus.DONE):
        return None
    buttons: list[FlexComponent] = [FlexBox(layout="horizontal", spacing="sm", contents=[
        _button(t(f"card.button.{answer}"), f"a=rsvp&id={activity.id}&v={answer}",
                t(f"card.display.{answer}", code=activity.code),
                "primary" if answer == Answer.GOING else "secondary")
        for answer in ANSWERS])]
    if now is not None and svc.check_in_open(activity, now):
        buttons.append(_button(t("card.button.checkin"), f"a=checkin&id={activity.id}",
                               t("card.display.checkin", code=activity.code), "link"))
    if activity.place_lat is not None and activity.place_lng is not None:
        buttons.append(FlexButton(style="link", height="sm", action=URIAction(
            label=t("card.button.map"),
            uri=f"https://www.google.com/maps/search/?api=1&query={activity.place_lat},{activity.place_lng}")))
    return FlexBox(layout="vertical", spacing="sm", contents=buttons)
