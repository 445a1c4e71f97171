"""Browser tests: Playwright (pytest-playwright) driving Debian's chromium against the test app.

What a journey test gets here, on top of pytest-playwright's ``page``/``context``/``browser``:

- the test's ``app`` (tests/conftest.py: same database, seeded catalog, rate limits off) served on
  127.0.0.1 for the whole test, so ``page.goto("/")`` works and data the test creates is visible;
  CSRF is switched ON for browser tests, because a browser posts real forms with real tokens;
- ``axe(page, allow=None)``: fails with a readable list of WCAG 2.2 A/AA violations;
- ``screenshot(page, name)``: full-page PNGs at 390 and 1280 px in test-artifacts/screenshots/<module>/;
- ``origin_guard``: every request the test's pages made; checked after every test that uses
  ``page``/``context``: a request to any other origin fails it, unless the test is marked
  ``@pytest.mark.foreign_requests_allowed("reason")``;
- ``page_weight(page, url)`` lives in tests/browser/helpers.py (no fixture needed).

One browser per session (pytest-playwright), a fresh context per test.
"""

from __future__ import annotations

import itertools
import os
import shutil
import threading
import traceback
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext
from playwright.sync_api import Page
from werkzeug.serving import make_server

from scheduler.services.staff import create_account
from tests.browser.helpers import SIZES
from tests.browser.helpers import OriginGuard
from tests.browser.helpers import assert_accessible
from tests.browser.helpers import save_screenshots
from tests.staff.conftest import PASSWORD
from tests.staff.conftest import Staff

HOST = "127.0.0.1"  # never a public interface: tests run on shared machines

# Without the networking switches Chromium keeps trying to reach Google's services (component
# updates, sync, safe browsing...) and floods a closed network with refused connections; they also
# keep the browser from doing anything the test did not ask for. --no-sandbox: CI runs as root in a
# container, where Chromium's sandbox cannot start.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

ACTION_TIMEOUT_MS = 5_000  # a local server answers in milliseconds; fail fast instead of after 30 s
NAVIGATION_TIMEOUT_MS = 10_000


# ----- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium (Playwright's own browsers cannot be downloaded here)."""
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not executable:
        pytest.skip("Debian chromium is not installed: apt-get install -y chromium")
    if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
        pytest.fail(f"CHROMIUM_PATH={executable!r} is not an executable file", pytrace=False)
    headless = browser_type_launch_args.get("headless", True)  # pytest --headed turns it off
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": [*(["--headless"] if headless else []), *CHROMIUM_ARGS],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        # The app sends `Content-Security-Policy: script-src 'self'`, which blocks the inline <script>
        # that page.add_script_tag() uses to inject axe-core. The CSP protects patients from injected
        # scripts; the test tool is not the page, so the policy is not applied to it. (Whether the
        # app *sends* the header is checked with the Flask test client, not here.)
        "bypass_csp": True,
        # Deterministic on any host: the clinic's own locale and time zone. A test about a patient
        # elsewhere says so: @pytest.mark.browser_context_args(timezone_id="America/Los_Angeles").
        "locale": "en-US",
        "timezone_id": "America/Chicago",
    }


@pytest.fixture
def context(context: BrowserContext) -> BrowserContext:
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    return context


# ----- the app, served ---------------------------------------------------------------------------


class LiveServer:
    """One werkzeug server (a thread) per session; each test plugs its own app in (see live_server).

    Starting a server per test would be as easy, but pytest-playwright's ``base_url`` and
    ``browser_context_args`` are session fixtures, so the URL must outlive a test. Between tests
    (or for a test that did not ask for ``live_server``) the server answers 503.
    """

    def __init__(self) -> None:
        self._app: Flask | None = None
        self._lock = threading.Condition()
        self._in_flight = 0
        self.errors: list[str] = []
        self._server = make_server(HOST, 0, self._dispatch, threaded=True)
        self.url = f"http://{HOST}:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server", daemon=True
        )
        self._thread.start()

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            app = self._app
            if app is not None:
                self._in_flight += 1
        if app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"No app is being served: the test did not request the live_server fixture.\n"]
        try:
            body = app(environ, start_response)
        except Exception:
            # TESTING propagates exceptions out of Flask: werkzeug answers 500, and the test fails
            # with the traceback instead of timing out on a locator that never appears.
            self.errors.append(traceback.format_exc())
            self._finished()
            raise
        return self._until_sent(body)

    def _until_sent(self, body: Iterable[bytes]) -> Iterator[bytes]:
        # Finished once the body is sent (or closed), not only on close(): werkzeug skips close()
        # when the browser resets the connection while it drains the socket after the response
        # (a cancelled or superseded request), which left the request "in flight" and made
        # stop_serving() wait out its 5 s timeout.
        try:
            yield from body
        finally:
            try:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
            finally:
                self._finished()

    def _finished(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._lock.notify_all()

    def serve(self, app: Flask) -> None:
        with self._lock:
            self._app = app
            self.errors = []

    def stop_serving(self, timeout: float = 5.0) -> None:
        """Stop handing requests to the app and wait for those in flight (the app's engine is disposed next)."""
        with self._lock:
            self._app = None
            self._lock.wait_for(lambda: self._in_flight == 0, timeout)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture(scope="session")
def app_server() -> Iterator[LiveServer]:
    server = LiveServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def base_url(app_server: LiveServer) -> str:
    """pytest-playwright's base URL: ``page.goto("/book")`` goes to the live server."""
    return app_server.url


@pytest.fixture
def app(app: Flask) -> Flask:
    """The suite's app (tests/conftest.py), with CSRF protection on: a browser sends real forms, so
    the token in forms and in htmx's X-CSRFToken header is part of what a journey tests."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def live_server(app_server: LiveServer, app: Flask) -> Iterator[str]:
    """Serve this test's ``app`` (same object, same database) and yield the base URL.

    Override ``app`` in a test module to serve another app (tests/browser/test_harness.py does).
    """
    if app.config.get("RATELIMIT_ENABLED"):
        pytest.fail("browser tests need RATELIMIT_ENABLED=False (a journey makes many requests)", pytrace=False)
    app_server.serve(app)
    yield app_server.url
    app_server.stop_serving()
    if app_server.errors:
        pytest.fail("the app raised while serving the browser:\n\n" + "\n".join(app_server.errors), pytrace=False)


@pytest.fixture
def origin_guard(request: pytest.FixtureRequest, context: BrowserContext, base_url: str) -> Iterator[OriginGuard]:
    """Records the requests of every page in the test's context; fails the test if one left the server.

    Use ``origin_guard.requests`` / ``.foreign()`` / ``.assert_same_origin()`` within a test; the
    check also runs after the test unless it is marked ``foreign_requests_allowed("reason")``.
    """
    guard = OriginGuard(context, base_url)
    yield guard
    marker = request.node.get_closest_marker("foreign_requests_allowed")
    if marker is None:
        guard.assert_same_origin()
    elif not (marker.args and isinstance(marker.args[0], str) and marker.args[0].strip()):
        pytest.fail("@pytest.mark.foreign_requests_allowed needs a reason string", pytrace=False)


@pytest.fixture(autouse=True)
def _pages_see_the_test_app(request: pytest.FixtureRequest) -> None:
    # Set up before `page`, so torn down after it: the app is served as long as the page lives.
    if "page" in request.fixturenames or "context" in request.fixturenames:
        request.getfixturevalue("live_server")
        request.getfixturevalue("origin_guard")


# ----- checks and artifacts ----------------------------------------------------------------------


@pytest.fixture
def axe() -> Callable[..., None]:
    """``axe(page, allow=None)``: run axe-core (WCAG 2.2 A/AA) on the current document; any
    violation fails the test. ``allow={"rule-id": "why this is acceptable here"}``."""
    return assert_accessible


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], list[Path]]:
    """``screenshot(page, name)`` -> [<name>-390.png, <name>-1280.png] in test-artifacts/screenshots/<module>/."""
    folder = Path(request.config.rootpath) / "test-artifacts" / "screenshots" / request.path.stem

    def take(page: Page, name: str) -> list[Path]:
        return save_screenshots(page, folder, name)

    return take


_accounts = itertools.count(1)


@pytest.fixture
def staff_user(app: Flask) -> Callable[[str], Staff]:
    """``staff_user("phone")``: a new active account of that role, to sign in with (helpers.sign_in)."""

    def create(role: str) -> Staff:
        with app.app_context():
            account = create_account(f"{role}-browser{next(_accounts)}", f"Test {role.title()}", role, PASSWORD)
            return Staff(account.id, account.username, PASSWORD, role)

    return create


@pytest.fixture(params=list(SIZES))
def sized(request: pytest.FixtureRequest, page: Page) -> Page:
    """The test's page at a 390 px phone's size, then (a second run) at a 1280 px desktop's."""
    width, height = SIZES[request.param]
    page.set_viewport_size({"width": width, "height": height})
    return page
