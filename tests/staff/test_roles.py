"""Every staff page is closed to people who are not signed in and to the roles it does not name.

The walk is over ``app.url_map``: a route added under /staff later is covered without editing
this file, and one that forgets ``@staff_required`` fails here (and is refused by the app).
"""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter
from werkzeug.routing import Rule

from scheduler.domain.staff import ROLES
from scheduler.store.engine import db
from scheduler.web.auth import OPEN_ENDPOINTS
from scheduler.web.auth import is_staff_path
from scheduler.web.auth import staff_required
from tests.staff.conftest import Staff

ASKED = ("GET", "POST")


def staff_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if is_staff_path(rule.rule)]


def sample_url(app: Flask, rule: Rule) -> str:
    values = {
        name: 1 if isinstance(converter, IntegerConverter) else "sample" for name, converter in rule._converters.items()
    }
    with app.test_request_context():
        built = rule.build(values, append_unknown=False)
    assert built is not None
    return built[1]


def requests_of(app: Flask) -> list[tuple[str, str, frozenset[str] | None]]:
    """(method, url, declared roles) for every staff route and method, the sign-in page aside."""
    found = []
    for rule in staff_rules(app):
        if rule.endpoint in OPEN_ENDPOINTS:
            continue
        declared = getattr(app.view_functions[rule.endpoint], "staff_roles", None)
        for method in sorted(set(ASKED) & (rule.methods or set())):
            found.append((method, sample_url(app, rule), declared))
    return found


def test_the_walk_covers_the_staff_pages_we_know_of(app):
    endpoints = {rule.endpoint for rule in staff_rules(app)}
    assert {"auth.login", "auth.logout", "staff.home", "staff.messages", "staff.retry_message", "staff.mail",
            "staff.mail_message", "staff.audit", "staff.audit_csv", "staff.change_password", "staff.admin_staff_reset",
            "staff.admin_staff_unlock", "staff.patients", "staff.patients_search", "staff.patient",
            "staff.patient_contact", "staff.audit_find_patient", "staff.queue", "staff.queue_place",
            "staff.queue_decline", "staff.queue_contact", "staff.waitlist", "staff.waitlist_take_off",
            "staff.admin_waitlist_rules", "staff.phone_waitlist", "staff.admin_api_clients",
            "staff.admin_api_client_revoke", "staff.admin_calendar_feeds",
            "staff.admin_calendar_feed_revoke", "staff.patient_merge_find", "staff.patient_merge_search",
            "staff.patient_merge_confirm", "staff.calendar_day", "staff.calendar_week",
            "staff.calendar_rooms"} <= endpoints  # fmt: skip


def test_every_staff_route_declares_which_roles_may_use_it(app):
    undeclared = [url for _, url, roles in requests_of(app) if not roles or not roles <= set(ROLES)]
    assert undeclared == []


def test_nobody_who_is_not_signed_in_gets_past_any_staff_route(app):
    client = app.test_client()
    for method, url, _ in requests_of(app):
        response = client.open(url, method=method)
        assert response.status_code in (302, 401, 403), (method, url, response.status_code)
        if response.status_code == 302:
            expected = "/staff/login?next=" if method == "GET" else "/staff/login"
            assert response.headers["Location"].startswith(expected), (method, url)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_403_from_every_route_that_does_not_name_it(app, role, signed_in):
    client = app.test_client()
    signed_in(client, role)
    checked = 0
    for method, url, roles in requests_of(app):
        if url == "/staff/logout":
            continue  # would end the session the rest of the walk needs (it allows every role)
        response = client.open(url, method=method)
        if role in roles:
            # Let in (an action may redirect after doing its work, but never to the sign-in page);
            # the sample values may well name nothing (404) but never break the page.
            assert response.status_code not in (401, 403) and response.status_code < 500, (method, url)
            assert "/staff/login" not in response.headers.get("Location", ""), (method, url)
        else:
            assert response.status_code == 403, (method, url, response.status_code)
            checked += 1
    # An administrator may use every staff page today; each other role is refused somewhere.
    assert checked > 0 or role == "admin"


def test_a_new_staff_route_that_forgets_to_declare_roles_is_closed_and_caught_by_the_walk(app_with, staff_user):
    app = app_with()
    app.add_url_rule("/staff/forgotten", "forgotten", lambda: "secret page")
    app.add_url_rule("/staff/declared", "declared", staff_required("admin")(lambda: "admin page"))
    assert [url for _, url, roles in requests_of(app) if not roles] == ["/staff/forgotten"]
    client = app.test_client()
    assert client.get("/staff/forgotten").status_code == 403
    staff: Staff = staff_user("admin")
    client.post("/staff/login", data={"username": staff.username, "password": staff.password})
    assert client.get("/staff/declared").text == "admin page"
    assert client.get("/staff/forgotten").status_code == 403  # even for an administrator
    with app.app_context():
        db.engine.dispose()


def test_a_role_the_app_does_not_know_cannot_be_declared():
    with pytest.raises(ValueError, match="staff_required"):
        staff_required("superuser")
    with pytest.raises(ValueError, match="staff_required"):
        staff_required()
