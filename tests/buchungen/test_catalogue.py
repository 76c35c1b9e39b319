"""The catalogue's pages and API with the engine: "taken" in the week view (never who) and the
"free between" search that leaves out what is booked."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import (
    BookingFactory,
    MembershipFactory,
    OpeningHoursFactory,
    OrganisationFactory,
    ResourceFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY_WEEKDAY = 1

pytestmark = pytest.mark.django_db


def tuesday() -> date:
    """A Tuesday three weeks or more ahead (never past, whenever the suite runs)."""
    day = timezone.localdate() + timedelta(weeks=3)
    return day + timedelta(days=(TUESDAY_WEEKDAY - day.weekday()) % 7)


def berlin(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@pytest.fixture
def booked_room(org_a):
    borrower = OrganisationFactory(name="Zwiebelverein Weinböhla e.V.", slug="zwiebelverein")
    room = ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen")
    OpeningHoursFactory(resource=room, weekday=TUESDAY_WEEKDAY, start=time(18), end=time(22))
    booker = MembershipFactory(
        organisation=borrower, user__name="Bernd Geheimnis", user__email="bernd.geheim@example.org"
    ).user
    BookingFactory(
        resource=room,
        organisation=borrower,
        booked_by=booker,
        start=berlin(tuesday(), 19),
        end=berlin(tuesday(), 20),
        purpose="Vertrauliche Beratung",
    )
    return room


def week_row(response, day: date) -> dict:
    (row,) = [row for row in response.context["week_rows"] if row["date"] == day]
    return row


@pytest.mark.parametrize("persona", [None, "member_b", "member_a"])
def test_week_view_shows_taken_time_and_never_who(request, client, booked_room, persona):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    response = client.get(f"{booked_room.get_absolute_url()}?woche={iso_week(tuesday())}")

    assert response.status_code == 200
    row = week_row(response, tuesday())
    assert row["ranges"] == ["18:00–22:00"]
    assert row["slots"] == [
        {"range": "18:00–19:00", "taken": False, "available": 1},
        {"range": "19:00–20:00", "taken": True, "available": 0},
        {"range": "20:00–22:00", "taken": False, "available": 1},
    ]
    html = response.content.decode()
    assert "19:00–20:00 (belegt)" in html or "19:00–20:00 (taken)" in html
    for secret in ("Bernd", "bernd.geheim", "Zwiebelverein", "Vertrauliche"):
        assert secret not in html


def test_week_view_of_equipment_shows_units_left(client, org_a):
    chairs = ResourceFactory(organisation=org_a, kind="equipment", capacity=None, quantity=40, slug="stuehle")
    BookingFactory(resource=chairs, start=berlin(tuesday(), 10), end=berlin(tuesday(), 12), quantity=15)
    BookingFactory(resource=chairs, start=berlin(tuesday(), 11), end=berlin(tuesday(), 12), quantity=25)

    response = client.get(
        f"{chairs.get_absolute_url()}?woche={iso_week(tuesday())}", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert week_row(response, tuesday())["slots"] == [
        {"range": "00:00–10:00", "taken": False, "available": 40},
        {"range": "10:00–11:00", "taken": False, "available": 25},
        {"range": "11:00–12:00", "taken": True, "available": 0},
        {"range": "12:00–24:00", "taken": False, "available": 40},
    ]


# --- "Free between" --------------------------------------------------------------------------------------


def test_search_page_leaves_out_booked_rooms(client, booked_room, org_a):
    free_room = ResourceFactory(organisation=org_a, name="Kleiner Saal", slug="kleiner-saal")
    OpeningHoursFactory(resource=free_room, weekday=TUESDAY_WEEKDAY, start=time(18), end=time(22))
    query = {"free_date": tuesday().isoformat(), "free_from": "19:30", "free_until": "21:00"}

    response = client.get("/ressourcen/", query)

    assert response.status_code == 200
    found = [resource.slug for resource in response.context["page"].object_list]
    assert found == ["kleiner-saal"]
    # Right after the booking the room is free again (half-open intervals).
    later = client.get("/ressourcen/", {**query, "free_from": "20:00"})
    assert sorted(resource.slug for resource in later.context["page"].object_list) == [
        "kleiner-saal",
        "saal-hafen",
    ]


def test_api_search_leaves_out_booked_rooms(booked_room):
    api = APIClient()
    day = tuesday().isoformat()
    taken = api.get("/api/v1/resources/", {"free_from": f"{day}T18:30", "free_until": f"{day}T19:30"})
    free = api.get("/api/v1/resources/", {"free_from": f"{day}T20:00", "free_until": f"{day}T22:00"})
    assert [r["slug"] for r in taken.json()["results"]] == []
    assert [r["slug"] for r in free.json()["results"]] == ["saal-hafen"]
