"""Every error state of the patient pages: GOV.UK-style summary and inline messages, an "Error:"
title, nothing typed lost; refused times say why and offer the next open time."""

from __future__ import annotations

import re
from datetime import date
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.services.seed import default_holidays
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.public.conftest import DETAILS
from tests.public.conftest import answer_questions
from tests.public.conftest import errors
from tests.public.conftest import first_day_page
from tests.public.conftest import page_text
from tests.public.conftest import summary_links
from tests.public.conftest import title


def assert_error_page(response, *messages):
    assert response.status_code == 422
    assert title(response).startswith("Error: ")
    links = summary_links(response)
    assert [text for _, text in links] == list(messages)
    assert errors(response) == list(messages)  # the same words inline, beside each field
    for target, _ in links:  # each summary link lands on a real field
        assert f'id="{target}"' in page_text(response)
    assert "autofocus" in re.search(r'<div class="error-summary"[^>]*>', page_text(response)).group(0)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/request/what", "Select what you are asking for"),
        ("/request/seen-before", "Select yes if you have been seen at the clinic before"),
        ("/request/cause", "Select the likely cause, or 'Unknown' if you are not sure"),
        ("/request/red-flags", "Select any of these you have, or 'No, none of these'"),
        ("/request/referred", "Select yes if a physician referred you"),
    ],
)
def test_each_question_left_unanswered_says_what_to_do(web, make_provider, url, message):
    make_provider("pmr")
    answer_questions(web)
    assert_error_page(web.post(url, data={}), message)


def test_details_errors_keep_everything_typed(web, make_provider):
    make_provider("pmr")
    answer_questions(web)
    web.post(
        "/request/time",
        data={"slot": re.search(r'name="slot" value="([^"]+)"', page_text(first_day_page(web))).group(1)},
    )
    typed = {**DETAILS, "given_name": "", "birth_month": "Smarch", "phone": "12", "email": "ann@"}
    response = web.post("/request/details", data=typed)
    assert_error_page(
        response,
        "Enter your first name",
        "Date of birth must include a month, like 3 or March",
        "Enter a phone number we can call, like 507-538-1280.",
        "Enter an email address like name@example.com.",
    )
    text = page_text(response)
    for kept in ('value="Lee"', 'value="Smarch"', 'value="3"', 'value="1970"', 'value="12"', 'value="ann@"'):
        assert kept in text
    assert 'id="sms_consent" name="sms_consent" value="y" checked' in text


@pytest.mark.parametrize("month", ["3", "03", "Mar", "march", "MARCH"])
def test_a_birth_month_may_be_a_number_or_a_name(web, app, make_provider, month):
    make_provider("pmr")
    answer_questions(web)
    web.post(
        "/request/time",
        data={"slot": re.search(r'name="slot" value="([^"]+)"', page_text(first_day_page(web))).group(1)},
    )
    assert web.post("/request/details", data={**DETAILS, "birth_month": month}).status_code == 302
    assert "March 3, 1970" in page_text(web.get("/request/check"))


@pytest.mark.parametrize(
    ("month", "day", "year", "message"),
    [
        ("", "", "", "Enter your date of birth"),
        ("13", "1", "1970", "Date of birth must include a month, like 3 or March"),
        ("2", "", "1970", "Date of birth must include a day, like 27"),
        ("2", "30", "1970", "Date of birth must be a real date in the past"),
        ("2", "3", "70", "Year must include 4 numbers, like 1970"),
        ("1", "1", str(date.today().year + 1), "Date of birth must be a real date in the past"),
    ],
)
def test_an_impossible_birth_date_is_refused_with_what_to_fix(web, make_provider, month, day, year, message):
    make_provider("pmr")
    answer_questions(web)
    web.post(
        "/request/time",
        data={"slot": re.search(r'name="slot" value="([^"]+)"', page_text(first_day_page(web))).group(1)},
    )
    response = web.post(
        "/request/details", data={**DETAILS, "birth_month": month, "birth_day": day, "birth_year": year}
    )
    assert response.status_code == 422 and errors(response) == [message]


def test_no_phone_and_no_email_asks_for_one_and_texts_need_a_phone(web, make_provider):
    make_provider("pmr")
    answer_questions(web)
    web.post(
        "/request/time",
        data={"slot": re.search(r'name="slot" value="([^"]+)"', page_text(first_day_page(web))).group(1)},
    )
    none = web.post("/request/details", data={**DETAILS, "phone": "", "email": "", "sms_consent": ""})
    assert errors(none) == ["Give a phone number or an email address so we can reach you."]
    texts = web.post("/request/details", data={**DETAILS, "phone": "", "sms_consent": "y"})
    assert errors(texts) == ["Text messages need a phone number."]


def _next_saturday() -> date:
    day = clinic_today(utc_now()) + timedelta(days=1)
    while day.weekday() != 5:
        day += timedelta(days=1)
    return day


def _next_holiday() -> date:
    today = clinic_today(utc_now())
    return next(d for d, _ in default_holidays(range(today.year, today.year + 2)) if d > today + timedelta(days=1))


@pytest.mark.parametrize(
    ("when", "why"),
    [
        (lambda: central(_next_saturday(), 9), "The clinic is closed on Saturdays"),
        (lambda: central(next_clinic_day(after_days=3), 7, 30), "is before the clinic opens"),
        (lambda: central(next_clinic_day(after_days=3), 16, 30), "A 60-minute visit starting at 4:30 p.m."),
        (lambda: central(_next_holiday(), 9), "The clinic is closed"),
        (lambda: central(clinic_today(utc_now()) - timedelta(days=3), 9), "That time has already passed"),
    ],
    ids=["saturday", "7:30", "16:30-for-60-minutes", "holiday", "past"],
)
def test_a_refused_time_says_why_and_offers_the_next_open_time(web, app, make_provider, when, why):
    make_provider("pmr")
    answer_questions(web)
    response = web.post("/request/time", data={"slot": f"{when().isoformat()}|1"})
    assert_error_page(response, *errors(response))
    (message,) = errors(response)
    assert why in message and "The next open time is" in message, message
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(models.Hold)).scalar_one() == 0


def test_a_time_that_is_not_a_time_is_asked_for_again(web, make_provider):
    make_provider("pmr")
    answer_questions(web)
    for junk in ("", "tomorrow|1", "2027-01-01T09:00:00|1", "\x00"):
        response = web.post("/request/time", data={"slot": junk})
        assert response.status_code == 422 and errors(response) == ["Select a time for your visit"]


def test_nothing_free_says_so_and_offers_a_request_instead(web, make_provider):
    # No PM&R provider at all: an evaluation has no free time.
    answer_questions(web)
    page = web.get("/request/time")
    assert "There are no free times for this visit" in page_text(page)
    assert web.post("/request/time/instead").headers["Location"].endswith("/request/preferences")
    assert web.get("/request/preferences").status_code == 200


def test_the_honeypot_refuses_a_robot_and_saves_nothing(web, app, make_provider):
    make_provider("pmr")
    answer_questions(web)
    web.post(
        "/request/time",
        data={"slot": re.search(r'name="slot" value="([^"]+)"', page_text(first_day_page(web))).group(1)},
    )
    response = web.post("/request/details", data={**DETAILS, "website": "http://spam.example"})
    assert response.status_code == 400 and "507-538-1280" in page_text(response)
    assert web.get("/request/check").headers["Location"].endswith("/request/details")
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(models.Patient)).scalar_one() == 0


def test_a_form_post_without_a_valid_csrf_token_is_refused(app_with, make_provider):
    app = app_with(WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=False)
    client = app.test_client()
    refused = client.post("/request/what", data={"requested": "unsure"})
    assert refused.status_code == 400 and "could not accept it" in page_text(refused)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page_text(client.get("/request/what"))).group(
        1
    )
    assert client.post("/request/what", data={"requested": "unsure", "csrf_token": token}).status_code == 302
    assert (
        client.post("/request/what", data={"requested": "unsure", "csrf_token": token[:-2] + "xx"}).status_code == 400
    )


def test_pages_send_security_headers_and_a_locked_down_session_cookie(app_with):
    app = app_with()
    response = app.test_client().post("/request/what", data={"requested": "unsure"})
    headers = response.headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    cookie = headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_have_no_inline_scripts_or_styles_the_policy_would_block(web, make_provider):
    make_provider("pmr")
    answer_questions(web)
    for url in ("/", "/request/what", "/request/route", "/request/time"):
        text = page_text(web.get(url))
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), url
        assert " style=" not in text and "<style" not in text, url


def test_submitting_too_often_is_slowed_down_with_a_page_not_a_crash(app_with, make_provider):
    make_provider("pmr")
    app = app_with(RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC_WRITE="2 per minute", SESSION_COOKIE_SECURE=False)
    client = app.test_client()
    answer_questions(client)
    statuses = [client.post("/request/time", data={"slot": "junk"}).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
    limited = client.post("/request/time", data={"slot": "junk"})
    assert "Too many tries" in page_text(limited) and "507-538-1280" in page_text(limited)
