"""`maya.mel` (stub): only reading Maya's UI global variables (`$tmp = $gMainWindow`)."""

from __future__ import annotations

import re

from ._session import current
from ._ui import MAIN_WINDOW, SHELF_TOP_LEVEL

_GLOBALS = {"gMainWindow": MAIN_WINDOW, "gShelfTopLevel": SHELF_TOP_LEVEL}
_READ_GLOBAL = re.compile(r"\s*(?:string\s+)?\$\w+\s*=\s*\$(\w+)\s*;?\s*")


def eval(script: str) -> str:
    """The value of a UI global read by `$x = $gName`; any other MEL raises NotImplementedError."""
    m = _READ_GLOBAL.fullmatch(script)
    if m is None or m.group(1) not in _GLOBALS:
        raise NotImplementedError(f"maya stub: mel.eval({script!r}) is not implemented")
    if current().ui is None:
        return ""  # batch mode: the UI globals are empty strings
    return _GLOBALS[m.group(1)]
