"""The issue's "done when": a manager invites someone new, who signs up through the link, confirms the
address, accepts the invitation and is a member — all in the browser, with labelled controls only.

English, because the controls are found by their visible labels and the German translations are still
being written (test_accessibility covers both languages with language-independent selectors).
"""

import re

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from konten.models import Membership, User

pytestmark = pytest.mark.django_db(transaction=True)

LOCALE = "en-US"


def _link_in_mail(message: mail.EmailMessage, pattern: str) -> str:
    """The path of the first link in ``message`` whose path matches ``pattern``.

    Links are absolute (SITE_URL, or the host of the request that sent them); the test follows their
    path on the live server.
    """
    match = re.search(r"https?://[^/\s]+(" + pattern + r")", message.body)
    assert match, f"no link matching {pattern!r} in:\n{message.body}"
    return match.group(1)


def _mails_to(outbox: list[mail.EmailMessage], address: str) -> list[mail.EmailMessage]:
    return [message for message in outbox if address in message.to]


def _label(text: str) -> re.Pattern[str]:
    """A field's exact label; Django may add its label suffix (":") to it."""
    return re.compile(rf"^{re.escape(text)}:?$")


def _main(page: Page) -> Locator:
    return page.get_by_role("main")


def test_invited_person_signs_up_confirms_and_joins(org_a, manager_a, open_browser, password, mailoutbox):
    # The manager invites neu@example.org on the members page.
    _context, manager_page = open_browser(LOCALE, manager_a)
    manager_page.goto(reverse("konten:organisation_members", kwargs={"slug": org_a.slug}))
    manager_page.get_by_label(_label("E-mail address")).fill("neu@example.org")
    expect(manager_page.get_by_label(_label("Role"))).to_have_value("member")
    manager_page.get_by_role("button", name="Send invitation").click()
    expect(manager_page.get_by_role("status")).to_contain_text(
        "An invitation has been sent to neu@example.org."
    )
    expect(manager_page.get_by_role("table").last).to_contain_text("neu@example.org")

    (invitation_mail,) = _mails_to(mailoutbox, "neu@example.org")
    invitation_path = _link_in_mail(invitation_mail, r"/einladung/[\w-]+/")

    # Someone without an account opens the link in their own browser.
    _context, page = open_browser(LOCALE)
    page.goto(invitation_path)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invitation to {org_a.name}")
    _main(page).get_by_role("link", name="Sign up").click()

    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_label(_label("Email")).fill("neu@example.org")
    page.get_by_label(_label("Name")).fill("Nele Neu")
    page.get_by_label(_label("Password")).fill(password)
    page.get_by_label(_label("Password (again)")).fill(password)
    _main(page).get_by_role("button", name="Sign Up").click()
    page.wait_for_url(f"**{reverse('account_email_verification_sent')}")

    user = User.objects.get(email="neu@example.org")
    assert user.name == "Nele Neu"
    assert user.language == "en"
    assert not user.emailaddress_set.get().verified
    (confirmation_mail,) = [m for m in _mails_to(mailoutbox, "neu@example.org") if m is not invitation_mail]
    confirmation_path = _link_in_mail(confirmation_mail, r"/accounts/confirm-email/[^/\s]+/")

    # Opening the link does not confirm by itself (a mail scanner may follow it): a button does.
    page.goto(confirmation_path)
    assert not user.emailaddress_set.get().verified
    _main(page).get_by_role("button", name="Confirm").click()

    # The adapter brings the person back to the invitation, now logged in.
    page.wait_for_url(f"**{invitation_path}")
    assert user.emailaddress_set.get().verified
    _main(page).get_by_role("button", name="Accept invitation").click()

    page.wait_for_url(f"**{org_a.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_have_text(org_a.name)
    expect(_main(page)).to_contain_text("You are a member here (Member).")
    expect(page.get_by_role("status")).to_contain_text(f"Welcome to {org_a.name}!")
    assert Membership.objects.get(user=user, organisation=org_a).role == Membership.Role.MEMBER

    welcome_mails = [
        m for m in _mails_to(mailoutbox, "neu@example.org") if m not in (invitation_mail, confirmation_mail)
    ]
    assert len(welcome_mails) == 1
    assert "Welcome to the resource network" in welcome_mails[0].subject
    user.refresh_from_db()
    assert user.welcome_email_sent_at is not None
