"""What the FHIR operations accept: a Parameters resource, read into typed requests with pydantic.

Parsing is two steps, so that errors name what the caller sent: :class:`ParametersIn` checks the
envelope (a Parameters resource, each parameter with a name and at most one kind of value), then
each operation's model (:class:`FindIn`, :class:`HoldIn`, :class:`BookIn`) checks the values it
needs. Text that could reach the database is pattern-checked (no NUL or control characters: those
would be a PostgreSQL error, so a 500). The OpenAPI document is generated from these models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Annotated
from typing import Any
from typing import Literal

from pydantic import AfterValidator
from pydantic import AliasChoices
from pydantic import BaseModel
from pydantic import BeforeValidator
from pydantic import ConfigDict
from pydantic import Field
from pydantic import PrivateAttr
from pydantic import field_validator
from pydantic import model_validator

from scheduler.domain.clock import clinic_instant
from scheduler.domain.routing import CAUSES
from scheduler.domain.routing import RED_FLAGS
from scheduler.web import contact
from scheduler.web.api.schemas import CODE_PATTERN
from scheduler.web.api.schemas import TEXT_PATTERN
from scheduler.web.api.schemas import IsoDate
from scheduler.web.api.schemas import Name
from scheduler.web.fhir.codes import identifier_systems
from scheduler.web.fhir.codes import systems
from scheduler.web.sane_input import CONTROL_MESSAGE
from scheduler.web.sane_input import control_problem
from scheduler.web.sane_input import sane_moment

# What a FHIR string may hold here: printable, bounded.
Text = Annotated[str, Field(max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]
Uri = Annotated[str, Field(max_length=500, pattern=r"^\S*$")]
FhirDate = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
FhirDateTime = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2}))?$"
    ),
]
HOLD_TOKEN_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
# The longest window $find searches at once (the JSON API's availability limit).
FIND_MAX_DAYS = 62


class Element(BaseModel):
    # FHIR resources carry many elements we do not use (meta, text, extension ...): ignore them.
    model_config = ConfigDict(extra="ignore")


class Coding(Element):
    system: Uri | None = None
    code: Text | None = None
    display: Text | None = None


class CodeableConcept(Element):
    coding: Annotated[list[Coding], Field(max_length=20)] = []
    text: Text | None = None


class Identifier(Element):
    system: Uri | None = None
    value: Text | None = None


class Reference(Element):
    reference: Uri | None = None
    identifier: Identifier | None = None
    display: Text | None = None


class ParameterIn(Element):
    """One parameter: a name and one value (the value[x] kinds the operations use), or a resource."""

    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
    valueString: Text | None = None
    valueCode: Text | None = None
    valueUri: Uri | None = None
    valueDate: FhirDate | None = None
    valueDateTime: FhirDateTime | None = None
    valueInstant: FhirDateTime | None = None
    valueInteger: int | None = None
    valuePositiveInt: int | None = None
    valueCoding: Coding | None = None
    valueCodeableConcept: CodeableConcept | None = None
    valueReference: Reference | None = None
    valueIdentifier: Identifier | None = None
    resource: dict[str, Any] | None = None

    def value(self) -> Any:
        for field in type(self).model_fields:
            if field != "name":
                found = getattr(self, field)
                if found is not None:
                    return found
        return None


def control_character_at(value: Any, where: str = "") -> str | None:
    """Where in a parsed JSON document a string (or a key) holds a control character other than a
    line break or tab, as ``parameter[0].resource.name``; None when nowhere."""
    if isinstance(value, str):
        return where or "body" if control_problem(value, multiline=True) else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            if control_problem(str(key), multiline=True):
                return inner
            if found := control_character_at(item, inner):
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if found := control_character_at(item, f"{where}[{index}]"):
                return found
    return None


class ParametersIn(Element):
    resourceType: Literal["Parameters"]
    parameter: Annotated[list[ParameterIn], Field(max_length=50)] = []

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        # Anywhere, in the elements read or not: nothing of the body may carry a NUL further.
        if (where := control_character_at(data)) is not None:
            raise ValueError(f"{where}: {CONTROL_MESSAGE}")
        return data

    def values(self) -> dict[str, Any]:
        """Each parameter's value by name (a repeated name keeps its first value)."""
        found: dict[str, Any] = {}
        for parameter in self.parameter:
            found.setdefault(parameter.name, parameter.value())
        return found


# ----- reading values of several kinds ---------------------------------------------------------------


def code_of(value: Any) -> Any:
    """A code from a string ("evaluation" or "system|evaluation"), a Coding or a CodeableConcept."""
    if isinstance(value, CodeableConcept):
        value = next((c for c in value.coding if c.code), None)
    if isinstance(value, Coding):
        value = value.code
    if isinstance(value, str):
        return value.rsplit("|", 1)[-1].strip()
    return value


def id_of(resource_type: str) -> Any:
    """A BeforeValidator: the id from a Reference, "Type/id" or a bare id (as text, checked after)."""

    def read(value: Any) -> Any:
        if isinstance(value, Reference):
            value = value.reference
        if isinstance(value, str):
            kind, _, ident = value.strip().rpartition("/")
            if kind and not kind.endswith(resource_type):
                raise ValueError(f"Refer to a {resource_type}, e.g. {resource_type}/3.")
            return ident
        return value

    return read


def moment_of(end: bool) -> Any:
    """A BeforeValidator: a date (Central midnight starting it, or for an ``end`` the midnight
    after it, so an end date is included) or a date-time with its offset, as an aware datetime."""

    def read(value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise ValueError("Use a real date, as YYYY-MM-DD.") from None
            if not 2000 <= day.year <= 2100:
                raise ValueError("Use a date from 2000 to 2100.")
            return clinic_instant(day + timedelta(days=1) if end else day, time())
        if isinstance(value, str) and re.fullmatch(
            r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})", value
        ):
            return value
        raise ValueError("Use a date (2027-03-08) or a time with its offset (2027-03-08T08:00:00-06:00).")

    return read


ServiceType = Annotated[str, BeforeValidator(code_of), Field(min_length=1, max_length=40, pattern=CODE_PATTERN)]
PractitionerId = Annotated[int, BeforeValidator(id_of("Practitioner")), Field(strict=False, ge=1, le=2_147_483_647)]
# A date-time's year is checked too (sane_input): 9999-12-31T23:00:00-06:00 would overflow later.
Start = Annotated[datetime, BeforeValidator(moment_of(end=False)), Field(strict=False), AfterValidator(sane_moment)]
End = Annotated[datetime, BeforeValidator(moment_of(end=True)), Field(strict=False), AfterValidator(sane_moment)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


MRN_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"


class PatientRef(Strict):
    """A patient on file: by reference (``Patient/9``) or by identifier (the MRN, as an
    Identifier or ``system|value``). Read from a Reference, an Identifier or text."""

    id: Annotated[int, Field(ge=1, le=2_147_483_647)] | None = None
    system: Uri | None = None
    mrn: Annotated[str, Field(pattern=MRN_PATTERN)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _read(cls, value: Any) -> Any:
        if isinstance(value, Reference):
            if value.reference:
                value = value.reference
            elif value.identifier is not None:
                value = value.identifier
            else:
                raise ValueError("Refer to a Patient (Patient/9) or give its identifier.")
        if isinstance(value, Identifier):
            if not value.value:
                raise ValueError("The patient's identifier needs a value.")
            return {"system": value.system, "mrn": value.value}
        if isinstance(value, str):
            text = value.strip()
            kind, _, ident = text.rpartition("/")
            if kind.endswith("Patient") and re.fullmatch(r"[0-9]{1,9}", ident):
                return {"id": int(ident)}
            if "|" in text:
                system, _, mrn = text.partition("|")
                return {"system": system or None, "mrn": mrn}
            raise ValueError("Refer to a Patient (Patient/9) or give its identifier (system|value).")
        return value

    @model_validator(mode="after")
    def _one(self) -> PatientRef:
        if self.id is None and self.mrn is None:
            raise ValueError("Refer to a Patient (Patient/9) or give its identifier (system|value).")
        return self


# The patient a $find or $hold is for: given, only what they may book is offered.
PatientParameter = Field(None, validation_alias=AliasChoices("patient", "patient-reference"))


class FindIn(Strict):
    """$find: free times of a service type in [start, end), optionally with one practitioner."""

    service_type: ServiceType = Field(alias="service-type")
    start: Start
    end: End
    practitioner: PractitionerId | None = None
    patient: PatientRef | None = PatientParameter
    # More than 1000 is read as 1000 (FHIR lets a server cap a page); 0 asks only the total.
    count: Annotated[int, Field(strict=False, ge=0, alias="_count"), AfterValidator(lambda n: min(n, 1000))] = 100
    offset: Annotated[int, Field(strict=False, ge=0, le=100_000, alias="_offset")] = 0

    @model_validator(mode="after")
    def _window(self) -> FindIn:
        if self.end <= self.start:
            raise ValueError("end must come after start.")
        if self.end - self.start > timedelta(days=FIND_MAX_DAYS):
            raise ValueError(f"Search at most {FIND_MAX_DAYS} days at once.")
        return self


@dataclass(frozen=True)
class SlotRef:
    """What a free Slot's id says: the provider, the visit type (its id) and the start (UTC)."""

    provider_id: int
    visit_type_id: int
    start: datetime


# The appointment a $hold or $book is about: our name, Argonaut's and IHE's.
APPOINTMENT_NAMES = ("appointment", "appt-resource", "appointment-resource")
# Names only the Argonaut / IHE shapes use: a call with one of them is answered their way (a Bundle).
STANDARD_NAMES = frozenset({"appt-resource", "appointment-resource", "patient-reference", "patient-resource"})


class AppointmentIn(Strict):
    """The parts of an Appointment (a $find proposal, or a $hold answer) that say which time."""

    resourceType: Literal["Appointment"]
    # Which time: start and serviceType, or a free Slot (``slot``: Slot/free-..., from a Slot search).
    start: Start | None = None
    serviceType: Annotated[list[CodeableConcept], Field(max_length=5)] = []
    slot: Annotated[list[Reference], Field(max_length=1)] = []
    participant: Annotated[list[dict[str, Any]], Field(max_length=10)] = []
    identifier: Annotated[list[Identifier], Field(max_length=10)] = []
    # The patient's answers (codes of our red-flag and cause systems): a red flag or an
    # infection is refused with the "urgent" outcome, as on every channel.
    reasonCode: Annotated[list[CodeableConcept], Field(max_length=10)] = []

    @model_validator(mode="after")
    def _which_time(self) -> AppointmentIn:
        if self.slot:
            reference = self.slot[0].reference or ""
            found = re.fullmatch(r"(?:.*/)?Slot/free-([0-9]{1,9})-([0-9]{1,9})-([0-9]{12})", reference)
            if found is None:
                raise ValueError("slot must refer to a free Slot, such as Slot/free-3-1-202703081600.")
            try:
                start = datetime.strptime(found[3], "%Y%m%d%H%M").replace(tzinfo=UTC)
            except ValueError:
                raise ValueError("slot must refer to a free Slot, such as Slot/free-3-1-202703081600.") from None
            if self.start is not None and self.start != start:
                raise ValueError("start is not the start of the slot referred to.")
            self.start = sane_moment(start)
            self._slot = SlotRef(int(found[1]), int(found[2]), start)
        elif self.start is None or not self.serviceType:
            raise ValueError("Give start and serviceType, or a slot (Slot/free-...).")
        return self

    _slot: SlotRef | None = PrivateAttr(None)

    @property
    def slot_ref(self) -> SlotRef | None:
        """The free Slot the appointment was asked by (None: by start and serviceType)."""
        return self._slot

    def _reasons(self, name: str) -> list[str]:
        known = systems(name)
        return [c.code for concept in self.reasonCode for c in concept.coding if c.system in known and c.code]

    @property
    def red_flags(self) -> frozenset[str]:
        flags = self._reasons("red-flag")
        unknown = [f for f in flags if f not in RED_FLAGS]
        if unknown:
            system = systems("red-flag")[0]
            raise ValueError(f"reasonCode: {system} has no code '{unknown[0][:40]}' ({', '.join(RED_FLAGS)}).")
        return frozenset(flags)

    @property
    def cause(self) -> str:
        causes = self._reasons("cause")
        if causes and causes[0] not in CAUSES:
            raise ValueError(f"reasonCode: {systems('cause')[0]} has no code '{causes[0][:40]}' ({', '.join(CAUSES)}).")
        return causes[0] if causes else "unknown"

    @property
    def service_type(self) -> str | None:
        """The visit type code (None: booking by slot without one; the slot says which)."""
        if not self.serviceType:
            return None
        code = code_of(self.serviceType[0])
        if not isinstance(code, str) or not re.fullmatch(CODE_PATTERN, code) or len(code) > 40:
            raise ValueError("serviceType must hold a visit type code, such as 'evaluation'.")
        return code

    @property
    def practitioner(self) -> int | None:
        for participant in self.participant:
            actor = participant.get("actor") if isinstance(participant, dict) else None
            reference = actor.get("reference") if isinstance(actor, dict) else None
            if isinstance(reference, str) and reference.startswith("Practitioner/"):
                ident = reference.removeprefix("Practitioner/")
                if re.fullmatch(r"[0-9]{1,9}", ident):
                    return int(ident)
                raise ValueError("participant.actor must refer to a Practitioner by number, e.g. Practitioner/3.")
        return None

    @property
    def patient_reference(self) -> str | None:
        """A participant that is a Patient (``Patient/9``): who the appointment is for (Argonaut)."""
        for participant in self.participant:
            actor = participant.get("actor") if isinstance(participant, dict) else None
            reference = actor.get("reference") if isinstance(actor, dict) else None
            if isinstance(reference, str) and reference.rpartition("/")[0].endswith("Patient"):
                return reference
        return None

    @property
    def hold_token(self) -> str | None:
        for identifier in self.identifier:
            if identifier.system in identifier_systems("hold-token") and identifier.value:
                if not re.fullmatch(HOLD_TOKEN_PATTERN, identifier.value):
                    raise ValueError("The hold token is not one this server issued.")
                return identifier.value
        return None


class OperationIn(Strict):
    """A $hold or $book call, which remembers whether it named its parameters as Argonaut or
    IHE ITI Scheduling do: then it is answered their way (a ``return`` Bundle)."""

    _standard: bool = PrivateAttr(False)

    @model_validator(mode="wrap")
    @classmethod
    def _shape(cls, data: Any, handler: Any) -> Any:
        model = handler(data)
        model._standard = isinstance(data, dict) and bool(set(data) & STANDARD_NAMES)
        return model

    @property
    def standard_shape(self) -> bool:
        return self._standard


class HoldIn(OperationIn):
    """$hold: a proposed ``appointment`` from $find, or ``start`` + ``service-type`` (+ ``practitioner``)."""

    appointment: AppointmentIn | None = Field(None, validation_alias=AliasChoices(*APPOINTMENT_NAMES))
    start: Start | None = None
    service_type: ServiceType | None = Field(None, alias="service-type")
    practitioner: PractitionerId | None = None
    patient: PatientRef | None = PatientParameter

    @model_validator(mode="after")
    def _which_time(self) -> HoldIn:
        if self.appointment is not None:
            self.start = self.appointment.start
            self.service_type = self.appointment.service_type
            slot = self.appointment.slot_ref
            by_slot = slot.provider_id if slot else None
            self.practitioner = self.practitioner or self.appointment.practitioner or by_slot
            if self.patient is None and (named := self.appointment.patient_reference):
                self.patient = PatientRef.model_validate(named)
        if self.start is None or (self.service_type is None and self.slot_ref is None):
            raise ValueError("Give an appointment (from $find, or with a slot), or start and service-type.")
        return self

    @property
    def slot_ref(self) -> SlotRef | None:
        return self.appointment.slot_ref if self.appointment is not None else None


class HumanName(Element):
    family: Name
    given: Annotated[list[Name], Field(min_length=1, max_length=5)]


class ContactPoint(Element):
    system: Literal["phone", "email", "sms", "fax", "pager", "url", "other"]
    value: Annotated[str, Field(min_length=1, max_length=254, pattern=TEXT_PATTERN)]


class PatientResourceIn(Element):
    """The patient being booked: name, birth date, and a phone or an email to reach them."""

    resourceType: Literal["Patient"]
    name: Annotated[list[HumanName], Field(min_length=1, max_length=5)]
    birthDate: IsoDate
    telecom: Annotated[list[ContactPoint], Field(max_length=10)] = []
    # Its MRN, when one is in the system of PATIENT_MRN_SYSTEM (others are the caller's own ids).
    identifier: Annotated[list[Identifier], Field(max_length=10)] = []

    def mrn(self, system: str) -> str | None:
        value = next((i.value for i in self.identifier if i.system == system and i.value), None)
        if value is not None and not re.fullmatch(MRN_PATTERN, value):
            raise ValueError("identifier: a medical record number is 1 to 64 letters, digits, '.', '_' or '-'.")
        return value

    @field_validator("birthDate")
    @classmethod
    def _plausible(cls, value: date) -> date:
        try:
            return contact.birth_date(value)
        except ValueError:
            raise ValueError(contact.BIRTH_DATE_MESSAGE[:-1] + ", as YYYY-MM-DD.") from None

    @property
    def phone(self) -> str | None:
        value = next((t.value for t in self.telecom if t.system in ("phone", "sms")), None)
        return contact.phone_e164(value)

    @property
    def email(self) -> str | None:
        return contact.email_address(next((t.value for t in self.telecom if t.system == "email"), None))

    @model_validator(mode="after")
    def _reachable(self) -> PatientResourceIn:
        try:
            reachable = self.phone or self.email
        except ValueError as problem:
            raise ValueError(f"telecom: {problem}") from None
        if not reachable:
            raise ValueError(contact.REACHABLE_MESSAGE)
        return self


class BookIn(OperationIn):
    """$book: the ``appointment`` (held, proposed, or by slot) and the patient it is for: a
    ``patient`` resource (name, birthDate, telecom; an MRN identifier is matched first), or a
    patient on file by reference or identifier (``patient`` or ``patient-reference``: Patient/9,
    an Identifier, ``system|value``; or a Patient participant of the appointment)."""

    appointment: AppointmentIn = Field(validation_alias=AliasChoices(*APPOINTMENT_NAMES))
    patient: PatientResourceIn | None = Field(None, validation_alias=AliasChoices("patient", "patient-resource"))
    patient_reference: PatientRef | None = Field(None, validation_alias=AliasChoices("patient-reference"))

    @model_validator(mode="before")
    @classmethod
    def _reference_apart(cls, data: Any) -> Any:
        # ``patient`` given as a reference or identifier rather than a resource: read it as one.
        if isinstance(data, dict) and data.get("patient") is not None and not isinstance(data["patient"], dict):
            data = {k: v for k, v in data.items() if k != "patient"} | {
                "patient_reference": data.get("patient-reference") or data["patient"]
            }
        return data

    @model_validator(mode="after")
    def _readable(self) -> BookIn:
        # Read the properties once here, so a bad value is a 400 naming it rather than a surprise later.
        for attribute in ("service_type", "practitioner", "hold_token", "red_flags", "cause"):
            try:
                getattr(self.appointment, attribute)
            except ValueError as problem:
                raise ValueError(f"appointment: {problem}") from None
        if self.patient is None and self.patient_reference is None:
            named = self.appointment.patient_reference
            if named is None:
                raise ValueError(
                    "Give the patient: a Patient resource (name, birthDate, telecom), or a patient on file "
                    "(patient-reference: Patient/9, or an identifier)."
                )
            self.patient_reference = PatientRef.model_validate(named)
        return self
