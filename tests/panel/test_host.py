"""OfflineHost: re-paths applied to the analysis and the manifest, choices in a sidecar."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from farmhand.panel.host import (
    REPATHED,
    OfflineHost,
    SceneHost,
    fallback_path,
    sidecar_path,
)
from farmhand.submit.client_files import client_files
from panel_support import copy_shot, isolated  # noqa: F401


def test_offline_host_is_a_scene_host(isolated) -> None:  # noqa: F811
    host = OfflineHost(copy_shot(isolated))
    assert isinstance(host, SceneHost)
    assert host.name == "offline"
    host.select("poster_FILE")
    assert host.selected == ["poster_FILE"]


def test_a_relative_texture_repathed_lands_where_the_scene_looks(isolated) -> None:  # noqa: F811
    scene = copy_shot(isolated)
    before = scene.read_bytes()
    moved = isolated / "elsewhere" / "poster_final.png"
    moved.parent.mkdir()
    moved.write_bytes(b"poster bytes")
    host = OfflineHost(scene)
    assert host.analyse().blocking
    host.repath("poster_FILE", "fileTextureName", str(moved))
    analysis = host.analyse()
    assert not analysis.blocking
    [dep] = [d for d in analysis.asset if d.node == "poster_FILE"]
    looks = (scene.parent.parent / "sourceimages/decals/poster_v002.png").as_posix()
    assert (dep.path, dep.resolved, dep.exists, dep.size) == (looks, str(moved), True, 12)
    assert (looks, str(moved)) in client_files(analysis)
    assert [d.code for d in analysis.diagnostics if d.node == "poster_FILE"] == [REPATHED]
    assert scene.read_bytes() == before
    # Another host on the same scene (the panel opened again) applies it too; until undone.
    again = OfflineHost(scene)
    assert [r.new_path for r in again.repaths] == [str(moved)]
    assert not again.analyse().blocking
    again.forget_repath("poster_FILE", "fileTextureName")
    assert OfflineHost(scene).analyse().blocking


def test_a_udim_set_repathed_ships_every_tile_under_the_scenes_names(
    isolated,  # noqa: F811
    scenes_dir: Path,
) -> None:
    shutil.copy(scenes_dir / "textures_udim.ma", isolated / "udim.ma")
    library = isolated / "library"
    library.mkdir()
    for tile in (1001, 1002):
        (library / f"skin_diffuse.{tile}.png").write_bytes(b"tile %d" % tile)
    host = OfflineHost(isolated / "udim.ma", project=str(isolated))
    skin = [d for d in host.analyse().asset if d.node == "skinFile"]
    assert [d.exists for d in skin] == [False]
    # Picking one tile re-paths the node to the folder's UDIM pattern.
    host.repath("skinFile", "fileTextureName", str(library / "skin_diffuse.1002.png"))
    assert host.repaths[0].new_path == str(library / "skin_diffuse.<UDIM>.png")
    analysis = host.analyse()
    skin = [d for d in analysis.asset if d.node == "skinFile"]
    looks = (isolated / "textures" / "udim").as_posix()
    assert sorted((d.path, d.resolved) for d in skin) == [
        (f"{looks}/skin_diffuse.{t}.png", str(library / f"skin_diffuse.{t}.png"))
        for t in (1001, 1002)
    ]
    pairs = client_files(analysis)
    assert all((d.path, d.resolved) in pairs for d in skin)


def test_repaths_are_refused_with_a_reason(isolated) -> None:  # noqa: F811
    host = OfflineHost(copy_shot(isolated))
    host.analyse()
    with pytest.raises(ValueError, match="does not exist"):
        host.repath("poster_FILE", "fileTextureName", str(isolated / "nope.png"))
    with pytest.raises(ValueError, match="is not a file the scene depends on"):
        host.repath("nosuchNode", "fileTextureName", str(isolated))
    with pytest.raises(ValueError, match="empty"):
        host.repath("poster_FILE", "fileTextureName", " ")
    assert host.repaths == []


def test_choices_go_beside_the_scene_or_to_the_config_dir_when_it_is_read_only(
    isolated,  # noqa: F811
) -> None:
    scene = copy_shot(isolated)
    host = OfflineHost(scene)
    assert host.load_choices() == {}
    host.save_choices({"priority": 70})
    assert json.loads(sidecar_path(scene).read_text())["choices"] == {"priority": 70}
    assert OfflineHost(scene).load_choices() == {"priority": 70}

    locked = isolated / "published"
    locked.mkdir()
    shutil.copy(scene, locked / "shot.ma")
    mode = locked.stat().st_mode
    locked.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        host = OfflineHost(locked / "shot.ma")
        host.save_choices({"priority": 20})
        assert os.listdir(locked) == ["shot.ma"]
        assert host.store_path() == fallback_path(locked / "shot.ma")
        assert str(host.store_path()).startswith(str(isolated / "config"))
        assert OfflineHost(locked / "shot.ma").load_choices() == {"priority": 20}
    finally:
        locked.chmod(mode)
