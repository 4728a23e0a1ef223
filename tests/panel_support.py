"""Helpers for the panel tests: an isolated user config, scenes on disk, a simulated render node.

Everything here is real: scenes are `.ma` files read by `OfflineHost`, the
farm is the test server (`farm` fixture), and the render node talks to it
over HTTP with a worker token, like `farmhand_worker` does.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import xxhash

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_SHOT = REPO / "examples" / "shot"
SCREENSHOT_SIZE = (1100, 760)


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user config dir, hash cache and studio preset folder of the test's own."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("FARMHAND_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FARMHAND_PRESETS", str(tmp_path / "studio-presets"))
    monkeypatch.delenv("FARMHAND_SERVER", raising=False)
    monkeypatch.delenv("FARMHAND_TOKEN", raising=False)
    return tmp_path


@pytest.fixture
def dark(qapp: Any) -> Any:
    """The standalone panel's dark palette on the test application."""
    from farmhand.panel.theme import apply_dark_palette

    if not qapp.property("farmhandDark"):
        apply_dark_palette(qapp)
        qapp.setProperty("farmhandDark", True)
    return qapp


def copy_shot(root: Path) -> Path:
    """The example shot copied under `root` (its scene names one missing texture); the scene."""
    target = root / "shot"
    shutil.copytree(EXAMPLE_SHOT, target)
    return target / "scenes" / "shot010_lighting.ma"


def open_panel(
    qtbot: Any, scene: Path, project: str | None = None, size=SCREENSHOT_SIZE, keep: bool = True
) -> Any:
    """The panel on a `.ma` file, shown at a realistic size (`keep=False`: the test deletes
    it with `close_panel`, instead of pytest-qt closing it at the end)."""
    from farmhand.panel import OfflineHost, create_panel

    panel = create_panel(OfflineHost(scene, project))
    if keep:
        qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def dispose_panel(panel: Any) -> None:
    """Close a panel opened with `keep=False` the way a window close does (choices saved,
    work dropped), then delete it, so a test that opens many panels does not keep them."""
    from farmhand.panel.qt import QtCore, QtWidgets

    panel.close()
    panel.deleteLater()
    QtWidgets.QApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)


def wait_for(qtbot: Any, condition: Callable[[], Any], timeout: float = 20.0) -> None:
    """Process Qt events until `condition()` is true (fails the test after `timeout`)."""
    qtbot.waitUntil(lambda: bool(condition()), timeout=int(timeout * 1000))


def screenshot(panel: Any, name: str, tmp_path: Path) -> Path:
    """Grab the panel to a PNG: under tmp_path, and also into `$FARMHAND_SCREENSHOTS`
    (`docs/screenshots` when regenerating the committed images)."""
    image = panel.grab()
    target = tmp_path / f"{name}.png"
    assert image.save(str(target)), f"could not write {target}"
    folder = os.environ.get("FARMHAND_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        image.save(str(Path(folder) / f"{name}.png"))
    return target


def write_many_textures(root: Path, count: int, missing_every: int = 5, folders: int = 40) -> Path:
    """A project whose scene has `count` file textures in `folders` folders; every
    `missing_every`-th is absent."""
    (root / "sourceimages").mkdir(parents=True)
    (root / "scenes").mkdir()
    (root / "workspace.mel").write_text('workspace -fr "sourceImages" "sourceimages";\n')
    lines = [
        "//Maya ASCII 2025ff03 scene\n//Codeset: UTF-8\n",
        'requires maya "2025ff03";\nrequires "mtoa" "5.4.5";\n',
        "currentUnit -l centimeter -a degree -t film;\n",
        'fileInfo "version" "2025";\n',
        'createNode transform -s -n "persp";\ncreateNode camera -s -n "perspShape" -p "persp";\n',
    ]
    for i in range(count):
        folder = f"set{i % folders:02d}"
        name = f"tex_{i:05d}.png"
        if i % missing_every:
            (root / "sourceimages" / folder).mkdir(exist_ok=True)
            (root / "sourceimages" / folder / name).write_bytes(b"%05d" % i)
        lines.append(f'createNode file -n "tex{i:05d}";\n')
        lines.append(f'\tsetAttr ".ftn" -type "string" "sourceimages/{folder}/{name}";\n')
    lines.append('select -ne :defaultRenderGlobals;\n\tsetAttr ".ren" -type "string" "arnold";\n')
    lines.append("// End of many.ma\n")
    scene = root / "scenes" / "many.ma"
    scene.write_text("".join(lines), encoding="utf-8")
    return scene


# -- a render node, simulated over HTTP --------------------------------------------------------
def blob_ref(data: bytes) -> dict[str, Any]:
    """The `{md5, xxh64, size}` of some bytes."""
    return {"md5": hashlib.md5(data).hexdigest(), "xxh64": xxhash.xxh64(data).hexdigest(),
            "size": len(data)}  # fmt: skip


def png_bytes(colour: str, width: int = 160, height: int = 90) -> bytes:
    """A small PNG of one colour (a frame's preview)."""
    from farmhand.panel.qt import QtCore, QtGui

    image = QtGui.QImage(width, height, QtGui.QImage.Format.Format_RGB32)
    image.fill(QtGui.QColor(colour))
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


class RenderNode:
    """A worker registered on the test server that claims tasks and reports them done/failed."""

    def __init__(
        self, server: Any, software: dict[str, Any], name: str = "node01", **caps: Any
    ) -> None:
        self.server = server
        admin = server.session()
        enrol = admin.post(server.url("/workers/enrolment-tokens"), json={}).json()["token"]
        cg = {software["cg_name"]: {software["cg_version"]: {"plugins": software["plugins"]}}}
        body = {"name": name, "ram_gb": 64, "cpu_cores": 16, "software": cg, **caps}
        answer = server.session(enrol).post(server.url("/workers/register"), json=body)
        assert answer.status_code == 201, answer.text
        self.session: requests.Session = server.session(answer.json()["token"])

    def claim(self) -> dict[str, Any] | None:
        """One task, or None when there is nothing for this node."""
        answer = self.session.post(self.server.url("/workers/claim"), json={"wait": 0})
        if answer.status_code == 204:
            return None
        assert answer.status_code == 200, answer.text
        return answer.json()

    def upload(self, attempt_id: int, data: bytes) -> dict[str, Any]:
        """Upload bytes for an attempt (as the job owner's blob)."""
        ref = blob_ref(data)
        url = self.server.url("/uploads")
        upload = self.session.post(url, json={**ref, "attempt_id": attempt_id}).json()
        if not upload.get("complete"):
            self.session.put(self.server.url(f"/uploads/{upload['id']}"), data=data,
                             headers={"Upload-Offset": "0"})  # fmt: skip
            done = self.session.post(self.server.url(f"/uploads/{upload['id']}/complete"))
            assert done.status_code == 200, done.text
        return ref

    def finish(self, assignment: dict[str, Any], colour: str = "#4a7fb0") -> None:
        """Complete a task with one image and a preview per frame."""
        attempt = assignment["attempt_id"]
        outputs = []
        for frame in assignment["task"]["frames"]:
            image = self.upload(attempt, b"EXR frame %d " % frame + os.urandom(64))
            name = f"beauty/shot.{frame:04d}.exr"
            preview = self.upload(attempt, png_bytes(colour))
            outputs.append({"name": name, "kind": "image", "frame": frame, **image})
            outputs.append({"name": f".previews/shot.{frame:04d}.png", "kind": "preview",
                            "frame": frame, "preview_of": name, **preview})  # fmt: skip
        url = self.server.url(f"/attempts/{attempt}/complete")
        answer = self.session.post(url, json={"outputs": outputs})
        assert answer.status_code == 200, answer.text

    def fail(self, assignment: dict[str, Any]) -> None:
        """Report a task failed."""
        url = self.server.url(f"/attempts/{assignment['attempt_id']}/fail")
        answer = self.session.post(url, json={"exit_code": 1, "message": "render crashed"})
        assert answer.status_code == 200, answer.text


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, result) of one call."""
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def iter_corpus(corpus_dir: Path) -> Iterator[Path]:
    """The corpus scenes listed in INDEX.tsv."""
    for line in (corpus_dir / "INDEX.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            yield corpus_dir / line.split("\t", 1)[0]
