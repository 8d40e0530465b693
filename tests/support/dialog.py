"""Conversation tables: (who, says, bot replies) turns posted as signed webhooks, replies read at the fake LINE."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from support import events as ev


def flex_values(message: dict, pick: Callable[[dict], Any]) -> list[Any]:
    """What `pick` returns (None: nothing) for every node of a Flex message's contents, in order."""
    found: list[Any] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            value = pick(node)
            if value is not None:
                found.append(value)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(message.get("contents", {}))
    return found


def flex_texts(message: dict) -> list[str]:
    """Every text component of a Flex message (a bubble or a carousel), in order."""
    return flex_values(message, lambda node: node["text"] if node.get("type") == "text" else None)


class Dialog:
    """Drives the bot through one or more app instances (each like a separate gunicorn worker)."""

    def __init__(self, fake_line, *webhooks) -> None:
        self.fake_line = fake_line
        self.webhooks = webhooks
        self.turn = 0

    def say(self, user: str | None, text: str, *, group: str | None = None) -> list[str]:
        """Post one message and return the texts the bot sent in answer (reply and any push)."""
        seen = len(self.fake_line.state.requests)
        webhook = self.webhooks[self.turn % len(self.webhooks)]  # alternate workers each turn
        self.turn += 1
        response = webhook.post(ev.text(text, user=user, group=group))
        assert response.status_code == 200
        return [m.get("text", f"[{m.get('type')}]") for r in self.fake_line.state.requests[seen:]
                for m in r.body.get("messages", [])]

    def postback(self, user: str, data: str, *, group: str | None = None,
                 params: dict[str, str] | None = None) -> list[str]:
        seen = len(self.fake_line.state.requests)
        webhook = self.webhooks[self.turn % len(self.webhooks)]
        self.turn += 1
        assert webhook.post(ev.postback(data, user=user, group=group, params=params)).status_code == 200
        return [m.get("text", f"[{m.get('type')}]") for r in self.fake_line.state.requests[seen:]
                for m in r.body.get("messages", [])]

    def run(self, table: Sequence[tuple]) -> None:
        """Each row: (user, text, expected) or (user, text, expected, group); expected is a text or a list."""
        for row in table:
            user, text, expected = row[:3]
            group = row[3] if len(row) > 3 else None
            replies = self.say(user, text, group=group)
            wanted = [expected] if isinstance(expected, str) else list(expected)
            assert replies == wanted, f"after {user} said {text!r}"

    def quick_replies(self) -> list[str]:
        """Labels of the quick-reply buttons on the bot's last message."""
        last = self.fake_line.state.requests[-1].body["messages"][-1]
        return [item["action"]["label"] for item in (last.get("quickReply") or {}).get("items", [])]
