"""Admin pages for API clients and calendar feeds in Chromium (issue 14): each page and state
(the list, a refused form, the token shown once, the revoke confirmation) passes axe (WCAG 2.2 A/AA).
"""

from __future__ import annotations

import re

from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.helpers import sign_in


def test_the_api_client_and_calendar_feed_pages_pass_axe(page: Page, staff_user, make_provider, axe):
    make_provider("pmr", name="Dr. Axe")
    sign_in(page, staff_user("admin"))

    page.goto("/staff/admin/api-clients")
    axe(page)
    page.get_by_role("button", name="Create").click()  # nothing typed: refused, said beside the fields
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    axe(page)
    page.get_by_label("Name (the system that will use it)").fill("Portal")
    page.get_by_label("Read (search free times, read visits)").check()
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("it will not be shown again")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Back to API clients").click()
    page.get_by_role("link", name="Revoke Portal").click()
    axe(page)
    page.get_by_role("button", name="Revoke Portal").click()
    expect(page.get_by_text("revoked: its token no longer works")).to_be_visible()
    axe(page)

    page.goto("/staff/admin/calendar-feeds")
    axe(page)
    page.get_by_label("Shows").select_option(label="Dr. Axe: their visits")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("it will not be shown again")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Back to calendar feeds").click()
    page.get_by_role("link", name=re.compile(r"^Revoke feed \d+$")).click()
    axe(page)
    page.get_by_role("button", name=re.compile(r"^Revoke feed \d+$")).click()
    axe(page)
