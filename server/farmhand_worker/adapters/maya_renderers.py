"""How Maya's ``Render`` behaves per renderer: the one table the adapter, the tile assembly
and the test stand-in follow.

Per renderer (:class:`MayaRenderer`): its ``-r`` value and fixed flags, the switch that
makes a missing texture fatal, its environment, its fatal output lines, and, for the
renderers that render a region, the region rule (:class:`RegionRule`): where ``-reg``
counts its rows from and what the image of a region holds per format (the whole frame
with only the region rendered, or just the region). ``docs/worker-adapters.md`` has the
same table with the source of each cell; where a cell is unverified it says so.

Standard library only: the stand-in ``tests/worker/standin/Render`` loads this file by
its path, so the stand-in models each renderer the way the adapter expects it to behave.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

BOTTOM_LEFT = "bottom-left"
TOP_LEFT = "top-left"
FULL = "full"  # the image is the whole frame; only the region's pixels are rendered
CROPPED = "cropped"  # the image is the region's size


@dataclass(frozen=True)
class RegionRule:
    """What ``Render -reg a b c d`` means for one renderer.

    All four values are inclusive pixel bounds: ``left right`` columns, then two rows.
    ``origin`` says where rows are counted from: ``bottom-left`` (Maya Software: ``-reg
    left right bottom top``) or ``top-left`` (Arnold: MtoA sets ``regionMinX MaxX MinY
    MaxY`` from the four values, rows counted from the top: ``-reg left right top
    bottom``). ``written`` maps an image extension to :data:`FULL` or :data:`CROPPED`;
    other extensions are ``default``. ``exr_data_window``: a full EXR's data window is
    the region alone (the display window is the frame) rather than the whole frame.
    """

    origin: str
    written: Mapping[str, str] = field(default_factory=dict)
    default: str = FULL
    exr_data_window: bool = False

    def argv(self, x: int, y: int, width: int, height: int, image_height: int) -> list[int]:
        """The four ``-reg`` values of a rectangle given top-left (``x, y`` its first pixel).

        >>> RENDERERS["sw"].region.argv(20, 15, 20, 15, 30)  # the bottom-right quarter
        [20, 39, 0, 14]
        >>> RENDERERS["arnold"].region.argv(20, 15, 20, 15, 30)
        [20, 39, 15, 29]
        """
        if self.origin == TOP_LEFT:
            return [x, x + width - 1, y, y + height - 1]
        return [x, x + width - 1, image_height - (y + height), image_height - 1 - y]

    def rect(self, values: list[int], image_height: int) -> tuple[int, int, int, int]:
        """``(x, y, width, height)`` top-left of the pixels four ``-reg`` values name.

        >>> RENDERERS["sw"].region.rect([20, 39, 0, 14], 30)
        (20, 15, 20, 15)
        >>> RENDERERS["arnold"].region.rect([20, 39, 15, 29], 30)
        (20, 15, 20, 15)
        """
        left, right, first, last = values
        if self.origin == TOP_LEFT:
            top, bottom = first, last
        else:
            top, bottom = image_height - 1 - last, image_height - 1 - first
        return left, top, right - left + 1, bottom - top + 1

    def tile_mode(self, extension: str) -> str:
        """:data:`FULL` or :data:`CROPPED` for an image file's extension (``.png`` or ``png``).

        >>> rule = RENDERERS["arnold"].region
        >>> rule.tile_mode(".PNG"), rule.tile_mode("exr")
        ('cropped', 'full')
        """
        return self.written.get(extension.lower().lstrip("."), self.default)


@dataclass(frozen=True)
class MayaRenderer:
    """One renderer as ``Render`` drives it (see the module doc)."""

    r: str
    flags: tuple[str, ...] = ()
    missing_texture: tuple[str, ...] = ()  # flags that make a missing texture fail the render
    env: Mapping[str, str] = field(default_factory=dict)
    region: RegionRule | None = None  # None: no ``-reg``, so no tiles
    no_region_why: str = "takes no -reg"
    fatal: tuple[tuple[str, str], ...] = ()  # (regular expression, reason) of its own lines


COMMON_ENV: dict[str, str] = {
    "MAYA_DISABLE_CIP": "1",  # Customer Involvement Program
    "MAYA_DISABLE_CER": "1",  # Customer Error Reporting (a crash dialog on a farm node)
    "MAYA_DISABLE_CLIC_IPM": "1",  # in-product messages
    "MAYA_DEBUG_ENABLE_CRASH_REPORTING": "0",
    # The pre-render MEL and the ARNOLD_PATHMAP file are written as UTF-8.
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
}
"""Environment of every Maya run, whatever the renderer."""

INCLUDE_ALL_LIGHTS = "MAYA_RENDER_SETUP_INCLUDE_ALL_LIGHTS"
"""Set to ``1``/``0`` from the artist's Render Setup preference (the spec's
``renderer.include_all_lights``), so each layer gets the lights the artist saw."""

_IMAGE_CROPPED = {"png": CROPPED, "jpg": CROPPED, "jpeg": CROPPED, "tif": CROPPED,
                  "tiff": CROPPED, "exr": FULL}  # fmt: skip

_ARNOLD_MISSING = (
    r"(?i)ERROR\s*\|.*(?:unable to (?:open|load|find)|could not (?:open|load|find)"
    r"|can't open|No such file)"
)

COMMON_FATAL: tuple[tuple[str, str], ...] = (
    # Maya's own lines, most as Deadline's MayaCmd plug-in lists them as fatal.
    (r"FLEXlm error:|License was not obtained", "Maya licence failure"),
    (r"Error encountered when initializing Maya - Please check", "Maya licence failure"),
    (r"Could not obtain a license|could not get a license", "licence failure"),
    (r"(?i)running in evaluation mode", "the renderer runs in evaluation mode"),
    (r"Error:.*Cannot find file", "missing file"),
    (r"Cannot load scene|Scene was not loaded properly", "the scene did not load"),
    (r"Could not open file\. :|Error reading file\. :", "the scene did not load"),
    (r"Cannot open project", "the Maya project did not open"),
    (r"Error: Camera .*does not exist", "the camera does not exist"),
    (r"does not have any renderable cameras", "no renderable camera"),
    (r"Error: There was a fatal error rendering the scene", "fatal render error"),
    (r"Error: An exception has occurred, rendering aborted", "fatal render error"),
    (r"Error writing render region to raw image file", "the region could not be written"),
    (r"can't create file", "an output file could not be created"),
    (r"Fatal Error:", "fatal error"),
    (r"Graphics card capabilities are insufficient", "the graphics card cannot render"),
    (r"post-processing failed while attempting to rename file", "an output was not renamed"),
    (r"Error: Failed to open IFF file for reading", "an intermediate image was not read"),
    (r"Failed to save file", "an output file was not saved"),
    (r"^Usage: Render ", "Render refused its command line"),
)
"""Fatal lines of any ``Render`` run."""

RENDERERS: dict[str, MayaRenderer] = {
    "file": MayaRenderer(
        "file", no_region_why="takes no -reg here (the worker does not know the scene's renderer)"
    ),
    "sw": MayaRenderer(
        "sw",
        missing_texture=("-amt", "true"),
        region=RegionRule(BOTTOM_LEFT),
    ),
    "hw2": MayaRenderer("hw2"),
    "arnold": MayaRenderer(
        "arnold",
        # Render rather than export, Info log level (prints "% done"), log to the console,
        # abort on licence failure instead of watermarking.
        flags=("-rt", "0", "-ai:lve", "2", "-ai:ltc", "1", "-ai:alf", "1"),
        missing_texture=("-ai:aerr", "1"),
        env={"ARNOLD_FORCE_ABORT_ON_LICENSE_FAIL": "1"},
        region=RegionRule(TOP_LEFT, _IMAGE_CROPPED, FULL, exr_data_window=True),
        fatal=(
            (r"aborting render because .*abort_on_license_fail", "Arnold licence failure"),
            (r"(?i)\[mtoa\].*\bfail.*\blicen[cs]e", "Arnold licence failure"),
            (r"ERROR\s*\|.*\blicen[cs]e", "Arnold licence failure"),
            (r"(?i)render(?:ing|s)? with watermarks?", "Arnold renders with watermarks"),
            (r"(?i)\[mtoa\].*\bunable to load\b", "missing file"),
            (_ARNOLD_MISSING, "missing file"),
            (r'Plug-in, "mtoa", was not found', "MtoA (Arnold) is not installed"),
            (r"\[mtoa\] Failed batch render", "MtoA batch render failed"),
            (r"ERROR\s*\|.*aborting", "Arnold aborted on an error"),
        ),
    ),
    "redshift": MayaRenderer(
        "redshift",
        env={"REDSHIFT_FORCEQUITONINTERNALERROR": "1"},  # quit instead of hanging
        no_region_why="-reg is not verified for Redshift (docs/worker-adapters.md)",
        fatal=(
            (r"(?i)Maxon licen(?:se|sing) error", "Redshift licence failure"),
            (r"Frame rendering aborted|Rendering was internally aborted", "Redshift aborted"),
        ),
    ),
    "vray": MayaRenderer(
        "vray",
        no_region_why="-reg is not verified for V-Ray (docs/worker-adapters.md)",
        fatal=((r"Could not read V-Ray environment variable", "V-Ray is not set up"),),
    ),
    "renderman": MayaRenderer(
        "renderman",
        fatal=(
            (r"\{SEVERE\}\s+License", "RenderMan licence failure"),
            (r"Error: rman Fatal:|rman Error:", "RenderMan error"),
        ),
    ),
}
"""The renderers the maya adapter drives, by ``Render -r`` value."""


def fatal_patterns() -> list[tuple[re.Pattern[str], str]]:
    """Every fatal line pattern: the common ones, then each renderer's (an output line of one
    renderer never appears in another's log, so a run is matched against all of them)."""
    pairs = [*COMMON_FATAL, *(p for r in RENDERERS.values() for p in r.fatal)]
    return [(re.compile(pattern), reason) for pattern, reason in pairs]
