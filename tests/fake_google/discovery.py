"""Routing and validation driven by the discovery documents bundled with
google-api-python-client (``googleapiclient/discovery_cache/documents``).

Every method of the Forms v1, Sheets v4, Gmail v1 and Drive v3 documents becomes a route
(``servicePath + path``, plus the ``/upload/...`` path of methods that accept media). Query
parameters are checked against the method's and the document's standard parameters, the
JSON body recursively against the method's ``request.$ref`` schema. Errors are raised as
``ApiError`` and rendered in Google's error shape.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import googleapiclient

DOCUMENTS_DIR = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"

# api name -> bundled discovery document
API_DOCUMENTS: dict[str, str] = {
    "forms": "forms.v1",
    "sheets": "sheets.v4",
    "gmail": "gmail.v1",
    "drive": "drive.v3",
}

STATUS_FOR_CODE: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    412: "FAILED_PRECONDITION",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

REASON_FOR_CODE: dict[int, str] = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    409: "aborted",
    412: "conditionNotMet",
    413: "badRequest",
    429: "rateLimitExceeded",
    500: "backendError",
    501: "notImplemented",
    502: "backendError",
    503: "backendError",
    504: "backendError",
}

DEFAULT_MESSAGE: dict[int, str] = {
    400: "Request contains an invalid argument.",
    401: (
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential. "
        "See https://developers.google.com/identity/sign-in/web/devconsole-project."
    ),
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    409: "The operation was aborted.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "Internal error encountered.",
    501: "Operation is not implemented, or supported, or enabled.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "The request timed out. Please try again.",
}


# 403/429 reasons Gmail and Drive file under the "usageLimits" domain
_USAGE_LIMIT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded", "quotaExceeded"}
)


class ApiError(Exception):
    """An error answer in the shape the API in question really returns (``body(api)``):

    - Sheets v4 and Forms v1: ``{"error": {code, message, status, details?}}`` and NO
      ``errors[]`` list (recorded real answers: gspread's tests/cassettes/*.json, e.g.
      ClientTest.test_access_non_existing_spreadsheet, WorksheetTest.test_hide_show_worksheet;
      r-lib/gargle tests/testthat/fixtures/sheets-spreadsheets-get-*.rds). A ``reason``
      becomes a google.rpc.ErrorInfo detail, where Google puts RATE_LIMIT_EXCEEDED,
      SERVICE_DISABLED ...
    - Gmail v1: ``{code, message, errors: [{message, domain, reason}], status}`` (Gmail keeps
      the legacy list unless ``$.xgafv=2``: brekkylab/backlot PR #202 measured it).
    - Drive v3: ``{errors: [{domain, reason, message, locationType?, location?}], code,
      message}`` with no ``status`` (gargle's drive-files-get-nonexistent-file-id_404.rds).
    """

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        status: str | None = None,
        reason: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        location: str | None = None,
    ) -> None:
        self.code = code
        self.message = message or DEFAULT_MESSAGE.get(code, "Error")
        self.status = status or STATUS_FOR_CODE.get(code, "UNKNOWN")
        self.given_reason = reason
        self.reason = reason or REASON_FOR_CODE.get(code, "unknown")
        self.details = details
        self.headers = dict(headers or {})
        self.location = location  # the parameter at fault (Drive's errors[].location)
        super().__init__(f"{code} {self.status}: {self.message}")

    def _legacy_error(self) -> dict[str, Any]:
        domain = "usageLimits" if self.reason in _USAGE_LIMIT_REASONS else "global"
        item: dict[str, Any] = {"message": self.message, "domain": domain, "reason": self.reason}
        if self.location:
            item["locationType"] = "parameter"
            item["location"] = self.location
        return item

    def body(self, api: str = "sheets") -> dict[str, Any]:
        if api == "drive":
            legacy = [self._legacy_error()]
            return {"error": {"errors": legacy, "code": self.code, "message": self.message}}
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if api == "gmail":
            error["errors"] = [self._legacy_error()]
        error["status"] = self.status
        details = list(self.details or [])
        if api != "gmail" and self.given_reason and not any(
            str(d.get("@type", "")).endswith("ErrorInfo") for d in details
        ):
            details.insert(
                0,
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": self.given_reason,
                    "domain": "googleapis.com",
                },
            )
        if details:
            error["details"] = details
        return {"error": error}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


@cache
def load_document(name: str) -> dict[str, Any]:
    """The bundled discovery document ``name`` (e.g. ``"sheets.v4"``). Shared: do not mutate."""
    return json.loads((DOCUMENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------

_VAR_RE = re.compile(r"\{([+]?)([^}]+)\}")
# Path variables that may contain a literal '/': gspread quotes a range with
# urllib.parse.quote(), which leaves '/' (e.g. in a tab title "11/2026") unescaped.
_SLASH_TOLERANT_VARS = frozenset({"range"})


@dataclass(frozen=True)
class Route:
    api: str
    method_id: str
    http_method: str
    template: str
    regex: re.Pattern[str]
    var_names: tuple[str, ...]
    parameters: Mapping[str, Mapping[str, Any]]
    standard_parameters: Mapping[str, Mapping[str, Any]]
    request_ref: str | None
    response_ref: str | None
    media: bool  # reached through the /upload/ path
    literal_length: int


def _compile_template(template: str) -> tuple[re.Pattern[str], tuple[str, ...], int]:
    pattern = ["^"]
    names: list[str] = []
    literal = 0
    pos = 0
    for m in _VAR_RE.finditer(template):
        text = template[pos : m.start()]
        pattern.append(re.escape(text))
        literal += len(text)
        reserved, name = m.group(1), m.group(2)
        if reserved or name in _SLASH_TOLERANT_VARS:
            pattern.append("(.+?)")
        else:
            pattern.append("([^/]+?)")
        names.append(name)
        pos = m.end()
    text = template[pos:]
    pattern.append(re.escape(text))
    literal += len(text)
    pattern.append("$")
    return re.compile("".join(pattern)), tuple(names), literal


def _walk_methods(resource: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from resource.get("methods", {}).values()
    for sub in resource.get("resources", {}).values():
        yield from _walk_methods(sub)


class Router:
    """Finds the discovery method for an HTTP method and a raw (still %-encoded) path."""

    def __init__(self, apis: Mapping[str, str] = API_DOCUMENTS) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.methods: dict[str, Route] = {}
        routes: list[Route] = []
        for api, doc_name in apis.items():
            doc = load_document(doc_name)
            self.documents[api] = doc
            service_path = doc.get("servicePath", "")
            standard = doc.get("parameters", {})
            for method in _walk_methods(doc):
                templates = {(service_path + method["path"], False)}
                if method.get("flatPath"):
                    templates.add((service_path + method["flatPath"], False))
                simple = method.get("mediaUpload", {}).get("protocols", {}).get("simple", {})
                if simple.get("path"):
                    templates.add((simple["path"].lstrip("/"), True))
                for template, media in sorted(templates):
                    regex, names, literal = _compile_template(template)
                    route = Route(
                        api=api,
                        method_id=method["id"],
                        http_method=method["httpMethod"],
                        template=template,
                        regex=regex,
                        var_names=names,
                        parameters=method.get("parameters", {}),
                        standard_parameters=standard,
                        request_ref=(method.get("request") or {}).get("$ref"),
                        response_ref=(method.get("response") or {}).get("$ref"),
                        media=media,
                        literal_length=literal,
                    )
                    routes.append(route)
                    if not media:
                        self.methods.setdefault(route.method_id, route)
        # most specific first: longer literal text wins over a greedier variable
        routes.sort(key=lambda r: (-r.literal_length, r.template))
        self.routes = routes

    def match(self, http_method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        path = raw_path.lstrip("/")
        for route in self.routes:
            if route.http_method != http_method:
                continue
            m = route.regex.match(path)
            if m:
                values = {n: unquote(v) for n, v in zip(route.var_names, m.groups(), strict=True)}
                return route, values
        return None

    def validator(self, api: str) -> SchemaValidator:
        return SchemaValidator(self.documents[api])


def guess_api(raw_path: str) -> str:
    path = raw_path.lstrip("/")
    if path.startswith("upload/"):
        path = path[len("upload/") :]
    if path.startswith("v1/forms"):
        return "forms"
    if path.startswith("v4/spreadsheets"):
        return "sheets"
    if path.startswith("gmail/"):
        return "gmail"
    if path.startswith("drive/"):
        return "drive"
    return "unknown"


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _type_name(schema: Mapping[str, Any]) -> str:
    if "$ref" in schema:
        return f"type.googleapis.com/{schema['$ref']}"
    kind = schema.get("type", "any")
    fmt = schema.get("format", "")
    if "enum" in schema:
        return "TYPE_ENUM"
    if kind == "integer":
        return {"int64": "TYPE_INT64", "uint32": "TYPE_UINT32", "uint64": "TYPE_UINT64"}.get(
            fmt, "TYPE_INT32"
        )
    if kind == "number":
        return "TYPE_FLOAT" if fmt == "float" else "TYPE_DOUBLE"
    if kind == "boolean":
        return "TYPE_BOOL"
    if kind == "string":
        if fmt in ("int64", "uint64"):
            return f"TYPE_{fmt.upper()}"
        return "TYPE_BYTES" if fmt == "byte" else "TYPE_STRING"
    return "TYPE_MESSAGE"


_INT_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}


def _parse_int(value: Any, fmt: str) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        out = value
    elif isinstance(value, float):
        if not value.is_integer():
            return None
        out = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        out = int(value)
    else:
        return None
    lo, hi = _INT_RANGES.get(fmt or "int32", _INT_RANGES["int64"])
    return out if lo <= out <= hi else None


def _parse_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        if value in ("NaN", "Infinity", "-Infinity"):
            return float(value.replace("Infinity", "inf"))
        try:
            out = float(value)
        except ValueError:
            return None
        return out if math.isfinite(out) else None
    return None


def decode_bytes(value: str) -> bytes | None:
    """A ``format: byte`` value: base64, URL-safe or standard alphabet, padding optional."""
    text = value.strip().replace("-", "+").replace("_", "/")
    if not re.fullmatch(r"[A-Za-z0-9+/]*=*", text):
        return None
    text = text.rstrip("=")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


@dataclass
class _Violation:
    field: str
    description: str


class SchemaValidator:
    """Checks a decoded JSON value against a discovery schema, the way Google's JSON parser
    does: unknown fields, wrong JSON types, values outside an enum are errors; ``null`` means
    "not set"; snake_case field names are accepted like camelCase ones. ``check`` returns a
    normalised copy (camelCase keys, nulls dropped, numbers parsed) for the handlers."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.schemas: Mapping[str, Any] = doc.get("schemas", {})

    def check(self, ref: str, value: Any, *, location: str = "") -> Any:
        violations: list[_Violation] = []
        out = self._check({"$ref": ref}, value, location, violations)
        if violations:
            raise ApiError(
                400,
                "\n".join(v.description for v in violations),
                details=[
                    {
                        "@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [
                            {"field": v.field, "description": v.description} for v in violations
                        ],
                    }
                ],
            )
        return out

    def _invalid(
        self, schema: Mapping[str, Any], value: Any, path: str, out: list[_Violation]
    ) -> None:
        shown = json.dumps(value, ensure_ascii=False)
        if len(shown) > 200:
            shown = shown[:200] + "..."
        where = f"Invalid value at '{path}'" if path else "Invalid value"
        out.append(_Violation(path, f"{where} ({_type_name(schema)}), {shown}"))

    def _check(
        self, schema: Mapping[str, Any], value: Any, path: str, out: list[_Violation]
    ) -> Any:
        if value is None:
            return None
        if "$ref" in schema:
            ref = schema["$ref"]
            target = self.schemas.get(ref)
            if target is None:
                return value
            if not isinstance(value, dict):
                self._invalid(schema, value, path, out)
                return None
            return self._check_object(target, value, path, out)
        kind = schema.get("type", "any")
        if kind == "any":
            return value
        if kind == "object":
            if not isinstance(value, dict):
                self._invalid(schema, value, path, out)
                return None
            return self._check_object(schema, value, path, out)
        if kind == "array":
            if not isinstance(value, list):
                self._invalid(schema, value, path, out)
                return None
            items = schema.get("items", {"type": "any"})
            return [self._check(items, v, f"{path}[{i}]", out) for i, v in enumerate(value)]
        if kind == "string":
            fmt = schema.get("format", "")
            if fmt in ("int64", "uint64") and not isinstance(value, bool):
                if _parse_int(value, fmt) is None:
                    self._invalid(schema, value, path, out)
                return str(value) if isinstance(value, int) else value
            if not isinstance(value, str):
                self._invalid(schema, value, path, out)
                return None
            if fmt == "byte" and decode_bytes(value) is None:
                out.append(
                    _Violation(
                        path,
                        f"Invalid value at '{path}' (TYPE_BYTES), Base64 decoding failed for "
                        f"{json.dumps(value[:40])}",
                    )
                )
                return None
            if "enum" in schema and value not in schema["enum"]:
                self._invalid(schema, value, path, out)
                return None
            return value
        if kind == "integer":
            parsed = _parse_int(value, schema.get("format", "int32"))
            if parsed is None:
                self._invalid(schema, value, path, out)
            return parsed
        if kind == "number":
            number = _parse_number(value)
            if number is None:
                self._invalid(schema, value, path, out)
            return number
        if kind == "boolean":
            if not isinstance(value, bool):
                self._invalid(schema, value, path, out)
                return None
            return value
        return value

    def _check_object(
        self, schema: Mapping[str, Any], value: dict[str, Any], path: str, out: list[_Violation]
    ) -> dict[str, Any]:
        properties: Mapping[str, Any] | None = schema.get("properties")
        additional = schema.get("additionalProperties")
        result: dict[str, Any] = {}
        if properties is None and additional is None:
            return value  # a free-form object
        for key, item in value.items():
            if properties is not None:
                name = key if key in properties else camel(key)
                if name in properties:
                    sub = f"{path}.{snake(name)}" if path else snake(name)
                    checked = self._check(properties[name], item, sub, out)
                    if checked is not None:
                        result[name] = checked
                    continue
            if additional is not None:
                checked = self._check(additional, item, f"{path}[{key!r}]", out)
                if checked is not None:
                    result[key] = checked
                continue
            where = f" at '{path}'" if path else ""
            out.append(
                _Violation(
                    path,
                    f'Invalid JSON payload received. Unknown name "{key}"{where}: '
                    "Cannot find field.",
                )
            )
        return result


def parse_query_value(name: str, definition: Mapping[str, Any], raw: str) -> Any:
    """One query or path parameter value, typed as the discovery document says."""
    kind = definition.get("type", "string")
    where = f"Invalid value at '{snake(name)}'"
    if kind == "integer":
        parsed = _parse_int(raw, definition.get("format", "int32"))
        if parsed is None:
            raise bad_request(f"{where} ({_type_name(definition)}), {json.dumps(raw)}")
        value: Any = parsed
    elif kind == "number":
        number = _parse_number(raw)
        if number is None:
            raise bad_request(f"{where} ({_type_name(definition)}), {json.dumps(raw)}")
        value = number
    elif kind == "boolean":
        lowered = raw.strip().lower()
        if lowered not in ("true", "false"):
            raise bad_request(f"{where} (TYPE_BOOL), {json.dumps(raw)}")
        value = lowered == "true"
    else:
        value = raw
    if "enum" in definition and raw not in definition["enum"]:
        raise bad_request(f"{where} (TYPE_ENUM), {json.dumps(raw)}")
    return value


def validate_query(
    route: Route,
    query: Mapping[str, list[str]],
    path_params: Mapping[str, str],
    *,
    ignore_unknown: bool = False,
) -> dict[str, Any]:
    """Typed query parameters (a list for ``repeated`` ones). Raises ``ApiError`` (400)."""
    typed: dict[str, Any] = {}
    for name, values in query.items():
        definition = route.parameters.get(name)
        if definition is not None and definition.get("location") != "query":
            definition = None
        if definition is None:
            definition = route.standard_parameters.get(name)
        if definition is None:
            if ignore_unknown:
                continue
            raise bad_request(
                f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query '
                f"parameter. Field '{name}' could not be found in request message."
            )
        if len(values) > 1 and not definition.get("repeated"):
            raise bad_request(
                f"Invalid JSON payload received. Multiple values for non-repeated query "
                f"parameter '{name}'."
            )
        parsed = [parse_query_value(name, definition, v) for v in values]
        typed[name] = parsed if definition.get("repeated") else parsed[0]
    for name, definition in route.parameters.items():
        if definition.get("location") == "path" and name in path_params:
            typed[name] = parse_query_value(name, definition, path_params[name])
        elif definition.get("required") and name not in typed:
            raise bad_request(f"Required parameter '{name}' is missing.")
    return typed


# ---------------------------------------------------------------------------------------
# `fields` masks (partial responses)
# ---------------------------------------------------------------------------------------

# A parsed mask: field name -> its sub-selection, None = the whole field.
MaskTree = dict[str, "MaskTree | None"]


class MaskSyntaxError(ValueError):
    pass


def _merge(a: MaskTree | None, b: MaskTree | None) -> MaskTree | None:
    if a is None or b is None:
        return None  # the whole field wins over any sub-selection of it
    out = dict(a)
    for key, sub in b.items():
        out[key] = _merge(out[key], sub) if key in out else sub
    return out


def parse_fields_mask(mask: str, *, strip: bool = False) -> MaskTree:
    """Google's partial-response syntax: ``a,b`` several fields, ``a/b`` (or ``a.b``) a
    nested one, ``a(b,c)`` sub-selections (nested to any depth), ``*`` every field.
    Sheets, Forms and Gmail take names verbatim ("a, b" names the field " b" and is refused:
    ringo380/claude-google-sheets-mcp issue #2); Drive strips the spaces (``strip``)."""
    n = len(mask)

    def name_list(i: int, depth: int) -> tuple[MaskTree, int]:
        tree: MaskTree = {}
        while True:
            start = i
            while i < n and mask[i] not in ",()":
                i += 1
            text = mask[start:i]
            parts = [p.strip() if strip else p for p in re.split(r"[/.]", text)]
            if not text or any(not p.strip() for p in parts):
                raise MaskSyntaxError(f"Invalid field selection {text!r} in {mask!r}")
            sub: MaskTree | None = None
            if i < n and mask[i] == "(":
                sub, i = name_list(i + 1, depth + 1)
                if i >= n or mask[i] != ")":
                    raise MaskSyntaxError(f"Unbalanced parentheses in {mask!r}")
                i += 1
            for part in reversed(parts[1:]):
                sub = {part: sub}
            tree[parts[0]] = _merge(tree[parts[0]], sub) if parts[0] in tree else sub
            if i < n and mask[i] == ",":
                i += 1
                continue
            if depth == 0 and i < n:
                raise MaskSyntaxError(f"Unexpected {mask[i]!r} in {mask!r}")
            return tree, i

    tree, _ = name_list(0, 0)
    return tree


def _resolve(schema: Mapping[str, Any] | None, schemas: Mapping[str, Any]) -> Any:
    """The object schema a field holds (arrays looked through), {} for a free-form object,
    None for a scalar."""
    while schema is not None and schema.get("type") == "array":
        schema = schema.get("items")
    if schema is None:
        return None
    if "$ref" in schema:
        return schemas.get(schema["$ref"], {})
    if schema.get("type") in ("object", "any") or "properties" in schema:
        return schema
    return None


def invalid_mask_path(
    tree: MaskTree, response_ref: str | None, schemas: Mapping[str, Any]
) -> tuple[str, str] | None:
    """The first path of ``tree`` the response schema lacks, as (dotted path, last name),
    or None when every path names a real field. Map fields take any key."""

    def walk(node: MaskTree, schema: Any, prefix: list[str]) -> tuple[str, str] | None:
        props = schema.get("properties")
        additional = schema.get("additionalProperties")
        free = props is None and additional is None
        for name, sub in node.items():
            path = [*prefix, name]
            if name == "*" or free:
                continue
            if props is not None and name in props:
                field_schema = props[name]
            elif additional is not None:
                field_schema = additional
            else:
                return ".".join(path), name
            if sub is None:
                continue
            target = _resolve(field_schema, schemas)
            if target is None:  # a sub-selection of a string or a number
                first = next(iter(sub))
                return ".".join([*path, first]), first
            bad = walk(sub, target, path)
            if bad is not None:
                return bad
        return None

    if response_ref is None:
        first = next(iter(tree), "")
        return first, first
    return walk(tree, schemas.get(response_ref, {}), [])


def apply_fields_mask(value: Any, tree: MaskTree | None) -> Any:
    """Only the selected fields of a response (lists are filtered element by element)."""
    if tree is None:
        return value
    if isinstance(value, list):
        return [apply_fields_mask(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    if "*" in tree:
        everything = tree["*"]
        out = {k: apply_fields_mask(v, everything) for k, v in value.items()}
        for key, sub in tree.items():  # a named field narrower than '*' adds nothing
            if key != "*" and key in value and everything is not None:
                out[key] = apply_fields_mask(value[key], _merge(everything, sub))
        return out
    return {k: apply_fields_mask(value[k], sub) for k, sub in tree.items() if k in value}


def check_fields_mask(route: Route, mask: str, schemas: Mapping[str, Any]) -> MaskTree:
    """The parsed mask, or the 400 Google answers for a field the response lacks.

    Sheets/Forms/Gmail (ESF): "Request contains an invalid argument." with a BadRequest
    fieldViolation "Error expanding 'fields' parameter. Cannot find matching fields for
    path '...'." (a real Sheets answer recorded in r-lib/gargle,
    tests/testthat/fixtures/sheets-spreadsheets-get-bad-field-mask_400.rds). Drive: "Invalid
    field selection <name>" (developers.google.com/drive/api/guides/fields-parameter), reason
    invalidParameter, location "fields"."""
    drive = route.api == "drive"
    try:
        tree = parse_fields_mask(mask, strip=drive)
        bad = invalid_mask_path(tree, route.response_ref, schemas)
    except MaskSyntaxError as exc:
        bad = (str(exc), str(exc))
    if bad is None:
        return tree
    path, name = bad
    if drive:
        raise ApiError(
            400, f"Invalid field selection {name}", reason="invalidParameter", location="fields"
        )
    description = (
        f"Error expanding 'fields' parameter. Cannot find matching fields for path '{path}'."
    )
    raise ApiError(
        400,
        "Request contains an invalid argument.",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": mask, "description": description}],
            }
        ],
    )
