"""``python -m bench``: run B1-B5 and B8 and print the table (see bench/__init__.py for the figures).

Every ratio is measured within one run, numerator and denominator interleaved in rounds (A B A B
...), so that drift in the machine's background load falls on both sides alike.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import traceback
from contextlib import ExitStack
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import _database
from bench import _load
from bench import _outbox
from bench import _slots
from bench import _waitlist
from bench._server import WORKERS
from bench._server import Server
from bench._server import gunicorn
from bench._server import memory_mb
from bench._server import worker_pids

RESULTS = Path(__file__).resolve().parent / "results"
SECONDS = float(os.environ.get("BENCH_SECONDS", "2"))  # per load run; each figure takes ROUNDS runs a side
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WARMUP = 1.0
CONNECTIONS = 8  # concurrent clients for throughput runs (wrk -t1 -c8)
WINDOW_DAYS = 14
LONG_WINDOW_DAYS = 62  # the most the API answers in one call
MEMORY_QUERIES = 1_000  # B1m: distinct 62-day questions asked of one worker
HISTORY_PAST = 90_000
HISTORY_FUTURE = 10_000
# Every B4 booking in a run needs a body of its own: enough for 2,000 bookings a second through
# the longest run (the app makes under 1,000 here). Each run starts again from the first body, the
# run before's bookings removed; the booking horizon holds about 5,500 evaluations, so that many
# at most are written.
BOOKING_BODIES = max(8_000, int(2_000 * max(WARMUP, SECONDS)))
NO_CACHE = {"SCHEDULER_CACHE_SIZE": "0"}  # the per-process availability cache off: every call computes

TARGETS = {
    "B1": (">=", 0.2, "availability rps / healthz rps"),
    "B1u": (">=", 0.3, "  same, availability cache off (CACHE_SIZE=0)"),
    "B1u62": (">=", None, "  same, cache off, 62 days"),
    "B1x": ("<=", 4.0, "  cost of 62 days / 14 days, cache off"),
    "B1m": ("<=", None, "worker RSS MB after 1,000 distinct 62-day queries"),
    "B2": ("<=", 1.3, "availability p50, 100k history / none (no cache)"),
    "B3": ("<=", 2.0, "free_slots time, 1,000 reservations / 50"),
    "B4": (">=", 0.15, "booking rps / healthz rps, 0 errors"),
    "B5-1": (">=", None, "outbox drain msg/s, 1 worker, 0 dup, 0 lost"),
    "B5": (">=", 300, "outbox drain msg/s, 2 workers, 0 dup, 0 lost"),
    **_waitlist.TARGETS,
}


@dataclass
class Figure:
    id: str
    database: str
    value: float | None
    tool: str
    details: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    required: bool = True

    @property
    def target(self) -> str:
        op, bound, _ = TARGETS[self.id]
        return "-" if bound is None else f"{op} {bound:g}"

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None
        op, bound, _ = TARGETS[self.id]
        ok = bound is None or (self.value >= bound if op == ">=" else self.value <= bound)
        if self.id.startswith("B5"):
            d = self.details
            ok = ok and d.get("duplicates") == 0 and d.get("lost") == 0 and d.get("rows_not_sent") == 0
        if self.id == "B4":
            ok = ok and self.details.get("errors", 1) == 0 and not self.details.get("exhausted")
        return ok

    @property
    def verdict(self) -> str:
        if self.passed is None:
            return "SKIPPED"
        return "PASS" if self.passed else "MISS"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "what": TARGETS[self.id][2].strip(),
            "database": self.database,
            "value": self.value,
            "target": self.target,
            "result": self.verdict,
            "tool": self.tool,
            "required": self.required,
            "note": self.note,
            "details": self.details,
        }


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def next_monday(today: date) -> date:
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


@dataclass
class Series:
    """The rounds of one side of a ratio."""

    runs: list[_load.LoadResult] = field(default_factory=list)

    @property
    def rps(self) -> float:
        seconds = sum(r.duration_s for r in self.runs)
        return sum(r.requests - r.spare_requests for r in self.runs) / seconds if seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return statistics.median(r.lat_p50_ms for r in self.runs)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)

    def summary(self) -> dict[str, Any]:
        return {
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms_max": round(max(r.lat_p99_ms for r in self.runs), 2),
            "responses": sum(r.requests for r in self.runs),
            "errors": self.errors,
            "rounds": [r.as_dict() for r in self.runs],
        }


def run(
    server: Server, path: str, tool: str, *, connections: int = CONNECTIONS, seconds: float = SECONDS, **kwargs: Any
) -> _load.LoadResult:
    return _load.run_load(server.base_url, path, connections=connections, duration=seconds, tool=tool, **kwargs)


def rounds(sides: dict[str, Any]) -> dict[str, Series]:
    """Each side once for warm-up, then ROUNDS rounds of every side in turn."""
    for measure in sides.values():
        measure(WARMUP)
    out = {name: Series() for name in sides}
    for _ in range(ROUNDS):
        for name, measure in sides.items():
            out[name].runs.append(measure(SECONDS))
    return out


def line(name: str, s: Series) -> str:
    responses = sum(r.requests for r in s.runs)
    return f"{name}: {s.rps:,.0f} rps, p50 {s.p50_ms:.2f} ms, {responses} responses, {s.errors} errors"


def bench_database(kind: str, urls: list[str], tool: str, label: str, workdir: Path) -> list[Figure]:
    from scheduler.domain.clock import clinic_today
    from scheduler.domain.clock import utc_now

    base, hist = urls
    required = kind == "postgresql"
    t0 = time.perf_counter()
    _database.migrate(base)
    base_app = _database.make_app(base)
    seeded = _database.seed(base_app)
    _database.copy_database(base, hist)
    say(
        f"{kind}: migrated, seeded ({seeded['appointments_created']} demo appointments) and copied "
        f"in {time.perf_counter() - t0:.1f}s"
    )

    today = clinic_today(utc_now())
    first = next_monday(today)
    availability = f"/api/v1/availability?visit_type=evaluation&from={first.isoformat()}&days={WINDOW_DAYS}"
    availability_62 = f"/api/v1/availability?visit_type=evaluation&from={first.isoformat()}&days={LONG_WINDOW_DAYS}"
    history = _database.insert_history(
        _database.make_app(hist),
        past_days=_database.weekdays(today - timedelta(days=15 + 3 * 365), today - timedelta(days=15)),
        past=HISTORY_PAST,
        future_days=_database.weekdays(first + timedelta(days=60), first + timedelta(days=60 + 365)),
        future=HISTORY_FUTURE,
    )
    say(
        f"{kind}: copy got {history['appointments']:,} appointments + {history['reservations']:,} reservations "
        f"outside the window (3 years back, from {first + timedelta(days=60)} on) in {history['total_s']}s"
    )

    figures: list[Figure] = []
    with ExitStack() as stack:
        server = stack.enter_context(gunicorn(base, workdir))
        uncached = stack.enter_context(gunicorn(base, workdir, env=NO_CACHE))
        uncached_hist = stack.enter_context(gunicorn(hist, workdir, env=NO_CACHE))
        answers = {}
        for name, s in (("base", server), ("base, cache off", uncached), ("history, cache off", uncached_hist)):
            status, body = s.get(availability)
            if status != 200:
                raise RuntimeError(f"availability answered {status} on {name}: {body[:500]!r}")
            answers[name] = body
        status, long_answer = uncached.get(availability_62)
        if status != 200:
            raise RuntimeError(f"62-day availability answered {status}: {long_answer[:500]!r}")
        long_slots = len(json.loads(long_answer)["slots"])
        slots = len(json.loads(answers["base"])["slots"])
        if len({len(json.loads(b)["slots"]) for b in answers.values()}) != 1:
            raise RuntimeError("the history changed the window's availability: it must lie outside the window")
        say(
            f"{kind}: 3 x gunicorn -w {WORKERS} sync; availability {first} +{WINDOW_DAYS}d: {slots} slots, "
            f"{len(answers['base']):,} bytes; +{LONG_WINDOW_DAYS}d: {long_slots} slots, {len(long_answer):,} bytes"
        )

        # B1 (and B1u): throughput against /healthz on the same setup.
        b1 = rounds(
            {
                "healthz": lambda s: run(server, "/healthz", tool, seconds=s),
                "availability": lambda s: run(server, availability, tool, seconds=s),
                "availability_uncached": lambda s: run(uncached, availability, tool, seconds=s),
                "availability_uncached_62": lambda s: run(uncached, availability_62, tool, seconds=s),
            }
        )
        for name, series in b1.items():
            say(f"{kind}: B1 {line(name, series)}")
        health = b1["healthz"]
        common = {
            "slots": slots,
            "response_bytes": len(answers["base"]),
            "from": first.isoformat(),
            "days": WINDOW_DAYS,
            "healthz": health.summary(),
        }
        figures.append(
            Figure(
                "B1",
                kind,
                round(b1["availability"].rps / health.rps, 4),
                label,
                {**common, "availability": b1["availability"].summary()},
            )
        )
        figures.append(
            Figure(
                "B1u",
                kind,
                round(b1["availability_uncached"].rps / health.rps, 4),
                label,
                {**common, "availability": b1["availability_uncached"].summary()},
                required=required,
            )
        )
        long = b1["availability_uncached_62"]
        figures.append(
            Figure(
                "B1u62",
                kind,
                round(long.rps / health.rps, 4),
                label,
                {
                    **common,
                    "slots": long_slots,
                    "response_bytes": len(long_answer),
                    "days": LONG_WINDOW_DAYS,
                    "availability": long.summary(),
                },
                required=False,
            )
        )
        short = b1["availability_uncached"]
        figures.append(
            Figure(
                "B1x",
                kind,
                round(short.rps / long.rps, 3) if long.rps else None,
                label,
                {
                    "rps_14": round(short.rps, 1),
                    "rps_62": round(long.rps, 1),
                    "slots_14": slots,
                    "slots_62": long_slots,
                    # per round, each side's rps: how steady the machine was
                    "round_ratios": [
                        round(a.rps / b.rps, 2) for a, b in zip(short.runs, long.runs, strict=True) if b.rps
                    ],
                },
                required=required,
            )
        )

        figures.append(bench_memory(kind, base, workdir, first, label))

        # B2: one client at a time, so the figure is the computation's latency, not queueing.
        b2 = rounds(
            {
                "without": lambda s: run(uncached, availability, tool, connections=1, seconds=s),
                "with": lambda s: run(uncached_hist, availability, tool, connections=1, seconds=s),
            }
        )
        for name, series in b2.items():
            say(f"{kind}: B2 {line(name + ' history', series)}")
        per_round = [
            round(w.lat_p50_ms / o.lat_p50_ms, 3) for w, o in zip(b2["with"].runs, b2["without"].runs, strict=True)
        ]
        figures.append(
            Figure(
                "B2",
                kind,
                round(b2["with"].p50_ms / b2["without"].p50_ms, 3),
                label,
                {
                    "without": b2["without"].summary(),
                    "with": b2["with"].summary(),
                    "history": history,
                    "round_ratios": per_round,
                },
                required=required,
            )
        )

        # B4: every body a different free time (no two of one provider overlap) and a new patient.
        bodies = workdir / f"bookings-{kind}.jsonl"
        made = _database.write_booking_bodies(
            base_app, bodies, first_day=first + timedelta(days=WINDOW_DAYS), count=BOOKING_BODIES
        )
        used = 0

        def book(seconds: float) -> _load.LoadResult:
            # Each run books from the first body into the same free times, for new patients: the
            # run before's bookings and patients are removed first (outside the timed run), as there
            # are too few free times within the booking horizon for every run to have its own.
            nonlocal used
            _database.remove_api_bookings(base_app)
            result = run(server, "/api/v1/appointments", tool, seconds=seconds, bodies_file=bodies, first_body=0)
            used += result.bodies_sent
            return result

        b4 = rounds({"healthz": lambda s: run(server, "/healthz", tool, seconds=s), "booking": book})
        for name, series in b4.items():
            say(f"{kind}: B4 {line(name, series)}")
        booking = b4["booking"]
        exhausted = sum(r.exhausted for r in booking.runs)
        stored = _database.count_api_bookings(base_app)
        figures.append(
            Figure(
                "B4",
                kind,
                round(booking.rps / b4["healthz"].rps, 4),
                label,
                {
                    "booking": booking.summary(),
                    "healthz": b4["healthz"].summary(),
                    "errors": booking.errors,
                    "created_201": sum(r.status_201 for r in booking.runs),
                    "bodies_prepared": made,
                    "bodies_sent": used,
                    "exhausted": exhausted,
                    "api_bookings_in_database": stored,  # the last run's: each run removes the one's before
                },
                note=f"bodies ran out ({made}): rps understated" if exhausted else "",
                required=required,
            )
        )
    return figures


def bench_memory(kind: str, url: str, workdir: Path, first: date, label: str) -> Figure:
    """B1m: one gunicorn worker with the availability cache on (default CACHE_SIZE and
    CACHE_MAX_BYTES) asked MEMORY_QUERIES distinct 62-day questions (two visit types, a
    different first day each); its resident memory before and after. The same with the byte bound
    lifted (entries capped by count alone, as before it existed) for comparison."""
    questions = [
        f"/api/v1/availability?visit_type={visit_type}&from={(first + timedelta(days=k)).isoformat()}"
        f"&days={LONG_WINDOW_DAYS}"
        for k in range(MEMORY_QUERIES // 2)
        for visit_type in ("evaluation", "therapy")
    ]
    details: dict[str, Any] = {"queries": len(questions)}
    for name, env in (("default", {}), ("count_only", {"SCHEDULER_CACHE_MAX_BYTES": str(10**12)})):
        with gunicorn(url, workdir, workers=1, env=env) as one:
            (pid,) = worker_pids(one)
            one.get(questions[0])
            before = memory_mb(pid)
            started = time.perf_counter()
            answered = 0
            for path in questions:
                status, body = one.get(path)
                if status != 200:
                    raise RuntimeError(f"B1m: {path} answered {status}: {body[:300]!r}")
                answered += len(body)
            elapsed = time.perf_counter() - started
            after = memory_mb(pid)
        details[name] = {
            "before_mb": before["rss_mb"],
            "after_mb": after["rss_mb"],
            "peak_mb": after["peak_mb"],
            "answers_mb": round(answered / 1e6, 1),
            "seconds": round(elapsed, 1),
        }
        say(
            f"{kind}: B1m ({name}) worker RSS {before['rss_mb']} MB -> {after['rss_mb']} MB (peak "
            f"{after['peak_mb']}) after {len(questions)} distinct 62-day queries ({answered / 1e6:,.0f} MB of "
            f"answers) in {elapsed:.0f}s"
        )
    return Figure("B1m", kind, details["default"]["after_mb"], "http.client", details, required=False)


def bench_drain(workdir: Path) -> list[Figure]:
    """B5: the outbox drained into a local aiosmtpd by 1, then 2 worker processes (PostgreSQL)."""
    try:
        results = _outbox.run(workdir, say)
    except Exception as error:  # reported like the others: B5 must not hide B1-B4
        say(f"postgresql: B5 FAILED: {error}")
        traceback.print_exc()
        return [
            Figure(fid, "postgresql", None, "aiosmtpd", note=f"failed: {str(error)[:160]}") for fid in ("B5-1", "B5")
        ]
    figures = []
    for fid, workers in (("B5-1", 1), ("B5", 2)):
        r = results[f"workers_{workers}"]
        figures.append(
            Figure(
                fid,
                "postgresql",
                r["msgs_per_s"],
                "aiosmtpd",
                {**r, "messages_queued": results["messages_queued"], "batch": results["batch"]},
                required=workers == 2,
            )
        )
    return figures


def bench_waitlist() -> list[Figure]:
    """B8: a simulated clinic month of the waitlist on PostgreSQL (bench/_waitlist.py)."""
    try:
        r = _waitlist.run(say)
    except Exception as error:  # reported like the others: B8 must not hide the rest
        say(f"postgresql: B8 FAILED: {error}")
        traceback.print_exc()
        return [Figure(fid, "postgresql", None, "simulation", note=f"failed: {str(error)[:160]}") for fid in ("B8",)]
    say(_waitlist.describe(r))
    informational = {"B8d", "B8o"}
    return [
        Figure(fid, "postgresql", value, "simulation", r if fid == "B8" else {}, required=fid not in informational)
        for fid, value in _waitlist.figures(r).items()
    ]


def main() -> int:
    started = time.perf_counter()
    tool = _load.load_tool()
    label = _load.tool_label(tool)
    if tool != "wrk":
        say("wrk not found (apt-get install -y wrk): using the Python load generator, which saturates sooner")
    wanted = [d.strip() for d in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",") if d.strip()]
    machine: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_tool": label,
        "gunicorn_workers": WORKERS,
        "seconds_per_run": SECONDS,
        "rounds": ROUNDS,
        "connections": CONNECTIONS,
        "load_average_at_start": os.getloadavg(),
    }
    figures: list[Figure] = []

    say("B3: free_slots, one provider-month (timeit, best of 7)")
    b3 = _slots.run()
    figures.append(Figure("B3", "-", round(b3["ratio"], 3), "timeit", b3))
    for name, case in b3["cases"].items():
        say(
            f"B3: {case['reservations']:>5} reservations{' (after hours)' if 'after' in name else ''}: "
            f"{case['ms']:.3f} ms, {case['slots']} slots"
        )

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        for kind in wanted:
            try:
                if kind == "sqlite":
                    urls = [_database.sqlite_url(workdir, "base"), _database.sqlite_url(workdir, "history")]
                    figures += bench_database(kind, urls, tool, label, workdir)
                elif kind == "postgresql":
                    machine["postgresql"] = _database.postgres_version()
                    with _database.postgres_databases("base", "history") as urls:
                        figures += bench_database(kind, urls, tool, label, workdir)
                else:
                    say(f"unknown database {kind!r} in BENCH_DATABASES")
            except Exception as error:  # report and go on: one missing server must not hide the other figures
                say(f"{kind}: FAILED: {error}")
                traceback.print_exc()
                for fid in ("B1", "B2", "B4"):
                    figures.append(Figure(fid, kind, None, label, note=f"failed: {str(error)[:160]}"))

        if "postgresql" in wanted:
            figures += bench_drain(workdir)
            figures += bench_waitlist()

    machine["load_average_at_end"] = os.getloadavg()
    order = list(TARGETS)
    figures.sort(key=lambda f: (order.index(f.id), f.database != "sqlite"))
    elapsed = time.perf_counter() - started
    print_table(figures, machine, elapsed)
    RESULTS.mkdir(exist_ok=True)
    result = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "elapsed_s": round(elapsed, 1),
        "machine": machine,
        "figures": [f.as_dict() for f in figures],
    }
    target = RESULTS / "latest.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(f"Results written to {target.relative_to(Path.cwd()) if target.is_relative_to(Path.cwd()) else target}")
    return 0


def print_table(figures: list[Figure], m: dict[str, Any], elapsed: float) -> None:
    print()
    print(
        f"Machine: {m['cpus']} CPUs, {m['platform']}, Python {m['python']}, SQLite {m['sqlite']}, "
        f"PostgreSQL {m.get('postgresql', '-')}; load average {m['load_average_at_start'][0]:.2f} at start, "
        f"{m['load_average_at_end'][0]:.2f} at end"
    )
    print(
        f"Server: gunicorn --workers {m['gunicorn_workers']} --worker-class sync, rate limits off. "
        f"Load: {m['load_tool']}, {m['connections']} connections (B2: 1), {m['rounds']} interleaved rounds of "
        f"{m['seconds_per_run']:g}s a side after a {WARMUP:g}s warm-up"
    )
    print()
    header = f"{'figure':<6} {'what':<50} {'value':>7} {'target':>7}  {'result':<9}{'database':<11} tool"
    print(header)
    print("-" * len(header))
    for f in figures:
        value = "-" if f.value is None else f"{f.value:.3f}"
        result = f.verdict + ("" if f.required else "*")
        print(f"{f.id:<6} {TARGETS[f.id][2]:<50} {value:>7} {f.target:>7}  {result:<9}{f.database:<11} {f.tool}")
    print("* informational: the issue asks for this figure on PostgreSQL only, or it is a diagnostic")
    if "python" in m["load_tool"]:
        print("! wrk was not installed: the Python load generator saturates well below the server on /healthz, so")
        print(
            "  ratios to /healthz read HIGHER than wrk's would. Install wrk (apt-get install -y wrk) for real figures."
        )
    print()
    for f in figures:
        d = f.details
        if f.value is None:
            print(f"{f.id} {f.database}: {f.note}")
        elif f.id in ("B1", "B1u", "B1u62"):
            a, h = d["availability"], d["healthz"]
            print(
                f"{f.id} {f.database}: availability {a['rps']:,.1f} rps (p50 {a['p50_ms']:.1f} ms; {d['slots']} slots, "
                f"{d['response_bytes']:,} B) / healthz {h['rps']:,.1f} rps (p50 {h['p50_ms']:.2f} ms); "
                f"errors {a['errors']} + {h['errors']}"
            )
        elif f.id == "B1x":
            print(
                f"B1x {f.database}: cache off, 14 days {d['rps_14']:,.1f} rps ({d['slots_14']} slots) / 62 days "
                f"{d['rps_62']:,.1f} rps ({d['slots_62']} slots) "
                f"(rounds: {', '.join(f'{x:.2f}' for x in d['round_ratios'])})"
            )
        elif f.id == "B1m":
            a, c = d["default"], d["count_only"]
            print(
                f"B1m {f.database}: one worker, cache on: {a['before_mb']} -> {a['after_mb']} MB RSS (peak "
                f"{a['peak_mb']}) after {d['queries']} distinct 62-day queries ({a['answers_mb']:,.0f} MB of answers); "
                f"bounded by count alone (CACHE_MAX_BYTES lifted): {c['before_mb']} -> {c['after_mb']} MB"
            )
        elif f.id == "B2":
            h = d["history"]
            print(
                f"B2 {f.database}: p50 {d['without']['p50_ms']:.2f} ms without -> {d['with']['p50_ms']:.2f} ms with "
                f"{h['appointments']:,} appointments / {h['reservations']:,} reservations outside the window "
                f"(rounds: {', '.join(f'{x:.2f}' for x in d['round_ratios'])}; bulk insert {h['insert_s']}s)"
            )
        elif f.id == "B3":
            c = d["cases"]
            parts = ", ".join(
                f"{v['reservations']}{' after hours' if 'after' in k else ''}: {v['ms']:.2f} ms ({v['slots']} slots)"
                for k, v in c.items()
            )
            print(
                f"B3: {d['weekdays']} weekdays, {d['visit_type']}, one provider 08-17: {parts}; "
                f"1000 after hours / none = {d['ratio_after_hours']:.2f}"
            )
        elif f.id == "B4":
            b = d["booking"]
            print(
                f"B4 {f.database}: booking {b['rps']:,.1f} rps (p50 {b['p50_ms']:.1f} ms, "
                f"p99 <= {b['p99_ms_max']:.1f} ms) / healthz {d['healthz']['rps']:,.1f} rps; "
                f"{d['created_201']} x 201, errors {d['errors']}; "
                f"{d['api_bookings_in_database']} API bookings of the last run stored"
                + (f"; {f.note}" if f.note else "")
            )
        elif f.id == "B8":
            print(_waitlist.describe(d))
        elif f.id.startswith("B5"):
            print(
                f"{f.id} {f.database}: {d['workers']} worker(s) (flask jobs drain --until-empty, batch {d['batch']}): "
                f"{d['messages']:,} messages, {f.value:,.1f} msg/s first to last arrival "
                f"({d['msgs_per_s_wall']:,.1f} msg/s over {d['wall_s']}s with start-up); {d['received']:,} received, "
                f"duplicates {d['duplicates']}, lost {d['lost']}, rows not sent {d['rows_not_sent']}, "
                f"attempts {d['attempts']}; CPU per message: workers {d.get('worker_cpu_ms_per_msg')} ms, "
                f"SMTP sink {d.get('sink_cpu_ms_per_msg')} ms; load average {d.get('load_average')}"
            )
    print(f"\nTotal {elapsed:.0f}s.")


if __name__ == "__main__":
    sys.exit(main())
