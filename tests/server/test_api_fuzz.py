"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis).

The document is loaded from the running server (`/api/v1/openapi.json`), and for
every operation schemathesis generates requests with hypothesis (path and query
parameters, headers, bodies), valid (positive) and schema-breaking (negative)
ones, sent with the token of each kind of caller: nobody, a worker, a worker
enrolment token, an artist and an admin. Operations a caller may use get the
full budget; the others one example (which must be a 401/403). Before fuzzing
the farm is given some state (users, spare tokens, blobs, uploads in progress,
jobs, a worker with attempts), and part of the examples aim at those ids and
at ids on the edges of the databases' integer types.

Where the document alone rarely gets past validation, generators are added:
`POST /jobs` (whose body the document leaves open) also gets the JobSpec
schema, JobSpecs grounded with an uploaded scene, an absolute client path and
real frame expressions (so jobs are planned and created), and Renderbus
task.json bodies with values of every JSON type; `POST /scenes/analyse` gets
real uploaded scenes; `GET /events` gets huge `since` ids.

Checks: no response is 5xx (schemathesis' `not_a_server_error`); every error
is `{"error": {"code": str, "message": str, ...}}`; every response conforms to
the document (its status is listed for the operation, with that content type,
headers and schema: schemathesis' conformance checks); a response arrives whole;
the server logs no unhandled error (a crash after a stream's 200 was sent is
invisible to the status check); and an event stream asked to last 50 ms ends.
Failures are collected over the whole run, deduplicated, and reported with the
request (as curl) and the server's traceback (logged by `farmhand.server`).

Deterministic (hypothesis `derandomize`, no example database) and bounded: no
shrinking, a handful of examples per operation and caller, long polls and
streams kept short.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import os
import textwrap
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import requests
import schemathesis
from farm import blob_ref, claim, complete, fail, new_user, new_worker, submit, upload
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core import NotSet
from schemathesis.core.failures import FailureGroup
from server_harness import RunningServer

# Examples per operation: for a caller the operation admits (valid and invalid
# requests), and for a caller it must refuse.
POSITIVE = 10
NEGATIVE = 6
REFUSED = 1
# Fewer for an event stream: each lasts at least the server's poll interval (0.5 s).
CAP = {"GET /events": 2}
TIMEOUT = 10  # seconds per request; a request that takes longer is a finding
STREAM_TIMEOUT = 1.5  # for `GET /events`: a stream asked to last 50 ms ends within 0.6 s

# Ids at the edges of the databases' integer types (PostgreSQL INTEGER, SQLite/BIGINT).
EDGE_IDS = [2**31 - 1, 2**31, 2**63 - 1, 2**63]

# Operations that destroy what the other examples aim at: fuzzed last, per caller.
LAST = ("DELETE /jobs/{job_id}", "DELETE /tokens/{token_id}")

# Which token kinds each `x-farmhand-role` admits.
ADMITS = {
    "public": {"none", "admin", "artist", "worker", "enrol"},
    "user": {"admin", "artist"},
    "admin": {"admin"},
    "worker": {"worker"},
    "enrol": {"enrol"},
    "any": {"admin", "artist", "worker"},
}


# -- what the server logs ----------------------------------------------------------------------


@dataclass
class Logged:
    """One error the server logged: its message and a traceback trimmed to our own frames."""

    message: str
    traceback: str
    signature: str  # exception type and the innermost frame of ours, to tell errors apart


class _Records(logging.Handler):
    """Keeps the errors the server logs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[Logged] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = f"{record.name}: {record.getMessage()}"
        if not record.exc_info or record.exc_info[1] is None:
            self.records.append(Logged(message, "", message))
            return
        exc = record.exc_info[1]
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [f for f in frames if "site-packages" not in f.filename] or frames[-1:]
        where = [f"  {Path(f.filename).name}:{f.lineno} in {f.name}: {f.line}" for f in ours]
        if frames and frames[-1] not in ours:
            last = frames[-1]
            where.append(f"  … {Path(last.filename).name}:{last.lineno} in {last.name}")
        text = str(exc).strip().splitlines()
        error = f"{type(exc).__module__}.{type(exc).__qualname__}: {text[0] if text else ''}"
        error += "".join(f"\n  {line[:300]}" for line in text if line.startswith("[parameters:"))
        inner = ours[-1] if ours else None
        at = f"{Path(inner.filename).name}:{inner.lineno}" if inner else "?"
        self.records.append(
            Logged(message, "\n".join([*where, error]), f"{type(exc).__name__} at {at}")
        )


@pytest.fixture
def server_log() -> Iterator[_Records]:
    """Errors logged by the server (and by aiohttp, for crashes outside its middleware)."""
    handler = _Records()
    loggers = [logging.getLogger(n) for n in ("farmhand.server", "aiohttp.server", "aiohttp.web")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


# -- the farm before fuzzing -------------------------------------------------------------------


@dataclass
class Farm:
    """Tokens by caller kind, and ids that exist, for path parameters."""

    tokens: dict[str, str | None]
    path_values: dict[str, list[Any]]
    blob_refs: list[dict[str, Any]]


def _token(session: requests.Session) -> str:
    return session.headers["Authorization"].removeprefix("Bearer ")


def _start_partial_upload(server: RunningServer, session: requests.Session, data: bytes) -> str:
    """An upload that has received half its bytes; its id."""
    started = session.post(server.url("/uploads"), json=blob_ref(data))
    assert started.status_code == 201, started.text
    upload_id = started.json()["id"]
    half = session.put(server.url(f"/uploads/{upload_id}"), data=data[: len(data) // 2],
                       headers={"Upload-Offset": "0"})  # fmt: skip
    assert half.status_code == 200, half.text
    return upload_id


def _issue_token(server: RunningServer, user_id: int) -> int:
    issued = server.session().post(server.url(f"/users/{user_id}/tokens"), json={"label": "spare"})
    assert issued.status_code == 201, issued.text
    return issued.json()["id"]


def populate(server: RunningServer) -> Farm:
    """Users, blobs, uploads, projects, a hardware config, jobs, a worker and its attempts."""
    admin = server.session()
    artist = new_user(server, "fuzz-artist")
    artist_id = artist.get(server.url("/me")).json()["id"]
    assert admin.post(server.url("/projects"), json={"name": "fuzz"}).status_code == 201
    config = {"name": "8 cores", "ram_gb": 32, "cpu_cores": 8, "price_per_hour": 1.5}
    assert admin.put(server.url("/hardware-configs/418"), json=config).status_code == 200

    # Real scenes, each uploaded by both users (each must own a blob to use it).
    scenes = Path(__file__).resolve().parents[1] / "scenes"
    names = ("legacy_layers.ma", "malformed_truncated.ma", "time_23976.ma")
    blobs = [upload(server, artist, (scenes / n).read_bytes()) for n in names]
    for n in names:
        upload(server, admin, (scenes / n).read_bytes())
    uploads = [
        _start_partial_upload(server, artist, os.urandom(1000)),
        _start_partial_upload(server, admin, os.urandom(10)),
    ]
    jobs = [
        submit(server, artist, frames="1-10", frames_per_task=2)["id"],
        submit(server, artist, frames="1-5", test_frames={"first": True}, stop_after_test=True)[
            "id"
        ],
        submit(server, admin, frames="1-3", tiles=2, tiles_type="strip", width=64, height=64)["id"],
        submit(server, artist, frames="7")["id"],
    ]
    assert artist.post(server.url(f"/jobs/{jobs[-1]}/cancel")).status_code == 200

    worker = new_worker(server, "fuzz-node", gpu_count=1, gpu_memory_gb=8, tags=["fuzz"])
    attempts = []
    for finish in (complete, fail, None):  # one done, one failed, one still running
        assignment = claim(server, worker)
        assert assignment is not None
        attempts.append(assignment["attempt_id"])
        if finish is not None:
            assert finish(server, worker, assignment) == 200

    enrol = admin.post(server.url("/workers/enrolment-tokens"), json={"uses": 10000})
    assert enrol.status_code == 201, enrol.text
    return Farm(
        tokens={
            "worker": _token(worker),
            "enrol": enrol.json()["token"],
            "artist": _token(artist),
            "admin": server.admin_token,
            "none": None,
        },
        path_values={
            "user_id": [1, artist_id, *EDGE_IDS],
            # Spare tokens, so that aiming at known ids does not revoke the fuzzers' own.
            "token_id": [_issue_token(server, artist_id), _issue_token(server, 1), *EDGE_IDS],
            "job_id": [*jobs, *EDGE_IDS],
            "attempt_id": [*attempts, *EDGE_IDS],
            "upload_id": uploads,
            "key": [f"{b['md5']}-{b['size']}" for b in blobs],
            "config_id": ["418"],
        },
        blob_refs=blobs,
    )


# -- request strategies ------------------------------------------------------------------------


def with_jobspec(document: dict[str, Any]) -> dict[str, Any]:
    """The document with `JobSubmission` replaced by the JobSpec it carries, `$defs` inlined."""
    document = copy.deepcopy(document)
    schemas = document["components"]["schemas"]
    spec = {k: v for k, v in schemas["JobSpec"].items() if k not in ("$id", "$schema", "$defs")}

    def local(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: "#/components/schemas/JobSpec_" + v.removeprefix("#/$defs/")
                if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/")
                else local(v)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [local(v) for v in node]
        return node

    for name, sub in schemas["JobSpec"].get("$defs", {}).items():
        schemas["JobSpec_" + name] = local(sub)
    schemas["JobSubmission"] = local(spec)
    return document


_numbers = st.integers(-20, 400) | st.sampled_from([0, -1, 999_999_999, -999_999_999, 10**9])
_ranges = st.builds(
    lambda a, n, step, sep: f"{a}{sep}{a + n}" + (f"[{step}]" if step is not None else ""),
    st.integers(-20, 300),
    st.integers(-5, 60),
    st.none() | st.integers(-1, 12),
    st.sampled_from(["-", " - ", ":"]),
)
FRAMES = st.lists(_numbers.map(str) | _ranges, min_size=1, max_size=3).map(",".join)

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["", "0", "1", "2", "64", "1.5", " 3 ", "inf", "nan", "1e400", "-7", "1-10",
                       "1,3,5", "first,middle,last", "418", "maya", "2024", "strip", "block"])
)  # fmt: skip
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_TASK_INFO = ("ram", "pre_frames", "test_frames", "stop_after_test", "tiles", "tiles_type",
              "frames_per_task", "time_out", "job_stop_time", "graphics_cards_num",
              "hardwareConfigIds", "hardwareConfigId", "cg_id", "cg_name", "cg_version",
              "input_cg_file", "input_project_path", "project_name", "task_stop_time",
              "os_name", "hardware_config_id")  # fmt: skip
_COMMON = ("frames", "render_camera", "width", "height", "image_file_prefix", "renderer",
           "image_format", "animation", "start", "end", "by_frame")  # fmt: skip


def _some(keys: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), _json, max_size=6)


_layer = (
    st.fixed_dictionaries({}, optional={"renderable": _json, "common": _some(_COMMON) | _json})
    | _json
)
RENDERBUS = st.fixed_dictionaries(
    {},
    optional={
        "task_info": _some(_TASK_INFO) | _json,
        "software_config": _some(("cg_name", "cg_version", "plugins")) | _json,
        "scene_info_render": st.dictionaries(st.text(max_size=6), _layer, max_size=3) | _json,
        "frames": FRAMES | _json,
        "name": _json,
        "tiles": _json,
    },
).flatmap(lambda body: _some(_TASK_INFO).map(lambda top: {**top, **body}))
"""Renderbus task.json bodies: its field names, values of every JSON type."""


def _set_body(case: Any, body: Any) -> Any:
    case.body = body
    return case


_SEGMENT = st.text(st.characters(codec="utf-8", exclude_characters="/\\"), min_size=1, max_size=8)
CLIENT_PATHS = st.builds(
    lambda root, parts, sep: root + sep.join(parts),
    st.sampled_from(["C:/", "D:\\", "//nas/share/", "\\\\nas\\share\\", "/mnt/proj/", "/"]),
    st.lists(_SEGMENT | st.sampled_from(["scenes", "a b.ma", "x.mb"]), min_size=1, max_size=4),
    st.sampled_from(["/", "\\"]),
)
"""Absolute paths as a Windows, UNC or POSIX client writes them, with odd segments."""


def _grounded_job(case: Any, scene: dict[str, Any], path: str, frames: str) -> Any:
    """A generated JobSpec made to name an uploaded scene and a real frame expression."""
    body = case.body
    if isinstance(body, dict):
        body = copy.deepcopy(body)
        body["scene"] = {"path": path, "blob": scene}
        body["frames"] = frames
        body.pop("manifest", None)
        if isinstance(body.get("tiles"), int):  # keep the job small: tiles x frames tasks
            body["tiles"] = min(body["tiles"], 6)
        case.body = body
    return case


def _grounded_analysis(case: Any, scene: dict[str, Any], path: str) -> Any:
    """A generated analysis request made to name an uploaded `.ma` scene."""
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("scene"), dict):
        body = copy.deepcopy(body)
        body["scene"] = {"path": path, "blob": scene}
        case.body = body
    return case


def variants(
    operation: Any, mode: GenerationMode, farm: Farm, jobspec_operation: Any
) -> list[tuple[st.SearchStrategy[Any], float]]:
    """Strategies for one operation, each with its share of the examples.

    Free generation from the document; requests aimed at ids that exist (and at the edges
    of the integer types); and for `POST /jobs`, `POST /scenes/analyse` and `GET /events`
    requests that reach past validation.
    """
    free = operation.as_strategy(generation_mode=mode)
    found: list[tuple[st.SearchStrategy[Any], float]] = [(free, 1)]
    names = [p for p in farm.path_values if "{" + p + "}" in operation.path]
    if names:
        known = st.fixed_dictionaries({n: st.sampled_from(farm.path_values[n]) for n in names})
        found.append((known.flatmap(lambda p: operation.as_strategy(mode, path_parameters=p)), 0.5))
    positive = mode is GenerationMode.POSITIVE
    if operation.label == "POST /jobs":
        spec = jobspec_operation.as_strategy(generation_mode=mode)
        found.append((spec, 0.5))
        if positive:
            scenes = st.sampled_from(farm.blob_refs)
            found.append((st.builds(_grounded_job, spec, scenes, CLIENT_PATHS, FRAMES), 1))
            found.append((st.builds(_set_body, free, RENDERBUS), 1))
    if operation.label == "POST /scenes/analyse" and positive:
        scenes = st.sampled_from(farm.blob_refs)
        found.append((st.builds(_grounded_analysis, free, scenes, CLIENT_PATHS), 0.5))
    if operation.label == "GET /events" and positive:  # resuming after ids too big to store
        since = st.sampled_from([*EDGE_IDS, 10**30]).map(lambda n: {"since": n})
        found.append((since.flatmap(lambda q: operation.as_strategy(mode, query=q)), 1))
    return found


def _tame(case: Any) -> None:
    """No long polls or endless streams, which would only make the run slow.

    A claim that would wait (a valid `wait`, or none: the server's default) waits at most
    50 ms; an event stream with a valid (or no) `max_seconds` lasts 50 ms. Invalid values
    are sent as they are.
    """
    label, body = case.operation.label, case.body
    if label == "POST /workers/claim":
        if isinstance(body, NotSet):
            body = case.body = {}
            case.media_type = "application/json"
        if isinstance(body, dict):
            wait = body.get("wait", 60)
            if isinstance(wait, int | float) and not isinstance(wait, bool) and 0 < wait <= 60:
                case.body = {**body, "wait": min(wait, 0.05)}
    if label == "GET /events":
        query = dict(case.query or {})
        try:
            valid = 0 <= float(query.get("max_seconds", 0)) < math.inf
        except (TypeError, ValueError):
            valid = False
        if valid:
            query["max_seconds"] = 0.05
        case.query = query


# -- checks ------------------------------------------------------------------------------------


def json_error_shape(ctx: Any, response: Any, case: Any) -> None:
    """Every error is `{"error": {"code": str, "message": str, ...}}` (a schemathesis check)."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
    ):
        content_type = response.headers.get("Content-Type", ["?"])
        raise AssertionError(
            f"{response.status_code} error without the JSON error shape "
            f"({content_type}): {response.text[:300]!r}"
        )
    return None


# No 5xx, the error shape, and responses that conform to the document: every status is
# listed for its operation, with its content type, headers and schema.
CHECKS = [
    not_a_server_error,
    json_error_shape,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class Finding:
    key: tuple[str, ...]
    description: str
    count: int = 1


@dataclass
class Findings:
    """Distinct failures over the run, the first example of each kept."""

    found: dict[tuple[str, ...], Finding] = field(default_factory=dict)
    requests: int = 0

    def add(self, key: tuple[str, ...], description: str) -> None:
        if key in self.found:
            self.found[key].count += 1
        else:
            self.found[key] = Finding(key, description)

    def report(self) -> str:
        parts = [f"{len(self.found)} distinct failure(s) in {self.requests} requests:"]
        for n, finding in enumerate(self.found.values(), 1):
            parts.append(f"\n[{n}] ({finding.count}x) {finding.description}")
        return "\n".join(parts)


def _curl(case: Any, headers: dict[str, str], base: str) -> str:
    try:
        return case.as_curl_command(headers=headers, base_url=base)
    except Exception as exc:  # reproduction text is best effort
        return f"(no curl: {exc}) {case!r}"


def _describe(logged: list[Logged]) -> list[str]:
    return [f"  server: {e.message}\n" + textwrap.indent(e.traceback, "    ") for e in logged]


def exercise(
    server: RunningServer,
    farm: Farm,
    caller: str,
    case: Any,
    logs: _Records,
    findings: Findings,
) -> None:
    """Send one case as `caller`; record failed checks and errors the server logged."""
    _tame(case)
    token = farm.tokens[caller]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    seen = len(logs.records)
    findings.requests += 1
    label = case.operation.label
    # An event stream that outlives its `max_seconds` is cut off by schemathesis after this.
    timeout = STREAM_TIMEOUT if label == "GET /events" else TIMEOUT
    started = time.monotonic()
    try:
        response = case.call(base_url=server.base, headers=headers, timeout=timeout)
    except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL):
        return  # requests would not send it (e.g. a NUL in a header): nothing reached the server
    except requests.RequestException as exc:  # a timeout, or a response cut or garbled
        own = logs.records[seen:]
        findings.add(
            (label, "no response", type(exc).__name__, own[-1].signature if own else ""),
            "\n".join(
                [
                    f"{label} as {caller}: no complete response: {type(exc).__name__}: {exc}",
                    f"  request: {_curl(case, headers, server.base)}",
                    *_describe(own),
                ]
            ),
        )
        return
    except ValueError:
        return  # another request requests cannot send
    titles: set[str] = set()
    if label == "GET /events" and time.monotonic() - started >= STREAM_TIMEOUT:
        # schemathesis stops reading an event stream at the timeout: this one did not end
        titles.add(f"event stream still open after {STREAM_TIMEOUT} s")
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as group:
        titles.update(f.title for f in group.exceptions)

    # Errors the server logged meanwhile: this request's (even if the client saw no 5xx,
    # e.g. a crash after a stream's 200 was sent), or another's that failed later.
    mine = f"{case.method.upper()} {unquote(urlsplit(response.request.url).path)}"
    logged = logs.records[seen:]
    own = [e for e in logged if e.message.endswith(mine)]
    for e in logged:
        if e not in own:
            findings.add(
                ("(after the response)", e.signature),
                f"logged after its request was answered: {e.message}\n" + e.traceback,
            )
    if own:
        titles.add("server logged an error")
    if titles:
        title = "; ".join(sorted(titles))
        description = "\n".join(
            [
                f"{label} as {caller}: {title}: HTTP {response.status_code}",
                f"  response: {response.text[:300]!r}",
                f"  request: {_curl(case, headers, server.base)}",
                *_describe(own),
            ]
        )
        signature = own[-1].signature if own else ""
        findings.add((label, title, str(response.status_code), signature), description)


# -- the test ----------------------------------------------------------------------------------


def run_examples(
    strategy: st.SearchStrategy[Any], examples: int, send: Callable[[Any], None]
) -> None:
    """Draw `examples` cases deterministically and send each (no shrinking, no database)."""

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(strategy)
    def draw(case: Any) -> None:
        send(case)

    with contextlib.suppress(Unsatisfiable):  # e.g. no negative request for an input-less op
        draw()


def test_no_server_errors_on_fuzzed_requests(server: RunningServer, server_log: _Records) -> None:
    farm = populate(server)
    assert not server_log.records, server_log.records
    # Tokens are ours to choose (per caller, above), not generated or dropped by schemathesis.
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_url(server.url("/openapi.json"), config=config)
    jobspec = schemathesis.openapi.from_dict(with_jobspec(schema.raw_schema), config=config)
    jobspec_op = jobspec["/jobs"]["POST"]
    operations = [r.ok() for r in schema.get_all_operations()]
    operations.sort(key=lambda op: LAST.index(op.label) + 1 if op.label in LAST else 0)
    assert len(operations) >= 30, [op.label for op in operations]

    findings = Findings()
    # Callers in this order: each one's destructive operations come last for that caller, and
    # the admin (who may revoke anyone's token) goes last of all.
    for caller in ("none", "worker", "enrol", "artist", "admin"):
        for operation in operations:
            role = operation.definition.raw.get("x-farmhand-role", "user")
            admitted = caller in ADMITS[role]

            def send(case: Any, caller: str = caller) -> None:
                exercise(server, farm, caller, case, server_log, findings)

            for mode, examples in (
                (GenerationMode.POSITIVE, POSITIVE if admitted else REFUSED),
                (GenerationMode.NEGATIVE, NEGATIVE if admitted else 0),
            ):
                examples = min(examples, CAP.get(operation.label, examples))
                if not examples:
                    continue
                chosen = variants(operation, mode, farm, jobspec_op)
                for strategy, share in chosen if admitted else chosen[:1]:
                    run_examples(strategy, max(1, round(examples * share)), send)

    if findings.found:
        pytest.fail(findings.report(), pytrace=False)
