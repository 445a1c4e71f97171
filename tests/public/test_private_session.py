"""PHI stays off the client: the journey's cookie is sealed (nothing in it is readable), and the
confirmation with its manage link is shown only to the browser that booked, only until it moves on."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import timedelta

from flask.sessions import SecureCookieSessionInterface

from scheduler.domain.clock import utc_now
from tests.public.conftest import DETAILS
from tests.public.conftest import answer_questions
from tests.public.conftest import book_first_time
from tests.public.conftest import page_text

TYPED = ("Ann", "Lee", "1970-03-03", "5550101", "ann.lee@example.com", "trauma")


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie was set"
    return cookie.value


def every_reading(value: str) -> str:
    """The cookie as text, base64-decoded from every offset and decompressed (what someone with the
    browser could try)."""
    readings = [value]
    for start in range(4):
        chunk = value[start:].split(".")[0]
        padded = chunk + "=" * (-len(chunk) % 4)
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                raw = decode(padded)
            except ValueError:
                continue
            readings.append(raw.decode("latin-1"))
            try:
                readings.append(zlib.decompress(raw).decode("latin-1"))  # Flask compresses long sessions
            except zlib.error:
                pass
    return "\n".join(readings)


def shows(typed: str, text: str) -> bool:
    """``typed`` is in ``text``. A name as short as "Ann" must stand between quotes or spaces there,
    as it does in any plain JSON: the random base64 of a sealed cookie spells "Ann" or "Lee"
    somewhere in about one cookie in 300 (a run saw "MAAnn-vE"), but never with a quote beside it."""
    if len(typed) >= 6:  # 64**-6 a position: chance cannot spell it
        return typed in text
    return re.search(rf"(?<![^\s\"']){re.escape(typed)}(?![^\s\"'])", text) is not None


def test_the_journey_cookie_holds_the_answers_but_nothing_in_it_is_readable(web, app, make_provider):
    make_provider("pmr")
    book_first_time(web)  # answers, a held time and the patient's details are now in the session
    assert "Ann Lee" in page_text(web.get("/request/check"))  # the server can read them back
    value = session_cookie(web)
    readable = every_reading(value)
    for typed in TYPED:
        assert not shows(typed, readable), typed
    # Flask's own (signed only) cookie format does not open it either, even with the key.
    plain = SecureCookieSessionInterface().get_signing_serializer(app)
    try:
        plain.loads(value)
    except Exception as refused:  # noqa: BLE001 - any refusal will do: it must not open
        assert "Signature" in type(refused).__name__ or "Payload" in type(refused).__name__
    else:
        raise AssertionError("a plain signed-cookie reader opened the sealed cookie")


def test_a_tampered_or_foreign_cookie_is_a_fresh_start_never_an_error(web, app, make_provider):
    make_provider("pmr")
    answer_questions(web)
    value = session_cookie(web)
    web.set_cookie("session", value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB"))
    page = web.get("/request/check")
    assert page.status_code == 302 and page.headers["Location"].endswith("/request/what")


def test_the_confirmation_is_shown_to_the_browser_that_booked_and_never_after_it_moves_on(web, app, make_provider):
    make_provider("pmr")
    book_first_time(web, DETAILS)
    web.post("/request/check")
    first = page_text(web.get("/request/confirmation"))
    reference = re.search(r'class="reference">(SIJ-[A-Z0-9-]+)<', first).group(1)
    assert "/manage/" in first
    assert reference in page_text(web.get("/request/confirmation"))  # a reload still shows it
    web.get("/")  # the browser moves on: the next person at this computer
    again = web.get("/request/confirmation")
    assert again.status_code == 302 and reference not in page_text(again)


def test_the_confirmation_is_not_shown_after_fifteen_minutes(web, app, make_provider):
    make_provider("pmr")
    book_first_time(web, DETAILS)
    web.post("/request/check")
    with web.session_transaction() as stored:
        stored["confirmation"] = {**stored["confirmation"], "at": (utc_now() - timedelta(minutes=16)).isoformat()}
    late = web.get("/request/confirmation")
    assert late.status_code == 302 and "/manage/" not in page_text(late)
