"""A fake LINE Messaging API on loopback, for tests and for local mode (`python -m bot.fakeline`).

It behaves like LINE where Saiyai depends on it: bodies are validated with the SDK's own request
models (400 with LINE's error shape), a reply token works once, a retry key already accepted is
answered 409, the monthly quota ends in LINE's 429, rate limits per endpoint end in 429 "Too many
requests". Tests can make it fail: 5xx, slow answers after delivering (a client timeout), 429,
or answer every call to an endpoint slowly (`latency`).

Rich menus are kept as LINE keeps them (menus, their pictures, aliases, the default, each user's link),
with LINE's rules on sizes and pictures; `FakeLineState.current_menu_for(user_id)` is the menu a user
sees, for tests and a simulator.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request
from linebot.v3.messaging import (
    BroadcastRequest,
    CreateRichMenuAliasRequest,
    MulticastRequest,
    NarrowcastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
    RichMenuBulkLinkRequest,
    RichMenuBulkUnlinkRequest,
    RichMenuRequest,
    UpdateRichMenuAliasRequest,
)
from PIL import Image, UnidentifiedImageError
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

log = logging.getLogger("fakeline")

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


def _error(status: int, message: str, details: list[dict[str, str]] | None = None) -> Response:
    body: dict[str, Any] = {"message": message}
    if details:
        body["details"] = details
    return Response(json.dumps(body), status=status, mimetype="application/json")


def create_fake_app(state: FakeLineState) -> Flask:
    """The fake's WSGI app over a given state."""
    app = Flask("fakeline")

    @app.before_request
    def check_token() -> Response | None:
        if request.path.startswith("/__fake__"):
            return None
        if state.access_token and request.headers.get("Authorization") != f"Bearer {state.access_token}":
            return _error(401, "Authentication failed due to the following reason: invalid token.")
        return None

    @app.post("/v2/bot/message/<endpoint>")
    def send(endpoint: str) -> Response:
        if endpoint not in SEND_MODELS:
            return _error(404, "Not found")
        return _send(state, endpoint)

    @app.get("/v2/bot/message/quota")
    def quota() -> Response:
        body = {"type": "limited", "value": state.monthly_quota} if state.monthly_quota is not None else {"type": "none"}
        return Response(json.dumps(body), mimetype="application/json")

    @app.get("/v2/bot/message/quota/consumption")
    def consumption() -> Response:
        return Response(json.dumps({"totalUsage": state.consumed}), mimetype="application/json")

    @app.get("/v2/bot/message/<message_id>/content")
    def content(message_id: str) -> Response:
        # A tiny JPEG-looking body: enough for storage code to write and tests to compare.
        with state.lock:
            state.requests.append(Recorded("GET", request.path, {k.lower(): v for k, v in request.headers.items()},
                                          None, 200, False, time.time()))
        if message_id in state.missing_content:
            return _error(404, "Not found")
        return Response(b"\xff\xd8\xff\xe0fake-jpeg-" + message_id.encode(), mimetype="image/jpeg")

    @app.get("/v2/bot/profile/<user_id>")
    def profile(user_id: str) -> Response:
        return Response(json.dumps({"userId": user_id, "displayName": f"ผู้ใช้ {user_id[-4:]}", "language": "th"}),
                        mimetype="application/json")

    @app.get("/v2/bot/group/<group_id>/members/count")
    def group_count(group_id: str) -> Response:
        return Response(json.dumps({"count": state.group_sizes.get(group_id, 10)}), mimetype="application/json")

    @app.get("/__fake__/requests")
    def dump() -> Response:
        since = request.args.get("since", 0, type=int)  # the simulator polls for what is new
        with state.lock:
            rows = [{"method": r.method, "path": r.path, "status": r.status, "delivered": r.delivered,
                     "retry_key": r.retry_key,
                     "body": {"bytes": len(r.body)} if isinstance(r.body, bytes) else r.body}
                    for r in state.requests[since:]]
        return Response(json.dumps(rows, ensure_ascii=False), mimetype="application/json")

    @app.post("/__fake__/said")
    def say() -> Response:
        entry = request.get_json(force=True, silent=True)
        if not isinstance(entry, dict):
            return _error(400, "a JSON object is expected")
        with state.lock:
            entry["after"] = len(state.requests)
            state.said.append(entry)
            count = len(state.said)
        return Response(json.dumps({"said": count}), mimetype="application/json")

    @app.get("/__fake__/said")
    def said() -> Response:
        since = request.args.get("since", 0, type=int)
        with state.lock:
            rows = state.said[since:]
            body = json.dumps(rows, ensure_ascii=False)
        return Response(body, mimetype="application/json")

    # What a simulator in another process needs (local mode): the menu a user sees, its picture, a tab tapped.
    @app.get("/__fake__/richmenu/<user_id>")
    def shown_menu(user_id: str) -> Response:
        menu = state.current_menu_for(user_id)
        if menu is None:
            return _error(404, "no rich menu for this user (run `flask --app bot richmenu sync`)")
        menu = {key: value for key, value in menu.items() if key != "image"}
        return _ok({**menu, "imageUrl": f"/__fake__/richmenu/{user_id}/image"})

    @app.get("/__fake__/richmenu/<user_id>/image")
    def shown_menu_image(user_id: str) -> Response:
        menu = state.current_menu_for(user_id)
        if menu is None or not menu["image"]:
            return _error(404, "Not found")
        return Response(menu["image"], mimetype=menu["contentType"])

    @app.post("/__fake__/richmenu/<user_id>/switch/<alias>")
    def tap_tab(user_id: str, alias: str) -> Response:
        return _ok() if state.switch_menu(user_id, alias) else _error(404, "unknown alias")

    _rich_menu_routes(app, state)
    return app


# --- rich menus ------------------------------------------------------------------------------------

def _rich_menu_routes(app: Flask, state: FakeLineState) -> None:
    """LINE's rich-menu endpoints over the state's menus, pictures, aliases and links."""

    @app.post("/v2/bot/richmenu")
    def create_rich_menu() -> Response:
        return _menu_call(state, RichMenuRequest.from_dict, _create_menu)

    @app.post("/v2/bot/richmenu/validate")
    def validate_rich_menu() -> Response:
        return _menu_call(state, RichMenuRequest.from_dict, lambda s, body: _check_menu(body) or _ok())

    @app.get("/v2/bot/richmenu/list")
    def list_rich_menus() -> Response:
        return _menu_call(state, None, lambda s, body: _ok({"richmenus": list(s.rich_menus.values())}))

    @app.get("/v2/bot/richmenu/<menu_id>")
    def get_rich_menu(menu_id: str) -> Response:
        return _menu_call(state, None, lambda s, body: _ok(s.rich_menus[menu_id]) if menu_id in s.rich_menus
                          else _error(404, "Not found"))

    @app.delete("/v2/bot/richmenu/<menu_id>")
    def delete_rich_menu(menu_id: str) -> Response:
        return _menu_call(state, None, lambda s, body: _delete_menu(s, menu_id))

    @app.post("/v2/bot/richmenu/<menu_id>/content")
    def upload_rich_menu_image(menu_id: str) -> Response:
        return _menu_call(state, None, lambda s, body: _upload_image(s, menu_id), raw=True)

    @app.get("/v2/bot/richmenu/<menu_id>/content")
    def download_rich_menu_image(menu_id: str) -> Response:
        def answer(s: FakeLineState, body: Any) -> Response:
            if menu_id not in s.rich_menu_images:
                return _error(404, "Not found")
            image, content_type = s.rich_menu_images[menu_id]
            return Response(image, mimetype=content_type)
        return _menu_call(state, None, answer)

    @app.post("/v2/bot/user/all/richmenu/<menu_id>")
    def set_default(menu_id: str) -> Response:
        def answer(s: FakeLineState, body: Any) -> Response:
            refusal = _usable(s, menu_id)
            if refusal is None:
                s.default_rich_menu = menu_id
            return refusal or _ok()
        return _menu_call(state, None, answer)

    @app.get("/v2/bot/user/all/richmenu")
    def get_default() -> Response:
        return _menu_call(state, None, lambda s, body: _ok({"richMenuId": s.default_rich_menu}) if s.default_rich_menu
                          else _error(404, "no default richmenu"))

    @app.delete("/v2/bot/user/all/richmenu")
    def cancel_default() -> Response:
        def answer(s: FakeLineState, body: Any) -> Response:
            s.default_rich_menu = None
            return _ok()
        return _menu_call(state, None, answer)

    @app.post("/v2/bot/richmenu/alias")
    def create_alias() -> Response:
        def answer(s: FakeLineState, body: dict[str, Any]) -> Response:
            alias, menu_id = body["richMenuAliasId"], body["richMenuId"]
            if alias in s.rich_menu_aliases:
                return _error(400, "conflict richmenu alias id")
            refusal = _usable(s, menu_id, 400)
            if refusal is None:
                s.rich_menu_aliases[alias] = menu_id
            return refusal or _ok()
        return _menu_call(state, CreateRichMenuAliasRequest.from_dict, answer)

    @app.get("/v2/bot/richmenu/alias/list")
    def list_aliases() -> Response:
        return _menu_call(state, None, lambda s, body: _ok({"aliases": [
            {"richMenuAliasId": alias, "richMenuId": menu_id} for alias, menu_id in s.rich_menu_aliases.items()]}))

    @app.get("/v2/bot/richmenu/alias/<alias>")
    def get_alias(alias: str) -> Response:
        return _menu_call(state, None, lambda s, body: _ok({"richMenuAliasId": alias,
                                                             "richMenuId": s.rich_menu_aliases[alias]})
                          if alias in s.rich_menu_aliases else _error(404, "Not found"))

    @app.post("/v2/bot/richmenu/alias/<alias>")
    def update_alias(alias: str) -> Response:
        def answer(s: FakeLineState, body: dict[str, Any]) -> Response:
            if alias not in s.rich_menu_aliases:
                return _error(404, "Not found")
            refusal = _usable(s, body["richMenuId"], 400)
            if refusal is None:
                s.rich_menu_aliases[alias] = body["richMenuId"]
            return refusal or _ok()
        return _menu_call(state, UpdateRichMenuAliasRequest.from_dict, answer)

    @app.delete("/v2/bot/richmenu/alias/<alias>")
    def delete_alias(alias: str) -> Response:
        def answer(s: FakeLineState, body: Any) -> Response:
            if s.rich_menu_aliases.pop(alias, None) is None:
                return _error(404, "Not found")
            return _ok()
        return _menu_call(state, None, answer)

    @app.get("/v2/bot/user/<user_id>/richmenu")
    def user_menu(user_id: str) -> Response:
        return _menu_call(state, None, lambda s, body: _ok({"richMenuId": s.user_rich_menus[user_id]})
                          if user_id in s.user_rich_menus else _error(404, "the user has no richmenu"))

    @app.post("/v2/bot/user/<user_id>/richmenu/<menu_id>")
    def link(user_id: str, menu_id: str) -> Response:
        def answer(s: FakeLineState, body: Any) -> Response:
            refusal = _usable(s, menu_id)
            if refusal is None:
                s.user_rich_menus[user_id] = menu_id
            return refusal or _ok()
        return _menu_call(state, None, answer)

    @app.delete("/v2/bot/user/<user_id>/richmenu")
    def unlink(user_id: str) -> Response:
        def answer(s: FakeLineState, body: Any) -> Response:
            s.user_rich_menus.pop(user_id, None)
            return _ok()
        return _menu_call(state, None, answer)

    @app.post("/v2/bot/richmenu/bulk/link")
    def bulk_link() -> Response:
        def answer(s: FakeLineState, body: dict[str, Any]) -> Response:
            refusal = _usable(s, body["richMenuId"], 400)
            if refusal is None:
                for user_id in body["userIds"]:
                    s.user_rich_menus[user_id] = body["richMenuId"]
            return refusal or _ok(status=202)
        return _menu_call(state, RichMenuBulkLinkRequest.from_dict, answer)

    @app.post("/v2/bot/richmenu/bulk/unlink")
    def bulk_unlink() -> Response:
        def answer(s: FakeLineState, body: dict[str, Any]) -> Response:
            for user_id in body["userIds"]:
                s.user_rich_menus.pop(user_id, None)
            return _ok(status=202)
        return _menu_call(state, RichMenuBulkUnlinkRequest.from_dict, answer)


def _ok(body: Any = None, status: int = 200) -> Response:
    return Response(json.dumps({} if body is None else body), status=status, mimetype="application/json")


def _menu_call(state: FakeLineState, model: Callable[[dict[str, Any]], Any] | None,
               answer: Callable[[FakeLineState, Any], Response], raw: bool = False) -> Response:
    """Record a rich-menu request, check its body with the SDK's model, apply a queued fault, answer."""
    record = Recorded(request.method, request.path, {k.lower(): v for k, v in request.headers.items()}, None,
                      at=time.time())
    with state.lock:
        state.requests.append(record)
    data = request.get_data()
    if raw:
        record.body = data
    elif data:
        try:
            record.body = json.loads(data)
        except ValueError:
            return _finish(state, record, _error(400, "The request body has 1 error(s)", [{"message": "invalid JSON"}]))
    if model is not None:
        try:
            model(record.body)
        except Exception as exc:  # the SDK's model says no: LINE would answer 400
            return _finish(state, record, _error(400, "The request body has 1 error(s)",
                                                 [{"message": str(exc)[:300], "property": "body"}]))
    with state.lock:
        fault = state.faults.popleft() if state.faults and request.method != "GET" else None
        if fault is not None and not fault.deliver:
            return _finish(state, record, _error(fault.status, fault.message))
        response = answer(state, record.body)
    return _finish(state, record, response)


def _check_menu(body: dict[str, Any]) -> Response | None:
    """LINE's rules on a rich menu object beyond its schema (all fields required, sizes, areas inside)."""
    missing = [name for name in ("size", "selected", "name", "chatBarText", "areas") if name not in body]
    if missing:
        return _error(400, "The request body has 1 error(s)", [{"message": "required", "property": missing[0]}])
    width, height = body["size"].get("width", 0), body["size"].get("height", 0)
    problems = []
    if not RICH_MENU_WIDTH[0] <= width <= RICH_MENU_WIDTH[1] or height < RICH_MENU_MIN_HEIGHT \
            or width / height < RICH_MENU_MIN_RATIO:
        problems.append(("size", f"invalid size {width}x{height}"))
    if len(body["areas"]) > RICH_MENU_MAX_AREAS:
        problems.append(("areas", f"at most {RICH_MENU_MAX_AREAS} areas"))
    for index, area in enumerate(body["areas"]):
        bounds = area.get("bounds", {})
        if bounds.get("x", 0) + bounds.get("width", 0) > width or bounds.get("y", 0) + bounds.get("height", 0) > height:
            problems.append((f"areas[{index}].bounds", "outside the rich menu"))
        if "action" not in area:
            problems.append((f"areas[{index}].action", "required"))
    if problems:
        return _error(400, f"The request body has {len(problems)} error(s)",
                      [{"property": where, "message": message} for where, message in problems])
    return None


def _create_menu(state: FakeLineState, body: dict[str, Any]) -> Response:
    refusal = _check_menu(body)
    if refusal is not None:
        return refusal
    menu_id = f"richmenu-{next(state._menu_ids):032x}"
    state.rich_menus[menu_id] = {"richMenuId": menu_id, **body}
    return _ok({"richMenuId": menu_id})


def _upload_image(state: FakeLineState, menu_id: str) -> Response:
    if menu_id not in state.rich_menus:
        return _error(404, "Not found")
    if menu_id in state.rich_menu_images:
        return _error(400, "An image has already been uploaded to the richmenu")
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    data = request.get_data()
    if content_type not in RICH_MENU_IMAGE_TYPES:
        return _error(415, f"Unsupported Media Type: {content_type or 'none'} (image/jpeg or image/png)")
    if len(data) > RICH_MENU_IMAGE_MAX:
        return _error(413, f"Request Entity Too Large: {len(data)} bytes, at most {RICH_MENU_IMAGE_MAX}")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, size = image.format, image.size
    except (UnidentifiedImageError, OSError):
        return _error(400, "invalid image")
    size_wanted = state.rich_menus[menu_id]["size"]
    if kind != RICH_MENU_IMAGE_TYPES[content_type]:
        return _error(400, f"the image is {kind}, not {content_type}")
    if size != (size_wanted["width"], size_wanted["height"]):
        return _error(400, f"image size {size[0]}x{size[1]} does not match the rich menu "
                           f"{size_wanted['width']}x{size_wanted['height']}")
    state.rich_menu_images[menu_id] = (data, content_type)
    return _ok()


def _usable(state: FakeLineState, menu_id: str, missing_status: int = 404) -> Response | None:
    """Why a menu cannot be shown to anyone: unknown, or still without its picture."""
    if menu_id not in state.rich_menus:
        return _error(missing_status, "richmenu not found")
    if menu_id not in state.rich_menu_images:
        return _error(400, "must upload richmenu image before applying it to user")
    return None


def _delete_menu(state: FakeLineState, menu_id: str) -> Response:
    if state.rich_menus.pop(menu_id, None) is None:
        return _error(404, "Not found")
    state.rich_menu_images.pop(menu_id, None)
    # LINE drops the links to a deleted menu: those users see the default again.
    for user_id in [u for u, linked in state.user_rich_menus.items() if linked == menu_id]:
        del state.user_rich_menus[user_id]
    if state.default_rich_menu == menu_id:
        state.default_rich_menu = None
    return _ok()


def _send(state: FakeLineState, endpoint: str) -> Response:
    record = Recorded("POST", request.path, {k.lower(): v for k, v in request.headers.items()}, None, at=time.time())
    with state.lock:  # recorded on arrival, so the order is the order LINE would see
        state.requests.append(record)
    try:
        record.body = json.loads(request.get_data(as_text=True))
    except ValueError:
        return _finish(state, record, _error(400, "The request body has 1 error(s)", [{"message": "invalid JSON"}]))
    try:
        validate(endpoint, record.body)
    except Exception as exc:  # the SDK's models say no: LINE would answer 400
        return _finish(state, record, _error(400, "The request body has 1 error(s)",
                                             [{"message": str(exc)[:300], "property": "body"}]))
    with state.lock:
        if not state._take_token(endpoint, time.monotonic()):
            return _finish(state, record, _error(429, "Too many requests"))
        fault = state.faults.popleft() if state.faults else None
        if fault is None and state.failure_rate and state.rng.random() < state.failure_rate:
            fault = state.rng.choice(state.failure_kinds or (Fault(),))
    if fault is not None and not fault.deliver:
        time.sleep(fault.delay)
        return _finish(state, record, _error(fault.status, fault.message))

    with state.lock:
        key = record.retry_key
        if key and key in state.accepted_retry_keys:
            return _finish(state, record, _error(409, "The retry key is already accepted"))
        if endpoint == "reply":
            token = record.body.get("replyToken", "")
            if token in DUMMY_TOKENS or token in state.used_reply_tokens:
                return _finish(state, record, _error(400, "Invalid reply token"))
            state.used_reply_tokens.add(token)
        else:
            cost = _cost(state, endpoint, record.body)
            if state.monthly_quota is not None and state.consumed + cost > state.monthly_quota:
                return _finish(state, record, _error(429, MONTHLY_LIMIT))
            state.consumed += cost
        if key:
            state.accepted_retry_keys.add(key)
        record.delivered = True
    if fault is not None:  # delivered, but the answer comes too late for the client
        time.sleep(fault.delay)
    if state.latency.get(endpoint):  # a slow API: it delivers at once, then takes its time to answer
        time.sleep(state.latency[endpoint])
    answer: dict[str, Any] = {}
    if endpoint in ("reply", "push"):  # LINE returns the ids of the messages it sent
        answer["sentMessages"] = [{"id": f"{len(state.requests)}{i}", "quoteToken": f"qt{i}"}
                                  for i, _ in enumerate(record.body.get("messages", []))]
    return _finish(state, record, Response(json.dumps(answer), status=200, mimetype="application/json"))


def validate(endpoint: str, body: Any) -> None:
    """Raise if LINE would refuse this body, by the SDK's request model for the endpoint.

    A multicast's `to` (up to 500 user ids) is checked here as the model declares it (1 to 500 strict
    strings), and the model then validates the rest with one id: pydantic checking 500 strings one by
    one cost about 1.5 ms a request, which on a benchmark machine the fake shares with Saiyai is CPU
    taken from Saiyai (BENCHMARKS.md). Same verdict, a hundredth of the work.
    """
    if endpoint == "multicast" and isinstance(body, dict) and isinstance(body.get("to"), list):
        to = body["to"]
        if not 1 <= len(to) <= MULTICAST_MAX_TO:
            raise ValueError(f"to: ensure this value has between 1 and {MULTICAST_MAX_TO} items, not {len(to)}")
        wrong = next((i for i, user_id in enumerate(to) if type(user_id) is not str), None)
        if wrong is not None:
            raise ValueError(f"to -> {wrong}: str type expected")
        body = {**body, "to": to[:1]}
    SEND_MODELS[endpoint](body)


def _cost(state: FakeLineState, endpoint: str, body: dict[str, Any]) -> int:
    """Messages counted against the quota: per recipient, a group push counts every member."""
    if endpoint == "multicast":
        return len(body.get("to", []))
    if endpoint == "push":
        to = body.get("to", "")
        return state.group_sizes.get(to, 10) if to[:1] in ("C", "R") else 1
    return 0


def _finish(state: FakeLineState, record: Recorded, response: Response) -> Response:
    record.status = response.status_code
    if log.isEnabledFor(logging.INFO) and record.delivered and isinstance(record.body, dict):
        for message in record.body.get("messages", []):
            target = record.body.get("to") or "(reply)"
            log.info("→ %s %s: %s", record.path.rsplit("/", 1)[-1], target if isinstance(target, str) else
                     f"{len(target)} users", message.get("text") or message.get("altText") or message.get("type"))
    return response


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        """Thousands of requests per test: the state records them, the log need not."""


class FakeLineServer:
    """The fake served over real HTTP on 127.0.0.1 in a background thread."""

    def __init__(self, port: int = 0, access_token: str | None = None) -> None:
        self.state = FakeLineState(access_token=access_token)
        self._server: BaseWSGIServer = make_server("127.0.0.1", port, create_fake_app(self.state), threaded=True,
                                                   request_handler=_QuietHandler)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        # shutdown() waits for serve_forever's next poll: werkzeug's default 0.5 s cost every test that much.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fakeline", daemon=True)

    def __enter__(self) -> FakeLineServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake LINE Messaging API on loopback.")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s fake-LINE %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = FakeLineServer(args.port)
    log.info("fake LINE Messaging API listening on %s", server.url)
    server._server.serve_forever()


if __name__ == "__main__":
    main()
