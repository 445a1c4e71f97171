"""Passwords after an account exists: a person changes their own; an administrator resets someone
else's (a temporary password, shown once, that must be changed at the next sign-in) or lifts the
sign-in pauses of an account (``domain.staff.lockout_wait``).

Changing a password ends every session of the account (its ``session_version`` moves on): the
browser that changed it is given a new session by the caller, every other one is signed out. The
current password is checked as a sign-in checks it: counted against (account, client address)
before the check, so a stolen session cannot be used to guess the password faster than the sign-in
page allows, and a client made to wait is told so (it is signed in: there is nothing to hide).

A new password meets the policy of a new account (``domain.staff.check_password`` and zxcvbn,
``services.staff.check_guessable``). A temporary one is not scored: it is random (about 79 bits)
and lives until its first use.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime

from scheduler.domain.client_address import client_key
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import NotFound
from scheduler.domain.staff import FREE_FAILURES
from scheduler.domain.staff import StaffAccountError
from scheduler.domain.staff import check_password
from scheduler.domain.staff import lockout_wait
from scheduler.services import audit
from scheduler.services.staff import Account
from scheduler.services.staff import check_guessable
from scheduler.services.staff import hasher
from scheduler.services.staff import refused_by_account
from scheduler.services.staff import verify_password
from scheduler.store import staff as store_staff
from scheduler.store.unit_of_work import unit_of_work

# No 0/o, 1/l/i: a temporary password is read off a screen and typed by someone else.
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_GROUPS = 4
TEMPORARY_GROUP_LENGTH = 4


class WrongCurrentPassword(StaffAccountError):
    """The current password given with a change is not the account's (or the client must wait)."""


@dataclass(frozen=True)
class TemporaryPassword:
    """A reset's outcome: the account and its new password, to be shown once and never stored."""

    account: Account
    password: str
    lockouts_lifted: int


@dataclass(frozen=True)
class Lockout:
    """An account's runs of wrong passwords long enough to pause sign-in from some addresses.

    ``addresses``: how many client addresses have reached the limit; ``until``: when the last of
    their current pauses ends (None: none is pausing now, but the next wrong password from such an
    address pauses it again, for longer)."""

    addresses: int
    until: datetime | None


def new_temporary_password() -> str:
    """Four groups of four letters and digits, e.g. ``k7pm-3wqx-h9tz-r2fd``: about 79 random bits."""
    groups = (
        "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(TEMPORARY_GROUP_LENGTH))
        for _ in range(TEMPORARY_GROUPS)
    )
    return "-".join(groups)


def change_password(
    account_id: int, current: str, new: str, client: str | None, now: datetime | None = None
) -> Account:
    """Change the signed-in person's own password; returns the account with its new session
    version (every session of it has ended, this one included: the caller starts a new one).

    Raises StaffAccountError when the new password is refused by the policy (nothing is counted),
    WrongCurrentPassword when ``current`` is wrong or this client must first wait (counted like a
    wrong sign-in), NotFound when the account is gone or switched off."""
    now = now or utc_now()
    client = client_key(client)
    account = store_staff.account(account_id)
    stored = store_staff.password_hash(account_id)
    if account is None or stored is None or not account.active:
        raise NotFound("This account no longer signs in.")
    # The policy first: a refused new password costs no hashing and no guess.
    if new == current:
        raise StaffAccountError("Choose a new password, not the one you have now.")
    check_password(new, account.username)
    check_guessable(new, account.username, account.display_name)
    with unit_of_work():
        failures = store_staff.hold_failures(account_id, client)
        wait = lockout_wait(failures.count, failures.last_failed_at, now)
        if not wait:
            store_staff.count_failure(account_id, client, now)  # until the password proves right
    if wait:
        waiting = f"waiting after {failures.count} failures"
        refused_by_account("staff.password_change_refused", account_id, client, waiting, now)
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        raise WrongCurrentPassword(
            f"Too many wrong passwords from this computer: wait {minutes} minute{'s' if minutes > 1 else ''}"
            " and try again, or ask an administrator to lift the pause."
        )
    if not verify_password(stored, current):
        refused_by_account("staff.password_change_failed", account_id, client, "wrong current password", now)
        raise WrongCurrentPassword("Your current password is not right: type the password you signed in with.")
    new_hash = hasher().hash(new)  # slow by design: outside the write transaction
    with unit_of_work():
        store_staff.forget_failures(account_id, client)
        changed = store_staff.set_password(account_id, new_hash, temporary=False)
        if changed is None:
            raise NotFound("This account no longer signs in.")
        audit.record(
            "staff.password_change",
            actor_kind="staff",
            actor_id=account_id,
            record_type="staff_account",
            record_id=account_id,
            channel="web",
            detail="own password"
            + ("; the temporary one replaced" if account.must_change_password else "")
            + "; other sessions ended",
        )
    return changed


def reset_password(account_id: int, *, admin_id: int) -> TemporaryPassword:
    """Give someone else's account a temporary password (to be changed at its next sign-in),
    end its sessions and lift its sign-in pauses (the administrator has just vouched for the
    person). Raises StaffAccountError for the administrator's own account, NotFound for none."""
    if account_id == admin_id:
        raise StaffAccountError(
            "You cannot reset your own password here: use Change your password, which asks for your current one."
        )
    if store_staff.account(account_id) is None:
        raise NotFound("No such account.")
    password = new_temporary_password()
    new_hash = hasher().hash(password)
    with unit_of_work():
        account = store_staff.set_password(account_id, new_hash, temporary=True)
        if account is None:
            raise NotFound("No such account.")
        lifted = store_staff.clear_failures(account_id)
        audit.record(
            "staff.password_reset",
            actor_kind="staff",
            actor_id=admin_id,
            record_type="staff_account",
            record_id=account_id,
            channel="web",
            detail="temporary password, to be changed at next sign-in; sessions ended"
            + (f"; sign-in pauses lifted ({_addresses(lifted)})" if lifted else ""),
        )
    return TemporaryPassword(account, password, lifted)


def lift_lockout(account_id: int, *, admin_id: int) -> int:
    """Forget every address's run of wrong passwords for the account, so it may sign in from
    anywhere at once. Returns how many addresses had a run (0: nothing to lift, nothing audited).
    Raises NotFound when there is no such account."""
    with unit_of_work():
        if store_staff.account(account_id) is None:
            raise NotFound("No such account.")
        lifted = store_staff.clear_failures(account_id)
        if lifted:
            audit.record(
                "staff.lockout_lift",
                actor_kind="staff",
                actor_id=admin_id,
                record_type="staff_account",
                record_id=account_id,
                channel="web",
                detail=f"wrong-password counts cleared ({_addresses(lifted)})",
            )
    return lifted


def lockouts(now: datetime | None = None) -> dict[int, Lockout]:
    """Accounts with an address that has reached the wrong-password limit, by account id."""
    now = now or utc_now()
    found: dict[int, Lockout] = {}
    for account_id, run in store_staff.failure_runs(FREE_FAILURES):
        wait = lockout_wait(run.count, run.last_failed_at, now)
        until = now + wait if wait else None
        known = found.get(account_id, Lockout(0, None))
        latest = max((u for u in (known.until, until) if u is not None), default=None)
        found[account_id] = Lockout(known.addresses + 1, latest)
    return found


def _addresses(count: int) -> str:
    return f"{count} address{'es' if count != 1 else ''}"
