"""Inputs that used to crash the server (issue 11, finding 7): each answers a 4xx error envelope."""

from __future__ import annotations

import re

import requests
from farm import new_user, submit
from server_harness import RunningServer


def _error(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    return error


def test_a_key_with_a_unicode_digit_is_a_400(server: RunningServer) -> None:
    admin = server.session()
    _error(admin.post(server.url("/jobs"), json={"²": 1}), 400)
    _error(admin.post(server.url("/jobs"), json={"frames": "1", "x²": {"¹": 1}}), 400)


def test_lone_surrogates_in_names_are_a_400(server: RunningServer) -> None:
    admin = server.session()
    # requests writes "\ud800" as the JSON escape `\ud800`: valid JSON, not encodable as UTF-8.
    error = _error(admin.post(server.url("/projects"), json={"name": "shot\ud800"}), 400)
    assert "surrogate" in error["message"]
    _error(admin.post(server.url("/workers/enrolment-tokens"), json={"\udfff": 1}), 400)
    worker_name = {"name": "node\udc80"}
    _error(admin.post(server.url("/workers/register"), json=worker_name), 403)
    assert admin.get(server.url("/projects")).status_code == 200


def test_a_blob_key_with_thousands_of_digits_is_a_4xx(server: RunningServer) -> None:
    admin = server.session()
    key = "0" * 32 + "-" + "9" * 5000
    response = admin.get(server.url(f"/blobs/{key}"))
    assert 400 <= response.status_code < 500, response.text
    _error(response, response.status_code)
    _error(admin.get(server.url(f"/blobs/{'0' * 32}-{'9' * 16}")), 404)


def test_integral_floats_are_integers(server: RunningServer) -> None:
    admin = server.session()
    issued = admin.post(server.url("/workers/enrolment-tokens"), json={"uses": 3.0})
    assert issued.status_code == 201, issued.text
    _error(admin.post(server.url("/workers/enrolment-tokens"), json={"uses": 2.5}), 400)
    config = {"name": "node", "cpu_cores": 16.0, "price_per_hour": 17745175.0}
    stored = admin.put(server.url("/hardware-configs/418"), json=config)
    assert stored.status_code == 200, stored.text
    assert stored.json()["cpu_cores"] == 16
    assert admin.get(server.url("/jobs/1.0")).status_code == 404  # a path integer too
    _error(admin.get(server.url("/jobs/1.5")), 400)
    _error(admin.get(server.url("/jobs/١")), 400)  # an Arabic-Indic digit is not an id


_SAMPLE = {"upload_id": "0" * 32, "key": "0" * 32 + "-1", "preset_name": "p", "config_id": "c"}


def test_405_names_the_allowed_methods_on_every_path(server: RunningServer) -> None:
    document = requests.get(server.url("/openapi.json")).json()
    admin = server.session()
    for path, item in document["paths"].items():
        described = {m.upper() for m in item if m in ("get", "put", "post", "delete", "patch")}
        other = next(m for m in ("PATCH", "DELETE", "PUT", "POST", "GET") if m not in described)
        url = server.url(re.sub(r"{(\w+)}", lambda m: _SAMPLE.get(m.group(1), "1"), path))
        response = admin.request(other, url)
        _error(response, 405)
        allowed = {m.strip() for m in response.headers.get("Allow", "").split(",")}
        assert described <= allowed, (path, response.headers.get("Allow"))


def test_projects_list_only_what_the_caller_may_see(server: RunningServer) -> None:
    admin = server.session()
    ann, bob = new_user(server, "ann"), new_user(server, "bob")
    assert admin.post(server.url("/projects"), json={"name": "studio"}).status_code == 201
    submit(server, ann, project="ann-secret")
    submit(server, bob, project="bob-secret")

    def names(session: requests.Session) -> list[str]:
        listed = session.get(server.url("/projects"))
        assert listed.status_code == 200, listed.text
        return [p["name"] for p in listed.json()["projects"]]

    assert names(ann) == ["ann-secret", "studio"]
    assert names(bob) == ["bob-secret", "studio"]
    assert names(admin) == ["ann-secret", "bob-secret", "studio"]


def test_a_malformed_software_report_is_a_400_not_a_broken_worker(server: RunningServer) -> None:
    from farm import new_worker

    worker = new_worker(server)
    for software in ({"blender": {"3.4": []}}, {"maya": {"2025": {"plugins": ["mtoa"]}}}):
        _error(worker.put(server.url("/workers/me"), json={"name": "n", "software": software}), 400)
    # The worker's own report still stands: it can claim.
    assert worker.post(server.url("/workers/claim"), json={"wait": 0}).status_code == 204
