"""Split a Maya ASCII file into statements, streaming, without decoding what is skipped.

A `.ma` file is a MEL script: statements end with `;`, strings may hold `;`,
and mesh payloads can make one statement megabytes long. The splitter reads
the file in large blocks and finds each statement's end with `find` (a C
loop), so skipping a payload costs about as much as reading it. The caller
decides, from the command word and its node, whether a statement's text is
wanted; unwanted text is never sliced or decoded, and the buffer never holds
more than one block plus the statement being kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .errors import SceneParseError

BLOCK = 8 * 1024 * 1024

# Whitespace and `//` comments between statements.
_GAP = re.compile(rb"(?:\s+|//[^\n]*)*")
_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")

QUOTE = 0x22
SEMI = 0x3B
BACKSLASH = 0x5C


@dataclass(slots=True)
class Statement:
    """One statement: its command word, absolute byte offset, and raw body bytes.

    `body` is the bytes from after the command word to (not including) the
    `;`, or None when the caller chose to skip it.
    """

    command: bytes
    offset: int
    body: bytes | None


class StatementReader:
    """Iterate the statements of a Maya ASCII byte stream.

    `want(command, peek)` is called with the command word and the first bytes
    after it (up to 256) and returns True when the body is needed.
    """

    def __init__(
        self,
        stream: BinaryIO,
        path: str | None,
        want: Callable[[bytes, bytes], bool],
        start_offset: int = 0,
        block: int = BLOCK,
    ) -> None:
        self._stream = stream
        self._path = path
        self._want = want
        self._block = block
        self._buf = b""
        self._base = start_offset  # absolute offset of _buf[0]
        self._eof = False

    # -- buffer management -------------------------------------------------
    def _fill(self, keep_from: int) -> int:
        """Drop bytes before `keep_from`, read one more block; returns how much was dropped."""
        if self._eof:
            return 0
        data = self._stream.read(self._block)
        if not data:
            self._eof = True
        self._buf = self._buf[keep_from:] + data
        self._base += keep_from
        return keep_from

    def __iter__(self) -> Iterator[Statement]:
        pos = 0
        while True:
            pos = _GAP.match(self._buf, pos).end()
            if pos + 300 > len(self._buf) and not self._eof:
                # Keep a command word and its peek window inside the buffer.
                pos -= self._fill(pos)
                continue
            if pos >= len(self._buf):
                return
            m = _WORD.match(self._buf, pos)
            if m is None:
                self._fail(self._base + pos, "a MEL command", self._buf[pos : pos + 20])
            command = m.group()
            offset = self._base + pos
            wanted = self._want(command, self._buf[m.end() : m.end() + 256])
            body_start, end = self._find_end(m.end(), offset, wanted)
            body = self._buf[body_start:end] if wanted else None
            yield Statement(command, offset, body)
            pos = end + 1

    def _find_end(self, scan: int, offset: int, keep: bool) -> tuple[int, int]:
        """(body start, index of the `;`) of the statement whose body starts at `scan`.

        Refills as needed. When the body is not kept, bytes already scanned
        are dropped on refill, so a huge payload never accumulates in memory.
        """
        buf = self._buf
        body = scan
        while True:
            semi = buf.find(b";", scan)
            quote = buf.find(b'"', scan, semi if semi >= 0 else len(buf))
            if quote < 0 and semi >= 0:
                return body, semi
            if quote >= 0:
                close = _string_end(buf, quote + 1)
                if close >= 0:
                    scan = close + 1
                    continue
                scan = quote  # resume at the open quote once more is read
            else:
                scan = len(buf)
            if self._eof:
                what = "a closing quote" if quote >= 0 else "';' to end the statement"
                self._fail(offset, what, b"end of file")
            dropped = self._fill(body if keep else scan)
            buf = self._buf
            scan -= dropped
            body = max(body - dropped, 0)

    def _fail(self, offset: int, expected: str, found: bytes) -> None:
        raise SceneParseError(
            self._path,
            line_at(self._stream, offset),
            expected,
            found.decode("latin-1").replace("\n", "\\n")[:40],
        )


def _string_end(buf: bytes, start: int) -> int:
    """Index of the quote closing a string whose text starts at `start`, or -1."""
    while True:
        end = buf.find(b'"', start)
        if end < 0:
            return -1
        k = end - 1
        while buf[k] == BACKSLASH:
            k -= 1
        if (end - 1 - k) % 2 == 0:
            return end
        start = end + 1


def line_at(stream: BinaryIO, offset: int) -> int:
    """1-based line number of an absolute byte offset (reads the file again; errors only)."""
    try:
        stream.seek(0)
        line = 1
        remaining = offset
        while remaining > 0:
            chunk = stream.read(min(BLOCK, remaining))[:remaining]
            if not chunk:
                break
            line += chunk.count(b"\n")
            remaining -= len(chunk)
        return line
    except (OSError, ValueError):
        return 0
