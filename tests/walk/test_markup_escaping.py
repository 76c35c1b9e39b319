"""User content is escaped everywhere: markup planted in every text field, every page and answer read.

The world of tests/walk/world.py is built with markup in every free text the services take (purposes,
comments, decline reasons …); then every editable CharField/TextField of the project's models — found
through ``_meta``, so a new field is covered by itself — is overwritten in every row with
``<script>alert(1)</script>"><img src=x onerror=alert(2)>`` and a marker unique to the field and row.
Every route of the walk is then read (GET) as the people who see most of it, the API also through
the browsable HTML renderer, and the notification e-mails are rendered. An HTML answer must never
carry the markup as markup: no ``<script>alert(`` / ``<img src=x``, no element with an ``on*``
attribute calling ``alert(``, no marker inside a script. Other answers (JSON, CSV, XLSX, iCal) may
carry it verbatim, but never as ``text/html`` and always with ``nosniff``. Every planted field must show
up (escaped) somewhere, unless it is listed in SHOWN_NOWHERE with the reason.
"""

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core import mail
from django.db import models
from django.utils.html import escape

from buchungen.messages import notification_send
from buchungen.models import Notification
from tests.walk.harness import clients_for, send
from tests.walk.routes import walk_targets
from tests.walk.world import build_world

pytestmark = pytest.mark.django_db

APPS = ("konten", "ressourcen", "buchungen")
LONG = '<script>alert(1)</script>"><img src=x onerror=alert(2)>{marker}'
SHORT = '"><img src=x onerror=alert(2)>{marker}'
MARKER = re.compile(r"mk\d{4}x")
# Text fields that are not free user content, with the reason.
NOT_CONTENT = {
    "konten.User.password": "a password hash",
    "buchungen.BookingSeries.rrule": "an RFC 5545 rule, parsed and validated; pages show its dates",
}
# Planted fields no page, answer or e-mail shows (checked: if one starts showing, drop it here).
SHOWN_NOWHERE: dict[str, str] = {}


def text_fields() -> list[models.Field]:
    """Every editable free-text field of the project's models."""
    found = []
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                if not isinstance(field, models.CharField | models.TextField) or field.choices:
                    continue
                if not field.editable or isinstance(
                    field, models.EmailField | models.URLField | models.SlugField
                ):
                    continue
                if f"{model._meta.label}.{field.name}" in NOT_CONTENT:
                    continue
                found.append(field)
    return found


class Planter:
    """Hands out markup with unique markers and remembers which marker went into which field."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}  # marker → "app.Model.field" (or the service's label)

    def markup(self, where: str, max_length: int | None = None) -> str:
        marker = f"mk{len(self.fields):04d}x"
        self.fields[marker] = where
        value = LONG.format(marker=marker)
        if max_length is not None and len(value) > max_length:
            value = SHORT.format(marker=marker)
        assert max_length is None or len(value) <= max_length, f"{where}: too short for the markup"
        return value

    def plant(self) -> list[str]:
        """Overwrite every text field of every row; return the fields without any row to plant in."""
        empty = []
        for field in text_fields():
            model = field.model
            where = f"{model._meta.label}.{field.name}"
            pks = list(model._default_manager.values_list("pk", flat=True))
            if not pks:
                empty.append(where)
            for pk in pks:
                model._default_manager.filter(pk=pk).update(
                    **{field.name: self.markup(where, field.max_length)}
                )
        return empty


class MarkupFinder(HTMLParser):
    """Collects markup that came through as markup: event handlers, the planted image, script bodies."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._script: str | None = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "img" and values.get("src") == "x":
            self.problems.append("an <img src=x> element")
        for name, value in attrs:
            if name.startswith("on") and "alert(" in (value or ""):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if MARKER.search(name):
                self.problems.append(f"<{tag}> with a planted attribute {name!r}")
        if MARKER.search(tag):
            self.problems.append(f"a planted element <{tag}>")
        if tag == "script":
            self._script = (values.get("type") or "").lower()

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        # json_script (application/json) escapes <, > and & itself; in JavaScript a marker is a breakout.
        if self._script is not None and "json" not in self._script and MARKER.search(data):
            self.problems.append(f"planted text inside a <script>: {data[:80]!r}")


def markup_problems(html: str) -> list[str]:
    problems = [raw for raw in ("<script>alert(", "<img src=x") if raw in html.lower()]
    finder = MarkupFinder()
    finder.feed(html)
    finder.close()
    return problems + finder.problems


@pytest.fixture
def planted(org_a, org_b, manager_a, member_a, manager_b, member_b, coordinator):
    planter = Planter()
    world = build_world(
        org_a=org_a,
        org_b=org_b,
        manager_a=manager_a,
        member_a=member_a,
        manager_b=manager_b,
        member_b=member_b,
        coordinator=coordinator,
        text=lambda label: planter.markup(f"service text: {label}", 200),
    )
    empty = planter.plant()
    assert not empty, f"text fields without a row in the world, so nothing planted: {empty}"
    return world, planter


def test_text_fields_are_found():
    """The field list is not empty by accident (the escaping test would pass vacuously)."""
    labels = {f"{field.model._meta.label}.{field.name}" for field in text_fields()}
    assert {"buchungen.Booking.purpose", "ressourcen.Closure.reason", "konten.Organisation.name"} <= labels


def test_the_check_finds_markup_and_passes_escaped_text():
    planted = LONG.format(marker="mk0000x")
    assert markup_problems(f"<p>{planted}</p>")
    assert markup_problems('<a title="x" onclick="alert(1)">mk0000x</a>')
    assert markup_problems("<script>var name = 'mk0000x';</script>")
    assert not markup_problems(f'<p>{escape(planted)}</p><input value="{escape(planted)}">')


def test_planted_markup_is_escaped_everywhere(planted):
    world, planter = planted
    seen: set[str] = set()
    problems: list[str] = []
    readers = {
        "visitor": None,
        "borrower": world.borrower,
        "manager": world.manager_a,
        "coordinator": world.coordinator,
    }
    for reader, user in readers.items():
        clients = clients_for(user)
        for target in walk_targets(world):
            variants = [{}]
            if target.route.is_api:
                variants.append({"HTTP_ACCEPT": "text/html"})  # the browsable API
            for extra in variants:
                sent = send(clients, target.route, target.path, "GET", **extra)
                markers = set(MARKER.findall(sent.text))
                seen |= markers
                where = f"GET {target.path} as {reader}" + (" (browsable)" if extra else "")
                content_type = sent.response.headers.get("Content-Type", "")
                if "html" in content_type:
                    problems += [f"{where}: {problem}" for problem in markup_problems(sent.text)]
                elif markers and sent.response.headers.get("X-Content-Type-Options") != "nosniff":
                    problems.append(f"{where}: planted text as {content_type} without nosniff")

    # The e-mails: every notification of the world, rendered and sent to the locmem outbox.
    mail.outbox.clear()
    for notification in Notification.objects.select_related("recipient"):
        notification_send(notification)
    assert mail.outbox, "the world's notifications sent no e-mail"
    for message in mail.outbox:
        seen |= set(MARKER.findall(message.body))
        for content, mimetype in getattr(message, "alternatives", []):
            assert mimetype == "text/html"
            seen |= set(MARKER.findall(content))
            problems += [f"e-mail {message.subject!r}: {p}" for p in markup_problems(content)]

    assert not problems, "unescaped markup:\n" + "\n".join(sorted(set(problems)))
    planted_fields = {where for where in planter.fields.values() if not where.startswith("service text")}
    shown = {planter.fields[marker] for marker in seen if marker in planter.fields}
    unseen = sorted(planted_fields - shown - set(SHOWN_NOWHERE))
    assert not unseen, f"planted fields shown nowhere (walk them, or list them in SHOWN_NOWHERE): {unseen}"
    assert not set(SHOWN_NOWHERE) & shown, "fields in SHOWN_NOWHERE are shown now; remove them there"
