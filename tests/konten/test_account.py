import json

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from konten.models import Membership, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_signup_sends_confirmation_and_welcome_after_confirming(client, django_capture_on_commit_callbacks):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "neu@example.org",
            "name": "Nina Neu",
            "password1": "ein sicheres Passwort 42",
            "password2": "ein sicheres Passwort 42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="neu@example.org")
    assert user.name == "Nina Neu"
    assert len(mail.outbox) == 1
    confirm_body = mail.outbox[0].body
    key_url = next(word for word in confirm_body.split() if "/accounts/confirm-email/" in word)
    path = key_url.split("testserver", 1)[1]
    assert client.get(path).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    welcome = mail.outbox[-1]
    assert welcome.to == ["neu@example.org"]
    assert "Willkommen" in welcome.subject or "Welcome" in welcome.subject
    user.refresh_from_db()
    assert user.welcome_email_sent_at is not None


def test_duplicate_email_signup_is_refused(client, member_a):
    response = client.post(
        reverse("account_signup"),
        {
            "email": member_a.email.upper(),
            "password1": "ein sicheres Passwort 42",
            "password2": "ein sicheres Passwort 42",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert User.objects.filter(email__iexact=member_a.email).count() == 1


def test_welcome_email_goes_out_once(member_a):
    from konten.tasks import send_welcome_email

    assert send_welcome_email(member_a.pk) is True
    assert send_welcome_email(member_a.pk) is False
    assert len(mail.outbox) == 1


def test_welcome_email_in_the_persons_language():
    from konten.tasks import send_welcome_email

    english = UserFactory(language="en")
    send_welcome_email(english.pk)
    assert "Welcome" in mail.outbox[0].subject


def test_login_with_email_and_password(client, member_a, password):
    response = client.post(reverse("account_login"), {"login": member_a.email, "password": password})
    assert response.status_code == 302
    assert client.get(reverse("konten:dashboard")).status_code == 200


def test_failed_logins_are_throttled(client, member_a):
    url = reverse("account_login")
    responses = [client.post(url, {"login": member_a.email, "password": "falsch"}) for _ in range(6)]
    assert [r.status_code for r in responses] == [200] * 6  # the form, with an error
    first_errors = responses[0].context["form"].non_field_errors()
    assert "Zu viele" not in str(first_errors)
    last_errors = str(responses[-1].context["form"].non_field_errors())
    assert "Zu viele gescheiterte Anmeldeversuche" in last_errors
    # Even the right password is refused while the account is throttled.
    response = client.post(url, {"login": member_a.email, "password": "correct horse battery staple"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_profile_changes_language_and_preferences(client, member_a):
    client.force_login(member_a)
    response = client.post(
        reverse("konten:profile"),
        {"name": "Moritz M.", "language": "en", "notify_by_email": "on"},
    )
    assert response.status_code == 302
    member_a.refresh_from_db()
    assert member_a.language == "en"
    assert member_a.notify_by_email is True
    assert member_a.notify_reminders is False
    assert response.cookies["django_language"].value == "en"


def test_profile_rejects_unknown_language(client, member_a):
    client.force_login(member_a)
    response = client.post(reverse("konten:profile"), {"language": "xx"})
    assert response.status_code == 200
    assert "language" in response.context["form"].errors
    member_a.refresh_from_db()
    assert member_a.language == "de"


def test_data_export_contains_account_and_memberships(client, member_a, org_a):
    client.force_login(member_a)
    response = client.get(reverse("konten:data_export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["email"] == member_a.email
    assert data["memberships"] == [
        {
            "organisation": org_a.name,
            "organisation_slug": org_a.slug,
            "role": "member",
            "since": data["memberships"][0]["since"],
        }
    ]
    assert data["email_addresses"][0]["verified"] is True


def test_data_export_needs_login(client):
    response = client.get(reverse("konten:data_export"))
    assert response.status_code == 302


def test_delete_account_with_password(client, member_a, password):
    client.force_login(member_a)
    response = client.post(reverse("konten:account_delete"), {"confirm": "on", "password": password})
    assert response.status_code == 302
    assert not User.objects.filter(pk=member_a.pk).exists()
    assert not Membership.objects.filter(user_id=member_a.pk).exists()


def test_delete_account_with_wrong_password_keeps_it(client, member_a):
    client.force_login(member_a)
    response = client.post(reverse("konten:account_delete"), {"confirm": "on", "password": "x"})
    assert response.status_code == 400
    assert User.objects.filter(pk=member_a.pk).exists()


def test_last_manager_cannot_delete_account(client, manager_a, password):
    client.force_login(manager_a)
    response = client.post(reverse("konten:account_delete"), {"confirm": "on", "password": password})
    assert response.status_code == 400
    assert "als Letzte*r" in str(response.context["form"].non_field_errors())
    assert User.objects.filter(pk=manager_a.pk).exists()


def test_feedback_reaches_coordinators(client, coordinator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("konten:accessibility"),
            {"name": "Erika", "email": "erika@example.org", "page": "/", "message": "Zu blass"},
        )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert "Zu blass" in mail.outbox[0].body


def test_empty_feedback_is_refused(client, coordinator):
    response = client.post(reverse("konten:accessibility"), {"message": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["message"]
    assert mail.outbox == []


def test_allauth_mails_name_the_platform_not_example_com(client):
    client.post(
        reverse("account_signup"),
        {
            "email": "neu@example.org",
            "password1": "ein sicheres Passwort 42",
            "password2": "ein sicheres Passwort 42",
        },
    )
    body = mail.outbox[0].body
    assert "Ressourcennetz Soziokultur Meißen" in body
    assert "example.com" not in body
