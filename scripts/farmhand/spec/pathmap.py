r"""Path mapping: where a client's path lives on a worker, and the prefixes a renderer needs.

A job names its files by the artist's paths (``C:/Project/a.ma``,
``\\server\share\tex.exr``, ``/home/ann/a.ma``). On a worker a file lives
either on studio storage that a prefix rule points at, or under the job's
root by Renderbus's rule (:func:`farmhand.spec.jobspec.server_path`, the rule the
manifest's ``server_path`` follows):

1. **Prefix rules**, first match wins: the worker's own rules (from its
   config: trusted, they may point anywhere), then the job spec's
   ``path_mapping`` (from the client: each ``to`` must lie inside the job root
   or one of the worker's allowed roots, else the mapper refuses the job).
2. **Otherwise under the job root**: ``C:/Project/a.ma`` →
   ``<root>/C/Project/a.ma``; ``//server/share/x`` → ``<root>/server/share/x``;
   ``/x/y`` → ``<root>/x/y``.

Matching: backslashes and slashes are equal; a rule matches only at a path
component boundary (``Y:/proj`` matches ``Y:/proj/a`` but not
``Y:/project/a``); on Windows-style paths (a drive letter or UNC) the whole
prefix matches without regard to case, on POSIX paths case counts.
Relative paths, ``..`` components and NUL characters are refused, and no
client path can land outside its rule's target or the job root.

>>> mapper = PathMapper("/farm/jobs/7", worker_rules=[PathRule("Y:/", "/mnt/projects")])
>>> print(mapper.to_local("C:/Project/a.ma"))
/farm/jobs/7/C/Project/a.ma
>>> print(mapper.to_local(r"y:\Shots\sh010\tex.exr"), mapper.to_local(r"\\nas\lib\x.abc"))
/mnt/projects/Shots/sh010/tex.exr /farm/jobs/7/nas/lib/x.abc

The reverse view, for Maya's ``dirmap`` and Arnold's ``ARNOLD_PATHMAP``: the
client prefixes that occur (every rule, and the drive / UNC share / first
folder of each client path no rule covers), each with its local prefix.
Maya's dirmap compares case, so a drive letter is listed in both cases:

>>> for pair in mapper.prefix_pairs(["C:/Project/a.ma", "//nas/lib/x.abc", "y:/Shots/b.ma"]):
...     print(pair.client, "->", pair.local)
Y:/ -> /mnt/projects/
y:/ -> /mnt/projects/
C:/ -> /farm/jobs/7/C/
c:/ -> /farm/jobs/7/C/
//nas/lib/ -> /farm/jobs/7/nas/lib/
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from farmhand.spec.jobspec import server_path, split_client_path


@dataclass(frozen=True)
class PathRule:
    """A prefix rule: client paths under ``source`` live under ``target`` on the worker.

    ``source`` is a client prefix (``Y:/``, ``//nas/share``, ``/mnt/proj``);
    ``target`` an absolute path on the worker. In JSON it is ``{"from", "to"}``.
    """

    source: str
    target: str

    @classmethod
    def from_dict(cls, data: Mapping) -> PathRule:
        """A rule from ``{"from": ..., "to": ...}`` (a job spec's or a worker config's entry).

        >>> PathRule.from_dict({"from": "Y:/", "to": "/mnt/projects/"})
        PathRule(source='Y:/', target='/mnt/projects/')
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a path rule must be an object with from and to, not {data!r}")
        source, target = data.get("from"), data.get("to")
        if not isinstance(source, str) or not isinstance(target, str):
            raise ValueError(f"a path rule needs string 'from' and 'to', not {dict(data)!r}")
        return cls(source, target)

    def to_dict(self) -> dict:
        """The rule as JSON data, ``{"from": ..., "to": ...}``."""
        return {"from": self.source, "to": self.target}


@dataclass(frozen=True)
class PrefixPair:
    """A client prefix and the local prefix it maps to; both end in ``/``."""

    client: str
    local: str


@dataclass(frozen=True)
class MappedPath:
    """Where a client path lives here, and the rule that put it there (None: the job root)."""

    local: Path
    rule: PathRule | None


@dataclass(frozen=True)
class _ClientPath:
    """A client path split into components: ``drive`` (``C:``, …), ``unc`` (host, share, …)
    or ``posix``; Windows-style ones compare without regard to case."""

    kind: str
    parts: tuple[str, ...]

    @property
    def key(self) -> tuple[str, ...]:
        return self.parts if self.kind == "posix" else tuple(p.casefold() for p in self.parts)

    def startswith(self, prefix: _ClientPath) -> bool:
        n = len(prefix.parts)
        return self.kind == prefix.kind and len(self.parts) >= n and self.key[:n] == prefix.key

    def head(self, n: int) -> _ClientPath:
        return _ClientPath(self.kind, self.parts[:n])

    def texts(self) -> list[str]:
        """The prefix as a client writes it, ending in ``/``; a drive letter in both cases."""
        if self.kind == "drive":
            rest = "".join(p + "/" for p in self.parts[1:])
            letter = self.parts[0][0]
            return list(dict.fromkeys(f"{c}:/{rest}" for c in (letter.upper(), letter.lower())))
        if self.kind == "unc":
            return ["//" + "".join(p + "/" for p in self.parts)]
        return ["/" + "".join(p + "/" for p in self.parts)]


def _parse(text: str) -> _ClientPath:
    """Split a client path or a rule's ``from``; ValueError unless it is absolute and clean."""
    kind, parts = split_client_path(text)
    return _ClientPath(kind, tuple(parts))


def _local_dir(text: str | Path, what: str) -> Path:
    """A rule target or allowed root: an absolute local path without ``..``."""
    if not isinstance(text, str | Path) or not str(text) or "\0" in str(text):
        raise ValueError(f"{what}: must be a non-empty path without NUL, not {text!r}")
    path = Path(text)
    if not path.is_absolute():
        raise ValueError(f"{what}: {str(text)!r} must be an absolute path on the worker")
    if ".." in path.parts:
        raise ValueError(f"{what}: {str(text)!r} contains '..'")
    return path


def _slash(path: Path) -> str:
    text = path.as_posix()
    return text if text.endswith("/") else text + "/"


@dataclass(frozen=True)
class _Rule:
    rule: PathRule
    prefix: _ClientPath
    target: Path


class PathMapper:
    """Maps a job's client paths to this worker's paths (see the module doc for the rules).

    ``root`` is the job's root on the worker; ``worker_rules`` come from the
    worker's config and may map anywhere; ``job_rules`` are the job spec's
    ``path_mapping`` and may only map inside ``root`` or ``allowed_roots``
    (the worker config's list). Rules are ``PathRule`` or ``{"from", "to"}``
    objects. A bad rule is a ValueError naming it.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        worker_rules: Iterable[PathRule | Mapping] = (),
        job_rules: Iterable[PathRule | Mapping] = (),
        allowed_roots: Iterable[str | Path] = (),
    ) -> None:
        self.root = _local_dir(root, "job root")
        self.allowed_roots = [self.root] + [
            _local_dir(r, f"allowed_roots[{i}]") for i, r in enumerate(allowed_roots)
        ]
        rules = [self._rule(r, f"worker path_mapping[{i}]") for i, r in enumerate(worker_rules)]
        for i, given in enumerate(job_rules):
            rule = self._rule(given, f"path_mapping[{i}]")
            if not any(rule.target.is_relative_to(allowed) for allowed in self.allowed_roots):
                allowed = ", ".join(str(a) for a in self.allowed_roots)
                raise ValueError(
                    f"path_mapping[{i}].to: {rule.rule.target!r} is outside the worker's "
                    f"allowed roots ({allowed})"
                )
            rules.append(rule)
        self._rules = rules

    @classmethod
    def for_job(
        cls,
        root: str | Path,
        spec: Mapping,
        *,
        worker_rules: Iterable[PathRule | Mapping] = (),
        allowed_roots: Iterable[str | Path] = (),
    ) -> PathMapper:
        """The mapper for a job spec: its ``path_mapping`` after the worker's rules."""
        return cls(
            root,
            worker_rules=worker_rules,
            job_rules=spec.get("path_mapping") or (),
            allowed_roots=allowed_roots,
        )

    @staticmethod
    def _rule(given: PathRule | Mapping, where: str) -> _Rule:
        try:
            rule = given if isinstance(given, PathRule) else PathRule.from_dict(given)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        try:
            prefix = _parse(rule.source)
        except ValueError as error:
            raise ValueError(f"{where}.from: {error}") from None
        return _Rule(rule, prefix, _local_dir(rule.target, f"{where}.to"))

    @property
    def rules(self) -> list[PathRule]:
        """The prefix rules in the order they are tried: the worker's, then the job's."""
        return [r.rule for r in self._rules]

    def _match(self, path: _ClientPath) -> _Rule | None:
        return next((r for r in self._rules if path.startswith(r.prefix)), None)

    def map(self, client_path: str) -> MappedPath:
        """Where a client path lives here and which rule put it there; ValueError if refused."""
        parsed = _parse(client_path)
        rule = self._match(parsed)
        if rule is not None:
            base, local = rule.target, rule.target.joinpath(*parsed.parts[len(rule.prefix.parts) :])
        else:
            base = self.root
            local = self.root.joinpath(*server_path(client_path).split("/")[1:])
        # Lexically the parts cannot climb; this also stops a component a Windows
        # worker would read as a drive ("C:") from replacing the base.
        if not local.is_relative_to(base):
            raise ValueError(f"{client_path!r} would land outside {base}")
        return MappedPath(local, rule.rule if rule else None)

    def to_local(self, client_path: str) -> Path:
        """The local path of a client path (see the module doc); ValueError if refused.

        >>> mapper = PathMapper("/farm/jobs/7")
        >>> print(mapper.to_local("/home/ann/shot.ma"))
        /farm/jobs/7/home/ann/shot.ma
        >>> mapper.to_local("C:/Project/../../etc/passwd")
        Traceback (most recent call last):
        ...
        ValueError: 'C:/Project/../../etc/passwd' contains '..'; paths on the farm may not climb
        """
        return self.map(client_path).local

    def _default_prefix(self, path: _ClientPath) -> tuple[_ClientPath, Path]:
        """The drive, UNC share or first POSIX folder of a path and its place under the root."""
        if path.kind == "drive":
            return path.head(1), self.root / path.parts[0][0].upper()
        if path.kind == "unc":  # //host/share/x → //host/share; //host/x → //host
            head = path.head(2 if len(path.parts) > 2 else 1)
        else:  # /a/b → /a; /a → /
            head = path.head(1 if len(path.parts) > 1 else 0)
        return head, self.root.joinpath(*head.parts)

    def prefix_pairs(self, client_paths: Iterable[str]) -> list[PrefixPair]:
        """(client prefix → local prefix) pairs for dirmap / ARNOLD_PATHMAP, most binding first.

        Every rule comes first, in order; then, for each client path, the
        prefix that maps it, as that path spells it (so a spelling that only
        a rule's case-insensitive match accepted is listed too). A client
        prefix is listed once.
        """
        pairs: dict[str, str] = {}

        def add(prefix: _ClientPath, local: Path) -> None:
            for text in prefix.texts():
                pairs.setdefault(text, _slash(local))

        for rule in self._rules:
            add(rule.prefix, rule.target)
        for client_path in client_paths:
            parsed = _parse(client_path)
            matched = self._match(parsed)
            if matched is not None:
                add(parsed.head(len(matched.prefix.parts)), matched.target)
            else:
                add(*self._default_prefix(parsed))
        return [PrefixPair(client, local) for client, local in pairs.items()]

    def path_map(self, client_paths: Iterable[str]) -> dict[str, str]:
        """:meth:`prefix_pairs` as the ``{client prefix: local prefix}`` a RenderTask carries."""
        return {pair.client: pair.local for pair in self.prefix_pairs(client_paths)}
