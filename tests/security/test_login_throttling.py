"""Failed logins are throttled on the site's login page and on the admin's, with one shared counter.

The limits are ``ACCOUNT_RATE_LIMITS["login_failed"]`` (config/settings.py): 10 per minute per client
address, 5 per 5 minutes per account. While throttled even the right password is refused, so guessing
cannot go on by slipping the real password in between.
"""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

THROTTLED = "Zu viele gescheiterte Anmeldeversuche"
WRONG = "falsch-geraten"


def site_login(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def admin_login(client, email: str, password: str):
    return client.post(
        reverse("admin:login"), {"username": email, "password": password, "next": reverse("admin:index")}
    )


def errors(response) -> str:
    return str(response.context["form"].non_field_errors())


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_coordinator_logs_in_to_the_admin(client, coordinator, password):
    response = admin_login(client, coordinator.email, password)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_admin_refuses_a_person_without_admin_access(client, member_a, password):
    response = admin_login(client, member_a.email, password)
    assert response.status_code == 200
    assert "Staff-Account" in errors(response)
    assert not logged_in(client)


def test_failed_admin_logins_are_throttled_per_account(client, coordinator, password):
    responses = [admin_login(client, coordinator.email, WRONG) for _ in range(5)]
    assert all(response.status_code == 200 for response in responses)
    assert all(THROTTLED not in errors(response) for response in responses)
    # The sixth attempt within five minutes is refused before the password is even looked at.
    response = admin_login(client, coordinator.email, password)
    assert response.status_code == 200
    assert THROTTLED in errors(response)
    assert not logged_in(client)
    # The address is spelled differently: still the same account.
    assert THROTTLED in errors(admin_login(client, coordinator.email.upper(), password))


def test_admin_and_site_login_count_failures_together(client, coordinator, password):
    for _ in range(3):
        site_login(client, coordinator.email, WRONG)
    for _ in range(2):
        admin_login(client, coordinator.email, WRONG)
    assert THROTTLED in errors(site_login(client, coordinator.email, password))
    assert THROTTLED in errors(admin_login(client, coordinator.email, password))
    assert not logged_in(client)


@pytest.mark.parametrize("login", [site_login, admin_login], ids=["site", "admin"])
def test_the_eleventh_failed_login_from_one_address_within_a_minute_is_refused(
    client, coordinator, password, login
):
    # Ten different (unknown) accounts: only the per-address limit can stop this.
    responses = [login(client, f"versuch{number}@example.org", WRONG) for number in range(10)]
    assert all(THROTTLED not in errors(response) for response in responses)
    response = login(client, coordinator.email, password)
    assert response.status_code == 200
    assert THROTTLED in errors(response)
    assert not logged_in(client)


def test_another_address_is_not_throttled_by_someone_elses_failures(client, coordinator, password):
    for number in range(10):
        site_login(client, f"versuch{number}@example.org", WRONG)
    response = client.post(
        reverse("admin:login"),
        {"username": coordinator.email, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR="192.0.2.7",
    )
    assert response.status_code == 302


def test_a_successful_login_does_not_use_up_the_allowance(client, coordinator, password):
    for _ in range(8):
        assert admin_login(client, coordinator.email, password).status_code == 302
        client.logout()
    for _ in range(4):
        assert THROTTLED not in errors(admin_login(client, coordinator.email, WRONG))
    assert admin_login(client, coordinator.email, password).status_code == 302
