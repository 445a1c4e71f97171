"""The unit of work: the one way anything is written to the database.

``with unit_of_work():`` opens the write transaction, and everything inside it commits once, when
the outermost unit of work ends without an error, or not at all. A unit of work opened inside
another joins it: it never commits and never rolls back the outer one's writes. Its own writes are
kept in a savepoint, so an error inside it undoes just them, and once that error leaves the outer
unit of work too (as it does unless the outer one catches it), nothing of either is saved. Use
cases compose this way: the FHIR booking writes its audit row in the booking's own transaction by
opening a unit of work around both, not by passing callbacks down.

On SQLite the transaction is opened with ``BEGIN IMMEDIATE``: a deferred transaction that reads
and then writes gets SQLITE_BUSY at once, ignoring the busy timeout (simonw/datasette#2358);
with IMMEDIATE the writer takes the lock up front, other writers queue on the busy timeout, and
check-then-insert is atomic. A read transaction that is open when the unit of work starts is
ended first there (it has nothing to keep), so the lock is taken before the first read of the
check-then-write sequence. On PostgreSQL the read transaction goes on as the write transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.orm import Session

from scheduler.store.driver import remember_driver
from scheduler.store.engine import IMMEDIATE
from scheduler.store.engine import UNIT_OF_WORK_DEPTH
from scheduler.store.engine import db

_DEPTH = UNIT_OF_WORK_DEPTH
_WROTE_OUTSIDE = "scheduler_wrote_outside_unit_of_work"


class PendingWrites(RuntimeError):
    """A unit of work was opened over changes made outside any unit of work: a programming error.

    Starting anyway would either roll them back (silently losing them) or commit them as if they
    were this unit of work's own."""


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Open the write transaction, or join the one already open (see the module's docstring).

    Raises PendingWrites when opened, outermost, over changes made outside any unit of work.
    """
    session = db.session()
    depth = session.info.get(_DEPTH, 0)
    if depth:
        session.info[_DEPTH] = depth + 1
        try:
            with session.begin_nested():
                # The SAVEPOINT is sent now: SQLAlchemy sends it only when the ORM next asks for
                # the connection, and plain SQL (the driver) never asks, so a statement refused
                # inside would have aborted the whole transaction on PostgreSQL, with nothing to
                # roll back to (a lost booking race then failed the caller's next read: a 500).
                session.connection()
                yield
        finally:
            session.info[_DEPTH] = depth
        return
    _refuse_pending_writes(session)
    if session.get_bind().dialect.name == "sqlite":
        if session.in_transaction():
            session.rollback()  # a read transaction, with nothing to keep (checked above)
        connection = session.connection(execution_options={IMMEDIATE: True})
    else:
        # PostgreSQL takes its locks row by row as it writes, so an open read transaction simply
        # becomes the write transaction: no second connection checkout, and what was read stays
        # loaded. One that a failed statement aborted can only be rolled back.
        if session.in_transaction() and _aborted(session):
            session.rollback()
        connection = session.connection()
    remember_driver(session, connection)
    session.info[_DEPTH] = 1
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info[_DEPTH] = 0


def in_unit_of_work() -> bool:
    return bool(db.session().info.get(_DEPTH))


def end_reads() -> None:
    """End the session's read transaction, if one is open, giving its connection back: before
    a long wait (a message worker talking to SMTP) nothing should hold a transaction open.
    Raises PendingWrites if anything was changed outside a unit of work."""
    session = db.session()
    if session.info.get(_DEPTH):
        raise RuntimeError("end_reads() inside a unit of work would discard its writes.")
    _refuse_pending_writes(session)
    if session.in_transaction():
        session.rollback()


def discard() -> None:
    """Abandon whatever the session holds, after an error nothing else handled (the error page
    must not run on a failed transaction, and nothing half-done may be kept)."""
    session = db.session()
    session.info[_DEPTH] = 0
    session.rollback()


def discard_on_error(_app: Any, **_extra: Any) -> None:
    """Flask's ``got_request_exception`` receiver: :func:`discard`."""
    discard()


def _aborted(session: Session) -> bool:
    dbapi_connection: Any = session.connection().connection.driver_connection
    return bool(dbapi_connection.info.transaction_status == TransactionStatus.INERROR)


def _refuse_pending_writes(session: Session) -> None:
    # The note of a flush outside is kept until its transaction ends: asking again must not pass.
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE_OUTSIDE):
        raise PendingWrites("Changes were made outside a unit of work; open one before changing anything.")


@event.listens_for(Session, "after_flush")
def _note_writes_outside(session: Session, _flush_context: Any) -> None:
    """A flush outside a unit of work is remembered (until its transaction ends), so that a unit of
    work opened after it refuses to start rather than roll it back."""
    if not session.info.get(_DEPTH):
        session.info[_WROTE_OUTSIDE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes_outside(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the whole transaction ended (committed or rolled back), not a savepoint
        session.info.pop(_WROTE_OUTSIDE, None)
