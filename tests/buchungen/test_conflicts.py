"""Never a double booking: half-open intervals, buffers, equipment peaks, and the clock changes."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from buchungen.errors import BookingConflict
from buchungen.models import Booking, BookingTransition
from buchungen.selectors import booking_conflicts, usage_profile
from tests.buchungen.conftest import BERLIN, at
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


def conflict_of(book, *args, **kwargs) -> list[tuple[datetime, datetime]]:
    before = (Booking.objects.count(), BookingTransition.objects.count())
    with pytest.raises(BookingConflict) as excinfo:
        book(*args, **kwargs)
    assert (Booking.objects.count(), BookingTransition.objects.count()) == before, "a conflict wrote"
    return excinfo.value.conflicts


# --- Rooms and skills --------------------------------------------------------------------------------------


def test_an_overlapping_booking_of_a_room_is_a_conflict_naming_the_taken_time(book, member_a, member_b, room):
    book(member_a, room, at(2, 10), at(2, 12))

    conflicts = conflict_of(book, member_b, room, at(2, 11), at(2, 13))

    assert conflicts == [(at(2, 10), at(2, 12))]


@pytest.mark.parametrize(
    ("start", "end"),
    [(at(2, 9), at(2, 13)), (at(2, 10, 30), at(2, 11)), (at(2, 9), at(2, 10, 1)), (at(2, 11, 59), at(2, 14))],
)
def test_every_kind_of_overlap_conflicts(book, member_a, room, start, end):
    book(member_a, room, at(2, 10), at(2, 12))
    assert conflict_of(book, member_a, room, start, end)


def test_intervals_are_half_open_ending_at_ten_and_starting_at_ten_do_not_conflict(
    book, member_a, member_b, room
):
    book(member_a, room, at(2, 8), at(2, 10))

    after = book(member_b, room, at(2, 10), at(2, 12))
    before = book(member_b, room, at(2, 6), at(2, 8))

    assert after.status == before.status == "confirmed"


def test_buffers_widen_the_taken_time(book, member_a, member_b, room):
    room.buffer_before_minutes = 15
    room.buffer_after_minutes = 30
    room.save()
    book(member_a, room, at(2, 10), at(2, 12))  # blocks 09:45–12:30

    conflicts = conflict_of(book, member_b, room, at(2, 12, 30), at(2, 14))  # blocks 12:15–14:15
    assert conflicts == [(at(2, 9, 45), at(2, 12, 30))]
    conflicts = conflict_of(book, member_b, room, at(2, 8), at(2, 9, 50))  # blocks 07:45–10:20
    assert conflicts == [(at(2, 9, 45), at(2, 12, 30))]
    # Buffer to buffer: the next booking's set-up starts as this one's tidy-up ends.
    assert book(member_b, room, at(2, 12, 45), at(2, 14))
    assert book(member_b, room, at(2, 7), at(2, 9))  # blocks 06:45–09:30


def test_buffers_of_the_time_of_booking_stay_when_the_policy_changes(book, member_a, member_b, room):
    room.buffer_after_minutes = 60
    room.save()
    book(member_a, room, at(2, 10), at(2, 12))  # blocks until 13:00
    room.buffer_after_minutes = 0
    room.save()

    assert conflict_of(book, member_b, room, at(2, 12, 30), at(2, 14)) == [(at(2, 10), at(2, 13))]


@pytest.mark.parametrize("status", ["declined", "expired", "cancelled", "returned", "completed", "no_show"])
def test_inactive_bookings_do_not_block(book, member_a, room, status):
    BookingFactory(resource=room, start=at(2, 10), end=at(2, 12), status=status)
    assert book(member_a, room, at(2, 10), at(2, 12))


@pytest.mark.parametrize("status", ["requested", "confirmed", "checked_out"])
def test_active_bookings_block(book, member_a, room, status):
    BookingFactory(resource=room, start=at(2, 10), end=at(2, 12), status=status)
    assert conflict_of(book, member_a, room, at(2, 11), at(2, 12))


def test_conflicts_list_several_taken_times_sorted(book, member_a, room):
    BookingFactory(resource=room, start=at(2, 14), end=at(2, 15))
    BookingFactory(resource=room, start=at(2, 10), end=at(2, 11))
    assert conflict_of(book, member_a, room, at(2, 9), at(2, 16)) == [
        (at(2, 10), at(2, 11)),
        (at(2, 14), at(2, 15)),
    ]


# --- Equipment ------------------------------------------------------------------------------------------


def test_equipment_is_lent_up_to_its_stock_at_the_same_time(book, member_a, member_b, beamers):
    book(member_a, beamers, at(2, 10), at(2, 12), quantity=2)
    book(member_b, beamers, at(2, 10), at(2, 12), quantity=1)

    conflicts = conflict_of(book, member_b, beamers, at(2, 11), at(2, 13), quantity=1)

    # Only the hour in which all three are out is in the way.
    assert conflicts == [(at(2, 11), at(2, 12))]


def test_equipment_counts_the_peak_not_the_sum_of_everything_overlapping(book, member_a, member_b, beamers):
    book(member_a, beamers, at(2, 10), at(2, 12), quantity=2)  # 2 out 10–12
    book(member_b, beamers, at(2, 12), at(2, 14), quantity=2)  # 2 out 12–14 (half-open: after the first)

    # 11–13 overlaps 4 units in total, but never more than 2 at once: one more fits.
    third = book(member_b, beamers, at(2, 11), at(2, 13), quantity=1)
    assert third.status == "confirmed"
    # Now 3 are out 11–13: nothing fits there, but 09–10 and 14–15 still do.
    assert conflict_of(book, member_a, beamers, at(2, 9), at(2, 15), quantity=1) == [(at(2, 11), at(2, 13))]
    assert book(member_a, beamers, at(2, 9), at(2, 10), quantity=3)
    assert book(member_a, beamers, at(2, 14), at(2, 15), quantity=1)


def test_equipment_with_three_units_and_staggered_partial_bookings(book, member_a, beamers):
    # 08–12: 1 unit, 09–11: 1 unit, 10–14: 1 unit → peak 3 at 10–11, 2 at 09–10 and 11–12.
    for start, end in ((8, 12), (9, 11), (10, 14)):
        book(member_a, beamers, at(2, start), at(2, end))

    assert conflict_of(book, member_a, beamers, at(2, 10, 15), at(2, 10, 45)) == [
        (at(2, 10, 15), at(2, 10, 45))
    ]
    assert conflict_of(book, member_a, beamers, at(2, 9, 30), at(2, 11, 30)) == [(at(2, 10), at(2, 11))]
    assert conflict_of(book, member_a, beamers, at(2, 9), at(2, 12), quantity=2) == [(at(2, 9), at(2, 12))]
    assert book(member_a, beamers, at(2, 11), at(2, 12))  # 2 out then: one left
    assert book(member_a, beamers, at(2, 12), at(2, 14), quantity=2)  # 1 out then
    assert not Booking.objects.filter(quantity__gt=3).exists()


def test_equipment_buffers_count_too(book, member_a, beamers):
    beamers.buffer_after_minutes = 60  # checking and charging
    beamers.save()
    book(member_a, beamers, at(2, 10), at(2, 12), quantity=3)  # all out until 13:00
    # Only the part of the asked time in which no unit is left: 12:30–13:00.
    assert conflict_of(book, member_a, beamers, at(2, 12, 30), at(2, 14)) == [(at(2, 12, 30), at(2, 13))]
    assert book(member_a, beamers, at(2, 14), at(2, 15))


def test_usage_profile_nets_events_at_the_same_instant():
    t = [datetime(2026, 6, 2, hour, tzinfo=UTC) for hour in range(24)]
    profile = usage_profile([(t[8], t[10], 1), (t[10], t[12], 1), (t[9], t[11], 2)], t[0], t[23])
    assert profile == [(t[8], t[9], 1), (t[9], t[11], 3), (t[11], t[12], 1)]


def test_booking_conflicts_clips_to_the_asked_interval():
    t = [datetime(2026, 6, 2, hour, tzinfo=UTC) for hour in range(24)]
    taken = [(t[8], t[12], 3)]
    assert booking_conflicts(
        exclusive=False, capacity=3, blocked_start=t[11], blocked_end=t[14], quantity=1, bookings=taken
    ) == [(t[11], t[12])]
    assert (
        booking_conflicts(
            exclusive=False, capacity=3, blocked_start=t[12], blocked_end=t[14], quantity=3, bookings=taken
        )
        == []
    )


# --- Clock changes ----------------------------------------------------------------------------------------

SPRING_NOW = datetime(2025, 3, 1, tzinfo=BERLIN)


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_a_night_across_the_spring_change_is_one_hour_shorter(book, member_a, room):
    # 30 March 2025: clocks jump from 02:00 to 03:00. 01:00–04:00 on the wall are 2 real hours.
    room.max_duration_minutes = 150
    room.save()

    booking = book(member_a, room, berlin(2025, 3, 30, 1), berlin(2025, 3, 30, 4), now=SPRING_NOW)

    assert booking.duration == timedelta(hours=2)
    booking.refresh_from_db()
    assert booking.end - booking.start == timedelta(hours=2)
    # The same wall-clock hours on the day before are 3 hours: too long.
    with pytest.raises(ValidationError):
        book(member_a, room, berlin(2025, 3, 29, 1), berlin(2025, 3, 29, 4), now=SPRING_NOW)


def test_a_night_across_the_autumn_change_is_one_hour_longer(book, member_a, room):
    # 26 October 2025: clocks go back from 03:00 to 02:00 (a 25-hour day). 01:00–04:00 are 4 hours.
    room.min_duration_minutes = 210
    room.save()

    booking = book(member_a, room, berlin(2025, 10, 26, 1), berlin(2025, 10, 26, 4), now=SPRING_NOW)

    assert booking.duration == timedelta(hours=4)
    with pytest.raises(ValidationError):
        book(member_a, room, berlin(2025, 10, 25, 1), berlin(2025, 10, 25, 4), now=SPRING_NOW)


def test_the_repeated_autumn_hour_is_told_apart(book, member_a, member_b, room):
    # 02:00–03:00 happens twice on 26 October 2025: first in summer time (+02:00), then in winter time.
    first = datetime(2025, 10, 26, 0, tzinfo=UTC)  # 02:00+02:00
    second = datetime(2025, 10, 26, 1, tzinfo=UTC)  # 02:00+01:00
    book(member_a, room, first, first + timedelta(hours=1), now=SPRING_NOW)

    assert book(member_b, room, second, second + timedelta(hours=1), now=SPRING_NOW)
    assert conflict_of(
        book, member_b, room, first + timedelta(minutes=30), second + timedelta(minutes=30), now=SPRING_NOW
    )


def test_a_whole_day_on_the_25_hour_day_is_25_hours(book, member_a, room):
    room.max_duration_minutes = 25 * 60
    room.save()
    booking = book(member_a, room, berlin(2025, 10, 26, 0), berlin(2025, 10, 27, 0), now=SPRING_NOW)
    assert booking.duration == timedelta(hours=25)


def test_quota_counts_true_hours_across_the_spring_change(book, member_a, room):
    room.quota_hours_per_month = 2
    room.max_duration_minutes = 240
    room.save()
    # 3 hours on the wall, 2 real ones: exactly the quota.
    assert book(member_a, room, berlin(2025, 3, 30, 1), berlin(2025, 3, 30, 4), now=SPRING_NOW)
    with pytest.raises(ValidationError):
        book(member_a, room, berlin(2025, 3, 31, 10), berlin(2025, 3, 31, 10, 30), now=SPRING_NOW)
