"""HTTP load: wrk when it is installed, otherwise a small Python generator (threads + http.client).

Every result says which tool produced it: the two are not interchangeable (the Python generator
shares the GIL and the two cores with the server, so it saturates far sooner than wrk).
``BENCH_LOAD_TOOL=python`` forces the fallback.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path

LUA_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"


def load_tool() -> str:
    forced = os.environ.get("BENCH_LOAD_TOOL", "").strip().lower()
    if forced in ("python", "wrk"):
        return forced
    return "wrk" if shutil.which("wrk") else "python"


def tool_label(tool: str) -> str:
    if tool == "wrk":
        version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("[")[0].strip()
        return version or "wrk"
    return "python (threads + http.client)"


@dataclass
class LoadResult:
    tool: str
    method: str
    path: str
    connections: int
    duration_s: float
    requests: int  # completed responses
    status_2xx: int
    status_201: int
    status_other: int  # non-2xx responses
    socket_errors: int  # connect/read/write errors and timeouts
    lat_mean_ms: float
    lat_p50_ms: float
    lat_p90_ms: float
    lat_p99_ms: float
    lat_max_ms: float
    bodies_sent: int = 0  # POST bodies consumed (so the next run starts after them)
    exhausted: int = 0  # > 0: the bodies ran out before the time was up (the figure is then too low)
    spare_requests: int = 0  # wrk: GET /healthz sent after the bodies ran out, not counted in rps

    @property
    def rps(self) -> float:
        return (self.requests - self.spare_requests) / self.duration_s if self.duration_s else 0.0

    @property
    def errors(self) -> int:
        return self.status_other + self.socket_errors

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "rps": round(self.rps, 1), "errors": self.errors}


def run_load(
    base_url: str,
    path: str,
    *,
    connections: int,
    duration: float,
    tool: str,
    bodies_file: Path | None = None,
    first_body: int = 0,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """GET ``path`` (or POST each line of ``bodies_file`` once, from line ``first_body``) for ``duration`` s,
    with ``headers`` (an API token, say) on every request."""
    options = {"bodies_file": bodies_file, "first_body": first_body, "headers": headers or {}}
    if tool == "wrk":
        return _wrk(base_url, path, connections=connections, duration=duration, **options)
    return _python(base_url, path, connections=connections, duration=duration, **options)


def _wrk(
    base_url: str,
    path: str,
    *,
    connections: int,
    duration: float,
    bodies_file: Path | None,
    first_body: int,
    headers: dict[str, str],
) -> LoadResult:
    post = bodies_file is not None
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_SCRIPT),
        *[arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")],
        base_url + ("" if post else path),
    ]
    if post:
        command += ["--", str(bodies_file), str(first_body), path]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-2000:]} {done.stderr[-2000:]}")
    r = json.loads(line.removeprefix("BENCH_RESULT "))
    return LoadResult(
        tool="wrk",
        method="POST" if post else "GET",
        path=path,
        connections=connections,
        duration_s=r["duration_us"] / 1e6,
        requests=r["requests"],
        status_2xx=r["n2xx"],
        status_201=r["n201"],
        status_other=r["nother"],
        socket_errors=r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"],
        lat_mean_ms=r["lat_mean_us"] / 1000,
        lat_p50_ms=r["lat_p50_us"] / 1000,
        lat_p90_ms=r["lat_p90_us"] / 1000,
        lat_p99_ms=r["lat_p99_us"] / 1000,
        lat_max_ms=r["lat_max_us"] / 1000,
        bodies_sent=(r["sent"] - r["exhausted"]) if post else 0,
        exhausted=r["exhausted"],
        spare_requests=r["exhausted"],
    )


def _python(
    base_url: str,
    path: str,
    *,
    connections: int,
    duration: float,
    bodies_file: Path | None,
    first_body: int,
    headers: dict[str, str],
) -> LoadResult:
    host, port = base_url.removeprefix("http://").split(":")
    bodies = bodies_file.read_text().splitlines()[first_body:] if bodies_file is not None else None
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    totals = {"2xx": 0, "201": 0, "other": 0, "socket": 0, "sent": 0, "exhausted": 0}
    deadline = time.perf_counter() + duration

    def worker() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        mine: list[float] = []
        counts = dict.fromkeys(totals, 0)
        while time.perf_counter() < deadline:
            method, target, body, sent_headers = "GET", path, None, dict(headers)
            if bodies is not None:
                index = next(counter)
                if index >= len(bodies):
                    counts["exhausted"] += 1
                    break
                method, body = "POST", bodies[index].encode()
                sent_headers["Content-Type"] = "application/json"
                counts["sent"] += 1
            started = time.perf_counter()
            try:
                conn.request(method, target, body=body, headers=sent_headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                counts["socket"] += 1
                conn.close()
                continue
            mine.append(time.perf_counter() - started)
            if response.status == 201:
                counts["201"] += 1
            counts["2xx" if 200 <= response.status < 300 else "other"] += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for key, value in counts.items():
                totals[key] += value

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ms = sorted(x * 1000 for x in latencies) or [0.0]

    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, int(p / 100 * len(ms)))]

    return LoadResult(
        tool="python",
        method="POST" if bodies is not None else "GET",
        path=path,
        connections=connections,
        duration_s=elapsed,
        requests=len(latencies),
        status_2xx=totals["2xx"],
        status_201=totals["201"],
        status_other=totals["other"],
        socket_errors=totals["socket"],
        lat_mean_ms=statistics.fmean(ms),
        lat_p50_ms=pct(50),
        lat_p90_ms=pct(90),
        lat_p99_ms=pct(99),
        lat_max_ms=ms[-1],
        bodies_sent=totals["sent"],
        exhausted=totals["exhausted"],
    )
