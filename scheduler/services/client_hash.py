"""Who a client is, as a key the database can count and look up by without holding it."""

from __future__ import annotations

import hashlib
import hmac

from scheduler.domain.client_address import client_key
from scheduler.settings import settings


def client_hash(*parts: str) -> str:
    """HMAC-SHA-256 (keyed with the app's secret key) of ``parts``, as 64 hex digits. Keyed, because
    a plain hash of an IPv4 address is undone by trying all four billion of them."""
    message = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return hmac.new(settings().secret_key.encode(), message, hashlib.sha256).hexdigest()


def address_hash(address: str | None, *parts: str) -> str:
    """:func:`client_hash` of a client address (an IPv6 address counts as its /64, see
    ``domain.client_address.client_key``) and ``parts``."""
    return client_hash("address", client_key(address), *parts)
