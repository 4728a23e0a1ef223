"""Byte patterns for the scene reader, compiled by RE2 when it is installed, else by `re`.

The reader spends most of its time looking for the few statements it wants among
hundreds of megabytes it does not (see `ma_statements.resume_pattern`). Google's RE2
(the `google-re2` package) runs such a search as a DFA at memory speed, about five
times Python's `re` on a node-dense scene; `re` stays the fallback where no RE2 wheel
exists (some Maya Pythons), with the same results: the patterns compiled here use
only what both engines read alike (no lookaround, no backreferences, explicit
character classes rather than `\\s`), and RE2 runs in Latin-1 mode so every byte is
one character, as in `re`.
"""

from __future__ import annotations

import os
import re
from typing import Any, Protocol

try:  # pragma: no cover - which branch runs depends on the installation
    import re2 as _re2
except ImportError:  # pragma: no cover
    _re2 = None

# FARMHAND_REGEX_ENGINE=re forces Python's engine (the tests run both).
ENGINE = "re2" if _re2 is not None and os.environ.get("FARMHAND_REGEX_ENGINE") != "re" else "re"


class BytePattern(Protocol):
    """What the reader uses of a compiled pattern; `re.Pattern` and RE2's both have it."""

    def search(self, string: bytes, pos: int = ..., endpos: int = ...) -> Any:
        """The first match at or after `pos`, or None."""

    def match(self, string: bytes, pos: int = ..., endpos: int = ...) -> Any:
        """A match starting at `pos`, or None."""


def compile_bytes(pattern: bytes, engine: str | None = None) -> BytePattern:
    """`pattern` compiled by `engine` ("re2" or "re"; default: `ENGINE`)."""
    if (engine or ENGINE) == "re2" and _re2 is not None:
        options = _re2.Options()
        options.encoding = _re2.Options.Encoding.LATIN1
        return _re2.compile(pattern, options)
    return re.compile(pattern)
