"""Farmhand's drag-and-drop installer: drop this file onto Maya's viewport.

Maya runs `onMayaDroppedPythonFile`, which installs this copy of Farmhand for
the current user:

1. writes `<userAppDir>/modules/farmhand.mod` pointing at this copy (the
   module root is the folder above `maya_module/`), so later sessions put
   `scripts/`, `plug-ins/` and `icons/` on Maya's paths;
2. installs requests, xxhash and jsonschema for Maya's own Python with
   `mayapy -m pip install --target <root>/vendor/<maya>-<platform>` (the
   `.mod` adds that folder to PYTHONPATH for later sessions);
3. makes this session see the module at once (sys.path, plug-in and icon paths);
4. loads the plug-in, sets it to load at every start and saves that at once
   (`pluginInfo -savePluginPrefs`: Maya itself saves it only on a clean exit).

The steps are plain functions of paths, so they can be scripted (and tested)
without Maya; only `onMayaDroppedPythonFile` and `load_plugin` talk to Maya.
"""

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

MODULE_NAME = "farmhand"
MODULE_VERSION = "0.1.0"
MAYA_VERSIONS = ("2025", "2026")
PLATFORMS = ("win64", "linux", "mac")
REQUIREMENTS = ("requests>=2.31", "xxhash>=3.4", "jsonschema>=4.21", "google-re2>=1.1")
PLUGIN = "farmhand_plugin"
MOD_FILE = "farmhand.mod"

Pip = Callable[[Sequence[str]], None]
"""Runs a pip command line (an argv list); raises InstallError when it fails."""


class InstallError(RuntimeError):
    """The installation cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class InstallResult:
    """What an installation did."""

    mod_file: Path
    vendor: Path
    pip_argv: list[str]
    plugin: str


def module_root() -> Path:
    """The Farmhand module this installer belongs to (the folder holding `maya_module/`)."""
    return Path(__file__).absolute().parent.parent


def platform_tag(sys_platform: str = sys.platform) -> str:
    """The `.mod` PLATFORM name of this machine: `win64`, `linux` or `mac`.

    >>> platform_tag("win32"), platform_tag("linux"), platform_tag("darwin")
    ('win64', 'linux', 'mac')
    """
    if sys_platform.startswith("win"):
        return "win64"
    if sys_platform == "darwin":
        return "mac"
    if sys_platform.startswith("linux"):
        return "linux"
    raise InstallError(f"Maya does not run on {sys_platform}")


def maya_major(version: str) -> str:
    """`2025` from what `about -version` says (`2025`, `2025.3`); InstallError if unsupported.

    >>> maya_major("2026.1")
    '2026'
    """
    major = version.strip()[:4]
    if major not in MAYA_VERSIONS:
        raise InstallError(
            f"Farmhand supports Maya {' and '.join(MAYA_VERSIONS)}; this is Maya {version}"
        )
    return major


def vendor_folder(maya_version: str, platform: str) -> str:
    """The module-relative folder of the packages for one Maya version and platform.

    >>> vendor_folder("2025", "linux")
    'vendor/2025-linux'
    """
    return f"vendor/{maya_version}-{platform}"


def mod_text(module_path: str) -> str:
    """The `.mod` file: one block per supported Maya version and platform.

    `module_path` is the module root, absolute or relative to the `.mod` file.
    Maya adds the root's `scripts/`, `plug-ins/` and `icons/` by itself; each
    block adds its vendored packages to PYTHONPATH.

    >>> print(mod_text("../..").splitlines()[0])
    + MAYAVERSION:2025 PLATFORM:win64 farmhand 0.1.0 ../..
    """
    blocks = []
    for version in MAYA_VERSIONS:
        for platform in PLATFORMS:
            blocks.append(
                f"+ MAYAVERSION:{version} PLATFORM:{platform} "
                f"{MODULE_NAME} {MODULE_VERSION} {module_path}\n"
                f"PYTHONPATH+:={vendor_folder(version, platform)}\n"
            )
    return "\n".join(blocks)


def write_mod(user_app_dir: Path, root: Path) -> Path:
    """Write `<user_app_dir>/modules/farmhand.mod` pointing at `root` (absolute)."""
    if not (root / "plug-ins" / f"{PLUGIN}.py").is_file():
        raise InstallError(f"{root} is not a Farmhand module (no plug-ins/{PLUGIN}.py)")
    modules = user_app_dir / "modules"
    modules.mkdir(parents=True, exist_ok=True)
    target = modules / MOD_FILE
    target.write_text(mod_text(root.resolve().as_posix()), encoding="utf-8")
    return target


def find_mayapy(executable: Path) -> Path:
    """Maya's Python interpreter, found beside the running Maya (`sys.executable`)."""
    names = ("mayapy.exe", "mayapy")
    if executable.name in names:
        return executable
    folders = [executable.parent, executable.parent.parent / "bin"]  # bin/maya; Maya.app/Contents
    for folder in folders:
        for name in names:
            if (folder / name).is_file():
                return folder / name
    raise InstallError(f"mayapy was not found beside {executable}")


def pip_argv(mayapy: Path, target: Path) -> list[str]:
    """The pip command line that installs Farmhand's packages into `target` for Maya's Python."""
    return [
        str(mayapy), "-m", "pip", "install", "--upgrade", "--no-input",
        "--disable-pip-version-check", "--target", str(target), *REQUIREMENTS,
    ]  # fmt: skip


def run_pip(argv: Sequence[str]) -> None:
    """Run pip (an argv list, no shell); InstallError with pip's last words when it fails."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    except OSError as exc:
        raise InstallError(f"cannot run {argv[0]}: {exc}") from exc
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
        raise InstallError(
            f"pip failed (exit {done.returncode}); if Maya's Python has no pip, run "
            f"`{argv[0]} -m ensurepip` first.\n{tail}"
        )


def activate(root: Path, vendor: Path) -> None:
    """Let this session use the module now, as the `.mod` will at the next start."""
    for folder in (vendor, root / "scripts"):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    for variable, folder in (("MAYA_PLUG_IN_PATH", "plug-ins"), ("XBMLANGPATH", "icons")):
        entries = [e for e in os.environ.get(variable, "").split(os.pathsep) if e]
        if str(root / folder) not in entries:
            os.environ[variable] = os.pathsep.join([*entries, str(root / folder)])


def load_plugin(root: Path) -> str:
    """Load the plug-in (unless it is loaded) and set it to load at every start."""
    from maya import cmds

    if not cmds.pluginInfo(PLUGIN, query=True, loaded=True):
        cmds.loadPlugin(str(root / "plug-ins" / f"{PLUGIN}.py"))
    cmds.pluginInfo(PLUGIN, edit=True, autoload=True)
    # Maya writes pluginPrefs.mel only on a clean exit; save now so a crash keeps the tick.
    cmds.pluginInfo(savePluginPrefs=True)
    return PLUGIN


def install(
    root: Path,
    user_app_dir: Path,
    maya_version: str,
    platform: str,
    mayapy: Path,
    pip: Pip = run_pip,
) -> InstallResult:
    """Every step for one user: the `.mod`, the packages, this session, the plug-in."""
    mod_file = write_mod(user_app_dir, root)
    vendor = root / vendor_folder(maya_version, platform)
    vendor.mkdir(parents=True, exist_ok=True)
    argv = pip_argv(mayapy, vendor)
    pip(argv)
    activate(root, vendor)
    plugin = load_plugin(root)
    return InstallResult(mod_file, vendor, argv, plugin)


def onMayaDroppedPythonFile(*args: object, **kwargs: object) -> InstallResult:
    """Maya calls this when the file is dropped on the viewport: install, then say so."""
    from maya import cmds

    try:
        result = install(
            root=module_root(),
            user_app_dir=Path(cmds.internalVar(userAppDir=True)),
            maya_version=maya_major(cmds.about(version=True)),
            platform=platform_tag(),
            mayapy=find_mayapy(Path(sys.executable)),
        )
    except Exception as exc:
        cmds.confirmDialog(
            title="Farmhand",
            message=f"Farmhand could not be installed:\n{exc}",
            button=["OK"],
            icon="critical",
        )
        raise
    cmds.confirmDialog(
        title="Farmhand",
        message=(
            f"Farmhand is installed and loaded.\nModule file: {result.mod_file}\n"
            "Open it from the Farmhand shelf or the Farmhand menu."
        ),
        button=["OK"],
    )
    return result
