"""One rule, and one error, for "the file changed": a file that is no longer the one
that was hashed.

A hash holds for a file while the file keeps the size and ``st_mtime_ns`` it was hashed with
(its :class:`StatKey`). The hash cache stores a hash only for a file that kept its key while
it was read, and the uploader checks the key before and after sending a file; both report a
file that changed with :class:`FileChanged`. What happens then (hash it again, upload again,
how often) is the submission's choice: see `farmhand.submit.send`.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import NamedTuple

from farmhand.transfer.hashing import PathLike

__all__ = ["FileChanged", "StatKey", "check_unchanged", "is_unchanged", "stat_key"]

AFTER_HASHING = "changed after it was hashed"
WHILE_HASHING = "changed while it was being hashed"


class StatKey(NamedTuple):
    """What a hash is valid for: the file's size and ``st_mtime_ns``."""

    size: int
    mtime_ns: int


class FileChanged(OSError):
    """A file is not the one that was hashed any more (or is gone): hash it again.

    An ``OSError`` (``EAGAIN``, ``filename`` the file, ``strerror`` what happened) so that a
    hashing error can carry it among the files it could not read; ``path`` is the file as a
    ``Path``.

    >>> str(FileChanged("/shots/wall.png"))
    '/shots/wall.png changed after it was hashed'
    """

    def __init__(self, path: PathLike, what: str = AFTER_HASHING) -> None:
        super().__init__(errno.EAGAIN, what, os.fspath(path))
        self.path = Path(os.fspath(path))

    def __str__(self) -> str:
        return f"{self.filename} {self.strerror}"


def stat_key(path: PathLike) -> StatKey:
    """``(size, mtime_ns)`` of PATH (following symlinks); raises ``OSError``."""
    st = os.stat(path)
    return StatKey(st.st_size, st.st_mtime_ns)


def is_unchanged(path: PathLike, key: StatKey) -> bool:
    """True when PATH still has the size and mtime of KEY; False when it differs or the file
    cannot be stat'ed (gone, unreadable folder)."""
    try:
        return stat_key(path) == key
    except OSError:
        return False


def check_unchanged(path: PathLike, key: StatKey) -> None:
    """Raise :class:`FileChanged` unless PATH still has the size and mtime of KEY."""
    if not is_unchanged(path, key):
        raise FileChanged(path)
