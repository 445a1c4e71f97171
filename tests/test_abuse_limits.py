"""Holds cannot empty a day: a few live holds per client (counted in the database), one per
patient journey, never renewed by holding the same time again; staff are not limited."""

from __future__ import annotations

import threading
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduler.domain.clock import utc_now
from scheduler.domain.errors import HoldNotRenewable
from scheduler.domain.errors import TooManyHolds
from scheduler.domain.patients import PatientDetails
from scheduler.services import booking
from scheduler.services import holds
from scheduler.services.holds import HoldClient
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.fhir.conftest import api_token  # noqa: F401
from tests.fhir.conftest import clinic  # noqa: F401
from tests.fhir.conftest import fhir_client  # noqa: F401
from tests.public.conftest import answer_questions
from tests.public.conftest import errors
from tests.public.conftest import offered
from tests.public.conftest import offered_days
from tests.staff.conftest import signed_in  # noqa: F401
from tests.staff.conftest import staff_user  # noqa: F401

ADDRESS = "203.0.113.7"


def journey(app, address: str = ADDRESS):
    """A new browser (its own journey) at ``address``, on the time page; (client, times offered)."""
    app.config["SESSION_COOKIE_SECURE"] = False
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    answer_questions(browser, requested="evaluation")
    # Every eighth time offered over the first days: two hours apart, so that no hold stands in
    # another's way (today's day may have only a few times left).
    days = offered_days(browser.get("/request/time"))[:3]
    times = [t for day in days for t in offered(browser.get(f"/request/time?day={day}"))[::8]]
    return browser, times


def live_holds(app) -> list[models.Hold]:
    with app.app_context():
        return list(
            db.session.execute(select(models.Hold).where(models.Hold.expires_at > utc_now())).unique().scalars()
        )


def test_one_address_holds_two_times_at_most_and_the_third_is_refused_on_the_time_field(app, make_provider):
    make_provider("pmr")
    first, times = journey(app)
    second, _ = journey(app)
    third, _ = journey(app)
    assert first.post("/request/time", data={"slot": times[0]}).status_code == 302
    assert second.post("/request/time", data={"slot": times[1]}).status_code == 302
    refused = third.post("/request/time", data={"slot": times[2]})
    assert refused.status_code == 422
    assert errors(refused) == [
        "You are already holding 2 times, as many as we keep at once for one person or system. Finish booking, "
        "or wait until they are released (within 10 minutes), then choose again."
    ]
    assert len(live_holds(app)) == 2
    # Another address is not held back by this one.
    elsewhere, _ = journey(app, "198.51.100.9")
    assert elsewhere.post("/request/time", data={"slot": times[2]}).status_code == 302
    # Each hold is recorded against a hash of its client, never the address itself.
    keys = {h.client_key for h in live_holds(app)}
    assert len(keys) == 2 and all(len(k) == 64 and ADDRESS not in k for k in keys)


def test_a_journey_holds_one_time_and_changing_its_mind_does_not_use_up_the_limit(app, make_provider):
    make_provider("pmr")
    browser, times = journey(app)
    for slot in times[:4]:
        assert browser.post("/request/time", data={"slot": slot}).status_code == 302
    (held,) = live_holds(app)
    assert held.starts_at.isoformat() == times[3].split("|")[0]


def test_choosing_the_same_time_again_keeps_the_first_expiry_and_after_it_the_time_is_not_held_again(
    app, make_provider
):
    make_provider("pmr")
    browser, times = journey(app)
    chosen = times[2]  # not the first: the checks below run ten minutes on, past its booking notice
    assert browser.post("/request/time", data={"slot": chosen}).status_code == 302
    (first,) = live_holds(app)
    assert browser.post("/request/time", data={"slot": chosen}).status_code == 302
    (again,) = live_holds(app)
    assert again.expires_at == first.expires_at  # not renewed
    start = first.starts_at
    with app.app_context():
        client = HoldClient.at_address(ADDRESS)
        after = first.expires_at + timedelta(seconds=1)
        with pytest.raises(HoldNotRenewable, match="already kept for you for 10 minutes"):
            holds.hold_time("evaluation", start, client=client, now=after)
        # Someone else may hold it once it is free; and this client may hold another time.
        holds.hold_time("evaluation", start, client=HoldClient.at_address("198.51.100.9"), now=after)
        other = datetime.fromisoformat(times[3].split("|")[0])
        assert holds.hold_time("evaluation", other, client=client, now=after).expires_at == after + timedelta(
            minutes=10
        )


def test_holding_the_same_time_again_within_its_ten_minutes_keeps_its_expiry(app, make_provider):
    make_provider("pmr")
    client = HoldClient("k" * 64, 2)
    start = central(next_clinic_day(3), 10)
    t0 = utc_now()
    with app.app_context():
        held = holds.hold_time("evaluation", start, client=client, now=t0)
        again = holds.hold_time("evaluation", start, client=client, now=t0 + timedelta(minutes=4), replaces=held.token)
        assert again.expires_at == held.expires_at == t0 + timedelta(minutes=10)
        with pytest.raises(HoldNotRenewable):
            holds.hold_time("evaluation", start, client=client, now=t0 + timedelta(minutes=10), replaces=again.token)
        # A day later the time may be held again (the record is forgotten by the worker's job).
        later = t0 + timedelta(hours=24, minutes=1)
        holds.release_expired_holds(later)
        assert holds.hold_time("evaluation", start, client=client, now=later).expires_at == later + timedelta(
            minutes=10
        )


def test_parallel_holds_from_one_address_never_pass_the_limit(app, make_provider):
    make_provider("pmr")
    make_provider("pmr")
    day = next_clinic_day(3)
    client = HoldClient("p" * 64, 2)
    outcomes: list[str] = []
    start_together = threading.Barrier(6)

    def hold(hour: int) -> None:
        with app.app_context():
            start_together.wait(10)
            try:
                holds.hold_time("evaluation", central(day, hour), client=client)
                outcomes.append("held")
            except TooManyHolds:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=hold, args=(hour,)) for hour in (8, 9, 10, 11, 13, 14)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["held", "held", "refused", "refused", "refused", "refused"]
    assert len(live_holds(app)) == 2


def test_fhir_hold_is_limited_per_integration_with_429(app, clinic, fhir_client):  # noqa: F811
    app.config["HOLDS_PER_INTEGRATION"] = 2
    ehr = fhir_client("read", "book")
    day = next_clinic_day(after_days=3)
    found = [e["resource"] for e in ehr.find("evaluation", day.isoformat(), day.isoformat()).resource["entry"]]
    # An hour apart, so that no hold stands in another's way.
    proposals = [
        next(p for p in found if p["start"].startswith(f"{day.isoformat()}T{h}:00")) for h in ("09", "11", "14")
    ]
    assert ehr.hold(proposals[0]).status == 200
    assert ehr.hold(proposals[1]).status == 200
    refused = ehr.hold(proposals[2])
    assert refused.status == 429, refused.resource
    issue = refused.resource["issue"][0]
    assert issue["code"] == "throttled" and issue["details"]["coding"][0]["code"] == "too_many_holds"
    assert "already holding 2 times" in issue["details"]["text"]
    # Another integration has its own count.
    assert fhir_client("read", "book").hold(proposals[2]).status == 200


def test_staff_are_not_limited_by_the_holds_of_their_address(app, client, make_provider, signed_in):  # noqa: F811
    make_provider("pmr")
    first, times = journey(app, "127.0.0.1")
    second, _ = journey(app, "127.0.0.1")
    assert first.post("/request/time", data={"slot": times[0]}).status_code == 302
    assert second.post("/request/time", data={"slot": times[1]}).status_code == 302
    signed_in(client, "scheduler")
    with app.app_context():
        booked = booking.place_visit(
            visit_type_code="evaluation",
            start=central(next_clinic_day(3), 15),
            patient=PatientDetails("Ann", "Lee", date(1970, 2, 3), None, "ann.lee@example.com"),
            channel="phone",
        )
    for day in (4, 5, 6):  # staff move a visit as often as they need to, from the same address
        moved = client.post(
            f"/staff/visits/{booked.appointment.id}/move",
            data={"slot": f"{central(next_clinic_day(day), 15).isoformat()}|{booked.appointment.provider.id}"},
        )
        assert moved.status_code == 302, moved.get_data(as_text=True)
    assert len(live_holds(app)) == 2
