"""The first answers to requests sent with an ``Idempotency-Key`` (see ``services.idempotency``).

A key is claimed by inserting its row first thing in the request's transaction: a second request
with the same key waits on the row's unique index (PostgreSQL) or for the write lock (SQLite)
until the first one ends, then finds its answer, or, if the first one was rolled back, claims
the key itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from scheduler.store import models
from scheduler.store.engine import db
from scheduler.store.engine import dialect_name


@dataclass(frozen=True)
class Recorded:
    request_hash: str
    status: int | None
    body: str | None
    location: str | None


def forget_before(cutoff: datetime) -> None:
    """Delete the answers recorded before ``cutoff`` (they hold manage tokens: kept no longer than needed)."""
    record = models.IdempotencyRecord
    db.session.execute(delete(record).where(record.created_at < cutoff).execution_options(synchronize_session=False))


def claim(key_hash: str, request_hash: str, now: datetime) -> bool:
    """Insert the key's row (its answer to come); False when the key is recorded already."""
    record = models.IdempotencyRecord
    insert = postgresql.insert if dialect_name() == "postgresql" else sqlite.insert
    statement = (
        insert(record)
        .values(key_hash=key_hash, request_hash=request_hash, created_at=now)
        .on_conflict_do_nothing(index_elements=[record.key_hash])
        .returning(record.id)
    )
    return db.session.execute(statement).first() is not None


def recorded(key_hash: str) -> Recorded | None:
    record = models.IdempotencyRecord
    found = db.session.execute(
        select(record.request_hash, record.status, record.body, record.location).where(record.key_hash == key_hash)
    ).first()
    return Recorded(*found) if found else None


def record_answer(key_hash: str, status: int, body: str, location: str | None) -> None:
    record = models.IdempotencyRecord
    db.session.execute(
        update(record)
        .where(record.key_hash == key_hash)
        .values(status=status, body=body, location=location)
        .execution_options(synchronize_session=False)
    )
