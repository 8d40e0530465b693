"""LINE's answers: JSON bodies and LINE's error shape."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Response

from bot.fakeline.state import FakeLineState, Recorded

log = logging.getLogger("fakeline")


def _error(status: int, message: str, details: list[dict[str, str]] | None = None) -> Response:
    body: dict[str, Any] = {"message": message}
    if details:
        body["details"] = details
    return Response(json.dumps(body), status=status, mimetype="application/json")


def ok(body: Any = None, status: int = 200) -> Response:
    return Response(json.dumps({} if body is None else body), status=status, mimetype="application/json")


def _finish(state: FakeLineState, record: Recorded, response: Response) -> Response:
    """Note LINE's answer on the record (and log what a delivered message said)."""
    record.status = response.status_code
    if log.isEnabledFor(logging.INFO) and record.delivered and isinstance(record.body, dict):
        for message in record.body.get("messages", []):
            target = record.body.get("to") or "(reply)"
            log.info("→ %s %s: %s", record.path.rsplit("/", 1)[-1], target if isinstance(target, str) else
                     f"{len(target)} users", message.get("text") or message.get("altText") or message.get("type"))
    return response
