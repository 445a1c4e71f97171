"""Default settings. Every key can be overridden from the environment as ``SCHEDULER_<KEY>``
(values are parsed as JSON when they can be, so ``SCHEDULER_RATELIMIT_ENABLED=false`` works)."""

from __future__ import annotations

DEFAULTS: dict[str, object] = {
    # SQLite is the embedded default; production points this at PostgreSQL.
    "DATABASE_URL": "sqlite:///instance/scheduler.sqlite3",
    # A development-only secret. create_app refuses to start with it outside debug/testing.
    "SECRET_KEY": "dev-only-not-secret",
    "CLINIC_NAME": "SI Joint Clinic",
    # The clinic's phone, unless an admin gives another with the clinic's details (/staff/admin/clinic),
    # where its address, entrance, parking, map link, after-hours advice and nurse line are kept.
    "CLINIC_PHONE": "507-538-1280",
    # Email: with no SMTP host, mail is written to MAIL_FOLDER (relative to the instance folder).
    "MAIL_SMTP_HOST": "",
    "MAIL_SMTP_PORT": 25,
    "MAIL_SMTP_STARTTLS": False,
    "MAIL_SMTP_USERNAME": "",
    "MAIL_SMTP_PASSWORD": "",
    "MAIL_FROM": "SI Joint Clinic <no-reply@si-joint-clinic.example>",
    "MAIL_DOMAIN": "si-joint-clinic.example",
    "MAIL_FOLDER": "mail",
    # SMS through a Twilio-shaped HTTP API. An empty SMS_BASE_URL switches text delivery off: SMS rows
    # stay queued until it is set. Credentials belong in the environment (SCHEDULER_SMS_AUTH_TOKEN),
    # never in files. The auth token also verifies the provider's signature on inbound webhooks.
    "SMS_BASE_URL": "",  # e.g. https://api.twilio.com
    "SMS_ACCOUNT_SID": "",
    "SMS_AUTH_TOKEN": "",
    "SMS_FROM": "",  # the sending number, E.164
    # Who the texts say they are from. Generic on purpose: the clinic's name ("SI Joint"), "pain" or
    # any specialty would tell whoever sees the phone what the patient is treated for.
    "SMS_SENDER_LABEL": "Rochester clinic",
    # The public URL the provider posts replies to, when a proxy in front of the app changes the
    # scheme or host (the signature covers the URL as the provider saw it); empty = the request's URL.
    "SMS_WEBHOOK_URL": "",
    # Texts go only to numbers of these countries (two-letter codes, e.g. ["US", "CA"]): consent to
    # texts with another country's number is refused where it is given, and nothing is queued to
    # one. Texts abroad cost much more, and are a toll-fraud lever for anyone who can fill a form.
    "SMS_COUNTRIES": ["US"],
    # The message worker: how often it looks for due messages, and how many it takes at once.
    "JOBS_INTERVAL_SECONDS": 10,
    "OUTBOX_BATCH": 20,
    # How long a claimed batch is reserved for its worker. A worker that dies mid-batch leaves its
    # rows in "sending"; once this runs out another worker claims them again (the batch in flight
    # may then go out twice, with the same Message-ID). Must exceed the time one batch takes.
    "OUTBOX_LEASE_SECONDS": 300,
    # Patients may not book a time that starts sooner than this.
    "MIN_NOTICE_MINUTES": 60,
    # How long a time a patient picked is kept for them while they type their details.
    "HOLD_MINUTES": 10,
    # Live holds one client may have at once: a patient's address (the patient pages), an integration
    # (FHIR $hold). Counted in the database, so across workers and hosts. Staff are not limited.
    # A client holds any one time for HOLD_MINUTES in all: holding it again does not renew it.
    "HOLDS_PER_CLIENT": 2,
    "HOLDS_PER_INTEGRATION": 10,
    # An urgent request (a red flag) is called back within this much open clinic time (DOMAIN.md).
    "URGENT_CALL_BACK_MINUTES": 120,
    # A routine request is called back by the close of this many clinic days after the day it came.
    "ROUTINE_CALL_BACK_DAYS": 2,
    # Session cookie (the patient's answers between pages, and staff sign-in): HTTPS only, no
    # script access, not sent on cross-site posts.
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Availability answers cached per process (keyed by revisions, so never stale); 0 switches it off.
    "CACHE_SIZE": 512,
    # ... and at most this many bytes of them in each process (each such cache: availability, FHIR
    # Slot pages), least recently used out first; an answer over an eighth of it is not kept. A
    # 62-day availability answer is about 300 KB. 0 switches the caches off.
    "CACHE_MAX_BYTES": 32 * 1024 * 1024,
    # How far ahead the public API lets a client look in one availability call.
    "AVAILABILITY_MAX_DAYS": 62,
    # Manage links (patients' bearer tokens) stay valid this long after they are issued.
    "MANAGE_TOKEN_MAX_AGE_DAYS": 180,
    # Where patients reach this service, for the manage link in emails: the message worker has no
    # request to take a host from, and behind a proxy the request's host would be the wrong one.
    "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
    # The system of the medical record numbers integrations know patients by (FHIR
    # Patient.identifier, and $book by identifier): the hospital's MRN namespace when the clinic
    # shares one. Empty: this service's own, PUBLIC_BASE_URL + /fhir/sid/mrn.
    "PATIENT_MRN_SYSTEM": "",
    # How many reverse proxies in front of the app to believe (werkzeug's ProxyFix): their
    # X-Forwarded-For/-Proto/-Host/-Port decide the client address (which rate limits count by) and
    # the scheme and host of the request. 0 (development, gunicorn reached directly) believes none,
    # so a client cannot choose its own address; the nginx of deploy/ is one hop: 1. Never more
    # than the proxies that really are in front: each extra hop lets a client forge its address.
    "PROXY_HOPS": 0,
    # Flask-Limiter. Use a shared store (redis://...) when running several processes, otherwise
    # each gunicorn worker counts on its own. RATELIMIT_ENABLED=false switches limits off (load tests).
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    # If the shared store stops answering while running, count in each process's memory until it
    # is back (limits hold per worker meanwhile; requests are never refused for want of the store).
    # At start a web worker that cannot reach the store refuses to start (deploy/gunicorn.conf.py).
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_PUBLIC_READ": "600 per minute",
    "RATELIMIT_PUBLIC_WRITE": "30 per minute",
    "RATELIMIT_HEADERS_ENABLED": True,
    # Staff sign-in attempts per client address. Generous, because a whole hospital may reach us
    # through one proxy address; each account also slows down on its own after wrong passwords.
    "RATELIMIT_STAFF_LOGIN": "30 per minute",
    # FHIR API calls per client address (an EHR's integration engine usually calls from one).
    "RATELIMIT_FHIR": "600 per minute",
    # Staff sessions end after this many minutes without a request, and in any case this many
    # hours after signing in (a copied cookie cannot be used for ever).
    "STAFF_IDLE_MINUTES": 30,
    "STAFF_SESSION_MAX_HOURS": 12,
}
