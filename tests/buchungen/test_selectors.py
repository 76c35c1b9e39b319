"""Who sees which booking; busy and free intervals; the "free between" filter."""

from datetime import time

import pytest
from django.contrib.auth.models import AnonymousUser

from buchungen.selectors import bookings_visible_to, resource_availability, resources_free_between
from tests.buchungen.conftest import at
from tests.factories import BookingFactory, MembershipFactory, OpeningHoursFactory, ResourceFactory

pytestmark = pytest.mark.django_db


# --- Visibility -------------------------------------------------------------------------------------------


@pytest.fixture
def scene(org_a, org_b, member_a, manager_a, member_b, manager_b, coordinator, outsider):
    """Bookings of A's room by B, of B's room by A, of A's room by A, and of a skill A's member holds."""
    room_a = ResourceFactory(organisation=org_a)
    room_b = ResourceFactory(organisation=org_b)
    holder = MembershipFactory(organisation=org_a).user
    skill = ResourceFactory(organisation=org_a, kind="skill", capacity=None, holder=holder)
    return {
        "b_books_a": BookingFactory(resource=room_a, organisation=org_b, booked_by=member_b, start=at(2, 10)),
        "a_books_b": BookingFactory(resource=room_b, organisation=org_a, booked_by=member_a, start=at(3, 10)),
        "a_books_a": BookingFactory(
            resource=room_a, organisation=org_a, booked_by=manager_a, start=at(4, 10)
        ),
        "b_books_skill": BookingFactory(
            resource=skill, organisation=org_b, booked_by=manager_b, start=at(5, 10)
        ),
        "holder": holder,
    }


def visible(user, scene) -> set[str]:
    ids = set(bookings_visible_to(user).values_list("pk", flat=True))
    return {name for name, booking in scene.items() if name != "holder" and booking.pk in ids}


def test_member_sees_own_and_their_organisations_bookings(scene, member_a):
    # Not B's booking of A's room: members of the owner see only "taken", the managers see who.
    assert visible(member_a, scene) == {"a_books_b", "a_books_a"}


def test_manager_also_sees_bookings_of_their_organisations_resources(scene, manager_a):
    assert visible(manager_a, scene) == {"b_books_a", "a_books_b", "a_books_a", "b_books_skill"}


def test_members_of_the_other_organisation_see_their_side(scene, member_b, manager_b):
    assert visible(member_b, scene) == {"b_books_a", "b_books_skill"}
    assert visible(manager_b, scene) == {"b_books_a", "a_books_b", "b_books_skill"}


def test_skill_holder_sees_bookings_of_their_skill(scene):
    assert "b_books_skill" in visible(scene["holder"], scene)


def test_coordinator_sees_everything_and_outsiders_nothing(scene, coordinator, outsider):
    assert visible(coordinator, scene) == {"b_books_a", "a_books_b", "a_books_a", "b_books_skill"}
    assert visible(outsider, scene) == set()
    assert visible(AnonymousUser(), scene) == set()


def test_own_booking_stays_visible_after_leaving_the_organisation(scene, member_b):
    member_b.memberships.all().delete()
    assert visible(member_b, scene) == {"b_books_a"}


def test_several_matching_roles_list_a_booking_once(scene, manager_a):
    BookingFactory(
        resource=scene["a_books_a"].resource,
        organisation=manager_a.memberships.get().organisation,
        booked_by=manager_a,
        start=at(9, 10),
    )
    queryset = bookings_visible_to(manager_a)
    assert queryset.count() == len(set(queryset.values_list("pk", flat=True))) == 5


# --- Availability --------------------------------------------------------------------------------------


def test_room_busy_includes_buffers_and_free_is_the_rest_of_the_bookable_time(room):
    OpeningHoursFactory(resource=room, weekday=1, start=time(9), end=time(22))
    room.buffer_before_minutes = room.buffer_after_minutes = 30
    room.save()
    BookingFactory(resource=room, start=at(2, 12), end=at(2, 14))  # blocks 11:30–14:30
    BookingFactory(resource=room, start=at(2, 20), end=at(2, 23), status="requested")  # 19:30–23:30
    BookingFactory(resource=room, start=at(2, 16), end=at(2, 17), status="cancelled")

    availability = resource_availability(resource=room, start=at(2, 0), end=at(3, 0))

    assert availability["bookable"] == [(at(2, 9), at(2, 22))]
    assert availability["busy"] == [(at(2, 11, 30), at(2, 14, 30), 1), (at(2, 19, 30), at(2, 23, 30), 1)]
    assert availability["free"] == [(at(2, 9), at(2, 11, 30), 1), (at(2, 14, 30), at(2, 19, 30), 1)]


def test_busy_is_clipped_to_the_window(room):
    BookingFactory(resource=room, start=at(1, 22), end=at(2, 2))
    availability = resource_availability(resource=room, start=at(2, 0), end=at(2, 6))
    assert availability["busy"] == [(at(2, 0), at(2, 2), 1)]
    assert availability["free"] == [(at(2, 2), at(2, 6), 1)]


def test_equipment_busy_sums_units_per_piece_and_free_has_the_units_left(beamers):
    BookingFactory(resource=beamers, start=at(2, 10), end=at(2, 14), quantity=1)
    BookingFactory(resource=beamers, start=at(2, 12), end=at(2, 16), quantity=2)

    availability = resource_availability(resource=beamers, start=at(2, 8), end=at(2, 18))

    assert availability["busy"] == [
        (at(2, 10), at(2, 12), 1),
        (at(2, 12), at(2, 14), 3),
        (at(2, 14), at(2, 16), 2),
    ]
    assert availability["free"] == [
        (at(2, 8), at(2, 10), 3),
        (at(2, 10), at(2, 12), 2),
        (at(2, 14), at(2, 16), 1),
        (at(2, 16), at(2, 18), 3),
    ]


def test_touching_bookings_with_the_same_units_make_one_busy_piece(room):
    BookingFactory(resource=room, start=at(2, 10), end=at(2, 12))
    BookingFactory(resource=room, start=at(2, 12), end=at(2, 13))
    assert resource_availability(resource=room, start=at(2, 9), end=at(2, 14))["busy"] == [
        (at(2, 10), at(2, 13), 1)
    ]


def test_availability_takes_three_queries(room, django_assert_num_queries):
    for day in (2, 3, 4):
        BookingFactory(resource=room, start=at(day, 10))
    with django_assert_num_queries(3):  # opening hours, closures, bookings
        resource_availability(resource=room, start=at(2, 0), end=at(9, 0))


# --- Free between ------------------------------------------------------------------------------------------


def test_free_between_drops_taken_rooms_and_full_equipment(org_a, room, beamers):
    other_room = ResourceFactory(organisation=org_a)
    busy_tools = ResourceFactory(organisation=org_a, kind="equipment", capacity=None, quantity=2)
    BookingFactory(resource=room, start=at(2, 18), end=at(2, 20))
    BookingFactory(resource=beamers, start=at(2, 18), end=at(2, 20), quantity=2)  # one left
    BookingFactory(resource=busy_tools, start=at(2, 17), end=at(2, 22), quantity=2)  # none left
    BookingFactory(resource=other_room, start=at(2, 20), end=at(2, 22))  # touches: free

    free = resources_free_between(
        resources=[room, beamers, other_room, busy_tools], start=at(2, 19), end=at(2, 20)
    )

    assert free == [beamers, other_room]


def test_free_between_uses_each_resources_own_buffers(org_a, room):
    tidy = ResourceFactory(organisation=org_a, buffer_after_minutes=60)
    BookingFactory(resource=room, start=at(2, 21), end=at(2, 22))
    BookingFactory(resource=tidy, start=at(2, 21), end=at(2, 22))

    # 18:00–20:30: the room is free; the other one needs an hour to tidy up after, into 21:00.
    assert resources_free_between(resources=[room, tidy], start=at(2, 18), end=at(2, 20, 30)) == [room]


def test_free_between_takes_one_query_for_any_number_of_resources(org_a, django_assert_num_queries):
    resources = ResourceFactory.create_batch(20, organisation=org_a)
    for resource in resources[::2]:
        BookingFactory(resource=resource, start=at(2, 18), end=at(2, 20))
    with django_assert_num_queries(1):
        free = resources_free_between(resources=resources, start=at(2, 19), end=at(2, 21))
    assert free == resources[1::2]
    with django_assert_num_queries(0):
        assert resources_free_between(resources=[], start=at(2, 19), end=at(2, 21)) == []
