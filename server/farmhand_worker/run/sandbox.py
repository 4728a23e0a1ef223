"""Who a render runs as, with what environment, and what it can reach on the node.

A render runs a JobSpec's scene, and a scene can hold code (Maya scriptNodes,
expressions, Blender drivers): whatever the render can read, a job can read.
So when the worker runs as root and ``render_user`` is set, every render runs
as that unprivileged user (no supplementary groups), and:

* the worker's token lives in ``<data_dir>/private/worker.json``: the folder is
  0700 and the file 0600, both root's, so the render can neither read the file
  nor even reach it;
* the blob cache is 0700 (a render reads the job's files through their links
  under ``jobs/``, never the other jobs' blobs by listing the cache) and
  ``jobs/`` is 0711 (reachable, not listable);
* the attempt's output and work folders are handed to the render user (after
  the adapter's scripts are written there, so no link can redirect them), and
  taken back (recursively, without following links) before the worker reads
  the outputs, so a render process that outlived its task cannot swap a link
  in while they are read;
* each render gets a clean environment: :data:`RENDER_ENV` and the worker's
  ``render_env`` names from the worker's environment, never a ``FARMHAND_*``
  variable, plus what the adapter sets.

Without ``render_user`` renders run as the worker's own user: a worker running
as root then logs a warning at start (docs/security.md).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from farmhand_worker.config import ConfigError

log = logging.getLogger("farmhand.worker")

RENDER_ENV = (
    "PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "LC_NUMERIC", "LC_TIME",
    "LC_COLLATE", "LC_MONETARY", "TZ", "TMPDIR", "TEMP", "TMP",
    "SYSTEMROOT", "WINDIR", "COMSPEC", "PATHEXT",  # a process on Windows needs these
)  # fmt: skip
"""Variables every render gets from the worker's environment (when set there)."""

PRIVATE_DIR = "private"
"""Under the data folder: the worker's own files (its token), unreachable for renders."""


class SandboxError(ConfigError):
    """The node is not set up so that renders can run as configured; the message says how."""


@dataclass(frozen=True, slots=True)
class RenderUser:
    """The unprivileged account renders run as."""

    name: str
    uid: int
    gid: int
    home: str


def render_user(name: str | None) -> RenderUser | None:
    """The account for ``render_user`` (None: renders run as the worker's own user).

    Needs the worker to run as root (it is what lets the worker switch user);
    the account must exist and must not be root.
    """
    if not name:
        if os.geteuid() == 0:
            log.warning(
                "the worker runs as root without render_user: renders run as root and can read "
                "this node's worker token; set render_user (docs/security.md)"
            )
        return None
    if os.geteuid() != 0:
        raise SandboxError(
            f"render_user = {name!r} needs the worker to run as root (to switch to that user); "
            "run it as root, or leave render_user out to render as this user"
        )
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise SandboxError(
            f"render_user {name!r} does not exist: create it with "
            f"`useradd --system --user-group --shell /usr/sbin/nologin {name}`"
        ) from None
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise SandboxError(f"render_user {name!r} is root or in root's group; use another account")
    return RenderUser(name, entry.pw_uid, entry.pw_gid, entry.pw_dir)


def secure_data_dir(data_dir: Path, user: RenderUser | None) -> Path:
    """Make the data folder's layout safe for renders; the private folder for the token.

    With a render user, also checks that the user can reach ``jobs/`` (each folder
    above it must be searchable by that user) and that new files will be readable.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    private = data_dir / PRIVATE_DIR
    private.mkdir(mode=0o700, exist_ok=True)
    os.chmod(private, 0o700)
    if user is None:
        return private
    for name, mode in (("cache", 0o700), ("jobs", 0o711)):
        folder = data_dir / name
        folder.mkdir(exist_ok=True)
        os.chmod(folder, mode)
    os.chmod(data_dir, stat.S_IMODE(data_dir.stat().st_mode) | 0o011)
    blocked = [p for p in (data_dir / "jobs").parents if not _searchable(p, user)]
    if blocked:
        raise SandboxError(
            f"render_user {user.name!r} cannot reach {data_dir / 'jobs'}: {blocked[0]} is not "
            "searchable by it (chmod o+x it, or choose a data_dir it can reach)"
        )
    mask = os.umask(0o022)
    os.umask(mask)
    if mask & 0o004:
        raise SandboxError(
            f"the worker's umask {mask:03o} keeps render_user {user.name!r} from reading the "
            "job's files: run the worker with umask 022"
        )
    return private


def _searchable(folder: Path, user: RenderUser) -> bool:
    info = folder.stat()
    if info.st_uid == user.uid:
        return bool(info.st_mode & stat.S_IXUSR)
    if info.st_gid == user.gid:
        return bool(info.st_mode & stat.S_IXGRP)
    return bool(info.st_mode & stat.S_IXOTH)


def environment(
    adapter_env: Mapping[str, str],
    user: RenderUser | None = None,
    home: Path | None = None,
    passed: Iterable[str] = (),
    source: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A render's whole environment: allowed variables of `source`, identity, the adapter's.

    `passed` names more variables to copy (a worker's ``render_env``: licence servers,
    plug-in paths); ``FARMHAND_*`` ones never are. With a render user, ``HOME`` is that
    user's home when it exists (else `home`) and ``USER``/``LOGNAME`` its name.
    """
    source = os.environ if source is None else source
    names = [*RENDER_ENV, *passed]
    env = {n: source[n] for n in names if n in source and not n.upper().startswith("FARMHAND")}
    if user is not None:
        own_home = Path(user.home)
        chosen = own_home if own_home.is_dir() else home
        env.update(USER=user.name, LOGNAME=user.name)
        if chosen is not None:
            env["HOME"] = str(chosen)
    else:
        for name in ("HOME", "USER", "LOGNAME"):
            if name in source:
                env[name] = source[name]
    env.update(adapter_env)
    return env


def hand_over(user: RenderUser | None, *folders: Path) -> None:
    """Give the render user the folders it writes (the attempt's output and work)."""
    if user is None:
        return
    for folder in folders:
        os.chown(folder, user.uid, user.gid)


def take_back(user: RenderUser | None, folder: Path) -> None:
    """Make everything under `folder` the worker's again, following no link.

    Each folder changes owner before it is listed, so once this returns no
    process of the render user can add, rename or replace anything in the tree.
    """
    if user is None:
        return
    uid, gid = os.geteuid(), os.getegid()
    os.chown(folder, uid, gid, follow_symlinks=False)
    with os.scandir(folder) as entries:
        listed = list(entries)
    for entry in listed:
        with contextlib.suppress(FileNotFoundError):
            if entry.is_dir(follow_symlinks=False):
                take_back(user, Path(entry.path))
            else:
                os.chown(entry.path, uid, gid, follow_symlinks=False)
