"""allauth's pages and e-mails address people formally ("Sie"), like the rest of the German UI.

allauth's bundled German catalogue says "du"; locale-allauth/de overrides those messages (docs/i18n.md).
"""

import html
import re
from pathlib import Path

import allauth
import pytest
from babel.messages.pofile import read_po
from django.core import mail
from django.urls import reverse
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = ROOT / "locale-allauth" / "de" / "LC_MESSAGES" / "django.po"
OURS = ROOT / "locale" / "de" / "LC_MESSAGES" / "django.po"
ALLAUTH_DE = Path(allauth.__file__).parent / "locale" / "de" / "LC_MESSAGES" / "django.po"
INFORMAL = re.compile(r"\b(du|dich|dir|dein\w*|euch|euer\w*)\b", re.IGNORECASE)
GERMAN = {"accept-language": "de"}
NEW_PASSWORD = "ein sicheres Passwort 42"


def catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle, locale="de")


def key(message) -> tuple[str | None, str]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return message.context, msgid


def strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def overrides():
    return [message for message in catalog(OVERRIDES) if message.id]


def main_text(response) -> str:
    """The visible text of <main>: header, navigation and footer are our own, tested elsewhere."""
    page = response.content.decode()
    main = re.search(r"<main\b.*?</main>", page, re.DOTALL)
    assert main, "page has no <main>"
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main.group(0))))


def test_overrides_are_complete_and_match_allauths_msgids():
    upstream = {key(message): message for message in catalog(ALLAUTH_DE) if message.id}
    entries = overrides()
    assert len(entries) > 30
    untranslated = [m.id for m in entries if not all(strings(m)) or m.fuzzy]
    assert untranslated == []
    # A typo or a msgid allauth dropped in an upgrade would silently override nothing.
    unknown = [m.id for m in entries if key(m) not in upstream]
    assert unknown == [], "not (or no longer) in allauth's catalogue: " + "; ".join(map(str, unknown))
    other_plural = [m.id for m in entries if m.id != upstream[key(m)].id]  # msgid_plural must match too
    assert other_plural == []
    problems = [(m.id, problem) for m, errors in catalog(OVERRIDES).check() for problem in errors]
    assert problems == []  # e.g. a %(placeholder)s lost in translation


def test_overrides_address_people_formally():
    informal = [s for m in overrides() for s in strings(m) if INFORMAL.search(s)]
    assert informal == []


def test_allauths_remaining_informal_account_messages_are_all_overridden():
    """Catches new "du" strings after an allauth upgrade (for the parts of allauth we install)."""
    overridden = {key(m) for m in overrides()}
    unused_apps = ("mfa/", "socialaccount/", "usersessions/", "headless/", "idp/")
    missing = []
    for message in catalog(ALLAUTH_DE):
        locations = [path.removeprefix("templates/") for path, _line in message.locations]
        if not message.id or all(path.startswith(unused_apps) for path in locations):
            continue
        if any(INFORMAL.search(s) for s in strings(message)) and key(message) not in overridden:
            missing.append(message.id)
    assert missing == []


def test_django_uses_the_overrides():
    """LOCALE_PATHS puts locale-allauth above allauth's own catalogue (and below ours)."""
    ours = {key(m) for m in catalog(OURS) if m.id}
    with translation.override("de"):
        wrong = [
            (m.id, translation.gettext(m.id))
            for m in overrides()
            if key(m) not in ours and translation.gettext(m.id) != m.string
        ]
    assert wrong == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "german", "english"),
    [
        (
            "account_login",
            ["Sie haben noch kein Konto?", "Passwort vergessen?", "Angemeldet bleiben"],
            ["If you have not created an account yet", "Forgot your password?", "Remember Me"],
        ),
        (
            "account_signup",
            ["Sie haben bereits ein Konto?", "Passwort (Wiederholung)"],
            ["Already have an account?", "Password (again)", "Sign Up"],
        ),
        (
            "account_reset_password",
            ["Geben Sie unten Ihre E-Mail-Adresse ein", "Bitte wenden Sie sich an uns"],
            ["Forgotten your password?", "Reset My Password", "Please contact us"],
        ),
    ],
)
def test_account_pages_say_sie_in_german(client, url_name, german, english):
    text = main_text(client.get(reverse(url_name), headers=GERMAN))
    assert INFORMAL.findall(text) == []
    for phrase in german:
        assert phrase in text
    for phrase in english:
        assert phrase not in text


@pytest.mark.django_db
def test_login_error_says_sie(client, member_a):
    response = client.post(
        reverse("account_login"), {"login": member_a.email, "password": "falsch"}, headers=GERMAN
    )
    text = main_text(response)
    assert "Die E-Mail-Adresse und/oder das Passwort sind leider falsch." in text
    assert INFORMAL.findall(text) == []


@pytest.mark.django_db
def test_signup_confirmation_email_says_sie(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "neu@example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        headers=GERMAN,
        follow=True,
    )
    assert response.status_code == 200
    assert "Wir haben Ihnen eine E-Mail zur Bestätigung geschickt." in main_text(response)
    assert INFORMAL.findall(main_text(response)) == []
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "[Ressourcennetz] Bitte bestätigen Sie Ihre E-Mail-Adresse"
    assert INFORMAL.findall(message.body) == []
    assert "Vielen Dank, dass Sie" in message.body
    for english in ["Hello from", "Thank you for using", "To confirm this is correct"]:
        assert english not in message.body


@pytest.mark.django_db
def test_password_reset_email_says_sie(client, member_a):
    client.post(reverse("account_reset_password"), {"email": member_a.email}, headers=GERMAN)
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "Sie erhalten diese E-Mail, weil Sie oder jemand anderes" in body
    assert INFORMAL.findall(body) == []
