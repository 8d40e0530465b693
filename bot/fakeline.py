"""A fake LINE Messaging API on loopback, for tests and for local mode (`python -m bot.fakeline`).

It behaves like LINE where Saiyai depends on it: bodies are validated with the SDK's own request
models (400 with LINE's error shape), a reply token works once, a retry key already accepted is
answered 409, the monthly quota ends in LINE's 429, rate limits per endpoint end in 429 "Too many
requests". Tests can make it fail: 5xx, slow answers after delivering (a client timeout), 429.
"""

from __future__ import annotations

import argparse
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
    MulticastRequest,
    NarrowcastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
)
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
    missing_content: set[str] = field(default_factory=set)      # message ids whose content LINE no longer has
    # What people "typed on their phones" in the simulator (bot/simulator): LINE sees both sides of a
    # chat; each entry notes how many requests had arrived before it, to keep the two sides in order.
    said: list[dict[str, Any]] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(1))
    lock: threading.Lock = field(default_factory=threading.Lock)
    _buckets: dict[str, list[float]] = field(default_factory=dict)

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
            self._buckets.clear()

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
                     "retry_key": r.retry_key, "body": r.body} for r in state.requests[since:]]
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
        self._thread = threading.Thread(target=self._server.serve_forever, name="fakeline", daemon=True)

    def __enter__(self) -> FakeLineServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


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
