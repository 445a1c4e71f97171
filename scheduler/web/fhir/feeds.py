"""``GET /feeds/<token>.ics``: a staff member's calendar subscription (see services.calendar_feeds).

The token in the URL is the only credential (calendar apps cannot send headers), so an unknown,
revoked or malformed one gets the same plain 404 and nothing else.
"""

from __future__ import annotations

import re

from flask import Blueprint
from flask import Response
from flask import abort

from scheduler.extensions import limiter
from scheduler.services import integrations
from scheduler.services.calendar_feeds import render_feed
from scheduler.settings import settings

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


def _limit() -> str:
    return settings().ratelimit_public_read


@bp.get("/<token>.ics")
@limiter.limit(_limit)
def feed(token: str) -> Response:
    target = integrations.feed_for_token(token) if TOKEN.fullmatch(token) else None
    if target is None:
        abort(404)
    return Response(
        render_feed(target),
        mimetype="text/calendar",
        headers={
            # Patient initials: no shared cache may keep them, and the URL must not leak onward.
            "Cache-Control": "private, no-store",
            "Content-Disposition": 'inline; filename="clinic.ics"',
        },
    )
