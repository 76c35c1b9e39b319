"""The waitlist's REST API: /api/v1/waitlist/ (join, list, read, accept, withdraw)."""

from datetime import datetime, timedelta

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from buchungen import services, waitlist
from buchungen.models import Booking, WaitlistEntry
from tests.buchungen.conftest import BERLIN

pytestmark = pytest.mark.django_db

URL = "/api/v1/waitlist/"


def slot(hour: int, *, days: int = 10) -> datetime:
    day = datetime.now(BERLIN).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


@pytest.fixture
def api_as():
    def client_for(user) -> APIClient:
        token, _created = Token.objects.get_or_create(user=user)
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def blocker(room, member_a, org_a):
    return services.booking_request(
        actor=member_a, resource=room, start=slot(10), end=slot(12), organisation=org_a
    )


@pytest.fixture
def body(room, org_b):
    return {
        "resource": room.pk,
        "start": slot(10).strftime("%Y-%m-%dT%H:%M"),
        "end": slot(12).strftime("%Y-%m-%dT%H:%M"),
        "organisation": org_b.pk,
        "purpose": "Chorprobe",
    }


@pytest.fixture
def offer(blocker, room, member_a, member_b, org_b):
    entry = waitlist.waitlist_join(
        actor=member_b, resource=room, start=slot(10), end=slot(12), organisation=org_b
    )
    services.booking_cancel(actor=member_a, booking=blocker)
    entry.refresh_from_db()
    return entry


def test_join(api_as, blocker, body, member_b, room):
    response = api_as(member_b).post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    entry = WaitlistEntry.objects.get()
    assert response["Location"].endswith(f"{URL}{entry.pk}/")
    assert (data["status"], data["resource"]["id"], data["purpose"]) == ("waiting", room.pk, "Chorprobe")
    assert data["start"] == slot(10).isoformat()
    assert data["offer_expires"] is None and data["booking"] is None


def test_join_a_free_time_is_400(api_as, blocker, body, member_b):
    body.update(start=slot(14).isoformat(), end=slot(16).isoformat())
    response = api_as(member_b).post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"start": ["This time is free — book it directly."]}
    assert WaitlistEntry.objects.count() == 0


def test_join_for_another_organisation_is_403(api_as, blocker, body, outsider):
    assert api_as(outsider).post(URL, body, format="json").status_code == 403
    assert WaitlistEntry.objects.count() == 0


def test_anonymous_is_401(blocker, body):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    assert client.post(URL, body, format="json").status_code == 401
    assert client.get(URL).status_code == 401
    assert WaitlistEntry.objects.count() == 0


def test_list_and_read_show_only_ones_own(api_as, offer, member_b, manager_b):
    mine = api_as(member_b).get(URL).json()
    assert [entry["id"] for entry in mine["results"]] == [offer.pk]
    assert mine["results"][0]["status"] == "offered"
    assert api_as(manager_b).get(URL).json()["results"] == []
    assert api_as(manager_b).get(f"{URL}{offer.pk}/").status_code == 404
    assert api_as(member_b).get(f"{URL}{offer.pk}/").json()["offer_expires"] is not None


def test_accept(api_as, offer, member_b):
    response = api_as(member_b).post(f"{URL}{offer.pk}/accept/")

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["entry"]["status"] == "booked"
    booking = Booking.objects.get(pk=data["booking"]["id"])
    assert booking.booked_by == member_b and data["entry"]["booking"] == booking.pk


def test_accept_after_a_direct_booking_is_409(api_as, offer, room, member_a, member_b, org_a):
    services.booking_request(actor=member_a, resource=room, start=slot(11), end=slot(12), organisation=org_a)
    response = api_as(member_b).post(f"{URL}{offer.pk}/accept/")

    assert response.status_code == 409
    assert set(response.json()) == {"detail", "conflicts"}
    offer.refresh_from_db()
    assert offer.status == "waiting"


@pytest.mark.parametrize("action", ["accept", "withdraw"])
def test_others_get_404(api_as, offer, manager_b, action):
    assert api_as(manager_b).post(f"{URL}{offer.pk}/{action}/").status_code == 404
    offer.refresh_from_db()
    assert offer.status == "offered"


def test_withdraw(api_as, offer, member_b):
    response = api_as(member_b).post(f"{URL}{offer.pk}/withdraw/")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    again = api_as(member_b).post(f"{URL}{offer.pk}/withdraw/")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["This entry is no longer on the waitlist."]}
