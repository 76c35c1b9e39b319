"""GET /api/v1/resources/{id}/availability/: bookable, busy and free intervals with Berlin offsets,
across DST — and never who booked."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from ressourcen.models import Closure
from tests.factories import BookingFactory, MembershipFactory, OpeningHoursFactory, ResourceFactory

BERLIN = ZoneInfo("Europe/Berlin")

pytestmark = pytest.mark.django_db


def url(resource) -> str:
    return f"/api/v1/resources/{resource.pk}/availability/"


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def tuesday_evenings():
    room = ResourceFactory(slug="dienstags")
    OpeningHoursFactory(resource=room, weekday=1, start=time(18), end=time(21))
    return room


def test_tuesday_evenings_keep_their_wall_clock_hours_across_the_spring_change(api, tuesday_evenings):
    # Clocks go forward on Sunday 29 March 2026: the first Tuesday is in winter time, the second in summer.
    response = api.get(url(tuesday_evenings), {"start": "2026-03-23T00:00", "end": "2026-04-01T00:00"})

    assert response.status_code == 200
    bookable = [
        {"start": "2026-03-24T18:00:00+01:00", "end": "2026-03-24T21:00:00+01:00"},
        {"start": "2026-03-31T18:00:00+02:00", "end": "2026-03-31T21:00:00+02:00"},
    ]
    assert response.json() == {
        "bookable": bookable,
        "busy": [],
        "free": [{**interval, "available_quantity": 1} for interval in bookable],
    }


def test_autumn_change_goes_back_to_winter_offset(api, tuesday_evenings):
    body = api.get(url(tuesday_evenings), {"start": "2026-10-20", "end": "2026-10-28"}).json()

    assert [(i["start"], i["end"]) for i in body["bookable"]] == [
        ("2026-10-20T18:00:00+02:00", "2026-10-20T21:00:00+02:00"),
        ("2026-10-27T18:00:00+01:00", "2026-10-27T21:00:00+01:00"),
    ]


def test_window_with_an_offset_or_in_utc_is_the_same_instant(api, tuesday_evenings):
    local = api.get(url(tuesday_evenings), {"start": "2026-06-02T19:00", "end": "2026-06-02T23:00"}).json()
    utc = api.get(
        url(tuesday_evenings), {"start": "2026-06-02T17:00:00Z", "end": "2026-06-02T21:00:00Z"}
    ).json()
    offset = api.get(
        url(tuesday_evenings), {"start": "2026-06-02T19:00:00+02:00", "end": "2026-06-02T23:00:00+02:00"}
    ).json()

    # The window cuts the range: 19:00–21:00 local time.
    assert local["bookable"] == [{"start": "2026-06-02T19:00:00+02:00", "end": "2026-06-02T21:00:00+02:00"}]
    assert local == utc == offset


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # 02:30 does not exist on 29 March (clocks jump from 02:00 to 03:00): it is read past the gap.
        ("2026-03-29T02:30", "2026-03-29T03:30:00+02:00"),
        # 02:30 happens twice on 25 October: the first one, still summer time.
        ("2026-10-25T02:30", "2026-10-25T02:30:00+02:00"),
    ],
)
def test_local_times_at_the_clock_changes(api, start, expected):
    always = ResourceFactory()

    body = api.get(url(always), {"start": start, "end": start[:11] + "06:00"}).json()

    assert body["bookable"][0]["start"] == expected


def test_closures_are_cut_out(api, tuesday_evenings):
    Closure.objects.create(
        organisation=tuesday_evenings.organisation,
        resource=tuesday_evenings,
        start=berlin(2026, 6, 2, 19),
        end=berlin(2026, 6, 2, 20),
        reason="Probe",
    )
    Closure.objects.create(
        organisation=tuesday_evenings.organisation,
        start=berlin(2026, 6, 9),
        end=berlin(2026, 6, 10),
        reason="Betriebsausflug",
    )

    body = api.get(url(tuesday_evenings), {"start": "2026-06-01", "end": "2026-06-15"}).json()

    assert body["bookable"] == [
        {"start": "2026-06-02T18:00:00+02:00", "end": "2026-06-02T19:00:00+02:00"},
        {"start": "2026-06-02T20:00:00+02:00", "end": "2026-06-02T21:00:00+02:00"},
    ]


def test_equipment_offers_its_whole_quantity_while_nothing_is_booked(api):
    chairs = ResourceFactory(kind="equipment", capacity=None, quantity=40)

    body = api.get(url(chairs), {"start": "2026-06-01T10:00", "end": "2026-06-01T12:00"}).json()

    # No opening hours: bookable all the time.
    assert body == {
        "bookable": [{"start": "2026-06-01T10:00:00+02:00", "end": "2026-06-01T12:00:00+02:00"}],
        "busy": [],
        "free": [
            {
                "start": "2026-06-01T10:00:00+02:00",
                "end": "2026-06-01T12:00:00+02:00",
                "available_quantity": 40,
            }
        ],
    }


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({}, {"start", "end"}),
        ({"start": "2026-06-01"}, {"end"}),
        ({"start": "morgen", "end": "2026-06-02"}, {"start"}),
        ({"start": "2026-06-01", "end": "2026-13-01"}, {"end"}),
        ({"start": "2026-06-02", "end": "2026-06-01"}, {"end"}),
        ({"start": "2026-06-01T10:00", "end": "2026-06-01T10:00"}, {"end"}),
        ({"start": "2026-06-01", "end": "2026-08-03"}, {"end"}),  # 63 days
        ({"start": "9999-12-30T00:00", "end": "9999-12-31T23:00"}, {"start", "end"}),
        ({"start": "0001-01-01T00:00", "end": "0001-01-02T00:00"}, {"start", "end"}),
    ],
)
def test_bad_windows_are_400_naming_the_field(api, tuesday_evenings, query, fields):
    response = api.get(url(tuesday_evenings), query)

    assert response.status_code == 400
    assert set(response.json()) == fields
    for messages in response.json().values():
        assert messages
        assert all(isinstance(message, str) for message in messages)


def test_sixty_two_days_are_allowed(api, tuesday_evenings):
    response = api.get(url(tuesday_evenings), {"start": "2026-06-01", "end": "2026-08-02"})

    assert response.status_code == 200
    assert len(response.json()["bookable"]) == 9


def test_inactive_resource_is_404_for_the_public_but_not_its_manager(api, api_as, manager_a, org_a):
    hidden = ResourceFactory(organisation=org_a, is_active=False)
    window = {"start": "2026-06-01", "end": "2026-06-02"}

    assert api.get(url(hidden), window).status_code == 404
    assert api_as(manager_a).get(url(hidden), window).status_code == 200


def test_unknown_resource_is_404(api):
    assert (
        api.get(
            "/api/v1/resources/999999/availability/", {"start": "2026-06-01", "end": "2026-06-02"}
        ).status_code
        == 404
    )


def test_availability_takes_a_fixed_number_of_queries(api, tuesday_evenings, django_assert_max_num_queries):
    OpeningHoursFactory.create_batch(5, resource=tuesday_evenings, weekday=3)

    # resource + opening hours + closures overlapping the window + bookings overlapping it
    with django_assert_max_num_queries(4):
        response = api.get(url(tuesday_evenings), {"start": "2026-06-01", "end": "2026-08-01"})

    assert response.status_code == 200


# --- Busy and free (the booking engine) ------------------------------------------------------------------


def test_busy_and_free_come_from_the_engine_with_buffers_and_never_who(api, tuesday_evenings, org_b):
    tuesday_evenings.buffer_after_minutes = 30
    tuesday_evenings.save()
    booker = MembershipFactory(
        organisation=org_b, user__name="Bernd Geheim", user__email="bernd@example.org"
    ).user
    BookingFactory(
        resource=tuesday_evenings,
        organisation=org_b,
        booked_by=booker,
        start=berlin(2026, 6, 2, 18, 30),
        end=berlin(2026, 6, 2, 19, 30),
        purpose="Vorstandssitzung",
    )
    BookingFactory(
        resource=tuesday_evenings,
        start=berlin(2026, 6, 2, 20),
        end=berlin(2026, 6, 2, 21),
        status="cancelled",
    )

    response = api.get(url(tuesday_evenings), {"start": "2026-06-02T00:00", "end": "2026-06-03T00:00"})

    assert response.json() == {
        "bookable": [{"start": "2026-06-02T18:00:00+02:00", "end": "2026-06-02T21:00:00+02:00"}],
        "busy": [{"start": "2026-06-02T18:30:00+02:00", "end": "2026-06-02T20:00:00+02:00", "quantity": 1}],
        "free": [
            {
                "start": "2026-06-02T18:00:00+02:00",
                "end": "2026-06-02T18:30:00+02:00",
                "available_quantity": 1,
            },
            {
                "start": "2026-06-02T20:00:00+02:00",
                "end": "2026-06-02T21:00:00+02:00",
                "available_quantity": 1,
            },
        ],
    }
    text = response.content.decode()
    for secret in ("Bernd", "bernd@", "Volkshochschule", "Vorstand", "organisation", "booked"):
        assert secret not in text


def test_equipment_busy_and_free_carry_units(api):
    chairs = ResourceFactory(kind="equipment", capacity=None, quantity=40)
    BookingFactory(resource=chairs, start=berlin(2026, 6, 1, 10), end=berlin(2026, 6, 1, 12), quantity=30)
    BookingFactory(resource=chairs, start=berlin(2026, 6, 1, 11), end=berlin(2026, 6, 1, 13), quantity=10)

    body = api.get(url(chairs), {"start": "2026-06-01T09:00", "end": "2026-06-01T14:00"}).json()

    assert [(b["start"][11:16], b["end"][11:16], b["quantity"]) for b in body["busy"]] == [
        ("10:00", "11:00", 30),
        ("11:00", "12:00", 40),
        ("12:00", "13:00", 10),
    ]
    assert [(f["start"][11:16], f["end"][11:16], f["available_quantity"]) for f in body["free"]] == [
        ("09:00", "10:00", 40),
        ("10:00", "11:00", 10),
        ("12:00", "13:00", 30),
        ("13:00", "14:00", 40),
    ]


def test_busy_across_the_autumn_change_keeps_its_offsets(api):
    room = ResourceFactory()
    # 01:00–04:00 Berlin on 25 October 2026: four real hours, the offset changes inside.
    BookingFactory(resource=room, start=berlin(2026, 10, 25, 1), end=berlin(2026, 10, 25, 4))

    body = api.get(url(room), {"start": "2026-10-25T00:00", "end": "2026-10-25T06:00"}).json()

    assert body["busy"] == [
        {"start": "2026-10-25T01:00:00+02:00", "end": "2026-10-25T04:00:00+01:00", "quantity": 1}
    ]
