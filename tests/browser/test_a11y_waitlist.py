"""The waitlist's pages pass axe (no serious or critical violation) in German and English, with one <h1>
and the right <html lang>: the list empty, the list with an offer (and a waiting entry), and the error
page a person meets when joining fails. Also: accepting an offer works with the keyboard alone.

The join page is a POST target of the booking form; the test posts to it from the waitlist page with a
form built on the spot (same origin, the page's CSRF token), as the booking form would.
"""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from buchungen import services, waitlist
from buchungen.models import WaitlistEntry
from tests.buchungen.conftest import BERLIN
from tests.factories import MembershipFactory, ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def slot(hour: int, *, days: int = 10) -> datetime:
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


@pytest.fixture
def world(org_a, org_b, member_a, member_b):
    room = ResourceFactory(organisation=org_a, name="Großer Saal", slug="grosser-saal")
    blocker = services.booking_request(
        actor=member_a, resource=room, start=slot(10), end=slot(12), organisation=org_a
    )
    return {"room": room, "blocker": blocker, "member_a": member_a, "member_b": member_b, "org_b": org_b}


@pytest.fixture
def with_offer(world):
    """member_b has an offer for the morning (and waits for the evening)."""
    room, member_b, org_b = world["room"], world["member_b"], world["org_b"]
    services.booking_request(
        actor=world["member_a"], resource=room, start=slot(18), end=slot(21), organisation=room.organisation
    )
    morning = waitlist.waitlist_join(
        actor=member_b, resource=room, start=slot(10), end=slot(12), organisation=org_b
    )
    waitlist.waitlist_join(actor=member_b, resource=room, start=slot(18), end=slot(21), organisation=org_b)
    services.booking_cancel(actor=world["member_a"], booking=world["blocker"])
    morning.refresh_from_db()
    assert morning.status == "offered"
    return morning


def _open(open_browser, locale, user, path) -> Page:
    _context, page = open_browser(locale, user)
    page.goto(path)
    return page


def test_empty_waitlist(open_browser, locale, language, world, axe_check, assert_page_basics):
    page = _open(open_browser, locale, world["member_b"], reverse("buchungen:waitlist"))
    assert page.locator("main table").count() == 0
    assert_page_basics(page, language)
    axe_check(page)


def test_waitlist_with_an_offer(
    open_browser, locale, language, with_offer, world, axe_check, assert_page_basics
):
    page = _open(open_browser, locale, world["member_b"], reverse("buchungen:waitlist"))
    accept = reverse("buchungen:waitlist_accept", args=[with_offer.pk])
    expect(page.locator(f"form[action='{accept}'] button")).to_be_visible()
    assert page.locator("main tbody tr").count() == 2
    assert_page_basics(page, language)
    axe_check(page)


def test_accept_an_offer_with_the_keyboard(open_browser, locale, language, with_offer, world, axe_check):
    page = _open(open_browser, locale, world["member_b"], reverse("buchungen:waitlist"))
    accept = reverse("buchungen:waitlist_accept", args=[with_offer.pk])
    page.locator(f"form[action='{accept}'] button").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    with_offer.refresh_from_db()
    assert with_offer.status == "booked"
    expect(page.locator("main [role=status]")).to_be_visible()
    axe_check(page)


def _post_join(page: Page, fields: dict[str, str]) -> None:
    """Post ``fields`` to the join page as the booking form would (with the page's CSRF token)."""
    with page.expect_navigation():
        page.evaluate(
            """([action, fields]) => {
                const form = document.createElement('form');
                form.method = 'post';
                form.action = action;
                const token = document.querySelector('input[name=csrfmiddlewaretoken]').value;
                for (const [name, value] of Object.entries({...fields, csrfmiddlewaretoken: token})) {
                    const input = document.createElement('input');
                    input.type = 'hidden';
                    input.name = name;
                    input.value = value;
                    form.appendChild(input);
                }
                document.body.appendChild(form);
                form.submit();
            }""",
            [reverse("buchungen:waitlist_join"), fields],
        )


def _fields(world, start: datetime, end: datetime) -> dict[str, str]:
    return {
        "resource": str(world["room"].pk),
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": end.strftime("%Y-%m-%dT%H:%M"),
        "quantity": "1",
        "organisation": str(world["org_b"].pk),
        "purpose": "Chorprobe",
        "participants": "",
    }


def test_join_error_page(open_browser, locale, language, world, axe_check, assert_page_basics):
    page = _open(open_browser, locale, world["member_b"], reverse("buchungen:waitlist"))
    _post_join(page, _fields(world, slot(14), slot(16)))  # free: book it directly

    expect(page.locator("main [role=alert]")).to_be_visible()
    expect(page.locator("main a[href='/ressourcen/grosser-saal/buchen/']")).to_be_visible()
    assert WaitlistEntry.objects.count() == 0
    assert_page_basics(page, language)
    axe_check(page)


def test_join_error_page_for_a_stranger(open_browser, locale, language, world, axe_check, assert_page_basics):
    stranger = MembershipFactory().user  # a member of some other organisation, booking "for" B
    page = _open(open_browser, locale, stranger, reverse("buchungen:waitlist"))
    _post_join(page, _fields(world, slot(10), slot(12)))

    expect(page.locator("main [role=alert]")).to_be_visible()
    assert WaitlistEntry.objects.count() == 0
    assert_page_basics(page, language)
    axe_check(page)


def test_join_then_see_the_entry(open_browser, locale, world, axe_check):
    page = _open(open_browser, locale, world["member_b"], reverse("buchungen:waitlist"))
    _post_join(page, _fields(world, slot(10), slot(12)))

    expect(page.locator("main [role=status]")).to_be_visible()
    assert page.locator("main tbody tr").count() == 1
    assert WaitlistEntry.objects.get().status == "waiting"
    axe_check(page)
