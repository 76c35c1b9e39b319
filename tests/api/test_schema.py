"""The OpenAPI schema and the offline documentation pages."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

# The paths of API.md implemented so far, with the methods each offers.
IMPLEMENTED = {
    "/api/v1/auth/token/": {"post", "delete"},
    "/api/v1/me/": {"get"},
    "/api/v1/organisations/": {"get", "post"},
    "/api/v1/organisations/{id}/": {"get", "patch"},
    "/api/v1/organisations/{organisation_id}/closures/": {"get", "post"},
    "/api/v1/organisations/{organisation_id}/closures/{id}/": {"delete"},
    "/api/v1/features/": {"get"},
    "/api/v1/features/{slug}/": {"get"},
    "/api/v1/resources/": {"get", "post"},
    "/api/v1/resources/{id}/": {"get", "patch", "delete"},
    "/api/v1/resources/{id}/opening-hours/": {"get", "put"},
    "/api/v1/resources/{id}/closures/": {"get", "post"},
    "/api/v1/resources/{id}/closures/{closure_id}/": {"delete"},
    "/api/v1/resources/{id}/availability/": {"get"},
    "/api/v1/bookings/": {"get", "post"},
    "/api/v1/bookings/{id}/": {"get"},
    "/api/v1/bookings/{id}/approve/": {"post"},
    "/api/v1/bookings/{id}/decline/": {"post"},
    "/api/v1/bookings/{id}/cancel/": {"post"},
    "/api/v1/bookings/{id}/check-out/": {"post"},
    "/api/v1/bookings/{id}/return/": {"post"},
    "/api/v1/bookings/{id}/no-show/": {"post"},
    "/api/v1/booking-requests/": {"get", "post"},
    "/api/v1/booking-requests/{id}/": {"get"},
    "/api/v1/booking-requests/{id}/cancel/": {"post"},
    "/api/v1/booking-series/": {"post"},
    "/api/v1/booking-series/{id}/": {"get"},
    "/api/v1/booking-series/{id}/cancel-rest/": {"post"},
    "/api/v1/waitlist/": {"get", "post"},
    "/api/v1/waitlist/{id}/": {"get"},
    "/api/v1/waitlist/{id}/accept/": {"post"},
    "/api/v1/waitlist/{id}/withdraw/": {"post"},
    "/api/v1/notifications/": {"get"},
    "/api/v1/notifications/{id}/read/": {"post"},
    "/api/v1/notifications/read-all/": {"post"},
    "/api/v1/reports/utilisation/": {"get"},
    "/api/v1/reports/lending-flows/": {"get"},
}
# Operations anyone may call; every other one documents 401 and 403 (or, for the token, 401).
PUBLIC = {
    ("/api/v1/auth/token/", "post"),
    ("/api/v1/organisations/", "get"),
    ("/api/v1/organisations/{id}/", "get"),
    ("/api/v1/organisations/{organisation_id}/closures/", "get"),
    ("/api/v1/features/", "get"),
    ("/api/v1/features/{slug}/", "get"),
    ("/api/v1/resources/", "get"),
    ("/api/v1/resources/{id}/", "get"),
    ("/api/v1/resources/{id}/opening-hours/", "get"),
    ("/api/v1/resources/{id}/closures/", "get"),
    ("/api/v1/resources/{id}/availability/", "get"),
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema():
    # Generated once per module: it needs no database and takes a moment.
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def test_schema_is_valid_openapi(schema):
    validate_schema(schema)


def test_schema_generates_without_warnings(tmp_path):
    # spectacular's warnings point at endpoints it had to guess about; a clean run keeps them honest.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))


def test_every_implemented_path_is_described(schema):
    for path, methods in IMPLEMENTED.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path


def test_operations_document_their_errors(schema):
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        where = f"{method.upper()} {path}"
        if "requestBody" in operation:
            assert "400" in codes, where
        if "{" in path:
            assert "404" in codes, where
        if (path, method) not in PUBLIC:
            assert "401" in codes, where
        if method in {"post", "patch", "put", "delete"} and (path, method) not in PUBLIC:
            assert "403" in codes or path.endswith("/auth/token/"), where


def test_operations_have_a_documented_success_body(schema):
    for path, method, operation in operations(schema):
        successes = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
        assert successes, f"{method.upper()} {path}"
        for code, response in successes.items():
            assert code == "204" or "content" in response, f"{method.upper()} {path} {code}"


def test_public_operations_do_not_require_a_login(schema):
    for path, method, operation in operations(schema):
        if (path, method) in PUBLIC:
            assert {} in operation.get("security", [{}]), f"{method.upper()} {path}"


def test_booking_request_documents_the_conflict(schema):
    responses = schema["paths"]["/api/v1/bookings/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "409"} <= set(responses)
    conflict = responses["409"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][conflict]["properties"]) == {"detail", "conflicts"}


def test_token_authentication_is_described(schema):
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_documentation_pages_work_offline(client, db, url):
    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    # Not a bare "cdn": a random nonce in the page may contain those letters.
    assert not re.search(r"cdn\.|jsdelivr|unpkg|cdnjs", html.lower())
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert assets
    for asset in assets:
        if asset.startswith(f"{url}?script"):
            # Swagger UI's start-up script, a file of the page's own view (no inline script: CSP).
            assert client.get(asset.replace("&amp;", "&")).status_code == 200
            continue
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset
