"""Refusals of unidentified callers, counted per minute rather than written down one by one.

One row per (minute, client, action, subject) carries how many refusals it stands for. The count
is kept by one INSERT ... ON CONFLICT DO UPDATE ... RETURNING, which both databases run
atomically, so processes on any number of hosts count into the same row without losing any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from scheduler.store import models
from scheduler.store.engine import db
from scheduler.store.engine import dialect_name


def count(*, minute: datetime, client: str, action: str, subject: str, now: datetime) -> int:
    """Count one refusal in its minute's row; how many that row now stands for (1: the first)."""
    tally = models.RefusalTally
    insert = postgresql.insert if dialect_name() == "postgresql" else sqlite.insert
    statement = (
        insert(tally)
        .values(minute=minute, client=client, action=action, subject=subject, count=1, last_at=now)
        .on_conflict_do_update(
            index_elements=[tally.minute, tally.client, tally.action, tally.subject],
            set_={"count": tally.count + 1, "last_at": now},
        )
        .returning(tally.count)
    )
    return int(db.session.execute(statement).scalar_one())


@dataclass(frozen=True)
class Tally:
    minute: datetime
    client: str
    action: str
    subject: str
    count: int
    last_at: datetime


def tallies(*, action: str | None = None, since: datetime | None = None) -> list[Tally]:
    """The rows, oldest minute first (optionally one action's, and from ``since`` on)."""
    tally = models.RefusalTally
    query = select(tally).order_by(tally.minute, tally.id)
    if action is not None:
        query = query.where(tally.action == action)
    if since is not None:
        query = query.where(tally.minute >= since)
    return [
        Tally(row.minute, row.client, row.action, row.subject, row.count, row.last_at)
        for row in db.session.execute(query).scalars()
    ]


def total(action: str, *, subject: str | None = None) -> int:
    """How many refusals of ``action`` (about ``subject``, when given) the rows stand for."""
    tally = models.RefusalTally
    query = select(func.coalesce(func.sum(tally.count), 0)).where(tally.action == action)
    if subject is not None:
        query = query.where(tally.subject == subject)
    return int(db.session.execute(query).scalar_one())
