"""The parts of the code base and the imports allowed between them (docs/architecture.md).

Each module belongs to a *part*: a package such as ``farmhand.scene`` or
``farmhand_server.store``, or a top-level module such as ``farmhand.units``. A part may import
itself, the standard library, third-party libraries (some only in named parts) and the parts
listed for it in ``ALLOWED``. Every ``import`` statement counts, also one inside a function.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOTS = {"farmhand": REPO / "scripts", "farmhand_server": REPO / "server",
         "farmhand_worker": REPO / "server"}  # fmt: skip

# What each client part may import of the other parts. The analysis is at the bottom: it
# runs in Maya, on the command line, on the server and on render nodes alike.
_CLIENT = {
    "farmhand.scene": set(),
    "farmhand.units": set(),
    "farmhand.user_dirs": set(),
    "farmhand.spec": {"farmhand.scene", "farmhand.user_dirs"},
    "farmhand.transfer": {"farmhand.spec", "farmhand.user_dirs", "farmhand.units"},
    "farmhand.blend": {"farmhand.scene", "farmhand.spec"},
    "farmhand.submit": {"farmhand.scene", "farmhand.spec", "farmhand.transfer", "farmhand.blend",
                        "farmhand.units", "farmhand.user_dirs"},
    "farmhand.panel": {"farmhand.scene", "farmhand.spec", "farmhand.transfer", "farmhand.submit",
                       "farmhand.blend", "farmhand.units", "farmhand.user_dirs"},
    "farmhand.maya_ui": {"farmhand.panel", "farmhand.scene", "farmhand.spec",
                         "farmhand.transfer", "farmhand.submit", "farmhand.units",
                         "farmhand.user_dirs"},
    "farmhand.commands": {"farmhand", "farmhand.scene", "farmhand.spec", "farmhand.transfer",
                          "farmhand.submit", "farmhand.blend", "farmhand.panel",
                          "farmhand.units", "farmhand.user_dirs"},
    "farmhand.cli": {"farmhand", "farmhand.commands"},
    "farmhand.__main__": {"farmhand.cli"},
    "farmhand": set(),
}  # fmt: skip
# Shared with the farm: the contract, the analysis and hashing. Never the panel, the
# submission pipeline or Maya's user interface.
_SHARED = {"farmhand.scene", "farmhand.spec", "farmhand.transfer"}
_WORKER_PARTS = {"farmhand_worker", "farmhand_worker.adapters", "farmhand_worker.files",
                 "farmhand_worker.outputs", "farmhand_worker.run", "farmhand_worker.cli",
                 "farmhand_worker.config", "farmhand_worker.daemon", "farmhand_worker.farm_client",
                 "farmhand_worker.hardware", "farmhand_worker.task"}  # fmt: skip


def _server_part(part: str) -> set[str]:
    """The farm manager's parts: the store at the bottom, then everything else above it."""
    if part == "farmhand_server.store":
        return {"farmhand_server.config", "farmhand_server.errors", "farmhand.spec"}
    if part in ("farmhand_server.config", "farmhand_server.errors"):
        return set()
    return {"farmhand_server*"} | {p for p in _SHARED if p != "farmhand.transfer"}


# Exceptions, each with its reason: module -> parts it may import beyond its part's rule.
EXCEPTIONS = {
    # The dry run shows the argv a render node would run, made by the node's own adapters
    # when the worker package is installed beside the client (an optional, lazy import).
    "farmhand.submit.dry_run": {"farmhand_worker", "farmhand_worker.adapters",
                                "farmhand_worker.task"},
}  # fmt: skip

# Third-party modules that only some modules may import.
CONFINED = {
    "maya": ("farmhand.scene.live", "farmhand.maya_ui"),
    "PySide6": ("farmhand.panel", "farmhand.maya_ui", "farmhand.commands.panel"),
    "bpy": ("farmhand.blend.probe", "farmhand_worker.adapters.blender_task"),
    "aiohttp": ("farmhand_server",),
    "sqlalchemy": ("farmhand_server",),
}


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it is written."""

    module: str  # the importing module
    target: str  # the imported module (absolute)
    line: int


def module_name(path: Path) -> str:
    """``scripts/farmhand/spec/plan.py`` → ``farmhand.spec.plan`` (a package is its folder)."""
    root = REPO / ("scripts" if "scripts" in path.relative_to(REPO).parts[:1] else "server")
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(module: str, source: str) -> list[Import]:
    """Every module `source` imports, absolute; ``from a import b`` counts ``a.b`` too."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(Import(module, node.module, node.lineno))
            found += [Import(module, f"{node.module}.{a.name}", node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append(Import(module, "." * node.level + (node.module or ""), node.lineno))
    return found


def part_of(module: str) -> str:
    """The part of a module: its first two names (``farmhand.spec.plan`` → ``farmhand.spec``)."""
    return ".".join(module.split(".")[:2])


def _known_part(target: str) -> str | None:
    top = target.split(".")[0]
    return part_of(target) if top in ROOTS else None


def violations(found: list[Import]) -> list[str]:
    """Each import that breaks a rule, once per statement and part: ``module:line …(why)``."""
    bad: dict[tuple[str, int, str], str] = {}
    for imp in found:
        if imp.target.startswith("."):
            bad[imp.module, imp.line, "."] = (
                f"{imp.module}:{imp.line} relative import {imp.target!r} (write it absolute)"
            )
            continue
        top = imp.target.split(".")[0]
        if not _confined_ok(imp.module, top):
            bad[imp.module, imp.line, top] = (
                f"{imp.module}:{imp.line} imports {top} (only {', '.join(CONFINED[top])} may)"
            )
        target = _known_part(imp.target)
        source = part_of(imp.module)
        if target is None or target == source or not _is_module(imp.target):
            continue
        if target in EXCEPTIONS.get(imp.module, set()) or _may_import(source, target):
            continue
        bad[imp.module, imp.line, target] = (
            f"{imp.module}:{imp.line} imports {imp.target} ({source} may not use {target})"
        )
    return list(bad.values())


def _is_module(target: str) -> bool:
    """Whether a dotted name is a module or package of ours (not a name inside one)."""
    top = target.split(".")[0]
    base = ROOTS[top].joinpath(*target.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _may_import(source: str, target: str) -> bool:
    if source.startswith("farmhand."):
        return target in _CLIENT.get(source, set())
    if source.startswith("farmhand_worker"):
        return target in _WORKER_PARTS or target in _SHARED
    if source.startswith("farmhand_server"):
        allowed = _server_part(source)
        return target in allowed or (
            "farmhand_server*" in allowed and target.startswith("farmhand_server")
        )
    return source == "farmhand" and target in _CLIENT["farmhand"]


def _confined_ok(module: str, top: str) -> bool:
    homes = CONFINED.get(top)
    return homes is None or any(module == h or module.startswith(h + ".") for h in homes)


def _product_modules() -> list[tuple[str, Path]]:
    files = sorted((REPO / "scripts" / "farmhand").rglob("*.py"))
    files += sorted((REPO / "server" / "farmhand_server").rglob("*.py"))
    files += sorted((REPO / "server" / "farmhand_worker").rglob("*.py"))
    return [(module_name(f), f) for f in files]


def test_every_part_imports_only_what_it_may() -> None:
    found = [i for name, path in _product_modules()
             for i in imports_of(name, path.read_text(encoding="utf-8"))]  # fmt: skip
    assert len(found) > 500, "the walk found too few imports: is the tree where it should be?"
    assert violations(found) == []


def test_every_module_belongs_to_a_known_part() -> None:
    parts = {part_of(name) for name, _ in _product_modules()}
    unknown = {p for p in parts if p.startswith("farmhand.") and p not in _CLIENT}
    unknown |= {p for p in parts if p.startswith("farmhand_worker.") and p not in _WORKER_PARTS}
    assert unknown == set(), "add the new part to ALLOWED here and to docs/architecture.md"


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("farmhand.scene.cameras", "from farmhand.spec import frames", "farmhand.spec"),
        ("farmhand.scene.cameras", "import farmhand.transfer.hashing", "farmhand.transfer"),
        ("farmhand_worker.task", "from farmhand_server.store import schema", "farmhand_server"),
        ("farmhand_worker.task", "from farmhand.panel import window", "farmhand.panel"),
        ("farmhand_server.jobs.lifecycle", "from farmhand.submit import pipeline",
         "farmhand.submit"),
        ("farmhand_server.store.schema", "from farmhand_server.jobs import states",
         "farmhand_server.jobs"),
        ("farmhand.spec.plan", "from maya import cmds", "maya"),
        ("farmhand.submit.pipeline", "import PySide6.QtCore", "PySide6"),
        ("farmhand.transfer.upload", "from farmhand.transfer import hashing\ndef f():\n"
                                     "    from farmhand.panel import state", "farmhand.panel"),
        ("farmhand.spec.plan", "from .frames import chunks", "relative"),
        ("farmhand.panel.window", "from farmhand.maya_ui import job_messages", "farmhand.maya_ui"),
    ],
)  # fmt: skip
def test_a_forbidden_import_is_reported(module: str, source: str, broken: str) -> None:
    bad = violations(imports_of(module, source))
    assert len(bad) == 1 and broken in bad[0], bad


def test_allowed_imports_pass() -> None:
    source = (
        "from farmhand.scene import analyze\nfrom farmhand.spec.plan import plan_job\n"
        "import json\nfrom farmhand.spec import frames\n"
    )
    assert violations(imports_of("farmhand_worker.task", source)) == []
    assert violations(imports_of("farmhand.submit.dry_run",
                                 "from farmhand_worker import adapters")) == []  # fmt: skip
