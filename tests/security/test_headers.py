"""Security headers on every kind of page: CSP, Referrer-Policy, nosniff, frames, COOP; HSTS in production."""

import re

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from config.security import (
    ContentSecurityPolicyMiddleware,
    build_policy,
    csp_extend,
    csp_override,
    style_nonce,
)

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


@pytest.mark.parametrize(
    "path",
    ["/", "/ressourcen/", "/accounts/login/", "/admin/login/", "/api/v1/", "/api/docs/", "/healthz/"],
)
def test_every_page_sends_the_security_headers(client, path):
    response = client.get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self';")
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    # Plain HTTP outside production: no HSTS (a browser would remember it for localhost).
    assert "Strict-Transport-Security" not in response


def test_the_policy_allows_no_inline_code_and_no_eval(client):
    policy = directives(client.get("/")["Content-Security-Policy"])
    assert client.get("/")["Content-Security-Policy"] == POLICY
    for name in ("default-src", "script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[name]
        assert "'unsafe-eval'" not in policy[name]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_error_pages_carry_the_policy_too(client):
    response = client.get("/gibt-es-nicht/")
    assert response.status_code == 404
    assert response["Content-Security-Policy"] == POLICY


def test_report_only_mode_sends_the_policy_without_enforcing_it(client, settings):
    settings.SECURE_CSP = {}
    settings.SECURE_CSP_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    response = client.get("/")
    assert "Content-Security-Policy" not in response
    assert response["Content-Security-Policy-Report-Only"] == POLICY


def test_hsts_in_production_for_a_year_with_subdomains_and_preload(client, settings):
    # The production values (config/settings.py; their loading is tested in test_deploy_check.py).
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    # Never over plain HTTP, where an attacker in the middle could strip or forge it anyway.
    assert "Strict-Transport-Security" not in client.get("/")


def test_swagger_page_loads_its_start_script_as_a_file(client):
    page = client.get(reverse("api-docs")).content.decode()
    assert "<style" not in page
    for script in re.findall(r"<script[^>]*>", page):
        assert "src=" in script, script
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', page)[1].replace("&amp;", "&")
    script = client.get(script_url)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_redoc_page_gets_a_fresh_style_nonce_and_no_inline_script(client):
    first = client.get(reverse("api-redoc"))
    second = client.get(reverse("api-redoc"))
    nonces = []
    for response in (first, second):
        page = response.content.decode()
        policy = directives(response["Content-Security-Policy"])
        nonce = re.search(r'data-style-nonce="([^"]+)"', page)[1]
        assert f"'nonce-{nonce}'" in policy["style-src"]
        assert policy["script-src"] == ["'self'"]
        assert policy["worker-src"] == ["'self'", "blob:"]
        assert "<style" not in page
        for script in re.findall(r"<script[^>]*>", page):
            assert "src=" in script, script
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    # The nonce belongs to the ReDoc page only.
    assert "nonce-" not in client.get("/")["Content-Security-Policy"]


def test_browsable_api_page_has_no_inline_style(client, coordinator):
    client.force_login(coordinator)
    page = client.get("/api/v1/organisations/", HTTP_ACCEPT="text/html").content.decode()
    assert "Organisation List" in page
    assert "<style" not in page
    assert " style=" not in page


# --- the middleware and its helpers --------------------------------------------------------------------


def test_build_policy_joins_directives_and_skips_empty_ones():
    assert build_policy({"default-src": ["'self'"], "img-src": ["'self'", "data:"], "x": None}) == (
        "default-src 'self'; img-src 'self' data:"
    )
    assert build_policy({"upgrade-insecure-requests": []}) == "upgrade-insecure-requests"


def test_view_override_replaces_the_policy_and_an_empty_one_sends_none(rf: RequestFactory):
    middleware = ContentSecurityPolicyMiddleware(
        csp_override({"default-src": ["'none'"]})(lambda request: HttpResponse("x"))
    )
    assert middleware(rf.get("/"))["Content-Security-Policy"] == "default-src 'none'"
    without = ContentSecurityPolicyMiddleware(csp_override({})(lambda request: HttpResponse("x")))
    assert "Content-Security-Policy" not in without(rf.get("/"))


def test_a_header_set_by_the_view_is_kept(rf: RequestFactory):
    def view(request):
        response = HttpResponse("x")
        response["Content-Security-Policy"] = "sandbox"
        return response

    assert ContentSecurityPolicyMiddleware(view)(rf.get("/"))["Content-Security-Policy"] == "sandbox"


def test_extending_one_response_leaves_the_settings_alone(rf: RequestFactory, settings):
    def view(request):
        response = HttpResponse("x")
        response.nonce = style_nonce(response)
        csp_extend(response, "worker-src", ["blob:"])
        return response

    response = ContentSecurityPolicyMiddleware(view)(rf.get("/"))
    policy = directives(response["Content-Security-Policy"])
    assert policy["style-src"] == ["'self'", f"'nonce-{response.nonce}'"]
    # A directive the policy lacks starts from default-src, as the browser's fallback would.
    assert policy["worker-src"] == ["'self'", "blob:"]
    assert settings.SECURE_CSP["style-src"] == ["'self'"]
    assert "worker-src" not in settings.SECURE_CSP


def test_debug_error_pages_are_left_readable(rf: RequestFactory, settings):
    settings.DEBUG = True
    not_found = ContentSecurityPolicyMiddleware(lambda request: HttpResponse(status=404))
    assert "Content-Security-Policy" not in not_found(rf.get("/"))
    page = ContentSecurityPolicyMiddleware(lambda request: HttpResponse("x"))
    assert page(rf.get("/"))["Content-Security-Policy"] == POLICY
