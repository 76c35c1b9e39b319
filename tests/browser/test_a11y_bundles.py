"""The bundle pages pass axe in German and in English, with one <h1> and the right <html lang>: the empty
form, the form after a mistake, the form after a conflict, the request's page and its cancel error —
and the whole flow works without JavaScript."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from buchungen import bundles
from buchungen.models import BookingRequest
from ressourcen.selectors import local_zone
from tests.factories import BookingFactory, ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)

DAY = timezone.localdate() + timedelta(days=14)


def local(hour: int) -> str:
    return f"{DAY.isoformat()}T{hour:02d}:00"


def berlin(hour: int) -> datetime:
    return datetime.combine(DAY, time(hour), tzinfo=local_zone())


@pytest.fixture
def world(org_a, org_b, member_a, manager_b):
    room = ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen")
    projector = ResourceFactory(
        organisation=org_b,
        kind="equipment",
        name="Beamer VHS",
        slug="beamer-vhs",
        capacity=None,
        quantity=2,
        requires_approval=True,
    )
    return {"org": org_a, "member": member_a, "room": room, "projector": projector}


def _submit(page: Page, form: str = "#bundle-form") -> None:
    with page.expect_navigation():
        page.locator(form).locator("button[type=submit]").click()


def _fill_row(page: Page, index: int, resource, start: str, end: str) -> None:
    page.locator(f"#id_items-{index}-resource").select_option(str(resource.pk))
    page.locator(f"#id_items-{index}-start").fill(start)
    page.locator(f"#id_items-{index}-end").fill(end)


def test_empty_form_is_accessible(world, locale, language, open_browser, axe_check, assert_page_basics):
    _context, page = open_browser(locale, world["member"])
    response = page.goto(reverse("buchungen:bundle_create"))
    assert response.status == 200
    assert_page_basics(page, language)
    axe_check(page)


def test_form_with_row_errors_is_accessible(
    world, locale, language, open_browser, axe_check, assert_page_basics
):
    _context, page = open_browser(locale, world["member"])
    page.goto(reverse("buchungen:bundle_create"))
    _fill_row(page, 0, world["room"], local(18), local(20))
    page.locator("#id_items-1-resource").select_option(str(world["projector"].pk))  # no times
    _submit(page)

    expect(page.locator("main [role=alert]").first).to_be_visible()
    expect(page.locator("#id_items-1-start")).to_have_attribute("aria-invalid", "true")
    # The summary links to the field.
    expect(page.locator("#error-summary a[href='#id_items-1-start']")).to_have_count(1)
    assert_page_basics(page, language)
    axe_check(page)
    assert not BookingRequest.objects.exists()


def test_form_after_a_conflict_is_accessible(
    world, locale, language, open_browser, axe_check, assert_page_basics
):
    BookingFactory(resource=world["room"], start=berlin(17), end=berlin(19))
    _context, page = open_browser(locale, world["member"])
    page.goto(reverse("buchungen:bundle_create"))
    _fill_row(page, 0, world["projector"], local(18), local(20))
    _fill_row(page, 1, world["room"], local(18), local(20))
    _submit(page)

    expect(page.locator("#row-2 .errorlist")).to_contain_text("17:00")
    expect(page.locator("#error-summary a[href='#row-2']")).to_have_count(1)
    assert_page_basics(page, language)
    axe_check(page)
    assert not BookingRequest.objects.exists()


@pytest.fixture
def concert(world):
    return bundles.booking_request_bundle(
        actor=world["member"],
        organisation=world["org"],
        purpose="Konzert",
        items=[
            {"resource": world["room"], "start": berlin(18), "end": berlin(22)},
            {"resource": world["projector"], "start": berlin(18), "end": berlin(22)},
        ],
    )


def test_request_page_and_its_cancel_error_are_accessible(
    world, concert, locale, language, open_browser, axe_check, assert_page_basics
):
    _context, page = open_browser(locale, world["member"])
    response = page.goto(reverse("buchungen:bundle_detail", kwargs={"pk": concert.pk}))
    assert response.status == 200
    assert_page_basics(page, language)
    axe_check(page)

    _submit(page, "form[action$='/stornieren/']")  # without ticking the confirmation
    expect(page.locator("#id_confirm")).to_have_attribute("aria-invalid", "true")
    assert_page_basics(page, language)
    axe_check(page)


def test_the_whole_flow_works_without_javascript(world, open_browser, live_server):
    _context, page = open_browser("de-DE", world["member"], java_script_enabled=False)
    page.goto(
        reverse("buchungen:bundle_create") + f"?resource={world['room'].pk}&start={local(18)}&end={local(20)}"
    )
    expect(page.locator("#id_items-0-start")).to_have_value(local(18))
    page.locator("a[href*='zeilen=6']").first.click()
    expect(page.locator("#id_items-5-resource")).to_have_count(1)
    _fill_row(page, 0, world["room"], local(18), local(20))
    _fill_row(page, 4, world["projector"], local(18), local(20))
    _submit(page)

    request = BookingRequest.objects.get()
    assert page.url == live_server.url + reverse("buchungen:bundle_detail", kwargs={"pk": request.pk})
    expect(page.locator("#request-state")).to_have_attribute("data-state", "waiting")

    page.locator("#id_confirm").check()
    _submit(page, "form[action$='/stornieren/']")
    expect(page.locator("#request-state")).to_have_attribute("data-state", "cancelled")
