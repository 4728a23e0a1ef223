"""`farmhand panel SCENE.ma`: the Maya panel outside Maya, on a `.ma` file.

Qt is imported only when the command runs, so `farmhand analyze` and the
other subcommands start without it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `panel` subcommand."""
    p = sub.add_parser("panel", help="open the submission panel on a .ma scene (no Maya needed)")
    p.add_argument("scene", help="a Maya ASCII scene")
    p.add_argument("--project", help="Maya project folder (default: found from workspace.mel)")
    p.add_argument(
        "--search-path", action="append", default=[], help="where moved files may be (repeatable)"
    )
    p.add_argument(
        "--section",
        default=None,
        choices=("scene", "assets", "checks", "job", "submit", "jobs", "presets"),
        help="section to open on",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Open the panel in a window; returns when it is closed."""
    scene = Path(args.scene)
    if not scene.is_file():
        print(f"farmhand panel: {scene}: no such file", file=sys.stderr)
        return 2
    if scene.suffix.lower() != ".ma":
        print(
            f"farmhand panel: {scene}: only Maya ASCII (.ma) scenes open outside Maya",
            file=sys.stderr,
        )
        return 2
    try:
        from farmhand.panel import OfflineHost, create_panel
        from farmhand.panel.qt import QtWidgets
        from farmhand.panel.theme import apply_dark_palette
    except ImportError as exc:
        print(
            f"farmhand panel needs PySide6 (pip install 'farmhand[panel]'): {exc}", file=sys.stderr
        )
        return 2
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    assert isinstance(app, QtWidgets.QApplication)  # a widget application (none existed here)
    apply_dark_palette(app)
    host = OfflineHost(scene, args.project)
    panel = create_panel(host)
    if args.search_path:
        given = [str(Path(p).absolute()) for p in args.search_path]
        paths = list(dict.fromkeys([*panel.state.choices.search_paths, *given]))
        panel.state.update(search_paths=paths)
    if args.section:
        panel.show_section(args.section)
    panel.resize(1100, 760)
    panel.show()
    return int(app.exec())
