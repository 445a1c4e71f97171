"""Debian's nginx with the repository's configuration (deploy/nginx/), run by the tests as the
current user: its own prefix, config, pid file and logs in a temporary folder, listening on a free
port of 127.0.0.1 only.

``nginx_server(upstream_port, folder)`` includes ``scheduler-zones.conf`` and ``scheduler-proxy.conf``
as shipped (only the static folder is pointed at this checkout) inside a small http block that
stands in for ``scheduler.conf``: a plain-HTTP listener instead of the TLS one, and the upstream
on gunicorn's test port instead of its unix socket.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import free_port
from tests.servers import PROJECT_ROOT

HOST = "127.0.0.1"
DEPLOY = PROJECT_ROOT / "deploy"
NGINX_CONFIG = DEPLOY / "nginx"
INSTALLED_AT = "/opt/scheduler/"  # where scheduler-proxy.conf expects the checkout
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MIME_TYPES = Path("/etc/nginx/mime.types")


class NginxDidNotStart(RuntimeError):
    pass


def nginx_missing() -> str | None:
    """Why nginx cannot be run here, or None."""
    if not os.access(NGINX, os.X_OK):
        return f"nginx is not installed ({NGINX}); CI installs Debian's package (.ci/run)"
    return None


def _snippet(name: str, folder: Path) -> Path:
    text = (NGINX_CONFIG / name).read_text(encoding="utf-8")
    if name == "scheduler-proxy.conf":
        assert text.count(INSTALLED_AT) == 1, "the static folder of scheduler-proxy.conf moved"
        text = text.replace(INSTALLED_AT, f"{PROJECT_ROOT}/")
    target = folder / "snippets" / name
    target.write_text(text, encoding="utf-8")
    return target


def _config(folder: Path, port: int, upstream_port: int) -> str:
    temp = folder / "temp"
    # nginx started by root runs its workers as "nobody", who may not enter pytest's folders.
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    types = f"include {MIME_TYPES};" if MIME_TYPES.exists() else "types { text/css css; text/javascript js; }"
    return f"""
{user}
worker_processes 1;
error_log {folder}/error.log info;
events {{ worker_connections 512; }}
http {{
    {types}
    default_type application/octet-stream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;

    include snippets/scheduler-zones.conf;

    upstream scheduler_app {{
        server {HOST}:{upstream_port} fail_timeout=0;
    }}
    server {{
        listen {HOST}:{port};
        server_name localhost;
        access_log {folder}/access.log scheduler;
        include snippets/scheduler-proxy.conf;
    }}
}}
"""


@contextmanager
def nginx_server(upstream_port: int, folder: Path, *, start_timeout: float = 10.0) -> Iterator[str]:
    """nginx in front of ``127.0.0.1:upstream_port``: yields its base URL. Its logs stay in
    ``folder`` (error.log, access.log) for the test to read."""
    (folder / "snippets").mkdir(parents=True, exist_ok=True)
    (folder / "temp").mkdir(exist_ok=True)
    for name in ("scheduler-zones.conf", "scheduler-proxy.conf"):
        _snippet(name, folder)
    # nginx binds its port itself: a port found free may be taken before it does, so try again.
    for _attempt in range(3):
        port = free_port()
        config = folder / "nginx.conf"
        config.write_text(_config(folder, port, upstream_port), encoding="utf-8")
        command = [
            NGINX,
            "-p", str(folder),
            "-c", str(config),
            "-e", str(folder / "error.log"),  # before the config is read, too (not /var/log/nginx)
            "-g", f"daemon off; pid {folder}/nginx.pid;",
        ]  # fmt: skip
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        try:
            if _wait_listening(process, port, start_timeout):
                try:
                    yield f"http://{HOST}:{port}"
                except BaseException:
                    _stop(process)
                    print(
                        f"--- nginx error.log ---\n{(folder / 'error.log').read_text(errors='replace')}",
                        file=sys.stderr,
                    )
                    raise
                return
            log = (folder / "error.log").read_text(encoding="utf-8", errors="replace")
            if "Address already in use" not in log:
                raise NginxDidNotStart(f"nginx ({' '.join(command)}) did not start (exit {process.poll()}):\n{log}")
        finally:
            _stop(process)
    raise NginxDidNotStart("nginx found no free port in three tries")


def _wait_listening(process: subprocess.Popen[bytes], port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # nginx's fast shutdown: open connections are closed
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
