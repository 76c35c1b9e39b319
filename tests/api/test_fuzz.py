"""API fuzzing: schemathesis sends generated requests to every operation of the OpenAPI schema.

Checks (schemathesis' defaults for ``call_and_validate``): no 5xx (``not_a_server_error``), every status
code documented for the operation, the documented content type, the body valid against the documented
schema, and the negative checks (invalid input is rejected, a declared login is not ignored …).

Each example is one request by one of four callers (anonymous, member, manager, coordinator, each with
an API token) and, in half of the examples, with the ids of objects that exist (an organisation, a
resource, bookings, a series, a bundle, a waitlist entry …) put into the path and the body instead of
generated ones, so that requests get past the 404 and into the services. Every example runs in a
savepoint that is rolled back: what one request writes (a booking, a revoked token) cannot change the
next one, so a failure replays the same way when Hypothesis shrinks it.

Runs in both passes of ``make test`` (SQLite and PostgreSQL) and under xdist: each operation is its own
test item. The run is deterministic (a fixed seed); docs/api.md, "Fuzzing", has the figures.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from buchungen.bundles import booking_request_bundle
from buchungen.models import Booking
from buchungen.notifications import notify
from buchungen.series import booking_series_create
from buchungen.waitlist import waitlist_join
from ressourcen.models import Closure, OpeningHours
from tests.factories import BookingFactory, ResourceFactory

BERLIN = ZoneInfo("Europe/Berlin")
CALLERS = ["anonymous", "member", "manager", "coordinator"]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
# The examples carry real API tokens (below); generated credentials would only ever be refused.
schema.config.generation.update(with_security_parameters=False)
# A request the schema allows may still break a rule the schema cannot state: booking rules (lead time,
# opening hours, quotas), years from 1970 to 2999, Django's URL and e-mail validators, a unique slug,
# wrong credentials. Such a request must get a 400 with messages (still checked: documented, valid body).
_acceptance = schema.config.checks.positive_data_acceptance
_acceptance.expected_statuses = [*_acceptance.expected_statuses, "400"]
# The schema's own examples cannot be combined with the drawn caller (``schema.given``); the coverage and
# fuzzing phases run.
schema.config.phases.examples.enabled = False
# A fixed seed: the same requests in every run and in every xdist worker (a failure reproduces).
schema.config.seed = 7


@pytest.fixture
def _keep_test_connection():
    """The WSGI handler closes "old" connections at the start and end of each request; on PostgreSQL
    that is the test transaction's connection. The test client of Django disconnects the same."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _berlin(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BERLIN)


@pytest.fixture
def world(org_a, org_b, manager_a, member_a, manager_b, coordinator):
    """Objects of every kind the API serves, for the ids the examples use."""
    room = ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen")
    approval_room = ResourceFactory(
        organisation=org_a, name="Galerie", slug="galerie", requires_approval=True
    )
    for resource in (room, approval_room):
        for weekday in range(7):
            OpeningHours.objects.create(resource=resource, weekday=weekday, start=time(8), end=time(22))
    week = timezone.localdate() + timedelta(weeks=2)
    confirmed = BookingFactory(resource=room, organisation=org_a, booked_by=member_a, start=_berlin(week, 10))
    requested = BookingFactory(
        resource=approval_room,
        organisation=org_b,
        booked_by=manager_b,
        start=_berlin(week, 14),
        status=Booking.Status.REQUESTED,
    )
    series, _dates = booking_series_create(
        actor=member_a,
        resource=room,
        start=_berlin(week + timedelta(days=1), 18),
        end=_berlin(week + timedelta(days=1), 20),
        rrule="FREQ=WEEKLY;COUNT=3",
        organisation=org_a,
        purpose="Chorprobe",
    )
    bundle = booking_request_bundle(
        actor=member_a,
        items=[
            {"resource": room, "start": _berlin(week, 18), "end": _berlin(week, 20)},
            {"resource": approval_room, "start": _berlin(week, 18), "end": _berlin(week, 20)},
        ],
        organisation=org_a,
        purpose="Tag der offenen Tür",
    )
    entry = waitlist_join(
        actor=manager_a,
        resource=room,
        start=_berlin(week, 10),
        end=_berlin(week, 12),
        organisation=org_a,
    )
    [notification_key] = notify("approval_needed", [manager_a], booking=requested)
    org_closure = Closure.objects.create(
        organisation=org_a,
        start=_berlin(week + timedelta(weeks=4), 0),
        end=_berlin(week + timedelta(weeks=4, days=1), 0),
        reason="Sommerfest",
    )
    room_closure = Closure.objects.create(
        organisation=org_a,
        resource=room,
        start=_berlin(week + timedelta(weeks=5), 0),
        end=_berlin(week + timedelta(weeks=5, days=1), 0),
        reason="Malerarbeiten",
    )
    notification = manager_a.notifications.get(key=notification_key)
    tokens = {
        "member": member_a,
        "manager": manager_a,
        "coordinator": coordinator,
    }
    return {
        "tokens": {name: Token.objects.get_or_create(user=user)[0].key for name, user in tokens.items()},
        # Body fields: a bookable room, the caller's organisation (for member and manager) and a free
        # slot, so that bookings, series, bundles and waitlist requests reach the booking rules.
        "body": {
            "resource": room.pk,
            "organisation": org_a.pk,
            "start": _berlin(week + timedelta(days=2), 10).isoformat(),
            "end": _berlin(week + timedelta(days=2), 12).isoformat(),
            "rrule": "FREQ=WEEKLY;COUNT=2",
        },
        # Path parameters by path: the objects each operation works on.
        "paths": {
            "/api/v1/organisations/{id}/": {"id": org_a.pk},
            "/api/v1/organisations/{organisation_id}/closures/": {"organisation_id": org_a.pk},
            "/api/v1/organisations/{organisation_id}/closures/{id}/": {
                "organisation_id": org_a.pk,
                "id": org_closure.pk,
            },
            "/api/v1/features/{slug}/": {"slug": "aufzug"},
            "/api/v1/resources/{id}/closures/{closure_id}/": {"id": room.pk, "closure_id": room_closure.pk},
            "/api/v1/bookings/{id}/approve/": {"id": requested.pk},
            "/api/v1/bookings/{id}/decline/": {"id": requested.pk},
            "/api/v1/booking-requests/": {},
            "/api/v1/notifications/{id}/read/": {"id": notification.pk},
        },
        "prefix": {
            "/api/v1/resources/{id}": {"id": room.pk},
            "/api/v1/bookings/{id}": {"id": confirmed.pk},
            "/api/v1/booking-requests/{id}": {"id": bundle.pk},
            "/api/v1/booking-series/{id}": {"id": series.pk},
            "/api/v1/waitlist/{id}": {"id": entry.pk},
        },
    }


def _real_path_parameters(world: dict, path: str) -> dict:
    if path in world["paths"]:
        return world["paths"][path]
    for prefix, values in world["prefix"].items():
        if path.startswith(prefix):
            return values
    return {}


def _put_real_values(body, values: dict) -> None:
    """Replace the generated values of the fields in ``values`` (also inside a bundle's ``items``)."""
    if isinstance(body, list):
        for item in body:
            _put_real_values(item, values)
    elif isinstance(body, dict):
        for field in body:
            if field in values:
                body[field] = values[field]
            elif field == "items":
                _put_real_values(body[field], values)


@pytest.mark.usefixtures("_keep_test_connection")
@schema.parametrize()
@schema.given(caller=st.sampled_from(CALLERS), real_ids=st.booleans())
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    # ``world`` is shared by all examples on purpose; each example's writes are rolled back below.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_api_answers_as_documented(case, caller, real_ids, world):
    headers = {"Accept-Language": "en"}
    if caller != "anonymous":
        headers["Authorization"] = f"Token {world['tokens'][caller]}"
    if real_ids:
        if case.path_parameters:
            case.path_parameters.update(_real_path_parameters(world, case.path))
        _put_real_values(case.body, world["body"])
    cache.clear()  # rate limits: each example starts from none
    with transaction.atomic():
        case.call_and_validate(headers=headers)
        transaction.set_rollback(True)
