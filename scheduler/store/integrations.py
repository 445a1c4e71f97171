"""API clients of the FHIR API and staff calendar feeds: their rows, read back as plain values.

Only tokens' hashes are stored (see scheduler.services.integrations); looking one up is one
indexed query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import cast

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.engine import CursorResult

from scheduler.store import models
from scheduler.store.catalog import counters
from scheduler.store.engine import db

# ----- API clients ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiClient:
    id: int
    name: str
    scopes: str  # "read", "book" or "read book"
    active: bool
    created_at: datetime
    revoked_at: datetime | None
    created_by_id: int | None
    last_used_at: datetime | None = None


def _api_client(row: models.ApiClient) -> ApiClient:
    return ApiClient(
        row.id, row.name, row.scopes, row.active, row.created_at, row.revoked_at, row.created_by_id, row.last_used_at
    )


def add_api_client(
    *, name: str, token_hash: str, scopes: str, created_at: datetime, created_by_id: int | None
) -> ApiClient:
    row = models.ApiClient(
        name=name,
        token_hash=token_hash,
        scopes=scopes,
        active=True,
        created_at=created_at,
        created_by_id=created_by_id,
    )
    db.session.add(row)
    db.session.flush()
    return _api_client(row)


def api_client(client_id: int) -> ApiClient | None:
    row = db.session.get(models.ApiClient, client_id)
    return None if row is None else _api_client(row)


def revoke_api_client(client_id: int, at: datetime) -> None:
    db.session.execute(
        update(models.ApiClient).where(models.ApiClient.id == client_id).values(active=False, revoked_at=at)
    )


def api_clients() -> list[ApiClient]:
    rows = db.session.execute(select(models.ApiClient).order_by(models.ApiClient.id)).scalars()
    return [_api_client(row) for row in rows]


def mark_api_client_used(client_id: int, at: datetime, *, unless_since: datetime) -> bool:
    """Set the client's ``last_used_at`` to ``at`` unless it is already ``unless_since`` or later
    (the check is in the UPDATE: processes noting the same minute write once). Whether it wrote.
    Does not bump the "api_clients" revision (migration 0019)."""
    c = models.ApiClient
    return _marked(
        update(c)
        .where(c.id == client_id, or_(c.last_used_at.is_(None), c.last_used_at < unless_since))
        .values(last_used_at=at)
    )


@dataclass(frozen=True)
class TokenHolder:
    """The API client a token hash belongs to, with what decides whether it may call."""

    id: int
    name: str
    scopes: str
    active: bool
    revoked_at: datetime | None


def api_client_with_token(token_hash: str) -> TokenHolder | None:
    c = models.ApiClient
    row = db.session.execute(
        select(c.id, c.name, c.scopes, c.active, c.revoked_at).where(c.token_hash == token_hash)
    ).first()
    return None if row is None else TokenHolder(*row)


def current_revisions() -> dict[str, int]:
    """Every revision counter by name ("bookings", "catalog", "api_clients"), in one query."""
    # On the session's connection directly: every FHIR call runs this, and the ORM's statement
    # handling is most of its cost for a two-column read.
    return counters(db.session.connection().execute(select(models.Revision.name, models.Revision.value)))


# ----- calendar feeds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarFeed:
    id: int
    staff_id: int
    scope: str  # "provider" or "specialty"
    provider_id: int | None
    specialty_id: int | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None = None


def _feed(row: models.CalendarFeed) -> CalendarFeed:
    return CalendarFeed(
        row.id, row.staff_id, row.scope, row.provider_id, row.specialty_id, row.created_at, row.revoked_at,
        row.last_used_at,
    )  # fmt: skip


def add_feed(
    *,
    staff_id: int,
    token_hash: str,
    scope: str,
    provider_id: int | None,
    specialty_id: int | None,
    created_at: datetime,
) -> CalendarFeed:
    row = models.CalendarFeed(
        staff_id=staff_id,
        token_hash=token_hash,
        scope=scope,
        provider_id=provider_id,
        specialty_id=specialty_id,
        created_at=created_at,
    )
    db.session.add(row)
    db.session.flush()
    return _feed(row)


def feed(feed_id: int) -> CalendarFeed | None:
    row = db.session.get(models.CalendarFeed, feed_id)
    return None if row is None else _feed(row)


def revoke_feed(feed_id: int, at: datetime) -> None:
    db.session.execute(update(models.CalendarFeed).where(models.CalendarFeed.id == feed_id).values(revoked_at=at))


def feeds() -> list[CalendarFeed]:
    rows = db.session.execute(select(models.CalendarFeed).order_by(models.CalendarFeed.id)).scalars()
    return [_feed(row) for row in rows]


def mark_feed_used(feed_id: int, at: datetime, *, unless_since: datetime) -> bool:
    """As :func:`mark_api_client_used`, for a calendar feed."""
    f = models.CalendarFeed
    return _marked(
        update(f)
        .where(f.id == feed_id, or_(f.last_used_at.is_(None), f.last_used_at < unless_since))
        .values(last_used_at=at)
    )


def _marked(statement: Any) -> bool:
    # Nothing loaded in the session needs the new value: no synchronising of loaded objects.
    result = cast(CursorResult[Any], db.session.execute(statement.execution_options(synchronize_session=False)))
    return bool(result.rowcount)


@dataclass(frozen=True)
class FeedTarget:
    """What a feed shows: one provider's visits, or every visit of one specialty."""

    feed_id: int
    staff_id: int
    scope: str
    provider_id: int | None
    specialty_id: int | None


def live_feed_with_token(token_hash: str) -> FeedTarget | None:
    """The feed whose token hashes to ``token_hash``, if it is not revoked and its staff member
    is still active."""
    f = models.CalendarFeed
    row = db.session.execute(
        select(f.id, f.staff_id, f.scope, f.provider_id, f.specialty_id)
        .join(models.StaffAccount, models.StaffAccount.id == f.staff_id)
        .where(f.token_hash == token_hash, f.revoked_at.is_(None), models.StaffAccount.active)
    ).first()
    return FeedTarget(*row) if row else None


# ----- staff accounts, as the makers of clients and owners of feeds --------------------------------


def staff_account_id(username: str) -> int | None:
    """The id of the account with this (lower-case) username."""
    return db.session.execute(
        select(models.StaffAccount.id).where(models.StaffAccount.username == username)
    ).scalar_one_or_none()
