"""B7: phone-console patient search over 50,000 patients: server time per search, p50 and p95.

``python -m bench._search`` runs it alone (SQLite and PostgreSQL; BENCH_DATABASES narrows it).
Each search is what the console sends as staff type: a surname beginning, a surname and a first
name, a birth date, the last digits of a phone, a surname with a birth date. Timed in process
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
from sqlalchemy import text

from bench import _database

PATIENTS = int(os.environ.get("BENCH_PATIENTS", "50000"))
SEARCHES = 600
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


def measure(url: str) -> dict[str, Any]:
    from scheduler.services.patient_search import search_patients
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
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        queries = _queries(rows, rng)
        for q in queries[:50]:
            search_patients(q)
        timings, hits = [], 0
        for q in queries:
            started = time.perf_counter()
            found = search_patients(q)
            timings.append((time.perf_counter() - started) * 1000)
            hits += bool(found)
            db.session.rollback()  # one short read transaction per search, as a request would
        db.session.remove()
        db.engine.dispose()
    timings.sort()
    return {
        "patients": PATIENTS,
        "searches": len(timings),
        "found_something": hits,
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "max_ms": round(timings[-1], 2),
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
