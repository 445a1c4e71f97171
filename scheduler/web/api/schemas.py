"""Shapes of the public JSON API. The OpenAPI document is generated from these models, so what is
documented is what is enforced. Other software depends on them: add fields, never rename."""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime
from typing import Annotated
from typing import Literal

from pydantic import AfterValidator
from pydantic import BaseModel
from pydantic import BeforeValidator
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ValidationInfo
from pydantic import field_validator
from pydantic import model_validator

from scheduler.domain.catalog import UNSURE
from scheduler.domain.routing import CAUSES
from scheduler.domain.routing import RED_FLAGS
from scheduler.web import contact
from scheduler.web.sane_input import sane_day
from scheduler.web.sane_input import sane_moment

# Printable text only (no NUL or other control characters), with at least one visible character.
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
# Free text that may run over lines (tab, newline, carriage return), but holds no other control character.
NOTES_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
CODE_PATTERN = r"^[a-z][a-z0-9-]*$"

# What a person should do when a value misses one of the patterns above: pydantic's own message
# ("String should match pattern '^[^\x00-...'") tells them nothing. Read by scheduler.web.errors.
PATTERN_MESSAGES = {
    TEXT_PATTERN: "Use letters, numbers and punctuation only (no control characters), and not just spaces.",
    NOTES_PATTERN: "Use letters, numbers, punctuation and line breaks only (no other control characters).",
    CODE_PATTERN: "Use a code of lower-case letters, digits and hyphens, such as 'evaluation'.",
}

# The shapes JSON Schema's "date" and "date-time" (RFC 3339) formats allow. Pydantic alone is more
# lenient than the document: it reads "0" or "1900000000" as Unix time, so a birth date or a visit
# time could be invented from a number. ASCII digits only: \d would also match other scripts' digits.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NAIVE_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?")
_RFC3339_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,12}")
START_EXAMPLE = "2027-03-08T08:00:00-06:00"
# An appointment reference as issued (e.g. SIJ-7K3M-Q9TX), with room to spare.
REFERENCE_PATTERN = r"^[A-Za-z0-9-]+$"
# The largest request body the API reads. A full booking is well under 4 KB; without a cap, one
# request could make a worker hold any amount of memory.
MAX_BODY_BYTES = 64 * 1024


def _stripped(value: str) -> str:
    return value.strip()


def _date_text(value: object) -> object:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("Enter a date as YYYY-MM-DD.")
    return value


def _date_time_text(value: object) -> object:
    if isinstance(value, str) and _NAIVE_DATE_TIME.fullmatch(value):
        raise ValueError(f"Include the UTC offset, e.g. {START_EXAMPLE}.")
    if not isinstance(value, str) or not _RFC3339_DATE_TIME.fullmatch(value):
        raise ValueError(f"Enter the time as ISO-8601 with its UTC offset, e.g. {START_EXAMPLE}.")
    return value


def _whole_number_text(value: object) -> object:
    """Query strings are text: "14" is 14, but " 14", "14.0" or "1_4" are not what the document allows."""
    if isinstance(value, str) and not _WHOLE_NUMBER.fullmatch(value):
        raise ValueError("Enter a whole number.")
    return value


Name = Annotated[str, Field(min_length=1, max_length=100, pattern=TEXT_PATTERN), AfterValidator(_stripped)]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=CODE_PATTERN)]
# strict=False: the text has been checked above; strict mode would refuse the string the JSON holds.
# Years 1900-2200 only (sane_input): a year such as 9999 would overflow the arithmetic behind it.
IsoDate = Annotated[date, Field(strict=False), BeforeValidator(_date_text), AfterValidator(sane_day)]
Instant = Annotated[datetime, Field(strict=False), BeforeValidator(_date_time_text), AfterValidator(sane_moment)]
QueryInt = Annotated[int, BeforeValidator(_whole_number_text)]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class PatientIn(Strict):
    given_name: Name
    family_name: Name
    birth_date: IsoDate
    phone: Annotated[str, Field(max_length=30)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    sms_consent: bool = Field(False, description="The patient agreed to text messages; needs a phone number.")

    @field_validator("birth_date")
    @classmethod
    def _plausible_birth_date(cls, value: date) -> date:
        try:
            return contact.birth_date(value)
        except ValueError:
            raise ValueError(contact.BIRTH_DATE_MESSAGE[:-1] + ", as YYYY-MM-DD.") from None

    @field_validator("phone")
    @classmethod
    def _us_phone(cls, value: str | None) -> str | None:
        return contact.phone_e164(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return contact.email_address(value)

    @field_validator("sms_consent")
    @classmethod
    def _texted_country(cls, value: bool, info: ValidationInfo) -> bool:
        contact.sms_country(info.data.get("phone"), value)
        return value

    @model_validator(mode="after")
    def _reachable(self) -> PatientIn:
        if not self.phone and not self.email:
            raise ValueError(contact.REACHABLE_MESSAGE)
        if self.sms_consent and not self.phone:
            raise ValueError(contact.SMS_NEEDS_PHONE_MESSAGE)
        return self


class ReasonIn(Strict):
    requested: Code | None = Field(
        None, description=f"A visit type code, or '{UNSURE}'. Defaults to the visit type being booked."
    )
    cause: Literal[tuple(CAUSES)] = "unknown"  # type: ignore[valid-type]
    seen_before: bool = False
    referred: bool = False
    red_flags: Annotated[list[Literal[tuple(RED_FLAGS)]], Field(max_length=len(RED_FLAGS))] = []  # type: ignore[valid-type]


class AppointmentIn(Strict):
    visit_type: Code
    start: Instant = Field(description=f"ISO-8601 with its UTC offset, e.g. {START_EXAMPLE}.")
    provider_id: Annotated[int, Field(ge=1, le=2_147_483_647)] | None = None
    patient: PatientIn
    reason: ReasonIn = ReasonIn()


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday"]
PartOfDay = Literal["morning", "afternoon"]


class PreferencesIn(Strict):
    days: Annotated[list[Weekday], Field(max_length=5)] = []
    parts_of_day: Annotated[list[PartOfDay], Field(max_length=2)] = []
    notes: Annotated[str, Field(max_length=500, pattern=NOTES_PATTERN)] = ""


class RequestReasonIn(ReasonIn):
    """A request must say what it asks for; a booking's reason defaults to the visit being booked."""

    requested: Code = Field(description=f"A visit type code, or '{UNSURE}'.")


class RequestIn(Strict):
    patient: PatientIn
    reason: RequestReasonIn
    preferences: PreferencesIn = PreferencesIn()


class CancelIn(Strict):
    reason: Annotated[str, Field(max_length=500, pattern=NOTES_PATTERN)] = ""


class AvailabilityQuery(BaseModel):
    # Query strings are text: lax parsing turns "14" into 14.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    visit_type: Code
    from_: IsoDate = Field(alias="from")
    days: Annotated[QueryInt, Field(ge=1, le=62)] = 14
    provider: Annotated[QueryInt, Field(ge=1, le=2_147_483_647)] | None = None


class ReplacesIn(Strict):
    reference: Annotated[str, Field(min_length=1, max_length=40, pattern=REFERENCE_PATTERN)]
    manage_token: Annotated[str, Field(min_length=1, max_length=400, pattern=r"^[A-Za-z0-9._-]+$")] = Field(
        description="The visit's manage token, as returned when it was booked."
    )


class WaitlistIn(Strict):
    visit_type: Code
    patient: PatientIn | None = Field(
        None, description="Who is waiting. Leave out with 'replaces': the visit's patient waits."
    )
    provider_ids: Annotated[list[Annotated[int, Field(ge=1, le=2_147_483_647)]], Field(max_length=20)] = Field(
        [], description="Providers the patient accepts; empty: anyone who performs the visit."
    )
    earliest: IsoDate | None = Field(None, description="The first day that suits (Central date)")
    latest: IsoDate | None = Field(None, description="The last day that suits (Central date)")
    weekdays: Annotated[list[Weekday], Field(max_length=5)] = []
    parts_of_day: Annotated[list[PartOfDay], Field(max_length=2)] = []
    replaces: ReplacesIn | None = Field(
        None, description="A booked visit an earlier time would replace: a claim moves it, never books a second."
    )


# ----- responses -------------------------------------------------------------------------------


class SpecialtyOut(BaseModel):
    code: str
    name: str


class VisitTypeOut(BaseModel):
    code: str
    name: str
    specialty: SpecialtyOut
    minutes: int
    booking_mode: Literal["book", "request"]
    room_kind: str | None
    prep_notes: str


class VisitTypesOut(BaseModel):
    visit_types: list[VisitTypeOut]


class ProviderOut(BaseModel):
    id: int
    name: str
    kind: str = Field(description="The provider's profession, e.g. physiatrist, physical-therapist")
    kind_label: str = Field(description="The kind in words for people, e.g. 'Physical therapist'")


class ProviderListedOut(ProviderOut):
    specialty: SpecialtyOut
    visit_types: list[str] = Field(description="Codes of the visit types this provider performs")


class ProvidersOut(BaseModel):
    providers: list[ProviderListedOut]


class RoomOut(BaseModel):
    id: int
    name: str


class SlotOut(BaseModel):
    start: str = Field(description="ISO-8601 with the Central offset")
    end: str
    provider: ProviderOut
    room: RoomOut | None


class AvailabilityOut(BaseModel):
    timezone: Literal["America/Chicago"]
    visit_type: VisitTypeOut
    specialty: SpecialtyOut
    slots: list[SlotOut]


class AppointmentOut(BaseModel):
    reference: str
    status: str
    start: str
    end: str
    timezone: Literal["America/Chicago"]
    visit_type: VisitTypeOut
    provider: ProviderOut
    room: RoomOut | None
    location: str


class BookedOut(AppointmentOut):
    manage_token: str = Field(description="Send as 'Authorization: Bearer <token>' to view or cancel.")


class RoutedTo(BaseModel):
    specialty: SpecialtyOut
    visit_type: str
    rule: str
    reason: str
    urgent: bool
    preferred_provider_id: int | None = None


class RequestOut(BaseModel):
    reference: str
    status: str
    routed_to: RoutedTo
    call_now: str | None = Field(None, description="Present on urgent routes: what to do now")
    call_back_by: str | None = Field(
        None, description="Urgent routes: when the clinic will have called the patient back (ISO-8601, Central offset)"
    )


class ErrorOut(BaseModel):
    error: str
    message: str
    fields: dict[str, str] | None = None
    next_open: str | None = None
    routed_to: RoutedTo | None = None


class OfferSeenOut(BaseModel):
    start: str
    end: str
    provider_id: int
    expires_at: str
    outcome: Literal["offered", "claimed", "taken", "expired"]


class WaitlistOut(BaseModel):
    reference: str
    status: Literal["waiting", "booked", "left", "expired"]
    visit_type: str
    provider_ids: list[int]
    earliest: str | None
    latest: str | None
    weekdays: list[Weekday]
    parts_of_day: list[PartOfDay]
    replaces: str | None = Field(description="The reference of the visit an earlier time would replace")
    priority: Literal["urgent", "routine"]
    created_at: str
    expires_at: str = Field(description="When the entry ends unless renewed (ISO-8601, Central offset)")
    offers: list[OfferSeenOut]


class WaitlistJoinedOut(WaitlistOut):
    manage_token: str = Field(description="Send as 'Authorization: Bearer <token>' to view or leave the waitlist.")


class HealthOut(BaseModel):
    status: str
    checks: dict[str, str] | None = None
