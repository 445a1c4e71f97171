"""Real servers for tests and benchmarks: the app under gunicorn, as production runs it.

``gunicorn_server`` is a context manager, not a fixture, so benchmarks (which are not pytest) can
use it too::

    with gunicorn_server(database_url, workers=4) as base_url:
        ...  # e.g. http://127.0.0.1:40123
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

from scheduler.config import DEFAULTS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The gunicorn of the environment running us (the project venv under `make test`).
GUNICORN = Path(sys.executable).with_name("gunicorn")
HOST = "127.0.0.1"  # never a public interface: tests run on shared machines
# A production app refuses to start with these left to their development defaults: the servers and
# workers started here set them, to the defaults' values so that tests may expect those.
MAIL_SETTINGS = {
    "SCHEDULER_MAIL_DOMAIN": str(DEFAULTS["MAIL_DOMAIN"]),
    "SCHEDULER_MAIL_FROM": str(DEFAULTS["MAIL_FROM"]),
}


class ServerDidNotStart(RuntimeError):
    pass


@contextmanager
def gunicorn_server(
    database_url: str,
    *,
    workers: int = 2,
    env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    start_timeout: float = 20.0,
    stop_timeout: float = 10.0,
) -> Iterator[str]:
    """Run ``gunicorn wsgi:app`` against ``database_url`` (already migrated) and yield its base URL.

    The app is configured only through the environment, as in production; inherited SCHEDULER_*
    variables are dropped so a developer's shell cannot change what is tested. Rate limits are off
    (RATELIMIT_ENABLED=false, the documented switch for load tests): many requests from one
    address would otherwise be refused with 429. ``env`` adds or overrides variables. On exit
    gunicorn gets SIGTERM (graceful), then SIGKILL after ``stop_timeout`` seconds.
    """
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDULER_")}
    environment.update(
        SCHEDULER_DATABASE_URL=database_url,
        SCHEDULER_SECRET_KEY=f"test-{secrets.token_hex(16)}",  # "test-": never parsed as a JSON number
        SCHEDULER_RATELIMIT_ENABLED="false",
        **MAIL_SETTINGS,
    )
    environment.update(env or {})
    # We bind the port (127.0.0.1, chosen by the kernel) and hand gunicorn the socket: probing for a
    # free port and letting gunicorn bind it later would race with every other process on the host.
    # Gunicorn calls listen() itself, with its own backlog.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((HOST, 0))
        port = int(listener.getsockname()[1])
        fd = listener.fileno()
        environment.setdefault("SCHEDULER_PUBLIC_BASE_URL", f"http://{HOST}:{port}")
        # --no-control-socket: gunicorn (>= 25.1) otherwise opens one fixed socket per user
        # ($XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl), shared by every server we start and `make run`.
        command = [
            str(GUNICORN),
            "--bind",
            f"fd://{fd}",
            "--workers",
            str(workers),
            "--no-control-socket",
            *extra_args,
            "wsgi:app",
        ]
        # A file, not a pipe: nobody reads gunicorn's log while it runs, and a full pipe would block it.
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as log:
            process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=environment,
                pass_fds=(fd,),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
            listener.close()  # gunicorn holds its own copy; ours must not keep the port after gunicorn stops
            try:
                if not _wait_healthy(process, port, start_timeout):
                    log.seek(0)
                    raise ServerDidNotStart(
                        f"gunicorn ({' '.join(command)}, port {port}) did not answer GET /healthz within "
                        f"{start_timeout:.0f} s (exit code {process.poll()}). Its output:\n{log.read()}"
                    )
                try:
                    yield f"http://{HOST}:{port}"
                except BaseException:
                    # A failure inside the block is often explained by the server's log (the app logs
                    # tracebacks of 500s there): pytest shows this under "Captured stderr".
                    _stop(process, stop_timeout)
                    log.seek(0)
                    print(f"--- gunicorn output ({' '.join(command)}) ---\n{log.read()}", file=sys.stderr)
                    raise
            finally:
                _stop(process, stop_timeout)


def _wait_healthy(process: subprocess.Popen[bytes], port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        connection = http.client.HTTPConnection(HOST, port, timeout=1)
        try:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                return True
        except (OSError, http.client.HTTPException):
            pass  # not listening yet, or a worker still booting
        finally:
            connection.close()
        time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
