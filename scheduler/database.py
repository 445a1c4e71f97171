"""Engine setup and the write transaction every booking-like change runs in.

SQLite: WAL (readers run beside the one writer), a busy timeout, foreign keys on, and pysqlite's
own transaction handling replaced by explicit BEGINs so that write transactions can be opened
with ``BEGIN IMMEDIATE``. A deferred transaction that reads and then writes gets SQLITE_BUSY at
once, ignoring the timeout (simonw/datasette#2358): with IMMEDIATE the writer takes the lock up
front, other writers queue on ``busy_timeout``, and check-then-insert is atomic.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000
_IMMEDIATE = "scheduler_immediate"


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction() -> Iterator[Session]:
    """A transaction that will write: committed on success, rolled back on any exception.

    Whatever read-only transaction the session had open is ended first, so the write lock (SQLite)
    is taken before the first read of the check-then-write sequence.
    """
    session = db.session()
    if session.in_transaction():
        session.rollback()
    session.connection(execution_options={_IMMEDIATE: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def is_overlap_violation(error: IntegrityError) -> bool:
    """True when PostgreSQL's exclusion constraint refused an overlapping reservation (SQLSTATE 23P01)."""
    return getattr(error.orig, "sqlstate", None) == "23P01"
