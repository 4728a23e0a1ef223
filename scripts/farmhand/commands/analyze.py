"""`farmhand analyze SCENE.ma`: what the farm will render and what it needs.

Exit codes: 0 nothing blocks submission, 1 errors were found, 2 the input
could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from farmhand.scene import Analysis, SceneError, analyze
from farmhand.scene.model import ERROR, WARNING, LayerInfo
from farmhand.units import size as _size

EXIT_OK, EXIT_BLOCKED, EXIT_UNREADABLE = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `analyze` subcommand."""
    p = sub.add_parser("analyze", help="analyse a Maya ASCII (or .blend) scene without Maya")
    p.add_argument("scene", help="path to a .ma file (or a .blend, read through Blender)")
    p.add_argument(
        "--json",
        metavar="FILE",
        help="write the analysis as JSON to FILE ('-': stdout; indented only on a terminal)",
    )
    p.add_argument(
        "--search-path",
        metavar="DIR",
        action="append",
        default=[],
        help="folder to look in, by file name, for files that moved (repeatable)",
    )
    p.add_argument(
        "--project", metavar="DIR", help="Maya project folder (default: found by workspace.mel)"
    )
    p.add_argument("--blender", help="Blender used to read .blend scenes (default: on PATH)")
    p.set_defaults(run=run)


SCENES = (".ma", ".blend")


def not_a_scene(path: str) -> str | None:
    """Why `path` is not a scene this command reads, by its extension; None when it is.

    >>> not_a_scene("shot.MA") is None, not_a_scene("a.blend") is None
    (True, True)
    >>> not_a_scene("notes.txt")
    'notes.txt is not a scene: give a Maya ASCII .ma file (or a .blend)'
    >>> not_a_scene("shot.mb")
    'shot.mb is a binary Maya scene, which cannot be read without Maya: save it as .ma'
    """
    suffix = Path(path).suffix.lower()
    if suffix in SCENES:
        return None
    if suffix == ".mb":
        return f"{path} is a binary Maya scene, which cannot be read without Maya: save it as .ma"
    return f"{path} is not a scene: give a Maya ASCII .ma file (or a .blend)"


def run(args: argparse.Namespace) -> int:
    """Analyse, print, and return the exit code."""
    refusal = not_a_scene(args.scene)
    if refusal:
        print(f"farmhand analyze: {refusal}", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        if Path(args.scene).suffix.lower() == ".blend":
            from farmhand.blend.analysis import analyze_blend

            result = analyze_blend(
                args.scene, blender=getattr(args, "blender", None), search_paths=args.search_path
            )
        else:
            result = analyze(args.scene, project=args.project, search_paths=args.search_path)
    except SceneError as exc:
        print(f"farmhand analyze: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except OSError as exc:
        print(f"farmhand analyze: cannot read {args.scene}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.json:
        to_terminal = args.json == "-" and sys.stdout.isatty()
        # Indented only for a person at a terminal: json's C encoder writes compact JSON
        # several times faster than its indenting Python one, on a scene with 100k files.
        text = json.dumps(result.to_dict(), indent=2 if to_terminal else None, ensure_ascii=False)
        if args.json == "-":
            sys.stdout.write(text + "\n")
        else:
            with open(args.json, "w", encoding="utf-8") as f:
                f.write(text + "\n")
    if args.json != "-":
        print_summary(result, sys.stdout)
    return EXIT_BLOCKED if result.blocking else EXIT_OK


def _print_outputs(layer: LayerInfo, w: Callable[[str], object]) -> None:
    """What the layer writes: each camera's (and AOV's) first frame under the images folder."""
    outputs = layer.outputs
    if outputs is None or not layer.renderable:
        return
    if not outputs.predicted:
        w(f"        writes under {outputs.root}: {outputs.note}\n")
        return
    for output in outputs.files:
        path = output.template.format(frame=int(layer.common.start))
        w(f"        writes {outputs.root.rstrip('/')}/{path}\n")


def print_summary(result: Analysis, out: TextIO) -> None:
    """A readable report: scene, layers, dependencies with status, diagnostics."""
    w = out.write
    w(f"Scene     {result.scene_file}\n")
    software = result.software_config or {}
    program = str(software.get("cg_name") or "Maya")
    version = result.maya_version if program == "Maya" else software.get("cg_version")
    w(
        f"{program:<9} {version or 'version unknown'}   time {result.time_unit} "
        f"({result.fps:g} fps)   renderer {result.renderer}\n"
    )
    if result.project:
        w(f"Project   {result.project}\n")
    plugins = ", ".join(f"{k} {v}" for k, v in result.software_config["plugins"].items())
    if plugins:
        w(f"Plug-ins  {plugins}\n")
    w("\nRender layers\n")
    for name, layer in result.scene_info_render.items():
        c = layer.common
        mark = "x" if layer.renderable else " "
        label = (
            layer.display_name if layer.display_name == name else f"{layer.display_name} ({name})"
        )
        w(
            f"  [{mark}] {label}: {c.renderer}, frames {c.frames}, {c.width}x{c.height} "
            f"{c.image_format}, cameras {', '.join(c.render_camera) or '-'}\n"
        )
        if c.image_file_prefix:
            w(f"        prefix {c.image_file_prefix}\n")
        _print_outputs(layer, w)
        if layer.option and c.renderer == "arnold":
            o = layer.option
            blur = "on" if o.motion_blur_enable else "off"
            autotx = "on" if o.auto_tx else "off"
            w(
                f"        arnold sampling {o.sampling}, motion blur {blur}, "
                f"auto-tx {autotx}, device {o.render_device}\n"
            )
    w(f"\nDependencies ({len(result.asset)})\n")
    for dep in result.asset:
        status = "ok" if dep.exists else ("optional" if dep.optional else "MISSING")
        size = _size(dep.size) if dep.exists else ""
        extra = f" ({len(dep.files)} files)" if dep.pattern and dep.files else ""
        w(f"  {status:<8} {dep.kind:<11} {size:>9}  {dep.path}{extra}\n")
        if dep.exists and dep.found_by not in ("as_written", None):
            w(f"  {'':<8} {'':<11} {'':>9}  found at {dep.resolved} ({dep.found_by})\n")
    if result.diagnostics:
        w(f"\nChecks ({len(result.diagnostics)})\n")
        for d in result.diagnostics:
            w(f"  {d.severity.upper():<7} {d.code}: {d.message}\n")
            if d.fix:
                w(f"          fix: {d.fix}\n")
    errors = sum(d.severity == ERROR for d in result.diagnostics)
    warnings = sum(d.severity == WARNING for d in result.diagnostics)
    verdict = "blocked" if errors else "ready to submit"
    w(f"\n{errors} error(s), {warnings} warning(s): {verdict}\n")
