"""Who a refusal is counted against: the client's address, an IPv6 client by its /64 network."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from scheduler.domain.client_address import client_key
from scheduler.domain.client_address import minute_of


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("10.0.0.7", "10.0.0.7"),
        (" 10.0.0.7 ", "10.0.0.7"),
        ("::ffff:10.0.0.7", "10.0.0.7"),  # IPv4 written as IPv6 is the same client
        ("2001:db8:5:6:7:8:9:a", "2001:db8:5:6::/64"),
        ("2001:DB8:5:6::1", "2001:db8:5:6::/64"),
        (None, "unknown"),
        ("", "unknown"),
    ],
)
def test_a_client_is_its_address_and_an_ipv6_client_its_network(address, key):
    assert client_key(address) == key


def test_two_addresses_of_one_ipv6_network_are_one_client_and_of_two_networks_two():
    assert client_key("2001:db8:5:6::1") == client_key("2001:db8:5:6:ffff::2")
    assert client_key("2001:db8:5:6::1") != client_key("2001:db8:5:7::1")


def test_something_that_is_no_address_is_kept_short():
    assert len(client_key("x" * 500)) == 64


def test_refusals_are_counted_by_the_utc_minute():
    central = timezone(timedelta(hours=-6))
    assert minute_of(datetime(2027, 3, 14, 1, 59, 59, 999, tzinfo=central)) == datetime(2027, 3, 14, 7, 59, tzinfo=UTC)
    with pytest.raises(ValueError):
        minute_of(datetime(2027, 3, 14, 1, 59))
