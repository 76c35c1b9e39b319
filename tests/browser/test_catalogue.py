"""The catalogue in a real browser: axe finds nothing serious on the list and detail pages — with results,
without, after a mistake — in German and English, and a person gets from the search to a resource with
the keyboard alone.

The axe cases drive pages by ids and URLs (language-independent); the keyboard walk uses the English
source strings, which do not change when the German translation lands.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from ressourcen.models import Resource, ResourcePhoto
from tests.factories import MembershipFactory, OpeningHoursFactory, ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)

LIST_URL = reverse("ressourcen:resource_list")
MAX_TABS = 80


@pytest.fixture
def world(transactional_db, org_a, org_b, manager_a, coordinator):
    hall = ResourceFactory(
        name="Großer Saal",
        organisation=org_a,
        capacity=60,
        capacity_standing=120,
        building="Haus B",
        address="Hafenstraße 2\n01662 Meißen",
        features=["stufenloser-zugang", "induktionsschleife", "barrierefreies-wc", "beamer", "kueche"],
        requires_approval=True,
        lead_time_hours=24,
        buffer_after_minutes=30,
    )
    OpeningHoursFactory(resource=hall, weekday=1, start=time(17), end=time(22))
    OpeningHoursFactory(resource=hall, weekday=3, start=time(9), end=time(13))
    ResourcePhoto.objects.create(
        resource=hall, image="resources/saal.jpg", alt_text="Der Saal mit Stuhlreihen"
    )
    ResourceFactory(
        name="Beamer Epson",
        organisation=org_b,
        kind=Resource.Kind.EQUIPMENT,
        capacity=None,
        quantity=2,
        condition=Resource.Condition.GOOD,
        pickup_place="Büro",
    )
    holder = MembershipFactory(organisation=org_a, user__name="Hanna Halterin").user
    ResourceFactory(
        name="Moderation",
        organisation=org_a,
        kind=Resource.Kind.SKILL,
        capacity=None,
        holder=holder,
        languages="Deutsch, Englisch",
    )
    inactive = ResourceFactory(name="Alter Keller", organisation=org_a, is_active=False)
    return {"hall": hall, "inactive": inactive, "manager": manager_a, "coordinator": coordinator}


def _submit(page: Page) -> None:
    with page.expect_navigation():
        page.locator("main form[role=search] button[type=submit]").click()


def filter_errors(page: Page) -> None:
    """A negative capacity and a period that ends before it starts, typed into the form."""
    page.locator("#id_capacity_min").fill("-3")
    page.locator("#id_free_date").fill("2027-03-02")
    page.locator("#id_free_from").fill("21:00")
    page.locator("#id_free_until").fill("18:00")
    _submit(page)
    expect(page.locator("main [role=alert]").first).to_be_visible()
    expect(page.locator("#id_capacity_min")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_free_until")).to_have_attribute("aria-invalid", "true")


def features_open(page: Page) -> None:
    """The feature checkboxes, unfolded and two of them ticked."""
    page.locator("details.feature-filter > summary").click()
    page.locator("input[value=stufenloser-zugang]").check()
    page.locator("input[value=induktionsschleife]").check()
    _submit(page)
    expect(page.locator("input[value=induktionsschleife]")).to_be_checked()


@dataclass(frozen=True)
class Case:
    id: str
    path: Callable[[dict], str]
    persona: str | None = None
    action: Callable[[Page], None] | None = None
    status: int = 200


def _detail(key: str, query: str = "") -> Callable[[dict], str]:
    return lambda w: w[key].get_absolute_url() + query


CASES = [
    Case("list-results", lambda w: LIST_URL),
    Case("list-features-chosen", lambda w: LIST_URL, action=features_open),
    Case("list-form-errors", lambda w: LIST_URL, action=filter_errors),
    Case("list-unknown-feature", lambda w: LIST_URL + "?features=gibts-nicht", status=400),
    Case("list-no-results", lambda w: LIST_URL + "?q=Raumschiff"),
    Case("list-paged", lambda w: LIST_URL + "?page=2"),
    Case("detail-visitor", _detail("hall")),
    Case("detail-manager", _detail("hall"), persona="manager"),
    Case("detail-inactive-coordinator", _detail("inactive"), persona="coordinator"),
    Case("detail-other-week", _detail("hall", "?woche=2027-W13")),
    Case("detail-bad-week", _detail("hall", "?woche=gestern"), status=400),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_catalogue_page_is_accessible(
    case, world, locale, language, open_browser, axe_check, assert_page_basics
):
    if case.id == "list-paged":
        ResourceFactory.create_batch(30)
    user = world[case.persona] if case.persona else None
    _context, page = open_browser(locale, user)

    response = page.goto(case.path(world))

    assert response is not None
    assert response.status == case.status, f"{page.url}: {response.status}"
    if case.action:
        case.action(page)
    assert_page_basics(page, language)
    axe_check(page)


def _tab_to(page: Page, target: Locator) -> int:
    """Press Tab until ``target`` has the focus; return how many presses it took."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return presses
    raise AssertionError(f"{target} cannot be reached with Tab ({MAX_TABS} presses)")


def test_search_to_detail_with_the_keyboard_only(world, open_browser):
    _context, page = open_browser("en-US")
    page.goto(LIST_URL)

    search = page.get_by_role("searchbox")
    expect(search).to_have_accessible_name(re.compile(r"^Search"))
    _tab_to(page, search)
    page.keyboard.type("Saal")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_be_attached()
    expect(page.locator("ol.results > li")).to_have_count(1)
    expect(page.get_by_role("searchbox")).to_have_value("Saal")
    first_result = page.get_by_role("link", name="Großer Saal", exact=True)
    _tab_to(page, first_result)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Großer Saal")
    assert page.url.endswith(world["hall"].get_absolute_url())


def test_catalogue_works_without_javascript(world, open_browser):
    """The search is a plain GET form and the week navigation plain links."""
    _context, page = open_browser("de-DE", java_script_enabled=False)
    page.goto(LIST_URL)
    page.locator("#id_kind").select_option("equipment")
    _submit(page)
    expect(page.locator("ol.results > li")).to_have_count(1)
    expect(page.locator("ol.results")).to_contain_text("Beamer Epson")

    page.goto(world["hall"].get_absolute_url())
    caption = page.locator("table.week caption").inner_text()
    with page.expect_navigation():
        page.locator(".week-nav a[rel=next]").click()
    expect(page.locator("table.week caption")).not_to_have_text(caption)
