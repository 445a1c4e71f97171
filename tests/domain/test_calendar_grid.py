from datetime import date
from datetime import time
from datetime import timedelta

from scheduler.domain.calendar_grid import VisitBox
from scheduler.domain.calendar_grid import column
from scheduler.domain.calendar_grid import room_column
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


def test_a_provider_who_does_not_work_that_weekday_is_one_not_working_column():
    provider = Provider(1, "Dr. Lin", "pmr", (WorkBlock(1, time(8), time(17)),))  # Tuesdays only
    col = column("1", "Dr. Lin", provider, MONDAY_AFTER_DST, ClinicCalendar(), [])
    assert col.absent == "Not working today"
    assert set(kinds(col)) == {"not working"}  # the cells stay, for whoever reads them row by row


def test_a_provider_away_all_day_says_away_even_where_they_would_not_have_worked():
    day = MONDAY_AFTER_DST
    provider = Provider(
        1, "Dr. Lin", "pmr", (WorkBlock(0, time(8), time(12)),),
        (TimeOff(clinic_instant(day, time(0)), clinic_instant(day, time(23, 59))),),
    )  # fmt: skip
    assert column("1", "Dr. Lin", provider, day, ClinicCalendar(), []).absent == "Away: time off"


def test_a_column_with_a_visit_or_a_free_time_is_never_collapsed():
    day = MONDAY_AFTER_DST
    away = Provider(1, "Dr. Lin", "pmr", (), (TimeOff(clinic_instant(day, time(0)), clinic_instant(day, time(23))),))
    kept = column("1", "Dr. Lin", away, day, ClinicCalendar(), [visit(day, 9, 60)])
    assert kept.absent == "" and kept.cells[4].kind == "visit" and kept.cells[4].outside_hours
    morning = Provider(1, "Dr. Lin", "pmr", (WorkBlock(0, time(8), time(9)),))
    assert column("1", "Dr. Lin", morning, day, ClinicCalendar(), []).absent == ""


def test_a_whole_day_closure_is_one_clinic_closed_cell():
    day = MONDAY_AFTER_DST
    provider = Provider(1, "Dr. Lin", "pmr", (WorkBlock(0, time(8), time(17)),))
    closed = ClinicCalendar(closures=(Closure(day, "Storm"),))
    assert column("1", "Dr. Lin", provider, day, closed, []).absent == "Clinic closed"


def test_a_room_column_shows_its_visits_free_while_the_clinic_is_open_and_closed_otherwise():
    day = MONDAY_AFTER_DST
    calendar = ClinicCalendar(closures=(Closure(day, "staff meeting", time(16), None),))
    x_ray = VisitBox(7, clinic_instant(day, time(9)), clinic_instant(day, time(9, 30)), "xray", "X-ray", "Lee, Ann",
                     "booked", provider_name="Sam Ruiz, RT")  # fmt: skip
    col = room_column("3", "X-ray Room", "X-ray", day, calendar, [x_ray])
    assert kinds(col)[:4] == ["free"] * 4
    assert col.cells[4].kind == "visit" and col.cells[4].rows == 2 and col.cells[4].visit.provider_name
    assert kinds(col)[5] == "covered" and kinds(col)[6:32] == ["free"] * 26 and kinds(col)[32:] == ["closed"] * 4
    assert col.absent == "" and col.subheading == "X-ray"
    saturday = room_column("3", "X-ray Room", "X-ray", day - timedelta(days=2), ClinicCalendar(), [])
    assert saturday.absent == "Clinic closed"
