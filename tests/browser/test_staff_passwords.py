"""Staff accounts in Chromium, keyboard only (issue 14): a person changes their own password; an
administrator lifts a sign-in pause and resets a colleague's password, and the colleague signs in
with the temporary one and is made to choose their own before anything else opens. axe (WCAG 2.2
A/AA) on each new page and state, the staff 403 and 404 pages included, for every role.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.domain.staff import ROLES
from scheduler.services import staff as accounts
from scheduler.store import models
from scheduler.store.engine import db
from tests.staff.conftest import PASSWORD
from tests.staff.conftest import Staff
from tests.staff.conftest import csrf_token_from

NEW = "violet otter paints quietly"
COLLEAGUES_OWN = "harbour lanterns drift at dusk"
# The focused element: its id, else its text (links and buttons, visually hidden words included).
FOCUSED = (
    "() => { const el = document.activeElement; return el.id || (el.innerText || '').replace(/\\s+/g, ' ').trim(); }"
)


def focused(page: Page) -> str:
    return page.evaluate(FOCUSED)


def tab_to(page: Page, wanted: str, limit: int = 80) -> None:
    """Press Tab until the focused element's id or text is ``wanted``."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(focused(page))
        if seen[-1] == wanted:
            return
    raise AssertionError(f"{wanted!r} never took the focus; focus went through {seen}")


def follow(page: Page, link_text: str) -> None:
    """Tab to a link or button and press Enter: the page that answers has loaded on return."""
    tab_to(page, link_text)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def sign_in_by_keyboard(page: Page, username: str, password: str) -> None:
    page.goto("/staff/login")
    tab_to(page, "username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def fill_password_form(page: Page, current: str, new: str, again: str | None = None) -> None:
    tab_to(page, "current_password")
    page.keyboard.type(current)
    page.keyboard.press("Tab")
    assert focused(page) == "new_password"
    page.keyboard.type(new)
    page.keyboard.press("Tab")
    assert focused(page) == "confirm_password"
    page.keyboard.type(new if again is None else again)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def audit_actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.execute(select(models.AuditEvent.action).order_by(models.AuditEvent.id)).scalars())


def test_a_person_changes_their_own_password_with_the_keyboard_only(page: Page, app, staff_user, axe):
    staff: Staff = staff_user("scheduler")
    elsewhere = app.test_client()  # the same person, signed in on another computer
    token = csrf_token_from(elsewhere.get("/staff/login").text)  # CSRF is on in browser tests
    elsewhere.post("/staff/login", data={"username": staff.username, "password": PASSWORD, "csrf_token": token})
    assert elsewhere.get("/staff/").status_code == 200
    sign_in_by_keyboard(page, staff.username, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hello, "))

    follow(page, "Your password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")
    expect(page.get_by_role("link", name="Your password")).to_have_attribute("aria-current", "page")
    axe(page)

    fill_password_form(page, "not my password at all", NEW)  # a wrong current password
    expect(page.get_by_role("alert")).to_contain_text("Your current password is not right")
    expect(page.get_by_label("Current password")).to_have_attribute("aria-invalid", "true")
    axe(page)
    fill_password_form(page, PASSWORD, "password1234")  # the new one too easy to guess
    expect(page.get_by_role("alert")).to_contain_text("harder to guess")
    axe(page)

    fill_password_form(page, PASSWORD, NEW)
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("status").first).to_contain_text("Your password is changed")
    assert elsewhere.get("/staff/").status_code == 302  # signed out over there
    with app.app_context():
        assert accounts.authenticate(staff.username, NEW, "198.51.100.7").account is not None
    assert "staff.password_change" in audit_actions(app)


def test_an_admin_lifts_a_pause_and_resets_a_password_which_must_then_be_changed(
    page: Page, app, staff_user, axe, screenshot
):
    admin: Staff = staff_user("admin")
    colleague: Staff = staff_user("phone")
    with app.app_context():  # the colleague mistyped their password five times at this computer
        for _ in range(5):
            accounts.authenticate(colleague.username, "wrong password", "127.0.0.1")
    sign_in_by_keyboard(page, admin.username, PASSWORD)
    follow(page, "Admin")
    follow(page, "Staff accounts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff accounts")
    expect(page.locator("main")).to_contain_text("Sign-in paused")
    axe(page)
    screenshot(page, "accounts-paused")

    follow(page, f"Lift the pause for {colleague.username}")
    expect(page.get_by_role("status").first).to_contain_text(f"{colleague.username} can sign in again from anywhere")
    expect(page.locator("main")).not_to_contain_text("Sign-in paused")

    follow(page, f"Reset password of {colleague.username}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Reset the password of {colleague.username}")
    axe(page)
    follow(page, f"Reset the password of {colleague.username}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Temporary password for {colleague.username}")
    temporary = page.locator("#temporary-password").inner_text()
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", temporary)
    axe(page)
    screenshot(page, "temporary-password")
    assert audit_actions(app)[-2:] == ["staff.lockout_lift", "staff.password_reset"]

    follow(page, "Sign out")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    sign_in_by_keyboard(page, colleague.username, temporary)
    expect(page).to_have_url(re.compile(r"/staff/password$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your own password")
    expect(page.get_by_role("navigation", name="Staff pages").get_by_role("link")).to_have_count(0)
    axe(page)
    screenshot(page, "choose-own-password")
    page.goto("/staff/phone")  # anything else leads back here
    expect(page).to_have_url(re.compile(r"/staff/password$"))
    expect(page.get_by_role("status").first).to_contain_text("Choose your own password before you carry on")

    fill_password_form(page, temporary, COLLEAGUES_OWN)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hello, "))
    expect(page.get_by_role("navigation", name="Staff pages").get_by_role("link", name="Phone console")).to_be_visible()
    with app.app_context():
        assert accounts.authenticate(colleague.username, temporary, "198.51.100.7").account is None


@pytest.mark.parametrize("role", ROLES)
def test_staff_403_and_404_pages_are_staff_pages_with_a_way_on_and_pass_axe(
    page: Page, staff_user, axe, screenshot, role
):
    sign_in_by_keyboard(page, staff_user(role).username, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hello, "))
    page.goto("/staff/no-such-page")
    expect(page.get_by_role("heading", level=1)).to_have_text("There is no staff page here")
    expect(page.get_by_role("navigation", name="Staff pages")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("call us")
    axe(page)
    if role == "admin":
        return  # an administrator may open every staff page there is
    page.goto("/staff/admin/staff")
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot open this page")
    expect(page.locator("main")).to_contain_text("This page is for administrators.")
    axe(page)
    screenshot(page, f"403-{role}")
    follow(page, "Go to your home page")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hello, "))
