"""Managing members works with the keyboard alone: no mouse, no pointer events."""

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from konten.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)

MAX_TABS = 60


def _tab_to(page: Page, target: Locator) -> int:
    """Press Tab until ``target`` has the focus; return how many presses it took."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
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
