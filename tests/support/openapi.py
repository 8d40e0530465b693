"""Validate outgoing LINE Messaging API requests against LINE's official OpenAPI 3 description.

The specs live outside the repository (``LINE_OPENAPI_DIR``, default ``<repo>/../shared/line-openapi``)
and are never copied into it. Only the OpenAPI subset that LINE's ``messaging-api.yml`` uses is
implemented; unknown keywords are ignored.
"""

from __future__ import annotations

import functools
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Schema = dict[str, Any]

REPO_ROOT = Path(__file__).resolve().parents[2]
SKIP_REASON = (
    "LINE OpenAPI specs not found: set LINE_OPENAPI_DIR to the folder holding "
    "messaging-api.yml (../shared/line-openapi)"
)
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_URI = re.compile(r"^https?://[^\s/?#]+\S*$")
_TYPES: dict[str, tuple[type, ...]] = {  # order matters: integer before number, for error messages
    "object": (dict,), "array": (list,), "string": (str,),
    "integer": (int,), "number": (int, float), "boolean": (bool,),
}


def openapi_dir() -> Path | None:
    """Return the folder holding LINE's messaging-api.yml, or None when it is absent."""
    folder = Path(os.environ.get("LINE_OPENAPI_DIR") or REPO_ROOT.parent / "shared" / "line-openapi")
    return folder if (folder / "messaging-api.yml").is_file() else None


def require_openapi_dir() -> Path:
    """Return the spec folder, or skip the calling test when it is absent."""
    folder = openapi_dir()
    if folder is None:
        import pytest

        pytest.skip(SKIP_REASON)
    return folder


def _is_type(value: object, name: str) -> bool:
    """Tell whether a Python value has the named JSON type (booleans are not numbers)."""
    return isinstance(value, _TYPES[name]) and (name == "boolean" or not isinstance(value, bool))


def _json_type(value: object) -> str:
    """Name the JSON type of a Python value, for error messages."""
    return next((name for name in _TYPES if _is_type(value, name)), "null" if value is None else type(value).__name__)


@dataclass(frozen=True)
class Operation:
    """One method on one path template, with its parameters and request body."""

    method: str
    path: str
    operation_id: str | None
    parameters: tuple[Schema, ...] = ()
    body_schema: Schema | None = None
    body_required: bool = False
    body_media_type: str | None = None
    body_media_types: tuple[str, ...] = ()  # every media type the operation accepts (e.g. "*/*" for an upload)
    path_params: dict[str, str] = field(default_factory=dict)


class OpenApiSpec:
    """A parsed OpenAPI 3 document able to validate requests."""

    def __init__(self, document: Schema) -> None:
        """Wrap an already-parsed OpenAPI document."""
        self.document = document
        paths = document.get("paths", {})
        # Literal paths win over templates: fewer "{...}" segments sort first.
        self._templates = sorted(paths, key=lambda p: (p.count("{"), p))
        self._regexes = {
            p: re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(p)) + "$")
            for p in paths
        }

    @classmethod
    def load(cls, path: Path) -> OpenApiSpec:
        """Load (once per process and path) the OpenAPI YAML file at ``path``."""
        return _load_cached(Path(path).resolve())

    def _match(self, path: str) -> tuple[str, dict[str, str]] | None:
        """Find the path template matching a concrete path and its parameter values."""
        path = path.split("?", 1)[0]
        for template in self._templates:
            if m := self._regexes[template].match(path):
                return template, m.groupdict()
        return None

    def operation(self, method: str, path: str) -> Operation | None:
        """Return the operation for a concrete request path (query string ignored), or None."""
        matched = self._match(path)
        if matched is None:
            return None
        template, values = matched
        item = self.document["paths"][template]
        op = item.get(method.lower()) if method.lower() in _HTTP_METHODS else None
        if op is None:
            return None
        params = {(p["in"], p["name"]): p for p in map(self._resolve, item.get("parameters", []))}
        params |= {(p["in"], p["name"]): p for p in map(self._resolve, op.get("parameters", []))}
        body = self._resolve(op.get("requestBody", {}))
        media_type, media = next(iter(body.get("content", {}).items()), (None, {}))
        return Operation(
            method=method.upper(), path=template, operation_id=op.get("operationId"),
            parameters=tuple(params.values()), body_schema=media.get("schema"),
            body_required=bool(body.get("required")),
            body_media_type=media_type, body_media_types=tuple(body.get("content", {})), path_params=values,
        )

    def validate_request(
        self, method: str, path: str, body: object | None, headers: Mapping[str, str] | None = None
    ) -> list[str]:
        """Return human-readable problems with a request (an empty list means it is valid)."""
        where = f"{method.upper()} {path}"
        op = self.operation(method, path)
        if op is None:
            matched = self._match(path)
            if matched is None:
                return [f"{where}: unknown path"]
            allowed = sorted(m.upper() for m in self.document["paths"][matched[0]] if m in _HTTP_METHODS)
            return [f"{where}: method not allowed for {matched[0]} (allowed: {', '.join(allowed)})"]
        errors: list[str] = []
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        for param in op.parameters:
            name, location = param["name"], param["in"]
            if location == "header":
                value = lowered.get(name.lower())
            elif location == "path":
                value = op.path_params.get(name)
            else:
                continue  # query strings are not validated
            if value is None:
                if param.get("required"):
                    errors.append(f"{location} {name}: required parameter missing")
                continue
            errors += self._validate(value, param.get("schema", {}), f"{location} {name}")
        if body is None:
            if op.body_required:
                errors.append(f"{where}: request body is required")
        elif op.body_media_type is None:
            errors.append(f"{where}: no request body expected")
        else:
            # Checked when the caller recorded the headers (the fake does), and always for a raw upload.
            if ("content-type" in lowered or isinstance(body, bytes)) and \
                    not _media_type_allowed(lowered.get("content-type"), op.body_media_types):
                errors.append(f"{where}: content type {lowered.get('content-type')!r} is not one of "
                              f"{', '.join(op.body_media_types)}")
            if op.body_schema is not None and op.body_media_type == "application/json":
                errors += self._validate(body, op.body_schema, "$")
        return errors

    def _resolve(self, schema: Schema) -> Schema:
        """Follow local ``$ref`` pointers (``#/components/...``) until a concrete object remains."""
        while "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"only local $ref is supported: {ref}")
            node: Any = self.document
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            schema = node
        return schema

    def _flatten(self, schema: Schema) -> Schema:
        """Merge ``allOf`` parts into one schema; discriminators of the parts are dropped."""
        schema = self._resolve(schema)
        if "allOf" not in schema:
            return schema
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        properties: Schema = {}
        required = list(schema.get("required", []))
        for part in map(self._flatten, schema["allOf"]):
            properties |= part.get("properties", {})  # later (more specific) parts win
            required += [r for r in part.get("required", []) if r not in required]
            for key, value in part.items():
                if key not in ("properties", "required", "discriminator"):
                    merged.setdefault(key, value)
        return merged | {"properties": properties | schema.get("properties", {}), "required": required}

    def _discriminated(self, value: object, schema: Schema, loc: str) -> Schema | str | None:
        """Return the schema selected by a discriminator, an error message, or None if not applicable."""
        disc = schema.get("discriminator")
        if not disc or "oneOf" in schema or "anyOf" in schema or not isinstance(value, dict):
            return None
        name = disc["propertyName"]
        if name not in value:
            return None  # the base schema's "required" reports it when needed
        mapping = disc.get("mapping") or {}
        target = mapping.get(value[name])
        if target is None:
            known = ", ".join(sorted(mapping))
            return f"{loc}.{name}: unknown discriminator value {value[name]!r} (expected one of: {known})"
        return self._flatten({"$ref": target})  # its allOf base loses the discriminator: no recursion

    def _validate(self, value: object, schema: Schema, loc: str) -> list[str]:
        """Validate ``value`` against ``schema``; ``loc`` is its JSON-pointer-ish location."""
        schema = self._flatten(schema)
        selected = self._discriminated(value, schema, loc)
        if isinstance(selected, str):
            return [selected]
        if selected is not None:
            schema = selected
        if value is None and schema.get("nullable"):
            return []
        expected = schema.get("type")
        if expected in _TYPES and not _is_type(value, expected):
            return [f"{loc}: expected {expected}, got {_json_type(value)}"]
        errors: list[str] = []
        for keyword in ("oneOf", "anyOf"):
            if keyword in schema:
                passing = sum(not self._validate(value, s, loc) for s in schema[keyword])
                if passing == 0 or (keyword == "oneOf" and passing > 1):
                    errors.append(f"{loc}: matches {passing} of the {keyword} schemas")
        if "enum" in schema and value not in schema["enum"]:
            errors.append(f"{loc}: {value!r} is not one of the enum values {schema['enum']}")
        if isinstance(value, dict):
            errors += self._validate_object(value, schema, loc)
        elif isinstance(value, list):
            errors += self._check_bounds(len(value), schema, "minItems", "maxItems", loc, " items")
            for i, item in enumerate(value):
                errors += self._validate(item, schema.get("items", {}), f"{loc}[{i}]")
        elif isinstance(value, str):
            errors += self._check_bounds(len(value), schema, "minLength", "maxLength", loc, " characters")
            errors += self._check_string(value, schema, loc)
        elif _is_type(value, "number"):
            errors += self._check_bounds(value, schema, "minimum", "maximum", loc, "")
        return errors

    def _validate_object(self, value: dict[str, Any], schema: Schema, loc: str) -> list[str]:
        """Check required, properties and additionalProperties of an object."""
        properties = schema.get("properties", {})
        errors = [f"{loc}.{n}: required property missing" for n in schema.get("required", []) if n not in value]
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in properties:
                errors += self._validate(item, properties[name], f"{loc}.{name}")
            elif extra is False:
                errors.append(f"{loc}.{name}: additional property not allowed")
            elif isinstance(extra, dict):
                errors += self._validate(item, extra, f"{loc}.{name}")
        return errors

    @staticmethod
    def _check_bounds(size: float, schema: Schema, low: str, high: str, loc: str, unit: str) -> list[str]:
        """Compare a size (or a number) with a schema's lower and upper bounds."""
        errors = []
        if low in schema and size < schema[low]:
            errors.append(f"{loc}: {size}{unit}, {low} is {schema[low]}")
        if high in schema and size > schema[high]:
            errors.append(f"{loc}: {size}{unit}, {high} is {schema[high]}")
        return errors

    @staticmethod
    def _check_string(value: str, schema: Schema, loc: str) -> list[str]:
        """Check a string's ``pattern`` and ``format`` (uri, uuid)."""
        errors = []
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{loc}: {value!r} does not match pattern {schema['pattern']!r}")
        fmt = schema.get("format")
        if fmt == "uri" and not _URI.match(value):
            errors.append(f"{loc}: {value!r} is not a valid uri (format: uri, expected http(s)://...)")
        if fmt == "uuid":
            try:
                uuid.UUID(value)
            except ValueError:
                errors.append(f"{loc}: {value!r} is not a valid uuid (format: uuid)")
        return errors


def _media_type_allowed(header: str | None, allowed: tuple[str, ...]) -> bool:
    """Whether a Content-Type header (parameters ignored) matches one of the media types ("*/*", "image/*" too)."""
    if not header:
        return False
    kind, _, sub = header.split(";", 1)[0].strip().lower().partition("/")
    for media in allowed:
        want_kind, _, want_sub = media.lower().partition("/")
        if want_kind in ("*", kind) and want_sub in ("*", sub):
            return True
    return False


@functools.cache
def _load_cached(path: Path) -> OpenApiSpec:
    """Parse a spec file once per resolved path."""
    with path.open(encoding="utf-8") as handle:
        return OpenApiSpec(yaml.safe_load(handle))
