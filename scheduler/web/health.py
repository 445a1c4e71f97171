"""Liveness and readiness, outside auth, CSRF and rate limits."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify

from scheduler.extensions import limiter
from scheduler.services.health import DatabaseState
from scheduler.services.health import database_state

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@limiter.exempt
def readyz() -> tuple[Response, int]:
    """Ready when the database answers and its schema is at the newest migration."""
    heads = current_app.extensions.get("scheduler_migration_heads")
    if heads is None:
        script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
        heads = current_app.extensions["scheduler_migration_heads"] = set(script.get_heads())
    state = database_state(heads)
    if state is DatabaseState.UNREACHABLE:
        return jsonify({"status": "unavailable", "checks": {"database": "unreachable"}}), 503
    if state is DatabaseState.BEHIND:
        return jsonify({"status": "unavailable", "checks": {"database": "ok", "migrations": "behind"}}), 503
    return jsonify({"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}), 200
