"""Generate a synthetic, production-shaped Maya ASCII scene for the analysis benchmark.

The scene looks like a large lighting file: a header with references, requires and fileInfo;
cameras, a light and an animated rig; then thousands of polygon meshes whose vertex, UV,
edge and face payloads make up almost all of the bytes; then shaders, a few thousand file
textures (UDIM and plain), legacy render layers, reference nodes with edits, Arnold options,
script nodes (one with MEL full of semicolons), the ``select -ne`` blocks of the render
globals and tens of thousands of ``connectAttr`` statements.

Generation is deterministic for a given seed and name, and streams to disk in 8 MB blocks:
every mesh payload is built once per template and written again for each mesh, so 800 MB
takes a few seconds and the generator never holds the file (peak RSS about 55 MB at 800 MB,
75 MB at 2 GB; the connection list is what grows).

Run on its own to write a scene and print a JSON summary of what it holds::

    python bench/synthetic_scene.py /tmp/scene.ma --size-mb 20
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

MAYA_VERSION = "2024"
MTOA_VERSION = "5.3.1"
RENDERER = "arnold"
START_FRAME = 1
END_FRAME = 240
PROJECT = "C:/proj"

# How Maya chunks the big array attributes of a mesh into separate setAttr statements.
VT_CHUNK = 166
UV_CHUNK = 250
ED_CHUNK = 166
FC_CHUNK = 500

# Grid sizes (rows, columns) of the mesh templates: 63 to 3,705 vertices per mesh.
MESH_GRIDS = ((6, 8), (12, 16), (20, 24), (24, 32), (32, 40), (40, 48), (48, 56), (56, 64))
MESH_VARIANTS = 3  # differently jittered templates per grid size
MESHES_PER_GROUP = 50
KEY_VARIANTS = 16
TEXTURES_PER_SHADER = 4

# (name, display order, renderable); defaultRenderLayer comes first and is renderable.
RENDER_LAYERS = (
    ("defaultRenderLayer", 0, True),
    ("bg", 1, True),
    ("chars", 2, True),
    ("fx_precomp", 3, False),
)

# (namespace, type, path, unloaded) of the top-level references.
REFERENCES = (
    ("charA", "mayaAscii", f"{PROJECT}/assets/charA/rig/charA_rig.ma", False),
    ("setB", "mayaBinary", f"{PROJECT}/assets/setB/setB_layout.mb", True),
    ("fxC", "Alembic", f"{PROJECT}/cache/alembic/fxC_sim.abc", False),
)
NESTED_REFERENCE = ("charA:propA", "mayaAscii", f"{PROJECT}/assets/propA/propA.ma")
REF_EDIT_TEXTURE = f"{PROJECT}/sourceimages/charA_body_v002.<UDIM>.exr"


class Sink(Protocol):
    """Where scene text goes: a file, or a counter that only measures it."""

    written: int

    def write(self, data: str | bytes) -> None:
        """Append DATA (ASCII text or its bytes)."""


class CountingSink:
    """A sink that only counts bytes, used to size the tail of the scene in advance."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, data: str | bytes) -> None:
        """Count DATA's bytes (the scene is pure ASCII, so characters are bytes)."""
        self.written += len(data)


class FileSink:
    """Collects small pieces and writes them to a binary file in large blocks."""

    def __init__(self, fh: BinaryIO, block_bytes: int = 8 << 20) -> None:
        self.written = 0
        self._fh = fh
        self._block = block_bytes
        self._parts: list[bytes] = []
        self._pending = 0

    def write(self, data: str | bytes) -> None:
        """Queue DATA; big payloads go straight through, small ones are batched."""
        raw = data.encode("ascii") if isinstance(data, str) else data
        self.written += len(raw)
        if len(raw) >= self._block // 4:
            self.flush()
            self._fh.write(raw)
            return
        self._parts.append(raw)
        self._pending += len(raw)
        if self._pending >= self._block:
            self.flush()

    def flush(self) -> None:
        """Write the queued pieces as one block."""
        if self._parts:
            self._fh.write(b"".join(self._parts))
            self._parts.clear()
            self._pending = 0


@dataclass
class ScenePlan:
    """The fixed counts of a scene; the number of meshes is whatever fills the size."""

    name: str
    target_bytes: int
    n_shaders: int
    n_ctrls: int
    seed: int

    @property
    def n_textures(self) -> int:
        """Number of file texture nodes (four per shader)."""
        return self.n_shaders * TEXTURES_PER_SHADER

    @classmethod
    def for_size(cls, size_mb: float, seed: int, name: str) -> ScenePlan:
        """Scale the non-mesh content with the size: 800 MB has 3,200 textures, 400 rigs."""
        return cls(
            name=name,
            target_bytes=int(size_mb * 1_000_000),
            n_shaders=max(2, round(size_mb)),
            n_ctrls=max(4, round(size_mb / 2)),
            seed=seed,
        )


@dataclass
class SceneSummary:
    """What a generated scene holds: the expectations a sane analysis must meet."""

    path: str
    size_bytes: int
    seed: int
    seconds: float
    maya_version: str = MAYA_VERSION
    renderer: str = RENDERER
    start_frame: int = START_FRAME
    end_frame: int = END_FRAME
    layers: list[str] = field(default_factory=list)
    renderable_layers: list[str] = field(default_factory=list)
    n_meshes: int = 0
    n_vertices: int = 0
    n_file_textures: int = 0
    n_udim_textures: int = 0
    n_ref_edit_textures: int = 1
    n_references: int = len(REFERENCES)
    n_anim_curves: int = 0
    n_connect_attr: int = 0


# ----------------------------------------------------------------------------- formatting


def maya_float(value: float) -> str:
    """Format a float as Maya on Windows does: 8 significant digits, 3-digit exponents."""
    text = f"{value:.8g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{exponent[0]}{exponent[1:].lstrip('0').zfill(3)}"
    return text


def wrapped(head: str, values: Sequence[str], per_line: int) -> str:
    """One indented statement: HEAD, then VALUES wrapped PER_LINE a line as Maya does."""
    lines = [" ".join(values[i : i + per_line]) for i in range(0, len(values), per_line)]
    return f"\t{head} " + "\n\t\t ".join(lines) + ";\n"


def chunked(
    count: int,
    size: int,
    head: Callable[[int, int], str],
    values: Callable[[int, int], list[str]],
    per_line: int,
) -> list[str]:
    """Statements for an array attribute split into ranges of SIZE elements."""
    out = []
    for start in range(0, count, size):
        stop = min(count, start + size) - 1
        out.append(wrapped(head(start, stop), values(start, stop + 1), per_line))
    return out


def make_uid(rng: random.Random) -> str:
    """A Maya node UUID (8-4-4-4-12 upper-case hex)."""
    h = f"{rng.getrandbits(128):032X}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def mel_escape(text: str) -> str:
    """Escape TEXT for a double-quoted MEL string."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")


def long_string(text: str, piece_chars: int = 900) -> str:
    """A long string value as Maya writes it: ("piece" + "piece" + ...) over many lines."""
    pieces = [mel_escape(text[i : i + piece_chars]) for i in range(0, len(text), piece_chars)]
    return '(\n\t\t"' + '"\n\t\t+ "'.join(pieces) + '")'


def node(
    sink: Sink,
    rng: random.Random,
    node_type: str,
    name: str,
    parent: str = "",
    shared: bool = False,
) -> None:
    """Write ``createNode TYPE [-s] -n NAME [-p PARENT]`` and its ``rename -uid`` line."""
    flags = " -s" if shared else ""
    where = f' -p "{parent}"' if parent else ""
    sink.write(
        f'createNode {node_type}{flags} -n "{name}"{where};\n\trename -uid "{make_uid(rng)}";\n'
    )


# ----------------------------------------------------------------------------- meshes


@dataclass(frozen=True)
class MeshTemplate:
    """A pre-built mesh shape body (everything after ``rename -uid``), reused per mesh."""

    rows: int
    cols: int
    body: bytes

    @property
    def n_vertices(self) -> int:
        """Vertex count of the grid."""
        return (self.rows + 1) * (self.cols + 1)


def grid_points(rows: int, cols: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """Vertex positions (x y z) and UVs (u v) of a bumpy grid, formatted."""
    points: list[str] = []
    uvs: list[str] = []
    for i in range(rows + 1):
        for j in range(cols + 1):
            height = 0.0 if rng.random() < 0.02 else rng.uniform(-0.25, 0.25)
            if rng.random() < 0.01:
                height = rng.uniform(-1e-6, 1e-6)
            points += (
                maya_float(j * 0.5 - cols * 0.25 + rng.uniform(-0.01, 0.01)),
                maya_float(height),
                maya_float(i * 0.5 - rows * 0.25 + rng.uniform(-0.01, 0.01)),
            )
            uvs += (maya_float(j / cols * 0.998 + 0.001), maya_float(i / rows * 0.998 + 0.001))
    return points, uvs


def grid_edges(rows: int, cols: int) -> list[tuple[int, int]]:
    """Edges of a rows x cols grid: horizontal rows first, then vertical columns."""
    width = cols + 1
    edges = [(i * width + j, i * width + j + 1) for i in range(rows + 1) for j in range(cols)]
    edges += [(i * width + j, (i + 1) * width + j) for i in range(rows) for j in range(width)]
    return edges


def grid_faces(rows: int, cols: int) -> list[str]:
    """polyFaces records (``f 4 ...`` + ``mu 0 4 ...``) of the grid's quads."""
    width = cols + 1
    n_horizontal = (rows + 1) * cols
    records = []
    for i in range(rows):
        for j in range(cols):
            bottom, top = i * cols + j, (i + 1) * cols + j
            left, right = n_horizontal + i * width + j, n_horizontal + i * width + j + 1
            v0 = i * width + j
            loop = (v0, v0 + 1, v0 + width + 1, v0 + width)
            records.append(
                f"\t\tf 4 {bottom} {right} {-top - 1} {-left - 1}\n"
                f"\t\tmu 0 4 {loop[0]} {loop[1]} {loop[2]} {loop[3]}"
            )
    return records


def face_statements(records: list[str]) -> list[str]:
    """The ``.fc`` statements, FC_CHUNK faces each, as Maya writes polyFaces."""
    out = []
    for start in range(0, len(records), FC_CHUNK):
        block = records[start : start + FC_CHUNK]
        head = f'\tsetAttr ".fc[{start}:{start + len(block) - 1}]" -type "polyFaces" \n'
        out.append(head + "\n".join(block) + ";\n")
    return out


def mesh_body(rows: int, cols: int, rng: random.Random) -> str:
    """The attribute statements of a mesh shape: UVs, vertices, edges and faces."""
    points, uvs = grid_points(rows, cols, rng)
    edges = grid_edges(rows, cols)
    faces = grid_faces(rows, cols)
    n_vertices = len(points) // 3
    edge_values = [f"{a} {b} {int(k % 7 == 0)}" for k, (a, b) in enumerate(edges)]
    parts = [
        '\tsetAttr -k off ".v";\n',
        '\tsetAttr ".vir" yes;\n',
        '\tsetAttr ".vif" yes;\n',
        '\tsetAttr ".pv" -type "double2" 0.5 0.5 ;\n',
        '\tsetAttr ".uvst[0].uvsn" -type "string" "map1";\n',
        f'\tsetAttr -s {n_vertices} ".uvst[0].uvsp";\n',
        *chunked(
            n_vertices,
            UV_CHUNK,
            lambda a, b: f'setAttr ".uvst[0].uvsp[{a}:{b}]" -type "float2"',
            lambda a, b: uvs[2 * a : 2 * b],
            10,
        ),
        '\tsetAttr ".cuvs" -type "string" "map1";\n',
        '\tsetAttr ".dcc" -type "string" "Ambient+Diffuse";\n',
        '\tsetAttr ".covm[0]"  0 1 1;\n',
        '\tsetAttr ".cdvm[0]"  0 1 1;\n',
        f'\tsetAttr -s {n_vertices} ".vt";\n',
        *chunked(
            n_vertices,
            VT_CHUNK,
            lambda a, b: f'setAttr ".vt[{a}:{b}]"',
            lambda a, b: points[3 * a : 3 * b],
            6,
        ),
        f'\tsetAttr -s {len(edges)} ".ed";\n',
        *chunked(
            len(edges),
            ED_CHUNK,
            lambda a, b: f'setAttr ".ed[{a}:{b}]"',
            lambda a, b: edge_values[a:b],
            10,
        ),
        f'\tsetAttr -s {len(faces)} -ch {4 * len(faces)} ".fc";\n',
        *face_statements(faces),
        '\tsetAttr ".cd" -type "dataPolyComponent" Index_Data Edge 0 ;\n',
        '\tsetAttr ".cvd" -type "dataPolyComponent" Index_Data Vertex 0 ;\n',
        '\tsetAttr ".pd[0]" -type "dataPolyComponent" Index_Data UV 0 ;\n',
        '\tsetAttr ".hfd" -type "dataPolyComponent" Index_Data Face 0 ;\n',
        '\tsetAttr ".ai_translator" -type "string" "polymesh";\n',
    ]
    return "".join(parts)


def build_mesh_templates(rng: random.Random) -> list[MeshTemplate]:
    """MESH_VARIANTS encoded mesh bodies per grid size in MESH_GRIDS."""
    return [
        MeshTemplate(rows, cols, mesh_body(rows, cols, rng).encode("ascii"))
        for rows, cols in MESH_GRIDS
        for _ in range(MESH_VARIANTS)
    ]


def mesh_name(index: int) -> str:
    """Transform name of mesh INDEX (fixed width, so sizes are predictable)."""
    return f"geo_{index:06d}"


def shading_group(index: int) -> str:
    """Shading engine name of shader INDEX."""
    return f"mat_{index:05d}SG"


def mesh_connection(index: int, n_shaders: int) -> str:
    """The connectAttr that assigns mesh INDEX to its shading group."""
    sg = shading_group(index % n_shaders)
    return f'connectAttr "{mesh_name(index)}Shape.iog" "{sg}.dsm" -na;\n'


def mesh_header(index: int, rng: random.Random) -> str:
    """The transform and the createNode line of mesh INDEX, parented under its group."""
    name = mesh_name(index)
    group = f"grp_{index // MESHES_PER_GROUP:04d}"
    x, y, z = (maya_float(rng.uniform(-500.0, 500.0)) for _ in range(3))
    return (
        f'createNode transform -n "{name}" -p "{group}";\n'
        f'\trename -uid "{make_uid(rng)}";\n'
        f'\tsetAttr ".t" -type "double3" {x} {y} {z} ;\n'
        f'createNode mesh -n "{name}Shape" -p "{name}";\n'
        f'\trename -uid "{make_uid(rng)}";\n'
    )


def group_header(index: int, rng: random.Random) -> str:
    """The group transform that holds meshes from INDEX on."""
    name = f"grp_{index // MESHES_PER_GROUP:04d}"
    return f'createNode transform -n "{name}" -p "env";\n\trename -uid "{make_uid(rng)}";\n'


# ----------------------------------------------------------------------------- header


def header(sink: Sink, plan: ScenePlan, rng: random.Random) -> None:
    """Comment header, reference lines, requires, currentUnit and fileInfo."""
    op = (
        f"VERS|{MAYA_VERSION}|UVER|undef|MADE|undef|CHNG|Mon, Jun 03, 2024 10:12:45 AM|"
        "ICON|undef|INFO|undef|OBJN|1523|INCL|undef(|LUNI|cm|TUNI|film|AUNI|deg|TDUR|141120000|"
    )
    sink.write(
        f"//Maya ASCII {MAYA_VERSION} scene\n//Name: {plan.name}.ma\n"
        "//Last modified: Tue, Jun 04, 2024 06:41:12 PM\n//Codeset: 1252\n"
    )
    for ns, typ, path, unloaded in REFERENCES:
        dr = " -dr 1" if unloaded else ""
        op_flag = "" if typ == "Alembic" else f' -op "{op}"\n\t\t'
        sink.write(f'file -rdi 1 -ns "{ns}"{dr} -rfn "{ns}RN"{op_flag} -typ "{typ}" "{path}";\n')
        if ns == "charA":
            nns, ntyp, npath = NESTED_REFERENCE
            sink.write(
                f'file -rdi 2 -ns "propA" -rfn "{nns}RN" -op "v=0;" -typ "{ntyp}" "{npath}";\n'
            )
    for ns, typ, path, _ in REFERENCES:
        op_flag = "" if typ == "Alembic" else f' -op "{op}"\n\t\t'
        sink.write(f'file -r -ns "{ns}" -dr 1 -rfn "{ns}RN"{op_flag} -typ "{typ}" "{path}";\n')
    sink.write(
        f'requires maya "{MAYA_VERSION}";\n'
        'requires -nodeType "aiOptions" -nodeType "aiAOVDriver" -nodeType "aiAOVFilter"\n'
        f'\t\t -nodeType "aiStandardSurface" "mtoa" "{MTOA_VERSION}";\n'
        'requires -nodeType "gpuCache" "gpuCache" "1.0";\n'
        'requires "stereoCamera" "10.0";\n'
        "currentUnit -l centimeter -a degree -t film;\n"
        'fileInfo "application" "maya";\n'
        f'fileInfo "product" "Maya {MAYA_VERSION}";\n'
        f'fileInfo "version" "{MAYA_VERSION}";\n'
        'fileInfo "cutIdentifier" "202310181224-69282f2959";\n'
        'fileInfo "osv" "Windows 10 Pro v2009 (Build: 19045)";\n'
        f'fileInfo "UUID" "{make_uid(rng)}";\n'
    )


def cameras_and_lights(sink: Sink, rng: random.Random) -> None:
    """The four default cameras (persp switched off), the shot camera and a key light."""
    views = (
        ("persp", "28 21 28", "-27.9 45 0", False, None),
        ("top", "0 1000.1 0", "-90 0 0", True, "orthographic"),
        ("front", "0 0 1000.1", "0 0 0", True, "orthographic"),
        ("side", "1000.1 0 0", "0 90 0", True, "orthographic"),
    )
    for name, t, r, ortho, translator in views:
        node(sink, rng, "transform", name, shared=True)
        sink.write(f'\tsetAttr ".v" no;\n\tsetAttr ".t" -type "double3" {t} ;\n')
        sink.write(f'\tsetAttr ".r" -type "double3" {r} ;\n')
        node(sink, rng, "camera", f"{name}Shape", name, shared=True)
        sink.write('\tsetAttr -k off ".v" no;\n\tsetAttr ".rnd" no;\n')
        for attr, suffix in (("imn", ""), ("den", "_depth"), ("man", "_mask")):
            sink.write(f'\tsetAttr ".{attr}" -type "string" "{name}{suffix}";\n')
        if ortho:
            sink.write('\tsetAttr ".o" yes;\n\tsetAttr ".ow" 30;\n')
        if translator:
            sink.write(f'\tsetAttr ".ai_translator" -type "string" "{translator}";\n')
    node(sink, rng, "transform", "shotCam")
    sink.write('\tsetAttr ".t" -type "double3" 120.5 35.25 410.75 ;\n')
    node(sink, rng, "camera", "shotCamShape", "shotCam")
    sink.write(
        '\tsetAttr -k off ".v";\n\tsetAttr ".fl" 40;\n\tsetAttr ".coi" 430.2;\n'
        '\tsetAttr ".imn" -type "string" "shotCam";\n'
        '\tsetAttr ".ai_translator" -type "string" "perspective";\n'
    )
    node(sink, rng, "transform", "sun")
    sink.write('\tsetAttr ".r" -type "double3" -48 32 0 ;\n')
    node(sink, rng, "directionalLight", "sunShape", "sun")
    sink.write('\tsetAttr -k off ".v";\n\tsetAttr ".in" 3.5;\n')


def rig_controls(sink: Sink, plan: ScenePlan, rng: random.Random) -> None:
    """Animated rig controls (transform + locator), and the group that holds the meshes."""
    node(sink, rng, "transform", "rig")
    for k in range(plan.n_ctrls):
        name = f"ctrl_{k:05d}"
        node(sink, rng, "transform", name, "rig")
        node(sink, rng, "locator", f"{name}Shape", name)
        sink.write('\tsetAttr -k off ".v";\n')
    node(sink, rng, "transform", "env")


# ----------------------------------------------------------------------------- DG nodes


def render_layer_nodes(sink: Sink, rng: random.Random) -> None:
    """renderLayerManager and the legacy render layers, one with an end-frame override."""
    node(sink, rng, "renderLayerManager", "renderLayerManager")
    last = len(RENDER_LAYERS) - 1
    sink.write(f'\tsetAttr -s {len(RENDER_LAYERS)} ".rlmi[1:{last}]" ')
    sink.write(" ".join(str(i) for i in range(1, len(RENDER_LAYERS))) + ";\n")
    for name, order, renderable in RENDER_LAYERS:
        node(sink, rng, "renderLayer", name)
        if name == "defaultRenderLayer":
            sink.write('\tsetAttr ".g" yes;\n')
        else:
            sink.write(f'\tsetAttr ".do" {order};\n')
        if not renderable:
            sink.write('\tsetAttr ".rndr" no;\n')
        if name == "chars":
            sink.write('\tsetAttr ".adjs[0].val" 120;\n')


def reference_nodes(sink: Sink, rng: random.Random) -> None:
    """One reference node per top-level reference, charA's with edits, then a lockNode."""
    for ns, _, _, _ in REFERENCES:
        node(sink, rng, "reference", f"{ns}RN")
        rn = f"{ns}RN"
        if ns == "charA":
            texture = REF_EDIT_TEXTURE
            sink.write(
                '\tsetAttr -s 2 ".phl";\n\tsetAttr ".phl[1]" 0;\n\tsetAttr ".phl[2]" 0;\n'
                f'\tsetAttr ".ed" -type "dataReferenceEdits" \n\t\t"{rn}"\n\t\t"{rn}" 0\n'
                f'\t\t"{rn}" 3\n'
                f'\t\t2 "|{ns}:rig|{ns}:ctrl_root" "translate" " -type \\"double3\\" 0 0 12.5"\n'
                f'\t\t2 "{ns}:body_file" "fileTextureName" " -type \\"string\\" \\"{texture}\\""\n'
                f'\t\t5 4 "{rn}" "|{ns}:rig|{ns}:ctrl_root.translateX" '
                f'"{rn}.placeHolderList[1]" "";\n'
            )
        else:
            sink.write(f'\tsetAttr ".ed" -type "dataReferenceEdits" \n\t\t"{rn}";\n')
        sink.write('\tsetAttr ".ptag" -type "string" "";\nlockNode -l 1 ;\n')


def arnold_nodes(sink: Sink, rng: random.Random) -> None:
    """defaultArnoldRenderOptions, its filter and its drivers."""
    node(sink, rng, "aiOptions", "defaultArnoldRenderOptions", shared=True)
    sink.write(
        '\tsetAttr ".version" -type "string" "5.3.1.1";\n'
        '\tsetAttr ".AA_samples" 5;\n\tsetAttr ".GI_diffuse_samples" 3;\n'
        '\tsetAttr ".GI_specular_samples" 2;\n\tsetAttr ".GI_transmission_samples" 2;\n'
        '\tsetAttr ".GI_sss_samples" 2;\n\tsetAttr ".GI_volume_samples" 1;\n'
        '\tsetAttr ".mb_en" yes;\n\tsetAttr ".autotx" no;\n\tsetAttr ".usetx" yes;\n'
        '\tsetAttr ".texture_max_memory_MB" 8192;\n'
    )
    node(sink, rng, "aiAOVFilter", "defaultArnoldFilter", shared=True)
    sink.write('\tsetAttr ".ai_translator" -type "string" "gaussian";\n')
    node(sink, rng, "aiAOVDriver", "defaultArnoldDriver", shared=True)
    sink.write('\tsetAttr ".ai_translator" -type "string" "exr";\n')
    node(sink, rng, "aiAOVDriver", "defaultArnoldDisplayDriver", shared=True)
    sink.write('\tsetAttr ".output_mode" 0;\n\tsetAttr ".ai_translator" -type "string" "maya";\n')


def texture_spec(index: int) -> tuple[str, bool, str]:
    """(path, is UDIM, colour space) of file texture INDEX; its role is INDEX % 4."""
    role = index % TEXTURES_PER_SHADER
    stem = f"{PROJECT}/sourceimages/tex_{index + 1:05d}"
    if role == 0:
        return f"{stem}.<UDIM>.exr", True, "ACEScg"
    if role == 1:
        return f"{stem}_rough.exr", False, "Raw"
    if role == 2:
        return f"{stem}_metal.tx", False, "Raw"
    return f"{stem}_bump.<UDIM>.tif", True, "Raw"


def file_name(index: int) -> str:
    """Node name of file texture INDEX."""
    return f"file_{index:05d}"


def shader_nodes(sink: Sink, plan: ScenePlan, rng: random.Random) -> None:
    """Per shader: aiStandardSurface, shadingEngine, materialInfo, bump2d, 4 file textures."""
    for s in range(plan.n_shaders):
        node(sink, rng, "aiStandardSurface", f"mat_{s:05d}")
        sink.write('\tsetAttr ".specular_IOR" 1.45;\n')
        node(sink, rng, "shadingEngine", shading_group(s))
        sink.write('\tsetAttr ".ihi" 0;\n\tsetAttr ".ro" yes;\n')
        node(sink, rng, "materialInfo", f"materialInfo{s:05d}")
        node(sink, rng, "bump2d", f"bump_{s:05d}")
        sink.write('\tsetAttr ".bd" 0.05;\n')
        for t in range(s * TEXTURES_PER_SHADER, (s + 1) * TEXTURES_PER_SHADER):
            path, udim, colour_space = texture_spec(t)
            node(sink, rng, "file", file_name(t))
            sink.write(f'\tsetAttr ".ail" yes;\n\tsetAttr ".ftn" -type "string" "{path}";\n')
            if udim:
                sink.write('\tsetAttr ".uvt" 3;\n')
            sink.write(f'\tsetAttr ".cs" -type "string" "{colour_space}";\n\tsetAttr ".ifr" yes;\n')
            node(sink, rng, "place2dTexture", f"place2dTexture{t:05d}")


def key_payloads(rng: random.Random) -> list[str]:
    """KEY_VARIANTS pre-formatted ``.ktv`` payloads of END_FRAME keys each."""
    n = END_FRAME - START_FRAME + 1
    payloads = []
    for _ in range(KEY_VARIANTS):
        amplitude, phase = rng.uniform(1.0, 50.0), rng.uniform(0.0, math.tau)
        values = []
        for k in range(n):
            frame = START_FRAME + k
            value = amplitude * math.sin(phase + frame / 17.0) + rng.uniform(-0.05, 0.05)
            values += (str(frame), repr(value))
        payloads.append(wrapped(f'setAttr -s {n} ".ktv[0:{n - 1}]"', values, 6))
    return payloads


CURVE_CHANNELS = (
    ("animCurveTL", "translateX", "tx"),
    ("animCurveTL", "translateY", "ty"),
    ("animCurveTL", "translateZ", "tz"),
    ("animCurveTA", "rotateY", "ry"),
)


def anim_curves(sink: Sink, plan: ScenePlan, rng: random.Random) -> None:
    """Four keyed curves per rig control, with full-range ``.ktv`` payloads."""
    payloads = key_payloads(rng)
    for k in range(plan.n_ctrls):
        for curve_type, channel, _ in CURVE_CHANNELS:
            node(sink, rng, curve_type, f"ctrl_{k:05d}_{channel}")
            sink.write('\tsetAttr ".tan" 18;\n\tsetAttr ".wgt" no;\n')
            sink.write(payloads[rng.randrange(KEY_VARIANTS)])


def ui_configuration_mel() -> str:
    """A uiConfigurationScriptNode-like MEL body (about 20 KB)."""
    panel = (
        '\t$panelName = `sceneUIReplacement -getNextPanel "modelPanel" '
        '(localizedPanelLabel("{view} View")) `;\n'
        '\tif ("" != $panelName) {{\n\t\t$label = `panel -q -label $panelName`;\n'
        '\t\tmodelPanel -edit -l (localizedPanelLabel("{view} View")) -mbv $menusOkayInPanels '
        " $panelName;\n\t\t$editorName = $panelName;\n        modelEditor -e \n"
        '            -camera "{camera}" \n            -displayAppearance "smoothShaded" \n'
        + "".join(
            f"            -{flag} 1\n"
            for flag in (
                "headsUpDisplay",
                "holdOuts",
                "selectionHiliteDisplay",
                "nurbsCurves",
                "nurbsSurfaces",
                "polymeshes",
                "subdivSurfaces",
                "planes",
                "lights",
                "cameras",
                "controlVertices",
                "hulls",
                "grid",
                "imagePlane",
                "joints",
                "ikHandles",
                "deformers",
                "dynamics",
                "particleInstancers",
                "fluids",
                "hairSystems",
                "follicles",
                "nCloths",
                "nParticles",
                "nRigids",
                "locators",
                "manipulators",
            )
        )
        + "            $editorName;\n        modelEditor -e -viewSelected 0 $editorName;\n"
        "\t\tif (!$useSceneConfig) {{\n\t\t\tpanel -e -l $label $panelName;\n\t\t}}\n\t}}\n\n"
    )
    views = [("Top", "top"), ("Side", "side"), ("Front", "front"), ("Persp", "persp")] * 4
    body = "".join(panel.format(view=view, camera=camera) for view, camera in views)
    return (
        "// Maya Mel UI Configuration File.\n//\n//  This script is machine generated.  "
        "Edit at your own risk.\n//\n//\n\nglobal string $gMainPane;\n"
        "if (`paneLayout -exists $gMainPane`) {\n\n\tglobal int $gUseScenePanelConfig;\n"
        "\tint    $useSceneConfig = $gUseScenePanelConfig;\n" + body + "}\n"
    )


def studio_mel() -> str:
    """A studio pre-render MEL script full of semicolons, quotes and decoy statements."""
    return (
        "// studio pre-render hook; do not edit by hand\n"
        'string $cams[] = `ls -type "camera"`;\n'
        'for ($c in $cams) { if ($c != "shotCamShape") setAttr ($c + ".renderable") 0; }\n'
        'setAttr -type "string" defaultRenderGlobals.currentRenderer "mayaSoftware";\n'
        '// createNode file -n "decoy"; setAttr ".ftn" -type "string" "C:/decoy/tex.exr";\n'
        'select -ne :defaultRenderGlobals; setAttr ".ren" -type "string" "vray";\n'
        'string $path = "C:/proj/sourceimages/\\"quoted\\";name.exr";\n'
        f'print("pre-render done; frames {START_FRAME}-{END_FRAME}\\n");\n'
    ) * 6


def script_nodes(sink: Sink, rng: random.Random) -> None:
    """uiConfiguration, sceneConfiguration and a studio MEL script node."""
    node(sink, rng, "script", "uiConfigurationScriptNode")
    sink.write(f'\tsetAttr ".b" -type "string" {long_string(ui_configuration_mel())};\n')
    sink.write('\tsetAttr ".st" 3;\n')
    node(sink, rng, "script", "sceneConfigurationScriptNode")
    sink.write(
        '\tsetAttr ".b" -type "string" "playbackOptions -min 1 -max 240 -ast 1 -aet 240 ";\n'
        '\tsetAttr ".st" 6;\n'
    )
    node(sink, rng, "script", "studio_preRender_mel")
    sink.write(f'\tsetAttr ".b" -type "string" {long_string(studio_mel(), 120)};\n')
    sink.write('\tsetAttr ".st" 1;\n\tsetAttr ".stp" 0;\n')


def dg_nodes(sink: Sink, plan: ScenePlan, rng: random.Random) -> None:
    """All dependency-graph nodes that follow the DAG, in Maya's usual order."""
    node(sink, rng, "lightLinker", "lightLinker1", shared=True)
    sink.write(f'\tsetAttr -s {plan.n_shaders + 2} ".lnk";\n')
    sink.write(f'\tsetAttr -s {plan.n_shaders + 2} ".slnk";\n')
    node(sink, rng, "shapeEditorManager", "shapeEditorManager")
    node(sink, rng, "poseInterpolatorManager", "poseInterpolatorManager")
    node(sink, rng, "displayLayerManager", "layerManager")
    node(sink, rng, "displayLayer", "defaultLayer")
    render_layer_nodes(sink, rng)
    reference_nodes(sink, rng)
    arnold_nodes(sink, rng)
    shader_nodes(sink, plan, rng)
    anim_curves(sink, plan, rng)
    script_nodes(sink, rng)


def select_blocks(sink: Sink, plan: ScenePlan) -> None:
    """The ``select -ne :shared`` blocks: time, lists, render globals, resolution."""
    n_sg = plan.n_shaders + 2
    sink.write(
        'select -ne :time1;\n\tsetAttr -av -k on ".cch";\n\tsetAttr ".o" 1;\n\tsetAttr ".unw" 1;\n'
        'select -ne :hardwareRenderingGlobals;\n\tsetAttr ".otfna" -type "stringArray" 0  ;\n'
        f'select -ne :renderPartition;\n\tsetAttr -s {n_sg} ".st";\n'
        f"select -ne :renderGlobalsList1;\nselect -ne :defaultShaderList1;\n"
        f'\tsetAttr -s {plan.n_shaders + 3} ".s";\nselect -ne :postProcessList1;\n'
        '\tsetAttr -s 2 ".p";\nselect -ne :defaultRenderUtilityList1;\n'
        f'\tsetAttr -s {plan.n_textures + plan.n_shaders} ".u";\n'
        "select -ne :defaultRenderingList1;\n"
        f'\tsetAttr -s {len(RENDER_LAYERS)} ".r";\nselect -ne :defaultTextureList1;\n'
        f'\tsetAttr -s {plan.n_textures} ".tx";\n'
        'select -ne :initialShadingGroup;\n\tsetAttr ".ro" yes;\n'
        'select -ne :initialParticleSE;\n\tsetAttr ".ro" yes;\n'
        "select -ne :defaultRenderGlobals;\n"
        '\taddAttr -ci true -h true -sn "dss" -ln "defaultSurfaceShader" -dt "string";\n'
        '\tsetAttr -k on ".cch";\n'
        f'\tsetAttr ".ren" -type "string" "{RENDERER}";\n'
        '\tsetAttr ".outf" 51;\n\tsetAttr ".imfkey" -type "string" "exr";\n'
        f'\tsetAttr ".an" yes;\n\tsetAttr ".fs" {START_FRAME};\n\tsetAttr ".ef" {END_FRAME};\n'
        '\tsetAttr ".ep" 4;\n\tsetAttr ".pff" yes;\n'
        '\tsetAttr ".ifp" -type "string" "<RenderLayer>/<Scene>";\n'
        '\tsetAttr ".dss" -type "string" "standardSurface1";\n'
        'select -ne :defaultResolution;\n\tsetAttr ".w" 1920;\n\tsetAttr ".h" 1080;\n'
        '\tsetAttr ".pa" 1;\n\tsetAttr ".dar" 1.7777777910232544;\n'
        'select -ne :defaultLightSet;\n\tsetAttr -k on ".ihi";\n'
        'select -ne :defaultColorMgtGlobals;\n\tsetAttr ".cfe" yes;\n'
        '\tsetAttr ".cfp" -type "string" "<MAYA_RESOURCES>/OCIO-configs/Maya2022-default/'
        'config.ocio";\n'
        '\tsetAttr ".vtn" -type "string" "ACES 1.0 SDR-video (sRGB)";\n'
        '\tsetAttr ".wsn" -type "string" "ACEScg";\n'
        'select -ne :hardwareRenderGlobals;\n\tsetAttr ".ctrs" 256;\n\tsetAttr ".btrs" 512;\n'
    )


PLACE2D_PLUGS = (
    ("c", "c"),
    ("tf", "tf"),
    ("rf", "rf"),
    ("mu", "mu"),
    ("mv", "mv"),
    ("s", "s"),
    ("wu", "wu"),
    ("wv", "wv"),
    ("re", "re"),
    ("of", "of"),
    ("r", "ro"),
    ("n", "n"),
    ("vt1", "vt1"),
    ("vt2", "vt2"),
    ("vt3", "vt3"),
    ("vc1", "vc1"),
    ("o", "uv"),
    ("ofs", "fs"),
)
COLOR_MGT_PLUGS = (("cme", "cme"), ("cfe", "cmcf"), ("cfp", "cmcp"), ("wsn", "ws"))
SHADER_INPUTS = (
    'oc" "{m}.base_color',
    'oa" "{m}.specular_roughness',
    'oa" "{m}.metalness',
    'oa" "{b}.bv',
)


def texture_connections(t: int, shader: str, bump: str) -> list[str]:
    """place2dTexture -> file, colour management -> file and file -> shader connections."""
    f, p = file_name(t), f"place2dTexture{t:05d}"
    lines = [f'connectAttr "{p}.{a}" "{f}.{b}";\n' for a, b in PLACE2D_PLUGS]
    lines += [f'connectAttr ":defaultColorMgtGlobals.{a}" "{f}.{b}";\n' for a, b in COLOR_MGT_PLUGS]
    target = SHADER_INPUTS[t % TEXTURES_PER_SHADER].format(m=shader, b=bump)
    lines.append(f'connectAttr "{f}.{target}";\n')
    return lines


def shader_connections(s: int) -> list[str]:
    """Connections of shader S: textures, bump, shading group, material info, light links."""
    m, sg, b, mi = f"mat_{s:05d}", shading_group(s), f"bump_{s:05d}", f"materialInfo{s:05d}"
    lines: list[str] = []
    for t in range(s * TEXTURES_PER_SHADER, (s + 1) * TEXTURES_PER_SHADER):
        lines += texture_connections(t, m, b)
        lines.append(f'connectAttr "{file_name(t)}.msg" "{mi}.t" -na;\n')
    lines += [
        f'connectAttr "{b}.o" "{m}.n";\n',
        f'connectAttr "{m}.out" "{sg}.ss";\n',
        f'connectAttr "{sg}.msg" "{mi}.sg";\n',
        f'connectAttr "{m}.msg" "{mi}.m";\n',
    ]
    return lines


def fixed_connections(plan: ScenePlan) -> list[str]:
    """Connections that do not depend on the mesh count."""
    lines = [
        f'connectAttr "ctrl_{k:05d}_{channel}.o" "ctrl_{k:05d}.{plug}";\n'
        for k in range(plan.n_ctrls)
        for _, channel, plug in CURVE_CHANNELS
    ]
    sgs = [":initialShadingGroup", ":initialParticleSE"]
    sgs += [shading_group(s) for s in range(plan.n_shaders)]
    for kind in ("link", "shadowLink"):
        lines += [
            f'relationship "{kind}" ":lightLinker1" "{sg}.message" ":defaultLightSet.message";\n'
            for sg in sgs
        ]
    lines.append('connectAttr "layerManager.dli[0]" "defaultLayer.id";\n')
    lines += [
        f'connectAttr "renderLayerManager.rlmi[{i}]" "{name}.rlid";\n'
        for i, (name, _, _) in enumerate(RENDER_LAYERS)
    ]
    lines += [
        'connectAttr ":defaultRenderGlobals.ef" "chars.adjs[0].plg";\n',
        (
            'connectAttr ":defaultArnoldDisplayDriver.msg" ":defaultArnoldRenderOptions.drivers"'
            "\n\t\t -na;\n"
        ),
        'connectAttr ":defaultArnoldFilter.msg" ":defaultArnoldRenderOptions.filt";\n',
        'connectAttr ":defaultArnoldDriver.msg" ":defaultArnoldRenderOptions.drvr";\n',
    ]
    for s in range(plan.n_shaders):
        lines += shader_connections(s)
    lines += [
        f'connectAttr "{shading_group(s)}.pa" ":renderPartition.st" -na;\n'
        for s in range(plan.n_shaders)
    ]
    lines += [
        f'connectAttr "mat_{s:05d}.msg" ":defaultShaderList1.s" -na;\n'
        for s in range(plan.n_shaders)
    ]
    lines += [
        f'connectAttr "place2dTexture{t:05d}.msg" ":defaultRenderUtilityList1.u" -na;\n'
        for t in range(plan.n_textures)
    ]
    lines += [
        f'connectAttr "bump_{s:05d}.msg" ":defaultRenderUtilityList1.u" -na;\n'
        for s in range(plan.n_shaders)
    ]
    lines += [
        f'connectAttr "{name}.msg" ":defaultRenderingList1.r" -na;\n'
        for name, _, _ in RENDER_LAYERS
    ]
    lines += [
        f'connectAttr "{file_name(t)}.msg" ":defaultTextureList1.tx" -na;\n'
        for t in range(plan.n_textures)
    ]
    lines.append('connectAttr "sunShape.ltd" ":lightList1.l" -na;\n')
    lines.append('connectAttr "sun.iog" ":defaultLightSet.dsm" -na;\n')
    return lines


def write_lines(sink: Sink, lines: list[str], batch: int = 20_000) -> None:
    """Write LINES to SINK in batches (few, large writes)."""
    for i in range(0, len(lines), batch):
        sink.write("".join(lines[i : i + batch]))


def fixed_tail(sink: Sink, plan: ScenePlan) -> int:
    """DG nodes, select blocks and mesh-independent connections; returns the connectAttr count.

    Uses its own RNG seeded from the plan, so a counting run and the real run match byte for
    byte.
    """
    rng = random.Random(plan.seed * 7919 + 1)
    dg_nodes(sink, plan, rng)
    select_blocks(sink, plan)
    lines = fixed_connections(plan)
    write_lines(sink, lines)
    return sum(1 for line in lines if line.startswith("connectAttr"))


# ----------------------------------------------------------------------------- the scene


def write_meshes(
    sink: Sink,
    plan: ScenePlan,
    templates: list[MeshTemplate],
    reserve: int,
) -> tuple[int, int]:
    """Write meshes until the file (plus RESERVE bytes of tail) reaches the target size.

    Returns (mesh count, vertex count). The per-mesh assignment connections are counted in
    as the meshes are written, since they go at the very end of the file.
    """
    rng = random.Random(plan.seed * 7919 + 2)
    n_meshes = n_vertices = 0
    connection_bytes = 0
    while True:
        template = templates[rng.randrange(len(templates))]
        pre = group_header(n_meshes, rng) if n_meshes % MESHES_PER_GROUP == 0 else ""
        head = pre + mesh_header(n_meshes, rng)
        connection = len(mesh_connection(n_meshes, plan.n_shaders))
        after = sink.written + len(head) + len(template.body) + reserve
        if n_meshes and after + connection_bytes + connection > plan.target_bytes:
            return n_meshes, n_vertices
        sink.write(head)
        sink.write(template.body)
        connection_bytes += connection
        n_meshes += 1
        n_vertices += template.n_vertices


def generate_scene(path: Path, size_mb: float = 800.0, seed: int = 1) -> SceneSummary:
    """Write a scene of about SIZE_MB megabytes (10^6 bytes) to PATH and describe it."""
    started = time.perf_counter()
    plan = ScenePlan.for_size(size_mb, seed, path.stem)
    rng = random.Random(seed)
    templates = build_mesh_templates(rng)
    counter = CountingSink()
    fixed_tail(counter, plan)
    footer = f"// End of {plan.name}.ma\n"
    reserve = counter.written + len(footer)
    with path.open("wb") as fh:
        sink = FileSink(fh)
        header(sink, plan, rng)
        cameras_and_lights(sink, rng)
        rig_controls(sink, plan, rng)
        n_meshes, n_vertices = write_meshes(sink, plan, templates, reserve)
        n_connect = fixed_tail(sink, plan)
        write_lines(sink, [mesh_connection(i, plan.n_shaders) for i in range(n_meshes)])
        sink.write(footer)
        sink.flush()
    return SceneSummary(
        path=str(path),
        size_bytes=path.stat().st_size,
        seed=seed,
        seconds=round(time.perf_counter() - started, 3),
        layers=[name for name, _, _ in RENDER_LAYERS],
        renderable_layers=[name for name, _, renderable in RENDER_LAYERS if renderable],
        n_meshes=n_meshes,
        n_vertices=n_vertices,
        n_file_textures=plan.n_textures,
        n_udim_textures=sum(texture_spec(t)[1] for t in range(plan.n_textures)),
        n_anim_curves=plan.n_ctrls * len(CURVE_CHANNELS),
        n_connect_attr=n_connect + n_meshes,
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: write a scene and print its summary as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="scene file to write (.ma)")
    parser.add_argument("--size-mb", type=float, default=800.0, help="target size (10^6 bytes)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    summary = generate_scene(args.output, args.size_mb, args.seed)
    json.dump(asdict(summary), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
