"""The fake's WSGI app: the message endpoints (reply, push, multicast, narrowcast, broadcast), validated with
the SDK's request models, with retry keys, quota, rate limits and queued faults, and the test-only /__fake__ routes."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from flask import Flask, Response, request

from bot.fakeline.responses import _error, _finish
from bot.fakeline.responses import ok as _ok
from bot.fakeline.richmenus import _rich_menu_routes
from bot.fakeline.state import (
    DUMMY_TOKENS,
    MONTHLY_LIMIT,
    MULTICAST_MAX_TO,
    SEND_MODELS,
    FakeLineState,
    Fault,
    Recorded,
)

log = logging.getLogger("fakeline")


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


