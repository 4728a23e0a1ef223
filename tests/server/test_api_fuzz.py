"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis).

The document is loaded from the running server (`/api/v1/openapi.json`), and for
every operation schemathesis generates requests with hypothesis — path
parameters, headers and bodies, both valid (positive) and schema-breaking
(negative) ones — sent with the token of each kind of caller: a worker, a worker
enrolment token, an artist, an admin and nobody. Operations a caller may use
get the full budget; the others a few examples (they must answer 401/403).
Before fuzzing the farm is given some state (users, blobs, uploads in progress,
jobs, a worker with attempts) and part of the examples aim at those ids.

Two generators are added to what the document alone gives for `POST /jobs`,
whose body the document leaves open (a JobSpec or a Renderbus task.json): the
JobSpec schema itself, partly grounded with an uploaded scene and real frame
expressions so jobs are really planned and created, and Renderbus-shaped
task.json bodies with values of every JSON type.

Every response must be below 500 (schemathesis' `not_a_server_error`), and every
error must be `{"error": {"code": str, "message": str, ...}}`. Failures are
collected over the whole run, deduplicated, and reported together with the
request (as curl) and the server's traceback (logged by `farmhand.server`).

Deterministic (hypothesis `derandomize`, no example database) and bounded: no
shrinking, a handful of examples per operation and caller.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from farm import blob_ref, claim, complete, fail, new_user, new_worker, submit, upload
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from server_harness import RunningServer

# Examples per operation: for a caller the operation admits (valid and invalid
# requests), and for a caller it must refuse.
POSITIVE = 12
NEGATIVE = 8
REFUSED = 2
TIMEOUT = 20  # seconds per request; a request that takes longer is a finding

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


class _Records(logging.Handler):
    """Keeps the server's log records that carry a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.tracebacks: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.tracebacks.append(self.format(record))


@pytest.fixture
def server_tracebacks() -> Iterator[_Records]:
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

    blobs = [upload(server, artist, b"artist scene " + bytes(range(64)))]
    blobs.append(upload(server, admin, b"admin scene"))
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
            "user_id": [1, artist_id],
            # Spare tokens, so that aiming at known ids does not revoke the fuzzers' own.
            "token_id": [_issue_token(server, artist_id), _issue_token(server, 1)],
            "job_id": jobs,
            "attempt_id": attempts,
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
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_TASK_INFO = ("ram", "pre_frames", "test_frames", "stop_after_test", "tiles", "tiles_type",
              "frames_per_task", "time_out", "job_stop_time", "graphics_cards_num",
              "hardwareConfigIds", "hardwareConfigId", "cg_id", "cg_name", "cg_version",
              "input_cg_file", "input_project_path", "project_name")  # fmt: skip
_COMMON = ("frames", "render_camera", "width", "height", "image_file_prefix", "renderer")


def _some(keys: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), _json, max_size=6)


_layer = st.fixed_dictionaries(
    {}, optional={"renderable": _json, "common": _some(_COMMON) | _json}
) | _json
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


def _grounded(case: Any, scene: dict[str, Any], frames: str) -> Any:
    """A generated JobSpec made to name an uploaded scene and a real frame expression."""
    body = case.body
    if isinstance(body, dict):
        body = copy.deepcopy(body)
        if isinstance(body.get("scene"), dict):
            body["scene"]["blob"] = scene
        body["frames"] = frames
        body.pop("manifest", None)
        if isinstance(body.get("tiles"), int):  # keep the job small: tiles x frames tasks
            body["tiles"] = min(body["tiles"], 6)
        case.body = body
    return case


def strategies(
    operation: Any, mode: GenerationMode, farm: Farm, jobspec_operation: Any
) -> st.SearchStrategy[Any]:
    """Cases for one operation: free, and aimed at ids that exist."""
    free = operation.as_strategy(generation_mode=mode)
    options = [free]
    names = [p for p in farm.path_values if "{" + p + "}" in operation.path]
    if names:
        known = st.fixed_dictionaries({n: st.sampled_from(farm.path_values[n]) for n in names})
        options.append(known.flatmap(lambda p: operation.as_strategy(mode, path_parameters=p)))
    if operation.label == "POST /jobs":
        spec = jobspec_operation.as_strategy(generation_mode=mode)
        options.append(spec)
        if mode is GenerationMode.POSITIVE:
            scenes = st.sampled_from(farm.blob_refs)
            options.append(st.builds(_grounded, spec, scenes, FRAMES))
            options.append(st.builds(_set_body, free, RENDERBUS))
    return st.one_of(options)


def _tame(case: Any) -> None:
    """Long-polls would only make the run slow: a valid claim waits at most 50 ms."""
    body = case.body
    if case.operation.label == "POST /workers/claim" and isinstance(body, dict):
        wait = body.get("wait")
        if isinstance(wait, int | float) and not isinstance(wait, bool) and 0 < wait <= 60:
            case.body = {**body, "wait": min(wait, 0.05)}


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


def exercise(
    server: RunningServer,
    farm: Farm,
    caller: str,
    case: Any,
    tracebacks: _Records,
    findings: Findings,
) -> None:
    """Send one case as `caller`; record a failed check (with the server's traceback)."""
    _tame(case)
    token = farm.tokens[caller]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    logged = len(tracebacks.tracebacks)
    findings.requests += 1
    label = case.operation.label
    try:
        response = case.call(base_url=server.base, headers=headers, timeout=TIMEOUT)
    except (requests.ConnectionError, requests.Timeout) as exc:
        findings.add(
            (label, "no response", type(exc).__name__),
            f"{label} as {caller}: no response ({exc})\n{_curl(case, headers, server.base)}",
        )
        return
    except (requests.exceptions.InvalidHeader, ValueError):
        return  # requests would not send it (e.g. a NUL in a header): nothing reached the server
    try:
        case.validate_response(response, checks=[not_a_server_error, json_error_shape])
    except FailureGroup as group:
        server_log = tracebacks.tracebacks[logged:]
        last = server_log[-1].strip().splitlines()[-1] if server_log else ""
        titles = "; ".join(sorted({f.title for f in group.exceptions}))
        description = "\n".join(
            [
                f"{label} as {caller}: {titles}: HTTP {response.status_code}",
                f"  response: {response.text[:300]!r}",
                f"  request: {_curl(case, headers, server.base)}",
                *(["  server log:\n" + "\n".join(server_log)] if server_log else []),
            ]
        )
        findings.add((label, titles, str(response.status_code), last), description)


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

    try:
        draw()
    except Unsatisfiable:
        pass  # no such request: e.g. a negative one for an operation without any input


def test_no_server_errors_on_fuzzed_requests(
    server: RunningServer, server_tracebacks: _Records
) -> None:
    farm = populate(server)
    assert not server_tracebacks.tracebacks, server_tracebacks.tracebacks
    schema = schemathesis.openapi.from_url(server.url("/openapi.json"))
    jobspec = schemathesis.openapi.from_dict(with_jobspec(schema.raw_schema))
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
                exercise(server, farm, caller, case, server_tracebacks, findings)

            for mode, examples in (
                (GenerationMode.POSITIVE, POSITIVE if admitted else REFUSED),
                (GenerationMode.NEGATIVE, NEGATIVE if admitted else 0),
            ):
                if examples:
                    strategy = strategies(operation, mode, farm, jobspec["/jobs"]["POST"])
                    run_examples(strategy, examples, send)

    assert not findings.found, findings.report()
