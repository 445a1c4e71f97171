"""B5: drain queued email from the outbox into a local SMTP server (aiosmtpd on 127.0.0.1) with 1
and with 2 worker processes (``flask jobs drain --until-empty``) on PostgreSQL.

Each run starts from the same queue: MESSAGES due confirmation rows over a few dozen demo visits
(bulk-inserted, as a busy day would leave them), all other outbox rows gone. The SMTP server answers
at once and keeps each Message-ID, so the figures are the worker's own: messages/s from the first
message's arrival to the last (process start-up excluded; the wall time with it is in the details),
duplicates (copies beyond one per Message-ID) and lost (rows whose Message-ID never arrived).

``python -m bench._outbox`` runs B5 alone and prints its figures, with the CPU time per message
(workers, start-up included; the SMTP sink) and the load average, since on a shared machine the
rate moves with the neighbours' load.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from bench import _database
from bench._server import PROJECT
from bench._server import VENV_BIN
from bench._server import app_env
from bench._server import free_port

MESSAGES = int(os.environ.get("BENCH_DRAIN_MESSAGES", "10000"))
WORKER_COUNTS = (1, 2)
APPOINTMENTS = 40  # the rows are spread over this many booked demo visits (each patient given an address)
BATCH = 20  # OUTBOX_BATCH, the default
TIMEOUT_S = 900.0  # a drain that takes this long has failed
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class Sink:
    """An aiosmtpd handler that accepts everything at once and keeps each Message-ID and when the
    first and last message arrived."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.ids: list[str] = []
            self.first: float | None = None
            self.last: float | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        found = _MESSAGE_ID.search(envelope.content.split(b"\r\n\r\n", 1)[0])
        now = time.perf_counter()
        with self.lock:
            self.ids.append(found.group(1).decode() if found else "")
            self.first = self.first if self.first is not None else now
            self.last = now
        return "250 Message accepted"


@contextmanager
def smtp_sink() -> Any:
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


def prepare(url: str) -> tuple[Flask, list[int]]:
    """Migrate and seed the demo clinic; give the patients of APPOINTMENTS booked visits an address."""
    from scheduler.store import models
    from scheduler.store.engine import db

    _database.migrate(url)
    app = _database.make_app(url)
    _database.seed(app)
    with app.app_context():
        a = models.Appointment
        chosen = list(
            db.session.execute(
                select(a.id, a.patient_id).where(a.status == "booked").order_by(a.starts_at, a.id).limit(APPOINTMENTS)
            )
        )
        for _, patient_id in chosen:
            db.session.execute(
                update(models.Patient)
                .where(models.Patient.id == patient_id)
                .values(email=f"bench.patient{patient_id}@example.com")
            )
        db.session.commit()
        db.session.remove()
    return app, [appointment_id for appointment_id, _ in chosen]


def queue(app: Flask, appointments: list[int], count: int) -> None:
    """Exactly ``count`` due confirmation rows (distinct versions per visit) and no other outbox row."""
    from scheduler.domain.clock import utc_now
    from scheduler.domain.messages import Channel
    from scheduler.domain.messages import MessageKind
    from scheduler.domain.messages import PlannedMessage
    from scheduler.services import outbox
    from scheduler.store import models
    from scheduler.store.engine import db

    confirmation = PlannedMessage(MessageKind.CONFIRMED, Channel.EMAIL, utc_now() - timedelta(seconds=1))
    rows = [
        outbox.row(confirmation, appointment_id=appointments[i % len(appointments)], version=i // len(appointments) + 1)
        for i in range(count)
    ]
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(delete(models.OutboxMessage))
            for k in range(0, len(rows), 5_000):
                conn.execute(insert(models.OutboxMessage), rows[k : k + 5_000])
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE outbox_message"))  # what autovacuum would do after such a load
        db.engine.dispose()


def drain(app: Flask, url: str, sink: Sink, port: int, workers: int, log_dir: Path) -> dict[str, Any]:
    """Start ``workers`` drain processes at once, wait for all to exit, count what arrived."""
    from scheduler.store import models
    from scheduler.store.engine import db

    sink.reset()
    env = app_env(
        url,
        {
            "SCHEDULER_MAIL_SMTP_HOST": "127.0.0.1",
            "SCHEDULER_MAIL_SMTP_PORT": str(port),
            "SCHEDULER_OUTBOX_BATCH": str(BATCH),
        },
    )
    command = [str(VENV_BIN / "flask"), "--app", "wsgi", "jobs", "drain", "--until-empty"]
    # CPU time as well as wall time: on a shared machine the rate moves with the neighbours' load,
    # the CPU each message costs much less (workers: start-up included; the sink runs in this process).
    load_before = os.getloadavg()[0]
    children_before, self_before = _cpu(resource.RUSAGE_CHILDREN), _cpu(resource.RUSAGE_SELF)
    started = time.perf_counter()
    processes, logs = [], []
    for n in range(workers):
        log = open(log_dir / f"drain-{workers}w-{n}.log", "w+b")  # noqa: SIM115 - closed below
        logs.append(log)
        processes.append(subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log, stderr=log))
    try:
        for process in processes:
            process.wait(max(1.0, TIMEOUT_S - (time.perf_counter() - started)))
    except subprocess.TimeoutExpired:
        for process in processes:
            process.kill()
            process.wait()
    wall = time.perf_counter() - started
    worker_cpu = _cpu(resource.RUSAGE_CHILDREN) - children_before
    sink_cpu = _cpu(resource.RUSAGE_SELF) - self_before
    outputs = []
    for log in logs:
        log.seek(0)
        outputs.append(log.read().decode(errors="replace").strip().splitlines()[-1:] or [""])
        log.close()
    with app.app_context():
        m = models.OutboxMessage
        rows = {f"<outbox-{i}@{app.config['MAIL_DOMAIN']}>": s for i, s in db.session.execute(select(m.id, m.status))}
        attempts = {n: k for n, k in db.session.execute(select(m.attempts, func.count()).group_by(m.attempts))}
        db.session.remove()
        db.engine.dispose()
    copies = Counter(sink.ids)
    delivered = len(copies.keys() & rows.keys())
    span = (sink.last - sink.first) if sink.first is not None and sink.last is not None else 0.0
    return {
        "workers": workers,
        "messages": len(rows),
        "received": len(sink.ids),
        "duplicates": sum(n - 1 for n in copies.values()),
        "lost": len(rows.keys() - copies.keys()),
        "foreign": len(copies.keys() - rows.keys()),
        "rows_not_sent": sum(1 for s in rows.values() if s != "sent"),
        "attempts": {str(k): v for k, v in sorted(attempts.items())},
        "msgs_per_s": round((delivered - 1) / span, 1) if span > 0 else None,
        "first_to_last_s": round(span, 2),
        "wall_s": round(wall, 2),
        "msgs_per_s_wall": round(delivered / wall, 1) if wall else None,
        "worker_cpu_ms_per_msg": round(worker_cpu * 1000 / delivered, 3) if delivered else None,
        "sink_cpu_ms_per_msg": round(sink_cpu * 1000 / delivered, 3) if delivered else None,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "exit_codes": [p.returncode for p in processes],
        "worker_output": [o[0] for o in outputs],
    }


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run(log_dir: Path, say: Any = print) -> dict[str, Any]:
    """B5 on a fresh PostgreSQL database: the same queue drained by 1, then by 2 workers."""
    results: dict[str, Any] = {"messages_queued": MESSAGES, "batch": BATCH, "appointments": APPOINTMENTS}
    with _database.postgres_databases("outbox") as [url]:
        t0 = time.perf_counter()
        app, appointments = prepare(url)
        say(f"postgresql: B5 database migrated and seeded in {time.perf_counter() - t0:.1f}s")
        with smtp_sink() as (sink, port):
            for workers in WORKER_COUNTS:
                t0 = time.perf_counter()
                queue(app, appointments, MESSAGES)
                say(f"postgresql: B5 queued {MESSAGES:,} messages in {time.perf_counter() - t0:.1f}s")
                r = drain(app, url, sink, port, workers, log_dir)
                results[f"workers_{workers}"] = r
                say(
                    f"postgresql: B5 {workers} worker(s): {r['msgs_per_s']} msg/s ({r['msgs_per_s_wall']} with "
                    f"start-up), duplicates {r['duplicates']}, lost {r['lost']}, not sent {r['rows_not_sent']}, "
                    f"exit {r['exit_codes']}; {r['worker_output']}; CPU per message: workers "
                    f"{r['worker_cpu_ms_per_msg']} ms, SMTP sink {r['sink_cpu_ms_per_msg']} ms; "
                    f"load average {r['load_average'][0]} -> {r['load_average'][1]}"
                )
    return results


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-outbox-") as tmp:
        results = run(Path(tmp), say=lambda s: print(s, file=sys.stderr, flush=True))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
