"""The dashboard's files as the server hands them out: where, with which headers, and no cookie."""

from __future__ import annotations

import re

import pytest
import requests

SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def test_page_and_assets_carry_a_strict_csp_and_set_no_cookie(farm):
    page = requests.get(farm.root + "/", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for name, value in SECURITY.items():
        assert page.headers[name] == value
    assert "Set-Cookie" not in page.headers
    # No inline script: each <script> loads a file of this origin.
    for tag in re.findall(r"<script\b[^>]*>(.*?)</script>", page.text, re.S):
        assert tag.strip() == ""
    for src in re.findall(r'src="([^"]+)"', page.text):
        assert src.startswith("/dashboard/")
        asset = requests.get(farm.root + src, timeout=10)
        assert asset.status_code == 200
        assert asset.headers["Content-Type"].startswith("text/javascript")
        assert asset.headers["Content-Security-Policy"] == csp
        assert "Set-Cookie" not in asset.headers
    style = requests.get(farm.root + "/dashboard/style.css", timeout=10)
    assert style.headers["Content-Type"].startswith("text/css")


@pytest.mark.parametrize(
    "path",
    ["/dashboard/nothing.js", "/dashboard/../app.py", "/dashboard/%2e%2e/app.py",
     "/dashboard/pages/../../__init__.py", "/dashboard/"],
)  # fmt: skip
def test_only_shipped_files_are_served(farm, path):
    answer = requests.get(farm.root + path, timeout=10)
    assert answer.status_code == 404
    assert "farmhand" not in answer.text.lower() or answer.json()["error"]["code"] == "not_found"


def test_no_script_uses_html_parsing_or_eval():
    """Text reaches the page as text nodes: no innerHTML, outerHTML, insertAdjacentHTML,
    document.write or eval anywhere in the shipped scripts."""
    from importlib import resources

    folder = resources.files("farmhand_server.dashboard").joinpath("static")
    scripts = [p for p in _walk(folder) if p.name.endswith(".js")]
    assert len(scripts) >= 8
    banned = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function"
    )
    for script in scripts:
        found = banned.search(script.read_text(encoding="utf-8"))
        assert found is None, f"{script.name}: {found.group(0)}"


def _walk(folder):
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _walk(entry)
        else:
            yield entry
