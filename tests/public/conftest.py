"""Walking the patient pages with Flask's test client (the browser tests drive the same pages in Chromium)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now

DETAILS = {
    "given_name": "Ann",
    "family_name": "Lee",
    "birth_month": "March",
    "birth_day": "3",
    "birth_year": "1970",
    "phone": "507-555-0101",
    "email": "ann.lee@example.com",
    "sms_consent": "y",
}


def page_text(response: Any) -> str:
    return response.get_data(as_text=True)


def title(response: Any) -> str:
    found = re.search(r"<title>(.*?)</title>", page_text(response), re.S)
    return found.group(1).strip() if found else ""


def errors(response: Any) -> list[str]:
    """The inline error messages on a page, without their hidden "Error:" prefix."""
    return [
        html.unescape(re.sub(r"<[^>]+>", "", m).replace("Error:", "", 1).strip())
        for m in re.findall(r'<p class="error-message"[^>]*>(.*?)</p>', page_text(response), re.S)
    ]


def summary_links(response: Any) -> list[tuple[str, str]]:
    block = re.search(r'<div class="error-summary".*?</div>', page_text(response), re.S)
    links = re.findall(r'<a href="#([^"]+)">(.*?)</a>', block.group(0)) if block else []
    return [(target, html.unescape(text)) for target, text in links]


def offered(response: Any) -> list[str]:
    return re.findall(r'name="slot" value="([^"]+)"', page_text(response))


def offered_days(response: Any) -> list[str]:
    """The days on the picker's first step (YYYY-MM-DD), in order."""
    return re.findall(r'name="day" value="([^"]+)"', page_text(response))


def first_day_page(client: FlaskClient, base: str = "/request/time") -> Any:
    """The picker's second step for the first day it offers after today (``base``: booking or
    reschedule). Not today: late in the afternoon its last time or two are all it has, and a
    test that takes one and expects another would pass or fail by the hour it runs at."""
    days = offered_days(client.get(base))
    today = clinic_today(utc_now()).isoformat()
    day = next((d for d in days if d != today), days[0])
    return client.get(f"{base}{'&' if '?' in base else '?'}day={day}")


def answer_questions(client: FlaskClient, *, requested="unsure", seen_before="no", cause="trauma", referred="no",
                     red_flags=()) -> Any:  # fmt: skip
    """Answer the questions up to the routing result. A returning patient is not asked the cause
    or the referral: those pages send them on without keeping anything, so posting them is harmless."""
    client.post("/request/what", data={"requested": requested})
    client.post("/request/seen-before", data={"seen_before": seen_before})
    client.post("/request/cause", data={"cause": cause})
    client.post("/request/red-flags", data={"red_flags": list(red_flags) or ["none"]})
    client.post("/request/referred", data={"referred": referred})
    return client.get("/request/route")


def book_first_time(client: FlaskClient, details: dict[str, str] | None = None) -> str:
    """Walk a new patient's evaluation booking to the check page; returns the slot chosen."""
    answer_questions(client)
    slot = offered(first_day_page(client))[0]
    assert client.post("/request/time", data={"slot": slot}).status_code == 302
    assert client.post("/request/details", data=details or DETAILS).status_code == 302
    return slot


@pytest.fixture
def web(app) -> FlaskClient:
    """A test client on a plain-HTTP test server: the session cookie is Secure in every real
    deployment, which the test client would not send back over http://localhost."""
    app.config["SESSION_COOKIE_SECURE"] = False
    return app.test_client()
