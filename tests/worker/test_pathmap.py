"""Path mapping: Renderbus's rule under the job root, prefix rules, refusals, the reverse view."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
from farmhand.spec import pathmap
from farmhand.spec.jobspec import server_path
from farmhand.spec.pathmap import MappedPath, PathMapper, PathRule, PrefixPair
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path("/farm/jobs/7")


def test_the_module_doctests_run_and_pass() -> None:
    result = doctest.testmod(pathmap)
    assert result.attempted >= 8
    assert result.failed == 0


# --------------------------------------------------------------------------- the job root


@pytest.mark.parametrize(
    ("client", "local"),
    [
        ("C:/Project/a.ma", "C/Project/a.ma"),
        ("c:/Project/a.ma", "C/Project/a.ma"),  # the drive letter is upper-cased
        (r"D:\shots\sh010\scene.ma", "D/shots/sh010/scene.ma"),
        ("//server/share/x.exr", "server/share/x.exr"),
        (r"\\server\share\x.exr", "server/share/x.exr"),
        ("/mnt/proj/a.ma", "mnt/proj/a.ma"),
        ("C://Project/./a.ma", "C/Project/a.ma"),
        ("//?/C:/long/path.ma", "C/long/path.ma"),
        (r"\\?\UNC\server\share\y.ma", "server/share/y.ma"),
        ("C:/Projets/été/shot 1.ma", "C/Projets/été/shot 1.ma"),
    ],
)
def test_renderbus_rule_under_the_root(client: str, local: str) -> None:
    assert PathMapper(ROOT).to_local(client) == ROOT / local


windows_part = st.text(
    alphabet=st.characters(blacklist_characters='/\\:\0"', blacklist_categories=("Cs",)),
    min_size=1,
    max_size=8,
).filter(lambda p: p not in (".", ".."))


@given(st.sampled_from(["C:", "z:", "//nas", "\\\\nas", ""]), st.lists(windows_part, min_size=2))
def test_the_root_layout_is_the_manifests_server_path(head: str, parts: list[str]) -> None:
    """What the worker lays out by `server_path` is where `to_local` looks."""
    client = head + "/" + "/".join(parts)
    assert PathMapper(ROOT).to_local(client).as_posix() == ROOT.as_posix() + server_path(client)


@pytest.mark.parametrize(
    ("client", "message"),
    [
        ("Project/a.ma", "relative path"),
        ("C:Project/a.ma", "relative to a drive"),
        ("", "empty"),
        ("C:/Project/../../etc/passwd", "'..'"),
        (r"\\server\share\..\..\x", "'..'"),
        ("/x/../../etc/shadow", "'..'"),
        ("C:/a\0b.ma", "NUL"),
        ("/", "names no file"),
    ],
)
def test_refusals(client: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PathMapper(ROOT).to_local(client)


def test_a_relative_root_is_refused() -> None:
    with pytest.raises(ValueError, match="job root"):
        PathMapper("jobs/7")


# --------------------------------------------------------------------------- prefix rules


def test_worker_rule_drive_case_and_slashes() -> None:
    mapper = PathMapper(ROOT, worker_rules=[{"from": "Y:/", "to": "/mnt/projects/"}])
    for client in ("Y:/show/a.exr", "y:/show/a.exr", r"Y:\show\a.exr", r"y:\\show\a.exr"):
        assert mapper.to_local(client) == Path("/mnt/projects/show/a.exr")
    assert mapper.map("Y:/show/a.exr") == MappedPath(
        Path("/mnt/projects/show/a.exr"), mapper.rules[0]
    )
    assert mapper.map("C:/a.ma") == MappedPath(ROOT / "C/a.ma", None)


def test_windows_prefixes_match_without_case_posix_with_case() -> None:
    mapper = PathMapper(
        ROOT,
        worker_rules=[
            PathRule(r"\\NAS\Library", "/mnt/lib"),
            PathRule("P:/Show/Assets", "/mnt/assets"),
            PathRule("/Volumes/Proj", "/mnt/proj"),
        ],
    )
    assert mapper.to_local("//nas/library/tex.tx") == Path("/mnt/lib/tex.tx")
    assert mapper.to_local("p:/SHOW/assets/x.abc") == Path("/mnt/assets/x.abc")
    assert mapper.to_local("/Volumes/Proj/a.ma") == Path("/mnt/proj/a.ma")
    assert mapper.to_local("/volumes/proj/a.ma") == ROOT / "volumes/proj/a.ma"


def test_a_rule_matches_only_at_a_component_boundary() -> None:
    mapper = PathMapper(ROOT, worker_rules=[PathRule("Y:/proj", "/mnt/proj")])
    assert mapper.to_local("Y:/proj/a.ma") == Path("/mnt/proj/a.ma")
    assert mapper.to_local("Y:/proj") == Path("/mnt/proj")
    assert mapper.to_local("Y:/project/a.ma") == ROOT / "Y/project/a.ma"
    assert mapper.to_local("Y:/pro/a.ma") == ROOT / "Y/pro/a.ma"


def test_first_match_wins_worker_rules_before_job_rules(tmp_path: Path) -> None:
    root = tmp_path / "job"
    mapper = PathMapper(
        root,
        worker_rules=[PathRule("Y:/", "/mnt/a"), PathRule("Y:/deep", "/mnt/b")],
        job_rules=[{"from": "Y:/", "to": str(root / "y")}, {"from": "Z:/", "to": str(root / "z")}],
    )
    assert mapper.to_local("Y:/deep/x") == Path("/mnt/a/deep/x")
    assert mapper.to_local("Z:/x") == root / "z/x"
    assert [r.source for r in mapper.rules] == ["Y:/", "Y:/deep", "Y:/", "Z:/"]


def test_job_rules_may_only_point_into_allowed_roots(tmp_path: Path) -> None:
    root = tmp_path / "job"
    inside = PathMapper(
        root,
        job_rules=[PathRule("Y:/", "/mnt/projects/show"), PathRule("Z:/", str(root / "z"))],
        allowed_roots=["/mnt/projects"],
    )
    assert inside.to_local("Y:/a.ma") == Path("/mnt/projects/show/a.ma")
    assert inside.to_local("Z:/a.ma") == root / "z/a.ma"
    with pytest.raises(ValueError, match=r"path_mapping\[0\]\.to: '/etc' is outside"):
        PathMapper(root, job_rules=[{"from": "Y:/", "to": "/etc"}], allowed_roots=["/mnt"])
    with pytest.raises(ValueError, match="outside"):  # a sibling that only shares a prefix
        PathMapper(
            root, job_rules=[PathRule("Y:/", "/mnt/projects2")], allowed_roots=["/mnt/projects"]
        )
    with pytest.raises(ValueError, match=r"'\.\.'"):
        PathMapper(root, job_rules=[PathRule("Y:/", f"{root}/../../etc")])
    # The same target is fine from the worker's own config.
    assert PathMapper(root, worker_rules=[PathRule("Y:/", "/etc")]).to_local("Y:/x") == Path(
        "/etc/x"
    )


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"from": "proj/", "to": "/mnt/p"}, r"path_mapping\[0\]\.from: .* relative path"),
        ({"from": "Y:/", "to": "mnt/p"}, r"path_mapping\[0\]\.to: .* absolute"),
        ({"from": "Y:/../", "to": "/mnt/p"}, r"'\.\.'"),
        ({"from": "Y:/"}, "needs string 'from' and 'to'"),
        ({"from": "Y:/", "to": "/mnt/\0p"}, "NUL"),
    ],
)
def test_bad_rules_are_refused_with_their_place(rule: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PathMapper(ROOT, job_rules=[rule], allowed_roots=["/mnt"])


def test_for_job_reads_the_specs_path_mapping(tmp_path: Path) -> None:
    spec = {"path_mapping": [{"from": "Y:/", "to": "/mnt/projects/"}]}
    mapper = PathMapper.for_job(tmp_path, spec, allowed_roots=["/mnt/projects"])
    assert mapper.to_local("y:/a.ma") == Path("/mnt/projects/a.ma")
    assert PathMapper.for_job(tmp_path, {}).to_local("Y:/a.ma") == tmp_path / "Y/a.ma"


def test_rule_json_round_trip() -> None:
    rule = PathRule.from_dict({"from": "Y:/", "to": "/mnt/p"})
    assert PathRule.from_dict(rule.to_dict()) == rule


# --------------------------------------------------------------------------- the reverse view


def test_prefix_pairs_cover_drives_unc_shares_posix_folders_and_rules() -> None:
    mapper = PathMapper(ROOT, worker_rules=[PathRule("Y:/show", "/mnt/show")])
    pairs = mapper.prefix_pairs(
        [
            "C:/Project/a.ma",
            "c:/Project/b.ma",
            "D:/tex/t.exr",
            r"\\nas\lib\x.abc",
            "//nas/other/y.abc",
            "/home/ann/z.ma",
            "/top.ma",
            "y:/SHOW/sh010/c.ma",
        ]
    )
    assert pairs == [
        PrefixPair("Y:/show/", "/mnt/show/"),
        PrefixPair("y:/show/", "/mnt/show/"),
        PrefixPair("C:/", "/farm/jobs/7/C/"),
        PrefixPair("c:/", "/farm/jobs/7/C/"),
        PrefixPair("D:/", "/farm/jobs/7/D/"),
        PrefixPair("d:/", "/farm/jobs/7/D/"),
        PrefixPair("//nas/lib/", "/farm/jobs/7/nas/lib/"),
        PrefixPair("//nas/other/", "/farm/jobs/7/nas/other/"),
        PrefixPair("/home/", "/farm/jobs/7/home/"),
        PrefixPair("/", "/farm/jobs/7/"),
        PrefixPair("Y:/SHOW/", "/mnt/show/"),  # the spelling the scene uses, for Maya's dirmap
        PrefixPair("y:/SHOW/", "/mnt/show/"),
    ]


def test_every_pair_maps_its_paths_as_to_local_does(tmp_path: Path) -> None:
    """Replacing a path's client prefix by its local prefix gives `to_local`'s answer."""
    mapper = PathMapper(
        tmp_path, worker_rules=[PathRule("//NAS/lib", "/mnt/lib"), PathRule("Y:/", "/mnt/y")]
    )
    paths = ["C:/P/a.ma", "//nas/LIB/t.tx", "//srv/share/d/e.exr", "Y:/s/b.abc", "/opt/c.ma"]
    table = mapper.path_map(paths)
    for path in paths:
        client, local = next((c, loc) for c, loc in table.items() if path.startswith(c))
        assert Path(local + path[len(client) :]) == mapper.to_local(path)


def test_prefix_pairs_refuse_bad_client_paths() -> None:
    with pytest.raises(ValueError, match="relative"):
        PathMapper(ROOT).prefix_pairs(["shots/a.ma"])
