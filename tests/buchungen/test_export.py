"""The data export (GDPR Art. 15/20) contains what the booking engine keeps about the person."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from buchungen import feeds, services
from buchungen.models import WaitlistEntry
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db


def test_export_lists_own_bookings_waitlist_and_feed_but_not_others(client, member_a, member_b, org_a, org_b):
    room = ResourceFactory(organisation=org_a, name="Saal")
    start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    mine = services.booking_request(
        actor=member_b,
        resource=room,
        start=start,
        end=start + timedelta(hours=2),
        organisation=org_b,
        purpose="Chorprobe",
    )
    services.booking_request(
        actor=member_a,
        resource=room,
        start=start + timedelta(hours=3),
        end=start + timedelta(hours=4),
        organisation=org_a,
        purpose="Fremd",
    )
    WaitlistEntry.objects.create(resource=room, person=member_b, start=start, end=start + timedelta(hours=1))
    feeds.feed_issue(actor=member_b)

    client.force_login(member_b)
    data = json.loads(client.get(reverse("konten:data_export")).content)

    assert [b["id"] for b in data["bookings"]] == [mine.pk]
    booking = data["bookings"][0]
    assert booking["purpose"] == "Chorprobe"
    assert booking["organisation"] == org_b.name
    assert booking["steps"][0]["to"] == "confirmed" and booking["steps"][0]["by_me"] is True
    assert [entry["resource"] for entry in data["waitlist"]] == ["Saal"]
    assert data["calendar_feed"]["created"]
    assert "token" not in json.dumps(data["calendar_feed"])


def test_export_without_bookings(client, outsider):
    client.force_login(outsider)
    data = json.loads(client.get(reverse("konten:data_export")).content)
    assert data["bookings"] == [] and data["waitlist"] == [] and data["calendar_feed"] is None
