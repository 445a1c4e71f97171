"""Whether the database answers, and which migration its schema is at (for the readiness check)."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from scheduler.store.engine import db


def schema_heads() -> set[str] | None:
    """The migration heads the database's schema is at; None when the database does not answer.

    On a connection of its own, outside the request's session: a readiness probe must not depend
    on (or disturb) a transaction."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            return set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError:
        return None
