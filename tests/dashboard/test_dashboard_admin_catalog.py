"""The Admin page edits the hardware configs and the presets published to the panel:
create, edit, delete (asked first; a config still in use is refused, and the page says why)
and publish, edit, withdraw a preset (its schema problems listed beside the editor)."""

from __future__ import annotations

from worker_support import upload_files, wait_for

from .test_dashboard_jobs_list import _spec


def _configs(farm) -> dict[str, dict]:
    answer = farm.admin.client.json("GET", "/hardware-configs")["hardware_configs"]
    return {c["id"]: c for c in answer}


def _presets(farm) -> dict[str, dict]:
    return {p["name"]: p["fields"] for p in farm.admin.client.json("GET", "/presets")["presets"]}


def _confirm(page, answer: str) -> None:
    page.locator("dialog.confirm").get_by_role("button", name=answer).click()
    page.locator("dialog.confirm").wait_for(state="detached")


def test_hardware_configs_are_created_edited_and_deleted(farm, page, sign_in, tmp_path):
    sign_in(page, farm.admin)
    page.goto(f"{farm.root}/#/admin")
    page.locator("#hardware tbody tr").first.wait_for()
    page.fill("#hw-id", "418")
    page.fill("#hw-name", "GPU <b>node</b>")
    page.fill("#hw-cpu-cores", "24")
    page.fill("#hw-ram-gb", "128")
    page.fill("#hw-gpu-count", "2")
    page.fill("#hw-gpu-model", "RTX A6000")
    page.fill("#hw-price-per-hour", "3.5")
    page.click("#hw-save")
    row = page.locator('#hardware tr[data-config="418"]')
    row.wait_for()
    assert "GPU <b>node</b>" in row.inner_text()  # shown as text, not markup
    assert row.locator("b").count() == 0
    stored = _configs(farm)["418"]
    assert (stored["name"], stored["cpu_cores"], stored["ram_gb"]) == ("GPU <b>node</b>", 24, 128)
    assert (stored["gpu_count"], stored["gpu_model"], stored["price_per_hour"]) == (
        2,
        "RTX A6000",
        3.5,
    )

    row.get_by_role("button", name="Edit hardware config 418").click()
    assert (
        page.input_value("#hw-id") == "418"
        and page.locator("#hw-id").get_attribute("readonly") is not None
    )
    assert page.input_value("#hw-ram-gb") == "128"
    page.fill("#hw-ram-gb", "256")
    page.click("#hw-save")
    wait_for(lambda: _configs(farm)["418"]["ram_gb"] == 256, timeout=10)
    wait_for(lambda: "256" in row.inner_text(), timeout=10)
    assert _configs(farm)["418"]["gpu_model"] == "RTX A6000"  # the other fields kept

    # A job asks for 418: deleting it is refused, and the page says which job.
    scene = tmp_path / "hw.blend"
    scene.write_bytes(b"a scene for the hardware test")
    ref = upload_files(farm.ann.client, [scene])[scene]
    job = farm.ann.client.submit_job(
        {**_spec(ref, scene, "needs 418"), "hardware": {"hardware_config_ids": ["418"]}}
    )
    row.get_by_role("button", name="Delete hardware config 418").click()
    _confirm(page, "Delete")
    wait_for(lambda: "still in use" in page.inner_text("#hw-error"), timeout=10)
    assert f"1 job asks for it (#{job['id']})" in page.inner_text("#hw-error")
    assert "418" in _configs(farm)

    # An unused config: Keep leaves it, Delete removes it.
    page.click("#hw-new")
    page.fill("#hw-id", "spare")
    page.fill("#hw-name", "spare node")
    page.click("#hw-save")
    spare = page.locator('#hardware tr[data-config="spare"]')
    spare.wait_for()
    spare.get_by_role("button", name="Delete hardware config spare").click()
    _confirm(page, "Keep")
    assert "spare" in _configs(farm)
    spare.get_by_role("button", name="Delete hardware config spare").click()
    _confirm(page, "Delete")
    spare.wait_for(state="detached")
    assert "spare" not in _configs(farm) and "418" in _configs(farm)
    assert page.errors == []


def test_presets_are_published_edited_and_withdrawn(farm, page, sign_in):
    sign_in(page, farm.admin)
    page.goto(f"{farm.root}/#/admin")
    page.locator("#presets tbody tr").first.wait_for()
    page.fill("#preset-name", "final")
    page.fill("#preset-fields", '{"tiles": 1, "bogus": 2}')
    page.click("#preset-save")
    problems = page.locator("#preset-errors li")
    problems.first.wait_for()
    listed = problems.all_inner_texts()
    assert "bogus: unknown field" in listed
    assert any(p.startswith("tiles: must be at least 2") for p in listed), listed
    page.fill("#preset-fields", "{not json")
    page.click("#preset-save")
    wait_for(lambda: page.inner_text("#preset-errors").startswith("Not JSON"), timeout=10)
    assert "final" not in _presets(farm)

    hostile = "<script>alert(1)</script>"
    page.fill("#preset-fields", f'{{"description": "{hostile}", "priority": 60}}')
    page.click("#preset-save")
    row = page.locator('#presets tr[data-preset="final"]')
    row.wait_for()
    assert hostile in row.inner_text() and "priority" in row.inner_text()
    assert page.inner_text("#preset-errors") == ""
    assert _presets(farm)["final"] == {"description": hostile, "priority": 60}

    row.get_by_role("button", name="Edit preset final").click()
    assert '"priority": 60' in page.input_value("#preset-fields")
    page.fill("#preset-fields", '{"description": "final", "priority": 70, "tiles": 4, '
              '"width": 1920, "height": 1080}')  # fmt: skip
    page.click("#preset-save")
    wait_for(lambda: _presets(farm)["final"].get("priority") == 70, timeout=10)
    assert _presets(farm)["final"]["tiles"] == 4

    row.get_by_role("button", name="Withdraw preset final").click()
    _confirm(page, "Keep")
    assert "final" in _presets(farm)
    row.get_by_role("button", name="Withdraw preset final").click()
    _confirm(page, "Withdraw")
    row.wait_for(state="detached")
    assert "final" not in _presets(farm)
    assert "Preset final withdrawn." in page.inner_text("#admin-status")
    assert page.errors == []
