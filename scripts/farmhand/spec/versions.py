"""Which installed software version may render a job: the one home of the version rules.

A job names the version its scene was saved with (`software.cg_version`) and, optionally, what
it accepts (`software.accept`): `"minimum"` (that version or a later one), `"exact"` (that
version only) or a list of versions (any one of them, whatever the scene says). Without
`accept` each software has its default: Maya opens scenes saved by older Mayas, so a Maya job
accepts its version or later (`"minimum"`); any other software needs the exact version.

Versions compare by their leading numbers (`"2025ff03"` → 2025, `"3.4.1"` → 3, 4, 1); Maya
compares the first only, the year, so `"2024.2"` is a 2024. A version without a leading
number (`"unknown"`) compares as text for `exact` and a list; a `minimum` of it accepts any
version.

The server stores what a job needs and what a worker offers as keys (strings); these are
their forms, and `Needs.met_by` is the one matching rule:

* `software:maya>=2023`: a minimum; `software:maya:2023`: exact; `software:maya:2023|2025`:
  any of the versions; `software:maya`: any version of it.
* A worker offers `software:maya` and `software:maya:2025` for each installed version.
* Every other key (`plugin:mtoa:5.4.1`, `tag:gpu`) must be offered as it is. Plugins keep
  exact versions: a renderer plugin's release decides what the pixels are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MINIMUM, EXACT = "minimum", "exact"
_SOFTWARE = "software:"
_LEADING = re.compile(r"\s*v?(\d+(?:\.\d+)*)", re.IGNORECASE)
_NOT_IN_NAME = re.compile(r"[\s:|>=]+")


@dataclass(frozen=True, slots=True)
class Rule:
    """How one software's versions compare: its default policy and how many numbers count."""

    default: str
    depth: int | None  # leading numbers compared (None: all of them)
    title: str = ""


RULES: dict[str, Rule] = {"maya": Rule(MINIMUM, 1, "Maya"), "blender": Rule(EXACT, None, "Blender")}
_OTHER = Rule(EXACT, None)


def rule(name: str) -> Rule:
    """The version rule of a software (by any spelling of its name).

    >>> rule("Maya").default, rule("blender").default
    ('minimum', 'exact')
    """
    return RULES.get(clean_name(name), _OTHER)


def clean_name(name: str) -> str:
    """A software name as keys spell it: lower case, no separators of the key grammar.

    >>> clean_name(" Maya "), clean_name("my|dcc:2")
    ('maya', 'my_dcc_2')
    """
    return _NOT_IN_NAME.sub("_", name.strip().lower()).strip("_")


def _clean_version(version: Any) -> str:
    return str(version).strip().replace("|", "_")


def title(name: str) -> str:
    """A software name for people: `maya` → `Maya`; others as given."""
    return rule(name).title or name


def numbers(version: str) -> tuple[int, ...] | None:
    """The leading numbers of a version, None when it does not start with one.

    >>> numbers("2025ff03"), numbers("3.4.1"), numbers("v2024.2 Update"), numbers("unknown")
    ((2025,), (3, 4, 1), (2024, 2), None)
    """
    found = _LEADING.match(str(version))
    return tuple(int(n) for n in found.group(1).split(".")) if found else None


def _key(name: str, version: str) -> tuple[int, ...] | str:
    """What is compared: the leading numbers (as deep as the software's rule), else the text."""
    found = numbers(version)
    if found is None:
        return version.strip().lower()
    depth = rule(name).depth
    return found[:depth] if depth else found


def _same(name: str, wanted: str, offered: str) -> bool:
    return _key(name, wanted) == _key(name, offered)


def _at_least(name: str, wanted: str, offered: str) -> bool:
    low, have = _key(name, wanted), _key(name, offered)
    if isinstance(low, str):
        return True  # no number to compare: any version of the software
    return isinstance(have, tuple) and have >= low


def policy(software: Mapping[str, Any]) -> str | list[str]:
    """What a job's `software` accepts: its `accept`, else the software's default.

    >>> policy({"cg_name": "Maya", "cg_version": "2023"})
    'minimum'
    >>> policy({"cg_name": "Maya", "cg_version": "2023", "accept": ["2024", "2025"]})
    ['2024', '2025']
    """
    accept = software.get("accept")
    if isinstance(accept, list | tuple):
        return [str(v) for v in accept]
    if accept in (MINIMUM, EXACT):
        return str(accept)
    return rule(str(software.get("cg_name") or "")).default


def requirement_key(software: Mapping[str, Any]) -> str | None:
    """The key a worker's software must meet for a job's `software`, None if it names none.

    >>> requirement_key({"cg_name": "Maya", "cg_version": "2023"})
    'software:maya>=2023'
    >>> requirement_key({"cg_name": "Maya", "cg_version": "2023", "accept": "exact"})
    'software:maya:2023'
    >>> requirement_key({"cg_name": "Blender", "cg_version": "3.4"})
    'software:blender:3.4'
    >>> requirement_key({"cg_name": "Maya", "cg_version": "2023", "accept": ["2025", "2024"]})
    'software:maya:2024|2025'
    >>> requirement_key({"cg_name": "Maya", "cg_version": "unknown"})
    'software:maya'
    """
    name = clean_name(str(software.get("cg_name") or ""))
    if not name:
        return None
    accept = policy(software)
    version = _clean_version(software.get("cg_version") or "")
    if isinstance(accept, list):
        listed = sorted({_clean_version(v) for v in accept if _clean_version(v)})
        return f"{_SOFTWARE}{name}:{'|'.join(listed)}" if listed else f"{_SOFTWARE}{name}"
    if not version or (accept == MINIMUM and numbers(version) is None):
        return f"{_SOFTWARE}{name}"
    return f"{_SOFTWARE}{name}{'>=' if accept == MINIMUM else ':'}{version}"


def capability_keys(name: str, version: str | None = None) -> list[str]:
    """The keys a worker offers for one installed version.

    >>> capability_keys("Maya", "2025")
    ['software:maya', 'software:maya:2025']
    """
    keys = [f"{_SOFTWARE}{clean_name(name)}"]
    if version is not None and _clean_version(version):
        keys.append(f"{keys[0]}:{_clean_version(version)}")
    return keys


@dataclass(frozen=True, slots=True)
class Need:
    """One software requirement: a name, how it compares (`>=`, `any`) and the versions."""

    name: str
    kind: str  # ">=" (a minimum) | "any" (exact or a list: one of the versions)
    versions: tuple[str, ...]

    def met_by_version(self, version: str) -> bool:
        """Whether one installed version of the software meets it."""
        if self.kind == ">=":
            return _at_least(self.name, self.versions[0], version)
        return any(_same(self.name, v, version) for v in self.versions)

    def describe(self) -> str:
        """For people: `Maya ≥ 2023`, `Maya 2023`, `Maya 2024 or 2025`."""
        if self.kind == ">=":
            return f"{title(self.name)} ≥ {self.versions[0]}"
        return f"{title(self.name)} {' or '.join(self.versions)}"


def parse_need(key: str) -> Need | None:
    """The software requirement a key states, None for a key matched as it is.

    >>> parse_need("software:maya>=2023")
    Need(name='maya', kind='>=', versions=('2023',))
    >>> parse_need("software:maya:2024|2025").versions, parse_need("tag:gpu")
    (('2024', '2025'), None)
    """
    if not key.startswith(_SOFTWARE):
        return None
    rest = key[len(_SOFTWARE) :]
    name, sep, version = rest.partition(">=")
    if sep and ":" not in name:
        return Need(name, ">=", (version,))
    name, sep, listed = rest.partition(":")
    if not sep:
        return None
    return Need(name, "any", tuple(listed.split("|")))


@dataclass(frozen=True, slots=True)
class Offers:
    """What a worker offers: its keys, and its installed versions by software name."""

    keys: frozenset[str]
    versions: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(cls, keys: Iterable[str]) -> Offers:
        """From capability keys (`software:NAME:VERSION` give the installed versions)."""
        keys = frozenset(keys)
        found: dict[str, list[str]] = {}
        for key in keys:
            if key.startswith(_SOFTWARE):
                name, sep, version = key[len(_SOFTWARE) :].partition(":")
                if sep:
                    found.setdefault(name, []).append(version)
        return cls(keys, {n: tuple(v) for n, v in found.items()})


@dataclass(frozen=True, slots=True)
class Needs:
    """A job's requirement keys, ready to test against workers' offers."""

    plain: frozenset[str]
    software: tuple[Need, ...]

    @classmethod
    def of(cls, keys: Iterable[str]) -> Needs:
        """From requirement keys."""
        plain, software = set(), []
        for key in keys:
            need = parse_need(key)
            if need is None:
                plain.add(key)
            else:
                software.append(need)
        return cls(frozenset(plain), tuple(software))

    def met_by(self, offers: Offers) -> bool:
        """Whether a worker offering these meets every requirement (the matching rule).

        >>> worker = Offers.of(["software:maya", "software:maya:2025", "tag:gpu"])
        >>> Needs.of(["software:maya>=2023", "tag:gpu"]).met_by(worker)
        True
        >>> Needs.of(["software:maya:2023"]).met_by(worker)
        False
        >>> Needs.of(["software:maya:2023|2025"]).met_by(worker)
        True
        """
        return self.plain.issubset(offers.keys) and all(
            any(n.met_by_version(v) for v in offers.versions.get(n.name, ())) for n in self.software
        )


def satisfies(software: Mapping[str, Any], version: str) -> bool:
    """Whether an installed `version` of the job's software may render it (same name assumed).

    >>> job = {"cg_name": "Maya", "cg_version": "2023"}
    >>> satisfies(job, "2025"), satisfies(job, "2022")
    (True, False)
    >>> satisfies({**job, "accept": "exact"}, "2025")
    False
    """
    key = requirement_key(software)
    need = parse_need(key) if key else None
    return need is None or need.met_by_version(str(version))


def pick(software: Mapping[str, Any], installed: Iterable[str]) -> str | None:
    """The installed version to render a job with: the lowest that its policy accepts.

    The lowest is the closest to the version the scene was saved with.

    >>> pick({"cg_name": "Maya", "cg_version": "2023"}, ["2026", "2022", "2024"])
    '2024'
    >>> pick({"cg_name": "Maya", "cg_version": "2023", "accept": "exact"}, ["2024"]) is None
    True
    """
    fitting = [str(v) for v in installed if satisfies(software, str(v))]
    return min(fitting, key=_order) if fitting else None


def on_workers(name: str, counts: Mapping[str, int]) -> str:
    """Installed versions and how many workers have each, newest first, for people.

    >>> on_workers("maya", {"2022": 3, "2025": 1})
    'Maya 2025 on 1 worker, Maya 2022 on 3 workers'
    """
    ordered = sorted(counts, key=_order, reverse=True)
    return ", ".join(
        f"{title(name)} {v} on {counts[v]} worker{'' if counts[v] == 1 else 's'}" for v in ordered
    )


def _order(version: str) -> tuple[int, tuple[int, ...], str]:
    found = numbers(version)
    return (0, found, version) if found is not None else (1, (), version)
