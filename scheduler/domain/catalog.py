"""What the clinic offers: specialties, providers and their weekly patterns, rooms, visit types.

The ``DEFAULT_*`` tables are the clinic's defaults from DOMAIN.md. They are seeded into the
database once; after that the database is the truth and admins change them as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from enum import StrEnum


class BookingMode(StrEnum):
    BOOK = "book"  # the patient picks a free time and is confirmed at once
    REQUEST = "request"  # the patient states preferences; a scheduler places the visit


class ProviderKind(StrEnum):
    """A provider's profession: what patients and staff are told they will see, and (through the
    kind's defaults) which visit types a new provider of that kind performs."""

    PHYSIATRIST = "physiatrist"
    PAIN_PHYSICIAN = "pain-physician"
    SPINE_SURGEON = "spine-surgeon"
    ENDOCRINOLOGIST = "endocrinologist"
    PHYSICAL_THERAPIST = "physical-therapist"
    OCCUPATIONAL_THERAPIST = "occupational-therapist"
    IMAGING_TECHNOLOGIST = "imaging-technologist"
    PHYSICIAN = "physician"  # of a specialty the clinic added itself

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @property
    def is_physician(self) -> bool:
        return self in PHYSICIAN_KINDS


_KIND_LABELS = {
    ProviderKind.PHYSIATRIST: "Physiatrist",
    ProviderKind.PAIN_PHYSICIAN: "Interventional pain physician",
    ProviderKind.SPINE_SURGEON: "Orthopedic spine surgeon",
    ProviderKind.ENDOCRINOLOGIST: "Endocrinologist",
    ProviderKind.PHYSICAL_THERAPIST: "Physical therapist",
    ProviderKind.OCCUPATIONAL_THERAPIST: "Occupational therapist",
    ProviderKind.IMAGING_TECHNOLOGIST: "Imaging technologist",
    ProviderKind.PHYSICIAN: "Physician",
}

PHYSICIAN_KINDS = frozenset(
    {
        ProviderKind.PHYSIATRIST,
        ProviderKind.PAIN_PHYSICIAN,
        ProviderKind.SPINE_SURGEON,
        ProviderKind.ENDOCRINOLOGIST,
        ProviderKind.PHYSICIAN,
    }
)

# The visit types a provider of each kind performs unless an admin says otherwise (DOMAIN.md,
# "Who does what"). A provider's own set is data, seeded from this when the provider is added.
DEFAULT_PERFORMS: dict[ProviderKind, frozenset[str]] = {
    ProviderKind.PHYSIATRIST: frozenset({"evaluation", "follow-up"}),
    ProviderKind.PAIN_PHYSICIAN: frozenset({"injection", "neurotomy", "follow-up"}),
    ProviderKind.SPINE_SURGEON: frozenset({"surgical-consult", "follow-up"}),
    ProviderKind.ENDOCRINOLOGIST: frozenset({"bone-health", "follow-up"}),
    ProviderKind.PHYSICAL_THERAPIST: frozenset({"therapy"}),
    ProviderKind.OCCUPATIONAL_THERAPIST: frozenset({"therapy"}),
    ProviderKind.IMAGING_TECHNOLOGIST: frozenset({"xray", "ct"}),
    ProviderKind.PHYSICIAN: frozenset({"follow-up"}),
}

# The physician kind of each default specialty: what a provider added without a kind is taken to be
# (ProviderKind.PHYSICIAN in any other specialty).
DEFAULT_KIND_OF_SPECIALTY: dict[str, ProviderKind] = {
    "pmr": ProviderKind.PHYSIATRIST,
    "radiology-pain": ProviderKind.PAIN_PHYSICIAN,
    "ortho": ProviderKind.SPINE_SURGEON,
    "endo": ProviderKind.ENDOCRINOLOGIST,
}


FOLLOW_UP = "follow-up"  # the one visit type every specialty's physicians perform (routing rule 6)


def performable_in(visit_type: VisitType, specialty: str) -> bool:
    """Whether a provider of ``specialty`` can be offered for ``visit_type`` at all: its own
    specialty's visit types, and follow-ups (which go to the team of the last visit)."""
    return visit_type.specialty == specialty or visit_type.code == FOLLOW_UP


def with_kind(name: str, kind: str) -> str:
    """ "Grace Thorsen, PT (physical therapist)": who a patient will see, in running text."""
    label = kind_label(kind)
    return f"{name} ({label[:1].lower()}{label[1:]})" if label else name


def kind_label(kind: str) -> str:
    """The kind's words for people; an unknown kind (written by hand into the database) as itself."""
    try:
        return ProviderKind(kind).label
    except ValueError:
        return kind


class RoomKind(StrEnum):
    FLUOROSCOPY = "fluoroscopy"
    XRAY = "xray"
    CT = "ct"


ROOM_KIND_LABELS = {RoomKind.FLUOROSCOPY: "Fluoroscopy", RoomKind.XRAY: "X-ray", RoomKind.CT: "CT"}


def room_kind_label(kind: str) -> str:
    """A room's kind in words ("X-ray"); an unknown kind as itself."""
    try:
        return ROOM_KIND_LABELS[RoomKind(kind)]
    except ValueError:
        return kind


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
class PatternChange:
    """A new weekly pattern a provider works from ``effective_from`` on (until a later change)."""

    effective_from: date
    blocks: tuple[WorkBlock, ...]


@dataclass(frozen=True)
class Provider:
    id: int
    name: str
    specialty: str
    pattern: tuple[WorkBlock, ...]
    time_off: tuple[TimeOff, ...] = ()
    kind: str = ProviderKind.PHYSIATRIST
    performs: frozenset[str] = frozenset()  # visit type codes
    # Weekly blocks kept for urgent patients (physicians only), released to everyone this long
    # before they start (see domain.urgent).
    urgent_blocks: tuple[WorkBlock, ...] = ()
    urgent_release: timedelta = timedelta(hours=24)
    # Patterns that take over from ``pattern`` on a later date, earliest first.
    later_patterns: tuple[PatternChange, ...] = ()

    def does(self, visit_type_code: str) -> bool:
        return visit_type_code in self.performs

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def described(self) -> str:
        return with_kind(self.name, self.kind)

    @property
    def is_physician(self) -> bool:
        return self.kind in PHYSICIAN_KINDS

    def pattern_on(self, day: date) -> tuple[WorkBlock, ...]:
        """The weekly pattern in effect on ``day``."""
        found = self.pattern
        for change in self.later_patterns:
            if change.effective_from <= day:
                found = change.blocks
        return found

    def blocks_for(self, day: date) -> list[WorkBlock]:
        """The blocks the provider works on ``day`` (Central date), by the pattern in effect then."""
        return [b for b in self.pattern_on(day) if b.weekday == day.weekday()]


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
    # The waitlist's rules for this visit type (domain.waitlist): the least time between an offer
    # and the visit (None: the clinic's booking notice, MIN_NOTICE_MINUTES), how many waiting
    # patients one offer goes to, and how long the time is held for them.
    waitlist_notice: timedelta | None = None
    waitlist_batch: int = 3
    waitlist_hold_minutes: int = 30
    # How the first question offers the visit to a patient: in plain words first (``plain_name``,
    # empty when ``name`` is plain enough), then a hint of what it is and who it is for, which the
    # page follows with the clinical name. Not kept in the database yet: see default_words.
    plain_name: str = ""
    hint: str = ""

    @property
    def choice_label(self) -> str:
        """The visit in the patient's words: what the first question offers, and what "Check your
        answers" says they asked for."""
        return self.plain_name or self.name


def default_words(code: str) -> tuple[str, str]:
    """(plain name, hint) of a default visit type; empty for one the clinic added itself. The
    database keeps no words for patients yet, so every catalog loaded takes them from here."""
    for visit_type in DEFAULT_VISIT_TYPES:
        if visit_type.code == code:
            return visit_type.plain_name, visit_type.hint
    return "", ""


UNSURE = "unsure"  # "Not sure, I have SI joint pain": a valid answer to "what are you asking for"
UNSURE_LABEL = "I am not sure: I have SI joint pain"
UNSURE_HINT = "We will ask a few questions and guide you to the right visit."

DEFAULT_SPECIALTIES: tuple[Specialty, ...] = (
    Specialty("pmr", "Physical Medicine & Rehabilitation"),
    Specialty("radiology-pain", "Radiology & Pain Medicine"),
    Specialty("ortho", "Orthopedic Surgery"),
    Specialty("endo", "Endocrinology"),
)

# A waitlist offer of a procedure that needs a driver comes at least this long before it (DOMAIN.md).
PROCEDURE_NOTICE = timedelta(hours=72)

DEFAULT_VISIT_TYPES: tuple[VisitType, ...] = (
    VisitType(
        "evaluation",
        "Comprehensive SI joint evaluation",
        "pmr",
        60,
        BookingMode.BOOK,
        prep_notes="Bring a list of your medicines and any imaging or reports from other clinics. "
        "Wear comfortable clothes you can move in. Arrive 15 minutes early to check in.",
        plain_name="A first full check of your SI joint pain",
        hint="A doctor asks about your pain, examines you and plans your care. New patients start here.",
    ),
    VisitType(
        "therapy",
        "Physical or occupational therapy session",
        "pmr",
        45,
        BookingMode.BOOK,
        waitlist_notice=timedelta(hours=2),
        prep_notes="Wear loose, comfortable clothes and supportive shoes. "
        "Bring your home exercise sheet if you have one.",
        plain_name="Therapy: exercises and help with everyday tasks",
        hint="A therapist shows you exercises and easier ways to move and do daily tasks. After your first check here.",
    ),
    VisitType(
        "xray",
        "SI joint X-ray series (instability views)",
        "radiology-pain",
        30,
        BookingMode.REQUEST,
        room_kind=RoomKind.XRAY,
        prep_notes="Leave jewellery at home. Tell the technologist if you might be pregnant.",
        plain_name="X-ray pictures of the joint",
        hint="Pictures taken in different positions, to see if the joint moves more than it should. When your "
        "doctor has asked for them.",
    ),
    VisitType(
        "ct",
        "CT with SI joint reconstructions",
        "radiology-pain",
        30,
        BookingMode.REQUEST,
        room_kind=RoomKind.CT,
        prep_notes="Tell us if you might be pregnant. Arrive 15 minutes early to check in.",
        plain_name="A detailed scan of the joint",
        hint="A scanner builds detailed pictures of the joint. When your doctor has asked for this scan.",
    ),
    VisitType(
        "injection",
        "Fluoroscopy-guided SI joint injection",
        "radiology-pain",
        45,
        BookingMode.REQUEST,
        room_kind=RoomKind.FLUOROSCOPY,
        waitlist_notice=PROCEDURE_NOTICE,
        prep_notes="Bring a driver: you may not drive for the rest of the day. Tell us if you take "
        "blood thinners, and ask the doctor who prescribed them before stopping any. "
        "Arrive 30 minutes early.",
        plain_name="An injection to ease the pain in the joint",
        hint="A doctor uses X-ray to guide a needle into the joint, with steroid and numbing medicine. It can "
        "ease the pain for months. For pain other care has not eased.",
    ),
    VisitType(
        "neurotomy",
        "Radiofrequency neurotomy",
        "radiology-pain",
        90,
        BookingMode.REQUEST,
        room_kind=RoomKind.FLUOROSCOPY,
        waitlist_notice=PROCEDURE_NOTICE,
        prep_notes="Bring a driver. Tell us if you take blood thinners or have a pacemaker or other "
        "implanted device. Do not eat for 6 hours before. Arrive 30 minutes early.",
        plain_name="A treatment that stops nerves near the joint sending pain",
        hint="Heat from radio waves, through thin needles, stops nerves near the joint sending pain for a "
        "time. For patients an injection has already helped.",
    ),
    VisitType(
        "surgical-consult",
        "Fusion surgery consultation",
        "ortho",
        45,
        BookingMode.REQUEST,
        prep_notes="Bring your imaging (X-ray, CT or MRI) on disc or the reports, and a list of the "
        "treatments you have tried.",
        plain_name="A talk with a surgeon about joint surgery",
        hint="A spine and pelvis surgeon talks with you about fusion: fixing the joint's bones together so it "
        "no longer moves. When other treatments have not helped.",
    ),
    VisitType(
        "bone-health",
        "Bone-healing medication consult",
        "endo",
        30,
        BookingMode.REQUEST,
        prep_notes="Bring a list of your medicines and any recent bone density or blood test results.",
        plain_name="Medicine to help the bones heal after joint surgery",
        hint="A bone doctor (endocrinologist) talks with you about medicines that help the bones grow "
        "together, before or after fusion surgery.",
    ),
    VisitType(
        "follow-up",
        "Follow-up visit",
        "pmr",
        30,
        BookingMode.BOOK,
        prep_notes="Bring any new reports and a list of questions. Arrive 10 minutes early.",
        hint="A visit with the team you saw last, to see how you are doing. For patients already seen here.",
    ),
)

# Imaging a referring physician may order directly: a new patient asking for these is not sent
# to an evaluation first (routing rule 2).
IMAGING_VISIT_TYPES: frozenset[str] = frozenset({"xray", "ct"})
