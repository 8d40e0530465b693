"""`POST /callback` (LINE's webhook) and `GET /healthz`."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, current_app, request
from linebot.v3 import SignatureValidator
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhooks import Event
from sqlalchemy import text
from werkzeug.exceptions import RequestEntityTooLarge

from bot.pipeline import Saiyai, process_event, strip_nul

log = logging.getLogger(__name__)
blueprint = Blueprint("webhook", __name__)


def _saiyai() -> Saiyai:
    return current_app.extensions["saiyai"]


@blueprint.post("/callback")
def callback() -> Response:
    """Verify the signature on the raw body first; then handle each event on its own."""
    signature = request.headers.get("X-Line-Signature", "")
    raw = request.get_data(cache=False)  # a Content-Length over MAX_CONTENT_LENGTH: Flask answers 413 here
    if _cut_short(len(raw)):
        return _plain("body too large", 413)
    if not signature:
        return _plain("missing X-Line-Signature", 400)
    validator: SignatureValidator = current_app.extensions["saiyai.signature"]
    try:
        body = raw.decode("utf-8")
        # The SDK checks the HMAC (constant-time) before anything looks at the JSON.
        if not validator.validate(body, signature):
            raise InvalidSignatureError("signature does not match the body")
        payload = json.loads(body)
        events = payload["events"]
        if not isinstance(events, list):
            raise ValueError("events is not a list")
    except InvalidSignatureError:
        log.warning("webhook with an invalid signature from %s", request.remote_addr)
        return _plain("invalid signature", 400)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError):
        # RecursionError: JSON nested deeper than the parser goes (a signed body, but no LINE body).
        return _plain("malformed webhook body", 400)

    app = _saiyai()
    # Replies go out while the next events are handled; LINE is answered once they are all sent, or
    # when the reply budget is spent, whichever is first (bot/replies.py).
    replies = current_app.extensions["saiyai.replies"].batch()
    try:
        for raw_event in events:
            raw_event = strip_nul(raw_event)
            event = _parse_event(raw_event)
            if event is not None and process_event(app, event, raw_event, replies) == "unrecorded":
                # The database is down: stop here, in order, and let LINE deliver the body again later.
                # Events already handled are recognised by their webhookEventId; none is lost or reordered.
                return _plain("database unavailable, deliver again", 503)
    finally:
        replies.wait()
    return _plain("OK", 200)


def _cut_short(length: int) -> bool:
    """Whether a chunked body (no Content-Length, so Flask could not refuse it up front) went past
    MAX_CONTENT_LENGTH: Werkzeug stops reading at the limit without a word, and the truncated body would
    otherwise be refused as a forged signature. One byte more is asked for: at the limit, that raises."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.content_length is not None or limit is None or length < limit:
        return False
    try:
        return request.stream.read(1) != b""
    except RequestEntityTooLarge:
        return True


def _parse_event(raw_event: object) -> Event | None:
    """The SDK's model of one event; an event it cannot read is logged and skipped, not fatal."""
    if not isinstance(raw_event, dict):
        return None
    try:
        return Event.from_dict(raw_event)
    except Exception as exc:  # ValueError for a new event type, pydantic errors for odd fields
        # Event types LINE adds later arrive here too: ignore them quietly, as LINE advises.
        log.info("skipping a %s event the SDK cannot read: %s", raw_event.get("type"), str(exc)[:200])
        return None


@blueprint.get("/healthz")
def healthz() -> Response:
    """200 when the database answers, 503 when it does not."""
    try:
        with _saiyai().session_factory() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:
        log.error("health check failed: %s", exc)
        return _plain("database unreachable", 503)
    return _plain("ok", 200)


def _plain(body: str, status: int) -> Response:
    return Response(body + "\n", status=status, mimetype="text/plain")
