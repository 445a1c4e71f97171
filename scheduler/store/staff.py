"""Staff accounts: read as plain values, written inside a unit of work.

The password hash leaves the store only in :class:`Credentials`, which the sign-in reads;
everything else (the signed-in user, the accounts page) gets an :class:`Account`. Runs of wrong
passwords are kept per account and client (``sign_in_guard``): :func:`hold_failures` reads one
under a lock that lasts until the unit of work ends.

A password an administrator set for someone (a temporary one, to be changed at the next sign-in)
is stored as :data:`TEMPORARY` followed by its argon2 hash, in the same ``password_hash`` column:
the flag and the password it is about are one value, so setting a new password clears the flag
with no second write to forget, and no column was needed. Outside this module the hash is only
ever seen without the marker (:class:`Credentials`), and the flag as
``Account.must_change_password``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from scheduler.domain.staff import StaffRole
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.store.engine import dialect_name
from scheduler.store.unit_of_work import in_unit_of_work


@dataclass(frozen=True)
class Account:
    """A staff account as the pages and the session see it."""

    id: int
    username: str
    display_name: str
    role: StaffRole
    active: bool
    session_version: int
    # Signed in with a password an administrator set: may open nothing but the change-password page.
    must_change_password: bool = False


@dataclass(frozen=True)
class Credentials:
    """What a sign-in checks: the account and its password hash."""

    account: Account
    password_hash: str


# Before the argon2 hash of a temporary password ("$argon2id$..." never starts with a letter).
TEMPORARY = "temporary:"


@dataclass(frozen=True)
class Failures:
    """One client's run of wrong passwords for one account (none yet: 0 and None)."""

    count: int
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
    return Credentials(_account(row), row.password_hash.removeprefix(TEMPORARY))


def hold_failures(account_id: int, client: str) -> Failures:
    """The client's run of wrong passwords for the account, locked until the unit of work ends: a
    parallel sign-in by the same client waits here for this one's count (PostgreSQL: the row's
    lock, taken after making sure the row exists; SQLite: the unit of work's write lock)."""
    if not in_unit_of_work():
        raise RuntimeError("hold_failures() locks a row: call it inside a unit of work.")
    guard = models.SignInGuard
    insert = postgresql.insert if dialect_name() == "postgresql" else sqlite.insert
    # One statement makes the row or locks the one there and reads it. An insert that did
    # nothing followed by a SELECT FOR UPDATE could find no row at all: a sign-in that succeeded
    # meanwhile deletes its client's row (forget_failures), and the waiting SELECT then saw it gone.
    upsert = insert(guard).values(account_id=account_id, client=client, failures=0)
    found = db.session.execute(
        upsert.on_conflict_do_update(
            index_elements=[guard.account_id, guard.client], set_={"failures": guard.failures}
        ).returning(guard.failures, guard.last_failed_at)
    ).one()
    return Failures(found.failures, found.last_failed_at)


def count_failure(account_id: int, client: str, now: datetime) -> None:
    """One more try from the client counted against the account (before its password is checked)."""
    guard = models.SignInGuard
    db.session.execute(
        update(guard)
        .where(guard.account_id == account_id, guard.client == client)
        .values(failures=guard.failures + 1, last_failed_at=now)
    )


def signed_in(account_id: int, client: str, *, new_password_hash: str | None = None) -> Account:
    """A successful sign-in: the client's run of wrong passwords is over (other clients' runs go
    on); ``new_password_hash`` replaces the stored hash when it was made with older parameters."""
    forget_failures(account_id, client)
    row = db.session.get(models.StaffAccount, account_id)
    assert row is not None  # accounts are deactivated, never deleted
    if new_password_hash is not None:
        marker = TEMPORARY if row.password_hash.startswith(TEMPORARY) else ""
        row.password_hash = marker + new_password_hash
    return _account(row)


def password_hash(account_id: int) -> str | None:
    """The account's password hash (without the temporary marker), None when there is no such account."""
    row = db.session.get(models.StaffAccount, account_id)
    return None if row is None else row.password_hash.removeprefix(TEMPORARY)


def set_password(account_id: int, new_password_hash: str, *, temporary: bool) -> Account | None:
    """Replace the account's password and end every session of it (the version moves on); a
    ``temporary`` one must be changed at the next sign-in. None when there is no such account."""
    row = db.session.get(models.StaffAccount, account_id)
    if row is None:
        return None
    row.password_hash = (TEMPORARY if temporary else "") + new_password_hash
    row.session_version = row.session_version + 1
    db.session.flush()
    return _account(row)


def forget_failures(account_id: int, client: str) -> None:
    """The client proved it knows the password: its run of wrong passwords for the account is over."""
    guard = models.SignInGuard
    db.session.execute(delete(guard).where(guard.account_id == account_id, guard.client == client))


def failure_runs(at_least: int) -> list[tuple[int, Failures]]:
    """(account id, run) for every client's run of at least ``at_least`` wrong passwords in a row."""
    guard = models.SignInGuard
    found = db.session.execute(
        select(guard.account_id, guard.failures, guard.last_failed_at)
        .where(guard.failures >= at_least)
        .order_by(guard.account_id, guard.last_failed_at)
    )
    return [(row.account_id, Failures(row.failures, row.last_failed_at)) for row in found]


def clear_failures(account_id: int) -> int:
    """End every client's run of wrong passwords for the account; how many runs there were
    (clients with at least one wrong password counted)."""
    guard = models.SignInGuard
    runs = db.session.execute(select(guard.client).where(guard.account_id == account_id, guard.failures > 0)).all()
    db.session.execute(delete(guard).where(guard.account_id == account_id))
    return len(runs)


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
    return Account(
        row.id,
        row.username,
        row.display_name,
        StaffRole(row.role),
        row.active,
        row.session_version,
        row.password_hash.startswith(TEMPORARY),
    )
