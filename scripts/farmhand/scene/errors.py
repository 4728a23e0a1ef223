"""Errors raised when a scene file cannot be read."""

from __future__ import annotations


class SceneError(Exception):
    """A scene file that cannot be analysed; the message says why and where."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class SceneParseError(SceneError):
    """A malformed or truncated Maya ASCII file: names the line and what was expected."""

    def __init__(self, path: str | None, line: int, expected: str, found: str = "") -> None:
        where = f"{path}:{line}" if path else f"line {line}"
        detail = f"expected {expected}" + (f", found {found}" if found else "")
        super().__init__(f"{where}: {detail}", path)
        self.line = line
        self.expected = expected
        self.found = found


class BinarySceneError(SceneError):
    """A Maya binary (`.mb`) file, which only Maya itself can read."""

    def __init__(self, path: str | None, maya_version: str | None) -> None:
        version = f" saved by Maya {maya_version}" if maya_version else ""
        super().__init__(
            f"{path}: this is a Maya binary (.mb) file{version}; Farmhand analyses Maya ASCII "
            "without Maya — save the scene as .ma (File > Save As > Maya ASCII) or analyse it "
            "inside Maya with the Farmhand panel",
            path,
        )
        self.maya_version = maya_version
