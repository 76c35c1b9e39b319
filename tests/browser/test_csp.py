"""Key pages under the Content-Security-Policy in a real browser: nothing on them is blocked.

The browser reports every blocked script, style, image or worker as a ``securitypolicyviolation`` event
(collected by an init script, which the DevTools protocol injects past the policy) and a console error.
Our pages, allauth's, the admin's, DRF's browsable API, Swagger UI and ReDoc (config/security.py,
docs/security.md). ReDoc's "API docs by Redocly" logo from its CDN is blocked on purpose: nothing is
loaded from third parties (docs/gdpr.md); ReDoc then leaves the logo out.
"""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.factories import BookingFactory, ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)

LOCALE = "de-DE"
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} (${where})`);
});
"""
EXPECTED = {reverse("api-redoc"): {"img-src https://cdn.redoc.ly/redoc/logo-mini.svg"}}


@pytest.fixture
def room(org_a, member_b):
    room = ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen")
    start = timezone.make_aware(
        datetime.combine(timezone.localdate() - timedelta(days=7), datetime.min.time())
    )
    BookingFactory(resource=room, booked_by=member_b, start=start + timedelta(hours=18))
    return room


def watch(page: Page) -> list[str]:
    """Start collecting violations on every page ``page`` opens; returns the console's CSP errors."""
    page.add_init_script(COLLECT_VIOLATIONS)
    console: list[str] = []
    page.on(
        "console",
        lambda message: console.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return console


def violations(page: Page, console: list[str], path: str) -> set[str]:
    # Give late scripts (Swagger UI, ReDoc render after load) their moment, then read what was blocked.
    page.wait_for_load_state("networkidle")
    found = {entry.split(" (")[0] for entry in page.evaluate("window.__cspViolations")}
    unexpected = found - EXPECTED.get(path, set())
    console_errors = [
        text for text in console if not any(ok.split()[-1] in text for ok in EXPECTED.get(path, ()))
    ]
    return unexpected | set(console_errors)


def visit(page: Page, console: list[str], path: str) -> set[str]:
    console.clear()
    response = page.goto(path)
    assert response.status == 200, path
    return violations(page, console, path)


def test_pages_of_a_borrower_have_nothing_blocked(open_browser, room, member_b):
    _context, page = open_browser(LOCALE, member_b)
    console = watch(page)
    for path in (
        reverse("konten:home"),
        reverse("ressourcen:resource_list"),
        room.get_absolute_url(),
        reverse("buchungen:booking_create", kwargs={"slug": room.slug}),
        reverse("buchungen:resource_calendar", kwargs={"slug": room.slug}),
        reverse("buchungen:my_bookings"),
        reverse("konten:profile"),
    ):
        assert visit(page, console, path) == set(), path


def test_coordinator_pages_admin_and_api_docs_have_nothing_blocked(open_browser, room, coordinator, password):
    _context, page = open_browser(LOCALE)
    console = watch(page)
    # The admin's login page, and logging in through it (the throttled form, konten/admin_login.py).
    assert visit(page, console, reverse("admin:login")) == set()
    page.fill("input[name=username]", coordinator.email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("input[type=submit]").click()
    expect(page.locator("#content h1")).to_be_visible()
    for path in (
        reverse("admin:index"),
        reverse("admin:ressourcen_resource_changelist"),
        reverse("admin:ressourcen_resource_change", args=[room.pk]),
        reverse("buchungen:reports"),
        "/api/v1/resources/",
        reverse("api-docs"),
        reverse("api-redoc"),
    ):
        assert visit(page, console, path) == set(), path
    # Swagger UI and ReDoc did render (their start scripts were allowed to run).
    page.goto(reverse("api-docs"))
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Ressourcennetz")
    page.goto(reverse("api-redoc"))
    expect(page.locator("#redoc-container h1").first).to_contain_text("Ressourcennetz")


def test_a_blocked_inline_script_would_be_noticed(open_browser, live_server):
    # The check itself: inline code put into a page is blocked and reported.
    _context, page = open_browser(LOCALE)
    console = watch(page)
    page.goto(reverse("konten:home"))
    page.evaluate(
        """() => {
        const script = document.createElement("script");
        script.textContent = "window.__ran = true";
        document.body.append(script);
        }"""
    )
    assert page.evaluate("window.__ran === undefined")
    found = violations(page, console, reverse("konten:home"))
    assert any(entry.startswith("script-src-elem inline") for entry in found), found
