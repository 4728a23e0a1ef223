"""A job's news in Maya's viewport: the docked panel's watch reaches `cmds.inViewMessage`."""

from __future__ import annotations

from pathlib import Path

import pytest
from maya_session import maya_stub_fixture  # noqa: F401 - the maya_stub fixture

pytest.importorskip("farmhand.panel.window", reason="the panel widgets are not in this checkout")

SCENES = Path(__file__).resolve().parents[1] / "scenes"


def test_a_notice_of_the_docked_panel_is_shown_in_the_viewport(maya_stub, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    maya_stub.stub_open(SCENES / "legacy_layers.ma")
    from farmhand.maya_ui import dock
    from farmhand.panel.job_watch import Notice
    from maya import cmds

    shown: list[dict] = []  # the stub has no inViewMessage: record what Maya would get
    monkeypatch.setattr(cmds, "inViewMessage", lambda **kw: shown.append(kw), raising=False)
    panel = dock.show_panel()
    panel.jobs_page.watch.notice.emit(Notice(7, "sh<010>", "failed", "Job #7 sh<010> failed"))
    assert shown == [{
        "assistMessage": 'Farmhand: <span style="color:#f2545b;">Job #7 sh&lt;010&gt; failed'
                         "</span>",
        "position": "topCenter", "fade": True, "fadeStayTime": 5000,
    }]  # fmt: skip
