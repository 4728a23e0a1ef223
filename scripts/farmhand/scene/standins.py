"""Files named inside an ASCII Arnold scene (`.ass`) used by an aiStandIn.

Binary or gzipped `.ass` files are skipped (Arnold's own tools can list
them); an ASCII one is scanned line by line for the parameters that hold
file names.
"""

from __future__ import annotations

import re
from pathlib import Path

_FILE_PARAM = re.compile(r'^\s*(filename|dso|texture|map|ies_file|profile)\s+"([^"]+)"')
_NODE = re.compile(r"^([A-Za-z_]\w*)\s*(?:\{|$)")
_MAX_BYTES = 256 * 1024 * 1024


def files_named(path: Path) -> list[str]:
    """Paths an ASCII `.ass` file names (empty for other formats or unreadable files)."""
    if path.suffix.lower() != ".ass":
        return []
    try:
        if path.stat().st_size > _MAX_BYTES:
            return []
        with open(path, "rb") as f:
            if f.read(2) == b"\x1f\x8b":
                return []
            f.seek(0)
            found: list[str] = []
            node_type = ""
            for raw in f:
                line = raw.decode("utf-8", "replace")
                head = _NODE.match(line)
                if head:
                    node_type = head.group(1)
                    continue
                m = _FILE_PARAM.match(line)
                # Output drivers name the images Arnold writes, not files it reads.
                if m and not node_type.startswith("driver_") and m.group(2) not in found:
                    found.append(m.group(2))
            return found
    except OSError:
        return []
