"""The worker's rewrite of laid-out `.ma` / `.xgen` copies and its check before rendering."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from farmhand.scene import analyze
from farmhand.spec.pathmap import PathMapper
from farmhand.submit.client_files import client_files
from farmhand_worker.adapters import RenderTask
from farmhand_worker.adapters.maya import ADAPTER
from farmhand_worker.adapters.maya_startup import STARTUP_DIR, USER_SETUP
from farmhand_worker.files import check as node_check
from farmhand_worker.files import remap
from farmhand_worker.files.cache import BlobCache
from farmhand_worker.files.layout import lay_out
from show_scene import CLIENT_PATHS, windows_show


def lay_out_show(tmp_path: Path) -> tuple[Path, PathMapper, dict[str, Path], dict[str, bytes]]:
    """The show as the worker lays it out: each client path under the job root (copies)."""
    scene, library = windows_show(tmp_path)
    analysis = analyze(scene, search_paths=[library])
    root = tmp_path / "node" / "root"
    mapper = PathMapper(root)
    files: dict[str, Path] = {}
    originals: dict[str, bytes] = {}
    for client, local in client_files(analysis):
        target = mapper.to_local(client)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(local, target)  # as the blob cache does: the rewrite must not write through
        files[client] = target
        originals[client] = Path(local).read_bytes()
    return root, mapper, files, originals


def test_every_studio_path_the_show_names_is_shipped_under_that_name(tmp_path) -> None:
    scene, library = windows_show(tmp_path)
    pairs = dict(client_files(analyze(scene, search_paths=[library])))
    for client, found in CLIENT_PATHS.items():
        assert pairs.get(client) == str(library / found), client


def test_rewritten_copies_differ_from_the_originals_only_in_mapped_paths(tmp_path) -> None:
    root, mapper, files, originals = lay_out_show(tmp_path)
    done = {item.client: item for item in remap.remap_job(files, root, mapper)}
    scene = next(c for c in files if c.endswith("shot.ma"))
    rig, body = "P:/show/assets/char/char_rig.ma", "P:/show/assets/char/char_body.ma"
    xgen = next(c for c in files if c.endswith(".xgen"))
    assert all(done[c].skipped is None for c in (scene, rig, body, xgen))
    local = f"{root.as_posix()}/P/show"
    assert {(c.old, c.new) for c in done[scene].changes} == {
        ("P:/show/assets/char/char_rig.ma", f"{local}/assets/char/char_rig.ma"),
        ("P:/show/assets/char/char_body.ma", f"{local}/assets/char/char_body.ma"),
        ("P:/show/tex/skin.1001.png", f"{local}/tex/skin.1001.png"),
        ("P:\\show\\fx\\fire.0001.png", f"{local}/fx/fire.0001.png"),
        ("P:/show/", f"{local}/"),
        ("P:/show/tex/rig_edited.png", f"{local}/tex/rig_edited.png"),
    }
    assert len(done[scene].changes) == 7  # the rig's two file lines, both mapped
    assert {(c.old, c.new) for c in done[rig].changes} == {
        ("P:/show/assets/char/char_body.ma", f"{local}/assets/char/char_body.ma"),
        # Not sent (the edit replaces it), but its folder is here: mapped all the same.
        ("P:/show/tex/rig_original.png", f"{local}/tex/rig_original.png"),
    }
    assert done[body].changes == [remap.Change("P:/show/tex/body.png", f"{local}/tex/body.png")]
    assert {(c.old, c.new) for c in done[xgen].changes} == {
        ("P:/show/xgen/collections/hairColl", f"{local}/xgen/collections/hairColl"),
        ("P:/show/", f"{local}/"),
    }
    for client in (scene, rig, body, xgen):
        now = files[client].read_bytes()
        assert now != originals[client]
        # Putting each artist's path back gives the original, byte for byte (CRLF included).
        back = now
        for change in sorted(done[client].changes, key=lambda c: -len(c.new)):
            # As the file wrote it: a MEL string escapes backslashes, an .xgen value does not.
            written = change.old.replace("\\", "\\\\") if client.endswith(".ma") else change.old
            back = back.replace(change.new.encode(), written.encode())
        assert back == originals[client], client
    # The blob the copy was linked to is untouched.
    assert (tmp_path / "library" / "rigs" / "char_rig.ma").read_bytes() == originals[rig]
    assert b"\r\n" in files[rig].read_bytes() and b"\n\n" not in files[rig].read_bytes()


def test_rewriting_twice_changes_nothing_more(tmp_path) -> None:
    root, mapper, files, _ = lay_out_show(tmp_path)
    remap.remap_job(files, root, mapper)
    first = {c: p.read_bytes() for c, p in files.items()}
    # Even where the node's path would map again (its folder made under the root as well).
    (root / root.relative_to("/") / "P/show/tex").mkdir(parents=True)
    again = remap.remap_job(files, root, mapper)
    assert all(not item.changes for item in again)
    assert {c: p.read_bytes() for c, p in files.items()} == first


def test_the_node_check_finds_every_file_of_the_rewritten_show(tmp_path) -> None:
    root, mapper, files, _ = lay_out_show(tmp_path)
    done = remap.remap_job(files, root, mapper)
    renamed = {c.new.rstrip("/"): c.old for item in done for c in item.changes}
    scene = next(p for c, p in files.items() if c.endswith("shot.ma"))
    manifest = {p: c for c, p in files.items()}
    check = node_check.check_scene(scene, None, manifest, renamed)
    assert check.ok, check.log_lines()
    # 2 UDIM tiles, 3 frames, the rig and the body, 2 textures, the collection and its cache
    assert check.found == 11
    assert check.log_lines()[0] == "[farmhand] node check: 11 file(s) found, 0 missing\n"


def test_without_the_rewrite_the_node_does_not_see_the_studio_paths(tmp_path) -> None:
    _root, mapper, files, _ = lay_out_show(tmp_path)
    scene = next(p for c, p in files.items() if c.endswith("shot.ma"))
    manifest = {p: c for c, p in files.items()}
    check = node_check.check_scene(scene, None, manifest, to_local=mapper.to_local)
    assert not check.ok
    assert "P:/show/assets/char/char_rig.ma" in check.failure()


@pytest.mark.parametrize(
    ("gone", "named"),
    [
        ("P:/show/tex/skin.1002.png", ["P:/show/tex/skin.1002.png"]),
        ("P:/show/tex/body.png", ["P:/show/tex/body.png"]),  # inside the nested reference
        ("P:/show/tex/rig_edited.png", ["P:/show/tex/rig_edited.png"]),  # the edit's path
        ("P:/show/xgen/collections/hairColl/hairDesc/cache/hair.abc",
         ["P:/show/xgen/collections/hairColl/hairDesc/cache/hair.abc"]),
        ("P:/show/fx/fire.0002.png", ["P:/show/fx/fire.0002.png"]),
    ],
)  # fmt: skip
def test_a_file_missing_on_the_node_is_named(tmp_path, gone, named) -> None:
    root, mapper, files, _ = lay_out_show(tmp_path)
    files[gone].unlink()
    done = remap.remap_job(files, root, mapper)
    renamed = {c.new.rstrip("/"): c.old for item in done for c in item.changes}
    scene = next(p for c, p in files.items() if c.endswith("shot.ma"))
    check = node_check.check_scene(scene, None, {p: c for c, p in files.items()}, renamed)
    assert [m.client for m in check.missing] == named
    assert named[0] in check.failure()


def test_paths_that_are_not_on_the_node_or_not_absolute_are_left(tmp_path) -> None:
    mapper = PathMapper(tmp_path)
    for name in ("P/x.png", "P/tex/a.png", "P/not/a/path/attribute"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    text = (
        b'//Maya ASCII 2025 scene\n//Codeset: 1252\ncreateNode file -n "a";\n'
        b'\tsetAttr ".ftn" -type "string" "sourceimages/x.png";\n'  # relative: the project's
        b'\tsetAttr ".cs" -type "string" "P:/not/a/path/attribute";\n'  # not a file attribute
        b'createNode transform -n "t";\n\tsetAttr ".ftn" -type "string" "P:/x.png";\n'
        b'createNode file -n "b";\n\tsetAttr ".ftn" -type "string" "$TEX/b.png";\n'
        b'createNode file -n "c";\n\tsetAttr ".ftn" -type "string" "Q:/elsewhere/c.png";\n'
        b'createNode file -n "d";\n\tsetAttr ".ftn" -type "string" "P:/tex/a.png";\n'
    )
    data, changes = remap.rewrite_maya_ascii(text, remap.local_paths(mapper))
    assert changes == [remap.Change("P:/tex/a.png", f"{tmp_path.as_posix()}/P/tex/a.png")]
    assert data == text.replace(b"P:/tex/a.png", f"{tmp_path.as_posix()}/P/tex/a.png".encode())


def test_a_double_byte_codeset_is_left_as_saved(tmp_path, scenes_dir) -> None:
    local = tmp_path / "codeset_936.ma"
    shutil.copy(scenes_dir / "codeset_936.ma", local)
    before = local.read_bytes()
    with pytest.raises(remap._Skip, match="double-byte"):
        remap.remap_file(local, lambda p: "/node" + p)
    assert local.read_bytes() == before


def test_the_maya_adapter_sets_dirmap_at_start_up(tmp_path) -> None:
    layer = {"name": "", "frames": "1", "cameras": ["persp"], "renderer": "sw"}
    spec = {"spec_version": 2, "renderer": {"adapter": "maya"}, "layers": [layer]}
    task = RenderTask(1, 1, 1, "chunk", [1], tmp_path / "s.ma", tmp_path, tmp_path / "out",
                      tmp_path / "work", spec, path_map={"P:/": "/farm/P/"}, layer=0)  # fmt: skip
    command = ADAPTER.build(task)
    setup = tmp_path / "work" / STARTUP_DIR / USER_SETUP
    text = command.files[setup]
    assert 'dirmap -en true;\ndirmap -m "P:/" "/farm/P/";' in text
    assert 'dirmap -m "P:\\\\" "/farm/P/";' in text
    assert command.env["MAYA_SCRIPT_PATH"].split(os.pathsep)[0] == setup.parent.as_posix()


def test_copy_numbers_backslashes_and_edits_keep_their_form() -> None:
    text = (
        b"//Maya ASCII 2025 scene\r\n//Codeset: 1252\r\n"
        b'file -r -ns "c1" -rfn "cRN1" "P:\\\\lib\\\\c.ma{1}";\r\n'
        b"select -ne;\r\n"
        b'createNode reference -n "cRN1";\r\n'
        b'\tsetAttr ".ed" -type "dataReferenceEdits" \r\n\t\t"cRN1"\r\n'
        b'\t\t2 "c1:tex" "fileTextureName" " -type \\"string\\" \\"P:/lib/t.png\\""\r\n'
        b'\t\t2 "c1:grp" "translate" " -type \\"double3\\" 1 0 0";\r\n'
    )
    data, changes = remap.rewrite_maya_ascii(text, lambda p: "/n/" + p[3:].replace("\\", "/"))
    assert changes == [
        remap.Change("P:\\lib\\c.ma", "/n/lib/c.ma"),
        remap.Change("P:/lib/t.png", "/n/lib/t.png"),
    ]
    assert data == (
        text.replace(b"P:\\\\lib\\\\c.ma{1}", b"/n/lib/c.ma{1}").replace(
            b"P:/lib/t.png", b"/n/lib/t.png"
        )
    )


def test_a_damaged_scene_is_left_and_the_others_are_still_rewritten(tmp_path) -> None:
    root, mapper, files, originals = lay_out_show(tmp_path)
    scene = next(c for c in files if c.endswith("shot.ma"))
    files[scene].unlink()
    files[scene].write_bytes(originals[scene][:-200] + b'"unterminated')
    done = {item.client: item for item in remap.remap_job(files, root, mapper)}
    assert done[scene].skipped and "not read as Maya ASCII" in done[scene].skipped
    assert done["P:/show/assets/char/char_body.ma"].changes


def test_laying_out_again_never_puts_the_unmapped_copy_back(tmp_path) -> None:
    """A second task of the job on this node lays the files out again while the first may be
    rendering: each rewritten file goes from one rewritten copy to the next in one rename."""
    scene, library = windows_show(tmp_path)
    pairs = client_files(analyze(scene, search_paths=[library]))
    sources = {client: Path(local) for client, local in pairs}
    manifest = [
        {"path": client, "md5": hashlib.md5(path.read_bytes()).hexdigest(),
         "size": path.stat().st_size, "source": path}
        for client, path in sources.items()
    ]  # fmt: skip
    root = tmp_path / "node" / "root"
    mapper = PathMapper(root)
    cache = BlobCache(tmp_path / "node" / "cache", 1 << 30)

    def fetch(entry: dict, dest: Path) -> None:
        shutil.copyfile(entry["source"], dest)

    class Watching(remap.JobRewriter):
        def __call__(self, client: str, local: Path, source: Path, dest: Path) -> bool:
            if local.exists():  # what a renderer would read at this moment
                seen.append(local.read_bytes() != source.read_bytes())
            return super().__call__(client, local, source, dest)

    seen: list[bool] = []
    first = Watching(root, mapper)
    lay_out(manifest, mapper, cache, fetch, rewriter=first)
    assert seen == [] and sum(bool(item.changes) for item in first.done) == 6
    again = Watching(root, mapper)
    laid = lay_out(manifest, mapper, cache, fetch, rewriter=again)
    assert len(seen) == 6 and all(seen)  # the rewritten copy, never the original
    assert [item.changes for item in again.done] == [item.changes for item in first.done]
    rig = laid.files["P:/show/assets/char/char_rig.ma"].read_bytes()
    assert rig != sources["P:/show/assets/char/char_rig.ma"].read_bytes()
    assert (
        sources["P:/show/assets/char/char_rig.ma"].read_bytes()
        == cache.path(
            manifest[[m["path"] for m in manifest].index("P:/show/assets/char/char_rig.ma")]
        ).read_bytes()
    )  # the cached blob is the artist's file, untouched
