r"""Rewrite the job folder's copies of Maya ASCII scenes and XGen collections with mapped paths.

Maya resolves a scene's file references while it opens the scene, before any
``-preRender`` script runs, so a Windows-saved scene that names
``P:/show/assets/char/char_rig.ma`` opens on a Linux node without its
characters. The worker therefore rewrites, in the job folder only, the copies
of every ``.ma`` and ``.xgen`` file it laid out, so each absolute path they
name is the node's own path before Maya reads anything.

Only path strings change; every other byte stays as it was:

* ``.ma``: the path of each ``file`` statement (references: ``-r`` and
  ``-rdi``; a ``{1}`` copy number is kept), string values set by ``setAttr``
  on the attributes the offline analysis reads as file paths
  (``farmhand.scene.file_attributes.wants``: the same table, not a copy), and
  the paths inside reference edits of those attributes (``.ed``, a MEL string
  that holds another MEL string).
* ``.xgen``: the values of the path keys (``xgDataPath``, ``xgProjectPath``,
  the keys ``farmhand.scene.xgen`` reads), each ``;``-separated part, and the
  paths inside ``map('…')`` expressions.

A path is rewritten only when it is absolute, carries no unexpanded variable,
and its mapped local path (or that path's folder, for UDIM sets, sequences
and folders) exists here; anything else is left for Maya's own look-up and
the start-up ``dirmap`` (``maya_startup``). Scenes in a double-byte codeset
(932, 936, 949, 950: a path byte may be a ``\`` or ``"``) are left as they are.
The job folder's file takes the new bytes by rename: the blob cache's copy,
which it was hard-linked to, is never written.
"""

from __future__ import annotations

import functools
import io
import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from farmhand.scene import xgen
from farmhand.scene.attributes import base_name, canonical
from farmhand.scene.errors import SceneError
from farmhand.scene.file_attributes import EDIT_ATTRIBUTES, wants
from farmhand.scene.ma_statements import (
    CONNECT_BATCH,
    KEEP,
    SKIP,
    SKIP_BLOCK,
    StatementReader,
)
from farmhand.scene.maya_ascii import DEFAULT_NODE_TYPES
from farmhand.scene.mel_tokens import unescape
from farmhand.scene.resolve import is_absolute, normalise, unexpanded

PathFn = Callable[[str], str | None]
"""A written path → the path to write instead, or None to leave it."""

MAX_XGEN_BYTES = 64 * 1024 * 1024
"""An ``.xgen`` collection is a few kilobytes of text; a larger one is left as it is."""

_WANTS = wants()
_MULTIBYTE = {"932", "936", "949", "950"}
_CODECS = {"1252": "cp1252", "utf-8": "utf-8", "utf8": "utf-8", "65001": "utf-8"}
_CODESET = re.compile(rb"//Codeset: *(\S+)")
_TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"|[^\s"]+', re.S)
_STR = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)
_COPY_NUMBER = re.compile(r"\{\d+\}$")
_XGEN_KEYS = xgen.PATH_KEYS | xgen.PALETTE_PATH_KEYS


class Mapper(Protocol):
    """Turns a client path into this node's path (``farmhand.spec.pathmap.PathMapper``)."""

    def to_local(self, client_path: str) -> Path: ...


@dataclass(frozen=True, slots=True)
class Change:
    """One path string rewritten: as the file wrote it, and as it is now."""

    old: str
    new: str


@dataclass(slots=True)
class _Edit:
    start: int
    end: int
    data: bytes


@dataclass(slots=True)
class FileRemap:
    """What rewriting one laid-out file did: its changes, or why it was left."""

    client: str
    local: Path
    changes: list[Change] = field(default_factory=list)
    skipped: str | None = None


def mel_literal(text: str) -> str:
    r"""``text`` as a MEL string literal (``\`` and ``"`` escaped), as Maya writes one.

    >>> print(mel_literal('C:/a "b"'))
    "C:/a \"b\""
    """
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def local_paths(mapper: Mapper) -> PathFn:
    """The rule of the module doc: an absolute client path → its mapped local path if it
    (or its folder) exists here, a trailing slash kept; else None. A path already inside
    the job root (a copy an earlier attempt rewrote) is left."""

    root = getattr(mapper, "root", None)
    inside = root.as_posix().rstrip("/") + "/" if root is not None else None

    def map_path(written: str) -> str | None:
        path = normalise(written)
        if not path or not is_absolute(path) or unexpanded(path) or "%" in path:
            return None
        if inside is not None and path.startswith(inside):
            return None  # already the node's path (a copy rewritten by an earlier attempt)
        try:
            local = mapper.to_local(path.rstrip("/") or path)
        except ValueError:
            return None
        if not (local.exists() or local.parent.is_dir()):
            return None
        text = local.as_posix()
        return text + "/" if path.endswith("/") and not text.endswith("/") else text

    return map_path


# --------------------------------------------------------------------------- Maya ASCII


def maya_ascii_codec(head: bytes) -> str | None:
    """The codec of a ``.ma`` file from its first bytes; None for a double-byte codeset."""
    found = _CODESET.search(head)
    codeset = found.group(1).decode("ascii", "replace").lower() if found else "utf-8"
    if codeset in _MULTIBYTE:
        return None
    return _CODECS.get(codeset, "utf-8")


class _MayaAsciiPaths:
    """Finds the byte spans of the path strings in one ``.ma`` stream (see the module doc)."""

    def __init__(self, codec: str, map_path: PathFn) -> None:
        self.codec = codec
        self.map_path = map_path
        self.wanted: frozenset[str] | None = None  # the current node's file attributes
        self.node_type = ""
        self.edits: list[_Edit] = []
        self.changes: list[Change] = []

    def want(self, command: bytes, buf: bytes, index: int) -> int:
        if command == b"setAttr":
            if not self.wanted:
                return SKIP_BLOCK
            start = buf.find(b'"', index, index + 256)
            end = buf.find(b'"', start + 1, start + 256)
            if start < 0 or end < 0:
                return SKIP
            attr = canonical(base_name(buf[start + 1 : end].decode("latin-1")))
            return KEEP if attr in self.wanted else SKIP
        return KEEP if command in (b"createNode", b"select", b"file") else SKIP

    def run(self, stream: BinaryIO, name: str | None) -> None:
        for statement in StatementReader(stream, name, self.want):
            if statement.command == CONNECT_BATCH:
                continue  # a run of connectAttr lines names no file
            body_at = statement.offset + len(statement.command)
            tokens = [
                (m.start() + body_at, m.end() + body_at, m.group(1), m.group())
                for m in _TOKEN.finditer(statement.body)
            ]
            if statement.command == b"createNode":
                self._node([t[3] if t[2] is None else t[2] for t in tokens], create=True)
            elif statement.command == b"select":
                self._node([t[3] if t[2] is None else t[2] for t in tokens], create=False)
            elif statement.command == b"file":
                self._file(tokens)
            else:
                self._set_attr(tokens)

    def _node(self, words: list[bytes], create: bool) -> None:
        if create:
            node_type = next((w for w in words if not w.startswith(b"-")), b"")
            self.node_type = node_type.decode(self.codec, "replace")
        else:
            names = [w for w in words if not w.startswith(b"-")]
            short = names[0].decode(self.codec, "replace").rpartition("|")[2] if names else ""
            self.node_type = DEFAULT_NODE_TYPES.get(short.lstrip(":"), "")
        self.wanted = _WANTS.get(self.node_type)

    def _file(self, tokens: list[tuple[int, int, bytes | None, bytes]]) -> None:
        words = [t[3] for t in tokens if t[2] is None]
        if not {b"-r", b"-reference", b"-rdi", b"-referenceDepthInfo"} & set(words):
            return
        strings = [t for t in tokens if t[2] is not None]
        if strings:
            start, end, raw, _ = strings[-1]
            self._literal(start, end, raw or b"", copy_number=True)

    def _set_attr(self, tokens: list[tuple[int, int, bytes | None, bytes]]) -> None:
        strings = [t for t in tokens if t[2] is not None]
        if len(strings) < 2:
            return
        attr = canonical(base_name(unescape((strings[0][2] or b"").decode(self.codec, "replace"))))
        type_at = next((i for i, t in enumerate(tokens) if t[3] in (b"-type", b"-typ")), None)
        if type_at is None or type_at + 1 >= len(tokens):
            return
        type_name = tokens[type_at + 1][2]
        values = [t for t in tokens[type_at + 2 :] if t[2] is not None]
        if self.node_type == "reference" and attr == "ed" and type_name == b"dataReferenceEdits":
            self._reference_edits(tokens[type_at + 2 :])
        elif type_name == b"string" and len(values) == 1 and len(tokens) == type_at + 3:
            start, end, raw, _ = values[0]
            self._literal(start, end, raw or b"", multi=True)
        elif type_name == b"stringArray":
            for start, end, raw, _ in values:
                self._literal(start, end, raw or b"")

    def _reference_edits(self, tokens: list[tuple[int, int, bytes | None, bytes]]) -> None:
        """``2 "node" "attr" " -type \\"string\\" \\"path\\""``: the path inside the value."""
        for i in range(len(tokens) - 3):
            word, node, attr, value = tokens[i : i + 4]
            if word[2] is not None or word[3] != b"2":
                continue
            if any(t[2] is None for t in (node, attr, value)):
                continue
            name = unescape((attr[2] or b"").decode(self.codec, "replace"))
            if name not in EDIT_ATTRIBUTES:
                continue
            outer = (value[2] or b"").decode(self.codec, "replace")
            inner = unescape(outer)
            if mel_literal(inner) != f'"{outer}"':
                continue  # an escape we would not write back the same way
            literals = list(_STR.finditer(inner))
            if not literals:
                continue
            last = literals[-1]
            old = unescape(last.group(1))
            new = self._mapped(old)
            if new is None:
                continue
            rewritten = inner[: last.start()] + mel_literal(new) + inner[last.end() :]
            self._replace(value[0], value[1], mel_literal(rewritten), old, new)

    def _literal(
        self, start: int, end: int, raw: bytes, *, copy_number: bool = False, multi: bool = False
    ) -> None:
        text = unescape(raw.decode(self.codec, "replace"))
        if mel_literal(text) != '"' + raw.decode(self.codec, "replace") + '"':
            return
        suffix = ""
        if copy_number and (copy := _COPY_NUMBER.search(text)):
            text, suffix = text[: copy.start()], copy.group()
        parts = text.split(";") if multi and ";" in text else [text]
        mapped = [self._mapped(p) for p in parts]
        if all(m is None for m in mapped):
            return
        new = ";".join(m if m is not None else p for p, m in zip(parts, mapped, strict=True))
        self._replace(start, end, mel_literal(new + suffix), text, new)

    def _mapped(self, path: str) -> str | None:
        new = self.map_path(path)
        return None if new is None or new == path else new

    def _replace(self, start: int, end: int, literal: str, old: str, new: str) -> None:
        try:
            data = literal.encode(self.codec)
        except UnicodeEncodeError:
            return  # the node's path cannot be written in the scene's codeset
        self.edits.append(_Edit(start, end, data))
        self.changes.append(Change(old, new))


def rewrite_maya_ascii(data: bytes, map_path: PathFn) -> tuple[bytes, list[Change]]:
    """A ``.ma`` file's bytes with its path strings mapped (see the module doc), and the changes.

    >>> text = b'//Maya ASCII 2025 scene\\nfile -r -ns "c" -rfn "cRN" "P:/a/c.ma";\\n'
    >>> new, changes = rewrite_maya_ascii(text, lambda p: "/n" + p[2:] if p[:2] == "P:" else None)
    >>> print(new.decode())
    //Maya ASCII 2025 scene
    file -r -ns "c" -rfn "cRN" "/n/a/c.ma";
    <BLANKLINE>
    """
    out = io.BytesIO()
    changes = _rewrite_ma_stream(io.BytesIO(data), out, map_path, None)
    return (out.getvalue() if changes else data), changes


def _rewrite_ma_stream(
    src: BinaryIO, dst: BinaryIO, map_path: PathFn, name: str | None
) -> list[Change]:
    codec = maya_ascii_codec(src.read(4096))
    if codec is None:
        raise _Skip("a double-byte codeset: left as saved (start-up dirmap applies)")
    src.seek(0)
    finder = _MayaAsciiPaths(codec, map_path)
    finder.run(src, name)
    if finder.edits:
        src.seek(0)
        _copy_with(src, dst, finder.edits)
    return finder.changes


def _copy_with(src: BinaryIO, dst: BinaryIO, edits: Iterable[_Edit]) -> None:
    """Copy `src` to `dst`, each edit's byte span replaced by its data."""
    at = 0
    for edit in sorted(edits, key=lambda e: e.start):
        _copy_bytes(src, dst, edit.start - at)
        dst.write(edit.data)
        src.seek(edit.end)
        at = edit.end
    while chunk := src.read(1024 * 1024):
        dst.write(chunk)


def _copy_bytes(src: BinaryIO, dst: BinaryIO, count: int) -> None:
    while count > 0:
        chunk = src.read(min(count, 1024 * 1024))
        if not chunk:
            return
        dst.write(chunk)
        count -= len(chunk)


# --------------------------------------------------------------------------- XGen


def rewrite_xgen(data: bytes, map_path: PathFn) -> tuple[bytes, list[Change]]:
    r"""An ``.xgen`` collection's bytes with the paths of its path keys mapped, and the changes.

    >>> text = b"Palette\n\txgDataPath\t${PROJECT}xgen;P:/lib/xgen\n\txgProjectPath\tP:/show/\n"
    >>> new, _ = rewrite_xgen(text, lambda p: "/n" + p[2:] if p[:2] == "P:" else None)
    >>> print(new.decode().replace("\t", " | "), end="")
    Palette
     | xgDataPath | ${PROJECT}xgen;/n/lib/xgen
     | xgProjectPath | /n/show/
    """
    changes: list[Change] = []
    lines = data.splitlines(keepends=True)
    out = []
    for line in lines:
        out.append(_xgen_line(line, map_path, changes))
    return (b"".join(out) if changes else data), changes


def _xgen_line(line: bytes, map_path: PathFn, changes: list[Change]) -> bytes:
    if not line[:1].isspace():
        return line
    body = line.rstrip(b"\r\n")
    ending = line[len(body) :]
    indent = body[: len(body) - len(body.lstrip())]
    key, tab, value = body.lstrip().partition(b"\t")
    if not tab:
        return line
    text = value.decode("utf-8", "surrogateescape")
    name = key.decode("utf-8", "replace")
    new = text
    if name in _XGEN_KEYS:
        new = ";".join(_mapped_xgen(part, map_path, changes) for part in text.split(";"))
    if "map(" in new:
        new = xgen.MAP_EXPRESSION.sub(
            lambda m: m.group().replace(m.group(1), _mapped_xgen(m.group(1), map_path, changes)),
            new,
        )
    if new == text:
        return line
    return indent + key + tab + new.encode("utf-8", "surrogateescape") + ending


def _mapped_xgen(part: str, map_path: PathFn, changes: list[Change]) -> str:
    stripped = part.strip()
    if not stripped:
        return part
    new = map_path(stripped)
    if new is None or new == stripped:
        return part
    changes.append(Change(stripped, new))
    return part.replace(stripped, new)


# --------------------------------------------------------------------------- the job folder


class _Skip(Exception):
    """A file left as it is, and why."""


def rewrite_file(
    source: Path, dest: Path, map_path: PathFn, suffix: str | None = None
) -> list[Change]:
    """Write `source` (a ``.ma`` or ``.xgen`` file, by `suffix`, else its own) to `dest` with
    its paths mapped, when any path changes; the changes (none: `dest` is not written).
    Raises ``_Skip`` (a reason)."""
    suffix = (suffix or source.suffix).lower()
    if suffix == ".ma":
        with open(source, "rb") as src, open(dest, "wb") as dst:
            try:
                return _rewrite_ma_stream(src, dst, map_path, str(source))
            except SceneError as exc:
                raise _Skip(f"not read as Maya ASCII: {exc}") from None
    if suffix == ".xgen":
        if source.stat().st_size > MAX_XGEN_BYTES:
            raise _Skip(f"larger than {MAX_XGEN_BYTES} bytes")
        data, changes = rewrite_xgen(source.read_bytes(), map_path)
        if changes:
            dest.write_bytes(data)
        return changes
    return []


def remap_file(local: Path, map_path: PathFn) -> list[Change]:
    """Rewrite one laid-out ``.ma`` or ``.xgen`` file in place (by rename); its changes.

    Raises ``_Skip`` (a reason) for a file left as it is.
    """
    staged = local.with_name(f".{local.name}.{uuid.uuid4().hex[:8]}")
    try:
        changes = rewrite_file(local, staged, map_path)
        if changes:
            os.chmod(staged, local.stat().st_mode & 0o777)
            os.replace(staged, local)
        return changes
    finally:
        staged.unlink(missing_ok=True)


def _attempt(result: FileRemap, rewrite: Callable[[], list[Change]]) -> FileRemap:
    try:
        result.changes = rewrite()
    except _Skip as why:
        result.skipped = str(why)
    except OSError as exc:
        result.skipped = f"cannot be rewritten: {exc}"
    except Exception as exc:  # a file the artist sent must never stop the others
        result.skipped = f"cannot be rewritten: {type(exc).__name__}: {exc}"
    return result


def _rewritable(local: Path, root: Path) -> bool:
    return local.suffix.lower() in (".ma", ".xgen") and local.is_relative_to(root)


def remap_job(files: dict[str, Path], root: Path, mapper: Mapper) -> list[FileRemap]:
    """Rewrite every laid-out ``.ma`` and ``.xgen`` file under the job `root` (never a file a
    worker rule maps onto studio storage): client path → local path in `files`."""
    map_path = local_paths(mapper)
    return [
        _attempt(FileRemap(client, local), functools.partial(remap_file, local, map_path))
        for client, local in files.items()
        if _rewritable(local, root)
    ]


class JobRewriter:
    """The rewrite as the job's files are laid out (``layout.lay_out(rewriter=…)``): each
    ``.ma``/``.xgen`` file under the job root takes its rewritten bytes in one rename, so a
    renderer of another task of the job never sees the unmapped copy between two steps."""

    def __init__(self, root: Path, mapper: Mapper) -> None:
        self.root = root
        self.map_path = local_paths(mapper)
        self.done: list[FileRemap] = []

    def wants(self, local: Path) -> bool:
        """True for a file this rewrites (``.ma``/``.xgen`` under the job root)."""
        return _rewritable(local, self.root)

    def __call__(self, client: str, local: Path, source: Path, dest: Path) -> bool:
        """Write `source` rewritten to `dest`; True when it was (a path changed)."""
        result = _attempt(
            FileRemap(client, local),
            lambda: rewrite_file(source, dest, self.map_path, local.suffix),
        )
        self.done.append(result)
        return bool(result.changes)


def describe(done: Iterable[FileRemap]) -> Iterator[str]:
    """Log lines: each rewritten file with how many paths changed, each file left and why."""
    for item in done:
        if item.skipped:
            yield f"[farmhand] paths: {item.client} left as saved: {item.skipped}\n"
        elif item.changes:
            yield f"[farmhand] paths: {item.client}: {len(item.changes)} path(s) mapped\n"
