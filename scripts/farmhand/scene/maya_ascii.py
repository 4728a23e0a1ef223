"""Read a Maya ASCII (`.ma`) file offline and answer SceneQuery about it.

Streams the file statement by statement (see `ma_statements`). Given `wants`,
it keeps only nodes of the wanted types and decodes only the attributes asked
for; every other node block, and every top-level statement that cannot matter,
is skipped by one regex search (`resume_pattern`), so mesh payloads and the
hundreds of thousands of small nodes of a set-dressed scene cost about as much
as reading their bytes. Without `wants` every node and attribute is kept.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal

from farmhand.scene.attributes import base_name, canonical
from farmhand.scene.connect_runs import PAIR, WantedNodes
from farmhand.scene.errors import BinarySceneError, SceneError, SceneParseError
from farmhand.scene.ma_statements import (
    BLOCK,
    CONNECT_BATCH,
    KEEP,
    SKIP,
    SKIP_BLOCK,
    ByteStream,
    Statement,
    StatementReader,
    line_at,
    resume_pattern,
)
from farmhand.scene.mel_tokens import Str, flag_values, scalar, tokenize
from farmhand.scene.query import Reference, SceneHeader

# Nodes every scene has without a createNode; `select -ne :name` reaches them.
DEFAULT_NODE_TYPES: dict[str, str] = {
    "defaultRenderGlobals": "renderGlobals",
    "defaultResolution": "resolution",
    "time1": "time",
    "defaultColorMgtGlobals": "colorManagementGlobals",
    "renderLayerManager": "renderLayerManager",
    "defaultRenderLayer": "renderLayer",
    "defaultArnoldRenderOptions": "aiOptions",
    "defaultArnoldDriver": "aiAOVDriver",
    "defaultArnoldFilter": "aiAOVFilter",
    "defaultArnoldDisplayDriver": "aiAOVDriver",
    "hardwareRenderingGlobals": "hardwareRenderingGlobals",
    "defaultHardwareRenderGlobals": "hardwareRenderGlobals",
    "perspShape": "camera",
    "topShape": "camera",
    "frontShape": "camera",
    "sideShape": "camera",
}

# Codesets whose double-byte characters may contain a `\` or `"` byte: the
# file is transcoded to UTF-8 before it is split into statements.
_MULTIBYTE = {"932": "cp932", "936": "gbk", "949": "cp949", "950": "cp950"}
_CODECS = {"1252": "cp1252", "utf-8": "utf-8", "utf8": "utf-8", "65001": "utf-8"}

_SETATTR_FLAGS = {
    "-s": "size", "-size": "size", "-k": "keyable", "-keyable": "keyable",
    "-l": "lock", "-lock": "lock", "-cb": "channelBox", "-channelBox": "channelBox",
    "-ch": "capacity", "-capacityHint": "capacity", "-type": "type", "-typ": "type",
}  # fmt: skip
_CREATE_FLAGS = {"-n": "name", "-name": "name", "-p": "parent", "-parent": "parent"}
_FILE_FLAGS = {
    "-rdi": "rdi", "-referenceDepthInfo": "rdi", "-ns": "ns", "-namespace": "ns",
    "-rfn": "rfn", "-referenceNode": "rfn", "-op": "op", "-options": "op",
    "-typ": "typ", "-type": "typ", "-dr": "dr", "-deferReference": "dr",
    "-rpr": "rpr", "-renamingPrefix": "rpr", "-shd": "shd", "-sharedNodes": "shd",
    "-dns": "dns", "-lck": "lck", "-lockReference": "lck", "-mnc": "mnc",
}  # fmt: skip
_ADDATTR_FLAGS = {
    "-sn": "sn", "-shortName": "sn", "-ln": "ln", "-longName": "ln",
    "-dv": "dv", "-defaultValue": "dv", "-at": "at", "-attributeType": "at",
    "-dt": "dt", "-dataType": "dt", "-p": "p", "-parent": "p", "-nc": "nc",
    "-min": "min", "-max": "max", "-smn": "smn", "-smx": "smx", "-en": "en",
    "-nn": "nn", "-niceName": "nn", "-uac": "uac", "-m": "m", "-im": "im",
}  # fmt: skip
_CURRENT_UNIT_FLAGS = {
    "-l": "linear", "-linear": "linear", "-a": "angle", "-angle": "angle",
    "-t": "time", "-time": "time",
}  # fmt: skip
# The usual createNode shape: `createNode TYPE [-s] -n "NAME" [-p "PARENT"] [-s];`
_CREATE_FAST = re.compile(
    rb'\s+([A-Za-z_][\w:]*)(?:\s+-s{1,2})?\s+-n\s+"([^"\\]+)"(?:\s+-p\s+"([^"\\]+)")?(?:\s+-s{1,2})?\s*\Z'
)
# Top-level commands that change the scene whatever node came before them (a createNode
# of a wanted type is the other thing a skip stops at; see `StatementReader`).
_RESUME_COMMANDS = frozenset(
    {"select", "file", "requires", "currentUnit", "fileInfo", "connectAttr", "rename"}
)
_COPY_NUMBER = re.compile(r"\{(\d+)\}$")
_HEADER_VERSION = re.compile(rb"//Maya ASCII (\S+) scene")
_HEADER_CODESET = re.compile(rb"//Codeset: *(\S+)")

Wants = Mapping[str, frozenset[str] | None]
"""Node type → short attribute base names to decode (None: every attribute)."""


@dataclass(slots=True)
class Node:
    """A node as the file creates it; `attrs` only holds decoded attributes."""

    name: str
    type: str
    parent: str | None = None
    attrs: dict[str, Any] | None = None
    defaults: dict[str, Any] | None = None  # addAttr -dv values

    def set(self, attr: str, value: Any) -> None:
        if self.attrs is None:
            self.attrs = {}
        self.attrs[attr] = value


class MayaAsciiScene:
    """SceneQuery over a parsed `.ma` file (see `read_scene`)."""

    def __init__(self, scene_path: str) -> None:
        self.scene_path = scene_path
        self.header = SceneHeader()
        self._nodes: dict[str, Node] = {}
        self._by_type: dict[str, list[str]] = {}
        self._connections: dict[str, list[tuple[str, str]]] = {}
        self._references: list[Reference] = []

    # -- SceneQuery ----------------------------------------------------------
    def nodes(self, node_type: str) -> list[str]:
        return list(self._by_type.get(node_type, ()))

    def node_type(self, node: str) -> str | None:
        found = self._node(node)
        return found.type if found else None

    def parent(self, node: str) -> str | None:
        found = self._node(node)
        return found.parent if found else None

    def get_attr(self, node: str, attr: str, default: Any = None) -> Any:
        found = self._node(node)
        if found is None:
            return default
        key = canonical(attr)
        if found.attrs and key in found.attrs:
            return found.attrs[key]
        if found.attrs and key.endswith("]"):
            ranged = _ranged_element(found.attrs, key)
            if ranged is not None:
                return ranged
        if found.defaults and key in found.defaults:
            return found.defaults[key]
        return default

    def attr_indices(self, node: str, attr: str) -> list[int]:
        found = self._node(node)
        if found is None or not found.attrs:
            return []
        prefix = canonical(attr) + "["
        indices: set[int] = set()
        for key in found.attrs:
            if key.startswith(prefix):
                inner = key[len(prefix) : key.index("]", len(prefix))]
                indices.update(_index_range(inner))
        for src, dst in self._connections.get(found.name, ()):
            for plug in (src, dst):
                head, _, rest = plug.partition(".")
                if _short(head) == found.name and rest.startswith(prefix):
                    indices.update(_index_range(rest[len(prefix) : rest.index("]")]))
        return sorted(indices)

    def connections(self, node: str) -> list[tuple[str, str]]:
        found = self._node(node)
        return list(self._connections.get(found.name if found else node, ()))

    def references(self) -> list[Reference]:
        return list(self._references)

    def reference_edits(self, ref_node: str) -> list[tuple[str, str, str]]:
        tokens = self.get_attr(ref_node, "ed")
        if not isinstance(tokens, list):
            return []
        edits = []
        for i, tok in enumerate(tokens[:-3]):
            if (
                tok == "2"
                and not isinstance(tok, Str)
                and all(isinstance(t, Str) for t in tokens[i + 1 : i + 4])
            ):
                edits.append((str(tokens[i + 1]), str(tokens[i + 2]), str(tokens[i + 3])))
        return edits

    def loaded_reference(self, ref_node: str) -> None:
        return None  # a file holds no referenced nodes: the scanner reads the file

    # -- building --------------------------------------------------------------
    def _node(self, name: str) -> Node | None:
        found = self._nodes.get(name)
        if found is None and name:
            found = self._nodes.get(_short(name))
        return found

    def add_node(self, name: str, node_type: str, parent: str | None) -> Node:
        node = Node(name, node_type, parent)
        if name in self._nodes and parent:
            # Same short name under another parent: keep both, the later by path.
            name = f"{_short(parent)}|{name}"
            node.name = name
        self._nodes[name] = node
        self._by_type.setdefault(node_type, []).append(name)
        return node

    def find_or_add(self, name: str) -> Node:
        found = self._node(name)
        if found is None:
            found = self.add_node(name, DEFAULT_NODE_TYPES.get(name, "unknown"), None)
        return found

    def add_connection(self, src: str, dst: str) -> None:
        for plug in (src, dst):
            node = _short(plug.partition(".")[0])
            self._connections.setdefault(node, []).append((src, dst))


def _short(path: str) -> str:
    """`|grp|cam` → `cam`; leading `:` (root namespace) dropped."""
    return path.rpartition("|")[2].lstrip(":")


def _ranged_element(attrs: dict[str, Any], key: str) -> Any:
    """Element `x[i]` of a multi attribute written as a range (`setAttr ".x[1:2]" 1 2`)."""
    name, bracket, inner = key[:-1].rpartition("[")
    if not bracket or not inner.isdigit() or "[" in name:
        return None
    index = int(inner)
    prefix = name + "["
    for stored, value in attrs.items():
        if stored.startswith(prefix) and ":" in stored and stored.endswith("]"):
            span = _index_range(stored[len(prefix) : -1])
            if index in span and isinstance(value, list) and len(value) == len(span):
                return value[span.index(index)]
    return None


def _index_range(inner: str) -> range:
    start, _, end = inner.partition(":")
    try:
        return range(int(start), int(end or start) + 1)
    except ValueError:
        return range(0)


def read_scene(
    path: str,
    wants: Wants | None = None,
    connect_types: Collection[str] | None = None,
    block: int = BLOCK,
) -> MayaAsciiScene:
    """Parse a `.ma` file; `wants` limits which attributes are decoded (None: all).

    `connect_types` limits the connections kept to those touching a node of
    one of these types (default: the types in `wants`). `block` is the read
    size (tests make it tiny to exercise statements split across reads).

    Raises BinarySceneError for a `.mb` file, SceneParseError for malformed
    text, and SceneError for a file that is not a Maya scene at all.
    """
    with open(path, "rb", buffering=0) as raw:
        head = raw.read(4096)
        if head[:4] in (b"FOR4", b"FOR8"):
            raise BinarySceneError(path, _binary_version(head))
        header = SceneHeader()
        m = _HEADER_VERSION.search(head)
        if m is None and (b"\x00" in head[:512] or not head.strip()):
            raise SceneError(f"{path}: not a Maya ASCII scene (no '//Maya ASCII' header)")
        if m:
            header.maya_version = m.group(1).decode("ascii", "replace")
        cs = _HEADER_CODESET.search(head)
        header.codeset = cs.group(1).decode("ascii", "replace") if cs else ""
        raw.seek(0)
        codec_name = _codec(header.codeset)
        stream: ByteStream = raw
        text_codec = "utf-8"
        if codec_name in _MULTIBYTE.values():
            stream = _Utf8Transcoder(raw, codec_name)
        else:
            text_codec = codec_name
        builder = _Builder(path, wants, text_codec, stream, connect_types)
        builder.block = block
        builder.scene.header = header
        try:
            builder.run()
        except SceneError:
            raise
        except (ValueError, IndexError, KeyError, UnicodeError) as exc:  # pragma: no cover
            line = line_at(stream, builder.offset)
            raise SceneParseError(path, line, "a well-formed statement", str(exc)) from exc
        return builder.scene


def _codec(codeset: str) -> str:
    low = codeset.lower()
    if low in _MULTIBYTE:
        return _MULTIBYTE[low]
    if low in _CODECS:
        return _CODECS[low]
    try:
        return codecs.lookup(low).name
    except LookupError:
        return "utf-8"


def _binary_version(head: bytes) -> str | None:
    m = re.search(rb"version\x00([^\x00]{2,20})\x00", head) or re.search(
        rb"VERS.{4,12}?(\d{4}[0-9a-z]*)", head, re.S
    )
    return m.group(1).decode("ascii", "replace") if m else None


class _Utf8Transcoder(io.RawIOBase):
    """A byte stream that decodes a double-byte codeset and re-encodes it as UTF-8."""

    def __init__(self, raw: BinaryIO, codec_name: str) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(codec_name)(errors="replace")

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size if size > 0 else -1)
        text = self._decoder.decode(data, final=not data)
        return text.encode("utf-8")

    def seek(self, offset: int, whence: int = 0) -> int:
        self._decoder.reset()
        return self._raw.seek(offset, whence)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False  # offsets are in the transcoded text, not the file


class _Builder:
    """Applies statements to a MayaAsciiScene; decides which bodies to decode."""

    def __init__(
        self,
        path: str,
        wants: Wants | None,
        text_codec: str,
        stream: ByteStream,
        connect_types: Collection[str] | None,
    ) -> None:
        self.scene = MayaAsciiScene(path)
        self.block = BLOCK
        self.connect_types = frozenset(connect_types if connect_types is not None else wants or ())
        self.stream = stream
        self.path = path
        self.wants = wants
        self.codec = text_codec
        self.current: Node | None = None
        self.current_wanted: frozenset[str] | Literal[False] | None = False
        self.offset = 0
        self._rdi: list[Reference] = []
        # Names (as written) of nodes of the connect types: connections are
        # kept only when they touch one, and checked without decoding.
        self._wanted = WantedNodes()
        self._top: list[Reference] = []
        self._handlers = {
            b"createNode": self._create_node,
            b"setAttr": self._set_attr,
            b"select": self._select,
            b"connectAttr": self._connect_attr,
            b"file": self._file,
            b"requires": self._requires,
            b"currentUnit": self._current_unit,
            b"fileInfo": self._file_info,
            b"rename": self._rename,
            b"addAttr": self._add_attr,
            CONNECT_BATCH: self._connect_batch,
        }

    def run(self) -> None:
        resume = None
        if self.wants is not None and self.stream.seekable():
            resume = resume_pattern(_RESUME_COMMANDS, frozenset({*self.wants, *self.connect_types}))
        reader = StatementReader(self.stream, self.path, self._want, self.block, resume)
        handlers = self._handlers
        for statement in reader:
            self.offset = statement.offset
            handlers[statement.command](statement)
        self._finish_references()

    # -- what to decode ----------------------------------------------------------
    def _want(self, command: bytes, buf: bytes, index: int) -> int:
        if command == b"setAttr" or command == b"addAttr":
            wanted = self.current_wanted
            if wanted is False:
                return SKIP_BLOCK
            if wanted is None or command == b"addAttr":
                return KEEP
            return KEEP if _peek_attr(buf, index) in wanted else SKIP
        if command == b"rename":
            if buf.startswith(b" -uid", index):
                return SKIP_BLOCK if self.current_wanted is False else SKIP
            return KEEP
        if command == b"connectAttr":
            return KEEP if self._connect_wanted(buf, index) else SKIP
        return KEEP if command in self._handlers else SKIP

    def _wanted_for(self, node_type: str) -> frozenset[str] | Literal[False] | None:
        if self.wants is None:
            return None
        if node_type in self.wants:
            return self.wants[node_type]
        return False

    def _connect_wanted(self, buf: bytes, index: int) -> bool:
        if self.wants is None:
            return True
        first = buf.find(b'"', index, index + 512)
        if first < 0:
            return True
        peek = buf[first : first + 512]
        return any(self._wanted.plug(plug) for plug in peek.split(b'"')[1:4:2])

    def _connect_batch(self, statement: Statement) -> None:
        codec = self.codec
        add = self.scene.add_connection
        if self.wants is None:
            pairs = [(p[0], p[2]) for p in PAIR.findall(statement.body)]
        else:
            pairs = self._wanted.pairs_in(statement.body)
        for src, dst in pairs:
            add(src.decode(codec, "replace"), dst.decode(codec, "replace"))

    def _text(self, statement: Statement) -> str:
        return statement.body.decode(self.codec, "replace")

    def _tokens(self, statement: Statement) -> list[str]:
        return tokenize(self._text(statement))

    # -- statements ----------------------------------------------------------------
    def _create_node(self, statement: Statement) -> None:
        fast = _CREATE_FAST.match(statement.body)
        if fast is not None:
            node_type = fast.group(1).decode(self.codec, "replace")
            name = fast.group(2).decode(self.codec, "replace")
            under = fast.group(3)
            parent = under.decode(self.codec, "replace") if under is not None else None
        else:
            flags, rest = flag_values(self._tokens(statement), _CREATE_FLAGS)
            if not rest:
                self._fail(statement, "a node type after createNode")
            node_type = str(rest[0])
            name = str(flags.get("name") or f"{node_type}#")
            parent = flags.get("parent")
        self.current_wanted = self._wanted_for(node_type)
        if self.current_wanted is False and node_type not in self.connect_types:
            # Not kept: the reader skips most such nodes unseen (see `resume_pattern`),
            # so keeping the few it sees would make the scene depend on their order.
            self.current = None
            return
        self.current = self.scene.add_node(name, node_type, _short(parent) if parent else None)
        self._note_wanted(self.current)

    def _note_wanted(self, node: Node) -> None:
        if node.type in self.connect_types:
            self._wanted.add(node.name.encode(self.codec, "replace"))

    def _select(self, statement: Statement) -> None:
        _, rest = flag_values(self._tokens(statement), {})
        if not rest:
            self.current, self.current_wanted = None, False
            return
        self.current = self.scene.find_or_add(_short(str(rest[0])))
        self.current_wanted = self._wanted_for(self.current.type)
        self._note_wanted(self.current)

    def _rename(self, statement: Statement) -> None:
        _, rest = flag_values(self._tokens(statement), {"-uid": "uid", "-uuid": "uid"})
        if len(rest) == 2:
            node = self.scene._node(_short(str(rest[0])))
            new = _short(str(rest[1]))
        elif len(rest) == 1 and self.current is not None:
            node, new = self.current, _short(str(rest[0]))
        else:
            return
        if node is not None and new not in self.scene._nodes:
            old = node.name
            self.scene._nodes[new] = self.scene._nodes.pop(old)
            node.name = new
            if old.encode(self.codec, "replace") in self._wanted:
                self._wanted.add(new.encode(self.codec, "replace"))
            names = self.scene._by_type.get(node.type, [])
            names[names.index(old)] = new

    def _set_attr(self, statement: Statement) -> None:
        if self.current is None:
            return
        flags, rest = flag_values(self._tokens(statement), _SETATTR_FLAGS)
        if not rest or not isinstance(rest[0], Str):
            self._fail(statement, "an attribute name in quotes after setAttr")
        if len(rest) == 1 and "type" not in flags:
            return  # only flags (-k, -l, -s size): the value is not written here
        self.current.set(canonical(rest[0]), _value(flags.get("type"), rest[1:]))

    def _add_attr(self, statement: Statement) -> None:
        if self.current is None:
            return
        flags, _ = flag_values(self._tokens(statement), _ADDATTR_FLAGS)
        if "dv" in flags:
            node = self.current
            if node.defaults is None:
                node.defaults = {}
            value = scalar(flags["dv"])
            for key in ("sn", "ln"):
                if key in flags:
                    node.defaults[canonical(flags[key])] = value

    def _connect_attr(self, statement: Statement) -> None:
        _, rest = flag_values(self._tokens(statement), {"-l": "lock", "-lock": "lock"})
        plugs = [str(t) for t in rest if isinstance(t, Str)]
        if len(plugs) < 2:
            self._fail(statement, "two plugs in quotes after connectAttr")
        self.scene.add_connection(plugs[0].lstrip(":"), plugs[1].lstrip(":"))

    def _file(self, statement: Statement) -> None:
        flags, rest = flag_values(self._tokens(statement), _FILE_FLAGS)
        paths = [str(t) for t in rest if isinstance(t, Str)]
        if not paths or ("-r" not in flags and "-reference" not in flags and "rdi" not in flags):
            return
        path = paths[-1]
        copy = _COPY_NUMBER.search(path)
        ref = Reference(
            path=path[: copy.start()] if copy else path,
            node=flags.get("rfn"),
            namespace=flags.get("ns"),
            file_type=flags.get("typ"),
            copy_number=int(copy.group(1)) if copy else None,
        )
        if "rdi" in flags:
            ref.depth = int(scalar(flags["rdi"]) or 1)
            ref.loaded = str(flags.get("dr", "0")) != "1"
            self._rdi.append(ref)
        else:
            self._top.append(ref)

    def _finish_references(self) -> None:
        """Merge `-rdi` descriptions (tree, loaded state) with the `-r` lines (live paths)."""
        refs: list[Reference] = []
        parents: list[Reference] = []
        top = list(self._top)
        for info in self._rdi:
            del parents[info.depth - 1 :]
            if info.depth == 1:
                live = next((r for r in top if r.node == info.node), None)
                if live is not None:
                    top.remove(live)
                    live.loaded = info.loaded
                    info = live
            else:
                info.parent = parents[-1].path if parents else None
            parents.append(info)
            refs.append(info)
        refs.extend(top)  # -r lines without -rdi descriptions (older files)
        self.scene._references = refs

    def _requires(self, statement: Statement) -> None:
        # `requires maya "2024"` writes the name bare; plug-ins are quoted.
        _, rest = flag_values(self._tokens(statement), {"-nodeType": "nt", "-dataType": "dt"})
        if len(rest) >= 2:
            self.scene.header.requires[str(rest[0])] = str(rest[1])

    def _current_unit(self, statement: Statement) -> None:
        flags, _ = flag_values(self._tokens(statement), _CURRENT_UNIT_FLAGS)
        header = self.scene.header
        header.time_unit = str(flags.get("time", header.time_unit))
        header.linear_unit = str(flags.get("linear", header.linear_unit))
        header.angle_unit = str(flags.get("angle", header.angle_unit))

    def _file_info(self, statement: Statement) -> None:
        strings = [str(t) for t in self._tokens(statement) if isinstance(t, Str)]
        if len(strings) >= 2:
            self.scene.header.file_info[strings[0]] = strings[1]

    def _fail(self, statement: Statement, expected: str) -> None:
        raise SceneParseError(self.path, self._line(statement), expected)

    def _line(self, statement: Statement) -> int:
        return line_at(self.stream, statement.offset)


def _peek_attr(buf: bytes, index: int) -> str:
    """The attribute's short base name from a setAttr body starting at `index`."""
    start = buf.find(b'"', index, index + 256)
    end = buf.find(b'"', start + 1, start + 256)
    if start < 0 or end < 0:
        return ""
    return canonical(base_name(buf[start + 1 : end].decode("latin-1")))


def _value(type_name: str | None, values: list[str]) -> Any:
    """Decode setAttr values by their `-type`."""
    if type_name == "string":
        return str(values[0]) if values else ""
    if type_name == "stringArray":
        return [str(v) for v in values[1:]] if values else []
    if type_name == "dataReferenceEdits":
        return values
    converted = [scalar(v) for v in values]
    if type_name is None and len(converted) == 1:
        return converted[0]
    return converted
