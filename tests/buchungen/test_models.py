"""The table's own guards (check constraints, and on PostgreSQL the exclusion constraint) and GDPR."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from buchungen import services
from buchungen.errors import BookingConflict
from buchungen.models import ACTIVE_STATUSES, Booking, BookingTransition
from konten import services as account_services
from tests.buchungen.conftest import at
from tests.factories import BookingFactory, MembershipFactory, ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [
        {"end": at(2, 10)},  # end == start
        {"blocked_start": at(2, 10, 30)},  # after the start
        {"blocked_end": at(2, 11)},  # before the end
        {"quantity": 0},
        {"quantity": 2},  # exclusive
    ],
)
def test_check_constraints_refuse_impossible_rows(room, fields):
    values = {"start": at(2, 10), "end": at(2, 12), "blocked_start": at(2, 10), "blocked_end": at(2, 12)}
    values.update(fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingFactory(resource=room, **values)


def test_equipment_rows_may_have_several_units(beamers):
    assert BookingFactory(resource=beamers, quantity=3).quantity == 3


def test_duration_is_the_true_length(room):
    booking = BookingFactory(resource=room, start=at(2, 10), end=at(2, 12, 30))
    assert booking.duration == timedelta(hours=2, minutes=30)
    assert booking.is_active


# --- GDPR ------------------------------------------------------------------------------------------------


def test_erasing_an_account_keeps_its_bookings_anonymised(book, member_b, manager_a, room):
    room.requires_approval = True
    room.save()
    booking = book(member_b, room, at(2, 18), at(2, 21), purpose="Kurs")
    services.booking_approve(actor=manager_a, booking=booking)

    account_services.user_erase(user=member_b)

    booking.refresh_from_db()
    assert booking.booked_by is None
    assert booking.status == "confirmed"
    assert booking.organisation is not None  # the organisation stays: the statistics need it
    first = booking.transitions.first()
    assert first.actor is None
    assert booking.transitions.last().actor == manager_a


def test_the_approving_managers_account_can_be_erased_too(book, member_b, manager_a, org_a, room):
    MembershipFactory(organisation=org_a, role="manager")  # another manager, so the erase is allowed
    room.requires_approval = True
    room.save()
    booking = book(member_b, room, at(2, 18), at(2, 21))
    services.booking_approve(actor=manager_a, booking=booking)
    account_services.user_erase(user=manager_a)

    assert list(booking.transitions.values_list("actor", flat=True)) == [member_b.pk, None]


def test_a_resource_with_bookings_cannot_be_deleted(room):
    BookingFactory(resource=room)
    with pytest.raises(ProtectedError):
        room.delete()


# --- PostgreSQL: the exclusion constraint ----------------------------------------------------------------


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only")


@pytest.mark.postgres
def test_the_exclusion_constraint_covers_exactly_the_active_statuses(postgres):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
            ["booking_exclusive_no_overlap"],
        )
        (definition,) = cursor.fetchone()
    assert "EXCLUDE USING gist" in definition
    assert "tstzrange(blocked_start, blocked_end, '[)'::text) WITH &&" in definition
    for status in Booking.Status.values:
        assert (f"'{status}'" in definition) == (status in ACTIVE_STATUSES), status


@pytest.mark.postgres
def test_the_database_refuses_overlapping_exclusive_bookings_written_past_the_service(postgres, room):
    BookingFactory(resource=room, start=at(2, 10), end=at(2, 12))
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        BookingFactory(resource=room, start=at(2, 11), end=at(2, 13))
    assert excinfo.value.__cause__.sqlstate == "23P01"


@pytest.mark.postgres
def test_the_database_allows_touching_inactive_and_equipment_overlaps(postgres, room, beamers):
    BookingFactory(resource=room, start=at(2, 10), end=at(2, 12))
    BookingFactory(resource=room, start=at(2, 12), end=at(2, 13))  # half-open
    BookingFactory(resource=room, start=at(2, 10), end=at(2, 12), status="cancelled")
    BookingFactory(resource=beamers, start=at(2, 10), end=at(2, 12), quantity=2)
    BookingFactory(resource=beamers, start=at(2, 10), end=at(2, 12), quantity=1)
    BookingFactory(resource=ResourceFactory(), start=at(2, 10), end=at(2, 12))
    assert Booking.objects.count() == 6


@pytest.mark.postgres
def test_reactivating_an_overlapping_booking_is_refused_too(postgres, room):
    BookingFactory(resource=room, start=at(2, 10), end=at(2, 12))
    cancelled = BookingFactory(resource=room, start=at(2, 10), end=at(2, 12), status="cancelled")
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=cancelled.pk).update(status="confirmed")


@pytest.mark.postgres
def test_the_service_turns_the_constraint_into_a_conflict(postgres, book, member_a, room, monkeypatch):
    """Simulate a write that slipped past the lock: the service's own conflict check sees nothing, the
    constraint refuses, and the caller still gets a BookingConflict (not a 500)."""
    BookingFactory(resource=room, start=at(2, 10), end=at(2, 12))
    real_check = services.booking_conflicts
    calls = []

    def blind_first_check(**kwargs):
        calls.append(kwargs)
        return [] if len(calls) == 1 else real_check(**kwargs)

    monkeypatch.setattr(services, "booking_conflicts", blind_first_check)

    with pytest.raises(BookingConflict) as excinfo:
        book(member_a, room, at(2, 11), at(2, 13))

    assert excinfo.value.conflicts == [(at(2, 10), at(2, 12))]
    assert Booking.objects.count() == 1
    assert BookingTransition.objects.count() == 0
