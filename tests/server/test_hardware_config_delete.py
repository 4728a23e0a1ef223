"""`DELETE /hardware-configs/{id}`: admins delete a config nothing refers to; one a job asks
for or a worker is registered with is refused with a precise 409."""

from __future__ import annotations

from farm import new_user, new_worker, submit
from server_harness import RunningServer


def _configs(server: RunningServer) -> list[str]:
    answer = server.session().get(server.url("/hardware-configs")).json()
    return [c["id"] for c in answer["hardware_configs"]]


def test_an_unused_config_is_deleted_and_a_used_one_refused(server: RunningServer) -> None:
    admin = server.session()
    for config_id in ("418", "419", "spare"):
        stored = admin.put(server.url(f"/hardware-configs/{config_id}"), json={"name": "node"})
        assert stored.status_code == 200, stored.text
    ann = new_user(server, "ann")
    job = submit(server, ann, name="gpu shot", frames="1",
                 hardware={"hardware_config_ids": ["418"]})  # fmt: skip
    new_worker(server, "gpu-node-<b>", hardware_config_id="419")

    refused = admin.delete(server.url("/hardware-configs/418"))
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "in_use"
    assert (
        error["message"] == f"hardware config 418 is still in use: 1 job asks for it (#{job['id']})"
    )
    assert error["details"] == {"jobs": [job["id"]], "jobs_total": 1, "workers": [],
                                "workers_total": 0}  # fmt: skip
    by_worker = admin.delete(server.url("/hardware-configs/419")).json()["error"]
    assert by_worker["message"] == (
        "hardware config 419 is still in use: 1 worker is registered with it ('gpu-node-<b>')"
    )
    assert by_worker["details"]["workers"][0]["name"] == "gpu-node-<b>"
    assert _configs(server) == ["418", "419", "spare"]

    assert admin.delete(server.url("/hardware-configs/spare")).status_code == 204
    assert _configs(server) == ["418", "419"]
    gone = admin.delete(server.url("/hardware-configs/spare"))
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"


def test_only_admins_delete_configs(server: RunningServer) -> None:
    admin = server.session()
    admin.put(server.url("/hardware-configs/418"), json={"name": "node"})
    ann = new_user(server, "ann")
    refused = ann.delete(server.url("/hardware-configs/418"))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert admin.delete(server.url("/hardware-configs/not%20an%20id")).status_code == 400
    assert _configs(server) == ["418"]
