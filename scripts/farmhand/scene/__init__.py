"""Scene analysis without Maya: read a `.ma` file and report what the farm needs.

>>> from farmhand.scene import analyze
>>> callable(analyze)
True
"""

from farmhand.scene.analysis import analyze, analyze_query, open_scene
from farmhand.scene.errors import BinarySceneError, SceneError, SceneParseError
from farmhand.scene.model import Analysis, Dependency, Diagnostic, LayerInfo

__all__ = [
    "Analysis",
    "BinarySceneError",
    "Dependency",
    "Diagnostic",
    "LayerInfo",
    "SceneError",
    "SceneParseError",
    "analyze",
    "analyze_query",
    "open_scene",
]
