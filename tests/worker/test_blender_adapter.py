"""The blender adapter against the real ``blender``: argv, outputs, border tiles, log lines.

Scenes come from `blender_scenes.make_scene` (Cycles, fixed seed, no denoising or
adaptive sampling) and are tiny (64×48, 8 samples), so each render takes about a
second, most of it Blender starting.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import OpenEXR
import pytest
from blender_scenes import make_scene
from farmhand.spec.tiles import tile_rects, to_blender_border
from farmhand_worker.adapters import AdapterError, LineEvent, RenderCommand, RenderTask, TileJob
from farmhand_worker.adapters import get as get_adapter
from farmhand_worker.adapters.blender import ADAPTER, FORMATS, frame_file
from PIL import Image

pytestmark = pytest.mark.skipif(shutil.which("blender") is None, reason="blender not installed")

WIDTH, HEIGHT = 64, 48


@dataclass
class Run:
    """What one run of a command left: exit status, output lines, and what they meant."""

    returncode: int
    lines: list[str]
    events: list[LineEvent]

    @property
    def fatal(self) -> list[str]:
        return [e.fatal for e in self.events if e.fatal]

    @property
    def progress(self) -> list[float]:
        return [e.progress for e in self.events if e.progress is not None]


def run(command: RenderCommand) -> Run:
    """Run a command the way the daemon does: files written, env added, argv as a list."""
    for path, text in command.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    done = subprocess.run(command.argv, cwd=command.cwd, env={**os.environ, **command.env},
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    lines = (done.stdout + done.stderr).splitlines()
    events = [e for e in map(ADAPTER.parse_line, lines) if e is not None]
    return Run(done.returncode, lines, events)


def make_task(scene: Path, where: Path, frames: list[int], *, tile: TileJob | None = None,
              path_map: dict[str, str] | None = None, **spec) -> RenderTask:  # fmt: skip
    """A task for `scene` with its own output and work folders under `where`."""
    renderer = {"adapter": "blender", **spec.pop("renderer", {})}
    where.mkdir(parents=True, exist_ok=True)
    (where / "out").mkdir(exist_ok=True)
    return RenderTask(
        job_id=1, task_id=1, attempt_id=1, kind="tile" if tile else "chunk", frames=frames,
        scene=scene, job_root=scene.parent, output_dir=where / "out", work_dir=where / "work",
        spec={"renderer": renderer, **spec}, tile=tile, path_map=path_map or {},
    )  # fmt: skip


def plain_render(scene: Path, out: Path, frame: int, fmt: str = "PNG") -> Path:
    """``blender -b scene -o … -F fmt -f N``: Blender on its own, as the reference."""
    out.mkdir(parents=True, exist_ok=True)
    argv = ["blender", "-b", str(scene), "-o", str(out / "ref_####"), "-F", fmt, "-x", "1",
            "-f", str(frame)]  # fmt: skip
    subprocess.run(argv, check=True, capture_output=True, timeout=300)
    return out / frame_file("ref_####", frame, FORMATS[fmt])


def pixels(path: Path) -> np.ndarray:
    """An image's pixels, rows from the top: uint8 for PNG, float32 RGBA for EXR."""
    if path.suffix == ".exr":
        channels = OpenEXR.File(str(path)).channels()
        return np.asarray(channels["RGBA"].pixels)
    return np.asarray(Image.open(path))


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An animated scene with Blender's default dithering (1.0) and an image texture."""
    return make_scene(tmp_path_factory.mktemp("scene") / "shot.blend", width=WIDTH,
                      height=HEIGHT, samples=8, dither=1.0)  # fmt: skip


@pytest.fixture(scope="module")
def reference(scene: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Frame 4 of the scene rendered by plain Blender."""
    return plain_render(scene, tmp_path_factory.mktemp("ref"), 4)


# --------------------------------------------------------------------------- argv


def test_the_adapter_is_found_by_name() -> None:
    assert get_adapter("blender") is ADAPTER and ADAPTER.name == "blender"


def test_argv_for_a_chunk_a_gap_chunk_and_tiles(tmp_path: Path) -> None:
    scene = tmp_path / "shot.blend"
    chunk = ADAPTER.build(make_task(scene, tmp_path / "a", [3, 4, 5], width=64, height=48))
    argv = chunk.argv
    assert argv[:4] == ["blender", "-b", "-Y", str(scene)]
    assert argv[argv.index("-o") + 1] == str(tmp_path / "a" / "out" / "shot_####")
    assert argv[argv.index("-F") + 1] == "PNG" and "-E" not in argv
    frames = argv[argv.index("--python") + 2 : argv.index("--")]
    assert frames == ["-s", "3", "-e", "5", "-j", "1", "-a"]
    assert argv[argv.index("--size") + 1 : argv.index("--size") + 3] == ["64", "48"]
    assert [p.name for p in chunk.expected] == ["shot_0003.png", "shot_0004.png", "shot_0005.png"]
    assert chunk.tile_mode is None and "--border" not in argv

    exr = {"engine": "CYCLES", "image_format": "OPEN_EXR"}
    gaps = ADAPTER.build(make_task(scene, tmp_path / "b", [7, 1, 3], renderer=exr))
    assert gaps.argv[gaps.argv.index("--python") + 2 : gaps.argv.index("--")] == ["-f", "1,3,7"]
    assert gaps.argv[gaps.argv.index("-E") + 1] == "CYCLES"
    assert [p.name for p in gaps.expected] == ["shot_0001.exr", "shot_0003.exr", "shot_0007.exr"]

    for kind, count, fmt, mode in (
        ("strip", 2, "PNG", "full"),
        ("block", 4, "OPEN_EXR", "cropped"),
    ):
        tiles = tile_rects(640, 480, count, kind)
        tile = tiles[1]
        task = make_task(scene, tmp_path / kind, [12], renderer={"image_format": fmt},
                         tile=TileJob(tile, len(tiles), 640, 480))  # fmt: skip
        built = ADAPTER.build(task)
        at = built.argv.index("--border")
        assert [float(v) for v in built.argv[at + 1 : at + 5]] == list(
            to_blender_border(tile, 640, 480)
        )
        assert ("--crop" in built.argv) == (mode == "cropped") and built.tile_mode == mode
        assert built.argv[built.argv.index("--size") + 1 : at] == ["640", "480"]
        assert built.expected[0].name == f"shot_tile0001_0012{FORMATS[fmt].extension}"


def test_bad_input_is_refused_with_a_reason(tmp_path: Path) -> None:
    scene = tmp_path / "shot.blend"
    cases = [
        ({"renderer": {"image_format": "FFMPEG"}}, "movie"),
        ({"renderer": {"image_format": "PSD"}}, "not one the blender adapter writes"),
        ({"renderer": {"engine": "cycles; rm"}}, "not a Blender engine name"),
        ({"renderer": {"extra_args": ["--python-expr", "print(1)"]}}, "runs code"),
        ({"renderer": {"extra_args": ["-o", "/etc/x"]}}, "set it with output_prefix"),
        ({"output_prefix": "/etc/cron.d/x"}, "must be relative"),
        ({"output_prefix": "a/../../x"}, "'..'"),
        ({"cameras": ["a", "b"]}, "one camera"),
    ]
    for spec, message in cases:
        with pytest.raises(AdapterError, match=message):
            ADAPTER.build(make_task(scene, tmp_path / "t", [1], **spec))
    with pytest.raises(AdapterError, match="negative frame"):
        ADAPTER.build(make_task(scene, tmp_path / "t", [-2, -1]))


# --------------------------------------------------------------------------- renders


# Issue 11: each of these ran code on the node or wrote outside the job folder.
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--env-system-python", "../../root/C/py"], r"\[0\]: \"--env-system-python\".*runs code"),
        (["--env-system-scripts", "/tmp/x"], "reaches outside the job"),
        (["--log-file", "/etc/cron.d/farm"], r"\[0\]: \"--log-file\".*reaches outside the job"),
        (["--python", "/tmp/evil.py"], r"\[0\]: \"--python\".*runs code"),
        (["-t", "2", "-P", "/tmp/evil.py"], r"\[2\]: \"-P\".*runs code"),
        (["--python-text", "Text"], "runs code"),
        (["--addons", "evil"], "runs code"),
        (["--app-template", "evil"], "runs code"),
        (["-y"], "runs code"),
        (["-t", "--python"], "not a whole number"),
        (["--threads", "99999"], "from 0 to 1024"),
        (["--log", "*; rm"], "not a log type pattern"),
        (["-E", "CYCLES"], "set it with renderer.engine"),
        (["../../etc/passwd"], "not an option allowed for the blender adapter"),
    ],
)
def test_extra_args_outside_the_allowlist_are_refused(tmp_path: Path, extra, message) -> None:
    task = make_task(tmp_path / "s.blend", tmp_path / "t", [1], renderer={"extra_args": extra})
    with pytest.raises(AdapterError, match=message):
        ADAPTER.build(task)


def test_allowed_extra_args_follow_the_scene(tmp_path: Path) -> None:
    extra = ["-t", "2", "--factory-startup", "--log", "render.*", "--log-level", "-1"]
    task = make_task(tmp_path / "s.blend", tmp_path / "t", [1], renderer={"extra_args": extra})
    argv = ADAPTER.build(task).argv
    at = argv.index(str(tmp_path / "s.blend")) + 1
    assert argv[at : at + len(extra)] == extra


def test_a_frame_is_pixel_identical_to_plain_blender(scene: Path, reference: Path,
                                                     tmp_path: Path) -> None:  # fmt: skip
    command = ADAPTER.build(make_task(scene, tmp_path, [4], width=WIDTH, height=HEIGHT))
    result = run(command)
    assert result.returncode == 0 and not result.fatal, "\n".join(result.lines)
    (image,) = command.expected
    assert np.array_equal(pixels(image), pixels(reference))
    assert result.progress[-1] == 1.0 and result.progress == sorted(result.progress)
    # The scene is animated: another frame is another picture.
    other = plain_render(scene, tmp_path / "other", 1)
    assert not np.array_equal(pixels(other), pixels(reference))


def test_a_chunk_renders_every_frame_whatever_the_scene_frame_step(tmp_path: Path) -> None:
    scene = make_scene(tmp_path / "stepped.blend", step=3, samples=4)
    for name, frames in (("run", [2, 3, 4]), ("gaps", [1, 5])):
        command = ADAPTER.build(make_task(scene, tmp_path / name, frames))
        result = run(command)
        assert result.returncode == 0, "\n".join(result.lines)
        produced = sorted(p.name for p in (tmp_path / name / "out").iterdir())
        assert produced == sorted(p.name for p in command.expected)
        assert len(produced) == len(frames)


def test_paths_with_spaces_and_non_ascii_characters_render(reference: Path, tmp_path: Path) -> None:
    folder = tmp_path / "my shot 镜头 été"
    texture = folder / "tex dir" / "贴图 1.png"
    scene = make_scene(folder / "plan d'été.blend", textures=[texture], dither=1.0)
    command = ADAPTER.build(make_task(scene, folder / "task 任务", [4], output_prefix="beauty é/"))
    result = run(command)
    assert result.returncode == 0 and not result.fatal, "\n".join(result.lines)
    (image,) = command.expected
    assert image.name == "0004.png" and image.parent.name == "beauty é"
    assert np.array_equal(pixels(image), pixels(reference))


def _stitch(parts: list[tuple[Path, object]], mode: str, like: np.ndarray) -> np.ndarray:
    frame = np.zeros_like(like)
    for path, tile in parts:
        image = pixels(path)
        region = (slice(tile.y, tile.bottom), slice(tile.x, tile.right))
        frame[region] = image if mode == "cropped" else image[region]
    return frame


@pytest.mark.parametrize(
    ("kind", "count", "fmt"),
    [("strip", 2, "PNG"), ("block", 4, "PNG"), ("block", 5, "OPEN_EXR")],
)
def test_border_tiles_stitch_into_exactly_the_full_frame(
    scene: Path, tmp_path: Path, kind: str, count: int, fmt: str
) -> None:
    full = pixels(plain_render(scene, tmp_path / "full", 4, fmt))
    tiles = tile_rects(WIDTH, HEIGHT, count, kind)
    parts, modes = [], set()
    for tile in tiles:
        task = make_task(scene, tmp_path / f"tile{tile.index}", [4],
                         renderer={"image_format": fmt},
                         tile=TileJob(tile, len(tiles), WIDTH, HEIGHT))  # fmt: skip
        command = ADAPTER.build(task)
        result = run(command)
        assert result.returncode == 0 and not result.fatal, "\n".join(result.lines)
        (image,) = command.expected
        size = (tile.height, tile.width) if command.tile_mode == "cropped" else (HEIGHT, WIDTH)
        assert pixels(image).shape[:2] == size
        parts.append((image, tile))
        modes.add(command.tile_mode)
    (mode,) = modes
    assert mode == ("cropped" if fmt == "OPEN_EXR" else "full")
    stitched = _stitch(parts, mode, full)
    assert np.array_equal(stitched, full), f"{np.count_nonzero(stitched != full)} values differ"
    try:
        from farmhand_worker.outputs.assemble import TileImage, assemble
    except ImportError:
        return  # the worker's assembly is not in this checkout: the numpy stitch is the check
    dest = tmp_path / f"assembled{FORMATS[fmt].extension}"
    assemble([TileImage(path, tile, mode) for path, tile in parts], WIDTH, HEIGHT, dest)
    assert np.array_equal(pixels(dest), full)


def test_cropped_8_bit_tiles_would_not_match_a_dithered_frame(scene: Path, reference: Path,
                                                             tmp_path: Path) -> None:  # fmt: skip
    """Why 8-bit tiles are written full size: Blender's dither follows the written image."""
    top = tile_rects(WIDTH, HEIGHT, 2, "strip")[1]
    task = make_task(scene, tmp_path, [4], tile=TileJob(top, 2, WIDTH, HEIGHT))
    command = ADAPTER.build(task)
    command.argv.append("--crop")  # what "cropped" would do
    result = run(command)
    assert result.returncode == 0, "\n".join(result.lines)
    cropped = pixels(command.expected[0])
    assert cropped.shape[:2] == (top.height, WIDTH)
    assert not np.array_equal(cropped, pixels(reference)[top.y : top.bottom])


def test_every_format_is_named_as_blender_names_it(scene: Path, tmp_path: Path) -> None:
    """One Blender run writes each format and prefix; the names must be `frame_file`'s."""
    argv = ["blender", "-b", str(scene), "-x", "1"]
    cases = [(f"f_{name}_", name) for name in FORMATS]
    cases += [("a_##_b", "PNG"), ("z###.png", "OPEN_EXR"), ("t.TIFF", "TIFF"), ("j##.jpeg", "JPEG")]
    for pattern, name in cases:
        argv += ["-o", str(tmp_path / pattern), "-F", FORMATS[name].arg, "-f", "7"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(frame_file(p, 7, FORMATS[n]) for p, n in cases)


def test_an_absolute_texture_path_is_mapped_to_the_job_files(reference: Path,
                                                             tmp_path: Path) -> None:  # fmt: skip
    artist = tmp_path / "artist"
    scene = make_scene(artist / "shot.blend", paths="absolute", dither=1.0)
    # The worker lays the job's files out under its job root by their client paths.
    root = tmp_path / "root"
    for path in (scene, artist / "textures" / "checker.png"):
        local = root / path.relative_to("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, local)
    shutil.rmtree(artist)  # the artist's machine is not the worker
    local_scene = root / scene.relative_to("/")
    top = "/" + scene.parts[1] + "/"

    unmapped = ADAPTER.build(make_task(local_scene, tmp_path / "unmapped", [4]))
    result = run(unmapped)
    assert result.returncode == 3 and not any((tmp_path / "unmapped" / "out").iterdir())
    assert any("missing image 'checker.png'" in f for f in result.fatal), result.fatal

    command = ADAPTER.build(make_task(local_scene, tmp_path / "mapped", [4],
                                      path_map={top: f"{root}{top}"}))  # fmt: skip
    result = run(command)
    assert result.returncode == 0 and not result.fatal, "\n".join(result.lines)
    assert np.array_equal(pixels(command.expected[0]), pixels(reference))
    assert "FARMHAND: node check: 1 file(s) found, 0 missing" in result.lines

    # Missing on the node although mapped: named by the artist's path, before rendering.
    local_texture = root / (artist / "textures" / "checker.png").relative_to("/")
    local_texture.unlink()
    gone = run(ADAPTER.build(make_task(local_scene, tmp_path / "gone", [4],
                                       path_map={top: f"{root}{top}"})))  # fmt: skip
    assert gone.returncode == 3 and not any((tmp_path / "gone" / "out").iterdir())
    artist_texture = (artist / "textures" / "checker.png").as_posix()
    assert gone.fatal == [f"missing image 'checker.png': {artist_texture} (here {local_texture})"]
    assert "FARMHAND: node check: 0 file(s) found, 1 missing" in gone.lines


# --------------------------------------------------------------------------- output lines


def test_lines_from_real_runs(scene: Path, tmp_path: Path) -> None:
    """Each failure as Blender really reports it, read by parse_line."""
    missing_scene = run(ADAPTER.build(make_task(tmp_path / "gone.blend", tmp_path / "a", [1])))
    assert missing_scene.returncode != 0
    assert any(f.startswith("Cannot read file") for f in missing_scene.fatal)

    bad_engine = run(ADAPTER.build(make_task(scene, tmp_path / "b", [1],
                                             renderer={"engine": "NO_SUCH_ENGINE"})))  # fmt: skip
    assert bad_engine.fatal == ["engine not found 'NO_SUCH_ENGINE'"]

    lib_dir = tmp_path / "lib"
    library = make_scene(lib_dir / "asset.blend", samples=4)
    linked = make_scene(lib_dir / "uses.blend", library=library, samples=4)
    library.rename(lib_dir / "moved.blend")
    no_library = run(ADAPTER.build(make_task(linked, tmp_path / "c", [1])))
    assert no_library.returncode == 3
    assert any(f.startswith("Unable to open '") for f in no_library.fatal)
    assert any("libraries and 1 linked data-blocks are missing" in f for f in no_library.fatal)
    assert any(f.startswith("missing library 'asset.blend'") for f in no_library.fatal)

    texture = tmp_path / "tex" / "gone.png"
    no_texture_scene = make_scene(tmp_path / "t" / "shot.blend", textures=[texture], samples=4)
    texture.unlink()
    no_texture = run(ADAPTER.build(make_task(no_texture_scene, tmp_path / "d", [1])))
    assert no_texture.returncode == 3
    assert no_texture.fatal == [f"missing image 'gone.png': {texture}"]

    ok = run(ADAPTER.build(make_task(scene, tmp_path / "e", [2])))
    samples = [line for line in ok.lines if "| Sample " in line]
    assert samples and ok.progress == [
        int(s.split("Sample ")[1].split("/")[0]) / 8 for s in samples
    ]
    assert not ok.fatal


@pytest.mark.parametrize(
    ("line", "event"),
    [
        # Captured from Blender 3.4.1 runs (Eevee needs EGL, so its line is kept as text).
        ("Fra:1 Mem:11.05M (Peak 12.07M) | Time:00:01.58 | Rendering 1 / 8 samples",
         LineEvent(progress=0.125)),
        ("Fra:1 Mem:10.09M (Peak 10.41M) | Time:00:00.06 | Mem:0.97M, Peak:0.97M | Scene, "
         "ViewLayer | Sample 8/8", LineEvent(progress=1.0)),
        ("Fra:1 Mem:9.99M (Peak 10.41M) | Time:00:00.05 | Mem:0.91M, Peak:0.91M | Scene, "
         "ViewLayer | Sample 0/8", LineEvent(progress=0.0)),
        ("Error: Format from '-F / --render-format' not known or not compiled in this release.",
         LineEvent(fatal="Format from '-F / --render-format' not known or not compiled in this "
                         "release.")),
        ("Error: Render error (Invalid argument) cannot save: '/proc/nope/x0001.png'",
         LineEvent(fatal="Render error (Invalid argument) cannot save: '/proc/nope/x0001.png'")),
        ("Error: script failed, file: 'boom.py', exiting.",
         LineEvent(fatal="script failed, file: 'boom.py', exiting.")),
        ("Fra:1 Mem:9.47M (Peak 10.41M) | Time:00:00.05 | Scene, ViewLayer | Updating Images",
         None),
        ("Unable to open a display", None),
        ("EGL Error (0x3001): EGL_NOT_INITIALIZED: EGL is not initialized", None),
        ("Saved: '/tmp/bx/out/full0001.png'", None),
        ("Error: Not freed memory blocks: 2, total unfreed memory 0.000214 MB", None),
    ],
)  # fmt: skip
def test_parse_line(line: str, event: LineEvent | None) -> None:
    assert ADAPTER.parse_line(line) == event


def test_view_layers_and_camera_are_set_by_name(scene: Path, tmp_path: Path) -> None:
    ok = run(ADAPTER.build(make_task(scene, tmp_path / "ok", [1], layers=["ViewLayer"],
                                     cameras=["shot_cam"])))  # fmt: skip
    assert ok.returncode == 0 and not ok.fatal, "\n".join(ok.lines)
    wrong = run(ADAPTER.build(make_task(scene, tmp_path / "wrong", [1], layers=["-x"],
                                        cameras=["ground"])))  # fmt: skip
    assert wrong.returncode == 3
    assert wrong.fatal == [
        "no view layer '-x' in scene 'Scene'",
        "no camera 'ground' in scene 'Scene'",
    ]
