"""One SQL schema for SQLite and PostgreSQL (SQLAlchemy Core), and its migrations.

SQLite runs in WAL mode with a busy timeout so several connections of one
server can share it; PostgreSQL is for studios that run several server
processes against one database. Times are stored as epoch seconds (floats),
the same on both engines.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

metadata = sa.MetaData()


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _now_column(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Float, nullable=nullable)


users = sa.Table(
    "users",
    metadata,
    _id(),
    sa.Column("name", sa.String(120), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),  # artist | admin
    _now_column("created_at"),
    _now_column("disabled_at", nullable=True),  # a disabled user's tokens stop working
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    _id(),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("label", sa.String(200), nullable=False, default=""),
    _now_column("created_at"),
    _now_column("revoked_at", nullable=True),
)

projects = sa.Table(
    "projects",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    _now_column("created_at"),
    # Made by an admin for everyone; else made by a submission, seen by those with jobs in it.
    sa.Column("shared", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
)

hardware_configs = sa.Table(
    "hardware_configs",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),  # "418", as Renderbus names them
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("ram_gb", sa.Float, nullable=False, default=0),
    sa.Column("cpu_cores", sa.Integer, nullable=False, default=0),
    sa.Column("gpu_count", sa.Integer, nullable=False, default=0),
    sa.Column("gpu_model", sa.String(200), nullable=False, default=""),
    sa.Column("price_per_hour", sa.Float, nullable=False, default=0.0),
)

enrolment_tokens = sa.Table(
    "enrolment_tokens",
    metadata,
    _id(),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("uses_left", sa.Integer, nullable=False, default=1),
    _now_column("created_at"),
    _now_column("expires_at", nullable=True),
    _now_column("revoked_at", nullable=True),
)

workers = sa.Table(
    "workers",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("hostname", sa.String(255), nullable=False, default=""),
    sa.Column("platform", sa.String(40), nullable=False, default=""),
    sa.Column("ram_gb", sa.Float, nullable=False, default=0),
    sa.Column("cpu_cores", sa.Integer, nullable=False, default=0),
    sa.Column("gpu_count", sa.Integer, nullable=False, default=0),
    sa.Column("gpu_memory_gb", sa.Float, nullable=False, default=0),
    sa.Column("tags", sa.JSON, nullable=False, default=list),
    sa.Column("software", sa.JSON, nullable=False, default=dict),
    sa.Column("hardware_config_id", sa.String(40), nullable=True),
    sa.Column("slots", sa.Integer, nullable=False, default=1),
    sa.Column("state", sa.String(16), nullable=False, default="idle"),
    # An admin's hold: "drain" (finish what runs, take no more) or "disable"; NULL: takes work.
    sa.Column("hold", sa.String(16), nullable=True),
    _now_column("registered_at"),
    _now_column("last_seen", nullable=True),
    _now_column("revoked_at", nullable=True),
)

blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),  # "<md5>-<size>"
    sa.Column("md5", sa.String(32), nullable=False),
    sa.Column("xxh64", sa.String(16), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    _now_column("created_at"),
    _now_column("last_used", nullable=True),
)

blob_owners = sa.Table(
    "blob_owners",
    metadata,
    sa.Column("blob_key", sa.String(64), sa.ForeignKey("blobs.key"), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
    _now_column("created_at"),
)

uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("md5", sa.String(32), nullable=False),
    sa.Column("xxh64", sa.String(16), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("received", sa.BigInteger, nullable=False, default=0),
    _now_column("created_at"),
    _now_column("updated_at"),
    sa.UniqueConstraint("user_id", "md5", "size", name="uq_upload_per_user_blob"),
)

jobs = sa.Table(
    "jobs",
    metadata,
    _id(),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("state", sa.String(24), nullable=False, index=True),
    sa.Column("priority", sa.Integer, nullable=False),  # the spec's, or its schema default
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("tasks_total", sa.Integer, nullable=False, default=0),
    sa.Column("tasks_done", sa.Integer, nullable=False, default=0),
    sa.Column("tasks_failed", sa.Integer, nullable=False, default=0),
    # Test tasks not yet done: while > 0 only test tasks are dispatched.
    sa.Column("test_pending", sa.Integer, nullable=False, default=0),
    sa.Column("stop_after_test", sa.Boolean, nullable=False, default=False),
    sa.Column("approved", sa.Boolean, nullable=False, default=False),
    # Hardware needs, as columns so the claim query compares them directly.
    sa.Column("ram_gb", sa.Float, nullable=False, default=0),
    sa.Column("gpu_count", sa.Integer, nullable=False, default=0),
    sa.Column("gpu_memory_gb", sa.Float, nullable=False, default=0),
    sa.Column("cpu_cores", sa.Integer, nullable=False, default=0),
    sa.Column("time_out", sa.Integer, nullable=False),  # seconds per attempt
    sa.Column("max_retries", sa.Integer, nullable=False),
    _now_column("deadline", nullable=True),  # created_at + job_stop_time
    _now_column("created_at"),
    _now_column("updated_at"),
    _now_column("started_at", nullable=True),
    _now_column("finished_at", nullable=True),
)

tasks = sa.Table(
    "tasks",
    metadata,
    _id(),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),  # dispatch order within the job (tests first)
    sa.Column("kind", sa.String(16), nullable=False),  # chunk | tile | assemble
    sa.Column("frames", sa.JSON, nullable=False),
    sa.Column("tile", sa.JSON, nullable=True),
    # Index of the task's layer group in a version 2 JobSpec's `layers`; NULL for version 1.
    sa.Column("layer", sa.Integer, nullable=True),
    sa.Column("is_test", sa.Boolean, nullable=False, default=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("failures", sa.Integer, nullable=False, default=0),
    _now_column("updated_at"),
    # A person's retry: failures before it no longer keep the task from a worker.
    _now_column("retried_at", nullable=True),
    # A queued task a server process holds in memory to hand out (`dispatch.view`): a hint, not
    # a lock; free again once `reserved_until` passed (the owner died) or the owner returns it.
    sa.Column("reserved_by", sa.String(40), nullable=True),
    _now_column("reserved_until", nullable=True),
    # Why a task failed for good (out of retries, no node left to run it, …); NULL otherwise.
    sa.Column("message", sa.Text, nullable=True),
    sa.Index("ix_tasks_job_state_seq", "job_id", "state", "seq"),
    # The liveness check (`liveness`) reads queued tasks that failed somewhere, and only those
    # ((job_id, state) rather than job_id alone: SQLite then prefers it to the index above).
    sa.Index(
        "ix_tasks_failed_queued",
        "job_id",
        "state",
        postgresql_where=sa.text("state = 'queued' AND failures > 0"),
        sqlite_where=sa.text("state = 'queued' AND failures > 0"),
    ),
)

attempts = sa.Table(
    "attempts",
    metadata,
    _id(),
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), nullable=False, index=True),
    sa.Column("worker_id", sa.Integer, sa.ForeignKey("workers.id"), nullable=False, index=True),
    # running | done | failed | timeout | lost | killed
    sa.Column("state", sa.String(16), nullable=False),
    _now_column("lease_expires", nullable=True),
    _now_column("started_at"),
    _now_column("ended_at", nullable=True),
    sa.Column("exit_code", sa.Integer, nullable=True),
    sa.Column("peak_memory_mb", sa.Float, nullable=True),
    sa.Column("cores", sa.Integer, nullable=False, default=0),  # for core-hour accounting
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("progress", sa.Float, nullable=True),  # 0..1 of the frame rendering, by heartbeat
)

job_requirements = sa.Table(
    "job_requirements",
    metadata,
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), primary_key=True),
    sa.Column("key", sa.String(300), primary_key=True),  # "software:maya:2025", "tag:gpu", …
)

job_hardware_configs = sa.Table(
    "job_hardware_configs",
    metadata,
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), primary_key=True),
    sa.Column("config_id", sa.String(40), primary_key=True),
)

job_blobs = sa.Table(
    "job_blobs",
    metadata,
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), primary_key=True),
    sa.Column("blob_key", sa.String(64), sa.ForeignKey("blobs.key"), primary_key=True),
    sa.Index("ix_job_blobs_blob", "blob_key"),
)

job_events = sa.Table(
    "job_events",
    metadata,
    _id(),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False, index=True),
    _now_column("at"),
    sa.Column("from_state", sa.String(24), nullable=True),
    sa.Column("to_state", sa.String(24), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False, default=""),
)

events = sa.Table(
    "events",
    metadata,
    _id(),
    _now_column("at"),
    sa.Column("kind", sa.String(16), nullable=False),  # job | task | worker
    sa.Column("user_id", sa.Integer, nullable=True, index=True),  # who may see it (None: admins)
    sa.Column("job_id", sa.Integer, nullable=True),
    sa.Column("data", sa.JSON, nullable=False),
)

blocklist = sa.Table(
    "blocklist",
    metadata,
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), primary_key=True),
    sa.Column("worker_id", sa.Integer, sa.ForeignKey("workers.id"), primary_key=True),
    _now_column("created_at"),
)

# What a worker produced for a task: images, tiles waiting for assembly, previews.
outputs = sa.Table(
    "outputs",
    metadata,
    _id(),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False),
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), nullable=False),
    sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id"), nullable=False),
    sa.Column("frame", sa.Integer, nullable=True),
    sa.Column("name", sa.String(1024), nullable=False),  # relative to the job's output folder
    sa.Column("kind", sa.String(16), nullable=False),  # image | tile | preview | file
    sa.Column("blob_key", sa.String(64), sa.ForeignKey("blobs.key"), nullable=False),
    sa.Column("tile_mode", sa.String(16), nullable=True),  # full | cropped, for tiles
    sa.Column("preview_of", sa.Integer, nullable=True),  # the output this preview shows
    _now_column("created_at"),
    sa.Index("ix_outputs_job_frame", "job_id", "frame"),
)

# Uploads a worker started for one of its attempts: the blob then belongs to the job's owner.
worker_uploads = sa.Table(
    "worker_uploads",
    metadata,
    sa.Column("upload_id", sa.String(36), sa.ForeignKey("uploads.id"), primary_key=True),
    sa.Column("worker_id", sa.Integer, sa.ForeignKey("workers.id"), nullable=False),
    sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id"), nullable=False),
)

# Every cut-off credential (worker, enrolment token, user), in order: server processes watch
# the highest id to drop what they cached (`revocation`).
revocations = sa.Table(
    "revocations",
    metadata,
    _id(),
    _now_column("at"),
    sa.Column("kind", sa.String(16), nullable=False),  # worker | enrol | user | token | enabled
    sa.Column("subject_id", sa.Integer, nullable=False),
    sa.Column("by_user", sa.Integer, nullable=True),  # None: `farmhand admin` on the database
)

# Where the webhooks have got to in `events` (one row): moved with a compare-and-set, so
# that of several server processes one sends each event (`webhooks`).
webhook_cursor = sa.Table(
    "webhook_cursor",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("last_event_id", sa.Integer, nullable=False),
)

# Periodic duties (`duties`): when each last ran and where, claimed with a compare-and-set so
# that of several server processes one runs each round.
duties = sa.Table(
    "duties",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("last_run", sa.Float, nullable=False),
    sa.Column("owner", sa.String(120), nullable=False, default=""),
)

# The identity of the blob folder this database's blobs live in (one row, `storage_check`):
# every server process must find the same id in the marker file of its blob folder.
storage_identity = sa.Table(
    "storage_identity",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("store_id", sa.String(64), nullable=False),
    _now_column("created_at"),
)

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    _now_column("applied_at"),
)


async def forget_upload(conn: AsyncConnection, upload_id: str) -> None:
    """Delete an upload's row (and the record of the worker that started it)."""
    await conn.execute(worker_uploads.delete().where(worker_uploads.c.upload_id == upload_id))
    await conn.execute(uploads.delete().where(uploads.c.id == upload_id))


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite connections get WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        # The driver calls it with its connection (sqlite3) and SQLAlchemy's record of it.
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:  # pragma: no cover
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=20, max_overflow=20)


Migration = Callable[[AsyncConnection], Awaitable[None]]


async def _v1_initial(conn: AsyncConnection) -> None:
    await conn.run_sync(metadata.create_all, checkfirst=True)


async def _v2_outputs(conn: AsyncConnection) -> None:
    await conn.run_sync(outputs.create, checkfirst=True)
    await conn.run_sync(worker_uploads.create, checkfirst=True)


async def _add_columns(conn: AsyncConnection, table: str, columns: dict[str, str]) -> None:
    """`ALTER TABLE … ADD COLUMN` for each column (name → SQL type) the table lacks."""
    have = await conn.run_sync(
        lambda sync: {c["name"] for c in sa.inspect(sync).get_columns(table)}
    )
    for name, kind in columns.items():
        if name not in have:
            await conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {name} {kind}"))


async def _v3_attempt_progress(conn: AsyncConnection) -> None:
    await _add_columns(conn, "attempts", {"progress": "FLOAT"})


async def _v4_task_reservations(conn: AsyncConnection) -> None:
    await _add_columns(
        conn,
        "tasks",
        {
            name: str(tasks.c[name].type.compile(dialect=conn.dialect))
            for name in ("reserved_by", "reserved_until")
        },
    )


async def _v5_task_layer(conn: AsyncConnection) -> None:
    await _add_columns(conn, "tasks", {"layer": "INTEGER"})


async def _v6_credentials_and_projects(conn: AsyncConnection) -> None:
    await _add_columns(conn, "users", {"disabled_at": "FLOAT"})
    await _add_columns(conn, "enrolment_tokens", {"revoked_at": "FLOAT"})
    await _add_columns(conn, "projects", {"shared": "BOOLEAN NOT NULL DEFAULT FALSE"})
    await conn.run_sync(revocations.create, checkfirst=True)


async def _v7_task_message(conn: AsyncConnection) -> None:
    await _add_columns(conn, "tasks", {"message": "TEXT"})
    index = next(i for i in tasks.indexes if i.name == "ix_tasks_failed_queued")
    await conn.run_sync(lambda sync: index.create(sync, checkfirst=True))


async def _v8_webhook_cursor(conn: AsyncConnection) -> None:
    await conn.run_sync(webhook_cursor.create, checkfirst=True)


async def _v9_worker_hold(conn: AsyncConnection) -> None:
    await _add_columns(conn, "workers", {"hold": "VARCHAR(16)"})


async def _v10_scale_out(conn: AsyncConnection) -> None:
    await conn.run_sync(duties.create, checkfirst=True)
    await conn.run_sync(storage_identity.create, checkfirst=True)


# Ordered; each runs once, in its own transaction, recorded in schema_version.
# v1 creates the tables as they are now, so later steps must be no-ops on a new database.
MIGRATIONS: list[Migration] = [
    _v1_initial, _v2_outputs, _v3_attempt_progress, _v4_task_reservations, _v5_task_layer,
    _v6_credentials_and_projects, _v7_task_message, _v8_webhook_cursor, _v9_worker_hold,
    _v10_scale_out,
]  # fmt: skip


async def migrate(engine: AsyncEngine) -> int:
    """Bring the schema up to date; returns the version now in place.

    Several server processes may start at once against one PostgreSQL
    database; a transaction-scoped advisory lock makes them take turns.
    """
    for number, migration in enumerate(MIGRATIONS, start=1):
        async with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                await conn.execute(sa.text("SELECT pg_advisory_xact_lock(864201)"))
            await conn.run_sync(schema_version.create, checkfirst=True)
            done = await conn.scalar(
                sa.select(sa.func.count()).where(schema_version.c.version == number)
            )
            if done:
                continue
            await migration(conn)
            await conn.execute(
                schema_version.insert().values(version=number, applied_at=time.time())
            )
    return len(MIGRATIONS)
