"""POST/DELETE /api/v1/auth/token/: exchanging e-mail and password for a token, and revoking it."""

from rest_framework.authtoken.models import Token

from tests.factories import PASSWORD, UserFactory

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"
CREDENTIALS_ERROR = {"non_field_errors": ["Unable to log in with provided credentials."]}


def test_correct_credentials_give_the_persons_token(api, member_a):
    response = api.post(TOKEN_URL, {"email": member_a.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=member_a).key}


def test_email_address_is_not_case_sensitive(api, member_a):
    response = api.post(TOKEN_URL, {"email": member_a.email.upper(), "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=member_a).key


def test_asking_twice_gives_the_same_token(api, member_a):
    credentials = {"email": member_a.email, "password": PASSWORD}

    first = api.post(TOKEN_URL, credentials, format="json").json()["token"]
    second = api.post(TOKEN_URL, credentials, format="json").json()["token"]

    assert first == second
    assert Token.objects.filter(user=member_a).count() == 1


def test_wrong_password_and_unknown_email_get_the_same_answer(api, member_a):
    wrong_password = api.post(
        TOKEN_URL, {"email": member_a.email, "password": "not the password"}, format="json"
    )
    unknown_email = api.post(TOKEN_URL, {"email": "nobody@example.org", "password": PASSWORD}, format="json")

    assert wrong_password.status_code == unknown_email.status_code == 400
    assert wrong_password.json() == unknown_email.json() == CREDENTIALS_ERROR
    assert not Token.objects.exists()


def test_deactivated_account_gets_the_same_answer_as_wrong_credentials(api, db):
    user = UserFactory(is_active=False)

    response = api.post(TOKEN_URL, {"email": user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert response.json() == CREDENTIALS_ERROR
    assert not Token.objects.exists()


def test_unconfirmed_email_address_gets_no_token(api, db):
    # The pages refuse to log in before the address is confirmed; the API must not be a way around.
    user = UserFactory(verified=False)

    response = api.post(TOKEN_URL, {"email": user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Please confirm your e-mail address first."]}
    assert not Token.objects.exists()


def test_missing_fields_are_named(api):
    response = api.post(TOKEN_URL, {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "email": ["This field is required."],
        "password": ["This field is required."],
    }


def test_malformed_email_is_a_field_error(api, member_a):
    response = api.post(TOKEN_URL, {"email": "anna", "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["email"]


def test_body_that_is_not_json_is_rejected(api):
    response = api.post(TOKEN_URL, "{email: ", content_type="application/json")

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_token_requests_are_throttled_per_address(api, member_a):
    wrong = {"email": member_a.email, "password": "guess"}
    for _attempt in range(10):
        assert api.post(TOKEN_URL, wrong, format="json").status_code == 400

    throttled = api.post(TOKEN_URL, {"email": member_a.email, "password": PASSWORD}, format="json")
    other_address = api.post(
        TOKEN_URL,
        {"email": member_a.email, "password": PASSWORD},
        format="json",
        REMOTE_ADDR="192.0.2.7",
    )

    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert other_address.status_code == 200


def test_logged_in_browser_session_is_throttled_too(api, member_a):
    api.force_login(member_a)
    wrong = {"email": "someone@example.org", "password": "guess"}
    for _attempt in range(10):
        api.post(TOKEN_URL, wrong, format="json")

    assert api.post(TOKEN_URL, wrong, format="json").status_code == 429


def test_token_in_authorization_header_identifies_the_caller(api, member_a):
    token = api.post(TOKEN_URL, {"email": member_a.email, "password": PASSWORD}, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    response = api.get(ME_URL)

    assert response.status_code == 200
    assert response.json()["email"] == member_a.email


def test_unknown_token_is_401_with_a_challenge(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    response = api.get(ME_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_token_of_a_deactivated_account_stops_working(api_as, member_a):
    client = api_as(member_a)
    member_a.is_active = False
    member_a.save(update_fields=["is_active"])

    assert client.get(ME_URL).status_code == 401


def test_revoking_deletes_the_token_and_it_stops_working(api_as, member_a):
    client = api_as(member_a)

    response = client.delete(TOKEN_URL)

    assert response.status_code == 204
    assert not Token.objects.filter(user=member_a).exists()
    assert client.get(ME_URL).status_code == 401


def test_revoking_only_touches_the_callers_token(api_as, member_a, member_b):
    api_as(member_b)

    api_as(member_a).delete(TOKEN_URL)

    assert Token.objects.filter(user=member_b).exists()


def test_after_revoking_a_new_login_gives_a_new_token(api, api_as, member_a):
    old = api_as(member_a)
    old_key = Token.objects.get(user=member_a).key
    old.delete(TOKEN_URL)

    response = api.post(TOKEN_URL, {"email": member_a.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json()["token"] != old_key


def test_revoking_needs_a_login(api, db):
    response = api.delete(TOKEN_URL)

    assert response.status_code == 401
