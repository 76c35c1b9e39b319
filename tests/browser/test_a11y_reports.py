"""The reports page passes axe (no serious or critical violation) in German and English, with one <h1>
and the right <html lang>: an empty period, a period with data (charts, tables, summaries) and the
form's error state. The charts are images with a name; the period form works with the keyboard."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import BookingFactory, ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = ZoneInfo("Europe/Berlin")
URL = reverse("buchungen:reports")


@pytest.fixture
def with_data(org_a, org_b, member_b):
    hall = ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen")
    ResourceFactory(organisation=org_a, name="Lager", slug="lager")
    for day in (3, 10, 17):
        BookingFactory(
            resource=hall,
            organisation=org_b,
            booked_by=member_b,
            start=datetime(2026, 3, day, 18, tzinfo=BERLIN),
            participants=20,
        )
    return hall


def test_empty_period(open_browser, locale, language, coordinator, axe_check, assert_page_basics):
    _context, page = open_browser(locale, coordinator)
    page.goto(f"{URL}?from=2025-01-01&to=2025-01-31")
    expect(page.locator("#report-key-figures")).to_be_visible()
    assert_page_basics(page, language)
    axe_check(page)


def test_period_with_data(
    open_browser, locale, language, coordinator, with_data, axe_check, assert_page_basics
):
    _context, page = open_browser(locale, coordinator)
    page.goto(f"{URL}?from=2026-03-01&to=2026-03-31")
    assert page.locator("main figure svg[role=img]").count() == 6
    expect(page.get_by_role("img", name="Busiest times" if language == "en" else None).first).to_be_visible()
    assert page.locator("main table").count() >= 8  # key figures, 3 × occupancy, flows, idle, busiest, trend
    assert_page_basics(page, language)
    axe_check(page)


def test_print_hides_navigation_form_and_links(open_browser, coordinator, with_data):
    """The print stylesheet: what a funder gets on paper has the figures, not the site's chrome."""
    _context, page = open_browser("en-US", coordinator)
    page.goto(f"{URL}?from=2026-03-01&to=2026-03-31")
    expect(page.locator("header.site-header")).to_be_visible()
    expect(page.locator("form.report-period")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("header.site-header")).to_be_hidden()
    expect(page.locator("footer.site-footer")).to_be_hidden()
    expect(page.locator("form.report-period")).to_be_hidden()
    expect(page.locator(".report-exports").first).to_be_hidden()
    expect(page.locator("#report-key-figures")).to_be_visible()
    expect(page.locator("#chart-busiest")).to_be_visible()


def test_form_error_and_keyboard(open_browser, locale, language, manager_a, with_data, axe_check):
    _context, page = open_browser(locale, manager_a)
    page.goto(f"{URL}?from=2026-03-31&to=2026-03-01")
    expect(page.locator("main [role=alert] a[href='#id_to']")).to_be_visible()
    axe_check(page)
    page.locator("#id_preset").select_option("last_month")
    page.locator("main form button[type=submit]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("main [role=alert]")).to_have_count(0)
    expect(page.locator("#report-key-figures")).to_be_visible()
    axe_check(page)
