"""Fixtures for the booking engine: a fixed clock, a room and a box of projectors of organisation A.

The services take ``now``; tests pass ``NOW`` (Monday 1 June 2026, 08:00 Berlin) so lead time and
maximum advance are checked against a clock that does not move.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from buchungen import services
from tests.factories import ResourceFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 6, 1, 8, tzinfo=BERLIN)


def at(day: int, hour: int, minute: int = 0, *, month: int = 6, year: int = 2026) -> datetime:
    """A Berlin wall-clock time (June 2026 unless told otherwise)."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the source language); the site's default is German."""
    with translation.override("en"):
        yield


@pytest.fixture
def room(org_a):
    """A room of organisation A, open to the whole network, confirmed at once, no opening hours."""
    return ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen")


@pytest.fixture
def beamers(org_a):
    """Three projectors of organisation A."""
    return ResourceFactory(
        organisation=org_a, kind="equipment", name="Beamer", slug="beamer", capacity=None, quantity=3
    )


@pytest.fixture
def book():
    """``book(actor, resource, start, end, organisation=…, **more)``: ``booking_request`` on the fixed
    clock. ``organisation`` defaults to the actor's first organisation."""

    def request(actor, resource, start, end, **kwargs):
        if "organisation" not in kwargs:
            membership = actor.memberships.select_related("organisation").first()
            kwargs["organisation"] = membership.organisation if membership else None
        kwargs.setdefault("now", NOW)
        return services.booking_request(actor=actor, resource=resource, start=start, end=end, **kwargs)

    return request
