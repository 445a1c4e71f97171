"""What the clinic offers: specialties, providers and their weekly patterns, rooms, visit types.

The ``DEFAULT_*`` tables are the clinic's defaults from DOMAIN.md. They are seeded into the
database once; after that the database is the truth and admins change them as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import time
from enum import StrEnum


class BookingMode(StrEnum):
    BOOK = "book"  # the patient picks a free time and is confirmed at once
    REQUEST = "request"  # the patient states preferences; a scheduler places the visit


class RoomKind(StrEnum):
    FLUOROSCOPY = "fluoroscopy"
    XRAY = "xray"
    CT = "ct"


@dataclass(frozen=True)
class Specialty:
    code: str
    name: str


@dataclass(frozen=True)
class WorkBlock:
    """One weekly block a provider works, in Central wall-clock time (Monday=0)."""

    weekday: int
    starts: time
    ends: time


@dataclass(frozen=True)
class TimeOff:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Provider:
    id: int
    name: str
    specialty: str
    pattern: tuple[WorkBlock, ...]
    time_off: tuple[TimeOff, ...] = ()

    def blocks_on(self, weekday: int) -> list[WorkBlock]:
        return [b for b in self.pattern if b.weekday == weekday]


@dataclass(frozen=True)
class Room:
    id: int
    name: str
    kind: str


@dataclass(frozen=True)
class VisitType:
    code: str
    name: str
    specialty: str
    minutes: int
    mode: BookingMode
    room_kind: str | None = None
    prep_notes: str = ""


UNSURE = "unsure"  # "Not sure, I have SI joint pain": a valid answer to "what are you asking for"

DEFAULT_SPECIALTIES: tuple[Specialty, ...] = (
    Specialty("pmr", "Physical Medicine & Rehabilitation"),
    Specialty("radiology-pain", "Radiology & Pain Medicine"),
    Specialty("ortho", "Orthopedic Surgery"),
    Specialty("endo", "Endocrinology"),
)

DEFAULT_VISIT_TYPES: tuple[VisitType, ...] = (
    VisitType(
        "evaluation",
        "Comprehensive SI joint evaluation",
        "pmr",
        60,
        BookingMode.BOOK,
        prep_notes="Bring a list of your medicines and any imaging or reports from other clinics. "
        "Wear comfortable clothes you can move in. Arrive 15 minutes early to check in.",
    ),
    VisitType(
        "therapy",
        "Physical or occupational therapy session",
        "pmr",
        45,
        BookingMode.BOOK,
        prep_notes="Wear loose, comfortable clothes and supportive shoes. "
        "Bring your home exercise sheet if you have one.",
    ),
    VisitType(
        "xray",
        "SI joint X-ray series (instability views)",
        "radiology-pain",
        30,
        BookingMode.REQUEST,
        room_kind=RoomKind.XRAY,
        prep_notes="Leave jewellery at home. Tell the technologist if you might be pregnant.",
    ),
    VisitType(
        "ct",
        "CT with SI joint reconstructions",
        "radiology-pain",
        30,
        BookingMode.REQUEST,
        room_kind=RoomKind.CT,
        prep_notes="Tell us if you might be pregnant. Arrive 15 minutes early to check in.",
    ),
    VisitType(
        "injection",
        "Fluoroscopy-guided SI joint injection",
        "radiology-pain",
        45,
        BookingMode.REQUEST,
        room_kind=RoomKind.FLUOROSCOPY,
        prep_notes="Bring a driver: you may not drive for the rest of the day. Tell us if you take "
        "blood thinners, and ask the doctor who prescribed them before stopping any. "
        "Arrive 30 minutes early.",
    ),
    VisitType(
        "neurotomy",
        "Radiofrequency neurotomy",
        "radiology-pain",
        90,
        BookingMode.REQUEST,
        room_kind=RoomKind.FLUOROSCOPY,
        prep_notes="Bring a driver. Tell us if you take blood thinners or have a pacemaker or other "
        "implanted device. Do not eat for 6 hours before. Arrive 30 minutes early.",
    ),
    VisitType(
        "surgical-consult",
        "Fusion surgery consultation",
        "ortho",
        45,
        BookingMode.REQUEST,
        prep_notes="Bring your imaging (X-ray, CT or MRI) on disc or the reports, and a list of the "
        "treatments you have tried.",
    ),
    VisitType(
        "bone-health",
        "Bone-healing medication consult",
        "endo",
        30,
        BookingMode.REQUEST,
        prep_notes="Bring a list of your medicines and any recent bone density or blood test results.",
    ),
    VisitType(
        "follow-up",
        "Follow-up visit",
        "pmr",
        30,
        BookingMode.BOOK,
        prep_notes="Bring any new reports and a list of questions. Arrive 10 minutes early.",
    ),
)

# Imaging a referring physician may order directly: a new patient asking for these is not sent
# to an evaluation first (routing rule 2).
IMAGING_VISIT_TYPES: frozenset[str] = frozenset({"xray", "ct"})
