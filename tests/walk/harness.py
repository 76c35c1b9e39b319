"""Sending one request of a walk: as a role, undone afterwards, with the database compared around it.

Every request runs in a savepoint that is rolled back, and the client's cookies are put back: a
manager's successful "approve" or a logout must not change the world the next request of the walk
sees. So the database before every request is the same: ``snapshot()`` once per walk is the
"before" of each request, and the rows after a refused unsafe request (read inside its savepoint) are
compared with it — a refused request must have written nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.apps import apps
from django.db import transaction
from django.test import Client
from django.utils.encoding import force_str
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.walk.routes import Route

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# The tables a refused write must leave alone: the project's own, e-mail addresses, tokens, the admin log.
_SNAPSHOT_APPS = ("konten", "ressourcen", "buchungen", "account", "authtoken", "admin")
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")
# Answers that refuse: the request must not have changed anything.
REFUSED = frozenset({"login", "400", "401", "403", "404", "405", "409"})


def _snapshot_models():
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in _SNAPSHOT_APPS and not model._meta.proxy
    ]


def snapshot() -> dict[str, list[tuple]]:
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values_list())
        for model in _snapshot_models()
    }


def changed_tables(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def answer_class(response) -> str:
    """``"200"``, ``"404"`` …; a redirect to a login page is ``"login"``, any other redirect ``"302"``."""
    if response.status_code in (301, 302, 303, 307, 308):
        location = urlsplit(response.headers.get("Location", "")).path
        return "login" if location.startswith(LOGIN_PATHS) else "302"
    return str(response.status_code)


def clients_for(user) -> tuple[Client, APIClient]:
    """A browser (session) and a program (API token) for ``user``; anonymous ones for ``None``."""
    page = Client(HTTP_ACCEPT_LANGUAGE="de")
    api = APIClient(HTTP_ACCEPT_LANGUAGE="de")
    if user is not None:
        page.force_login(user)
        token, _created = Token.objects.get_or_create(user=user)
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return page, api


@dataclass
class Sent:
    response: object
    answer: str
    changed: list[str]
    text: str


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return force_str(b"".join(response.streaming_content), errors="replace")
    return force_str(response.content, errors="replace")


def send(
    clients: tuple[Client, APIClient],
    route: Route,
    path: str,
    method: str,
    *,
    baseline: dict[str, list[tuple]] | None = None,
    **extra,
) -> Sent:
    """``method`` ``path`` as the clients' user; everything it wrote is rolled back. With ``baseline``
    (a ``snapshot()`` of the world), a refused unsafe request lists the tables it changed."""
    page, api = clients
    client = api if route.is_api else page
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        if route.is_api:
            response = client.generic(
                method, path, data="{}" if method in UNSAFE else "", content_type="application/json", **extra
            )
        elif method == "POST":
            response = client.post(path, data={}, **extra)
        else:
            response = client.generic(method, path, **extra)
        # Streaming bodies (exports) are read while the savepoint still holds the data.
        sent = Sent(response=response, answer=answer_class(response), changed=[], text=_body(response))
        if baseline is not None and method in UNSAFE and sent.answer in REFUSED:
            sent.changed = changed_tables(baseline, snapshot())
        transaction.set_rollback(True)
    client.cookies = cookies
    return sent
