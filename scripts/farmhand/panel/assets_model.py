"""The Assets list as a Qt model: dependencies grouped by kind, and a filter over them.

`AssetsModel` is a two-level tree (kind → dependency) built once per
analysis; `AssetFilter` is a QSortFilterProxyModel that matches a search
text and a status against text prepared when the model is filled, so a
scene with thousands of files filters as fast as one types.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from farmhand.panel import theme
from farmhand.panel.qt import Qt, QtCore
from farmhand.scene import Analysis, Dependency

_ROOT = QtCore.QModelIndex()
"""The invisible root index (a default argument of the model methods)."""


COLUMNS = ("File", "Status", "Size", "Node", "Found at")
SORT_ROLE = Qt.ItemDataRole.UserRole + 10
KIND_ORDER = ("reference", "texture", "converted_texture", "image", "image_plane", "alembic",
              "gpu_cache", "cache", "xgen", "xgen_data", "standin", "volume", "usd", "yeti",
              "ies", "audio", "ocio")  # fmt: skip
KIND_NAMES = {"texture": "Textures", "converted_texture": "Converted textures (.tx)",
              "reference": "References", "alembic": "Alembic caches", "xgen": "XGen",
              "xgen_data": "XGen data", "gpu_cache": "GPU caches", "standin": "Stand-ins",
              "image": "Images", "volume": "Volumes", "ies": "IES profiles", "audio": "Audio",
              "image_plane": "Image planes", "cache": "Caches", "ocio": "Colour config (OCIO)",
              "usd": "USD", "yeti": "Yeti", "assembly": "Assemblies"}  # fmt: skip

# Status keys, their words and colours.
MISSING, OPTIONAL, IGNORED, REPATHED = "missing", "optional", "ignored", "repathed"
ELSEWHERE, OUTSIDE, SEQUENCE, FOUND = "elsewhere", "outside", "sequence", "found"
STATUS_COLOURS = {MISSING: theme.ERROR, OPTIONAL: theme.WARNING, IGNORED: theme.MUTED,
                  REPATHED: theme.NOTICE, ELSEWHERE: theme.WARNING, OUTSIDE: theme.NOTICE,
                  SEQUENCE: theme.OK, FOUND: theme.OK}  # fmt: skip
FILTERS = {
    "All files": None,
    "Needs attention": {MISSING, OPTIONAL, ELSEWHERE},
    "Missing": {MISSING, OPTIONAL},
    "Found": {FOUND, SEQUENCE, OUTSIDE, ELSEWHERE, REPATHED},
    "Outside the project": {OUTSIDE},
    "Sequences and UDIMs": {SEQUENCE},
    "Re-pathed": {REPATHED},
    "Ignored": {IGNORED},
}
"""Status filter names (as shown) and the statuses each lets through."""


@dataclass(slots=True)
class AssetRow:
    """One dependency as the list shows it."""

    dep: Dependency
    status: str
    status_text: str
    outside: bool
    haystack: str  # lower-case text the search matches


@dataclass(slots=True)
class KindGroup:
    """The dependencies of one kind."""

    kind: str
    rows: list[AssetRow]
    size: int
    problems: int


def classify(dep: Dependency, project: str | None, ignored: bool = False) -> tuple[str, str]:
    """(status key, words) for a dependency."""
    if ignored:
        return IGNORED, "ignored for this submission"
    if not dep.exists:
        return (OPTIONAL, "missing (optional)") if dep.optional else (MISSING, "missing")
    if dep.found_by == "repath":
        return REPATHED, "re-pathed"
    if dep.found_by == "search_path" or (
        dep.found_by in ("project", "scene_dir")
        and _absolute(dep.path)
        and dep.resolved
        and _norm(dep.resolved) != _norm(dep.path)
    ):
        return ELSEWHERE, "found elsewhere"
    if project and dep.resolved and not _inside(dep.resolved, project):
        return OUTSIDE, "outside the project"
    if dep.pattern:
        count = len(dep.files)
        tiled = "udim" in dep.path.lower() or "uvtile" in dep.path.lower()
        word = ("tile" if tiled else "file") + ("" if count == 1 else "s")
        return SEQUENCE, f"{'UDIM' if tiled else 'sequence'}, {count} {word}"
    return FOUND, "found"


def _norm(path: str) -> str:
    return path.replace("\\", "/").rstrip("/")


def _absolute(path: str) -> bool:
    p = _norm(path)
    return p.startswith("/") or (len(p) > 2 and p[1] == ":" and p[2] == "/")


def _inside(path: str, folder: str) -> bool:
    return _norm(path).startswith(_norm(folder) + "/")


def build_groups(analysis: Analysis | None, ignored: Iterable[Dependency] = ()) -> list[KindGroup]:
    """The dependencies of an analysis (and the ignored ones) grouped by kind, in a fixed order."""
    if analysis is None:
        return []
    by_kind: dict[str, list[AssetRow]] = {}
    entries = [(d, False) for d in analysis.asset] + [(d, True) for d in ignored]
    for dep, is_ignored in entries:
        status, words = classify(dep, analysis.project, is_ignored)
        outside = bool(
            analysis.project and dep.resolved and not _inside(dep.resolved, analysis.project)
        )
        haystack = " ".join(
            (dep.path, dep.resolved or "", dep.node, dep.attribute, dep.kind, words)
        ).lower()
        by_kind.setdefault(dep.kind, []).append(AssetRow(dep, status, words, outside, haystack))
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    groups = []
    for kind in sorted(by_kind, key=lambda k: (order.get(k, len(order)), k)):
        rows = sorted(by_kind[kind], key=lambda r: r.dep.path.lower())
        size = sum(r.dep.size or 0 for r in rows if r.dep.exists)
        problems = sum(r.status in (MISSING, OPTIONAL) for r in rows)
        groups.append(KindGroup(kind, rows, size, problems))
    return groups


class AssetsModel(QtCore.QAbstractItemModel):
    """Kinds at the top level, their dependencies below."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.groups: list[KindGroup] = []

    def set_groups(self, groups: list[KindGroup]) -> None:
        """Replace the contents."""
        self.beginResetModel()
        self.groups = groups
        self.endResetModel()

    def row_at(self, index: QtCore.QModelIndex) -> AssetRow | None:
        """The dependency row of an index (None for a kind row)."""
        if not index.isValid() or index.internalId() == 0:
            return None
        return self.groups[index.internalId() - 1].rows[index.row()]

    def total(self) -> int:
        """How many dependencies there are."""
        return sum(len(g.rows) for g in self.groups)

    # -- QAbstractItemModel ---------------------------------------------------------------------
    def index(
        self,
        row: int,
        column: int,
        parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex = _ROOT,
    ) -> QtCore.QModelIndex:
        """Qt: the index of a kind (top level) or of a dependency (under its kind)."""
        if row < 0 or not 0 <= column < len(COLUMNS):
            return QtCore.QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0) if row < len(self.groups) else _ROOT
        if parent.internalId() != 0 or row >= len(self.groups[parent.row()].rows):
            return QtCore.QModelIndex()
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index: QtCore.QModelIndex = _ROOT) -> QtCore.QModelIndex:  # type: ignore[override]
        """Qt: a dependency's kind row; nothing above a kind."""
        if not index.isValid() or index.internalId() == 0:
            return QtCore.QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex = _ROOT) -> int:
        """Qt: how many rows under `parent`."""
        if not parent.isValid():
            return len(self.groups)
        if parent.internalId() == 0 and parent.column() == 0:
            return len(self.groups[parent.row()].rows)
        return 0

    def columnCount(self, parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex = _ROOT) -> int:
        """Qt: the number of columns."""
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        """Qt: the column titles."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(
        self,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Qt: what a cell shows (text, colour, icon, tooltip, sort key)."""
        if not index.isValid():
            return None
        if index.internalId() == 0:
            return self._group_data(self.groups[index.row()], index.column(), role)
        row = self.groups[index.internalId() - 1].rows[index.row()]
        return self._row_data(row, index.column(), role)

    def _group_data(self, group: KindGroup, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"{KIND_NAMES.get(group.kind, group.kind)}  ({len(group.rows)})"
            if column == 1 and group.problems:
                return f"{group.problems} missing"
            if column == 2:
                return theme.human_size(group.size)
            return None
        if role == SORT_ROLE:
            if column == 0:
                return KIND_ORDER.index(group.kind) if group.kind in KIND_ORDER else 99
            return (group.kind, group.problems, group.size)[min(column, 2)]
        if role == Qt.ItemDataRole.FontRole and column == 0:
            font = QtCore.QCoreApplication.instance().font()  # type: ignore[union-attr]
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and column == 1 and group.problems:
            return theme.colour(theme.ERROR)
        return None

    def _row_data(self, row: AssetRow, column: int, role: int) -> Any:
        dep = row.dep
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return dep.path
            if column == 1:
                return row.status_text
            if column == 2:
                return theme.human_size(dep.size) if dep.exists else "—"
            if column == 3:
                return dep.plug
            if column == 4:
                return dep.resolved or ""
        elif role == SORT_ROLE:
            if column == 2:
                return dep.size or 0
            return str(self._row_data(row, column, Qt.ItemDataRole.DisplayRole) or "").lower()
        elif role == Qt.ItemDataRole.DecorationRole and column == 1:
            return theme.dot_icon(STATUS_COLOURS[row.status])
        elif role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return theme.colour(STATUS_COLOURS[row.status])
        elif role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row)
        elif role == Qt.ItemDataRole.TextAlignmentRole and column == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _tooltip(row: AssetRow) -> str:
    dep = row.dep
    lines = [f"{dep.plug} ({dep.kind})", f"written: {dep.path}"]
    if dep.resolved:
        lines.append(f"found: {dep.resolved} ({dep.found_by})")
    if dep.pattern:
        lines.append(f"{len(dep.files)} file(s) match the pattern")
    lines.append(f"status: {row.status_text}")
    return "\n".join(lines)


class AssetFilter(QtCore.QSortFilterProxyModel):
    """Shows the dependencies whose status and text match; kinds with none are hidden."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._statuses: set[str] | None = None
        self._kind = ""
        self.setRecursiveFilteringEnabled(True)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)

    def set_filter(
        self, text: str | None = None, statuses: set[str] | str | None = "", kind: str | None = None
    ) -> None:
        """Change the search text, the statuses let through (None: all) or the kind ("": all)."""
        # Qt 6.9 replaced invalidateFilter() by begin/endFilterChange(); Maya 2025 has 6.5.
        modern = hasattr(self, "beginFilterChange")
        if modern:
            self.beginFilterChange()
        if text is not None:
            self._text = text.strip().lower()
        if statuses != "":
            self._statuses = statuses  # type: ignore[assignment]
        if kind is not None:
            self._kind = kind
        if modern:
            self.endFilterChange(QtCore.QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateRowsFilter()

    def filterAcceptsRow(
        self, source_row: int, source_parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex
    ) -> bool:
        """Qt: whether a dependency row passes the search, status and kind."""
        if not source_parent.isValid():
            return False  # a kind row shows when one of its dependencies does
        model: AssetsModel = self.sourceModel()  # type: ignore[assignment]
        group = model.groups[source_parent.row()]
        if self._kind and group.kind != self._kind:
            return False
        row = group.rows[source_row]
        statuses = self._statuses
        outside = statuses is not None and OUTSIDE in statuses and row.outside
        if statuses is not None and row.status not in statuses and not outside:
            return False
        return not self._text or all(word in row.haystack for word in self._text.split())
