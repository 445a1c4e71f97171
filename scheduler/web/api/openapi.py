"""The OpenAPI 3.1 document, built from the pydantic models the views validate with."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from scheduler.web.api import schemas
from scheduler.web.api.schemas import MAX_BODY_BYTES
from scheduler.web.api.schemas import REFERENCE_PATTERN

REF = "#/components/schemas/{model}"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {
        404: "Not found (for appointments: unknown reference or wrong token, told apart by nothing)",
        409: "Conflict: slot_taken (the time, provider, room or patient is no longer free), not_cancellable "
        "(the visit has already started), or offer_taken (someone else of the batch claimed the offer first; "
        "the patient keeps their place on the waitlist)",
        410: "offer_expired: the offer's hold ran out, or the waitlist entry it was made to has ended",
        413: f"too_large: the request body is over {MAX_BODY_BYTES} bytes",
        422: "invalid_input (with fields), beyond_booking_horizon (field start: more than two years ahead), "
        "outside_clinic_hours, clinic_closed, not_on_grid, requires_request, routed_elsewhere, urgent, or "
        "idempotency_key_reused (the Idempotency-Key was sent with another body)",
        429: "rate_limited",
    }
    return {str(s): _json(schemas.ErrorOut, text[s]) for s in statuses}


IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A key of the client's choosing (1 to 255 visible ASCII characters, such as a UUID) that "
    "makes a retry safe: a booking sent again with the same key and the same body within 24 hours gets the "
    "first answer (status, body with the manage token, Location, and the header Idempotent-Replayed: true) "
    "instead of a 409 for its own visit. The same key with another body is refused (422 "
    "idempotency_key_reused). Keys count per client address; refused bookings keep no key.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}


def _body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": _ref(model)}}}


BEARER: list[dict[str, list[str]]] = [{"manageToken": []}]
# References look like SIJ-7K3M-Q9TX; anything else is simply not found (the view refuses it before the database).
REFERENCE = {
    "name": "reference",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": REFERENCE_PATTERN},
}


@cache
def openapi_document() -> dict[str, Any]:
    models: list[type[BaseModel]] = [
        schemas.AppointmentIn,
        schemas.RequestIn,
        schemas.CancelIn,
        schemas.VisitTypesOut,
        schemas.ProvidersOut,
        schemas.AvailabilityOut,
        schemas.AppointmentOut,
        schemas.BookedOut,
        schemas.RequestOut,
        schemas.ErrorOut,
        schemas.HealthOut,
        schemas.WaitlistIn,
        schemas.WaitlistOut,
        schemas.WaitlistJoinedOut,
    ]
    _, defs = models_json_schema(
        [(m, "validation" if m.__name__.endswith("In") else "serialization") for m in models], ref_template=REF
    )
    components = defs.get("$defs", {})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SI Joint Clinic scheduling API",
            "version": "1.0.0",
            "description": "Public API of the SI Joint Clinic (Rochester, Minnesota). Times are ISO-8601 with their "
            "Central offset; the clinic sees patients Monday to Friday, 8 a.m. to 5 p.m. Central time.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": components,
            "securitySchemes": {
                "manageToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The manage token returned when booking",
                }
            },
        },
        "paths": {
            "/api/v1/visit-types": {
                "get": {
                    "operationId": "listVisitTypes",
                    "summary": "Visit types the clinic offers",
                    "responses": {"200": _json(schemas.VisitTypesOut, "Visit types"), **_errors(429)},
                }
            },
            "/api/v1/providers": {
                "get": {
                    "operationId": "listProviders",
                    "summary": "Providers taking bookings, with their kind and the visit types they perform",
                    "responses": {"200": _json(schemas.ProvidersOut, "Providers"), **_errors(429)},
                }
            },
            "/api/v1/availability": {
                "get": {
                    "operationId": "getAvailability",
                    "summary": "Free times for a visit type",
                    "parameters": [
                        {
                            "name": "visit_type",
                            "in": "query",
                            "required": True,
                            "schema": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": 40,
                                "pattern": "^[a-z][a-z0-9-]*$",
                            },
                        },
                        {
                            "name": "from",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "format": "date"},
                        },
                        {
                            "name": "days",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 62, "default": 14},
                        },
                        {
                            "name": "provider",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                        },
                    ],
                    "responses": {
                        "200": _json(schemas.AvailabilityOut, "Free slots, earliest first"),
                        **_errors(422, 429),
                    },
                }
            },
            "/api/v1/appointments": {
                "post": {
                    "operationId": "bookAppointment",
                    "summary": "Book a free time (book-a-slot visit types)",
                    "parameters": [IDEMPOTENCY_KEY],
                    "requestBody": _body(schemas.AppointmentIn),
                    "responses": {"201": _json(schemas.BookedOut, "Booked"), **_errors(409, 413, 422, 429)},
                }
            },
            "/api/v1/requests": {
                "post": {
                    "operationId": "submitRequest",
                    "summary": "Ask for a visit a scheduler will place",
                    "requestBody": _body(schemas.RequestIn),
                    "responses": {
                        "201": _json(schemas.RequestOut, "Queued for the routed specialty"),
                        **_errors(413, 422, 429),
                    },
                }
            },
            "/api/v1/appointments/{reference}": {
                "get": {
                    "operationId": "getAppointment",
                    "summary": "View an appointment",
                    "security": BEARER,
                    "parameters": [REFERENCE],
                    "responses": {"200": _json(schemas.AppointmentOut, "The appointment"), **_errors(404, 429)},
                }
            },
            "/api/v1/appointments/{reference}/cancel": {
                "post": {
                    "operationId": "cancelAppointment",
                    "summary": "Cancel an appointment",
                    "security": BEARER,
                    "parameters": [REFERENCE],
                    "requestBody": _body(schemas.CancelIn, required=False),
                    "responses": {
                        "200": _json(schemas.AppointmentOut, "Cancelled"),
                        **_errors(404, 409, 413, 422, 429),
                    },
                }
            },
            "/api/v1/waitlist": {
                "post": {
                    "operationId": "joinWaitlist",
                    "summary": "Wait for an earlier time: offered by email (and text, with consent) when one frees",
                    "description": "A freed time that fits the windows is offered to a few waiting patients at once "
                    "(urgent first, then the longest waiting; at most 3 offers a week each), with a short claim "
                    "link; the first to claim it books it (POST /api/v1/offers/{token}/claim). With 'replaces', "
                    "a claim moves that visit to the earlier time. Entries end after 90 days unless renewed.",
                    "requestBody": _body(schemas.WaitlistIn),
                    "responses": {
                        "201": _json(schemas.WaitlistJoinedOut, "On the waitlist, with the entry's manage token"),
                        **_errors(413, 422, 429),
                    },
                }
            },
            "/api/v1/waitlist/{reference}": {
                "get": {
                    "operationId": "getWaitlistEntry",
                    "summary": "View a waitlist entry and the offers it was sent",
                    "security": BEARER,
                    "parameters": [REFERENCE],
                    "responses": {"200": _json(schemas.WaitlistOut, "The entry"), **_errors(404, 429)},
                },
                "delete": {
                    "operationId": "leaveWaitlist",
                    "summary": "Leave the waitlist (its offers can no longer be claimed)",
                    "security": BEARER,
                    "parameters": [REFERENCE],
                    "responses": {"200": _json(schemas.WaitlistOut, "Left"), **_errors(404, 429)},
                },
            },
            "/api/v1/offers/{token}/claim": {
                "post": {
                    "operationId": "claimOffer",
                    "summary": "Claim a waitlist offer: book the offered time (or move the visit it replaces)",
                    "parameters": [
                        {
                            "name": "token",
                            "in": "path",
                            "required": True,
                            "description": "The claim token of the offer's link (single use)",
                            "schema": {
                                "type": "string",
                                "minLength": 12,
                                "maxLength": 12,
                                "pattern": "^[A-Za-z0-9_-]+$",
                            },
                        }
                    ],
                    "responses": {
                        "201": _json(schemas.BookedOut, "Booked (or moved), with the visit's manage token"),
                        **_errors(404, 409, 410, 422, 429),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "healthz",
                    "summary": "Alive",
                    "responses": {"200": _json(schemas.HealthOut, "Alive")},
                }
            },
            "/readyz": {
                "get": {
                    "operationId": "readyz",
                    "summary": "Database reachable and migrated",
                    "responses": {
                        "200": _json(schemas.HealthOut, "Ready"),
                        "503": _json(schemas.HealthOut, "Not ready"),
                    },
                }
            },
        },
    }
