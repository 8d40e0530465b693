"""LINE's rich-menu endpoints over the fake's state: menus, their pictures, aliases, the default, each user's link,
with LINE's rules on sizes and pictures."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from linebot.v3.messaging import (
    CreateRichMenuAliasRequest,
    RichMenuBulkLinkRequest,
    RichMenuBulkUnlinkRequest,
    RichMenuRequest,
    UpdateRichMenuAliasRequest,
)
from PIL import Image, UnidentifiedImageError

from bot.fakeline.responses import _error, _finish
from bot.fakeline.responses import ok as _ok
from bot.fakeline.state import (
    RICH_MENU_IMAGE_MAX,
    RICH_MENU_IMAGE_TYPES,
    RICH_MENU_MAX_AREAS,
    RICH_MENU_MIN_HEIGHT,
    RICH_MENU_MIN_RATIO,
    RICH_MENU_WIDTH,
    FakeLineState,
    Recorded,
)


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


