"""Staff accounts: creating them, signing in (with the lockout) and signing out.

Sign-in answers alike whatever went wrong (an unknown username, a wrong password, a client made
to wait): the same :class:`SignIn` without an account, after the same work, one argon2 check
(against a decoy hash when there is no password to check). Wrong passwords are counted per
account and client address (``domain.staff``), and each try is counted *before* its password is
checked, under a lock, so that parallel tries at the limit get one password check between them.
Failed sign-ins are refusals of an unidentified caller: counted per address and minute
(``audit.refused``), never one audit row each.

New passwords must be hard to guess, not only long: zxcvbn (Dropbox's estimator, which knows the
commonest passwords of public breaches, words, names, keyboard walks, repeats and dates) must
score them at least ``MIN_PASSWORD_SCORE``.

Passwords are hashed with argon2id through argon2-cffi's ``PasswordHasher()`` defaults: RFC 9106's
low-memory profile (64 MiB, 3 passes, 4 lanes), above OWASP's minimum for argon2id (19 MiB, 2
passes, 1 lane), so there are no parameters of our own to get wrong. ``check_needs_rehash`` moves
old hashes to newer defaults on the next successful sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from zxcvbn import zxcvbn

from scheduler.domain.client_address import client_key
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

# zxcvbn's scale: 0 too guessable ... 4 very unguessable; 3 is "safely unguessable" against an
# attacker who guesses online or against a slow hash such as ours.
MIN_PASSWORD_SCORE = 3


@cache
def hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _decoy_hash() -> str:
    # Verified against when the username is unknown, so that answer takes as long as a wrong password.
    return hasher().hash("decoy password that no account has")


def create_account(
    username: str, display_name: str, role: str, password: str, *, created_by: int | None = None
) -> Account:
    """Create an active account. ``created_by``: the signed-in admin who made it (its audit row
    names them); None only where nobody is signed in (the command line, the demo seed). Raises
    StaffAccountError naming what to change."""
    username = check_username(username)
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 120:
        raise StaffAccountError("Give a display name of 1 to 120 characters.")
    if role not in ROLES:
        raise StaffAccountError(f"Choose a role: {', '.join(ROLES)}.")
    check_password(password, username)
    check_guessable(password, username, display_name)
    password_hash = hasher().hash(password)  # slow by design: before the write lock is taken
    with unit_of_work():
        if store_staff.username_taken(username):
            raise StaffAccountError(f"There is already an account called {username}.")
        account = store_staff.add_account(username, display_name, StaffRole(role), password_hash)
        audit.record(
            "staff.create",
            actor_kind="system" if created_by is None else "staff",
            actor_id=created_by,
            record_type="staff_account",
            record_id=account.id,
            channel="system" if created_by is None else "web",
            detail=f"role {role}",
        )
    return account


def check_guessable(password: str, *related: str) -> None:
    """Refuse a password found in, or close to, the lists of common and breached passwords (or
    built from ``related`` words: the username, the person's name), with what to do instead."""
    found: dict[str, Any] = zxcvbn(password, user_inputs=[word for word in related if word])
    if int(found["score"]) >= MIN_PASSWORD_SCORE:
        return
    warning = str(found["feedback"].get("warning") or "This password is too easy to guess.")
    raise StaffAccountError(
        f"{warning.rstrip('.')}: choose a password that is harder to guess, for example three or four"
        " unrelated words (a passphrase), not a common password with a few letters or digits changed."
    )


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: ``account`` when it succeeded, None however it failed (the
    answer must not say which: an unknown username, a wrong password, a client made to wait)."""

    account: Account | None


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


def refused_by_account(action: str, account_id: int | None, client: str, detail: str, now: datetime) -> None:
    """A refused sign-in or password change of ``account_id`` (None: no such account) from ``client``:
    counted and sampled in the audit trail (audit.refused), never a row per try."""
    audit.refused(
        action,
        client=client,
        subject="" if account_id is None else f"staff_account:{account_id}",
        actor_kind="staff",
        actor_id=account_id,
        record_type="staff_account",
        record_id=account_id,
        channel="web",
        detail=detail,
        now=now,
    )


def authenticate(username: str, password: str, client: str | None, now: datetime | None = None) -> SignIn:
    """Check a username and password typed at the client address ``client``; commits the outcome.

    Every way of failing costs one argon2 check and answers SignIn(None). A try
    at a known account is counted against (account, client) before the password is checked, in
    a unit of work that holds the count's lock (see ``store.staff.hold_failures``): of parallel
    tries at the limit one is checked, the rest find the client made to wait. A client that must
    wait is refused without its password being checked (the decoy is checked instead, for the
    time it takes). The checks run outside any unit of work: no write lock is held while hashing,
    so signing in never makes bookings wait."""
    now = now or utc_now()
    client = client_key(client)
    found = store_staff.credentials(normalise_username(username))
    if found is None or not found.account.active:
        verify_password(_decoy_hash(), password)
        # Unknown names are not written down: a mistyped password in the username box would be.
        refused_by_account(
            "staff.login_failed",
            found.account.id if found else None,
            client,
            "inactive account" if found else "unknown account",
            now,
        )
        return SignIn(None)
    account_id = found.account.id
    with unit_of_work():
        failures = store_staff.hold_failures(account_id, client)
        wait = lockout_wait(failures.count, failures.last_failed_at, now)
        if not wait:
            store_staff.count_failure(account_id, client, now)  # until the password proves right
    if wait:
        verify_password(_decoy_hash(), password)
        refused_by_account("staff.login_refused", account_id, client, f"waiting after {failures.count} failures", now)
        return SignIn(None)
    if not verify_password(found.password_hash, password):
        refused_by_account("staff.login_failed", account_id, client, "wrong password", now)
        return SignIn(None)
    rehashed = hasher().hash(password) if hasher().check_needs_rehash(found.password_hash) else None
    with unit_of_work():
        signed_in = store_staff.signed_in(account_id, client, new_password_hash=rehashed)
        _event("staff.login", account_id)
    return SignIn(signed_in)


def verify_password(password_hash: str, password: str) -> bool:
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
