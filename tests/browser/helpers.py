"""Browser-test helpers that need no fixture: axe-core checks, the origin guard, page weight, screenshots.

The fixtures in ``tests/browser/conftest.py`` wrap these (``axe``, ``origin_guard``, ``screenshot``);
``page_weight`` is used directly::

    from tests.browser.helpers import page_weight
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext
from playwright.sync_api import Page
from playwright.sync_api import Request
from playwright.sync_api import Response
from playwright.sync_api import expect

VENDOR = Path(__file__).resolve().parent / "vendor"

# The WCAG 2.2 A/AA rule set, as the research note asks (axe tags; wcag22a has no rules of its own).
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

# Violations accepted everywhere: axe rule id -> why it is acceptable. Keep this empty; an entry
# needs a reason a reviewer can judge (e.g. a false positive with a link to the axe issue). For a
# single page, pass ``allow={"rule-id": "reason"}`` to the check instead.
AXE_ALLOWED: dict[str, str] = {}

PHONE_WIDTH, PHONE_HEIGHT = 390, 844  # an iPhone 12-15 class viewport, in CSS pixels
DESKTOP_WIDTH, DESKTOP_HEIGHT = 1280, 800
# The two sizes a page is tried at (the ``sized`` fixture of conftest.py).
SIZES = {"phone": (PHONE_WIDTH, PHONE_HEIGHT), "desktop": (DESKTOP_WIDTH, DESKTOP_HEIGHT)}


# ----- axe-core ----------------------------------------------------------------------------------


def axe_script() -> Path:
    """The vendored axe.min.js (exactly one version folder exists; tools/vendor_assets.py keeps it so)."""
    found = sorted(VENDOR.glob("axe-core-*/axe.min.js"))
    if len(found) != 1:
        raise RuntimeError(f"expected one vendored axe-core under {VENDOR}, found {found}; run tools/vendor_assets.py")
    return found[0]


def run_axe(page: Page, tags: Iterable[str] = AXE_TAGS) -> dict[str, Any]:
    """Run axe-core on the page's current document and return its full results object.

    The script is injected as an inline <script>; the ``browser_context_args`` fixture turns on
    ``bypass_csp`` so that works under the app's ``script-src 'self'`` policy.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=axe_script())
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        list(tags),
    )


def check_allow_list(allow: Mapping[str, str]) -> None:
    for rule, reason in allow.items():
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"axe allow-list entry {rule!r} needs a reason (a non-empty string), got {reason!r}")


def axe_violations(page: Page, allow: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """axe violations on the current document, without those allowed here or in AXE_ALLOWED."""
    allowed = {**AXE_ALLOWED, **(allow or {})}
    check_allow_list(allowed)
    return [v for v in run_axe(page)["violations"] if v["id"] not in allowed]


def format_violations(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"axe found {len(violations)} accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"  - {violation['id']} ({violation.get('impact') or 'no impact given'}): {violation['help']}")
        lines.append(f"      {violation['helpUrl']}")
        for node in violation["nodes"][:10]:
            target = " >> ".join(" ".join(t) if isinstance(t, list) else str(t) for t in node["target"])
            lines.append(f"      at {target}")
        if len(violation["nodes"]) > 10:
            lines.append(f"      ... and {len(violation['nodes']) - 10} more elements")
    return "\n".join(lines)


def assert_accessible(page: Page, allow: Mapping[str, str] | None = None) -> None:
    """Fail (AssertionError) with a readable list when axe reports any WCAG 2.2 A/AA violation."""
    violations = axe_violations(page, allow)
    if violations:
        raise AssertionError(format_violations(page.url, violations))


# ----- where requests go -------------------------------------------------------------------------

# Not network requests, so never "another origin".
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class OriginGuard:
    """Records every request made by the pages of a browser context (documents, scripts, fetches, ...)."""

    def __init__(self, context: BrowserContext, base_url: str) -> None:
        self.origin = origin(base_url)
        self.requests: list[str] = []
        self._lock = threading.Lock()
        context.on("request", self._record)

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request.url)

    def foreign(self) -> list[str]:
        """URLs of requests that went to any origin other than the live server's."""
        with self._lock:
            urls = list(self.requests)
        return [u for u in urls if urlsplit(u).scheme not in LOCAL_SCHEMES and origin(u) != self.origin]

    def assert_same_origin(self) -> None:
        foreign = self.foreign()
        if foreign:
            listed = "\n".join(f"  - {u}" for u in foreign)
            raise AssertionError(
                f"{len(foreign)} request(s) left {self.origin} (assets must be vendored, never a CDN):\n{listed}"
            )


# ----- page weight -------------------------------------------------------------------------------


def page_weight(page: Page, url: str, wait_until: str = "networkidle") -> tuple[int, list[str]]:
    """Load ``url`` and return (bytes of response bodies as transferred, the URLs that answered).

    Bodies are counted as they came over the wire (compressed if the server compressed them),
    headers are not. ``networkidle`` (the default) also counts what scripts fetch right after load,
    e.g. an ``hx-trigger="load"`` request. Use a fresh page: the browser cache would hide repeats.
    """
    responses: list[Response] = []

    def record(response: Response) -> None:  # a function: Playwright tags handlers with an attribute
        responses.append(response)

    page.on("response", record)
    try:
        page.goto(url, wait_until=wait_until)  # type: ignore[arg-type]
    finally:
        page.remove_listener("response", record)
    total = 0
    for response in responses:
        response.finished()  # the body must be complete before its size is known
        total += max(response.request.sizes()["responseBodySize"], 0)
    return total, [r.url for r in responses]


# ----- screenshots -------------------------------------------------------------------------------

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def save_screenshots(page: Page, folder: Path, name: str) -> list[Path]:
    """Full-page PNGs at phone and desktop widths: ``folder/<name>-390.png`` and ``folder/<name>-1280.png``.

    The viewport is restored afterwards, so a journey can carry on.
    """
    if not SAFE_NAME.fullmatch(name):
        raise ValueError(f"screenshot name {name!r}: use letters, digits, '-', '_' and '.' only")
    folder.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    paths = []
    try:
        for width, height in ((PHONE_WIDTH, PHONE_HEIGHT), (DESKTOP_WIDTH, DESKTOP_HEIGHT)):
            page.set_viewport_size({"width": width, "height": height})
            path = folder / f"{name}-{width}.png"
            page.screenshot(path=path, full_page=True, animations="disabled")
            paths.append(path)
    finally:
        if before is not None:
            page.set_viewport_size(before)
    return paths


def sign_in(page: Page, staff: Any) -> None:
    """Sign ``staff`` (a tests.staff.conftest.Staff) in through the login page, as a person would."""
    page.goto("/staff/login")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(staff.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hello, "))


def fits(page: Page) -> None:
    """No sideways scrolling at the page's width."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
