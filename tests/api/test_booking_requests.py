"""/api/v1/booking-requests/: bundles — 201 all, 400 per item, 403, 409 per item, nothing written on any
refusal; list (constant queries), detail (404 for others), cancel."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buchungen.models import Booking, BookingRequest, BookingTransition
from konten.models import Membership
from tests.factories import BookingFactory, MembershipFactory, OrganisationFactory, ResourceFactory

BERLIN = ZoneInfo("Europe/Berlin")
URL = "/api/v1/booking-requests/"

pytestmark = pytest.mark.django_db


def _next_tuesday() -> date:
    today = timezone.localdate() + timedelta(weeks=2)
    return today + timedelta(days=(1 - today.weekday()) % 7)


TUESDAY = _next_tuesday()


def local(hour: int, minute: int = 0, day: date = TUESDAY) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def berlin(hour: int, minute: int = 0, day: date = TUESDAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


@pytest.fixture
def org_c(db):
    return OrganisationFactory(name="Technikverein Meißen e.V.", slug="technik")


@pytest.fixture
def room(org_a):
    return ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen")


@pytest.fixture
def projector(org_b):
    return ResourceFactory(
        organisation=org_b, kind="equipment", name="Beamer", capacity=None, quantity=2, requires_approval=True
    )


@pytest.fixture
def technician(org_c):
    holder = MembershipFactory(organisation=org_c).user
    return ResourceFactory(
        organisation=org_c,
        kind="skill",
        name="Tontechnik",
        capacity=None,
        holder=holder,
        requires_approval=True,
    )


def entry(resource, start: str, end: str, **more) -> dict:
    return {"resource": resource.pk, "start": start, "end": end, **more}


def body(organisation, *items, **more) -> dict:
    return {"organisation": organisation.pk if organisation else None, "items": list(items), **more}


def nothing_written(bookings_before: int = 0) -> bool:
    return (
        not BookingRequest.objects.exists()
        and Booking.objects.count() == bookings_before
        and BookingTransition.objects.count() == 0
    )


# --- POST: 201 ------------------------------------------------------------------------------------------


def test_a_member_books_three_owners_resources_in_one_request(
    api_as, member_a, org_a, room, projector, technician
):
    response = api_as(member_a).post(
        URL,
        body(
            org_a,
            entry(room, local(18), local(22)),
            entry(projector, local(18), local(22), quantity=2),
            entry(technician, local(19), local(21)),
            purpose="Konzert",
            participants=80,
        ),
        format="json",
    )

    assert response.status_code == 201, response.content
    data = response.json()
    request = BookingRequest.objects.get()
    assert response["Location"].endswith(f"{URL}{request.pk}/")
    assert data["id"] == request.pk
    assert data["organisation"]["slug"] == org_a.slug
    assert (data["purpose"], data["participants"]) == ("Konzert", 80)
    assert (data["state"], data["waiting_for"]) == ("waiting", 2)
    assert data["state_label"] == "Waiting for 2 decisions"
    assert [part["resource"]["id"] for part in data["items"]] == [room.pk, projector.pk, technician.pk]
    assert [part["status"] for part in data["items"]] == ["confirmed", "requested", "requested"]
    assert data["items"][1]["quantity"] == 2
    assert data["items"][1]["resource"]["organisation"]["id"] == projector.organisation_id
    offset = berlin(18).strftime("%z")
    assert data["items"][0]["start"] == f"{local(18)}:00{offset[:3]}:{offset[3:]}"
    assert data["created"][-6] in "+-"  # with the Berlin offset
    assert Booking.objects.filter(request=request).count() == 3


def test_times_with_an_offset_are_taken_as_given(api_as, member_a, org_a, room):
    start = berlin(18).isoformat()
    response = api_as(member_a).post(
        URL, body(org_a, entry(room, start, berlin(20).isoformat())), format="json"
    )
    assert response.status_code == 201, response.content
    assert Booking.objects.get().start == berlin(18)


def test_create_costs_a_constant_number_of_queries_per_item(api_as, member_a, org_a, org_b, room):
    client = api_as(member_a)
    resources = [ResourceFactory(organisation=org_b, kind="equipment", capacity=None) for _ in range(9)]
    counts = {}
    for size in (1, 3, 9):
        items = [
            entry(
                resource,
                local(10, day=TUESDAY + timedelta(days=size)),
                local(12, day=TUESDAY + timedelta(days=size)),
            )
            for resource in resources[:size]
        ]
        with CaptureQueriesContext(connection) as queries:
            response = client.post(URL, body(org_a, *items), format="json")
        assert response.status_code == 201, response.content
        counts[size] = len(queries)
    per_item = (counts[9] - counts[3]) / 6
    assert per_item == (counts[3] - counts[1]) / 2  # linear: the same cost for each further item
    # Measured: 8 + 7 per item (docs/booking-bundles.md); one more per item whose resource has a quota.
    assert per_item <= 7, counts
    assert counts[1] <= 15, counts


# --- POST: 400 per item, nothing written ------------------------------------------------------------------


def test_a_rule_broken_by_one_item_is_400_with_the_errors_per_item(api_as, member_a, org_a, room, projector):
    past = (timezone.localdate() - timedelta(days=2)).isoformat()
    response = api_as(member_a).post(
        URL,
        body(
            org_a,
            entry(room, local(18), local(20)),
            entry(projector, f"{past}T10:00", f"{past}T12:00"),
            entry(room, local(21), local(20)),
        ),
        format="json",
    )

    assert response.status_code == 400, response.content
    errors = response.json()["items"]
    assert errors[0] == {}
    assert set(errors[1]) == {"start"}
    assert errors[2] == {"end": ["The end must be after the start."]}
    assert nothing_written()


def test_malformed_items_are_400_per_item(api_as, member_a, org_a, room):
    response = api_as(member_a).post(
        URL,
        body(
            org_a,
            entry(room, local(18), local(20)),
            {"resource": 999_999, "start": "morgen", "end": local(20)},
        ),
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()["items"]
    assert errors[0] == {}
    assert set(errors[1]) == {"resource", "start"}
    assert nothing_written()


@pytest.mark.parametrize("count", [0, 11])
def test_a_request_has_one_to_ten_items(api_as, member_a, org_a, org_b, count):
    resources = [ResourceFactory(organisation=org_b) for _ in range(count)]
    items = [entry(resource, local(10), local(12)) for resource in resources]
    response = api_as(member_a).post(URL, body(org_a, *items), format="json")
    assert response.status_code == 400
    messages = response.json()["items"]
    assert messages and all(isinstance(message, str) for message in messages)
    assert nothing_written()


def test_booking_for_an_organisation_one_does_not_belong_to_is_403(api_as, member_b, org_a, room):
    response = api_as(member_b).post(URL, body(org_a, entry(room, local(18), local(20))), format="json")
    assert response.status_code == 403
    assert nothing_written()


def test_anonymous_callers_get_401(api, org_a, room):
    response = api.post(URL, body(org_a, entry(room, local(18), local(20))), format="json")
    assert response.status_code == 401
    assert api.get(URL).status_code == 401


def test_an_outsider_without_organisation_gets_the_audience_error_per_item(api_as, outsider, room):
    response = api_as(outsider).post(URL, body(None, entry(room, local(18), local(20))), format="json")
    assert response.status_code == 400
    assert set(response.json()["items"][0]) == {"organisation"}
    assert nothing_written()


# --- POST: 409 per item, nothing written -------------------------------------------------------------------


def test_a_taken_item_is_409_naming_the_item_and_nothing_is_booked(api_as, member_a, org_a, room, projector):
    BookingFactory(resource=room, start=berlin(17), end=berlin(19))

    response = api_as(member_a).post(
        URL,
        body(org_a, entry(projector, local(18), local(20)), entry(room, local(18), local(20))),
        format="json",
    )

    assert response.status_code == 409, response.content
    data = response.json()
    assert data["detail"]
    offset = berlin(17).isoformat()[-6:]
    assert data["conflicts"] == [
        {"start": f"{local(17)}:00{offset}", "end": f"{local(19)}:00{offset}", "item": 1}
    ]
    assert "booked_by" not in response.content.decode()
    assert nothing_written(bookings_before=1)


def test_two_items_of_one_request_overlapping_on_one_room_are_409(api_as, member_a, org_a, room):
    response = api_as(member_a).post(
        URL, body(org_a, entry(room, local(10), local(12)), entry(room, local(11), local(13))), format="json"
    )
    assert response.status_code == 409
    assert [conflict["item"] for conflict in response.json()["conflicts"]] == [1]
    assert nothing_written()


# --- GET ------------------------------------------------------------------------------------------------


@pytest.fixture
def requests_of_a(api_as, member_a, org_a, room, projector):
    """Three requests of organisation A, each with two parts."""
    client = api_as(member_a)
    for days in range(3):
        day = TUESDAY + timedelta(days=days)
        response = client.post(
            URL,
            body(
                org_a,
                entry(room, local(10, day=day), local(12, day=day)),
                entry(projector, local(10, day=day), local(12, day=day)),
            ),
            format="json",
        )
        assert response.status_code == 201, response.content
    return list(BookingRequest.objects.order_by("pk"))


@pytest.mark.parametrize(
    ("persona", "count"),
    [
        ("member_a", 3),
        ("manager_a", 3),
        ("coordinator", 3),
        ("manager_b", 0),
        ("member_b", 0),
        ("outsider", 0),
    ],
)
def test_the_list_shows_the_callers_requests(request, api_as, requests_of_a, persona, count):
    response = api_as(request.getfixturevalue(persona)).get(URL)
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == count
    if count:
        assert [item["id"] for item in data["results"]] == [r.pk for r in reversed(requests_of_a)]
        assert len(data["results"][0]["items"]) == 2


def test_the_list_costs_the_same_queries_for_one_or_many_requests(
    api_as, member_a, org_a, room, projector, django_assert_max_num_queries
):
    client = api_as(member_a)
    counts = []
    for days in range(4):
        day = TUESDAY + timedelta(days=days)
        client.post(
            URL,
            body(
                org_a,
                entry(room, local(10, day=day), local(12, day=day)),
                entry(projector, local(10, day=day), local(12, day=day)),
            ),
            format="json",
        )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        counts.append(len(queries))
    assert len(set(counts)) == 1, counts
    with django_assert_max_num_queries(6):
        client.get(URL)


def test_detail_is_404_for_those_who_may_not_see_it(api_as, requests_of_a, member_b, manager_b, member_a):
    pk = requests_of_a[0].pk
    assert api_as(member_a).get(f"{URL}{pk}/").status_code == 200
    # manager_b owns the projector part: sees that booking, not the request.
    for user in (member_b, manager_b):
        assert api_as(user).get(f"{URL}{pk}/").status_code == 404
    assert api_as(member_a).get(f"{URL}999999/").status_code == 404


def test_the_owner_decides_its_part_and_the_request_shows_it(api_as, requests_of_a, member_a, manager_b):
    request = requests_of_a[0]
    projector_part = request.items.get(status="requested")
    response = api_as(manager_b).post(
        f"/api/v1/bookings/{projector_part.pk}/decline/", {"comment": "defekt"}, format="json"
    )
    assert response.status_code == 200

    data = api_as(member_a).get(f"{URL}{request.pk}/").json()
    assert data["state"] == "partly_declined"
    assert [part["status"] for part in data["items"]] == ["confirmed", "declined"]


# --- Cancel ---------------------------------------------------------------------------------------------


def test_the_borrower_cancels_the_whole_request(api_as, requests_of_a, member_a):
    request = requests_of_a[0]
    response = api_as(member_a).post(f"{URL}{request.pk}/cancel/", {"comment": "abgesagt"}, format="json")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "cancelled"
    assert {part["status"] for part in data["items"]} == {"cancelled"}
    # The other requests are untouched.
    assert set(Booking.objects.exclude(request=request).values_list("status", flat=True)) == {
        "confirmed",
        "requested",
    }

    again = api_as(member_a).post(f"{URL}{request.pk}/cancel/", {}, format="json")
    assert again.status_code == 400
    assert "non_field_errors" in again.json()


def test_cancel_by_others(api_as, requests_of_a, coordinator, manager_b):
    pk = requests_of_a[0].pk
    # The coordinator sees but decides nothing; an owner of one part does not see the request at all.
    assert api_as(coordinator).post(f"{URL}{pk}/cancel/", {}, format="json").status_code == 403
    assert api_as(manager_b).post(f"{URL}{pk}/cancel/", {}, format="json").status_code == 404
    assert not Booking.objects.filter(status="cancelled").exists()


def test_a_colleague_in_the_borrowing_organisation_may_cancel(api_as, requests_of_a, org_a):
    colleague = MembershipFactory(organisation=org_a, role=Membership.Role.MEMBER).user
    response = api_as(colleague).post(f"{URL}{requests_of_a[1].pk}/cancel/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
