"""The renderer options a JobSpec may carry for the ``blender`` and ``maya`` adapters.

A JobSpec is untrusted: its ``renderer`` options end up on a render node's
command line. So they are an allowlist, not a blocklist: every
``renderer.extra_args`` item must be a flag listed here, followed by exactly
the values that flag takes, each of its declared type and range. No allowed
flag takes a path, a script, an expression or a file name, so nothing in
``extra_args`` can point outside the job's folder or run code (Blender's
``--python*``, ``--env-system-*``, ``--log-file``, ``--addons``,
``--app-template``; Maya's ``-preRender``/``-postRender``/``-preLayer``/
``-postLayer``/``-preFrame``/``-postFrame`` MEL hooks, ``-log``, ``-proj``, …).

The same checks run twice: in :func:`farmhand.spec.jobspec.validate_jobspec` (the
server refuses the job, ``farmhand submit`` refuses before uploading) and in
the worker's adapters (a job that reached a worker anyway fails its attempt
with the reason). ``docs/worker-adapters.md`` lists the options and where each
comes from (Blender's and Maya's command-line documentation).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_EXTRA_ARGS = 64
"""At most this many ``renderer.extra_args`` items."""

MAX_ARG_LENGTH = 256
"""No allowed value is longer than this (the schema's own limit is larger)."""


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Value:
    """A flag's value: its kind (``int``, ``float``, ``bool``, ``text``) and its bounds."""

    kind: str
    low: float | None = None
    high: float | None = None
    pattern: str | None = None  # text: the full-match regular expression
    describe: str = ""  # text: what the pattern means, for messages

    def problem(self, text: str) -> str | None:
        """Why `text` is not such a value, or None when it is."""
        if self.kind == "bool":
            return None if text.lower() in MAYA_BOOLEANS else "is not true/false/on/off/yes/no/1/0"
        if self.kind == "text":
            ok = self.pattern is not None and re.fullmatch(self.pattern, text, re.ASCII)
            return None if ok else f"is not {self.describe}"
        number = _number(text, self.kind)
        if number is None:
            what = "a whole number" if self.kind == "int" else "a number"
            return f"is not {what} from {_show(self.low)} to {_show(self.high)}"
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            return f"is not from {_show(self.low)} to {_show(self.high)}"
        return None


MAYA_BOOLEANS = frozenset({"true", "false", "on", "off", "yes", "no", "1", "0"})
"""What Maya's ``Render`` reads as a boolean (its documentation: on/yes/true/1, off/no/false/0)."""


def _number(text: str, kind: str) -> float | None:
    if kind == "int":
        return int(text) if re.fullmatch(r"-?[0-9]{1,9}", text) else None
    if not re.fullmatch(r"-?[0-9]{1,9}(\.[0-9]{1,9})?", text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _show(bound: float | None) -> str:
    if bound is None:
        return "any"
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _int(low: int, high: int) -> Value:
    return Value("int", low, high)


def _float(low: float, high: float) -> Value:
    return Value("float", low, high)


BOOL = Value("bool")


@dataclass(frozen=True)
class Option:
    """One allowed flag: its spellings, its value (None: a switch), what it does, its source."""

    names: tuple[str, ...]
    value: Value | None
    help: str
    source: str


# --------------------------------------------------------------------------- Blender

_BLENDER_DOC = "Blender 3.4 manual, Command Line Arguments"

BLENDER_OPTIONS: tuple[Option, ...] = (
    Option(("-t", "--threads"), _int(0, 1024),
           "threads for rendering (0: all processors)", _BLENDER_DOC + ", Render Options"),
    Option(("--factory-startup",), None,
           "skip the user's startup file and preferences", _BLENDER_DOC + ", Misc Options"),
    Option(("-noaudio",), None, "no audio device", _BLENDER_DOC + ", Misc Options"),
    Option(("--disable-crash-handler",), None, "no crash handler", _BLENDER_DOC + ", Misc Options"),
    Option(("--disable-abort-handler",), None, "no abort handler", _BLENDER_DOC + ", Misc Options"),
    Option(("--verbose",), _int(0, 9), "debug message verbosity", _BLENDER_DOC + ", Misc Options"),
    Option(("--debug-cycles",), None, "Cycles debug messages", _BLENDER_DOC + ", Debug Options"),
    Option(("--debug-memory",), None, "memory debugging", _BLENDER_DOC + ", Debug Options"),
    Option(("--debug-exit-on-error",), None,
           "exit at the first internal error", _BLENDER_DOC + ", Debug Options"),
    Option(("--log",), Value("text", pattern=r"[A-Za-z0-9_.*^,]{1,128}",
                             describe="a log type pattern such as render.* or ^cycles"),
           "log types to print to the console", _BLENDER_DOC + ", Logging Options"),
    Option(("--log-level",), _int(-1, 9), "log level (-1: all)",
           _BLENDER_DOC + ", Logging Options"),
    Option(("--log-show-basename",), None, "short file names in log lines",
           _BLENDER_DOC + ", Logging Options"),
    Option(("--log-show-backtrace",), None, "backtraces in log lines",
           _BLENDER_DOC + ", Logging Options"),
    Option(("--log-show-timestamp",), None, "timestamps in log lines",
           _BLENDER_DOC + ", Logging Options"),
)  # fmt: skip
"""``renderer.extra_args`` a Blender job may carry; anything else is refused."""

_BLENDER_ADAPTER_FLAGS = (
    "-b", "--background", "-f", "--render-frame", "-s", "--frame-start", "-e", "--frame-end",
    "-j", "--frame-jump", "-a", "--render-anim", "-x", "--use-extension", "-Y",
    "--disable-autoexec", "-S", "--scene", "--python-exit-code",
)  # fmt: skip
BLENDER_SET_BY_ADAPTER: dict[str, str] = {
    **dict.fromkeys(("-E", "--engine"), "set it with renderer.engine"),
    **dict.fromkeys(("-F", "--render-format"), "set it with renderer.image_format"),
    **dict.fromkeys(("-o", "--render-output"), "set it with output_prefix"),
    **dict.fromkeys(_BLENDER_ADAPTER_FLAGS, "the adapter sets it"),
}
"""Flags the adapter sets itself: the message says where the JobSpec sets them instead."""

BLENDER_ENGINE = re.compile(r"[A-Z][A-Z0-9_]{0,63}", re.ASCII)
"""``renderer.engine``: an engine identifier such as CYCLES or BLENDER_EEVEE."""

# --------------------------------------------------------------------------- Maya

_MAYA_COMMON = "Maya Help, Common flags for the command line renderer"
_MAYA_SW = "Maya Help, Maya Software renderer command line renderer flags"
_ARNOLD = "Arnold for Maya User Guide, Batch Render Flags"

MAYA_COMMON_OPTIONS: tuple[Option, ...] = (
    Option(("-verb",), None, "print the render command before rendering", _MAYA_COMMON),
    Option(("-pad",), _int(1, 9), "digits of the frame number in file names", _MAYA_COMMON),
    Option(("-skipExistingFrames",), BOOL, "skip frames already rendered", _MAYA_COMMON),
    Option(("-rgb",), BOOL, "RGB output on or off", _MAYA_COMMON),
    Option(("-alpha",), BOOL, "alpha output on or off", _MAYA_COMMON),
    Option(("-depth",), BOOL, "depth output on or off", _MAYA_COMMON),
    Option(("-iip",), None, "ignore image planes", _MAYA_COMMON),
    Option(("-percentRes",), _float(1, 1000), "percentage of the resolution", _MAYA_COMMON),
    Option(("-ard",), _float(0.01, 100), "device aspect ratio", _MAYA_COMMON),
)
"""``renderer.extra_args`` every Maya job may carry, whatever its renderer."""

MAYA_RENDERER_OPTIONS: dict[str, tuple[Option, ...]] = {
    "sw": (
        Option(("-n",), _int(0, 1024), "processors to use (0: all)", _MAYA_SW),
        Option(("-eaa",), _int(0, 3), "anti-aliasing quality (0 highest .. 3 low)", _MAYA_SW),
        Option(("-ss",), _int(1, 1024), "shading samples", _MAYA_SW),
        Option(("-mss",), _int(1, 1024), "maximum adaptive shading samples", _MAYA_SW),
        Option(("-ert",), BOOL, "ray tracing on or off", _MAYA_SW),
        Option(("-rfl",), _int(0, 64), "maximum reflection level", _MAYA_SW),
        Option(("-rfr",), _int(0, 64), "maximum refraction level", _MAYA_SW),
        Option(("-sl",), _int(0, 64), "maximum shadow ray depth", _MAYA_SW),
        Option(("-mb",), BOOL, "motion blur on or off", _MAYA_SW),
    ),
    "arnold": (
        Option(
            ("-ai:threads",),
            _int(-1024, 1024),
            "render threads (0: all cores, negative: all but that many)",
            "Arnold User Guide, System: Render Threads",
        ),
        Option(("-ai:lve",), _int(0, 6), "log verbosity (the adapter passes 2)", _ARNOLD),
        Option(("-ai:as",), _int(-10, 100), "camera (AA) samples", _ARNOLD),
        Option(("-ai:hs",), _int(0, 100), "indirect diffuse samples", _ARNOLD),
        Option(("-ai:gs",), _int(0, 100), "indirect specular samples", _ARNOLD),
        Option(("-ai:rs",), _int(0, 100), "refraction samples", _ARNOLD),
        Option(("-ai:bssrdfs",), _int(0, 100), "SSS samples", _ARNOLD),
        Option(("-ai:cmpsv",), BOOL, "sample clamping", _ARNOLD),
        Option(("-ai:aovsc",), BOOL, "sample clamping affects AOVs", _ARNOLD),
        Option(("-ai:aasc",), _float(0, 1000000), "sample clamp value", _ARNOLD),
        Option(("-ai:td",), _int(0, 1000), "total ray depth", _ARNOLD),
        Option(("-ai:dif",), _int(0, 1000), "indirect diffuse depth", _ARNOLD),
        Option(("-ai:glo",), _int(0, 1000), "indirect specular depth", _ARNOLD),
        Option(("-ai:rfl",), _int(0, 1000), "reflection depth", _ARNOLD),
        Option(("-ai:rfr",), _int(0, 1000), "refraction depth", _ARNOLD),
        Option(("-ai:atd",), _int(0, 1000), "auto-transparency depth", _ARNOLD),
        Option(("-ai:att",), _float(0, 1), "auto-transparency threshold", _ARNOLD),
        Option(("-ai:mben",), BOOL, "motion blur", _ARNOLD),
        Option(("-ai:mbdf",), BOOL, "deformation motion blur", _ARNOLD),
    ),
}
"""Flags only one renderer takes, by the maya adapter's renderer name (``Render -r``)."""

MAYA_RENDERER_ALIASES = {"mayaSoftware": "sw", "mayaHardware2": "hw2", "renderManRIS": "renderman"}
"""Maya's node names of renderers, as the maya adapter also takes them."""

_MAYA_ADAPTER_FLAGS = ("-s", "-e", "-b", "-rd", "-proj", "-reg", "-rt", "-ai:ltc", "-ai:alf")
MAYA_SET_BY_ADAPTER: dict[str, str] = {
    **dict.fromkeys(("-r", "-renderer"), "set it with renderer.name"),
    "-of": "set it with renderer.image_format",
    "-im": "set it with output_prefix",
    "-cam": "set it with cameras",
    "-rl": "set it with layers",
    **dict.fromkeys(("-x", "-y"), "set it with width and height"),
    **dict.fromkeys(_MAYA_ADAPTER_FLAGS, "the adapter sets it"),
}
"""Flags the maya adapter sets itself, and where the JobSpec sets them instead."""

MAYA_IMAGE_FORMAT = re.compile(r"[A-Za-z0-9_]{1,32}", re.ASCII)
"""``renderer.image_format`` of a Maya job (``Render -of``): a plain format name."""

MAYA_RENDERER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}", re.ASCII)
"""``renderer.name`` of a Maya job: an identifier (the adapter knows which it drives)."""

_REFUSED_WHY = (
    (re.compile(r"-(pre|post)(Render|Layer|Frame)$|--?python|^-P$|--addons|--app-template"
                r"|^-y$|--enable-autoexec"),
     "runs code"),
    (re.compile(r"--env-system|^-log$|--log-file"), "reaches outside the job"),
)  # fmt: skip


# --------------------------------------------------------------------------- checks


def maya_renderer_key(name: Any) -> str:
    """The maya adapter's renderer name for a spec's ``renderer.name`` (``file`` when unset)."""
    if not isinstance(name, str) or not name:
        return "file"
    return MAYA_RENDERER_ALIASES.get(name, name)


def allowed_options(adapter: str, renderer_name: Any = None) -> tuple[Option, ...]:
    """The options ``renderer.extra_args`` may hold for this adapter (and Maya renderer)."""
    if adapter == "blender":
        return BLENDER_OPTIONS
    if adapter == "maya":
        return MAYA_COMMON_OPTIONS + MAYA_RENDERER_OPTIONS.get(maya_renderer_key(renderer_name), ())
    return ()


def extra_args_problems(adapter: str, args: Any, renderer_name: Any = None) -> list[str]:
    """What is wrong with a ``renderer.extra_args`` list: its first problem, or nothing.

    The message starts with ``renderer.extra_args``; an empty list means the
    list is allowed.

    >>> extra_args_problems("blender", ["-t", "4", "--log-level", "2"])
    []
    >>> extra_args_problems("blender", ["--log-file", "/x"])[0].split(": ", 1)[1]
    '"--log-file" is not allowed for the blender adapter (reaches outside the job)'
    >>> extra_args_problems("maya", ["-pad", "x"], "arnold")
    ['renderer.extra_args[1]: the value of -pad "x" is not a whole number from 1 to 9']
    """
    if args is None:
        return []
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        return ["renderer.extra_args: must be a list of strings"]
    if len(args) > MAX_EXTRA_ARGS:
        return [f"renderer.extra_args: at most {MAX_EXTRA_ARGS} items, not {len(args)}"]
    options = {
        name: option for option in allowed_options(adapter, renderer_name) for name in option.names
    }
    adapter_sets = BLENDER_SET_BY_ADAPTER if adapter == "blender" else MAYA_SET_BY_ADAPTER
    # The first problem ends the check: after an unknown flag, what follows cannot be told
    # apart from that flag's values.
    i = 0
    while i < len(args):
        where = f"renderer.extra_args[{i}]"
        flag = args[i]
        option = options.get(flag)
        if option is None:
            return [f"{where}: {_refusal(flag, adapter, renderer_name, adapter_sets)}"]
        if option.value is not None:
            if i + 1 >= len(args):
                return [f"{where}: {flag} needs a value"]
            problem = _value_problem(option.value, args[i + 1])
            if problem:
                return [
                    f"renderer.extra_args[{i + 1}]: the value of {flag} "
                    f"{_quote(args[i + 1])} {problem}"
                ]
            i += 1
        i += 1
    return []


def _value_problem(value: Value, text: str) -> str | None:
    if len(text) > MAX_ARG_LENGTH or any(ord(c) < 32 or ord(c) == 127 for c in text):
        return "is too long or holds a control character"
    return value.problem(text)


def _quote(text: str) -> str:
    shown = text if len(text) <= 40 else text[:37] + "..."
    return '"' + shown.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _refusal(flag: str, adapter: str, renderer_name: Any, adapter_sets: Mapping) -> str:
    shown = _quote(flag)
    if flag in adapter_sets:
        return f"{shown} is not allowed in extra_args: {adapter_sets[flag]}"
    for pattern, why in _REFUSED_WHY:
        if pattern.search(flag):
            return f"{shown} is not allowed for the {adapter} adapter ({why})"
    if adapter not in ("blender", "maya"):
        return f"{shown}: the {adapter} adapter takes no extra_args"
    names = [o.names[-1] for o in allowed_options(adapter, renderer_name)]
    whom = f"the {adapter} adapter"
    if adapter == "maya":
        whom += f" with renderer {maya_renderer_key(renderer_name)}"
    return f"{shown} is not an option allowed for {whom} (allowed: {', '.join(names)})"


def renderer_problems(renderer: Any) -> list[str]:
    """Everything wrong with a ``renderer`` object's option values (blender and maya).

    Names and types are the schema's business; this checks what the values
    may be: ``extra_args`` against the allowlist, ``engine``, ``name`` and
    ``image_format`` against their shapes.
    """
    if not isinstance(renderer, Mapping):
        return []
    adapter = renderer.get("adapter")
    if adapter not in ("blender", "maya"):
        return []
    problems: list[str] = []
    if adapter == "blender":
        engine = renderer.get("engine")
        if isinstance(engine, str) and not BLENDER_ENGINE.fullmatch(engine):
            problems.append(
                f"renderer.engine: {_quote(engine)} is not a Blender engine name "
                "such as CYCLES or BLENDER_EEVEE"
            )
    else:
        name = renderer.get("name")
        if isinstance(name, str) and not MAYA_RENDERER_NAME.fullmatch(name):
            problems.append(f"renderer.name: {_quote(name)} is not a renderer name")
    image_format = renderer.get("image_format")
    if isinstance(image_format, str) and not MAYA_IMAGE_FORMAT.fullmatch(image_format):
        problems.append(f"renderer.image_format: {_quote(image_format)} is not a format name")
    problems += extra_args_problems(adapter, renderer.get("extra_args"), renderer.get("name"))
    return problems


def describe_options(options: Sequence[Option]) -> list[str]:
    """One Markdown table row per option (the docs' lists are checked against these)."""
    rows = []
    for option in options:
        value = option.value
        if value is None:
            shown = "—"
        elif value.kind == "bool":
            shown = "boolean"
        elif value.kind == "text":
            shown = value.describe
        else:
            shown = f"{value.kind} {_show(value.low)}..{_show(value.high)}"
        names = " ".join(f"`{n}`" for n in option.names)
        rows.append(f"| {names} | {shown} | {option.help} | {option.source} |")
    return rows
