"""What the fake LINE API holds: every request it got, queued faults, quota and rate limits, rich menus."""

from __future__ import annotations

import itertools
import random
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from linebot.v3.messaging import (
    BroadcastRequest,
    MulticastRequest,
    NarrowcastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
)


SEND_MODELS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "reply": ReplyMessageRequest.from_dict,
    "push": PushMessageRequest.from_dict,
    "multicast": MulticastRequest.from_dict,
    "narrowcast": NarrowcastRequest.from_dict,
    "broadcast": BroadcastRequest.from_dict,
}
DUMMY_TOKENS = {"00000000000000000000000000000000", "ffffffffffffffffffffffffffffffff"}
MONTHLY_LIMIT = "You have reached your monthly limit."
MULTICAST_MAX_TO = 500  # MulticastRequest.to: conlist(StrictStr, min_items=1, max_items=500)
# LINE's rules for a rich menu and its picture (Messaging API reference, "Rich menu object", "Upload rich menu image").
RICH_MENU_WIDTH = (800, 2500)
RICH_MENU_MIN_HEIGHT = 250
RICH_MENU_MIN_RATIO = 1.45
RICH_MENU_MAX_AREAS = 20
RICH_MENU_IMAGE_MAX = 1024 * 1024
RICH_MENU_IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}


@dataclass
class Recorded:
    """One request as the fake saw it, and what it answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 0
    delivered: bool = False
    at: float = 0.0

    @property
    def retry_key(self) -> str | None:
        return self.headers.get("x-line-retry-key")


@dataclass
class Fault:
    """What to do instead of a plain success: a status to answer, or a delay after delivering."""

    status: int = 500
    delay: float = 0.0
    deliver: bool = False
    message: str = "Internal server error"


@dataclass
class FakeLineState:
    """Everything the fake remembers; guarded by one lock because werkzeug serves in threads."""

    access_token: str | None = None
    requests: list[Recorded] = field(default_factory=list)
    accepted_retry_keys: set[str] = field(default_factory=set)
    used_reply_tokens: set[str] = field(default_factory=set)
    faults: deque[Fault] = field(default_factory=deque)
    failure_rate: float = 0.0
    failure_kinds: tuple[Fault, ...] = ()
    monthly_quota: int | None = None
    consumed: int = 0
    group_sizes: dict[str, int] = field(default_factory=dict)
    rate_limits: dict[str, float] = field(default_factory=dict)  # endpoint → requests per second
    latency: dict[str, float] = field(default_factory=dict)      # endpoint → seconds before each answer
    missing_content: set[str] = field(default_factory=set)      # message ids whose content LINE no longer has
    # What people "typed on their phones" in the simulator (bot/simulator): LINE sees both sides of a
    # chat; each entry notes how many requests had arrived before it, to keep the two sides in order.
    said: list[dict[str, Any]] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(1))
    lock: threading.Lock = field(default_factory=threading.Lock)
    _buckets: dict[str, list[float]] = field(default_factory=dict)
    # Rich menus: id → definition (with its richMenuId), id → (picture, content type), alias → id,
    # user → linked id, and the default id.
    rich_menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    rich_menu_images: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    rich_menu_aliases: dict[str, str] = field(default_factory=dict)
    user_rich_menus: dict[str, str] = field(default_factory=dict)
    default_rich_menu: str | None = None
    _menu_ids: Any = field(default_factory=lambda: itertools.count(1))

    def current_menu_for(self, user_id: str) -> dict[str, Any] | None:
        """The rich menu this user sees in LINE (their own, else the default), or None: its definition
        (`richMenuId`, `size`, `areas`, ...) with `image` (bytes) and `contentType`. For a simulator."""
        with self.lock:
            menu_id = self.user_rich_menus.get(user_id) or self.default_rich_menu
            return self._shown(menu_id)

    def menu_by_alias(self, alias_id: str) -> dict[str, Any] | None:
        """The menu an alias points at (what a `richmenuswitch` area opens), as current_menu_for gives it."""
        with self.lock:
            return self._shown(self.rich_menu_aliases.get(alias_id))

    def switch_menu(self, user_id: str, alias_id: str) -> bool:
        """A user taps a `richmenuswitch` area: LINE links the alias's menu to them (a simulator calls this
        before posting the tab's postback event to the bot). False for an unknown alias."""
        with self.lock:
            menu_id = self.rich_menu_aliases.get(alias_id)
            if menu_id is None or menu_id not in self.rich_menus:
                return False
            self.user_rich_menus[user_id] = menu_id
            return True

    def _shown(self, menu_id: str | None) -> dict[str, Any] | None:
        if menu_id is None or menu_id not in self.rich_menus:
            return None
        image, content_type = self.rich_menu_images.get(menu_id, (b"", ""))
        return {**self.rich_menus[menu_id], "image": image, "contentType": content_type}

    def deliveries(self, endpoint: str | None = None) -> list[Recorded]:
        """Requests LINE would have delivered (each retry key at most once)."""
        with self.lock:
            return [r for r in self.requests if r.delivered and (endpoint is None or r.path.endswith("/" + endpoint))]

    def texts(self) -> list[str]:
        """Every text message delivered, in order, across reply, push and multicast."""
        return [m.get("text", "") for r in self.deliveries() for m in r.body.get("messages", [])
                if m.get("type") == "text"]

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.said.clear()
            self.accepted_retry_keys.clear()
            self.used_reply_tokens.clear()
            self.faults.clear()
            self.failure_rate, self.consumed, self.monthly_quota = 0.0, 0, None
            self.rate_limits.clear()
            self.latency.clear()
            self._buckets.clear()
            self.rich_menus.clear()
            self.rich_menu_images.clear()
            self.rich_menu_aliases.clear()
            self.user_rich_menus.clear()
            self.default_rich_menu = None

    def _take_token(self, endpoint: str, now: float) -> bool:
        rate = self.rate_limits.get(endpoint)
        if not rate:
            return True
        tokens, last = self._buckets.get(endpoint, [rate, now])
        tokens = min(rate, tokens + (now - last) * rate)
        ok = tokens >= 1
        self._buckets[endpoint] = [tokens - 1 if ok else tokens, now]
        return ok


