"""Half-open time intervals ``[start, end)`` over aware datetimes, and the set operations slots need.

Half-open so that back-to-back visits (9:00-9:30 then 9:30-10:00) do not overlap, matching the
``[)`` bounds of PostgreSQL's ``tstzrange`` used by the exclusion constraint.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial
from operator import itemgetter
from typing import NamedTuple


class Interval(NamedTuple):
    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same time (touching intervals are joined).

    Every availability question merges each provider-day's bookings: sorted by start alone (one
    datetime comparison each, where whole tuples take two), with the last stretch kept in locals."""
    merged: list[Interval] = []
    last_start = last_end = None
    for interval in sorted(intervals, key=_start):
        start, end = interval
        if last_end is not None and start <= last_end:
            if end > last_end:
                last_end = end
                merged[-1] = new_interval((last_start, end))
        elif start < end:  # an empty interval covers nothing
            merged.append(interval)
            last_start, last_end = start, end
    return merged


_start = itemgetter(0)

# ``new_interval((start, end))``: for intervals made by the dozen per question (a window's
# reservations, merged bookings). tuple.__new__ directly costs half of Interval(...), whose
# generated __new__ is a Python function.
new_interval = partial(tuple.__new__, Interval)


def subtract(base: Iterable[Interval], removed: Iterable[Interval]) -> list[Interval]:
    """``base`` minus every interval of ``removed``: one pass over both once sorted."""
    cuts = merge(removed)
    result: list[Interval] = []
    k = 0
    for piece in merge(base):
        # Cuts ending before this piece cannot touch any later piece either: skip them for good.
        while k < len(cuts) and cuts[k].end <= piece.start:
            k += 1
        start, end = piece
        j = k
        while j < len(cuts):
            cut_start, cut_end = cuts[j]
            if cut_start >= end:
                break
            if cut_start > start:
                result.append(Interval(start, cut_start))
            if cut_end > start:  # (a comparison, not max(): this loop is the slot engine's hottest)
                start = cut_end
            j += 1
        if start < end:
            result.append(Interval(start, end))
    return result


def intersect(left: Iterable[Interval], right: Iterable[Interval]) -> list[Interval]:
    a, b = merge(left), merge(right)
    result: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i].start, b[j].start)
        end = min(a[i].end, b[j].end)
        if start < end:
            result.append(Interval(start, end))
        if a[i].end < b[j].end:
            i += 1
        else:
            j += 1
    return result
