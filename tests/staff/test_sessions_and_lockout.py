"""Session expiry (idle and absolute), the lockout that always lifts, the per-address limit on the
sign-in form, CSRF, and the session cookie's flags."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from scheduler.domain.clock import utc_now
from scheduler.domain.staff import lockout_wait
from scheduler.store import models
from scheduler.store.engine import db
from tests.staff.conftest import PASSWORD
from tests.staff.conftest import account
from tests.staff.conftest import audit_events
from tests.staff.conftest import csrf_token_from
from tests.staff.conftest import sign_in

# ----- inactivity and session age ------------------------------------------------------------------


def _age_session(client, *, seen_minutes_ago: float = 0, since_hours_ago: float = 0) -> None:
    now = int(time.time())
    with client.session_transaction() as session:
        session["staff_seen"] = now - int(seen_minutes_ago * 60)
        session["staff_since"] = now - int(since_hours_ago * 3600)


def test_thirty_minutes_without_a_request_ends_the_session_with_a_message(app, client, signed_in):
    staff = signed_in(client, "admin")
    _age_session(client, seen_minutes_ago=31)
    response = client.get("/staff/messages?status=dead")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login?next=/staff/messages?status%3Ddead"
    page = client.get(response.headers["Location"])
    assert "You were signed out because nothing happened for 30 minutes" in page.text
    assert client.get("/staff/").status_code == 302  # really signed out
    expired = audit_events(app, "staff.session_expired")
    assert [(e.actor_id, e.detail) for e in expired] == [(staff.id, "idle")]
    # Only this browser's session ended: the account's other sessions are not cut off.
    assert account(app, staff.id).session_version == 1


def test_a_request_within_the_idle_time_keeps_the_session_and_moves_its_stamp(client, signed_in):
    signed_in(client, "admin")
    _age_session(client, seen_minutes_ago=29)
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session["staff_seen"] < 60  # moved to now, not left 29 minutes back


def test_the_idle_time_comes_from_the_configuration(app, client, signed_in):
    app.config["STAFF_IDLE_MINUTES"] = 5
    signed_in(client, "admin")
    _age_session(client, seen_minutes_ago=6)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "nothing happened for 5 minutes" in client.get(response.headers["Location"]).text


def test_a_session_ends_twelve_hours_after_sign_in_even_when_in_use(client, signed_in):
    signed_in(client, "admin")
    _age_session(client, seen_minutes_ago=1, since_hours_ago=12.1)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "you signed in more than 12 hours ago" in client.get(response.headers["Location"]).text


def test_an_account_deactivated_meanwhile_is_signed_out_at_its_next_request(app, client, signed_in):
    staff = signed_in(client, "admin")
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        db.session.execute(update(models.StaffAccount).where(models.StaffAccount.id == staff.id).values(active=False))
        db.session.commit()
    assert client.get("/staff/").status_code == 302


# ----- lockout (per account and address: tests/staff/test_lockout_by_address.py has the rest) -------

HERE = "127.0.0.1"  # the test client's address


def _fail(client, username: str, times: int, address: str = HERE) -> list[int]:
    return [sign_in(client, username, "wrong wrong wrong", address=address).status_code for _ in range(times)]


def _guard(app, account_id: int, client: str = HERE) -> models.SignInGuard | None:
    with app.app_context():
        return db.session.get(models.SignInGuard, (account_id, client))


def _move_last_failure_back(app, account_id: int, by: timedelta, client: str = HERE) -> None:
    with app.app_context():
        guard = models.SignInGuard
        last = db.session.get(guard, (account_id, client)).last_failed_at
        db.session.execute(
            update(guard)
            .where(guard.account_id == account_id, guard.client == client)
            .values(last_failed_at=last - by)
        )
        db.session.commit()


def _waiting(response) -> bool:
    """A refused sign-in: the form again, with the one answer every failure gets."""
    return response.status_code == 422 and "Username or password is wrong" in response.text


def test_five_wrong_passwords_make_that_address_wait_a_minute_even_for_the_right_one(app, client, staff_user):
    staff = staff_user("scheduler")
    assert _fail(client, staff.username, 5) == [422] * 5
    refused = sign_in(client, staff.username, PASSWORD)
    assert _waiting(refused) and "Retry-After" not in refused.headers  # it does not say it is a wait
    assert client.get("/staff/").status_code == 302  # not signed in
    # Tries while waiting are not counted, so hammering does not lengthen the wait.
    assert _guard(app, staff.id).failures == 5
    assert audit_events(app, "staff.login_refused")[-1].detail.startswith("waiting after 5 failures; from 127.0.0.1")


def test_the_wait_doubles_with_each_further_failure_and_the_lock_always_lifts(app, client, staff_user):
    staff = staff_user("scheduler")
    _fail(client, staff.username, 5)
    _move_last_failure_back(app, staff.id, timedelta(seconds=61))
    assert _fail(client, staff.username, 1) == [422]  # the 6th wrong password is checked again...
    assert _guard(app, staff.id).failures == 6  # ...and doubles the wait
    assert _waiting(sign_in(client, staff.username, PASSWORD))
    # Margins of many seconds: hashing is slow on a loaded machine, and the real clock runs on.
    _move_last_failure_back(app, staff.id, timedelta(seconds=90))
    assert _waiting(sign_in(client, staff.username, PASSWORD))  # half a minute early
    _move_last_failure_back(app, staff.id, timedelta(seconds=31))
    response = sign_in(client, staff.username, PASSWORD)
    assert response.status_code == 302
    assert _guard(app, staff.id) is None  # this address's run is over


def test_the_wait_never_exceeds_fifteen_minutes(app, client, staff_user):
    staff = staff_user("admin")
    with app.app_context():
        db.session.add(models.SignInGuard(account_id=staff.id, client=HERE, failures=500, last_failed_at=utc_now()))
        db.session.commit()
    assert _waiting(sign_in(client, staff.username, PASSWORD))
    _move_last_failure_back(app, staff.id, timedelta(minutes=14, seconds=30))
    assert _waiting(sign_in(client, staff.username, PASSWORD))
    _move_last_failure_back(app, staff.id, timedelta(seconds=31))
    assert sign_in(client, staff.username, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("failures", "minutes"), [(0, 0), (4, 0), (5, 1), (6, 2), (7, 4), (8, 8), (9, 15), (10, 15), (10**9, 15)]
)
def test_the_lockout_wait_right_after_a_failure(failures, minutes):
    now = utc_now()
    assert lockout_wait(failures, now, now) == timedelta(minutes=minutes)


def test_one_account_locked_out_does_not_slow_anyone_else(client, staff_user):
    locked, other = staff_user("admin"), staff_user("admin")
    _fail(client, locked.username, 5)
    assert sign_in(client, other.username, PASSWORD).status_code == 302


# ----- per-address limit, CSRF, cookies -----------------------------------------------------------------


@pytest.fixture
def strict_app(app, app_with):
    """The same clean database, with rate limits and CSRF switched on as in production."""
    return app_with(RATELIMIT_ENABLED=True, RATELIMIT_STAFF_LOGIN="3 per minute", WTF_CSRF_ENABLED=True)


def test_sign_in_posts_from_one_address_are_limited(strict_app):
    client = strict_app.test_client()
    token = csrf_token_from(client.get("/staff/login").text)
    statuses = [sign_in(client, f"guess{i}", "x", csrf_token=token).status_code for i in range(4)]
    assert statuses == [422, 422, 422, 429]
    assert client.get("/staff/login").status_code == 200  # the form itself is not limited


def test_a_sign_in_without_the_csrf_token_is_refused(strict_app, staff_user):
    staff = staff_user("admin")
    client = strict_app.test_client()
    refused = sign_in(client, staff.username, PASSWORD)
    assert refused.status_code == 400
    assert client.get("/staff/").status_code == 302  # not signed in
    token = csrf_token_from(client.get("/staff/login").text)
    assert sign_in(client, staff.username, PASSWORD, csrf_token=token).status_code == 302


def test_signing_out_without_the_csrf_token_is_refused(strict_app, staff_user):
    staff = staff_user("admin")
    client = strict_app.test_client()
    sign_in(client, staff.username, PASSWORD, csrf_token=csrf_token_from(client.get("/staff/login").text))
    assert client.post("/staff/logout").status_code == 400
    assert client.get("/staff/").status_code == 200  # a forged sign-out did nothing
    token = csrf_token_from(client.get("/staff/").text)
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff/").status_code == 302


def test_the_session_cookie_is_secure_http_only_same_site_lax_and_persistent(client, staff_user):
    staff = staff_user("admin")
    response = sign_in(client, staff.username, PASSWORD)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "secure" in flags and "httponly" in flags and "samesite=lax" in flags
    assert any(flag.startswith("expires=") for flag in flags)  # session.permanent
