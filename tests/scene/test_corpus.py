"""The offline analysis against real Maya scenes from public repositories.

Every scene listed in the shared corpus (`INDEX.tsv`) must analyse without an exception,
and what the analysis reports must agree with what the file itself says. The expected
facts below were read from the files by hand (`grep -n` / `sed -n`); each entry says on
which lines of the file the fact is written, so a reader can check it. They are never
copied from the analyzer's output.

Defaults used when a file does not write a value (Maya omits values equal to the default):
renderer `mayaSoftware`; animation off, `.fs` 1, `.ef` 10, `.bfs` 1 (with animation off
the current frame `time1.o` is rendered); a camera renders unless it has `.rnd no`.

Resolution: when `defaultResolution` writes no `.w`/`.h` value, the file does not say
which resolution Maya uses, and the default changed across Maya versions: the notes give
640x480, while a real Maya 2023 session reported 960x540 for the four deadline scenes that
write none (ORACLE-deadline.json, checked in `test_matches_real_maya_session`). For those
files the per-file test only requires one of Maya's default resolutions (`UNWRITTEN`).
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from farmhand.scene import analyze

REPO = Path(__file__).resolve().parents[2]

UNWRITTEN = "unwritten"  # the file writes no value for this fact
MAYA_DEFAULT_RESOLUTIONS = {(640, 480), (960, 540)}

# Camera shapes of Maya's startup cameras as almost every file writes them:
# persp renders, top/front/side carry `.rnd no`.
STARTUP_CAMERAS = {"perspShape": True, "topShape": False, "frontShape": False, "sideShape": False}


def still(frame: int | None) -> dict[str, Any]:
    """Animation off: Maya renders the current frame (`time1.o`; None = not written)."""
    return {"animation": False, "current": frame}


def anim(start: int, end: int, by: int = 1) -> dict[str, Any]:
    """Animation on (`defaultRenderGlobals.an yes`): frames start..end step by."""
    return {"animation": True, "start": start, "end": end, "by": by}


# --------------------------------------------------------------------------------------
# Facts per corpus file. Keys are paths relative to the corpus folder (INDEX.tsv `file`).
#   version/codeset: header lines 1 and 4; time_unit: `currentUnit -t`;
#   plugins: `requires` statements except `requires maya`;
#   renderer: `defaultRenderGlobals .ren`; resolution: `defaultResolution .w/.h`;
#   frames: `.an`/`.fs`/`.ef`/`.bfs` and `time1 .o`; cameras: shape -> renders;
#   layers: renderLayer node -> renderable (`.rndr no` = not); display_names: Render Setup
#   names; textures: `file` node `.ftn`; references: `file -r` paths, as written.
# --------------------------------------------------------------------------------------
FACTS: dict[str, dict[str, Any]] = {
    # l.1 2011, l.4 1252; requires l.5-7; currentUnit l.8. Cameras: perspShape l.18 has
    # `.rnd no` (l.46) but topShape l.60 has none, so top renders; frontShape l.101/.rnd no
    # l.129, sideShape l.142/l.170. .ren arnold l.449 (no .an); .w/.h 160x120 l.454-455;
    # time1 .o 1 l.431; defaultRenderLayer l.300.
    "sebastienblor/arnold-usd/testsuite/test_0001/data/test.ma": {
        "version": "2011",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"mtoa": "0.14.0", "stereoCamera": "10.0"},
        "renderer": "arnold",
        "resolution": (160, 120),
        "frames": still(1),
        "cameras": {"perspShape": False, "topShape": True, "frontShape": False, "sideShape": False},
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2016, l.4 UTF-8; requires pxrUsd l.6; film l.7. Cameras l.18/32/48/64, .rnd no
    # l.35/51/67. No `select -ne :defaultRenderGlobals` at all; defaultResolution l.194
    # writes no .w/.h; no time1 block (current frame not written). defaultRenderLayer l.122.
    "Autodesk/maya-usd/plugin/pxr/maya/lib/usdMaya/testenv/UsdExportAssemblyEditsTest/"
    "UsdExportAssemblyEditsTest.ma": {
        "version": "2016",
        "codeset": "UTF-8",
        "time_unit": "film",
        "plugins": {"pxrUsd": "1.0"},
        "renderer": "mayaSoftware",
        "resolution": UNWRITTEN,
        "frames": still(None),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2016, l.4 UTF-8; requires mayaUsdPlugin l.6; film l.7. Cameras l.20/34/50/66,
    # .rnd no l.37/53/69. No defaultRenderGlobals block; defaultResolution l.184 no .w/.h;
    # time1 .o 1 l.170. defaultRenderLayer l.95.
    "Autodesk/maya-usd/test/lib/mayaUsd/nodes/ProxyShapeBaseTest/ProxyShapeBase.ma": {
        "version": "2016",
        "codeset": "UTF-8",
        "time_unit": "film",
        "plugins": {"mayaUsdPlugin": "1.0"},
        "renderer": "mayaSoftware",
        "resolution": UNWRITTEN,
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2016, l.4 UTF-8; only `requires maya` l.5; film l.6. Cameras l.17/30/46/62,
    # .rnd no l.33/49/65. No defaultRenderGlobals block; defaultResolution l.323 no .w/.h;
    # time1 .o 1 l.301. Legacy layers (no renderSetup node): defaultRenderLayer l.158 with
    # `.rndr no` l.161; RenderLayerOne l.191, RenderLayerTwo l.194, RenderLayerThree l.198.
    "Autodesk/maya-usd/test/lib/usd/translators/UsdExportRenderLayerModeTest/"
    "UsdExportRenderLayerModeTest.ma": {
        "version": "2016",
        "codeset": "UTF-8",
        "time_unit": "film",
        "plugins": {},
        "renderer": "mayaSoftware",
        "resolution": UNWRITTEN,
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {
            "defaultRenderLayer": False,
            "RenderLayerOne": True,
            "RenderLayerTwo": True,
            "RenderLayerThree": True,
        },
        "layer_type": 0,
        "textures": set(),
        "references": set(),
    },
    # CRLF line ends. l.1 2016, l.4 UTF-8; `file -r` l.6; requires gameFbxExporter l.8;
    # `currentUnit ... -t ntsc` l.9. Cameras l.22/37/52/68, .rnd no l.40/55/71. No
    # defaultRenderGlobals block; defaultResolution l.3038 has `-av -k on ".w"` and ".h"
    # (l.3043-3044) without values; time1 `-k on ".o" 70` l.2968. defaultRenderLayer l.114.
    "kercre123/victor-animations/assets/scenes/anim/MemoryMatch/"
    "anim_memorymatch_solo_failhand_player.ma": {
        "version": "2016",
        "codeset": "UTF-8",
        "time_unit": "ntsc",
        "plugins": {"gameFbxExporter": "1.0"},
        "renderer": "mayaSoftware",
        "resolution": UNWRITTEN,
        "frames": still(70),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": {
            "/Users/keikotaka/workspace/cozmo-animation//assets/Rigs/Cozmo_midRes_rig.ma"
        },
    },
    # l.1 2016ff07, l.4 1252; `file -r` l.8-10 (two -typ "Alembic", one mayaAscii); only
    # `requires maya` l.11; film l.12. Cameras l.23/37/52/68, .rnd no l.40/55/71. No
    # defaultRenderGlobals block; defaultResolution l.258 no .w/.h; time1 .o 1 l.238.
    "mottosso/mindbender-core/example/projects/hulk/film/1000/work/lighting/marcus/maya/"
    "scenes/lighting_v001.ma": {
        "version": "2016ff07",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {},
        "renderer": "mayaSoftware",
        "resolution": UNWRITTEN,
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": {
            (
                "C:/Users/marcus/Dropbox/AF/development/marcus/pyblish/pyblish-mindbender/example/"
                "projects/hulk/film/1000/publish/Bruce01/v002/Bruce01.abc"
            ),
            (
                "C:/Users/marcus/Dropbox/AF/development/marcus/pyblish/pyblish-mindbender/example/"
                "projects/hulk/film/1000/publish/Bruce02/v002/Bruce02.abc"
            ),
            (
                "C:/Users/marcus/Dropbox/AF/development/marcus/pyblish/pyblish-mindbender/example/"
                "projects/hulk/assets/Bruce/publish/lookdevDefault/v001/lookdevDefault.ma"
            ),
        },
    },
    # l.1 2017, l.4 1252; requires mtoa l.6-7, stereoCamera l.8; film l.9. Cameras
    # l.20/38/54/71, .rnd no l.41/57/74. .ren arnold l.317; .w/.h 160x120 l.323-324;
    # time1 .o 3 l.299 (no .an).
    "sebastienblor/arnold-usd/testsuite/test_0018/data/test.ma": {
        "version": "2017",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"mtoa": "2.0.0.0", "stereoCamera": "10.0"},
        "renderer": "arnold",
        "resolution": (160, 120),
        "frames": still(3),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2017, l.4 1252; requires mtoa l.6-7, stereoCamera l.8-9; film l.10. Cameras
    # l.21/39/55/72, .rnd no l.42/58/75. `-cb on ".ren" ... "arnold"` l.464; `.fs`/`.ef`
    # l.472-473 carry flags but no values; `-av ".w" 160`/".h" 120 l.544-545; time1
    # `-k on ".o" 55` l.392.
    "sebastienblor/arnold-usd/testsuite/test_0066/data/test.ma": {
        "version": "2017",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"mtoa": "1.3.1.2", "stereoCamera": "10.0"},
        "renderer": "arnold",
        "resolution": (160, 120),
        "frames": still(55),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2017ff04, l.4 1252; requires mtoa l.6-7; film l.8. Cameras l.22/39/55/76 and
    # cameraShape1 l.169; .rnd no l.42/59/80/173. file nodes l.3246/3317/3331 write no
    # .ftn. `.ren` arnold l.3522; `-k on ".an"` l.3529 has no value (animation stays off);
    # .w/.h 160x120 l.3602-3603; time1 `-k on ".o" 1005` l.3444.
    "sebastienblor/arnold-usd/testsuite/test_0225/data/test.ma": {
        "version": "2017ff04",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"mtoa": "2.0.1.wip"},
        "renderer": "arnold",
        "resolution": (160, 120),
        "frames": still(1005),
        "cameras": {**STARTUP_CAMERAS, "cameraShape1": False},
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2017ff05, l.4 1252; requires bifrostvisplugin l.6, mtoa l.7-8, bifrostshellnode
    # l.9, stereoCamera l.10-11; film l.12. Cameras l.23/38/54/71, .rnd no l.41/57/74.
    # .ren arnold l.634; `-av ".w" 160`/".h" 120 l.713-714; time1 .o 34 l.559.
    "sebastienblor/arnold-usd/testsuite/test_0139/data/test.ma": {
        "version": "2017ff05",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {
            "bifrostvisplugin": "3.0",
            "mtoa": "2.0.2.wip",
            "bifrostshellnode": "1.0",
            "stereoCamera": "10.0",
        },
        "renderer": "arnold",
        "resolution": (160, 120),
        "frames": still(34),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2017ff05 (while `requires maya "2017"` l.5), l.4 1252; requires xgenToolkit l.6-9,
    # mtoa l.10-11; film l.12. Cameras l.23/38/54/71, .rnd no l.41/57/74. file1 .ftn l.469
    # (relative). .ren arnold l.610; .w/.h 160x120 l.615-616; time1 .o 1 l.583.
    "sebastienblor/arnold-usd/testsuite/test_0140/data/test.ma": {
        "version": "2017ff05",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"xgenToolkit": "1.0", "mtoa": "3.1.2"},
        "renderer": "arnold",
        "resolution": (160, 120),
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": {"pSphereShape1_collection9_description8_regionMask.iff"},
        "references": set(),
    },
    # l.1 2018, l.4 1252; requires stereoCamera l.6; film l.7. Cameras l.18/32/47/63,
    # .rnd no l.35/50/66. file1 .ftn l.119 (UDIM tile 1001, `.uvt 3` l.120). No
    # defaultRenderGlobals block; defaultResolution l.221 no .w/.h; time1 .o 1 l.199.
    "Autodesk/maya-usd/test/lib/usd/translators/UsdExportImportUDIMTest/UsdExportUDIMTest.ma": {
        "version": "2018",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"stereoCamera": "10.0"},
        "renderer": "mayaSoftware",
        "resolution": UNWRITTEN,
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": {"UdimTest_1001_color.png"},
        "references": set(),
    },
    # l.1 2018ff09, l.4 1252; requires mtoa l.6; film l.7. Cameras l.18/33/49/66, .rnd no
    # l.36/52/69. defaultRenderGlobals l.196 only writes `.outf 8` (no .ren);
    # defaultResolution l.198 no .w/.h; time1 .o 1 l.176.
    "aws-deadline/deadline-cloud-for-maya/test/deadline_adaptor_for_maya/maya-test.ma": {
        "version": "2018ff09",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"mtoa": "3.1.1.1"},
        "renderer": "mayaSoftware",
        "resolution": UNWRITTEN,
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2018ff09, l.4 1252; requires mtoa l.6-8, stereoCamera l.9; film l.10. Cameras
    # l.21/36/52/69, .rnd no l.39/55/72. `-k on ".ren" ... "arnold"` l.317; `-k on ".an"`
    # l.324 without value; `-av -k on ".w" 160`/".h" 120 l.407-408; time1 .o 1 l.235.
    "sebastienblor/arnold-usd/testsuite/test_0195/data/test.ma": {
        "version": "2018ff09",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"mtoa": "3.2.1.wip", "stereoCamera": "10.0"},
        "renderer": "arnold",
        "resolution": (160, 120),
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2018ff09, l.4 1252; requires mtoa l.6-7, renderSetup.py l.8-12; film l.13.
    # Cameras l.24/39/55/72, .rnd no l.42/58/75. .ren arnold l.1553; .w/.h 160x120
    # l.1558-1559; time1 .o 1 l.1526. Render Setup: defaultRenderLayer l.1273 `.rndr no`
    # l.1276; renderSetupLayer1 l.1305 paired with renderLayer rs_renderSetupLayer1 l.1310
    # (`connectAttr "rs_renderSetupLayer1.msg" "renderSetupLayer1.lrl"` l.1605). Its
    # overrides (l.1331-1509) change shader attributes only.
    "sebastienblor/arnold-usd/testsuite/test_0251/data/test.ma": {
        "version": "2018ff09",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"mtoa": "3.2.0.wip", "renderSetup.py": "1.0"},
        "renderer": "arnold",
        "resolution": (160, 120),
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": False, "rs_renderSetupLayer1": True},
        "display_names": {
            "defaultRenderLayer": "masterLayer",
            "rs_renderSetupLayer1": "renderSetupLayer1",
        },
        "layer_type": 1,
        "textures": set(),
        "references": set(),
    },
    # l.1 2018ff09, l.4 1252; requires stereoCamera l.6, mtoa l.7-8, gpuCache l.9; film
    # l.10. Cameras l.21/36/52/69, .rnd no l.39/55/72. .ren arnold l.295; .w/.h 160x120
    # l.300-301; time1 .o 1 l.271.
    "sebastienblor/arnold-usd/testsuite/test_0283/data/test.ma": {
        "version": "2018ff09",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"stereoCamera": "10.0", "mtoa": "3.2.0.wip", "gpuCache": "1.0"},
        "renderer": "arnold",
        "resolution": (160, 120),
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2018ff09, l.4 1252; requires mtoa l.6, renderSetup.py l.7; film l.8. Cameras
    # l.19/34/50/67, .rnd no l.37/53/70. .ren arnold l.168; defaultResolution l.171 no
    # .w/.h; time1 .o 1 l.146.
    "sebastienblor/arnold-usd/testsuite/test_0350/data/ref.ma": {
        "version": "2018ff09",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"mtoa": "3.2.1.wip", "renderSetup.py": "1.0"},
        "renderer": "arnold",
        "resolution": UNWRITTEN,
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2018ff09, l.4 1252; `file -r ... "ref.ma"` l.6; requires mtoa l.8-9,
    # renderSetup.py l.10, stereoCamera l.11-12; film l.13. Cameras l.24/39/55/72, .rnd no
    # l.42/58/75. .ren arnold l.342; .w/.h 160x120 l.347-348; time1 .o 1 l.318.
    "sebastienblor/arnold-usd/testsuite/test_0350/data/test.ma": {
        "version": "2018ff09",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"mtoa": "3.2.1.wip", "renderSetup.py": "1.0", "stereoCamera": "10.0"},
        "renderer": "arnold",
        "resolution": (160, 120),
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": {"ref.ma"},
    },
    # l.1 2018ff09, l.4 936; `file -r` l.7 and l.8 (rigRN, rigRN1: the same path twice);
    # requires stereoCamera l.10; film l.11. Only cameraShape1 l.21 and cameraShape2 l.34,
    # both `.rnd no` (l.24, l.37). No defaultRenderGlobals block; defaultResolution l.80
    # no .w/.h; time1 .o 1 l.59; no renderLayer node (Maya's defaultRenderLayer remains).
    "zclongpop123/asset_exporter/example/test_scene2.ma": {
        "version": "2018ff09",
        "codeset": "936",
        "time_unit": "film",
        "plugins": {"stereoCamera": "10.0"},
        "renderer": "mayaSoftware",
        "resolution": UNWRITTEN,
        "frames": still(1),
        # The file creates no startup camera: Maya's own are there, persp renderable.
        "cameras": {**STARTUP_CAMERAS, "cameraShape1": False, "cameraShape2": False},
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": {"D:/work/asset_exporter/example/ball.ma"},
    },
    # l.1 2019, l.4 UTF-8; only `requires maya` l.5; film l.6. Cameras l.17/32/47/63,
    # .rnd no l.35/50/66. No defaultRenderGlobals block; defaultResolution l.635 no
    # .w/.h; time1 .o 1 l.612.
    "Autodesk/maya-usd/plugin/al/samples/colours/faceColours.ma": {
        "version": "2019",
        "codeset": "UTF-8",
        "time_unit": "film",
        "plugins": {},
        "renderer": "mayaSoftware",
        "resolution": UNWRITTEN,
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # 53 lines. l.1 2020, l.4 1252; requires mtoa l.6; film l.7. No camera and no
    # renderLayer node at all (a shader export). .ren arnold l.43; defaultResolution l.44
    # no .w/.h; time1 .o 1 l.22. The X:/ paths l.19-20 are custom string attributes of
    # an aiStandardSurface, not textures. With no camera in the file, Maya's startup
    # cameras are the scene's (reference/maya-semantics/startup_camera.ma).
    "Alejanwong/riff-intern/pipeline/TestProject/Asset/Character/Woody/version_01/lookdev/"
    "TestProject_lookdev_Woody.ma": {
        "version": "2020",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"mtoa": "4.1.1"},
        "renderer": "arnold",
        "resolution": UNWRITTEN,
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2022 (`//Name: chaosCrashTest.ma`), l.4 1252; only `requires maya` l.5; film
    # l.6. Cameras l.18/32/47/63, .rnd no l.35/50/66. file1 l.113 and file2 l.120 write no
    # .ftn. defaultRenderGlobals l.232 has no .ren; defaultResolution l.235 no .w/.h;
    # time1 .o 1 l.201.
    "Autodesk/maya-usd/test/lib/usd/translators/UsdExportUVSetsSwitchTest/"
    "UsdExportUVSwitchTest.ma": {
        "version": "2022",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {},
        "renderer": "mayaSoftware",
        "resolution": UNWRITTEN,
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2022, l.4 1252; `file -r` l.7-8; requires stereoCamera l.10, Mayatomr l.11 (its
    # version string ends in a space); film l.12. Cameras l.24/39/54/70, .rnd no
    # l.42/57/73. defaultRenderGlobals l.3706 has no .ren, `-k on ".an"` l.3725 without
    # value; defaultResolution `.w`/`.h` l.3802-3803 without values; time1 .o 2 l.3616.
    "Autodesk/maya-usd/test/testSamples/rhino_rig/anim_001.ma": {
        "version": "2022",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"stereoCamera": "10.0", "Mayatomr": "2013.0 - 3.10.1.4 "},
        "renderer": "mayaSoftware",
        "resolution": UNWRITTEN,
        "frames": still(2),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": {"/scenes/rhino_model_textured/waking_animation/rhino_rig_001.ma"},
    },
    # l.1 2022, l.4 1252; requires vrayformaya l.6-7, mtoa l.8, gpuCache l.9; film l.10.
    # Cameras l.24/42/58/75, .rnd no l.45/61/78. .ren arnold l.387; defaultResolution
    # l.389 no .w/.h; time1 .o 1 l.365.
    "Ayaee/pipeline/MOVIE/ASSETS/TERRAIN/GPU/PUBLISH/TERRAIN_GPU_V001.ma": {
        "version": "2022",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"vrayformaya": "5", "mtoa": "4.2.1", "gpuCache": "1.0"},
        "renderer": "arnold",
        "resolution": UNWRITTEN,
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2023, l.4 1252; `file -r` l.8-10 (mayaBinary); requires stereoCamera l.12, mtoa
    # l.13; film l.14. Cameras l.26/40/56/73, .rnd no l.43/59/76. file1 .ftn l.191.
    # defaultRenderGlobals l.226 has no .ren; defaultResolution l.230 no .w/.h; time1 .o
    # 537 l.203.
    "aws-deadline/deadline-cloud-for-maya/job_bundle_output_tests/cube/scene/cube.ma": {
        "version": "2023",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"stereoCamera": "10.0", "mtoa": "5.1.0"},
        "renderer": "mayaSoftware",
        "resolution": UNWRITTEN,
        "frames": still(537),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": {
            (
                "D:/deadline-clients/deadline-cloud-for-maya/job_bundle_output_tests//cube/"
                "deadline_logo_48x48.png"
            )
        },
        "references": {
            (
                "D:/deadline-clients/deadline-cloud-for-maya/job_bundle_output_tests//cube/"
                "scene_file_to_reference.mb"
            )
        },
    },
    # l.1 2023, l.4 1252; `file -r` l.8-10; requires stereoCamera l.12, mtoa l.13,
    # renderSetup.py l.14; film l.15. Cameras l.33/48/64/81, .rnd no l.51/67/84. .ren
    # arnold l.234, `.an yes` l.237 (no .fs/.ef: 1-10); defaultResolution l.240 no .w/.h;
    # time1 .o 537 l.211. Render Setup: defaultRenderLayer l.121; layerTheFIrst l.142 /
    # rs_layerTheFIrst l.144 and layerTheSecond l.147 / rs_layerTheSecond l.149 (paired by
    # connectAttr l.267, l.270).
    "aws-deadline/deadline-cloud-for-maya/job_bundle_output_tests/layers_no_variation/scene/"
    "layers_no_variation.ma": {
        "version": "2023",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"stereoCamera": "10.0", "mtoa": "5.1.0", "renderSetup.py": "1.0"},
        "renderer": "arnold",
        "resolution": UNWRITTEN,
        "frames": anim(1, 10),
        "cameras": STARTUP_CAMERAS,
        "layers": {
            "defaultRenderLayer": True,
            "rs_layerTheFIrst": True,
            "rs_layerTheSecond": True,
        },
        "display_names": {
            "defaultRenderLayer": "masterLayer",
            "rs_layerTheFIrst": "layerTheFIrst",
            "rs_layerTheSecond": "layerTheSecond",
        },
        "layer_type": 1,
        "textures": set(),
        "references": {
            (
                "D:/deadline-clients/deadline-cloud-for-maya/job_bundle_output_tests/"
                "layers_no_variation/scene/scene_file_to_reference.mb"
            )
        },
    },
    # l.1 2023 (`//Name: ref_resaved1.ma`), l.4 UTF-8; requires stereoCamera l.6,
    # rfm_volume_aggregate_set.py l.7, RenderMan_for_Maya.py l.8-9, mtoa l.10; film l.11.
    # Cameras l.23/37/53/70, .rnd no l.40/56/73. .ren arnold l.533, `-av -cb on ".an"`
    # l.540 without value; `.w`/`.h` l.624-625 without values; time1 .o 1 l.448.
    "aws-deadline/deadline-cloud-for-maya/job_bundle_output_tests/referenced_layers/scene/ref.ma": {
        "version": "2023",
        "codeset": "UTF-8",
        "time_unit": "film",
        "plugins": {
            "stereoCamera": "10.0",
            "rfm_volume_aggregate_set.py": "1.0",
            "RenderMan_for_Maya.py": "25.2 @ 2282507",
            "mtoa": "5.2.0",
        },
        "renderer": "arnold",
        "resolution": UNWRITTEN,
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2023 (`//Name: open_this_scene_resaved2.ma`), l.4 UTF-8; `file -r` l.7-8 and
    # l.12-14; requires l.15-20 as ref.ma; film l.21. Cameras l.33/47/63/80, .rnd no
    # l.50/66/83. .ren arnold l.489; defaultResolution l.493 no .w/.h; time1 .o 1 l.466.
    # defaultRenderLayer l.107; imported_scene_defaultRenderLayer l.125 is the namespaced
    # duplicate of an import (its own imported_scene_renderLayerManager l.123), not a layer
    # Maya renders (ORACLE-deadline.json lists only masterLayer).
    "aws-deadline/deadline-cloud-for-maya/job_bundle_output_tests/referenced_layers/scene/"
    "referenced_layers.ma": {
        "version": "2023",
        "codeset": "UTF-8",
        "time_unit": "film",
        "plugins": {
            "stereoCamera": "10.0",
            "rfm_volume_aggregate_set.py": "1.0",
            "RenderMan_for_Maya.py": "25.2 @ 2282507",
            "mtoa": "5.2.0",
        },
        "renderer": "arnold",
        "resolution": UNWRITTEN,
        "frames": still(1),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": {
            "ref.ma",
            (
                "/Users/rmvh/work/deadline/deadline-cloud-for-maya/job_bundle_output_tests/"
                "renderman/scene/scene_file_to_reference.ma"
            ),
        },
    },
    # l.1 2023, l.4 UTF-8; requires stereoCamera l.6 and l.11, rfm l.7, RenderMan l.8-9,
    # mtoa l.10; film l.12. Cameras l.24/38/54/71, .rnd no l.41/57/74. .ren arnold l.466;
    # defaultResolution l.470 no .w/.h; time1 .o 537 l.443.
    "aws-deadline/deadline-cloud-for-maya/job_bundle_output_tests/referenced_layers/scene/"
    "scene_file_to_reference.ma": {
        "version": "2023",
        "codeset": "UTF-8",
        "time_unit": "film",
        "plugins": {
            "stereoCamera": "10.0",
            "rfm_volume_aggregate_set.py": "1.0",
            "RenderMan_for_Maya.py": "25.2 @ 2282507",
            "mtoa": "5.2.0",
        },
        "renderer": "arnold",
        "resolution": UNWRITTEN,
        "frames": still(537),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2023, l.4 UTF-8; `file -r` l.8-10 (mayaBinary); requires stereoCamera l.12, rfm
    # l.13, RenderMan l.14-16, mtoa l.17; film l.18. Cameras l.30/44/60/77, .rnd no
    # l.47/63/80. file1 .ftn l.342 (PxrTexture1 .filename l.1041 names the same file).
    # .ren renderman l.1115; defaultResolution l.1118 no .w/.h; time1 .o 537 l.1086.
    "aws-deadline/deadline-cloud-for-maya/job_bundle_output_tests/renderman/scene/renderman.ma": {
        "version": "2023",
        "codeset": "UTF-8",
        "time_unit": "film",
        "plugins": {
            "stereoCamera": "10.0",
            "rfm_volume_aggregate_set.py": "1.0",
            "RenderMan_for_Maya.py": "25.2 @ 2282507",
            "mtoa": "5.2.0",
        },
        "renderer": "renderman",
        "resolution": UNWRITTEN,
        "frames": still(537),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": {
            (
                "/Users/rmvh/work/deadline/deadline-cloud-for-maya/job_bundle_output_tests/"
                "renderman/scene/deadline_logo_48x48.png"
            )
        },
        "references": {
            (
                "/Users/rmvh/work/deadline/deadline-cloud-for-maya/job_bundle_output_tests/"
                "renderman/scene/scene_file_to_reference.mb"
            )
        },
    },
    # l.1 2024, l.4 UTF-8; requires stereoCamera l.6-7; film l.8. Cameras l.20/34/49/65,
    # .rnd no l.37/52/68. defaultRenderGlobals l.646 has no .ren; defaultResolution l.649
    # no .w/.h; time1 .o 1001 l.622.
    "Autodesk/maya-usd/test/testSamples/displayColors/ColorTestStandardSurface.ma": {
        "version": "2024",
        "codeset": "UTF-8",
        "time_unit": "film",
        "plugins": {"stereoCamera": "10.0"},
        "renderer": "mayaSoftware",
        "resolution": UNWRITTEN,
        "frames": still(1001),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2024, l.4 UTF-8; requires stereoCamera l.6; film l.7. Only cameraShape l.17,
    # `.rnd no` l.20. defaultRenderGlobals l.160 has no .ren; .w 1936 l.164, .h 1288
    # l.165; time1 .o 94 l.133; no renderLayer node.
    "david-cattermole/mayaMatchMoveSolver/lib/rust/mmscenegraph/tests/data/"
    "example_camera_curves.ma": {
        "version": "2024",
        "codeset": "UTF-8",
        "time_unit": "film",
        "plugins": {"stereoCamera": "10.0"},
        "renderer": "mayaSoftware",
        "resolution": (1936, 1288),
        "frames": still(94),
        # The file creates no startup camera: Maya's own are there, persp renderable.
        "cameras": {**STARTUP_CAMERAS, "cameraShape": False},
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2024ff02, l.4 1252; no `requires` statement at all; film l.5. Cameras
    # l.18/33/48/64, .rnd no l.36/51/67. defaultRenderGlobals l.436 has no .ren, `-k on
    # ".an"` l.455 without value; `.w`/`.h` l.532-533 without values; time1 .o 0 l.360.
    "Autodesk/maya-usd/test/testSamples/rig_with_opm/offset_parent_matrix_rig.ma": {
        "version": "2024ff02",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {},
        "renderer": "mayaSoftware",
        "resolution": UNWRITTEN,
        "frames": still(0),
        "cameras": STARTUP_CAMERAS,
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": set(),
    },
    # l.1 2025ff03, l.4 1252; requires stereoCamera l.6, mtoa l.7-8; film l.9. perspShape
    # l.22 has `.rnd no` l.25; top/front/side l.38/54/71 `.rnd no` l.41/57/74;
    # RenderCamShape l.144 has no .rnd, so it renders. file1 .ftn l.216. .ren arnold l.360,
    # `.an yes` l.363, `.ef 1` l.364 (no .fs: 1); defaultResolution l.367 no .w/.h.
    "playerslayer234/Essentials/DAGV1100and1200/Maya/assets/Lighting_Render_Test.ma": {
        "version": "2025ff03",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"stereoCamera": "10.0", "mtoa": "5.4.5"},
        "renderer": "arnold",
        "resolution": UNWRITTEN,
        "frames": anim(1, 1),
        "cameras": {
            "perspShape": False,
            "topShape": False,
            "frontShape": False,
            "sideShape": False,
            "RenderCamShape": True,
        },
        "layers": {"defaultRenderLayer": True},
        "textures": {"C:/Essentials/DAGV1100and1200/Maya//sourceimages/WoodGrain.png"},
        "references": set(),
    },
    # 15,760 lines. l.1 2026, l.4 1252; 13 `file -r` statements l.30-52; requires
    # stereoCamera l.54, mtoa l.55-57; film l.58. Cameras l.70/85/101/118 (.rnd no
    # l.88/104/121) and cameraShape1 l.14972 (.rnd no l.14975). .ren arnold l.15648;
    # defaultResolution l.15650 no .w/.h; time1 .o 1 l.15610.
    "playerslayer234/Essentials/DAGV1100and1200/Maya/scenes/Project/Scene2.ma": {
        "version": "2026",
        "codeset": "1252",
        "time_unit": "film",
        "plugins": {"stereoCamera": "10.0", "mtoa": "5.5.3"},
        "renderer": "arnold",
        "resolution": UNWRITTEN,
        "frames": still(1),
        "cameras": {**STARTUP_CAMERAS, "cameraShape1": False},
        "layers": {"defaultRenderLayer": True},
        "textures": set(),
        "references": {
            f"C:/Essentials/DAGV1100and1200/Maya//assets/RM_{name}.ma"
            for name in (
                "FuseBox",
                "Printer",
                "BookShelf",
                "DoubleDesk",
                "Chair",
                "CircleTable",
                "ServerBox",
                "RightWallDesk",
                "RIghtWallFilingCabinet",
                "BackWallBookShelfHalf",
                "BackWallBookShelfTall",
                "BackWallMiniTable",
                "CenterTable",
            )
        },
    },
}


# --------------------------------------------------------------------------------------
# Collection-time view of the corpus. Same rule as `corpus_root()` in tests/conftest.py;
# the tests themselves still request the `corpus_dir` fixture, which skips visibly.
# --------------------------------------------------------------------------------------
def _corpus_root() -> Path:
    env = os.environ.get("FARMHAND_CORPUS")
    return Path(env) if env else REPO.parent / "shared" / "corpus" / "maya"


def _index_files() -> list[str]:
    index = _corpus_root() / "INDEX.tsv"
    if not index.is_file():
        return []
    lines = index.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    column = header.index("file")
    return [line.split("\t")[column] for line in lines[1:] if line.strip()]


def _oracle_scenes() -> list[str]:
    oracle = _corpus_root() / "ORACLE-deadline.json"
    if not oracle.is_file():
        return []
    return sorted(json.loads(oracle.read_text(encoding="utf-8"))["scenes"])


def _short_id(rel: str) -> str:
    return "/".join(rel.split("/")[-3:])


def _params(files: list[str]) -> list[Any]:
    if not files:
        return [pytest.param(None, id="corpus-absent")]
    return [pytest.param(rel, id=_short_id(rel)) for rel in files]


INDEX_PARAMS = _params(_index_files())
FACT_PARAMS = _params(sorted(FACTS))
ORACLE_PARAMS = _params(_oracle_scenes())


@cache
def _analysis(path: str) -> dict[str, Any]:
    """Analyse once per scene (exceptions are not cached and re-raise each time)."""
    return analyze(path).to_dict()


def _facts_and_analysis(corpus_dir: Path, rel: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return FACTS[rel], _analysis(str(corpus_dir / rel))


def _layers(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    layers = data["scene_info_render"]
    assert layers, "scene_info_render lists no layer"
    return layers


FRAME_RANGE = re.compile(
    r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-\s*(-?\d+(?:\.\d+)?)\s*(?:(?:\[|x|:)\s*(\d+(?:\.\d+)?)\s*\]?)?)?\s*$"
)


def expand_frames(expr: str) -> list[float]:
    """Frame list of an expression such as `537`, `1-10`, `1-10[2]`, `1-10x2`, `1,3,5-7`."""
    frames: list[float] = []
    for part in str(expr).split(","):
        match = FRAME_RANGE.match(part)
        assert match, f"unreadable frame expression {expr!r}"
        first = float(match.group(1))
        last = float(match.group(2)) if match.group(2) is not None else first
        step = float(match.group(3)) if match.group(3) is not None else 1.0
        frame = first
        while frame <= last + 1e-9:
            frames.append(frame)
            frame += step
    return frames


# --------------------------------------------------------------------------------------
# Every scene of the corpus analyses
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("rel", INDEX_PARAMS)
def test_analyses_without_exception(corpus_dir: Path, rel: str) -> None:
    data = _analysis(str(corpus_dir / rel))
    json.dumps(data)  # the contract is JSON
    assert data["scene_info_render"], "no render layer reported"


def test_every_index_row_has_facts(corpus_dir: Path) -> None:
    assert set(_index_files()) == set(FACTS), "FACTS must cover exactly the rows of INDEX.tsv"


# --------------------------------------------------------------------------------------
# Facts written in each file
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("rel", FACT_PARAMS)
def test_maya_version(corpus_dir: Path, rel: str) -> None:
    facts, data = _facts_and_analysis(corpus_dir, rel)
    assert data["maya_version"] == facts["version"]


@pytest.mark.parametrize("rel", FACT_PARAMS)
def test_codeset(corpus_dir: Path, rel: str) -> None:
    facts, data = _facts_and_analysis(corpus_dir, rel)
    assert data["codeset"] == facts["codeset"]


@pytest.mark.parametrize("rel", FACT_PARAMS)
def test_time_unit(corpus_dir: Path, rel: str) -> None:
    facts, data = _facts_and_analysis(corpus_dir, rel)
    assert data["time_unit"] == facts["time_unit"]


@pytest.mark.parametrize("rel", FACT_PARAMS)
def test_plugins(corpus_dir: Path, rel: str) -> None:
    facts, data = _facts_and_analysis(corpus_dir, rel)
    assert data["software_config"]["plugins"] == facts["plugins"]


@pytest.mark.parametrize("rel", FACT_PARAMS)
def test_renderer(corpus_dir: Path, rel: str) -> None:
    facts, data = _facts_and_analysis(corpus_dir, rel)
    assert data["renderer"] == facts["renderer"]
    for name, layer in _layers(data).items():
        assert layer["common"]["renderer"] == facts["renderer"], name


@pytest.mark.parametrize("rel", FACT_PARAMS)
def test_resolution(corpus_dir: Path, rel: str) -> None:
    facts, data = _facts_and_analysis(corpus_dir, rel)
    for name, layer in _layers(data).items():
        size = (layer["common"]["width"], layer["common"]["height"])
        if facts["resolution"] == UNWRITTEN:
            assert size in MAYA_DEFAULT_RESOLUTIONS, f"{name}: {size} is no Maya default"
        else:
            assert size == facts["resolution"], name


@pytest.mark.parametrize("rel", FACT_PARAMS)
def test_frames(corpus_dir: Path, rel: str) -> None:
    facts, data = _facts_and_analysis(corpus_dir, rel)
    expected = facts["frames"]
    if not expected["animation"] and expected["current"] is not None:
        assert data["current_frame"] == expected["current"]
    for name, layer in _layers(data).items():
        common = layer["common"]
        assert common["animation"] is expected["animation"], name
        frames = expand_frames(common["frames"])
        if expected["animation"]:
            start, end, by = expected["start"], expected["end"], expected["by"]
            assert (common["start"], common["end"], common["by_frame"]) == (start, end, by), name
            assert frames == list(range(start, end + 1, by)), name
        elif expected["current"] is not None:
            assert frames == [expected["current"]], name
        else:  # time1 is not written: one frame, the reported current frame
            assert frames == [data["current_frame"]], name


@pytest.mark.parametrize("rel", FACT_PARAMS)
def test_cameras(corpus_dir: Path, rel: str) -> None:
    facts, data = _facts_and_analysis(corpus_dir, rel)
    cameras = facts["cameras"]
    renderable = {shape for shape, renders in cameras.items() if renders}
    for name, layer in _layers(data).items():
        common = layer["common"]
        shapes = common["camera_shapes"]
        assert {shapes[t] for t in common["all_camera"]} == set(cameras), name
        assert {shapes[t] for t in common["render_camera"]} == renderable, name


@pytest.mark.parametrize("rel", FACT_PARAMS)
def test_layers(corpus_dir: Path, rel: str) -> None:
    facts, data = _facts_and_analysis(corpus_dir, rel)
    layers = _layers(data)
    renderable = {name for name, layer in layers.items() if layer["renderable"]}
    assert renderable == {name for name, renders in facts["layers"].items() if renders}
    for name, renders in facts["layers"].items():
        if not renders and name in layers:
            assert layers[name]["renderable"] is False, name
    for name, display in facts.get("display_names", {}).items():
        assert layers[name]["display_name"] == display, name
    if "layer_type" in facts:
        assert data["render_layer_type"] == facts["layer_type"]


# A reference is named by a `file -r` statement: docs/analysis.md gives it the attribute
# `file -r`; it is also the `.fileNames` of its reference node (`-rfn`). An Alembic file
# loaded with `file -r -typ "Alembic"` is still a reference, whatever kind it is given.
REFERENCE_ATTRIBUTES = {"file -r", "fileNames"}


def _dependency_paths(data: dict[str, Any], kind: str) -> set[str]:
    paths = set()
    for asset in data["asset"]:
        if asset.get("from_reference_edit") or not asset["path"]:
            continue
        if kind == "reference":
            if asset["kind"] == "reference" or asset["attribute"] in REFERENCE_ATTRIBUTES:
                paths.add(asset["path"])
        elif asset["kind"] == kind:
            paths.add(asset["path"])
    return paths


@pytest.mark.parametrize("rel", FACT_PARAMS)
def test_texture_paths(corpus_dir: Path, rel: str) -> None:
    facts, data = _facts_and_analysis(corpus_dir, rel)
    assert _dependency_paths(data, "texture") == facts["textures"]


@pytest.mark.parametrize("rel", FACT_PARAMS)
def test_reference_paths(corpus_dir: Path, rel: str) -> None:
    facts, data = _facts_and_analysis(corpus_dir, rel)
    assert _dependency_paths(data, "reference") == facts["references"]


# --------------------------------------------------------------------------------------
# What a real Maya session reported (ORACLE-deadline.json)
# --------------------------------------------------------------------------------------
def _by_display_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Renderable layers by the name Maya shows; the default layer is Render Setup's
    `masterLayer`."""
    named = {}
    for key, layer in _layers(data).items():
        if layer["renderable"]:
            name = "masterLayer" if key == "defaultRenderLayer" else layer["display_name"]
            named[name] = layer
    return named


def _found_inputs(data: dict[str, Any], scene_dir: Path) -> set[str]:
    """Basenames of existing dependency files that lie in the scene's folder."""
    found = set()
    for asset in data["asset"]:
        if not asset["exists"]:
            continue
        candidates = [f["path"] for f in asset.get("files") or []]
        if asset.get("resolved"):
            candidates.append(asset["resolved"])
        for candidate in candidates:
            path = Path(candidate)
            if path.parent.resolve() == scene_dir.resolve():
                found.add(path.name)
    return found


@pytest.mark.parametrize("rel", ORACLE_PARAMS)
def test_matches_real_maya_session(corpus_dir: Path, rel: str) -> None:
    oracle = json.loads((corpus_dir / "ORACLE-deadline.json").read_text(encoding="utf-8"))
    expected = oracle["scenes"][rel]
    scene = corpus_dir / rel
    data = _analysis(str(scene))

    layers = _by_display_name(data)
    expected_layers = {name: v for name, v in expected.items() if not name.startswith("_")}
    assert set(layers) == set(expected_layers), "renderable layers differ"
    for name, want in expected_layers.items():
        common = layers[name]["common"]
        assert common["renderer"] == want["renderer"], name
        assert expand_frames(common["frames"]) == expand_frames(want["frames"]), name
        assert (common["width"], common["height"]) == (want["width"], want["height"]), name
        assert sorted(common["render_camera"]) == sorted(want["cameras"]), name
        # Deadline spells the layer token <Layer>; the prefix is the effective one.
        prefix = layers[name]["outputs"]["prefix"].replace("<RenderLayer>", "<Layer>")
        assert prefix == want["prefix"], name

    folders = {
        PurePosixPath("images", PurePosixPath(f["template"]).parent).as_posix()
        for layer in layers.values()
        for f in layer["outputs"]["files"]
    }
    if all(layer["outputs"]["predicted"] for layer in layers.values()):
        assert folders == set(expected["_output_dirs"])

    found = _found_inputs(data, scene.parent)
    wanted = {name for name in expected["_inputs"] if name != scene.name}
    assert wanted <= found, f"dependencies Maya resolved but we did not: {wanted - found}"
