"""Plug-ins that come with Maya itself: a scene's `requires` of them asks nothing of a node.

A Maya install carries these plug-ins (Maya's Plug-in Manager lists them on a
fresh install; Render Setup's `renderSetup.py` and `stereoCamera` are written
into almost every scene's `requires` whether used or not), so the farm does
not make a job wait for a worker that names them. Separately installed and
separately versioned plug-ins (MtoA, RenderMan, V-Ray, Redshift, Bifrost, USD)
are not in this list: their version decides what a render looks like. The
list is Maya 2022-2026's; a plug-in missing from it only makes a node need to
name it in its configuration.
"""

from __future__ import annotations

BUILT_IN = frozenset(
    {
        "renderSetup.py", "stereoCamera", "gpuCache", "gameFbxExporter", "fbxmaya",
        "objExport", "OpenEXRLoader", "tiffFloatReader", "Type", "lookdevKit", "AbcImport",
        "AbcExport", "sceneAssembly", "matrixNodes", "quatNodes", "xgenToolkit", "MASH",
        "curveWarp", "Unfold3D", "modelingToolkit", "invertShape", "poseInterpolator",
        "hairPhysicalShader", "ikSpringSolver", "ik2Bsolver", "mayaHIK",
        "mayaCharacterization", "VectorRender", "deformerEvaluator", "nearestPointOnMesh",
        "GamePipeline", "OneClick", "ATFPlugin", "sweep", "meshReorder", "timeSliderBookmark",
    }
)  # fmt: skip
"""Plug-ins installed with every Maya, by the name `requires` writes."""


def needs_install(plugin: str) -> bool:
    """Whether a scene's plug-in must be on the node beyond Maya itself.

    >>> needs_install("stereoCamera"), needs_install("mtoa")
    (False, True)
    """
    return plugin not in BUILT_IN
