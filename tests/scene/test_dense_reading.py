"""Reading a node-dense scene: what the skipping reader keeps, and pattern selectors.

The reader jumps over every statement the analysis cannot want in one regex search
(`ma_statements.resume_pattern`); these tests pin what that must not lose: a wanted node
after thousands of unwanted ones, a node block cut by the read buffer, a top-level
`rename` of a wanted node, a file cut off inside a skipped block, and a Render Setup
pattern that names a camera's transform (matched on cameras only, not every transform).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from farmhand.scene import analyze, byte_patterns
from farmhand.scene.analysis import WANTS
from farmhand.scene.errors import SceneParseError
from farmhand.scene.maya_ascii import read_scene
from farmhand.scene.render_settings import CONNECT_TYPES

REPO = Path(__file__).resolve().parents[2]
SCENES = REPO / "tests" / "scenes"
HEADER = '//Maya ASCII 2024 scene\n//Codeset: UTF-8\nrequires maya "2024";\n'


def _prop(i: int) -> str:
    return (
        f'createNode transform -n "prop_{i:05d}" -p "env";\n'
        f'\trename -uid "UID-{i}";\n'
        '\tsetAttr ".t" -type "double3" 1 2 3 ;\n'
        f'createNode mesh -n "prop_{i:05d}Shape" -p "prop_{i:05d}";\n'
        '\tsetAttr -s 2 ".vt[0:1]"  0 0 0 1 1 1;\n'
        '\tsetAttr ".cuvs" -type "string" "map1";\n'
    )


def _file_node(name: str, path: str) -> str:
    return (
        f'createNode file -n "{name}";\n'
        f'\trename -uid "UID-{name}";\n'
        f'\tsetAttr ".ftn" -type "string" "{path}";\n'
    )


def _read(path: Path, block: int) -> object:
    return read_scene(str(path), WANTS, CONNECT_TYPES, block=block)


@pytest.mark.parametrize("block", [64, 997, 1 << 20])
def test_wanted_nodes_among_many_unwanted_ones(tmp_path: Path, block: int) -> None:
    text = HEADER + 'createNode transform -n "env";\n'
    text += "".join(_prop(i) for i in range(400))
    text += _file_node("tex_a", "/textures/a.exr")
    text += "".join(_prop(i) for i in range(400, 800))
    text += _file_node("tex_b", "/textures/b.exr")
    text += 'rename "tex_b" "tex_renamed";\n'
    text += 'connectAttr "tex_a.oc" "lambert1.c";\n'
    scene_file = tmp_path / "dense.ma"
    scene_file.write_text(text, encoding="utf-8")
    scene = _read(scene_file, block)
    assert scene.nodes("file") == ["tex_a", "tex_renamed"]
    assert scene.get_attr("tex_a", "ftn") == "/textures/a.exr"
    assert scene.get_attr("tex_renamed", "ftn") == "/textures/b.exr"
    # Nodes of types the analysis does not read are not kept at all.
    assert scene.nodes("transform") == [] and scene.nodes("mesh") == []


def test_the_whole_file_is_kept_without_wants(tmp_path: Path) -> None:
    scene_file = tmp_path / "dense.ma"
    scene_file.write_text(HEADER + "".join(_prop(i) for i in range(50)), encoding="utf-8")
    scene = read_scene(str(scene_file))
    assert len(scene.nodes("transform")) == 50
    assert scene.get_attr("prop_00049", "t") == [1, 2, 3]


@pytest.mark.parametrize("block", [64, 1 << 20])
def test_a_file_cut_off_inside_a_skipped_block_is_malformed(tmp_path: Path, block: int) -> None:
    text = HEADER + "".join(_prop(i) for i in range(300))
    text += 'createNode mesh -n "cut";\n\tsetAttr ".cuvs" -type "string" "ma'
    scene_file = tmp_path / "cut.ma"
    scene_file.write_text(text, encoding="utf-8")
    with pytest.raises(SceneParseError, match="closing quote"):
        _read(scene_file, block)


def test_a_pattern_naming_a_camera_transform_picks_its_camera(tmp_path: Path) -> None:
    # render_setup_overrides.ma's layerCam turns altCam on through a static selection of
    # `|altCam|altCamShape`; here the same collection picks the transform by a pattern
    # that matches no shape name, as a TD writes `altCam` in the Render Setup editor.
    text = (SCENES / "render_setup_overrides.ma").read_text(encoding="utf-8")
    static = 'setAttr ".ssl" -type "string" "|altCam|altCamShape";'
    assert static in text
    scene_file = tmp_path / "pattern.ma"
    scene_file.write_text(
        text.replace(static, 'setAttr ".pat" -type "string" "nothing*;altCa?";'), encoding="utf-8"
    )
    layers = analyze(scene_file).to_dict()["scene_info_render"]
    assert layers["rs_layerCam"]["common"]["render_camera"] == ["altCam"]
    assert layers["defaultRenderLayer"]["common"]["render_camera"] == ["mainCam"]


def test_wanted_connections_in_a_run_longer_than_one_batch(tmp_path: Path) -> None:
    # Maya writes every connection at the end of the file, one plain line each; the
    # reader hands them over in bounded batches and keeps the lines touching a wanted node.
    text = HEADER + 'createNode renderLayer -n "bgLayer";\ncreateNode renderLayer -n "fx";\n'
    lines = [f'connectAttr "place{i}.o" "tex{i}.uv";\n' for i in range(45_000)]
    lines[3] = 'connectAttr "renderLayerManager.rlmi[1]" "bgLayer.rlid";\n'
    lines[20_001] = 'connectAttr ":defaultRenderGlobals.ef" "|grp|fx.adjs[0].plg";\n'
    lines[44_999] = 'connectAttr "bgLayer.msg" ":defaultRenderingList1.r" -na;\n'
    scene_file = tmp_path / "connections.ma"
    scene_file.write_text(text + "".join(lines), encoding="utf-8")
    scene = _read(scene_file, 1 << 20)
    assert scene.connections("bgLayer") == [
        ("renderLayerManager.rlmi[1]", "bgLayer.rlid"),
        ("bgLayer.msg", "defaultRenderingList1.r"),
    ]
    assert scene.connections("fx") == [("defaultRenderGlobals.ef", "|grp|fx.adjs[0].plg")]
    assert scene.connections("tex7") == []  # not a node the analysis follows


_ANALYSE_ALL = """
import json, sys
from farmhand.scene import analyze
from farmhand.scene.byte_patterns import ENGINE
found = {}
for path in sys.argv[1:]:
    try:
        found[path] = analyze(path).to_dict()
    except Exception as exc:
        found[path] = repr(exc)
print(json.dumps({"engine": ENGINE, "scenes": found}))
"""


@pytest.mark.skipif(
    byte_patterns.ENGINE != "re2",
    reason="RE2 is not in use (google-re2 missing, or FARMHAND_REGEX_ENGINE=re)",
)
def test_re2_and_python_re_read_every_scene_alike(tmp_path: Path, corpus_dir: Path) -> None:
    # The reader uses RE2 where it is installed and Python's re elsewhere (some Maya
    # Pythons): both must read every scene to the same analysis.
    dense = tmp_path / "dense.ma"
    generator = REPO / "bench" / "dense_scene.py"
    made = subprocess.run(
        [sys.executable, str(generator), str(dense), "--size-mb", "3"],
        capture_output=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    rows = (corpus_dir / "INDEX.tsv").read_text(encoding="utf-8").splitlines()[1:]
    scenes = [str(corpus_dir / row.split("\t", 1)[0]) for row in rows if row.strip()]
    scenes += [str(p) for p in sorted(SCENES.rglob("*.ma"))] + [str(dense)]
    results = {}
    for engine in ("re2", "re"):
        env = {**os.environ, "FARMHAND_REGEX_ENGINE": engine}
        done = subprocess.run(
            [sys.executable, "-c", _ANALYSE_ALL, *scenes],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        results[engine] = json.loads(done.stdout)
    assert results["re2"]["engine"] == "re2" and results["re"]["engine"] == "re"
    assert results["re2"]["scenes"] == results["re"]["scenes"]
    assert isinstance(results["re"]["scenes"][str(dense)], dict)
