"""The ``command`` adapter: any argv, from the job's ``renderer.argv`` template.

Each element of ``renderer.argv`` is a template with ``str.format`` fields
named in :data:`farmhand.spec.jobspec.COMMAND_PLACEHOLDERS` and ``{{``/``}}`` for
literal braces; a format spec is allowed (``{frame:04d}``), attribute and
index access (``{frame.real}``, ``{frame[0]}``), conversions (``{frame!r}``)
and nested fields are not. Values:

* ``{frame}``: the argv runs once per frame of the task, in order (the first
  run in ``argv``, the others in ``then``); ``{start}`` ``{end}`` ``{step}``
  are then the contiguous run the frame belongs to.
* without ``{frame}`` but with ``{start}``/``{end}``/``{step}``: one run per
  contiguous run of frames (``1-3,7`` → ``start=1 end=3 step=1``, then ``7 7 1``);
* with none of them: one run.
* ``{output}``: the task's output folder (every file left there is uploaded;
  it is also the working directory); ``{scene}``: the scene on the worker;
  ``{width}`` ``{height}``: the job's image size; ``{tile_index}`` ``{tile_x}``
  ``{tile_y}`` ``{tile_width}`` ``{tile_height}``: a tile task's rectangle
  (pixels, top-left origin).

``renderer.outputs`` templates (same fields) name the files each frame must
leave; relative ones are under the output folder, and none may point outside it.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from farmhand.spec.frames import Chunk, chunks
from farmhand.spec.jobspec import COMMAND_PLACEHOLDERS

from farmhand_worker.adapters.base import AdapterError, LineEvent, RenderCommand, RenderTask

_FRAME_FIELDS = frozenset({"frame", "start", "end", "step"})


@dataclass(frozen=True)
class Field:
    """One ``{name:spec}`` of a template, or literal text when ``name`` is None."""

    literal: str
    name: str | None = None
    spec: str = ""


def parse_template(template: str) -> list[Field]:
    """Split a template into literal text and placeholders; AdapterError for what is refused.

    >>> parse_template("f_{frame:04d}.png")
    [Field(literal='f_', name='frame', spec='04d'), Field(literal='.png', name=None, spec='')]
    >>> parse_template("{frame.__class__}")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    farmhand_worker.adapters.base.AdapterError: {frame.__class__}: write a plain placeholder...
    """
    if not isinstance(template, str):
        raise AdapterError(f"a template must be a string, not {template!r}")
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise AdapterError(f"{template!r}: {error} (write {{{{ and }}}} for braces)") from None
    fields = []
    for literal, name, spec, conversion in parsed:
        if name is None:
            fields.append(Field(literal))
            continue
        spec = spec or ""  # a str whenever there is a name
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        if not name.isidentifier():
            raise AdapterError(
                f"{shown}}}: write a plain placeholder name such as {{frame}} "
                "(no attribute or index access, no positions)"
            )
        if name not in COMMAND_PLACEHOLDERS:
            known = " ".join(f"{{{n}}}" for n in sorted(COMMAND_PLACEHOLDERS))
            raise AdapterError(f"unknown placeholder {{{name}}}; known: {known}")
        if conversion:
            raise AdapterError(f"{shown}}}: conversions (!{conversion}) are not allowed")
        if "{" in spec or "}" in spec:
            raise AdapterError(f"{shown}}}: nested placeholders are not allowed")
        fields.append(Field(literal, name, spec))
    return fields


def render_template(fields: list[Field], values: dict[str, Any]) -> str:
    """Fill a parsed template; AdapterError when a value is unavailable or its spec is wrong.

    >>> render_template(parse_template("{{{frame:03d}}}"), {"frame": 7})
    '{007}'
    """
    out = []
    for item in fields:
        out.append(item.literal)
        if item.name is None:
            continue
        if values.get(item.name) is None:
            raise AdapterError(f"{{{item.name}}} has no value for this task ({_why(item.name)})")
        try:
            out.append(format(values[item.name], item.spec))
        except (ValueError, TypeError) as error:
            raise AdapterError(f"{{{item.name}:{item.spec}}}: {error}") from None
    text = "".join(out)
    if "\0" in text:
        raise AdapterError("a filled template contains a NUL character")
    return text


def _why(name: str) -> str:
    if name.startswith("tile_"):
        return "only a tile task has a tile"
    return "the job spec sets no width and height"


def _templates(task: RenderTask, key: str, required: bool) -> list[list[Field]]:
    templates = task.renderer.get(key)
    if templates is None and not required:
        return []
    if not isinstance(templates, list) or (required and not templates):
        raise AdapterError(f"renderer.{key} must be a non-empty list of strings")
    parsed = []
    for i, template in enumerate(templates):
        try:
            parsed.append(parse_template(template))
        except AdapterError as error:
            raise AdapterError(f"renderer.{key}[{i}]: {error}") from None
    return parsed


def _task_values(task: RenderTask) -> dict[str, Any]:
    """The values that do not depend on the frame."""
    values: dict[str, Any] = {
        "output": str(task.output_dir),
        "scene": str(task.scene),
        "width": task.spec.get("width"),
        "height": task.spec.get("height"),
    }
    if task.tile is not None:
        tile = task.tile.tile
        values.update(
            width=task.tile.image_width,
            height=task.tile.image_height,
            tile_index=tile.index,
            tile_x=tile.x,
            tile_y=tile.y,
            tile_width=tile.width,
            tile_height=tile.height,
        )
    return values


def _runs(task: RenderTask, argv: list[list[Field]]) -> list[dict[str, Any]]:
    """The frame values of each run: per frame, per contiguous run, or one run."""
    used = {f.name for fields in argv for f in fields if f.name}
    runs = chunks(task.frames, len(task.frames))
    if "frame" in used:
        return [_frame_values(run, frame) for run in runs for frame in run.frames]
    if used & _FRAME_FIELDS:
        return [_frame_values(run, None) for run in runs]
    return [{}]


def _frame_values(run: Chunk, frame: int | None) -> dict[str, Any]:
    return {"frame": frame, "start": run.start, "end": run.end, "step": run.step}


def _expected(task: RenderTask, outputs: list[list[Field]], values: dict) -> list[Path]:
    """Each frame's output files, inside the output folder."""
    files: dict[Path, None] = {}
    if not outputs:
        return []
    for run in chunks(task.frames, len(task.frames)):
        for frame in run.frames:
            for fields in outputs:
                name = render_template(fields, {**values, **_frame_values(run, frame)})
                path = task.output_dir / name
                if ".." in Path(name).parts or not path.is_relative_to(task.output_dir):
                    raise AdapterError(f"renderer.outputs: {name!r} is outside the output folder")
                files[path] = None
    return list(files)


class CommandAdapter:
    """Any command line from the job's argv template: see the module doc."""

    name = "command"

    def build(self, task: RenderTask) -> RenderCommand:
        """The argv of each run, and the files ``renderer.outputs`` says each frame leaves."""
        if not task.frames:
            raise AdapterError("the task has no frames")
        argv = _templates(task, "argv", required=True)
        outputs = _templates(task, "outputs", required=False)
        values = _task_values(task)
        runs = [
            [render_template(fields, {**values, **frame_values}) for fields in argv]
            for frame_values in _runs(task, argv)
        ]
        if not runs[0][0]:
            raise AdapterError("renderer.argv[0] (the program) is empty")
        return RenderCommand(
            argv=runs[0],
            then=runs[1:],
            cwd=task.output_dir,
            expected=_expected(task, outputs, values),
        )

    def parse_line(self, line: str) -> LineEvent | None:
        """A generic progress reader: ``42%``, ``42.5 %`` or ``progress: 0.42``; nothing fatal.

        >>> ADAPTER.parse_line("rendering 42%"), ADAPTER.parse_line("progress: 0.25")
        (LineEvent(progress=0.42, fatal=None), LineEvent(progress=0.25, fatal=None))
        >>> ADAPTER.parse_line("250% faster") is None
        True
        """
        match = _PERCENT.search(line)
        if match:
            value = float(match[1]) / 100
        else:
            match = _FRACTION.search(line)
            if not match:
                return None
            value = float(match[1])
        return LineEvent(progress=value) if 0 <= value <= 1 else None


_PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s?%")
_FRACTION = re.compile(r"\bprogress\s*[:=]\s*(\d(?:\.\d+)?)\b", re.IGNORECASE)

ADAPTER = CommandAdapter()
