"""The notification centre passes axe (no serious or critical violation) in German and English, with one
<h1> and the right <html lang>: empty, with unread and read notifications (and the unread filter), and
after marking one read with the keyboard (the status message). The navigation's count is in the page."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from buchungen.models import Notification
from tests.buchungen.test_notification_centre import make_notification
from tests.factories import BookingFactory, ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)

LIST = reverse("buchungen:notifications")


@pytest.fixture
def filled(org_a, org_b, member_b):
    """member_b: two unread, one read notification, and a waitlist-free booking to point at."""
    room = ResourceFactory(organisation=org_a, name="Großer Saal", slug="grosser-saal")
    booking = BookingFactory(resource=room, organisation=org_b, booked_by=member_b)
    return {
        "read": make_notification(member_b, "confirmed", booking=booking, ago=90, read=True),
        "reminder": make_notification(member_b, "reminder", booking=booking, ago=30),
        "cancelled": make_notification(member_b, "cancelled", booking=booking, ago=2),
    }


def _open(open_browser, locale, user, path) -> Page:
    _context, page = open_browser(locale, user)
    page.goto(path)
    return page


def test_empty_centre(open_browser, locale, language, member_b, axe_check, assert_page_basics):
    page = _open(open_browser, locale, member_b, LIST)
    assert page.locator("main table").count() == 0
    assert_page_basics(page, language)
    axe_check(page)


def test_centre_with_unread_and_read(
    open_browser, locale, language, member_b, filled, axe_check, assert_page_basics
):
    page = _open(open_browser, locale, member_b, LIST)
    assert page.locator("main tbody tr").count() == 3
    expect(page.locator(f"nav.main-nav a[href='{LIST}']")).to_contain_text("(2")
    assert_page_basics(page, language)
    axe_check(page)


def test_unread_filter(open_browser, locale, language, member_b, filled, axe_check, assert_page_basics):
    page = _open(open_browser, locale, member_b, f"{LIST}?ungelesen=1")
    assert page.locator("main tbody tr").count() == 2
    assert_page_basics(page, language)
    axe_check(page)


def test_mark_read_with_the_keyboard(open_browser, locale, language, member_b, filled, axe_check):
    page = _open(open_browser, locale, member_b, LIST)
    action = reverse("buchungen:notification_read", args=[filled["cancelled"].pk])
    page.locator(f"form[action='{action}'] button").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert Notification.objects.get(pk=filled["cancelled"].pk).read_at is not None
    expect(page.locator("main [role=status]")).to_be_visible()
    expect(page.locator(f"nav.main-nav a[href='{LIST}']")).to_contain_text("(1")
    axe_check(page)


def test_mark_all_read_then_the_count_is_gone(open_browser, locale, member_b, filled, axe_check):
    page = _open(open_browser, locale, member_b, LIST)
    action = reverse("buchungen:notification_read_all")
    with page.expect_navigation():
        page.locator(f"form[action='{action}'] button").click()

    assert not Notification.objects.filter(recipient=member_b, read_at__isnull=True).exists()
    expect(page.locator(f"nav.main-nav a[href='{LIST}']")).not_to_contain_text("(")
    axe_check(page)
