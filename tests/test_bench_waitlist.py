"""The B8 waitlist month (bench/_waitlist.py) still runs: a tiny version of it (one booked day after
one day of lead, eight entries) on the test database, with the invariants it reports."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from bench import _waitlist


def test_waitlist_month_runs_small(app: Flask, database_url: str) -> None:
    result = _waitlist.simulate(
        database_url, say=lambda _: None, days=1, entries=8, lead=timedelta(days=1), migrate=False
    )

    figures = _waitlist.figures(result)
    assert result["cancelled_times"] > 0
    assert result["counts"]["joined"] > 0
    assert result["counts"]["ticks"] > 0
    assert figures["B8x"] == 0 and result["double_bookings"] == {"provider": 0, "room": 0, "patient": 0}
    assert figures["B8m"] == 0 and result["messages"]["duplicates"] == 0
    assert 0 <= figures["B8"] <= 1
    assert "B8 postgresql" in _waitlist.describe(result)
