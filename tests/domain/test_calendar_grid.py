from datetime import date
from datetime import time
from datetime import timedelta

from scheduler.domain.calendar_grid import VisitBox
from scheduler.domain.calendar_grid import column
from scheduler.domain.catalog import Provider
from scheduler.domain.catalog import TimeOff
from scheduler.domain.catalog import WorkBlock
from scheduler.domain.clock import clinic_instant
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.hours import Closure

MONDAY_AFTER_DST = date(2027, 3, 15)  # the first weekday on daylight time


def visit(day, hour, minutes, appointment_id=1):
    start = clinic_instant(day, time(hour))
    return VisitBox(
        appointment_id, start, start + timedelta(minutes=minutes), "evaluation", "Evaluation", "Lee, Ann", "booked"
    )


def kinds(col):
    return [c.kind if c.kind != "unavailable" else c.reason for c in col.cells]


def test_a_day_column_shows_visits_free_time_and_why_the_rest_is_unavailable():
    day = MONDAY_AFTER_DST
    provider = Provider(
        1, "Dr. Lin", "pmr", (WorkBlock(0, time(8), time(12)), WorkBlock(0, time(13), time(17))),
        (TimeOff(clinic_instant(day, time(13)), clinic_instant(day, time(14))),),
    )  # fmt: skip
    calendar = ClinicCalendar(closures=(Closure(day, "staff meeting", time(16), None),))
    col = column("1", "Dr. Lin", provider, day, calendar, [visit(day, 8, 60)])
    assert len(col.cells) == 36  # 8:00 to 17:00 in quarter hours, on the wall clock, on a DST week too
    assert col.cells[0].kind == "visit" and col.cells[0].rows == 4
    assert kinds(col)[1:4] == ["covered"] * 3
    assert kinds(col)[4:16] == ["free"] * 12  # 9:00 to noon
    assert kinds(col)[16:20] == ["not working"] * 4  # lunch
    assert kinds(col)[20:24] == ["time off"] * 4  # 13:00 to 14:00
    assert kinds(col)[24:32] == ["free"] * 8
    assert kinds(col)[32:] == ["closed"] * 4  # closes at 16:00


def test_a_weekend_day_is_all_closed():
    provider = Provider(1, "Dr. Lin", "pmr", tuple(WorkBlock(d, time(8), time(17)) for d in range(5)))
    col = column("x", "Sat", provider, MONDAY_AFTER_DST - timedelta(days=2), ClinicCalendar(), [])
    assert set(kinds(col)) == {"closed"}
