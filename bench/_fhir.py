"""B6: ``GET /fhir/Slot`` for one specialty (PM&R evaluations, every provider) over 14 days, requests/s
divided by ``GET /healthz`` requests/s, on the same gunicorn setup as B1 (sync workers, 8
connections, interleaved rounds). Target >= 0.15.

``python -m bench._fhir`` runs it alone (SQLite and PostgreSQL; BENCH_DATABASES narrows it).
Each Slot call is the whole FHIR path: bearer-token lookup, the search (answers cached per process,
keyed by the database's revisions, as B1's are), a searchset Bundle page (the default 100 slots, with
the total and a next link) and the audit row every call writes and commits. B6u repeats it with the
caches off (SCHEDULER_CACHE_SIZE=0), a diagnostic like B1u.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import _database
from bench import _load
from bench.__main__ import NO_CACHE
from bench.__main__ import WINDOW_DAYS
from bench.__main__ import line
from bench.__main__ import next_monday
from bench.__main__ import rounds
from bench.__main__ import run
from bench.__main__ import say
from bench._server import WORKERS
from bench._server import gunicorn

TARGET = 0.15


def api_token(url: str) -> str:
    """A read-scoped API client made in the benchmark database; its token."""
    from scheduler.services.integrations import create_api_client
    from scheduler.store.engine import db

    app = _database.make_app(url)
    with app.app_context():
        token = create_api_client("bench", ["read"]).token
        db.session.remove()
        db.engine.dispose()
    return token


def measure(kind: str, url: str, workdir: Path, tool: str) -> dict[str, Any]:
    from scheduler.domain.clock import clinic_today
    from scheduler.domain.clock import utc_now

    _database.migrate(url)
    seeded = _database.seed(_database.make_app(url))
    token = api_token(url)
    headers = {"Authorization": f"Bearer {token}"}
    first = next_monday(clinic_today(utc_now()))
    path = (
        f"/fhir/Slot?specialty=pmr&service-type=evaluation&status=free"
        f"&start=ge{first.isoformat()}&start=lt{(first + timedelta(days=WINDOW_DAYS)).isoformat()}"
    )
    availability = f"/api/v1/availability?visit_type=evaluation&from={first.isoformat()}&days={WINDOW_DAYS}"
    with ExitStack() as stack:
        server = stack.enter_context(gunicorn(url, workdir))
        uncached = stack.enter_context(gunicorn(url, workdir, env=NO_CACHE))
        bodies = {}
        for name, s in (("cached", server), ("uncached", uncached)):
            status, body = _get(s, path, headers)
            if status != 200:
                raise RuntimeError(f"/fhir/Slot answered {status} on {name}: {body[:500]!r}")
            bodies[name] = json.loads(body)
        page = bodies["cached"]
        say(
            f"{kind}: gunicorn -w {WORKERS} sync; {seeded['appointments_created']} demo visits; Slot search "
            f"{first} +{WINDOW_DAYS}d: total {page['total']} free slots, {len(page.get('entry', []))} on the page"
        )
        series = rounds(
            {
                "healthz": lambda s: run(server, "/healthz", tool, seconds=s),
                "slot": lambda s: run(server, path, tool, seconds=s, headers=headers),
                "slot_uncached": lambda s: run(uncached, path, tool, seconds=s, headers=headers),
                # For comparison: B1's call (the JSON API's availability, no token, no audit row).
                "api_availability": lambda s: run(server, availability, tool, seconds=s),
            }
        )
    for name, s in series.items():
        say(f"{kind}: B6 {line(name, s)}")
    health = series["healthz"]
    return {
        "B6": round(series["slot"].rps / health.rps, 4),
        "B6u": round(series["slot_uncached"].rps / health.rps, 4),
        "path": path,
        "total_slots": page["total"],
        "page_entries": len(page.get("entry", [])),
        "errors": series["slot"].errors + series["slot_uncached"].errors + health.errors,
        "healthz": health.summary(),
        "slot": series["slot"].summary(),
        "slot_uncached": series["slot_uncached"].summary(),
        "api_availability": series["api_availability"].summary(),
        "B1_same_run": round(series["api_availability"].rps / health.rps, 4),
    }


def _get(server: Any, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    import http.client

    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def run_all() -> dict[str, dict[str, Any]]:
    tool = _load.load_tool()
    if tool != "wrk":
        say("wrk not found (apt-get install -y wrk): the Python load generator saturates sooner on /healthz")
    wanted = [d.strip() for d in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",") if d.strip()]
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-fhir-") as tmp:
        workdir = Path(tmp)
        if "sqlite" in wanted:
            results["sqlite"] = measure("sqlite", _database.sqlite_url(workdir, "fhir"), workdir, tool)
        if "postgresql" in wanted:
            with _database.postgres_databases("fhir") as (url,):
                results["postgresql"] = measure("postgresql", url, workdir, tool)
    for figure in results.values():
        figure["tool"] = _load.tool_label(tool)
    return results


if __name__ == "__main__":
    for database, figure in run_all().items():
        verdict = "met" if figure["B6"] >= TARGET else "MISSED"
        print(
            f"B6 {database}: GET /fhir/Slot (PM&R evaluation, {WINDOW_DAYS} days, {figure['total_slots']} free slots, "
            f"page of {figure['page_entries']}) {figure['slot']['rps']:,.1f} rps / healthz "
            f"{figure['healthz']['rps']:,.1f} rps = {figure['B6']:.3f} (target >= {TARGET}: {verdict}); "
            f"caches off (B6u): {figure['slot_uncached']['rps']:,.1f} rps = {figure['B6u']:.3f}; "
            f"B1's availability call in the same run: {figure['B1_same_run']:.3f}; "
            f"errors {figure['errors']}; {figure['tool']}"
        )
