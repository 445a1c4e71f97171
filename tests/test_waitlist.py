"""The waitlist fills freed times by itself: joining and leaving (service and JSON API), a freed
time offered within one worker pass and held for the batch, the first claimant booking, a
replaced visit moved (its old time offered on), unclaimed offers passing to the next batch, and
the limits on who is offered what and how (the weekly cap, consent, quiet hours).

Real database, real SMTP server (aiosmtpd): no part of ours is faked."""

from __future__ import annotations

import re
from datetime import date
from datetime import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select

from scheduler.domain.catalog import WorkBlock
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import iso_central
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import SlotTaken
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.domain.schedule_changes import HoursChange
from scheduler.domain.waitlist import EntryStatus
from scheduler.domain.waitlist import OfferStatus
from scheduler.domain.waitlist import RecipientOutcome
from scheduler.domain.waitlist import Windows
from scheduler.jobs import one_tick
from scheduler.jobs import transports
from scheduler.services import booking
from scheduler.services import catalog_admin
from scheduler.services import holds
from scheduler.services import schedule_changes
from scheduler.services import waitlist
from scheduler.services import waitlist_claims
from scheduler.services import waitlist_offers
from scheduler.services import waitlist_staff
from scheduler.services.notices import compose_sms
from scheduler.services.outbox_delivery import drain_once
from scheduler.services.references import claim_token
from scheduler.services.staff_visits import Actor
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json
from tests.test_openapi_schemathesis import conforms

NEW_PATIENT = Intake("evaluation", seen_before=False, cause="trauma", referred=False)


def person(n: int, *, sms: bool = False, email: bool = True) -> PatientDetails:
    return PatientDetails(
        f"Waiting{n}",
        "Lee",
        date(1970, 1, 1 + n),
        f"+1507555{n:04d}",
        f"waiting{n}@example.com" if email else None,
        sms,
    )


def book(n: int, start: Any) -> booking.Booked:
    return booking.book_appointment(
        visit_type_code="evaluation", start=start, patient=person(n), intake=NEW_PATIENT, channel="web"
    )


def join(n: int, **kwargs: Any) -> waitlist.Joined:
    kwargs.setdefault("patient", person(n))
    return waitlist.join(visit_type_code="evaluation", **kwargs)


def count(model: Any, *where: Any) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def offers() -> list[models.WaitlistOffer]:
    db.session.expire_all()
    return list(db.session.execute(select(models.WaitlistOffer).order_by(models.WaitlistOffer.id)).scalars())


def token_of(reference: str, offer_id: int | None = None) -> str:
    """The claim token of the entry's (latest) offer, made as its message makes it."""
    r, e = models.WaitlistRecipient, models.WaitlistEntry
    query = select(r.nonce).join(e, e.id == r.entry_id).where(e.reference == reference).order_by(r.id.desc())
    if offer_id is not None:
        query = query.where(r.offer_id == offer_id)
    return claim_token(db.session.execute(query.limit(1)).scalar_one())


def entry_status(reference: str) -> EntryStatus:
    db.session.expire_all()
    row = db.session.execute(select(models.WaitlistEntry).filter_by(reference=reference)).scalar_one()
    return row.status


def waitlist_messages(reference: str, kind: str | None = None) -> list[models.OutboxMessage]:
    m, e = models.OutboxMessage, models.WaitlistEntry
    query = select(m).join(e, e.id == m.waitlist_entry_id).where(e.reference == reference)
    if kind:
        query = query.where(m.kind == kind)
    return list(db.session.execute(query.order_by(m.id)).scalars())


# ----- joining and leaving --------------------------------------------------------------------------


def test_joining_through_the_api_gives_a_reference_and_a_token_that_views_and_leaves_the_entry(
    app, client, make_provider
):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    answer = client.post(
        "/api/v1/waitlist",
        json={
            "visit_type": "evaluation",
            "patient": patient_json(),
            "earliest": day.isoformat(),
            "weekdays": ["monday", "tuesday"],
            "parts_of_day": ["morning"],
        },
    )
    assert answer.status_code == 201, answer.json
    joined = answer.json
    assert joined["reference"].startswith("WL-") and joined["status"] == "waiting"
    assert joined["weekdays"] == ["monday", "tuesday"] and joined["parts_of_day"] == ["morning"]
    assert answer.headers["Location"].endswith(f"/api/v1/waitlist/{joined['reference']}")
    auth = {"Authorization": f"Bearer {joined['manage_token']}"}

    seen = client.get(f"/api/v1/waitlist/{joined['reference']}", headers=auth)
    assert seen.status_code == 200 and seen.json["earliest"] == day.isoformat() and seen.json["offers"] == []
    assert "manage_token" not in seen.json
    wrong = client.get(f"/api/v1/waitlist/{joined['reference']}", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 404 and wrong.json["error"] == "not_found"

    left = client.delete(f"/api/v1/waitlist/{joined['reference']}", headers=auth)
    assert left.status_code == 200 and left.json["status"] == "left"
    assert client.delete(f"/api/v1/waitlist/{joined['reference']}", headers=auth).json["status"] == "left"
    with app.app_context():
        actions = db.session.execute(select(models.AuditEvent.action).order_by(models.AuditEvent.id)).scalars().all()
        assert actions == ["waitlist_joined", "waitlist_left"]


def test_joining_is_refused_with_a_reason_for_every_field_that_needs_fixing(app, client, make_provider):
    make_provider("pmr")
    therapist = make_provider("pmr", kind="physical-therapist", visit_types=("therapy",))
    yesterday = clinic_today(utc_now()) - timedelta(days=1)  # the clinic's date: UTC's is a day ahead each evening
    answer = client.post(
        "/api/v1/waitlist",
        json={
            "visit_type": "evaluation",
            "patient": patient_json(),
            "provider_ids": [therapist],
            "latest": yesterday.isoformat(),
        },
    )
    assert answer.status_code == 422
    assert set(answer.json["fields"]) == {"provider_ids", "latest"}
    assert "does not do" in answer.json["fields"]["provider_ids"]
    unknown = client.post("/api/v1/waitlist", json={"visit_type": "massage", "patient": patient_json()})
    assert unknown.status_code == 422 and "visit_type" in unknown.json["fields"]
    nobody = client.post("/api/v1/waitlist", json={"visit_type": "evaluation"})
    assert nobody.status_code == 422 and "patient" in nobody.json["fields"]
    weekend = client.post(
        "/api/v1/waitlist", json={"visit_type": "evaluation", "patient": patient_json(), "weekdays": ["saturday"]}
    )
    assert weekend.status_code == 422 and "weekdays.0" in weekend.json["fields"]
    with app.app_context():
        assert count(models.WaitlistEntry) == 0
        with pytest.raises(InvalidInput) as saturday:  # as staff pages would call it
            join(1, windows=Windows(weekdays=frozenset({5})))
        assert "Monday" in saturday.value.fields["weekdays"]
        with pytest.raises(InvalidInput) as twice:
            join(1)
            join(1)
        assert "already on the waitlist" in twice.value.fields["visit_type"]


# ----- a freed time is offered within one pass ----------------------------------------------------


def test_a_cancelled_time_is_offered_within_one_worker_pass_held_for_the_batch_and_claimed_from_the_email(
    app, inbox, make_provider
):
    provider = make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        visit = book(1, central(day, 9)).appointment
        waiting = join(2)
        drain_once(transports)  # the booking's own confirmation
        inbox.messages.clear()

        booking.cancel_visit(visit.id, "patient asked", notify=False)
        assert count(models.FreedTimeRow, models.FreedTimeRow.handled_at.is_(None)) == 1
        assert waitlist_offers.run_pass() == {"offered": 1}  # one pass of the worker's job
        (offer,) = offers()
        assert (offer.starts_at, offer.provider_id, offer.status) == (central(day, 9), provider, OfferStatus.OPEN)
        assert offer.expires_at - offer.created_at == timedelta(minutes=30)
        # Held like any hold: nobody else can book the time while the batch decides.
        with pytest.raises(SlotTaken):
            book(3, central(day, 9))
        assert count(models.AuditEvent, models.AuditEvent.action == "waitlist_offer_sent") == 1

        assert drain_once(transports) == {"sent": 1}
        (email,) = inbox.messages
        assert email["To"] == "waiting2@example.com" and "earlier time" in email["Subject"]
        body = email.get_body(("plain",)).get_content()
        link = re.search(r"http\S+/o/([A-Za-z0-9_-]{12})(?![A-Za-z0-9_-])", body)  # a token may end in "-"
        assert link, body

        claimed = waitlist_claims.claim(link.group(1))
        assert claimed.appointment.starts_at == central(day, 9) and not claimed.moved
        assert claimed.appointment.patient.email == "waiting2@example.com"
        assert entry_status(waiting.view.reference) is EntryStatus.BOOKED
        (offer,) = offers()
        assert offer.status is OfferStatus.CLAIMED and offer.appointment_id == claimed.appointment.id
        assert count(models.Hold) == 0  # the offer's hold became the visit
        assert count(models.AuditEvent, models.AuditEvent.action == "waitlist_offer_claimed") == 1
        # Claiming again with the same link gives the same visit, not a second one.
        assert waitlist_claims.claim(link.group(1)).appointment.id == claimed.appointment.id
        assert count(models.Appointment, models.Appointment.status == "booked") == 1


def test_the_first_claimant_books_and_the_rest_of_the_batch_are_told_it_was_taken_and_keep_their_place(
    app, client, make_provider
):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        visit = book(1, central(day, 10)).appointment
        entries = [join(n).view.reference for n in (2, 3, 4, 5)]
        booking.cancel_visit(visit.id, None, notify=False)
        waitlist_offers.run_pass()
        (offer,) = offers()
        batch = sorted(r.entry_id for r in db.session.execute(select(models.WaitlistRecipient)).scalars())
        assert len(batch) == 3  # the default batch: the three who waited longest
        tokens = [token_of(ref) for ref in entries[:3]]
        assert count(models.WaitlistRecipient, models.WaitlistRecipient.entry_id == 4) == 0

    second = client.post(f"/api/v1/offers/{tokens[1]}/claim")
    assert second.status_code == 201, second.json
    assert second.json["start"] == iso_central(central(day, 10))
    assert second.json["manage_token"]
    first = client.post(f"/api/v1/offers/{tokens[0]}/claim")
    assert first.status_code == 409 and first.json["error"] == "offer_taken"
    assert "keep your place" in first.json["message"]
    assert client.post("/api/v1/offers/AAAAAAAAAAAA/claim").status_code == 404
    assert client.post("/api/v1/offers/short/claim").status_code == 404

    with app.app_context():
        assert entry_status(entries[1]) is EntryStatus.BOOKED
        assert [entry_status(ref) for ref in (entries[0], entries[2], entries[3])] == [EntryStatus.WAITING] * 3
        outcomes = {r.entry_id: r.outcome for r in db.session.execute(select(models.WaitlistRecipient)).scalars()}
        assert sorted(outcomes.values()) == sorted(
            [RecipientOutcome.CLAIMED, RecipientOutcome.TAKEN, RecipientOutcome.TAKEN]
        )
        assert [m.channel for m in waitlist_messages(entries[0], "offer-taken")] == ["email"]
        assert waitlist_messages(entries[1], "offer-taken") == []


def test_an_unclaimed_offer_passes_to_the_next_batch_and_a_late_claim_is_gone(app, client, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        visit = book(1, central(day, 11)).appointment
        entries = [join(n).view.reference for n in (2, 3, 4, 5)]
        booking.cancel_visit(visit.id, None, notify=False)
        now = utc_now()
        waitlist_offers.run_pass(now)
        late_token = token_of(entries[0])
        later = now + timedelta(minutes=31)
        assert waitlist_offers.run_pass(later) == {"offers_expired": 1, "offered": 1}
        first, second = offers()
        assert first.status is OfferStatus.EXPIRED and second.status is OfferStatus.OPEN
        assert second.starts_at == first.starts_at
        offered_next = (
            db.session.execute(
                select(models.WaitlistEntry.reference)
                .join(models.WaitlistRecipient, models.WaitlistRecipient.entry_id == models.WaitlistEntry.id)
                .where(models.WaitlistRecipient.offer_id == second.id)
            )
            .scalars()
            .all()
        )
        assert offered_next == [entries[3]]  # the next in line, not the batch that let it pass
        assert [entry_status(ref) for ref in entries] == [EntryStatus.WAITING] * 4
        assert count(models.AuditEvent, models.AuditEvent.action == "waitlist_offer_expired") == 1

    late = client.post(f"/api/v1/offers/{late_token}/claim")
    assert late.status_code == 410 and late.json["error"] == "offer_expired"


def test_a_claimant_replacing_a_visit_ends_with_one_visit_and_its_old_time_is_offered_on(app, client, make_provider):
    make_provider("pmr")
    first_day = next_clinic_day(after_days=5)
    later_day = next_clinic_day(after_days=12)
    with app.app_context():
        cancelled_soon = book(1, central(first_day, 9)).appointment
        mine = book(2, central(later_day, 14))
        replacing = waitlist.join(
            visit_type_code="evaluation",
            patient=None,
            replaces=(mine.appointment.reference, mine.manage_token),
        )
        # Someone who can only come on the later day: the replaced visit's time will suit them.
        other = join(3, windows=Windows(earliest=later_day))
        booking.cancel_visit(cancelled_soon.id, None, notify=False)
        waitlist_offers.run_pass()
        (offer,) = offers()
        token = token_of(replacing.view.reference)

    claimed = client.post(f"/api/v1/offers/{token}/claim")
    assert claimed.status_code == 201, claimed.json
    assert claimed.json["reference"] == mine.appointment.reference  # the same visit, moved

    with app.app_context():
        booked = (
            db.session.execute(
                select(models.Appointment).where(models.Appointment.status == "booked").order_by(models.Appointment.id)
            )
            .scalars()
            .all()
        )
        assert [(a.reference, a.starts_at) for a in booked] == [(mine.appointment.reference, central(first_day, 9))]
        assert count(models.OutboxMessage, models.OutboxMessage.kind == "rescheduled") >= 1
        # Its old time is free now, recorded in the claim's own transaction, and offered on.
        assert waitlist_offers.run_pass() == {"offered": 1}
        newest = offers()[-1]
        assert newest.starts_at == central(later_day, 14)
        assert token_of(other.view.reference, newest.id)


# ----- who is offered what, and how -------------------------------------------------------------------


def test_nobody_is_offered_a_fourth_time_within_seven_days(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        visits = [book(10 + n, central(day, 9 + 2 * n)).appointment for n in range(4)]
        waiting = join(1)
        for visit in visits:
            booking.cancel_visit(visit.id, None, notify=False)
        assert waitlist_offers.run_pass() == {"offered": 3, "not_offered": 1}
        assert count(models.WaitlistRecipient) == 3
        assert len(waitlist_messages(waiting.view.reference, "waitlist-offer")) == 3


@pytest.mark.parametrize(
    ("hour", "consent", "channels"),
    [
        (13, True, ["email", "sms"]),  # daytime, with consent
        (13, False, ["email"]),  # no consent: no text, ever
        (23, True, ["email"]),  # night: the text could not go before the offer expires
    ],
)
def test_an_offer_is_texted_only_with_consent_and_only_when_the_text_can_arrive_before_it_expires(
    app, make_provider, hour, consent, channels
):
    make_provider("pmr")
    day = next_clinic_day(after_days=6)
    offered_at = central(day - timedelta(days=3), hour)
    with app.app_context():
        visit = book(1, central(day, 9)).appointment
        waiting = join(2, patient=person(2, sms=consent))
        booking.cancel_visit(visit.id, None, notify=False, now=offered_at)
        waitlist_offers.run_pass(offered_at)
        queued = waitlist_messages(waiting.view.reference, "waitlist-offer")
        assert [m.channel for m in queued] == channels
        for message in queued:
            if message.channel == "sms":
                text = compose_sms(message, offered_at)
                assert text is not None and len(text.body) <= 160
                assert "/o/" in text.body and "Lee" not in text.body and "evaluation" not in text.body.lower()
                # Once the offer has run out, the text is not worth sending.
                assert compose_sms(message, offered_at + timedelta(minutes=31)) is None


def test_a_time_inside_the_visit_types_notice_or_outside_the_entrys_windows_is_not_offered(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        visit = book(1, central(day, 9)).appointment
        join(2, windows=Windows(earliest=day + timedelta(days=1)))
        booking.cancel_visit(visit.id, None, notify=False)
        assert waitlist_offers.run_pass() == {"not_offered": 1}
        assert offers() == []
        # What staff see on that free cell: nobody waiting fits it.
        assert waitlist_staff.waiting_that_fit("evaluation", visit.provider.id, central(day, 9)) == []
        next_week = central(day + timedelta(days=7), 9)
        assert len(waitlist_staff.waiting_that_fit("evaluation", visit.provider.id, next_week)) == 1


def test_an_entry_is_asked_to_renew_a_week_before_it_ends_and_ends_unless_renewed(app, make_provider):
    make_provider("pmr")
    with app.app_context():
        joined = join(1)
        ref, token = joined.view.reference, joined.manage_token
        week_before = joined.view.expires_at - timedelta(days=6)
        assert waitlist_offers.run_pass(week_before) == {"expiring": 1}
        assert waitlist_offers.run_pass(week_before) == {}  # asked once per renewal
        assert [m.kind for m in waitlist_messages(ref)] == ["waitlist-expiring"]
        renewed = waitlist.renew(ref, token, now=week_before)
        assert renewed.expires_at > joined.view.expires_at
        assert waitlist_offers.run_pass(renewed.expires_at + timedelta(seconds=1)) == {"expired": 1}
        assert entry_status(ref) is EntryStatus.EXPIRED


# ----- the JSON API answers as its OpenAPI document says --------------------------------------------


def test_the_waitlist_and_claim_answers_match_the_openapi_document(app, client, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    joined = conforms(
        client.post("/api/v1/waitlist", json={"visit_type": "evaluation", "patient": patient_json()}),
        "/api/v1/waitlist",
        "POST",
    )
    one = "/api/v1/waitlist/{reference}"
    auth = {"Authorization": f"Bearer {joined['manage_token']}"}
    assert conforms(client.get(f"/api/v1/waitlist/{joined['reference']}", headers=auth), one, "GET")["offers"] == []
    assert conforms(client.get(f"/api/v1/waitlist/{joined['reference']}"), one, "GET")["error"] == "not_found"
    refused = client.post("/api/v1/waitlist", json={"visit_type": "evaluation", "latest": "2001-01-01"})
    assert conforms(refused, "/api/v1/waitlist", "POST")["error"] == "invalid_input"
    with app.app_context():
        visit = book(1, central(day, 9)).appointment
        other = join(2).view.reference
        booking.cancel_visit(visit.id, None, notify=False)
        now = utc_now()
        waitlist_offers.run_pass(now)
        tokens = [token_of(joined["reference"]), token_of(other)]
    claim = "/api/v1/offers/{token}/claim"
    booked = conforms(client.post(f"/api/v1/offers/{tokens[0]}/claim"), claim, "POST")
    assert booked["manage_token"] and booked["status"] == "booked"
    assert conforms(client.post(f"/api/v1/offers/{tokens[1]}/claim"), claim, "POST")["error"] == "offer_taken"
    seen = conforms(client.get(f"/api/v1/waitlist/{joined['reference']}", headers=auth), one, "GET")
    assert seen["status"] == "booked" and [o["outcome"] for o in seen["offers"]] == ["claimed"]
    assert conforms(client.delete(f"/api/v1/waitlist/{joined['reference']}", headers=auth), one, "DELETE")


def test_every_waitlist_text_fits_160_characters_with_the_longest_realistic_values(app, make_provider, clinic_open):
    # At 10 a.m. Central: after 8 p.m. the offer's text could not arrive before its hold ends
    # (quiet hours), so none is written, and this test is about the text's length.
    make_provider("pmr", name="Dr. Maximilian Vanderbilt-Oyelaran")
    day = next_clinic_day(after_days=5)
    while day.day < 10 or day.month < 10:  # a two-digit day, and a long month name for the expiry
        day = next_clinic_day(after_days=(day - clinic_today(utc_now())).days + 1)
    app.config.update(
        SMS_SENDER_LABEL="Rochester Community Health Clinic",
        CLINIC_PHONE="(507) 538-1280",
        PUBLIC_BASE_URL="https://scheduling.rochester-clinic.org",  # 40 characters
    )
    with app.app_context():
        visit = book(1, central(day, 12, 45)).appointment
        waiting = join(2, patient=person(2, sms=True))
        booking.cancel_visit(visit.id, None, notify=False)
        waitlist_offers.run_pass()
        (offer_text,) = [m for m in waitlist_messages(waiting.view.reference) if m.channel == "sms"]
        bodies = [compose_sms(offer_text, utc_now()).body]
        later = utc_now() + timedelta(days=84)
        waitlist_offers.run_pass(later)  # the offer has run out; the entry is asked to renew
        (expiring,) = [m for m in waitlist_messages(waiting.view.reference, "waitlist-expiring") if m.channel == "sms"]
        bodies.append(compose_sms(expiring, later).body)
    assert max(len(b) for b in bodies) <= 160, bodies
    assert any("12:45 PM" in b and "/o/" in b for b in bodies)
    for b in bodies:
        for word in ("Waiting2", "Lee", "evaluation", "Vanderbilt", "SI joint"):
            assert word.lower() not in b.lower(), (word, b)


def test_a_hold_that_expires_unused_frees_its_time_for_the_waitlist(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        waiting = join(2)
        earlier = utc_now() - timedelta(minutes=app.config["HOLD_MINUTES"] + 1)
        holds.hold_time("evaluation", central(day, 15), now=earlier)
        assert holds.release_expired_holds() == 1  # the worker's job (or any booking) purges it
        assert waitlist_offers.run_pass() == {"offered": 1}
        (offer,) = offers()
        assert offer.starts_at == central(day, 15)
        assert token_of(waiting.view.reference, offer.id)


def test_an_offer_is_not_texted_to_a_number_that_had_a_text_today_but_still_emailed(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=6)
    offered_at = central(day - timedelta(days=3), 13)
    with app.app_context():
        visit = book(1, central(day, 9)).appointment
        mine = booking.book_appointment(
            visit_type_code="evaluation",
            start=central(day, 15),
            patient=person(2, sms=True),
            intake=NEW_PATIENT,
            channel="web",
            now=offered_at - timedelta(hours=2),
        )
        m = models.OutboxMessage
        text = db.session.execute(
            select(m).where(m.appointment_id == mine.appointment.id, m.channel == "sms", m.kind == "confirmed")
        ).scalar_one()
        text.status, text.sent_at = "sent", offered_at - timedelta(hours=1)  # the pace: one text a day
        db.session.commit()
        waiting = join(2, patient=person(2, sms=True))
        booking.cancel_visit(visit.id, None, notify=False, now=offered_at)
        waitlist_offers.run_pass(offered_at)
        assert [m.channel for m in waitlist_messages(waiting.view.reference, "waitlist-offer")] == ["email"]


def test_an_entry_whose_replaced_visit_is_cancelled_is_offered_nothing_and_ends(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    later = next_clinic_day(after_days=12)
    with app.app_context():
        freed_soon = book(1, central(day, 9)).appointment
        mine = book(2, central(later, 9))
        replacing = waitlist.join(
            visit_type_code="evaluation", patient=None, replaces=(mine.appointment.reference, mine.manage_token)
        )
        booking.cancel_appointment(mine.appointment.reference, mine.manage_token, "feeling better")
        booking.cancel_visit(freed_soon.id, None, notify=False)
        counts = waitlist_offers.run_pass()
        assert counts["ended"] == 1 and "offered" not in counts
        assert entry_status(replacing.view.reference) is EntryStatus.LEFT


def test_one_tick_of_the_worker_offers_a_freed_time_and_sends_the_offer(app, inbox, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        visit = book(1, central(day, 9)).appointment
        join(2)
        booking.cancel_visit(visit.id, None, notify=False)
        inbox.messages.clear()
        one_tick()  # what `flask jobs run` does every JOBS_INTERVAL_SECONDS (10 by default)
    offered = [m for m in inbox.messages if m["To"] == "waiting2@example.com"]
    assert len(offered) == 1 and "earlier time" in offered[0]["Subject"]


def test_a_hold_given_up_for_another_time_frees_the_first_for_the_waitlist(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        join(2)
        first = holds.hold_time("evaluation", central(day, 13))
        holds.hold_time("evaluation", central(day, 14), replaces=first.token)
        assert waitlist_offers.run_pass() == {"offered": 1}
        assert [o.starts_at for o in offers()] == [central(day, 13)]


def test_time_off_removed_offers_the_waitlist_every_visit_the_freed_day_can_hold(app, make_provider):
    provider = make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        time_off = models.TimeOff(provider_id=provider, starts_at=central(day, 8), ends_at=central(day, 17), reason="")
        db.session.add(time_off)
        db.session.commit()
        entries = [join(n).view.reference for n in (1, 2, 3, 4)]
        catalog_admin.remove_time_off(time_off.id, actor_id=1)
        # One row per visit type the provider performs: evaluations (waited for), therapy, follow-ups.
        assert waitlist_offers.run_pass() == {"offered": 2, "not_offered": 2}
        first, second = offers()
        assert (first.starts_at, second.starts_at) == (central(day, 8), central(day, 9))
        assert token_of(entries[3], second.id)  # the fourth in line gets the next hour of the day
        assert count(models.WaitlistRecipient) == 4


def test_a_closure_lifted_offers_the_waitlist_the_reopened_time(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        closure = models.Closure(day=day, name="Staff training", source="admin")
        db.session.add(closure)
        db.session.commit()
        waiting = join(1)
        catalog_admin.remove_closure(closure.id, actor_id=1)
        assert waitlist_offers.run_pass()["offered"] == 1
        (offer,) = offers()
        assert offer.starts_at == central(day, 8) and token_of(waiting.view.reference, offer.id)


def test_an_admin_sets_a_visit_types_waitlist_rules_and_offers_follow_them(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            waitlist_staff.save_rules("evaluation", notice_minutes=-5, batch_size=0, hold_minutes=1, actor_id=1)
        assert set(refused.value.fields) == {"notice_minutes", "batch_size", "hold_minutes"}
        waitlist_staff.save_rules("evaluation", notice_minutes=None, batch_size=1, hold_minutes=10, actor_id=1)
        visit = book(1, central(day, 9)).appointment
        join(2)
        join(3)
        booking.cancel_visit(visit.id, None, notify=False)
        waitlist_offers.run_pass()
        (offer,) = offers()
        assert offer.expires_at - offer.created_at == timedelta(minutes=10)
        assert count(models.WaitlistRecipient) == 1
        assert count(models.AuditEvent, models.AuditEvent.action == "visit-type.waitlist-rules") == 1
        # The defaults, as seeded: 72 hours before an injection, 2 before therapy, else the clinic's notice.
        notices = dict(
            db.session.execute(select(models.VisitType.code, models.VisitType.waitlist_notice_minutes)).all()
        )
        assert (notices["injection"], notices["neurotomy"], notices["therapy"]) == (72 * 60, 72 * 60, 120)
        assert notices["follow-up"] is None


def test_handled_freed_times_are_forgotten_after_a_week(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        visit = book(1, central(day, 9)).appointment
        booking.cancel_visit(visit.id, None, notify=False)
        waitlist_offers.run_pass()
        assert count(models.FreedTimeRow) == 1
        waitlist_offers.run_pass(utc_now() + timedelta(days=8))
        assert count(models.FreedTimeRow) == 0


def test_hours_extended_offer_the_waitlist_the_time_added(app, make_provider):
    provider = make_provider("pmr", blocks=((time(8), time(12)),))
    day = next_clinic_day(after_days=5)
    with app.app_context():
        waiting = join(1, windows=Windows(earliest=day, latest=day))
        longer = HoursChange(provider, tuple(WorkBlock(d, time(8), time(17)) for d in range(5)))
        schedule_changes.apply(longer, {}, actor=Actor(staff_id=7, role="scheduler"))
        waitlist_offers.run_pass()
        (offer,) = offers()
        assert offer.starts_at == central(day, 12)  # the first hour the provider did not work before
        assert token_of(waiting.view.reference, offer.id)
