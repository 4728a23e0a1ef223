"""Frame expressions: parse, format canonically, cut into chunks, pick test frames.

A frame expression is a comma-separated list of parts; whitespace around parts
is ignored. Frames are whole numbers and may be negative.

==================  =========================================================
part                frames
==================  =========================================================
``7``, ``-3``       that one frame
``1-5``             1, 2, 3, 4, 5
``10-1``            10, 9, …, 1 (a descending range; the result is sorted)
``-5--1``           -5, -4, -3, -2, -1
``1-10[3]``         1, 4, 7, 10 (Renderbus/Maya step; the end is kept only
                    when the step lands on it)
``1-10x3``          the same, in Nuke/Deadline style
==================  =========================================================

:func:`parse_frames` returns a sorted list without duplicates.
:func:`format_frames` writes the *canonical* expression of a set of frames:

* frames are sorted and de-duplicated, then read left to right; at each frame
  the run continues while the gap to the next frame stays the same;
* a run with gap 1 (two frames or more) is written ``a-b``;
* a run of three frames or more with gap ``s > 1`` is written ``a-b[s]``;
* anything else is a single frame ``a``, and the next run starts at the frame
  after it;
* parts are joined with ``,`` and no spaces.

So ``format_frames([1, 3, 5, 6, 7]) == "1-5[2],6-7"`` and
``parse_frames(format_frames(x)) == sorted(set(x))`` for every list of ints.
The same runs, cut every ``frames_per_task`` frames, are the :func:`chunks`
a job is split into, so that every chunk is one renderer call
(``Render -s a -e b -b s``, ``blender -s a -e b -j s``).

Renderbus writes its test-frame choice as ``pre_frames`` (``"000:1,3-4[1]"``,
``"100"``): :func:`parse_pre_frames` reads it.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MAX_FRAMES = 1_000_000
"""The most frames one expression may expand to (protects the server from ``0-999999999``)."""

MAX_FRAME_NUMBER = 999_999_999
"""The largest frame number (in absolute value): frames fit a 32-bit database column."""

_PART = re.compile(
    r"""
    (?P<start>-?\d+)
    (?:
        \s*-\s*(?P<end>-?\d+)
        (?:\s*(?:\[\s*(?P<bracket>\d+)\s*\]|[xX]\s*(?P<x>\d+)))?
    )?
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Range:
    """One parsed part: ``start`` to ``end`` (either direction) every ``step`` frames."""

    start: int
    end: int
    step: int

    def __len__(self) -> int:
        return abs(self.end - self.start) // self.step + 1

    def frames(self) -> range:
        """The frames of this part, in the order written."""
        direction = 1 if self.end >= self.start else -1
        return range(self.start, self.end + direction, self.step * direction)


def _parse_part(part: str) -> _Range:
    """Parse one comma-separated part; raise ValueError naming it when it is not valid."""
    text = part.strip()
    if not text:
        raise ValueError("empty part (two commas in a row, or a comma at an end)")
    match = _PART.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a frame, a range a-b or a stepped range a-b[s] / a-bxs")
    start = _frame_number(match["start"], text)
    if match["end"] is None:
        return _Range(start, start, 1)
    step_text = match["bracket"] or match["x"]
    step = _frame_number(step_text, text) if step_text is not None else 1
    if step < 1:
        raise ValueError(f"{text!r}: the step must be 1 or more")
    return _Range(start, _frame_number(match["end"], text), step)


def _frame_number(digits: str, part: str) -> int:
    """Read a frame number or step of ``part``, refusing ones beyond MAX_FRAME_NUMBER."""
    if len(digits.lstrip("-").lstrip("0")) > len(str(MAX_FRAME_NUMBER)):
        number = MAX_FRAME_NUMBER + 1  # too long to convert safely; it is out of range anyway
    else:
        number = int(digits)
    if abs(number) > MAX_FRAME_NUMBER:
        raise ValueError(
            f"{part!r}: frame numbers must lie within -{MAX_FRAME_NUMBER}..{MAX_FRAME_NUMBER}"
        )
    return number


def parse_frames(expression: str, *, limit: int = MAX_FRAMES) -> list[int]:
    """Parse a frame expression into a sorted list of frames without duplicates.

    Raises ValueError naming the bad part, or when the expression expands to
    more than ``limit`` frames (counted before duplicates are removed).

    >>> parse_frames("1-10[3], 20, 25-23")
    [1, 4, 7, 10, 20, 23, 24, 25]
    >>> parse_frames("-2--4,1-5x2")
    [-4, -3, -2, 1, 3, 5]
    >>> parse_frames("1-3[1]")
    [1, 2, 3]
    >>> parse_frames("1-10,1-a")
    Traceback (most recent call last):
    ...
    ValueError: '1-a' is not a frame, a range a-b or a stepped range a-b[s] / a-bxs (in '1-10,1-a')
    """
    if not isinstance(expression, str):
        raise ValueError(f"a frame expression must be a string, not {type(expression).__name__}")
    if not expression.strip():
        raise ValueError("the frame expression is empty")
    ranges: list[_Range] = []
    total = 0
    for part in expression.split(","):
        try:
            parsed = _parse_part(part)
        except ValueError as error:
            raise ValueError(_in_expression(str(error), part, expression)) from None
        total += len(parsed)
        if total > limit:
            message = f"more than {limit} frames (the limit) at {part.strip()!r}"
            raise ValueError(_in_expression(message, part, expression))
        ranges.append(parsed)
    spans = sorted(ranges, key=lambda r: min(r.start, r.end))
    if all(max(a.start, a.end) < min(b.start, b.end) for a, b in itertools.pairwise(spans)):
        # Parts that do not overlap: their frames in order, without a set of a million ints
        # and its sort (long calls that hold the interpreter in a server thread).
        ordered: list[int] = []
        for parsed in spans:
            ordered.extend(parsed.frames()[:: 1 if parsed.end >= parsed.start else -1])
        return ordered
    frames: set[int] = set()
    for parsed in ranges:
        frames.update(parsed.frames())
    return sorted(frames)


def _sorted_unique(frames: Iterable[int]) -> list[int]:
    """The frames sorted without duplicates; a list that already is comes back as it is."""
    if isinstance(frames, list) and all(
        map(operator.lt, frames, itertools.islice(frames, 1, None))
    ):
        return frames
    return sorted(set(frames))


def _in_expression(message: str, part: str, expression: str) -> str:
    """Add the whole expression to a message about one of its parts, unless they are the same."""
    return message if part.strip() == expression.strip() else f"{message} (in {expression!r})"


def _runs(frames: Sequence[int]) -> list[tuple[int, int, int]]:
    """Split sorted unique frames into canonical runs ``(start, end, step)``; see the module doc."""
    runs: list[tuple[int, int, int]] = []
    i, n = 0, len(frames)
    while i < n:
        if i + 1 == n:
            runs.append((frames[i], frames[i], 1))
            break
        step = frames[i + 1] - frames[i]
        j = i + 1
        while j + 1 < n and frames[j + 1] - frames[j] == step:
            j += 1
        if step == 1 or j - i >= 2:
            runs.append((frames[i], frames[j], step))
            i = j + 1
        else:
            runs.append((frames[i], frames[i], 1))
            i += 1
    return runs


def _format_run(start: int, end: int, step: int) -> str:
    if start == end:
        return str(start)
    if step == 1:
        return f"{start}-{end}"
    return f"{start}-{end}[{step}]"


def format_frames(frames: Iterable[int]) -> str:
    """The canonical expression for some frames (sorted and de-duplicated first).

    >>> format_frames([1, 3, 5, 6, 7])
    '1-5[2],6-7'
    >>> format_frames([5, 1, 2, 3, 10, 20])
    '1-3,5,10,20'
    >>> format_frames([-5, -4, -3, 0, 10, 20, 30])
    '-5--3,0-30[10]'
    >>> format_frames([])
    ''
    """
    unique = sorted(set(frames))
    return ",".join(_format_run(*run) for run in _runs(unique))


@dataclass(frozen=True)
class Chunk:
    """Frames ``start`` to ``end`` every ``step``: what one task renders in one renderer call."""

    start: int
    end: int
    step: int = 1

    @property
    def frames(self) -> list[int]:
        """The frames of the chunk, ascending."""
        return list(range(self.start, self.end + 1, self.step))

    def __len__(self) -> int:
        return (self.end - self.start) // self.step + 1

    @property
    def expression(self) -> str:
        """The chunk as a canonical frame expression.

        >>> Chunk(1, 9, 2).expression, Chunk(4, 5).expression, Chunk(7, 7).expression
        ('1-9[2]', '4-5', '7')
        """
        if len(self) == 2:
            return format_frames(self.frames)
        return _format_run(self.start, self.end, self.step)


def chunks(frames: Iterable[int], frames_per_task: int) -> list[Chunk]:
    """Cut frames into the chunks a job's tasks render, in frame order.

    The frames are sorted and de-duplicated, split into the runs of their
    canonical expression (see the module doc), and each run is cut every
    ``frames_per_task`` frames. So a chunk never mixes steps or jumps a gap:
    it is always ``start-end[step]``, one call of the renderer. A lone frame
    between runs is a chunk of its own even when ``frames_per_task`` is larger
    (and so are two frames with a gap larger than 1, as in ``"1,5"``).

    >>> [c.expression for c in chunks(parse_frames("1-7,20,30-38[2]"), 3)]
    ['1-3', '4-6', '7', '20', '30-34[2]', '36,38']
    """
    if frames_per_task < 1:
        raise ValueError(f"frames_per_task must be 1 or more, not {frames_per_task}")
    result: list[Chunk] = []
    for start, end, step in _runs(_sorted_unique(frames)):
        span = step * frames_per_task
        for first in range(start, end + 1, span):
            last = min(first + span - step, end)
            result.append(Chunk(first, last, step if last > first else 1))
    return result


def test_frames(
    frames: Sequence[int],
    *,
    first: bool = False,
    middle: bool = False,
    last: bool = False,
    custom: Iterable[int] = (),
) -> list[int]:
    """The test frames of a job, in the order they are dispatched.

    ``frames`` are the job's frames (sorted and de-duplicated here); the
    order is first, middle, last, then the custom frames as given, each
    frame once. The middle frame is ``frames[len(frames) // 2]``. A custom
    frame that is not one of the job's frames is a ValueError.

    >>> test_frames(range(1, 101), first=True, middle=True, last=True, custom=[50, 7])
    [1, 51, 100, 50, 7]
    >>> test_frames([1, 2, 3], last=True, custom=[3])
    [3]
    """
    ordered = _sorted_unique(list(frames))
    custom = list(custom)
    chosen: list[int] = []
    picks = ((first, 0), (middle, len(ordered) // 2), (last, -1))
    if ordered:
        chosen.extend(ordered[index] for wanted, index in picks if wanted)
    elif first or middle or last:
        raise ValueError("test frames were asked for, but the job has no frames")
    members = set(ordered) if custom else set()
    for frame in custom:
        if frame not in members:
            raise ValueError(f"test frame {frame} is not one of the job's frames")
        chosen.append(frame)
    return list(dict.fromkeys(chosen))


test_frames.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported


@dataclass(frozen=True)
class TestFrameChoice:
    """Which test frames a job asked for: the JobSpec's ``test_frames`` object."""

    __test__ = False  # not a pytest test class when imported into a test module

    first: bool = False
    middle: bool = False
    last: bool = False
    custom: tuple[int, ...] = field(default_factory=tuple)

    @classmethod
    def from_dict(cls, data: dict) -> TestFrameChoice:
        """Read a JobSpec ``test_frames`` object (missing keys are false / empty)."""
        return cls(
            first=bool(data.get("first", False)),
            middle=bool(data.get("middle", False)),
            last=bool(data.get("last", False)),
            custom=tuple(data.get("custom", ())),
        )

    def to_dict(self) -> dict:
        """The JobSpec ``test_frames`` object."""
        return {
            "first": self.first,
            "middle": self.middle,
            "last": self.last,
            "custom": list(self.custom),
        }

    def frames(self, job_frames: Sequence[int]) -> list[int]:
        """The dispatch order of these test frames in a job; see :func:`test_frames`."""
        return test_frames(
            job_frames, first=self.first, middle=self.middle, last=self.last, custom=self.custom
        )

    def __bool__(self) -> bool:
        return self.first or self.middle or self.last or bool(self.custom)


_PRE_FRAMES = re.compile(r"(?P<flags>[01]{3})(?::(?P<custom>.*))?", re.DOTALL)


def parse_pre_frames(text: str) -> TestFrameChoice:
    """Read Renderbus's ``pre_frames``: three 0/1 flags (first, middle, last), then ``:list``.

    >>> parse_pre_frames("100")
    TestFrameChoice(first=True, middle=False, last=False, custom=())
    >>> parse_pre_frames("011:1,3-4[1]").to_dict()
    {'first': False, 'middle': True, 'last': True, 'custom': [1, 3, 4]}
    >>> parse_pre_frames("000:")
    TestFrameChoice(first=False, middle=False, last=False, custom=())
    """
    match = _PRE_FRAMES.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"pre_frames {text!r}: expected three 0/1 flags (first, middle, last), "
            "optionally followed by ':' and a frame list, e.g. '100' or '000:1,3-4[1]'"
        )
    flags = [c == "1" for c in match["flags"]]
    custom_text = (match["custom"] or "").strip()
    try:
        custom = tuple(parse_frames(custom_text)) if custom_text else ()
    except ValueError as error:
        raise ValueError(f"pre_frames {text!r}: {error}") from None
    return TestFrameChoice(flags[0], flags[1], flags[2], custom)


def format_pre_frames(choice: TestFrameChoice) -> str:
    """Write a choice back in Renderbus's ``pre_frames`` form.

    >>> format_pre_frames(TestFrameChoice(first=True, custom=(1, 3, 4)))
    '100:1,3-4'
    """
    flags = "".join("1" if flag else "0" for flag in (choice.first, choice.middle, choice.last))
    return f"{flags}:{format_frames(choice.custom)}" if choice.custom else flags
