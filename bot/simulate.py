"""Build LINE webhook events the way LINE sends them, and sign bodies with the channel secret.

Used by the tests, by `flask --app bot say` in local mode, and by the benchmarks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import uuid
from typing import Any

_ids = itertools.count(1)


def sign(secret: str, body: bytes) -> str:
    """X-Line-Signature: Base64(HMAC-SHA256(channel secret, raw body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def body(*events: dict[str, Any], destination: str = "Ubotdestination000000000000000000") -> bytes:
    return json.dumps({"destination": destination, "events": list(events)}, ensure_ascii=False).encode()


def _base(kind: str, user: str | None, group: str | None, reply_token: str | None, redelivery: bool,
          event_id: str | None) -> dict[str, Any]:
    n = next(_ids)
    if group:
        source: dict[str, Any] = {"type": "group", "groupId": group}
        if user:
            source["userId"] = user
    else:
        source = {"type": "user", "userId": user}
    event: dict[str, Any] = {
        "type": kind, "mode": "active", "timestamp": 1767225600000 + n, "source": source,
        # ULID-shaped and unique across processes, as LINE's ids are.
        "webhookEventId": event_id or "01" + uuid.uuid4().hex[:24].upper(),
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if reply_token is not None:
        event["replyToken"] = reply_token
    return event


def text(message: str, *, user: str | None = "U" + "a" * 32, group: str | None = None,
         reply_token: str | None = "auto", redelivery: bool = False, event_id: str | None = None,
         mention_self: tuple[int, int] | None = None) -> dict[str, Any]:
    """A text message event (1:1 unless `group` is given); reply_token "auto" makes a fresh one."""
    event = _base("message", user, group, _token(reply_token), redelivery, event_id)
    content: dict[str, Any] = {"id": f"{next(_ids)}", "type": "text", "text": message, "quoteToken": "q"}
    if mention_self:
        content["mention"] = {"mentionees": [
            {"index": mention_self[0], "length": mention_self[1], "type": "user", "isSelf": True}]}
    event["message"] = content
    return event


def postback(data: str, *, user: str = "U" + "a" * 32, group: str | None = None,
             params: dict[str, str] | None = None, reply_token: str | None = "auto") -> dict[str, Any]:
    event = _base("postback", user, group, _token(reply_token), False, None)
    event["postback"] = {"data": data, **({"params": params} if params else {})}
    return event


def sticker(*, user: str = "U" + "a" * 32, group: str | None = None) -> dict[str, Any]:
    event = _base("message", user, group, _token("auto"), False, None)
    event["message"] = {"id": f"{next(_ids)}", "type": "sticker", "packageId": "1", "stickerId": "1",
                        "stickerResourceType": "STATIC", "quoteToken": "q"}
    return event


def location(latitude: float, longitude: float, *, title: str | None = None, address: str | None = None,
             user: str = "U" + "a" * 32, group: str | None = None) -> dict[str, Any]:
    """A location message (LINE's "Send location"); title and address are absent for a bare pin."""
    event = _base("message", user, group, _token("auto"), False, None)
    content: dict[str, Any] = {"id": f"{next(_ids)}", "type": "location", "latitude": latitude,
                               "longitude": longitude}
    if title is not None:
        content["title"] = title
    if address is not None:
        content["address"] = address
    event["message"] = content
    return event


def simple(kind: str, *, user: str | None = "U" + "a" * 32, group: str | None = None,
           reply_token: str | None = "auto", members: list[str] | None = None) -> dict[str, Any]:
    """follow, unfollow, join, leave, memberJoined, memberLeft (reply token only where LINE gives one)."""
    event = _base(kind, user, group, _token(reply_token), False, None)
    if kind == "follow":
        event["follow"] = {"isUnblocked": False}
    if kind in ("memberJoined", "memberLeft"):
        key = "joined" if kind == "memberJoined" else "left"
        event[key] = {"members": [{"type": "user", "userId": m} for m in (members or [user])]}
        event["source"].pop("userId", None)
    return event


def _token(reply_token: str | None) -> str | None:
    # Unique across processes, as LINE's are: `flask say` runs once per message, and a token used
    # twice is refused (the answer then comes late, as a push).
    return uuid.uuid4().hex if reply_token == "auto" else reply_token
