"""Idempotent requests: a retry sent with the same ``Idempotency-Key`` gets the first answer.

A client that lost the connection after booking cannot tell whether the booking was made; sending
it again with the same key returns the answer it missed (status, body, Location) instead of a 409
for its own visit. The key counts per client address (another client's same key is another key);
the same key with another body is refused (IdempotencyKeyReused). Answers are kept for 24 hours.
Only answers that wrote something are kept: a refusal rolls the key back with everything else,
so a retry after one is tried afresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from scheduler.domain.clock import utc_now
from scheduler.domain.errors import IdempotencyKeyReused
from scheduler.services.client_hash import address_hash
from scheduler.store import idempotency as store_idempotency
from scheduler.store.unit_of_work import unit_of_work

KEPT_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    location: str | None = None
    replayed: bool = False


def answer_once(
    key: str, *, client_address: str | None, request_body: bytes, answer: Callable[[], Answer],
    now: datetime | None = None,
) -> Answer:  # fmt: skip
    """The first answer given to ``key`` from this client in the last 24 hours (``replayed``), or
    ``answer()``'s, recorded in the same unit of work as whatever ``answer`` writes: the booking
    and its record commit together or not at all. Raises IdempotencyKeyReused when ``key`` was
    used for another ``request_body``, and whatever ``answer`` raises (then nothing is kept)."""
    now = now or utc_now()
    key_hash = address_hash(client_address, "idempotency-key", key)
    request_hash = hashlib.sha256(request_body).hexdigest()
    with unit_of_work():
        store_idempotency.forget_before(now - KEPT_FOR)
        if not store_idempotency.claim(key_hash, request_hash, now):
            found = store_idempotency.recorded(key_hash)
            if found is None or found.status is None or found.body is None:  # never left so by a commit
                raise RuntimeError("an idempotency record without its answer")
            if found.request_hash != request_hash:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was used for a different request. Use a new key for a new booking."
                )
            return Answer(found.status, found.body, found.location, replayed=True)
        given = answer()
        store_idempotency.record_answer(key_hash, given.status, given.body, given.location)
    return given
