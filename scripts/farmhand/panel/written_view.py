"""The Scene section's "What will be written": per chosen layer, the files its first frame
writes (`plan_summary.written_files`), or the analysis' reason when it cannot say."""

from __future__ import annotations

import html

from farmhand.panel import theme
from farmhand.panel.plan_summary import LayerFiles
from farmhand.panel.qt import Qt, QtGui, QtWidgets


class FitText(QtWidgets.QTextEdit):
    """Read-only rich text as tall as its content at the current width, with no scroll bar.

    Long paths break anywhere when they do not fit, so a slim dock wraps them instead
    of cutting them; the text stays selectable and copies without break marks.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrapMode(QtGui.QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed
        )
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("QTextEdit { background: transparent; }")
        self.document().setDocumentMargin(0)
        self.document().documentLayout().documentSizeChanged.connect(lambda _size: self._fit())

    def _fit(self) -> None:
        margins = self.contentsMargins()
        height = int(self.document().size().height() + 0.99) + margins.top() + margins.bottom()
        if self.height() != height:
            self.setFixedHeight(height)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        """Qt: a new width may wrap the text to another height."""
        super().resizeEvent(event)
        self._fit()


class WrittenFiles(QtWidgets.QFrame):
    """A card listing, per layer, the paths of its first frame's files."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(4)
        layout.addWidget(theme.label("What will be written", "heading"))
        self.base = theme.label("", "muted", wrap=True)
        self.base.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.base)
        self.text = FitText()
        layout.addWidget(self.text)
        self.files: list[LayerFiles] = []

    def show_files(self, files: list[LayerFiles], base: str, problem: str = "") -> None:
        """Show these layers' files, named from `base` (the project or the scene's folder)."""
        self.files = files
        if problem:
            self.base.setText(problem)
        elif files:
            self.base.setText(f"The first frame of each layer, under {base}")
        else:
            self.base.setText("Tick a layer to see the files it writes.")
        blocks = []
        for layer in files:
            cameras = f"frame {layer.frame} of {layer.frames}" if layer.frame is not None else ""
            head = (
                f"<b>{html.escape(layer.layer)}</b>&nbsp;&nbsp;"
                f"<span style='color:{theme.MUTED}'>{html.escape(cameras)}</span>"
            )
            if layer.paths:
                body = "<br>".join(html.escape(p) for p in layer.paths)
                body = f"<span style='font-family:monospace'>{body}</span>"
            else:
                body = f"<span style='color:{theme.WARNING}'>{html.escape(layer.note)}</span>"
            blocks.append(f"<p style='margin:0 0 6px 0'>{head}<br>{body}</p>")
        self.text.setHtml("".join(blocks))
        self.text.setVisible(bool(blocks))

    def plain_text(self) -> str:
        """The listed layers and paths as plain text."""
        return self.text.toPlainText() if self.files else ""
