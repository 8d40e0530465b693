"""Turn the fake LINE's record (requests the bot made, messages people "typed") into chat items.

A reply carries no recipient, only its token: the simulator makes tokens that name the chat
(`sim.<chat id>.<random>`), so each reply is put in the right chat from the record alone.
"""

from __future__ import annotations

import uuid
from typing import Any

TOKEN_PREFIX = "sim."


def reply_token(chat_id: str) -> str:
    """A fresh reply token for an event in this chat (a user id for 1:1, a group id)."""
    return f"{TOKEN_PREFIX}{chat_id}.{uuid.uuid4().hex}"


def chat_of_token(token: str) -> str | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    return token[len(TOKEN_PREFIX):].rsplit(".", 1)[0] or None


def items(sent: list[dict[str, Any]], since: int, said: list[dict[str, Any]], said_since: int) -> list[dict[str, Any]]:
    """Chat items in the order LINE saw them: each has `chat`, `from` ("bot" or a user id), `message`
    and `order`, a sort key. Request number i (from 0) sorts as (i + 1, 1); something said when `after`
    requests had arrived sorts as (after, 2): after those requests, before the next one."""
    found: list[dict[str, Any]] = []
    for offset, entry in enumerate(said):
        message = {k: v for k, v in entry.items() if k not in ("chat", "user", "name", "after")}
        found.append({"chat": entry.get("chat"), "from": entry.get("user"), "name": entry.get("name"),
                      "message": message, "order": [entry.get("after", 0), 2, said_since + offset]})
    for offset, request in enumerate(sent):
        if request.get("method") != "POST" or not request.get("delivered"):
            continue
        endpoint = request.get("path", "").rsplit("/", 1)[-1]
        body = request.get("body") or {}
        if endpoint == "reply":
            chats = [chat_of_token(str(body.get("replyToken", "")))]
        elif endpoint == "push":
            chats = [body.get("to")]
        elif endpoint == "multicast":
            chats = list(body.get("to") or [])
        else:  # narrowcast and broadcast: Saiyai does not use them
            continue
        for chat in chats:
            if not chat:
                continue
            for index, message in enumerate(body.get("messages") or []):
                found.append({"chat": chat, "from": "bot", "via": endpoint, "message": message,
                              "order": [since + offset + 1, 1, index]})
    found.sort(key=lambda item: item["order"])
    return found
