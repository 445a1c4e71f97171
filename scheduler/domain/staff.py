"""Staff rules that need no database: the roles, the password policy and the sign-in lockout.

The lockout slows guessing without handing anyone a way to shut a colleague out. Wrong passwords
are counted per account *and* client (``domain.client_address.client_key``): after
``FREE_FAILURES`` in a row from one address, that address waits ``2 ** (failures - 5)`` minutes
after its last failure before it may try that account again, never more than ``MAX_WAIT``; a
correct password from that address resets its count. A stranger guessing from elsewhere slows
only themselves: the account's owner, at their own address, signs in as usual.
"""

from __future__ import annotations

import re
from datetime import datetime
from datetime import timedelta
from enum import StrEnum

from scheduler.domain.clock import require_aware


class StaffRole(StrEnum):
    ADMIN = "admin"
    SCHEDULER = "scheduler"
    PHONE = "phone"


# The names the roles go by in the staff pages and in the code that checks them.
ADMIN = StaffRole.ADMIN
SCHEDULER = StaffRole.SCHEDULER
PHONE = StaffRole.PHONE
ROLES = tuple(StaffRole)
ROLE_NAMES = {ADMIN: "Administrator", SCHEDULER: "Scheduler", PHONE: "Phone staff"}

MIN_PASSWORD_LENGTH = 12
# argon2 hashes any length, but a megabyte "password" would still cost us the hashing time.
MAX_PASSWORD_LENGTH = 256
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")

FREE_FAILURES = 5
MAX_WAIT = timedelta(minutes=15)


class StaffAccountError(ValueError):
    """An account that cannot be created as asked; the message says what to change."""


def normalise_username(raw: str) -> str:
    """Usernames compare case-insensitively, so they are stored and looked up in lower case."""
    return raw.strip().lower()


def check_username(raw: str) -> str:
    username = normalise_username(raw)
    if not USERNAME.fullmatch(username):
        raise StaffAccountError(
            "Use 2 to 80 letters, digits, dots, dashes or underscores, starting with a letter or digit."
        )
    return username


def check_password(password: str, username: str) -> None:
    """Length is what makes a password strong (NIST SP 800-63B); no composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffAccountError(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise StaffAccountError(f"Use a password of at most {MAX_PASSWORD_LENGTH} characters.")
    if username and username in password.lower():
        raise StaffAccountError("Do not put the username in the password.")


def lockout_wait(failures: int, last_failed_at: datetime | None, now: datetime) -> timedelta:
    """How long a client must still wait before its next try at the account is checked (zero: it
    may try now). ``failures`` and ``last_failed_at`` are that client's run for that account."""
    if failures < FREE_FAILURES or last_failed_at is None:
        return timedelta(0)
    # min() before the power, so a huge failure count cannot overflow the timedelta.
    wait = min(timedelta(minutes=2 ** min(failures - FREE_FAILURES, 10)), MAX_WAIT)
    remaining = require_aware(last_failed_at) + wait - require_aware(now)
    return max(remaining, timedelta(0))
