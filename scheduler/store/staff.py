"""Staff accounts: read as plain values, written inside a unit of work.

The password hash and the failure count leave the store only in :class:`Credentials`, which the
sign-in reads; everything else (the signed-in user, the accounts page) gets an :class:`Account`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy import update

from scheduler.domain.staff import StaffRole
from scheduler.store import models
from scheduler.store.engine import db


@dataclass(frozen=True)
class Account:
    """A staff account as the pages and the session see it."""

    id: int
    username: str
    display_name: str
    role: StaffRole
    active: bool
    session_version: int


@dataclass(frozen=True)
class Credentials:
    """What a sign-in checks: the account, its password hash and its run of wrong passwords."""

    account: Account
    password_hash: str
    failed_logins: int
    last_failed_at: datetime | None


def username_taken(username: str) -> bool:
    return db.session.execute(select(models.StaffAccount.id).filter_by(username=username)).first() is not None


def add_account(username: str, display_name: str, role: StaffRole, password_hash: str) -> Account:
    """A new active account (flushed, so it has its id)."""
    row = models.StaffAccount(
        username=username,
        display_name=display_name,
        role=role,
        password_hash=password_hash,
        active=True,
        failed_logins=0,
        session_version=1,
    )
    db.session.add(row)
    db.session.flush()
    return _account(row)


def account(account_id: int) -> Account | None:
    # session.get: the user loader asks on every staff request, and the identity map answers
    # repeats within one request without a query.
    row = db.session.get(models.StaffAccount, account_id)
    return None if row is None else _account(row)


def credentials(username: str) -> Credentials | None:
    """The account called ``username`` (already normalised) with what a sign-in checks."""
    row = db.session.execute(select(models.StaffAccount).filter_by(username=username)).scalar_one_or_none()
    if row is None:
        return None
    return Credentials(_account(row), row.password_hash, row.failed_logins, row.last_failed_at)


def count_wrong_password(account_id: int, now: datetime) -> None:
    # Counted in SQL, so simultaneous wrong tries are all counted.
    db.session.execute(
        update(models.StaffAccount)
        .where(models.StaffAccount.id == account_id)
        .values(failed_logins=models.StaffAccount.failed_logins + 1, last_failed_at=now)
    )


def clear_failures(account_id: int, *, new_password_hash: str | None = None) -> Account:
    """A successful sign-in: the run of wrong passwords is over; ``new_password_hash`` replaces
    the stored hash when it was made with older parameters."""
    row = db.session.get(models.StaffAccount, account_id)
    assert row is not None  # accounts are deactivated, never deleted
    row.failed_logins = 0
    row.last_failed_at = None
    if new_password_hash is not None:
        row.password_hash = new_password_hash
    return _account(row)


def end_sessions(account_id: int) -> None:
    """Move the account's session version on: every session signed with the old one is over."""
    db.session.execute(
        update(models.StaffAccount)
        .where(models.StaffAccount.id == account_id)
        .values(session_version=models.StaffAccount.session_version + 1)
    )


def all_accounts() -> list[Account]:
    """Every account, active or not, by username."""
    rows = db.session.execute(select(models.StaffAccount).order_by(models.StaffAccount.username)).scalars()
    return [_account(row) for row in rows]


def _account(row: models.StaffAccount) -> Account:
    return Account(row.id, row.username, row.display_name, StaffRole(row.role), row.active, row.session_version)
