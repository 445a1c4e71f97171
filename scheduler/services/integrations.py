"""Credentials for other software: API clients of the FHIR API, and staff members' calendar feeds.

Both are bearer secrets. Only a SHA-256 of each token is stored, so the token is shown once, when it
is made, and a copy of the database opens nothing. Tokens carry 256 random bits, so a plain hash
(no salt, no slow hash) is enough: there is nothing to guess, and a lookup stays one indexed query.
Every FHIR call checks its token against the current "api_clients" revision, which any change to
any client bumps, so a revoked token is refused from the very next call.

When a token was last used is kept to the minute (``last_used_at``, for the admin pages), written
at most once a minute per token: each process skips the write for a token it noted less than
LAST_USED_EVERY ago, and the UPDATE itself skips a value newer than that (so several processes
write once between them). Noting a use does not bump the "api_clients" revision (migration 0019).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from scheduler.domain.clock import utc_now
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import NotFound
from scheduler.services import audit
from scheduler.services.memo import app_cache
from scheduler.services.memo import app_throttle
from scheduler.store import calendar as store_calendar
from scheduler.store import catalog as store_catalog
from scheduler.store import integrations as store
from scheduler.store import staff as store_staff
from scheduler.store.integrations import ApiClient as ApiClient
from scheduler.store.integrations import CalendarFeed as CalendarFeed
from scheduler.store.integrations import FeedTarget as FeedTarget
from scheduler.store.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

SCOPES = ("read", "book")
API_TOKEN_PREFIX = "sij_"  # makes a leaked token recognisable to secret scanners and people alike
FEED_TOKEN_BYTES = 32
# Checked tokens each process remembers (keyed by the "api_clients" revision, so never stale).
TOKENS_REMEMBERED = 256
# How stale "last used" may be: at most one write per token in this time.
LAST_USED_EVERY = timedelta(seconds=60)


def token_hash(token: str) -> str:
    """The SHA-256 (hex) stored in place of ``token``."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def normalise_scopes(scopes: Iterable[str]) -> str:
    """ "read", "book" or "read book". Raises InvalidInput for an unknown or missing scope."""
    wanted = {s.strip().lower() for s in scopes if s.strip()}
    unknown = wanted - set(SCOPES)
    if unknown or not wanted:
        raise InvalidInput({"scope": f"Give one or more of {', '.join(SCOPES)}."})
    return " ".join(s for s in SCOPES if s in wanted)


# ----- API clients ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewApiClient:
    client: ApiClient
    token: str  # shown once; only its hash is stored


@dataclass(frozen=True)
class Caller:
    """The API client making the current call, as a plain value."""

    id: int
    name: str
    scopes: frozenset[str]

    def may(self, scope: str) -> bool:
        # Booking needs the free times and the booked visit: a "book" client may read as well.
        return scope in self.scopes or (scope == "read" and "book" in self.scopes)


def create_api_client(
    name: str, scopes: Iterable[str], *, created_by: int | None = None, now: datetime | None = None
) -> NewApiClient:
    """Make a client and commit; the returned token is the only copy there will ever be."""
    name = " ".join(name.split())[:120]
    if not name:
        raise InvalidInput({"name": "Give the client a name, such as the system that will use it."})
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work():
        client = store.add_api_client(
            name=name,
            token_hash=token_hash(token),
            scopes=normalise_scopes(scopes),
            created_at=now or utc_now(),
            created_by_id=created_by,
        )
        audit.record(
            "api_client.create",
            actor_kind="staff" if created_by else "system",
            actor_id=created_by,
            record_type="api_client",
            record_id=client.id,
            channel="web" if created_by else "system",
            detail=f"scopes: {client.scopes}",
        )
    return NewApiClient(client, token)


def revoke_api_client(client_id: int, *, revoked_by: int | None = None, now: datetime | None = None) -> None:
    """Stop a client's token working, at once and for good. Harmless twice."""
    with unit_of_work():
        client = store.api_client(client_id)
        if client is None:
            raise NotFound("No such API client.")
        if client.revoked_at is not None:
            return
        store.revoke_api_client(client.id, now or utc_now())
        audit.record(
            "api_client.revoke",
            actor_kind="staff" if revoked_by else "system",
            actor_id=revoked_by,
            record_type="api_client",
            record_id=client.id,
            channel="web" if revoked_by else "system",
        )


def api_clients() -> list[ApiClient]:
    """Every API client, revoked ones included, in the order they were made."""
    return store.api_clients()


@dataclass(frozen=True)
class Authentication:
    """What a presented token turned out to be: a caller, or why not (``refusal``)."""

    caller: Caller | None
    refusal: str | None = None  # "unknown" or "revoked"
    client_id: int | None = None  # the revoked client, for the audit trail


def current_revisions() -> dict[str, int]:
    """Every revision counter by name ("bookings", "catalog", "api_clients"), in one query."""
    return store.current_revisions()


def authenticate(token: str, *, revision: int | None = None) -> Authentication:
    """What ``token`` opens, looked up by its hash inside the caller's read transaction.

    With ``revision`` (the "api_clients" counter, read in this transaction), the answer is
    remembered per process for as long as that counter stands: any change to any API client
    (a revocation, say) bumps it in the same transaction, so a remembered answer is never stale.
    """
    if not token or len(token) > 200:
        return Authentication(None, "unknown")
    hashed = token_hash(token)
    if revision is None:
        return _look_up(hashed)
    remembered = app_cache("api-tokens", size=TOKENS_REMEMBERED)
    found: Authentication = remembered.get_or_compute((hashed, revision), lambda: _look_up(hashed))
    return found


def _look_up(hashed: str) -> Authentication:
    row = store.api_client_with_token(hashed)
    if row is None:
        return Authentication(None, "unknown")
    if not row.active or row.revoked_at is not None:
        return Authentication(None, "revoked", row.id)
    return Authentication(Caller(row.id, row.name, frozenset(row.scopes.split())), client_id=row.id)


def note_api_client_used(client_id: int, *, now: datetime | None = None) -> None:
    """Record that client ``client_id``'s token was just used (at most once a minute)."""
    _note_use("api_client", client_id, store.mark_api_client_used, now or utc_now())


# ----- calendar feeds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewFeed:
    feed: CalendarFeed
    token: str  # the secret part of the URL; shown once


def create_feed(
    staff_id: int,
    *,
    provider_id: int | None = None,
    specialty_code: str | None = None,
    created_by: int | None = None,
    now: datetime | None = None,
) -> NewFeed:
    """A new secret feed URL token for staff member ``staff_id``; exactly one of ``provider_id``
    and ``specialty_code``. Raises InvalidInput or NotFound."""
    if (provider_id is None) == (specialty_code is None):
        raise InvalidInput({"scope": "Give a provider or a specialty, not both."})
    token = secrets.token_urlsafe(FEED_TOKEN_BYTES)
    with unit_of_work():
        staff = store_staff.account(staff_id)
        if staff is None or not staff.active:
            raise NotFound("No such active staff account.")
        specialty_id = None
        if specialty_code is not None:
            specialty_id = store_catalog.specialty_id(specialty_code)
            if specialty_id is None:
                raise NotFound(f"No specialty '{specialty_code[:40]}'.")
        elif provider_id is not None and not store_catalog.provider_exists(provider_id):
            raise NotFound("No such provider.")
        feed = store.add_feed(
            staff_id=staff_id,
            token_hash=token_hash(token),
            scope="provider" if provider_id is not None else "specialty",
            provider_id=provider_id,
            specialty_id=specialty_id,
            created_at=now or utc_now(),
        )
        audit.record(
            "calendar_feed.create",
            actor_kind="staff" if created_by else "system",
            actor_id=created_by,
            record_type="calendar_feed",
            record_id=feed.id,
            channel="web" if created_by else "system",
            detail=f"for staff {staff_id}, {feed.scope}",
        )
    return NewFeed(feed, token)


def revoke_feed(feed_id: int, *, revoked_by: int | None = None, now: datetime | None = None) -> None:
    """Stop a feed URL working. Harmless twice."""
    with unit_of_work():
        feed = store.feed(feed_id)
        if feed is None:
            raise NotFound("No such calendar feed.")
        if feed.revoked_at is None:
            store.revoke_feed(feed.id, now or utc_now())
            audit.record(
                "calendar_feed.revoke",
                actor_kind="staff" if revoked_by else "system",
                actor_id=revoked_by,
                record_type="calendar_feed",
                record_id=feed.id,
                channel="web" if revoked_by else "system",
            )


def feeds() -> list[CalendarFeed]:
    """Every calendar feed, revoked ones included, in the order they were made."""
    return store.feeds()


def feed_for_token(token: str) -> FeedTarget | None:
    """The live feed ``token`` opens: not revoked, and its staff member still active."""
    if not token or len(token) > 100:
        return None
    return store.live_feed_with_token(token_hash(token))


def note_feed_used(feed_id: int, *, now: datetime | None = None) -> None:
    """Record that feed ``feed_id`` was just fetched (at most once a minute); joins the caller's
    unit of work when there is one (the feed's audit row's)."""
    _note_use("calendar_feed", feed_id, store.mark_feed_used, now or utc_now())


def _note_use(kind: str, record_id: int, mark: Callable[..., bool], now: datetime) -> None:
    if not app_throttle("last-used", LAST_USED_EVERY).due((kind, record_id), now):
        return  # this process wrote it less than a minute ago: nothing to do on the hot path
    try:
        with unit_of_work():
            mark(record_id, now, unless_since=now - LAST_USED_EVERY)
    except Exception as error:  # noqa: BLE001 - bookkeeping: a busy database must not refuse the call
        log.warning("%s %s: last use not recorded (%s)", kind, record_id, type(error).__name__)


def staff_account_id(username: str) -> int | None:
    """The id of the staff account signing in as ``username`` (any case), if there is one."""
    return store.staff_account_id(username.lower())


def feed_target_name(feed: CalendarFeed) -> str:
    """The provider's or the specialty's name a feed shows (the admin pages' list)."""
    if feed.provider_id is not None:
        name = store_calendar.provider_name(feed.provider_id)
    else:
        name = store_calendar.specialty_name(feed.specialty_id) if feed.specialty_id is not None else None
    return name or "(gone)"
