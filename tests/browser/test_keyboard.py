"""Managing members and moving through a resource's calendar work with the keyboard alone: no mouse, no
pointer events."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation
from playwright.sync_api import Locator, Page, expect

from konten.models import Membership
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)

MAX_TABS = 60


def _tab_to(page: Page, target: Locator, key: str = "Tab") -> int:
    """Press Tab (or ``key``: "Shift+Tab") until ``target`` has the focus; return how many presses it took."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press(key)
        if target.evaluate("element => element === document.activeElement"):
            return presses
    raise AssertionError(f"{target} cannot be reached with Tab ({MAX_TABS} presses)")


@pytest.mark.parametrize("activate", ["Enter", "Space"])
def test_manager_changes_a_role_with_the_keyboard_only(org_a, manager_a, member_a, open_browser, activate):
    membership = Membership.objects.get(user=member_a, organisation=org_a)
    _context, page = open_browser("en-US", manager_a)
    page.goto(reverse("konten:organisation_members", kwargs={"slug": org_a.slug}))

    role = page.get_by_label("Role of Moritz Mitglied")
    _tab_to(page, role)
    expect(role).to_be_focused()
    expect(role).to_have_value("member")
    page.keyboard.press("ArrowDown")
    expect(role).to_have_value("manager")

    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Change role of Moritz Mitglied")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press(activate)

    expect(page.get_by_role("status")).to_contain_text("Moritz Mitglied is now Manager.")
    membership.refresh_from_db()
    assert membership.role == Membership.Role.MANAGER
    expect(page.get_by_label("Role of Moritz Mitglied")).to_have_value("manager")


def _week_heading(monday: date) -> re.Pattern:
    return re.compile(rf"^Week {monday.isocalendar()[1]}: ")


def _month_heading(first: date) -> str:
    with translation.override("en"):
        return formats.date_format(first, "F Y")


def _follow(page: Page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_calendar_weeks_and_months_with_the_keyboard_only(org_b, member_a, open_browser):
    """Every link that changes the period lands on the period's heading (``#zeitraum``): it has the
    focus and the new period as its text (what a screen reader reads), the page's title names the
    period too, and the next Tab reaches the previous/next links right below — not the top of the page."""
    ResourceFactory(organisation=org_b, name="Großer Saal", slug="grosser-saal")
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    _context, page = open_browser("en-US", member_a)
    page.goto(reverse("buchungen:resource_calendar", args=["grosser-saal"]))
    period = page.locator("h2#zeitraum")
    expect(period).to_have_text(_week_heading(monday))

    _tab_to(page, page.get_by_role("link", name="Next week"))
    _follow(page)
    expect(period).to_be_focused()
    expect(period).to_have_text(_week_heading(monday + timedelta(weeks=1)))
    expect(page).to_have_title(
        re.compile(rf"^Week {(monday + timedelta(weeks=1)).isocalendar()[1]}: .* – Calendar")
    )
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Previous week")).to_be_focused()
    _follow(page)
    expect(period).to_be_focused()
    expect(period).to_have_text(_week_heading(monday))

    # Week → month: the view switch sits above the heading.
    _tab_to(page, page.get_by_role("link", name="Month", exact=True), key="Shift+Tab")
    _follow(page)
    first = today.replace(day=1)
    following = (first + timedelta(days=31)).replace(day=1)
    expect(period).to_be_focused()
    expect(period).to_have_text(_month_heading(first))
    expect(page).to_have_title(re.compile(rf"^{_month_heading(first)} – Calendar"))
    _tab_to(page, page.get_by_role("link", name="Next month"))
    _follow(page)
    expect(period).to_be_focused()
    expect(period).to_have_text(_month_heading(following))

    # A day of the month opens its week.
    fifteenth = following.replace(day=15)
    _tab_to(page, page.locator("table.calendar-month a", has_text=re.compile(r"^15\b")))
    _follow(page)
    expect(period).to_be_focused()
    expect(period).to_have_text(_week_heading(fifteenth - timedelta(days=fifteenth.weekday())))

    # Month → week keeps the period: the week of the month's first day.
    _tab_to(page, page.get_by_role("link", name="Month", exact=True), key="Shift+Tab")
    _follow(page)
    expect(period).to_have_text(_month_heading(following))
    _tab_to(page, page.get_by_role("link", name="Week", exact=True), key="Shift+Tab")
    _follow(page)
    expect(period).to_be_focused()
    expect(period).to_have_text(_week_heading(following - timedelta(days=following.weekday())))
