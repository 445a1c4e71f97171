"""Rows and domain values turned into FHIR R4 resources (plain dicts, serialised as JSON).

The shapes are checked against ``fhir.resources.R4B`` in tests/fhir; they are built by hand rather
than through that package because a Slot search builds thousands of them and the package's models
are validating pydantic models (and a test-only dependency). FHIR JSON allows no empty strings,
arrays or nulls, so optional elements are left out rather than set empty. Times carry the Central
offset of their instant (``iso_central``); ``meta.lastUpdated`` (an instant) is UTC.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any

from scheduler.domain import catalog
from scheduler.domain.clinic_details import ClinicDetails
from scheduler.domain.clock import iso_central
from scheduler.domain.clock import utc_now
from scheduler.domain.hours import WEEKDAY_NAMES
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.offer import Catalog
from scheduler.domain.patients import PatientRecord
from scheduler.domain.routing import CAUSES
from scheduler.domain.routing import RED_FLAGS
from scheduler.domain.slots import Slot
from scheduler.domain.visits import Visit
from scheduler.services import clinic_details
from scheduler.services.fhir_search import AppointmentRow
from scheduler.services.fhir_search import BusyTime
from scheduler.services.fhir_search import PatientRow
from scheduler.services.holds import HeldTime
from scheduler.settings import settings
from scheduler.web.fhir.codes import APPOINTMENT_TYPE_SYSTEM
from scheduler.web.fhir.codes import HOLD_EXPIRES_URL
from scheduler.web.fhir.codes import IDENTIFIER_SYSTEMS
from scheduler.web.fhir.codes import IDENTIFIER_TYPE_SYSTEM
from scheduler.web.fhir.codes import LOCATION_TYPE_SYSTEM
from scheduler.web.fhir.codes import NPI_SYSTEM
from scheduler.web.fhir.codes import SNOMED_SYSTEM
from scheduler.web.fhir.codes import SPECIALTY_SNOMED
from scheduler.web.fhir.codes import published
from scheduler.web.fhir.codes import published_identifier
from scheduler.web.fhir.outcomes import ERROR_CODES

Resource = dict[str, Any]
CLINIC_LOCATION_ID = "clinic"
FHIR_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def visit_type_concept(kind: catalog.VisitType) -> Resource:
    coding = {"system": published("visit-type"), "code": kind.code, "display": kind.name}
    return {"coding": [coding], "text": kind.name}


def specialty_concept(specialty: catalog.Specialty) -> Resource:
    """Our code, and SNOMED CT's practice setting where one fits."""
    codings = [{"system": published("specialty"), "code": specialty.code, "display": specialty.name}]
    if specialty.code in SPECIALTY_SNOMED:
        code, display = SPECIALTY_SNOMED[specialty.code]
        codings.append({"system": SNOMED_SYSTEM, "code": code, "display": display})
    return {"coding": codings, "text": specialty.name}


def appointment_type(kind: catalog.VisitType) -> Resource:
    """HL7 v2 table 0276: a follow-up, or a routine visit."""
    follow_up = kind.code == "follow-up"
    code, display = ("FOLLOWUP", "A follow up visit") if follow_up else ("ROUTINE", "Routine appointment")
    return {"coding": [{"system": APPOINTMENT_TYPE_SYSTEM, "code": code, "display": display}]}


def provider_schedule_id(provider_id: int) -> str:
    return f"provider-{provider_id}"


def room_schedule_id(room_id: int) -> str:
    return f"room-{room_id}"


def room_location_id(room_id: int) -> str:
    return f"room-{room_id}"


# ----- the clinic's catalog --------------------------------------------------------------------------


def practitioner(provider_id: int, name: str, active: bool, kind: str, npi: str | None = None) -> Resource:
    """The provider, with their NPI when on file and their kind ("Physical therapist") as a
    qualification in words."""
    resource: Resource = {"resourceType": "Practitioner", "id": str(provider_id)}
    if npi:
        resource["identifier"] = [{"system": NPI_SYSTEM, "value": npi}]
    resource |= {"active": active, "name": [{"text": name}]}
    if kind:
        resource["qualification"] = [{"code": {"text": catalog.kind_label(kind)}}]
    return resource


def provider_schedule(provider: catalog.Provider, offer: Catalog) -> Resource:
    specialty = offer.specialties[provider.specialty]
    # What they perform: the only service types $find offers them for.
    kinds = [v for v in offer.visit_types.values() if provider.does(v.code)]
    resource: Resource = {
        "resourceType": "Schedule",
        "id": provider_schedule_id(provider.id),
        "active": True,
        "specialty": [specialty_concept(specialty)],
        "actor": [
            {"reference": f"Practitioner/{provider.id}", "display": provider.name},
            {"reference": f"Location/{CLINIC_LOCATION_ID}"},
        ],
        "comment": f"{provider.described}: {specialty.name}. Free slots need a service-type; see Slot.",
    }
    if kinds:
        resource["serviceType"] = [visit_type_concept(v) for v in kinds]
    return resource


def room_schedule(room: catalog.Room, offer: Catalog) -> Resource:
    kinds = [v for v in offer.visit_types.values() if v.room_kind == room.kind]
    resource: Resource = {
        "resourceType": "Schedule",
        "id": room_schedule_id(room.id),
        "active": room.id in offer.active_room_ids,
        "actor": [{"reference": f"Location/{room_location_id(room.id)}", "display": room.name}],
        "comment": f"{room.name} ({room.kind}). Lists busy slots; free times are offered per provider.",
    }
    if kinds:
        resource["serviceType"] = [visit_type_concept(v) for v in kinds]
    return resource


def clinic_address(details: ClinicDetails) -> Resource:
    """The clinic's postal address as an R4 Address (empty parts left out: FHIR allows no empty
    strings)."""
    address: Resource = {"use": "work", "type": "both", "text": ", ".join(details.address_parts)}
    if details.address_lines:
        address["line"] = list(details.address_lines)
    for key, value in (("city", details.city), ("state", details.state), ("postalCode", details.postal_code)):
        if value:
            address[key] = value
    address["country"] = "US"
    return address


def clinic_location() -> Resource:
    details = clinic_details.current()
    resource: Resource = {
        "resourceType": "Location",
        "id": CLINIC_LOCATION_ID,
        "status": "active",
        "name": details.name,
        "mode": "instance",
        "telecom": [{"system": "phone", "value": details.phone, "use": "work"}],
        "address": clinic_address(details),
        "physicalType": {"coding": [{"system": LOCATION_TYPE_SYSTEM, "code": "bu", "display": "Building"}]},
        "hoursOfOperation": [
            {
                "daysOfWeek": list(FHIR_DAYS[:5]),
                "allDay": False,
                "openingTime": "08:00:00",
                "closingTime": "17:00:00",
            }
        ],
    }
    if not details.address_parts:
        del resource["address"]  # no address on file: nothing to say (and "text" may not be empty)
    how_to_arrive = [f"{label}: {text}" for label, text in (("Building and entrance", details.building),
                                                            ("Parking", details.parking)) if text]  # fmt: skip
    if how_to_arrive:
        resource["description"] = " ".join(how_to_arrive)
    return resource


def room_location(room: catalog.Room, active: bool) -> Resource:
    return {
        "resourceType": "Location",
        "id": room_location_id(room.id),
        "status": "active" if active else "inactive",
        "name": room.name,
        "description": f"{room.kind} room",
        "mode": "instance",
        "physicalType": {"coding": [{"system": LOCATION_TYPE_SYSTEM, "code": "ro", "display": "Room"}]},
        "partOf": {"reference": f"Location/{CLINIC_LOCATION_ID}"},
    }


def healthcare_service(specialty: catalog.Specialty, offer: Catalog, since: datetime) -> Resource:
    """One specialty: the clinic's weekly hours as ``availableTime``, and the closures from
    ``since`` on as ``notAvailable`` (each with the span it closes, ``during``)."""
    calendar: ClinicCalendar = offer.calendar
    hours = calendar.hours
    kinds = [v for v in offer.visit_types.values() if v.specialty == specialty.code]
    resource: Resource = {
        "resourceType": "HealthcareService",
        "id": specialty.code,
        "active": True,
        "name": specialty.name,
        "specialty": [specialty_concept(specialty)],
        "location": [{"reference": f"Location/{CLINIC_LOCATION_ID}"}],
        "telecom": [{"system": "phone", "value": clinic_details.current().phone, "use": "work"}],
        "appointmentRequired": True,
        "availableTime": [
            {
                "daysOfWeek": [FHIR_DAYS[d] for d in sorted(hours.weekdays)],
                "availableStartTime": hours.opens.isoformat(timespec="seconds"),
                "availableEndTime": hours.closes.isoformat(timespec="seconds"),
            }
        ],
        "availabilityExceptions": f"Open {hours.describe()}, except the closures listed.",
    }
    if kinds:
        resource["type"] = [visit_type_concept(v) for v in kinds]
    closed = []
    for closure in calendar.closures:
        span = closure.interval(hours)
        if span.end <= since or closure.day.weekday() not in hours.weekdays:
            continue
        day = f"{WEEKDAY_NAMES[closure.day.weekday()]} {closure.day.isoformat()}"
        closed.append(
            {
                "description": f"{day}: {closure.describe()}",
                "during": {"start": iso_central(span.start), "end": iso_central(span.end)},
            }
        )
    if closed:
        resource["notAvailable"] = closed
    return resource


# ----- patients and appointments ---------------------------------------------------------------------


def patient(row: PatientRow | PatientRecord) -> Resource:
    """Minimal on purpose: who the appointments are for, nothing the caller did not send us. The
    MRN, when on file, is an identifier (system: PATIENT_MRN_SYSTEM)."""
    resource: Resource = {"resourceType": "Patient", "id": str(row.id)}
    if row.mrn:
        mrn_type = {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": "MR", "display": "Medical record number"}]}
        resource["identifier"] = [
            {"use": "usual", "type": mrn_type, "system": settings().patient_mrn_system, "value": row.mrn}
        ]
    resource["name"] = [{"family": row.family_name, "given": [row.given_name]}]
    resource["birthDate"] = row.birth_date.isoformat()
    return resource


def _participants(
    provider_id: int, provider_name: str, room: catalog.Room | None, status: str, patient_id: int | None = None
) -> list[Resource]:
    people: list[Resource] = []
    if patient_id is not None:
        people.append({"actor": {"reference": f"Patient/{patient_id}"}, "required": "required", "status": status})
    people.append(
        {
            "actor": {"reference": f"Practitioner/{provider_id}", "display": provider_name},
            "required": "required",
            "status": status,
        }
    )
    where = (
        {"reference": f"Location/{room_location_id(room.id)}", "display": room.name}
        if room
        else {"reference": f"Location/{CLINIC_LOCATION_ID}"}
    )
    people.append({"actor": where, "required": "required", "status": status})
    return people


def _visit(kind: catalog.VisitType, offer: Catalog, start: datetime, end: datetime) -> Resource:
    resource: Resource = {
        "serviceType": [visit_type_concept(kind)],
        "specialty": [specialty_concept(offer.specialties[kind.specialty])],
        "appointmentType": appointment_type(kind),
        "description": kind.name,
        "start": iso_central(start),
        "end": iso_central(end),
        "minutesDuration": kind.minutes,
    }
    if kind.prep_notes:
        resource["patientInstruction"] = kind.prep_notes
    return resource


def appointment(row: AppointmentRow | Visit, offer: Catalog) -> Resource:
    """A stored appointment (a row found, or a visit just booked); our statuses are FHIR's codes,
    so they map as they are."""
    kind = offer.visit_types_by_id[row.visit_type_id]
    room = offer.rooms.get(row.room_id) if row.room_id is not None else None
    released = row.status in ("cancelled", "entered-in-error")
    # A visit just booked is presented from the values inserted, before the database's defaults.
    updated = row.updated_at or row.created_at or utc_now()
    return {
        "resourceType": "Appointment",
        "id": row.reference,
        "meta": {"versionId": str(row.version), "lastUpdated": instant(updated)},
        "identifier": [{"system": published_identifier("appointment-reference"), "value": row.reference}],
        "status": row.status,
        **_visit(kind, offer, row.starts_at, row.ends_at),
        "created": iso_central(row.created_at or updated),
        "participant": _participants(
            row.provider_id,
            offer.provider_names[row.provider_id],
            room,
            "declined" if released else "accepted",
            patient_id=row.patient_id,
        ),
    }


def proposed_appointment(slot: Slot, kind: catalog.VisitType, offer: Catalog) -> Resource:
    """A free time offered by $find: no id (nothing is stored until $hold or $book)."""
    room = offer.rooms.get(slot.room_id) if slot.room_id is not None else None
    return {
        "resourceType": "Appointment",
        "status": "proposed",
        **_visit(kind, offer, slot.start, slot.end),
        "participant": _participants(slot.provider_id, offer.provider_names[slot.provider_id], room, "needs-action"),
    }


def held_appointment(held: HeldTime, offer: Catalog) -> Resource:
    """The time $hold kept: pending, with the hold's token (the bearer's key to $book it) as an
    identifier, and when the hold runs out."""
    kind = offer.visit_types[held.visit_type_code]
    room = next((r for r in offer.rooms.values() if r.name == held.room_name), None) if held.room_name else None
    return {
        "resourceType": "Appointment",
        "id": held_id(held.token),
        "extension": [{"url": HOLD_EXPIRES_URL, "valueInstant": instant(held.expires_at)}],
        "identifier": [{"system": published_identifier("hold-token"), "value": held.token}],
        "status": "pending",
        **_visit(kind, offer, held.starts_at, held.ends_at),
        "participant": _participants(held.provider_id, held.provider_name, room, "tentative"),
    }


def held_id(token: str) -> str:
    """The id of a held (pending) appointment: named by a digest of its token, never the token
    (the bearer's key to $book it), so that the id may be shown and logged."""
    return "hold-" + hashlib.sha256(token.encode()).hexdigest()[:24]


def proposed_full_url(slot: Slot, kind_code: str) -> str:
    """A stable urn for an unsaved proposal, so a Bundle entry still has a fullUrl."""
    name = f"{kind_code}/{slot.provider_id}/{slot.start.timestamp():.0f}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


# ----- slots -----------------------------------------------------------------------------------------


def free_slot(
    slot: Slot,
    kind_id: int,
    specialty: Resource,
    service: Resource,
    iso: Callable[[datetime], str] = iso_central,
) -> Resource:
    """``specialty`` and ``service`` are the concepts, built once per search, and ``iso`` may be
    a memo of :func:`iso_central`: thousands of slots share them (one visit's end is another's
    start, and providers share start times)."""
    return {
        "resourceType": "Slot",
        "id": f"free-{slot.provider_id}-{kind_id}-{slot.start.astimezone(UTC):%Y%m%d%H%M}",
        "serviceType": [service],
        "specialty": [specialty],
        "schedule": {"reference": f"Schedule/{provider_schedule_id(slot.provider_id)}"},
        "status": "free",
        "start": iso(slot.start),
        "end": iso(slot.end),
    }


def busy_slot(busy: BusyTime, offer: Catalog) -> Resource:
    kind_name, _, ident = busy.resource.partition(":")
    schedule = provider_schedule_id(int(ident)) if kind_name == "provider" else room_schedule_id(int(ident))
    resource: Resource = {
        "resourceType": "Slot",
        "id": f"busy-{busy.reservation_id}",
        "schedule": {"reference": f"Schedule/{schedule}"},
        # A hold is someone booking the time right now: it may come free again within minutes.
        "status": "busy-tentative" if busy.held else "busy",
        "start": iso_central(busy.interval.start),
        "end": iso_central(busy.interval.end),
    }
    kind = offer.visit_types_by_id.get(busy.visit_type_id)
    if kind is not None:
        resource["serviceType"] = [visit_type_concept(kind)]
    return resource


# ----- code systems ----------------------------------------------------------------------------------


def code_system(
    name: str, title: str, description: str, concepts: dict[str, str], definitions: dict[str, str] | None = None
) -> Resource:
    """One of our published code systems (at its canonical URL), whole: each code with its display
    and, when given, its definition."""
    return {
        "resourceType": "CodeSystem",
        "id": name,
        "url": published(name),
        "name": "".join(part.capitalize() for part in name.split("-")),
        "title": title,
        "status": "active",
        "description": description,
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": [
            {"code": code, "display": display, **({"definition": definitions[code]} if definitions else {})}
            for code, display in concepts.items()
        ],
    }


def code_systems(offer: Catalog) -> list[Resource]:
    return [
        code_system("visit-type", "Visit types", "The clinic's visit types (Slot and Appointment serviceType).",
                    {v.code: v.name for v in offer.visit_types.values()}),
        code_system("specialty", "Specialties", "The clinic's specialties (with SNOMED CT beside them where one fits).",
                    {s.code: s.name for s in offer.specialties.values()}),
        code_system("red-flag", "Red flags", "Symptoms that make a visit urgent (Appointment reasonCode on $book).",
                    dict(RED_FLAGS)),
        code_system("cause", "Likely causes", "The likely cause, as the patient tells it (reasonCode on $book).",
                    dict(CAUSES)),
        code_system("error", "Error codes", "Why a request was refused (OperationOutcome.issue.details); the same "
                    "codes as the JSON API's 'error'.", {code: code.replace("_", " ") for code in ERROR_CODES},
                    definitions=ERROR_CODES),
    ]  # fmt: skip


# What each of our identifier systems identifies: name -> (title, description, v2-0203 type or None).
IDENTIFIER_SYSTEM_TEXTS = {
    "appointment-reference": (
        "Appointment references",
        "The reference a patient is given for a visit and reads out on the phone (SIJ-XXXX-XXXX): "
        "Appointment.identifier, also the Appointment's id.",
        None,
    ),
    "hold-token": (
        "Hold tokens",
        "The secret of a time kept by $hold (the pending Appointment's identifier): only its bearer can $book "
        "that time, for the minutes the hold lasts. Never shown to patients.",
        None,
    ),
    "mrn": ("Medical record numbers", "The clinic's medical record numbers (Patient.identifier).", "MR"),
}
NAMING_SYSTEMS_DATE = "2026-12-07"


def naming_system(name: str) -> Resource:
    """The NamingSystem of one of our identifier systems, served at its URL (/fhir/sid/<name>):
    the URL first (preferred), and the urn it replaces, still accepted on input."""
    title, description, identifier_type = IDENTIFIER_SYSTEM_TEXTS[name]
    unique = [{"type": "uri", "value": published_identifier(name), "preferred": True}]
    if name in IDENTIFIER_SYSTEMS:
        unique.append(
            {"type": "uri", "value": IDENTIFIER_SYSTEMS[name], "preferred": False,
             "comment": "The earlier name of this system, still accepted on input."}
        )  # fmt: skip
    found: Resource = {
        "resourceType": "NamingSystem",
        "id": name,
        "name": "".join(part.capitalize() for part in name.split("-")),
        "status": "active",
        "kind": "identifier",
        "date": NAMING_SYSTEMS_DATE,
        "publisher": settings().clinic_name,
        "description": f"{title}: {description}",
        "uniqueId": unique,
    }
    if identifier_type:
        found["type"] = {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": identifier_type}]}
    return found


def naming_systems() -> list[Resource]:
    """Our identifier systems; the MRN's only while PATIENT_MRN_SYSTEM is this service's own."""
    names = list(IDENTIFIER_SYSTEMS)
    if settings().patient_mrn_system == published_identifier("mrn"):
        names.append("mrn")
    return [naming_system(name) for name in names]


# ----- bundles ---------------------------------------------------------------------------------------


def searchset(
    entries: list[tuple[str, Resource]], total: int, self_url: str, next_url: str | None, previous_url: str | None
) -> Resource:
    """A searchset Bundle of (fullUrl, resource) pairs."""
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    if previous_url:
        links.append({"relation": "previous", "url": previous_url})
    bundle: Resource = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
    if entries:
        bundle["entry"] = [
            {"fullUrl": url, "resource": resource, "search": {"mode": "match"}} for url, resource in entries
        ]
    return bundle


def operation_result(full_url: str, resource: Resource, self_url: str) -> Resource:
    """An operation's ``return`` Bundle, as the IHE ITI Scheduling profile asks of $hold and
    $book: a searchset holding the one appointment."""
    return searchset([(full_url, resource)], 1, self_url, None, None)
