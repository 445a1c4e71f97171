from datetime import time

import pytest

from scheduler.domain.weekly_pattern import describe_day_blocks
from scheduler.domain.weekly_pattern import parse_day_blocks


def test_blocks_are_read_in_order_and_written_back_the_same_way():
    blocks = parse_day_blocks("13:00-17:00, 8-12")
    assert blocks == [(time(8), time(12)), (time(13), time(17))]
    assert describe_day_blocks(blocks) == "08:00-12:00, 13:00-17:00"
    assert parse_day_blocks("  ") == []


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("8am to noon", "Write each block like 8:00-12:00"),
        ("12:00-8:00", "the start must come before the end"),
        ("7:00-12:00", "outside clinic hours"),
        ("8:10-12:00", "on the quarter hour"),
        ("8:00-12:00, 11:00-13:00", "Two blocks overlap"),
        ("25:00-26:00", "not a time of day"),
    ],
)
def test_a_wrong_block_says_what_to_fix(typed, problem):
    with pytest.raises(ValueError, match=problem):
        parse_day_blocks(typed)
