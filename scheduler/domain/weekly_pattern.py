"""A provider's weekly hours as staff type them: "8:00-12:00, 13:00-17:00" for one weekday."""

from __future__ import annotations

import re
from datetime import time

from scheduler.domain.hours import ClinicHours

_BLOCK = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?\s*$")


def parse_day_blocks(text: str, hours: ClinicHours | None = None) -> list[tuple[time, time]]:
    """The blocks of one weekday in clinic wall-clock time, in order; empty text means not working.

    Raises ValueError with what to fix: a block must look like 8:00-12:00 (24-hour clock), sit
    inside clinic hours, start and end on the quarter hour, and not overlap another block.
    """
    hours = hours or ClinicHours()
    blocks: list[tuple[time, time]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        found = _BLOCK.match(part)
        if not found:
            raise ValueError(f"Write each block like 8:00-12:00 (24-hour clock), not '{part[:20]}'.")
        sh, sm, eh, em = (int(g) if g else 0 for g in found.groups())
        try:
            starts, ends = time(sh, sm), time(eh, em)
        except ValueError:
            raise ValueError(f"'{part[:20]}' is not a time of day.") from None
        if not starts < ends:
            raise ValueError(f"In {part}, the start must come before the end.")
        if starts < hours.opens or ends > hours.closes:
            raise ValueError(f"{part} is outside clinic hours ({hours.describe()}).")
        if starts.minute % hours.grid_minutes or ends.minute % hours.grid_minutes:
            raise ValueError(f"{part}: start and end on the quarter hour (:00, :15, :30 or :45).")
        blocks.append((starts, ends))
    blocks.sort()
    for (_, first_end), (second_start, _) in zip(blocks, blocks[1:], strict=False):
        if second_start < first_end:
            raise ValueError("Two blocks overlap: list each time once.")
    return blocks


def describe_day_blocks(blocks: list[tuple[time, time]]) -> str:
    return ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in blocks)
