"""End to end in the browser: a member of one organisation books a room of another that needs approval,
a manager of the owning organisation approves it in the inbox, and the borrower sees it confirmed.

Driven by keyboard-independent selectors (ids, names, values) and run in German and English; axe checks
the pages on the way. A second test does the same without JavaScript: nothing on the path needs it.
"""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from buchungen import services
from buchungen.models import Booking, BookingTransition
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _next_weekday(weekday: int, weeks_ahead: int = 2):
    day = timezone.localdate() + timedelta(weeks=weeks_ahead)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def room(org_a):
    return ResourceFactory(
        organisation=org_a, name="Saal Hafen", slug="saal-hafen", requires_approval=True, capacity=80
    )


def _submit(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).first.click()


def _book_and_approve(
    open_browser, axe_check, assert_page_basics, locale, language, room, member_b, manager_a, *, js
):
    day = _next_weekday(2)  # a Wednesday two weeks ahead
    start = f"{day.isoformat()}T18:00"
    end = f"{day.isoformat()}T20:30"

    # The borrower (a member of organisation B) books from the resource's page.
    _context, page = open_browser(locale, member_b, java_script_enabled=js)
    page.goto(f"/ressourcen/{room.slug}/")
    _submit(page, f"a[href='/ressourcen/{room.slug}/buchen/']")
    assert_page_basics(page, language)
    axe_check(page)
    page.fill("input[name=start]", start)
    page.fill("input[name=end]", end)
    page.fill("textarea[name=purpose]", "Lesung mit Gebärdensprache")
    page.fill("input[name=participants]", "40")
    _submit(page, "main form[method=post] button[type=submit]")

    booking = Booking.objects.get()
    assert booking.status == "requested"
    assert booking.organisation == member_b.memberships.get().organisation
    berlin = timezone.get_default_timezone()
    assert timezone.localtime(booking.start, berlin) == datetime.combine(day, time(18), tzinfo=berlin)
    assert booking.end - booking.start == timedelta(hours=2, minutes=30)
    assert page.url.endswith(f"/buchungen/{booking.pk}/")
    assert_page_basics(page, language)
    axe_check(page)

    # The owning organisation's manager decides in the inbox.
    _context, manager_page = open_browser(locale, manager_a, java_script_enabled=js)
    manager_page.goto("/buchungen/anfragen/")
    assert_page_basics(manager_page, language)
    axe_check(manager_page)
    manager_page.locator(f"input[name=bookings][value='{booking.pk}']").check()
    _submit(manager_page, "button[name=decision][value=approve]")
    axe_check(manager_page)

    booking.refresh_from_db()
    assert booking.status == "confirmed"
    step = BookingTransition.objects.filter(booking=booking).latest("at", "pk")
    assert (step.from_status, step.to_status, step.actor) == ("requested", "confirmed", manager_a)

    # The borrower sees it confirmed on the booking's page and in "My bookings".
    page.goto(f"/buchungen/{booking.pk}/")
    expect(page.locator("main")).to_contain_text("Bestätigt" if language == "de" else "Confirmed")
    page.goto("/buchungen/")
    expect(page.locator(f"main a[href='/buchungen/{booking.pk}/']").first).to_be_visible()
    axe_check(page)


def test_book_a_room_and_approve_it_as_the_owning_manager(
    open_browser, axe_check, assert_page_basics, locale, language, room, member_b, manager_a
):
    _book_and_approve(
        open_browser, axe_check, assert_page_basics, locale, language, room, member_b, manager_a, js=True
    )


def test_the_same_without_javascript(open_browser, assert_page_basics, room, member_b, manager_a):
    # axe itself is JavaScript: the pages were checked by the test above.
    _book_and_approve(
        open_browser,
        lambda page: None,
        assert_page_basics,
        "de-DE",
        "de",
        room,
        member_b,
        manager_a,
        js=False,
    )


def test_the_borrowers_manager_has_nothing_to_approve(open_browser, room, member_b, manager_b):
    """The inbox is per owner: the borrowing side's manager sees the booking but cannot decide on it."""
    day = _next_weekday(2)
    berlin = timezone.get_default_timezone()
    booking = services.booking_request(
        actor=member_b,
        resource=room,
        start=datetime.combine(day, time(10), tzinfo=berlin),
        end=datetime.combine(day, time(12), tzinfo=berlin),
        organisation=member_b.memberships.get().organisation,
    )
    _context, page = open_browser("en-US", manager_b)
    page.goto("/buchungen/anfragen/")
    assert page.locator(f"input[name=bookings][value='{booking.pk}']").count() == 0
    response = page.goto(f"/buchungen/{booking.pk}/entscheiden/")
    assert response.status == 403
