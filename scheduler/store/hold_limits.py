"""What the limits on holds count: a client's live holds, and the times it has held before.

Counted under a lock per client (PostgreSQL's advisory lock, held until the transaction ends; on
SQLite writers are serialised already by ``BEGIN IMMEDIATE``), so clients on any number of
workers and hosts cannot each count the others' holds as absent and all insert one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from scheduler.store import models
from scheduler.store.engine import db
from scheduler.store.engine import dialect_name

# The first key of the two-key advisory locks taken here (their keyspace is apart from the
# one-key locks, such as the outbox's text pace lock); the second is from the client's hash.
HOLD_CLIENT_LOCK = 0x484F4C44  # "HOLD"


def lock_client(client_key: str) -> None:
    """Wait until no other transaction counts this client's holds; held until this one ends."""
    if dialect_name() == "postgresql":
        # A signed 32-bit integer from the key (two clients sharing one only wait for each other).
        second = int.from_bytes(hashlib.sha256(client_key.encode()).digest()[:4], "big", signed=True)
        db.session.execute(select(func.pg_advisory_xact_lock(HOLD_CLIENT_LOCK, second)))


def live_holds(client_key: str, now: datetime) -> int:
    h = models.Hold
    return int(
        db.session.execute(
            select(func.count()).select_from(h).where(h.client_key == client_key, h.expires_at > now)
        ).scalar_one()
    )


def first_held(client_key: str, start: datetime, now: datetime) -> datetime | None:
    """When this client first held ``start`` (its record not yet forgotten), or None."""
    history = models.HoldHistory
    found = db.session.execute(
        select(history.first_held_at).where(
            history.client_key == client_key, history.starts_at == start, history.forget_at > now
        )
    ).scalar_one_or_none()
    return found


def remember_held(client_key: str, start: datetime, now: datetime, forget_at: datetime) -> None:
    """Record that this client holds ``start`` from ``now`` (a record already forgotten starts again)."""
    history = models.HoldHistory
    insert = postgresql.insert if dialect_name() == "postgresql" else sqlite.insert
    statement = insert(history).values(client_key=client_key, starts_at=start, first_held_at=now, forget_at=forget_at)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[history.client_key, history.starts_at],
            set_={"first_held_at": now, "forget_at": forget_at},
            where=history.forget_at <= now,
        )
    )


def forget_history(now: datetime) -> int:
    """Delete the records due to be forgotten; how many went."""
    history = models.HoldHistory
    result = db.session.execute(
        delete(history).where(history.forget_at <= now).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
