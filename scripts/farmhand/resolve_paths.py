"""Which local files a job needs, and under which client path the farm must find each.

Every existing dependency is sent from where it was found. When the scene
names a file by an absolute path that does not exist here (it was found
beside the scene, under the project or on a search path), the farm gets it
under the path the scene names too, so the renderer finds it with no re-path.
"""

from __future__ import annotations

from .scene import Analysis
from .scene.resolve import expand_vars, is_absolute, normalise


def client_files(analysis: Analysis) -> list[tuple[str, str]]:
    """(client path, local path) pairs: the scene first, then each dependency's files."""
    pairs: dict[str, str] = {analysis.scene_file: analysis.scene_file}
    for dep in analysis.asset:
        if not dep.exists or not dep.resolved:
            continue
        if dep.pattern:
            for entry in dep.files:
                pairs.setdefault(entry.path, entry.path)
            continue
        pairs.setdefault(dep.resolved, dep.resolved)
        written = expand_vars(normalise(dep.path))
        if is_absolute(written) and written != normalise(dep.resolved):
            pairs.setdefault(written, dep.resolved)
    return [(client, local) for client, local in pairs.items()]
