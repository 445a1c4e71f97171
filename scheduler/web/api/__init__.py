"""The public JSON API, /api/v1: no login; rate-limited; shapes in schemas.py."""

from scheduler.web.api.views import bp

__all__ = ["bp"]
