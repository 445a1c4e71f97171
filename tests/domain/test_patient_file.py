"""The patient record's rules: upcoming and past visits, flags, and who did what to a visit."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from scheduler.domain.patient_file import ContactNeeds
from scheduler.domain.patient_file import RequestEntry
from scheduler.domain.patient_file import TrailEntry
from scheduler.domain.patient_file import VisitEntry
from scheduler.domain.patient_file import flags_of
from scheduler.domain.patient_file import split_visits
from scheduler.domain.patient_file import visit_changes
from scheduler.domain.routing import Intake

NOW = datetime(2027, 3, 8, 15, 0, tzinfo=UTC)


def visit(id_: int, days: float, status: str = "booked", urgent: bool = False) -> VisitEntry:
    start = NOW + timedelta(days=days)
    return VisitEntry(id_, f"SIJ-{id_:04d}-AAAA", start, start + timedelta(hours=1), status, "Evaluation",
                      "Dr. Adams", "web", urgent, None, None)  # fmt: skip


def request(reference: str, status: str, urgent: bool) -> RequestEntry:
    return RequestEntry(1, reference, NOW, status, "Injection", "Radiology", "web", urgent,
                        Intake("injection", False, "trauma", False), {}, None)  # fmt: skip


def event(id_: int, action: str, kind: str = "staff", channel: str = "web", name: str | None = "Dana Cole",
          role: str | None = "scheduler", detail: str = "") -> TrailEntry:  # fmt: skip
    return TrailEntry(id_, NOW + timedelta(minutes=id_), action, kind, 7 if kind == "staff" else None, name, role,
                      channel, "appointment", "12", detail)  # fmt: skip


def test_upcoming_visits_are_active_ones_not_yet_over_soonest_first_and_the_rest_are_past_latest_first():
    visits = [visit(1, 3), visit(2, 1), visit(3, -2, "fulfilled"), visit(4, 5, "cancelled"), visit(5, -0.01)]
    upcoming, past = split_visits(visits, NOW)
    assert [v.id for v in upcoming] == [5, 2, 1]  # visit 5 started a moment ago and is not over yet
    assert [v.id for v in past] == [4, 3]


def test_no_shows_count_only_the_last_twelve_months_and_urgent_names_what_is_still_open():
    visits = [visit(1, -30, "noshow"), visit(2, -200, "noshow"), visit(3, -400, "noshow"), visit(4, 2, urgent=True),
              visit(5, -3, "fulfilled", urgent=True)]  # fmt: skip
    requests = [request("REQ-OPEN-0001", "open", True), request("REQ-DONE-0001", "placed", True)]
    flags = flags_of(visits, requests, ContactNeeds("Spanish", ""), NOW)
    assert flags.no_shows == 2
    assert flags.urgent == ("REQ-OPEN-0001", "SIJ-0004-AAAA")
    assert flags.interpreter_language == "Spanish" and flags.any


def test_a_visit_placed_from_an_online_request_names_the_scheduler_and_the_request_channel():
    changes = visit_changes(
        [event(1, "request.place", detail="REQ-AB23-CD45"), event(2, "appointment.view"),
         event(3, "appointment.move", channel="phone", name="Pat Phone", role="phone", detail="patient notified")],
        visit_channel="web", created_at=NOW, request_reference="REQ-AB23-CD45", request_channel="web",
    )  # fmt: skip
    assert [(c.what, c.who, c.how, c.note) for c in changes] == [
        (
            "Placed from a request",
            "Dana Cole (Scheduler)",
            "on the staff pages",
            "from an online request, REQ-AB23-CD45",
        ),
        ("Moved", "Pat Phone (Phone staff)", "by phone (phone console)", "patient notified"),
    ]


def test_a_visit_nobody_on_staff_booked_was_booked_by_the_patient_online():
    changes = visit_changes([event(1, "appointment.cancel", kind="patient", name=None, role=None)],
                            visit_channel="web", created_at=NOW)  # fmt: skip
    assert [(c.what, c.who, c.how) for c in changes] == [
        ("Booked", "The patient", "online (patient pages)"),
        ("Cancelled", "The patient", "online (patient pages)"),
    ]


def test_a_phone_visit_with_no_booking_event_names_nobody_rather_than_guessing():
    (booked,) = visit_changes([], visit_channel="phone", created_at=NOW)
    assert (booked.what, booked.who, booked.how) == (
        "Booked",
        "A staff member (not named in the audit trail)",
        "by phone",
    )
