"""`make run` works as the README shows: on the port asked for, over plain HTTP.

The demo is started exactly as a developer would (the Makefile's run recipe: migrate, seed, web and
message worker) on a free port with its own instance folder, and used with ``requests``, whose
cookie jar (like a browser on another device) never sends a Secure cookie over http://. The
manage link in the confirmation email must name the port the demo runs on.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from email import message_from_bytes
from email import policy
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port
from tests.conftest import next_clinic_day
from tests.servers import PROJECT_ROOT

pytestmark = pytest.mark.slow

START_TIMEOUT = 120  # migrating and seeding the demo from nothing


def csrf(page: requests.Response) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def demo(tmp_path: Path):
    """``make run`` on a free port; yields (base URL, instance folder, its output so far)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDULER_")}
    env |= {"SCHEDULER_INSTANCE_PATH": str(tmp_path), "SCHEDULER_JOBS_INTERVAL_SECONDS": "1"}
    # -o: the venv is the one running these tests; make must not reinstall into it mid-run.
    process = subprocess.Popen(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "run", "HOST=127.0.0.1", f"PORT={port}",
         "WEB_WORKERS=1"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    output: list[str] = []
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=5).status_code == 200
        except requests.RequestException:  # not listening yet, or still starting
            assert process.poll() is None, "make run stopped"
            return False

    try:
        wait_for(healthy, START_TIMEOUT, "make run to serve /healthz")
        yield base, tmp_path, output
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            out, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, _ = process.communicate()
        output.append(out.decode(errors="replace"))


def test_the_demo_is_usable_over_plain_http_and_its_links_name_its_port(demo):
    base, instance, output = demo
    # A patient's form over plain HTTP: the session cookie comes back, so the answer is taken.
    patient = requests.Session()
    question = patient.get(f"{base}/request/what")
    answered = patient.post(
        f"{base}/request/what",
        data={"csrf_token": csrf(question), "requested": "unsure"},
        allow_redirects=False,
    )
    assert answered.status_code == 302, answered.text[:800]
    assert "/request/" in answered.headers["Location"]

    # A booking by the API: its confirmation email (the demo writes mail to the instance folder)
    # links to the manage page on this demo's own port.
    offered = requests.get(
        f"{base}/api/v1/availability",
        params={"visit_type": "evaluation", "from": next_clinic_day(after_days=3).isoformat(), "days": 14},
        timeout=10,
    ).json()
    start = offered["slots"][0]["start"]
    booked = requests.post(
        f"{base}/api/v1/appointments",
        json={
            "visit_type": "evaluation",
            "start": start,
            "patient": {"given_name": "Ann", "family_name": "Lee", "birth_date": "1970-02-03",
                        "email": "ann.lee@example.com", "sms_consent": False},
            "reason": {"cause": "trauma", "seen_before": False, "referred": False},
        },
        timeout=10,
    )  # fmt: skip
    assert booked.status_code == 201, booked.text
    mail = wait_for(lambda: sorted((instance / "mail").glob("*.eml")), 30, "the confirmation email")
    email = message_from_bytes(mail[0].read_bytes(), policy=policy.default)
    text = email.get_body(preferencelist=("plain",)).get_content()
    manage = re.search(r"(http://\S+/manage/\S+)", text).group(1)
    assert manage.startswith(f"{base}/manage/{booked.json()['reference']}/")

    # The manage link's form works over plain HTTP too (its CSRF token lives in the session cookie).
    visit = patient.get(manage)
    assert visit.status_code == 200 and booked.json()["reference"] in visit.text
    cancel_page = patient.get(f"{manage}/cancel")
    cancelled = patient.post(
        f"{manage}/cancel", data={"csrf_token": csrf(cancel_page), "reason": "better"}, allow_redirects=False
    )
    assert cancelled.status_code == 302, cancelled.text[:800]
    assert "Cancelled" in patient.get(manage).text
