"""Thin views for /fhir: read the search parameters or the Parameters body, call a service, present.

Errors (domain refusals, pydantic validation) are raised and answered once, as OperationOutcome,
by scheduler.web.errors (see outcomes.py). Who may call what is declared per view (access.needs).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import g
from flask import request
from flask.blueprints import BlueprintSetupState
from pydantic import BaseModel
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BaseConverter

from scheduler.domain import catalog
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import iso_central
from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import NotFound
from scheduler.domain.errors import RequiresRequest
from scheduler.domain.intervals import Interval
from scheduler.domain.offer import Catalog
from scheduler.domain.patients import PatientRecord
from scheduler.domain.slots import provider_resource
from scheduler.domain.slots import room_resource
from scheduler.extensions import limiter
from scheduler.services import client_bookings
from scheduler.services import clinic
from scheduler.services import fhir_search
from scheduler.services import holds
from scheduler.services import patients
from scheduler.services.availability import find_availability
from scheduler.services.memo import app_cache
from scheduler.services.public_urls import public_url
from scheduler.settings import settings
from scheduler.web.api.schemas import MAX_BODY_BYTES
from scheduler.web.fhir import access
from scheduler.web.fhir import conventions
from scheduler.web.fhir import identity
from scheduler.web.fhir import params
from scheduler.web.fhir import resources
from scheduler.web.fhir.access import PUBLIC
from scheduler.web.fhir.access import needs
from scheduler.web.fhir.capability import capability_statement
from scheduler.web.fhir.codes import identifier_systems
from scheduler.web.fhir.openapi import openapi_document
from scheduler.web.fhir.outcomes import FHIR_CONTENT_TYPE
from scheduler.web.fhir.schemas import BookIn
from scheduler.web.fhir.schemas import FindIn
from scheduler.web.fhir.schemas import HoldIn
from scheduler.web.fhir.schemas import ParametersIn
from scheduler.web.fhir.schemas import SlotRef


class FhirIdConverter(BaseConverter):
    """A resource id as FHIR defines one (letters, digits, '-' and '.', at most 64), so that a
    read's rule never takes an operation's name: OPTIONS and 405s on /Appointment/$hold name POST
    alone, and GET there is a 405, not a read of an Appointment called '$hold'."""

    regex = r"[A-Za-z0-9\-.]{1,64}"


bp = Blueprint("fhir", __name__, url_prefix="/fhir")


@bp.record_once
def _id_converter(state: BlueprintSetupState) -> None:
    # Before any rule of the blueprint: the rules are bound to the app's converters as they are added.
    state.app.url_map.converters.setdefault("fhir_id", FhirIdConverter)


bp.before_request(conventions.check_request)  # 414 and 406 first: they need no token
bp.before_request(access.authenticate)
bp.after_request(access.record_call)

Resource = dict[str, Any]
# A Slot search with no start bounds looks this far ahead, and may look at most this far at once.
DEFAULT_SLOT_DAYS = 14
MAX_SLOT_DAYS = 62
SLOT_MATCHES_CACHED = 32


def _limit() -> str:
    return settings().ratelimit_fhir


limiter.limit(_limit)(bp)


# ----- helpers ---------------------------------------------------------------------------------------


def base_url() -> str:
    """The FHIR base, from PUBLIC_BASE_URL: never the request's Host or scheme."""
    return public_url(bp.url_prefix or "")


def public_request_url() -> str:
    """This request's URL under the FHIR base, never under its own Host; its query holds the
    parameters answered (a name ignored under ``Prefer: handling=lenient`` is left out)."""
    query = urlencode(list(conventions.searched_args().items(multi=True)))
    return f"{base_url()}{request.path.removeprefix(bp.url_prefix or '')}" + (f"?{query}" if query else "")


def fhir(body: Resource | str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = body if isinstance(body, str) else current_app.json.dumps(body)
    return current_app.response_class(text, status=status, content_type=FHIR_CONTENT_TYPE, headers=headers)


def page_links(
    page: params.Page, total: int, args: list[tuple[str, str]] | None = None
) -> tuple[str, str | None, str | None]:
    """self, next and previous URLs of this page of a search (the same parameters, another
    _offset): the parameters the search answered (``args``, by default those of search_args), so a
    parameter ignored under ``Prefer: handling=lenient`` is not shown as searched. A count-only
    page (``_count=0``, ``_summary=count``) has no next or previous."""
    if args is None:
        args = list(conventions.searched_args().items(multi=True))
    kept = [(k, v) for k, v in args if k not in ("_offset", "_count")]
    url = f"{base_url()}{request.path.removeprefix(bp.url_prefix or '')}"

    def at(offset: int) -> str:
        return f"{url}?{urlencode([*kept, ('_count', page.count), ('_offset', offset)])}"

    if page.count == 0:
        return at(page.offset), None, None
    following = at(page.offset + page.count) if page.offset + page.count < total else None
    previous = at(max(page.offset - page.count, 0)) if page.offset > 0 else None
    return at(page.offset), following, previous


def searchset(typed: list[Resource], page: params.Page, total: int | None = None) -> Resource:
    """A page of ``typed`` (every match, when ``total`` is None; else the page already cut)."""
    count = len(typed) if total is None else total
    shown = typed[page.offset : page.offset + page.count] if total is None else typed
    self_url, following, previous = page_links(page, count)
    entries = [(f"{base_url()}/{r['resourceType']}/{r['id']}", r) for r in shown]
    return resources.searchset(entries, count, self_url, following, previous)


def by_id(found: list[Resource], ident: str, what: str) -> Resource:
    for resource in found:
        if resource["id"] == ident:
            return resource
    raise NotFound(f"No {what} '{ident[:64]}'.")


def filtered(found: list[Resource], args: MultiDict[str, str]) -> list[Resource]:
    """The ``_id`` search parameter, which every search supports."""
    wanted = params.reference_ids(args, "_id", found[0]["resourceType"] if found else "Resource")
    return [r for r in found if r["id"] in wanted] if wanted else found


def parameters(query: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A Parameters body (POST) or the query string (GET: the names in ``query``, and paging), as
    {name: value}. Either way the query string holds only what the operation reads, as a search's
    does (conventions.search_args): any other name is a 400 naming it, or ignored and left out of
    the links under ``Prefer: handling=lenient``. A POST reads nothing from it but ``_format``."""
    if request.method == "GET":
        args = conventions.search_args(query, what="operation")
        found = {k: v for k, v in args.items() if k in query or k in ("_count", "_offset")}
        if params.summary_count(args):
            found["_count"] = "0"  # the total only, as a search's _summary=count
        return found
    conventions.search_args(frozenset(), params.POST_QUERY_PARAMETERS, what="operation")
    request.max_content_length = MAX_BODY_BYTES
    return ParametersIn.model_validate_json(request.get_data(cache=False) or b"{}").values()


def read(model: type[BaseModel], query: frozenset[str] = frozenset()) -> Any:
    return model.model_validate(parameters(query))


def now_and_catalog() -> tuple[datetime, Catalog]:
    now = utc_now()
    return now, clinic.current_catalog(now)


# ----- metadata --------------------------------------------------------------------------------------


@bp.get("/metadata")
@needs(PUBLIC)
def metadata() -> Response:
    return fhir(capability_statement(base_url()))


@bp.get("/openapi.json")
@needs(PUBLIC)
def openapi() -> Response:
    return current_app.response_class(current_app.json.dumps(openapi_document()), mimetype="application/json")


# ----- the clinic's catalog --------------------------------------------------------------------------


def _practitioners(offer: Catalog) -> list[Resource]:
    return [
        resources.practitioner(
            pid, name, pid in offer.providers, offer.provider_kinds[pid], offer.provider_npis.get(pid)
        )
        for pid, name in offer.provider_names.items()
    ]


def _schedules(offer: Catalog) -> list[Resource]:
    found = [resources.provider_schedule(p, offer) for p in offer.providers.values()]
    return found + [resources.room_schedule(r, offer) for r in offer.rooms.values()]


def _locations(offer: Catalog) -> list[Resource]:
    rooms = [resources.room_location(r, r.id in offer.active_room_ids) for r in offer.rooms.values()]
    return [resources.clinic_location(), *rooms]


def _services(offer: Catalog, now: datetime) -> list[Resource]:
    return [resources.healthcare_service(s, offer, now) for s in offer.specialties.values()]


CATALOG_TYPES: dict[str, tuple[str, Callable[[Catalog, datetime], list[Resource]]]] = {
    "Practitioner": ("practitioner", lambda offer, now: _practitioners(offer)),
    "Schedule": ("schedule", lambda offer, now: _schedules(offer)),
    "Location": ("location", lambda offer, now: _locations(offer)),
    "HealthcareService": ("healthcare_service", _services),
    # Our published code systems (their canonical URLs are these addresses).
    "CodeSystem": ("code_system", lambda offer, now: resources.code_systems(offer)),
    # Our identifier systems (also answered at their URLs, /fhir/sid/<name>).
    "NamingSystem": ("naming_system", lambda offer, now: resources.naming_systems()),
}


# What each catalog search answers besides paging (params.RESULT_PARAMETERS).
CATALOG_SEARCHES = {"Schedule": frozenset({"_id", "actor"})}


def _catalog_search(resource_type: str) -> Response:
    record_type, build = CATALOG_TYPES[resource_type]
    args = conventions.search_args(CATALOG_SEARCHES.get(resource_type, frozenset({"_id"})))
    page = params.paging(args)
    now, offer = now_and_catalog()
    found = filtered(build(offer, now), args)
    if resource_type == "Schedule":
        actors = {f"Practitioner/{i}" for i in params.numeric_ids(args, "actor", "Practitioner")}
        if actors:
            found = [s for s in found if any(a["reference"] in actors for a in s["actor"])]
    access.note("fhir.search", record_type, detail=f"{len(found)} found")
    return fhir(searchset(found, page))


def _catalog_read(resource_type: str, ident: str) -> Response:
    record_type, build = CATALOG_TYPES[resource_type]
    access.note("fhir.read", record_type, ident[:64])
    now, offer = now_and_catalog()
    return fhir(by_id(build(offer, now), ident, resource_type))


for _type in CATALOG_TYPES:
    bp.add_url_rule(
        f"/{_type}",
        f"search_{_type.lower()}",
        needs("read")(lambda _t=_type: _catalog_search(_t)),
        methods=["GET"],
    )
    bp.add_url_rule(
        f"/{_type}/<fhir_id:ident>",
        f"read_{_type.lower()}",
        needs("read")(lambda ident, _t=_type: _catalog_read(_t, ident)),
        methods=["GET"],
    )


@bp.get("/sid/<fhir_id:name>")
@needs(PUBLIC)
def identifier_system(name: str) -> Response:
    """An identifier system's URL resolves to its NamingSystem (what it identifies, and the urn it
    replaces). Public, as the CapabilityStatement is: it describes a system and holds no data."""
    return fhir(by_id(resources.naming_systems(), name, "identifier system"))


# ----- slots -----------------------------------------------------------------------------------------


def _slot_window(args: MultiDict[str, str], now: datetime) -> Interval:
    window = params.date_window(args.getlist("start"), "start")
    start = window.start or clinic_instant(clinic_today(now), time())
    end = window.end or clinic_instant(clinic_today(start) + timedelta(days=DEFAULT_SLOT_DAYS), time())
    if end - start > timedelta(days=MAX_SLOT_DAYS):
        raise InvalidInput({"start": f"Search at most {MAX_SLOT_DAYS} days of slots at once."})
    return Interval(start, max(start, end))


SLOT_SEARCH = frozenset({"schedule", "start", "status", "service-type", "specialty"})


@bp.get("/Slot")
@needs("read")
def search_slot() -> Response:
    """Free slots (computed, per service type) and busy ones (reservations) of the schedules asked."""
    args = conventions.search_args(SLOT_SEARCH)
    page = params.paging(args)
    statuses = params.codes(args, "status") or list(params.SLOT_STATUSES)
    if any(s not in params.SLOT_STATUSES for s in statuses):
        raise InvalidInput({"status": f"Use one or more of {', '.join(params.SLOT_STATUSES)}."})
    kinds = params.codes(args, "service-type")
    specialties = params.codes(args, "specialty")
    schedules = params.reference_ids(args, "schedule", "Schedule")
    if "free" in statuses and not kinds:
        raise InvalidInput(
            {"service-type": "Give a service-type (a visit type code) to search free slots, or ask for status=busy."}
        )
    for schedule in schedules:
        kind, _, number = schedule.partition("-")
        if kind not in ("provider", "room") or not number.isdigit() or len(number) > 9:
            raise InvalidInput({"schedule": "Refer to a Schedule such as Schedule/provider-3 or Schedule/room-2."})
    now = utc_now()
    window = _slot_window(args, now)
    # What the answer depends on besides the question: the booking cut-off and the revisions the
    # token check read at the start of this call (no second query for them).
    revisions = g.fhir_revisions
    freshness = (clinic.earliest_bookable(now), revisions["bookings"], revisions["catalog"])
    # Exact, never stale: the keys hold the booking and catalog revisions and the booking cut-off.
    question = (
        tuple(sorted(set(statuses))),
        tuple(kinds),
        tuple(specialties),
        tuple(sorted(set(schedules))),
        window,
        *freshness,
    )

    def every_slot() -> list[Resource]:
        offer = clinic.current_catalog(now, freshness[2])
        found = _slots(offer, now, window, set(statuses), kinds, specialties, schedules)
        found.sort(key=lambda r: (r["start"], r["id"]))
        return found

    def render() -> str:
        # All the matches once per question, then each page of them (a client pages through).
        # Fewer entries than the page cache: each holds every match (thousands of resources).
        size = min(SLOT_MATCHES_CACHED, settings().cache_size)
        found = app_cache("fhir-slot-matches", size=size).get_or_compute(question, every_slot)
        return current_app.json.dumps(searchset(found, page))

    # The parameters as given too: the Bundle's links repeat them.
    links = (tuple(args.items(multi=True)), base_url())
    body = app_cache("fhir-slots").get_or_compute((question, page, links), render)
    access.note("fhir.search", "slot")
    return fhir(body)


def _slots(
    offer: Catalog,
    now: datetime,
    window: Interval,
    statuses: set[str],
    kinds: list[str],
    specialties: list[str],
    schedules: list[str],
) -> list[Resource]:
    provider_ids = {int(s.removeprefix("provider-")) for s in schedules if s.startswith("provider-")}
    room_ids = {int(s.removeprefix("room-")) for s in schedules if s.startswith("room-")}
    visit_types = [offer.visit_type(code, field="service-type") for code in kinds]
    for code in specialties:
        if code not in offer.specialties:
            raise InvalidInput({"specialty": f"There is no specialty '{code}'."})
    found: list[Resource] = []
    formatted: dict[datetime, str] = {}

    def iso(moment: datetime) -> str:
        text = formatted.get(moment)
        if text is None:
            text = formatted[moment] = iso_central(moment)
        return text

    if "free" in statuses and (provider_ids or not room_ids):
        first_day = to_clinic(window.start).date()
        days = (to_clinic(window.end - timedelta(microseconds=1)).date() - first_day).days + 1
        for kind in visit_types:
            teams = specialties or [kind.specialty]
            for team in teams:
                result = find_availability(
                    kind.code, first_day, days, specialty_code=team, now=now, catalog_revision=None
                )
                specialty = resources.specialty_concept(result.specialty)
                service = resources.visit_type_concept(kind)
                kind_id = offer.visit_type_ids[kind.code]
                found += [
                    resources.free_slot(s, kind_id, specialty, service, iso)
                    for s in result.slots
                    if window.start <= s.start < window.end and (not provider_ids or s.provider_id in provider_ids)
                ]
    busy_statuses = statuses & {"busy", "busy-tentative"}
    if busy_statuses:
        keys = [provider_resource(i) for i in provider_ids] + [room_resource(i) for i in room_ids]
        if not schedules:
            asked_teams = set(specialties) | {k.specialty for k in visit_types}
            keys = [
                provider_resource(p.id)
                for p in offer.providers.values()
                if not asked_teams or p.specialty in asked_teams
            ]
            if not asked_teams:
                keys += [room_resource(r) for r in offer.active_room_ids]
        wanted_kinds = {offer.visit_type_ids[k.code] for k in visit_types}
        for busy in fhir_search.busy_times(keys, window):
            if not window.start <= busy.interval.start < window.end:
                continue
            if wanted_kinds and busy.visit_type_id not in wanted_kinds:
                continue
            slot = resources.busy_slot(busy, offer)
            if slot["status"] in busy_statuses:
                found.append(slot)
    return found


_FREE_SLOT = re.compile(r"free-([0-9]{1,9})-([0-9]{1,9})-([0-9]{12})")
_BUSY_SLOT = re.compile(r"busy-([0-9]{1,12})")


@bp.get("/Slot/<fhir_id:ident>")
@needs("read")
def read_slot(ident: str) -> Response:
    """One Slot of a search, by its id (so a Bundle's fullUrl resolves): ``busy-<reservation>``
    while the reservation is active, ``free-<provider>-<visit type>-<UTC yyyymmddHHMM>`` while
    that time is still offered. A time since taken, released or past is a 404."""
    access.note("fhir.read", "slot", ident[:64])
    now, offer = now_and_catalog()
    if busy := _BUSY_SLOT.fullmatch(ident):
        found = fhir_search.busy_time(int(busy[1]))
        if found is not None and found.resource.startswith(("provider:", "room:")):
            return fhir(resources.busy_slot(found, offer))
    elif free := _FREE_SLOT.fullmatch(ident):
        provider_id, kind_id = int(free[1]), int(free[2])
        known = offer.visit_types_by_id.get(kind_id)
        kind = offer.visit_types.get(known.code) if known else None  # a retired visit type offers nothing
        try:
            start = datetime.strptime(free[3], "%Y%m%d%H%M").replace(tzinfo=UTC)
        except ValueError:
            start = None
        if kind is not None and start is not None and provider_id in offer.providers:
            provider = offer.providers[provider_id]
            if provider.does(kind.code):
                day = to_clinic(start).date()
                team = provider.specialty
                result = find_availability(kind.code, day, 1, provider_id=provider_id, specialty_code=team, now=now)
                for slot in result.slots:
                    if slot.start == start and slot.provider_id == provider_id:
                        specialty = resources.specialty_concept(result.specialty)
                        service = resources.visit_type_concept(kind)
                        return fhir(resources.free_slot(slot, kind_id, specialty, service))
    raise NotFound(f"No Slot '{ident[:64]}' (a free time may have been taken since it was listed).")


# ----- appointments and patients ---------------------------------------------------------------------


APPOINTMENT_SEARCH = frozenset(
    {"_id", "identifier", "patient", "practitioner", "date", "status", "status:not", "_lastUpdated"}
)


@bp.get("/Appointment")
@needs("read")
def search_appointment() -> Response:
    args = conventions.search_args(APPOINTMENT_SEARCH)
    page = params.paging(args)
    patients = params.numeric_ids(args, "patient", "Patient")
    practitioners = params.numeric_ids(args, "practitioner", "Practitioner")
    if len(patients) > 1 or len(practitioners) > 1:
        raise InvalidInput({"patient" if len(patients) > 1 else "practitioner": "Give one value."})
    statuses = params.codes(args, "status")
    excluded = params.codes(args, "status:not")
    if any(s not in params.APPOINTMENT_STATUSES for s in statuses):
        raise InvalidInput({"status": f"Use one or more of {', '.join(params.APPOINTMENT_STATUSES)}."})
    if any(s not in params.APPOINTMENT_STATUSES for s in excluded):
        raise InvalidInput({"status:not": f"Use one or more of {', '.join(params.APPOINTMENT_STATUSES)}."})
    window = params.date_window(args.getlist("date"), "date")
    changed = params.date_window(args.getlist("_lastUpdated"), "_lastUpdated")
    named, asked = params.identifiers(args, "identifier", identifier_systems("appointment-reference"))
    ids = params.reference_ids(args, "_id", "Appointment")
    if len(ids) > 1 or len(named) > 1:
        raise InvalidInput({"_id" if len(ids) > 1 else "identifier": "Give one value."})
    references = ids + named
    if len(set(references)) > 1:
        asked, named = True, []  # _id and identifier name two appointments: both at once is none
    where = fhir_search.AppointmentFilter(
        patient_id=patients[0] if patients else None,
        provider_id=practitioners[0] if practitioners else None,
        statuses=tuple(statuses),
        excluded_statuses=tuple(excluded),
        starts_from=window.start,
        starts_before=window.end,
        updated_from=changed.start,
        updated_before=changed.end,
        reference=references[0][:20] if references else None,
    )
    if asked and not named:
        # Only identifiers of another system were asked: none of ours can match.
        found = fhir_search.AppointmentPage([], 0)
    else:
        found = fhir_search.search_appointments(where, offset=page.offset, count=page.count)
    now, offer = now_and_catalog()
    entry = access.note("fhir.search", "appointment", detail=f"{len(found.rows)} of {found.total}")
    entry.patient_ids = sorted({row.patient_id for row in found.rows})
    shown = [resources.appointment(row, offer) for row in found.rows]
    return fhir(searchset(shown, page, total=found.total))


@bp.get("/Appointment/<fhir_id:ident>")
@needs("read")
def read_appointment(ident: str) -> Response:
    entry = access.note("fhir.read", "appointment", ident[:64])
    row = fhir_search.appointment(ident) if params.ID.fullmatch(ident) else None
    if row is None:
        raise NotFound(f"No Appointment '{ident[:64]}'.")
    entry.patient_ids = [row.patient_id]
    _, offer = now_and_catalog()
    return conventions.conditional(fhir(resources.appointment(row, offer)), row.version, row.updated_at)


@bp.get("/Patient/<fhir_id:ident>")
@needs("read")
def read_patient(ident: str) -> Response:
    entry = access.note("fhir.read", "patient", ident[:64])
    row = fhir_search.patient(int(ident)) if params.DIGITS.fullmatch(ident) else None
    if row is None:
        raise NotFound(f"No Patient '{ident[:64]}'.")
    entry.patient_ids = [row.id]
    return fhir(resources.patient(row))


PATIENT_SEARCHES = frozenset({"identifier", "family", "given", "name", "birthdate"})


@bp.get("/Patient")
@needs("read")
def search_patient() -> Response:
    """Patients by identifier (the MRN: ``system|value``), or by name and birth date together:
    an integration finding the person it means, never browsing (no partial name, no name alone)."""
    args = conventions.search_args(PATIENT_SEARCHES)  # _sort, _include, ... refused like any other
    page = params.paging(args)
    entry = access.note("fhir.search", "patient")
    unknown = sorted({k for k in args if not k.startswith("_")} - PATIENT_SEARCHES)
    if unknown:
        raise InvalidInput({unknown[0]: "Search patients by identifier, or by name (or family) and birthdate."})
    wanted = {k: [v.strip() for v in args.getlist(k)] for k in PATIENT_SEARCHES if args.getlist(k)}
    if any(len(values) > 1 or not values[0] or len(values[0]) > 100 for values in wanted.values()):
        raise InvalidInput({next(iter(wanted)): "Give each parameter once, with a value of at most 100 characters."})
    found: list[PatientRecord] = []
    if "identifier" in wanted:
        ref = identity.patient_ref(wanted["identifier"][0])
        found = patients.with_identity(mrn=ref.mrn) if ref.mrn is not None else []
    elif "birthdate" in wanted and ("name" in wanted or "family" in wanted):
        given, family = wanted.get("given", [None])[0], wanted.get("family", [None])[0]
        if "name" in wanted:  # "Ann Lee" or "Lee": whole words, the last the family name
            *first, last = wanted["name"][0].split()
            family, given = (family or last), (given or " ".join(first) or None)
        found = patients.with_identity(
            family_name=family, given_name=given, birth_date=identity.birth_date(wanted["birthdate"][0])
        )
    else:
        raise InvalidInput({"birthdate": "Search patients by identifier, or by name and birthdate together."})
    entry.patient_ids = [p.id for p in found]
    entry.detail = f"{len(found)} found"
    return fhir(searchset([resources.patient(p) for p in found], page))


# ----- operations ------------------------------------------------------------------------------------


def _bookable(offer: Catalog, code: str) -> catalog.VisitType:
    kind = offer.visit_type(code, field="service-type")
    if kind.mode is catalog.BookingMode.REQUEST:
        raise RequiresRequest(f"{kind.name} is arranged by the clinic's schedulers: it cannot be booked here.")
    return kind


def _slot_kind(offer: Catalog, slot: SlotRef | None) -> str:
    """The visit type code a free Slot's id names (a Slot from a search of this catalog)."""
    kind = offer.visit_types_by_id.get(slot.visit_type_id) if slot is not None else None
    if kind is None:
        raise InvalidInput({"appointment.slot": "That slot is not one of this clinic's: search Slot again."})
    return kind.code


# What GET $find reads from its query string (besides _count, _offset, _summary=count and _format).
FIND_PARAMETERS = frozenset({"service-type", "start", "end", "practitioner", "patient", "patient-reference"})


@bp.route("/Appointment/$find", methods=["GET", "POST"])
@needs("read")
def find() -> Response:
    """Proposed appointments: the free times of a service type in [start, end)."""
    access.note("fhir.find", "appointment")
    data: FindIn = read(FindIn, FIND_PARAMETERS)
    now, offer = now_and_catalog()
    kind = _bookable(offer, data.service_type)
    patient = identity.patient_on_file(data.patient) if data.patient is not None else None
    # Only what $book would accept for this patient (none given: one not on file yet).
    decision = client_bookings.bookable(kind.code, patient, now=now)
    first_day = to_clinic(data.start).date()
    days = (to_clinic(data.end - timedelta(microseconds=1)).date() - first_day).days + 1
    result = find_availability(
        kind.code, first_day, days, provider_id=data.practitioner, specialty_code=decision.specialty,
        patient_id=patient.id if patient else None, now=now,
    )  # fmt: skip
    slots = [s for s in result.slots if data.start <= s.start < data.end]
    shown = slots[data.offset : data.offset + data.count]
    entry = access.note("fhir.find", "appointment", detail=f"{len(shown)} of {len(slots)} proposed")
    entry.patient_ids = [patient.id] if patient else []
    entries = [
        (resources.proposed_full_url(s, kind.code), resources.proposed_appointment(s, kind, offer)) for s in shown
    ]
    # The links are GET $find with the question in the query string, whether it came so or POSTed.
    question = [("service-type", kind.code), ("start", data.start.isoformat()), ("end", data.end.isoformat())]
    if data.practitioner is not None:
        question.append(("practitioner", f"Practitioner/{data.practitioner}"))
    if patient is not None:
        question.append(("patient", f"Patient/{patient.id}"))  # the next page offers what they may book
    links = page_links(params.Page(data.offset, data.count), len(slots), question)
    return fhir(resources.searchset(entries, len(slots), *links))


@bp.post("/Appointment/$hold")
@needs("book")
def hold() -> Response:
    """Keep a proposed time for HOLD_MINUTES while the caller gathers the patient's details."""
    access.note("fhir.hold", "hold")
    data: HoldIn = read(HoldIn)
    now, offer = now_and_catalog()
    kind = _bookable(offer, data.service_type or _slot_kind(offer, data.slot_ref))
    assert data.start is not None  # HoldIn refuses a request without one
    patient = identity.patient_on_file(data.patient) if data.patient is not None else None
    decision = client_bookings.bookable(kind.code, patient, now=now)  # never a time $book would refuse
    held = holds.hold_time(kind.code, data.start, provider_id=data.practitioner, channel="api", now=now,
                           specialty=decision.specialty,
                           client=holds.HoldClient.integration(access.caller().id))  # fmt: skip
    entry = access.note("fhir.hold", "hold", detail=f"{kind.code} held")
    entry.patient_ids = [patient.id] if patient else []
    resource = resources.held_appointment(held, clinic.current_catalog(now))
    if not data.standard_shape:  # Argonaut / IHE ITI Scheduling names: the return Bundle
        return fhir(resource)
    full_url = f"{base_url()}/Appointment/{resource['id']}"
    return fhir(resources.operation_result(full_url, resource, public_request_url()))


@bp.post("/Appointment/$book")
@needs("book")
def book() -> Response:
    """Book a held (or still free) time for a patient: the same guarantees as every booking."""
    access.note("fhir.book", "appointment")
    data: BookIn = read(BookIn)
    wanted = data.appointment
    _, offer = now_and_catalog()
    code = wanted.service_type or _slot_kind(offer, wanted.slot_ref)
    kind = _bookable(offer, code)
    assert wanted.start is not None  # AppointmentIn refuses an appointment without a time
    if data.patient is not None:
        details = identity.details_given(data.patient)
    else:
        assert data.patient_reference is not None  # BookIn refuses a call without a patient
        details = patients.details_on_file(identity.patient_on_file(data.patient_reference, "patient-reference"))
    slot = wanted.slot_ref
    booked = client_bookings.book_for_client(
        access.caller().id,
        visit_type_code=kind.code,
        start=wanted.start,
        patient=details,
        provider_id=wanted.practitioner or (slot.provider_id if slot else None),
        hold_token=wanted.hold_token,
        detail=f"POST /fhir/Appointment/$book 201; {kind.code}",
        cause=wanted.cause,
        red_flags=wanted.red_flags,
    )
    access.audited()
    resource = resources.appointment(booked.appointment, booked.catalog)
    location = f"{base_url()}/Appointment/{booked.appointment.reference}"
    if data.standard_shape:  # Argonaut / IHE ITI Scheduling names: the return Bundle
        return fhir(resources.operation_result(location, resource, public_request_url()), 201, {"Location": location})
    return fhir(resource, 201, {"Location": f"{base_url()}/Appointment/{booked.appointment.reference}"})
