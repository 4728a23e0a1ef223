"""Tokens and who is calling: users (artist, admin), workers, and worker enrolment.

A token is shown once, when it is issued; the database keeps only its
SHA-256. The prefix says what kind of token it is (`fhu_` user, `fhw_`
worker, `fhe_` enrolment) so a worker token can never pass as a user's.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.store import schema as db
from farmhand_server.store.database import inserted_id

USER_PREFIX, WORKER_PREFIX, ENROL_PREFIX = "fhu_", "fhw_", "fhe_"
ROLES = ("artist", "admin")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request comes from."""

    kind: str  # "user" | "worker" | "enrol"
    id: int
    name: str = ""
    role: str = ""  # for users: artist | admin

    @property
    def is_admin(self) -> bool:
        return self.kind == "user" and self.role == "admin"


def new_token(prefix: str) -> str:
    """A fresh random token with its kind prefix."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database stores for a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def authenticate(conn: AsyncConnection, token: str) -> Principal | None:
    """The principal a bearer token belongs to, or None (unknown, revoked or disabled)."""
    digest = token_hash(token)
    if token.startswith(USER_PREFIX):
        row = (
            await conn.execute(
                sa.select(db.users.c.id, db.users.c.name, db.users.c.role)
                .join(db.api_tokens, db.api_tokens.c.user_id == db.users.c.id)
                .where(
                    db.api_tokens.c.token_hash == digest,
                    db.api_tokens.c.revoked_at.is_(None),
                    db.users.c.disabled_at.is_(None),
                )
            )
        ).first()
        return Principal("user", row.id, row.name, row.role) if row else None
    if token.startswith(WORKER_PREFIX):
        worker = (
            await conn.execute(
                sa.select(db.workers.c.id, db.workers.c.name).where(
                    db.workers.c.token_hash == digest, db.workers.c.revoked_at.is_(None)
                )
            )
        ).first()
        return Principal("worker", worker.id, worker.name) if worker else None
    if token.startswith(ENROL_PREFIX):
        enrolment = (
            await conn.execute(
                sa.select(db.enrolment_tokens.c.id).where(
                    db.enrolment_tokens.c.token_hash == digest,
                    db.enrolment_tokens.c.uses_left > 0,
                    db.enrolment_tokens.c.revoked_at.is_(None),
                    sa.or_(
                        db.enrolment_tokens.c.expires_at.is_(None),
                        db.enrolment_tokens.c.expires_at > time.time(),
                    ),
                )
            )
        ).first()
        return Principal("enrol", enrolment.id) if enrolment else None
    return None


async def create_user(conn: AsyncConnection, name: str, role: str = "artist") -> int:
    """Add a user; returns its id."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    result = await conn.execute(
        db.users.insert().values(name=name, role=role, created_at=time.time())
    )
    return inserted_id(result)


async def issue_user_token(conn: AsyncConnection, user_id: int, label: str = "") -> tuple[int, str]:
    """A new API token for a user: (token id, the token — shown once)."""
    token = new_token(USER_PREFIX)
    result = await conn.execute(
        db.api_tokens.insert().values(
            user_id=user_id, token_hash=token_hash(token), label=label, created_at=time.time()
        )
    )
    return inserted_id(result), token


async def revoke_user_token(conn: AsyncConnection, token_id: int) -> bool:
    """Revoke a token; False when there is no such live token."""
    result = await conn.execute(
        db.api_tokens.update()
        .where(db.api_tokens.c.id == token_id, db.api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=time.time())
    )
    return result.rowcount > 0


async def issue_enrolment_token(
    conn: AsyncConnection, created_by: int | None, uses: int = 1, ttl_seconds: float | None = None
) -> tuple[int, str]:
    """A token a new render node uses once (or `uses` times) to register itself: (id, token)."""
    token = new_token(ENROL_PREFIX)
    now = time.time()
    result = await conn.execute(
        db.enrolment_tokens.insert().values(
            token_hash=token_hash(token),
            created_by=created_by,
            uses_left=uses,
            created_at=now,
            expires_at=now + ttl_seconds if ttl_seconds else None,
        )
    )
    return inserted_id(result), token


async def ensure_admin(conn: AsyncConnection) -> str | None:
    """On first start: create an `admin` user and return its token (else None)."""
    count = await conn.scalar(sa.select(sa.func.count()).select_from(db.users))
    if count:
        return None
    user_id = await create_user(conn, "admin", "admin")
    _, token = await issue_user_token(conn, user_id, "first start")
    return token
