"""Staff errors in the staff layout (issue 14): a 403 or 404 under /staff is a staff page (the staff
header, no patient helpline, never the server's default wording) with a next step; and the home
page and navigation offer each role only pages it may open.

The navigation check walks what the pages themselves offer: with the demo clinic loaded, every
link in the staff navigation, on the home page and in the admin section tabs is requested as the
role that was shown it, and none may answer 403.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from scheduler.domain.staff import ROLES
from scheduler.services.seed import seed_demo
from scheduler.store.engine import db
from scheduler.web.staff import PAGES
from tests.staff.conftest import Staff
from tests.staff.test_roles import requests_of

STAFF_LAYOUT = 'class="staff-header"'
PATIENT_HELPLINE = "If you need help, call us"
# werkzeug's own descriptions, which a person should never be left with.
SERVER_WORDS = ("You don't have the permission", "The requested URL was not found", "The method is not allowed",
                "The browser (or proxy) sent a request")  # fmt: skip
ROLE_NAME = {"admin": "Administrator", "scheduler": "Scheduler", "phone": "Phone staff"}
LINK = re.compile(r'<a [^>]*href="(/staff[^"#]*)"')
NAV = re.compile(r'<nav class="staff-nav".*?</nav>', re.S)
MAIN = re.compile(r'<main id="main".*?</main>', re.S)


def assert_staff_error_page(text: str, *, home_link: bool = True) -> None:
    assert STAFF_LAYOUT in text
    assert PATIENT_HELPLINE not in text
    for words in SERVER_WORDS:
        assert words not in text
    main = MAIN.search(text)
    assert main is not None
    if home_link:
        assert '<a href="/staff/">Go to your home page</a>' in main.group(0)
    else:
        assert '<a href="/staff/login">Sign in</a>' in main.group(0)


def forbidden_url(app: Flask, role: str) -> str | None:
    """A page (GET) under /staff whose declaration does not name ``role``."""
    return next(
        (url for method, url, roles in requests_of(app) if method == "GET" and roles and role not in roles), None
    )


@pytest.mark.parametrize("role", ["scheduler", "phone"])
def test_a_403_is_a_staff_page_that_names_the_role_and_says_what_to_do(app, client, signed_in, role):
    signed_in(client, role)
    url = forbidden_url(app, role)
    assert url is not None
    refused = client.get(url)
    assert refused.status_code == 403
    assert_staff_error_page(refused.text)
    assert "You cannot open this page" in refused.text
    assert f"Your role ({ROLE_NAME[role]}) cannot open it." in refused.text
    assert "ask an administrator" in refused.text
    assert 'aria-label="Staff pages"' in refused.text  # the person's own navigation is still there


def test_a_403_says_who_the_page_is_for(client, signed_in):
    signed_in(client, "phone")
    refused = client.get("/staff/admin")
    assert "This page is for administrators and schedulers." in refused.text
    refused = client.get("/staff/admin/staff")
    assert "This page is for administrators." in refused.text


@pytest.fixture
def app_with_an_undeclared_page(app_with) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    app = app_with()
    app.add_url_rule("/staff/forgotten", "forgotten", lambda: "secret page")
    yield app
    with app.app_context():
        db.engine.dispose()


def test_an_administrator_refused_a_page_nobody_may_open_gets_the_staff_page_too(
    app_with_an_undeclared_page, staff_user
):
    app = app_with_an_undeclared_page
    client = app.test_client()
    nobody = client.get("/staff/forgotten")
    assert nobody.status_code == 403 and "This page is not open to anyone yet." in nobody.text
    assert_staff_error_page(nobody.text, home_link=False)
    admin: Staff = staff_user("admin")
    client.post("/staff/login", data={"username": admin.username, "password": admin.password})
    refused = client.get("/staff/forgotten")
    assert refused.status_code == 403 and "This page is not open to any role yet." in refused.text
    assert_staff_error_page(refused.text)


@pytest.mark.parametrize("role", ROLES)
def test_a_404_is_a_staff_page_with_the_way_home_for_each_role(client, signed_in, role):
    signed_in(client, role)
    for url in ("/staff/no-such-page", "/staff/visits/999999", "/staff/admin/staff/999999/password"):
        missing = client.get(url)
        if role != "admin" and url.startswith("/staff/admin/"):
            assert missing.status_code == 403, url  # the role check comes first: nothing is said about what exists
            assert_staff_error_page(missing.text)
            continue
        if missing.status_code == 403:
            continue  # a page this role may not open (phone staff and visits)
        assert missing.status_code == 404, (url, missing.status_code)
        assert_staff_error_page(missing.text)
        assert "There is no staff page here" in missing.text


def test_a_404_for_someone_not_signed_in_offers_the_sign_in_page(client):
    missing = client.get("/staff/no-such-page")
    assert missing.status_code == 404
    assert_staff_error_page(missing.text, home_link=False)
    assert 'aria-label="Staff pages"' not in missing.text


def test_a_wrong_method_under_staff_is_explained_in_the_staff_layout(client, signed_in):
    signed_in(client, "scheduler")
    wrong = client.get("/staff/logout")
    assert wrong.status_code == 405
    assert_staff_error_page(wrong.text)
    assert "own links and buttons" in wrong.text


def test_patient_pages_keep_the_patient_error_page(client):
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and PATIENT_HELPLINE in missing.text and STAFF_LAYOUT not in missing.text


# ----- what the home page and navigation offer ----------------------------------------------------


@pytest.fixture
def demo_clinic(app: Flask) -> Flask:
    with app.app_context():
        seed_demo()
    return app


def offered_links(client) -> set[str]:  # type: ignore[no-untyped-def]
    """The staff links in the navigation and on the home page, and the admin section tabs."""
    home = client.get("/staff/")
    assert home.status_code == 200
    nav = NAV.search(home.text)
    assert nav is not None
    offered = set(LINK.findall(nav.group(0))) | set(LINK.findall(MAIN.search(home.text).group(0)))  # type: ignore[union-attr]
    if "/staff/admin" in offered:
        admin = client.get("/staff/admin")
        tabs = re.search(r'<nav aria-label="Admin sections">.*?</nav>', admin.text, re.S)
        assert tabs is not None
        offered |= set(LINK.findall(tabs.group(0)))
    return {link.replace("&amp;", "&") for link in offered}


@pytest.mark.parametrize("role", ROLES)
def test_the_navigation_and_home_page_offer_only_pages_the_role_may_open(demo_clinic, signed_in, role):
    client = demo_clinic.test_client()
    signed_in(client, role)
    offered = offered_links(client)
    assert offered, role
    answers = {url: client.get(url).status_code for url in sorted(offered)}
    assert {url: status for url, status in answers.items() if status in (401, 403) or status >= 500} == {}, role


@pytest.mark.parametrize("role", ROLES)
def test_the_navigation_lists_every_page_the_role_may_open_and_no_other(app, client, signed_in, role):
    signed_in(client, role)
    nav = NAV.search(client.get("/staff/").text)
    assert nav is not None
    listed = set(LINK.findall(nav.group(0)))
    with app.test_request_context():
        from flask import url_for

        from scheduler.web.auth import roles_of

        allowed = {url_for(endpoint) for endpoint, _, _ in PAGES if role in (roles_of(endpoint) or ())}
        refused = {url_for(endpoint) for endpoint, _, _ in PAGES} - allowed
    assert listed == allowed
    assert not listed & refused
    if role != "admin":
        assert refused  # every other role is refused something, and is not shown it
