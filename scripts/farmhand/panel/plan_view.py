"""The Job section's plan: each layer group with its task count, frames, renderer, size
and cameras (by the shared planner, `plan_summary.layer_plans`), the total, and whether an
online render node can serve the job's software (`farmhand.submit.farm_check`, asked in the
background when the panel is logged in)."""

from __future__ import annotations

import html
import json
from typing import Any

from farmhand.panel import theme
from farmhand.panel.plan_summary import LayerPlan, layer_plans
from farmhand.panel.qt import Qt, QtWidgets
from farmhand.panel.state import PanelState
from farmhand.panel.written_view import FitText
from farmhand.submit.farm_check import software_warning

PLAN_HEIGHT = 200  # beyond this the layer list scrolls


class PlanView(QtWidgets.QFrame):
    """A card: "Plan", the total, one entry per layer group, the farm's software warning."""

    def __init__(self, state: PanelState, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setProperty("role", "card")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.setSpacing(4)
        head = QtWidgets.QHBoxLayout()
        head.addWidget(theme.label("Plan", "heading"))
        self.total = theme.label("", "muted", wrap=True)
        self.total.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(self.total, 1)
        layout.addLayout(head)
        self.text = FitText()
        self.scroller = QtWidgets.QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroller.setMaximumHeight(PLAN_HEIGHT)
        self.scroller.setWidget(self.text)
        self.scroller.viewport().setAutoFillBackground(False)
        self.text.document().documentLayout().documentSizeChanged.connect(
            lambda size: self.scroller.setFixedHeight(min(PLAN_HEIGHT, int(size.height()) + 2))
        )
        layout.addWidget(self.scroller)
        self.warning = theme.label("", "warning", wrap=True)
        self.warning.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning.hide()
        layout.addWidget(self.warning)
        self.rows: list[LayerPlan] = []
        self._asked: tuple[str, str, str] | None = None  # (server, token, software) last asked

    def show_plan(self, spec: dict[str, Any], frames: int, tasks: int) -> None:
        """Show the plan of this spec (its totals as the preview counted them)."""
        try:
            self.rows = layer_plans(spec) if spec else []
        except (ValueError, TypeError, KeyError):
            self.rows = []  # the preview's problems say why
        if not self.rows or not tasks:
            self.total.setText("no tasks until the problems below are fixed")
        else:
            layers = len(self.rows)
            self.total.setText(
                f"{_count(tasks, 'task')} · {_count(frames, 'frame')} · {_count(layers, 'layer')}"
            )
        blocks = []
        for row in self.rows:
            cameras = ", ".join(row.cameras) or "no camera"
            if row.picked:
                cameras += " (picked)"
            facts = " · ".join([row.renderer, f"frames {row.frames}", row.size, cameras])
            blocks.append(
                f"<p style='margin:0 0 5px 0'><b>{html.escape(row.name)}</b>&nbsp;&nbsp;"
                f"{_count(row.tasks, 'task')}<br>"
                f"<span style='color:{theme.MUTED}'>{html.escape(facts)}</span></p>"
            )
        self.text.setHtml("".join(blocks))
        self.scroller.setVisible(bool(blocks))
        self.check_software(spec)

    def plain_text(self) -> str:
        """The layer entries as plain text."""
        return self.text.toPlainText()

    # -- the farm's software ----------------------------------------------------------------
    def check_software(self, spec: dict[str, Any], again: bool = False) -> None:
        """Ask the farm (in the background) whether an online node has the job's software;
        only when the login or the software changed, or `again`."""
        login = self.state.login
        if not login.usable or not spec.get("software"):
            self._asked = None
            self.set_warning(None)
            return
        key = (login.server, login.token, json.dumps(spec["software"], sort_keys=True))
        if key == self._asked and not again:
            return
        self._asked = key
        self.state.background.run(
            software_warning,
            login.client(),
            spec,
            on_done=lambda warning: self._answer(key, warning),
            on_error=lambda _exc: self._answer(key, None),
        )

    def _answer(self, key: tuple[str, str, str], warning: str | None) -> None:
        if key == self._asked:  # not an answer about software changed since
            self.set_warning(warning)

    def set_warning(self, warning: str | None) -> None:
        """Show the farm's warning about the job's software (None: hide it)."""
        self.warning.setText(f"⚠ {warning}" if warning else "")
        self.warning.setVisible(bool(warning))


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'s' * (n != 1)}"
