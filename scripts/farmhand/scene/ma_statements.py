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

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NoReturn, Protocol, cast

from farmhand.scene.byte_patterns import BytePattern, compile_bytes
from farmhand.scene.errors import SceneParseError

BLOCK = 8 * 1024 * 1024

# Whitespace and `//` comments between statements.
_GAP = re.compile(rb"(?:\s+|//[^\n]*)*")
_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
# A line that starts with a letter (or a comment) right after a `;` begins a
# top-level statement: MEL strings cannot hold a literal newline, and Maya
# indents everything inside a node block.
_LINE_STARTS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz/")
_BLANKS = frozenset(b" \t\r")
NEWLINE = 0x0A
# A run of plain `connectAttr "a.b" "c.d" [flags];` lines, as Maya writes them
# at the end of a file; matched in C and handed over whole (at most CONNECT_BYTES at a
# time), not statement by statement.
CONNECT_BYTES = 2 * 1024 * 1024  # bytes of one batch: bounds the caller's memory
_CONNECT_RUN = compile_bytes(rb'(?:connectAttr "[^"\\\n]*" "[^"\\\n]*"[^;"\\\n]*;[ \t\r]*\n)+')

_RESUME_TAIL = 4096  # bytes kept between reads while skipping: a `;`, blanks, a command

SKIP, KEEP, SKIP_BLOCK = 0, 1, 2
BACKSLASH = 0x5C
_MORE = -2
CONNECT_BATCH = b"connectAttr*"


@dataclass(slots=True)
class Statement:
    """One statement: its command word, absolute byte offset, and raw body bytes.

    `body` is the bytes from after the command word to (not including) the
    `;`; for `CONNECT_BATCH`, the whole run of plain connectAttr lines (at most
    `CONNECT_BYTES`), each ending in a newline.
    """

    command: bytes
    offset: int
    body: bytes


class ByteStream(Protocol):
    """What the reader needs of a file: reads, and seeks (all of them when `seekable()`)."""

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def seekable(self) -> bool: ...


class StatementReader:
    """Iterate the statements of a Maya ASCII byte stream that the caller wants.

    `want(command, buf, index)` gets the command word and the buffer with the
    index just after it, and answers SKIP, KEEP, or SKIP_BLOCK (skip this and
    every following indented statement of the same node block).

    `resume` (see `resume_pattern`), when given, says which top-level statements
    the caller could want at all: a SKIP_BLOCK then skips to the next of those
    in one regex search, over every node block and statement in between, so
    the statements nobody needs are never visited by Python code. It needs a
    seekable stream (the rest of the file after the last wanted statement is
    read again, statement by statement, to find where a cut-off file ends).
    """

    def __init__(
        self,
        stream: ByteStream,
        path: str | None,
        want: Callable[[bytes, bytes, int], int],
        block: int = BLOCK,
        resume: BytePattern | None = None,
    ) -> None:
        self._stream = stream
        self._path = path
        self._want = want
        self._block = block
        self._resume = resume
        self._buf = b""
        self._base = 0  # absolute offset of _buf[0]
        self._eof = False
        self._seekable = stream.seekable()

    def _fill(self, keep_from: int) -> int:
        """Drop bytes before `keep_from`, read one more block; returns how much was dropped."""
        if self._eof:
            return 0
        keep = len(self._buf) - keep_from
        if self._seekable:
            # Read the kept tail again with the new block: the page cache hands
            # it back for the cost of one copy, cheaper than joining two strings.
            self._stream.seek(self._base + keep_from)
            data = self._stream.read(keep + self._block)
            if len(data) <= keep:
                self._eof = True
            self._buf = data
        else:
            data = self._stream.read(self._block)
            if not data:
                self._eof = True
            self._buf = self._buf[keep_from:] + data
        self._base += keep_from
        return keep_from

    def __iter__(self) -> Iterator[Statement]:
        gap = cast(Callable[[bytes, int], re.Match[bytes]], _GAP.match)  # matches "" too
        word, want = _WORD.match, self._want
        pos = 0
        while True:
            buf = self._buf
            before = pos
            pos = gap(buf, pos).end()
            if pos + 300 > len(buf) and not self._eof:
                # Keep a command word and what follows it inside the buffer (and
                # read a comment cut by the buffer's end again, whole).
                pos = before - self._fill(before)
                continue
            if pos >= len(buf):
                return
            m = word(buf, pos)
            if m is None:
                self._fail(self._base + pos, "a MEL command", buf[pos : pos + 20])
            command = m.group()
            if command == b"connectAttr":
                run = _CONNECT_RUN.match(buf, pos, min(len(buf), pos + CONNECT_BYTES))
                if run is not None:
                    yield Statement(CONNECT_BATCH, self._base + pos, run.group())
                    pos = run.end()
                    continue
            decision = want(command, buf, m.end())
            if decision == SKIP_BLOCK and self._resume is not None:
                origin = self._base + pos
                pos = self._resume_at(m.end())
                if pos < 0:
                    # Nothing wanted up to the end: walk the rest the slow way, so
                    # a file cut off inside a skipped block still fails as malformed.
                    self._rewind(origin)
                    pos = 0
                continue
            if decision == SKIP_BLOCK:
                end = self._block_end(m.end())
                if end >= 0:
                    pos = end
                    continue
                if end == _MORE and not self._eof and len(buf) < 3 * self._block:
                    pos -= self._fill(pos)  # the block runs past the buffer: read on, retry
                    continue
                decision = SKIP
            offset = self._base + pos
            body_start, end = self._find_end(m.end(), offset, decision == KEEP)
            if decision == KEEP:
                yield Statement(command, offset, self._buf[body_start:end])
            pos = end + 1

    def _resume_at(self, start: int) -> int:
        """Index of the next top-level statement `resume` matches, reading on as needed;
        -1 when the file ends first.

        Keeps only a short tail of the buffer between reads, so memory stays
        flat however much is skipped.
        """
        resume = self._resume
        assert resume is not None
        while True:
            found = resume.search(self._buf, start)
            if found is not None:
                return found.start(1)
            if self._eof:
                return -1
            keep = max(start, len(self._buf) - _RESUME_TAIL)
            start = keep - self._fill(keep)

    def _rewind(self, offset: int) -> None:
        """Read again from absolute `offset`, and walk statement by statement from there."""
        self._resume = None
        self._stream.seek(offset)
        self._buf = self._stream.read(self._block)
        self._base = offset
        self._eof = len(self._buf) < self._block

    def _block_end(self, start: int) -> int:
        """Start of the next top-level statement after the current node block.

        A block ends where a `;` is followed (after spaces) by a newline and a
        line that starts with a letter or `//`. Only `;` bytes are visited, and
        `find` reaches them at memory speed, so a megabyte of mesh payload
        costs a handful of steps. Returns `_MORE` when the buffer ends first.
        """
        buf = self._buf
        find = buf.find
        size = len(buf)
        semi = find(b";", start)
        while semi >= 0:
            j = semi + 1
            while j < size and buf[j] in _BLANKS:
                j += 1
            if j + 1 >= size:
                break
            if buf[j] == NEWLINE and buf[j + 1] in _LINE_STARTS:
                return j + 1
            semi = find(b";", j)
        return _MORE

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
                if self._eof:
                    self._fail(
                        self._base + quote, "a closing quote for this string", b"end of file"
                    )
                scan = quote  # resume at the open quote once more is read
            else:
                if self._eof:
                    self._fail(self._base + len(buf), "';' to end the statement", b"end of file")
                scan = len(buf)
            dropped = self._fill(body if keep else scan)
            buf = self._buf
            scan -= dropped
            body = max(body - dropped, 0)

    def _fail(self, offset: int, expected: str, found: bytes) -> NoReturn:
        raise SceneParseError(
            self._path,
            line_at(self._stream, offset),
            expected,
            found.decode("latin-1").replace("\n", "\\n")[:40],
        )


@functools.cache  # compiled once per set of types, not once per scene or reference read
def resume_pattern(commands: frozenset[str], node_types: frozenset[str]) -> BytePattern:
    """The top-level statements a reader may want: these commands, and `createNode` of these
    types. Group 1 starts where the statement starts (right after the previous `;` and its
    line end, as `_block_end` finds a top-level statement)."""
    words = b"|".join(re.escape(c.encode("ascii")) for c in sorted(commands))
    types = b"|".join(re.escape(t.encode("ascii")) for t in sorted(node_types))
    return compile_bytes(
        rb";[ \t\r]*\n((?:"
        + words
        + rb")[ \t\r\n]|createNode[ \t\r\n]+(?:"
        + types
        + rb")[ \t\r\n;])"
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


def line_at(stream: ByteStream, offset: int) -> int:
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
