"""The calendar feed pages pass axe in German and in English: the settings page without a feed, right
after creating one (the address shown once), with a feed, and the revoke confirmation. The whole flow
also works without JavaScript and with the keyboard alone."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from buchungen import feeds
from buchungen.models import CalendarFeed

pytestmark = pytest.mark.django_db(transaction=True)

SETTINGS = "/buchungen/kalender-abo/"
ISSUE_BUTTON = "main form[action$='#address'] button[name=action][value=issue]"


def _click(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()


def _check(page: Page, language: str, axe_check, assert_page_basics) -> None:
    assert_page_basics(page, language)
    axe_check(page)


def test_settings_without_feed(member_a, locale, language, open_browser, axe_check, assert_page_basics):
    _context, page = open_browser(locale, member_a)
    response = page.goto(SETTINGS)
    assert response is not None and response.status == 200
    _check(page, language, axe_check, assert_page_basics)


def test_settings_right_after_issuing(
    member_a, locale, language, open_browser, axe_check, assert_page_basics, live_server
):
    _context, page = open_browser(locale, member_a)
    page.goto(SETTINGS)
    _click(page, ISSUE_BUTTON)
    address = page.locator("#feed-url")
    expect(address).to_have_attribute("readonly", "")
    url = address.input_value()
    assert url.startswith("http") and url.endswith(".ics")
    assert CalendarFeed.objects.filter(user=member_a).exists()
    _check(page, language, axe_check, assert_page_basics)


def test_settings_with_feed_and_revoke_confirmation(
    member_a, locale, language, open_browser, axe_check, assert_page_basics
):
    feeds.feed_issue(actor=member_a)
    _context, page = open_browser(locale, member_a)
    page.goto(SETTINGS)
    assert page.locator("#feed-url").count() == 0
    _check(page, language, axe_check, assert_page_basics)

    page.goto(reverse("buchungen:feed_revoke"))
    _check(page, language, axe_check, assert_page_basics)
    _click(page, "main form button[type=submit]")
    assert page.url.endswith(SETTINGS)
    assert not CalendarFeed.objects.exists()
    # The success message after revoking.
    expect(page.locator(".messages")).to_be_visible()
    _check(page, language, axe_check, assert_page_basics)


def test_the_flow_works_without_javascript_and_by_keyboard(member_a, open_browser):
    _context, page = open_browser("de-DE", member_a, java_script_enabled=False)
    page.goto(SETTINGS)
    page.locator(ISSUE_BUTTON).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    old = page.locator("#feed-url").input_value()
    # Keyboard: the address field can be reached and selected for copying.
    page.locator("#feed-url").focus()
    expect(page.locator("#feed-url")).to_be_focused()
    # Replace it, then revoke.
    page.locator(ISSUE_BUTTON).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#feed-url").input_value() != old
    page.goto(reverse("buchungen:feed_revoke"))
    page.locator("main form button[type=submit]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert not CalendarFeed.objects.exists()
