"""Browser tests: Debian's chromium driven by Playwright against Django's live server, checked with axe.

Playwright's own browser download cannot work here, so the session fixture ``browser_type_launch_args``
points it at ``/usr/bin/chromium`` (docs: /work/shared/RECIPES.md). axe-core comes from npm
(``package.json``; ``npm ci`` installs it into ``node_modules/``).

Without chromium or axe a laptop skips these tests; CI fails them, because there they must run.
"""

import functools
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page

from konten.models import User
from tests.conftest import IN_CI

# Playwright's sync API runs an event loop in the test thread; without this the ORM (used by the test to
# arrange data and check outcomes) refuses to run there with SynchronousOnlyOperation.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # Without these chromium keeps calling home to hosts that are closed here and in CI.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Locale of the browser context (sent as Accept-Language) → the language Django must answer in.
LANGUAGES = {"de-DE": "de", "en-US": "en"}
CONTEXT_TIMEOUT_MS = 10_000
# Impacts that fail a test; "minor" and "moderate" findings are reviewed by hand.
AXE_FAILING_IMPACTS = {"serious", "critical"}


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def _require_browser_tools() -> None:
    """Skip when chromium or axe is missing on a laptop; fail loudly in CI, where they must be there."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium fonts-liberation)")
    if not AXE_JS.exists():
        missing.append(f"{AXE_JS} (npm ci)")
    if not missing:
        return
    message = "browser tests need " + " and ".join(missing)
    if IN_CI:
        pytest.fail(message + " — CI must run these tests", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def _browser_tools():
    _require_browser_tools()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, _browser_tools):
    return {
        "headless": True,
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    # Replaces pytest-playwright's own ``base_url`` fixture (an instance method that pytest 9 deprecates,
    # which ``filterwarnings = error`` turns into an error): relative URLs go to the live server.
    return live_server.url


@pytest.fixture(params=list(LANGUAGES), ids=list(LANGUAGES.values()))
def locale(request) -> str:
    """Every page is checked in German and in English."""
    return request.param


@pytest.fixture
def language(locale) -> str:
    return LANGUAGES[locale]


@pytest.fixture
def open_browser(new_context, base_url) -> Callable[..., tuple[BrowserContext, Page]]:
    """Open a fresh browser context in ``locale``, logged in as ``user`` when one is given.

    Logging in copies a session cookie made by Django's test client: the login form itself is tested
    once in test_accessibility, the other tests need not pay for it. A logged-in person's profile
    language wins over the browser's (konten.middleware), so it is set to the browser's language.
    """

    def _open(
        locale: str, user: User | None = None, *, java_script_enabled: bool = True
    ) -> tuple[BrowserContext, Page]:
        context = new_context(locale=locale, java_script_enabled=java_script_enabled)
        # A page that never arrives should fail the test soon, not after Playwright's 30 seconds.
        context.set_default_timeout(CONTEXT_TIMEOUT_MS)
        if user is not None:
            language = LANGUAGES[locale]
            if user.language != language:
                user.language = language
                user.save(update_fields=["language"])
            client = Client()
            client.force_login(user)
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                        "url": base_url,
                        "httpOnly": True,
                        "sameSite": "Lax",
                    }
                ]
            )
        return context, context.new_page()

    return _open


@pytest.fixture
def axe_check() -> Callable[[Page], None]:
    return _axe_check


@pytest.fixture
def assert_page_basics() -> Callable[[Page, str], None]:
    return _assert_page_basics


@functools.cache
def _axe_source() -> str:
    return AXE_JS.read_text()


def _axe_check(page: Page) -> None:
    """Run axe-core on the page as it is now; fail on any serious or critical violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: an inline <script> tag would be blocked by the
        # Content-Security-Policy (script-src 'self'), as it should be.
        page.evaluate(_axe_source())
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    failing = [v for v in results["violations"] if v["impact"] in AXE_FAILING_IMPACTS]
    assert not failing, _describe_violations(page, failing)


def _describe_violations(page: Page, violations: list[dict]) -> str:
    lines = [f"axe found {len(violations)} serious/critical violation(s) on {page.url}:"]
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    target {node['target']}: {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


def _assert_page_basics(page: Page, language: str) -> None:
    """Exactly one <h1>, and <html lang> names the language the page is shown in."""
    assert page.locator("h1").count() == 1, f"{page.url} must have exactly one <h1>"
    assert page.locator("html").get_attribute("lang") == language, page.url
