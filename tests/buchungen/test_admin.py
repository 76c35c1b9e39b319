"""Bookings, requests, series and the waitlist in the admin: the coordinator reads, nobody writes there."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from buchungen.models import Booking, BookingRequest, BookingSeries, WaitlistEntry
from tests.factories import BookingFactory, ResourceFactory

pytestmark = pytest.mark.django_db

MODELS = ["booking", "bookingrequest", "bookingseries", "waitlistentry"]


@pytest.fixture
def objects(org_a, org_b, member_b):
    room = ResourceFactory(organisation=org_a, name="Saal")
    start = timezone.now() + timedelta(days=7)
    request = BookingRequest.objects.create(organisation=org_b, booked_by=member_b, purpose="Fest")
    series = BookingSeries.objects.create(
        resource=room,
        organisation=org_b,
        booked_by=member_b,
        rrule="FREQ=WEEKLY;COUNT=2",
        first_start=start,
        first_end=start + timedelta(hours=2),
    )
    booking = BookingFactory(resource=room, organisation=org_b, booked_by=member_b, start=start)
    Booking.objects.filter(pk=booking.pk).update(request=request, series=series)
    entry = WaitlistEntry.objects.create(
        resource=room, person=member_b, organisation=org_b, start=start, end=start + timedelta(hours=1)
    )
    return {"booking": booking, "bookingrequest": request, "bookingseries": series, "waitlistentry": entry}


@pytest.mark.parametrize("model", MODELS)
def test_the_coordinator_reads_lists_and_details(client, coordinator, objects, model):
    client.force_login(coordinator)
    obj = objects[model]
    assert client.get(reverse(f"admin:buchungen_{model}_changelist")).status_code == 200
    response = client.get(reverse(f"admin:buchungen_{model}_change", args=[obj.pk]))
    assert response.status_code == 200
    # Read-only: no save button, and adding or deleting is refused.
    assert b'name="_save"' not in response.content
    assert client.get(reverse(f"admin:buchungen_{model}_add")).status_code == 403
    assert client.post(reverse(f"admin:buchungen_{model}_delete", args=[obj.pk])).status_code == 403


@pytest.mark.parametrize("model", MODELS)
def test_managers_and_members_do_not_get_in(client, manager_a, objects, model):
    manager_a.is_staff = True
    manager_a.save()
    client.force_login(manager_a)
    response = client.get(reverse(f"admin:buchungen_{model}_changelist"))
    assert response.status_code in (302, 403)
