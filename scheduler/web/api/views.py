"""Thin views: parse, call a service, present. Errors are translated in scheduler.web.errors."""

from __future__ import annotations

import re
from typing import TypeVar

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from flask import request
from flask import url_for
from pydantic import BaseModel

from scheduler.domain.bookings import BOOKING_HORIZON_DAYS
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import iso_central
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import NotFound
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.extensions import limiter
from scheduler.services import booking
from scheduler.services import clinic
from scheduler.services import idempotency
from scheduler.services import requests as visit_requests
from scheduler.services import waitlist
from scheduler.services import waitlist_claims
from scheduler.services.availability import availability_answer
from scheduler.services.public_urls import public_url
from scheduler.settings import settings
from scheduler.web.api import presenters
from scheduler.web.api import schemas
from scheduler.web.api.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

Model = TypeVar("Model", bound=BaseModel)

# How far ahead (in days) an availability window may start: as far as visits are booked.
AVAILABILITY_HORIZON_DAYS = BOOKING_HORIZON_DAYS


def _read_limit() -> str:
    return settings().ratelimit_public_read


def _write_limit() -> str:
    return settings().ratelimit_public_write


def _body(model: type[Model]) -> Model:
    """The request's JSON body validated against ``model``; pydantic errors become invalid_input.

    A body over MAX_BODY_BYTES is refused (413) before it is read.
    """
    request.max_content_length = schemas.MAX_BODY_BYTES
    return model.model_validate_json(request.get_data(cache=False) or b"{}")


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotFound(booking.APPOINTMENT_NOT_FOUND)
    return token.strip()


def _reference(reference: str) -> str:
    """A reference as issued, or the same NotFound as a wrong one: text such as a NUL byte must never
    reach the database (PostgreSQL refuses it with an error, which would be a 500)."""
    if len(reference) > 40 or not re.fullmatch(schemas.REFERENCE_PATTERN, reference):
        raise NotFound(booking.APPOINTMENT_NOT_FOUND)
    return reference


def _patient(data: schemas.PatientIn) -> PatientDetails:
    return PatientDetails(data.given_name, data.family_name, data.birth_date, data.phone, data.email, data.sms_consent)


def _intake(reason: schemas.ReasonIn, requested: str) -> Intake:
    return Intake(requested, reason.seen_before, reason.cause, reason.referred, frozenset(reason.red_flags))


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@bp.get("/visit-types")
@limiter.limit(_read_limit)
def visit_types() -> Response:
    return jsonify(presenters.visit_types(clinic.current_catalog(utc_now())))


@bp.get("/providers")
@limiter.limit(_read_limit)
def providers() -> Response:
    return jsonify(presenters.providers(clinic.current_catalog(utc_now())))


@bp.get("/availability")
@limiter.limit(_read_limit)
def availability() -> Response:
    query = schemas.AvailabilityQuery.model_validate(request.args.to_dict())
    today = clinic_today(utc_now())
    if (query.from_ - today).days > AVAILABILITY_HORIZON_DAYS or query.from_.year < 2000:
        raise InvalidInput({"from": "Choose a start date within the next two years."})
    answer = availability_answer(
        query.visit_type,
        query.from_,
        query.days,
        query.provider,
        render=lambda result: presenters.availability_json(result, current_app.json.dumps),
    )
    return current_app.response_class(answer, mimetype="application/json")


@bp.post("/appointments")
@limiter.limit(_write_limit)
def book() -> Response:
    key = _idempotency_key()
    if key is None:
        return _answer(_book())
    request.max_content_length = schemas.MAX_BODY_BYTES
    raw = request.get_data(cache=True)  # read once here, for the key's record, and again by _body
    answered = idempotency.answer_once(key, client_address=request.remote_addr, request_body=raw, answer=_book)
    return _answer(answered)


def _book() -> idempotency.Answer:
    data = _body(schemas.AppointmentIn)
    booked = booking.book_appointment(
        visit_type_code=data.visit_type,
        start=data.start,
        provider_id=data.provider_id,
        patient=_patient(data.patient),
        intake=_intake(data.reason, data.reason.requested or data.visit_type),
        channel="api",
    )
    body = {**presenters.appointment(booked.appointment, booked.catalog), "manage_token": booked.manage_token}
    # Absolute, from PUBLIC_BASE_URL: url_for's path is relative to the application's root.
    path = url_for("api.show_appointment", reference=booked.appointment.reference)
    location = public_url(path.removeprefix(request.script_root))
    return idempotency.Answer(201, current_app.json.dumps(body), location)


def _answer(answer: idempotency.Answer) -> Response:
    response = current_app.response_class(answer.body, status=answer.status, mimetype="application/json")
    if answer.location:
        response.headers["Location"] = answer.location
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


IDEMPOTENCY_KEY_MESSAGE = "Send 1 to 255 visible ASCII characters, such as a UUID."


def _idempotency_key() -> str | None:
    """The request's ``Idempotency-Key`` (None when not sent); InvalidInput when it is not 1 to 255
    visible ASCII characters."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 0 < len(key) <= 255 or not all("!" <= c <= "~" for c in key):
        raise InvalidInput({"Idempotency-Key": IDEMPOTENCY_KEY_MESSAGE})
    return key


@bp.post("/requests")
@limiter.limit(_write_limit)
def submit_request() -> tuple[Response, int]:
    data = _body(schemas.RequestIn)
    submitted = visit_requests.submit_request(
        intake=_intake(data.reason, data.reason.requested or "unsure"),
        patient=_patient(data.patient),
        preferences=data.preferences.model_dump(),
        channel="api",
    )
    body = {
        "reference": submitted.request.reference,
        "status": submitted.request.status,
        "routed_to": presenters.routed_to(submitted.decision, submitted.catalog),
        "call_now": presenters.call_now(submitted.decision),
        "call_back_by": iso_central(call_back_by) if (call_back_by := submitted.request.call_back_by) else None,
    }
    return jsonify(body), 201


# ----- the waitlist -----------------------------------------------------------------------------


def _waitlist_credentials(reference: str) -> tuple[str, str]:
    """The entry's reference and the bearer token, or the waitlist's one NotFound for either."""
    try:
        return _reference(reference), _bearer_token()
    except NotFound:
        raise NotFound(waitlist.WAITLIST_NOT_FOUND) from None


@bp.post("/waitlist")
@limiter.limit(_write_limit)
def join_waitlist() -> tuple[Response, int]:
    data = _body(schemas.WaitlistIn)
    joined = waitlist.join(
        visit_type_code=data.visit_type,
        patient=_patient(data.patient) if data.patient is not None else None,
        windows=waitlist.windows_from(
            earliest=data.earliest,
            latest=data.latest,
            weekdays=[presenters.WEEKDAY_WORDS.index(day) for day in data.weekdays],
            parts_of_day=data.parts_of_day,
        ),
        provider_ids=data.provider_ids,
        replaces=(data.replaces.reference, data.replaces.manage_token) if data.replaces is not None else None,
        channel="api",
    )
    response = jsonify({**presenters.waitlist(joined.view), "manage_token": joined.manage_token})
    path = url_for("api.show_waitlist", reference=joined.view.reference)
    response.headers["Location"] = public_url(path.removeprefix(request.script_root))
    return response, 201


@bp.get("/waitlist/<reference>")
@limiter.limit(_read_limit)
def show_waitlist(reference: str) -> Response:
    return jsonify(presenters.waitlist(waitlist.view(*_waitlist_credentials(reference))))


@bp.delete("/waitlist/<reference>")
@limiter.limit(_write_limit)
def leave_waitlist(reference: str) -> Response:
    return jsonify(presenters.waitlist(waitlist.leave(*_waitlist_credentials(reference), channel="api")))


@bp.post("/offers/<token>/claim")
@limiter.limit(_write_limit)
def claim_offer(token: str) -> tuple[Response, int]:
    claimed = waitlist_claims.claim(token, channel="api")
    body = {
        **presenters.appointment(claimed.appointment, clinic.current_catalog(utc_now())),
        "manage_token": claimed.manage_token,
    }
    response = jsonify(body)
    path = url_for("api.show_appointment", reference=claimed.appointment.reference)
    response.headers["Location"] = public_url(path.removeprefix(request.script_root))
    return response, 201


@bp.get("/appointments/<reference>")
@limiter.limit(_read_limit)
def show_appointment(reference: str) -> Response:
    appointment = booking.appointment_for_token(_reference(reference), _bearer_token())
    return jsonify(presenters.appointment(appointment, clinic.current_catalog(utc_now())))


@bp.post("/appointments/<reference>/cancel")
@limiter.limit(_write_limit)
def cancel_appointment(reference: str) -> Response:
    reference, token = _reference(reference), _bearer_token()
    data = _body(schemas.CancelIn)
    appointment = booking.cancel_appointment(reference, token, data.reason)
    return jsonify(presenters.appointment(appointment, clinic.current_catalog(utc_now())))
