"""Diagnostics that depend on the files around a scene: .tx siblings, the project's rules."""

from __future__ import annotations

from pathlib import Path

from farmhand.scene import analyze

HEADER = (
    "//Maya ASCII 2025ff03 scene\n//Codeset: UTF-8\ncurrentUnit -l centimeter -a degree -t film;\n"
)
ARNOLD = (
    'createNode aiOptions -s -n "defaultArnoldRenderOptions";\n\tsetAttr ".autotx" {autotx};\n'
    'select -ne :defaultRenderGlobals;\n\tsetAttr ".ren" -type "string" "arnold";\n'
)


def _scene(folder: Path, body: str, name: str = "shot.ma") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + body + f"// End of {name}\n", encoding="utf-8")
    return path


def _texture(node: str, path: str) -> str:
    return f'createNode file -n "{node}";\n\tsetAttr ".ftn" -type "string" "{path}";\n'


def _codes(data: dict) -> list[str]:
    return [d["code"] for d in data["diagnostics"]]


def test_autotx_off_warns_for_textures_without_tx(tmp_path: Path) -> None:
    (tmp_path / "wood.png").write_bytes(b"png")
    (tmp_path / "stone.png").write_bytes(b"png")
    (tmp_path / "stone.tx").write_bytes(b"tx")
    body = (
        ARNOLD.format(autotx="no") + _texture("wood", "wood.png") + _texture("stone", "stone.png")
    )
    data = analyze(_scene(tmp_path, body)).to_dict()
    warnings = [d for d in data["diagnostics"] if d["code"] == "autotx-without-tx"]
    assert len(warnings) == 1
    assert "1 texture(s)" in warnings[0]["message"] and warnings[0]["node"] == "wood"
    converted = [d for d in data["asset"] if d["kind"] == "converted_texture"]
    assert [(d["node"], Path(d["resolved"]).name) for d in converted] == [("stone", "stone.tx")]


def test_autotx_on_does_not_warn(tmp_path: Path) -> None:
    (tmp_path / "wood.png").write_bytes(b"png")
    data = analyze(_scene(tmp_path, ARNOLD.format(autotx="yes") + _texture("wood", "wood.png")))
    assert "autotx-without-tx" not in _codes(data.to_dict())


def test_renderman_tex_beside_a_udim_texture_is_collected(tmp_path: Path) -> None:
    for tile in (1001, 1002):
        (tmp_path / f"skin.{tile}.exr").write_bytes(b"exr")
        (tmp_path / f"skin.{tile}.exr.tex").write_bytes(b"tex")
    body = _texture("skin", "skin.<UDIM>.exr")
    data = analyze(_scene(tmp_path, body)).to_dict()
    (tex,) = [d for d in data["asset"] if d["kind"] == "converted_texture"]
    assert tex["path"] == "skin.<UDIM>.exr.tex" and tex["pattern"]
    assert sorted(Path(f["path"]).name for f in tex["files"]) == [
        "skin.1001.exr.tex",
        "skin.1002.exr.tex",
    ]


def test_texture_found_in_the_projects_source_images_rule(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "textures").mkdir(parents=True)
    (project / "workspace.mel").write_text('workspace -fr "sourceImages" "textures";\n')
    (project / "textures" / "wood.png").write_bytes(b"png")
    scene = _scene(project / "scenes", _texture("wood", "D:/gone/elsewhere/wood.png"))
    data = analyze(scene).to_dict()
    assert data["project"] == str(project)
    (dep,) = data["asset"]
    assert dep["exists"] and dep["found_by"] == "project"
    assert dep["resolved"] == str(project / "textures" / "wood.png")
    (found,) = [d for d in data["diagnostics"] if d["code"] == "file-found-elsewhere"]
    assert found["fix"].endswith(str(project / "textures" / "wood.png"))


def test_files_outside_the_project_get_one_notice_per_folder(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "workspace.mel").write_text('workspace -fr "sourceImages" "sourceimages";\n')
    library = tmp_path / "library"
    library.mkdir()
    for name in ("a.png", "b.png"):
        (library / name).write_bytes(b"png")
    body = _texture("a", f"{library.as_posix()}/a.png") + _texture(
        "b", f"{library.as_posix()}/b.png"
    )
    data = analyze(_scene(project / "scenes", body)).to_dict()
    notices = [d for d in data["diagnostics"] if d["code"] == "absolute-path-outside-project"]
    assert len(notices) == 1 and str(library) in notices[0]["message"]
    assert notices[0]["severity"] == "notice"


def test_a_missing_file_is_called_missing_with_its_plug_and_path(tmp_path: Path) -> None:
    body = _texture("file1", "gone/wood.png") + _texture("skin", "gone/skin.<UDIM>.exr")
    data = analyze(_scene(tmp_path, body)).to_dict()
    messages = {
        d["node"]: d["message"] for d in data["diagnostics"] if d["code"] == "missing-texture"
    }
    assert messages["file1"] == "file1.fileTextureName: missing file gone/wood.png"
    assert (
        messages["skin"]
        == "skin.fileTextureName: missing files, nothing matches gone/skin.<UDIM>.exr"
    )
