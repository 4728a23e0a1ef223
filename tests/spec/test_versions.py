"""The version rules (`farmhand.spec.versions`): policies, the key grammar and the matching rule."""

from __future__ import annotations

import pytest
from farmhand.spec import versions as v


def _offers(name: str, *installed: str) -> v.Offers:
    keys = {k for version in installed for k in v.capability_keys(name, version)}
    return v.Offers.of(keys | set(v.capability_keys(name)))


@pytest.mark.parametrize(
    ("software", "installed", "ok"),
    [
        ({"cg_name": "Maya", "cg_version": "2023"}, "2025", True),
        ({"cg_name": "Maya", "cg_version": "2023"}, "2023.3", True),
        ({"cg_name": "Maya", "cg_version": "2023"}, "2022", False),
        ({"cg_name": "Maya", "cg_version": "2025ff03"}, "2025", True),
        ({"cg_name": "maya", "cg_version": "2023", "accept": "exact"}, "2025", False),
        ({"cg_name": "Maya", "cg_version": "2023", "accept": "exact"}, "2023", True),
        ({"cg_name": "Maya", "cg_version": "2023", "accept": ["2024", "2026"]}, "2025", False),
        ({"cg_name": "Maya", "cg_version": "2023", "accept": ["2024", "2026"]}, "2026", True),
        ({"cg_name": "Maya", "cg_version": "unknown"}, "2020", True),
        ({"cg_name": "Blender", "cg_version": "3.4"}, "3.6", False),  # exact by default
        ({"cg_name": "Blender", "cg_version": "3.4", "accept": "minimum"}, "3.6", True),
        ({"cg_name": "Blender", "cg_version": "3.4", "accept": "minimum"}, "3.3.9", False),
        ({"cg_name": "Blender", "cg_version": "3.4", "accept": "minimum"}, "beta", False),
    ],
)
def test_server_matching_and_the_client_check_agree(software, installed, ok) -> None:
    key = v.requirement_key(software)
    assert v.Needs.of([key]).met_by(_offers(software["cg_name"], installed)) is ok
    assert v.satisfies(software, installed) is ok


def test_keys_stored_before_the_policy_still_mean_exact() -> None:
    old = v.Needs.of(["software:maya:2025", "plugin:mtoa:5.4.1"])
    worker = v.Offers.of([*v.capability_keys("Maya", "2026"), "plugin:mtoa:5.4.1"])
    assert not old.met_by(worker)
    assert old.met_by(v.Offers.of([*v.capability_keys("Maya", "2025"), "plugin:mtoa:5.4.1"]))


def test_names_and_versions_cannot_forge_the_key_grammar() -> None:
    key = v.requirement_key({"cg_name": "evil|software:maya>=1", "cg_version": "1|2"})
    assert key == "software:evil_software_maya_1:1_2"
    assert not v.Needs.of([key]).met_by(_offers("Maya", "2025"))
    assert v.Needs.of([key]).met_by(_offers("evil|software:maya>=1", "1|2"))


def test_the_worker_picks_the_lowest_accepted_version() -> None:
    job = {"cg_name": "Maya", "cg_version": "2023"}
    assert v.pick(job, ["2026", "2024", "2022", "2023.2"]) == "2023.2"
    assert v.pick({**job, "accept": ["2025", "2026"]}, ["2026", "2025"]) == "2025"
    assert v.pick({**job, "accept": "exact"}, ["2024"]) is None


def test_describe_for_people() -> None:
    assert v.parse_need(v.requirement_key({"cg_name": "Maya", "cg_version": "2023"})).describe() \
        == "Maya ≥ 2023"  # fmt: skip
    listed = {"cg_name": "Maya", "cg_version": "2023", "accept": ["2025", "2024"]}
    assert v.parse_need(v.requirement_key(listed)).describe() == "Maya 2024 or 2025"
    assert v.on_workers("maya", {"2022": 3}) == "Maya 2022 on 3 workers"
