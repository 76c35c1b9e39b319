"""/api/v1/booking-series/: preview (200, nothing written), create (201), 400 per field, 403, 409 with the
dates, skip_conflicts, the series' detail (404 for those who may not see it) and cancel-rest."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from buchungen.models import Booking, BookingSeries, BookingTransition
from buchungen.series import booking_series_create
from ressourcen.models import Closure
from tests.factories import BookingFactory, ResourceFactory

BERLIN = ZoneInfo("Europe/Berlin")
URL = "/api/v1/booking-series/"

pytestmark = pytest.mark.django_db


def next_tuesday(weeks_ahead: int = 2) -> date:
    today = timezone.localdate() + timedelta(weeks=weeks_ahead)
    return today + timedelta(days=(1 - today.weekday()) % 7)


TUESDAY = next_tuesday()


def local(hour: int, day: date = TUESDAY, weeks: int = 0) -> str:
    return f"{(day + timedelta(weeks=weeks)).isoformat()}T{hour:02d}:00"


def berlin(hour: int, weeks: int = 0) -> datetime:
    return datetime.combine(TUESDAY + timedelta(weeks=weeks), time(hour), tzinfo=BERLIN)


@pytest.fixture
def room(org_a):
    return ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen")


def body(room, organisation, **more) -> dict:
    data = {
        "resource": room.pk,
        "start": local(18),
        "end": local(20),
        "rrule": "FREQ=WEEKLY;COUNT=4",
        "organisation": organisation.pk if organisation else None,
        "purpose": "Chorprobe",
    }
    data.update(more)
    return data


def nothing_written(before: int = 0) -> bool:
    return Booking.objects.count() == before and not BookingSeries.objects.exists()


# --- Preview and create ----------------------------------------------------------------------------------


def test_preview_answers_every_date_and_writes_nothing(api_as, member_a, org_a, room):
    response = api_as(member_a).post(URL, body(room, org_a, preview=True), format="json")

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["created"] == []
    assert [o["status"] for o in data["occurrences"]] == ["free"] * 4
    first = data["occurrences"][0]
    assert datetime.fromisoformat(first["start"]) == berlin(18)
    assert first["start"].startswith(local(18)) and first["start"][-6:] in {"+01:00", "+02:00"}
    assert "reason" not in first
    assert nothing_written() and not BookingTransition.objects.exists()


def test_create_answers_201_with_the_series_and_its_bookings(api_as, member_a, org_a, room):
    response = api_as(member_a).post(URL, body(room, org_a), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    series = BookingSeries.objects.get()
    assert data["id"] == series.pk
    assert response["Location"].endswith(f"{URL}{series.pk}/")
    assert data["created"] == list(series.bookings.order_by("start").values_list("pk", flat=True))
    assert len(data["created"]) == 4
    assert [datetime.fromisoformat(o["start"]) for o in data["occurrences"]] == [
        berlin(18, w) for w in range(4)
    ]


def test_a_leading_rrule_prefix_is_accepted(api_as, member_a, org_a, room):
    response = api_as(member_a).post(URL, body(room, org_a, rrule="RRULE:FREQ=WEEKLY;COUNT=2"), format="json")

    assert response.status_code == 201
    assert BookingSeries.objects.get().rrule == "FREQ=WEEKLY;COUNT=2"


def test_a_taken_date_is_a_409_with_the_dates_and_nothing_is_written(api_as, member_a, member_b, org_a, room):
    BookingFactory(resource=room, start=berlin(19, weeks=2), booked_by=member_b, purpose="Geheim")

    response = api_as(member_a).post(URL, body(room, org_a), format="json")

    assert response.status_code == 409
    data = response.json()
    assert set(data) == {"detail", "conflicts", "occurrences"}
    assert [datetime.fromisoformat(c["start"]) for c in data["conflicts"]] == [berlin(19, weeks=2)]
    assert [o["status"] for o in data["occurrences"]] == ["free", "free", "conflict", "free"]
    assert data["occurrences"][2]["reason"] == "The resource is already booked at this time."
    assert "Geheim" not in response.content.decode() and member_b.name not in response.content.decode()
    assert nothing_written(before=1)


def test_skip_conflicts_books_the_free_dates(api_as, member_a, member_b, org_a, room):
    BookingFactory(resource=room, start=berlin(19, weeks=2), booked_by=member_b)

    response = api_as(member_a).post(URL, body(room, org_a, skip_conflicts=True), format="json")

    assert response.status_code == 201
    data = response.json()
    assert len(data["created"]) == 3
    assert [o["status"] for o in data["occurrences"]] == ["free", "free", "conflict", "free"]


def test_preview_shows_the_conflict_with_its_reason(api_as, member_a, member_b, org_a, room):
    BookingFactory(resource=room, start=berlin(19, weeks=2), booked_by=member_b)

    response = api_as(member_a).post(URL, body(room, org_a, preview=True), format="json")

    assert response.status_code == 200
    assert response.json()["occurrences"][2] == {
        "start": response.json()["occurrences"][2]["start"],
        "end": response.json()["occurrences"][2]["end"],
        "status": "conflict",
        "reason": "The resource is already booked at this time.",
    }
    assert Booking.objects.count() == 1


def test_a_rule_broken_on_some_dates_is_a_400_listing_them(api_as, member_a, org_a, room):
    Closure.objects.create(
        organisation=org_a, resource=room, start=berlin(0, weeks=1), end=berlin(23, weeks=1), reason="Putz"
    )

    response = api_as(member_a).post(URL, body(room, org_a), format="json")

    assert response.status_code == 400
    (message,) = response.json()["start"]
    assert "closed" in message
    assert nothing_written()
    assert (
        api_as(member_a).post(URL, body(room, org_a, skip_conflicts=True), format="json").status_code == 201
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rrule": "FREQ=WEEKLY"}, "rrule"),
        ({"rrule": "FREQ=YEARLY;COUNT=2"}, "rrule"),
        ({"rrule": "FREQ=DAILY;COUNT=101"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;COUNT=2;BYHOUR=9"}, "rrule"),
        ({"rrule": ""}, "rrule"),
        ({"start": "next tuesday"}, "start"),
        ({"end": local(17)}, "end"),
        ({"purpose": "x" * 501}, "purpose"),
        ({"quantity": 2}, "quantity"),
        ({"resource": 999999}, "resource"),
        ({"skip_conflicts": "maybe"}, "skip_conflicts"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_as, member_a, org_a, room, changes, field):
    response = api_as(member_a).post(URL, body(room, org_a, **changes), format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert nothing_written()


def test_a_missing_rule_is_a_400(api_as, member_a, org_a, room):
    data = body(room, org_a)
    del data["rrule"]

    response = api_as(member_a).post(URL, data, format="json")

    assert response.status_code == 400
    assert "rrule" in response.json()


def test_booking_for_a_foreign_organisation_is_a_403(api_as, member_b, org_a, room):
    response = api_as(member_b).post(URL, body(room, org_a), format="json")

    assert response.status_code == 403
    assert nothing_written()


def test_anonymous_callers_get_401(api, org_a, room):
    assert api.post(URL, body(room, org_a), format="json").status_code == 401
    assert nothing_written()


# --- Detail and cancel-rest ------------------------------------------------------------------------------


@pytest.fixture
def series(member_a, org_a, room):
    created, _ = booking_series_create(
        actor=member_a,
        resource=room,
        start=berlin(18),
        end=berlin(20),
        rrule="FREQ=WEEKLY;COUNT=4",
        organisation=org_a,
    )
    return created


@pytest.mark.parametrize("persona", ["member_a", "manager_a", "coordinator"])
def test_the_series_is_visible_to_borrowers_owners_and_the_coordinator(api_as, request, series, persona):
    response = api_as(request.getfixturevalue(persona)).get(f"{URL}{series.pk}/")

    assert response.status_code == 200
    data = response.json()
    assert data["id"] == series.pk and data["rrule"] == "FREQ=WEEKLY;COUNT=4"
    assert [b["status"] for b in data["bookings"]] == ["confirmed"] * 4
    assert datetime.fromisoformat(data["first_start"]) == berlin(18)


@pytest.mark.parametrize("persona", ["member_b", "outsider"])
def test_the_series_is_a_404_for_others(api_as, request, series, persona):
    client = api_as(request.getfixturevalue(persona))

    assert client.get(f"{URL}{series.pk}/").status_code == 404
    assert client.post(f"{URL}{series.pk}/cancel-rest/", {"from": local(0)}, format="json").status_code == 404
    assert set(series.bookings.values_list("status", flat=True)) == {"confirmed"}


def test_an_unknown_series_is_a_404(api_as, member_a):
    assert api_as(member_a).get(f"{URL}999999/").status_code == 404


def test_cancel_rest_cancels_the_dates_from_a_moment_on(api_as, member_a, series):
    response = api_as(member_a).post(
        f"{URL}{series.pk}/cancel-rest/", {"from": local(18, weeks=2), "comment": "Pause"}, format="json"
    )

    assert response.status_code == 200
    assert [b["status"] for b in response.json()["bookings"]] == [
        "confirmed",
        "confirmed",
        "cancelled",
        "cancelled",
    ]
    assert set(BookingTransition.objects.filter(to_status="cancelled").values_list("comment", flat=True)) == {
        "Pause"
    }


def test_the_coordinator_sees_but_cannot_cancel_the_rest(api_as, coordinator, series):
    response = api_as(coordinator).post(f"{URL}{series.pk}/cancel-rest/", {"from": local(0)}, format="json")

    assert response.status_code == 403
    assert set(series.bookings.values_list("status", flat=True)) == {"confirmed"}


def test_cancel_rest_needs_a_valid_from(api_as, member_a, series):
    response = api_as(member_a).post(f"{URL}{series.pk}/cancel-rest/", {"from": "soon"}, format="json")

    assert response.status_code == 400
    assert "from" in response.json()
