"""Shared fixtures: the app on a real database, a clean catalog-seeded database per test, factories.

The database is chosen by ``SCHEDULER_TEST_DATABASE_URL``: unset means SQLite (a file, so other
processes such as gunicorn can share it); a ``postgresql://`` URL means that PostgreSQL database,
which the session migrates from empty with ``flask db upgrade`` (migrations are the only way a
schema is made, in tests too).
"""

from __future__ import annotations

import itertools
import os
import socket
from collections.abc import Callable
from collections.abc import Iterator
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from email import message_from_bytes
from email import policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import text

from scheduler import create_app
from scheduler.domain.catalog import DEFAULT_KIND_OF_SPECIALTY
from scheduler.domain.catalog import ProviderKind
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.services.seed import default_holidays
from scheduler.services.seed import seed_catalog
from scheduler.store import models
from scheduler.store.engine import db

POSTGRES_URL = os.environ.get("SCHEDULER_TEST_DATABASE_URL", "")
# Kept between tests: the revision counters, which migrations create and triggers keep counting.
KEPT_TABLES = {"revision"}


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL ' + POSTGRES_URL.rsplit('/', 1)[-1] if POSTGRES_URL else 'SQLite'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to head once per session."""
    from flask_migrate import downgrade
    from flask_migrate import upgrade

    url = POSTGRES_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'scheduler.sqlite3'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test"})
    with app.app_context():
        if POSTGRES_URL:
            downgrade(revision="base")  # start from empty even if a previous run left tables
        upgrade()
        db.engine.dispose()
    return url


def make_app(database_url: str, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        **overrides,
    }
    return create_app(config)


def clear_database() -> None:
    """Empty every table (but KEPT_TABLES), so that a test may assert on whole tables.

    The audit trail refuses DELETE and TRUNCATE by trigger, so clearing it switches the triggers
    off for this one transaction (PostgreSQL) or drops and re-creates them (SQLite)."""
    tables = [table.name for table in reversed(db.metadata.sorted_tables) if table.name not in KEPT_TABLES]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        _empty_postgresql_tables(tables)
        db.session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
    else:
        triggers = db.session.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'")
        ).all()
        assert len(triggers) == 2, "the append-only triggers are missing"
        for name, _ in triggers:
            db.session.execute(text(f"DROP TRIGGER {name}"))
        for table in tables:
            db.session.execute(text(f"DELETE FROM {table}"))
        for _, sql in triggers:
            db.session.execute(text(sql))
    db.session.commit()


# TRUNCATE makes new files for every table and index it empties, and CASCADE takes in nearly every
# table: about 130 ms a test on PostgreSQL, three minutes of the suite. A test leaves rows in a few
# tables, which DELETE empties in about 25 ms; the sequences then restart as RESTART IDENTITY would
# restart them. Every TRUNCATE_EVERY-th clear truncates everything, so that the dead rows DELETE
# leaves behind never pile up (autovacuum may be off where the suite runs).
TRUNCATE_EVERY = 100
_postgresql_clears = itertools.count()


def _empty_postgresql_tables(tables: list[str]) -> None:
    if next(_postgresql_clears) % TRUNCATE_EVERY == 0:
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        return
    holding = " UNION ALL ".join(f"SELECT '{table}' WHERE EXISTS (SELECT FROM {table})" for table in tables)
    filled = set(db.session.execute(text(holding)).scalars())
    for table in tables:  # children first
        if table in filled:
            db.session.execute(text(f"DELETE FROM {table}"))
    db.session.execute(  # the sequences the tables own, from where they started
        text(
            "SELECT setval(s.oid::regclass, q.seqstart, false) FROM pg_class s"
            " JOIN pg_sequence q ON q.seqrelid = s.oid"
            " JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')"
            " WHERE d.refobjid::regclass::text = ANY(:tables)"
        ),
        {"tables": tables},
    )


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    app = make_app(database_url)
    with app.app_context():
        clear_database()
        seed_catalog()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_with(database_url: str) -> Iterator[Callable[..., Flask]]:
    """``app_with(SETTING=value)``: another app on the test database with its own settings; its
    connections are closed afterwards (left open, PostgreSQL's are reaped at a random moment
    later and the warning fails whichever test runs then)."""
    made: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        made.append(make_app(database_url, **overrides))
        return made[-1]

    yield build
    for built in made:
        with built.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


# ----- dates ---------------------------------------------------------------------------------------


def next_clinic_day(after_days: int = 2, weekday: int | None = None) -> date:
    """A future weekday that is no default holiday, at least ``after_days`` from today (Central)."""
    today = clinic_today(utc_now())
    closed = {d for d, _ in default_holidays(range(today.year, today.year + 3))}
    day = today + timedelta(days=after_days)
    while day.weekday() > 4 or day in closed or (weekday is not None and day.weekday() != weekday):
        day += timedelta(days=1)
    return day


def central(day: date, hour: int, minute: int = 0) -> datetime:
    return clinic_instant(day, time(hour, minute))


@pytest.fixture
def clinic_open() -> Iterator[datetime]:
    """The clock moved to 10 a.m. Central on the next clinic day, and running from there: for a
    test of what a page says while the clinic is open ("Call us now"), which would otherwise
    depend on the hour the suite happens to run at (after 5 p.m. the clinic is closed)."""
    import time_machine

    moment = central(next_clinic_day(), 10)
    with time_machine.travel(moment, tick=True):
        yield moment


# ----- factories (each returns a callable, indico-style) -------------------------------------------

ALL_WEEK = tuple(range(5))


@pytest.fixture
def make_provider(app: Flask) -> Callable[..., int]:
    def create(
        specialty: str = "pmr",
        name: str | None = None,
        weekdays: tuple[int, ...] = ALL_WEEK,
        blocks: tuple[tuple[time, time], ...] = ((time(8), time(17)),),
        kind: str | None = None,
        visit_types: tuple[str, ...] | None = None,
    ) -> int:
        """A provider of ``specialty``; by default its physician kind, performing every visit
        type of the specialty and follow-ups (so a test need not care who does what)."""
        with app.app_context():
            spec = db.session.execute(db.select(models.Specialty).filter_by(code=specialty)).scalar_one()
            count = db.session.execute(db.select(db.func.count()).select_from(models.Provider)).scalar_one()
            provider = models.Provider(
                name=name or f"Dr. Test {count + 1}",
                specialty=spec,
                kind=kind or DEFAULT_KIND_OF_SPECIALTY.get(specialty, ProviderKind.PHYSICIAN),
            )
            provider.hours = [models.ProviderHours(weekday=d, starts=s, ends=e) for d in weekdays for s, e in blocks]
            vt = models.VisitType
            chosen = (
                vt.code.in_(visit_types)
                if visit_types is not None
                else (vt.specialty_id == spec.id) | (vt.code == "follow-up")
            )
            provider.visit_types = list(db.session.execute(db.select(vt).where(chosen)).scalars())
            db.session.add(provider)
            db.session.commit()
            return provider.id

    return create


@pytest.fixture
def make_room(app: Flask) -> Callable[..., int]:
    def create(kind: str = "fluoroscopy", name: str | None = None) -> int:
        with app.app_context():
            count = db.session.execute(db.select(db.func.count()).select_from(models.Room)).scalar_one()
            room = models.Room(name=name or f"{kind} room {count + 1}", kind=kind)
            db.session.add(room)
            db.session.commit()
            return room.id

    return create


def add_appointment(provider_id: int, start: datetime, end: datetime) -> int:
    """A booked evaluation for a new patient, added in the ORM and flushed (not committed): the id."""
    patient = models.Patient(given_name="Ana", family_name="Lee", birth_date=date(1970, 1, 1), email="ana@x.org")
    db.session.add(patient)
    db.session.flush()
    visit_type_id = db.session.execute(
        select(models.VisitType.id).where(models.VisitType.code == "evaluation")
    ).scalar_one()
    appointment = models.Appointment(
        reference=f"SIJ-T{provider_id:03d}-{int(start.timestamp()) % 10000:04d}",
        patient_id=patient.id,
        visit_type_id=visit_type_id,
        provider_id=provider_id,
        starts_at=start,
        ends_at=end,
        status="booked",
        channel="api",
        manage_nonce="0" * 32,
    )
    db.session.add(appointment)
    db.session.flush()
    return appointment.id


def patient_json(**overrides: Any) -> dict[str, Any]:
    return {
        "given_name": "Ann",
        "family_name": "Lee",
        "birth_date": "1970-02-03",
        "phone": "507-555-0101",
        "email": "ann.lee@example.com",
        "sms_consent": False,
        **overrides,
    }


def booking_json(start: datetime, visit_type: str = "evaluation", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "visit_type": visit_type,
        "start": start.isoformat(),
        "patient": patient_json(),
        "reason": {"cause": "trauma", "seen_before": False, "referred": False},
    }
    body.update(overrides)
    return body


# ----- a real SMTP server (aiosmtpd) ------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps what it receives, or refuses it with ``reply``."""

    def __init__(self) -> None:
        self.messages: list = []
        self.reply: str | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.reply:
            return self.reply
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(app):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=controller.port)
    yield handler
    controller.stop()
