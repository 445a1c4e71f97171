"""Start and stop gunicorn for the benchmarks (a small helper of our own; tests have theirs)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# gunicorn's documented starting point, (2 x cores) + 1, so a worker waiting on the database does
# not leave a core idle; the same count serves both sides of every ratio. BENCH_WORKERS overrides.
WORKERS = int(os.environ.get("BENCH_WORKERS") or 2 * (os.cpu_count() or 1) + 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_env(database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment gunicorn and ``flask db upgrade`` run with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDULER_")}
    env.update(
        {
            "FLASK_APP": "wsgi",
            "SCHEDULER_DATABASE_URL": database_url,
            "SCHEDULER_SECRET_KEY": "bench",
            # Set on purpose (a production app refuses to start with them left to their defaults).
            "SCHEDULER_PUBLIC_BASE_URL": "http://127.0.0.1:8000",
            "SCHEDULER_MAIL_DOMAIN": "si-joint-clinic.example",
            "SCHEDULER_MAIL_FROM": "SI Joint Clinic <no-reply@si-joint-clinic.example>",
            # The documented switch for load tests: otherwise 600 reads / 30 writes a minute per client.
            "SCHEDULER_RATELIMIT_ENABLED": "false",
            "PYTHONDONTWRITEBYTECODE": "1",
            **(extra or {}),
        }
    )
    return env


@dataclass
class Server:
    host: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def get(self, path: str) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


@contextmanager
def gunicorn(
    database_url: str, log_dir: Path, *, workers: int = WORKERS, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """gunicorn ``wsgi:app`` with sync workers on a free local port, stopped (SIGTERM) on exit.
    ``env`` adds settings (``SCHEDULER_CACHE_SIZE``: "0", say)."""
    port = free_port()
    log_path = log_dir / f"gunicorn-{port}.log"
    command = [
        str(VENV_BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
        "wsgi:app",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT, env=app_env(database_url, env), stdout=log, stderr=log)
    server = Server("127.0.0.1", port, process, log_path)
    try:
        _wait_ready(server)
        yield server
    finally:
        _stop(process)


def _wait_ready(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with {server.process.returncode}:\n{server.log_path.read_text()[-3000:]}"
            )
        try:
            status, _ = server.get("/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"gunicorn did not answer /healthz within {timeout:.0f}s:\n{server.log_path.read_text()[-3000:]}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def worker_pids(server: Server) -> list[int]:
    """The pids of the gunicorn master's worker processes (its children), from /proc."""
    master = server.process.pid
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its closing bracket.
        if int(stat.rpartition(")")[2].split()[1]) == master:
            found.append(int(entry.name))
    return sorted(found)


def memory_mb(pid: int) -> dict[str, float]:
    """A process's resident memory now (VmRSS) and at its peak (VmHWM), in MB (10^6 bytes)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = round(int(rest.split()[0]) * 1024 / 1e6, 1)  # the kernel writes kB (KiB)
    return {"rss_mb": values["VmRSS"], "peak_mb": values["VmHWM"]}
