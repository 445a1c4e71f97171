"""Who a refusal is counted against when nobody has said who they are: their client address."""

from __future__ import annotations

import ipaddress
from datetime import UTC
from datetime import datetime

from scheduler.domain.clock import require_aware


def client_key(address: str | None) -> str:
    """The client a refusal (or a run of wrong passwords) is counted against: the address as given, except that
    an IPv6 address counts as its /64 network (one home or office connection is usually handed a
    whole /64, so counting single addresses there would give a guesser billions of fresh starts),
    and an IPv4 address written as IPv6 (``::ffff:10.0.0.7``) counts as the IPv4 address."""
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()[:64] or "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def minute_of(instant: datetime) -> datetime:
    """The start (UTC) of the minute ``instant`` falls in: refusals are counted per minute."""
    return require_aware(instant).astimezone(UTC).replace(second=0, microsecond=0)
