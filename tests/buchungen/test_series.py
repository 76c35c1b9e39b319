"""Booking series: preview, create (all or nothing / skip conflicts), the rules per date and for the whole
request, the clock changes, permissions, and cancelling the rest. A refusal writes nothing."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from buchungen import services
from buchungen.errors import BookingConflict
from buchungen.models import Booking, BookingSeries, BookingTransition
from buchungen.series import (
    CONFLICT,
    FREE,
    SeriesConflict,
    SeriesRefused,
    booking_series_cancel_rest,
    booking_series_create,
    booking_series_preview,
)
from ressourcen.models import Closure
from tests.buchungen.conftest import BERLIN, NOW, at
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db

WEEKLY_5 = "FREQ=WEEKLY;COUNT=5"  # Tuesdays 2, 9, 16, 23, 30 June 2026 from at(2, …)


def preview(actor, resource, rrule=WEEKLY_5, start=None, end=None, **kwargs):
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("organisation", _first_organisation(actor))
    return booking_series_preview(
        actor=actor, resource=resource, start=start or at(2, 18), end=end or at(2, 20), rrule=rrule, **kwargs
    )


def create(actor, resource, rrule=WEEKLY_5, start=None, end=None, **kwargs):
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("organisation", _first_organisation(actor))
    return booking_series_create(
        actor=actor, resource=resource, start=start or at(2, 18), end=end or at(2, 20), rrule=rrule, **kwargs
    )


def _first_organisation(actor):
    if not actor.is_authenticated:
        return None
    membership = actor.memberships.select_related("organisation").first()
    return membership.organisation if membership else None


def statuses(occurrences) -> list[str]:
    return [occurrence.status for occurrence in occurrences]


@pytest.fixture
def counts():
    """``counts()``: (bookings, series, steps) now — to assert that a refusal wrote nothing."""
    return lambda: (Booking.objects.count(), BookingSeries.objects.count(), BookingTransition.objects.count())


# --- Preview ---------------------------------------------------------------------------------------------


def test_preview_shows_every_date_free_and_writes_nothing(member_a, room, counts):
    occurrences = preview(member_a, room)

    assert statuses(occurrences) == [FREE] * 5
    assert [o.start for o in occurrences] == [at(day, 18) for day in (2, 9, 16, 23, 30)]
    assert all(o.end - o.start == timedelta(hours=2) for o in occurrences)
    assert all(o.start.tzinfo is not None for o in occurrences)
    assert counts() == (0, 0, 0)


def test_preview_marks_a_taken_date_with_the_taken_period_but_not_who(member_a, member_b, room, counts):
    BookingFactory(resource=room, start=at(16, 19), booked_by=member_b, purpose="Geheim")
    before = counts()

    occurrences = preview(member_a, room)

    assert statuses(occurrences) == [FREE, FREE, CONFLICT, FREE, FREE]
    taken = occurrences[2]
    assert taken.reason == "The resource is already booked at this time."
    assert taken.conflicts == [(at(16, 19), at(16, 21))]
    assert "Bernd" not in taken.reason and "Geheim" not in taken.reason
    assert counts() == before


# --- Create --------------------------------------------------------------------------------------------


def test_create_books_every_date_as_an_ordinary_booking(member_a, org_a, room):
    series, occurrences = create(member_a, room, purpose=" Chor ", participants=12)

    bookings = list(series.bookings.order_by("start"))
    assert [b.start for b in bookings] == [at(day, 18) for day in (2, 9, 16, 23, 30)]
    assert {(b.status, b.organisation, b.booked_by, b.purpose, b.participants) for b in bookings} == {
        ("confirmed", org_a, member_a, "Chor", 12)
    }
    assert [o.booking for o in occurrences] == bookings
    assert (series.rrule, series.first_start, series.first_end) == (WEEKLY_5, at(2, 18), at(2, 20))
    assert series.booked_by == member_a and series.organisation == org_a
    assert BookingTransition.objects.filter(booking__series=series, to_status="confirmed").count() == 5


def test_a_resource_needing_approval_gets_requests(member_b, room):
    room.requires_approval = True
    room.save()

    series, _occurrences = create(member_b, room, rrule="FREQ=WEEKLY;COUNT=2")

    assert set(series.bookings.values_list("status", flat=True)) == {"requested"}


def test_without_skip_one_taken_date_refuses_the_whole_series(member_a, member_b, room, counts):
    BookingFactory(resource=room, start=at(16, 19), booked_by=member_b)
    before = counts()

    with pytest.raises(SeriesConflict) as excinfo:
        create(member_a, room)

    assert isinstance(excinfo.value, BookingConflict)
    assert excinfo.value.conflicts == [(at(16, 19), at(16, 21))]
    assert statuses(excinfo.value.occurrences) == [FREE, FREE, CONFLICT, FREE, FREE]
    assert all(o.booking is None for o in excinfo.value.occurrences)
    assert counts() == before


def test_with_skip_the_free_dates_are_booked_and_the_taken_one_left_out(member_a, member_b, room):
    BookingFactory(resource=room, start=at(16, 19), booked_by=member_b)

    series, occurrences = create(member_a, room, skip_conflicts=True)

    assert statuses(occurrences) == [FREE, FREE, CONFLICT, FREE, FREE]
    assert [b.start for b in series.bookings.order_by("start")] == [at(d, 18) for d in (2, 9, 23, 30)]
    assert occurrences[2].booking is None


def test_with_skip_and_no_free_date_nothing_is_written(member_a, member_b, room, counts):
    for day in (2, 9):
        BookingFactory(resource=room, start=at(day, 17), booked_by=member_b)
    before = counts()

    with pytest.raises(SeriesConflict):
        create(member_a, room, rrule="FREQ=WEEKLY;COUNT=2", skip_conflicts=True)

    assert counts() == before


def test_half_open_a_date_ending_when_another_booking_starts_is_free(member_a, member_b, room):
    BookingFactory(resource=room, start=at(9, 20), booked_by=member_b)

    series, _occurrences = create(member_a, room, rrule="FREQ=WEEKLY;COUNT=2")

    assert series.bookings.count() == 2


def test_equipment_series_takes_units_and_respects_the_stock(member_a, member_b, beamers, counts):
    BookingFactory(resource=beamers, start=at(9, 18), quantity=2, booked_by=member_b)

    occurrences = preview(member_a, beamers, rrule="FREQ=WEEKLY;COUNT=2", quantity=2)
    assert statuses(occurrences) == [FREE, CONFLICT]
    assert statuses(preview(member_a, beamers, rrule="FREQ=WEEKLY;COUNT=2", quantity=1)) == [FREE, FREE]

    series, _ = create(member_a, beamers, rrule="FREQ=WEEKLY;COUNT=2", quantity=1)
    assert list(series.bookings.values_list("quantity", flat=True)) == [1, 1]


# --- Rules per date --------------------------------------------------------------------------------------


def test_a_closed_date_is_a_conflict_with_its_reason(member_a, org_a, room, counts):
    Closure.objects.create(
        organisation=org_a, resource=room, start=at(23, 0), end=at(24, 0), reason="Renovierung"
    )

    occurrences = preview(member_a, room)
    assert statuses(occurrences) == [FREE, FREE, FREE, CONFLICT, FREE]
    assert "closed" in occurrences[3].reason

    with pytest.raises(SeriesRefused) as excinfo:
        create(member_a, room)
    assert counts() == (0, 0, 0)
    (message,) = excinfo.value.message_dict["start"]
    assert "closed" in message and "23" in message
    assert isinstance(excinfo.value, ValidationError)

    series, _ = create(member_a, room, skip_conflicts=True)
    assert series.bookings.count() == 4


def test_dates_beyond_the_maximum_advance_are_conflicts(member_a, room):
    room.max_advance_days = 20
    room.save()

    occurrences = preview(member_a, room)

    assert statuses(occurrences) == [FREE, FREE, FREE, CONFLICT, CONFLICT]
    assert occurrences[3].reason == "It can be booked up to 20 days ahead."


def test_dates_inside_the_lead_time_are_conflicts(member_a, room):
    room.lead_time_hours = 48
    room.save()

    occurrences = preview(member_a, room, start=at(2, 18), end=at(2, 20))

    assert statuses(occurrences) == [CONFLICT, FREE, FREE, FREE, FREE]
    assert "2 days before the start" in occurrences[0].reason


def test_a_past_first_date_is_a_conflict_and_the_later_ones_free(member_a, room):
    occurrences = preview(member_a, room, start=at(1, 6), end=at(1, 7), rrule="FREQ=DAILY;COUNT=2")

    assert statuses(occurrences) == [CONFLICT, FREE]
    assert occurrences[0].reason == "The start has already passed."


def test_the_quota_is_counted_date_by_date_across_the_series(member_a, member_b, room, counts):
    room.quota_hours_per_month = 6
    room.save()
    # Another organisation's hours do not count against organisation A.
    BookingFactory(resource=room, start=at(1, 10), organisation=member_b.memberships.get().organisation)

    occurrences = preview(member_a, room)
    assert statuses(occurrences) == [FREE, FREE, FREE, CONFLICT, CONFLICT]
    assert "at most 6 hours per month" in occurrences[3].reason
    assert counts() == (1, 0, 0)

    with pytest.raises(SeriesRefused):
        create(member_a, room)
    assert counts() == (1, 0, 0)

    series, _ = create(member_a, room, skip_conflicts=True)
    assert series.bookings.count() == 3
    # The next month has its own hours.
    series, _ = create(
        member_a, room, rrule="FREQ=WEEKLY;COUNT=3", start=at(7, 18, month=7), end=at(7, 20, month=7)
    )
    assert series.bookings.count() == 3


def test_dates_of_one_series_cannot_overlap_each_other(member_a, room):
    room.max_duration_minutes = 3 * 24 * 60
    room.save()

    occurrences = preview(member_a, room, start=at(2, 18), end=at(4, 18), rrule="FREQ=DAILY;COUNT=3")

    assert statuses(occurrences) == [FREE, CONFLICT, FREE]


# --- Rules for the whole request -------------------------------------------------------------------------


def test_booking_for_an_organisation_one_does_not_belong_to_is_refused(member_b, org_a, room, counts):
    with pytest.raises(PermissionDenied):
        preview(member_b, room, organisation=org_a)
    with pytest.raises(PermissionDenied):
        create(member_b, room, organisation=org_a)
    assert counts() == (0, 0, 0)


def test_anonymous_cannot_book_a_series(room, counts):
    with pytest.raises(PermissionDenied):
        create(AnonymousUser(), room, organisation=None)
    assert counts() == (0, 0, 0)


def test_the_audience_refuses_the_whole_series(member_b, room, counts):
    room.audience = "organisation"
    room.save()

    with pytest.raises(ValidationError) as excinfo:
        preview(member_b, room)
    assert set(excinfo.value.message_dict) == {"organisation"}
    with pytest.raises(ValidationError):
        create(member_b, room)
    assert counts() == (0, 0, 0)


def test_own_organisation_only_resource_is_bookable_by_its_members(member_a, room):
    room.audience = "organisation"
    room.save()

    series, _ = create(member_a, room, rrule="FREQ=WEEKLY;COUNT=2")

    assert series.bookings.count() == 2


def test_a_person_without_organisation_books_a_public_resource_but_not_a_network_one(outsider, room, counts):
    with pytest.raises(ValidationError) as excinfo:
        create(outsider, room, organisation=None)
    assert set(excinfo.value.message_dict) == {"organisation"}
    assert counts() == (0, 0, 0)

    room.audience = "public"
    room.save()
    series, _ = create(outsider, room, organisation=None, rrule="FREQ=WEEKLY;COUNT=2")
    assert series.organisation is None and series.bookings.count() == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"purpose": "x" * 501}, "purpose"),
        ({"quantity": 2}, "quantity"),
        ({"participants": -1}, "participants"),
        ({"end": at(2, 18, 15)}, "end"),
        ({"end": at(2, 17)}, "end"),
        ({"rrule": "FREQ=WEEKLY"}, "rrule"),
    ],
)
def test_whole_request_errors_refuse_the_series_on_their_field(member_a, room, counts, kwargs, field):
    with pytest.raises(ValidationError) as excinfo:
        preview(member_a, room, **kwargs)
    assert field in excinfo.value.message_dict
    with pytest.raises(ValidationError):
        create(member_a, room, **kwargs)
    assert counts() == (0, 0, 0)


def test_an_inactive_resource_refuses_the_series(member_a, room, counts):
    room.is_active = False
    room.save()

    with pytest.raises(ValidationError) as excinfo:
        create(member_a, room)

    assert set(excinfo.value.message_dict) == {"resource"}
    assert counts() == (0, 0, 0)


# --- Clock changes ---------------------------------------------------------------------------------------

MARCH_2025 = datetime(2025, 3, 1, 9, tzinfo=BERLIN)


@pytest.fixture
def far_room(room):
    room.max_advance_days = 400
    room.save()
    return room


def test_weekly_18_00_stays_18_00_berlin_from_march_to_november_2025(member_a, far_room):
    series, occurrences = create(
        member_a,
        far_room,
        rrule="FREQ=WEEKLY;UNTIL=20251125",
        start=datetime(2025, 3, 4, 18, tzinfo=BERLIN),
        end=datetime(2025, 3, 4, 20, tzinfo=BERLIN),
        now=MARCH_2025,
    )

    bookings = list(series.bookings.order_by("start"))
    assert len(bookings) == len(occurrences) == 39
    for booking in bookings:
        local_start, local_end = booking.start.astimezone(BERLIN), booking.end.astimezone(BERLIN)
        assert (local_start.hour, local_start.minute, local_end.hour) == (18, 0, 20)
        assert booking.duration == timedelta(hours=2)
    utc_hours = [booking.start.astimezone(UTC).hour for booking in bookings]
    assert utc_hours[0] == 17 and utc_hours[-1] == 17
    assert 16 in utc_hours
    summer = [
        b
        for b in bookings
        if datetime(2025, 3, 30, tzinfo=UTC) < b.start < datetime(2025, 10, 26, tzinfo=UTC)
    ]
    assert {b.start.astimezone(UTC).hour for b in summer} == {16}
    assert {b.start.astimezone(UTC).hour for b in bookings if b not in summer} == {17}


def test_a_date_across_the_spring_night_lasts_two_hours_and_the_autumn_night_four(member_a, far_room):
    spring, _ = create(
        member_a,
        far_room,
        rrule="FREQ=WEEKLY;BYDAY=SU;COUNT=2",
        start=datetime(2025, 3, 23, 1, tzinfo=BERLIN),
        end=datetime(2025, 3, 23, 4, tzinfo=BERLIN),
        now=MARCH_2025,
    )
    autumn, _ = create(
        member_a,
        far_room,
        rrule="FREQ=WEEKLY;BYDAY=SU;COUNT=2",
        start=datetime(2025, 10, 19, 1, tzinfo=BERLIN),
        end=datetime(2025, 10, 19, 4, tzinfo=BERLIN),
        now=MARCH_2025,
    )

    assert [b.duration for b in spring.bookings.order_by("start")] == [timedelta(hours=3), timedelta(hours=2)]
    assert [b.duration for b in autumn.bookings.order_by("start")] == [timedelta(hours=3), timedelta(hours=4)]
    last = autumn.bookings.order_by("start").last()
    assert (last.start.astimezone(BERLIN).hour, last.end.astimezone(BERLIN).hour) == (1, 4)


def test_a_skipped_wall_clock_time_is_a_conflict_with_a_reason(member_a, far_room, counts):
    kwargs = {
        "rrule": "FREQ=WEEKLY;BYDAY=SU;COUNT=3",
        "start": datetime(2025, 3, 23, 2, 30, tzinfo=BERLIN),
        "end": datetime(2025, 3, 23, 3, 30, tzinfo=BERLIN),
        "now": MARCH_2025,
    }
    occurrences = preview(member_a, far_room, **kwargs)
    assert statuses(occurrences) == [FREE, CONFLICT, FREE]
    assert "02:30 does not exist on this day" in occurrences[1].reason

    with pytest.raises(SeriesRefused):
        create(member_a, far_room, **kwargs)
    assert counts() == (0, 0, 0)

    series, _ = create(member_a, far_room, skip_conflicts=True, **kwargs)
    assert series.bookings.count() == 2


def test_an_ambiguous_wall_clock_time_is_its_first_occurrence(member_a, far_room):
    series, _ = create(
        member_a,
        far_room,
        rrule="FREQ=WEEKLY;BYDAY=SU;COUNT=2",
        start=datetime(2025, 10, 19, 2, 30, tzinfo=BERLIN),
        end=datetime(2025, 10, 19, 3, 30, tzinfo=BERLIN),
        now=MARCH_2025,
    )

    last = series.bookings.order_by("start").last()
    # 02:30 summer time (00:30 UTC) to 03:30 winter time (02:30 UTC): two true hours.
    assert last.start == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    assert last.end == datetime(2025, 10, 26, 2, 30, tzinfo=UTC)


# --- Permissions per role --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["member_a", "manager_a", "member_b", "manager_b"])
def test_members_of_the_network_book_series_for_their_organisation(request, persona, room):
    user = request.getfixturevalue(persona)

    series, _ = create(user, room, rrule="FREQ=WEEKLY;COUNT=2")

    assert series.bookings.count() == 2


@pytest.mark.parametrize("persona", ["coordinator", "outsider"])
def test_people_without_an_organisation_cannot_book_a_network_resource(request, persona, org_a, room, counts):
    user = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        create(user, room, organisation=org_a)
    assert counts() == (0, 0, 0)


# --- Cancel the rest -------------------------------------------------------------------------------------


@pytest.fixture
def series(member_a, room):
    created, _ = create(member_a, room)
    return created


def test_the_booker_cancels_a_date_and_all_later_ones(member_a, series):
    booking_series_cancel_rest(
        actor=member_a, series=series, from_start=at(16, 18), comment="Chor pausiert", now=NOW
    )

    assert list(series.bookings.order_by("start").values_list("status", flat=True)) == [
        "confirmed",
        "confirmed",
        "cancelled",
        "cancelled",
        "cancelled",
    ]
    steps = BookingTransition.objects.filter(booking__series=series, to_status="cancelled")
    assert {(s.actor, s.comment) for s in steps} == {(member_a, "Chor pausiert")}


def series_statuses(series) -> list[str]:
    return list(series.bookings.order_by("start").values_list("status", flat=True))


def test_cancelling_one_date_leaves_the_other_dates_of_the_series_confirmed(member_a, member_b, series, book):
    third = series.bookings.get(start=at(16, 18))

    services.booking_cancel(actor=member_a, booking=third, comment="Feiertag", now=NOW)

    assert series_statuses(series) == ["confirmed", "confirmed", "cancelled", "confirmed", "confirmed"]
    # Only that date took a step; the series itself and its other dates are untouched.
    assert list(
        BookingTransition.objects.filter(booking__series=series, to_status="cancelled").values_list(
            "booking__start", "comment"
        )
    ) == [(at(16, 18), "Feiertag")]
    assert BookingSeries.objects.filter(pk=series.pk).exists()
    # Its slot is free for others, the neighbours' are not.
    assert book(member_b, series.resource, at(16, 18), at(16, 20)).status == "confirmed"
    with pytest.raises(BookingConflict):
        book(member_b, series.resource, at(23, 18), at(23, 20))


def test_cancelling_the_rest_leaves_the_earlier_dates_and_a_date_cancelled_before(member_a, series):
    services.booking_cancel(actor=member_a, booking=series.bookings.get(start=at(9, 18)), now=NOW)

    cancelled = booking_series_cancel_rest(actor=member_a, series=series, from_start=at(23, 18), now=NOW)

    assert [booking.start for booking in cancelled] == [at(23, 18), at(30, 18)]
    assert series_statuses(series) == ["confirmed", "cancelled", "confirmed", "cancelled", "cancelled"]
    # The date cancelled on its own kept its single step.
    assert series.bookings.get(start=at(9, 18)).transitions.filter(to_status="cancelled").count() == 1


def test_cancel_rest_skips_dates_already_cancelled(member_a, series):
    third = series.bookings.get(start=at(16, 18))
    services.booking_cancel(actor=member_a, booking=third, now=NOW)

    cancelled = booking_series_cancel_rest(actor=member_a, series=series, from_start=at(9, 18), now=NOW)

    assert [b.start for b in cancelled] == [at(9, 18), at(23, 18), at(30, 18)]


@pytest.mark.parametrize("persona", ["member_a", "manager_a"])
def test_members_of_the_borrower_and_the_owners_managers_may_cancel_the_rest(request, persona, series):
    user = request.getfixturevalue(persona)

    cancelled = booking_series_cancel_rest(actor=user, series=series, from_start=at(2, 0), now=NOW)

    assert len(cancelled) == 5


@pytest.mark.parametrize("persona", ["member_b", "coordinator", "outsider"])
def test_others_may_not_cancel_the_rest_and_nothing_changes(request, persona, series):
    user = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        booking_series_cancel_rest(actor=user, series=series, from_start=at(2, 0), now=NOW)

    assert set(series.bookings.values_list("status", flat=True)) == {"confirmed"}


def test_cancelling_the_rest_frees_the_dates_for_others(member_a, member_b, series, book):
    booking_series_cancel_rest(actor=member_a, series=series, from_start=at(23, 18), now=NOW)

    assert book(member_b, series.resource, at(23, 18), at(23, 20)).status == "confirmed"
