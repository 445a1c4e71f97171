"""Rate limits in Redis, and what happens when Redis goes away while the app runs: each process
counts in its own memory until it is back (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED); no request is
refused, or fails, for want of the store. (At start, gunicorn refuses to boot without it: see
test_topology.)"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Redis server of this test's own (so that it can be stopped), on a free port of 127.0.0.1."""
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("redis-server is not installed")
    port = free_port()
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen([*command, "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=0.2).ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline and process.poll() is None, "redis-server did not start"
            time.sleep(0.05)
    yield url, process
    process.terminate()
    process.wait(10)


def test_limits_are_counted_in_redis_and_in_memory_while_redis_is_gone(app_with, own_redis, make_provider):
    url, process = own_redis
    make_provider("pmr")
    app = app_with(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=f"{url}?socket_timeout=0.5&socket_connect_timeout=0.5",
        RATELIMIT_PUBLIC_READ="3 per minute",
    )
    client = app.test_client()
    assert [client.get("/api/v1/visit-types").status_code for _ in range(2)] == [200, 200]
    assert any(b"visit_types" in key for key in redis.Redis.from_url(url).keys()), "not counted in Redis"

    process.terminate()
    process.wait(10)
    # The request that finds Redis gone falls back at once: this process counts anew, in its memory.
    assert [client.get("/api/v1/visit-types").status_code for _ in range(4)] == [200, 200, 200, 429]
