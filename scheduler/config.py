"""Default settings. Every key can be overridden from the environment as ``SCHEDULER_<KEY>``
(values are parsed as JSON when they can be, so ``SCHEDULER_RATELIMIT_ENABLED=false`` works)."""

from __future__ import annotations

DEFAULTS: dict[str, object] = {
    # SQLite is the embedded default; production points this at PostgreSQL.
    "DATABASE_URL": "sqlite:///instance/scheduler.sqlite3",
    # A development-only secret. create_app refuses to start with it outside debug/testing.
    "SECRET_KEY": "dev-only-not-secret",
    "CLINIC_NAME": "SI Joint Clinic",
    "CLINIC_PHONE": "507-538-1280",
    "CLINIC_LOCATION": "SI Joint Clinic, Rochester, Minnesota",
    # Patients may not book a time that starts sooner than this.
    "MIN_NOTICE_MINUTES": 60,
    # Availability answers cached per process (keyed by revisions, so never stale); 0 switches it off.
    "CACHE_SIZE": 512,
    # How far ahead the public API lets a client look in one availability call.
    "AVAILABILITY_MAX_DAYS": 62,
    # Manage links (patients' bearer tokens) stay valid this long after they are issued.
    "MANAGE_TOKEN_MAX_AGE_DAYS": 180,
    # Flask-Limiter. Use a shared store (redis://...) when running several processes, otherwise
    # each gunicorn worker counts on its own. RATELIMIT_ENABLED=false switches limits off (load tests).
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_PUBLIC_READ": "600 per minute",
    "RATELIMIT_PUBLIC_WRITE": "30 per minute",
    "RATELIMIT_HEADERS_ENABLED": True,
}
