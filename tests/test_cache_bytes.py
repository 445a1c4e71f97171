"""The per-process answer caches are bounded in bytes: whatever the sizes of the answers, the
cache never holds more than its budget (a count of entries alone let 512 answers of 300 KB grow
each worker by 150 MB)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from scheduler.services.memo import ENTRY_OVERHEAD_BYTES
from scheduler.services.memo import LARGEST_SHARE
from scheduler.services.memo import RevisionCache
from scheduler.services.memo import app_cache
from scheduler.services.memo import text_size
from tests.conftest import next_clinic_day


def fill(cache: RevisionCache[str], key: object, size: int) -> str:
    return cache.get_or_compute(key, lambda: "x" * size)


def test_the_cache_never_holds_more_than_its_budget_whatever_the_sizes():
    budget = 200_000
    cache: RevisionCache[str] = RevisionCache(10_000, max_bytes=budget)
    chooser = random.Random(18)
    for _ in range(3_000):
        fill(cache, ("key", chooser.randrange(400)), chooser.choice([0, 10, 1_000, 20_000, budget // LARGEST_SHARE]))
        assert cache.bytes <= budget
        assert cache.bytes == sum(text_size(v) for v, _ in cache._entries.values())
    assert len(cache) > 1


def test_the_least_recently_used_answer_goes_first():
    entry = text_size("x" * 1_000)
    cache: RevisionCache[str] = RevisionCache(100, max_bytes=LARGEST_SHARE * entry)
    keys = [f"k{i}" for i in range(LARGEST_SHARE)]
    for key in keys:
        fill(cache, key, 1_000)
    fill(cache, "k0", 1_000)  # used again: now k1 is the oldest
    fill(cache, "new", 1_000)
    assert list(cache._entries) == [*keys[2:], "k0", "new"] and cache.bytes == LARGEST_SHARE * entry


def test_an_answer_over_an_eighth_of_the_budget_is_returned_but_not_kept():
    cache: RevisionCache[str] = RevisionCache(100, max_bytes=80_000)
    fill(cache, "small", 100)
    calls = []

    def big() -> str:
        calls.append(1)
        return "y" * 10_000

    assert cache.get_or_compute("big", big) == "y" * 10_000
    assert cache.get_or_compute("big", big) == "y" * 10_000
    assert len(calls) == 2 and list(cache._entries) == ["small"]


def test_the_count_still_bounds_it_and_zero_switches_it_off():
    cache: RevisionCache[str] = RevisionCache(2, max_bytes=10**9)
    for key in "abc":
        fill(cache, key, 10)
    assert list(cache._entries) == ["b", "c"]
    for off in (RevisionCache[str](0, max_bytes=10**9), RevisionCache[str](10, max_bytes=0)):
        fill(off, "a", 10)
        assert len(off) == 0 and off.bytes == 0


def test_an_entry_costs_its_text_and_an_overhead():
    assert text_size("x" * 1000) >= 1000 + ENTRY_OVERHEAD_BYTES
    assert text_size(b"x" * 1000) >= 1000 + ENTRY_OVERHEAD_BYTES
    with pytest.raises(TypeError):
        text_size(["not", "text"])  # type: ignore[arg-type]


def test_the_app_keeps_answers_within_the_configured_budget(app_with, make_provider):
    app = app_with(CACHE_MAX_BYTES=80_000)
    make_provider("pmr")
    client = app.test_client()
    day = next_clinic_day()
    for offset in range(20):  # a day's answer is about 6 KB
        query = {"visit_type": "evaluation", "days": 1, "from": (day + timedelta(days=offset)).isoformat()}
        assert client.get("/api/v1/availability", query_string=query).status_code == 200
    with app.app_context():
        cache = app_cache("availability")
        assert cache.max_bytes == 80_000
        assert 0 < cache.bytes <= 80_000 and 3 < len(cache) < 20


def test_a_negative_budget_stops_the_app_at_start(app_with):
    with pytest.raises(ValueError, match="SCHEDULER_CACHE_MAX_BYTES"):
        app_with(CACHE_MAX_BYTES=-1)
