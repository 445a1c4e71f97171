"""B8: a simulated clinic month of the waitlist (issue 17) on PostgreSQL.

The demo clinic (``seed_demo``: its providers, rooms, visit types and demo visits) is booked full,
at S = T0 - 7 days, from S to T0 + DAYS, T0 being the Monday after next: every provider's day
packed from the morning with the visit types they perform, each visit through
``booking.place_visit``, until no visit type fits anywhere (the week before T0 too, so that what
patients see free is what the month frees). Then, in simulated time (every service is given
``now=``, nothing waits in real time), from S to T0 + DAYS:

- CANCELLED (12%) of the month's visits are cancelled (``booking.cancel_visit``), each at a time
  drawn uniformly between S and its start;
- ENTRIES (500) patients join the waitlist (``waitlist.join``) at random times in the week from S:
  half to replace a visit of theirs (drawn from the month's visits starting at least 3 days after
  they join, "I'd take an earlier time"), half new patients; the visit type as the month's visits
  are spread; random windows: providers (anyone, 30% one of them; a follow-up its team), earliest
  and latest dates (each 40% of entries), 2-4 weekdays (50%), morning or afternoon (50%);
- the worker: a tick on a fixed grid every JOBS_INTERVAL_SECONDS (10 s) runs ``run_pass(now=tick)``
  and then drains the outbox (``drain_once(now=tick)`` until nothing is left, as ``jobs.one_tick``)
  into a local aiosmtpd. Ticks where nothing happened since the last are skipped (run_pass would
  find nothing), so a tick is simulated at the first grid point after every cancellation, claim
  and offer expiry. A tick whose real duration (pass + drain) outlasts the interval pushes the next
  to the first grid point after it ends, as APScheduler's max_instances=1 would;
- each patient offered a time claims it (``waitlist_claims.claim`` with the link's token) with
  probability CLAIM_PROBABILITY (0.3) at a time drawn uniformly within the offer's hold.

Figures (the first freed times are those of the cancellations):

- B8  share of cancelled visits' times refilled before they start: a claim booked that provider
  at that start after the cancellation (goal >= 0.6);
- B8d median days moved earlier, entries replacing a visit: old start - new start (informational;
  the details give new patients' days sooner than their own first free time: the first time
  the booking page showed for that visit type when they joined that their windows and providers
  accept; and how many joined while such a time was free, which the waitlist never offers them:
  it offers only times freed after the entry was made);
- B8o offers sent per fill: patients offered (recipient rows) / times claimed (informational);
- B8t p95 seconds from a time freeing (cancellation, or a claim that moved a visit) to its first
  offer being queued: (the tick that offered it - the moment it was freed, in simulated seconds:
  the wait for the next tick, uniform over the interval) + the real wall-clock duration of that
  tick's whole ``run_pass`` (the offer's rows commit within it, so this is an upper bound). Freed
  times nobody waiting fitted are not in it (they are counted apart). Goal <= 15 s;
- B8x double bookings: pairs of overlapping active reservations of one provider (rooms and
  patients in the details), checked in SQL at the end. Must be 0;
- B8m messages lost: every outbox row queued during the simulation (offers, taken, confirmations,
  cancellations, reminders), after a last drain a day after the month: each must be sent and its
  Message-ID received by the SMTP sink, or withdrawn (a reminder of a visit cancelled or moved).
  Must be 0. The outbox rows of the setup (the fill's confirmations) are deleted before it starts.

``python -m bench._waitlist`` runs it alone; BENCH_WAITLIST_DAYS, BENCH_WAITLIST_ENTRIES and
BENCH_WAITLIST_SEED make it smaller or different (``BENCH_WAITLIST_DAYS=5 BENCH_WAITLIST_ENTRIES=60``
takes about a minute; the full size about five).
"""

from __future__ import annotations

import heapq
import json
import math
import os
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import text

from bench import _database
from bench._outbox import smtp_sink

DAYS = int(os.environ.get("BENCH_WAITLIST_DAYS", "28"))  # the booked month: four weeks from T0
ENTRIES = int(os.environ.get("BENCH_WAITLIST_ENTRIES", "500"))
SEED = int(os.environ.get("BENCH_WAITLIST_SEED", "17"))
CANCELLED = 0.12
CLAIM_PROBABILITY = 0.3
LEAD = timedelta(days=7)  # the fill and the joins are in the week before T0
REPLACING = 0.5  # share of entries that replace a visit of theirs

TARGETS = {
    "B8": (">=", 0.6, "waitlist month: cancelled times refilled in time"),
    "B8d": (">=", None, "  median days moved earlier (replacing a visit)"),
    "B8o": ("<=", None, "  offers sent (patients offered) per fill"),
    "B8t": ("<=", 15.0, "  p95 s freed -> first offer queued, 10 s ticks"),
    "B8x": ("<=", 0, "  double bookings (overlapping provider times)"),
    "B8m": ("<=", 0, "  messages lost (neither delivered nor withdrawn)"),
}


@dataclass
class Sim:
    app: Flask
    rng: random.Random
    interval: timedelta
    start: datetime  # S: the fill
    t0: datetime
    end: datetime
    days: int = DAYS
    entries: int = ENTRIES
    lead: timedelta = LEAD
    events: list[tuple[datetime, int, str, Any]] = field(default_factory=list)
    seq: int = 0
    ticks: set[datetime] = field(default_factory=set)
    busy_until: datetime | None = None
    pass_seconds: dict[datetime, float] = field(default_factory=dict)
    tick_seconds: list[float] = field(default_factory=list)
    freed: dict[int, dict[str, Any]] = field(default_factory=dict)  # freed_time_row id -> what and when
    last_freed_id: int = 0
    fill_times: dict[tuple[int, datetime], list[datetime]] = field(default_factory=dict)
    claims: Counter[str] = field(default_factory=Counter)
    moved_days: list[float] = field(default_factory=list)
    sooner_days: list[float] = field(default_factory=list)
    first_free: dict[int, datetime | None] = field(default_factory=dict)  # entry id -> first free at join
    tokens: dict[int, tuple[str, str]] = field(default_factory=dict)  # appointment id -> (reference, token)
    counts: Counter[str] = field(default_factory=Counter)
    offers_seen: set[int] = field(default_factory=set)
    notice: dict[int, timedelta] = field(default_factory=dict)  # visit type id -> the waitlist's notice
    offer_times: dict[tuple[int, datetime], list[datetime]] = field(default_factory=dict)  # (provider, start)

    def push(self, when: datetime, kind: str, payload: Any = None) -> None:
        self.seq += 1
        heapq.heappush(self.events, (when, self.seq, kind, payload))

    def grid_after(self, moment: datetime) -> datetime:
        step = self.interval.total_seconds()
        k = math.floor((moment - self.start).total_seconds() / step) + 1
        return self.start + timedelta(seconds=k * step)

    def tick_after(self, moment: datetime) -> None:
        when = self.grid_after(moment)
        if when not in self.ticks:
            self.ticks.add(when)
            self.push(when, "tick")


def say_default(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def make_app(url: str, smtp_port: int) -> Flask:
    from scheduler import create_app
    from scheduler.config import DEFAULTS

    addresses = {key: DEFAULTS[key] for key in ("PUBLIC_BASE_URL", "MAIL_DOMAIN", "MAIL_FROM")}
    return create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "MAIL_SMTP_HOST": "127.0.0.1",
            "MAIL_SMTP_PORT": smtp_port,
            **addresses,
        }
    )


# ----- the month booked full ------------------------------------------------------------------------


def plan_fill(sim: Sim) -> list[tuple[str, int, datetime]]:
    """(visit type, provider, start) for every visit that fits: each provider's day packed from the
    morning, the visit type at each earliest free start drawn among those that fit there."""
    from scheduler.domain.intervals import Interval
    from scheduler.domain.slots import free_slots
    from scheduler.domain.slots import provider_resource
    from scheduler.domain.slots import room_resource
    from scheduler.services import clinic

    rng = sim.rng
    offer = clinic.current_catalog(sim.start)
    rooms = list(offer.rooms.values())
    first = _day(sim.start)
    days = (_day(sim.end) - first).days
    window = clinic.day_window(first, days)
    keys = [provider_resource(p) for p in offer.providers] + [room_resource(r) for r in offer.rooms]
    busy = {k: list(v) for k, v in clinic.busy(keys, window).items()}
    planned: list[tuple[str, int, datetime]] = []
    for n in range(days):
        day = first + timedelta(days=n)
        providers = list(offer.providers.values())
        rng.shuffle(providers)
        for provider in providers:
            codes = sorted(c for c in provider.performs if c in offer.visit_types)
            while True:
                firsts = []
                for code in codes:
                    slots = free_slots(
                        visit_type=offer.visit_types[code],
                        providers=[provider],
                        rooms=rooms,
                        calendar=offer.calendar,
                        first_day=day,
                        days=1,
                        busy=busy,
                        not_before=sim.start,
                    )
                    if slots:
                        firsts.append((slots[0].start, rng.random(), code, slots[0]))
                if not firsts:
                    break
                start, _, code, slot = min(firsts)
                planned.append((code, provider.id, start))
                busy.setdefault(provider_resource(provider.id), []).append(Interval(slot.start, slot.end))
                if slot.room_id:
                    busy.setdefault(room_resource(slot.room_id), []).append(Interval(slot.start, slot.end))
    return planned


def _day(moment: datetime) -> date:
    from scheduler.domain.clock import clinic_today

    return clinic_today(moment)


def book_full(sim: Sim, say: Any) -> list[dict[str, Any]]:
    from scheduler.domain.errors import DomainError
    from scheduler.domain.patients import PatientDetails
    from scheduler.services import booking
    from scheduler.services import clinic

    t = time.perf_counter()
    planned = plan_fill(sim)
    offer = clinic.current_catalog(sim.start)
    visits: list[dict[str, Any]] = []
    refused: Counter[str] = Counter()
    for i, (code, provider_id, start) in enumerate(planned):
        patient = PatientDetails(
            given_name="Month",
            family_name=f"Patient{i:05d}",
            birth_date=date(1945, 1, 1) + timedelta(days=(i * 37) % 20_000),
            phone=None,
            email=f"month.patient{i}@example.com",
        )
        booked = None
        for urgent in (False, True):
            try:
                booked = booking.place_visit(
                    visit_type_code=code,
                    start=start,
                    patient=patient,
                    channel="phone",
                    provider_id=provider_id,
                    specialty_code=offer.providers[provider_id].specialty,
                    urgent=urgent,
                    now=sim.start,
                )
                break
            except DomainError as refusal:
                if urgent:
                    refused[refusal.code] += 1
        if booked is not None:
            v = booked.appointment
            sim.tokens[v.id] = (v.reference, booked.manage_token)
            visits.append({"id": v.id, "code": code, "provider_id": provider_id, "start": v.starts_at})
    say(
        f"postgresql: B8 booked {len(visits):,} visits from {sim.start:%Y-%m-%d} to {sim.end:%Y-%m-%d} in "
        f"{time.perf_counter() - t:.0f}s (refused {dict(refused) or 0})"
    )
    sim.counts["fill_refused"] = sum(refused.values())
    return visits


def month_visits(sim: Sim) -> list[dict[str, Any]]:
    """Every visit booked in the month (the demo's own too), after the fill."""
    from scheduler.domain.bookings import AppointmentStatus
    from scheduler.store import models
    from scheduler.store.engine import db

    a = models.Appointment
    rows = db.session.execute(
        select(a.id, a.provider_id, a.starts_at, a.visit_type_id).where(
            a.status == AppointmentStatus.BOOKED, a.starts_at >= sim.t0, a.starts_at < sim.end
        )
    ).all()
    db.session.rollback()
    return [{"id": r[0], "provider_id": r[1], "start": r[2]} for r in rows]


# ----- the waitlist -----------------------------------------------------------------------------------


def entry_specs(sim: Sim, visits: list[dict[str, Any]]) -> None:
    """Schedule ENTRIES joins in the week from S."""
    from scheduler.services import clinic

    rng = sim.rng
    offer = clinic.current_catalog(sim.start)
    codes = [v["code"] for v in visits]
    replaceable = [v for v in visits if v["id"] in sim.tokens]
    chosen_visits: set[int] = set()
    for i in range(sim.entries):
        at = sim.start + timedelta(seconds=rng.uniform(0, sim.lead.total_seconds()))
        replaces = None
        if rng.random() < REPLACING:
            later = [v for v in replaceable if v["start"] >= at + timedelta(days=3) and v["id"] not in chosen_visits]
            if later:
                replaces = rng.choice(later)
                chosen_visits.add(replaces["id"])
        code = replaces["code"] if replaces else rng.choice(codes)
        capable = sorted(p.id for p in offer.providers.values() if p.does(code))
        if replaces is not None:
            specialty = offer.providers[replaces["provider_id"]].specialty
        else:
            specialty = offer.providers[rng.choice(capable)].specialty
        if rng.random() < 0.3:
            providers = [replaces["provider_id"] if replaces else rng.choice(capable)]
        elif code == "follow-up":  # their own team
            providers = [p for p in capable if offer.providers[p].specialty == specialty]
        else:
            providers = []
        join_day = _day(at)
        earliest = join_day + timedelta(days=rng.randrange(0, 11)) if rng.random() < 0.4 else None
        latest = (earliest or join_day) + timedelta(days=rng.randrange(5, 29)) if rng.random() < 0.4 else None
        weekdays = sorted(rng.sample(range(5), rng.randrange(2, 5))) if rng.random() < 0.5 else []
        parts = [rng.choice(["morning", "afternoon"])] if rng.random() < 0.5 else []
        spec = {
            "n": i,
            "code": code,
            "specialty": specialty,
            "providers": providers,
            "replaces": replaces["id"] if replaces else None,
            "windows": {"earliest": earliest, "latest": latest, "weekdays": weekdays, "parts_of_day": parts},
        }
        sim.push(at, "join", spec)


def join(sim: Sim, now: datetime, spec: dict[str, Any]) -> None:
    from scheduler.domain.errors import DomainError
    from scheduler.domain.patients import PatientDetails
    from scheduler.services import waitlist

    windows = waitlist.windows_from(**spec["windows"])
    patient = None
    replaces = None
    if spec["replaces"] is not None:
        replaces = sim.tokens[spec["replaces"]]
    else:
        n = spec["n"]
        patient = PatientDetails(
            given_name="Waiting",
            family_name=f"Patient{n:04d}",
            birth_date=date(1950, 1, 1) + timedelta(days=(n * 53) % 18_000),
            phone=None,
            email=f"waiting.patient{n}@example.com",
        )
    try:
        joined = waitlist.join(
            visit_type_code=spec["code"],
            patient=patient,
            windows=windows,
            provider_ids=spec["providers"],
            replaces=replaces,
            channel="web" if patient else "phone",
            now=now,
        )
    except DomainError as refusal:
        fields = sorted(getattr(refusal, "problems", None) or getattr(refusal, "fields", None) or {})
        sim.counts[f"join_refused_{refusal.code}{'_' + '_'.join(fields) if fields else ''}"] += 1
        return
    sim.counts["joined"] += 1
    sim.counts["joined_replacing" if replaces else "joined_new"] += 1
    entry_id = _entry_id(joined.view.reference)
    if patient is not None:
        first = _first_free(spec["code"], now, windows, spec["providers"], spec["specialty"])
        sim.first_free[entry_id] = first
        # A time that fit them was free when they joined, inside the booked weeks: the waitlist
        # offers only times freed after it (a new entry is not matched against times already free).
        sim.counts["joined_new_with_a_fitting_time_free"] += first is not None and first < sim.end
    else:
        from scheduler.store import models
        from scheduler.store.engine import db

        visit = db.session.get(models.Appointment, spec["replaces"])
        assert visit is not None
        before = visit.starts_at
        first = _first_free(spec["code"], now, windows, spec["providers"], spec["specialty"], before=before)
        sim.counts["joined_replacing_with_an_earlier_fitting_time_free"] += first is not None


def _entry_id(reference: str) -> int:
    from scheduler.store import waitlist as store_waitlist

    row = store_waitlist.entry_by_reference(reference)
    assert row is not None
    return row.id


def _first_free(
    code: str, now: datetime, windows: Any, providers: list[int], specialty: str, before: datetime | None = None
) -> datetime | None:
    """The patient's own first free time: the first the booking page shows for ``code`` from
    ``now`` that their windows and provider choice accept (None: none in 124 days)."""
    from scheduler.domain.clock import clinic_instant
    from scheduler.services.availability import find_availability
    from scheduler.store.engine import db

    day = _day(now)
    try:
        for _ in range(4):
            for slot in find_availability(code, day, 31, now=now, specialty_code=specialty).slots:
                if before is not None and slot.start >= before:
                    return None
                if (not providers or slot.provider_id in providers) and windows.why_not(slot.start) is None:
                    return slot.start
            day += timedelta(days=31)
            if before is not None and clinic_instant(day, datetime.min.time()) >= before:
                return None
        return None
    finally:
        db.session.rollback()


# ----- the simulation --------------------------------------------------------------------------------


def cancel(sim: Sim, now: datetime, appointment_id: int) -> None:
    from scheduler.domain.errors import DomainError
    from scheduler.services import booking

    try:
        booking.cancel_visit(appointment_id, "bench: cancelled", notify=True, now=now)
    except DomainError as refusal:
        sim.counts[f"cancel_refused_{refusal.code}"] += 1
        return
    sim.counts["cancelled"] += 1
    note_freed(sim)
    sim.tick_after(now)


def note_freed(sim: Sim) -> None:
    """Keep the freed-time rows written since the last look (the pass deletes them a week later)."""
    from scheduler.store import models
    from scheduler.store.engine import db

    f = models.FreedTimeRow
    for row in db.session.execute(
        select(f.id, f.provider_id, f.starts_at, f.ends_at, f.cause, f.created_at, f.visit_type_id).where(
            f.id > sim.last_freed_id
        )
    ):
        sim.freed[row[0]] = {
            "notice": sim.notice[row[6]],
            "provider_id": row[1],
            "start": row[2],
            "end": row[3],
            "cause": str(row[4]),
            "at": row[5],
            "handled_at": None,
        }
        sim.last_freed_id = max(sim.last_freed_id, row[0])
    db.session.rollback()


def tick(sim: Sim, now: datetime, transports: Any) -> None:
    from scheduler.services.outbox_delivery import drain_once
    from scheduler.services.waitlist_offers import run_pass
    from scheduler.store import models
    from scheduler.store.engine import db

    sim.ticks.discard(now)
    if sim.busy_until is not None and now < sim.busy_until:  # the worker is still in its last tick
        sim.counts["ticks_skipped_busy"] += 1
        sim.tick_after(sim.busy_until - timedelta(microseconds=1))
        return
    started = time.perf_counter()
    counts = run_pass(now)
    passed = time.perf_counter() - started
    db.session.remove()
    while sum(drain_once(transports, now).values()):
        pass
    db.session.remove()
    took = time.perf_counter() - started
    sim.pass_seconds[now] = passed
    sim.tick_seconds.append(took)
    sim.busy_until = now + timedelta(seconds=took)
    sim.counts["ticks"] += 1
    sim.counts.update({f"pass_{k}": v for k, v in counts.items()})

    # What the pass did: the freed times it handled, the offers it made (claims and expiries follow).
    f, o, r = models.FreedTimeRow, models.WaitlistOffer, models.WaitlistRecipient
    pending = [i for i, x in sim.freed.items() if x["handled_at"] is None]
    if pending:
        for freed_id, handled in db.session.execute(
            select(f.id, f.handled_at).where(f.id.in_(pending), f.handled_at.is_not(None))
        ):
            sim.freed[freed_id]["handled_at"] = handled
    note_freed(sim)
    offers = db.session.execute(select(o.id, o.expires_at, o.provider_id, o.starts_at).where(o.created_at == now)).all()
    from scheduler.services.references import claim_token

    for offer_id, expires_at, provider_id, start in offers:
        if offer_id in sim.offers_seen:
            continue
        sim.offers_seen.add(offer_id)
        sim.offer_times.setdefault((provider_id, start), []).append(now)
        sim.counts["offers"] += 1
        sim.tick_after(expires_at)
        for (nonce,) in db.session.execute(select(r.nonce).where(r.offer_id == offer_id)):
            sim.counts["offered_patients"] += 1
            if sim.rng.random() < CLAIM_PROBABILITY:
                at = now + timedelta(seconds=sim.rng.uniform(0, (expires_at - now).total_seconds()))
                sim.push(at, "claim", claim_token(nonce))
    db.session.remove()


def claim(sim: Sim, now: datetime, token: str) -> None:
    from scheduler.domain.errors import DomainError
    from scheduler.services import waitlist_claims
    from scheduler.services.references import claim_token_hash
    from scheduler.store import models
    from scheduler.store import waitlist as store_waitlist
    from scheduler.store.engine import db

    recipient = store_waitlist.recipient_by_token_hash(claim_token_hash(token))
    assert recipient is not None
    entry = db.session.get(models.WaitlistEntry, recipient.entry_id)
    assert entry is not None
    old_start = entry.replaces.starts_at if entry.replaces is not None else None
    entry_id = entry.id
    db.session.rollback()
    try:
        claimed = waitlist_claims.claim(token, now=now)
    except DomainError as refusal:
        sim.claims[refusal.code] += 1
        db.session.remove()
        return
    sim.claims["claimed"] += 1
    visit = claimed.appointment
    sim.fill_times.setdefault((visit.provider.id, visit.starts_at), []).append(now)
    if claimed.moved and old_start is not None:
        sim.moved_days.append((old_start - visit.starts_at).total_seconds() / 86400)
    elif entry_id in sim.first_free and sim.first_free[entry_id] is not None:
        sim.sooner_days.append((sim.first_free[entry_id] - visit.starts_at).total_seconds() / 86400)
    db.session.remove()
    note_freed(sim)
    sim.tick_after(now)


def double_bookings() -> dict[str, int]:
    """Pairs of active reservations of one resource that overlap, by kind of resource
    (provider, room, patient)."""
    from scheduler.store.engine import db

    rows = db.session.execute(
        text(
            "SELECT a.resource FROM reservation a JOIN reservation b "
            "ON a.resource = b.resource AND a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at "
            "WHERE a.active AND b.active"
        )
    ).all()
    db.session.rollback()
    found = Counter({"provider": 0, "room": 0, "patient": 0})
    found.update(resource.split(":", 1)[0] for (resource,) in rows)
    return dict(found)


def messages(app: Flask, sink: Any) -> dict[str, Any]:
    from scheduler.store import models
    from scheduler.store.engine import db

    m = models.OutboxMessage
    rows = db.session.execute(select(m.id, m.kind, m.status, m.waitlist_offer_id)).all()
    db.session.rollback()
    arrived = Counter(sink.ids)
    domain = app.config["MAIL_DOMAIN"]
    by_status: Counter[str] = Counter()
    lost = 0
    lost_kinds: Counter[str] = Counter()
    offer_rows = 0
    for outbox_id, kind, status, offer_id in rows:
        status = str(status)
        by_status[status] += 1
        offer_rows += kind == "waitlist-offer" or (offer_id is not None and "offer" in kind)
        delivered = status == "sent" and arrived.get(f"<outbox-{outbox_id}@{domain}>", 0) >= 1
        if not (delivered or status == "withdrawn"):
            lost += 1
            lost_kinds[f"{kind}/{status}"] += 1
    return {
        "rows": len(rows),
        "by_status": dict(by_status),
        "received": len(sink.ids),
        "duplicates": sum(n - 1 for n in arrived.values()),
        "lost": lost,
        "lost_kinds": dict(lost_kinds),
        "kinds": dict(Counter(str(k) for _, k, _, _ in rows)),
    }


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def simulate(
    url: str,
    say: Any = say_default,
    *,
    days: int = DAYS,
    entries: int = ENTRIES,
    lead: timedelta = LEAD,
    migrate: bool = True,
) -> dict[str, Any]:
    """The month on the database at ``url`` (migrated here unless ``migrate`` is False; seeded here)."""
    from scheduler.domain.clock import clinic_instant
    from scheduler.domain.clock import clinic_today
    from scheduler.domain.clock import utc_now
    from scheduler.jobs import transports
    from scheduler.settings import settings
    from scheduler.store import models
    from scheduler.store.engine import db

    started = time.perf_counter()
    if migrate:
        _database.migrate(url)
    with smtp_sink() as (sink, port):
        app = make_app(url, port)
        with app.app_context():
            from scheduler.services.seed import seed_demo

            seed_demo()
            db.session.remove()
            today = clinic_today(utc_now())
            monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7) + timedelta(days=7)
            t0 = clinic_instant(monday, datetime.min.time())
            sim = Sim(
                app=app,
                rng=random.Random(SEED),
                interval=timedelta(seconds=settings().jobs_interval_seconds),
                start=t0 - lead,
                t0=t0,
                end=t0 + timedelta(days=days),
                days=days,
                entries=entries,
                lead=lead,
            )
            from scheduler.services import clinic
            from scheduler.services.waitlist_offers import visit_type_notice

            catalog = clinic.current_catalog(sim.start)
            sim.notice = {catalog.visit_type_ids[code]: visit_type_notice(v) for code, v in catalog.visit_types.items()}
            visits = book_full(sim, say)
            with db.engine.begin() as conn:  # the fill's confirmations: not the month's messages
                conn.execute(delete(models.OutboxMessage))
                conn.execute(text("ANALYZE"))
            month = month_visits(sim)
            cancelled = sim.rng.sample(month, round(CANCELLED * len(month)))
            for v in cancelled:
                at = sim.start + timedelta(seconds=sim.rng.uniform(0, (v["start"] - sim.start).total_seconds()))
                sim.push(at, "cancel", v["id"])
            entry_specs(sim, visits)
            set_up = time.perf_counter() - started
            say(
                f"postgresql: B8 set up in {set_up:.0f}s: {len(month):,} visits in the month, {len(cancelled)} to "
                f"cancel, {entries} to join; simulating {sim.start:%Y-%m-%d} to {sim.end:%Y-%m-%d}"
            )
            t = time.perf_counter()
            last_report = t
            while sim.events:
                when, _, kind, payload = heapq.heappop(sim.events)
                if kind == "tick":
                    tick(sim, when, transports)
                elif kind == "cancel":
                    cancel(sim, when, payload)
                elif kind == "join":
                    join(sim, when, payload)
                    db.session.remove()
                elif kind == "claim":
                    claim(sim, when, payload)
                if time.perf_counter() - last_report > 30:
                    last_report = time.perf_counter()
                    say(f"postgresql: B8 at {when:%Y-%m-%d %H:%M}, {dict(sim.counts)}")
            simulated = time.perf_counter() - t
            # A last drain a day after the month: whatever is due by then must have gone.
            from scheduler.services.outbox_delivery import drain_once

            final = sim.end + timedelta(days=1)
            while sum(drain_once(transports, final).values()):
                pass
            db.session.remove()
            doubles = double_bookings()
            mail = messages(app, sink)
            db.session.remove()
            db.engine.dispose()
    return summarise(sim, doubles, mail, set_up, simulated)


def summarise(
    sim: Sim, doubles: dict[str, int], mail: dict[str, Any], set_up: float, simulated: float
) -> dict[str, Any]:
    cancelled = [x for x in sim.freed.values() if x["cause"] == "cancelled"]
    first_freed = [x for x in sim.freed.values() if x["cause"] in ("cancelled", "moved")]

    def refilled(x: dict[str, Any]) -> bool:
        return any(x["at"] <= at < x["start"] for at in sim.fill_times.get((x["provider_id"], x["start"]), []))

    refills = sum(refilled(x) for x in cancelled)
    to_offer: list[float] = []
    waits: list[float] = []
    not_offered = 0
    inside_notice = 0
    offered_at = sim.offer_times
    for x in first_freed:
        handled = x["handled_at"]
        moments = sorted(m for m in offered_at.get((x["provider_id"], x["start"]), []) if m >= x["at"])
        if handled is None or not moments or moments[0] != handled:
            not_offered += 1
            inside_notice += x["start"] - x["at"] < x["notice"]
            continue
        wait = (handled - x["at"]).total_seconds()
        waits.append(wait)
        to_offer.append(wait + sim.pass_seconds[handled])
    fills = sim.claims["claimed"]
    result = {
        "days": sim.days,
        "entries": sim.entries,
        "seed": SEED,
        "t0": sim.t0.isoformat(),
        "interval_s": sim.interval.total_seconds(),
        "refill_share": round(refills / len(cancelled), 4) if cancelled else None,
        "cancelled_times": len(cancelled),
        "refilled": refills,
        "moved_times": sum(1 for x in first_freed if x["cause"] == "moved"),
        "moved_times_refilled": sum(refilled(x) for x in first_freed if x["cause"] == "moved"),
        "median_days_moved_earlier": round(statistics.median(sim.moved_days), 2) if sim.moved_days else None,
        "moved_claims": len(sim.moved_days),
        "median_days_sooner_new": round(statistics.median(sim.sooner_days), 2) if sim.sooner_days else None,
        "new_claims": len(sim.sooner_days),
        "median_days_all": round(statistics.median(sim.moved_days + sim.sooner_days), 2)
        if sim.moved_days or sim.sooner_days
        else None,
        "offers": sim.counts["offers"],
        "offered_patients": sim.counts["offered_patients"],
        "fills": fills,
        "offers_per_fill": round(sim.counts["offered_patients"] / fills, 2) if fills else None,
        "claims": dict(sim.claims),
        "p95_freed_to_offer_s": round(p95(to_offer), 2) if to_offer else None,
        "max_freed_to_offer_s": round(max(to_offer), 2) if to_offer else None,
        "p95_wait_s": round(p95(waits), 2) if waits else None,
        "offered_first_times": len(to_offer),
        "freed_not_offered": not_offered,
        "freed_not_offered_inside_notice": inside_notice,
        "p95_pass_s": round(p95(list(sim.pass_seconds.values())), 3) if sim.pass_seconds else None,
        "max_pass_s": round(max(sim.pass_seconds.values()), 3) if sim.pass_seconds else None,
        "p95_tick_s": round(p95(sim.tick_seconds), 3) if sim.tick_seconds else None,
        "double_bookings": doubles,
        "messages": mail,
        "counts": dict(sim.counts),
        "setup_s": round(set_up, 1),
        "simulated_s": round(simulated, 1),
    }
    return result


def run(say: Any = say_default) -> dict[str, Any]:
    with _database.postgres_databases("waitlist") as [url]:
        return simulate(url, say)


def figures(r: dict[str, Any]) -> dict[str, float | None]:
    return {
        "B8": r["refill_share"],
        "B8d": r["median_days_moved_earlier"],
        "B8o": r["offers_per_fill"],
        "B8t": r["p95_freed_to_offer_s"],
        "B8x": r["double_bookings"]["provider"],
        "B8m": r["messages"]["lost"],
    }


def describe(r: dict[str, Any]) -> str:
    m, c = r["messages"], r["counts"]
    return (
        f"B8 postgresql: {r['days']} days from {r['t0'][:10]}, {r['entries']} entries (seed {r['seed']}): "
        f"{r['refilled']}/{r['cancelled_times']} cancelled times refilled before they start "
        f"({r['moved_times_refilled']}/{r['moved_times']} of those freed by moves); "
        f"{r['fills']} fills from {r['offers']} offers to {r['offered_patients']} patients "
        f"(claims {r['claims']}); days earlier: replacing {r['median_days_moved_earlier']} (n={r['moved_claims']}), "
        f"new patients vs their own first free time {r['median_days_sooner_new']} (n={r['new_claims']}); "
        f"joined while a time that fit them was free: {c.get('joined_new_with_a_fitting_time_free', 0)} of "
        f"{c.get('joined_new', 0)} new, {c.get('joined_replacing_with_an_earlier_fitting_time_free', 0)} of "
        f"{c.get('joined_replacing', 0)} replacing; "
        f"freed -> first offer queued p95 {r['p95_freed_to_offer_s']} s (max {r['max_freed_to_offer_s']}; "
        f"wait for the tick p95 {r['p95_wait_s']} s, run_pass p95 {r['p95_pass_s']} s, max {r['max_pass_s']} s; "
        f"{r['offered_first_times']} offered, {r['freed_not_offered']} freed times never offered, "
        f"{r['freed_not_offered_inside_notice']} of them freed inside the visit type's notice); "
        f"double bookings {r['double_bookings']}; messages {m['rows']} rows {m['by_status']}, "
        f"{m['received']} received, duplicates {m['duplicates']}, lost {m['lost']} {m['lost_kinds'] or ''}; "
        f"set up {r['setup_s']}s, simulated {r['simulated_s']}s ({r['counts'].get('ticks', 0)} ticks)"
    )


def main() -> int:
    r = run()
    print(json.dumps(r, indent=2, default=str))
    for fid, value in figures(r).items():
        op, bound, what = TARGETS[fid]
        goal = "-" if bound is None else f"{op} {bound:g}"
        print(f"{fid:<4} {what.strip():<55} {value!s:>8}  goal {goal}")
    print(describe(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
