"""The notification centre's API: the caller's notifications newest first (filter ``unread``), marking one
or all read. Someone else's id is a 404 and changes nothing; without a login 401."""

from datetime import timedelta

import pytest
from django.utils import timezone

from buchungen.models import Notification, WaitlistEntry
from tests.buchungen.test_notification_centre import make_notification
from tests.factories import BookingFactory, ResourceFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications/"
READ_ALL = "/api/v1/notifications/read-all/"


def read(notification_id) -> str:
    return f"/api/v1/notifications/{notification_id}/read/"


@pytest.fixture
def booking(org_a, org_b, member_b):
    room = ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen")
    return BookingFactory(resource=room, organisation=org_b, booked_by=member_b)


@pytest.fixture
def mine(member_b, booking):
    return {
        "read": make_notification(member_b, "confirmed", booking=booking, ago=60, read=True),
        "unread": make_notification(member_b, "reminder", booking=booking, ago=5),
    }


@pytest.fixture
def theirs(manager_a, booking):
    return make_notification(manager_a, "approval_needed", booking=booking, ago=1)


def test_list_is_the_callers_own_newest_first(api_as, member_b, mine, theirs, booking):
    response = api_as(member_b).get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert set(body) == {"count", "next", "previous", "results"}
    first, second = body["results"]
    assert first["id"] == mine["unread"].pk and second["id"] == mine["read"].pk
    assert first["kind"] == "reminder"
    assert first["booking"] == booking.pk
    assert first["read"] is False and first["read_at"] is None
    assert second["read"] is True and second["read_at"].endswith(("+01:00", "+02:00"))
    assert first["created"].endswith(("+01:00", "+02:00"))
    assert "Saal Hafen" in first["summary"]
    assert first["url"] == f"http://testserver/buchungen/{booking.pk}/"


def test_the_unread_filter(api_as, member_b, mine):
    response = api_as(member_b).get(LIST, {"unread": "true"})
    assert [row["id"] for row in response.json()["results"]] == [mine["unread"].pk]
    response = api_as(member_b).get(LIST, {"unread": "false"})
    assert response.json()["count"] == 2


def test_an_offer_points_to_the_waitlist(api_as, member_b, booking):
    start = timezone.now() + timedelta(days=2)
    entry = WaitlistEntry.objects.create(
        resource=booking.resource, person=member_b, start=start, end=start + timedelta(hours=1)
    )
    make_notification(member_b, "waitlist_offer", entry=entry)
    [row] = api_as(member_b).get(LIST).json()["results"]
    assert row["waitlist_entry"] == entry.pk and row["booking"] is None
    assert row["url"] == "http://testserver/buchungen/warteliste/"


def test_the_list_is_paginated_with_constant_queries(
    api_as, member_b, booking, django_assert_max_num_queries
):
    for number in range(55):
        make_notification(member_b, "overdue", booking=booking, sequence=number, ago=number)
    client = api_as(member_b)
    with django_assert_max_num_queries(4):
        body = client.get(LIST).json()
    assert body["count"] == 55 and len(body["results"]) == 50 and body["next"]
    assert client.get(LIST, {"page": 2}).json()["results"][-1]["kind"] == "overdue"


def test_mark_one_read(api_as, member_b, mine):
    response = api_as(member_b).post(read(mine["unread"].pk))

    assert response.status_code == 200
    assert response.json()["read"] is True
    mine["unread"].refresh_from_db()
    assert mine["unread"].read_at is not None


def test_marking_an_already_read_one_keeps_its_time(api_as, member_b, mine):
    before = mine["read"].read_at
    assert api_as(member_b).post(read(mine["read"].pk)).status_code == 200
    mine["read"].refresh_from_db()
    assert mine["read"].read_at == before


@pytest.mark.parametrize("notification_id", ["theirs", 999_999, 2**70, "abc"])
def test_someone_elses_or_no_notification_is_404(api_as, member_b, theirs, notification_id):
    target = theirs.pk if notification_id == "theirs" else notification_id
    response = api_as(member_b).post(read(target))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_only_ones_own(api_as, member_b, mine, theirs, booking):
    make_notification(member_b, "returned", booking=booking)
    response = api_as(member_b).post(READ_ALL)

    assert response.status_code == 200
    assert response.json() == {"marked": 2}
    assert not Notification.objects.filter(recipient=member_b, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api_as(member_b).post(READ_ALL).json() == {"marked": 0}


def test_without_login_401(api, theirs):
    assert api.get(LIST).status_code == 401
    assert api.post(read(theirs.pk)).status_code == 401
    assert api.post(READ_ALL).status_code == 401
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_no_other_methods(api_as, member_b, mine):
    client = api_as(member_b)
    assert client.delete(f"{LIST}{mine['unread'].pk}/").status_code in (404, 405)
    assert client.get(read(mine["unread"].pk)).status_code == 405
    assert Notification.objects.filter(recipient=member_b).count() == 2


def test_unread_must_be_a_boolean(api_as, member_b, mine):
    # Found by fuzzing: ``unread=0.0`` (or any other word) silently meant "all".
    response = api_as(member_b).get(LIST, {"unread": "0.0"})

    assert response.status_code == 400
    assert list(response.json()) == ["unread"]
