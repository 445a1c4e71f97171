"""Benchmarks: ``make bench`` (``python -m bench``) prints the issue's figures as ratios measured
within one run on this machine, and writes them to bench/results/latest.json.

B1  GET /api/v1/availability (evaluation, next Monday + 14 days, all PM&R providers) rps / GET /healthz
    rps, gunicorn (2 x cores) + 1 sync workers, 8 connections; SQLite and PostgreSQL. Target >= 0.2.
    B1u: the same with the per-process availability cache off (SCHEDULER_CACHE_SIZE=0): B1 repeats
    one URL, so once warm it measures cache hits; B1u is what a client asking new questions costs.
    Target >= 0.3. B1u62: the same for 62 days (the most one call answers), and B1x the cost of
    62 days relative to 14 (B1u rps / B1u62 rps). Target <= 4.
B1m one gunicorn worker, cache on (default CACHE_SIZE and CACHE_MAX_BYTES), asked 1,000 distinct
    62-day questions: its resident memory (VmRSS, MB) after them; the same with the byte bound
    lifted (a count of entries alone) is shown beside it.
B2  the same availability call, cache off, one connection, against a copy of the database holding
    100,000 more appointments (3 years back, and from 60 days after the window for a year) versus
    the original: p50 latency ratio. Target <= 1.3.
B3  scheduler.domain.slots.free_slots for one provider-month (21 weekdays) with 1,000
    reservations versus 50: time ratio (timeit, best of 7). Target <= 2.
B4  POST /api/v1/appointments rps (each request a different free time and a new patient, so all
    succeed) / GET /healthz rps, PostgreSQL (SQLite shown too). Target >= 0.15 with 0 errors.
B5  drain 10,000 queued email messages from the outbox into a local aiosmtpd (answering at once) with
    1 (B5-1, informational) and with 2 worker processes (``flask jobs drain --until-empty``) on
    PostgreSQL: messages/s from the first arrival to the last, duplicates and lost (each must be 0).
    Target >= 300 messages/s with 2 workers. ``python -m bench._outbox`` runs it alone.
B6  GET /fhir/Slot (PM&R evaluations, every provider, 14 days; API token, audit row per call) rps /
    GET /healthz rps on B1's gunicorn setup; SQLite and PostgreSQL. Target >= 0.15. B6u: caches off.
    ``python -m bench._fhir`` runs it alone.
B8  a simulated clinic month of the waitlist (issue 17) on PostgreSQL: the demo clinic booked full
    for four weeks (and the week before), 12% of the month's visits cancelled at random times, 500
    patients joining with random windows (half to replace a visit of theirs), each patient offered
    a time claiming it with probability 0.3 at a random moment of the hold; simulated time (every
    service given ``now=``), the worker's tick on a 10 s grid (run_pass, then the outbox drained into
    a local aiosmtpd). B8: share of cancelled times refilled before they start (target >= 0.6);
    B8d: median days moved earlier, entries replacing a visit; B8o: offers sent (patients offered)
    per fill; B8t: p95 seconds from a time freeing to its first offer queued = the simulated wait
    for the next tick + the real duration of that tick's run_pass (target <= 15); B8x: overlapping
    active provider reservations (must be 0); B8m: outbox rows of the month neither delivered to
    the sink nor withdrawn (must be 0). ``python -m bench._waitlist`` runs it alone (see its
    docstring for the exact model; BENCH_WAITLIST_DAYS, BENCH_WAITLIST_ENTRIES, BENCH_WAITLIST_SEED).

Each ratio's two sides are measured in interleaved rounds (A B A B ...) so background load falls
on both alike. Figures are not pass/fail tests: a MISS is reported, never raised.

Environment: BENCH_SECONDS (seconds per load run, default 2), BENCH_ROUNDS (default 3),
BENCH_LOAD_TOOL=python (skip wrk), BENCH_DATABASES (default "sqlite,postgresql"),
BENCH_POSTGRES_URL (admin URL, default postgresql://postgres@127.0.0.1:5432/postgres),
BENCH_DRAIN_MESSAGES (B5's queue, default 10000).
"""
