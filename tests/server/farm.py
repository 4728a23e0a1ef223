"""Honest HTTP clients for server tests: an artist who submits jobs, simulated render nodes."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import requests
import xxhash
from server_harness import RunningServer, ServerProcess


def blob_ref(data: bytes) -> dict[str, Any]:
    """The `{md5, xxh64, size}` of some bytes."""
    return {
        "md5": hashlib.md5(data).hexdigest(),
        "xxh64": xxhash.xxh64(data).hexdigest(),
        "size": len(data),
    }


def new_user(server: RunningServer, name: str, role: str = "artist") -> requests.Session:
    """A user with a token, as a session."""
    admin = server.session()
    user_id = admin.post(server.url("/users"), json={"name": name, "role": role}).json()["id"]
    token = admin.post(server.url(f"/users/{user_id}/tokens"), json={}).json()["token"]
    return server.session(token)


def upload(
    server: RunningServer | ServerProcess, session: requests.Session, data: bytes
) -> dict[str, Any]:
    """Upload bytes as one blob; returns its ref."""
    ref = blob_ref(data)
    upload = session.post(server.url("/uploads"), json=ref).json()
    if not upload.get("complete"):
        session.put(server.url(f"/uploads/{upload['id']}"), data=data,
                    headers={"Upload-Offset": str(upload["offset"])})  # fmt: skip
        done = session.post(server.url(f"/uploads/{upload['id']}/complete"))
        assert done.status_code == 200, done.text
    return ref


def job_spec(scene: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A valid JobSpec rendering `frames` with Blender, overridable field by field."""
    spec: dict[str, Any] = {
        "name": "shot010",
        "scene": {"path": "C:/proj/scenes/shot010.blend", "blob": scene},
        "software": {"cg_name": "blender", "cg_version": "3.4"},
        "renderer": {"adapter": "blender"},
        "frames": "1-10",
    }
    spec.update(fields)
    return spec


def submit(server: RunningServer, session: requests.Session, **fields: Any) -> dict[str, Any]:
    """Upload a scene and submit a job; returns the job."""
    scene = upload(server, session, b"scene " + os.urandom(16))
    response = session.post(server.url("/jobs"), json=job_spec(scene, **fields))
    assert response.status_code == 201, response.text
    return response.json()


def new_worker(server: RunningServer, name: str = "node", **caps: Any) -> requests.Session:
    """Register a render node (Blender 3.4 by default) and return its session."""
    admin = server.session()
    enrol = admin.post(server.url("/workers/enrolment-tokens"), json={}).json()["token"]
    body = {"name": name, "ram_gb": 32, "cpu_cores": 8, "software": {"blender": {"3.4": {}}}}
    body.update(caps)
    registered = server.session(enrol).post(server.url("/workers/register"), json=body)
    assert registered.status_code == 201, registered.text
    return server.session(registered.json()["token"])


def claim(server: RunningServer, worker: requests.Session, wait: float = 0) -> dict | None:
    """One claim; the assignment or None."""
    response = worker.post(server.url("/workers/claim"), json={"wait": wait})
    if response.status_code == 204:
        return None
    assert response.status_code == 200, response.text
    return response.json()


def complete(server: RunningServer, worker: requests.Session, assignment: dict) -> int:
    """Report success; the HTTP status."""
    url = server.url(f"/attempts/{assignment['attempt_id']}/complete")
    return worker.post(url, json={"peak_memory_mb": 512}).status_code


def fail(server: RunningServer, worker: requests.Session, assignment: dict, msg="boom") -> int:
    """Report failure; the HTTP status."""
    url = server.url(f"/attempts/{assignment['attempt_id']}/fail")
    return worker.post(url, json={"exit_code": 1, "message": msg}).status_code


def job(server: RunningServer, session: requests.Session, job_id: int) -> dict[str, Any]:
    response = session.get(server.url(f"/jobs/{job_id}"))
    assert response.status_code == 200, response.text
    return response.json()


def drain(server: RunningServer, worker: requests.Session) -> list[dict]:
    """Claim and complete until nothing is left; the assignments in order."""
    done = []
    while (assignment := claim(server, worker)) is not None:
        assert complete(server, worker, assignment) == 200
        done.append(assignment)
    return done
