"""The series pages pass axe in German and English: the empty form, the preview with a conflict, the
error state after a failed "book all", a form with field errors, and the series' page. The preview and
booking work without JavaScript (plain form posts)."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from buchungen.models import BookingSeries
from buchungen.series import booking_series_create
from tests.buchungen.conftest import BERLIN
from tests.factories import BookingFactory, ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def future(days: int, hour: int) -> datetime:
    day = timezone.localdate(timezone.now(), BERLIN) + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


@pytest.fixture
def world(org_a, member_a, member_b):
    room = ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen")
    # The second weekly date is taken by someone else.
    BookingFactory(resource=room, start=future(14, 19), booked_by=member_b)
    return {"room": room, "member": member_a, "org": org_a}


def _fill(page: Page, *, count: str = "4") -> None:
    start = future(7, 18)
    page.locator("#id_start").fill(f"{start:%Y-%m-%dT%H:%M}")
    page.locator("#id_end").fill(f"{start + timedelta(hours=2):%Y-%m-%dT%H:%M}")
    page.locator("#id_count").fill(count)


def _press(page: Page, action: str) -> None:
    with page.expect_navigation():
        page.locator(f"main form button[value={action}]").click()


def _open_form(world, locale, open_browser, **kwargs):
    _context, page = open_browser(locale, world["member"], **kwargs)
    response = page.goto(reverse("buchungen:series_create", kwargs={"slug": world["room"].slug}))
    assert response is not None and response.status == 200
    return page


def test_series_form(world, locale, language, open_browser, axe_check, assert_page_basics):
    page = _open_form(world, locale, open_browser)

    assert_page_basics(page, language)
    axe_check(page)


def test_series_preview_with_a_conflict(world, locale, language, open_browser, axe_check, assert_page_basics):
    page = _open_form(world, locale, open_browser)
    _fill(page)
    _press(page, "preview")

    expect(page.locator("table.series-dates tbody tr")).to_have_count(4)
    expect(page.locator("tr.series-conflict")).to_have_count(1)
    assert not BookingSeries.objects.exists()
    assert_page_basics(page, language)
    axe_check(page)


def test_preview_and_booking_work_without_javascript(world, locale, open_browser):
    page = _open_form(world, locale, open_browser, java_script_enabled=False)
    _fill(page)
    _press(page, "preview")

    expect(page.locator("tr.series-conflict")).to_have_count(1)
    expect(page.locator("main button[value=book_free]")).to_be_visible()
    _press(page, "book_free")

    series = BookingSeries.objects.get()
    assert page.url.endswith(reverse("buchungen:series_detail", kwargs={"pk": series.pk}))
    assert series.bookings.count() == 3


def test_series_error_after_book_all(world, locale, language, open_browser, axe_check, assert_page_basics):
    page = _open_form(world, locale, open_browser)
    _fill(page)
    _press(page, "preview")
    _press(page, "book_all")

    expect(page.locator("main [role=alert]").first).to_be_visible()
    expect(page.locator("tr.series-conflict")).to_have_count(1)
    assert not BookingSeries.objects.exists()
    assert_page_basics(page, language)
    axe_check(page)


def test_series_form_field_errors(world, locale, language, open_browser, axe_check, assert_page_basics):
    page = _open_form(world, locale, open_browser)
    _fill(page, count="500")
    page.locator("#id_frequency_4").check()  # advanced, without a rule
    _press(page, "preview")

    expect(page.locator("main [role=alert]").first).to_be_visible()
    expect(page.locator("#id_rrule")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_count")).to_have_attribute("aria-invalid", "true")
    assert_page_basics(page, language)
    axe_check(page)


def test_series_detail(world, locale, language, open_browser, axe_check, assert_page_basics):
    start = future(7, 18)
    series, _ = booking_series_create(
        actor=world["member"],
        resource=world["room"],
        start=start,
        end=start + timedelta(hours=2),
        rrule="FREQ=WEEKLY;COUNT=4",
        organisation=world["org"],
        skip_conflicts=True,
    )
    _context, page = open_browser(locale, world["member"])
    page.goto(reverse("buchungen:series_detail", kwargs={"pk": series.pk}))

    expect(page.locator("table.series-dates tbody tr")).to_have_count(3)
    assert_page_basics(page, language)
    axe_check(page)

    with page.expect_navigation():
        page.locator("main table form button[type=submit]").nth(1).click()
    expect(page.locator(".messages")).to_be_visible()
    assert list(series.bookings.order_by("start").values_list("status", flat=True)) == [
        "confirmed",
        "cancelled",
        "cancelled",
    ]
    axe_check(page)
