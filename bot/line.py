"""The only place that talks to the LINE Messaging API; every call ends in a classified outcome."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    CreateRichMenuAliasRequest,
    Message,
    MessagingApi,
    MessagingApiBlob,
    RichMenuBulkLinkRequest,
    RichMenuBulkUnlinkRequest,
    RichMenuRequest,
    UpdateRichMenuAliasRequest,
)

from bot.config import Config

log = logging.getLogger(__name__)

# The console's Verify button and some old SDK samples send these; replying to them always fails.
DUMMY_REPLY_TOKENS = frozenset({"00000000000000000000000000000000", "ffffffffffffffffffffffffffffffff"})
MONTHLY_LIMIT_TEXT = "monthly limit"
MULTICAST_MAX = 500


class Outcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"  # 409 for a retry key LINE has seen: the first try got through
    RETRY = "retry"                # 5xx, timeouts, rate limits: same request again later
    QUOTA = "quota"                # the monthly message quota is used up: stop pushing
    REJECTED = "rejected"          # other 4xx: sending again cannot help


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    status: int | None = None
    detail: str = ""

    @property
    def delivered(self) -> bool:
        return self.outcome in (Outcome.SENT, Outcome.ALREADY_SENT)


class Pace:
    """At most `rate` requests a second from this process, in bursts of at most `burst` (GCRA). By
    default 90 % of one second's worth may go at once (LINE states its limits per second); the rest
    of LINE's allowance absorbs network jitter, so the steady pace after the burst is not refused.

    LINE limits each channel (LINE-NOTES: multicast 200 requests/s, push 2,000/s) and answers 429 over
    that, with no header saying when to come back. Waiting a few milliseconds here is cheaper than a
    429 and a retry a second later: 50,000 reminders due in one minute go out at the rate LINE allows,
    not in bursts of refusals (BENCHMARKS.md). Several dispatcher processes each keep their own pace;
    the outbox retries the 429s they cause about a second later.
    """

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self._interval = 1.0 / rate
        burst = int(rate * 0.9) if burst is None else burst
        self._tolerance = (max(1, burst) - 1) * self._interval
        self._next = 0.0  # when the next request is due on the ideal schedule (monotonic clock)
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            self._next = max(self._next, now)
            delay = self._next - now - self._tolerance
            self._next += self._interval
        if delay > 0:
            time.sleep(delay)


class LineClient:
    """Thin wrapper over the SDK's MessagingApi that never raises for an HTTP failure."""

    def __init__(self, config: Config, *, pool_size: int = 16) -> None:
        configuration = Configuration(access_token=config.access_token, host=config.line_api_base_url)
        configuration.connection_pool_maxsize = pool_size
        # Retries are the outbox's job (with its retry key), not urllib3's.
        configuration.retries = urllib3.Retry(total=0, connect=0, read=0, redirect=0, status=0)
        self._api_client = ApiClient(configuration)
        self._api = MessagingApi(self._api_client)
        blob_configuration = Configuration(access_token=config.access_token, host=config.line_data_base_url)
        blob_configuration.retries = configuration.retries
        self._blob_client = ApiClient(blob_configuration)
        self._blob = MessagingApiBlob(self._blob_client)
        self._timeout = config.request_timeout
        self._host = configuration.host.rstrip("/")
        self._headers = {**self._api_client.default_headers, "Accept": "application/json",
                         "Content-Type": "application/json"}  # UTF-8 by definition (RFC 8259)
        self._pace = {"multicast": Pace(config.multicast_rate), "push": Pace(config.push_rate)}

    def close(self) -> None:
        self._api_client.close()
        self._blob_client.close()

    def reply(self, reply_token: str, messages: Sequence[Message | Wire]) -> SendResult:
        """Reply with up to five messages; free of quota but the token works once, for about a minute."""
        if reply_token in DUMMY_REPLY_TOKENS:
            return SendResult(Outcome.REJECTED, None, "dummy reply token from the console's Verify")
        return self._send("/v2/bot/message/reply", {"replyToken": reply_token, "messages": wire(messages)})

    def push(self, to: str, messages: Sequence[Message | Wire], retry_key: str) -> SendResult:
        """Push to one user, group or room; counted against the monthly quota per recipient."""
        self._pace["push"].wait()
        return self._send("/v2/bot/message/push", {"to": to, "messages": wire(messages)}, retry_key)

    def multicast(self, user_ids: Sequence[str], messages: Sequence[Message | Wire], retry_key: str) -> SendResult:
        """Send the same messages to up to 500 users in one request."""
        if not 1 <= len(user_ids) <= MULTICAST_MAX:
            return SendResult(Outcome.REJECTED, None, f"a multicast takes 1 to {MULTICAST_MAX} user ids, not {len(user_ids)}")
        self._pace["multicast"].wait()
        return self._send("/v2/bot/message/multicast", {"to": list(user_ids), "messages": wire(messages)}, retry_key)

    def content(self, message_id: str) -> bytes | SendResult:
        """The bytes of an image (or other file) a user sent, from the content API (api-data)."""
        try:
            return self._blob.get_message_content(message_id, _request_timeout=self._timeout)
        except ApiException as exc:
            return classify_error(exc.status, exc.body)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return SendResult(Outcome.RETRY, None, f"{type(exc).__name__}: {exc}")

    def quota(self) -> int | None | SendResult:
        """This month's message limit (None when the plan sets none); a SendResult when LINE did not answer."""
        answer = self._get(self._api.get_message_quota)
        if isinstance(answer, SendResult):
            return answer
        return answer.value if answer.type == "limited" else None

    def consumption(self) -> int | SendResult:
        """Messages counted against the quota so far this month."""
        answer = self._get(self._api.get_message_quota_consumption)
        return answer if isinstance(answer, SendResult) else int(answer.total_usage)

    def group_member_count(self, chat_id: str) -> int | SendResult:
        """Members of a group or room: a push there counts each of them against the quota."""
        method = self._api.get_room_member_count if chat_id.startswith("R") else self._api.get_group_member_count
        answer = self._get(method, chat_id)
        return answer if isinstance(answer, SendResult) else int(answer.count)

    # --- rich menus (bot/richmenus.py syncs them; the outbox links them to people) ---------------------
    # Through the SDK's own methods and models: these are rare calls, never on a hot path.

    def link_menu(self, user_id: str, rich_menu_id: str) -> SendResult:
        """Show one user this rich menu instead of the default."""
        return self._done(self._get(self._api.link_rich_menu_id_to_user, user_id, rich_menu_id))

    def unlink_menu(self, user_id: str) -> SendResult:
        """Back to the default rich menu for one user."""
        return self._done(self._get(self._api.unlink_rich_menu_id_from_user, user_id))

    def link_menus(self, user_ids: Sequence[str], rich_menu_id: str) -> SendResult:
        """Link up to 500 users to a rich menu in one call (LINE answers 202 and links them shortly after)."""
        request = RichMenuBulkLinkRequest(richMenuId=rich_menu_id, userIds=list(user_ids))
        return self._done(self._get(self._api.link_rich_menu_id_to_users, request))

    def unlink_menus(self, user_ids: Sequence[str]) -> SendResult:
        """Back to the default rich menu for up to 500 users in one call."""
        request = RichMenuBulkUnlinkRequest(userIds=list(user_ids))
        return self._done(self._get(self._api.unlink_rich_menu_id_from_users, request))

    def rich_menus(self) -> list[Any] | SendResult:
        """Every rich menu of the channel (RichMenuResponse: id, name, size, areas)."""
        answer = self._get(self._api.get_rich_menu_list)
        return answer if isinstance(answer, SendResult) else list(answer.richmenus)

    def create_rich_menu(self, body: dict[str, Any]) -> str | SendResult:
        """Create a rich menu from LINE's JSON (checked as the SDK's RichMenuRequest); its new id."""
        answer = self._get(self._api.create_rich_menu, RichMenuRequest.from_dict(body))
        return answer if isinstance(answer, SendResult) else answer.rich_menu_id

    def upload_rich_menu_image(self, rich_menu_id: str, image: bytes, content_type: str) -> SendResult:
        """Attach the picture to a rich menu, through the data API (api-data.line.me); once per menu."""
        return self._done(self._get(self._blob.set_rich_menu_image, rich_menu_id, image,
                                    _headers={"Content-Type": content_type}))

    def delete_rich_menu(self, rich_menu_id: str) -> SendResult:
        return self._done(self._get(self._api.delete_rich_menu, rich_menu_id))

    def rich_menu_aliases(self) -> dict[str, str] | SendResult:
        """Alias id → rich menu id, for every alias of the channel."""
        answer = self._get(self._api.get_rich_menu_alias_list)
        if isinstance(answer, SendResult):
            return answer
        return {alias.rich_menu_alias_id: alias.rich_menu_id for alias in answer.aliases}

    def create_rich_menu_alias(self, alias_id: str, rich_menu_id: str) -> SendResult:
        request = CreateRichMenuAliasRequest(richMenuAliasId=alias_id, richMenuId=rich_menu_id)
        return self._done(self._get(self._api.create_rich_menu_alias, request))

    def update_rich_menu_alias(self, alias_id: str, rich_menu_id: str) -> SendResult:
        request = UpdateRichMenuAliasRequest(richMenuId=rich_menu_id)
        return self._done(self._get(self._api.update_rich_menu_alias, alias_id, request))

    def delete_rich_menu_alias(self, alias_id: str) -> SendResult:
        return self._done(self._get(self._api.delete_rich_menu_alias, alias_id))

    def default_rich_menu(self) -> str | None | SendResult:
        """The default rich menu's id; None when there is none (LINE answers 404)."""
        answer = self._get(self._api.get_default_rich_menu_id)
        if isinstance(answer, SendResult):
            return None if answer.status == 404 else answer
        return answer.rich_menu_id

    def set_default_rich_menu(self, rich_menu_id: str) -> SendResult:
        return self._done(self._get(self._api.set_default_rich_menu, rich_menu_id))

    @staticmethod
    def _done(answer: Any) -> SendResult:
        """A call whose success carries no value: SENT, or the failure as it was classified."""
        return answer if isinstance(answer, SendResult) else SendResult(Outcome.SENT, 200)

    def _get(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, _request_timeout=self._timeout, **kwargs)
        except ApiException as exc:
            return classify_error(exc.status, exc.body)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return SendResult(Outcome.RETRY, None, f"{type(exc).__name__}: {exc}")

    def _send(self, path: str, body: dict[str, Any], retry_key: str | None = None) -> SendResult:
        """POST a message request on the SDK's own connection pool (its proxy, TLS and retry settings),
        with the SDK's headers (token, User-Agent).

        The messages arrive already in LINE's JSON: they were built and checked as the SDK's models
        when a handler made them, and serialised once when the outbox stored them. Going through
        `MessagingApi.reply_message(ReplyMessageRequest(...))` would validate and serialise them
        twice more (pydantic, `@validate_arguments`); even `ApiClient.call_api` walks the whole body
        once more (`sanitize_for_serialization`, about 0.6 ms for a multicast of 500 ids) before its
        `json.dumps`, and has no way to post JSON that is already encoded. So the body is encoded
        once here. The contract tests check every request the bot makes against LINE's OpenAPI
        description, and the fake validates each with the SDK's request models.
        """
        headers = dict(self._headers)
        if retry_key:
            headers["X-Line-Retry-Key"] = retry_key
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            response = self._api_client.rest_client.pool_manager.request(
                "POST", self._host + path, body=data, headers=headers, timeout=urllib3.Timeout(total=self._timeout))
        except (urllib3.exceptions.HTTPError, OSError) as exc:  # timeouts, refused connections
            return SendResult(Outcome.RETRY, None, f"{type(exc).__name__}: {exc}")
        if not 200 <= response.status <= 299:
            return classify_error(response.status, response.data.decode("utf-8", "replace"))
        return SendResult(Outcome.SENT, response.status)


Wire = dict[str, Any]
"""A message as LINE's JSON (what `Message.to_dict()` gives)."""


def wire(messages: Sequence[Message | Wire]) -> list[Wire]:
    """Messages as LINE's JSON; SDK models are serialised, JSON is passed through."""
    return [m if isinstance(m, dict) else m.to_dict() for m in messages]


def classify_error(status: int | None, body: Any) -> SendResult:
    """Map LINE's answer to what the sender should do next (see LINE-NOTES: 409, 429, 4xx, 5xx)."""
    message = error_message(body)
    if status == 409:
        return SendResult(Outcome.ALREADY_SENT, status, message)
    if status == 429 and MONTHLY_LIMIT_TEXT in message.lower():
        return SendResult(Outcome.QUOTA, status, message)
    # No status, or 0 (the SDK's ApiException for a TLS or connection error, from content() and the GETs),
    # is a network failure.
    if not status or status == 429 or status >= 500:
        return SendResult(Outcome.RETRY, status, message)
    return SendResult(Outcome.REJECTED, status, message)


def error_message(body: Any) -> str:
    """LINE's error text with its details, e.g. 'The request body has 1 error(s) (messages[0].text: ...)'."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not body:
        return ""
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return str(body)[:500]
    if not isinstance(data, dict):
        return str(body)[:500]
    text = str(data.get("message", ""))
    details = data.get("details") or []
    parts = [f"{d.get('property', '')}: {d.get('message', '')}" for d in details if isinstance(d, dict)]
    return f"{text} ({'; '.join(parts)})" if parts else text
