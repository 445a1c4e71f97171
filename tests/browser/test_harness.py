"""The browser harness bites: axe, the origin guard, page weight and screenshots, on a tiny test-only app.

The app here is built in this module (it overrides the suite's ``app`` fixture), so these tests do
not depend on the scheduler's pages.
"""

from __future__ import annotations

import base64
import struct

import pytest
from flask import Flask
from flask import Response

from tests.browser.helpers import AXE_TAGS
from tests.browser.helpers import axe_violations
from tests.browser.helpers import page_weight

PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
SCRIPT = b"document.documentElement.dataset.scripted = 'yes';\n"


def html(body: str, *, title: str = "Harness", lang: str = ' lang="en"') -> str:
    head = f"<title>{title}</title>" if title else ""
    return f'<!doctype html><html{lang}><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'


GOOD = html(
    '<main><h1>Find a time</h1><label for="q">Name</label><input id="q" name="q">'
    '<img src="/pixel.png" alt="Clinic logo"><script src="/app.js"></script></main>'
)
BAD = html('<main><h1>Find a time</h1><input name="q"><img src="/pixel.png"></main>')
FOREIGN = html('<main><h1>Find a time</h1><script src="http://127.0.0.2:1/x.js"></script></main>')
TALL = html("<main><h1>Long page</h1>" + "<p>Line of text.</p>" * 120 + "</main>")


@pytest.fixture
def app() -> Flask:
    """A test-only app: pages written to pass or fail each check on purpose."""
    app = Flask("harness")
    pages = {"/good": GOOD, "/bad": BAD, "/foreign": FOREIGN, "/tall": TALL}

    @app.get("/<name>")
    def page(name: str) -> Response:
        if name == "pixel.png":
            return Response(PIXEL, mimetype="image/png")
        if name == "app.js":
            return Response(SCRIPT, mimetype="text/javascript")
        if f"/{name}" not in pages:
            return Response("not found", status=404)
        response = Response(pages[f"/{name}"], mimetype="text/html")
        # The policy the scheduler will send: axe must still run (bypass_csp in browser_context_args).
        response.headers["Content-Security-Policy"] = "default-src 'self'; script-src 'self'"
        return response

    return app


def test_axe_reports_an_unlabelled_input_and_an_image_without_alt(page, axe):
    page.goto("/bad")
    assert {"label", "image-alt"} <= {v["id"] for v in axe_violations(page)}
    with pytest.raises(AssertionError) as failure:
        axe(page)
    report = str(failure.value)
    assert "label (critical): Form elements must have labels" in report
    assert "image-alt (critical): Images must have alternative text" in report
    lines = [line.strip() for line in report.splitlines()]
    assert "at input" in lines and "at img" in lines  # the target selectors


def test_axe_passes_the_corrected_page_under_a_strict_csp(page, axe):
    response = page.goto("/good")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.evaluate("document.documentElement.dataset.scripted") == "yes"  # our own script still ran
    axe(page)
    assert axe_violations(page) == []


def test_axe_allow_list_entries_need_a_reason(page, axe):
    page.goto("/bad")
    with pytest.raises(ValueError, match="needs a reason"):
        axe(page, allow={"label": ""})
    with pytest.raises(AssertionError) as failure:
        axe(page, allow={"label": "harness: proves an allowed rule is left out of the report"})
    assert "image-alt" in str(failure.value) and "  - label " not in str(failure.value)


def test_axe_runs_the_wcag_2_2_a_and_aa_rules():
    assert AXE_TAGS == ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")


@pytest.mark.foreign_requests_allowed("harness: proves the guard sees a request to another origin")
def test_the_origin_guard_flags_a_request_to_another_origin(page, origin_guard):
    page.goto("/foreign")
    assert origin_guard.foreign() == ["http://127.0.0.2:1/x.js"]
    with pytest.raises(AssertionError, match=r"1 request\(s\) left http://127\.0\.0\.1:\d+"):
        origin_guard.assert_same_origin()


def test_the_origin_guard_passes_same_origin_pages(page, origin_guard, base_url):
    page.goto("/good", wait_until="networkidle")
    assert sorted(origin_guard.requests) == [f"{base_url}/app.js", f"{base_url}/good", f"{base_url}/pixel.png"]
    origin_guard.assert_same_origin()


def test_page_weight_sums_the_bodies_of_everything_the_page_loaded(page, base_url):
    total, urls = page_weight(page, "/good")
    assert sorted(urls) == [f"{base_url}/app.js", f"{base_url}/good", f"{base_url}/pixel.png"]
    assert total == len(GOOD.encode()) + len(PIXEL) + len(SCRIPT)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_screenshots_are_taken_full_page_at_phone_and_desktop_width_and_the_viewport_is_restored(page, screenshot):
    page.set_viewport_size({"width": 1000, "height": 700})
    page.goto("/tall")
    paths = screenshot(page, "tall-page")
    assert [(p.parent.name, p.name) for p in paths] == [
        ("test_harness", "tall-page-390.png"),
        ("test_harness", "tall-page-1280.png"),
    ]
    assert paths[0].parent.parent.name == "screenshots" and paths[0].parent.parent.parent.name == "test-artifacts"
    (phone_width, phone_height), (desktop_width, _) = (png_size(p.read_bytes()) for p in paths)
    assert (phone_width, desktop_width) == (390, 1280)
    assert phone_height > 844  # the whole page, not the viewport
    assert page.viewport_size == {"width": 1000, "height": 700}


def test_screenshot_names_cannot_leave_the_folder(page, screenshot):
    with pytest.raises(ValueError):
        screenshot(page, "../escape")


def test_chromium_is_debians_and_stays_off_the_network(browser_type_launch_args):
    assert browser_type_launch_args["executable_path"]
    args = browser_type_launch_args["args"]
    for flag in ("--headless", "--no-sandbox", "--disable-background-networking", "--disable-component-update"):
        assert flag in args
