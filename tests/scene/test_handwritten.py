"""Hand-written Maya ASCII scenes: each test checks facts written into one scene file.

The scenes live in `tests/scenes/` (one feature each) and `examples/shot/` (a
small production-like project). Every expected value below can be read in the
scene file or on disk next to it; none is copied from analyzer output. The
JSON shape and the diagnostic codes are the contract in `docs/analysis.md`.

Frame numbers: a time value in a `.ma` is written in the scene's
`currentUnit -t` unit, which is Maya's frame unit, so `setAttr ".fs" 101` in
an ntsc scene is frame 101 and `fps` is 30.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from farmhand.scene import analyze
from farmhand.scene.errors import SceneParseError

REPO = Path(__file__).resolve().parents[2]
SCENES = REPO / "tests" / "scenes"
EXAMPLE = REPO / "examples" / "shot"
EXAMPLE_SCENE = EXAMPLE / "scenes" / "shot010_lighting.ma"

# Maya's four startup cameras; top/front/side are written with `.rnd no`.
STARTUP_CAMERAS = {"perspShape", "topShape", "frontShape", "sideShape"}
# Cameras are reported by transform, the name `Render -cam` and `<Camera>` use.
STARTUP_TRANSFORMS = {"persp", "top", "front", "side"}


# --------------------------------------------------------------------------- helpers


@cache
def _analyze_json(path: str, project: str | None, search_paths: tuple[str, ...]) -> str:
    result = analyze(path, project=project, search_paths=list(search_paths))
    return json.dumps(result.to_dict())


def run(path: Path, project: Path | None = None, search_paths: tuple[Path, ...] = ()) -> dict:
    """Analyse a scene and return the JSON-able dict (cached; each test gets a fresh copy)."""
    text = _analyze_json(
        str(path), str(project) if project else None, tuple(str(p) for p in search_paths)
    )
    return json.loads(text)


def loose(name: str) -> dict:
    """A scene directly in tests/scenes; its relative paths are relative to that folder."""
    return run(SCENES / name, project=SCENES)


def assets_of(data: dict, node: str) -> list[dict]:
    return [a for a in data["asset"] if a["node"] == node]


def asset_of(data: dict, node: str) -> dict:
    found = assets_of(data, node)
    assert len(found) == 1, f"expected one dependency from {node}, got {found}"
    return found[0]


def asset_by_path(data: dict, path: str) -> dict:
    found = [a for a in data["asset"] if a["path"] == path]
    assert found, f"no dependency with path {path!r} in {[a['path'] for a in data['asset']]}"
    return found[0]


def asset_ending(data: dict, suffix: str) -> dict:
    """A dependency whose path as written or resolved path ends with `suffix` (`/` separators)."""
    for a in data["asset"]:
        for value in (a["path"], a["resolved"]):
            if value and value.replace("\\", "/").endswith(suffix):
                return a
    raise AssertionError(f"no dependency ending with {suffix!r}")


def diags(data: dict, code: str | None = None, severity: str | None = None) -> list[dict]:
    return [
        d
        for d in data["diagnostics"]
        if (code is None or d["code"] == code) and (severity is None or d["severity"] == severity)
    ]


def layer(data: dict, name: str) -> dict:
    return data["scene_info_render"][name]


def common(data: dict, name: str = "defaultRenderLayer") -> dict:
    return layer(data, name)["common"]


def basenames(entries: list[dict]) -> list[str]:
    return sorted(Path(e["path"].replace("\\", "/")).name for e in entries)


def size_of(*paths: Path) -> int:
    return sum(p.stat().st_size for p in paths)


def cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "scripts"), env.get("PYTHONPATH", "")) if p
    )
    return subprocess.run(
        [sys.executable, "-m", "farmhand", "analyze", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


def test_scenes_dir_fixture_points_here(scenes_dir: Path) -> None:
    assert scenes_dir == SCENES


# --------------------------------------------------------------------------- time units


def test_time_ntsc_render_range_is_in_frames() -> None:
    # currentUnit -t ntsc; .an yes; .fs 101; .ef 148; .bfs 2; time1.o 101;
    # playbackOptions -min 1 -max 200 is the playback range, not the render range.
    data = loose("time_ntsc.ma")
    assert data["time_unit"] == "ntsc"
    assert data["fps"] == 30
    assert data["linear_unit"] == "centimeter"
    assert data["maya_version"] == "2025ff03"
    assert data["codeset"] == "1252"
    assert data["current_frame"] == 101
    c = common(data)
    assert c["animation"] is True
    assert (c["start"], c["end"], c["by_frame"]) == (101, 148, 2)
    assert c["frames"] == "101-148[2]"
    assert c["renderer"] == "mayaSoftware"  # .ren not written: Maya's default


def test_time_pal_flags_before_values() -> None:
    # setAttr -av -cb on ".an" yes; setAttr -k on ".fs" 1; setAttr -k on ".ef" 50;
    # setAttr -av -k on ".bfs";  (flags only, no value: byFrameStep stays 1)
    data = loose("time_pal.ma")
    assert data["time_unit"] == "pal"
    assert data["fps"] == 25
    c = common(data)
    assert c["animation"] is True
    assert (c["start"], c["end"], c["by_frame"]) == (1, 50, 1)
    assert c["frames"] == "1-50[1]"


def test_time_23976() -> None:
    # requires maya "2024"; currentUnit -t 23.976fps; .fs 1001; .ef 1048; time1.o 1001
    data = loose("time_23976.ma")
    assert data["time_unit"] == "23.976fps"
    assert data["fps"] == pytest.approx(23.976)
    assert data["maya_version"] == "2024"
    assert data["software_config"]["cg_name"] == "Maya"
    assert data["software_config"]["cg_version"] == "2024"
    assert data["current_frame"] == 1001
    c = common(data)
    assert (c["start"], c["end"]) == (1001, 1048)
    assert c["frames"] == "1001-1048[1]"


def test_time_80fps_default_start() -> None:
    # currentUnit -t 80fps; .an yes; .ef 160; .fs not written (Maya's default is 1)
    data = loose("time_80fps.ma")
    assert data["time_unit"] == "80fps"
    assert data["fps"] == 80
    c = common(data)
    assert (c["start"], c["end"], c["by_frame"]) == (1, 160, 1)
    assert c["frames"] == "1-160[1]"


# --------------------------------------------------------------------------- textures


def test_udim_token_lists_each_tile() -> None:
    data = loose("textures_udim.ma")
    skin = asset_of(data, "skinFile")
    assert skin["kind"] == "texture"
    assert skin["attribute"] == "fileTextureName"
    assert skin["plug"] == "skinFile.fileTextureName"
    assert skin["path"] == "textures/udim/skin_diffuse.<UDIM>.png"
    assert skin["pattern"] is True
    assert skin["exists"] is True
    # skin_diffuse.preview.png sits in the same folder and is not a tile.
    assert basenames(skin["files"]) == ["skin_diffuse.1001.png", "skin_diffuse.1002.png"]
    tiles = SCENES / "textures" / "udim"
    assert skin["size"] == size_of(tiles / "skin_diffuse.1001.png", tiles / "skin_diffuse.1002.png")
    assert not diags(data, severity="error")


def test_udim_mode_with_concrete_tile() -> None:
    # .ftn names tile 1001 and .uvt 3 (UDIM) makes it a pattern: 1001, 1002 and 1011 exist.
    data = loose("textures_udim.ma")
    cloth = asset_of(data, "clothFile")
    assert cloth["path"] == "textures/udim/cloth_color.1001.png"
    assert cloth["pattern"] is True
    assert cloth["exists"] is True
    assert basenames(cloth["files"]) == [
        "cloth_color.1001.png",
        "cloth_color.1002.png",
        "cloth_color.1011.png",
    ]


def test_frame_sequences() -> None:
    data = loose("textures_sequence.ma")
    flame = asset_of(data, "flameFile")
    assert flame["path"] == "textures/seq/flame.<f>.png"
    assert flame["pattern"] is True and flame["exists"] is True
    assert basenames(flame["files"]) == [f"flame.{f:04d}.png" for f in range(1, 6)]

    smoke = asset_of(data, "smokeFile")
    assert smoke["path"] == "textures/seq/smoke.####.exr"
    assert smoke["pattern"] is True and smoke["exists"] is True
    assert basenames(smoke["files"]) == [f"smoke.{f:04d}.exr" for f in range(1, 4)]
    seq = SCENES / "textures" / "seq"
    assert smoke["size"] == size_of(*(seq / f"smoke.{f:04d}.exr" for f in range(1, 4)))

    # .ufe yes with a concrete frame in .ftn: Maya reads dust.<frame>.png each frame.
    dust = asset_of(data, "dustFile")
    assert dust["path"] == "textures/seq/dust.0001.png"
    assert dust["pattern"] is True and dust["exists"] is True
    assert basenames(dust["files"]) == [f"dust.{f:04d}.png" for f in range(1, 5)]
    assert not diags(data, severity="error")


# --------------------------------------------------------------------------- dependency kinds

FILE_KINDS = SCENES / "file_kinds"

# node -> (kind, long attribute name, path as written = file under the project)
KINDS = {
    "kindsFile": ("texture", "fileTextureName", "sourceimages/kinds_albedo.png"),
    "animGeo_AlembicNode": ("alembic", "abc_File", "cache/alembic/anim.abc"),
    "buildingShape": ("gpu_cache", "cacheFileName", "cache/gpu/building.abc"),
    "rockStandInShape": ("standin", "dso", "standins/rock.ass"),
    "decalMask": ("image", "filename", "sourceimages/decal_mask.png"),
    "smokeVolumeShape": ("volume", "filename", "volumes/smoke.vdb"),
    "spotIesShape": ("ies", "aiFilename", "ies/spot.ies"),
    "dialogue": ("audio", "filename", "sound/dialogue.wav"),
    "imagePlaneShape1": ("image_plane", "imageName", "sourceimages/plates/bg_plate.png"),
    "defaultColorMgtGlobals": ("ocio", "configFilePath", "color/config.ocio"),
    "setStageShape": ("usd", "filePath", "usd/set.usda"),
    "furShape": ("yeti", "cacheFileName", "cache/yeti/groom.fur"),
}


@pytest.mark.parametrize("node", sorted(KINDS))
def test_file_kind(node: str) -> None:
    kind, attribute, rel = KINDS[node]
    data = run(FILE_KINDS / "file_kinds.ma")
    # A stand-in's node also owns the files its .ass names, so select by kind too.
    found = [a for a in assets_of(data, node) if a["kind"] == kind]
    assert len(found) == 1, assets_of(data, node)
    a = found[0]
    assert a["attribute"] == attribute
    assert a["path"] == rel
    assert a["exists"] is True
    assert Path(a["resolved"]) == FILE_KINDS / rel
    assert a["size"] == (FILE_KINDS / rel).stat().st_size


def test_file_kinds_cache_file_xml() -> None:
    # cacheFile: .cp "cache/nCache/" + .cn "clothShape1" -> clothShape1.xml (+ clothShape1.mc)
    data = run(FILE_KINDS / "file_kinds.ma")
    found = assets_of(data, "clothShape1Cache1")
    assert found, "cacheFile node gave no dependency"
    assert all(a["kind"] == "cache" and a["exists"] for a in found)
    named = " ".join(f"{a['path']} {a['resolved']}" for a in found).replace("\\", "/")
    assert "cache/nCache" in named and "clothShape1" in named


def test_file_kinds_project_found_by_walking_up() -> None:
    data = run(FILE_KINDS / "file_kinds.ma")
    assert Path(data["project"]) == FILE_KINDS
    assert data["renderer"] == "arnold"


def test_file_kinds_standin_names_a_texture() -> None:
    # standins/rock.ass has `image { filename "sourceimages/rock_albedo.png" }`.
    data = run(FILE_KINDS / "file_kinds.ma")
    a = asset_by_path(data, "sourceimages/rock_albedo.png")
    assert a["exists"] is True
    assert Path(a["resolved"]) == FILE_KINDS / "sourceimages" / "rock_albedo.png"


def test_file_kinds_camera_image_name_is_not_a_file() -> None:
    # camera shapes also have `.imn` ("persp", "plateCam"): that is not an image plane.
    data = run(FILE_KINDS / "file_kinds.ma")
    nodes = {a["node"] for a in data["asset"]}
    assert not nodes & (STARTUP_CAMERAS | {"plateCamShape"})


def test_file_kinds_all_present() -> None:
    data = run(FILE_KINDS / "file_kinds.ma")
    assert data["missing"] == []
    assert not diags(data, severity="error")
    assert all(a["exists"] for a in data["asset"])


def test_file_kinds_plugins_from_requires() -> None:
    data = run(FILE_KINDS / "file_kinds.ma")
    plugins = data["software_config"]["plugins"]
    assert plugins["mtoa"] == "5.4.5"
    assert plugins["AbcImport"] == "1.0"
    assert plugins["gpuCache"] == "1.0"
    assert plugins["mayaUsdPlugin"] == "0.30.0"
    assert plugins["pgYetiMaya"] == "4.2.11"
    assert plugins["stereoCamera"] == "10.0"
    assert "maya" not in plugins
    assert data["software_config"]["cg_version"] == "2025"


# --------------------------------------------------------------------------- render layers


def test_render_setup_layers() -> None:
    data = loose("render_setup_overrides.ma")
    assert data["render_layer_type"] == 1
    assert set(data["scene_info_render"]) == {
        "defaultRenderLayer",
        "rs_layerShort",
        "rs_layerCam",
        "rs_layerOff",
    }
    assert layer(data, "defaultRenderLayer")["display_name"] == "masterLayer"
    assert layer(data, "rs_layerShort")["display_name"] == "layerShort"
    assert layer(data, "rs_layerCam")["display_name"] == "layerCam"
    assert layer(data, "defaultRenderLayer")["renderable"] is True
    assert layer(data, "rs_layerShort")["renderable"] is True
    assert layer(data, "rs_layerCam")["renderable"] is True
    assert layer(data, "rs_layerOff")["renderable"] is False  # rs_layerOff.rndr no


def test_render_setup_master_settings() -> None:
    data = loose("render_setup_overrides.ma")
    c = common(data)
    assert c["renderer"] == "arnold"
    assert c["image_format"] == "exr"
    assert c["image_file_prefix"] == "<RenderLayer>/<Scene>"
    assert (c["width"], c["height"]) == (1280, 720)
    assert (c["start"], c["end"]) == (1, 48)
    assert set(c["all_camera"]) == STARTUP_TRANSFORMS | {"mainCam", "altCam"}
    assert c["render_camera"] == ["mainCam"]  # perspShape and altCamShape: .rnd no


def test_render_setup_frame_range_override() -> None:
    # layerShort's renderSettingsCollection: absUniqueOverride startFrame 10, endFrame 20
    # (tgName defaultRenderGlobals).
    data = loose("render_setup_overrides.ma")
    c = common(data, "rs_layerShort")
    assert (c["start"], c["end"]) == (10, 20)
    assert c["frames"] == "10-20[1]"
    assert c["render_camera"] == ["mainCam"]
    assert (c["width"], c["height"]) == (1280, 720)


def test_render_setup_camera_overrides() -> None:
    # layerCam: absOverride renderable yes on |altCam|altCamShape, and an absOverride
    # renderable on |mainCam|mainCamShape whose attrValue is never set (bool default 0).
    data = loose("render_setup_overrides.ma")
    c = common(data, "rs_layerCam")
    assert c["render_camera"] == ["altCam"]
    assert (c["start"], c["end"]) == (1, 48)


def test_legacy_layers() -> None:
    data = loose("legacy_layers.ma")
    assert data["render_layer_type"] == 0
    assert set(data["scene_info_render"]) == {"defaultRenderLayer", "bgLayer", "fxLayer"}
    assert layer(data, "defaultRenderLayer")["renderable"] is True
    assert layer(data, "bgLayer")["renderable"] is True
    assert layer(data, "fxLayer")["renderable"] is False  # fxLayer.rndr no
    master = common(data)
    assert master["render_camera"] == ["persp"]  # camAShape .rnd no
    assert (master["start"], master["end"]) == (1, 30)
    assert (master["width"], master["height"]) == (640, 360)


def test_legacy_layer_adjustments() -> None:
    # bgLayer.adjs: camAShape.rnd 1, perspShape.rnd 0, defaultRenderGlobals.fs 5 and .ef 15.
    data = loose("legacy_layers.ma")
    c = common(data, "bgLayer")
    assert c["render_camera"] == ["camA"]
    assert (c["start"], c["end"]) == (5, 15)
    assert c["frames"] == "5-15[1]"
    fx = common(data, "fxLayer")
    assert fx["render_camera"] == ["persp"]
    assert (fx["start"], fx["end"]) == (1, 30)


def test_long_attribute_names() -> None:
    # Saved with long names: .currentRenderer, .startFrame, .fileTextureName, .renderable,
    # createNode -name/-parent/-shared, select -noExpand, currentUnit -linear/-time.
    data = loose("long_names.ma")
    assert data["maya_version"] == "2024"
    assert data["codeset"] == "UTF-8"
    assert data["time_unit"] == "film"
    assert data["linear_unit"] == "centimeter"
    assert data["renderer"] == "mayaHardware2"
    c = common(data)
    assert c["animation"] is True
    assert (c["start"], c["end"], c["by_frame"]) == (3, 9, 3)
    assert c["frames"] == "3-9[3]"
    assert (c["width"], c["height"]) == (320, 240)
    assert c["image_file_prefix"] == "long/<Scene>"
    assert c["render_camera"] == ["renderCam"]
    assert set(c["all_camera"]) == STARTUP_TRANSFORMS | {"renderCam"}
    brick = asset_of(data, "brickFile")
    assert brick["attribute"] == "fileTextureName"
    assert brick["path"] == "textures/long/brick.png"
    assert brick["exists"] is True


# --------------------------------------------------------------------------- references

REFS = SCENES / "refs_nested"


def test_nested_references() -> None:
    data = run(REFS / "scenes" / "shot.ma")
    assert Path(data["project"]) == REFS  # refs_nested/workspace.mel
    refs = {a["path"]: a for a in data["asset"] if a["kind"] == "reference"}
    # a.ma and b.ma (nested, `file -rdi 2`) are loaded; c.ma is unloaded but exists too.
    assert {"assets/a.ma", "assets/b.ma"} <= set(refs)
    for path, a in refs.items():
        assert a["exists"] is True, path
        assert Path(a["resolved"]) == REFS / path
        assert a["found_by"] == "project"
    a_ref = refs["assets/a.ma"]
    assert a_ref["node"] == "aRN"
    assert a_ref["attribute"] == "fileNames"
    assert not diags(data, "missing-reference")


def test_unloaded_reference_is_a_notice() -> None:
    # file -rdi 1 -ns "c" -dr 1 -rfn "cRN" ...: c.ma is unloaded.
    data = run(REFS / "scenes" / "shot.ma")
    unloaded = diags(data, "unloaded-reference")
    assert len(unloaded) == 1
    assert unloaded[0]["severity"] == "notice"
    assert unloaded[0]["node"] == "cRN" or unloaded[0]["path"] == "assets/c.ma"
    assert not diags(data, severity="error")


def test_nested_reference_texture() -> None:
    # b.ma (referenced by a.ma) has a file node naming sourceimages/b_color.png.
    data = run(REFS / "scenes" / "shot.ma")
    a = asset_by_path(data, "sourceimages/b_color.png")
    assert a["exists"] is True
    assert Path(a["resolved"]) == REFS / "sourceimages" / "b_color.png"


def test_reference_edit_texture() -> None:
    # propRN's dataReferenceEdits: 2 "prop:crate_FILE" "fileTextureName"
    #   " -type \"string\" \"textures/prop/crate_edited.png\""
    data = loose("ref_edits.ma")
    edited = [a for a in data["asset"] if a["from_reference_edit"]]
    assert len(edited) == 1
    a = edited[0]
    assert a["node"] == "prop:crate_FILE"
    assert a["attribute"] == "fileTextureName"
    assert a["path"] == "textures/prop/crate_edited.png"
    assert a["kind"] == "texture"
    assert a["exists"] is True
    ref = asset_by_path(data, "ref_edits_assets/prop.ma")
    assert ref["kind"] == "reference" and ref["node"] == "propRN" and ref["exists"] is True


# --------------------------------------------------------------------------- moved files

MOVED = SCENES / "moved_texture"
LIBRARY = MOVED / "library"


def test_moved_texture_missing_without_search_path() -> None:
    data = run(MOVED / "scene.ma")
    wood = asset_of(data, "woodFile")
    assert wood["path"] == "D:/old/place/wood.png"
    assert wood["exists"] is False
    assert data["missing"] == [{"woodFile.fileTextureName": "D:/old/place/wood.png"}]
    errors = diags(data, "missing-texture", "error")
    assert len(errors) == 1 and errors[0]["node"] == "woodFile"


def test_moved_texture_found_on_search_path() -> None:
    data = run(MOVED / "scene.ma", search_paths=(LIBRARY,))
    wood = asset_of(data, "woodFile")
    assert wood["exists"] is True
    assert wood["found_by"] == "search_path"
    assert Path(wood["resolved"]) == LIBRARY / "wood.png"
    assert wood["size"] == (LIBRARY / "wood.png").stat().st_size
    assert data["missing"] == []
    assert not diags(data, "missing-texture")
    found = diags(data, "file-found-elsewhere", "warning")
    assert len(found) == 1
    assert found[0]["node"] == "woodFile"
    assert str(LIBRARY / "wood.png") in found[0]["fix"]


# --------------------------------------------------------------------------- encodings, strings


def test_codeset_936() -> None:
    # //Codeset: 936 (GBK). A notes string ends with 誠, whose second GBK byte is 0x5C
    # (a backslash) right before the closing quote; the texture path is Chinese.
    data = loose("codeset_936.ma")
    assert data["codeset"] == "936"
    assert data["maya_version"] == "2022"
    a = asset_of(data, "muwenFile")
    assert a["path"] == "textures/贴图/木纹.png"
    assert a["exists"] is True
    assert Path(a["resolved"]) == SCENES / "textures" / "贴图" / "木纹.png"
    # Animation is not written (off): Maya renders the current frame, time1.o 12.
    assert data["current_frame"] == 12
    c = common(data)
    assert c["animation"] is False
    assert c["frames"] == "12"


def test_strings_tricky() -> None:
    data = loose("strings_tricky.ma")
    concat = asset_of(data, "concatFile")  # ("…/" + "concat.png") over two lines
    assert concat["path"] == (
        "textures/tricky/a_rather_long_folder_name_that_maya_splits_when_it_writes_the_scene/"
        "concat.png"
    )
    assert concat["exists"] is True
    semi = asset_of(data, "semicolonFile")  # statement wrapped; `;` inside the string
    assert semi["path"] == "textures/tricky/semi;colon.png"
    assert semi["exists"] is True
    back = asset_of(data, "backslashFile")  # "textures\\tricky\\back.png" in the file
    assert back["path"] == "textures\\tricky\\back.png"
    space = asset_of(data, "spaceFile")  # after a `.cs` setAttr wrapped over two lines
    assert space["path"] == "textures/tricky/with space.png"
    assert space["exists"] is True


def test_strings_tricky_mel_in_strings_is_not_parsed() -> None:
    # trickyScriptNode.b holds MEL text with setAttr/createNode and "// End of fake.ma".
    data = loose("strings_tricky.ma")
    assert not [a for a in data["asset"] if "not_a_dependency" in a["path"]]
    assert not assets_of(data, "notARealNode")
    assert not assets_of(data, "fake")
    assert {a["node"] for a in data["asset"]} == {
        "concatFile",
        "semicolonFile",
        "backslashFile",
        "spaceFile",
    }


def test_truncated_scene_raises_with_line_number() -> None:
    # Line 100 is `setAttr ".ftn" -type "string" "textures/trunc/wood_diff` and the file ends.
    path = SCENES / "malformed_truncated.ma"
    lines = path.read_text(encoding="utf-8").split("\n")
    assert len(lines) == 100 and lines[99].lstrip().startswith('setAttr ".ftn"')
    with pytest.raises(SceneParseError) as info:
        analyze(str(path))
    assert info.value.line == 100
    assert "100" in str(info.value)


# --------------------------------------------------------------------------- the example project


def test_example_header_and_project() -> None:
    data = run(EXAMPLE_SCENE)
    assert Path(data["scene_file"]) == EXAMPLE_SCENE
    assert data["scene_file_size"] == EXAMPLE_SCENE.stat().st_size
    assert Path(data["project"]) == EXAMPLE  # found by walking up to shot/workspace.mel
    assert data["maya_version"] == "2025ff03"
    assert data["codeset"] == "1252"
    assert (data["time_unit"], data["fps"]) == ("film", 24)
    assert data["renderer"] == "arnold"
    assert data["current_frame"] == 1
    sw = data["software_config"]
    assert sw["cg_name"] == "Maya" and sw["cg_version"] == "2025"
    assert sw["plugins"]["mtoa"] == "5.4.5"
    assert sw["plugins"]["xgenToolkit"] == "1.0"
    assert sw["plugins"]["AbcImport"] == "1.0"
    assert sw["plugins"]["renderSetup.py"] == "1.0"


def test_example_layers() -> None:
    data = run(EXAMPLE_SCENE)
    assert data["render_layer_type"] == 1
    assert set(data["scene_info_render"]) == {"defaultRenderLayer", "rs_beauty", "rs_char"}
    master = layer(data, "defaultRenderLayer")
    assert master["display_name"] == "masterLayer"
    assert master["renderable"] is False  # defaultRenderLayer.rndr no
    beauty, char = layer(data, "rs_beauty"), layer(data, "rs_char")
    assert (beauty["display_name"], char["display_name"]) == ("beauty", "char")
    assert beauty["renderable"] is True and char["renderable"] is True
    b = beauty["common"]
    assert b["animation"] is True
    assert (b["start"], b["end"], b["by_frame"]) == (1, 24, 1)
    assert b["frames"] == "1-24[1]"
    c = char["common"]
    assert (c["start"], c["end"]) == (5, 20)  # absUniqueOverride startFrame 5 / endFrame 20
    assert c["frames"] == "5-20[1]"


def test_example_common_settings() -> None:
    data = run(EXAMPLE_SCENE)
    for name in ("rs_beauty", "rs_char"):
        c = common(data, name)
        assert c["renderer"] == "arnold"
        assert (c["width"], c["height"]) == (1920, 1080)
        assert c["image_format"] == "exr"
        assert c["image_file_prefix"] == "<RenderLayer>/<Scene>"
        assert set(c["all_camera"]) == STARTUP_TRANSFORMS | {"shotCam", "witnessCam"}
        assert c["render_camera"] == ["shotCam"]


def test_example_arnold_options() -> None:
    # AA 6, GI diffuse 4, specular 3, SSS 2, transmission 5, volume 1; mb_en yes; 8192 MB.
    option = layer(run(EXAMPLE_SCENE), "rs_beauty")["option"]
    assert option["sampling"] == [6, 4, 3, 2, 5, 1]
    assert option["motion_blur_enable"] is True
    assert option["texture_max_memory_mb"] == 8192


def test_example_one_missing_texture() -> None:
    data = run(EXAMPLE_SCENE)
    poster = asset_of(data, "poster_FILE")
    assert poster["path"] == "sourceimages/decals/poster_v002.png"
    assert poster["exists"] is False
    assert len(data["missing"]) == 1
    [(plug, path)] = data["missing"][0].items()
    assert plug.split(".")[0] == "poster_FILE"
    assert path == "sourceimages/decals/poster_v002.png"
    errors = diags(data, severity="error")
    assert [d["code"] for d in errors] == ["missing-texture"]
    assert errors[0]["node"] == "poster_FILE"
    absent = [a["path"] for a in data["asset"] if not a["exists"] and not a["optional"]]
    assert absent == [poster["path"]]
    assert analyze(str(EXAMPLE_SCENE)).blocking is True


def test_example_textures() -> None:
    data = run(EXAMPLE_SCENE)
    si = EXAMPLE / "sourceimages"
    wall = asset_of(data, "wall_diffuse_FILE")
    assert wall["path"] == "sourceimages/set/wall_diffuse.png"
    assert wall["exists"] is True and wall["found_by"] == "project"
    assert Path(wall["resolved"]) == si / "set" / "wall_diffuse.png"
    floor = asset_of(data, "floor_rough_FILE")
    assert floor["path"] == "sourceimages/set/floor_rough.exr" and floor["exists"] is True
    dome = asset_of(data, "dome_FILE")
    assert dome["path"] == "sourceimages/hdri/studio_small.exr" and dome["exists"] is True

    skin = asset_of(data, "skin_diffuse_FILE")
    assert skin["path"] == "sourceimages/char/skin_diffuse.<UDIM>.png"
    assert skin["pattern"] is True and skin["exists"] is True
    assert basenames(skin["files"]) == ["skin_diffuse.1001.png", "skin_diffuse.1002.png"]

    smoke = asset_of(data, "smoke_FILE")
    assert smoke["path"] == "sourceimages/fx/smoke.<f>.png"
    assert smoke["pattern"] is True and smoke["exists"] is True
    assert basenames(smoke["files"]) == [f"smoke.{f:04d}.png" for f in range(1, 25)]


def test_example_reference_and_its_texture() -> None:
    data = run(EXAMPLE_SCENE)
    ref = asset_of(data, "charRN")
    assert ref["kind"] == "reference"
    assert ref["attribute"] == "fileNames"
    assert ref["path"] == "assets/char.ma"
    assert ref["exists"] is True
    assert Path(ref["resolved"]) == EXAMPLE / "assets" / "char.ma"
    eyes = asset_by_path(data, "sourceimages/char/char_eyes.png")  # char.ma's eyes_FILE
    assert eyes["exists"] is True
    assert Path(eyes["resolved"]) == EXAMPLE / "sourceimages" / "char" / "char_eyes.png"


def test_example_alembic() -> None:
    data = run(EXAMPLE_SCENE)
    abc = asset_of(data, "crowd_AlembicNode")
    assert abc["kind"] == "alembic"
    assert abc["path"] == "cache/alembic/crowd.abc"
    assert abc["exists"] is True
    assert abc["size"] == (EXAMPLE / "cache" / "alembic" / "crowd.abc").stat().st_size


def test_example_xgen_collection() -> None:
    data = run(EXAMPLE_SCENE)
    xgen = {a["path"]: a for a in data["asset"] if a["kind"] == "xgen"}
    collection = xgen["shot010_lighting__hairCollection.xgen"]  # .xfn, beside the scene
    assert collection["node"] == "hairCollection"
    assert collection["exists"] is True
    assert Path(collection["resolved"]) == EXAMPLE / "scenes" / collection["path"]
    # Maya saves the collection's patches beside it as <scene>__<collection>.abc.
    assert set(xgen) <= {collection["path"], "shot010_lighting__hairCollection.abc"}
    assert all(a["exists"] for a in xgen.values())
    # ${PROJECT}xgen/collections/hairCollection + ${DESC} (= .../hairDesc)
    desc = "xgen/collections/hairCollection/hairDesc"
    guides = asset_ending(data, f"{desc}/guides.abc")  # cacheFileName ${DESC}/guides.abc
    assert guides["kind"] == "xgen_data" and guides["exists"] is True
    assert Path(guides["resolved"]) == EXAMPLE / desc / "guides.abc"
    data_assets = [a for a in data["asset"] if a["kind"] == "xgen_data"]
    assert data_assets and all(a["exists"] for a in data_assets)
    assert not diags(data, "unexpanded-variable")


def test_example_ocio_config_of_maya_is_not_a_dependency() -> None:
    # .cfp "<MAYA_RESOURCES>/OCIO-configs/Maya2022-default/config.ocio" ships with Maya.
    data = run(EXAMPLE_SCENE)
    assert not [a for a in data["asset"] if not a["optional"] and "<MAYA_RESOURCES>" in a["path"]]
    assert not diags(data, "missing-file")


def test_example_round_trip() -> None:
    result = analyze(str(EXAMPLE_SCENE))
    data = result.to_dict()
    assert type(result).from_dict(data).to_dict() == data


# --------------------------------------------------------------------------- command line


def test_cli_clean_scene_exit_0() -> None:
    path = SCENES / "time_pal.ma"
    proc = cli(str(path), "--json", "-")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert Path(data["scene_file"]) == path
    assert data["time_unit"] == "pal"


def test_cli_example_with_missing_file_exit_1() -> None:
    proc = cli(str(EXAMPLE_SCENE), "--json", "-")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert [d["code"] for d in data["diagnostics"] if d["severity"] == "error"] == [
        "missing-texture"
    ]


def test_cli_malformed_exit_2() -> None:
    proc = cli(str(SCENES / "malformed_truncated.ma"), "--json", "-")
    assert proc.returncode == 2
    assert "100" in proc.stderr


def test_cli_search_path_finds_moved_texture() -> None:
    scene = str(MOVED / "scene.ma")
    proc = cli(scene, "--json", "-")
    assert proc.returncode == 1, proc.stderr
    assert [d["code"] for d in json.loads(proc.stdout)["diagnostics"]].count("missing-texture") == 1

    proc = cli(scene, "--json", "-", "--search-path", str(LIBRARY))
    data = json.loads(proc.stdout)
    found = [d for d in data["diagnostics"] if d["code"] == "file-found-elsewhere"]
    assert len(found) == 1
    assert found[0]["severity"] == "warning"
    assert str(LIBRARY / "wood.png") in found[0]["fix"]
    assert not [d for d in data["diagnostics"] if d["code"] == "missing-texture"]


def test_the_summary_says_what_each_layer_writes() -> None:
    done = cli(str(SCENES / "layers_and_cameras.ma"))
    assert done.returncode == 0, done.stderr
    images = (SCENES / "images").as_posix()
    assert f"writes {images}/bg/hero/layers_and_cameras.001.png" in done.stdout
    assert f"writes {images}/fg/persp/layers_and_cameras.001.png" in done.stdout
    bg = done.stdout[done.stdout.index("bg (rs_bg)") :]
    assert "arnold sampling" not in bg.split("\n  [")[0]  # a Maya Software layer
