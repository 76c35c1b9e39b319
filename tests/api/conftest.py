"""Clients for the REST API tests. Messages are asserted in English, so every client asks for it."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def api() -> APIClient:
    """An anonymous client."""
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def api_as():
    """``api_as(user)``: a client that sends ``user``'s API token, as a program would."""

    def client_for(user) -> APIClient:
        token, _created = Token.objects.get_or_create(user=user)
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for
