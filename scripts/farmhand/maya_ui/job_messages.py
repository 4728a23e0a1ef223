"""A job's news in Maya's viewport: `cmds.inViewMessage` for a `job_watch.Notice`.

The panel connects its `JobWatch.notice` here when its host is Maya (`panel.window`);
nothing else in Farmhand calls Maya for notifications. Main thread only (Qt delivers
the signal there).
"""

from __future__ import annotations

from html import escape
from typing import Any

COLOURS = {"completed": "#4cc38a", "failed": "#f2545b", "awaiting_approval": "#f0b429"}
STAY_MS = 5000


def message(notice: Any) -> str:
    """The rich text Maya shows: the state's colour, the job escaped.

    >>> class N: state, text = "failed", "Job #3 <sh010> failed"
    >>> message(N())
    'Farmhand: <span style="color:#f2545b;">Job #3 &lt;sh010&gt; failed</span>'
    """
    colour = COLOURS.get(notice.state, "#dddddd")
    return f'Farmhand: <span style="color:{colour};">{escape(notice.text)}</span>'


def show(notice: Any) -> None:
    """Show the notice in the viewport for a few seconds, fading out."""
    from maya import cmds

    cmds.inViewMessage(
        assistMessage=message(notice), position="topCenter", fade=True, fadeStayTime=STAY_MS
    )
