"""One Maya rule per scene: `reference/maya-semantics/`, with the answer real Maya gives.

Each scene's README row says what real Maya renders; these tests hold the
offline analysis to it (layers by the name Maya shows, cameras by transform).
A second group writes small variations of those rules (order of overrides,
a layer current by id, AOVs, frame naming) to check the rule, not the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from farmhand.scene import analyze
from farmhand.spec.frames import parse_frames

SEMANTICS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "maya-semantics"


def _shared(name: str) -> Path:
    path = SEMANTICS / name
    if not path.is_file():
        pytest.skip(f"{path} is not here (shared/ lies beside the repository)")
    return path


def layers_of(path: Path) -> dict[str, Any]:
    """Layers by the name Maya shows (`masterLayer` for the default layer)."""
    data = analyze(path).to_dict()
    named = {}
    for key, layer in data["scene_info_render"].items():
        name = "masterLayer" if key == "defaultRenderLayer" else layer["display_name"]
        named[name] = layer
    return named


def outputs_of(layer: dict[str, Any], frame: int) -> list[str]:
    return [f["template"].format(frame=frame) for f in layer["outputs"]["files"]]


def test_relative_and_disabled_overrides() -> None:
    layers = layers_of(_shared("relative_and_disabled_overrides.ma"))
    shot = layers["shotA"]["common"]
    # endFrame 120 × multiply 2 + offset 5; the 4096 width override is disabled (.sen no).
    assert parse_frames(shot["frames"]) == list(range(101, 246))
    assert shot["width"] == 960
    master = layers["masterLayer"]["common"]
    assert parse_frames(master["frames"]) == list(range(101, 121))
    assert master["width"] == 960


def test_render_setup_visible_layer() -> None:
    layers = layers_of(_shared("render_setup_visible_layer.ma"))
    master, hero = layers["masterLayer"]["common"], layers["hero"]["common"]
    # Legacy adjs (shotCam off in the master layer) are ignored under Render Setup; the
    # file's width (the visible layer hero's 2048) is not the master's: .ori 1280 is.
    assert sorted(master["render_camera"]) == ["persp", "shotCam"]
    assert (master["width"], master["height"]) == (1280, 720)
    assert (hero["width"], hero["height"]) == (2048, 720)


def test_legacy_layer_adjustments() -> None:
    layers = layers_of(_shared("legacy_layer_adjustments.ma"))
    widths = {name: layer["common"]["width"] for name, layer in layers.items()}
    # beauty is current (.crl 1): it has the node value; the others the master's 640.
    assert widths == {"masterLayer": 640, "beauty": 2048, "matte": 640}


def test_software_image_format() -> None:
    [layer] = layers_of(_shared("software_image_format.ma")).values()
    assert layer["common"]["renderer"] == "mayaSoftware"
    assert layer["common"]["image_format"] == "iff"  # .outf unwritten: 7; imfkey unused


def test_startup_camera() -> None:
    data = analyze(_shared("startup_camera.ma")).to_dict()
    [layer] = data["scene_info_render"].values()
    assert layer["common"]["frames"] == "12"
    assert layer["common"]["render_camera"] == ["persp"]
    assert "no-renderable-camera" not in {d["code"] for d in data["diagnostics"]}


def test_camera_in_reference() -> None:
    data = analyze(_shared("camera_in_reference.ma")).to_dict()
    [layer] = data["scene_info_render"].values()
    assert layer["common"]["render_camera"] == ["cam:shotCam"]
    assert layer["common"]["camera_shapes"]["cam:shotCam"] == "cam:shotCamShape"
    assert "no-renderable-camera" not in {d["code"] for d in data["diagnostics"]}


def test_layer_camera_folders() -> None:
    path = _shared("layer_camera_folders.ma")
    layers = layers_of(path)
    written = sorted(p for layer in layers.values() for p in outputs_of(layer, 7))
    assert written == [
        "fg/hero/layer_camera_folders.7.exr",
        "fg/persp/layer_camera_folders.7.exr",
        "masterLayer/hero/layer_camera_folders.7.exr",
        "masterLayer/persp/layer_camera_folders.7.exr",
    ]
    for layer in layers.values():
        assert Path(layer["outputs"]["root"]) == path.parent / "images"
        assert layer["outputs"]["prefix"] == "<RenderLayer>/<Camera>/<Scene>"


# --------------------------------------------------------------------------- the rules, varied

HEAD = """//Maya ASCII 2023 scene
//Codeset: UTF-8
requires maya "2023";
currentUnit -l centimeter -a degree -t film;
createNode transform -s -n "persp";
createNode camera -s -n "perspShape" -p "persp";
"""


def write(tmp_path: Path, body: str, name: str = "shot.ma") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body, encoding="utf-8")
    return path


RS_LAYER = """createNode renderLayerManager -n "renderLayerManager";
createNode renderLayer -n "defaultRenderLayer";
	setAttr ".g" yes;
createNode renderSetup -n "renderSetup";
createNode renderSetupLayer -n "L";
createNode renderLayer -n "rs_L";
createNode renderSettingsCollection -n "L_rsc";
connectAttr "renderLayerManager.rlmi[0]" "defaultRenderLayer.rlid";
connectAttr "renderLayerManager.rlmi[1]" "rs_L.rlid";
connectAttr "renderSetup.lit" "L.pls";
connectAttr "rs_L.msg" "L.lrl";
connectAttr "L.lit" "L_rsc.pls";
connectAttr "L_rsc.msg" "L.cl";
"""


def override(name: str, kind: str, attr: str, target: str, **values: Any) -> str:
    text = f'createNode {kind} -n "{name}";\n'
    text += f'\tsetAttr ".atr" -type "string" "{attr}";\n'
    text += f'\tsetAttr ".tgName" -type "string" "{target}";\n'
    for key, value in values.items():
        text += f'\tsetAttr ".{key}" {value};\n'
    return text + f'connectAttr "L_rsc.lit" "{name}.pls";\n'


def test_overrides_apply_in_list_order(tmp_path: Path) -> None:
    # rel (×2 + 0) first, then abs 50: the absolute override wins.
    body = RS_LAYER + override("r", "relUniqueOverride", "endFrame", "defaultRenderGlobals",
                               mul=2, ofs=0)  # fmt: skip
    body += override("a", "absUniqueOverride", "endFrame", "defaultRenderGlobals", atv=50)
    body += 'connectAttr "r.msg" "L_rsc.cl";\nconnectAttr "r.nxt" "a.prv";\n'
    body += 'select -ne :defaultRenderGlobals;\n\tsetAttr ".an" yes;\n\tsetAttr ".ef" 20;\n'
    layers = layers_of(write(tmp_path, body))
    assert layers["L"]["common"]["end"] == 50
    # The other order: abs 50, then ×2 → 100.
    body = body.replace('"r.msg" "L_rsc.cl"', '"a.msg" "L_rsc.cl"')
    body = body.replace('"r.nxt" "a.prv"', '"a.nxt" "r.prv"')
    layers = layers_of(write(tmp_path, body))
    assert layers["L"]["common"]["end"] == 100
    assert layers["masterLayer"]["common"]["end"] == 20


def test_relative_override_defaults_from_add_attr(tmp_path: Path) -> None:
    # .mul unwritten: its addAttr -dv 3; .ofs not declared: 0.
    body = RS_LAYER + 'createNode relUniqueOverride -n "r";\n'
    body += '\taddAttr -ci true -sn "mul" -ln "multiply" -dv 3 -at "float";\n'
    body += '\tsetAttr ".atr" -type "string" "width";\n'
    body += '\tsetAttr ".tgName" -type "string" "defaultResolution";\n'
    body += 'connectAttr "L_rsc.lit" "r.pls";\n'
    body += 'select -ne :defaultResolution;\n\tsetAttr ".w" 100;\n'
    layers = layers_of(write(tmp_path, body))
    assert layers["L"]["common"]["width"] == 300
    assert layers["masterLayer"]["common"]["width"] == 100


def test_disabled_collection_disables_its_overrides(tmp_path: Path) -> None:
    body = RS_LAYER + '\tsetAttr ".sen" no;\n'
    body += override("a", "absUniqueOverride", "width", "defaultResolution", atv=4000)
    assert layers_of(write(tmp_path, body))["L"]["common"]["width"] == 960


def test_legacy_current_layer_found_by_id(tmp_path: Path) -> None:
    # rlmi[1] holds id 7 and .crl is 7: layer "b" (index 1) is current, not index 7.
    body = """createNode renderLayerManager -n "renderLayerManager";
	setAttr -s 3 ".rlmi[1:2]"  7 3;
	setAttr ".crl" 7;
createNode renderLayer -n "defaultRenderLayer";
	setAttr ".g" yes;
	setAttr ".adjs[0].val" 640;
createNode renderLayer -n "b";
createNode renderLayer -n "c";
	setAttr ".adjs[0].val" 800;
select -ne :defaultResolution;
	setAttr ".w" 1500;
connectAttr "renderLayerManager.rlmi[0]" "defaultRenderLayer.rlid";
connectAttr "renderLayerManager.rlmi[1]" "b.rlid";
connectAttr "renderLayerManager.rlmi[2]" "c.rlid";
connectAttr ":defaultResolution.w" "defaultRenderLayer.adjs[0].plg";
connectAttr ":defaultResolution.w" "c.adjs[0].plg";
"""
    widths = {n: v["common"]["width"] for n, v in layers_of(write(tmp_path, body)).items()}
    assert widths == {"masterLayer": 640, "b": 1500, "c": 800}


def test_startup_cameras_the_file_never_creates(tmp_path: Path) -> None:
    path = tmp_path / "no_cameras.ma"
    path.write_text('//Maya ASCII 2023 scene\nrequires maya "2023";\n', encoding="utf-8")
    [layer] = analyze(path).to_dict()["scene_info_render"].values()
    assert layer["common"]["all_camera"] == ["persp", "top", "front", "side"]
    assert layer["common"]["render_camera"] == ["persp"]


FRAME_NAMING = [
    ({"an": "no"}, "shot.exr"),
    ({"an": "yes", "pff": "yes"}, "shot.12.exr"),
    ({"an": "yes", "pff": "yes", "ep": 4}, "shot.0012.exr"),
    ({"an": "yes", "pff": "no", "ep": 3}, "shot.exr.012"),
    ({"an": "yes", "pff": "yes", "peie": 2, "ep": 4}, "shot_0012.exr"),
    ({"an": "yes", "pff": "yes", "peie": 0}, "shot12.exr"),
    ({"an": "yes", "pff": "yes", "ofc": 1}, "shot.12"),
]


@pytest.mark.parametrize(("globals_", "expected"), FRAME_NAMING)
def test_frame_and_extension_naming(tmp_path: Path, globals_: dict, expected: str) -> None:
    body = 'select -ne :defaultRenderGlobals;\n\tsetAttr ".ren" -type "string" "arnold";\n'
    body += "".join(f'\tsetAttr ".{k}" {v};\n' for k, v in globals_.items())
    body += 'select -ne :time1;\n\tsetAttr ".o" 12;\n'
    [layer] = layers_of(write(tmp_path, body)).values()
    assert outputs_of(layer, 12) == [expected]


def test_arnold_aovs_and_absolute_prefix(tmp_path: Path) -> None:
    body = """createNode aiOptions -s -n "defaultArnoldRenderOptions";
createNode aiAOVDriver -s -n "defaultArnoldDriver";
	setAttr ".ai_translator" -type "string" "png";
createNode aiAOV -n "aiAOV_diffuse";
	setAttr ".aovn" -type "string" "diffuse";
createNode aiAOV -n "aiAOV_off";
	setAttr ".aoven" no;
	setAttr ".aovn" -type "string" "off";
createNode aiAOV -n "aiAOV_unlisted";
	setAttr ".aovn" -type "string" "unlisted";
select -ne :defaultRenderGlobals;
	setAttr ".ren" -type "string" "arnold";
	setAttr ".an" yes;
	setAttr ".pff" yes;
	setAttr ".ep" 2;
	setAttr ".ifp" -type "string" "G:\\\\show\\\\renders\\\\<Scene>\\\\v<Version>";
	setAttr ".rv" -type "string" "003";
connectAttr "aiAOV_diffuse.msg" ":defaultArnoldRenderOptions.aovs" -na;
connectAttr "aiAOV_off.msg" ":defaultArnoldRenderOptions.aovs" -na;
"""
    [layer] = layers_of(write(tmp_path, body)).values()
    assert layer["outputs"]["root"] == "G:/show/renders"
    assert layer["outputs"]["prefix"] == "<Scene>/<RenderPass>/v<Version>"
    assert outputs_of(layer, 5) == ["shot/beauty/v003.05.png", "shot/diffuse/v003.05.png"]


def test_renderer_without_known_naming_is_not_predicted(tmp_path: Path) -> None:
    body = 'select -ne :defaultRenderGlobals;\n\tsetAttr ".ren" -type "string" "vray";\n'
    [layer] = layers_of(write(tmp_path, body)).values()
    assert layer["outputs"]["predicted"] is False
    assert layer["outputs"]["files"] == []
    assert "vray" in layer["outputs"]["note"]


def test_an_absolute_prefix_is_reported_with_where_the_farm_writes(tmp_path: Path) -> None:
    body = 'select -ne :defaultRenderGlobals;\n\tsetAttr ".ren" -type "string" "arnold";\n'
    body += '\tsetAttr ".ifp" -type "string" "//nas/renders/<Scene>/<RenderLayer>";\n'
    data = analyze(write(tmp_path, body)).to_dict()
    [found] = [d for d in data["diagnostics"] if d["code"] == "absolute-image-prefix"]
    assert found["severity"] == "warning"
    assert "//nas/renders" in found["message"] and "<Scene>/<RenderLayer>" in found["message"]
    assert "--dest //nas/renders" in found["fix"]
    relative = 'select -ne :defaultRenderGlobals;\n\tsetAttr ".ifp" -type "string" "a/<Scene>";\n'
    codes = {d["code"] for d in analyze(write(tmp_path, relative)).to_dict()["diagnostics"]}
    assert "absolute-image-prefix" not in codes
