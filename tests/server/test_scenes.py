"""`POST /scenes/analyse` gives what `farmhand analyze` gives, with the client's paths."""

from __future__ import annotations

from pathlib import Path

from farm import blob_ref, new_user, upload
from farmhand.scene import analyze
from server_harness import RunningServer

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shot"


def test_server_analysis_matches_local(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    files = sorted(p for p in EXAMPLE.rglob("*") if p.is_file())
    manifest = []
    for path in files:
        data = path.read_bytes()
        upload(server, ann, data)
        manifest.append({"path": path.as_posix(), **blob_ref(data)})
    scene = EXAMPLE / "scenes" / "shot010_lighting.ma"
    body = {
        "scene": {"path": scene.as_posix(), "blob": blob_ref(scene.read_bytes())},
        "manifest": manifest,
    }
    response = ann.post(server.url("/scenes/analyse"), json=body)
    assert response.status_code == 200, response.text
    remote = response.json()
    local = analyze(scene).to_dict()
    assert remote["scene_file"] == local["scene_file"] and remote["project"] == local["project"]
    assert remote["scene_info_render"] == local["scene_info_render"]

    def facts(data: dict) -> set:
        return {
            (d["kind"], d["path"], d["exists"], d["resolved"], d["size"]) for d in data["asset"]
        }

    assert facts(remote) == facts(local)
    assert [d["code"] for d in remote["diagnostics"]] == [d["code"] for d in local["diagnostics"]]


def test_analysis_needs_the_blobs_and_a_readable_scene(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    missing = {"scene": {"path": "C:/p/a.ma", "blob": blob_ref(b"never uploaded")}}
    refused = ann.post(server.url("/scenes/analyse"), json=missing)
    assert refused.status_code == 424
    broken = b'//Maya ASCII 2024 scene\ncreateNode file -n "f";\n\tsetAttr ".ftn" -type "string'
    ref = upload(server, ann, broken)
    bad = ann.post(
        server.url("/scenes/analyse"), json={"scene": {"path": "C:/p/b.ma", "blob": ref}}
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unreadable_scene"
    assert "line 3" in bad.json()["error"]["message"] or ":3:" in bad.json()["error"]["message"]
    escape = ann.post(server.url("/scenes/analyse"),
                      json={"scene": {"path": "C:/p/../../etc/b.ma", "blob": ref}})  # fmt: skip
    assert escape.status_code == 400
