"""Engine setup and the write transaction every booking-like change runs in.

SQLite: WAL (readers run beside the one writer), a busy timeout, foreign keys on, and pysqlite's
own transaction handling replaced by explicit BEGINs so that write transactions can be opened
with ``BEGIN IMMEDIATE``. A deferred transaction that reads and then writes gets SQLITE_BUSY at
once, ignoring the timeout (simonw/datasette#2358): with IMMEDIATE the writer takes the lock up
front, other writers queue on ``busy_timeout``, and check-then-insert is atomic.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from psycopg import RawCursor
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000
IDLE_PING_SECONDS = 10.0
_IDLE_SINCE = "scheduler_idle_since"
_IMMEDIATE = "scheduler_immediate"


# PostgreSQL's planner default (4) prices a random page read as if from a spinning disk. The
# clinic's tables are small enough to stay in memory, so a random read costs about what a
# sequential one does (PostgreSQL's documentation suggests 1.1 for such storage). It matters most
# for plans made while a table is still small, such as the first weeks of the patient table: a
# prepared statement keeps its plan for the connection's life, and with the default that plan
# read the whole patient table on every booking as the table grew (bench B4 fell by a quarter
# within 10,000 bookings).
RANDOM_PAGE_COST = 1.1


def configure_engine(engine: Engine) -> None:
    _ping_idle_connections(engine)
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _on_postgresql_connect(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET random_page_cost = {RANDOM_PAGE_COST}")
            dbapi_connection.commit()

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


def _ping_idle_connections(engine: Engine) -> None:
    """Test a pooled connection before use when it has sat idle for IDLE_PING_SECONDS or more.

    SQLAlchemy's pool_pre_ping tests it at every checkout: a round trip to the server on every
    request, about a tenth of a booking's cost under load. A connection that was used a moment ago
    is almost surely alive; one that sat idle may have been closed by a server restart or a
    firewall, and is replaced here before a request sees the failure.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool drops this connection and checks out (or opens) another.
            raise DisconnectionError("The idle database connection was closed.") from error


@contextmanager
def write_transaction() -> Iterator[Session]:
    """A transaction that will write: committed on success, rolled back on any exception.

    Whatever read-only transaction the session had open is ended first, so the write lock (SQLite)
    is taken before the first read of the check-then-write sequence.
    """
    session = db.session()
    if session.in_transaction():
        session.rollback()
    _remember_driver(session, session.connection(execution_options={_IMMEDIATE: True}))
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


class Driver:
    """Plain SQL on the DBAPI connection of the session's current transaction.

    For the few statements every booking runs. Measured here on PostgreSQL, one small query costs
    about 0.05 ms of Python through the driver, 0.11 ms through SQLAlchemy Core and 0.18 ms through
    the ORM; a booking runs three (the last writes all its rows), and on two cores that difference
    is a large part of how many bookings a second the service takes (bench B4). Everything else
    uses the ORM.

    Statements are written once, with ``:name`` placeholders, in SQL both databases accept. Values
    are stored the way the models' column types store them: times in UTC, and on SQLite as text in
    SQLAlchemy's format (so that comparisons sort correctly), dates as ISO text, booleans as 0/1.
    """

    def __init__(self, dbapi_connection: Any, dialect: Dialect) -> None:
        self.dbapi_connection = dbapi_connection
        self._dialect = dialect
        self._sqlite = dialect.name == "sqlite"
        # One cursor for the connection's life: creating one costs. On PostgreSQL a raw cursor,
        # which takes PostgreSQL's own $1 placeholders: psycopg's ordinary cursor parses every
        # statement's %s placeholders, and does it anew each time for a statement with more than
        # 50 values (a booking's one write has more), at a tenth of a booking's Python time.
        self._cursor = dbapi_connection.cursor() if self._sqlite else RawCursor(dbapi_connection)

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        self._execute(sql, params)
        return self._cursor.fetchall()

    def run(self, sql: str, params: dict[str, Any]) -> int:
        """Run a statement that returns no rows; the number of rows it changed."""
        self._execute(sql, params)
        return max(self._cursor.rowcount, 0)

    def insert(self, table: str, rows: Sequence[dict[str, Any]]) -> None:
        """One multi-row INSERT of ``rows`` (each with the same columns, as one function makes
        them): one statement however many rows (an executemany is one statement per row, each
        firing the table's statement triggers)."""
        self.insert_all([(table, rows)])

    def insert_all(self, tables: Sequence[tuple[str, Sequence[dict[str, Any]]]]) -> None:
        """Insert rows into several tables, in order, as :meth:`insert` does for one.

        On PostgreSQL that is one statement (each table's INSERT a data-modifying WITH), so one
        round trip; foreign keys between the rows hold, as they are checked at the statement's end.
        SQLite has no INSERT inside WITH, and in-process statements cost little: one per table.
        Rows that refer to each other need their ids up front (see :meth:`next_id`).
        """
        tables = [(table, rows) for table, rows in tables if rows]
        if not tables:
            return
        batch = [(table, tuple(rows[0]), len(rows)) for table, rows in tables]
        values = {
            f"t{t}_{column}_{i}": row[column]
            for t, (_table, rows) in enumerate(tables)
            for i, row in enumerate(rows)
            for column in rows[0]
        }
        if self._sqlite:
            for t, shape in enumerate(batch):
                self._execute(_insert_statement((shape,), t), values)
        else:
            self._execute(_insert_statement(tuple(batch)), values)

    def next_id(self, table: str) -> str:
        """SQL for the id the next row of ``table`` will take, to read before inserting rows that
        refer to it (then written with :meth:`insert_all` in one statement). On PostgreSQL it
        draws from the column's sequence (an unused number is only a gap); on SQLite it is one
        past the largest, which nobody else can take while the write transaction holds the lock."""
        if self._sqlite:
            return f"(SELECT coalesce(max(id), 0) + 1 FROM {table})"
        return f"nextval(pg_get_serial_sequence('{table}', 'id'))"

    def instant(self, value: Any) -> datetime:
        """A UTC time as read back from a time column."""
        if self._sqlite:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def _execute(self, sql: str, params: dict[str, Any]) -> None:
        statement, names = _positional(sql, self._sqlite)
        if self._sqlite:
            values = tuple(_sqlite_value(params[name]) for name in names)
        else:
            values = tuple(params[name] for name in names)
        try:
            self._cursor.execute(statement, values)
        except self._dialect.loaded_dbapi.Error as error:
            # Raised as SQLAlchemy raises it (IntegrityError for an overlap, say), so callers
            # catch one kind of error; the values are left out, as the engine leaves them out.
            raise DBAPIError.instance(
                sql, None, error, self._dialect.loaded_dbapi.Error, hide_parameters=True, dialect=self._dialect
            ) from error


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).strftime(_SQLITE_DATETIME)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's storage format for DateTime on SQLite
# A quoted literal (left as it is) or a :name placeholder; PostgreSQL's :: casts are neither.
_LITERAL_OR_NAMED = re.compile(r"'(?:[^']|'')*'|(?<![:\w]):(\w+)")


@functools.cache
def _positional(sql: str, sqlite: bool) -> tuple[str, tuple[str, ...]]:
    """``sql`` with ``:name`` placeholders made positional (``?`` for sqlite3, ``$1``, ``$2`` ...
    for PostgreSQL), and the names in their order. Text in quotes is never a placeholder."""
    names: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group(0)  # a quoted literal, as it is
        names.append(match.group(1))
        return "?" if sqlite else f"${len(names)}"

    converted = _LITERAL_OR_NAMED.sub(replace, sql)
    return converted, tuple(names)


@functools.cache
def _insert_statement(batch: tuple[tuple[str, tuple[str, ...], int], ...], first: int = 0) -> str:
    """The INSERT for each (table, columns, row count) of ``batch``, numbered from ``first`` in
    the placeholders (``:t1_id_0``), all but the last as data-modifying WITHs of the last."""
    inserts = [
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        + ", ".join("(" + ", ".join(f":t{t}_{column}_{i}" for column in columns) + ")" for i in range(row_count))
        for t, (table, columns, row_count) in enumerate(batch, start=first)
    ]
    if len(inserts) == 1:
        return inserts[0]
    return "WITH " + ", ".join(f"w{t} AS ({sql})" for t, sql in enumerate(inserts[:-1])) + " " + inserts[-1]


def driver() -> Driver:
    """The driver for the session's current transaction (begun if need be, with the write lock
    when inside :func:`write_transaction`). Pending ORM changes are flushed first, as
    ``session.execute`` would (autoflush), so a plain read never misses them."""
    session = db.session()
    session.flush()
    # Asking the session for its connection costs more than a statement on the driver: once per
    # transaction is enough (a new transaction is a new object, so the check is exact).
    known = session.info.get(_DRIVER)
    if known is not None and known[0] is session.get_transaction():
        return known[1]
    return _remember_driver(session, session.connection())


def _remember_driver(session: Session, connection: Connection) -> Driver:
    """The driver of ``connection`` (the session's, in its current transaction), remembered for
    the transaction's life."""
    dbapi_connection = connection.connection.driver_connection
    # Kept with the pooled connection; a reconnect behind the same pool entry gets a new one.
    found = connection.info.get(_DRIVER)
    if found is None or found.dbapi_connection is not dbapi_connection:
        found = connection.info[_DRIVER] = Driver(dbapi_connection, connection.dialect)
    session.info[_DRIVER] = (session.get_transaction(), found)
    return found


_DRIVER = "scheduler_driver"


def is_overlap_violation(error: IntegrityError) -> bool:
    """True when PostgreSQL's exclusion constraint refused an overlapping reservation (SQLSTATE 23P01)."""
    return getattr(error.orig, "sqlstate", None) == "23P01"
