"""The drag-and-drop installer and the module file.

pip never runs for real here: the unit tests pass a recorder for the pip
step, and the drop test runs a stand-in `mayapy` executable (a script that
records its argv and fills the target folder) through the real subprocess
path.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest
from maya_session import REPO, maya_stub_fixture  # noqa: F401 - the maya_stub fixture

SCENES = REPO / "tests" / "scenes"


def import_installer(path: Path, monkeypatch: pytest.MonkeyPatch):
    """An `install.py` imported as Maya imports a dropped file (sys state restored after)."""
    spec = importlib.util.spec_from_file_location("farmhand_dropped_install", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def installer(monkeypatch):
    """This checkout's installer; sys.path and the Maya path variables are restored after."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    for variable in ("MAYA_PLUG_IN_PATH", "XBMLANGPATH"):
        monkeypatch.setenv(variable, os.environ.get(variable, ""))
    return import_installer(REPO / "maya_module" / "install.py", monkeypatch)


def parse_mod(text: str) -> list[dict]:
    """The `.mod` blocks: header fields and their `VAR+:=value` lines."""
    blocks = []
    for line in text.splitlines():
        if line.startswith("+ "):
            fields = line[2:].split(" ", 4)
            conditions = dict(f.split(":", 1) for f in fields[:2])
            blocks.append({**conditions, "name": fields[2], "version": fields[3],
                           "path": fields[4], "vars": []})  # fmt: skip
        elif line.strip():
            blocks[-1]["vars"].append(line)
    return blocks


def test_committed_mod_file_makes_the_repo_root_the_module(installer):
    text = (REPO / "maya_module" / "modules" / "farmhand.mod").read_text(encoding="utf-8")
    assert text == installer.mod_text("../..")
    # Alone in its folder: Maya reads every file of a module folder as a module file.
    assert sorted(p.name for p in (REPO / "maya_module" / "modules").iterdir()) == ["farmhand.mod"]
    blocks = parse_mod(text)
    assert {(b["MAYAVERSION"], b["PLATFORM"]) for b in blocks} == {
        (v, p) for v in ("2025", "2026") for p in ("win64", "linux", "mac")
    }
    for block in blocks:
        assert (block["name"], block["path"]) == ("farmhand", "../..")
        assert block["vars"] == [f"PYTHONPATH+:=vendor/{block['MAYAVERSION']}-{block['PLATFORM']}"]
    root = (REPO / "maya_module" / "modules" / "../..").resolve()
    for folder, content in (("scripts", "farmhand"), ("plug-ins", "farmhand_plugin.py"),
                            ("icons", "farmhand.svg")):  # fmt: skip
        assert (root / folder / content).exists()


def test_write_mod_points_at_this_copy(installer, tmp_path):
    app_dir = tmp_path / "maya app"
    mod = installer.write_mod(app_dir, REPO)
    assert mod == app_dir / "modules" / "farmhand.mod"
    blocks = parse_mod(mod.read_text(encoding="utf-8"))
    assert {b["path"] for b in blocks} == {REPO.resolve().as_posix()}


def test_write_mod_refuses_a_folder_that_is_not_farmhand(installer, tmp_path):
    with pytest.raises(installer.InstallError, match="not a Farmhand module"):
        installer.write_mod(tmp_path / "app", tmp_path)


def test_pip_argv_installs_the_four_packages_into_the_vendor_folder(installer, tmp_path):
    argv = installer.pip_argv(Path("/maya/bin/mayapy"), tmp_path / "vendor" / "2025-linux")
    assert argv[:4] == ["/maya/bin/mayapy", "-m", "pip", "install"]
    assert argv[argv.index("--target") + 1] == str(tmp_path / "vendor" / "2025-linux")
    assert [a.split(">=")[0] for a in argv if ">=" in a] == [
        "requests", "xxhash", "jsonschema", "google-re2"
    ]  # fmt: skip


def test_find_mayapy_beside_maya(installer, tmp_path):
    for layout, exe, expected in (
        ("linux", "bin/maya.bin", "bin/mayapy"),
        ("windows", "bin/maya.exe", "bin/mayapy.exe"),
        ("mac", "Maya.app/Contents/MacOS/Maya", "Maya.app/Contents/bin/mayapy"),
        ("mayapy", "bin/mayapy", "bin/mayapy"),
    ):
        base = tmp_path / layout
        for relative in {exe, expected}:
            (base / relative).parent.mkdir(parents=True, exist_ok=True)
            (base / relative).write_text("", encoding="utf-8")
        assert installer.find_mayapy(base / exe) == base / expected
    with pytest.raises(installer.InstallError, match="mayapy was not found"):
        installer.find_mayapy(tmp_path / "nowhere" / "maya")


@pytest.mark.parametrize(("given", "expected"), [("2025", "2025"), ("2026.2", "2026")])
def test_supported_maya_versions(installer, given, expected):
    assert installer.maya_major(given) == expected


def test_older_maya_is_refused(installer):
    with pytest.raises(installer.InstallError, match="supports Maya 2025 and 2026"):
        installer.maya_major("2024")


def test_install_writes_mod_runs_pip_and_loads_the_plugin(installer, maya_stub, tmp_path):
    from maya import cmds

    maya_stub.stub_open(SCENES / "time_pal.ma", user_app_dir=tmp_path / "app")
    root = tmp_path / "farmhand"
    _copy_module(root)
    calls = []
    result = installer.install(
        root=root,
        user_app_dir=tmp_path / "app",
        maya_version="2025",
        platform="linux",
        mayapy=Path("/usr/autodesk/maya2025/bin/mayapy"),
        pip=calls.append,
    )
    assert calls == [result.pip_argv]
    assert calls[0][0] == "/usr/autodesk/maya2025/bin/mayapy"
    assert result.vendor == root / "vendor" / "2025-linux"
    assert calls[0][calls[0].index("--target") + 1] == str(result.vendor)
    assert result.mod_file.read_text(encoding="utf-8") == installer.mod_text(root.as_posix())
    assert str(result.vendor) in sys.path
    assert str(root / "plug-ins") in os.environ["MAYA_PLUG_IN_PATH"].split(os.pathsep)
    assert str(root / "icons") in os.environ["XBMLANGPATH"].split(os.pathsep)
    assert cmds.pluginInfo("farmhand_plugin", query=True, loaded=True)
    assert cmds.pluginInfo("farmhand_plugin", query=True, autoload=True)
    assert maya_stub.session().saved_autoload == ["farmhand_plugin"]  # saved now, not at exit
    assert (
        cmds.pluginInfo("farmhand_plugin", query=True, path=True)
        == (root / "plug-ins" / "farmhand_plugin.py").as_posix()
    )


def test_install_again_keeps_one_plugin_and_one_mod(installer, maya_stub, tmp_path):
    from maya import cmds

    maya_stub.stub_open(SCENES / "time_pal.ma", user_app_dir=tmp_path / "app")
    root = tmp_path / "farmhand"
    _copy_module(root)
    args = dict(root=root, user_app_dir=tmp_path / "app", maya_version="2026",
                platform="win64", mayapy=Path("C:/Maya2026/bin/mayapy.exe"),
                pip=lambda argv: None)  # fmt: skip
    installer.install(**args)
    installer.install(**args)
    maya_stub.process_idle()
    assert sorted(p.name for p in (tmp_path / "app" / "modules").iterdir()) == ["farmhand.mod"]
    assert cmds.pluginInfo(query=True, listPlugins=True) == ["farmhand_plugin"]
    assert len(cmds.shelfLayout("Farmhand", query=True, childArray=True)) == 1


def test_pip_failure_stops_the_install_with_pips_message(installer, tmp_path):
    mayapy = _fake_mayapy(tmp_path, exit_code=1)
    with pytest.raises(installer.InstallError, match="pip failed") as failure:
        installer.run_pip(installer.pip_argv(mayapy, tmp_path / "vendor"))
    assert "No matching distribution" in str(failure.value)
    assert "ensurepip" in str(failure.value)


def test_dropping_the_file_on_maya_installs_everything(installer, maya_stub, tmp_path, monkeypatch):
    from maya import cmds

    maya_stub.stub_open(SCENES / "time_pal.ma", user_app_dir=tmp_path / "app", version="2025")
    root = tmp_path / "farmhand"
    _copy_module(root)
    mayapy = _fake_mayapy(tmp_path)
    monkeypatch.setattr(sys, "executable", str(mayapy.parent / "maya.bin"))  # Maya's own
    dropped = import_installer(root / "maya_module" / "install.py", monkeypatch)
    result = dropped.onMayaDroppedPythonFile("file:///dropped")
    recorded = json.loads((tmp_path / "mayapy-argv.json").read_text(encoding="utf-8"))
    assert recorded == result.pip_argv[1:]
    assert (result.vendor / "xxhash" / "__init__.py").is_file()
    platform = installer.platform_tag()
    assert result.vendor == root / "vendor" / f"2025-{platform}"
    assert result.mod_file == tmp_path / "app" / "modules" / "farmhand.mod"
    assert cmds.pluginInfo("farmhand_plugin", query=True, autoload=True)
    [dialog] = maya_stub.dialogs()
    assert "installed" in dialog["message"]


def test_dropping_on_an_older_maya_explains_and_raises(installer, maya_stub, tmp_path):
    maya_stub.stub_open(SCENES / "time_pal.ma", user_app_dir=tmp_path / "app", version="2024")
    with pytest.raises(installer.InstallError):
        installer.onMayaDroppedPythonFile()
    [dialog] = maya_stub.dialogs()
    assert "could not be installed" in dialog["message"]
    assert "Maya 2024" in dialog["message"]
    assert not (tmp_path / "app" / "modules").exists()


def _copy_module(root: Path) -> None:
    """A Farmhand module at `root`: this checkout's folders (symlinked), its own installer."""
    root.mkdir(parents=True)
    for folder in ("scripts", "plug-ins", "icons"):
        (root / folder).symlink_to(REPO / folder, target_is_directory=True)
    (root / "maya_module" / "modules").mkdir(parents=True)
    for name in ("install.py", "modules/farmhand.mod"):
        shutil.copy(REPO / "maya_module" / name, root / "maya_module" / name)


def _fake_mayapy(folder: Path, exit_code: int = 0) -> Path:
    """A stand-in for Maya's Python: records its argv, fills `--target` like pip would."""
    bin_dir = folder / "maya2025" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "maya.bin").write_text("", encoding="utf-8")
    script = bin_dir / "mayapy"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, pathlib, sys\n"
        f"pathlib.Path({str(folder / 'mayapy-argv.json')!r}).write_text(json.dumps(sys.argv[1:]))\n"
        f"if {exit_code}:\n"
        "    sys.stderr.write('ERROR: No matching distribution found for xxhash>=3.4\\n')\n"
        f"    sys.exit({exit_code})\n"
        "target = pathlib.Path(sys.argv[sys.argv.index('--target') + 1])\n"
        "for name in ('requests', 'xxhash', 'jsonschema'):\n"
        "    (target / name).mkdir(parents=True, exist_ok=True)\n"
        "    (target / name / '__init__.py').write_text('')\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script
