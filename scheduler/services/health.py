"""Readiness: the database answers and its schema is at the newest migration."""

from __future__ import annotations

from collections.abc import Set
from enum import StrEnum

from scheduler.store import health as store_health


class DatabaseState(StrEnum):
    UNREACHABLE = "unreachable"
    BEHIND = "behind"  # it answers, but its schema is not at the newest migration
    READY = "ready"


def database_state(newest_heads: Set[str]) -> DatabaseState:
    """``newest_heads``: the heads of the migrations the code ships (alembic's script directory)."""
    current = store_health.schema_heads()
    if current is None:
        return DatabaseState.UNREACHABLE
    return DatabaseState.READY if current == newest_heads else DatabaseState.BEHIND
