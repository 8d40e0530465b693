"""The notice as LINE shows it: the card with its answer buttons, and the nudge."""

from __future__ import annotations

from typing import Any

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexSeparator,
    FlexText,
    ImageMessage,
    LocationMessage,
    Message,
    PostbackAction,
)
from sqlalchemy.orm import Session

from handlers.catalog import text_for
from models import Notice, Organization
from handlers.notices.flow import ACCENT, ALT_TEXT_LIMIT, URGENT, _short


def notice_messages(session: Session, notice: Notice, lang: str, *, nudge: bool = False) -> list[Message]:
    """The card with its buttons (รับทราบ, or ปลอดภัย / ต้องการความช่วยเหลือ), then any image or location."""
    def t(key: str, **values: object) -> str:
        return text_for(lang, key, **values)

    organization = session.get(Organization, notice.organization_id)
    header = t("alert.card_header" if notice.urgent else "notice.card_header", org=organization.name)
    body: list[Any] = [FlexText(text=header, weight="bold", size="md", wrap=True,
                                color=URGENT if notice.urgent else ACCENT)]
    if nudge:
        body.append(FlexText(text=t("notice.card_nudge"), size="xs", wrap=True, color=URGENT))
    body += [FlexSeparator(margin="md"), FlexText(text=notice.text, size="md", wrap=True, margin="md")]
    if notice.urgent:
        buttons = [_button(t("alert.safe_button"), f"a=alert&n={notice.id}&v=safe", t("alert.safe_display"),
                           "primary", ACCENT),
                   _button(t("alert.help_button"), f"a=alert&n={notice.id}&v=need_help", t("alert.help_display"),
                           "primary", URGENT)]
    else:
        buttons = [_button(t("notice.ack_button"), f"a=ack&n={notice.id}", t("notice.ack_display"), "primary",
                           ACCENT)]
    alt = t("alert.alt" if notice.urgent else "notice.alt", text=_short(notice.text, 200))
    messages: list[Message] = [FlexMessage(
        alt_text=alt[:ALT_TEXT_LIMIT],
        contents=FlexBubble(body=FlexBox(layout="vertical", contents=body),
                            footer=FlexBox(layout="vertical", spacing="sm", contents=buttons)))]
    if notice.image_url:
        messages.append(ImageMessage(original_content_url=notice.image_url, preview_image_url=notice.image_url))
    if notice.latitude is not None and notice.longitude is not None:
        messages.append(LocationMessage(title=notice.location_title or t("notice.pinned_location"),
                                        address=notice.location_address or "-",
                                        latitude=notice.latitude, longitude=notice.longitude))
    return messages


def nudge_messages(session: Session, notice: Notice, lang: str) -> list[Message]:
    return notice_messages(session, notice, lang, nudge=True)[:1]


def _button(label: str, data: str, display: str, style: str, color: str) -> FlexButton:
    return FlexButton(style=style, height="sm", color=color,
                      action=PostbackAction(label=label, data=data, display_text=display))
