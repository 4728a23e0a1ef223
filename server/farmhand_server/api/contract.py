"""The OpenAPI document is the contract: routes, roles and request validation come from it.

Each operation names a handler by `operationId` and who may call it by
`x-farmhand-role`. `build_routes()` registers exactly the described
operations, wrapping each handler so that, before it runs, the caller is
authenticated and authorised and the JSON body and path parameters are
validated against the document's schemas (JSON Schema 2020-12).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema
import yaml
from aiohttp import web
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from farmhand_server.accounts.auth import Principal
from farmhand_server.api.bodies import DEFAULT_MAX_BODY, check_shape, read_limited
from farmhand_server.errors import ApiError, bad_request
from farmhand_server.keys import BODY, PARAMS, PRINCIPAL

BASE_PATH = "/api/v1"
DOC_URI = "urn:farmhand:openapi"
METHODS = ("get", "put", "post", "delete", "patch", "head")
ROLES = ("public", "user", "admin", "worker", "enrol", "any")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Authenticate = Callable[[web.Request], Awaitable[Principal | None]]


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI document, with the shared JSON Schemas of `farmhand` folded in."""
    text = resources.files("farmhand_server").joinpath("openapi.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    schemas = doc["components"]["schemas"]
    for name, schema in shared_schemas().items():
        schemas.setdefault(name, schema)
    for item in doc["paths"].values():
        for method in METHODS:
            if method in item:
                _add_standard_responses(doc, item[method], item.get("parameters", []))
    return doc


# What the contract wrapper itself answers (`_wrap`), so each operation of the served
# document lists it: the handlers' own answers are written out in openapi.yaml.
_STANDARD = {
    400: "A path, query or header parameter, or the body, breaks the schema (`details` says where)",
    401: "No valid bearer token (missing, unknown, revoked, or its user disabled)",
    403: "The token's kind or role may not call this operation (`x-farmhand-role`)",
    413: "The body is larger than the server accepts",
    415: "The body is not sent as application/json",
}


def _add_standard_responses(
    doc: dict[str, Any], op: dict[str, Any], shared: list[dict[str, Any]]
) -> None:
    """Add the wrapper's error answers the operation can get to its `responses`."""
    params = [_resolve(p, doc) for p in shared + op.get("parameters", [])]
    content = op.get("requestBody", {}).get("content", {})
    statuses = set()
    if params or content:
        statuses.add(400)
    if op.get("x-farmhand-role", "user") != "public":
        statuses.update((401, 403))
    if content:
        statuses.add(413)
    if "application/json" in content:
        statuses.add(415)
    responses = op.setdefault("responses", {})
    for status in sorted(statuses):
        responses.setdefault(
            str(status),
            {
                "description": _STANDARD[status],
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        )


def shared_schemas() -> dict[str, Any]:
    """JSON Schemas shipped with the `farmhand` package (job spec, preset), by title."""
    found: dict[str, Any] = {}
    try:
        folder = resources.files("farmhand.spec").joinpath("schemas")
        entries = list(folder.iterdir())
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        return found
    for entry in entries:
        if entry.name.endswith(".schema.json"):
            schema = json.loads(entry.read_text(encoding="utf-8"))
            name = "".join(p.capitalize() for p in entry.name.split(".")[0].split("_"))
            found[{"Jobspec": "JobSpec"}.get(name, name)] = schema
    return found


@functools.cache
def _registry() -> Registry:
    resource = Resource.from_contents(document(), default_specification=DRAFT202012)
    return Registry().with_resource(DOC_URI, resource)


def _resolve(node: dict[str, Any], doc: dict[str, Any] | None = None) -> dict[str, Any]:
    """Follow a local `$ref` inside the document (parameters, responses)."""
    while "$ref" in node:
        target: Any = document() if doc is None else doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _is_integer(_checker: Any, value: Any) -> bool:
    # JSON Schema counts 1.0 as an integer: bodies read integral floats as ints
    # (`read_number`), so what is left here is a fraction or beyond +-2**53.
    return isinstance(value, int) and not isinstance(value, bool)


def read_number(text: str) -> int | float:
    """A JSON number with a fraction or exponent: an int when integral (JSON Schema 2020-12
    calls 17745175.0 an integer, and the code needs a real int), else a float.

    Beyond +-2**53 a float is not exact, so it stays one (and is refused where an integer is
    wanted).
    """
    value = float(text)
    if value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


StrictValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


@functools.cache
def validator(ref: str) -> jsonschema.Draft202012Validator:
    """A validator for a schema of the document, e.g. `#/components/schemas/BlobList`."""
    return StrictValidator({"$ref": DOC_URI + ref}, registry=_registry())


MAX_ERRORS = 20  # a body with a million mistakes is answered after the first few


def check(ref: str, value: Any, where: str = "body") -> None:
    """Raise a 400 naming where `value` breaks the schema (the first `MAX_ERRORS` found)."""
    found = itertools.islice(validator(ref).iter_errors(value), MAX_ERRORS)
    errors = sorted(found, key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        details = [
            {"path": "/".join(str(p) for p in e.absolute_path) or "(root)", "message": e.message}
            for e in errors
        ]
        first = details[0]
        raise bad_request(f"{where} {first['path']}: {first['message']}", details)


@dataclass(frozen=True, slots=True)
class Operation:
    """One described operation: where it lives and what it needs."""

    method: str
    path: str
    operation_id: str
    role: str
    body_ref: str | None
    body_required: bool
    path_params: tuple[tuple[str, dict[str, Any]], ...]
    query_params: tuple[tuple[str, dict[str, Any]], ...] = ()
    max_body: int = DEFAULT_MAX_BODY  # bytes of JSON (`x-farmhand-max-body`)


def operations() -> list[Operation]:
    """Every operation of the document, in document order."""
    found = []
    for path, item in document()["paths"].items():
        shared = [_resolve(p) for p in item.get("parameters", [])]
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = shared + [_resolve(p) for p in op.get("parameters", [])]
            body = op.get("requestBody", {})
            json_body = body.get("content", {}).get("application/json")
            role = op.get("x-farmhand-role", "user")
            if role not in ROLES:
                raise ValueError(f"{op['operationId']}: unknown x-farmhand-role {role!r}")
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    operation_id=op["operationId"],
                    role=role,
                    body_ref=json_body["schema"]["$ref"] if json_body else None,
                    body_required=bool(body.get("required")),
                    path_params=tuple(
                        (p["name"], p["schema"]) for p in params if p.get("in") == "path"
                    ),
                    query_params=tuple(
                        (p["name"], p["schema"]) for p in params if p.get("in") == "query"
                    ),
                    max_body=int(op.get("x-farmhand-max-body", DEFAULT_MAX_BODY)),
                )
            )
    return found


def build_routes(handlers: Mapping[str, Handler], authenticate: Authenticate) -> list[web.RouteDef]:
    """aiohttp routes for every operation; a missing or extra handler is an error."""
    ops = operations()
    described = {op.operation_id for op in ops}
    missing = sorted(described - set(handlers))
    extra = sorted(set(handlers) - described)
    if missing or extra:
        raise ValueError(
            f"handlers out of step with openapi.yaml: missing {missing}, extra {extra}"
        )
    return [
        web.route(
            op.method, BASE_PATH + op.path, _wrap(op, handlers[op.operation_id], authenticate)
        )
        for op in ops
    ]


def _wrap(op: Operation, handler: Handler, authenticate: Authenticate) -> Handler:
    async def run(request: web.Request) -> web.StreamResponse:
        principal = await _authorise(op, request, authenticate)
        if principal is not None:  # public operations have none
            request[PRINCIPAL] = principal
        request[PARAMS] = _path_params(op, request)
        if op.body_ref is not None:
            request[BODY] = await _json_body(op, request)
        return await handler(request)

    run.__name__ = op.operation_id
    return run


async def _authorise(
    op: Operation, request: web.Request, authenticate: Authenticate
) -> Principal | None:
    if op.role == "public":
        return None
    principal = await authenticate(request)
    if principal is None:
        raise ApiError(401, "unauthorized", "a valid bearer token is required")
    allowed = {
        "user": principal.kind == "user",
        "admin": principal.is_admin,
        "worker": principal.kind == "worker",
        "enrol": principal.kind == "enrol",
        "any": principal.kind in ("user", "worker"),
    }[op.role]
    if not allowed:
        raise ApiError(403, "forbidden", f"{op.operation_id} is not allowed with this token")
    return principal


def _path_params(op: Operation, request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, schema in op.path_params:
        params[name] = _parameter("path", name, request.match_info[name], schema)
    for name, schema in op.query_params:
        if name in request.query:
            params[name] = _parameter("query", name, request.query[name], schema)
    return params


_PARAM_VALIDATORS: dict[int, Any] = {}


def _integer(raw: str) -> int:
    """A parameter's integer: ASCII digits (an integral `17745175.0` too); ValueError if not."""
    if not raw.isascii() or len(raw) > 40:
        raise ValueError(raw)
    value = int(raw) if raw.lstrip("+-").isdigit() else read_number(raw)
    if not isinstance(value, int):
        raise ValueError(raw)
    return value


def _param_validator(schema: dict[str, Any]) -> Any:
    """One validator per parameter schema (they live as long as the cached document)."""
    found = _PARAM_VALIDATORS.get(id(schema))
    if found is None:
        found = _PARAM_VALIDATORS[id(schema)] = StrictValidator(schema)
    return found


def _parameter(where: str, name: str, raw: str, schema: dict[str, Any]) -> Any:
    """A path or query parameter converted to its schema's type and checked against it."""
    value: Any = raw
    kind = schema.get("type")
    try:
        if kind == "integer":
            value = _integer(raw)
        elif kind == "boolean":
            if raw not in ("true", "false"):
                raise ValueError(raw)
            value = raw == "true"
        elif kind == "number":
            value = float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(raw)
    except ValueError:
        raise bad_request(f"{where} {name}: {raw!r} is not a {kind}") from None
    errors = list(_param_validator(schema).iter_errors(value))
    if errors:
        raise bad_request(f"{where} {name}: {errors[0].message}")
    return value


_INLINE_BODY = 64 * 1024  # smaller bodies are parsed and checked on the loop (heartbeats, claims)


async def _json_body(op: Operation, request: web.Request) -> Any:
    if not request.can_read_body:
        if op.body_required:
            raise bad_request("a JSON request body is required")
        return {}
    if request.content_type not in ("application/json", ""):
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    raw = await read_limited(request, op.max_body)
    check_shape(raw, op.max_body)
    if len(raw) <= _INLINE_BODY:
        return _parsed_body(op, raw)
    return await asyncio.to_thread(_parsed_body, op, raw)


def _parsed_body(op: Operation, raw: bytes) -> Any:
    """The body parsed and validated; raises the 400 (CPU work: big bodies run in a thread)."""
    try:
        body = json.loads(raw, parse_float=read_number)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise bad_request(f"the body is not valid JSON: {exc}") from None
    if _has_bad_text(body):
        raise bad_request(
            "strings must not contain NUL characters (\\u0000) or lone surrogates (\\ud800-\\udfff)"
        )
    assert op.body_ref is not None  # only operations with a JSON body read one
    check(op.body_ref, body)
    return body


_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def _has_bad_text(value: Any) -> bool:
    """True when any string (or key) in a JSON value holds a NUL or a lone surrogate.

    Databases refuse NUL; a lone surrogate (`"\\ud800"`, valid JSON) cannot be encoded as UTF-8.
    """
    if isinstance(value, str):
        return _BAD_TEXT.search(value) is not None
    if isinstance(value, dict):
        return any(_has_bad_text(k) or _has_bad_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_bad_text(v) for v in value)
    return False
