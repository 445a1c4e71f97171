"""Domain values and rows turned into the API's JSON shapes (see schemas.py for the contract)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from typing import Protocol

from scheduler.domain import catalog
from scheduler.domain.clock import IsoCentralMemo
from scheduler.domain.clock import iso_central
from scheduler.domain.offer import Catalog
from scheduler.domain.routing import RoutingDecision
from scheduler.services import clinic_details
from scheduler.services.availability import Availability
from scheduler.services.waitlist import WaitlistView

TIMEZONE = "America/Chicago"


# Every answer's instants, formatted once per process: a worker answers about the same days'
# grid points again and again. 20,000 instants (a few MB) hold several 62-day windows.
_ISO_CENTRAL = IsoCentralMemo(limit=20_000)

def specialty(value: catalog.Specialty) -> dict[str, Any]:
    return {"code": value.code, "name": value.name}


def visit_type(value: catalog.VisitType, specialty_value: catalog.Specialty) -> dict[str, Any]:
    return {
        "code": value.code,
        "name": value.name,
        "specialty": specialty(specialty_value),
        "minutes": value.minutes,
        "booking_mode": value.mode.value,
        "room_kind": value.room_kind,
        "prep_notes": value.prep_notes,
    }


def visit_types(offer: Catalog) -> dict[str, Any]:
    return {"visit_types": [visit_type(v, offer.specialties[v.specialty]) for v in offer.visit_types.values()]}


def provider(value: catalog.Provider) -> dict[str, Any]:
    return {"id": value.id, "name": value.name, "kind": value.kind, "kind_label": value.kind_label}


def providers(offer: Catalog) -> dict[str, Any]:
    """Every provider who takes bookings, with what they do: a slot's provider always does its visit."""
    return {
        "providers": [
            {
                **provider(p),
                "specialty": specialty(offer.specialties[p.specialty]),
                "visit_types": [code for code in offer.visit_types if p.does(code)],
            }
            for p in sorted(offer.providers.values(), key=lambda p: (p.specialty, p.name))
        ]
    }


def _availability_head(result: Availability) -> dict[str, Any]:
    return {
        "timezone": TIMEZONE,
        "visit_type": visit_type(result.visit_type, result.specialty),
        "specialty": specialty(result.specialty),
    }


def availability(result: Availability) -> dict[str, Any]:
    providers = {pid: provider(p) for pid, p in result.providers.items()}
    rooms = {rid: {"id": rid, "name": r.name} for rid, r in result.rooms.items()}
    # Providers share start times and one visit's end is another's start: format each instant once.
    iso = _ISO_CENTRAL
    return {
        **_availability_head(result),
        "slots": [
            {
                "start": iso(s.start),
                "end": iso(s.end),
                "provider": providers[s.provider_id],
                "room": rooms.get(s.room_id) if s.room_id is not None else None,
            }
            for s in result.slots
        ],
    }


def availability_json(result: Availability, dumps: Callable[[Any], str]) -> str:
    """``dumps(availability(result))``, the same text, made several times faster: a 62-day answer
    has over a thousand slots, and building a dict per slot for the encoder to walk cost more than
    finding the slots. ``dumps`` must write as ``json.dumps`` does by default (", " and ": ",
    which is what the app's JSON provider does), as each slot is written here from its parts:
    its provider and room encoded once, its times (plain ASCII) as they are."""
    head = dumps({**_availability_head(result), "slots": []})
    before, empty, after = head.rpartition("[]")  # "slots" comes last: its list is the last "[]"
    if not empty:
        raise ValueError(f"unexpected JSON for an empty list: {head!r}")
    providers = {pid: dumps(provider(p)) for pid, p in result.providers.items()}
    rooms = {rid: dumps({"id": rid, "name": r.name}) for rid, r in result.rooms.items()}
    null = dumps(None)
    iso = _ISO_CENTRAL
    known = iso.known  # most instants were written before: looked up here, without a call each
    slots = ", ".join(
        [
            '{"start": "'
            + (known.get(start) or iso(start))
            + '", "end": "'
            + (known.get(end) or iso(end))
            + '", "provider": '
            + providers[provider_id]
            + ', "room": '
            + (rooms.get(room_id, null) if room_id is not None else null)
            + "}"
            for start, end, provider_id, room_id in result.slots
        ]
    )
    return before + "[" + slots + "]" + after


class AppointmentColumns(Protocol):
    """What :func:`appointment` reads: a visit's own columns, which a booked or cancelled visit
    (``domain.visits.Visit``) and a stored appointment row found by reference both have."""

    @property
    def reference(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def visit_type_id(self) -> int: ...
    @property
    def provider_id(self) -> int: ...
    @property
    def room_id(self) -> int | None: ...


def appointment(row: AppointmentColumns, offer: Catalog) -> dict[str, Any]:
    """From the visit's own columns and the catalog: no lazy loads of related rows."""
    kind = offer.visit_types_by_id[row.visit_type_id]
    room = offer.rooms.get(row.room_id) if row.room_id is not None else None
    return {
        "reference": row.reference,
        "status": row.status,
        "start": iso_central(row.starts_at),
        "end": iso_central(row.ends_at),
        "timezone": TIMEZONE,
        "visit_type": visit_type(kind, offer.specialties[kind.specialty]),
        "provider": {
            "id": row.provider_id,
            "name": offer.provider_names[row.provider_id],
            "kind": offer.provider_kinds[row.provider_id],
            "kind_label": catalog.kind_label(offer.provider_kinds[row.provider_id]),
        },
        "room": {"id": room.id, "name": room.name} if room else None,
        "location": clinic_details.current(offer).one_line(),
    }


WEEKDAY_WORDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def waitlist(view: WaitlistView) -> dict[str, Any]:
    """A waitlist entry (schemas.WaitlistOut)."""
    windows = view.windows
    return {
        "reference": view.reference,
        "status": view.status.value,
        "visit_type": view.visit_type_code,
        "provider_ids": list(view.provider_ids),
        "earliest": windows.earliest.isoformat() if windows.earliest else None,
        "latest": windows.latest.isoformat() if windows.latest else None,
        "weekdays": [WEEKDAY_WORDS[d] for d in sorted(windows.weekdays)],
        "parts_of_day": sorted(p.value for p in windows.parts_of_day),
        "replaces": view.replaces_reference,
        "priority": view.priority.value,
        "created_at": iso_central(view.created_at),
        "expires_at": iso_central(view.expires_at),
        "offers": [
            {
                "start": iso_central(o.starts_at),
                "end": iso_central(o.ends_at),
                "provider_id": o.provider_id,
                "expires_at": iso_central(o.expires_at),
                "outcome": o.outcome.value,
            }
            for o in view.offers
        ],
    }


def routed_to(decision: RoutingDecision, offer: Catalog) -> dict[str, Any]:
    return {
        "specialty": specialty(offer.specialties[decision.specialty]),
        "visit_type": decision.visit_type,
        "rule": decision.rule,
        "reason": decision.reason,
        "urgent": decision.urgent,
        "preferred_provider_id": decision.preferred_provider_id,
    }


def call_now(decision: RoutingDecision) -> str | None:
    if not decision.urgent:
        return None
    phone = clinic_details.current().phone
    return f"Call the clinic now at {phone}. If your symptoms are severe, go to an emergency department or call 911."
