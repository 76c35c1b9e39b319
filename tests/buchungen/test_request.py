"""booking_request: every rule accepted and refused, and a refusal writes nothing."""

from datetime import time, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buchungen.models import Booking, BookingTransition
from konten.models import Membership
from ressourcen.models import Closure
from tests.buchungen.conftest import NOW, at
from tests.factories import MembershipFactory, OpeningHoursFactory, ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def nothing_written():
    """Asserts, after the test's refusal, that no booking and no step exist."""
    yield
    assert not Booking.objects.exists()
    assert not BookingTransition.objects.exists()


def refused_fields(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


# --- The happy path -------------------------------------------------------------------------------------


def test_member_books_a_room_for_their_organisation_and_it_is_confirmed_at_once(book, member_a, org_a, room):
    booking = book(member_a, room, at(2, 18), at(2, 21), purpose="  Chorprobe ", participants=12)

    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert (booking.start, booking.end) == (at(2, 18), at(2, 21))
    assert (booking.blocked_start, booking.blocked_end) == (at(2, 18), at(2, 21))
    assert booking.organisation == org_a
    assert booking.booked_by == member_a
    assert booking.exclusive is True
    assert booking.purpose == "Chorprobe"
    assert booking.participants == 12
    (step,) = booking.transitions.all()
    assert (step.from_status, step.to_status, step.actor) == ("", "confirmed", member_a)


def test_a_resource_that_needs_approval_gets_a_request(book, member_b, room):
    room.requires_approval = True
    room.save()

    booking = book(member_b, room, at(2, 18), at(2, 21))

    assert booking.status == "requested"
    assert booking.transitions.get().to_status == "requested"


def test_times_are_stored_in_utc(book, member_a, room):
    booking = book(member_a, room, at(2, 18), at(2, 21))
    booking.refresh_from_db()
    assert booking.start.utcoffset() == timedelta(0)
    assert booking.start.hour == 16  # 18:00 summer time


def test_naive_times_are_a_programming_error(book, member_a, room):
    with pytest.raises(ValueError, match="aware"):
        book(member_a, room, at(2, 18).replace(tzinfo=None), at(2, 21))


# --- End after start ---------------------------------------------------------------------------------


@pytest.mark.parametrize("end", [at(2, 18), at(2, 17)])
def test_end_must_be_after_start(book, member_a, room, end, nothing_written):
    with pytest.raises(ValidationError) as excinfo:
        book(member_a, room, at(2, 18), end)
    assert refused_fields(excinfo) == {"end"}


# --- Who may book ----------------------------------------------------------------------------------------


def test_anonymous_cannot_book(book, room, nothing_written):
    with pytest.raises(PermissionDenied):
        book(AnonymousUser(), room, at(2, 18), at(2, 21), organisation=None)


def test_own_organisation_only_accepts_its_members(book, member_a, org_a, room):
    room.audience = "organisation"
    room.save()
    assert book(member_a, room, at(2, 18), at(2, 21), organisation=org_a).status == "confirmed"


def test_own_organisation_only_refuses_other_organisations(book, member_b, org_b, room, nothing_written):
    room.audience = "organisation"
    room.save()
    with pytest.raises(ValidationError) as excinfo:
        book(member_b, room, at(2, 18), at(2, 21), organisation=org_b)
    assert refused_fields(excinfo) == {"organisation"}
    assert "Hafenstraße" in excinfo.value.message_dict["organisation"][0]


def test_own_organisation_only_refuses_outsiders_booking_in_its_name(
    book, member_b, org_a, room, nothing_written
):
    room.audience = "organisation"
    room.save()
    with pytest.raises(PermissionDenied):
        book(member_b, room, at(2, 18), at(2, 21), organisation=org_a)


def test_network_resource_accepts_members_of_other_organisations(book, member_b, org_b, room):
    assert book(member_b, room, at(2, 18), at(2, 21)).organisation == org_b


def test_network_resource_needs_an_organisation(book, member_b, room, nothing_written):
    with pytest.raises(ValidationError) as excinfo:
        book(member_b, room, at(2, 18), at(2, 21), organisation=None)
    assert refused_fields(excinfo) == {"organisation"}


def test_public_resource_can_be_booked_by_a_person_without_organisation(book, outsider, room):
    room.audience = "public"
    room.save()
    booking = book(outsider, room, at(2, 18), at(2, 21))
    assert booking.organisation is None
    assert booking.booked_by == outsider


def test_member_of_another_organisation_cannot_book_for_organisation_a(
    book, member_b, org_a, room, nothing_written
):
    with pytest.raises(PermissionDenied):
        book(member_b, room, at(2, 18), at(2, 21), organisation=org_a)


def test_public_resource_still_refuses_booking_for_a_foreign_organisation(
    book, outsider, org_a, room, nothing_written
):
    room.audience = "public"
    room.save()
    with pytest.raises(PermissionDenied):
        book(outsider, room, at(2, 18), at(2, 21), organisation=org_a)


def test_coordinator_cannot_book_for_an_organisation_they_do_not_belong_to(
    book, coordinator, org_a, room, nothing_written
):
    with pytest.raises(PermissionDenied):
        book(coordinator, room, at(2, 18), at(2, 21), organisation=org_a)


# --- Active ---------------------------------------------------------------------------------------------


def test_inactive_resource_cannot_be_booked(book, member_a, room, nothing_written):
    room.is_active = False
    room.save()
    with pytest.raises(ValidationError) as excinfo:
        book(member_a, room, at(2, 18), at(2, 21))
    assert refused_fields(excinfo) == {"resource"}


# --- Duration ------------------------------------------------------------------------------------------


def test_minimum_duration_is_accepted(book, member_a, room):
    room.min_duration_minutes = 60
    room.save()
    assert book(member_a, room, at(2, 18), at(2, 19)).duration == timedelta(hours=1)


def test_shorter_than_the_minimum_is_refused(book, member_a, room, nothing_written):
    room.min_duration_minutes = 60
    room.save()
    with pytest.raises(ValidationError) as excinfo:
        book(member_a, room, at(2, 18), at(2, 18, 59))
    assert refused_fields(excinfo) == {"end"}
    assert "1 hour" in excinfo.value.message_dict["end"][0]


def test_maximum_duration_is_accepted(book, member_a, room):
    room.max_duration_minutes = 180
    room.save()
    assert book(member_a, room, at(2, 18), at(2, 21)).duration == timedelta(hours=3)


def test_longer_than_the_maximum_is_refused(book, member_a, room, nothing_written):
    room.max_duration_minutes = 180
    room.save()
    with pytest.raises(ValidationError) as excinfo:
        book(member_a, room, at(2, 18), at(2, 21, 1))
    assert refused_fields(excinfo) == {"end"}


# --- Lead time and maximum advance --------------------------------------------------------------------


def test_lead_time_is_accepted_exactly(book, member_a, room):
    room.lead_time_hours = 48
    room.save()
    assert book(member_a, room, NOW + timedelta(hours=48), NOW + timedelta(hours=50))


def test_lead_time_refuses_a_late_request(book, member_a, room, nothing_written):
    room.lead_time_hours = 48
    room.save()
    with pytest.raises(ValidationError) as excinfo:
        book(member_a, room, NOW + timedelta(hours=47), NOW + timedelta(hours=50))
    assert refused_fields(excinfo) == {"start"}
    assert "2 days" in excinfo.value.message_dict["start"][0]


def test_the_past_cannot_be_booked(book, member_a, room, nothing_written):
    with pytest.raises(ValidationError) as excinfo:
        book(member_a, room, NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    assert refused_fields(excinfo) == {"start"}


def test_maximum_advance_is_accepted_exactly(book, member_a, room):
    room.max_advance_days = 30
    room.save()
    assert book(member_a, room, NOW + timedelta(days=30), NOW + timedelta(days=30, hours=2))


def test_beyond_the_maximum_advance_is_refused(book, member_a, room, nothing_written):
    room.max_advance_days = 30
    room.save()
    with pytest.raises(ValidationError) as excinfo:
        book(member_a, room, NOW + timedelta(days=30, minutes=1), NOW + timedelta(days=30, hours=2))
    assert refused_fields(excinfo) == {"start"}


def test_several_policy_problems_are_reported_together(book, member_a, room, nothing_written):
    room.max_duration_minutes = 60
    room.max_advance_days = 30
    room.save()
    with pytest.raises(ValidationError) as excinfo:
        book(member_a, room, NOW + timedelta(days=40), NOW + timedelta(days=40, hours=3), quantity=2)
    assert refused_fields(excinfo) == {"start", "end", "quantity"}


# --- Opening hours and closures -------------------------------------------------------------------------


@pytest.fixture
def tuesday_evenings(room):
    OpeningHoursFactory(resource=room, weekday=1, start=time(18), end=time(22))
    return room


def test_inside_the_opening_hours_is_accepted(book, member_a, tuesday_evenings):
    assert book(member_a, tuesday_evenings, at(2, 18), at(2, 22))


@pytest.mark.parametrize(
    ("start", "end"), [(at(2, 17, 30), at(2, 19)), (at(2, 21), at(2, 22, 30)), (at(3, 18), at(3, 20))]
)
def test_outside_the_opening_hours_is_refused(book, member_a, tuesday_evenings, start, end, nothing_written):
    with pytest.raises(ValidationError) as excinfo:
        book(member_a, tuesday_evenings, start, end)
    assert refused_fields(excinfo) == {"start"}


def test_a_closure_is_refused(book, member_a, org_a, tuesday_evenings, nothing_written):
    Closure.objects.create(organisation=org_a, start=at(2, 0), end=at(3, 0), reason="Betriebsausflug")
    with pytest.raises(ValidationError) as excinfo:
        book(member_a, tuesday_evenings, at(2, 18), at(2, 20))
    assert refused_fields(excinfo) == {"start"}


def test_buffers_may_reach_outside_the_opening_hours(book, member_a, tuesday_evenings):
    tuesday_evenings.buffer_before_minutes = 30
    tuesday_evenings.buffer_after_minutes = 30
    tuesday_evenings.save()

    booking = book(member_a, tuesday_evenings, at(2, 18), at(2, 22))

    assert (booking.blocked_start, booking.blocked_end) == (at(2, 17, 30), at(2, 22, 30))


# --- Quantity --------------------------------------------------------------------------------------------


def test_equipment_can_be_booked_up_to_its_stock(book, member_a, beamers):
    booking = book(member_a, beamers, at(2, 10), at(2, 12), quantity=3)
    assert booking.quantity == 3
    assert booking.exclusive is False


@pytest.mark.parametrize("quantity", [4, 0, -1])
def test_equipment_quantity_beyond_stock_or_below_one_is_refused(
    book, member_a, beamers, quantity, nothing_written
):
    with pytest.raises(ValidationError) as excinfo:
        book(member_a, beamers, at(2, 10), at(2, 12), quantity=quantity)
    assert refused_fields(excinfo) == {"quantity"}


def test_a_room_is_booked_whole(book, member_a, room, nothing_written):
    with pytest.raises(ValidationError) as excinfo:
        book(member_a, room, at(2, 10), at(2, 12), quantity=2)
    assert refused_fields(excinfo) == {"quantity"}


def test_negative_participants_are_refused(book, member_a, room, nothing_written):
    with pytest.raises(ValidationError) as excinfo:
        book(member_a, room, at(2, 10), at(2, 12), participants=-3)
    assert refused_fields(excinfo) == {"participants"}


# --- Quota ---------------------------------------------------------------------------------------------


@pytest.fixture
def quota_room(room):
    room.quota_hours_per_month = 4
    room.save()
    return room


def test_quota_is_accepted_up_to_the_limit(book, member_a, quota_room):
    book(member_a, quota_room, at(2, 10), at(2, 13))
    book(member_a, quota_room, at(3, 10), at(3, 11))
    assert Booking.objects.count() == 2


def test_quota_refuses_hours_beyond_the_limit(book, member_a, quota_room):
    book(member_a, quota_room, at(2, 10), at(2, 13))
    with pytest.raises(ValidationError) as excinfo:
        book(member_a, quota_room, at(3, 10), at(3, 12))
    assert refused_fields(excinfo) == {"organisation"}
    assert "Hours left in June 2026: 1." in excinfo.value.message_dict["organisation"][0]
    assert Booking.objects.count() == 1
    assert BookingTransition.objects.count() == 1


def test_quota_is_per_organisation(book, member_a, member_b, quota_room):
    book(member_a, quota_room, at(2, 10), at(2, 14))
    assert book(member_b, quota_room, at(3, 10), at(3, 14))


def test_quota_is_per_calendar_month_in_berlin(book, member_a, quota_room):
    book(member_a, quota_room, at(30, 10), at(30, 14))
    # 1 July 00:00 Berlin is 30 June 22:00 UTC: a booking from then on counts for July.
    assert book(member_a, quota_room, at(1, 0, month=7), at(1, 4, month=7))


def test_a_booking_across_the_month_end_counts_in_both_months(book, member_a, quota_room):
    book(member_a, quota_room, at(30, 22), at(1, 2, month=7))  # 2 h in June, 2 h in July
    book(member_a, quota_room, at(29, 10), at(29, 12))  # June full
    with pytest.raises(ValidationError):
        book(member_a, quota_room, at(28, 10), at(28, 10, 30))
    assert book(member_a, quota_room, at(2, 10, month=7), at(2, 12, month=7))  # July: 2 h left


def test_cancelled_and_declined_bookings_give_their_hours_back(book, member_a, quota_room):
    first = book(member_a, quota_room, at(2, 10), at(2, 14))
    Booking.objects.filter(pk=first.pk).update(status="cancelled")
    assert book(member_a, quota_room, at(3, 10), at(3, 14))


def test_completed_bookings_still_count_against_the_quota(book, member_a, quota_room):
    first = book(member_a, quota_room, at(2, 10), at(2, 14))
    Booking.objects.filter(pk=first.pk).update(status="completed")
    with pytest.raises(ValidationError):
        book(member_a, quota_room, at(3, 10), at(3, 11))


def test_a_person_without_organisation_has_no_quota(book, outsider, quota_room):
    quota_room.audience = "public"
    quota_room.save()
    book(outsider, quota_room, at(2, 10), at(2, 14))
    assert book(outsider, quota_room, at(3, 10), at(3, 14))


# --- Query count -------------------------------------------------------------------------------------


def test_a_request_takes_a_fixed_number_of_queries(book, member_a, org_a, room):
    OpeningHoursFactory.create_batch(3, resource=room, weekday=1, start=time(8), end=time(23))
    MembershipFactory.create_batch(5, organisation=org_a, role=Membership.Role.MEMBER)
    for day in (9, 16, 23):
        book(member_a, room, at(day, 10), at(day, 12))

    with CaptureQueriesContext(connection) as queries:
        book(member_a, room, at(2, 10), at(2, 12), organisation=org_a)

    # membership, opening hours, closures, resource lock, conflicts, booking, step (+ savepoints)
    statements = [q["sql"] for q in queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 7, statements


def test_other_resources_and_other_organisations_are_irrelevant(book, member_a, member_b, room):
    other = ResourceFactory(organisation=room.organisation)
    book(member_b, other, at(2, 10), at(2, 12))
    assert book(member_a, room, at(2, 10), at(2, 12))
