"""Accounts over real HTTP: tokens, roles, worker enrolment, and who may call what."""

from __future__ import annotations

import requests
from farmhand_server.api.contract import operations
from server_harness import RunningServer


def _error(response: requests.Response) -> str:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    return body["error"]["code"]


def _new_user(server: RunningServer, name: str, role: str = "artist") -> tuple[int, str]:
    admin = server.session()
    user = admin.post(server.url("/users"), json={"name": name, "role": role})
    assert user.status_code == 201, user.text
    token = admin.post(server.url(f"/users/{user.json()['id']}/tokens"), json={"label": "t"})
    assert token.status_code == 201
    return user.json()["id"], token.json()["token"]


def test_first_start_creates_an_admin(server: RunningServer) -> None:
    assert server.admin_token.startswith("fhu_")
    me = server.session().get(server.url("/me"))
    assert me.json() == {"kind": "user", "id": 1, "name": "admin", "role": "admin"}


def test_no_or_bad_token_is_401(server: RunningServer) -> None:
    assert _error(requests.get(server.url("/me"))) == "unauthorized"
    bad = server.session("fhu_not-a-real-token").get(server.url("/me"))
    assert bad.status_code == 401 and _error(bad) == "unauthorized"
    assert requests.get(server.url("/health")).json()["status"] == "ok"


def test_artist_cannot_administer(server: RunningServer) -> None:
    _, token = _new_user(server, "ann")
    artist = server.session(token)
    assert artist.get(server.url("/me")).json()["role"] == "artist"
    for response in (
        artist.get(server.url("/users")),
        artist.post(server.url("/users"), json={"name": "eve"}),
        artist.post(server.url("/workers/enrolment-tokens"), json={}),
        artist.put(server.url("/hardware-configs/418"), json={"name": "big"}),
    ):
        assert response.status_code == 403 and _error(response) == "forbidden"


def test_tokens_for_self_only_and_revocation(server: RunningServer) -> None:
    ann_id, ann_token = _new_user(server, "ann")
    bob_id, _ = _new_user(server, "bob")
    ann = server.session(ann_token)
    assert ann.post(server.url(f"/users/{bob_id}/tokens"), json={}).status_code == 403
    second = ann.post(server.url(f"/users/{ann_id}/tokens"), json={"label": "laptop"})
    assert second.status_code == 201
    # Ann cannot see (or revoke) the admin's token 1; she can revoke her own.
    assert ann.delete(server.url("/tokens/1")).status_code == 404
    assert ann.delete(server.url(f"/tokens/{second.json()['id']}")).status_code == 204
    assert server.session(second.json()["token"]).get(server.url("/me")).status_code == 401
    assert ann.get(server.url("/me")).status_code == 200


def test_duplicate_user_is_409_and_bad_body_is_400(server: RunningServer) -> None:
    admin = server.session()
    assert admin.post(server.url("/users"), json={"name": "ann"}).status_code == 201
    again = admin.post(server.url("/users"), json={"name": "ann"})
    assert again.status_code == 409 and _error(again) == "exists"
    bad = admin.post(server.url("/users"), json={"name": "has space", "role": "god"})
    assert bad.status_code == 400
    paths = {d["path"] for d in bad.json()["error"]["details"]}
    assert paths == {"name", "role"}
    not_json = admin.post(
        server.url("/users"), data=b"{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["error"]["message"]


def test_worker_enrolment_and_token_separation(server: RunningServer) -> None:
    admin = server.session()
    enrol = admin.post(server.url("/workers/enrolment-tokens"), json={"uses": 1})
    assert enrol.status_code == 201
    enrol_token = enrol.json()["token"]
    assert enrol_token.startswith("fhe_")
    # An enrolment token is good for registering only.
    assert server.session(enrol_token).get(server.url("/me")).status_code == 403
    spec = {"name": "node01", "ram_gb": 64, "cpu_cores": 32, "gpu_count": 2, "tags": ["gpu"]}
    registered = server.session(enrol_token).post(server.url("/workers/register"), json=spec)
    assert registered.status_code == 201, registered.text
    worker_token = registered.json()["token"]
    assert worker_token.startswith("fhw_")
    again = server.session(enrol_token).post(server.url("/workers/register"), json=spec)
    assert again.status_code == 401  # used up
    worker = server.session(worker_token)
    assert worker.get(server.url("/me")).json()["kind"] == "worker"
    # Worker tokens cannot act as users, and user tokens cannot register workers.
    blobs = {"blobs": []}
    assert worker.post(server.url("/blobs/missing"), json=blobs).status_code == 403
    assert worker.get(server.url("/users")).status_code == 403
    _, ann_token = _new_user(server, "ann")
    assert (
        server.session(ann_token).post(server.url("/workers/register"), json=spec).status_code
        == 403
    )
    listed = admin.get(server.url("/workers")).json()["workers"]
    assert [(w["name"], w["gpu_count"], w["tags"]) for w in listed] == [("node01", 2, ["gpu"])]


def test_hardware_configs_and_projects(server: RunningServer) -> None:
    admin = server.session()
    spec = {"name": "GPU node", "ram_gb": 64, "cpu_cores": 24, "gpu_count": 2, "price_per_hour": 3}
    stored = admin.put(server.url("/hardware-configs/418"), json=spec)
    assert stored.status_code == 200 and stored.json()["id"] == "418"
    admin.put(server.url("/hardware-configs/418"), json={"name": "GPU node", "ram_gb": 128})
    configs = admin.get(server.url("/hardware-configs")).json()["hardware_configs"]
    assert [(c["id"], c["ram_gb"], c["gpu_count"]) for c in configs] == [("418", 128, 2)]
    assert admin.post(server.url("/projects"), json={"name": "show"}).status_code == 201
    assert admin.post(server.url("/projects"), json={"name": "show"}).status_code == 409
    assert admin.get(server.url("/projects")).json()["projects"][0]["name"] == "show"


def test_every_route_is_described(server: RunningServer) -> None:
    doc = requests.get(server.url("/openapi.json")).json()
    described = {
        (method.upper(), "/api/v1" + path)
        for path, item in doc["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    }
    from server_harness import RunningServer as _  # noqa: F401  (the server object below)

    runner_routes = {
        (route.method, route.resource.canonical)
        for route in server._runner.app.router.routes()
        if route.method != "HEAD"
    }
    # Outside the API only the dashboard's page and its files (farmhand_server.dashboard).
    pages = {("GET", "/"), ("GET", "/dashboard/{name}")}
    assert runner_routes - described == pages
    assert runner_routes - pages == described
    assert {op.operation_id for op in operations()} >= {"find_missing_blobs", "register_worker"}
