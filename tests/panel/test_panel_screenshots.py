"""Screenshots of every panel section at a realistic size, on the example shot and a real farm;
the Scene and Job sections on a multi-layer, multi-camera scene, also at a 460-pixel dock width.

`FARMHAND_SCREENSHOTS=docs/screenshots pytest tests/panel/test_panel_screenshots.py`
regenerates the images docs/panel.md shows; without it they go to tmp_path only.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from panel_support import (  # noqa: F401
    SCREENSHOT_SIZE,
    RenderNode,
    copy_shot,
    dark,
    isolated,
    open_panel,
    screenshot,
    wait_for,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from test_panel_task_detail import click_frame


@pytest.fixture
def show_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short folder for the shot (the screenshots show its paths), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="show-"))
    monkeypatch.setenv("FARMHAND_PRESETS", str(folder / "studio-presets"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


SECTIONS = ("assets", "checks", "submit", "jobs", "presets")  # on the example shot
DOCK_SIZE = (460, 900)  # Maya's dock, docked beside the viewport
LAYERS_SCENE = Path(__file__).resolve().parents[1] / "scenes" / "layers_and_cameras.ma"


def distinct_colours(path: Path) -> int:
    """How many different colours a sample of the image's pixels has (a blank grab has 1)."""
    image = QImage(str(path))
    step = 7
    return len({image.pixel(x, y) for x in range(0, image.width(), step)
                for y in range(0, image.height(), step)})  # fmt: skip


def test_every_section_at_a_realistic_size(
    qtbot,
    farm,
    isolated,  # noqa: F811
    dark,  # noqa: F811
    show_dir: Path,
    tmp_path: Path,
) -> None:
    server, token = farm
    admin = server.session()
    admin.put(server.url("/hardware-configs/418"),
              json={"name": "Arnold CPU", "ram_gb": 64, "cpu_cores": 24})  # fmt: skip
    admin.put(server.url("/hardware-configs/419"),
              json={"name": "GPU node", "ram_gb": 128, "cpu_cores": 32, "gpu_count": 2,
                    "gpu_model": "RTX 4090"})  # fmt: skip
    studio = show_dir / "studio-presets"
    studio.mkdir()
    (studio / "arnold_final.json").write_text(json.dumps({
        "description": "Final frames: 4 per task, first and last first, 12 h per task",
        "frames_per_task": 4, "priority": 60, "time_out": 43200,
        "test_frames": {"first": True, "last": True},
    }, indent=2))  # fmt: skip
    (studio / "lookdev_tiles.json").write_text(json.dumps({
        "description": "One big still in 16 blocks", "tiles": 16, "tiles_type": "block",
        "priority": 70}))  # fmt: skip
    scene = copy_shot(show_dir)
    # One more texture, named by a Windows path from another machine and found on a search
    # path: a warning (re-path it) and a notice (outside the project) beside the error.
    text = scene.read_text(encoding="utf-8")
    rust = "D:/old_jobs/textures/rust_diffuse.png"
    node = f'createNode file -n "rust_FILE";\n\tsetAttr ".ftn" -type "string" "{rust}";\n'
    scene.write_text(text.replace("// End of", node + "// End of"), encoding="utf-8")
    old_textures = show_dir / "old_textures"
    old_textures.mkdir()
    (old_textures / "rust_diffuse.png").write_bytes(os.urandom(5000))
    library = show_dir / "library" / "posters"
    library.mkdir(parents=True)
    (library / "poster_v002.png").write_bytes(os.urandom(3000))
    panel = open_panel(qtbot, scene, size=SCREENSHOT_SIZE)
    panel.state.update(search_paths=[str(old_textures)])
    shots: dict[str, Path] = {}

    form = panel.show_section("submit").login_form
    form.server.setText(server.base.removesuffix("/api/v1"))
    form.token.setText(token)
    form.connect_button.click()
    wait_for(qtbot, lambda: panel.state.farm_loads >= 1)

    checks = panel.show_section("checks")
    codes = [d.code for d in checks.diagnostics()]
    assert codes == ["missing-texture", "file-found-elsewhere", "absolute-path-outside-project"]
    shots["checks"] = screenshot(panel, "panel-checks", tmp_path)

    assets = panel.show_section("assets")
    assets.select_dependency("poster_FILE")
    assets.locate_in(show_dir / "library")
    wait_for(qtbot, lambda: assets.suggestions)
    shots["assets"] = screenshot(panel, "panel-assets", tmp_path)
    assets.apply_suggestions()
    assert panel.submit_button.isEnabled()

    # One layer: My jobs' grid then has one square per frame of it.
    panel.state.update(layers=["rs_beauty"])
    job = panel.show_section("job")
    job.preset.setCurrentIndex(job.preset.findData("arnold_final"))
    job.hw_config.setChecked(True)
    job.hw_configs.setCurrentIndex(job.hw_configs.findData("418"))
    wait_for(qtbot, lambda: job.last_preview is not None
             and job.last_preview.spec.get("priority") == 60)  # fmt: skip

    assert panel.submit()
    submit = panel.submit_page
    wait_for(qtbot, lambda: submit.result is not None or submit.error, timeout=60)
    assert submit.error == ""
    shots["submit"] = screenshot(panel, "panel-submit", tmp_path)

    spec = server.session(token).get(server.url(f"/jobs/{submit.result.job['id']}")).json()
    node = RenderNode(server, spec["spec"]["software"], hardware_config_id="418")
    colours = iter(["#c8553d", "#2a9d8f", "#e9c46a", "#264653", "#f4a261"])
    for _ in range(4):  # the two test frames, then two chunks
        assignment = node.claim()
        assert assignment is not None
        node.finish(assignment, next(colours))
    running = node.claim()
    assert running is not None
    submit.open_button.click()
    jobs = panel.jobs_page
    wait_for(qtbot, lambda: jobs.grid.counts().get("running") and len(jobs.previews) >= 10,
             timeout=30)  # fmt: skip
    shots["jobs"] = screenshot(panel, "panel-jobs", tmp_path)
    # A frame another node failed, opened: its attempt, its log, why it waits now.
    other = RenderNode(server, spec["spec"]["software"], name="node02", hardware_config_id="418")
    failing = other.claim()
    lines = b"".join(b"00:00:%02d  1200MB  | [kick] rendering tile %d of 64\n" % (i, i)
                     for i in range(1, 9))  # fmt: skip
    lines += b"00:00:09  ERROR | [mtoa] license not available\n"
    other.session.post(server.url(f"/attempts/{failing['attempt_id']}/log"), data=lines)
    other.fail(failing)
    failed_frame = failing["task"]["frames"][0]
    wait_for(qtbot, lambda: any(a for t in jobs.tasks if failed_frame in t["frames"]
                                for a in t["attempts"]))  # fmt: skip
    click_frame(qtbot, jobs.grid, failed_frame)
    wait_for(qtbot, lambda: "license not available" in jobs.detail.log.toPlainText()
             and "busy" in jobs.detail.waiting.text())  # fmt: skip
    details = {"panel-jobs-detail": screenshot(panel, "panel-jobs-detail", tmp_path)}

    presets = panel.show_section("presets")
    presets.list.setCurrentRow(0)
    presets.check()
    shots["presets"] = screenshot(panel, "panel-presets", tmp_path)

    assert sorted(shots) == sorted(SECTIONS)
    for name, path in [*shots.items(), *details.items()]:
        assert_shot(path, SCREENSHOT_SIZE, name)

    panel.resize(*DOCK_SIZE)
    wait_for(qtbot, lambda: panel.compact)
    panel.show_section("jobs")
    qtbot.wait(300)
    docked = screenshot(panel, "panel-jobs-dock", tmp_path)
    assert_shot(docked, DOCK_SIZE, "panel-jobs-dock")


def assert_shot(path: Path, size: tuple[int, int], name: str) -> None:
    """The image has the panel's size and is not blank."""
    image = QImage(str(path))
    ratio = image.devicePixelRatio()
    assert (image.width() / ratio, image.height() / ratio) == size, name
    assert distinct_colours(path) > 20, f"{name} looks blank"


def test_scene_and_job_of_a_multi_layer_scene_wide_and_docked(
    qtbot,
    farm,
    isolated,  # noqa: F811
    dark,  # noqa: F811
    show_dir: Path,
    tmp_path: Path,
) -> None:
    server, token = farm
    project = show_dir / "sq020"
    (project / "scenes").mkdir(parents=True)
    (project / "workspace.mel").write_text('workspace -fr "images" "images";\n')
    scene = project / "scenes" / "layers_and_cameras.ma"
    shutil.copy(LAYERS_SCENE, scene)
    # The farm's only node has Maya 2022: the 2023 scene's job would wait, and the Job
    # section says so.
    RenderNode(server, {"cg_name": "Maya", "cg_version": "2022", "plugins": {}})
    panel = open_panel(qtbot, scene, size=SCREENSHOT_SIZE)
    form = panel.show_section("submit").login_form
    form.server.setText(server.base.removesuffix("/api/v1"))
    form.token.setText(token)
    form.connect_button.click()
    wait_for(qtbot, lambda: panel.state.farm_loads >= 1)

    scene_page = panel.show_section("scene")
    bg = next(scene_page.layers.topLevelItem(i) for i in range(3)
              if scene_page.layers.topLevelItem(i).text(0) == "bg")  # fmt: skip
    bg.child(0).setCheckState(0, Qt.CheckState.Unchecked)  # bg renders hero only
    scene_page.show_written()
    assert "images/bg/hero/layers_and_cameras.001.png" in scene_page.written.plain_text()
    shots = {"panel-scene": screenshot(panel, "panel-scene", tmp_path)}
    job = panel.show_section("job")
    job.fpt.setValue(2)
    job.test_first.setChecked(True)
    wait_for(qtbot, lambda: "online: Maya 2022 on 1 worker" in job.plan.warning.text()
             and job.last_preview.spec.get("frames_per_task") == 2)  # fmt: skip
    shots["panel-job"] = screenshot(panel, "panel-job", tmp_path)
    for name, path in shots.items():
        assert_shot(path, SCREENSHOT_SIZE, name)

    panel.resize(*DOCK_SIZE)
    wait_for(qtbot, lambda: panel.compact)
    scene_page = panel.show_section("scene")
    qtbot.wait(100)
    docked = {"panel-scene-dock": screenshot(panel, "panel-scene-dock", tmp_path)}
    panel.show_section("job")
    qtbot.wait(100)
    docked["panel-job-dock"] = screenshot(panel, "panel-job-dock", tmp_path)
    for name, path in docked.items():
        assert_shot(path, DOCK_SIZE, name)
