"""The JobSpec's defaults: declared once, in ``schemas/jobspec.schema.json``, applied here.

A field the schema gives a ``"default"`` may be left out of a spec; :func:`with_defaults`
writes it in, and what reads a spec afterwards reads ``spec["field"]`` (or the typed
`farmhand.spec.scheduling.Scheduling` built from it). It is called where a spec is read for
what the farm does with it: the planner's entry points (`farmhand.spec.plan`, so the server,
``farmhand submit --dry-run``, the panel's preview and the worker all see the same values)
and the server's job creation (`farmhand_server.jobs.lifecycle`). A job keeps the spec as
its client sent it; the defaults are the farm's reading of it.

Some defaults hold only beside other fields, as the schema's conditions say:
``frames_per_task`` (1) only without ``tiles``, ``tiles_type`` (strip) only with them. They
are declared in the schema's ``if``/``then``/``else`` branches, judged here on the spec as
given. Where a UI shows a default ("the farm's default is 50") it reads :func:`default_of`.

The schema comes from :func:`~farmhand.spec.jobspec.load_schema`, which imports no
``jsonschema`` (only its validators do): the worker, which does not install it, plans its
tasks through this module too. ``docs/jobspec.md`` ("Defaults") lists them.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from farmhand.spec.jobspec import load_schema

_CONDITION_KEYS = frozenset({"required", "properties", "description"})
"""What an ``if`` of the JobSpec schema may test: required fields and their const/enum."""


@dataclass(frozen=True, slots=True)
class Default:
    """One default the schema declares: where (``layers[].animation``), what, and why."""

    path: str
    value: Any
    description: str
    condition: str = ""  # "" : always; else when it applies ("with tiles", "without tiles")


@functools.cache
def _schema() -> dict[str, Any]:
    """The JobSpec schema, read once (callers never change it)."""
    return load_schema("jobspec")


def _resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema a local ``$ref`` (``#/$defs/name``) names, or the node itself."""
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    if not ref.startswith("#/"):
        raise ValueError(f"the defaults reader follows local $ref only, not {ref!r}")
    target: Any = _schema()
    for part in ref[2:].split("/"):
        target = target[part]
    return target


def _matches(instance: Any, condition: Mapping[str, Any]) -> bool:
    """Whether ``instance`` meets an ``if`` schema of the required/const/enum kind."""
    unknown = set(condition) - _CONDITION_KEYS
    if unknown:
        raise ValueError(f"the defaults reader cannot judge an if with {sorted(unknown)}")
    if not isinstance(instance, Mapping):
        return False
    if any(name not in instance for name in condition.get("required", ())):
        return False
    for name, rule in condition.get("properties", {}).items():
        if name not in instance:
            continue
        if set(rule) - {"const", "enum"}:
            raise ValueError(f"the defaults reader cannot judge {name}: {sorted(rule)}")
        value = instance[name]
        if "const" in rule and not _same(value, rule["const"]):
            return False
        if "enum" in rule and not any(_same(value, v) for v in rule["enum"]):
            return False
    return True


def _same(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


_DECLARES: dict[int, bool] = {}
"""Whether a schema node (by id: the schema is read once and kept) declares a default."""


def _may_declare(node: Mapping[str, Any]) -> bool:
    """Whether the node or anything under it (through ``$ref``) declares a default."""
    key = id(node)
    if key not in _DECLARES:
        _DECLARES[key] = _declares(node, set())
    return _DECLARES[key]


def _declares(node: Any, seen: set[int]) -> bool:
    if isinstance(node, list):
        return any(_declares(item, seen) for item in node)
    if not isinstance(node, Mapping) or id(node) in seen:
        return False
    seen.add(id(node))
    if "default" in node:
        return True
    if isinstance(node.get("$ref"), str) and _declares(_resolve(node), seen):
        return True
    return any(_declares(v, seen) for k, v in node.items() if k != "$defs")


def _fill(instance: Any, node: Mapping[str, Any]) -> Any:
    """``instance`` with the defaults ``node`` declares for it; unchanged parts are shared."""
    if not _may_declare(node):
        return instance
    if isinstance(instance, list):
        items = node.get("items")
        if isinstance(items, Mapping):
            return [_fill(item, items) for item in instance]
        return instance
    if not isinstance(instance, dict):
        return instance
    result = dict(instance)
    resolved = _resolve(node)
    if resolved is not node:
        result = _fill(result, resolved)
    for name, sub in node.get("properties", {}).items():
        if name not in result and "default" in sub:
            result[name] = copy.deepcopy(sub["default"])
        if name in result:
            result[name] = _fill(result[name], sub)
    for sub in node.get("allOf", ()):
        result = _fill(result, sub)
    if "if" in node:
        branch = node.get("then" if _matches(instance, node["if"]) else "else")
        if isinstance(branch, Mapping):
            result = _fill(result, branch)
    return result


def with_defaults(spec: Any) -> Any:
    """A copy of a JobSpec with every default the schema declares written in where absent.

    The spec given is not changed (the copy shares what needed no default); applying it
    twice changes nothing more. A spec that is not valid is filled as far as its shape
    allows: a field of the wrong type is left to the validation's messages.

    >>> spec = with_defaults({"frames": "1-10"})
    >>> spec["priority"], spec["frames_per_task"], spec["stop_after_test"], "tiles_type" in spec
    (50, 1, False, False)
    >>> tiled = with_defaults({"frames": "1-10", "tiles": 4, "priority": 70})
    >>> tiled["tiles_type"], tiled["priority"], "frames_per_task" in tiled
    ('strip', 70, False)
    >>> with_defaults({"spec_version": 2, "layers": [{"name": "fg", "frames": "1"}]})["layers"]
    [{'name': 'fg', 'frames': '1', 'animation': True, 'pick_cameras': False}]
    """
    return _fill(spec, _schema())


def declared_defaults() -> list[Default]:
    """Every default in the JobSpec schema, in the schema's order (for the docs and tests).

    >>> [d.path for d in declared_defaults()][:3]
    ['spec_version', 'test_frames', 'test_frames.first']
    """
    return copy.deepcopy(list(_declared()))


@functools.cache
def _declared() -> tuple[Default, ...]:
    return tuple(_walk(_schema(), "", "", set()))


def _walk(node: Any, where: str, condition: str, seen: set[str]) -> Iterator[Default]:
    if not isinstance(node, Mapping):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and ref not in seen:
        yield from _walk(_resolve(node), where, condition, {*seen, ref})
    for name, sub in node.get("properties", {}).items():
        path = f"{where}.{name}" if where else name
        if "default" in sub:
            description = str(sub.get("description") or _property(path).get("description", ""))
            yield Default(path, sub["default"], description, condition)
        yield from _walk(sub, path, condition, seen)
    items = node.get("items")
    if isinstance(items, Mapping):
        yield from _walk(items, f"{where}[]", condition, seen)
    for sub in node.get("allOf", ()):
        yield from _walk(sub, where, condition, seen)
    if "if" in node:
        said = _said(node["if"])
        yield from _walk(node.get("then"), where, _and(condition, f"with {said}"), seen)
        yield from _walk(node.get("else"), where, _and(condition, f"without {said}"), seen)


def _said(condition: Mapping[str, Any]) -> str:
    """An ``if`` in words: ``tiles``, ``spec_version 2``."""
    words = []
    for name in condition.get("required", ()):
        rule = condition.get("properties", {}).get(name, {})
        words.append(f"{name} {json.dumps(rule['const'])}" if "const" in rule else name)
    return " and ".join(words) or "the condition"


def _and(first: str, second: str) -> str:
    return f"{first}, {second}" if first else second


def _property(path: str) -> Mapping[str, Any]:
    """The top-level ``properties`` entry of a dotted path's first part (its description)."""
    return _schema()["properties"].get(path.split(".")[0].removesuffix("[]"), {})


def default_of(path: str) -> Any:
    """The default the schema declares for a field (``priority``, ``layers[].animation``).

    >>> default_of("priority"), default_of("tiles_type"), default_of("layers[].animation")
    (50, 'strip', True)
    """
    for default in _declared():
        if default.path == path:
            return copy.deepcopy(default.value)
    raise KeyError(f"the JobSpec schema declares no default for {path}")
