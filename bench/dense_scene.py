"""Generate a node-dense Maya ASCII scene: set dressing and layout, not mesh payload.

Where ``synthetic_scene.py`` writes a lighting file whose bytes are almost all mesh payload,
this one writes what set-dressed environments and layout scenes hold: hundreds of thousands
of small, distinct nodes (prop transforms with their small mesh shapes, materials, file
textures with their place2dTexture, animation curves), the ``connectAttr`` runs Maya writes
for them, and Render Setup layers whose collections pick props by static selection lists and
by patterns (``*``, namespaces, ``|``-paths). The statements are the ones Maya writes (see
``tests/scenes/render_setup_overrides.ma`` and the corpus); only the names are unique.

``--payload-share`` sets the fraction of the bytes that are large mesh payloads (the same
templates as ``synthetic_scene.py``); the issue's node-dense shape is 0.5.

Generation is deterministic for a seed and streams to disk; the connections, which Maya
writes after every node, go to a temporary file first, so memory stays flat with size::

    python bench/dense_scene.py /tmp/dense.ma --size-mb 50 --payload-share 0.5
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from synthetic_scene import (
    PROJECT,
    CountingSink,
    FileSink,
    MeshTemplate,
    ScenePlan,
    Sink,
    arnold_nodes,
    build_mesh_templates,
    cameras_and_lights,
    header,
    maya_float,
    node,
    reference_nodes,
)

PROPS_PER_SET = 250  # props under one set group (one namespace)
PROPS_PER_MATERIAL = 40  # props sharing one material and file texture
PROPS_PER_CURVE = 25  # one animated channel per this many props
PROPS_PER_COLLECTION = 20_000  # Render Setup collections scale with the props
LAYERS = ("bg", "mid", "fg", "camOnly")
STATIC_SELECTION = 40  # props named in a static selector's list
CAMERAS = ("shotCam", "persp")  # camera transforms the camera collection picks from
PLACE2D_PLUGS = (
    ("c", "c"), ("tf", "tf"), ("rf", "rf"), ("mu", "mu"), ("mv", "mv"), ("s", "s"),
    ("wu", "wu"), ("wv", "wv"), ("re", "re"), ("of", "of"), ("r", "ro"), ("n", "n"),
    ("vt1", "vt1"), ("vt2", "vt2"), ("vt3", "vt3"), ("vc1", "vc1"), ("o", "uv"), ("ofs", "fs"),
)  # fmt: skip
# A small cube's mesh body: the few payload lines a set-dressing prop carries.
CUBE = (
    '\tsetAttr -k off ".v";\n\tsetAttr ".vir" yes;\n\tsetAttr ".vif" yes;\n'
    '\tsetAttr ".uvst[0].uvsn" -type "string" "map1";\n'
    '\tsetAttr -s 14 ".uvst[0].uvsp[0:13]" -type "float2" 0.375 0 0.625 0 0.375 0.25\n'
    "\t\t 0.625 0.25 0.375 0.5 0.625 0.5 0.375 0.75 0.625 0.75 0.375 1 0.625 1 0.875 0\n"
    "\t\t 0.875 0.25 0.125 0 0.125 0.25;\n"
    '\tsetAttr ".cuvs" -type "string" "map1";\n'
    '\tsetAttr ".dcc" -type "string" "Ambient+Diffuse";\n'
    '\tsetAttr ".covm[0]"  0 1 1;\n\tsetAttr ".cdvm[0]"  0 1 1;\n'
    '\tsetAttr -s 8 ".vt[0:7]"  -0.5 -0.5 0.5 0.5 -0.5 0.5 -0.5 0.5 0.5 0.5 0.5 0.5\n'
    "\t\t -0.5 0.5 -0.5 0.5 0.5 -0.5 -0.5 -0.5 -0.5 0.5 -0.5 -0.5;\n"
    '\tsetAttr -s 12 ".ed[0:11]"  0 1 0 2 3 0 4 5 0 6 7 0 0 2 0 1 3 0 2 4 0 3 5 0\n'
    "\t\t 4 6 0 5 7 0 6 0 0 7 1 0;\n"
    '\tsetAttr -s 6 -ch 24 ".fc[0:5]" -type "polyFaces" \n'
    "\t\tf 4 0 4 -6 -2\n\t\tmu 0 4 0 1 3 2\n\t\tf 4 1 5 -8 -4\n\t\tmu 0 4 2 3 5 4\n"
    "\t\tf 4 2 6 -10 -6\n\t\tmu 0 4 4 5 7 6\n\t\tf 4 3 7 -12 -8\n\t\tmu 0 4 6 7 9 8\n"
    "\t\tf 4 -12 -10 -7 -5\n\t\tmu 0 4 1 10 11 3\n\t\tf 4 11 9 8 10\n\t\tmu 0 4 12 0 2 13;\n"
    '\tsetAttr ".cd" -type "dataPolyComponent" Index_Data Edge 0 ;\n'
    '\tsetAttr ".cvd" -type "dataPolyComponent" Index_Data Vertex 0 ;\n'
    '\tsetAttr ".pd[0]" -type "dataPolyComponent" Index_Data UV 0 ;\n'
    '\tsetAttr ".hfd" -type "dataPolyComponent" Index_Data Face 0 ;\n'
)


@dataclass
class DenseSummary:
    """What a generated dense scene holds: the expectations a sane analysis must meet."""

    path: str
    size_bytes: int
    seed: int
    seconds: float
    payload_share: float
    renderer: str = "arnold"
    start_frame: int = 1
    end_frame: int = 240
    layers: list[str] = field(default_factory=list)
    renderable_layers: list[str] = field(default_factory=list)
    layer_cameras: dict[str, list[str]] = field(default_factory=dict)
    n_props: int = 0
    n_meshes: int = 0
    n_collections: int = 0
    n_file_textures: int = 0
    n_ref_edit_textures: int = 1
    n_references: int = 3
    n_connect_attr: int = 0
    payload_bytes: int = 0


def set_name(prop: int) -> str:
    """The namespace of the set a prop belongs to."""
    return f"set_{prop // PROPS_PER_SET:04d}"


def prop_name(prop: int) -> str:
    """A prop's transform name (namespaced, unique)."""
    return f"{set_name(prop)}:prop_{prop:07d}"


def prop_path(prop: int) -> str:
    """A prop's full DAG path."""
    return f"|env|{set_name(prop)}:grp|{prop_name(prop)}"


class Writer:
    """Writes props and their connections, keeping the counts the summary reports."""

    def __init__(self, sink: Sink, links: Sink, rng: random.Random) -> None:
        self.sink, self.links, self.rng = sink, links, rng
        self.n_props = self.n_meshes = self.n_materials = self.n_connect = 0
        self.payload_bytes = 0

    def connect(self, src: str, dst: str, extra: str = "") -> None:
        """Queue one connectAttr line (Maya writes them after every node)."""
        self.links.write(f'connectAttr "{src}" "{dst}"{extra};\n')
        self.n_connect += 1

    def prop(self) -> None:
        """One set-dressing prop: transform, small mesh shape, its shading assignment."""
        p, rng = self.n_props, self.rng
        if p % PROPS_PER_SET == 0:
            node(self.sink, rng, "transform", f"{set_name(p)}:grp", "env")
        if p % PROPS_PER_MATERIAL == 0:
            self.material()
        name = prop_name(p)
        node(self.sink, rng, "transform", name, f"|env|{set_name(p)}:grp")
        x, z, turn = rng.uniform(-900, 900), rng.uniform(-900, 900), rng.uniform(0, 360)
        self.sink.write(
            f'\tsetAttr ".t" -type "double3" {maya_float(x)} 0 {maya_float(z)} ;\n'
            f'\tsetAttr ".r" -type "double3" 0 {maya_float(turn)} 0 ;\n'
        )
        node(self.sink, rng, "mesh", f"{name}Shape", name)
        self.sink.write(CUBE)
        self.connect(f"{name}Shape.iog", f"mat_{self.n_materials - 1:06d}SG.dsm", " -na")
        if p % PROPS_PER_CURVE == 0:
            curve = f"{name}_rotateY"
            node(self.sink, rng, "animCurveTA", curve)
            self.sink.write(
                '\tsetAttr ".tan" 18;\n\tsetAttr ".wgt" no;\n'
                f'\tsetAttr -s 3 ".ktv[0:2]"  1 0 120 {maya_float(turn)} 240 0;\n'
            )
            self.connect(f"{curve}.o", f"{name}.ry")
        self.n_props += 1

    def material(self) -> None:
        """A material with one file texture: the nodes and the connections Maya writes."""
        m, rng = self.n_materials, self.rng
        mat, sg, info = f"mat_{m:06d}", f"mat_{m:06d}SG", f"materialInfo{m:06d}"
        tex, place = f"tex_{m:06d}", f"place2dTexture{m:06d}"
        node(self.sink, rng, "aiStandardSurface", mat)
        self.sink.write('\tsetAttr ".specular_roughness" 0.45;\n')
        node(self.sink, rng, "shadingEngine", sg)
        self.sink.write('\tsetAttr ".ihi" 0;\n\tsetAttr ".ro" yes;\n')
        node(self.sink, rng, "materialInfo", info)
        node(self.sink, rng, "file", tex)
        self.sink.write(
            f'\tsetAttr ".ftn" -type "string" "{PROJECT}/sourceimages/dense/wood_{m:06d}.tx";\n'
            '\tsetAttr ".cs" -type "string" "sRGB";\n'
        )
        node(self.sink, rng, "place2dTexture", place)
        for a, b in PLACE2D_PLUGS:
            self.connect(f"{place}.{a}", f"{tex}.{b}")
        self.connect(f"{tex}.oc", f"{mat}.base_color")
        self.connect(f"{mat}.out", f"{sg}.ss")
        self.connect(f"{sg}.msg", f"{info}.sg")
        self.connect(f"{mat}.msg", f"{info}.m")
        self.connect(f"{tex}.msg", f"{info}.t", " -na")
        self.connect(f"{sg}.pa", ":renderPartition.st", " -na")
        self.connect(f"{mat}.msg", ":defaultShaderList1.s", " -na")
        self.connect(f"{tex}.msg", ":defaultTextureList1.tx", " -na")
        self.connect(f"{place}.msg", ":defaultRenderUtilityList1.u", " -na")
        self.n_materials += 1

    def heavy_mesh(self, template: MeshTemplate) -> None:
        """One large mesh (a hero asset): its bytes count as payload."""
        name = f"hero_{self.n_meshes:05d}"
        node(self.sink, self.rng, "transform", name, "env")
        node(self.sink, self.rng, "mesh", f"{name}Shape", name)
        self.sink.write(template.body)
        self.payload_bytes += len(template.body)
        self.connect(f"{name}Shape.iog", ":initialShadingGroup.dsm", " -na")
        self.n_meshes += 1


def collection(writer: Writer, name: str, selection: str, attr: str, value: str) -> str:
    """A collection, its simpleSelector (SELECTION: its setAttr lines) and one absolute
    bool override of ATTR, with the connections Render Setup writes; returns NAME."""
    sink, rng, connect = writer.sink, writer.rng, writer.connect
    selector, override = f"{name}Selector", f"{name}_{attr}"
    node(sink, rng, "collection", name)
    node(sink, rng, "simpleSelector", selector)
    sink.write(selection)
    connect(f"{selector}.c", f"{name}.sel")
    node(sink, rng, "absOverride", override)
    sink.write(
        '\taddAttr -ci true -sn "atv" -ln "attrValue" -min 0 -max 1 -at "bool";\n'
        f'\tsetAttr ".atr" -type "string" "{attr}";\n\tsetAttr ".atv" {value};\n'
    )
    connect(f"{override}.msg", f"{name}.cl")
    connect(f"{override}.msg", f"{name}.ch")
    connect(f"{name}.lit", f"{override}.pls")
    connect(f"{name}.en", f"{override}.pen")
    return name


def render_setup(sink: Sink, writer: Writer, n_props: int) -> tuple[int, dict[str, list[str]]]:
    """Render Setup layers with prop collections (static and pattern selectors) and a camera
    collection per layer; returns (collections written, renderable cameras per layer)."""
    rng = writer.rng
    connect = writer.connect
    node(sink, rng, "renderSetup", "renderSetup")
    per_layer = max(2, n_props // PROPS_PER_COLLECTION)
    n_sets = max(1, n_props // PROPS_PER_SET)
    cameras: dict[str, list[str]] = {"defaultRenderLayer": ["shotCam"]}
    collections = 0
    previous_layer = None
    for li, layer in enumerate(LAYERS):
        node(sink, rng, "renderSetupLayer", layer)
        node(sink, rng, "renderLayer", f"rs_{layer}")
        sink.write(f'\tsetAttr ".do" {li + 1};\n')
        connect(f"rs_{layer}.msg", f"{layer}.lrl")
        connect("renderSetup.lit", f"{layer}.pls")
        connect(f"renderLayerManager.rlmi[{li + 1}]", f"rs_{layer}.rlid")
        connect(f"rs_{layer}.msg", ":defaultRenderingList1.r", " -na")
        if previous_layer:
            connect(f"{previous_layer}.nxt", f"{layer}.prv")
        else:
            connect(f"{layer}.msg", "renderSetup.frl")
        previous_layer = layer
        items = []
        for ci in range(per_layer):
            if ci % 2 == 0:
                first = rng.randrange(max(1, n_props - STATIC_SELECTION))
                names = "\\n".join(prop_path(p) for p in range(first, first + STATIC_SELECTION))
                selection = f'\tsetAttr ".ssl" -type "string" "{names}";\n\tsetAttr ".tf" 0;\n'
            else:
                s = rng.randrange(n_sets)
                pattern = f"set_{s:04d}:prop_*;*:prop_00{ci % 10}*;|env|set_{s:04d}:grp|*"
                selection = f'\tsetAttr ".pat" -type "string" "{pattern}";\n\tsetAttr ".tf" 0;\n'
            items.append(
                collection(writer, f"{layer}_props{ci:04d}", selection, "primaryVisibility", "no")
            )
        # The camera collection: shotCam renders in every layer, persp only in camOnly.
        picked = "persp*" if layer == "camOnly" else "nothing_*"
        selection = f'\tsetAttr ".pat" -type "string" "{picked}";\n\tsetAttr ".tf" 7;\n'
        items.append(collection(writer, f"{layer}_cameras", selection, "renderable", "yes"))
        connect(f"{items[0]}.msg", f"{layer}.cl")
        for before, after in itertools.pairwise(items):
            connect(f"{before}.nxt", f"{after}.prv")
        for item in items:
            connect(f"{layer}.lit", f"{item}.pls")
        collections += len(items)
        shot = ["persp", "shotCam"] if layer == "camOnly" else ["shotCam"]
        cameras[f"rs_{layer}"] = shot
    connect(f"{previous_layer}.msg", "renderSetup.lrl")
    return collections, cameras


def globals_and_layers(sink: Sink, rng: random.Random) -> None:
    """Render globals (Arnold, frames 1-240) and the legacy layer manager."""
    node(sink, rng, "renderLayerManager", "renderLayerManager")
    node(sink, rng, "renderLayer", "defaultRenderLayer")
    sink.write('\tsetAttr ".g" yes;\n')
    sink.write(
        'connectAttr "renderLayerManager.rlmi[0]" "defaultRenderLayer.rlid";\n'
        "select -ne :defaultRenderGlobals;\n"
        '\tsetAttr ".ren" -type "string" "arnold";\n\tsetAttr ".outf" 51;\n'
        '\tsetAttr ".imfkey" -type "string" "exr";\n\tsetAttr ".an" yes;\n'
        '\tsetAttr ".ef" 240;\n\tsetAttr ".pff" yes;\n'
        'select -ne :defaultResolution;\n\tsetAttr ".w" 1920;\n\tsetAttr ".h" 1080;\n'
        '\tsetAttr ".dar" 1.7777777;\n'
    )


def generate_scene(
    path: Path, size_mb: float = 800.0, seed: int = 1, payload_share: float = 0.5
) -> DenseSummary:
    """Write a node-dense scene of about SIZE_MB megabytes to PATH and describe it."""
    started = time.perf_counter()
    target = int(size_mb * 1_000_000)
    rng = random.Random(seed)
    templates = build_mesh_templates(rng)
    plan = ScenePlan.for_size(size_mb, seed, path.stem)
    with path.open("wb") as fh, tempfile.TemporaryFile() as spill:
        sink, links = FileSink(fh), FileSink(spill)
        header(sink, plan, rng)
        cameras_and_lights(sink, rng)
        node(sink, rng, "transform", "env")
        writer = Writer(sink, links, rng)
        # Render Setup and the tail take a fixed share of the target; measure it first.
        reserve = _render_setup_bytes(seed, target) + 2_000
        while sink.written + links.written + reserve < target:
            payload_due = writer.payload_bytes < payload_share * (sink.written + links.written)
            if payload_due:
                writer.heavy_mesh(templates[rng.randrange(len(templates))])
            else:
                writer.prop()
        arnold_nodes(sink, rng)
        reference_nodes(sink, rng)
        globals_and_layers(sink, rng)
        collections, cameras = render_setup(sink, writer, writer.n_props)
        links.flush()
        sink.flush()
        spill.seek(0)
        shutil.copyfileobj(spill, fh, 8 << 20)
        fh.write(f"// End of {path.name}\n".encode())
    return DenseSummary(
        path=str(path),
        size_bytes=path.stat().st_size,
        seed=seed,
        seconds=round(time.perf_counter() - started, 3),
        payload_share=payload_share,
        layers=["defaultRenderLayer", *(f"rs_{layer}" for layer in LAYERS)],
        renderable_layers=["defaultRenderLayer", *(f"rs_{layer}" for layer in LAYERS)],
        layer_cameras=cameras,
        n_props=writer.n_props,
        n_meshes=writer.n_props + writer.n_meshes,
        n_collections=collections,
        n_file_textures=writer.n_materials,
        n_connect_attr=writer.n_connect,
        payload_bytes=writer.payload_bytes,
    )


def _render_setup_bytes(seed: int, target: int) -> int:
    """Bytes the Render Setup part will take, for a scene of about TARGET bytes."""
    counter, links = CountingSink(), CountingSink()
    props = max(PROPS_PER_COLLECTION, target // 1_500)  # an upper bound: a prop is ~1.5 kB
    render_setup(counter, Writer(counter, links, random.Random(seed)), props)
    return counter.written + links.written


def main(argv: list[str] | None = None) -> int:
    """Command line: write a scene and print its summary as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="scene file to write (.ma)")
    parser.add_argument("--size-mb", type=float, default=800.0, help="target size (10^6 bytes)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--payload-share",
        type=float,
        default=0.5,
        help="fraction of the bytes in large mesh payloads (default 0.5)",
    )
    args = parser.parse_args(argv)
    if not 0.0 <= args.payload_share < 1.0:
        parser.error("--payload-share must be in [0, 1)")
    summary = generate_scene(args.output, args.size_mb, args.seed, args.payload_share)
    json.dump(asdict(summary), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
