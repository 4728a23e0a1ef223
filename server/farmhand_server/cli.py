"""`farmhand server` and `farmhand admin`, registered into the `farmhand` command line.

They come in through the `farmhand.commands` entry-point group, so the
artist-side package never imports the server.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import TYPE_CHECKING

from farmhand_server.config import Config, load

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

ROLES = ("artist", "admin")  # as auth.ROLES; kept here so `--help` needs no server imports


def _config(args: argparse.Namespace) -> Config:
    config = load(args.config)
    for name in ("host", "port", "data_dir", "database_url"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(config, name, type(getattr(config, name))(value))
    return config


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="TOML configuration file")
    p.add_argument("--data-dir", dest="data_dir", help="where the database and blobs live")
    p.add_argument("--database-url", dest="database_url", help="sqlite:///… or postgresql://…")


def register_server(sub: argparse._SubParsersAction) -> None:
    """Add `farmhand server`."""
    p = sub.add_parser("server", help="run the farm server")
    _common(p)
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8642)")
    p.set_defaults(run=run_server)


def run_server(args: argparse.Namespace) -> int:
    """Run until interrupted."""
    from aiohttp import web

    from farmhand_server.app import FIRST_ADMIN_TOKEN, create_app

    config = _config(args)
    app = create_app(config)
    # Planning and writing a big job run in a thread; with Python's default 5 ms GIL slices
    # the event loop waits up to that long at each step of a request, so /health and claims
    # queue behind the planner. 1 ms slices keep them answering within the bounds targets.
    sys.setswitchinterval(0.001)

    async def announce(app: web.Application) -> None:
        token = app.get(FIRST_ADMIN_TOKEN)
        if token:
            print("First start: created user 'admin'. Its API token, shown once:", flush=True)
            print(f"  {token}", flush=True)
        print(f"Farmhand server on {config.base_url} (data in {config.data_dir})", flush=True)

    app.on_startup.append(announce)
    # Per-request access lines cost more than a claim's own work; opt in with access_log.
    access = logging.getLogger("aiohttp.access") if config.access_log else None
    if config.access_log:
        logging.basicConfig(level=logging.INFO)
    from farmhand_server.store.shared_folder import StorageMismatch

    try:
        web.run_app(app, host=config.host, port=config.port, print=None, access_log=access)
    except StorageMismatch as exc:
        print(f"farmhand server: {exc}", file=sys.stderr, flush=True)
        return 2
    return 0


def register_admin(sub: argparse._SubParsersAction) -> None:
    """Add `farmhand admin …` (works on the database directly)."""
    p = sub.add_parser("admin", help="manage users, tokens, workers and hardware configs")
    _common(p)
    cmds = p.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    c = cmds.add_parser("create-user", help="add a user and print an API token for them")
    c.add_argument("name")
    c.add_argument("--role", choices=ROLES, default="artist")
    c = cmds.add_parser("issue-token", help="print a new API token for a user")
    c.add_argument("name")
    c.add_argument("--label", default="")
    c = cmds.add_parser("revoke-token", help="revoke an API token by its id")
    c.add_argument("token_id", type=int)
    c = cmds.add_parser("enrol-token", help="print a token new workers register with")
    c.add_argument("--uses", type=int, default=1)
    c.add_argument("--ttl", type=float, default=None, help="seconds until it expires")
    c = cmds.add_parser("revoke-enrol-token", help="revoke an enrolment token by its id")
    c.add_argument("token_id", type=int)
    c = cmds.add_parser(
        "revoke-worker", help="revoke a worker's token (by id or name); its tasks are queued again"
    )
    c.add_argument("worker")
    c = cmds.add_parser("disable-user", help="cut a user off: every token of theirs stops working")
    c.add_argument("name")
    c = cmds.add_parser("enable-user", help="let a disabled user in again")
    c.add_argument("name")
    cmds.add_parser("hardware-configs", help="list hardware configurations")
    cmds.add_parser("users", help="list users")
    cmds.add_parser("workers", help="list workers")
    cmds.add_parser("enrol-tokens", help="list enrolment tokens (ids, uses left, state)")
    p.set_defaults(run=run_admin)


def run_admin(args: argparse.Namespace) -> int:
    """Run one admin action; prints what it made."""
    try:
        return asyncio.run(_admin(_config(args), args))
    except (ValueError, LookupError) as exc:  # IntegrityError is turned into ValueError
        print(f"farmhand admin: {exc}", file=sys.stderr)
        return 1


async def _admin(config: Config, args: argparse.Namespace) -> int:
    from farmhand_server.store import schema as db

    config.data_dir.mkdir(parents=True, exist_ok=True)
    engine = db.create_engine(config.db_url)
    try:
        await db.migrate(engine)
        async with engine.begin() as conn:
            return await _admin_action(conn, args)
    finally:
        await engine.dispose()


async def _admin_action(conn: AsyncConnection, args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    from farmhand_server.accounts import auth, revocation
    from farmhand_server.store import schema as db

    user_id: int | None
    action = args.admin_command
    if action == "create-user":
        try:
            user_id = await auth.create_user(conn, args.name, args.role)
        except sa.exc.IntegrityError:
            raise ValueError(f"a user named {args.name!r} exists") from None
        _, token = await auth.issue_user_token(conn, user_id, "created by farmhand admin")
        print(f"user {args.name} ({args.role}), id {user_id}\ntoken: {token}")
    elif action == "issue-token":
        user_id = await conn.scalar(sa.select(db.users.c.id).where(db.users.c.name == args.name))
        if user_id is None:
            raise LookupError(f"no user named {args.name!r}")
        token_id, token = await auth.issue_user_token(conn, user_id, args.label)
        print(f"token id {token_id}: {token}")
    elif action == "revoke-token":
        if not await auth.revoke_user_token(conn, args.token_id):
            raise LookupError(f"no live token with id {args.token_id}")
        await revocation.token_revoked(conn, args.token_id, None)
        print(f"revoked token {args.token_id}")
    elif action == "enrol-token":
        token_id, token = await auth.issue_enrolment_token(conn, None, args.uses, args.ttl)
        print(token)
        print(f"enrolment token id {token_id} (revoke-enrol-token {token_id})", file=sys.stderr)
    elif action == "revoke-enrol-token":
        if not await revocation.revoke_enrolment_token(conn, args.token_id, None):
            raise LookupError(f"no live enrolment token with id {args.token_id}")
        print(f"revoked enrolment token {args.token_id}")
    elif action == "revoke-worker":
        done = await revocation.revoke_worker(conn, await _worker_id(conn, args.worker), None)
        print(f"revoked worker {done.name} (id {done.worker_id}), {done.requeued} task(s) requeued")
    elif action in ("disable-user", "enable-user"):
        user_id = await conn.scalar(sa.select(db.users.c.id).where(db.users.c.name == args.name))
        if user_id is None:
            raise LookupError(f"no user named {args.name!r}")
        disable = action == "disable-user"
        await revocation.set_user_disabled(conn, user_id, disable, None)
        print(f"{'disabled' if disable else 'enabled'} user {args.name}")
    elif action == "workers":
        for row in await conn.execute(sa.select(db.workers).order_by(db.workers.c.id)):
            state = "revoked" if row.revoked_at else row.state
            print(f"{row.id:>4}  {row.name}  {row.hostname}  {state}")
    elif action == "enrol-tokens":
        e = db.enrolment_tokens
        for row in await conn.execute(sa.select(e).order_by(e.c.id)):
            state = "revoked" if row.revoked_at else f"{row.uses_left} use(s) left"
            print(f"{row.id:>4}  {state}")
    elif action == "hardware-configs":
        for row in await conn.execute(sa.select(db.hardware_configs)):
            print(
                f"{row.id:>6}  {row.name}: {row.ram_gb:g} GB RAM, {row.cpu_cores} cores, "
                f"{row.gpu_count} GPU {row.gpu_model}, {row.price_per_hour:g}/h"
            )
    elif action == "users":
        for row in await conn.execute(sa.select(db.users).order_by(db.users.c.id)):
            disabled = "  disabled" if row.disabled_at else ""
            print(f"{row.id:>4}  {row.name}  {row.role}{disabled}")
    return 0


async def _worker_id(conn: AsyncConnection, worker: str) -> int:
    """A worker named by its id or its name (LookupError if none, or the name is ambiguous)."""
    import sqlalchemy as sa

    from farmhand_server.store import schema as db

    w = db.workers
    if worker.isascii() and worker.isdigit():
        found = [int(worker)]
    else:
        found = list(await conn.scalars(sa.select(w.c.id).where(w.c.name == worker)))
    if len(found) > 1:
        raise LookupError(f"{len(found)} workers are named {worker!r}: give the id")
    if not found or await conn.scalar(sa.select(w.c.id).where(w.c.id == found[0])) is None:
        raise LookupError(f"no worker {worker!r}")
    return found[0]
