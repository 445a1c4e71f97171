"""Signing in and out: the generic error, a fresh session each time, sign-out that really ends it."""

from __future__ import annotations

from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
from flask import url_for
from sqlalchemy import update

from scheduler.domain.staff import ROLES
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.web.auth import roles_of
from scheduler.web.staff import PAGES
from tests.staff.conftest import PASSWORD
from tests.staff.conftest import account
from tests.staff.conftest import audit_events
from tests.staff.conftest import sign_in


def test_a_member_of_staff_signs_in_and_lands_on_the_staff_home_page(client, staff_user):
    staff = staff_user("scheduler", name="Dana Smith")
    response = sign_in(client, staff.username, PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    home = client.get("/staff/")
    assert home.status_code == 200
    assert "Dana Smith" in home.text and "Scheduler" in home.text
    assert 'href="/staff/messages"' in home.text  # what a scheduler may use
    assert 'href="/staff/audit"' not in home.text  # and not what only an admin may


def test_usernames_are_not_case_sensitive(client, staff_user):
    staff = staff_user("admin", username="Dana.Smith")
    assert staff.username == "dana.smith"
    assert sign_in(client, "  DANA.smith ", PASSWORD).status_code == 302


def test_a_wrong_password_gets_the_generic_message_and_keeps_the_typed_username(client, staff_user):
    staff = staff_user("admin")
    response = sign_in(client, staff.username, "not the password at all")
    assert response.status_code == 422
    assert "Username or password is wrong" in response.text
    assert f'value="{staff.username}"' in response.text
    assert "not the password at all" not in response.text  # the password is never sent back
    assert client.get("/staff/").status_code == 302  # not signed in


def test_an_unknown_username_gets_exactly_the_same_answer_and_is_not_written_down(app, client, staff_user):
    staff_user("admin", username="known")
    unknown = sign_in(client, "nobody-here", "whatever password")
    known = sign_in(client, "known", "whatever password")
    assert unknown.status_code == known.status_code == 422
    assert unknown.text.replace("nobody-here", "known") == known.text
    failures = audit_events(app, "staff.login_failed")
    assert [e.detail.split(";")[0] for e in failures] == ["unknown account", "wrong password"]
    assert all("nobody" not in e.detail and "whatever" not in e.detail for e in failures)


def test_an_empty_form_says_what_is_missing(client):
    response = client.post("/staff/login", data={"username": "", "password": ""})
    assert response.status_code == 422
    assert "Enter your username" in response.text and "Enter your password" in response.text
    assert response.text.count("There is a problem") == 1


def test_a_deactivated_account_cannot_sign_in(app, client, staff_user):
    staff = staff_user("admin")
    with app.app_context():
        db.session.execute(update(models.StaffAccount).values(active=False))
        db.session.commit()
    response = sign_in(client, staff.username, PASSWORD)
    assert response.status_code == 422 and "Username or password is wrong" in response.text


def test_signing_in_starts_a_new_session_so_a_planted_one_is_worthless(client, staff_user):
    staff = staff_user("admin")
    with client.session_transaction() as planted:
        planted["staff_sid"] = "chosen-by-an-attacker"
        planted["planted"] = "yes"
    before = client.get_cookie("session").value
    sign_in(client, staff.username, PASSWORD)
    with client.session_transaction() as fresh:
        assert "planted" not in fresh
        first_sid = fresh["staff_sid"]
        assert first_sid != "chosen-by-an-attacker" and len(first_sid) >= 20
        assert fresh["_user_id"] == f"{staff.id}.1"
    assert client.get_cookie("session").value != before
    sign_in(client, staff.username, PASSWORD)  # signing in again mints yet another id
    with client.session_transaction() as again:
        assert again["staff_sid"] != first_sid


def test_signing_out_ends_the_session_and_a_saved_copy_of_the_cookie_stops_working(app, client, signed_in):
    staff = signed_in(client, "admin")
    copied = client.get_cookie("session").value
    response = client.post("/staff/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert "You are signed out." in client.get("/staff/login").text
    assert client.get("/staff/").status_code == 302
    client.set_cookie("session", copied)  # replaying the cookie from before sign-out
    replay = client.get("/staff/")
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/staff/login")
    assert account(app, staff.id).session_version == 2
    assert [e.action for e in audit_events(app)][-2:] == ["staff.login", "staff.logout"]


def test_signing_out_needs_a_post(client, signed_in):
    signed_in(client, "admin")
    assert client.get("/staff/logout").status_code == 405
    assert client.get("/staff/").status_code == 200  # still signed in


def test_a_page_asked_for_before_signing_in_is_opened_after_it(client, staff_user):
    staff = staff_user("admin")
    bounced = client.get("/staff/audit?patient_id=4")
    assert bounced.status_code == 302
    target = parse_qs(urlsplit(bounced.headers["Location"]).query)["next"][0]
    assert target == "/staff/audit?patient_id=4"
    response = client.post(
        "/staff/login", query_string={"next": target}, data={"username": staff.username, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/staff/audit?patient_id=4"


def test_the_next_address_can_only_be_one_of_our_staff_pages(client, staff_user):
    staff = staff_user("admin")
    for elsewhere in ("https://evil.example/staff/", "//evil.example/staff/", "/\\evil.example", "/api/v1/x"):
        response = client.post(
            "/staff/login", query_string={"next": elsewhere}, data={"username": staff.username, "password": PASSWORD}
        )
        assert response.headers["Location"] == "/staff/", elsewhere


def test_the_sign_in_page_sends_someone_already_signed_in_home(client, signed_in):
    signed_in(client, "phone")
    response = client.get("/staff/login")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"


@pytest.mark.parametrize("role", ROLES)
def test_the_home_page_links_to_exactly_the_pages_the_role_may_open(app, client, signed_in, role):
    signed_in(client, role)
    home = client.get("/staff/").text
    with app.test_request_context():
        for endpoint, _title, _description in PAGES:
            if endpoint == "staff.home":
                continue
            link = f'href="{url_for(endpoint)}"'
            assert (link in home) == (role in roles_of(endpoint)), (role, endpoint)
