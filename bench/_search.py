"""B7: phone-console patient search over 50,000 patients: server time per search, p50 and p95.

``python -m bench._search`` runs it alone (SQLite and PostgreSQL; BENCH_DATABASES narrows it).
Each search is what the console sends as staff type: a surname beginning, a surname and a first
name, a birth date, the last digits of a phone, a surname with a birth date; then, apart, a visit
or request reference read out by a caller (SIJ-/REQ-, some typed in lower case without dashes)
over REFERENCED_VISITS visits and REFERENCED_REQUESTS requests of those patients. Timed in process
around ``search_patients`` (the view adds only rendering), after a warm-up.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from datetime import date
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text

from bench import _database

PATIENTS = int(os.environ.get("BENCH_PATIENTS", "50000"))
SEARCHES = 600
REFERENCE_SEARCHES = 200
REFERENCED_VISITS = int(os.environ.get("BENCH_REFERENCED_VISITS", "25000"))
REFERENCED_REQUESTS = int(os.environ.get("BENCH_REFERENCED_REQUESTS", "10000"))
TARGET_P95_MS = 100.0

SURNAMES = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
            "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
            "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
            "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Olson",
            "Larson", "Nelson", "Hanson", "Peterson", "Swenson", "Lindqvist", "Bergstrom", "Halvorsen",
            "Kowalski"]  # fmt: skip
GIVEN = ["Ann", "Bob", "Carla", "Dan", "Eve", "Frank", "Grace", "Hank", "Ida", "Jon", "Kara", "Liam", "Mia", "Ned",
         "Olga", "Pete", "Quinn", "Rosa", "Sam", "Tina", "Uma", "Vic", "Wes", "Xena", "Yuri", "Zoe"]  # fmt: skip


def _patients(count: int, rng: random.Random) -> list[dict[str, Any]]:
    from scheduler.domain.clock import utc_now

    now = utc_now()
    rows = []
    for i in range(count):
        surname = rng.choice(SURNAMES) + ("" if i % 3 else str(i % 97))
        rows.append(
            {
                "given_name": rng.choice(GIVEN),
                "family_name": surname,
                "birth_date": date(1935, 1, 1) + timedelta(days=rng.randrange(25_000)),
                "phone": f"+1507{rng.randrange(10**7):07d}",
                "email": f"p{i}@example.com",
                "sms_consent": False,
                "created_at": now,
            }
        )
    return rows


def _queries(rows: list[dict[str, Any]], rng: random.Random) -> list[str]:
    queries = []
    for _ in range(SEARCHES):
        row = rng.choice(rows)
        kind = rng.randrange(5)
        if kind == 0:
            queries.append(row["family_name"][:3])
        elif kind == 1:
            queries.append(f"{row['family_name']} {row['given_name'][:2]}")
        elif kind == 2:
            queries.append(row["birth_date"].strftime("%m/%d/%Y"))
        elif kind == 3:
            queries.append(row["phone"][-7:])
        else:
            queries.append(f"{row['family_name'][:4]} {row['birth_date'].isoformat()}")
    return queries


def _references(patient_ids: list[int], rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Visits and requests of some of the patients, each with its reference (the catalog is seeded)."""
    from scheduler.domain.clock import utc_now
    from scheduler.store import models
    from scheduler.store.engine import db

    now = utc_now()
    visit_type_id, specialty_id = db.session.execute(
        select(models.VisitType.id, models.VisitType.specialty_id).where(models.VisitType.code == "evaluation")
    ).one()
    provider = models.Provider(name="Dr. Bench", specialty_id=specialty_id)
    db.session.add(provider)
    db.session.flush()
    visits = [
        {
            "reference": f"SIJ-{n // 10000:04d}-{n % 10000:04d}",
            "patient_id": rng.choice(patient_ids),
            "visit_type_id": visit_type_id,
            "provider_id": provider.id,
            "starts_at": now + timedelta(minutes=15 * n),
            "ends_at": now + timedelta(minutes=15 * n + 60),
            "status": "booked",
            "channel": "web",
            "manage_nonce": "0" * 32,
        }
        for n in range(REFERENCED_VISITS)
    ]
    requests = [
        {
            "reference": f"REQ-{n // 10000:04d}-{n % 10000:04d}",
            "patient_id": rng.choice(patient_ids),
            "channel": "web",
            "requested": "evaluation",
            "intake": {},
            "preferences": {},
            "routed_visit_type_id": visit_type_id,
            "routed_specialty_id": specialty_id,
            "routing_rule": "bench",
            "routing_reason": "bench",
            "status": "open",
            "created_at": now,
        }
        for n in range(REFERENCED_REQUESTS)
    ]
    return visits, requests


def _reference_queries(visits: list[dict[str, Any]], requests: list[dict[str, Any]], rng: random.Random) -> list[str]:
    queries = []
    for n in range(REFERENCE_SEARCHES):
        reference = rng.choice(visits if n % 2 else requests)["reference"]
        queries.append(reference.lower().replace("-", " ") if n % 3 == 0 else reference)  # as read out
    return queries


def _timed(queries: list[str]) -> tuple[list[float], int]:
    from scheduler.services.patient_search import search_patients
    from scheduler.store.engine import db

    timings, hits = [], 0
    for q in queries:
        started = time.perf_counter()
        found = search_patients(q)
        timings.append((time.perf_counter() - started) * 1000)
        hits += bool(found)
        db.session.rollback()  # one short read transaction per search, as a request would
    return sorted(timings), hits


def _p95(timings: list[float]) -> float:
    return round(timings[int(len(timings) * 0.95) - 1], 2)


def measure(url: str) -> dict[str, Any]:
    from scheduler.services.patient_search import search_patients
    from scheduler.services.seed import seed_catalog
    from scheduler.store import models
    from scheduler.store.engine import db

    _database.migrate(url)
    app = _database.make_app(url)
    rng = random.Random(7)
    rows = _patients(PATIENTS, rng)
    with app.app_context():
        for chunk in range(0, len(rows), 5000):
            db.session.execute(insert(models.Patient), rows[chunk : chunk + 5000])
        db.session.commit()
        seed_catalog()
        patient_ids = list(db.session.execute(select(models.Patient.id)).scalars())
        visits, requests = _references(patient_ids, rng)
        for table, values in ((models.Appointment, visits), (models.VisitRequest, requests)):
            for chunk in range(0, len(values), 5000):
                db.session.execute(insert(table), values[chunk : chunk + 5000])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        queries = _queries(rows, rng)
        by_reference = _reference_queries(visits, requests, rng)
        for q in queries[:50] + by_reference[:20]:
            search_patients(q)
        timings, hits = _timed(queries)
        reference_timings, reference_hits = _timed(by_reference)
        db.session.remove()
        db.engine.dispose()
    return {
        "patients": PATIENTS,
        "searches": len(timings),
        "found_something": hits,
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": _p95(timings),
        "max_ms": round(timings[-1], 2),
        "reference_searches": len(reference_timings),
        "reference_found": reference_hits,
        "reference_p50_ms": round(statistics.median(reference_timings), 2),
        "reference_p95_ms": _p95(reference_timings),
        "reference_max_ms": round(reference_timings[-1], 2),
    }


def run() -> dict[str, dict[str, Any]]:
    wanted = [d.strip() for d in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",") if d.strip()]
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        if "sqlite" in wanted:
            results["sqlite"] = measure(_database.sqlite_url(Path(tmp), "search"))
        if "postgresql" in wanted:
            with _database.postgres_databases("search") as (url,):
                results["postgresql"] = measure(url)
    return results


if __name__ == "__main__":
    for database, figure in run().items():
        verdict = "met" if figure["p95_ms"] < TARGET_P95_MS else "MISSED"
        print(
            f"B7 {database}: patient search over {figure['patients']:,} patients, {figure['searches']} searches "
            f"({figure['found_something']} found someone): p50 {figure['p50_ms']} ms, p95 {figure['p95_ms']} ms, "
            f"max {figure['max_ms']} ms (target p95 < {TARGET_P95_MS:.0f} ms: {verdict})"
        )
        verdict = "met" if figure["reference_p95_ms"] < TARGET_P95_MS else "MISSED"
        print(
            f"B7 {database}: by reference (SIJ-/REQ-), {figure['reference_searches']} searches "
            f"({figure['reference_found']} found someone): p50 {figure['reference_p50_ms']} ms, "
            f"p95 {figure['reference_p95_ms']} ms, max {figure['reference_max_ms']} ms "
            f"(target p95 < {TARGET_P95_MS:.0f} ms: {verdict})"
        )
