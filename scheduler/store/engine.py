"""The database extension, and how each engine's connections are set up.

SQLite: WAL (readers run beside the one writer), a busy timeout, foreign keys on, and pysqlite's
own transaction handling replaced by explicit BEGINs so that write transactions can be opened
with ``BEGIN IMMEDIATE`` (see :mod:`scheduler.store.unit_of_work`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so Alembic migrations can drop and alter them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# expire_on_commit off: a service's reply is built from the rows it just wrote, without reloading
# them; sessions live for one request or job, so nothing is kept past that.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

# The tables' base class: Flask-SQLAlchemy's db.Model (which names each table after its class), seen
# by type checkers as the declarative base it extends (db.Model is an attribute, not a class, to them).
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

SQLITE_BUSY_TIMEOUT_MS = 30_000
IDLE_PING_SECONDS = 10.0
_IDLE_SINCE = "scheduler_idle_since"
# Set on a connection's execution options by the unit of work: its BEGIN takes SQLite's write lock.
IMMEDIATE = "scheduler_immediate"
# How many units of work are open in a session (its info): 0 outside any.
UNIT_OF_WORK_DEPTH = "scheduler_unit_of_work_depth"

# PostgreSQL's planner default (4) prices a random page read as if from a spinning disk. The
# clinic's tables are small enough to stay in memory, so a random read costs about what a
# sequential one does (PostgreSQL's documentation suggests 1.1 for such storage). It matters most
# for plans made while a table is still small, such as the first weeks of the patient table: a
# prepared statement keeps its plan for the connection's life, and with the default that plan
# read the whole patient table on every booking as the table grew (bench B4 fell by a quarter
# within 10,000 bookings).
RANDOM_PAGE_COST = 1.1


# While the database restarts it refuses connections for a few seconds: a new connection is tried
# again for this long before the request fails (a request waits out a restart instead of failing).
CONNECT_PATIENCE_SECONDS = 15.0


def configure_engine(engine: Engine) -> None:
    _ping_idle_connections(engine)
    if engine.dialect.name == "postgresql":
        _connect_patiently(engine)

        @event.listens_for(engine, "connect")
        def _on_postgresql_connect(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET random_page_cost = {RANDOM_PAGE_COST}")
                # Times come back in UTC, as they are stored and used, whatever the server's own
                # zone: psycopg then gives them Python's UTC, which the store's reads keep as it is
                # (converting each from another zone was a tenth of an uncached availability read).
                cursor.execute("SET TIME ZONE 'UTC'")
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
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
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


def _connect_patiently(engine: Engine) -> None:
    """Open new connections with retries: during a restart the server refuses them ("the
    database system is starting up", "connection refused") for a few seconds, and each web
    process would otherwise answer every request in that time with an error."""

    @event.listens_for(engine, "do_connect")
    def _on_connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        deadline = time.monotonic() + CONNECT_PATIENCE_SECONDS
        delay = 0.1
        while True:
            try:
                return dialect.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.OperationalError:
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 1.0)


def dialect_name() -> str:
    """"sqlite" or "postgresql": the database the app's session talks to."""
    return db.session.get_bind().dialect.name
