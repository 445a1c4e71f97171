"""Benchmark databases: made from empty by the migrations, seeded with the demo clinic, plus bulk
history written straight to the tables (the booking service would take minutes for 100k visits)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text

from bench._server import PROJECT
from bench._server import app_env

POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

HISTORY_ID_BASE = 1_000_000  # explicit ids far above the sequences', so later bookings never collide


def sqlite_url(directory: Path, name: str) -> str:
    return f"sqlite:///{directory / f'bench-{name}.sqlite3'}"  # an absolute path: four slashes


@contextmanager
def postgres_databases(*suffixes: str) -> Iterator[list[str]]:
    """Fresh databases ``bench_<pid>_<suffix>`` on the local server, dropped afterwards."""
    import psycopg

    names = [f"bench_{os.getpid()}_{suffix}" for suffix in suffixes]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{names[0]}"')
    try:
        yield [_postgres_url(name) for name in names]
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_url(name: str) -> str:
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def copy_database(source_url: str, target_url: str) -> None:
    """``target`` becomes a copy of ``source`` (no connection to ``source`` may be open)."""
    if source_url.startswith("sqlite:"):
        import sqlite3

        source = sqlite3.connect(source_url.removeprefix("sqlite:///"))
        target = sqlite3.connect(target_url.removeprefix("sqlite:///"))
        with target:
            source.backup(target)
        source.close()
        target.close()
        return
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target_url.rsplit("/", 1)[1]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target_url.rsplit("/", 1)[1]}" TEMPLATE "{source_url.rsplit("/", 1)[1]}"')


def postgres_version() -> str:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=5) as conn:
        return str(conn.execute("SHOW server_version").fetchone()[0])


def migrate(url: str) -> None:
    """``flask db upgrade``: the migrations are the only way a schema is made."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "db", "upgrade"],
        cwd=PROJECT,
        env=app_env(url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{done.stdout}\n{done.stderr}")


def make_app(url: str) -> Flask:
    from scheduler import create_app
    from scheduler.config import DEFAULTS

    # The addresses set on purpose, as app_env does: a production app refuses their defaults left unset.
    addresses = {key: DEFAULTS[key] for key in ("PUBLIC_BASE_URL", "MAIL_DOMAIN", "MAIL_FROM")}
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False, **addresses})


def seed(app: Flask) -> dict[str, int]:
    from scheduler.services.seed import seed_demo

    with app.app_context():
        result = seed_demo()
        from scheduler.store.engine import db

        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            # Statistics, as autovacuum would soon gather them (the history copy gets the same).
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        db.engine.dispose()
        return result


def weekdays(first: date, last: date) -> list[date]:
    """Monday to Friday from ``first`` to ``last`` inclusive."""
    return [
        first + timedelta(days=i) for i in range((last - first).days + 1) if (first + timedelta(days=i)).weekday() < 5
    ]


def insert_history(
    app: Flask, *, past_days: list[date], past: int, future_days: list[date], future: int, patients: int = 5_000
) -> dict[str, float]:
    """``past`` + ``future`` appointments with their provider and patient reservations, bulk inserted.

    Each provider's day is packed from 08:00 Central with back-to-back visits of its specialty's
    types (so no two active reservations of one resource overlap, as the PostgreSQL exclusion
    constraint demands); past visits are fulfilled or no-shows, future ones booked.
    """
    from scheduler.domain.clock import clinic_instant
    from scheduler.store import models
    from scheduler.store.engine import db

    started = time.perf_counter()
    now = datetime.now(UTC)
    with app.app_context():
        providers = [(p.id, p.specialty.code) for p in db.session.execute(select(models.Provider)).scalars()]
        types: dict[str, list[tuple[int, int]]] = {}
        for v in db.session.execute(select(models.VisitType).order_by(models.VisitType.id)).scalars():
            types.setdefault(v.specialty.code, []).append((v.id, v.minutes))
        db.session.remove()

        patient_rows = [
            {
                "id": HISTORY_ID_BASE + i,
                "given_name": "History",
                "family_name": f"Patient{i:05d}",
                "birth_date": date(1940, 1, 1) + timedelta(days=(i * 37) % 20_000),
                "phone": None,
                "email": f"history.{i}@example.com",
                "sms_consent": False,
                "sms_consent_at": None,
                "created_at": now,
            }
            for i in range(patients)
        ]
        appointments: list[dict[str, object]] = []
        reservations: list[dict[str, object]] = []

        def fill(days: list[date], count: int, past_visits: bool) -> None:
            per_day = -(-count // max(1, len(days) * len(providers)))  # ceiling
            made = 0
            for day in days:
                for provider_id, specialty in providers:
                    kinds = types[specialty]
                    start = clinic_instant(day, clock(8))
                    closes = clinic_instant(day, clock(17))
                    for k in range(per_day):
                        if made >= count:
                            return
                        visit_type_id, minutes = kinds[(made + k) % len(kinds)]
                        end = start + timedelta(minutes=minutes)
                        if end > closes:
                            break
                        n = len(appointments)
                        appointment_id = HISTORY_ID_BASE + n
                        patient_id = HISTORY_ID_BASE + n % patients
                        status = ("noshow" if n % 10 == 0 else "fulfilled") if past_visits else "booked"
                        appointments.append(
                            {
                                "id": appointment_id,
                                "reference": f"HIS-{n:08d}",
                                "patient_id": patient_id,
                                "visit_type_id": visit_type_id,
                                "provider_id": provider_id,
                                "room_id": None,
                                "request_id": None,
                                "starts_at": start,
                                "ends_at": end,
                                "status": status,
                                "channel": "phone",
                                "manage_nonce": f"{n:032x}",
                                "cancel_reason": None,
                                "created_at": now,
                                "updated_at": now,
                            }
                        )
                        for resource in (f"provider:{provider_id}", f"patient:{patient_id}"):
                            reservations.append(
                                {
                                    "appointment_id": appointment_id,
                                    "resource": resource,
                                    "starts_at": start,
                                    "ends_at": end,
                                    "active": True,
                                }
                            )
                        made += 1
                        start = end
            if made < count:
                raise RuntimeError(f"history: only {made} of {count} visits fit in the days given")

        fill(past_days, past, True)
        fill(future_days, future, False)
        built = time.perf_counter()
        postgres = db.engine.dialect.name == "postgresql"
        for table, rows in (
            (models.Patient.__table__, patient_rows),
            (models.Appointment.__table__, appointments),
            (models.Reservation.__table__, reservations),
        ):
            t = time.perf_counter()
            with db.engine.begin() as conn:
                # Reservations: executemany with RETURNING, so that SQLAlchemy's "insertmanyvalues"
                # sends 1,000 rows a statement. Plain executemany sends one statement a row, and
                # PostgreSQL's statement-level revision trigger then runs per row: 200k updates of
                # one counter row in one transaction grow a version chain that each next update
                # walks (quadratic: over 7 minutes for 200k reservations).
                statement = insert(table).returning(table.c.id) if table.name == "reservation" else insert(table)
                for k in range(0, len(rows), 10_000):
                    result = conn.execute(statement, rows[k : k + 10_000])
                    if result.returns_rows:
                        result.all()
            if postgres:
                # What autovacuum's auto-analyze does soon after such a load in production.
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text(f"ANALYZE {table.name}"))
            if os.environ.get("BENCH_DEBUG"):
                print(f"  {table.name}: {len(rows)} rows in {time.perf_counter() - t:.2f}s", file=sys.stderr)
        inserted = time.perf_counter()
        db.engine.dispose()
    return {
        "appointments": len(appointments),
        "reservations": len(reservations),
        "patients": patients,
        "build_s": round(built - started, 2),
        "insert_s": round(inserted - built, 2),
        "total_s": round(time.perf_counter() - started, 2),
    }


def write_booking_bodies(
    app: Flask, path: Path, *, first_day: date, count: int, visit_type: str = "evaluation", horizon_days: int = 3_000
) -> int:
    """Up to ``count`` POST /api/v1/appointments bodies that can all succeed together.

    Free times from ``first_day`` on, chosen so that no two of one provider overlap (each body
    names its provider), each for a different new patient.
    """
    from scheduler.domain.clock import iso_central
    from scheduler.services.availability import find_availability
    from scheduler.store.engine import db

    chosen: list[tuple[datetime, int]] = []
    with app.app_context():
        last_end: dict[int, datetime] = {}
        day = first_day
        while len(chosen) < count and (day - first_day).days < horizon_days:
            for slot in find_availability(visit_type, day, 62).slots:
                if slot.start >= last_end.get(slot.provider_id, slot.start):
                    chosen.append((slot.start, slot.provider_id))
                    last_end[slot.provider_id] = slot.end
                    if len(chosen) >= count:
                        break
            day += timedelta(days=62)
        db.session.remove()
        lines = []
        for i, (start, provider_id) in enumerate(chosen):
            lines.append(
                json.dumps(
                    {
                        "visit_type": visit_type,
                        "start": iso_central(start),
                        "provider_id": provider_id,
                        "patient": {
                            "given_name": "Bench",
                            "family_name": f"Booker{i:05d}",
                            "birth_date": (date(1950, 1, 1) + timedelta(days=i % 18_000)).isoformat(),
                            "email": f"bench.booker{i}@example.com",
                        },
                        "reason": {"cause": "trauma", "seen_before": False, "referred": False},
                    },
                    separators=(",", ":"),
                )
            )
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def remove_api_bookings(app: Flask) -> int:
    """Remove every booking the API made, with its reservations, its messages and its patients
    (B4's patients have no other visit), so that the next B4 run books the same free times, for
    new patients, into the database the first run had: two years of bookable times (the horizon
    every entry point keeps) hold fewer evaluations than several runs book. Never in a timed run."""
    from sqlalchemy import delete

    from scheduler.store import models
    from scheduler.store.engine import db

    api_visits = select(models.Appointment.id).where(models.Appointment.channel == "api")
    with app.app_context():
        patients = select(models.Appointment.patient_id).where(models.Appointment.channel == "api").distinct()
        patient_ids = list(db.session.execute(patients).scalars())
        db.session.execute(delete(models.OutboxMessage).where(models.OutboxMessage.appointment_id.in_(api_visits)))
        removed = db.session.execute(delete(models.Appointment).where(models.Appointment.channel == "api")).rowcount
        db.session.execute(delete(models.Patient).where(models.Patient.id.in_(patient_ids)))  # reservations cascaded
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
        return int(removed)


def count_api_bookings(app: Flask) -> int:
    from sqlalchemy import func

    from scheduler.store import models
    from scheduler.store.engine import db

    with app.app_context():
        n = db.session.execute(
            select(func.count()).select_from(models.Appointment).where(models.Appointment.channel == "api")
        ).scalar_one()
        db.session.remove()
        db.engine.dispose()
        return int(n)
