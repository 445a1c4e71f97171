"""Tables, and their conversion to domain values. No business rules live here.

Every instant is stored in UTC as ``timestamp with time zone`` (PostgreSQL) or as UTC text
(SQLite); :class:`UTCDateTime` makes both hand back aware UTC datetimes and refuses naive ones.
"""

from __future__ import annotations

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from enum import StrEnum
from typing import Any
from typing import TypeVar

from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import CheckConstraint
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import Time
from sqlalchemy import UniqueConstraint
from sqlalchemy import func
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import declared_attr
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship
from sqlalchemy.types import TypeDecorator

from scheduler.domain import catalog
from scheduler.domain import hours
from scheduler.domain import routing
from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.bookings import RequestStatus
from scheduler.domain.clock import utc_now
from scheduler.domain.messages import OutboxStatus
from scheduler.domain.staff import StaffRole
from scheduler.domain.waitlist import EntryStatus
from scheduler.domain.waitlist import FreedCause
from scheduler.domain.waitlist import OfferStatus
from scheduler.domain.waitlist import Priority
from scheduler.domain.waitlist import RecipientOutcome
from scheduler.store.engine import Model


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # SQLite stores text: keep one fixed format (no offset) so comparisons sort correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E]):
    """A column of one of the domain's string enums (statuses, roles), stored as its text: rows
    read back as members, and a value that is no member is refused before it reaches SQL."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> E | None:
        return None if value is None else self.enum(value)


def sql_list(enum: type[StrEnum]) -> str:
    """The members' text as an SQL list, for CHECK constraints: ``('queued', 'sending', ...)``."""
    return "(" + ", ".join(f"'{member.value}'" for member in enum) + ")"


class Specialty(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)

    def to_domain(self) -> catalog.Specialty:
        return catalog.Specialty(self.code, self.name)


class Provider(Model):
    __table_args__ = (CheckConstraint("urgent_release_hours BETWEEN 0 AND 168", name="urgent_release_hours_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A catalog.ProviderKind value; the words for it are the domain's (catalog.kind_label).
    kind: Mapped[str] = mapped_column(String(40), server_default=catalog.ProviderKind.PHYSICIAN.value)
    urgent_release_hours: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    npi: Mapped[str | None] = mapped_column(String(10))  # National Provider Identifier, when recorded

    specialty: Mapped[Specialty] = relationship(lazy="joined")
    hours: Mapped[list[ProviderHours]] = relationship(
        cascade="all, delete-orphan", order_by="(ProviderHours.weekday, ProviderHours.starts)"
    )
    # The visit types this provider performs: the only ones any entry point offers them for.
    visit_types: Mapped[list[VisitType]] = relationship(secondary="provider_visit_type", order_by="VisitType.position")
    urgent_blocks: Mapped[list[UrgentBlock]] = relationship(
        cascade="all, delete-orphan", order_by="(UrgentBlock.weekday, UrgentBlock.starts)"
    )

    def to_domain(self, time_off: list[TimeOff] | None = None) -> catalog.Provider:
        return catalog.Provider(
            id=self.id,
            name=self.name,
            specialty=self.specialty.code,
            pattern=tuple(
                catalog.WorkBlock(h.weekday, h.starts, h.ends) for h in self.hours if h.effective_from is None
            ),
            time_off=tuple(catalog.TimeOff(t.starts_at, t.ends_at) for t in time_off or ()),
            kind=self.kind,
            performs=frozenset(v.code for v in self.visit_types),
            urgent_blocks=tuple(catalog.WorkBlock(b.weekday, b.starts, b.ends) for b in self.urgent_blocks),
            urgent_release=timedelta(hours=self.urgent_release_hours),
            later_patterns=tuple(
                catalog.PatternChange(day, tuple(catalog.WorkBlock(h.weekday, h.starts, h.ends) for h in blocks))
                for day, blocks in self.pattern_changes()
            ),
        )

    def pattern_changes(self) -> list[tuple[date, list[ProviderHours]]]:
        """The hours that take effect on a later date, by that date (earliest first)."""
        changes: dict[date, list[ProviderHours]] = {}
        for h in self.hours:
            if h.effective_from is not None:
                changes.setdefault(h.effective_from, []).append(h)
        return sorted(changes.items())


class _WeeklyBlock:
    """A provider's block of a weekday, in Central wall-clock time (Monday=0): the columns and
    checks their working hours and their urgent-only times share."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[CheckConstraint, ...]:
        # One set of constraint objects per table: a constraint belongs to a single table.
        return (
            CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
            CheckConstraint("starts < ends", name="starts_before_ends"),
        )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)


class UrgentBlock(_WeeklyBlock, Model):
    """A weekly block a physician keeps for urgent patients."""

    __tablename__ = "urgent_block"


class ProviderVisitType(Model):
    """That a provider performs a visit type (DOMAIN.md, "Who does what")."""

    __tablename__ = "provider_visit_type"

    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), primary_key=True)
    visit_type_id: Mapped[int] = mapped_column(
        ForeignKey("visit_type.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ProviderHours(_WeeklyBlock, Model):
    """One weekly block a provider works."""

    __tablename__ = "provider_hours"

    # None: the pattern in effect now; a date: part of a new pattern that takes over that day.
    effective_from: Mapped[date | None] = mapped_column(Date)


class TimeOff(Model):
    __tablename__ = "time_off"
    __table_args__ = (CheckConstraint("starts_at < ends_at", name="starts_before_ends"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(200), default="")


class Room(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def to_domain(self) -> catalog.Room:
        return catalog.Room(self.id, self.name, self.kind)


class VisitType(Model):
    __tablename__ = "visit_type"
    __table_args__ = (
        CheckConstraint("minutes > 0 AND (minutes / 15) * 15 = minutes", name="minutes_on_grid"),
        CheckConstraint("booking_mode IN ('book', 'request')", name="booking_mode_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id"))
    minutes: Mapped[int] = mapped_column(Integer)
    room_kind: Mapped[str | None] = mapped_column(String(40))
    booking_mode: Mapped[str] = mapped_column(String(10))
    prep_notes: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The waitlist's rules (catalog.VisitType): minimum notice of an offer (NULL: the clinic's
    # MIN_NOTICE_MINUTES), how many waiting patients an offer goes to, how long it is held.
    waitlist_notice_minutes: Mapped[int | None] = mapped_column(Integer)
    waitlist_batch_size: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    waitlist_hold_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")

    specialty: Mapped[Specialty] = relationship(lazy="joined")

    def to_domain(self) -> catalog.VisitType:
        plain_name, hint = catalog.default_words(self.code)  # no column for them yet
        return catalog.VisitType(
            code=self.code,
            name=self.name,
            specialty=self.specialty.code,
            minutes=self.minutes,
            mode=catalog.BookingMode(self.booking_mode),
            room_kind=self.room_kind,
            prep_notes=self.prep_notes,
            waitlist_notice=None
            if self.waitlist_notice_minutes is None
            else timedelta(minutes=self.waitlist_notice_minutes),
            waitlist_batch=self.waitlist_batch_size,
            waitlist_hold_minutes=self.waitlist_hold_minutes,
            plain_name=plain_name,
            hint=hint,
        )


class Closure(Model):
    """A whole or part day the clinic is closed; ``starts``/``ends`` are Central wall-clock times."""

    __table_args__ = (UniqueConstraint("day", "starts", "name", name="uq_closure_day_starts_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    starts: Mapped[time | None] = mapped_column(Time)
    ends: Mapped[time | None] = mapped_column(Time)
    name: Mapped[str] = mapped_column(String(120))
    # "holiday" rows are generated from the default holiday list; "admin" rows are entered by staff.
    source: Mapped[str] = mapped_column(String(20), default="admin")

    def to_domain(self) -> hours.Closure:
        return hours.Closure(self.day, self.name, self.starts, self.ends)


class RoutingRule(Model):
    __tablename__ = "routing_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    route_to: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(300))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    def to_domain(self) -> routing.RoutingRule:
        return routing.RoutingRule(
            name=self.name,
            route_to=self.route_to,
            reason=self.reason,
            conditions=tuple(routing.Condition(**c) for c in self.conditions),
            urgent=self.urgent,
            enabled=self.enabled,
        )


class Patient(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date, index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164
    email: Mapped[str | None] = mapped_column(String(254), index=True)  # normalized
    # The medical record number integrations know them by (system: PATIENT_MRN_SYSTEM).
    mrn: Mapped[str | None] = mapped_column(String(64), unique=True)
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    # What helps the clinic talk to them, when recorded on their record by staff (empty: nothing).
    interpreter_language: Mapped[str] = mapped_column(String(60), default="", server_default="")
    access_needs: Mapped[str] = mapped_column(String(300), default="", server_default="")


class VisitRequest(Model):
    """A request to the clinic that a scheduler will place (request-type visits)."""

    __tablename__ = "visit_request"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_list(RequestStatus)}", name="status_known"),
        Index("ix_visit_request_queue", "routed_specialty_id", "status", "urgent", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    requested: Mapped[str] = mapped_column(String(40))
    intake: Mapped[dict[str, Any]] = mapped_column(JSON)
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    routed_visit_type_id: Mapped[int] = mapped_column(ForeignKey("visit_type.id"))
    routed_specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id"))
    preferred_provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    routing_rule: Mapped[str] = mapped_column(String(80))
    routing_reason: Mapped[str] = mapped_column(String(300))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # An urgent request's target for calling the patient back (see domain.urgent).
    call_back_by: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[RequestStatus] = mapped_column(EnumText(RequestStatus, 12), default=RequestStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    # Part of every request-page token (as an appointment's manage_nonce); None for requests made
    # before request pages, whose links are signed with an empty nonce.
    manage_nonce: Mapped[str | None] = mapped_column(String(32))
    # A staff_visits.DECLINE_REASONS key, set when a scheduler declines the request.
    decline_reason: Mapped[str | None] = mapped_column(String(40))

    patient: Mapped[Patient] = relationship()
    routed_visit_type: Mapped[VisitType] = relationship(lazy="joined")
    routed_specialty: Mapped[Specialty] = relationship(lazy="joined")


class Appointment(Model):
    __table_args__ = (
        CheckConstraint(f"status IN {sql_list(AppointmentStatus)}", name="status_known"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        Index("ix_appointment_provider_starts", "provider_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    visit_type_id: Mapped[int] = mapped_column(ForeignKey("visit_type.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("visit_request.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[AppointmentStatus] = mapped_column(EnumText(AppointmentStatus, 20), default=AppointmentStatus.BOOKED)
    channel: Mapped[str] = mapped_column(String(10))
    # Counts changes of time or status: the iCalendar SEQUENCE and the version of its messages.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Part of every manage token: changing it revokes the links already sent.
    manage_nonce: Mapped[str] = mapped_column(String(32))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, onupdate=utc_now)
    # What the patient answered when booking (cause, red flags, referral), as JSON text; None for
    # visits placed without questions. ``urgent``: their answers needed an urgent visit.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    intake: Mapped[str | None] = mapped_column(Text)
    # Kept where it is by a person's decision although a schedule change left it outside its
    # provider's hours or on a closure: shown flagged, and not listed as needing attention.
    kept_outside_hours: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    @property
    def answers(self) -> routing.Intake | None:
        """The intake answers the visit was booked with (see store.bookings.intake_text)."""
        return None if self.intake is None else routing.Intake.from_dict(json.loads(self.intake))

    patient: Mapped[Patient] = relationship()
    visit_type: Mapped[VisitType] = relationship(lazy="joined")
    provider: Mapped[Provider] = relationship(lazy="joined")
    room: Mapped[Room | None] = relationship(lazy="joined")
    reservations: Mapped[list[Reservation]] = relationship(back_populates="appointment", cascade="all, delete-orphan")


class Hold(Model):
    """A time kept for someone while they finish booking it (the public form, a FHIR $hold).

    Its reservation rows (provider, room) take the time exactly as a booked visit's do, so nobody
    else can book it; they go with the hold when it is used, released or expires. ``token`` is
    the holder's secret: only its bearer can book or release the hold.
    """

    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        Index("ix_hold_client_key_expires_at", "client_key", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    visit_type_id: Mapped[int] = mapped_column(ForeignKey("visit_type.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    # Who asked, for the limit on live holds per client: a hash of the client (a patient's address,
    # an integration's id), never the address itself. NULL: not limited.
    client_key: Mapped[str | None] = mapped_column(String(64))

    visit_type: Mapped[VisitType] = relationship(lazy="joined")
    provider: Mapped[Provider] = relationship(lazy="joined")
    room: Mapped[Room | None] = relationship(lazy="joined")


class HoldHistory(Model):
    """A time a client has held, kept after its hold is gone (used, replaced or expired), so that
    holding the same time again does not renew it: a client holds one time for HOLD_MINUTES in
    all, counted from ``first_held_at``. The row is forgotten at ``forget_at``."""

    __tablename__ = "hold_history"
    __table_args__ = (UniqueConstraint("client_key", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_key: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_held_at: Mapped[datetime] = mapped_column(UTCDateTime())
    forget_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Reservation(Model):
    """One row per (appointment or hold, resource): the provider, the room and the patient.

    The database refuses two active rows of one resource whose times overlap: on PostgreSQL by an
    exclusion constraint; on SQLite, where writers are serialised by ``BEGIN IMMEDIATE``, by the
    overlap check the booking service runs inside that transaction.
    """

    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        CheckConstraint("(appointment_id IS NULL) <> (hold_id IS NULL)", name="for_one_thing"),
        Index("ix_reservation_resource_starts", "resource", "starts_at"),
        ExcludeConstraint(
            ("resource", "="),
            (func.tstzrange(text("starts_at"), text("ends_at")), "&&"),
            where=text("active"),
            using="gist",
            name="ex_reservation_no_overlap",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), index=True)
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("hold.id", ondelete="CASCADE"), index=True)
    resource: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    appointment: Mapped[Appointment | None] = relationship(back_populates="reservations")


class Revision(Model):
    """Counters the database bumps (by trigger) in the same transaction as any change to bookings
    ("bookings") or to what the clinic offers ("catalog"). Caches are keyed by them."""

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


# An outbox row is about exactly one thing: an appointment, a request or a waitlist entry.
ABOUT_ONE_THING = (
    "(CASE WHEN appointment_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN request_id IS NULL THEN 0 ELSE 1 END) "
    "+ (CASE WHEN waitlist_entry_id IS NULL THEN 0 ELSE 1 END) = 1"
)


class OutboxMessage(Model):
    """A message to deliver, written in the same transaction as the change that causes it.

    It names what it is about, never the patient's details: the text is built at delivery from
    the current records. ``dedupe_key`` (subject, kind, channel, version) makes queueing the same
    message twice impossible.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_list(OutboxStatus)}", name="status_known"),
        CheckConstraint(ABOUT_ONE_THING, name="about_one_thing"),
        # What a delivery worker scans: only queued rows, in send order.
        Index(
            "ix_outbox_message_due",
            "send_after",
            postgresql_where=text(f"status = '{OutboxStatus.QUEUED.value}'"),
            sqlite_where=text(f"status = '{OutboxStatus.QUEUED.value}'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("visit_request.id"), index=True)
    # A waitlist message is about an entry (its patient), and an offer's about that offer too.
    waitlist_entry_id: Mapped[int | None] = mapped_column(ForeignKey("waitlist_entry.id"), index=True)
    waitlist_offer_id: Mapped[int | None] = mapped_column(ForeignKey("waitlist_offer.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[OutboxStatus] = mapped_column(EnumText(OutboxStatus, 12), default=OutboxStatus.QUEUED)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class StaffAccount(Model):
    """A person who signs in to the staff pages. ``username`` is stored in lower case, so it is
    unique regardless of case; ``session_version`` is part of every session, so bumping it ends
    them all (sign-out, a password change)."""

    __tablename__ = "staff_account"
    __table_args__ = (
        CheckConstraint(f"role IN {sql_list(StaffRole)}", name="role_known"),
        CheckConstraint("username = lower(username)", name="username_lower_case"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[StaffRole] = mapped_column(EnumText(StaffRole, 20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    session_version: Mapped[int] = mapped_column(Integer, default=1)


AUDIT_ACTOR_KINDS = "('staff', 'patient', 'system', 'api')"
AUDIT_CHANNELS = "('web', 'phone', 'api', 'system')"


class AuditEvent(Model):
    """Who did or saw what, when: append-only (database triggers refuse UPDATE and DELETE).

    No foreign keys on purpose: the trail must outlive the rows it names. ``detail`` is a short
    note without PHI; ``patient_id`` is there so every event about one patient can be found.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint(f"actor_kind IN {AUDIT_ACTOR_KINDS}", name="actor_kind_known"),
        CheckConstraint(f"channel IN {AUDIT_CHANNELS}", name="channel_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, index=True)
    actor_kind: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(60))
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(64))
    patient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    channel: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(String(200), default="")


API_SCOPES = "('read', 'book', 'read book')"


class ApiClient(Model):
    """Software that calls the FHIR API (an EHR, a portal, a call centre) with a bearer token.

    Only a SHA-256 of the token is kept: the token itself is shown once, when the client is made,
    so a copy of the database opens nothing. ``scopes`` is "read", "book" or "read book"
    (space-separated, that order); "book" also allows reading. Revoking sets ``active`` off and
    ``revoked_at``; the row stays, so the audit trail's actor ids keep their meaning.
    """

    __tablename__ = "api_client"
    __table_args__ = (CheckConstraint(f"scopes IN {API_SCOPES}", name="scopes_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who made it (None when made from the command line, where nobody is signed in).
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    # When its token was last used (None: never), to the minute: services.integrations writes it
    # at most once a minute. The only column whose change does not bump the "api_clients"
    # revision (migration 0019: a new column deciding what a token opens must be added there).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


FEED_SCOPES = "('provider', 'specialty')"


class CalendarFeed(Model):
    """A staff member's secret iCalendar subscription URL for one provider's or one specialty's
    visits. Only a SHA-256 of the URL's token is kept (the URL is shown once); revoking sets
    ``revoked_at`` and the URL stops working at once."""

    __tablename__ = "calendar_feed"
    __table_args__ = (
        CheckConstraint(f"scope IN {FEED_SCOPES}", name="scope_known"),
        CheckConstraint(
            "(scope = 'provider' AND provider_id IS NOT NULL AND specialty_id IS NULL) OR "
            "(scope = 'specialty' AND specialty_id IS NOT NULL AND provider_id IS NULL)",
            name="scope_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(12))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialty.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the feed was last fetched (None: never), to the minute (written at most once a minute).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ClinicDetails(Model):
    """The clinic's own details as patients are told them (domain.clinic_details): one row, id 1.
    ``phone`` empty means the configured CLINIC_PHONE. A catalog table: triggers bump the catalog
    revision when it changes (migration 0009)."""

    __tablename__ = "clinic_details"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address_line1: Mapped[str] = mapped_column(String(120))
    address_line2: Mapped[str] = mapped_column(String(120), default="")
    city: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(40), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    building: Mapped[str] = mapped_column(String(500), default="")
    parking: Mapped[str] = mapped_column(String(500), default="")
    map_url: Mapped[str] = mapped_column(String(500), default="")
    after_hours: Mapped[str] = mapped_column(String(1000), default="")
    nurse_line: Mapped[str] = mapped_column(String(30), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")


class SignInGuard(Model):
    """One client's run of wrong passwords for one account: the lockout's inputs (domain.staff).

    Counted per account *and* client (``domain.client_address.client_key``), so that a stranger guessing
    from elsewhere cannot make the account wait for its owner. A try is counted before its
    password is checked, under this row's lock, so parallel tries cannot all be checked."""

    __tablename__ = "sign_in_guard"

    account_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id", ondelete="CASCADE"), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RefusalTally(Model):
    """Refusals of callers nobody has identified (a FHIR call without a valid token, a failed
    staff sign-in), counted per action, client, subject and UTC minute instead of one audit row
    each: the first of a minute also writes an audit row, the rest only count here. ``subject``
    is what was refused ("staff_account:12"), empty when nothing known was."""

    __tablename__ = "refusal_tally"
    __table_args__ = (UniqueConstraint("minute", "client", "action", "subject"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    minute: Mapped[datetime] = mapped_column(UTCDateTime())
    client: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(64), default="")
    count: Mapped[int] = mapped_column(Integer, default=1)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IdempotencyRecord(Model):
    """The first answer to a booking sent with an ``Idempotency-Key``, so that a retry with the
    same key gets it again instead of a 409. ``key_hash``: SHA-256 of the client and the key
    together; ``request_hash``: of the body, so the same key with another body is refused. The
    answer holds the manage token: kept 24 hours (then deleted), never logged. Written in the
    booking's own transaction: a booking never exists without its record, nor a record without it."""

    __tablename__ = "idempotency_record"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# ----- the waitlist (domain.waitlist) ------------------------------------------------------------------


class WaitlistEntry(Model):
    """A patient waiting for a time of a visit type. ``provider_ids`` (JSON list; empty: anyone
    capable), ``weekdays`` (Monday=0) and ``parts_of_day`` are the patient's windows with
    ``earliest``/``latest`` (Central dates). ``replaces_appointment_id``: their booked visit a
    claim moves, never duplicates. ``version`` counts renewals (the expiring notice's version)."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_list(EntryStatus)}", name="status_known"),
        CheckConstraint(f"priority IN {sql_list(Priority)}", name="priority_known"),
        CheckConstraint("earliest IS NULL OR latest IS NULL OR earliest <= latest", name="earliest_before_latest"),
        Index("ix_waitlist_entry_waiting", "visit_type_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    visit_type_id: Mapped[int] = mapped_column(ForeignKey("visit_type.id"))
    provider_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    earliest: Mapped[date | None] = mapped_column(Date)
    latest: Mapped[date | None] = mapped_column(Date)
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)
    parts_of_day: Mapped[list[str]] = mapped_column(JSON, default=list)
    replaces_appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    priority: Mapped[Priority] = mapped_column(EnumText(Priority, 10), default=Priority.ROUTINE)
    status: Mapped[EntryStatus] = mapped_column(EnumText(EntryStatus, 10), default=EntryStatus.WAITING)
    channel: Mapped[str] = mapped_column(String(10))
    manage_nonce: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    patient: Mapped[Patient] = relationship()
    visit_type: Mapped[VisitType] = relationship(lazy="joined")
    replaces: Mapped[Appointment | None] = relationship()


class FreedTimeRow(Model):
    """A time that became free (a cancellation, a move, an expired hold or offer), recorded in the
    same transaction as the change; the worker offers it to the waitlist and sets ``handled_at``."""

    __tablename__ = "freed_time"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        CheckConstraint(f"cause IN {sql_list(FreedCause)}", name="cause_known"),
        Index(
            "ix_freed_time_unhandled",
            "created_at",
            postgresql_where=text("handled_at IS NULL"),
            sqlite_where=text("handled_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_type_id: Mapped[int] = mapped_column(ForeignKey("visit_type.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cause: Mapped[FreedCause] = mapped_column(EnumText(FreedCause, 20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WaitlistOffer(Model):
    """One freed time offered to a batch of entries, held for them by ``hold_id`` (a hold like any
    other: its reservations take the time under the same database guarantee) until ``expires_at``.
    The first claimant books; ``appointment_id`` is their visit."""

    __tablename__ = "waitlist_offer"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        CheckConstraint(f"status IN {sql_list(OfferStatus)}", name="status_known"),
        Index("ix_waitlist_offer_open", "status", "expires_at"),
        Index("ix_waitlist_offer_time", "provider_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_type_id: Mapped[int] = mapped_column(ForeignKey("visit_type.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("hold.id", ondelete="SET NULL"))
    status: Mapped[OfferStatus] = mapped_column(EnumText(OfferStatus, 10), default=OfferStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_entry_id: Mapped[int | None] = mapped_column(ForeignKey("waitlist_entry.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WaitlistRecipient(Model):
    """One entry of an offer's batch, with its claim token: only a SHA-256 of the token is kept
    (the token itself is an HMAC of ``nonce`` under the app's secret key, made again when the
    message is written, so a copy of the database claims nothing)."""

    __tablename__ = "waitlist_recipient"
    __table_args__ = (
        UniqueConstraint("offer_id", "entry_id"),
        CheckConstraint(f"outcome IN {sql_list(RecipientOutcome)}", name="outcome_known"),
        Index("ix_waitlist_recipient_patient_offered", "patient_id", "offered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("waitlist_offer.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entry.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    nonce: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    outcome: Mapped[RecipientOutcome] = mapped_column(EnumText(RecipientOutcome, 10), default=RecipientOutcome.OFFERED)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime())
