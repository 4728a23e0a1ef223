"""The maya adapter: Render argv, tiles' -reg, dirmap MEL and ARNOLD_PATHMAP, output lines.

Maya cannot be installed here, so the runs go to `tests/worker/standin/Render`,
a stand-in that reads Render's flags, runs the pre-render MEL's `source` and
`dirmap` statements, resolves the scene's texture paths through dirmap and
writes a PNG per frame (only the `-reg` region lit); it shows the command is
well formed and the path mapping works, not that Maya renders.
"""

from __future__ import annotations

import doctest
import importlib.machinery
import importlib.util
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from farmhand.spec.pathmap import PathMapper, PathRule
from farmhand.spec.tiles import tile_rects
from farmhand_worker import adapters
from farmhand_worker.adapters import maya
from farmhand_worker.adapters.base import AdapterError, RenderCommand, RenderTask, TileJob

STANDIN = Path(__file__).parent / "standin" / "Render"


def _standin_module() -> Any:
    """The stand-in as a module, to read MEL back with its parser."""
    loader = importlib.machinery.SourceFileLoader("standin_render", str(STANDIN))
    spec = importlib.util.spec_from_loader("standin_render", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def make_task(tmp_path: Path, frames: list[int] | None = None, **spec: Any) -> RenderTask:
    renderer = {"adapter": "maya", "name": "arnold", **spec.pop("renderer", {})}
    return RenderTask(
        job_id=1,
        task_id=2,
        attempt_id=3,
        kind="chunk",
        frames=frames or [1],
        scene=tmp_path / "root" / "C" / "Project" / "scenes" / "shot.ma",
        job_root=tmp_path / "root",
        output_dir=tmp_path / "out",
        work_dir=tmp_path / "work",
        spec={"renderer": renderer, **spec},
        executable=str(STANDIN),
    )


def tile_task(tmp_path: Path, tile_index: int, tiles: int, kind: str, size=(40, 30)) -> RenderTask:
    task = make_task(tmp_path, width=size[0], height=size[1])
    rect = tile_rects(size[0], size[1], tiles, kind)[tile_index]
    task.kind = "tile"
    task.tile = TileJob(rect, tiles, size[0], size[1])
    return task


def write_files(command: RenderCommand) -> None:
    """Write the command's files as the daemon does: UTF-8."""
    for path, text in command.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run(command: RenderCommand) -> list[subprocess.CompletedProcess]:
    """Write the command's files and run its argvs in order, as the daemon does."""
    write_files(command)
    command.cwd.mkdir(parents=True, exist_ok=True)
    done = []
    for argv in [command.argv, *command.then]:
        env = {**os.environ, **command.env}
        done.append(subprocess.run(argv, cwd=command.cwd, env=env, capture_output=True, text=True))
    return done


def flag(argv: list[str], name: str, count: int = 1) -> list[str]:
    i = argv.index(name)
    return argv[i + 1 : i + 1 + count]


def test_module_doctests() -> None:
    result = doctest.testmod(maya)
    assert result.attempted >= 6
    assert result.failed == 0


def test_registered_as_maya() -> None:
    assert adapters.get("maya") is maya.ADAPTER


# --------------------------------------------------------------------------- argv


def test_arnold_chunk_argv(tmp_path: Path) -> None:
    task = make_task(
        tmp_path,
        [10, 11, 12],
        cameras=["shotCam"],
        layers=["beauty", "rs_fx"],
        width=1920,
        height=1080,
        output_prefix="<RenderLayer>/<Scene>",
        renderer={"image_format": "exr", "extra_args": ["-ai:threads", "4"]},
    )
    task.project_dir = tmp_path / "root" / "C" / "Project"
    command = maya.ADAPTER.build(task)
    # One layer per Render call (farms send one; the comma form of -rl is unverified).
    assert [command.argv, *command.then] == [
        [
            str(STANDIN),
            *("-r", "arnold", "-rt", "0", "-ai:lve", "2", "-ai:ltc", "1", "-ai:alf", "1"),
            *("-ai:aerr", "1"),
            *("-s", "10", "-e", "12", "-b", "1"),
            *("-cam", "shotCam", "-rl", layer, "-x", "1920", "-y", "1080"),
            *("-rd", str(tmp_path / "out"), "-im", "<RenderLayer>/<Scene>", "-of", "exr"),
            *("-proj", str(tmp_path / "root" / "C" / "Project")),
            *("-ai:threads", "4"),
            str(task.scene),
        ]
        for layer in ("beauty", "rs_fx")
    ]
    assert command.cwd == task.work_dir
    assert command.expected == []  # names depend on the scene: the daemon's per-frame check
    assert command.tile_mode is None
    assert command.env["ARNOLD_FORCE_ABORT_ON_LICENSE_FAIL"] == "1"
    assert command.env["MAYA_DISABLE_CIP"] == "1"


def test_a_chunk_with_gaps_is_one_run_per_contiguous_run(tmp_path: Path) -> None:
    command = maya.ADAPTER.build(make_task(tmp_path, [1, 2, 3, 7, 10, 13, 20]))
    runs = [command.argv, *command.then]
    assert [flag(a, "-s") + flag(a, "-e") + flag(a, "-b") for a in runs] == [
        ["1", "3", "1"],
        ["7", "13", "3"],
        ["20", "20", "1"],
    ]
    assert all(a[-1] == runs[0][-1] for a in runs)


@pytest.mark.parametrize(
    ("name", "r", "has_ai_flags"),
    [
        ("sw", "sw", False),
        ("mayaSoftware", "sw", False),
        ("hw2", "hw2", False),
        ("mayaHardware2", "hw2", False),
        ("redshift", "redshift", False),
        ("vray", "vray", False),
        ("renderman", "renderman", False),
        ("renderManRIS", "renderman", False),
        ("arnold", "arnold", True),
        (None, "file", False),
    ],
)
def test_renderer_names(tmp_path: Path, name: str | None, r: str, has_ai_flags: bool) -> None:
    task = make_task(tmp_path)
    task.spec["renderer"] = {"adapter": "maya", **({"name": name} if name else {})}
    argv = maya.ADAPTER.build(task).argv
    assert flag(argv, "-r") == [r]
    assert any(a.startswith("-ai:") for a in argv) == has_ai_flags


def test_redshift_quits_on_internal_errors(tmp_path: Path) -> None:
    command = maya.ADAPTER.build(make_task(tmp_path, renderer={"name": "redshift"}))
    assert command.env["REDSHIFT_FORCEQUITONINTERNALERROR"] == "1"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"renderer": {"name": "3delight"}}, "not one the maya adapter drives"),
        ({"cameras": ["-rd"]}, "not a Maya node name"),
        ({"layers": ["beauty layer"]}, "not a Maya node name"),
        ({"output_prefix": "/etc/cron.d/x"}, "relative"),
        ({"output_prefix": "C:/renders/x"}, "relative"),
        ({"output_prefix": "../../x"}, "'..'"),
        ({"output_prefix": r"renders\..\..\x"}, "'..'"),
        ({"renderer": {"extra_args": ["-rd", "/tmp"]}}, '"-rd" is not allowed.*adapter sets it'),
        ({"renderer": {"extra_args": ["-preRender", 'system("id")']}}, "runs code"),
        ({"renderer": {"image_format": "exr -rd /"}}, "not a format name"),
        ({"width": "1920", "height": 1080}, "positive whole numbers"),
    ],
)
def test_refusals(tmp_path: Path, spec: dict, message: str) -> None:
    with pytest.raises(AdapterError, match=message):
        maya.ADAPTER.build(make_task(tmp_path, **spec))


# The hooks of Render's command line that run MEL (issue 11): each was passed through before.
HOOKS = ["-preRender", "-postRender", "-preLayer", "-postLayer", "-preFrame", "-postFrame"]


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize("renderer", ["arnold", "sw", None])
def test_mel_hooks_in_extra_args_are_refused(tmp_path: Path, hook: str, renderer) -> None:
    extra = ["-verb", hook, 'system("cat /var/lib/farmhand-worker/worker.json")']
    task = make_task(tmp_path, renderer={"name": renderer, "extra_args": extra})
    with pytest.raises(AdapterError, match=rf'extra_args\[1\]: "{hook}" is not allowed.*runs code'):
        maya.ADAPTER.build(task)


@pytest.mark.parametrize(
    ("renderer", "extra", "message"),
    [
        ("arnold", ["-log", "/etc/cron.d/x"], "reaches outside the job"),
        ("arnold", ["-proj", "/"], "the adapter sets it"),
        ("arnold", ["-rt", "1"], "the adapter sets it"),
        ("arnold", ["-ai:threads", "$(id)"], "not a whole number"),
        ("arnold", ["-pad"], "-pad needs a value"),
        ("arnold", ["-skipExistingFrames", "maybe"], "not true/false"),
        ("arnold", ["-percentRes", "1e9"], "not a number"),
        ("sw", ["-ai:threads", "4"], "not an option allowed .* renderer sw"),
        ("arnold", ["-mel", "x"], "not an option allowed"),
        ("arnold", ["-verb"] * 65, "at most 64"),
    ],
)
def test_extra_args_outside_the_allowlist_are_refused(tmp_path, renderer, extra, message):
    task = make_task(tmp_path, renderer={"name": renderer, "extra_args": extra})
    with pytest.raises(AdapterError, match=message):
        maya.ADAPTER.build(task)


def test_allowed_extra_args_reach_the_argv_as_given(tmp_path: Path) -> None:
    extra = ["-verb", "-pad", "4", "-skipExistingFrames", "true", "-ai:as", "3", "-ai:att", "0.5"]
    command = maya.ADAPTER.build(make_task(tmp_path, renderer={"extra_args": extra}))
    assert command.argv[-len(extra) - 1 : -1] == extra
    renamed = make_task(tmp_path, renderer={"name": "mayaSoftware", "extra_args": ["-n", "2"]})
    assert maya.ADAPTER.build(renamed).argv[-3:-1] == ["-n", "2"]


def test_no_frames_refused(tmp_path: Path) -> None:
    task = make_task(tmp_path)
    task.frames = []
    with pytest.raises(AdapterError, match="no frames"):
        maya.ADAPTER.build(task)


def test_paths_with_spaces_and_non_ascii_stay_one_argument_each(tmp_path: Path) -> None:
    base = tmp_path / "prod dir" / "été 夏"
    task = make_task(base, output_prefix="renders/plan séquence")
    task.path_map = {"C:/": f"{base}/root/C/"}
    argv = maya.ADAPTER.build(task).argv
    assert argv[-1] == str(base / "root" / "C" / "Project" / "scenes" / "shot.ma")
    assert flag(argv, "-rd") == [str(base / "out")]
    assert flag(argv, "-im") == ["renders/plan séquence"]
    # The MEL that sources the pre-render script quotes its path for MEL, not for a shell.
    (pre_render,) = flag(argv, "-preRender")
    words = _standin_module().mel_statements(pre_render)
    assert words == [["source", (base / "work" / maya.PRE_RENDER_MEL).as_posix()]]


# --------------------------------------------------------------------------- tiles


def _pixels(rect: tuple[int, int, int, int]) -> set[tuple[int, int]]:
    """The pixels of a top-left rectangle (x, y, width, height), as (x, y)."""
    x, y, width, height = rect
    return {(i, j) for i in range(x, x + width) for j in range(y, y + height)}


@pytest.mark.parametrize("renderer", ["arnold", "sw"])
@pytest.mark.parametrize(("kind", "count"), [("strip", 3), ("block", 4), ("block", 7)])
def test_tile_regions_cover_the_full_frame_exactly(
    tmp_path: Path, kind: str, count: int, renderer: str
) -> None:
    width, height = 37, 23
    covered: list[tuple[int, int]] = []
    tiles = tile_rects(width, height, count, kind)
    rule = maya.RENDERERS[renderer].region
    for tile in tiles:
        task = tile_task(tmp_path, tile.index, count, kind, (width, height))
        task.spec["renderer"]["name"] = renderer
        command = maya.ADAPTER.build(task)
        values = [int(v) for v in flag(command.argv, "-reg", 4)]
        assert flag(command.argv, "-x") + flag(command.argv, "-y") == [str(width), str(height)]
        pixels = _pixels(rule.rect(values, height))
        assert pixels == _pixels((tile.x, tile.y, tile.width, tile.height))
        covered += pixels
    assert sorted(covered) == sorted(_pixels((0, 0, width, height)))


@pytest.mark.parametrize(
    ("renderer", "region"),
    # The top strip of 1920x1080: Software counts rows from the bottom, Arnold from the top.
    [("sw", ["0", "1919", "540", "1079"]), ("arnold", ["0", "1919", "0", "539"])],
)
def test_the_top_strip_in_each_renderers_rows(tmp_path: Path, renderer: str, region) -> None:
    task = tile_task(tmp_path, 0, 2, "strip", (1920, 1080))
    task.spec["renderer"]["name"] = renderer
    assert flag(maya.ADAPTER.build(task).argv, "-reg", 4) == region


def test_how_each_renderer_writes_a_tile(tmp_path: Path) -> None:
    """Arnold's PNG/TIFF/JPEG tiles are the region's size, its EXR and Software's full."""
    task = tile_task(tmp_path, 3, 4, "block")
    arnold = maya.ADAPTER.build(task)
    assert (arnold.tile_mode, arnold.tile_modes["png"], arnold.tile_modes["tif"]) == (
        "full", "cropped", "cropped")  # fmt: skip
    assert arnold.tile_modes["exr"] == "full"
    task.spec["renderer"]["name"] = "sw"
    software = maya.ADAPTER.build(task)
    assert (software.tile_mode, software.tile_modes) == ("full", {})


def test_tile_names_carry_the_tile_index(tmp_path: Path) -> None:
    task = tile_task(tmp_path, 3, 4, "block")
    assert flag(maya.ADAPTER.build(task).argv, "-im") == ["<Scene>_tile0003"]
    task.spec["output_prefix"] = "<RenderLayer>/<Scene>"
    assert flag(maya.ADAPTER.build(task).argv, "-im") == ["<RenderLayer>/<Scene>_tile0003"]


@pytest.mark.parametrize(
    ("name", "message"),
    [("hw2", "no -reg"), ("renderman", "no -reg"), (None, "no -reg"),
     ("redshift", "not verified"), ("vray", "not verified")],
)  # fmt: skip
def test_renderers_without_a_known_region_rule_refuse_tiles(tmp_path: Path, name, message) -> None:
    task = tile_task(tmp_path, 0, 2, "strip")
    task.spec["renderer"] = {"adapter": "maya", **({"name": name} if name else {})}
    with pytest.raises(AdapterError, match=message):
        maya.ADAPTER.build(task)


# --------------------------------------------------------------------------- dirmap, ARNOLD_PATHMAP


def test_mel_strings_read_back_as_written() -> None:
    parse = _standin_module().mel_statements
    for text in ["C:/Project/", r"\\nas\share\ ", 'say "hi"', "été/夏/ü", "tab\there\nnewline"]:
        assert parse(f"dirmap -m {maya.mel_string(text)} {maya.mel_string('/x/')};") == [
            ["dirmap", "-m", text, "/x/"]
        ]


def test_mel_string_refuses_control_characters() -> None:
    with pytest.raises(AdapterError, match="control character"):
        maya.mel_string("a\x1bb")


def test_dirmap_mel_and_arnold_pathmap_files(tmp_path: Path) -> None:
    task = make_task(tmp_path)
    task.path_map = {
        "C:/": "/jobs/7/C/",
        "//nas/lib/": "/jobs/7/nas/lib/",
        'Y:/Ünïcode "quoted"/': "/mnt/ü/",
        "c:/": "/jobs/7/C/",
    }
    command = maya.ADAPTER.build(task)
    mel = command.files[task.work_dir / maya.PRE_RENDER_MEL]
    assert mel.splitlines()[1:] == [
        "dirmap -en true;",
        'dirmap -m "C:/" "/jobs/7/C/";',
        'dirmap -m "//nas/lib/" "/jobs/7/nas/lib/";',
        'dirmap -m "Y:/Ünïcode \\"quoted\\"/" "/mnt/ü/";',
        'dirmap -m "c:/" "/jobs/7/C/";',
        'dirmap -m "C:\\\\" "/jobs/7/C/";',  # the same prefixes with backslashes
        'dirmap -m "\\\\\\\\nas\\\\lib\\\\" "/jobs/7/nas/lib/";',
        'dirmap -m "Y:\\\\Ünïcode \\"quoted\\"\\\\" "/mnt/ü/";',
        'dirmap -m "c:\\\\" "/jobs/7/C/";',
    ]
    pathmap_file = Path(command.env["ARNOLD_PATHMAP"])
    assert pathmap_file == task.work_dir / maya.ARNOLD_PATHMAP_JSON
    table = json.loads(command.files[pathmap_file])[maya.arnold_os()]
    assert table == {
        **task.path_map,
        "C:\\": "/jobs/7/C/",
        "\\\\nas\\lib\\": "/jobs/7/nas/lib/",
        'Y:\\Ünïcode "quoted"\\': "/mnt/ü/",
        "c:\\": "/jobs/7/C/",
    }
    write_files(command)
    assert 'Ünïcode \\"quoted\\"'.encode() in (task.work_dir / maya.PRE_RENDER_MEL).read_bytes()


def test_without_a_path_map_there_is_no_pre_render(tmp_path: Path) -> None:
    command = maya.ADAPTER.build(make_task(tmp_path))
    assert "-preRender" not in command.argv
    assert command.files == {}
    assert "ARNOLD_PATHMAP" not in command.env


# --------------------------------------------------------------------------- output lines

PROGRESS_LINES = [
    ("00:00:15   325MB         |    20% done - 115 rays/pixel", 0.2),
    ("00:00:01  1024MB         |     0% done - 9 rays/pixel", 0.0),
    ("00:01:40  2048MB         |   100% done - 16 rays/pixel", 1.0),
    ("00:01:41  2048MB         | render done in 1:40.112", 1.0),
    ("R90000  45%", 0.45),
    ("[PROGRESS] 30 percent", 0.3),
    ("INFO : [Redshift] \tBlock 12/48 (3,4) rendered by GPU 0 in 2ms", 0.25),
    ("V-Ray: 64%", 0.64),
]

FATAL_LINES = [
    (
        "00:34:55  5452MB ERROR   |  aborting render because this is a batch render and "
        "abort_on_license_fail option is enabled",
        "Arnold licence failure",
    ),
    ("[mtoa] Failed to acquire a license for Arnold", "Arnold licence failure"),
    ("00:00:00   120MB WARNING |  rendering with watermarks because of failed license", "water"),
    ("Arnold is running in evaluation mode", "evaluation mode"),
    ("[mtoa] unable to load plugin file /opt/x.so", "missing file"),
    ('// Error: file: /r/shot.ma line 12: Cannot find file "X:/ref.ma" for ref', "missing file"),
    ("00:00:02  300MB ERROR   | [texturesys] unable to open /r/tex.tx", "missing file"),
    ('// Error: Cannot load scene "/r/shot.ma". Please check the scene name.', "did not load"),
    ("Error: Scene was not loaded properly, please check the scene name", "did not load"),
    ('// Error: Camera "shotCam" does not exist.', "camera"),
    ("Warning: This scene does not have any renderable cameras.", "renderable camera"),
    ("[mtoa] Failed batch render", "MtoA batch render failed"),
    ('Plug-in, "mtoa", was not found on MAYA_PLUG_IN_PATH.', "not installed"),
    ("[Redshift] Maxon licensing error: no license", "Redshift licence"),
    ("error: Could not obtain a license (-88)", "licence"),
    ("R50005 {SEVERE}  License error - feature: RPS-24.0", "RenderMan licence"),
    ("Usage: Render [options] filename", "command line"),
    # Deadline's MayaCmd plug-in's fatal lines (issue 20).
    ("// Error: Error writing render region to raw image file.", "region could not be written"),
    ("error 101003: can't create file (No such file or directory)", "could not be created"),
    ("Fatal Error: Attempting to save in /tmp/x.ma", "fatal error"),
    ("// Error: Graphics card capabilities are insufficient for rendering.", "graphics card"),
    (
        '// Warning: The post-processing failed while attempting to rename file "/r/a.iff"',
        "not renamed",
    ),
    ("00:00:01   300MB ERROR   | [driver_exr] aborting render: cannot write", "Arnold aborted"),
]

QUIET_LINES = [
    "[mtoa] Loading plug-in",
    "Result: /r/out/shot.0001.exr",
    '// Error: Cannot find procedure "xgmPreview".',  # seen in healthy batch logs
    "00:00:00   100MB         | [color_manager] no OCIO config found",
    "Rendering frame 5 of 10 (50%) of the sequence",  # not a renderer's progress line
]


@pytest.mark.parametrize(("line", "progress"), PROGRESS_LINES)
def test_progress_lines(line: str, progress: float) -> None:
    event = maya.ADAPTER.parse_line(line)
    assert event is not None and event.fatal is None
    assert event.progress == pytest.approx(progress)


@pytest.mark.parametrize(("line", "reason"), FATAL_LINES)
def test_fatal_lines(line: str, reason: str) -> None:
    event = maya.ADAPTER.parse_line(line)
    assert event is not None and event.progress is None
    assert reason in event.fatal and line.strip() in event.fatal


@pytest.mark.parametrize("line", QUIET_LINES)
def test_informational_lines_mean_nothing(line: str) -> None:
    assert maya.ADAPTER.parse_line(line) is None


# --------------------------------------------------------------------------- runs of the stand-in


def _job(tmp_path: Path) -> tuple[Path, PathMapper, list[str]]:
    """A job laid out under its root, a studio share for Y:, and a scene naming both."""
    root, studio = tmp_path / "root", tmp_path / "studio share"
    textures = {
        "C:/Project/sourceimages/brick.png": root / "C/Project/sourceimages/brick.png",
        "C:/Project/sourceimages/été 夏.png": root / "C/Project/sourceimages/été 夏.png",
        r"\\nas\lib\grid.png": root / "nas/lib/grid.png",
        "Y:/library/wood.png": studio / "library/wood.png",
    }
    for path in textures.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"texture")
    scene = root / "C/Project/scenes/shot.ma"
    scene.parent.mkdir(parents=True)
    nodes = "".join(
        f'createNode file -n "file{i}";\n\tsetAttr ".ftn" -type "string" {maya.mel_string(p)};\n'
        for i, p in enumerate(textures)
    )
    # name.####.png: animation on, the frame before the extension, padding 4, Arnold PNG.
    globals_ = ('select -ne :defaultRenderGlobals;\n\tsetAttr ".an" yes;\n'
                '\tsetAttr ".pff" yes;\n\tsetAttr ".ep" 4;\n'
                'createNode aiAOVDriver -s -n "defaultArnoldDriver";\n'
                '\tsetAttr ".ai_translator" -type "string" "png";\n')  # fmt: skip
    scene.write_text(f"//Maya ASCII 2025 scene\n{nodes}{globals_}// End of shot.ma\n",
                     encoding="utf-8")  # fmt: skip
    mapper = PathMapper(root, worker_rules=[PathRule("Y:/", str(studio))])
    return scene, mapper, ["C:/Project/scenes/shot.ma", *textures]


def test_a_chunk_renders_through_the_standin_with_dirmap(tmp_path: Path) -> None:
    scene, mapper, client_paths = _job(tmp_path)
    task = make_task(tmp_path / "attempt é", [1, 2, 4])
    task.scene, task.job_root = scene, tmp_path / "root"
    task.path_map = mapper.path_map(client_paths)
    command = maya.ADAPTER.build(task)
    done = run(command)
    for result in done:
        assert result.returncode == 0, result.stdout + result.stderr
    stdout = "".join(r.stdout for r in done)
    assert "dirmap: Y:/ -> " + f"{tmp_path}/studio share/" in stdout
    assert sorted(p.name for p in task.output_dir.iterdir()) == [
        "shot.0001.png",
        "shot.0002.png",
        "shot.0004.png",
    ]
    events = [maya.ADAPTER.parse_line(line) for line in stdout.splitlines()]
    assert not [e for e in events if e and e.fatal]
    progress = [e.progress for e in events if e and e.progress is not None]
    assert progress == [0.0, 0.5, 1.0, 1.0] * 3


def test_without_path_mapping_the_scene_misses_its_files(tmp_path: Path) -> None:
    scene, _, _ = _job(tmp_path)
    task = make_task(tmp_path, [1])
    task.scene = scene
    (result,) = run(maya.ADAPTER.build(task))
    assert result.returncode != 0
    fatal = [e.fatal for e in map(maya.ADAPTER.parse_line, result.stdout.splitlines()) if e]
    assert fatal and "missing file" in fatal[0] and "C:/Project/sourceimages" in fatal[0]


def test_the_standin_refuses_what_render_refuses(tmp_path: Path) -> None:
    """A bad flag gets Render's usage text, which parse_line reads as fatal."""
    task = make_task(tmp_path, renderer={"name": "sw"})
    task.scene.parent.mkdir(parents=True)
    task.scene.write_text("//Maya ASCII 2025 scene\n", encoding="utf-8")
    command = maya.ADAPTER.build(task)
    command.argv[-1:-1] = ["-ai:lve", "2"]  # an Arnold flag for Maya Software
    (result,) = run(command)
    assert result.returncode != 0
    events = [maya.ADAPTER.parse_line(line) for line in result.stdout.splitlines()]
    assert any(e and e.fatal and "command line" in e.fatal for e in events)


# --------------------------------------------------------------------------- environment


@pytest.mark.parametrize(("setting", "value"), [(True, "1"), (False, "0"), (None, None)])
def test_the_environment_has_a_utf8_locale_and_the_artists_light_setting(
    tmp_path: Path, setting: bool | None, value: str | None
) -> None:
    renderer = {} if setting is None else {"include_all_lights": setting}
    env = maya.ADAPTER.build(make_task(tmp_path, renderer=renderer)).env
    assert env["LANG"] == env["LC_ALL"] == "C.UTF-8"  # the pre-render MEL is UTF-8
    assert env.get("MAYA_RENDER_SETUP_INCLUDE_ALL_LIGHTS") == value


def test_the_light_setting_must_be_a_boolean(tmp_path: Path) -> None:
    task = make_task(tmp_path, renderer={"include_all_lights": "yes"})
    with pytest.raises(AdapterError, match="include_all_lights must be true or false"):
        maya.ADAPTER.build(task)


# --------------------------------------------------------------------------- missing textures


@pytest.mark.parametrize(("renderer", "switch"), [("arnold", ["-ai:aerr", "1"]),
                                                  ("sw", ["-amt", "true"])])  # fmt: skip
def test_a_missing_texture_fails_the_render_through_the_renderers_switch(
    tmp_path: Path, renderer: str, switch: list[str]
) -> None:
    scene, _, _ = _job(tmp_path)
    task = make_task(tmp_path, [1], renderer={"name": renderer, "image_format": "png"})
    task.scene = scene
    command = maya.ADAPTER.build(task)
    assert flag(command.argv, switch[0]) == switch[1:]
    (result,) = run(command)
    assert result.returncode != 0
    fatal = [e.fatal for e in map(maya.ADAPTER.parse_line, result.stdout.splitlines()) if e]
    assert fatal and "missing file" in fatal[0]
    # Without the switch the renderer only warns and renders (what the switch is for).
    i = command.argv.index(switch[0])
    del command.argv[i : i + 2]
    (result,) = run(command)
    assert result.returncode == 0 and "Warning" in result.stdout
