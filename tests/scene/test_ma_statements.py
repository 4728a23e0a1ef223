"""The statement reader gives the same scene whatever the read size.

Tiny read sizes put every statement, string, comment and connectAttr run
across a buffer boundary somewhere; the scene read that way must equal the
one read in one block.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from farmhand.scene.analysis import WANTS
from farmhand.scene.errors import SceneParseError
from farmhand.scene.maya_ascii import MayaAsciiScene, read_scene
from farmhand.scene.render_settings import CONNECT_TYPES

REPO = Path(__file__).resolve().parents[2]
OWN_SCENES = sorted(
    p for p in (REPO / "tests" / "scenes").rglob("*.ma") if "malformed" not in p.name
) + sorted((REPO / "examples").rglob("*.ma"))


def _dump(scene: MayaAsciiScene) -> tuple:
    nodes = {n: (v.type, v.parent, v.attrs, v.defaults) for n, v in scene._nodes.items()}
    connections = {n: sorted(c) for n, c in scene._connections.items()}
    return nodes, connections, scene.references(), scene.header


def _corpus_scenes(corpus_dir: Path) -> list[Path]:
    return sorted(corpus_dir.rglob("*.ma"))


@pytest.mark.parametrize("block", [61, 997, 4096])
@pytest.mark.parametrize("path", OWN_SCENES, ids=lambda p: p.name)
def test_own_scenes_same_at_any_read_size(path: Path, block: int) -> None:
    whole = _dump(read_scene(str(path), WANTS, CONNECT_TYPES, block=1 << 24))
    assert _dump(read_scene(str(path), WANTS, CONNECT_TYPES, block=block)) == whole
    # Without filters everything is decoded; the same must hold.
    assert _dump(read_scene(str(path), block=block)) == _dump(read_scene(str(path)))


@pytest.mark.parametrize("block", [113, 8191])
def test_corpus_same_at_any_read_size(corpus_dir: Path, block: int) -> None:
    for path in _corpus_scenes(corpus_dir):
        whole = _dump(read_scene(str(path), WANTS, CONNECT_TYPES, block=1 << 24))
        assert _dump(read_scene(str(path), WANTS, CONNECT_TYPES, block=block)) == whole, path


def test_filtered_read_keeps_what_the_analysis_asks_for(corpus_dir: Path) -> None:
    # The fast path skips whole blocks of unwanted nodes; every wanted attribute
    # must still match a read that decodes everything.
    for path in _corpus_scenes(corpus_dir):
        full = read_scene(str(path))
        fast = read_scene(str(path), WANTS, CONNECT_TYPES)
        for name, node in fast._nodes.items():
            wanted = WANTS.get(node.type, frozenset())
            for attr, value in (node.attrs or {}).items():
                assert full.get_attr(name, attr) == value, (path, name, attr)
            for attr, value in (full._nodes[name].attrs or {}).items():
                base = attr.split("[")[0].split(".")[0]
                if wanted is None or base in wanted:
                    assert fast.get_attr(name, attr) == value, (path, name, attr)


def test_statement_split_inside_string_with_semicolons(tmp_path: Path) -> None:
    scene = tmp_path / "s.ma"
    scene.write_text(
        "//Maya ASCII 2024 scene\n//Codeset: UTF-8\n"
        'createNode script -n "s";\n'
        '\tsetAttr ".b" -type "string" ("a;b\\";c" + \n\t\t"d;e");\n'
        'createNode file -n "f";\n\tsetAttr ".ftn" -type "string" "x;y.png";\n'
        "// End of s.ma\n",
        encoding="utf-8",
    )
    for block in (5, 17, 1024):
        parsed = read_scene(str(scene), block=block)
        assert parsed.get_attr("s", "b") == 'a;b";cd;e'
        assert parsed.get_attr("f", "fileTextureName") == "x;y.png"


def test_unterminated_string_names_its_line(tmp_path: Path) -> None:
    scene = tmp_path / "bad.ma"
    scene.write_text(
        '//Maya ASCII 2024 scene\ncreateNode file -n "f";\n\tsetAttr ".ftn" -type "string"\n'
        '\t\t"C:/tex/wood.png;\n',
        encoding="utf-8",
    )
    with pytest.raises(SceneParseError) as err:
        read_scene(str(scene))
    assert err.value.line == 4
    assert "closing quote" in str(err.value)
