"""`farmhand status JOB --tasks`: one line per task, fitted to the terminal (100 columns at least).

The rows come from `GET /jobs/{id}/tasks` (`FarmClient.tasks`): per task its frames,
layer, state, progress, number of attempts, and its last attempt's node, exit code and
message; a task that waits says why first (its `waiting_reason`).
"""

from __future__ import annotations

import shutil
from typing import Any

from farmhand.spec.plan import frames_label

MIN_WIDTH = 100
# (heading, width, right-aligned); the message takes what the terminal has left.
COLUMNS = (
    ("task", 7, True),
    ("frames", 12, False),
    ("layer", 14, False),
    ("state", 9, False),
    ("done", 4, True),
    ("tries", 5, True),
    ("node", 14, False),
    ("exit", 4, True),
)


def layer_name(spec: dict[str, Any] | None, index: int | None) -> str:
    """The display name of the task's layer group (`spec["layers"][index]`), or "".

    >>> layer_name({"layers": [{"name": "rs_bg", "display_name": "bg"}]}, 0)
    'bg'
    >>> layer_name({"layers": ["beauty"]}, 0), layer_name({}, 0), layer_name(None, None)
    ('beauty', '', '')
    """
    layers = (spec or {}).get("layers")
    if index is None or not isinstance(layers, list) or not 0 <= index < len(layers):
        return ""
    layer = layers[index]
    if isinstance(layer, dict):
        return str(layer.get("display_name") or layer.get("name") or "")
    return str(layer)


def task_progress(task: dict[str, Any]) -> float | None:
    """0..1: done is 1, a running task its last attempt's report; None when unknown."""
    if task.get("state") == "done":
        return 1.0
    attempts = task.get("attempts") or []
    if task.get("state") == "running" and attempts:
        return attempts[-1].get("progress")
    return None


def task_message(task: dict[str, Any]) -> str:
    """Its last attempt's message (what the render said), else the task's own reason.

    The task's reason (failed for good: out of retries, no node left, …) stands alone
    when no attempt said anything, e.g. a task no node could take.
    """
    attempts = task.get("attempts") or []
    last = attempts[-1].get("message") if attempts else ""
    return last or task.get("message") or ""


def row(task: dict[str, Any], spec: dict[str, Any] | None) -> dict[str, Any]:
    """The facts one line shows, as JSON data (what `--tasks --json` prints per task)."""
    attempts = task.get("attempts") or []
    last = attempts[-1] if attempts else {}
    return {
        "id": task["id"],
        "frames": task.get("frames") or [],
        "kind": task.get("kind"),
        "tile": task.get("tile"),
        "layer": task.get("layer"),
        "layer_name": layer_name(spec, task.get("layer")),
        "state": task.get("state"),
        "is_test": bool(task.get("is_test")),
        "progress": task_progress(task),
        "attempts": len(attempts),
        "node": last.get("worker") or (f"#{last['worker_id']}" if last.get("worker_id") else None),
        "exit_code": last.get("exit_code"),
        "message": task_message(task),
        "task_message": task.get("message"),
        "waiting_reason": task.get("waiting_reason"),
    }


def render(tasks: list[dict[str, Any]], spec: dict[str, Any] | None, width: int = 0) -> str:
    """The table: a heading, then one line per task, each at most `width` characters.

    The layer column is left out when no task has a layer (a job of the scene's layers).
    """
    width = width or max(shutil.get_terminal_size((MIN_WIDTH, 24)).columns, MIN_WIDTH)
    layered = any(t.get("layer") is not None for t in tasks)
    columns = [c for c in COLUMNS if layered or c[0] != "layer"]
    rest = max(width - sum(w + 1 for _, w, _ in columns), 10)
    lines = [_line(columns, [h for h, _, _ in columns] + ["message"], rest)]
    for task in tasks:
        r = row(task, spec)
        progress = r["progress"]
        cells = {
            "task": str(r["id"]),
            "frames": frames_label(task),
            "layer": r["layer_name"] or "-",
            "state": r["state"] + ("*" if r["is_test"] else ""),
            "done": "-" if progress is None else f"{100 * progress:.0f}%",
            "tries": str(r["attempts"]),
            "node": r["node"] or "-",
            "exit": "-" if r["exit_code"] is None else str(r["exit_code"]),
        }
        message = " ".join(r["message"].split())
        if r["waiting_reason"]:  # why it is not running now comes first; the last try after
            message = f"waiting: {r['waiting_reason']}" + (f"; last: {message}" if message else "")
        lines.append(_line(columns, [cells[h] for h, _, _ in columns] + [message], rest))
    if any(t.get("is_test") for t in tasks):
        lines.append("(* a test frame)")
    return "\n".join(lines)


def _line(columns: list[tuple[str, int, bool]], cells: list[str], rest: int) -> str:
    parts = []
    for (_, w, right), cell in zip(columns, cells, strict=False):
        cell = _fit(cell, w)
        parts.append(cell.rjust(w) if right else cell.ljust(w))
    parts.append(_fit(cells[-1], rest))
    return " ".join(parts).rstrip()


def _fit(text: str, width: int) -> str:
    """`text`, cut with an ellipsis to at most `width` characters."""
    return text if len(text) <= width else text[: width - 1] + "…"
