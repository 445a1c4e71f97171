"""Staff accounts: creating them, signing in (with the per-account lockout) and signing out.

Passwords are hashed with argon2id through argon2-cffi's ``PasswordHasher()`` defaults: RFC 9106's
low-memory profile (64 MiB, 3 passes, 4 lanes), above OWASP's minimum for argon2id (19 MiB, 2
passes, 1 lane), so there are no parameters of our own to get wrong. ``check_needs_rehash`` moves
old hashes to newer defaults on the next successful sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError

from scheduler.domain.clock import utc_now
from scheduler.domain.staff import ROLES
from scheduler.domain.staff import StaffAccountError
from scheduler.domain.staff import StaffRole
from scheduler.domain.staff import check_password
from scheduler.domain.staff import check_username
from scheduler.domain.staff import lockout_wait
from scheduler.domain.staff import normalise_username
from scheduler.services import audit
from scheduler.store import staff as store_staff
from scheduler.store.staff import Account as Account  # what callers get back: a value, never the row
from scheduler.store.unit_of_work import unit_of_work


@cache
def hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _decoy_hash() -> str:
    # Verified against when the username is unknown, so that answer takes as long as a wrong password.
    return hasher().hash("decoy password that no account has")


def create_account(username: str, display_name: str, role: str, password: str) -> Account:
    """Create an active account. Raises StaffAccountError naming what to change."""
    username = check_username(username)
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 120:
        raise StaffAccountError("Give a display name of 1 to 120 characters.")
    if role not in ROLES:
        raise StaffAccountError(f"Choose a role: {', '.join(ROLES)}.")
    check_password(password, username)
    password_hash = hasher().hash(password)  # slow by design: before the write lock is taken
    with unit_of_work():
        if store_staff.username_taken(username):
            raise StaffAccountError(f"There is already an account called {username}.")
        account = store_staff.add_account(username, display_name, StaffRole(role), password_hash)
        audit.record(
            "staff.create",
            actor_kind="system",
            actor_id=None,
            record_type="staff_account",
            record_id=account.id,
            channel="system",
            detail=f"role {role}",
        )
    return account


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: ``account`` when it succeeded; otherwise ``wait`` is how long a
    locked account must still wait (zero for a plain wrong username or password)."""

    account: Account | None
    wait: timedelta = timedelta(0)


def _event(action: str, account_id: int | None, detail: str = "") -> None:
    audit.record(
        action,
        actor_kind="staff",
        actor_id=account_id,
        record_type="staff_account",
        record_id=account_id,
        channel="web",
        detail=detail,
    )


def authenticate(username: str, password: str, now: datetime | None = None) -> SignIn:
    """Check a username and password, counting failures per account; commits the outcome and its
    audit row. A locked account is refused without looking at the password.

    The password is checked (argon2, about a tenth of a second by design) before the unit of work
    opens, so no write lock is held while it is hashed: signing in never makes bookings wait."""
    now = now or utc_now()
    found = store_staff.credentials(normalise_username(username))
    if found is None or not found.account.active:
        _verify(_decoy_hash(), password)
        with unit_of_work():
            # Unknown names are not written down: a mistyped password in the username box would be.
            _event(
                "staff.login_failed",
                found.account.id if found else None,
                "inactive account" if found else "unknown account",
            )
        return SignIn(None)
    account_id, failures = found.account.id, found.failed_logins
    wait = lockout_wait(failures, found.last_failed_at, now)
    if wait:
        with unit_of_work():
            _event("staff.login_refused", account_id, f"locked after {failures} failures")
        return SignIn(None, wait)
    if not _verify(found.password_hash, password):
        with unit_of_work():
            store_staff.count_wrong_password(account_id, now)
            _event("staff.login_failed", account_id, "wrong password")
        return SignIn(None)
    rehashed = hasher().hash(password) if hasher().check_needs_rehash(found.password_hash) else None
    with unit_of_work():
        signed_in = store_staff.clear_failures(account_id, new_password_hash=rehashed)
        _event("staff.login", account_id)
    return SignIn(signed_in)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def load(account_id: int) -> Account | None:
    return store_staff.account(account_id)


def all_accounts() -> list[Account]:
    """Every account, active or not, by username (the accounts page)."""
    return store_staff.all_accounts()


def sign_out(account_id: int, *, reason: str = "") -> None:
    """End every session of the account: the cookie is signed, not stored, so a copy of it would
    stay valid until its version moves on."""
    with unit_of_work():
        store_staff.end_sessions(account_id)
        _event("staff.logout", account_id, reason)


def session_expired(account_id: int, reason: str) -> None:
    """Only this browser's session ended (idle, or too old): the account's other sessions go on."""
    with unit_of_work():
        _event("staff.session_expired", account_id, reason)
