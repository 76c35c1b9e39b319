"""The owners' pages pass axe in German and in English, with one <h1> and the right <html lang>: the
inbox (empty, with rows, after a mistake), one decision, the handover screen, hand over / take back /
no-show forms and their error states. Selectors do not depend on the language."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from buchungen.models import Booking
from tests.factories import BookingFactory, ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(org_a, org_b, manager_a, member_b, coordinator):
    now = timezone.now().replace(microsecond=0)
    room = ResourceFactory(organisation=org_a, name="Saal Hafen", requires_approval=True)
    beamers = ResourceFactory(organisation=org_a, kind="equipment", name="Beamer", capacity=None, quantity=3)

    def booking(resource, start, status, **more):
        return BookingFactory(
            resource=resource,
            organisation=org_b,
            booked_by=member_b,
            start=start,
            status=status,
            purpose="Sprachkurs",
            participants=12,
            **more,
        )

    return {
        "manager": manager_a,
        "coordinator": coordinator,
        "pending": booking(room, now + timedelta(days=3), "requested"),
        "started": booking(beamers, now - timedelta(hours=1), "confirmed", quantity=2),
        "out": booking(beamers, now - timedelta(days=2), "checked_out", handed_over_to="Bernd"),
    }


def _submit(page: Page, button: str = "main form[method=post] button[type=submit]") -> None:
    with page.expect_navigation():
        page.locator(button).first.click()


def _expect_error(page: Page, field: str | None = None) -> None:
    expect(page.locator("main [role=alert]").first).to_be_visible()
    if field:
        expect(page.locator(field)).to_have_attribute("aria-invalid", "true")


def decline_without_reason(page: Page) -> None:
    page.locator("input[name=bookings]").first.check()
    _submit(page, "button[value=decline]")
    _expect_error(page, "#id_comment")


def nothing_selected(page: Page) -> None:
    _submit(page, "button[value=approve]")
    _expect_error(page, "input[name=bookings]")


def decide_decline_without_reason(page: Page) -> None:
    _submit(page, "button[value=decline]")
    _expect_error(page, "#id_comment")


def stale(status: str) -> Callable[[Page], None]:
    """Someone else moved the booking on meanwhile: the POST is refused with an error at the top."""

    def action(page: Page) -> None:
        Booking.objects.filter(status__in=["confirmed", "checked_out"]).update(status=status)
        _submit(page)
        _expect_error(page)

    return action


@dataclass(frozen=True)
class Case:
    id: str
    path: Callable[[dict], str]
    persona: str = "manager"
    action: Callable[[Page], None] | None = None
    empty: bool = False


def _url(name: str, booking: str) -> Callable[[dict], str]:
    return lambda w: reverse(name, args=[w[booking].pk])


INBOX = lambda w: reverse("buchungen:inbox")  # noqa: E731

CASES = [
    Case("inbox-empty", INBOX, empty=True),
    Case("inbox-coordinator", INBOX, persona="coordinator"),
    Case("inbox-rows", INBOX),
    Case("inbox-decline-without-reason", INBOX, action=decline_without_reason),
    Case("inbox-nothing-selected", INBOX, action=nothing_selected),
    Case("decide", _url("buchungen:booking_decide", "pending")),
    Case("decide-error", _url("buchungen:booking_decide", "pending"), action=decide_decline_without_reason),
    Case("handover", lambda w: reverse("buchungen:handover")),
    Case("handover-empty", lambda w: reverse("buchungen:handover"), empty=True),
    Case("check-out", _url("buchungen:booking_check_out", "started")),
    Case("check-out-error", _url("buchungen:booking_check_out", "started"), action=stale("cancelled")),
    Case("return", _url("buchungen:booking_return", "out")),
    Case("return-error", _url("buchungen:booking_return", "out"), action=stale("returned")),
    Case("no-show", _url("buchungen:booking_no_show", "started")),
    Case("booking-detail-actions", _url("buchungen:booking_detail", "started")),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_owner_page_is_accessible(case, world, locale, language, open_browser, axe_check, assert_page_basics):
    path = case.path(world)
    if case.empty:
        Booking.objects.all().delete()
    _context, page = open_browser(locale, world[case.persona])

    response = page.goto(path)

    assert response is not None and response.status == 200, f"{page.url}: {response and response.status}"
    if case.action:
        case.action(page)
    assert_page_basics(page, language)
    axe_check(page)
