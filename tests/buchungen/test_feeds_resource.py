"""The public feed of a resource: when it is taken or closed — never by whom, why or which booking."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from buchungen.models import Booking
from ressourcen.models import Closure
from tests.buchungen.conftest import BERLIN
from tests.buchungen.test_feeds import events, hours_from_now
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db

OPAQUE_UID = re.compile(r"busy-[0-9a-f]{24}@testserver")


def feed(client, resource, **headers):
    return client.get(reverse("buchungen:resource_feed", kwargs={"slug": resource.slug}), **headers)


def english(client, resource):
    return events(feed(client, resource, HTTP_ACCEPT_LANGUAGE="en"))


def test_url():
    assert reverse("buchungen:resource_feed", kwargs={"slug": "saal"}) == "/ressourcen/saal/kalender.ics"


def test_busy_blocks_only_with_opaque_uids(client, room, org_b, member_b):
    booking = BookingFactory(
        resource=room,
        organisation=org_b,
        booked_by=member_b,
        start=hours_from_now(3),
        purpose="Geheime Vorstandssitzung",
    )
    response = feed(client, room, HTTP_ACCEPT_LANGUAGE="en")
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Content-Disposition"] == 'inline; filename="saal-hafen.ics"'
    ((event_uid, event),) = events(response).items()
    assert OPAQUE_UID.fullmatch(event_uid)
    assert event["summary"] == "Booked"
    assert (event["start"], event["end"]) == (booking.start, booking.end)
    assert event["description"] == "" and event["location"] == "" and event["url"] == ""
    body = response.content.decode()
    for secret in (
        "Geheime Vorstandssitzung",
        org_b.name,
        "Volkshochschule",
        member_b.name,
        member_b.email,
        f"booking-{booking.pk}",
        f"/buchungen/{booking.pk}",
    ):
        assert secret not in body, secret


def test_uids_are_stable_and_different_per_booking(client, room):
    first = BookingFactory(resource=room, start=hours_from_now(3))
    BookingFactory(resource=room, start=hours_from_now(4))
    uids = list(english(client, room))
    assert len(set(uids)) == 2
    assert list(english(client, room)) == uids
    Booking.objects.filter(pk=first.pk).update(purpose="geändert")
    assert list(english(client, room)) == uids


def test_the_blocked_time_with_buffers_is_shown(client, room):
    room.buffer_before_minutes = 30
    room.buffer_after_minutes = 15
    room.save()
    booking = BookingFactory(resource=room, start=hours_from_now(3))
    (event,) = english(client, room).values()
    assert event["start"] == booking.start - timedelta(minutes=30)
    assert event["end"] == booking.end + timedelta(minutes=15)


def test_active_statuses_only(client, room):
    kept = {
        BookingFactory(resource=room, start=hours_from_now(days), status=status).blocked_start
        for days, status in ((2, "requested"), (3, "confirmed"))
    }
    kept.add(
        BookingFactory(resource=room, start=hours_from_now(0, hour=1), status="checked_out").blocked_start
    )
    for offset, status in enumerate(["cancelled", "declined", "expired", "completed", "no_show"], start=5):
        BookingFactory(resource=room, start=hours_from_now(offset), status=status)
    assert {event["start"] for event in english(client, room).values()} == kept
    assert {event["status"] for event in english(client, room).values()} == {"CONFIRMED"}


def test_window_is_a_week_back_and_a_year_ahead(client, room):
    inside = [hours_from_now(-6), hours_from_now(360)]
    for start in [*inside, hours_from_now(-8), hours_from_now(370)]:
        BookingFactory(resource=room, start=start, status="checked_out")
    assert sorted(event["start"] for event in english(client, room).values()) == inside


def test_equipment_shows_the_units(client, beamers):
    BookingFactory(resource=beamers, start=hours_from_now(2), quantity=2)
    (event,) = english(client, beamers).values()
    assert event["summary"] == "Booked (2 of 3 units)"


def test_closures_of_the_resource_and_of_its_organisation(client, room, org_a, org_b):
    start = (timezone.now() + timedelta(days=30)).astimezone(BERLIN)
    start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    own = Closure.objects.create(
        organisation=org_a, resource=room, start=start, end=start + timedelta(days=2), reason="Malerarbeiten"
    )
    Closure.objects.create(
        organisation=org_a,
        start=start + timedelta(days=5),
        end=start + timedelta(days=6),
        reason="Betriebsfest",
    )
    Closure.objects.create(
        organisation=org_b, start=start, end=start + timedelta(days=2), reason="Andere Organisation"
    )
    found = english(client, room)
    closed = sorted((event for event in found.values()), key=lambda event: event["start"])
    assert [event["summary"] for event in closed] == ["Closed", "Closed"]
    assert [event["description"] for event in closed] == ["Malerarbeiten", "Betriebsfest"]
    assert closed[0]["start"] == own.start.astimezone(UTC) and closed[0]["end"] == own.end.astimezone(UTC)
    assert all(uid.startswith("closure-") for uid in found)


def test_spring_clock_change(client, room, monkeypatch):
    booking = BookingFactory(
        resource=room,
        start=datetime(2026, 3, 28, 22, tzinfo=BERLIN),
        end=datetime(2026, 3, 29, 4, tzinfo=BERLIN),
    )
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 1, 12, tzinfo=UTC))
    (event,) = english(client, room).values()
    assert event["start"] == datetime(2026, 3, 28, 21, tzinfo=UTC) == booking.start
    assert event["end"] == datetime(2026, 3, 29, 2, tzinfo=UTC) == booking.end


def test_unknown_resource_404(client):
    assert client.get("/ressourcen/gibt-es-nicht/kalender.ics").status_code == 404


def test_inactive_resource_404_for_visitors_and_other_members(client, room, member_a, member_b):
    room.is_active = False
    room.save()
    assert feed(client, room).status_code == 404
    client.force_login(member_b)
    assert feed(client, room).status_code == 404
    # A plain member of the owner is no manager either.
    client.force_login(member_a)
    assert feed(client, room).status_code == 404


@pytest.mark.parametrize("persona", ["manager_a", "coordinator"])
def test_inactive_resource_for_its_managers_and_the_coordinator_is_not_cached_publicly(
    request, client, room, persona
):
    room.is_active = False
    room.save()
    client.force_login(request.getfixturevalue(persona))
    response = feed(client, room)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=300"


def test_only_get_and_head(client, room):
    assert client.head(reverse("buchungen:resource_feed", kwargs={"slug": room.slug})).status_code == 200
    assert client.post(reverse("buchungen:resource_feed", kwargs={"slug": room.slug})).status_code == 405


def test_query_count_does_not_grow_with_the_bookings(client, room):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert feed(client, room).status_code == 200
        return len(queries.captured_queries)

    BookingFactory(resource=room, start=hours_from_now(1))
    one = count()
    for day in range(2, 21):
        BookingFactory(resource=room, start=hours_from_now(day))
    assert count() == one <= 3


def test_the_catalogue_page_links_to_the_feed(client, room):
    page = client.get(room.get_absolute_url()).content.decode()
    assert 'href="/ressourcen/saal-hafen/kalender.ics"' in page


def test_german_by_default(client, room):
    BookingFactory(resource=room, start=hours_from_now(2))
    (event,) = events(feed(client, room)).values()
    assert event["summary"] == "Belegt"
