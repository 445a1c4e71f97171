"""Plain SQL for the few statements every booking runs: private to the store.

See :class:`Driver`. The unit of work (:mod:`scheduler.store.unit_of_work`) hands its connection
to the driver when it opens the write transaction.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from psycopg import RawCursor
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.store.engine import UNIT_OF_WORK_DEPTH
from scheduler.store.engine import db


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
        # PostgreSQL's binary results: a time arrives as a number, not text to parse.
        self._options: dict[str, Any] = {} if self._sqlite else {"binary": True}

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        self._execute(sql, params)
        return self._cursor.fetchall()

    def run(self, sql: str, params: dict[str, Any]) -> int:
        """Run a statement that returns no rows; the number of rows it changed. Writes, so only
        inside a unit of work."""
        _require_unit_of_work()
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
        _require_unit_of_work()
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
            try:
                # Parsing the offset costs a tenth of replace(tzinfo=UTC) afterwards, and
                # availability reads thousands of these.
                return datetime.fromisoformat(value + "+00:00")
            except ValueError:  # text with an offset of its own (not written by SQLAlchemy)
                return datetime.fromisoformat(value).replace(tzinfo=UTC)
        moment: datetime = value
        return moment.astimezone(UTC)

    def day(self, value: Any) -> date:
        """A date as read back from a date column."""
        if self._sqlite:
            return date.fromisoformat(value)
        day: date = value
        return day

    def _execute(self, sql: str, params: dict[str, Any]) -> None:
        statement, names = _positional(sql, self._sqlite)
        if self._sqlite:
            values = tuple(_sqlite_value(params[name]) for name in names)
        else:
            values = tuple(params[name] for name in names)
        try:
            self._cursor.execute(statement, values, **self._options)
        except self._dialect.loaded_dbapi.Error as error:
            # Raised as SQLAlchemy raises it (IntegrityError for an overlap, say), so callers
            # catch one kind of error; the values are left out, as the engine leaves them out.
            raise DBAPIError.instance(
                sql, None, error, self._dialect.loaded_dbapi.Error, hide_parameters=True, dialect=self._dialect
            ) from error


def _require_unit_of_work() -> None:
    # A write outside a unit of work would sit in a read transaction that nothing commits, and
    # the next unit of work would roll it back unseen (the flush check cannot see plain SQL).
    if not db.session().info.get(UNIT_OF_WORK_DEPTH):
        raise RuntimeError("The driver writes only inside a unit of work: open one first.")


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
    when inside a unit of work). Pending ORM changes are flushed first, as
    ``session.execute`` would (autoflush), so a plain read never misses them."""
    session = db.session()
    session.flush()
    # Asking the session for its connection costs more than a statement on the driver: once per
    # transaction is enough (a new transaction is a new object, so the check is exact).
    known: tuple[Any, Driver] | None = session.info.get(_DRIVER)
    if known is not None and known[0] is session.get_transaction():
        return known[1]
    return remember_driver(session, session.connection())


@contextmanager
def reading() -> Iterator[Driver]:
    """The driver for a read that needs no transaction of its own (the revision counters, one
    window's reservations).

    The session's, when it is in a transaction: a unit of work's reads must see its own writes
    and, on SQLite, its snapshot. Otherwise a pooled connection of its own, in autocommit on
    PostgreSQL, for the length of the read. In a transaction psycopg sends BEGIN before the first
    statement and the request's end sends ROLLBACK: two round trips more than the reads
    themselves, which on the uncached availability API cost as much as the reads (bench B1u). A
    read here sees what was committed when it ran, as each statement of a PostgreSQL READ
    COMMITTED transaction does anyway. SQLite's connections already read outside a transaction
    until BEGIN (engine.py), so they are used as they are.
    """
    # (A request that has not used the session yet has none: asking for it would make one.)
    if db.session.registry.has() and db.session().in_transaction():
        yield driver()
        return
    # The pool's connection itself: a SQLAlchemy Connection around it, switched to autocommit and
    # back through execution options, cost a third of this read's Python.
    engine = db.engine
    pooled = engine.raw_connection()
    dbapi_connection: Any = pooled.driver_connection
    postgresql = engine.dialect.name == "postgresql"
    try:
        if postgresql:
            dbapi_connection.autocommit = True
        yield _kept_driver(pooled.info, dbapi_connection, engine.dialect)
    finally:
        try:
            if postgresql:
                dbapi_connection.autocommit = False  # as the pool hands connections out
        except engine.dialect.loaded_dbapi.Error:
            pooled.invalidate()  # lost meanwhile (a restart): the pool opens a new one
        pooled.close()


def remember_driver(session: Session, connection: Connection) -> Driver:
    """The driver of ``connection`` (the session's, in its current transaction), remembered for
    the transaction's life."""
    found = _driver_of(connection)
    session.info[_DRIVER] = (session.get_transaction(), found)
    return found


def _driver_of(connection: Connection) -> Driver:
    return _kept_driver(connection.info, connection.connection.driver_connection, connection.dialect)


def _kept_driver(info: dict[Any, Any], dbapi_connection: Any, dialect: Dialect) -> Driver:
    """The driver of a pooled connection, kept in its ``info``; a reconnect behind the same pool
    entry gets a new one."""
    found: Driver | None = info.get(_DRIVER)
    if found is None or found.dbapi_connection is not dbapi_connection:
        found = info[_DRIVER] = Driver(dbapi_connection, dialect)
    return found


_DRIVER = "scheduler_driver"


def is_overlap_violation(error: IntegrityError) -> bool:
    """True when PostgreSQL's exclusion constraint refused an overlapping reservation (SQLSTATE 23P01)."""
    return getattr(error.orig, "sqlstate", None) == "23P01"
