"""Every page of the foundation passes axe in German and in English, has one <h1> and the right
<html lang>, including the states a person meets after a mistake (form errors).

Pages are driven with selectors that do not depend on the language (ids, names, form actions): the
German translations are still being written, and these tests must keep passing when they land.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from konten import services
from konten.models import Invitation, Membership

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(org_a, manager_a, member_a, coordinator, outsider):
    """The personas, plus a pending invitation into organisation A (and its token)."""
    _invitation, token = services.invitation_create(
        actor=manager_a, organisation=org_a, email="neu@example.org"
    )
    return {
        "org": org_a,
        "manager": manager_a,
        "member": member_a,
        "coordinator": coordinator,
        "outsider": outsider,
        "token": token,
        "member_membership": Membership.objects.get(user=member_a, organisation=org_a),
    }


def _submit(page: Page, form: str = "main form") -> None:
    """Submit a form with its submit button, as a person would, and wait for the answer."""
    with page.expect_navigation():
        page.locator(form).locator("button[type=submit]").click()


def _expect_form_error(page: Page, field: str | None = None) -> None:
    expect(page.locator("main [role=alert]").first).to_be_visible()
    if field:
        expect(page.locator(field)).to_have_attribute("aria-invalid", "true")


def invalid_invitation_email(page: Page) -> None:
    page.locator("#id_email").fill("not-an-e-mail")
    _submit(page, "form[action$='#invite']")
    _expect_form_error(page, "#id_email")


def empty_organisation_name(page: Page) -> None:
    page.locator("#id_name").fill("")
    _submit(page)
    _expect_form_error(page, "#id_name")


def empty_submit_with_field_error(field: str) -> Callable[[Page], None]:
    def action(page: Page) -> None:
        _submit(page)
        _expect_form_error(page, field)

    return action


def failed_login(page: Page) -> None:
    page.locator("#id_login").fill("moritz@example.org")
    page.locator("#id_password").fill("not the password")
    _submit(page)
    _expect_form_error(page)


def signup_errors(page: Page) -> None:
    page.locator("#id_email").fill("moritz@example.org")  # already taken
    page.locator("#id_password1").fill("correct horse battery staple")
    page.locator("#id_password2").fill("a different password")
    _submit(page)
    _expect_form_error(page, "#id_email")


@dataclass(frozen=True)
class Case:
    id: str
    path: Callable[[dict], str]
    persona: str | None = None
    action: Callable[[Page], None] | None = None
    status: int = 200


def _org(name: str, **extra) -> Callable[[dict], str]:
    return lambda w: reverse(name, kwargs={"slug": w["org"].slug, **extra})


CASES = [
    Case("home", lambda w: reverse("konten:home")),
    Case("home-logged-in", lambda w: reverse("konten:home"), persona="member"),
    Case("organisation-list", lambda w: reverse("konten:organisation_list")),
    Case("organisation-detail-visitor", _org("konten:organisation_detail")),
    Case("organisation-detail-manager", _org("konten:organisation_detail"), persona="manager"),
    Case("organisation-edit", _org("konten:organisation_edit"), persona="manager"),
    Case(
        "organisation-edit-error",
        _org("konten:organisation_edit"),
        persona="manager",
        action=empty_organisation_name,
    ),
    Case("organisation-members", _org("konten:organisation_members"), persona="manager"),
    Case("organisation-members-member-view", _org("konten:organisation_members"), persona="member"),
    Case(
        "organisation-members-error",
        _org("konten:organisation_members"),
        persona="manager",
        action=invalid_invitation_email,
    ),
    Case("organisation-create", lambda w: reverse("konten:organisation_create"), persona="coordinator"),
    Case(
        "membership-remove",
        lambda w: reverse(
            "konten:membership_remove",
            kwargs={"slug": w["org"].slug, "membership_id": w["member_membership"].pk},
        ),
        persona="manager",
    ),
    Case(
        "invitation-accept-logged-out",
        lambda w: reverse("konten:invitation_accept", kwargs={"token": w["token"]}),
    ),
    Case(
        "invitation-accept-logged-in",
        lambda w: reverse("konten:invitation_accept", kwargs={"token": w["token"]}),
        persona="outsider",
    ),
    Case(
        "invitation-invalid",
        lambda w: reverse("konten:invitation_accept", kwargs={"token": "no-such-token"}),
        status=404,
    ),
    Case("dashboard", lambda w: reverse("konten:dashboard"), persona="manager"),
    Case("dashboard-coordinator", lambda w: reverse("konten:dashboard"), persona="coordinator"),
    Case("profile", lambda w: reverse("konten:profile"), persona="member"),
    Case("account-delete", lambda w: reverse("konten:account_delete"), persona="member"),
    Case(
        "account-delete-error",
        lambda w: reverse("konten:account_delete"),
        persona="member",
        action=empty_submit_with_field_error("#id_confirm"),
    ),
    Case("accessibility-statement", lambda w: reverse("konten:accessibility")),
    Case(
        "accessibility-statement-error",
        lambda w: reverse("konten:accessibility"),
        action=empty_submit_with_field_error("#id_message"),
    ),
    Case("easy-language", lambda w: reverse("konten:easy_language")),
    Case("imprint", lambda w: reverse("konten:imprint")),
    Case("privacy", lambda w: reverse("konten:privacy")),
    Case("login", lambda w: reverse("account_login")),
    Case("login-failed", lambda w: reverse("account_login"), action=failed_login),
    Case("signup", lambda w: reverse("account_signup")),
    Case("signup-errors", lambda w: reverse("account_signup"), action=signup_errors),
    Case("password-reset", lambda w: reverse("account_reset_password")),
    Case("email-addresses", lambda w: reverse("account_email"), persona="member"),
    Case("password-change", lambda w: reverse("account_change_password"), persona="member"),
    Case("confirm-email-sent", lambda w: reverse("account_email_verification_sent")),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_page_is_accessible(case, world, locale, language, open_browser, axe_check, assert_page_basics):
    user = world[case.persona] if case.persona else None
    _context, page = open_browser(locale, user)

    response = page.goto(case.path(world))

    assert response is not None
    assert response.status == case.status, f"{page.url}: {response.status}"
    if case.action:
        case.action(page)
    assert_page_basics(page, language)
    axe_check(page)


def test_skip_link_moves_keyboard_focus_to_main_content(world, open_browser):
    _context, page = open_browser("de-DE")
    page.goto(reverse("konten:home"))

    page.keyboard.press("Tab")
    skip_link = page.locator("a.skip-link")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")

    expect(page.locator("#main")).to_be_focused()
    assert page.url.endswith("#main")
    # The next Tab continues inside the main content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.getElementById('main').contains(document.activeElement)")


def test_login_and_invitation_work_without_javascript(
    world, locale, language, open_browser, mailoutbox, live_server, password
):
    """The login form and the invitation form are plain HTML forms: no script is needed."""
    manager, org = world["manager"], world["org"]
    manager.language = language
    manager.save(update_fields=["language"])
    _context, page = open_browser(locale, java_script_enabled=False)
    page.goto(reverse("account_login"))

    page.locator("#id_login").fill(manager.email)
    page.locator("#id_password").fill(password)
    _submit(page)
    assert page.url == live_server.url + reverse("konten:dashboard")

    page.goto(reverse("konten:organisation_members", kwargs={"slug": org.slug}))
    mailoutbox.clear()
    page.locator("#id_email").fill("gast@example.org")
    page.locator("#id_role").select_option("manager")
    _submit(page, "form[action$='#invite']")

    assert page.url.startswith(
        live_server.url + reverse("konten:organisation_members", kwargs={"slug": org.slug})
    )
    expect(page.locator(".messages")).to_contain_text("gast@example.org")
    invitation = Invitation.objects.pending().get(organisation=org, email="gast@example.org")
    assert invitation.role == Membership.Role.MANAGER
    assert [m.to for m in mailoutbox] == [["gast@example.org"]]
