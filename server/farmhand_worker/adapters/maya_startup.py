r"""The farm's ``userSetup.mel``: ``dirmap`` set while Maya starts, before the scene opens.

Maya turns directory mapping off at every start and keeps no mapping between
sessions; a mapping set in ``userSetup.mel`` (sourced at start-up) is in force
when ``Render`` opens the scene, so it applies to what the scene loads at open:
file references, including ``.mb`` ones the worker cannot rewrite
(Autodesk, Maya Technical Documentation, *dirmap* command). The worker puts its
own ``userSetup.mel`` in a folder of the attempt's work folder and puts that
folder first on ``MAYA_SCRIPT_PATH``. Maya sources the first ``userSetup.mel``
it finds on that path, so the farm's one then sources the next one on the path
(the studio's), keeping what the studio sets up at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

STARTUP_DIR = "maya_startup"
USER_SETUP = "userSetup.mel"

_CHAIN = """\
// The next userSetup.mel on MAYA_SCRIPT_PATH (the studio's), which this one hides.
{
    string $farmhandDirs[];
    string $farmhandSep = `about -nt` ? ";" : ":";
    tokenize(`getenv "MAYA_SCRIPT_PATH"`, $farmhandSep, $farmhandDirs);
    for ($farmhandDir in $farmhandDirs) {
        string $farmhandNext = $farmhandDir + "/userSetup.mel";
        if ($farmhandDir != %(own)s && `filetest -f $farmhandNext`) {
            eval("source \\"" + encodeString($farmhandNext) + "\\"");
            break;
        }
    }
}
"""


def user_setup(pairs: Mapping[str, str], own_dir: str, literal: Callable[[str], str]) -> str:
    """The MEL text: enable dirmap, one mapping per (client prefix → local prefix), then the
    studio's own userSetup.mel. `literal` makes a MEL string literal (the adapter's)."""
    lines = [
        "// Farmhand: the artist's paths on this worker, in force before the scene opens.",
        "dirmap -en true;",
    ]
    lines += [f"dirmap -m {literal(client)} {literal(local)};" for client, local in pairs.items()]
    return "\n".join(lines) + "\n" + _CHAIN % {"own": literal(own_dir)}


def startup(
    work_dir: Path, pairs: Mapping[str, str], literal: Callable[[str], str]
) -> tuple[dict[Path, str], dict]:
    """The files to write and the environment to add for the start-up mapping."""
    folder = work_dir / STARTUP_DIR
    files = {folder / USER_SETUP: user_setup(pairs, folder.as_posix(), literal)}
    existing = os.environ.get("MAYA_SCRIPT_PATH")
    path = folder.as_posix() + (os.pathsep + existing if existing else "")
    return files, {"MAYA_SCRIPT_PATH": path}
