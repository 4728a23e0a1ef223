"""The one submission pipeline's retries, on a real scene and a real server: a file that changes
during the upload is hashed again (only it, the scene is not analysed again) and sent; one
that keeps changing stops the submission with the pipeline's words; the CLI's and the panel's
ways in behave alike."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from farmhand.panel.submit_flow import HASHING, UPLOADING, SubmitEvent
from farmhand.panel.submit_flow import submit as panel_submit
from farmhand.scene import analyze
from farmhand.submit import pipeline
from farmhand.submit.pipeline import Choices
from farmhand.submit.send import Watch, submit_scene, upload_and_submit
from farmhand.transfer.changes import FileChanged, StatKey, check_unchanged, is_unchanged
from farmhand.transfer.client import FarmClient
from farmhand.transfer.hashcache import HashCache
from farmhand.transfer.hashing import HashError, hash_files
from shot import write_project


class ReadCountingCache(HashCache):
    """A real hash cache that records every batch of files it actually reads."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.reads: list[list[str]] = []

    def hash_and_stat(self, paths, workers=None, progress=None, cancel=None, *, hasher=hash_files):  # type: ignore[no-untyped-def]
        def reading(pending, **kwargs):  # type: ignore[no-untyped-def]
            self.reads.append(sorted(str(p) for p in pending))
            return hasher(pending, **kwargs)

        return super().hash_and_stat(paths, workers, progress, cancel, hasher=reading)


@pytest.fixture
def analyses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every scene analysis `prepare` makes, by scene path (the real analysis still runs)."""
    made: list[str] = []
    real = pipeline.analyze_scene

    def counted(scene, *args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(str(scene))
        return real(scene, *args, **kwargs)

    monkeypatch.setattr(pipeline, "analyze_scene", counted)
    return made


def _client(farm: tuple) -> FarmClient:
    server, token = farm
    return FarmClient(server.base.removesuffix("/api/v1"), token)


def _library(files: dict[str, Path]) -> tuple[str, ...]:
    """The search path where the scene's `D:/old/wood.png` is found."""
    return (str(files["wood"].parent),)


def _blob(client: FarmClient, entry: dict[str, Any]) -> bytes:
    return client.request("GET", f"/blobs/{entry['md5']}-{entry['size']}").content


def test_a_texture_saved_during_upload_is_hashed_again_alone(farm, tmp_path, analyses) -> None:
    files = write_project(tmp_path / "proj")
    client = _client(farm)
    cache = ReadCountingCache(tmp_path / "hashes.sqlite3")
    notes: list[str] = []

    def artist_saves_the_wall(spec: dict[str, Any]) -> None:
        files["wall"].write_bytes(os.urandom(5000))  # after hashing, before the upload

    done = submit_scene(client, files["scene"], Choices(), search_paths=_library(files),
                        cache=cache, watch=Watch(retrying=notes.append),
                        before_upload=artist_saves_the_wall)  # fmt: skip
    assert analyses == [str(files["scene"])]  # analysed once, not again for the retry
    assert len(cache.reads) == 2 and len(cache.reads[0]) == 5
    assert cache.reads[1] == [str(files["wall"])]  # only the changed file is read again
    assert len(notes) == 1 and str(files["wall"]) in notes[0] and "try 2 of 3" in notes[0]
    spec = client.job(done.job["id"])["spec"]
    wall = next(e for e in spec["manifest"] if e["path"] == str(files["wall"]))
    assert wall["size"] == 5000 and _blob(client, wall) == files["wall"].read_bytes()
    for entry in spec["manifest"]:  # every other entry still names its file's bytes
        local = Path(entry["path"].replace("D:/old", str(files["wood"].parent)))
        assert _blob(client, entry) == local.read_bytes()
    assert done.upload.files_sent == 5 and done.upload.files_skipped == 0


def test_the_panel_retries_the_same_way(farm, tmp_path: Path) -> None:
    files = write_project(tmp_path / "proj")
    client = _client(farm)
    analysis = analyze(files["scene"], search_paths=_library(files))
    events: list[SubmitEvent] = []

    def progress(event: SubmitEvent) -> None:
        if event.stage == UPLOADING and not any(e.stage == UPLOADING for e in events):
            files["floor"].write_bytes(os.urandom(4321))  # saved as the upload starts
        events.append(event)

    done = panel_submit(client, analysis, Choices(), threading.Event(), progress)
    again = [e for e in events if e.stage == HASHING and e.note]
    assert again and str(files["floor"]) in again[0].note and "try 2 of 3" in again[0].note
    assert max(e.files_total for e in again) == 1  # the second hashing counts one file
    uploads = [e for e in events if e.stage == UPLOADING and e.files_total]
    assert uploads[-1].files_total == 1 and uploads[-1].bytes_total == 4321
    spec = client.job(done.job["id"])["spec"]
    floor = next(e for e in spec["manifest"] if e["path"] == str(files["floor"]))
    assert floor["size"] == 4321 and _blob(client, floor) == files["floor"].read_bytes()


def test_a_file_that_keeps_changing_stops_with_the_pipelines_words(farm, tmp_path) -> None:
    files = write_project(tmp_path / "proj")
    client = _client(farm)
    notes: list[str] = []
    rounds = []

    def stage(name: str, prepared: Any) -> None:
        if name == UPLOADING:  # something rewrites the texture on every round
            rounds.append(name)
            files["odd"].write_bytes(os.urandom(1000 + len(rounds)))

    watch = Watch(stage=stage, retrying=notes.append)
    with pytest.raises(FileChanged) as info:
        submit_scene(client, files["scene"], Choices(), search_paths=_library(files),
                     watch=watch)  # fmt: skip
    assert len(rounds) == 3 and [n.split("(")[-1] for n in notes] == ["try 2 of 3)", "try 3 of 3)"]
    assert info.value.path == files["odd"]
    words = "changed after it was hashed, on each of 3 tries: submit again once it is saved"
    assert str(info.value) == f"{files['odd']} {words}"
    assert client.jobs() == []  # nothing was submitted


def test_a_saved_scene_is_analysed_again(farm, tmp_path: Path, analyses) -> None:
    files = write_project(tmp_path / "proj")
    client = _client(farm)
    files["extra"] = files["wall"].with_name("extra.png")
    files["extra"].write_bytes(b"a texture the saved scene names")

    def artist_saves_the_scene(spec: dict[str, Any]) -> None:
        text = files["scene"].read_text(encoding="utf-8")
        files["scene"].write_text(
            text.replace(
                "// End of shot.ma",
                'createNode file -n "extra";\n'
                '\tsetAttr ".ftn" -type "string" "sourceimages/extra.png";\n'
                "// End of shot.ma",
            ),
            encoding="utf-8",
        )

    done = submit_scene(client, files["scene"], Choices(), search_paths=_library(files),
                        before_upload=artist_saves_the_scene)  # fmt: skip
    assert analyses == [str(files["scene"])] * 2  # the scene names other files now
    spec = client.job(done.job["id"])["spec"]
    assert str(files["extra"]) in {e["path"] for e in spec["manifest"]}
    assert _blob(client, spec["scene"]["blob"]) == files["scene"].read_bytes()


def test_upload_and_hashing_report_a_change_with_one_error(farm, tmp_path: Path) -> None:
    files = write_project(tmp_path / "proj")
    client = _client(farm)
    prepared = pipeline.prepare(files["scene"], Choices(), search_paths=_library(files))
    files["wall"].write_bytes(os.urandom(10))
    with pytest.raises(FileChanged) as at_upload:  # one round, no retry: the caller is told
        upload_and_submit(client, prepared)
    assert at_upload.value.path == files["wall"] and client.jobs() == []

    def growing(paths, **kwargs):  # type: ignore[no-untyped-def]
        got = hash_files(paths, **kwargs)
        with files["floor"].open("ab") as f:
            f.write(b"more")
        return got

    with pytest.raises(HashError) as at_hashing, HashCache(":memory:") as cache:
        cache.hash_with_cache([files["floor"]], hasher=growing)
    assert type(at_hashing.value.errors[files["floor"]]) is type(at_upload.value) is FileChanged


def test_check_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "tex.exr"
    path.write_bytes(b"12345")
    key = StatKey(5, path.stat().st_mtime_ns)
    check_unchanged(path, key)
    path.write_bytes(b"123456")
    assert not is_unchanged(path, key)
    with pytest.raises(FileChanged, match=r"tex\.exr changed after it was hashed"):
        check_unchanged(path, key)
    with pytest.raises(FileChanged):
        check_unchanged(tmp_path / "gone.exr", key)
