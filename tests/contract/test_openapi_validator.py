"""Tests for tests/support/openapi.py, the validator that checks our requests against LINE's OpenAPI spec.

Valid bodies are built with line-bot-sdk v3 models and ``.to_dict()``, so these tests also prove that the
SDK's serialisation matches LINE's published spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from linebot.v3.messaging import (
    DatetimePickerAction,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexText,
    LocationMessage,
    Message,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)

from support.openapi import OpenApiSpec, openapi_dir, require_openapi_dir

PUSH = "/v2/bot/message/push"
RETRY_KEY = "123e4567-e89b-12d3-a456-426614174000"
USER_ID = "U4af4980629a1b2c3d4e5f60718293a4b"


@pytest.fixture(scope="module")
def spec() -> OpenApiSpec:
    """LINE's messaging-api.yml, or a skip when the shared spec folder is absent."""
    return OpenApiSpec.load(require_openapi_dir() / "messaging-api.yml")


def text(value: str = "สวัสดีค่ะ") -> dict[str, Any]:
    """A text message as the SDK serialises it."""
    return TextMessage(text=value).to_dict()


def push(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A push body (as a plain dict) to USER_ID; ``extra`` keys override or add top-level fields."""
    return {"to": USER_ID, "messages": list(messages) or [text()], **extra}


def sdk_push(message: Message) -> dict[str, Any]:
    """A push body to USER_ID built and serialised entirely by line-bot-sdk."""
    return PushMessageRequest(to=USER_ID, messages=[message]).to_dict()


def flex_bubble() -> FlexMessage:
    """A Flex bubble with a box, a text and a postback button with displayText."""
    action = PostbackAction(label="เข้าร่วม", data="action=join&event=42", display_text="เข้าร่วม")
    body = FlexBox(layout="vertical", contents=[FlexText(text="ประชุมหมู่บ้าน", wrap=True), FlexButton(action=action)])
    return FlexMessage(alt_text="ประชุมหมู่บ้าน", contents=FlexBubble(body=body))


def datetime_quick_reply() -> TextMessage:
    """A text message whose quick reply holds a datetime picker (mode datetime, initial/min/max)."""
    picker = DatetimePickerAction(
        label="เลือกเวลา", data="action=pick", mode="datetime",
        initial="2025-01-15T09:00", min="2025-01-01T00:00", max="2025-12-31T23:59",
    )
    return TextMessage(text="นัดวันไหนดี", quick_reply=QuickReply(items=[QuickReplyItem(action=picker)]))


VALID = [
    pytest.param("POST", PUSH, sdk_push(TextMessage(text="สวัสดี")), {"X-Line-Retry-Key": RETRY_KEY},
                 id="push-text-with-retry-key"),
    pytest.param("POST", "/v2/bot/message/reply",
                 ReplyMessageRequest(reply_token="nHuyWiB7yP5Zw52FIkcQobQuGDXCTA",
                                     messages=[TextMessage(text=f"ข้อความ {i}") for i in range(5)]).to_dict(),
                 None, id="reply-5-messages"),
    pytest.param("POST", "/v2/bot/message/multicast",
                 MulticastRequest(to=[f"U{i:032x}" for i in range(500)],
                                  messages=[TextMessage(text="ประกาศ")]).to_dict(),
                 None, id="multicast-500-ids"),
    pytest.param("POST", PUSH, sdk_push(flex_bubble()), None, id="flex-bubble-box-text-postback-button"),
    pytest.param("POST", PUSH, sdk_push(datetime_quick_reply()), None, id="quick-reply-datetimepicker"),
    pytest.param("POST", PUSH, sdk_push(LocationMessage(title="วัดป่า", address="ขอนแก่น",
                                                        latitude=16.4322, longitude=102.8236)),
                 None, id="location-message"),
    pytest.param("GET", "/v2/bot/message/quota", None, None, id="quota-no-body"),
    pytest.param("GET", "/v2/bot/profile/U1234", None, None, id="profile-path-template"),
]


@pytest.mark.parametrize(("method", "path", "body", "headers"), VALID)
def test_valid_requests_pass(spec: OpenApiSpec, method: str, path: str, body: Any, headers: Any) -> None:
    """Real-world bodies serialised by line-bot-sdk conform to LINE's spec."""
    assert spec.validate_request(method, path, body, headers) == []


def _bubble_with_long_postback_data() -> dict[str, Any]:
    """The valid Flex bubble with 301 characters of postback data (maxLength 300)."""
    message = flex_bubble().to_dict()
    message["contents"]["body"]["contents"][1]["action"]["data"] = "x" * 301
    return message


def _quick_reply(items: int = 1, mode: str = "datetime") -> dict[str, Any]:
    """The valid datetime quick reply with ``items`` copies of its button and another picker mode.

    Built as a dict because the SDK itself refuses more than 13 items.
    """
    message = datetime_quick_reply().to_dict()
    message["quickReply"]["items"][0]["action"]["mode"] = mode
    message["quickReply"]["items"] *= items
    return message


INVALID = [
    pytest.param("POST", PUSH, {"messages": [text()]}, None, "$.to: required property missing", id="missing-to"),
    pytest.param("POST", PUSH, push(*[text()] * 6), None, "$.messages: 6 items, maxItems is 5", id="6-messages"),
    pytest.param("POST", "/v2/bot/message/multicast", {"to": [USER_ID] * 501, "messages": [text()]}, None,
                 "$.to: 501 items, maxItems is 500", id="multicast-501-ids"),
    pytest.param("POST", PUSH, push(text() | {"type": "textt"}), None,
                 "$.messages[0].type: unknown discriminator value 'textt'", id="unknown-message-type"),
    pytest.param("POST", PUSH, push({"type": "text"}), None,
                 "$.messages[0].text: required property missing", id="text-without-text"),
    pytest.param("POST", PUSH, push(_quick_reply(items=14)), None,
                 "$.messages[0].quickReply.items: 14 items, maxItems is 13", id="quick-reply-14-items"),
    pytest.param("POST", PUSH, push(to=5), None, "$.to: expected string, got integer", id="to-is-integer"),
    pytest.param("POST", "/v2/bot/message/pushh", push(), None, "POST /v2/bot/message/pushh: unknown path",
                 id="unknown-path"),
    pytest.param("GET", PUSH, None, None, "GET /v2/bot/message/push: method not allowed", id="wrong-method"),
    pytest.param("POST", PUSH, push(), {"X-Line-Retry-Key": "retry-1"},
                 "header X-Line-Retry-Key: 'retry-1' is not a valid uuid", id="retry-key-not-uuid"),
    pytest.param("POST", PUSH, push(), {"x-line-retry-key": RETRY_KEY[:-1]},
                 f"header X-Line-Retry-Key: '{RETRY_KEY[:-1]}' is not a valid uuid", id="retry-key-lowercase-name"),
    pytest.param("POST", PUSH, None, None, "POST /v2/bot/message/push: request body is required", id="no-body"),
    pytest.param("POST", PUSH, push({"type": "flex", "altText": "x", "contents": {"type": "bubble", "body": {
        "type": "box", "layout": "vertical", "contents": [{"type": "button"}]}}}), None,
        "$.messages[0].contents.body.contents[0].action: required property missing", id="flex-button-without-action"),
    pytest.param("POST", PUSH, push({"type": "flex", "altText": "x", "contents": {"type": "bubble", "body": {
        "type": "text", "text": "x", "contents": []}}}), None,
        "$.messages[0].contents.body.layout: required property missing", id="flex-bubble-body-not-a-box"),
    pytest.param("POST", PUSH, push(_bubble_with_long_postback_data()), None,
                 "$.messages[0].contents.body.contents[1].action.data: 301 characters, maxLength is 300",
                 id="postback-data-too-long"),
    pytest.param("POST", PUSH, push(_quick_reply(mode="week")), None,
                 "$.messages[0].quickReply.items[0].action.mode: 'week' is not one of the enum values",
                 id="datetimepicker-mode-not-in-enum"),
    pytest.param("POST", PUSH, push(text() | {"sender": {"iconUrl": "icon.png"}}), None,
                 "$.messages[0].sender.iconUrl: 'icon.png' is not a valid uri", id="sender-icon-not-uri"),
    pytest.param("POST", "/v2/bot/message/multicast", {"to": [USER_ID], "messages": [text()],
                                                       "customAggregationUnits": ["bad unit"]}, None,
                 "$.customAggregationUnits[0]: 'bad unit' does not match pattern", id="aggregation-unit-pattern"),
]


@pytest.mark.parametrize(("method", "path", "body", "headers", "expected"), INVALID)
def test_invalid_requests_report_one_precise_error(
    spec: OpenApiSpec, method: str, path: str, body: Any, headers: Any, expected: str
) -> None:
    """Each broken request yields exactly one error, naming the location and the violated rule."""
    errors = spec.validate_request(method, path, body, headers)
    assert len(errors) == 1, errors
    assert expected in errors[0]


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("POST", "/v2/bot/message/push", "/v2/bot/message/push"),
        ("GET", "/v2/bot/profile/U1234", "/v2/bot/profile/{userId}"),
        ("get", "/v2/bot/group/C123/member/U456", "/v2/bot/group/{groupId}/member/{userId}"),
        ("GET", "/v2/bot/richmenu/list", "/v2/bot/richmenu/list"),
        ("DELETE", "/v2/bot/richmenu/richmenu-88c05ef6921ae53f8b58a25f3a65faf7", "/v2/bot/richmenu/{richMenuId}"),
        ("GET", "/v2/bot/followers/ids?limit=1000&start=abc", "/v2/bot/followers/ids"),
    ],
)
def test_operation_matches_path_templates(spec: OpenApiSpec, method: str, path: str, template: str) -> None:
    """Concrete paths map to their template; literal paths win over templates; query strings are ignored."""
    operation = spec.operation(method, path)
    assert operation is not None
    assert (operation.method, operation.path) == (method.upper(), template)


@pytest.mark.parametrize(("method", "path"), [("POST", "/v2/bot/message/pushh"), ("GET", PUSH),
                                              ("PARAMETERS", "/v2/bot/richmenu/abc")])
def test_operation_is_none_for_unknown_path_or_method(spec: OpenApiSpec, method: str, path: str) -> None:
    """Unknown paths and methods the path does not declare have no operation."""
    assert spec.operation(method, path) is None


def test_load_is_cached() -> None:
    """The 180 kB spec is parsed once per path."""
    folder = require_openapi_dir()
    assert OpenApiSpec.load(folder / "messaging-api.yml") is OpenApiSpec.load(folder / "messaging-api.yml")


def test_openapi_dir_honours_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """LINE_OPENAPI_DIR selects the folder; a folder without messaging-api.yml counts as absent and skips."""
    monkeypatch.setenv("LINE_OPENAPI_DIR", str(tmp_path))
    assert openapi_dir() is None
    with pytest.raises(pytest.skip.Exception) as skipped:
        require_openapi_dir()
    assert str(skipped.value) == (
        "LINE OpenAPI specs not found: set LINE_OPENAPI_DIR to the folder holding messaging-api.yml"
        " (../shared/line-openapi)"
    )
    (tmp_path / "messaging-api.yml").write_text("openapi: 3.0.0\n", encoding="utf-8")
    assert openapi_dir() == tmp_path
    assert require_openapi_dir() == tmp_path


def test_openapi_dir_defaults_to_shared_folder_next_to_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without LINE_OPENAPI_DIR the specs are looked up in <repo root>/../shared/line-openapi."""
    monkeypatch.delenv("LINE_OPENAPI_DIR", raising=False)
    default = Path(__file__).resolve().parents[2].parent / "shared" / "line-openapi"
    assert openapi_dir() == (default if (default / "messaging-api.yml").is_file() else None)


# Rules LINE's request schemas do not exercise today (oneOf, anyOf, nullable, additionalProperties: false or a
# schema, minimum/maximum, uuid in a body, path parameters), checked on a tiny in-memory document.
TINY = OpenApiSpec({
    "paths": {"/things/{id}": {"put": {
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 3}}],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
    }}},
    "components": {"schemas": {
        "Thing": {"type": "object", "additionalProperties": False, "properties": {
            "size": {"type": "integer", "minimum": 1, "maximum": 10},
            "note": {"type": "string", "nullable": True},
            "id": {"oneOf": [{"type": "string", "format": "uuid"}, {"type": "integer"}]},
            "ratio": {"oneOf": [{"type": "integer"}, {"type": "number", "maximum": 1}]},
            "tag": {"anyOf": [{"type": "string", "maxLength": 2}, {"type": "boolean"}]},
            "extra": {"type": "object", "additionalProperties": {"type": "number"}},
            "pet": {"$ref": "#/components/schemas/Pet"},
        }},
        "Pet": {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}},
                "discriminator": {"propertyName": "kind", "mapping": {"cat": "#/components/schemas/Cat"}}},
        "Cat": {"allOf": [{"$ref": "#/components/schemas/Pet"}, {"required": ["lives"], "properties": {
            "lives": {"type": "integer", "maximum": 9}}}]},
    }},
})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"size": 3, "note": None, "id": RETRY_KEY, "tag": True, "extra": {"a": 1.5},
          "pet": {"kind": "cat", "lives": 9}}, None),
        ({"id": 7, "tag": "ab", "ratio": 0.5}, None),
        ({"ratio": 1}, "$.ratio: matches 2 of the oneOf schemas"),
        ({"size": 0}, "$.size: 0, minimum is 1"),
        ({"size": 11}, "$.size: 11, maximum is 10"),
        ({"size": True}, "$.size: expected integer, got boolean"),
        ({"colour": "red"}, "$.colour: additional property not allowed"),
        ({"extra": {"a": "x"}}, "$.extra.a: expected number, got string"),
        ({"id": "not-a-uuid"}, "$.id: matches 0 of the oneOf schemas"),
        ({"tag": "abc"}, "$.tag: matches 0 of the anyOf schemas"),
        ({"pet": {"kind": "dog"}}, "$.pet.kind: unknown discriminator value 'dog' (expected one of: cat)"),
        ({"pet": {"kind": "cat", "lives": 10}}, "$.pet.lives: 10, maximum is 9"),
        ({"pet": {"kind": "cat"}}, "$.pet.lives: required property missing"),
        ({"pet": {}}, "$.pet.kind: required property missing"),
    ],
)
def test_schema_rules_on_a_tiny_document(body: dict[str, Any], expected: str | None) -> None:
    """Each schema rule accepts what it should and reports exactly one located error otherwise."""
    errors = TINY.validate_request("PUT", "/things/abc", body)
    if expected is None:
        assert errors == []
    else:
        assert len(errors) == 1, errors
        assert expected in errors[0]


def test_path_parameters_are_checked_against_their_schema() -> None:
    """A path parameter violating its schema is reported with its name."""
    assert TINY.validate_request("PUT", "/things/ab", {}) == ["path id: 2 characters, minLength is 3"]


@pytest.mark.parametrize(("method", "path", "body", "headers", "errors"), [
    pytest.param("POST", "/v2/bot/richmenu/richmenu-1/content", b"\x89PNG", {"Content-Type": "image/png"}, [],
                 id="upload-png"),
    pytest.param("POST", "/v2/bot/richmenu/richmenu-1/content", b"\x89PNG", {},
                 ["POST /v2/bot/richmenu/richmenu-1/content: content type None is not one of */*"],
                 id="upload-without-content-type"),
    pytest.param("POST", "/v2/bot/richmenu/bulk/link", {"richMenuId": "richmenu-1", "userIds": [USER_ID]},
                 {"Content-Type": "application/json; charset=utf-8"}, [], id="json-with-charset"),
    pytest.param("POST", "/v2/bot/richmenu/bulk/link", {"richMenuId": "richmenu-1", "userIds": []},
                 {"Content-Type": "text/plain"},
                 ["POST /v2/bot/richmenu/bulk/link: content type 'text/plain' is not one of application/json",
                  "$.userIds: 0 items, minItems is 1"], id="json-as-text-and-no-users"),
    pytest.param("POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": "Saiyai Menu", "richMenuId": "richmenu-1"},
                 {"Content-Type": "application/json"},
                 ["$.richMenuAliasId: 'Saiyai Menu' does not match pattern '^[a-z0-9_-]{1,32}$'"], id="alias-pattern"),
])
def test_rich_menu_requests_and_content_types(spec: OpenApiSpec, method: str, path: str, body: Any,
                                              headers: dict[str, str], errors: list[str]) -> None:
    """The content type of a body is checked when the request's headers are known (the fake records them)."""
    assert spec.validate_request(method, path, body, headers) == errors
