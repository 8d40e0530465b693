"""Flex cards for activities: the announcement with one-tap answers, the carousel, the host request.

The answer buttons carry exactly `a=rsvp&id=<id>&v=going|not_going|maybe` (handlers/rsvp/ reads them),
the check-in button `a=checkin&id=<id>`, the host buttons `a=host_confirm&id=<id>` /
`a=host_decline&id=<id>` (handlers/rotation.py).

Cards are built as LINE's JSON, the very dicts the SDK's models give from `to_dict()`, not as the models:
at Bangkok size a carousel of 12 cards took ~25 ms to build as pydantic models and ~20 ms more to turn
into JSON for the outbox, most of a `กิจกรรม` request. The shapes are fixed and every value is a string
from the catalogue or a row, so nothing is lost at run time: tests/handlers/test_cards.py rebuilds every
kind of card with the SDK's models (unchanged by the round trip) and checks it against LINE's OpenAPI
description, and the fake LINE server validates every message it receives with the same models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import literal, select, union_all
from sqlalchemy.orm import Session

from bot.config import TIMEZONE
from bot.messages import Serialized
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


class FlexJson(Serialized):
    """A Flex message built as LINE's JSON: the outbox stores `to_dict()` as it is (bot/messages.py)."""

    def __init__(self, alt_text: str, contents: dict[str, Any]) -> None:
        self._data = {"type": "flex", "altText": alt_text, "contents": contents}

    @property
    def alt_text(self) -> str:
        return self._data["altText"]


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


@dataclass(frozen=True)
class CardFacts:
    """What the cards of some activities show beyond the activity's own columns, loaded together."""

    names: Mapping[tuple[str, int], str]          # ("network" | "community", id) -> name
    series: Mapping[int, tuple[bool, int]]        # series id -> (active, interval_months)
    seats: Mapping[int, int]                      # activity id -> seats taken


def card_facts(session: Session, activities: Sequence[Activity]) -> CardFacts:
    """Names, series rules and seats taken for these activities' cards: at most three statements however
    many cards (a carousel of 12 ran 36 look-ups one card at a time)."""
    networks = {a.network_id for a in activities if a.network_id}
    communities = {a.community_id for a in activities if not a.network_id and a.community_id} | \
        {a.host_community_id for a in activities if a.host_community_id}
    parts = [select(literal("network"), Network.id, Network.name).where(Network.id.in_(networks))] if networks else []
    if communities:
        parts.append(select(literal("community"), Community.id, Community.name).where(Community.id.in_(communities)))
    names = {(kind, ident): name for kind, ident, name in session.execute(
        parts[0] if len(parts) == 1 else union_all(*parts))} if parts else {}
    series_ids = {a.series_id for a in activities if a.occurrence and a.series_id}
    series = {ident: (active, months) for ident, active, months in session.execute(
        select(Series.id, Series.active, Series.interval_months).where(Series.id.in_(series_ids)))} \
        if series_ids else {}
    seats = svc.seats_taken_of(session, [a.id for a in activities if a.id is not None])
    return CardFacts(names, series, seats)


def activity_card(ctx_or_lang: object, session: Session, activity: Activity, my_answer: Answer | Rsvp | None = None,
                  *, personal: bool = False, preview: bool = False, now: datetime | None = None,
                  facts: CardFacts | None = None) -> dict[str, Any]:
    """One activity as a bubble (LINE's JSON): what, when, where, who hosts, seats, and the answer buttons.

    `personal` adds the reader's own answer (`my_answer`, or "not answered"); `preview` shows the
    card of an activity not saved yet (no buttons); with `now` a check-in button appears while
    check-in is open. `facts` (card_facts) when the caller loaded them for several cards at once.
    """
    lang = lang_of(ctx_or_lang)
    facts = facts if facts is not None else card_facts(session, [activity])
    t = _translator(lang)
    contents: list[dict[str, Any]] = []
    if preview:
        contents.append(_small(t("card.preview"), ACCENT, bold=True))
    if activity.status == ActivityStatus.CANCELLED:
        contents.append(_small(t("card.cancelled"), CANCELLED, bold=True))
    contents.append({"type": "text", "text": activity.title, "weight": "bold", "size": "lg", "wrap": True})
    subtitle = [t("card.code", code=activity.code)] if activity.code else []
    if activity.occurrence:
        subtitle.append(t("card.occurrence", n=activity.occurrence))
        series = facts.series.get(activity.series_id) if activity.series_id else None
        if series is not None and series[0]:
            subtitle.append(series_rule(lang, series[1]))
    if subtitle:
        contents.append(_small(" · ".join(subtitle), MUTED))
    contents.append(_SEPARATOR)

    rows = [(t("card.when"), when_range(lang, activity.starts_at, activity.ends_at)),
            (t("card.place"), activity.place_text or t("card.place_unknown")),
            _scope_row(t, facts, activity),
            (t("card.host"), _host_text(t, facts, activity))]
    seats = _seats_text(t, facts, activity)
    if seats:
        rows.append((t("card.seats"), seats))
    if activity.rsvp_deadline is not None and activity.status != ActivityStatus.CANCELLED:
        rows.append((t("card.deadline"), when_range(lang, activity.rsvp_deadline)))
    contents.append({"type": "box", "layout": "vertical", "margin": "md", "spacing": "sm",
                     "contents": [_row(label, value) for label, value in rows]})
    if personal:
        contents.append({"type": "text", "text": t("card.my_answer", answer=answer_label(lang, my_answer)),
                         "weight": "bold", "size": "sm", "color": ACCENT, "margin": "md", "wrap": True})

    bubble: dict[str, Any] = {"type": "bubble", "body": {"type": "box", "layout": "vertical", "spacing": "sm",
                                                          "contents": contents}}
    footer = None if preview else _footer(t, activity, now)
    if footer is not None:
        bubble["footer"] = footer
    return bubble


def activity_message(ctx_or_lang: object, session: Session, activity: Activity, my_answer: Answer | Rsvp | None = None,
                     **options: Any) -> FlexJson:
    """The card as a message; the alt text (what notifications and old phones show) names title and time."""
    lang = lang_of(ctx_or_lang)
    return FlexJson(alt_text(lang, activity), activity_card(lang, session, activity, my_answer, **options))


def carousel(ctx_or_lang: object, session: Session, activities: Sequence[Activity],
             answers: Mapping[int, Answer | Rsvp] | None = None, *, personal: bool = True,
             now: datetime | None = None) -> FlexJson:
    """Up to 12 activity cards side by side, each with the reader's own answer."""
    lang = lang_of(ctx_or_lang)
    shown = list(activities)[:CAROUSEL_LIMIT]
    answers = answers or {}
    facts = card_facts(session, shown)
    bubbles = [activity_card(lang, session, a, answers.get(a.id), personal=personal, now=now, facts=facts)
               for a in shown]
    return FlexJson(_fit(text_for(lang, "card.carousel_alt", count=len(shown))),
                    {"type": "carousel", "contents": bubbles})


def host_request_message(ctx_or_lang: object, session: Session, activity: Activity,
                         reason: str | None = None) -> FlexJson:
    """Asks a leader of the proposed host community to confirm or decline hosting (and why it was proposed)."""
    lang = lang_of(ctx_or_lang)
    t = _translator(lang)
    community = session.get(Community, activity.host_community_id) if activity.host_community_id else None
    name = community.name if community else "-"
    body = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
        {"type": "text", "text": t("card.host_request.title"), "weight": "bold", "size": "lg", "wrap": True},
        {"type": "text", "text": t("card.host_request.body", community=name), "size": "sm", "wrap": True},
        *([{"type": "text", "text": t("card.host_request.reason", reason=reason), "size": "sm", "wrap": True}]
          if reason else []),
        _SEPARATOR,
        {"type": "box", "layout": "vertical", "margin": "md", "spacing": "sm", "contents": [
            _row(t("card.activity"), activity.title),
            _row(t("card.when"), when_range(lang, activity.starts_at, activity.ends_at)),
            _row(t("card.place"), activity.place_text or t("card.place_unknown")),
            _row(t("card.code_label"), activity.code),
        ]},
    ]}
    footer = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
        _button(t("card.host_request.confirm"), f"a=host_confirm&id={activity.id}",
                t("card.host_request.confirm_display", code=activity.code), "primary"),
        _button(t("card.host_request.decline"), f"a=host_decline&id={activity.id}",
                t("card.host_request.decline_display", code=activity.code), "secondary"),
    ]}
    return FlexJson(_fit(t("card.host_request.alt", title=activity.title)),
                    {"type": "bubble", "body": body, "footer": footer})


def alt_text(lang: str, activity: Activity) -> str:
    key = "card.alt_cancelled" if activity.status == ActivityStatus.CANCELLED else "card.alt"
    return _fit(text_for(lang, key, title=activity.title, when=when_range(lang, activity.starts_at, activity.ends_at)))


# --- pieces -------------------------------------------------------------------------------------

def _translator(lang: str):
    return lambda key, **values: text_for(lang, key, **values)


def _fit(text: str) -> str:
    return text if len(text) <= ALT_TEXT_LIMIT else text[:ALT_TEXT_LIMIT - 1] + "…"


def _small(text: str, color: str, *, bold: bool = False) -> dict[str, Any]:
    small = {"type": "text", "text": text, "size": "xs", "color": color, "wrap": True}
    return small | {"weight": "bold"} if bold else small


_SEPARATOR = {"type": "separator", "margin": "md"}


def _row(label: str, value: str) -> dict[str, Any]:
    return {"type": "box", "layout": "baseline", "spacing": "sm", "contents": [
        {"type": "text", "text": label, "size": "sm", "color": MUTED, "flex": 2, "wrap": True},
        {"type": "text", "text": value or "-", "size": "sm", "flex": 5, "wrap": True},
    ]}


def _button(label: str, data: str, display: str, style: str) -> dict[str, Any]:
    return {"type": "button", "style": style, "height": "sm",
            "action": {"type": "postback", "label": label, "data": data, "displayText": display}}


def _scope_row(t, facts: CardFacts, activity: Activity) -> tuple[str, str]:
    if activity.network_id:
        return t("card.network"), facts.names.get(("network", activity.network_id), "-")
    name = facts.names.get(("community", activity.community_id), "-") if activity.community_id else "-"
    return t("card.community"), name


def _host_text(t, facts: CardFacts, activity: Activity) -> str:
    name = facts.names.get(("community", activity.host_community_id)) if activity.host_community_id else None
    if name is None or activity.host_state == HostState.NONE:
        return t("card.host_none")
    if activity.host_state == HostState.PROPOSED:
        return t("card.host_proposed", community=name)
    return name


def _seats_text(t, facts: CardFacts, activity: Activity) -> str | None:
    parts = []
    taken = facts.seats.get(activity.id, 0) if activity.id is not None else None
    if activity.capacity is not None:
        parts.append(t("card.seats_taken", taken=taken, capacity=activity.capacity) if taken is not None
                     else t("card.seats_total", capacity=activity.capacity))
    elif taken:
        parts.append(t("card.going_count", count=taken))
    if activity.seats_per_community:
        parts.append(t("card.seats_per_community", seats=activity.seats_per_community))
    return " · ".join(parts) or None


def _footer(t, activity: Activity, now: datetime | None) -> dict[str, Any] | None:
    if activity.id is None or activity.status in (ActivityStatus.CANCELLED, ActivityStatus.DONE):
        return None
    buttons: list[dict[str, Any]] = [{"type": "box", "layout": "horizontal", "spacing": "sm", "contents": [
        _button(t(f"card.button.{answer}"), f"a=rsvp&id={activity.id}&v={answer}",
                t(f"card.display.{answer}", code=activity.code),
                "primary" if answer == Answer.GOING else "secondary")
        for answer in ANSWERS]}]
    if now is not None and svc.check_in_open(activity, now):
        buttons.append(_button(t("card.button.checkin"), f"a=checkin&id={activity.id}",
                               t("card.display.checkin", code=activity.code), "link"))
    if activity.place_lat is not None and activity.place_lng is not None:
        buttons.append({"type": "button", "style": "link", "height": "sm", "action": {
            "type": "uri", "label": t("card.button.map"),
            "uri": f"https://www.google.com/maps/search/?api=1&query={activity.place_lat},{activity.place_lng}"}})
    return {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons}
