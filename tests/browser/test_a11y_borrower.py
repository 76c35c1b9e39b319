"""The borrower's pages pass axe in German and English, with one <h1> and the right <html lang> — the
booking form empty, with errors and in the conflict state, the calendar's week and month, "My bookings",
a booking's page and the cancel page. Pages are driven by ids and names, not by their words.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from buchungen import services
from ressourcen.views.catalogue import week_param
from tests.factories import BookingFactory, OpeningHoursFactory, ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def world(org_a, org_b, member_a, manager_b):
    day = timezone.localdate() + timedelta(days=3)
    hall = ResourceFactory(organisation=org_b, name="Großer Saal", slug="grosser-saal", capacity=40)
    for weekday in range(7):
        OpeningHoursFactory(resource=hall, weekday=weekday, start=time(9), end=time(20))
    ResourceFactory(organisation=org_b, name="Kleiner Saal", slug="kleiner-saal", capacity=40)
    booking = BookingFactory(
        resource=hall,
        organisation=org_a,
        booked_by=member_a,
        start=datetime.combine(day, time(10), tzinfo=BERLIN),
        purpose="Lesung",
    )
    return {"hall": hall, "day": day, "booking": booking, "member": member_a, "manager": manager_b}


def _submit(page: Page) -> None:
    with page.expect_navigation():
        page.locator("main form[method=post]:not(.waitlist-form) button[type=submit]").click()


def _fill(page: Page, start: str, end: str) -> None:
    page.locator("#id_start").fill(start)
    page.locator("#id_end").fill(end)


def form_errors(page: Page) -> None:
    _fill(page, "2020-01-01T12:00", "2020-01-01T10:00")
    _submit(page)
    expect(page.locator("main [role=alert]").first).to_be_visible()
    expect(page.locator("#id_end")).to_have_attribute("aria-invalid", "true")


def make_conflict(world: dict) -> Callable[[Page], None]:
    def action(page: Page) -> None:
        day = world["day"]
        _fill(page, f"{day:%Y-%m-%d}T11:00", f"{day:%Y-%m-%d}T12:00")
        _submit(page)
        expect(page.locator("#conflict-title")).to_be_visible()
        expect(page.locator("ul.alternatives a").first).to_be_visible()

    return action


def cancel_error(world: dict) -> Callable[[Page], None]:
    def action(page: Page) -> None:
        # Cancelled meanwhile (in another tab): confirming again shows an error.
        services.booking_cancel(actor=world["member"], booking=world["booking"])
        _submit(page)
        expect(page.locator("main [role=alert]").first).to_be_visible()

    return action


@dataclass(frozen=True)
class Case:
    id: str
    path: Callable[[dict], str]
    persona: str | None = "member"
    action: Callable[[dict], Callable[[Page], None] | None] = lambda w: None
    status: int = 200


def _form(w: dict) -> str:
    return reverse("buchungen:booking_create", args=[w["hall"].slug])


def _calendar(w: dict) -> str:
    return reverse("buchungen:resource_calendar", args=[w["hall"].slug])


CASES = [
    Case("booking-form", _form),
    Case("booking-form-errors", _form, action=lambda w: form_errors),
    Case("booking-form-conflict", _form, action=make_conflict),
    Case("calendar-week-anonymous", lambda w: _calendar(w) + f"?woche={week_param(w['day'])}", persona=None),
    Case("calendar-week-member", lambda w: _calendar(w) + f"?woche={week_param(w['day'])}"),
    Case("calendar-month", lambda w: _calendar(w) + f"?ansicht=monat&monat={w['day']:%Y-%m}", persona=None),
    Case("calendar-bad-week", lambda w: _calendar(w) + "?woche=2026-W99", persona=None, status=400),
    Case("my-bookings", lambda w: reverse("buchungen:my_bookings")),
    Case("my-bookings-past", lambda w: reverse("buchungen:my_bookings") + "?zeit=vergangen"),
    Case("booking-detail", lambda w: reverse("buchungen:booking_detail", args=[w["booking"].pk])),
    Case(
        "booking-detail-owner",
        lambda w: reverse("buchungen:booking_detail", args=[w["booking"].pk]),
        persona="manager",
    ),
    Case("booking-cancel", lambda w: reverse("buchungen:booking_cancel", args=[w["booking"].pk])),
    Case(
        "booking-cancel-error",
        lambda w: reverse("buchungen:booking_cancel", args=[w["booking"].pk]),
        action=cancel_error,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_borrower_page_is_accessible(
    case, world, locale, language, open_browser, axe_check, assert_page_basics
):
    user = world[case.persona] if case.persona else None
    _context, page = open_browser(locale, user)
    response = page.goto(case.path(world))
    assert response is not None
    assert response.status == case.status, f"{page.url}: {response.status}"
    action = case.action(world)
    if action:
        action(page)
    assert_page_basics(page, language)
    axe_check(page)


def test_booking_with_the_keyboard_alone(world, open_browser):
    """From the calendar's free period to a confirmed booking without a mouse."""
    _context, page = open_browser("en-US", world["member"])
    page.goto(_calendar(world) + f"?woche={week_param(world['day'])}")
    link = page.locator("li.slot-free a").last
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#id_start")).not_to_have_value("")
    page.locator("#id_purpose").focus()
    page.keyboard.type("Probe")
    page.keyboard.press("Tab")  # participants
    page.keyboard.press("Tab")  # submit
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/buchungen/" in page.url
    expect(page.locator(".message-success")).to_be_visible()
